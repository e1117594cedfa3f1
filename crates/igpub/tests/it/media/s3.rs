//! S3-compatible hosting against a real S3-compatible server: moto's server (PyPI
//! `moto[server]`, which .ci/run installs), started on a free loopback port by the test and
//! stopped when it ends. Without `moto_server` on the PATH these tests say loudly that they
//! were skipped (so `cargo test` passes on a laptop), unless `IGPUB_TEST_REQUIRE_MOTO` is set,
//! as .ci/run sets it, where a missing server fails them.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use std::sync::Arc;

use igpub::config::{S3Settings, Settings};
use igpub::http::{AppState, router};
use igpub::media::hosting::{
    HostingSecret, MediaId, MediaKind, MediaStorage, S3Config, S3Storage, collect_garbage,
};
use igpub::media::preflight::MediaRole;
use igpub::store::Backend;
use igpub::store::testing::TestBackend;
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret;
use secrecy::SecretString;
use url::Url;

use super::support::{check, errors, jpeg, local_preflight};

/// The moto server process; killed (by its own pid) when dropped.
struct Moto {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto server, or `None` (after a loud notice) when it is not installed and not required.
async fn start_moto() -> Option<Moto> {
    let installed = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("moto_server").is_file())
    });
    if !installed && std::env::var_os("IGPUB_TEST_REQUIRE_MOTO").is_none() {
        eprintln!(
            "\n*** SKIPPED S3 hosting test: moto_server is not on the PATH. Install it with \
             `pip install 'moto[server]'` (.ci/run does, and sets IGPUB_TEST_REQUIRE_MOTO). ***\n"
        );
        return None;
    }
    Some(run_moto().await)
}

async fn run_moto() -> Moto {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("moto_server could not start ({e}); install it with: pip install 'moto[server]'")
        });
    let moto = Moto {
        child,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
    };
    // moto starts in about a second; poll its port briefly instead of sleeping a fixed time.
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(moto.addr).await.is_ok() {
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto_server did not listen on {} within 15 s", moto.addr);
}

/// Creates `bucket` on the server at `endpoint` and lets anyone read its `media/*`, as
/// operators configure a bucket for igpub.
async fn create_public_bucket(endpoint: &str, bucket: &str) {
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket creation: {}",
        created.status()
    );
    // A public bucket, as operators configure it: anyone may read media/*.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/media/*")
        }]
    });
    let made_public = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}?policy"))
        .body(policy.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        made_public.status().is_success(),
        "bucket policy: {}",
        made_public.status()
    );
}

#[tokio::test]
async fn media_round_trips_through_an_s3_compatible_bucket_and_is_public_there() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let endpoint = format!("http://{}", moto.addr);
    create_public_bucket(&endpoint, "igpub-media").await;
    let storage = S3Storage::new(
        S3Config {
            bucket: "igpub-media".into(),
            region: "us-east-1".into(),
            endpoint: Some(endpoint.clone()),
            access_key_id: "testing".into(),
            secret_access_key: SecretString::from("testing"),
            allow_http: true,
            public_base_url: Url::parse(&format!("{endpoint}/igpub-media/")).unwrap(),
        },
        HostingSecret::new(vec![7; 32]).unwrap(),
    )
    .unwrap();

    let bytes = Bytes::from(jpeg(1080, 1080));
    let in_a_day = Timestamp::now() + SignedDuration::from_hours(24);
    let object = storage
        .put(bytes.clone(), MediaKind::Jpeg, in_a_day)
        .await
        .unwrap();
    let again = storage
        .put(
            bytes.clone(),
            MediaKind::Jpeg,
            in_a_day + SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
    assert_eq!(again.id, object.id);
    assert!(again.keep_until > object.keep_until);
    let (read, content) = storage.get(&object.id).await.unwrap().unwrap();
    assert_eq!(content, bytes);
    assert_eq!(read, again);

    // The bucket URL is what Meta gets: it serves the JPEG with its type, and ranges.
    let url = storage.public_url(&object).unwrap();
    assert_eq!(
        url.as_str(),
        format!("{endpoint}/igpub-media/media/{}.jpg", object.id)
    );
    let answer = reqwest::get(url.clone()).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/jpeg");
    let report = check(&local_preflight(), 1, url.as_str(), MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![], "{:#?}", report.problems);
    assert_eq!(report.facts.status, Some(206));

    // Retention and garbage collection work the same as on the filesystem.
    let other = storage
        .put(Bytes::from(jpeg(500, 500)), MediaKind::Jpeg, in_a_day)
        .await
        .unwrap();
    storage
        .retain_until(&object.id, in_a_day + SignedDuration::from_hours(48))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(storage.list().await.unwrap().len(), 2);
    let report = collect_garbage(&storage, in_a_day + SignedDuration::from_hours(2))
        .await
        .unwrap();
    assert_eq!(report.deleted, vec![other.id.clone()]);
    assert!(storage.get(&other.id).await.unwrap().is_none());
    assert!(storage.exists(&object.id).await.unwrap());
    assert!(!storage.delete(&other.id).await.unwrap());
}

