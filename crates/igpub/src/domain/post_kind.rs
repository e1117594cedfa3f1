//! The four kinds of Instagram post igpub publishes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of post: a single image, a carousel, a reel or a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// One photo in the feed.
    Image,
    /// 2–10 photos or videos in the feed, swiped through.
    Carousel,
    /// One vertical video (Meta's `media_type=REELS`).
    Reel,
    /// One photo or video shown for 24 hours (Meta's `media_type=STORIES`).
    Story,
}

impl PostKind {
    /// `"image"`, `"carousel"`, `"reel"` or `"story"`, as in the JSON input.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Image => "image",
            PostKind::Carousel => "carousel",
            PostKind::Reel => "reel",
            PostKind::Story => "story",
        }
    }

    /// The kind named with its article, for messages: "an image post", "a story".
    pub(crate) fn described(self) -> &'static str {
        match self {
            PostKind::Image => "an image post",
            PostKind::Carousel => "a carousel",
            PostKind::Reel => "a reel",
            PostKind::Story => "a story",
        }
    }
}

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
