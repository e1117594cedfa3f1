//! The demo's content: the sample media hosted by igpub's own media store, and the example
//! posts scheduled on every start (an image now, a carousel in a minute, a reel in two).

use std::time::Duration;

use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use url::Url;

use super::DemoError;
use super::samples::{PHOTOS, reel_mp4};
use crate::media::hosting::MediaStorage;
use crate::media::preflight::MediaRole;
use crate::media::upload::upload;
use crate::publish::Posts;
use crate::publish::service::{CreatePost, PostView};
use crate::store::{Integration, TenantId};

/// How long the samples stay hosted: well past any example post's publication.
const KEEP_SAMPLES: SignedDuration = SignedDuration::from_hours(24 * 30);

/// The public URLs of the hosted samples.
#[derive(Debug, Clone)]
pub struct HostedSamples {
    /// One URL per sample photo, in [`PHOTOS`] order.
    pub photos: Vec<Url>,
    /// The sample reel.
    pub reel: Url,
}

/// Hosts the sample photos and the reel in the built-in media store (deduplicated by content,
/// so a second run finds them already there).
pub async fn host_samples(
    storage: &dyn MediaStorage,
    now: Timestamp,
) -> Result<HostedSamples, DemoError> {
    let keep_until = now.saturating_add(KEEP_SAMPLES).unwrap_or(now);
    let mut photos = Vec::with_capacity(PHOTOS.len());
    for photo in PHOTOS {
        let jpeg = photo
            .jpeg()
            .map_err(|error| DemoError::Samples(format!("{}: {error}", photo.name)))?;
        let hosted = upload(
            storage,
            Bytes::from(jpeg),
            MediaRole::FeedImage,
            None,
            keep_until,
        )
        .await
        .map_err(|error| DemoError::Samples(format!("{}: {error}", photo.name)))?;
        photos.push(hosted.hosted_url);
    }
    let reel = upload(
        storage,
        Bytes::from(reel_mp4()),
        MediaRole::Reel,
        None,
        keep_until,
    )
    .await
    .map_err(|error| DemoError::Samples(format!("reel: {error}")))?;
    Ok(HostedSamples {
        photos,
        reel: reel.hosted_url,
    })
}

/// The example posts of one run, in the order they are due.
pub fn example_posts(
    samples: &HostedSamples,
    accounts: &[Integration],
    now: Timestamp,
    carousel_after: Duration,
    reel_after: Duration,
) -> Vec<CreatePost> {
    let first = accounts.first();
    let second = accounts.get(1).or(first);
    let at = |after: Duration| {
        let after = SignedDuration::try_from(after).unwrap_or(SignedDuration::ZERO);
        now.saturating_add(after).unwrap_or(now).to_string()
    };
    let photo = |index: usize| {
        samples
            .photos
            .get(index)
            .map(Url::as_str)
            .unwrap_or_default()
    };
    let alt = |index: usize| PHOTOS.get(index).map_or("", |photo| photo.alt_text);
    let mut posts = Vec::new();
    if let Some(account) = first {
        posts.push(create(account, json!({
            "kind": "image",
            "caption": "Good morning from the igpub demo: this photo was scheduled, hosted and published by igpub.",
            "hashtags": ["igpubdemo", "sunrise"],
            "media": [{"url": photo(0), "type": "image", "alt_text": alt(0)}],
        })));
    }
    if let Some(account) = second {
        posts.push(create(
            account,
            json!({
                "kind": "carousel",
                "caption": "Three moods, one carousel. Swipe to see them all.",
                "hashtags": ["igpubdemo", "carousel"],
                "media": [
                    {"url": photo(0), "type": "image", "alt_text": alt(0)},
                    {"url": photo(1), "type": "image", "alt_text": alt(1)},
                    {"url": photo(2), "type": "image", "alt_text": alt(2)},
                ],
                "publish_at": at(carousel_after),
            }),
        ));
    }
    if let Some(account) = first {
        posts.push(create(
            account,
            json!({
                "kind": "reel",
                "caption": "A reel from the igpub demo, scheduled two minutes ahead.",
                "hashtags": ["igpubdemo", "reels"],
                "media": [{"url": samples.reel.as_str(), "type": "video"}],
                "reel": {"share_to_feed": true},
                "publish_at": at(reel_after),
            }),
        ));
    }
    posts
}

fn create(account: &Integration, post: serde_json::Value) -> CreatePost {
    CreatePost {
        auto_fix: None,
        integration_id: account.id,
        post: match post {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
    }
}

/// Schedules `posts` for `tenant` through the posts service, as the API would.
pub async fn schedule(
    posts_service: &Posts,
    tenant: TenantId,
    posts: Vec<CreatePost>,
) -> Result<Vec<PostView>, DemoError> {
    let mut scheduled = Vec::with_capacity(posts.len());
    for post in posts {
        let (view, _) = posts_service.create(tenant, post, None).await?;
        scheduled.push(view);
    }
    Ok(scheduled)
}
