//! Built-in hosting: content-addressed storage, HTTP serving with ranges and caching headers,
//! retention and garbage collection, and uploads with the auto-fix.

use std::sync::Arc;

use bytes::Bytes;
use igpub::media::fix::FixOptions;
use igpub::media::hosting::{FsStorage, HostingSecret, MediaKind, MediaStorage, collect_garbage};
use igpub::media::preflight::{MediaRole, Rule};
use igpub::media::serve::media_router;
use igpub::media::upload::{UploadError, upload, upload_from_url};
use jiff::{SignedDuration, Timestamp};
use url::Url;

use super::support::{TestServer, check, errors, jpeg, local_preflight, png};

struct Hosted {
    storage: Arc<FsStorage>,
    base: Url,
    _dir: tempfile::TempDir,
}

/// A store in a temporary directory, served by `media_router` on loopback.
async fn hosted() -> Hosted {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let secret = HostingSecret::new(vec![42; 32]).unwrap();
    let storage = Arc::new(
        FsStorage::open(dir.path(), secret, base.clone())
            .await
            .unwrap(),
    );
    let app = media_router(storage.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Hosted {
        storage,
        base,
        _dir: dir,
    }
}

fn in_days(days: i64) -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(24 * days)
}

#[tokio::test]
async fn the_same_content_is_stored_once_and_keeps_the_later_keep_until() {
    let h = hosted().await;
    let bytes = Bytes::from(jpeg(100, 100));
    let first = h
        .storage
        .put(bytes.clone(), MediaKind::Jpeg, in_days(1))
        .await
        .unwrap();
    let second = h
        .storage
        .put(bytes.clone(), MediaKind::Jpeg, in_days(3))
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(first.created_at, second.created_at);
    assert!(second.keep_until > first.keep_until);
    let (object, content) = h.storage.get(&first.id).await.unwrap().unwrap();
    assert_eq!(content, bytes);
    assert_eq!(object, second);
    assert_eq!(h.storage.list().await.unwrap().len(), 1);
    assert!(h.storage.exists(&first.id).await.unwrap());
    let url = h.storage.public_url(&object).unwrap();
    assert_eq!(url.as_str(), format!("{}media/{}.jpg", h.base, object.id));
}

#[tokio::test]
async fn a_hosted_file_is_served_with_type_length_etag_caching_and_ranges() {
    let h = hosted().await;
    let bytes = jpeg(300, 300);
    let object = h
        .storage
        .put(Bytes::from(bytes.clone()), MediaKind::Jpeg, in_days(1))
        .await
        .unwrap();
    let url = h.storage.public_url(&object).unwrap();
    let client = reqwest::Client::new();

    let full = client.get(url.clone()).send().await.unwrap();
    assert_eq!(full.status(), 200);
    let headers = full.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["etag"], object.etag().as_str());
    assert_eq!(full.bytes().await.unwrap(), bytes);

    let part = client
        .get(url.clone())
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{}", bytes.len()).as_str()
    );
    assert_eq!(part.headers()["content-length"], "10");
    assert_eq!(part.bytes().await.unwrap(), &bytes[10..20]);

    let tail = client
        .get(url.clone())
        .header("range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), &bytes[bytes.len() - 5..]);

    let past = client
        .get(url.clone())
        .header("range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );

    let cached = client
        .get(url.clone())
        .header("if-none-match", object.etag())
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);

    let head = client.head(url.clone()).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
}

