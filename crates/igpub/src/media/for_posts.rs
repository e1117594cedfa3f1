//! A post's media at creation: the pre-flight runs before anything is stored (so a post Meta
//! would refuse is refused at once, before any call to Meta), and with `auto_fix` every image
//! the pre-flight faults is converted, padded or scaled by [`crate::media::fix`], hosted, and
//! put in the post instead of the original (which stays hosted).
//!
//! Files already in igpub's own hosting (the storage's public URLs: `{public_base_url}/media/…`
//! on the filesystem, the bucket's URL on S3) are read from the store directly; other URLs are
//! downloaded through the pre-flight's crawler and its SSRF guard.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};

use super::fix::{Change, FixOptions};
use super::hosting::{MediaStorage, parse_file_name};
use super::preflight::{MediaCheckRequest, MediaRole, Preflight, PreflightReport, Severity};
use super::upload::{MAX_UPLOAD_BYTES, Upload, UploadError, upload, upload_from_url};
use crate::domain::{MediaKind, PostInput, PostKind, PostSpec};

/// The request field that turns the auto-fix on for one post (not part of the post itself).
pub const AUTO_FIX_FIELD: &str = "auto_fix";

/// How long a fixed file is kept before the retention sweep extends it past publication.
const KEEP_FIXED: SignedDuration = SignedDuration::from_hours(24 * 30);

/// One item the auto-fix replaced, for the post's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct ItemFix {
    /// The JSON path of the URL that changed, e.g. `media[0].url`.
    pub field: String,
    /// The URL as given.
    pub original_url: String,
    /// The hosted, fixed file's URL now in the post.
    pub url: String,
    /// What the fix did.
    pub changes: Vec<Change>,
}

/// One item the pre-flight refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The JSON path of the URL, e.g. `media[0].url` or `reel.cover_url`.
    pub field: String,
    /// The pre-flight rule, e.g. `format`.
    pub rule: String,
    /// `item N (url): what is wrong`, naming Meta's code and subcode.
    pub message: String,
}

/// Why a post's media cannot be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// Meta would refuse these items.
    #[error("the media would be refused by Instagram: {}", .0.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refusal>),
    /// The auto-fix could not fetch, fix or host an item.
    #[error("{field}: the auto-fix failed: {source}")]
    Fix {
        /// The item.
        field: String,
        /// Why.
        source: UploadError,
    },
}

/// Checks (and fixes) the media of posts being created.
#[derive(Debug, Clone)]
pub struct PostMedia {
    preflight: Preflight,
    storage: Arc<dyn MediaStorage>,
    fix: FixOptions,
}

impl PostMedia {
    /// Checks with `preflight`; fixed files go to `storage`, public at its URLs.
    pub fn new(preflight: Preflight, storage: Arc<dyn MediaStorage>) -> Self {
        Self {
            preflight,
            storage,
            fix: FixOptions::default(),
        }
    }

    /// Takes `auto_fix` out of `post` (it is not a field of the post), then checks the media.
    /// With the auto-fix, faulted images are fixed and their URLs replaced in `post`. A post
    /// that does not parse is left alone: creating it reports every rule it breaks.
    pub async fn prepare(
        &self,
        post: &mut Map<String, Value>,
        default_auto_fix: bool,
        now: Timestamp,
    ) -> Result<Vec<ItemFix>, PrepareError> {
        let auto_fix = match post.remove(AUTO_FIX_FIELD) {
            Some(Value::Bool(on)) => on,
            _ => default_auto_fix,
        };
        let Some(spec) = parse(post, now) else {
            return Ok(Vec::new());
        };
        let report = self.preflight.check_post(&check_requests(&spec)).await;
        let mut fixes = Vec::new();
        if auto_fix {
            for item in report.items.iter().filter(|item| item.has_errors()) {
                let request = request_of(&spec, item.index, item.role);
                if request.role.is_video() {
                    continue;
                }
                let fixed = self
                    .fix_item(&item.url, item.role, now)
                    .await
                    .map_err(|source| PrepareError::Fix {
                        field: request.field.clone(),
                        source,
                    })?;
                if !fixed.changes.is_empty() {
                    set_url(post, &request, fixed.hosted_url.as_str());
                    fixes.push(ItemFix {
                        field: request.field,
                        original_url: item.url.clone(),
                        url: fixed.hosted_url.to_string(),
                        changes: fixed.changes,
                    });
                }
            }
        }
        let report = if fixes.is_empty() {
            report
        } else {
            match parse(post, now) {
                Some(fixed) => self.preflight.check_post(&check_requests(&fixed)).await,
                None => return Ok(fixes),
            }
        };
        let refusals = refusals(&spec, &report);
        if refusals.is_empty() {
            Ok(fixes)
        } else {
            Err(PrepareError::Refused(refusals))
        }
    }

    async fn fix_item(
        &self,
        url: &str,
        role: MediaRole,
        now: Timestamp,
    ) -> Result<Upload, UploadError> {
        let keep_until = now.saturating_add(KEEP_FIXED).unwrap_or(now);
        if let Some(content) = self.own_file(url).await? {
            return upload(
                self.storage.as_ref(),
                content,
                role,
                Some(&self.fix),
                keep_until,
            )
            .await;
        }
        upload_from_url(
            self.preflight.crawler(),
            self.storage.as_ref(),
            url,
            role,
            Some(&self.fix),
            keep_until,
            MAX_UPLOAD_BYTES,
        )
        .await
    }

