//! Event notifications: the signed POST body, parsed into typed events without ever failing
//! on a field Meta adds (graph-api.md §8.2).

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical::write_canonical;
use super::story_insights::StoryInsightsEvent;

/// A delivery: every change of every entry, flattened, in the order Meta sent them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// The object subscribed to; `instagram` for igpub's subscriptions.
    pub object: String,
    /// The changes.
    pub changes: Vec<NotificationChange>,
}

/// One change, with the entry it came in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationChange {
    /// The entry's id: the Instagram account the change is about.
    pub entry_id: String,
    /// The entry's time, Unix seconds.
    pub time: i64,
    /// The subscribed field (`comments`, `mentions`, `story_insights`, …).
    pub field: String,
    /// The value exactly as parsed, kept for audit and for fields igpub does not model.
    pub value: Value,
    /// The typed event.
    pub event: Event,
}

/// A change as igpub understands it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A comment on a media item.
    Comment(CommentEvent),
    /// A comment on a live video.
    LiveComment(CommentEvent),
    /// A mention in a caption or a comment.
    Mention(MentionEvent),
    /// A story's final insights, sent when it expires.
    StoryInsights(StoryInsightsEvent),
    /// A field igpub does not model; the raw value is in the change.
    Other,
    /// A known field whose value did not have the documented shape; the raw value is kept.
    Malformed {
        /// What was wrong, with the JSON path.
        reason: String,
    },
}

/// A `comments` or `live_comments` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEvent {
    /// The comment id.
    pub id: String,
    /// The comment text.
    #[serde(default)]
    pub text: Option<String>,
    /// The author.
    #[serde(default)]
    pub from: Option<CommentAuthor>,
    /// The media commented on.
    #[serde(default)]
    pub media: Option<CommentMedia>,
    /// The comment replied to, for replies.
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAuthor {
    /// Their Instagram-scoped id.
    pub id: String,
    /// Their username.
    #[serde(default)]
    pub username: Option<String>,
}

/// The media a comment is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentMedia {
    /// The media id.
    pub id: String,
    /// `FEED`, `REELS`, `STORY`, … as Meta sent it.
    #[serde(default)]
    pub media_product_type: Option<String>,
}

/// A `mentions` value: a caption mention, or a comment mention when `comment_id` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionEvent {
    /// The media the mention is in.
    pub media_id: String,
    /// The comment the mention is in, for comment mentions.
    #[serde(default)]
    pub comment_id: Option<String>,
}

/// A body that is not a notification at all.
#[derive(Debug, thiserror::Error)]
#[error("webhook body is not a valid notification: {0}")]
pub struct NotificationError(String);

/// A stable identity for one change, so a repeated delivery is counted once: the SHA-256 of
/// the entry id, the entry time, the field and the canonical value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// The key as 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl NotificationChange {
    /// The change's dedupe key; equal for every delivery of the same change, whatever the
    /// key order, whitespace or escaping of the body.
    pub fn dedupe_key(&self) -> DedupeKey {
        let mut canonical = String::new();
        write_canonical(&self.value, &mut canonical);
        let mut hasher = Sha256::new();
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        for part in [
            self.entry_id.as_str(),
            &self.time.to_string(),
            self.field.as_str(),
            canonical.as_str(),
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        DedupeKey(hex::encode(hasher.finalize()))
    }
}

#[derive(Deserialize)]
struct WireNotification {
    object: String,
    #[serde(default)]
    entry: Vec<WireEntry>,
}

#[derive(Deserialize)]
struct WireEntry {
    #[serde(deserialize_with = "string_or_integer")]
    id: String,
    time: i64,
    // Messaging entries carry `messaging` instead; they are out of scope (§8.2).
    #[serde(default)]
    changes: Vec<WireChange>,
}

#[derive(Deserialize)]
struct WireChange {
    field: String,
    #[serde(default)]
    value: Value,
}

/// Parses a delivery's raw body. Only a body that is not JSON, or lacks `object`, an entry's
/// `id`/`time` or a change's `field`, is an error, with the JSON path; an unknown field name
/// becomes [`Event::Other`] and a known field with an odd value [`Event::Malformed`], so one
/// strange change never loses the others.
pub fn parse_notification(raw_body: &[u8]) -> Result<Notification, NotificationError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(raw_body);
    let wire: WireNotification = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| NotificationError(e.to_string()))?;
    let changes = wire
        .entry
        .into_iter()
        .flat_map(|entry| {
            let WireEntry { id, time, changes } = entry;
            changes.into_iter().map(move |change| NotificationChange {
                entry_id: id.clone(),
                time,
                event: typed_event(&change.field, &change.value),
                field: change.field,
                value: change.value,
            })
        })
        .collect();
    Ok(Notification {
        object: wire.object,
        changes,
    })
}

fn typed_event(field: &str, value: &Value) -> Event {
    match field {
        "comments" => typed(value, Event::Comment),
        "live_comments" => typed(value, Event::LiveComment),
        "mentions" => typed(value, Event::Mention),
        "story_insights" => match StoryInsightsEvent::from_value(value) {
            Ok(event) => Event::StoryInsights(event),
            Err(reason) => Event::Malformed { reason },
        },
        _ => Event::Other,
    }
}

fn typed<T: DeserializeOwned>(value: &Value, wrap: impl FnOnce(T) -> Event) -> Event {
    match serde_path_to_error::deserialize(value) {
        Ok(parsed) => wrap(parsed),
        Err(e) => Event::Malformed {
            reason: e.to_string(),
        },
    }
}

/// Ids are strings in Meta's JSON (graph-api.md conventions), but an integer id is taken as
/// its digits rather than refused.
fn string_or_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(deserializer)? {
        Id::Text(text) => text,
        Id::Number(n) => n.to_string(),
    })
}