#[tokio::test]
async fn unknown_ids_wrong_extensions_and_path_tricks_are_not_found() {
    let h = hosted().await;
    let object = h
        .storage
        .put(Bytes::from(jpeg(50, 50)), MediaKind::Jpeg, in_days(1))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for path in [
        format!("media/{}.jpg", "0".repeat(40)),
        format!("media/{}.mp4", object.id),
        format!("media/{}.json", object.id),
        "media/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("media/{}", object.id),
    ] {
        let status = client
            .get(h.base.join(&path).unwrap())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn garbage_collection_deletes_only_what_expired_and_retain_until_only_extends() {
    let h = hosted().await;
    let keep = h
        .storage
        .put(Bytes::from(jpeg(60, 60)), MediaKind::Jpeg, in_days(1))
        .await
        .unwrap();
    let expire = h
        .storage
        .put(Bytes::from(jpeg(70, 70)), MediaKind::Jpeg, in_days(1))
        .await
        .unwrap();
    let published_at = Timestamp::now();
    // The publisher extends a published post's media to published_at + 24 h…
    let extended = h
        .storage
        .retain_until(&keep.id, published_at + SignedDuration::from_hours(24 * 5))
        .await
        .unwrap()
        .unwrap();
    assert!(extended.keep_until > keep.keep_until);
    // …and a shorter date never shortens it.
    let same = h
        .storage
        .retain_until(&keep.id, published_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.keep_until, extended.keep_until);

    let report = collect_garbage(h.storage.as_ref(), in_days(2))
        .await
        .unwrap();
    assert_eq!(report.deleted, vec![expire.id.clone()]);
    assert_eq!(report.freed_bytes, expire.size);
    assert!(h.storage.head(&expire.id).await.unwrap().is_none());
    assert!(h.storage.head(&keep.id).await.unwrap().is_some());
    let gone = reqwest::get(h.storage.public_url(&expire).unwrap())
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert!(
        h.storage
            .retain_until(&expire.id, in_days(9))
            .await
            .unwrap()
            .is_none()
    );
    // Nothing left to collect now.
    assert_eq!(
        collect_garbage(h.storage.as_ref(), in_days(2))
            .await
            .unwrap()
            .deleted,
        vec![]
    );
}

#[tokio::test]
async fn an_upload_with_auto_fix_keeps_the_original_and_hosts_a_jpeg_that_passes() {
    let h = hosted().await;
    let original = png(1200, 400);
    let uploaded = upload(
        h.storage.as_ref(),
        Bytes::from(original.clone()),
        MediaRole::FeedImage,
        Some(&FixOptions::default()),
        in_days(7),
    )
    .await
    .unwrap();
    assert_eq!(uploaded.original.kind, MediaKind::Png);
    assert_eq!(uploaded.hosted.kind, MediaKind::Jpeg);
    assert_ne!(uploaded.original.id, uploaded.hosted.id);
    assert!(
        uploaded
            .hosted_url
            .as_str()
            .ends_with(&format!("/media/{}.jpg", uploaded.hosted.id))
    );
    let words: Vec<String> = uploaded.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        vec![
            "converted PNG to JPEG",
            "padded 3.00:1 to 1.91:1 with #ffffff"
        ]
    );
    // The original is still there, byte for byte.
    assert_eq!(
        reqwest::get(uploaded.original_url.clone())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        original
    );
    // And the hosted JPEG passes the pre-flight, fetched through the real serving path.
    let report = check(
        &local_preflight(),
        1,
        uploaded.hosted_url.as_str(),
        MediaRole::FeedImage,
    )
    .await;
    assert_eq!(errors(&report), vec![], "{:#?}", report.problems);

    // Without the fix, the same PNG is hosted as is and refused by the pre-flight.
    let plain = upload(
        h.storage.as_ref(),
        Bytes::from(original),
        MediaRole::FeedImage,
        None,
        in_days(7),
    )
    .await
    .unwrap();
    assert_eq!(plain.hosted, plain.original);
    let report = check(
        &local_preflight(),
        2,
        plain.hosted_url.as_str(),
        MediaRole::FeedImage,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::ImageFormat, Rule::AspectRatio]);
    assert_eq!(
        report.problem(Rule::ImageFormat).unwrap().message,
        format!(
            "item 2 ({}): PNG is not accepted; Instagram takes JPEG only (36001/2207005)",
            plain.hosted_url
        )
    );
}

#[tokio::test]
async fn a_remote_png_is_fetched_through_the_guard_fixed_and_hosted() {
    let h = hosted().await;
    let server = TestServer::start().await;
    let url = server.file("/wide.png", "image/png", png(1200, 400));
    let preflight = local_preflight();
    let uploaded = upload_from_url(
        preflight.crawler(),
        h.storage.as_ref(),
        &url,
        MediaRole::FeedImage,
        Some(&FixOptions::default()),
        in_days(7),
        10 * 1024 * 1024,
    )
    .await
    .unwrap();
    assert_eq!(uploaded.hosted.kind, MediaKind::Jpeg);
    assert_eq!(uploaded.changes.len(), 2);
    // The guard applies: a strict crawler refuses the loopback URL.
    let strict = super::support::strict_preflight(igpub::media::ssrf::StaticResolver::new());
    let err = upload_from_url(
        strict.crawler(),
        h.storage.as_ref(),
        &url,
        MediaRole::FeedImage,
        None,
        in_days(1),
        1 << 20,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, UploadError::Fetch(_)), "{err:?}");
}

#[tokio::test]
async fn uploads_refuse_unknown_files_and_videos_for_image_roles() {
    let h = hosted().await;
    let err = upload(
        h.storage.as_ref(),
        Bytes::from_static(b"hello world"),
        MediaRole::FeedImage,
        None,
        in_days(1),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, UploadError::UnsupportedKind), "{err:?}");
    let mp4 = super::mp4_builder::build_mp4(&Default::default());
    let err = upload(
        h.storage.as_ref(),
        Bytes::from(mp4.clone()),
        MediaRole::FeedImage,
        None,
        in_days(1),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, UploadError::WrongKindForRole { kind: "mp4", .. }),
        "{err:?}"
    );
    let reel = upload(
        h.storage.as_ref(),
        Bytes::from(mp4),
        MediaRole::Reel,
        Some(&FixOptions::default()),
        in_days(1),
    )
    .await
    .unwrap();
    assert_eq!(reel.hosted.kind, MediaKind::Mp4);
    assert!(reel.changes.is_empty());
    let report = check(
        &local_preflight(),
        1,
        reel.hosted_url.as_str(),
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![]);
}