#[tokio::test]
async fn an_app_configured_with_s3_hosts_uploads_in_the_bucket_and_hands_out_its_url() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let endpoint = format!("http://{}", moto.addr);
    create_public_bucket(&endpoint, "igpub-app-media").await;
    let backend = TestBackend::create(Backend::Sqlite).await.unwrap();
    let media_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let bucket_url = format!("{endpoint}/igpub-app-media/");
    let mut settings = Settings {
        database_url: backend.database_url.clone(),
        secret_keys: Some(backend.secret_keys.clone()),
        public_base_url: address.clone(),
        ..Settings::default()
    };
    settings.media.data_dir = media_dir.path().to_owned();
    settings.media.s3 = Some(S3Settings {
        bucket: "igpub-app-media".into(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.clone()),
        access_key_id: "testing".into(),
        secret_access_key: SecretString::from("testing"),
        allow_http: true,
        public_base_url: bucket_url.clone(),
    });
    let settings = Arc::new(settings);
    let graph = igpub::startup::graph_client(&settings).unwrap();
    let state = AppState::build(backend.store.clone(), settings, graph)
        .await
        .unwrap();
    let storage = state.media.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let (_tenant, api_key) = backend.store.create_tenant("S3 tenant").await.unwrap();

    let bytes = jpeg(640, 640);
    let answer = reqwest::Client::new()
        .post(format!("{address}/v1/media"))
        .bearer_auth(api_key.expose_secret())
        .header("content-type", "image/jpeg")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let uploaded: serde_json::Value = answer.json().await.unwrap();
    let url = uploaded["url"].as_str().unwrap().to_owned();
    // The URL Meta is given is the bucket's, and the bucket serves the file itself.
    assert!(url.starts_with(&format!("{bucket_url}media/")), "{url}");
    let id = MediaId::parse(uploaded["media_id"].as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("a media id in {uploaded}"));
    let (object, stored) = storage.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.as_ref(), bytes.as_slice());
    assert_eq!(storage.public_url(&object).unwrap().as_str(), url);
    let from_bucket = reqwest::get(&url).await.unwrap();
    assert_eq!(from_bucket.status(), 200);
    assert_eq!(from_bucket.headers()["content-type"], "image/jpeg");
    assert_eq!(
        from_bucket.bytes().await.unwrap().as_ref(),
        bytes.as_slice()
    );
    // Nothing went to the data directory but the hosting secret.
    assert!(!media_dir.path().join("objects").exists());
    assert!(
        media_dir
            .path()
            .join(igpub::startup::HOSTING_SECRET_FILE)
            .exists()
    );
    // igpub's own route sends people to the bucket.
    let local = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{address}/media/{}", object.file_name()))
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 307);
    assert_eq!(local.headers()["location"], url.as_str());

    server.abort();
    backend.remove().await;
}
