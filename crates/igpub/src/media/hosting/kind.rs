//! The kinds of file igpub hosts, recognised from their bytes (never from a file name).

use serde::{Deserialize, Serialize};

use crate::media::preflight::{SniffedFormat, sniff};

/// A hosted file's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// `image/jpeg`, `.jpg`
    Jpeg,
    /// `image/png`, `.png` (kept as an original; Meta needs the JPEG made from it)
    Png,
    /// `image/webp`, `.webp` (kept as an original)
    Webp,
    /// `video/mp4`, `.mp4`
    Mp4,
    /// `video/quicktime`, `.mov`
    Mov,
}

impl MediaKind {
    /// Recognise the kind from the first bytes.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        match sniff(bytes) {
            SniffedFormat::Jpeg | SniffedFormat::ExtendedJpeg(_) => Some(MediaKind::Jpeg),
            SniffedFormat::OtherImage(name) if name == "PNG" => Some(MediaKind::Png),
            SniffedFormat::OtherImage(name) if name == "WebP" => Some(MediaKind::Webp),
            SniffedFormat::Video => Some(if bytes.get(8..12) == Some(b"qt  ".as_slice()) {
                MediaKind::Mov
            } else {
                MediaKind::Mp4
            }),
            _ => None,
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Webp => "webp",
            MediaKind::Mp4 => "mp4",
            MediaKind::Mov => "mov",
        }
    }

    /// The kind an extension names (`jpeg` is accepted for `jpg`).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "jpg" | "jpeg" => Some(MediaKind::Jpeg),
            "png" => Some(MediaKind::Png),
            "webp" => Some(MediaKind::Webp),
            "mp4" => Some(MediaKind::Mp4),
            "mov" => Some(MediaKind::Mov),
            _ => None,
        }
    }

    /// The Content-Type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Webp => "image/webp",
            MediaKind::Mp4 => "video/mp4",
            MediaKind::Mov => "video/quicktime",
        }
    }

    /// Whether it is a video.
    pub fn is_video(self) -> bool {
        matches!(self, MediaKind::Mp4 | MediaKind::Mov)
    }
}
