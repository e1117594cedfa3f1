//! Hashtags handed over next to a caption, normalised so that each one is exactly one hashtag
//! token of the caption it is appended to (see [`crate::domain::tokens`]).

use std::collections::HashSet;
use std::fmt;

use super::tokens::is_word_char;
use super::violation::{Fault, Problems, Rule};

/// One hashtag: `#` followed by one or more word characters (Unicode letters, marks, digits, `_`).
///
/// Parsing trims surrounding whitespace and adds the leading `#` when it is missing, so `summer`,
/// `#summer` and `" #summer "` are the same tag. The case is kept as written (`#ThrowbackThursday`
/// reads better than `#throwbackthursday`); comparisons ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hashtag(String);

/// Why a text is not a hashtag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashtagError {
    /// Nothing but whitespace, or a lone `#`.
    #[error("a hashtag needs at least one letter, digit or underscore after the `#`")]
    Empty,
    /// A character that would end the hashtag inside a caption.
    #[error(
        "{tag:?} contains {found}; a hashtag may hold only letters, digits and underscores after its one leading `#`"
    )]
    InvalidCharacter {
        /// The hashtag as given.
        tag: String,
        /// The offending character, described (`a space`, `'#'`, `'-'`).
        found: String,
    },
}

impl Fault for HashtagError {
    fn rule(&self) -> Rule {
        match self {
            HashtagError::Empty => Rule::Empty,
            HashtagError::InvalidCharacter { .. } => Rule::InvalidCharacter,
        }
    }
}

impl Hashtag {
    /// Normalises `text` into a hashtag: surrounding whitespace trimmed, one leading `#`.
    pub fn parse(text: &str) -> Result<Self, HashtagError> {
        let trimmed = text.trim();
        let body = trimmed.strip_prefix('#').unwrap_or(trimmed);
        if body.is_empty() {
            return Err(HashtagError::Empty);
        }
        if let Some(bad) = body.chars().find(|&c| !is_word_char(c)) {
            return Err(HashtagError::InvalidCharacter {
                tag: trimmed.to_owned(),
                found: describe_char(bad),
            });
        }
        Ok(Self(format!("#{body}")))
    }

    /// The hashtag with its leading `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which two hashtags are the same tag (Instagram ignores case).
    pub(crate) fn key(&self) -> String {
        case_key(&self.0)
    }
}

impl fmt::Display for Hashtag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The case-insensitive key of a hashtag token (with its `#`).
pub(crate) fn case_key(tag: &str) -> String {
    tag.to_lowercase()
}

/// `c` named for a message: whitespace by name, anything else quoted.
pub(crate) fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        '\n' | '\r' => "a line break".to_owned(),
        c if c.is_whitespace() => format!("whitespace (U+{:04X})", u32::from(c)),
        c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
        c => format!("{c:?}"),
    }
}

/// Hashtags without duplicates (ignoring case), in the order given; the first spelling wins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HashtagList(Vec<Hashtag>);

/// Why one entry of a hashtag list is not a hashtag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct HashtagListError {
    /// The entry's position in the list, from 0.
    pub index: usize,
    /// What is wrong with it.
    pub error: HashtagError,
}

impl Fault for HashtagListError {
    fn rule(&self) -> Rule {
        self.error.rule()
    }

    fn path(&self) -> String {
        format!("[{}]", self.index)
    }
}

impl HashtagList {
    /// Normalises every entry and drops the repeats (case-insensitive); reports every entry that
    /// is not a hashtag.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, Problems<HashtagListError>> {
        let mut tags = Vec::with_capacity(entries.len());
        let mut problems = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match Hashtag::parse(entry.as_ref()) {
                Ok(tag) => tags.push(tag),
                Err(error) => problems.push(HashtagListError { index, error }),
            }
        }
        Problems::check(problems)?;
        Ok(Self::from_tags(tags))
    }

    /// `tags` without repeats, first spelling kept.
    pub(crate) fn from_tags(tags: impl IntoIterator<Item = Hashtag>) -> Self {
        let mut seen = HashSet::new();
        Self(
            tags.into_iter()
                .filter(|tag| seen.insert(tag.key()))
                .collect(),
        )
    }

    /// This list without the tags whose key is in `taken`.
    pub(crate) fn without(&self, taken: &HashSet<String>) -> Self {
        Self(
            self.0
                .iter()
                .filter(|tag| !taken.contains(&tag.key()))
                .cloned()
                .collect(),
        )
    }

    /// The hashtags, in order.
    pub fn as_slice(&self) -> &[Hashtag] {
        &self.0
    }

    /// How many distinct hashtags there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list holds no hashtag.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The hashtags joined by single spaces, as they are appended to a caption.
    pub fn joined(&self) -> String {
        let tags: Vec<&str> = self.0.iter().map(Hashtag::as_str).collect();
        tags.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashtag_gets_its_leading_hash_and_loses_surrounding_whitespace() {
        assert_eq!(Hashtag::parse(" summer ").unwrap().as_str(), "#summer");
        assert_eq!(Hashtag::parse("#summer").unwrap().as_str(), "#summer");
    }

    #[test]
    fn a_hashtag_keeps_the_case_it_was_written_in() {
        assert_eq!(
            Hashtag::parse("ThrowbackThursday").unwrap().as_str(),
            "#ThrowbackThursday"
        );
    }

    #[test]
    fn an_empty_hashtag_is_refused() {
        assert_eq!(Hashtag::parse("   "), Err(HashtagError::Empty));
        assert_eq!(Hashtag::parse("#"), Err(HashtagError::Empty));
    }

    #[test]
    fn a_hashtag_with_a_space_inside_is_refused() {
        let error = Hashtag::parse("summer vibes").unwrap_err();
        assert_eq!(error.rule(), Rule::InvalidCharacter);
        assert!(error.to_string().contains("a space"), "{error}");
    }

    #[test]
    fn a_hashtag_with_a_second_hash_is_refused() {
        let error = Hashtag::parse("##summer").unwrap_err();
        assert!(error.to_string().contains("'#'"), "{error}");
        assert!(Hashtag::parse("sum#mer").is_err());
    }

    #[test]
    fn a_hashtag_with_punctuation_is_refused() {
        assert!(Hashtag::parse("rock-n-roll").is_err());
    }

    #[test]
    fn a_list_drops_repeats_ignoring_case_and_keeps_the_first_spelling() {
        let list = HashtagList::parse(&["Summer", "#summer", "beach", "SUMMER"]).unwrap();
        let tags: Vec<&str> = list.as_slice().iter().map(Hashtag::as_str).collect();
        assert_eq!(tags, ["#Summer", "#beach"]);
        assert_eq!(list.joined(), "#Summer #beach");
    }

    #[test]
    fn a_list_reports_every_bad_entry_with_its_index() {
        let problems = HashtagList::parse(&["ok", "", "a b"]).unwrap_err();
        let paths: Vec<String> = problems.as_slice().iter().map(Fault::path).collect();
        assert_eq!(paths, ["[1]", "[2]"]);
    }
}
