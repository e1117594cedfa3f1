//! What a pre-flight check says: problems (errors block scheduling, warnings are shown) and
//! the facts measured, per item and per post.

use std::fmt;

use serde::Serialize;

/// The role a media item plays in a post; it decides which rules apply (graph-api.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaRole {
    /// A single-image feed post.
    FeedImage,
    /// An image child of a carousel.
    CarouselImage,
    /// A video child of a carousel (follows the reel rules).
    CarouselVideo,
    /// A story image.
    StoryImage,
    /// A story video.
    StoryVideo,
    /// A reel's video.
    Reel,
    /// A reel's `cover_url` (checked like a JPEG image, 9:16 recommended).
    ReelCover,
}

impl MediaRole {
    /// Whether Meta fetches this item as `video_url` (otherwise `image_url` / `cover_url`).
    pub fn is_video(self) -> bool {
        matches!(
            self,
            MediaRole::CarouselVideo | MediaRole::StoryVideo | MediaRole::Reel
        )
    }
}

/// One media URL to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaCheckRequest {
    /// The item's position as the user sees it (1-based); a reel's cover shares its reel's.
    pub index: usize,
    /// The URL Meta will be given.
    pub url: String,
    /// What the item is.
    pub role: MediaRole,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks scheduling: Meta would fail the post.
    Error,
    /// Shown to the user; Meta would accept the item, perhaps altered.
    Warning,
}

/// Which rule a problem comes from. The serialized names are stable API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// http/https, ASCII only, no credentials.
    UrlShape,
    /// The host (or a redirect's host) must resolve only to public addresses.
    PublicHost,
    /// Redirects: Meta's crawler does not follow them (graph-api.md §10).
    Redirects,
    /// The fetch must complete (connect, time, answer).
    Fetch,
    /// The answer must be 200 or 206.
    HttpStatus,
    /// robots.txt should not disallow facebookexternalhit.
    RobotsTxt,
    /// The Content-Type header should match the bytes.
    ContentType,
    /// JPEG only for images.
    ImageFormat,
    /// Images at most 8 MiB.
    ImageFileSize,
    /// Feed and carousel images between 4:5 and 1.91:1.
    AspectRatio,
    /// 9:16 recommended for stories and reel covers.
    RecommendedAspectRatio,
    /// Widths outside 320–1440 are rescaled by Meta.
    ImageWidth,
    /// MP4 or MOV container, readable.
    VideoContainer,
    /// moov atom before mdat.
    MoovAtFront,
    /// No edit lists.
    EditList,
    /// H.264 or HEVC video.
    VideoCodec,
    /// AAC audio.
    AudioCodec,
    /// AAC at most 48 kHz.
    AudioSampleRate,
    /// Duration bounds per role.
    VideoDuration,
    /// File size bounds per role.
    VideoFileSize,
    /// 23–60 frames per second.
    FrameRate,
    /// At most 1920 columns.
    VideoWidth,
    /// Aspect ratio bounds per role.
    VideoAspectRatio,
}

