//! Options only a reel takes: cover, thumbnail frame, feed sharing, audio name, trial.

use serde::{Deserialize, Serialize};

use super::media_url::MediaUrl;
use super::violation::{Fault, Rule};

// graph-api.md §2.2 (`thumb_offset`: milliseconds, default 0; out of range → 1/2207057)
/// The frame shown as a reel's thumbnail, in milliseconds from the start (0 = first frame).
///
/// Only the sign is checked here: whether the offset lies within the video is known only once the
/// video is read (Meta answers 2207057 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThumbOffset(u64);

/// Why a number is not a thumbnail offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the thumbnail offset is {0} ms; it counts milliseconds from the start of the video and cannot be negative"
)]
pub struct NegativeThumbOffset(pub i64);

impl Fault for NegativeThumbOffset {
    fn rule(&self) -> Rule {
        Rule::OutOfRange
    }
}

impl ThumbOffset {
    /// Accepts any offset of 0 ms or more.
    pub fn from_millis(millis: i64) -> Result<Self, NegativeThumbOffset> {
        u64::try_from(millis)
            .map(Self)
            .map_err(|_| NegativeThumbOffset(millis))
    }

    /// The offset in milliseconds, as Meta's `thumb_offset` takes it.
    pub fn as_millis(self) -> u64 {
        self.0
    }
}

/// The name a reel's original audio is shown under; not blank. Instagram lets it be set once.
// graph-api.md §2.2 (`audio_name`: "Rename audio; only once")
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AudioName(String);

/// Why a text is not an audio name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audio name is blank; leave it out or name the audio")]
pub struct BlankAudioName;

impl Fault for BlankAudioName {
    fn rule(&self) -> Rule {
        Rule::Empty
    }
}

impl AudioName {
    /// Accepts any text that is not blank, kept as written.
    pub fn parse(text: &str) -> Result<Self, BlankAudioName> {
        if text.trim().is_empty() {
            Err(BlankAudioName)
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    /// The audio name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a trial reel (shown to non-followers first) graduates to the followers' feed.
// graph-api.md §2.2 (`trial_params`), §2.4 (trial reels)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum GraduationStrategy {
    /// The account owner graduates it by hand in the app.
    #[serde(rename = "MANUAL")]
    Manual,
    /// Instagram graduates it if it performs well with non-followers.
    #[serde(rename = "SS_PERFORMANCE")]
    SsPerformance,
}

impl GraduationStrategy {
    /// Meta's value: `"MANUAL"` or `"SS_PERFORMANCE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            GraduationStrategy::Manual => "MANUAL",
            GraduationStrategy::SsPerformance => "SS_PERFORMANCE",
        }
    }
}

/// Makes the reel a trial reel.
// graph-api.md §2.2 (`trial_params`: `{"graduation_strategy": …}`, reels only)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrialParams {
    /// How the trial reel graduates.
    pub graduation_strategy: GraduationStrategy,
}

/// A reel's options. Every one is optional; Meta's defaults apply to those left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReelOptions {
    pub(crate) cover_url: Option<MediaUrl>,
    pub(crate) thumb_offset: Option<ThumbOffset>,
    pub(crate) share_to_feed: Option<bool>,
    pub(crate) audio_name: Option<AudioName>,
    pub(crate) trial_params: Option<TrialParams>,
}

impl ReelOptions {
    /// The cover image (a JPEG; its type and size are checked by the media pre-flight). When
    /// given, Meta ignores [`ReelOptions::thumb_offset`] (graph-api.md §2.2 `cover_url`).
    pub fn cover_url(&self) -> Option<&MediaUrl> {
        self.cover_url.as_ref()
    }

    /// The thumbnail frame.
    pub fn thumb_offset(&self) -> Option<ThumbOffset> {
        self.thumb_offset
    }

    /// `Some(true)`: Feed and Reels tab; `Some(false)`: Reels tab only; `None`: not said (Meta
    /// documents no default; graph-api.md §12).
    pub fn share_to_feed(&self) -> Option<bool> {
        self.share_to_feed
    }

    /// The name for the reel's original audio.
    pub fn audio_name(&self) -> Option<&AudioName> {
        self.audio_name.as_ref()
    }

    /// Trial-reel settings.
    pub fn trial_params(&self) -> Option<TrialParams> {
        self.trial_params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_offset_of_zero_is_accepted_and_a_negative_one_refused() {
        assert_eq!(ThumbOffset::from_millis(0).unwrap().as_millis(), 0);
        assert_eq!(ThumbOffset::from_millis(-1), Err(NegativeThumbOffset(-1)));
    }

    #[test]
    fn a_blank_audio_name_is_refused() {
        assert_eq!(AudioName::parse("  "), Err(BlankAudioName));
        assert_eq!(AudioName::parse("My song").unwrap().as_str(), "My song");
    }

    #[test]
    fn graduation_strategies_use_metas_names() {
        let json = serde_json::to_string(&TrialParams {
            graduation_strategy: GraduationStrategy::SsPerformance,
        })
        .unwrap();
        assert_eq!(json, r#"{"graduation_strategy":"SS_PERFORMANCE"}"#);
        let back: TrialParams =
            serde_json::from_str(r#"{"graduation_strategy":"MANUAL"}"#).unwrap();
        assert_eq!(back.graduation_strategy.as_str(), "MANUAL");
    }
}
