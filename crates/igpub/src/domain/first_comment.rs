//! The comment posted under a post right after it is published.

use std::fmt;

use super::limits::FIRST_COMMENT_MAX_CHARS;
use super::violation::{Fault, Rule, grouped};

/// A first comment: not blank, at most 2,200 characters (Unicode scalar values, counted like a
/// caption). The worker posts it after publishing, best effort (issue #5, "The worker").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FirstComment(String);

/// Why a text is not a first comment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirstCommentError {
    /// Nothing but whitespace.
    #[error("the first comment is blank; leave it out or write one")]
    Empty,
    /// More characters than Instagram allows in a comment.
    #[error(
        "the first comment is {} characters; Instagram allows at most {}",
        grouped(*chars),
        grouped(FIRST_COMMENT_MAX_CHARS)
    )]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
}

impl Fault for FirstCommentError {
    fn rule(&self) -> Rule {
        match self {
            FirstCommentError::Empty => Rule::Empty,
            FirstCommentError::TooLong { .. } => Rule::MaxLength,
        }
    }
}

impl FirstComment {
    /// Checks `text` as a comment; it is kept as written.
    pub fn parse(text: &str) -> Result<Self, FirstCommentError> {
        if text.trim().is_empty() {
            return Err(FirstCommentError::Empty);
        }
        let chars = text.chars().count();
        if chars > FIRST_COMMENT_MAX_CHARS {
            return Err(FirstCommentError::TooLong { chars });
        }
        Ok(Self(text.to_owned()))
    }

    /// The comment's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FirstComment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_comment_of_2200_characters_is_accepted_and_2201_refused() {
        assert!(FirstComment::parse(&"b".repeat(2_200)).is_ok());
        assert_eq!(
            FirstComment::parse(&"b".repeat(2_201)),
            Err(FirstCommentError::TooLong { chars: 2_201 })
        );
    }

    #[test]
    fn a_blank_first_comment_is_refused() {
        assert_eq!(FirstComment::parse("\t"), Err(FirstCommentError::Empty));
    }
}
