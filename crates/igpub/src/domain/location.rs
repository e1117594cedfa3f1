//! The place a post is tagged at.

use std::fmt;

use super::violation::{Fault, Rule};

/// A location: the numeric id of a Facebook Page that has location data.
// graph-api.md §2.2 (`location_id`: "Page ID that has location data"; ids are numeric strings,
// graph-api.md conventions)
///
/// Whether the Page exists and has location data only Meta knows
/// (`INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID`); this type checks the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocationId(String);

/// Why a text is not a location id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationIdError {
    /// Nothing but whitespace.
    #[error(
        "the location id is empty; leave it out or give the numeric id of a Page with a location"
    )]
    Empty,
    /// Anything but digits.
    #[error(
        "the location id {0:?} is not numeric; it is the numeric id of a Facebook Page with a location"
    )]
    NotNumeric(String),
}

impl Fault for LocationIdError {
    fn rule(&self) -> Rule {
        match self {
            LocationIdError::Empty => Rule::Empty,
            LocationIdError::NotNumeric(_) => Rule::NotNumeric,
        }
    }
}

impl LocationId {
    /// Accepts ASCII digits, surrounding whitespace trimmed.
    pub fn parse(text: &str) -> Result<Self, LocationIdError> {
        let id = text.trim();
        if id.is_empty() {
            Err(LocationIdError::Empty)
        } else if id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(id.to_owned()))
        } else {
            Err(LocationIdError::NotNumeric(id.to_owned()))
        }
    }

    /// The id, as Meta's `location_id` takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numeric_location_id_is_accepted() {
        assert_eq!(
            LocationId::parse(" 110123456 ").unwrap().as_str(),
            "110123456"
        );
    }

    #[test]
    fn a_location_name_or_signed_number_is_refused() {
        for bad in ["Paris", "-12", "12.5", "１２"] {
            assert!(
                matches!(LocationId::parse(bad), Err(LocationIdError::NotNumeric(_))),
                "{bad}"
            );
        }
        assert_eq!(LocationId::parse(" "), Err(LocationIdError::Empty));
    }
}
