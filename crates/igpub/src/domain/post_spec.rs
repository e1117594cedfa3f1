//! A post that obeys every publishing rule of graph-api.md §2, ready to be stored and published.

use jiff::Timestamp;

use super::caption::Caption;
use super::fingerprint::CaptionFingerprint;
use super::first_comment::FirstComment;
use super::input::{MediaInput, PostInput, ReelInput, UserTagInput};
use super::location::LocationId;
use super::media_item::MediaItem;
use super::parse_post;
use super::post_kind::PostKind;
use super::reel::ReelOptions;
use super::schedule::Schedule;
use super::username::Collaborators;
use super::violation::ValidationErrors;

/// A valid post. The only way to get one is [`PostSpec::parse`], so one that exists obeys every
/// rule: a caption within limits (none on a story), the right number and types of media for its
/// kind, alt text on images only, at most 3 collaborators (none on a story), reel options only on
/// a reel, a publish time that is not in the past.
///
/// ```
/// use igpub::domain::{PostInput, PostSpec, PostKind};
///
/// let now: jiff::Timestamp = "2026-11-29T12:00:00Z".parse()?;
/// let input = PostInput::from_json(r##"{
///     "kind": "image",
///     "caption": "Sunset over the bay",
///     "hashtags": ["sunset", "#Travel"],
///     "media": [{"url": "https://cdn.example.com/sunset.jpg", "alt_text": "An orange sun"}],
///     "publish_at": {"local": "2026-12-01T10:00", "time_zone": "Europe/Paris"}
/// }"##)?;
/// let post = PostSpec::parse(input, now)?;
/// assert_eq!(post.kind(), PostKind::Image);
/// assert_eq!(post.caption_text(), Some("Sunset over the bay\n\n#sunset #Travel"));
/// assert_eq!(post.run_at().to_string(), "2026-12-01T09:00:00Z");
/// assert_eq!(post.time_zone(), Some("Europe/Paris"));
///
/// // Every problem at once, each naming its field and rule.
/// let input = PostInput::from_json(r#"{
///     "kind": "story",
///     "caption": "Hi",
///     "collaborators": ["anna"],
///     "media": [{"url": "ftp://example.com/a.jpg"}]
/// }"#)?;
/// let errors = PostSpec::parse(input, now).unwrap_err();
/// let fields: Vec<&str> = errors.violations().iter().map(|v| v.field.as_str()).collect();
/// assert_eq!(fields, ["caption", "media[0].url", "collaborators"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PostSpec {
    pub(super) kind: PostKind,
    pub(super) caption: Option<Caption>,
    pub(super) media: Vec<MediaItem>,
    pub(super) reel: Option<ReelOptions>,
    pub(super) location: Option<LocationId>,
    pub(super) collaborators: Collaborators,
    pub(super) first_comment: Option<FirstComment>,
    pub(super) schedule: Schedule,
    pub(super) draft: bool,
}

impl PostSpec {
    /// Checks `input` against every rule and returns the post, or every violation at once.
    ///
    /// `now` is the current time, passed in so parsing stays pure: a publish time more than
    /// [`crate::domain::PAST_GRACE`] before it is refused, and `"now"` (or no `publish_at`)
    /// means it.
    pub fn parse(input: PostInput, now: Timestamp) -> Result<Self, ValidationErrors> {
        parse_post::parse(input, now)
    }

    /// Reads JSON text and parses it: [`PostInput::from_json`] then [`PostSpec::parse`].
    pub fn parse_json(text: &str, now: Timestamp) -> Result<Self, ValidationErrors> {
        Self::parse(PostInput::from_json(text)?, now)
    }

