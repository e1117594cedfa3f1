//! Instagram usernames, as collaborators and in user tags.

use std::collections::HashMap;
use std::fmt;

use super::hashtag::describe_char;
use super::limits::{MAX_COLLABORATORS, USERNAME_MAX_CHARS};
use super::violation::{Fault, Problems, Rule, grouped};

/// An Instagram username: 1–30 ASCII letters, digits, `.` and `_`, without the `@`.
///
/// Parsing trims surrounding whitespace, strips one leading `@` and lower-cases the name:
/// Instagram usernames are case-insensitive and always shown in lower case, so `@Anna.K` and
/// `anna.k` are one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

/// Why a text is not an Instagram username.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Nothing but whitespace, or a lone `@`.
    #[error("a username needs at least one letter, digit, `.` or `_`")]
    Empty,
    /// Longer than Instagram allows.
    #[error(
        "the username {name:?} is {chars} characters; Instagram allows at most {USERNAME_MAX_CHARS}"
    )]
    TooLong {
        /// The username as given, without the `@`.
        name: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A character Instagram usernames never contain.
    #[error(
        "the username {name:?} contains {found}; a username holds only letters a–z, digits, `.` and `_`"
    )]
    InvalidCharacter {
        /// The username as given, without the `@`.
        name: String,
        /// The offending character, described.
        found: String,
    },
}

impl Fault for UsernameError {
    fn rule(&self) -> Rule {
        match self {
            UsernameError::Empty => Rule::Empty,
            UsernameError::TooLong { .. } => Rule::MaxLength,
            UsernameError::InvalidCharacter { .. } => Rule::InvalidCharacter,
        }
    }
}

impl Username {
    /// Parses `text` (`"@anna.k"`, `"anna.k"`) into a username.
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        let trimmed = text.trim();
        let name = trimmed.strip_prefix('@').unwrap_or(trimmed);
        if name.is_empty() {
            return Err(UsernameError::Empty);
        }
        if let Some(bad) = name
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        {
            return Err(UsernameError::InvalidCharacter {
                name: name.to_owned(),
                found: describe_char(bad),
            });
        }
        // Only ASCII is left, so bytes are characters.
        if name.len() > USERNAME_MAX_CHARS {
            return Err(UsernameError::TooLong {
                name: name.to_owned(),
                chars: name.len(),
            });
        }
        Ok(Self(name.to_ascii_lowercase()))
    }

    /// The username, lower case, without `@`: the form Meta's `collaborators` and `user_tags`
    /// parameters take.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The collaborators invited to co-author a post: at most 3 distinct usernames.
// graph-api.md §2.2 (`collaborators`: "List of up to 3 usernames")
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Collaborators(Vec<Username>);

/// Why a list of collaborators is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollaboratorsError {
    /// An entry is not a username.
    #[error("{error}")]
    Item {
        /// The entry's position, from 0.
        index: usize,
        /// What is wrong with it.
        error: UsernameError,
    },
    /// An entry names a collaborator listed before it.
    #[error("{username} is already listed as collaborators[{first}]")]
    Duplicate {
        /// The entry's position, from 0.
        index: usize,
        /// The position of its first listing.
        first: usize,
        /// The repeated username.
        username: String,
    },
    /// More collaborators than Instagram allows.
    #[error(
        "the post names {} collaborators; Instagram allows at most {MAX_COLLABORATORS}",
        grouped(*count)
    )]
    TooMany {
        /// How many were listed.
        count: usize,
    },
}

impl Fault for CollaboratorsError {
    fn rule(&self) -> Rule {
        match self {
            CollaboratorsError::Item { error, .. } => error.rule(),
            CollaboratorsError::Duplicate { .. } => Rule::Duplicate,
            CollaboratorsError::TooMany { .. } => Rule::TooManyCollaborators,
        }
    }

    fn path(&self) -> String {
        match self {
            CollaboratorsError::Item { index, .. }
            | CollaboratorsError::Duplicate { index, .. } => {
                format!("[{index}]")
            }
            CollaboratorsError::TooMany { .. } => String::new(),
        }
    }
}

impl Collaborators {
    /// Parses every entry as a username; reports every bad entry, every repeat and a list that is
    /// too long, all at once.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, Problems<CollaboratorsError>> {
        let mut problems = Vec::new();
        if entries.len() > MAX_COLLABORATORS {
            problems.push(CollaboratorsError::TooMany {
                count: entries.len(),
            });
        }
        let mut names: Vec<Username> = Vec::with_capacity(entries.len());
        let mut first_index = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            match Username::parse(entry.as_ref()) {
                Ok(name) => {
                    if let Some(&first) = first_index.get(&name) {
                        problems.push(CollaboratorsError::Duplicate {
                            index,
                            first,
                            username: name.0,
                        });
                    } else {
                        first_index.insert(name.clone(), index);
                        names.push(name);
                    }
                }
                Err(error) => problems.push(CollaboratorsError::Item { index, error }),
            }
        }
        Problems::check(problems)?;
        Ok(Self(names))
    }

    /// The collaborators' usernames, without `@`, in the order given.
    pub fn as_slice(&self) -> &[Username] {
        &self.0
    }

    /// How many collaborators there are (0–3).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the post has no collaborator.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The usernames as plain strings, for Meta's `collaborators` parameter.
    pub fn usernames(&self) -> Vec<&str> {
        self.0.iter().map(Username::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_loses_its_at_and_its_case() {
        assert_eq!(Username::parse(" @Anna.K_1 ").unwrap().as_str(), "anna.k_1");
    }

    #[test]
    fn a_username_of_30_characters_is_accepted_and_31_refused() {
        assert!(Username::parse(&"a".repeat(30)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(31)),
            Err(UsernameError::TooLong {
                name: "a".repeat(31),
                chars: 31
            })
        );
    }

    #[test]
    fn a_username_with_a_hyphen_space_or_accent_is_refused() {
        for bad in ["anna-k", "anna k", "annà"] {
            let error = Username::parse(bad).unwrap_err();
            assert_eq!(error.rule(), Rule::InvalidCharacter, "{bad}");
        }
    }

    #[test]
    fn an_empty_username_is_refused() {
        assert_eq!(Username::parse("@"), Err(UsernameError::Empty));
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
    }

    #[test]
    fn three_collaborators_are_accepted_and_four_refused() {
        let three = Collaborators::parse(&["@a", "b", "C"]).unwrap();
        assert_eq!(three.usernames(), ["a", "b", "c"]);
        let problems = Collaborators::parse(&["a", "b", "c", "d"]).unwrap_err();
        assert_eq!(
            problems.as_slice(),
            [CollaboratorsError::TooMany { count: 4 }]
        );
    }

    #[test]
    fn a_collaborator_listed_twice_is_refused_at_the_second_listing() {
        let problems = Collaborators::parse(&["anna", "@ANNA"]).unwrap_err();
        let [problem] = problems.as_slice() else {
            panic!("expected one problem, got {problems}");
        };
        assert_eq!(problem.rule(), Rule::Duplicate);
        assert_eq!(problem.path(), "[1]");
    }
}