    /// The content of a URL of igpub's own hosting, read from the store, without the network:
    /// a URL whose last `/media/` segment names a stored object and which is that object's
    /// public URL exactly.
    async fn own_file(&self, url: &str) -> Result<Option<bytes::Bytes>, UploadError> {
        let Some((_, file_name)) = url.rsplit_once("/media/") else {
            return Ok(None);
        };
        let Ok((id, _)) = parse_file_name(file_name) else {
            return Ok(None);
        };
        let Some((object, content)) = self.storage.get(&id).await? else {
            return Ok(None);
        };
        let is_ours = self.storage.public_url(&object)?.as_str() == url;
        Ok(is_ours.then_some(content))
    }
}

fn parse(post: &Map<String, Value>, now: Timestamp) -> Option<PostSpec> {
    let input = PostInput::from_value(Value::Object(post.clone())).ok()?;
    PostSpec::parse(input, now).ok()
}

/// Where an item of the pre-flight report sits in the request.
struct ItemRequest {
    field: String,
    role: MediaRole,
    media_index: Option<usize>,
}

fn role_of(kind: PostKind, media: MediaKind) -> MediaRole {
    match (kind, media) {
        (PostKind::Image, _) => MediaRole::FeedImage,
        (PostKind::Carousel, MediaKind::Image) => MediaRole::CarouselImage,
        (PostKind::Carousel, MediaKind::Video) => MediaRole::CarouselVideo,
        (PostKind::Reel, _) => MediaRole::Reel,
        (PostKind::Story, MediaKind::Image) => MediaRole::StoryImage,
        (PostKind::Story, MediaKind::Video) => MediaRole::StoryVideo,
    }
}

/// The pre-flight's requests for a post: items numbered from 1 as people count, and a reel's
/// cover under its reel's number (the same numbering the worker's pre-flight uses).
fn check_requests(spec: &PostSpec) -> Vec<MediaCheckRequest> {
    let mut requests: Vec<MediaCheckRequest> = spec
        .media()
        .iter()
        .enumerate()
        .map(|(index, item)| MediaCheckRequest {
            index: index + 1,
            url: item.url().as_str().to_owned(),
            role: role_of(spec.kind(), item.kind()),
        })
        .collect();
    if let Some(cover) = spec.reel().and_then(|reel| reel.cover_url()) {
        requests.push(MediaCheckRequest {
            index: 1,
            url: cover.as_str().to_owned(),
            role: MediaRole::ReelCover,
        });
    }
    requests
}

fn request_of(spec: &PostSpec, index: usize, role: MediaRole) -> ItemRequest {
    if role == MediaRole::ReelCover {
        return ItemRequest {
            field: "reel.cover_url".to_owned(),
            role,
            media_index: None,
        };
    }
    let position = index.saturating_sub(1);
    ItemRequest {
        field: format!("media[{position}].url"),
        role: spec
            .media()
            .get(position)
            .map_or(role, |item| role_of(spec.kind(), item.kind())),
        media_index: Some(position),
    }
}

fn set_url(post: &mut Map<String, Value>, request: &ItemRequest, url: &str) {
    let slot = match request.media_index {
        Some(position) => post
            .get_mut("media")
            .and_then(Value::as_array_mut)
            .and_then(|media| media.get_mut(position))
            .and_then(Value::as_object_mut)
            .and_then(|item| item.get_mut("url")),
        None => post
            .get_mut("reel")
            .and_then(Value::as_object_mut)
            .and_then(|reel| reel.get_mut("cover_url")),
    };
    if let Some(slot) = slot {
        *slot = Value::String(url.to_owned());
    }
}

fn refusals(spec: &PostSpec, report: &PreflightReport) -> Vec<Refusal> {
    report
        .items
        .iter()
        .filter(|item| item.has_errors())
        .map(|item| {
            let problems: Vec<&str> = item
                .problems_of(Severity::Error)
                .map(|problem| problem.message.as_str())
                .collect();
            let rule = item
                .problems_of(Severity::Error)
                .next()
                .map_or("media", |problem| problem.rule.name());
            Refusal {
                field: request_of(spec, item.index, item.role).field,
                rule: rule.to_owned(),
                message: format!(
                    "item {} ({}): {}",
                    item.index,
                    item.url,
                    problems.join("; ")
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_replaced_in_the_item_or_the_reel_cover_they_came_from() {
        let mut post = serde_json::json!({
            "kind": "reel",
            "media": [{"url": "https://a.example/1.mp4"}],
            "reel": {"cover_url": "https://a.example/cover.png"}
        });
        let map = post.as_object_mut().expect("an object");
        set_url(
            map,
            &ItemRequest {
                field: "reel.cover_url".into(),
                role: MediaRole::ReelCover,
                media_index: None,
            },
            "https://igpub.example/media/x.jpg",
        );
        set_url(
            map,
            &ItemRequest {
                field: "media[0].url".into(),
                role: MediaRole::Reel,
                media_index: Some(0),
            },
            "https://igpub.example/media/y.mp4",
        );
        assert_eq!(
            post["reel"]["cover_url"],
            "https://igpub.example/media/x.jpg"
        );
        assert_eq!(post["media"][0]["url"], "https://igpub.example/media/y.mp4");
    }

    #[test]
    fn a_carousel_item_is_numbered_from_one_and_its_field_from_zero() {
        let spec = PostSpec::parse(
            PostInput::from_json(
                r#"{"kind":"carousel","media":[{"url":"https://a.example/1.jpg"},{"url":"https://a.example/2.mp4"}]}"#,
            )
            .expect("input"),
            Timestamp::now(),
        )
        .expect("valid");
        let requests = check_requests(&spec);
        assert_eq!(requests[1].index, 2);
        assert_eq!(requests[1].role, MediaRole::CarouselVideo);
        let item = request_of(&spec, 2, requests[1].role);
        assert_eq!(item.field, "media[1].url");
    }
}
