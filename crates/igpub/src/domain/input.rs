//! The JSON a client sends to create a post: the shape only, not yet checked against
//! Instagram's rules. [`crate::domain::PostSpec::parse`] turns it into a valid post.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::media_item::MediaKind;
use super::post_kind::PostKind;
use super::reel::TrialParams;
use super::violation::{Rule, ValidationErrors, Violation};

/// A post as the HTTP API (`POST /v1/posts`), the CLI and the dashboard accept it.
///
/// Fields not listed here are refused by name. A blank optional text (`""`, `"  "`) means the
/// field is left out. The integration and the idempotency key travel outside the post.
///
/// ```json
/// {
///   "kind": "carousel",
///   "caption": "Our new collection, shot by @anna.k",
///   "hashtags": ["fashion", "#Autumn2026"],
///   "media": [
///     {"url": "https://cdn.example.com/1.jpg", "type": "image", "alt_text": "A red coat",
///      "user_tags": [{"username": "anna.k", "x": 0.4, "y": 0.7}]},
///     {"url": "https://cdn.example.com/2.mp4", "type": "video"}
///   ],
///   "location_id": "110123456789",
///   "collaborators": ["@studio.b"],
///   "first_comment": "Sizes XS to XL",
///   "publish_at": {"local": "2026-12-01T10:00", "time_zone": "Europe/Paris"},
///   "draft": false
/// }
/// ```
///
/// A reel adds `"reel": {"cover_url": "https://cdn.example.com/cover.jpg", "thumb_offset_ms":
/// 1500, "share_to_feed": true, "audio_name": "Studio B theme", "trial_params":
/// {"graduation_strategy": "MANUAL"}}`. `publish_at` is also `"now"` (the default) or an RFC 3339
/// instant like `"2026-12-01T09:00:00Z"`.
///
/// ```
/// use igpub::domain::{PostInput, PostKind};
///
/// let input = PostInput::from_json(r#"{"kind": "image", "media": [{"url": "https://cdn.example.com/a.jpg"}]}"#)?;
/// assert_eq!(input.kind, PostKind::Image);
/// # Ok::<(), igpub::domain::ValidationErrors>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "image",
    "caption": "Sunset over the bay",
    "hashtags": ["sunset", "travel"],
    "media": [{"url": "https://cdn.example.com/sunset.jpg", "type": "image", "alt_text": "An orange sun over a bay"}],
    "publish_at": {"local": "2026-12-01T10:00", "time_zone": "Europe/Paris"}
}))]
pub struct PostInput {
    /// What kind of post: `image`, `carousel`, `reel` or `story`.
    pub kind: PostKind,
    /// The caption text; not on stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Hashtags to append to the caption (a leading `#` is optional); repeats and tags already in
    /// the caption are dropped, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashtags: Option<Vec<String>>,
    /// The photos and videos: one for an image, a reel or a story; 2–10 for a carousel.
    pub media: Vec<MediaInput>,
    /// Reel options; reels only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reel: Option<ReelInput>,
    /// The numeric id of a Facebook Page with a location; not on stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// Up to 3 Instagram usernames invited as co-authors (`@` optional); not on stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaborators: Option<Vec<String>>,
    /// A comment to post under the post once it is live; not on stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_comment: Option<String>,
    /// When to publish; absent means now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<PublishAtInput>,
    /// Keep the post as a draft: containers are made, nothing is published until asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
}

/// One photo or video of a [`PostInput`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    /// Public http(s) URL of the file, US-ASCII only.
    pub url: String,
    /// `image` or `video`. When absent: the post kind tells (image post → image, reel → video),
    /// else the URL's extension (`.jpg`/`.jpeg`, `.mp4`/`.mov`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<MediaKind>,
    /// Alt text, up to 1,000 characters; images in the feed and in carousels only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// People tagged on the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTagInput>>,
}

/// A person tagged on a media item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserTagInput {
    /// Their Instagram username (`@` optional).
    pub username: String,
    /// From the left edge, 0.0–1.0; required on images, optional on videos and stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// From the top edge, 0.0–1.0; required on images, optional on videos and stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// Options of a reel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReelInput {
    /// A JPEG cover image URL; overrides `thumb_offset_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
    /// The thumbnail frame, in milliseconds from the start (≥ 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_offset_ms: Option<i64>,
    /// `true`: Feed and Reels tab; `false`: Reels tab only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_to_feed: Option<bool>,
    /// A name for the reel's original audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_name: Option<String>,
    /// Makes it a trial reel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_params: Option<TrialParams>,
}

/// When to publish: `"now"`, an RFC 3339 instant, or a local time with its IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PublishAtInput {
    /// `"now"` or an RFC 3339 instant with `Z` or an offset: `"2026-12-01T09:00:00Z"`.
    #[schema(example = "2026-12-01T09:00:00Z")]
    Text(String),
    /// A wall-clock time in a time zone.
    Local(LocalPublishAt),
}