impl Rule {
    /// The stable name, as serialized.
    pub fn name(self) -> &'static str {
        match self {
            Rule::UrlShape => "url_shape",
            Rule::PublicHost => "public_host",
            Rule::Redirects => "redirects",
            Rule::Fetch => "fetch",
            Rule::HttpStatus => "http_status",
            Rule::RobotsTxt => "robots_txt",
            Rule::ContentType => "content_type",
            Rule::ImageFormat => "image_format",
            Rule::ImageFileSize => "image_file_size",
            Rule::AspectRatio => "aspect_ratio",
            Rule::RecommendedAspectRatio => "recommended_aspect_ratio",
            Rule::ImageWidth => "image_width",
            Rule::VideoContainer => "video_container",
            Rule::MoovAtFront => "moov_at_front",
            Rule::EditList => "edit_list",
            Rule::VideoCodec => "video_codec",
            Rule::AudioCodec => "audio_codec",
            Rule::AudioSampleRate => "audio_sample_rate",
            Rule::VideoDuration => "video_duration",
            Rule::VideoFileSize => "video_file_size",
            Rule::FrameRate => "frame_rate",
            Rule::VideoWidth => "video_width",
            Rule::VideoAspectRatio => "video_aspect_ratio",
        }
    }

    /// The (code, subcode) Meta answers when this rule is broken (graph-api.md §6.3), so the
    /// user can match our warning with what peers' tools show after the fact.
    pub fn meta_error(self) -> Option<(i64, i64)> {
        match self {
            Rule::UrlShape
            | Rule::PublicHost
            | Rule::Redirects
            | Rule::Fetch
            | Rule::HttpStatus
            | Rule::RobotsTxt => Some((9004, 2207052)),
            Rule::ImageFileSize => Some((36000, 2207004)),
            Rule::ImageFormat => Some((36001, 2207005)),
            Rule::AspectRatio => Some((36003, 2207009)),
            Rule::VideoContainer
            | Rule::MoovAtFront
            | Rule::EditList
            | Rule::VideoCodec
            | Rule::AudioCodec
            | Rule::AudioSampleRate
            | Rule::VideoDuration
            | Rule::VideoFileSize
            | Rule::FrameRate
            | Rule::VideoWidth
            | Rule::VideoAspectRatio => Some((352, 2207026)),
            Rule::ContentType | Rule::RecommendedAspectRatio | Rule::ImageWidth => None,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The rule broken.
    pub rule: Rule,
    /// A sentence naming the item (index and URL), the rule and the measured value.
    pub message: String,
    /// The measured value alone, for display in a table (e.g. `"3.00:1"`, `"PNG"`).
    pub measured: Option<String>,
}

/// What the fetch and the parsers measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediaFacts {
    /// The URL that answered, after redirects.
    pub final_url: Option<String>,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The Content-Type header.
    pub content_type: Option<String>,
    /// The file size in bytes, when the server told it.
    pub size: Option<u64>,
    /// The format read from the bytes (`JPEG`, `PNG`, `MP4`, …).
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Video duration in seconds.
    pub duration_secs: Option<f64>,
    /// Video codec four-character code.
    pub video_codec: Option<String>,
    /// Audio codec four-character code.
    pub audio_codec: Option<String>,
    /// Average frames per second.
    pub frame_rate: Option<f64>,
    /// Audio sample rate in Hz.
    pub audio_sample_rate: Option<u32>,
}

/// The verdict on one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemReport {
    /// The item's index, as requested.
    pub index: usize,
    /// The URL checked.
    pub url: String,
    /// The role it was checked for.
    pub role: MediaRole,
    /// Everything wrong with it, errors first.
    pub problems: Vec<Problem>,
    /// What was measured.
    pub facts: MediaFacts,
}

impl ItemReport {
    /// Whether any problem blocks scheduling.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// The problems of one severity.
    pub fn problems_of(&self, severity: Severity) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.severity == severity)
    }

    /// The first problem for `rule`, if any.
    pub fn problem(&self, rule: Rule) -> Option<&Problem> {
        self.problems.iter().find(|p| p.rule == rule)
    }
}

/// The verdict on a whole post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightReport {
    /// One report per requested item, in request order.
    pub items: Vec<ItemReport>,
}

impl PreflightReport {
    /// Whether the post may be scheduled: no item has an error.
    pub fn passes(&self) -> bool {
        !self.items.iter().any(ItemReport::has_errors)
    }

    /// Every problem of one severity across the items.
    pub fn problems_of(&self, severity: Severity) -> impl Iterator<Item = &Problem> {
        self.items.iter().flat_map(move |i| i.problems_of(severity))
    }
}

/// Collects problems for one item, phrasing every message with the item's name.
#[derive(Debug)]
pub(crate) struct Findings {
    subject: String,
    pub(crate) problems: Vec<Problem>,
}

impl Findings {
    pub(crate) fn new(request: &MediaCheckRequest) -> Self {
        let what = if request.role == MediaRole::ReelCover {
            " cover"
        } else {
            ""
        };
        Self {
            subject: format!("item {}{what} ({})", request.index, request.url),
            problems: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, rule: Rule, measured: Option<String>, text: impl fmt::Display) {
        self.push(Severity::Error, rule, measured, text);
    }

    pub(crate) fn warning(
        &mut self,
        rule: Rule,
        measured: Option<String>,
        text: impl fmt::Display,
    ) {
        self.push(Severity::Warning, rule, measured, text);
    }

    fn push(
        &mut self,
        severity: Severity,
        rule: Rule,
        measured: Option<String>,
        text: impl fmt::Display,
    ) {
        let message = format!("{}: {text}", self.subject);
        self.problems.push(Problem {
            severity,
            rule,
            message,
            measured,
        });
    }

    pub(crate) fn into_sorted(mut self) -> Vec<Problem> {
        // Stable: errors first, each group in the order found.
        self.problems.sort_by_key(|p| p.severity);
        self.problems
    }
}
