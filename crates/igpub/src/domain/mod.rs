//! Domain types that parse, never merely validate: captions, hashtags, media URLs, post specs.
//!
//! A value of one of these types exists only if it obeys Instagram's publishing rules
//! (`shared/graph-api.md` §2), so code that holds a [`PostSpec`] never checks it again. Input
//! arrives as a [`PostInput`] (the JSON of `POST /v1/posts`, the CLI and the dashboard), and
//! [`PostSpec::parse`] turns it into a post or into [`ValidationErrors`] listing every broken rule
//! at once, each with its JSON path, a machine-readable [`Rule`] and a sentence for a person.
//!
//! ```
//! use igpub::domain::{PostSpec, Rule};
//!
//! let now: jiff::Timestamp = "2026-11-29T12:00:00Z".parse()?;
//! let errors = PostSpec::parse_json(
//!     r#"{"kind": "carousel", "media": [{"url": "https://cdn.example.com/a.jpg"}],
//!         "publish_at": "2026-11-28T12:00:00Z"}"#,
//!     now,
//! )
//! .unwrap_err();
//! let found: Vec<(&str, Rule)> = errors.violations().iter().map(|v| (v.field.as_str(), v.rule)).collect();
//! assert_eq!(found, [("media", Rule::TooFewMedia), ("publish_at", Rule::InThePast)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything here is pure: no I/O, no clock (callers pass `now`). Reachability and content of
//! media URLs are checked by `crate::media`.

mod caption;
mod fingerprint;
mod first_comment;
mod hashtag;
mod input;
pub mod limits;
mod location;
mod media_item;
mod media_url;
mod parse_post;
mod post_kind;
mod post_spec;
mod reel;
mod schedule;
pub mod tokens;
mod user_tag;
mod username;
mod violation;

pub use caption::{Caption, CaptionError};
pub use fingerprint::CaptionFingerprint;
pub use first_comment::{FirstComment, FirstCommentError};
pub use hashtag::{Hashtag, HashtagError, HashtagList, HashtagListError};
pub use input::{LocalPublishAt, MediaInput, PostInput, PublishAtInput, ReelInput, UserTagInput};
pub use location::{LocationId, LocationIdError};
pub use media_item::{AltText, AltTextError, MediaItem, MediaKind};
pub use media_url::{MediaUrl, MediaUrlError};
pub use post_kind::PostKind;
pub use post_spec::PostSpec;
pub use reel::{
    AudioName, BlankAudioName, GraduationStrategy, NegativeThumbOffset, ReelOptions, ThumbOffset,
    TrialParams,
};
pub use schedule::{PAST_GRACE, Schedule, ScheduleError};
pub use user_tag::{Axis, TagPosition, UserTag, UserTagError};
pub use username::{Collaborators, CollaboratorsError, Username, UsernameError};
pub use violation::{Fault, Problems, Rule, ValidationErrors, Violation};
