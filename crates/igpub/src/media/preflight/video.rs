//! The video rules (graph-api.md §2.3): container, codecs, duration, size, frame rate, width,
//! aspect ratio and the moov atom's place, applied to the parsed MP4/MOV header.

use super::image::{SniffedFormat, human_bytes, mime_essence, sniff};
use super::report::{Findings, MediaFacts, MediaRole, Rule};
use crate::media::mp4::{CodecFamily, Mp4Error, Mp4Facts};
use crate::media::spec;

/// The bounds that differ between reels (and carousel videos) and story videos.
struct VideoLimits {
    what: &'static str,
    min_secs: f64,
    max_secs: f64,
    max_bytes: u64,
    aspect: (f64, f64),
}

fn limits_for(role: MediaRole) -> VideoLimits {
    match role {
        // graph-api.md §2.3: story video 3–60 s, ≤ 100 MB, aspect 0.1:1 to 10:1.
        MediaRole::StoryVideo => VideoLimits {
            what: "story videos",
            min_secs: spec::MIN_STORY_VIDEO_SECS,
            max_secs: spec::MAX_STORY_VIDEO_SECS,
            max_bytes: spec::MAX_STORY_VIDEO_BYTES,
            aspect: spec::STORY_VIDEO_ASPECT,
        },
        // graph-api.md §2.3: reels (and carousel videos, which follow the video spec)
        // 3 s – 15 min, ≤ 300 MB, aspect 0.01:1 to 10:1.
        _ => VideoLimits {
            what: if role == MediaRole::CarouselVideo {
                "carousel videos"
            } else {
                "reels"
            },
            min_secs: spec::MIN_REEL_SECS,
            max_secs: spec::MAX_REEL_SECS,
            max_bytes: spec::MAX_REEL_BYTES,
            aspect: spec::REEL_ASPECT,
        },
    }
}

/// Rules that need only the first bytes and the size: is it a video at all, how large is it.
pub(crate) fn check_container(
    body: &[u8],
    parsed: &Result<Mp4Facts, Mp4Error>,
    role: MediaRole,
    facts: &mut MediaFacts,
    findings: &mut Findings,
) {
    let limits = limits_for(role);
    check_file_size(facts.size, &limits, findings);
    if let Some(ct) = facts.content_type.as_deref() {
        let essence = mime_essence(ct);
        if parsed.is_ok() && !matches!(essence.as_str(), "video/mp4" | "video/quicktime") {
            findings.warning(
                Rule::ContentType,
                Some(ct.to_owned()),
                format!("the server calls this video {ct:?}; video/mp4 or video/quicktime is what Meta expects"),
            );
        }
    }
    match parsed {
        Ok(mp4) => {
            facts.format = Some(
                if mp4.major_brand.as_deref() == Some("qt  ") {
                    "MOV"
                } else {
                    "MP4"
                }
                .into(),
            );
        }
        Err(error) => {
            let format = sniff(body);
            let measured = format.label();
            facts.format = Some(measured.clone());
            let why = match format {
                SniffedFormat::Jpeg
                | SniffedFormat::ExtendedJpeg(_)
                | SniffedFormat::OtherImage(_) => {
                    format!("a {measured} image is not a video")
                }
                _ => error.to_string(),
            };
            // graph-api.md §2.3 (MOV or MP4) and §6.3 352/2207026.
            findings.error(
                Rule::VideoContainer,
                Some(measured),
                format!("{why}; {} must be MP4 or MOV (352/2207026)", limits.what),
            );
        }
    }
}

fn check_file_size(size: Option<u64>, limits: &VideoLimits, findings: &mut Findings) {
    match size {
        Some(size) if size > limits.max_bytes => findings.error(
            Rule::VideoFileSize,
            Some(size.to_string()),
            format!(
                "the video is {} but {} may be at most {} MB",
                human_bytes(size),
                limits.what,
                limits.max_bytes / 1_000_000
            ),
        ),
        Some(_) => {}
        None => findings.warning(
            Rule::VideoFileSize,
            None,
            format!(
                "the server does not say how large the video is, so the {} MB limit is unchecked",
                limits.max_bytes / 1_000_000
            ),
        ),
    }
}

