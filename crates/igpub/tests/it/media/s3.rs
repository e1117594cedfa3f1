//! S3-compatible hosting against a real S3-compatible server: moto's server (PyPI
//! `moto[server]`, which .ci/run installs), started on a free loopback port by the test and
//! stopped when it ends.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use igpub::media::hosting::{
    HostingSecret, MediaKind, MediaStorage, S3Config, S3Storage, collect_garbage,
};
use igpub::media::preflight::MediaRole;
use jiff::{SignedDuration, Timestamp};
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

async fn start_moto() -> Moto {
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

#[tokio::test]
async fn media_round_trips_through_an_s3_compatible_bucket_and_is_public_there() {
    let moto = start_moto().await;
    let endpoint = format!("http://{}", moto.addr);
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/igpub-media"))
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
            "Resource": "arn:aws:s3:::igpub-media/media/*"
        }]
    });
    let made_public = reqwest::Client::new()
        .put(format!("{endpoint}/igpub-media?policy"))
        .body(policy.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        made_public.status().is_success(),
        "bucket policy: {}",
        made_public.status()
    );
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
