//! The events igpub announces to outbound webhooks, and the JSON body of each.
//!
//! ```json
//! {"id": "evt_01a2…", "type": "post.published", "created_at": "2026-11-29T11:20:14.512Z",
//!  "data": {"post": {"id": "…", "integration_id": "…", "kind": "image", "state": "published",
//!   "run_at": "…", "published_at": "…", "media_id": "1790…", "permalink": "https://…"}}}
//! ```
//! A `post.failed` post carries `failure` (Meta's code, subcode and words, and ours); an
//! `integration.needs_reconnect` event carries `data.integration` with `last_error`.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::store::{Integration, Post, PostState};

/// A kind of event a webhook can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum EventType {
    /// A post went live on Instagram.
    #[serde(rename = "post.published")]
    PostPublished,
    /// A post failed for good (Meta's words and ours are in `failure`).
    #[serde(rename = "post.failed")]
    PostFailed,
    /// A post waits for its integration to be reconnected.
    #[serde(rename = "post.held")]
    PostHeld,
    /// An integration's token stopped working; the account must be reconnected.
    #[serde(rename = "integration.needs_reconnect")]
    IntegrationNeedsReconnect,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 4] = [
        Self::PostPublished,
        Self::PostFailed,
        Self::PostHeld,
        Self::IntegrationNeedsReconnect,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PostPublished => "post.published",
            Self::PostFailed => "post.failed",
            Self::PostHeld => "post.held",
            Self::IntegrationNeedsReconnect => "integration.needs_reconnect",
        }
    }

    /// The event a post reaching `state` announces, if any.
    pub fn for_post_state(state: PostState) -> Option<Self> {
        match state {
            PostState::Published => Some(Self::PostPublished),
            PostState::Failed => Some(Self::PostFailed),
            PostState::Held => Some(Self::PostHeld),
            _ => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an event; use post.published, post.failed, post.held or integration.needs_reconnect"
)]
pub struct UnknownEvent(pub String);

impl FromStr for EventType {
    type Err = UnknownEvent;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|event| event.as_str() == text)
            .ok_or_else(|| UnknownEvent(text.chars().take(64).collect()))
    }
}

/// A new event id: `evt_` and a time-ordered UUID.
pub fn new_event_id() -> String {
    format!("evt_{}", uuid::Uuid::now_v7().simple())
}

/// The body announcing that `post` reached the state of `event`.
pub fn post_event_body(
    id: &str,
    event: EventType,
    at: Timestamp,
    post: &Post,
) -> serde_json::Value {
    json!({
        "id": id,
        "type": event.as_str(),
        "created_at": at,
        "data": {
            "post": {
                "id": post.id,
                "integration_id": post.integration_id,
                "ig_user_id": post.ig_user_id,
                "kind": post.kind.as_str(),
                "state": post.state,
                "run_at": post.run_at,
                "time_zone": post.time_zone,
                "published_at": post.published_at,
                "media_id": post.media_id,
                "permalink": post.permalink,
                "failure": post.failure,
            }
        }
    })
}

/// The body announcing that `integration` needs reconnecting.
pub fn integration_event_body(
    id: &str,
    at: Timestamp,
    integration: &Integration,
) -> serde_json::Value {
    json!({
        "id": id,
        "type": EventType::IntegrationNeedsReconnect.as_str(),
        "created_at": at,
        "data": {
            "integration": {
                "id": integration.id,
                "ig_user_id": integration.metadata.ig_user_id,
                "ig_username": integration.metadata.ig_username,
                "status": "needs_reconnect",
                "last_error": integration.last_error,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_parse_back_and_unknown_ones_are_named() {
        for event in EventType::ALL {
            assert_eq!(event.as_str().parse::<EventType>(), Ok(event));
            assert_eq!(
                serde_json::to_value(event).unwrap_or_default(),
                serde_json::Value::String(event.as_str().to_owned())
            );
        }
        let error = "post.deleted".parse::<EventType>().expect_err("unknown");
        assert!(error.to_string().contains("post.deleted"));
    }

    #[test]
    fn only_published_failed_and_held_posts_are_announced() {
        let announced: Vec<_> = PostState::ALL
            .into_iter()
            .filter_map(EventType::for_post_state)
            .collect();
        assert_eq!(
            announced,
            [
                EventType::PostPublished,
                EventType::PostFailed,
                EventType::PostHeld
            ]
        );
    }
}
