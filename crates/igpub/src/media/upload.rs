//! Uploading media to the built-in hosting, with the auto-fix applied on the way: the
//! original is always kept, and when the fix changes the file the fixed JPEG is hosted too
//! and becomes the URL the post uses. `POST /v1/media`, `igpub media upload` and the worker
//! (for a remote PNG with auto-fix on) all go through here.

use bytes::Bytes;
use jiff::Timestamp;
use serde::Serialize;
use url::Url;

use super::crawl::{Crawler, FetchError};
use super::fix::{Change, FixError, FixOptions, fix_image};
use super::hosting::{HostedObject, HostingError, MediaKind, MediaStorage};
use super::preflight::MediaRole;
use super::spec;

/// The largest file accepted: a reel's limit (graph-api.md §2.3).
pub const MAX_UPLOAD_BYTES: u64 = spec::MAX_REEL_BYTES;

/// What was hosted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upload {
    /// The file as given.
    pub original: HostedObject,
    /// Its public URL.
    pub original_url: Url,
    /// The file the post should use: the fixed JPEG, or the original when nothing changed.
    pub hosted: HostedObject,
    /// Its public URL, for `image_url` / `video_url` / `cover_url`.
    pub hosted_url: Url,
    /// What the fix changed, for the post's timeline; empty when nothing changed.
    pub changes: Vec<Change>,
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Not JPEG, PNG, WebP, MP4 or MOV.
    #[error("the file is not a JPEG, PNG, WebP, MP4 or MOV file")]
    UnsupportedKind,
    /// Larger than any media Instagram takes.
    #[error("the file has {size} bytes; at most {max} are accepted")]
    TooLarge {
        /// The size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A video for an image role or the other way round.
    #[error("a {kind} file cannot be used as {role:?}")]
    WrongKindForRole {
        /// The file's kind (extension).
        kind: &'static str,
        /// The role asked for.
        role: MediaRole,
    },
    /// The auto-fix failed.
    #[error("the auto-fix failed: {0}")]
    Fix(#[from] FixError),
    /// Storing failed.
    #[error(transparent)]
    Hosting(#[from] HostingError),
    /// Fetching a remote original failed.
    #[error("the original could not be fetched: {0}")]
    Fetch(#[from] FetchError),
    /// A remote original answered with an error status.
    #[error("the original could not be fetched: the server answered {status}")]
    FetchStatus {
        /// The status.
        status: u16,
    },
    /// The fix was interrupted (its worker thread stopped).
    #[error("the auto-fix was interrupted")]
    Interrupted,
}

/// Host `content` for `role`; with `auto_fix`, images are fixed first (the original is kept).
pub async fn upload(
    storage: &dyn MediaStorage,
    content: Bytes,
    role: MediaRole,
    auto_fix: Option<&FixOptions>,
    keep_until: Timestamp,
) -> Result<Upload, UploadError> {
    let size = content.len() as u64;
    if size > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge {
            size,
            max: MAX_UPLOAD_BYTES,
        });
    }
    let kind = MediaKind::detect(&content).ok_or(UploadError::UnsupportedKind)?;
    if kind.is_video() != role.is_video() {
        return Err(UploadError::WrongKindForRole {
            kind: kind.extension(),
            role,
        });
    }
    let original = storage.put(content.clone(), kind, keep_until).await?;
    let original_url = storage.public_url(&original)?;
    let fixed = match auto_fix {
        Some(options) if !kind.is_video() => {
            let options = *options;
            let input = content.clone();
            let fixed = tokio::task::spawn_blocking(move || fix_image(&input, role, &options))
                .await
                .map_err(|_| UploadError::Interrupted)??;
            fixed.changed().then_some(fixed)
        }
        _ => None,
    };
    let Some(fixed) = fixed else {
        return Ok(Upload {
            hosted: original.clone(),
            hosted_url: original_url.clone(),
            original,
            original_url,
            changes: Vec::new(),
        });
    };
    let hosted = storage
        .put(Bytes::from(fixed.bytes), MediaKind::Jpeg, keep_until)
        .await?;
    let hosted_url = storage.public_url(&hosted)?;
    Ok(Upload {
        original,
        original_url,
        hosted,
        hosted_url,
        changes: fixed.changes,
    })
}

/// Fetch a remote original through `crawler` (the same SSRF guard as the pre-flight), then
/// [`upload`] it. `max_bytes` bounds the download.
pub async fn upload_from_url(
    crawler: &Crawler,
    storage: &dyn MediaStorage,
    url: &str,
    role: MediaRole,
    auto_fix: Option<&FixOptions>,
    keep_until: Timestamp,
    max_bytes: u64,
) -> Result<Upload, UploadError> {
    let limit = max_bytes.min(MAX_UPLOAD_BYTES);
    // One byte more than allowed tells "exactly at the limit" from "over it".
    let probe = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let fetched = crawler.fetch_range(url, 0, probe).await?;
    if !fetched.status.is_success() {
        return Err(UploadError::FetchStatus {
            status: fetched.status.as_u16(),
        });
    }
    let size = fetched
        .total_size
        .unwrap_or(fetched.body.len() as u64)
        .max(fetched.body.len() as u64);
    if size > limit {
        return Err(UploadError::TooLarge { size, max: limit });
    }
    upload(
        storage,
        Bytes::from(fetched.body),
        role,
        auto_fix,
        keep_until,
    )
    .await
}
