//! User tags: people tagged on a photo, a video or a story.

use super::limits::{TAG_COORDINATE_MAX, TAG_COORDINATE_MIN};
use super::username::{Username, UsernameError};
use super::violation::{Fault, Problems, Rule};

/// A person tagged on a media item, optionally at a point of it.
// graph-api.md §2.2 (`user_tags`: `{username, x, y}`, x/y "required for images, optional for
// stories"; story tags since 2025-07-09)
#[derive(Debug, Clone, PartialEq)]
pub struct UserTag {
    username: Username,
    position: Option<TagPosition>,
}

/// Where a tag sits: `x` from the left edge, `y` from the top, each from 0.0 to 1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TagPosition {
    x: f64,
    y: f64,
}

impl TagPosition {
    /// Distance from the left edge, 0.0–1.0.
    pub fn x(&self) -> f64 {
        self.x
    }

    /// Distance from the top edge, 0.0–1.0.
    pub fn y(&self) -> f64 {
        self.y
    }
}

/// One axis of a tag's position, to name it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// The horizontal coordinate.
    X,
    /// The vertical coordinate.
    Y,
}

impl Axis {
    fn name(self) -> &'static str {
        match self {
            Axis::X => "x",
            Axis::Y => "y",
        }
    }
}

/// Why a user tag is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UserTagError {
    /// The username is not an Instagram username.
    #[error("{0}")]
    Username(UsernameError),
    /// A coordinate outside 0.0–1.0 (or not a number).
    #[error(
        "{} is {value}; a tag's coordinates run from {TAG_COORDINATE_MIN:.1} to {TAG_COORDINATE_MAX:.1}",
        .axis.name()
    )]
    OutOfRange {
        /// The coordinate.
        axis: Axis,
        /// Its value.
        value: f64,
    },
    /// A tag on an image without a position.
    #[error("a tag on an image needs its position: x and y, each from 0.0 to 1.0")]
    PositionRequired,
    /// One coordinate given without the other.
    #[error("{} is given without {}; give both or, where allowed, neither", .given.name(), .missing.name())]
    HalfPosition {
        /// The coordinate that is given.
        given: Axis,
        /// The coordinate that is missing.
        missing: Axis,
    },
}

impl Fault for UserTagError {
    fn rule(&self) -> Rule {
        match self {
            UserTagError::Username(error) => error.rule(),
            UserTagError::OutOfRange { .. } => Rule::OutOfRange,
            UserTagError::PositionRequired | UserTagError::HalfPosition { .. } => {
                Rule::PositionRequired
            }
        }
    }

    fn path(&self) -> String {
        match self {
            UserTagError::Username(_) => ".username".to_owned(),
            UserTagError::OutOfRange { axis, .. } => format!(".{}", axis.name()),
            UserTagError::HalfPosition { missing, .. } => format!(".{}", missing.name()),
            UserTagError::PositionRequired => String::new(),
        }
    }
}

impl UserTag {
    /// Parses a tag. `position_required` is true on images in the feed and in carousels, false on
    /// videos and stories.
    pub fn parse(
        username: &str,
        x: Option<f64>,
        y: Option<f64>,
        position_required: bool,
    ) -> Result<Self, Problems<UserTagError>> {
        let username = Username::parse(username).map_err(UserTagError::Username);
        let mut problems = Vec::new();
        let position = match (x, y) {
            (Some(x), Some(y)) => {
                let x = coordinate(Axis::X, x).map_err(|e| problems.push(e)).ok();
                let y = coordinate(Axis::Y, y).map_err(|e| problems.push(e)).ok();
                x.zip(y).map(|(x, y)| TagPosition { x, y })
            }
            (Some(_), None) => {
                problems.push(UserTagError::HalfPosition {
                    given: Axis::X,
                    missing: Axis::Y,
                });
                None
            }
            (None, Some(_)) => {
                problems.push(UserTagError::HalfPosition {
                    given: Axis::Y,
                    missing: Axis::X,
                });
                None
            }
            (None, None) => {
                if position_required {
                    problems.push(UserTagError::PositionRequired);
                }
                None
            }
        };
        match username {
            Ok(username) => {
                Problems::check(problems)?;
                Ok(Self { username, position })
            }
            Err(error) => {
                problems.insert(0, error);
                Err(Problems::from_nonempty(problems))
            }
        }
    }

    /// The tagged person's username, without `@`.
    pub fn username(&self) -> &Username {
        &self.username
    }

    /// Where the tag sits, if a position was given.
    pub fn position(&self) -> Option<TagPosition> {
        self.position
    }
}

fn coordinate(axis: Axis, value: f64) -> Result<f64, UserTagError> {
    if (TAG_COORDINATE_MIN..=TAG_COORDINATE_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(UserTagError::OutOfRange { axis, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_at_the_edges_of_the_image_is_accepted() {
        let tag = UserTag::parse("@Anna", Some(0.0), Some(1.0), true).unwrap();
        assert_eq!(tag.username().as_str(), "anna");
        let position = tag.position().unwrap();
        assert_eq!((position.x(), position.y()), (0.0, 1.0));
    }

    #[test]
    fn a_coordinate_past_the_edge_is_refused() {
        let problems = UserTag::parse("anna", Some(1.01), Some(-0.1), true).unwrap_err();
        let paths: Vec<String> = problems.as_slice().iter().map(Fault::path).collect();
        assert_eq!(paths, [".x", ".y"]);
        assert!(problems.breaks(Rule::OutOfRange));
    }

    #[test]
    fn a_coordinate_that_is_not_a_number_is_refused() {
        assert!(UserTag::parse("anna", Some(f64::NAN), Some(0.5), false).is_err());
        assert!(UserTag::parse("anna", Some(0.5), Some(f64::INFINITY), false).is_err());
    }

    #[test]
    fn a_tag_on_an_image_needs_a_position() {
        let problems = UserTag::parse("anna", None, None, true).unwrap_err();
        assert_eq!(problems.as_slice(), [UserTagError::PositionRequired]);
    }

    #[test]
    fn a_tag_on_a_story_may_have_no_position() {
        let tag = UserTag::parse("anna", None, None, false).unwrap();
        assert_eq!(tag.position(), None);
    }

    #[test]
    fn half_a_position_is_refused_even_where_none_is_needed() {
        let problems = UserTag::parse("anna", Some(0.5), None, false).unwrap_err();
        assert_eq!(problems.as_slice()[0].path(), ".y");
    }

    #[test]
    fn a_bad_username_and_a_bad_position_are_reported_together() {
        let problems = UserTag::parse("an na", Some(2.0), Some(0.5), true).unwrap_err();
        assert_eq!(problems.as_slice().len(), 2);
    }
}
