//! One photo or video of a post, with its alt text and user tags.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::limits::ALT_TEXT_MAX_CHARS;
use super::media_url::MediaUrl;
use super::user_tag::UserTag;
use super::violation::{Fault, Rule, grouped};

/// Whether a media item is a photo or a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A JPEG photo (Meta's `image_url`).
    Image,
    /// A video (Meta's `video_url`).
    Video,
}

impl MediaKind {
    /// `"image"` or `"video"`, as in the JSON input.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }

    /// The kind a URL's file extension shows, for items whose `type` is not given.
    pub(crate) fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            // graph-api.md §2.2 ("JPEG is the only image format supported")
            "jpg" | "jpeg" => Some(MediaKind::Image),
            // graph-api.md §2.3 (Reels: "MOV or MP4")
            "mp4" | "mov" => Some(MediaKind::Video),
            _ => None,
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A description of an image for people who use screen readers: 1–1,000 characters (Unicode
/// scalar values), not blank.
// graph-api.md §2.2 (`alt_text`: images only, "Up to 1000 characters")
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AltText(String);

/// Why a text is not alt text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AltTextError {
    /// Nothing but whitespace.
    #[error("alt text is blank; leave it out or describe the image")]
    Empty,
    /// More characters than Instagram allows.
    #[error(
        "alt text is {} characters; Instagram allows at most {}",
        grouped(*chars),
        grouped(ALT_TEXT_MAX_CHARS)
    )]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
}

impl Fault for AltTextError {
    fn rule(&self) -> Rule {
        match self {
            AltTextError::Empty => Rule::Empty,
            AltTextError::TooLong { .. } => Rule::MaxLength,
        }
    }
}

impl AltText {
    /// Checks `text` as alt text; it is kept as written.
    pub fn parse(text: &str) -> Result<Self, AltTextError> {
        if text.trim().is_empty() {
            return Err(AltTextError::Empty);
        }
        let chars = text.chars().count();
        if chars > ALT_TEXT_MAX_CHARS {
            return Err(AltTextError::TooLong { chars });
        }
        Ok(Self(text.to_owned()))
    }

    /// The alt text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One photo or video of a post. Only [`crate::domain::PostSpec::parse`] makes one, so its alt
/// text and tags always suit its kind and the kind of the post.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaItem {
    url: MediaUrl,
    kind: MediaKind,
    alt_text: Option<AltText>,
    user_tags: Vec<UserTag>,
}

impl MediaItem {
    pub(crate) fn new(
        url: MediaUrl,
        kind: MediaKind,
        alt_text: Option<AltText>,
        user_tags: Vec<UserTag>,
    ) -> Self {
        Self {
            url,
            kind,
            alt_text,
            user_tags,
        }
    }

    /// Where Meta fetches the file from.
    pub fn url(&self) -> &MediaUrl {
        &self.url
    }

    /// Photo or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// The alt text (images in the feed and in carousels only).
    pub fn alt_text(&self) -> Option<&AltText> {
        self.alt_text.as_ref()
    }

    /// The people tagged on the item.
    pub fn user_tags(&self) -> &[UserTag] {
        &self.user_tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_text_of_1000_characters_is_accepted_and_1001_refused() {
        assert!(AltText::parse(&"é".repeat(1_000)).is_ok());
        let error = AltText::parse(&"é".repeat(1_001)).unwrap_err();
        assert_eq!(error, AltTextError::TooLong { chars: 1_001 });
        assert_eq!(
            error.to_string(),
            "alt text is 1,001 characters; Instagram allows at most 1,000"
        );
    }

    #[test]
    fn blank_alt_text_is_refused() {
        assert_eq!(AltText::parse(" \n"), Err(AltTextError::Empty));
    }

    #[test]
    fn jpeg_and_mp4_extensions_tell_the_media_kind() {
        assert_eq!(MediaKind::from_extension("jpeg"), Some(MediaKind::Image));
        assert_eq!(MediaKind::from_extension("mov"), Some(MediaKind::Video));
        assert_eq!(MediaKind::from_extension("png"), None);
    }
}
