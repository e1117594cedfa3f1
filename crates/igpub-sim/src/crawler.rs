//! Meta's crawler: fetches `image_url`/`video_url` over HTTP and judges the real bytes
//! (shared/graph-api.md §2.2 end, §2.3, §10).

use crate::error::MetaError;
use crate::state::SimState;
use url::{Host, Url};

/// The largest image Meta takes: 8 MiB (shared/graph-api.md §2.3).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// Feed and carousel images must lie between 4:5 and 1.91:1 (shared/graph-api.md §2.3).
pub const MIN_FEED_ASPECT: f64 = 0.8;
/// See [`MIN_FEED_ASPECT`].
pub const MAX_FEED_ASPECT: f64 = 1.91;

/// Why a video cannot be processed: the subcode its container's ERROR status quotes.
pub type VideoFailure = u32;

/// The HTTP client the crawler and the webhook sender share. Redirects are not followed,
/// because Meta's crawler fails on them (shared/graph-api.md §10).
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("facebookexternalhit/1.1 (igpub-sim)")
        .build()
}

/// 9004/2207052, as a real capture words it (shared/graph-api.md §6.3).
fn not_fetched(url: &str) -> MetaError {
    MetaError::publishing(
        9004,
        2_207_052,
        "Only photo or video can be accepted as media type.",
        "Media download has failed.",
        format!("The media could not be fetched from this uri: {url}"),
    )
}

/// -2/2207003: the download took too long; Meta says to retry (shared/graph-api.md §6.3).
fn too_slow() -> MetaError {
    MetaError::publishing(
        -2,
        2_207_003,
        "Timeout",
        "Media download timed out",
        "It takes too long to download the media.",
    )
}

fn unsupported_format(format: &str) -> MetaError {
    MetaError::publishing(
        36001,
        2_207_005,
        "The image format is not supported.",
        "Unsupported image format",
        format!("The image format {format} is not supported. Supported formats are: JPEG."),
    )
}

fn bad_aspect(ratio: &str) -> MetaError {
    MetaError::publishing(
        36003,
        2_207_009,
        "The aspect ratio is not supported.",
        "Invalid aspect ratio",
        format!(
            "The submitted image with aspect ratio {ratio} cannot be published. Please submit an image with a valid aspect ratio."
        ),
    )
}

/// Whether the crawler may fetch `url` at all: http(s), and loopback unless configured otherwise,
/// so a simulator run never reaches the internet.
fn allowed(url: &Url, loopback_only: bool) -> bool {
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    if !loopback_only {
        return true;
    }
    match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost" || domain.ends_with(".localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

enum Fetched {
    Body(Vec<u8>),
    TooLarge,
}

/// GETs `url` and reads at most `limit + 1` bytes of it.
async fn fetch(state: &SimState, url: &str, limit: usize) -> Result<Fetched, MetaError> {
    let parsed = Url::parse(url).map_err(|_| not_fetched(url))?;
    if !allowed(&parsed, state.config.crawler_loopback_only) {
        return Err(not_fetched(url));
    }
    let timeout = state.config.fetch_timeout;
    let fetched = tokio::time::timeout(timeout, async {
        let mut response = state
            .http
            .get(parsed)
            .send()
            .await
            .map_err(|_| not_fetched(url))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(not_fetched(url));
        }
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Ok(Fetched::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| not_fetched(url))? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Ok(Fetched::TooLarge);
            }
        }
        Ok(Fetched::Body(body))
    })
    .await;
    fetched.unwrap_or_else(|_| Err(too_slow()))
}

/// Fetches an image and applies Meta's image rules: JPEG only, at most 8 MiB and, for feed and
/// carousel images, an aspect ratio from 4:5 to 1.91:1.
pub async fn check_image(state: &SimState, url: &str, feed_aspect: bool) -> Result<(), MetaError> {
    let body = match fetch(state, url, MAX_IMAGE_BYTES).await? {
        Fetched::TooLarge => {
            return Err(MetaError::publishing(
                36000,
                2_207_004,
                "The image size is too large.",
                "Image size too large",
                "The image is too large to download. It should be less than 8 MiB.",
            ));
        }
        Fetched::Body(body) => body,
    };
    judge_image(&body, feed_aspect)
}

/// The image rules on bytes already fetched.
pub fn judge_image(body: &[u8], feed_aspect: bool) -> Result<(), MetaError> {
    // graph-api.md §6.3: an empty or unreadable image is answered as a bad aspect ratio.
    if body.is_empty() {
        return Err(bad_aspect("0"));
    }
    match imagesize::image_type(body) {
        Ok(imagesize::ImageType::Jpeg) => {}
        Ok(other) => return Err(unsupported_format(&format!("{other:?}").to_uppercase())),
        Err(_) => return Err(unsupported_format("UNKNOWN")),
    }
    let size = imagesize::blob_size(body).map_err(|_| bad_aspect("0"))?;
    if size.width == 0 || size.height == 0 {
        return Err(bad_aspect("0"));
    }
    if feed_aspect {
        let ratio = size.width as f64 / size.height as f64;
        if !(MIN_FEED_ASPECT..=MAX_FEED_ASPECT).contains(&ratio) {
            return Err(bad_aspect(&format!("{ratio:.2}")));
        }
    }
    Ok(())
}

/// Fetches the start of a video and checks it is MP4/MOV (an ISO-BMFF `ftyp` box). A failure is
/// not an answer to the caller: it becomes the container's ERROR status, as with Meta.
pub async fn probe_video(state: &SimState, url: &str) -> Result<(), VideoFailure> {
    let parsed = Url::parse(url).map_err(|_| 2_207_052u32)?;
    if !allowed(&parsed, state.config.crawler_loopback_only) {
        return Err(2_207_052);
    }
    let head = tokio::time::timeout(state.config.fetch_timeout, async {
        let mut response = state.http.get(parsed).send().await.ok()?;
        if response.status() != reqwest::StatusCode::OK {
            return None;
        }
        let mut head = Vec::new();
        // Only the first box matters; the rest of the file is never read.
        while head.len() < 12 {
            match response.chunk().await {
                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        Some(head)
    })
    .await
    .ok()
    .flatten()
    .ok_or(2_207_052u32)?;
    judge_video_head(&head)
}

/// The video rule on the first bytes: an `ftyp` box, else 2207026 (shared/graph-api.md §6.3).
pub fn judge_video_head(head: &[u8]) -> Result<(), VideoFailure> {
    if head.get(4..8) == Some(b"ftyp".as_slice()) {
        Ok(())
    } else {
        Err(2_207_026)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_crawled_by_default() {
        let allowed_url = |text: &str| {
            Url::parse(text)
                .map(|url| allowed(&url, true))
                .unwrap_or(false)
        };
        assert!(allowed_url("http://127.0.0.1:8080/a.jpg"));
        assert!(allowed_url("http://localhost/a.jpg"));
        assert!(!allowed_url("https://example.com/a.jpg"));
        assert!(!allowed_url("ftp://127.0.0.1/a.jpg"));
    }

    #[test]
    fn a_file_without_an_ftyp_box_is_not_a_supported_video() {
        assert_eq!(judge_video_head(b"\0\0\0\x18ftypmp42"), Ok(()));
        assert_eq!(judge_video_head(b"RIFF....AVI "), Err(2_207_026));
    }

    #[test]
    fn an_empty_image_is_answered_as_a_bad_aspect_ratio() {
        assert_eq!(judge_image(b"", true).err().map(|e| e.code), Some(36003));
    }
}