/// Rules on the parsed `moov`: codecs, duration, frame rate, dimensions, edit lists.
pub(crate) fn check_movie(
    mp4: &Mp4Facts,
    role: MediaRole,
    facts: &mut MediaFacts,
    findings: &mut Findings,
) {
    let limits = limits_for(role);
    facts.duration_secs = mp4.duration_secs;
    let video = mp4.video();
    let audio = mp4.audio();
    facts.video_codec = video.and_then(|t| t.codec).map(|c| c.as_text());
    facts.audio_codec = audio.and_then(|t| t.codec).map(|c| c.as_text());
    facts.frame_rate = video.and_then(|t| t.frame_rate);
    facts.width = video.and_then(|t| t.width);
    facts.height = video.and_then(|t| t.height);
    facts.audio_sample_rate = audio.and_then(|t| t.sample_rate);

    // graph-api.md §2.3: video HEVC or H264.
    match video.and_then(|t| t.codec) {
        None => findings.error(Rule::VideoCodec, None, "the file has no video track (352/2207026)"),
        Some(codec) if !matches!(codec.codec_family(), CodecFamily::H264 | CodecFamily::Hevc) => findings.error(
            Rule::VideoCodec,
            Some(codec.as_text()),
            format!("the video codec {codec} is not accepted; Instagram takes H.264 or HEVC (352/2207026)"),
        ),
        Some(_) => {}
    }
    // graph-api.md §2.3: audio AAC ≤ 48 kHz. A silent video has no audio track, which is fine.
    if let Some(codec) = audio.and_then(|t| t.codec)
        && codec.codec_family() != CodecFamily::Aac
    {
        findings.error(
            Rule::AudioCodec,
            Some(codec.as_text()),
            format!("the audio codec {codec} is not accepted; Instagram takes AAC (352/2207026)"),
        );
    }
    if let Some(rate) = facts.audio_sample_rate
        && rate > spec::MAX_AUDIO_SAMPLE_RATE
    {
        findings.warning(
            Rule::AudioSampleRate,
            Some(rate.to_string()),
            format!("the audio is sampled at {rate} Hz; Instagram takes at most 48 kHz"),
        );
    }
    check_duration(mp4.duration_secs, &limits, findings);
    check_frame_rate(facts.frame_rate, findings);
    if let (Some(width), Some(height)) = (facts.width, facts.height) {
        check_video_dimensions(width, height, &limits, findings);
    }
    // graph-api.md §2.3: "no edit lists".
    if mp4.tracks.iter().any(|t| t.has_edit_list) {
        findings.warning(
            Rule::EditList,
            None,
            "the file has an edit list (edts); Meta's spec asks for none",
        );
    }
}

fn check_duration(duration: Option<f64>, limits: &VideoLimits, findings: &mut Findings) {
    let Some(secs) = duration else {
        findings.warning(
            Rule::VideoDuration,
            None,
            "the duration cannot be read, so its limits are unchecked",
        );
        return;
    };
    if secs < limits.min_secs || secs > limits.max_secs {
        let range = if limits.max_secs >= 60.0 * 15.0 {
            "3 s to 15 min".to_owned()
        } else {
            format!("{}–{} s", limits.min_secs, limits.max_secs)
        };
        findings.error(
            Rule::VideoDuration,
            Some(format!("{secs:.2} s")),
            format!(
                "the video lasts {secs:.2} s; {} must last {range} (352/2207026)",
                limits.what
            ),
        );
    }
}

fn check_frame_rate(fps: Option<f64>, findings: &mut Findings) {
    // graph-api.md §2.3: 23–60 FPS.
    if let Some(fps) = fps
        && !(spec::MIN_FPS - 0.01..=spec::MAX_FPS + 0.01).contains(&fps)
    {
        findings.warning(
            Rule::FrameRate,
            Some(format!("{fps:.2} fps")),
            format!("the video runs at {fps:.2} fps; Instagram expects 23–60 fps"),
        );
    }
}

fn check_video_dimensions(width: u32, height: u32, limits: &VideoLimits, findings: &mut Findings) {
    if width > spec::MAX_VIDEO_WIDTH {
        findings.warning(
            Rule::VideoWidth,
            Some(width.to_string()),
            format!("the video is {width} px wide; Instagram takes at most 1920 columns and will scale it down"),
        );
    }
    let ratio = spec::aspect(width, height);
    let (min, max) = limits.aspect;
    if ratio < min || ratio > max {
        let shown = spec::format_ratio(ratio);
        findings.error(
            Rule::VideoAspectRatio,
            Some(shown.clone()),
            format!(
                "aspect ratio {shown} ({width}×{height}) is outside {min}:1 to {max}:1 for {}",
                limits.what
            ),
        );
    }
}
