//! Meta's media specification in numbers (graph-api.md §2.3), shared by the checks and the
//! auto-fix so both agree on every bound.

/// Images and covers: at most 8 MiB (graph-api.md §2.3; 36000/2207004 in §6.3).
pub const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Feed and carousel images: narrowest aspect ratio, 4:5 (graph-api.md §2.3).
pub const MIN_FEED_ASPECT: f64 = 0.8;
/// Feed and carousel images: widest aspect ratio, 1.91:1 (graph-api.md §2.3).
pub const MAX_FEED_ASPECT: f64 = 1.91;
/// Below this width Meta scales images up (graph-api.md §2.3).
pub const MIN_IMAGE_WIDTH: u32 = 320;
/// Above this width Meta scales images down (graph-api.md §2.3).
pub const MAX_IMAGE_WIDTH: u32 = 1440;
/// Stories and reel covers: the recommended 9:16 (graph-api.md §2.3).
pub const RECOMMENDED_VERTICAL_ASPECT: f64 = 9.0 / 16.0;
/// How far from 9:16 still counts as 9:16 (1080×1920 and 1080×1918 are both "9:16").
pub const RECOMMENDED_ASPECT_TOLERANCE: f64 = 0.01;

/// Reels and carousel videos: at least 3 s (graph-api.md §2.3).
pub const MIN_REEL_SECS: f64 = 3.0;
/// Reels and carousel videos: at most 15 min (graph-api.md §2.3).
pub const MAX_REEL_SECS: f64 = 15.0 * 60.0;
/// Reels: at most 300 MB; decimal megabytes, the stricter reading (graph-api.md §2.3).
pub const MAX_REEL_BYTES: u64 = 300_000_000;
/// Story videos: 3–60 s (graph-api.md §2.3).
pub const MIN_STORY_VIDEO_SECS: f64 = 3.0;
/// Story videos: 3–60 s (graph-api.md §2.3).
pub const MAX_STORY_VIDEO_SECS: f64 = 60.0;
/// Story videos: at most 100 MB, decimal (graph-api.md §2.3).
pub const MAX_STORY_VIDEO_BYTES: u64 = 100_000_000;
/// Frame rate bounds, 23–60 fps (graph-api.md §2.3).
pub const MIN_FPS: f64 = 23.0;
/// Frame rate bounds, 23–60 fps (graph-api.md §2.3).
pub const MAX_FPS: f64 = 60.0;
/// At most 1920 columns (graph-api.md §2.3).
pub const MAX_VIDEO_WIDTH: u32 = 1920;
/// AAC at most 48 kHz (graph-api.md §2.3).
pub const MAX_AUDIO_SAMPLE_RATE: u32 = 48_000;
/// Reels: aspect 0.01:1 to 10:1 (graph-api.md §2.3).
pub const REEL_ASPECT: (f64, f64) = (0.01, 10.0);
/// Story videos: aspect 0.1:1 to 10:1 (graph-api.md §2.3).
pub const STORY_VIDEO_ASPECT: (f64, f64) = (0.1, 10.0);

/// Whether `width:height` lies within the feed range. Exact integer arithmetic, so an image
/// the auto-fix padded to exactly 1.91:1 is never refused by floating-point noise.
pub fn within_feed_aspect(width: u32, height: u32) -> bool {
    let (w, h) = (u64::from(width), u64::from(height));
    // 0.8 <= w/h <= 1.91  ⇔  4h <= 5w  and  100w <= 191h
    h > 0 && 4 * h <= 5 * w && 100 * w <= 191 * h
}

/// `width / height`, as shown to users.
pub fn aspect(width: u32, height: u32) -> f64 {
    if height == 0 {
        0.0
    } else {
        f64::from(width) / f64::from(height)
    }
}

/// A ratio as users read it: `1.91:1`, `0.56:1`.
pub fn format_ratio(ratio: f64) -> String {
    format!("{ratio:.2}:1")
}

#[cfg(test)]
mod tests {
    use super::within_feed_aspect;

    #[test]
    fn feed_aspect_bounds_are_inclusive_and_exact() {
        assert!(within_feed_aspect(1080, 1350)); // 4:5
        assert!(within_feed_aspect(1910, 1000)); // 1.91:1
        assert!(within_feed_aspect(1080, 1080));
        assert!(!within_feed_aspect(1911, 1000));
        assert!(!within_feed_aspect(1079, 1350));
        assert!(!within_feed_aspect(100, 0));
    }
}
