//! Retention of hosted media (issue #6): a file a post needs is kept until 24 h after the post
//! is published, then collected; files no post needs go once their `keep_until` passes. Posts
//! are published for real by the worker against the simulator, on every store backend, with
//! the store's manual clock.

use bytes::Bytes;
use igpub::media::hosting::{FsStorage, HostedObject, HostingSecret, MediaKind, MediaStorage};
use igpub::media::retention::{dry_run, sweep};
use igpub::store::PostState;
use igpub::store::testing::for_each_backend;
use igpub_sim::SimConfig;
use jiff::{SignedDuration, Timestamp};
use url::Url;

use super::support::jpeg;
use crate::publish_support::{Harness, sim_config};

const HOUR: SignedDuration = SignedDuration::from_hours(1);

/// Hosting in a temporary directory; nothing serves it (the simulator fetches no media).
async fn storage() -> (FsStorage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::open(
        dir.path(),
        HostingSecret::new(vec![5; 32]).unwrap(),
        Url::parse("https://igpub.example/").unwrap(),
    )
    .await
    .unwrap();
    (storage, dir)
}

async fn host(storage: &FsStorage, side: u32, keep_until: Timestamp) -> HostedObject {
    storage
        .put(Bytes::from(jpeg(side, side)), MediaKind::Jpeg, keep_until)
        .await
        .unwrap()
}

fn image_post_of(storage: &FsStorage, object: &HostedObject) -> serde_json::Value {
    serde_json::json!({
        "kind": "image",
        "caption": "Hosted by igpub",
        "media": [{"url": storage.public_url(object).unwrap().as_str()}],
    })
}

#[tokio::test]
async fn a_posts_file_outlives_its_keep_until_until_a_day_after_publication() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let store = harness.backend.store.clone();
        let clock = harness.backend.clock.clone();
        let (storage, _dir) = storage().await;
        let start = store.now();
        let used = host(&storage, 320, start + HOUR).await;
        let unused = host(&storage, 321, start + HOUR).await;
        let mut post = image_post_of(&storage, &used);
        post["publish_at"] = serde_json::json!((start + 48 * HOUR).to_string());
        let post = harness.create(0, post).await;
        assert_eq!(post.state, PostState::Scheduled);

        // Both files expired; the scheduled post still needs one of them.
        clock.set(start + 2 * HOUR);
        let planned = dry_run(store.as_ref(), &storage, store.now())
            .await
            .unwrap();
        assert_eq!(planned.kept, vec![used.id.clone()]);
        assert_eq!(planned.deleted, vec![unused.id.clone()]);
        assert!(planned.dry_run);
        assert!(
            storage.exists(&unused.id).await.unwrap(),
            "a dry run deletes nothing"
        );
        let report = sweep(store.as_ref(), &storage, store.now()).await.unwrap();
        assert_eq!(report.kept, vec![used.id.clone()]);
        assert_eq!(report.deleted, vec![unused.id.clone()]);
        assert_eq!(report.freed_bytes, unused.size);
        assert!(!report.dry_run);
        assert!(!storage.exists(&unused.id).await.unwrap());
        let extended = storage.head(&used.id).await.unwrap().unwrap();
        assert_eq!(extended.keep_until, start + 26 * HOUR);

        // Published at its time; the file outlives its extension while the post is young.
        clock.set(start + 48 * HOUR);
        harness.settle(&harness.worker()).await;
        let published = harness.posts.get(harness.tenant, post.id).await.unwrap();
        assert_eq!(published.state, PostState::Published);
        let published_at = published.published_at.unwrap();
        clock.set(published_at + 23 * HOUR);
        let report = sweep(store.as_ref(), &storage, store.now()).await.unwrap();
        assert_eq!(report.kept, vec![used.id.clone()]);
        assert!(report.deleted.is_empty());
        assert!(storage.exists(&used.id).await.unwrap());

        // A day after publication the post no longer needs it: gone once its keep_until is.
        let kept_until = storage.head(&used.id).await.unwrap().unwrap().keep_until;
        clock.set(kept_until + SignedDuration::from_secs(1));
        let report = sweep(store.as_ref(), &storage, store.now()).await.unwrap();
        assert!(report.kept.is_empty());
        assert_eq!(report.deleted, vec![used.id.clone()]);
        assert!(!storage.exists(&used.id).await.unwrap());
        assert!(storage.list().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_failed_post_keeps_no_file_past_its_keep_until() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            container_error_rate: 1.0,
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let store = harness.backend.store.clone();
        let clock = harness.backend.clock.clone();
        let (storage, _dir) = storage().await;
        let start = store.now();
        let object = host(&storage, 330, start + HOUR).await;
        let post = harness.create(0, image_post_of(&storage, &object)).await;
        let worker = harness.worker_with(|config| config.max_container_rounds = 0);
        harness.settle(&worker).await;
        assert_eq!(harness.state_of(post.id).await, PostState::Failed);

        // Before its keep_until the file stays, needed or not.
        let report = sweep(store.as_ref(), &storage, store.now()).await.unwrap();
        assert!(
            report.deleted.is_empty() && report.kept.is_empty(),
            "{report:?}"
        );
        clock.set(start + HOUR + SignedDuration::from_secs(1));
        let report = sweep(store.as_ref(), &storage, store.now()).await.unwrap();
        assert_eq!(report.deleted, vec![object.id.clone()]);
        assert!(!storage.exists(&object.id).await.unwrap());
    })
    .await;
}
