//! Meta's webhooks, the pure parts (graph-api.md §8): the verification handshake, the
//! signature over the raw body, typed events, and a key that recognises a repeated delivery.

mod canonical;
mod handshake;
mod notification;
mod signature;
mod story_insights;

pub use handshake::{HandshakeError, verify_handshake};
pub use notification::{
    CommentAuthor, CommentEvent, CommentMedia, DedupeKey, Event, MentionEvent, Notification,
    NotificationChange, NotificationError, parse_notification,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, sign_body, verify_signature};
pub use story_insights::{StoryInsightsEvent, StoryMetricRow};