/// A wall-clock time in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalPublishAt {
    /// The local date-time, without offset: `"2026-12-01T10:00"`.
    pub local: String,
    /// The IANA time zone name: `"Europe/Paris"`.
    pub time_zone: String,
}

// Hand-written rather than `untagged`, so a malformed object says which field is wrong instead of
// "data did not match any variant".
impl<'de> Deserialize<'de> for PublishAtInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PublishAtVisitor;

        impl<'de> Visitor<'de> for PublishAtVisitor {
            type Value = PublishAtInput;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"now\", an RFC 3339 instant, or {\"local\": …, \"time_zone\": …}")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(PublishAtInput::Text(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(PublishAtInput::Text(text))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                LocalPublishAt::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(PublishAtInput::Local)
            }
        }

        deserializer.deserialize_any(PublishAtVisitor)
    }
}

impl PostInput {
    /// Reads a post from JSON text. A shape error (bad JSON, a wrong type, an unknown field, a
    /// missing `kind` or `media`) comes back as one violation naming its JSON path.
    pub fn from_json(text: &str) -> Result<Self, ValidationErrors> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(shape_error)
    }

    /// Reads a post from a JSON value, as [`PostInput::from_json`] does.
    pub fn from_value(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        serde_path_to_error::deserialize(value).map_err(shape_error)
    }
}

fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> ValidationErrors {
    let path = error.path().to_string();
    let inner = error.inner();
    let detail = inner.to_string();
    // serde's messages are the only place the kind of shape error is told apart.
    let (field, rule) = if let Some(name) = quoted_after(&detail, "unknown field `") {
        (join_path(&path, &name), Rule::UnknownField)
    } else if let Some(name) = quoted_after(&detail, "missing field `") {
        (join_path(&path, &name), Rule::Required)
    } else {
        (path_or_root(&path), Rule::InvalidJson)
    };
    ValidationErrors::one(Violation::new(field, rule, strip_position(&detail)))
}

/// The name between `prefix` and the next backtick in `message`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.get(message.find(prefix)? + prefix.len()..)?;
    Some(rest.get(..rest.find('`')?)?.to_owned())
}

/// `path.name`, unless `path` already ends with `name` (or is the root).
fn join_path(path: &str, name: &str) -> String {
    let path = path_or_root(path);
    if path.is_empty() {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path
    } else {
        format!("{path}.{name}")
    }
}

/// serde_path_to_error writes the root as `.` and a place it could not follow as `?`; violations
/// name the deepest known field, the root being the empty path.
fn path_or_root(path: &str) -> String {
    path.trim_end_matches('?').trim_end_matches('.').to_owned()
}

/// serde_json's message without its " at line L column C" suffix: the field path says where.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use utoipa::PartialSchema;

    #[test]
    fn the_openapi_schema_lists_every_field_and_refuses_others() {
        let schema = serde_json::to_value(PostInput::schema()).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        for field in [
            "kind",
            "caption",
            "hashtags",
            "media",
            "reel",
            "location_id",
            "collaborators",
            "first_comment",
            "publish_at",
            "draft",
        ] {
            assert!(properties.contains_key(field), "{field} missing: {schema}");
        }
        assert_eq!(schema["additionalProperties"], json!(false), "{schema}");
        assert_eq!(schema["required"], json!(["kind", "media"]), "{schema}");
    }

    #[test]
    fn publish_at_reads_a_string_or_a_local_time_object() {
        let text: PublishAtInput = serde_json::from_value(json!("now")).unwrap();
        assert_eq!(text, PublishAtInput::Text("now".to_owned()));
        let local: PublishAtInput =
            serde_json::from_value(json!({"local": "2026-12-01T10:00", "time_zone": "UTC"}))
                .unwrap();
        assert_eq!(
            local,
            PublishAtInput::Local(LocalPublishAt {
                local: "2026-12-01T10:00".to_owned(),
                time_zone: "UTC".to_owned()
            })
        );
        assert_eq!(serde_json::to_value(&local).unwrap()["time_zone"], "UTC");
    }

    #[test]
    fn publish_at_refuses_a_number() {
        let error = serde_json::from_value::<PublishAtInput>(json!(5)).unwrap_err();
        assert!(error.to_string().contains("RFC 3339"), "{error}");
    }

    #[test]
    fn a_shape_error_does_not_echo_line_and_column() {
        let errors = PostInput::from_json(r#"{"kind": 3}"#).unwrap_err();
        let message = &errors.violations()[0].message;
        assert!(message.starts_with("kind: "), "{message}");
        assert!(!message.contains("line"), "{message}");
    }

    #[test]
    fn a_syntax_error_is_reported_at_the_root() {
        let errors = PostInput::from_json("{").unwrap_err();
        let violation = &errors.violations()[0];
        assert_eq!(violation.rule, Rule::InvalidJson);
        assert_eq!(violation.field, "");
        assert!(violation.message.starts_with("EOF"), "{violation}");
    }
}
