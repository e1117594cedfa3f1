//! Id newtypes, one per kind of Graph object, so an id of one kind cannot be passed where another
//! is expected (octocrab's `models.rs` habit).
//!
//! Meta's ids are JSON strings (graph-api.md "Conventions"); they stay strings here and are never
//! parsed as numbers, because a 17/18-digit id does not survive a round trip through `f64`.

use std::fmt;

macro_rules! graph_ids {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id exactly as Meta spells it.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id exactly as Meta spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Gives back the inner string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::error::GraphError;

            /// Parses an id typed by a person (a flag, a form field): it must be non-empty and
            /// free of characters that would change the request path.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(crate::error::GraphError::invalid_input(
                        stringify!($name),
                        "must not be empty",
                    ));
                }
                if trimmed.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '&')) {
                    return Err(crate::error::GraphError::invalid_input(
                        stringify!($name),
                        "must not contain whitespace, control characters, '/', '?', '#' or '&'",
                    ));
                }
                Ok(Self(trimmed.to_owned()))
            }
        }
    )+};
}

graph_ids! {
    /// An Instagram professional account (IG User) id, `17841…`.
    IgUserId;
    /// A media container id: what `POST /{ig-user-id}/media` returns, before publishing.
    ContainerId;
    /// A published IG Media id: what `media_publish` returns; never equal to the container id.
    MediaId;
    /// A Facebook Page id (also used as a `location_id`).
    PageId;
    /// A Meta app id.
    AppId;
    /// A Facebook user id.
    UserId;
    /// An Instagram comment id.
    CommentId;
}

/// Deserializes an optional id that Meta sometimes sends as a JSON number (graph-api.md §5.3:
/// the doc sample of `debug_token` shows `app_id` as a number, real responses give strings).
pub(crate) fn lenient_id<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: From<String>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(
        Option::<StringOrNumber>::deserialize(deserializer)?.map(|value| match value {
            StringOrNumber::Text(text) => T::from(text),
            StringOrNumber::Number(number) => T::from(number.to_string()),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_json_strings() {
        let id = IgUserId::new("17841400008460056");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"17841400008460056\"")
        );
        let back: Result<MediaId, _> = serde_json::from_str("\"17920238422030506\"");
        assert_eq!(back.ok(), Some(MediaId::new("17920238422030506")));
    }

    #[test]
    fn parsing_an_id_rejects_empty_text_and_path_characters() {
        assert!("".parse::<IgUserId>().is_err());
        assert!("  ".parse::<ContainerId>().is_err());
        assert!("123/media_publish".parse::<ContainerId>().is_err());
        assert!("123?x=1".parse::<MediaId>().is_err());
        assert_eq!(" 42 ".parse::<PageId>().ok(), Some(PageId::new("42")));
    }

    #[test]
    fn parse_error_names_the_id_kind() {
        let message = ""
            .parse::<IgUserId>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("IgUserId"), "{message}");
    }

    #[test]
    fn display_and_debug_show_the_id_and_its_kind() {
        let id = ContainerId::new("17889455560051444");
        assert_eq!(id.to_string(), "17889455560051444");
        assert_eq!(format!("{id:?}"), "ContainerId(\"17889455560051444\")");
    }
}