    /// The input that parses back into this post (with the same `now`).
    ///
    /// The caption comes back whole, with the hashtags already appended, and `hashtags` is left
    /// out; media types, the publish time and the draft flag are always spelled out.
    ///
    /// To store a post and read it back later, keep this input with the `now` it was first parsed
    /// at and parse it again with that same `now`: with a later `now` its publish time may have
    /// become "in the past". An edit (a new `now`) must pass the rules again, as it should.
    pub fn to_input(&self) -> PostInput {
        PostInput {
            kind: self.kind,
            caption: self.caption.as_ref().map(|c| c.as_str().to_owned()),
            hashtags: None,
            media: self.media.iter().map(media_input).collect(),
            reel: self.reel.as_ref().map(reel_input),
            location_id: self.location.as_ref().map(|l| l.as_str().to_owned()),
            collaborators: (!self.collaborators.is_empty()).then(|| {
                self.collaborators
                    .usernames()
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            }),
            first_comment: self.first_comment.as_ref().map(|c| c.as_str().to_owned()),
            publish_at: Some(self.schedule.to_input()),
            draft: Some(self.draft),
        }
    }

    /// What kind of post this is.
    pub fn kind(&self) -> PostKind {
        self.kind
    }

    /// The caption (with appended hashtags); `None` for stories and posts without one.
    pub fn caption(&self) -> Option<&Caption> {
        self.caption.as_ref()
    }

    /// The full caption text as sent to Meta's `caption` parameter.
    pub fn caption_text(&self) -> Option<&str> {
        self.caption.as_ref().map(Caption::as_str)
    }

    /// Hashtags in the full caption (0 without one).
    pub fn hashtag_count(&self) -> usize {
        self.caption.as_ref().map_or(0, Caption::hashtag_count)
    }

    /// @mentions in the full caption (0 without one).
    pub fn mention_count(&self) -> usize {
        self.caption.as_ref().map_or(0, Caption::mention_count)
    }

    /// The fingerprint of the caption (of the empty caption when there is none), to find the
    /// published media among recent media after an ambiguous publish.
    pub fn caption_fingerprint(&self) -> CaptionFingerprint {
        CaptionFingerprint::of(self.caption_text().unwrap_or_default())
    }

    /// The photos and videos, in order: one, or 2–10 for a carousel.
    pub fn media(&self) -> &[MediaItem] {
        &self.media
    }

    /// The reel options (reels only; `None` when none were given).
    pub fn reel(&self) -> Option<&ReelOptions> {
        self.reel.as_ref()
    }

    /// The location (never on stories).
    pub fn location(&self) -> Option<&LocationId> {
        self.location.as_ref()
    }

    /// The collaborators (never on stories); their usernames carry no `@`.
    pub fn collaborators(&self) -> &Collaborators {
        &self.collaborators
    }

    /// The comment to post once the post is live (never on stories).
    pub fn first_comment(&self) -> Option<&FirstComment> {
        self.first_comment.as_ref()
    }

    /// When the post is due, as given.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The UTC instant the post is due at.
    pub fn run_at(&self) -> Timestamp {
        self.schedule.run_at()
    }

    /// The IANA time zone the publish time was given in, if any.
    pub fn time_zone(&self) -> Option<&str> {
        self.schedule.time_zone()
    }

    /// Whether the post is kept as a draft until someone publishes it.
    pub fn is_draft(&self) -> bool {
        self.draft
    }
}

fn media_input(item: &MediaItem) -> MediaInput {
    let user_tags: Vec<UserTagInput> = item
        .user_tags()
        .iter()
        .map(|tag| UserTagInput {
            username: tag.username().as_str().to_owned(),
            x: tag.position().map(|p| p.x()),
            y: tag.position().map(|p| p.y()),
        })
        .collect();
    MediaInput {
        url: item.url().as_str().to_owned(),
        kind: Some(item.kind()),
        alt_text: item.alt_text().map(|a| a.as_str().to_owned()),
        user_tags: (!user_tags.is_empty()).then_some(user_tags),
    }
}

fn reel_input(reel: &ReelOptions) -> ReelInput {
    ReelInput {
        cover_url: reel.cover_url().map(|u| u.as_str().to_owned()),
        thumb_offset_ms: reel
            .thumb_offset()
            .map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX)),
        share_to_feed: reel.share_to_feed(),
        audio_name: reel.audio_name().map(|a| a.as_str().to_owned()),
        trial_params: reel.trial_params(),
    }
}
