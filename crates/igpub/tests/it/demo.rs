//! `igpub demo`'s setup (not the blocking command): everything starts, the accounts connect
//! through the simulator's login, the example image is published, and a second run on the same
//! directory keeps the tenant and replaces the API key.

use std::time::Duration;

use igpub::demo::{Demo, DemoOptions};
use igpub::store::PostState;
use secrecy::ExposeSecret;

fn options(dir: &std::path::Path) -> DemoOptions {
    DemoOptions {
        data_dir: dir.join("demo"),
        port: 0,
        image_processing: Duration::ZERO,
        video_processing: Duration::ZERO,
        ..DemoOptions::default()
    }
}

/// Waits until `check` holds, looking every 50 ms, for at most `bound` (the worker runs on
/// the real clock in the demo); returns whether it held.
async fn eventually<F, Fut>(bound: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + bound;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_connects_two_accounts_and_publishes_its_example_image() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let demo = Demo::start(options(dir.path()))
        .await
        .unwrap_or_else(|error| panic!("the demo starts: {error}"));
    let usernames: Vec<_> = demo
        .accounts
        .iter()
        .map(|account| account.metadata.ig_username.clone())
        .collect();
    assert_eq!(usernames.len(), 2, "{usernames:?}");
    let kinds: Vec<_> = demo
        .scheduled
        .iter()
        .map(|post| post.kind.as_str())
        .collect();
    assert_eq!(kinds, ["image", "carousel", "reel"]);

    let image = demo.scheduled[0].id;
    let store = demo.store.clone();
    let tenant = demo.tenant;
    let published = eventually(Duration::from_secs(60), || {
        let store = store.clone();
        async move {
            store
                .get_post(tenant, image)
                .await
                .is_ok_and(|post| post.state == PostState::Published)
        }
    })
    .await;
    let post = demo.store.get_post(tenant, image).await;
    assert!(published, "the example image was not published: {post:?}");
    let truth = demo.sim.published();
    assert_eq!(truth.values().map(Vec::len).sum::<usize>(), 1, "{truth:?}");

    // The API answers with the printed key, and the welcome text shows it with a curl example.
    let key = demo.api_key().expose_secret().to_owned();
    let posts = reqwest::Client::new()
        .get(
            demo.base_url
                .join("v1/posts")
                .unwrap_or_else(|e| panic!("url: {e}")),
        )
        .bearer_auth(&key)
        .send()
        .await
        .unwrap_or_else(|error| panic!("the API answers: {error}"));
    assert_eq!(posts.status(), reqwest::StatusCode::OK);
    let welcome = demo.welcome();
    assert!(
        welcome.contains(&key) && welcome.contains("curl"),
        "{welcome}"
    );
    demo.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_keeps_the_tenant_and_revokes_the_previous_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let first = Demo::start(options(dir.path()))
        .await
        .unwrap_or_else(|error| panic!("the demo starts: {error}"));
    let tenant = first.tenant;
    let old_key = first.api_key().expose_secret().to_owned();
    let first_accounts: Vec<_> = first.accounts.iter().map(|a| a.id).collect();
    first.shutdown().await;

    let second = Demo::start(options(dir.path()))
        .await
        .unwrap_or_else(|error| panic!("the demo starts again: {error}"));
    assert_eq!(second.tenant, tenant);
    let accounts: Vec<_> = second.accounts.iter().map(|a| a.id).collect();
    assert_eq!(
        accounts, first_accounts,
        "reconnecting keeps the integrations"
    );
    let old = second
        .store
        .authenticate_api_key(&old_key)
        .await
        .unwrap_or_else(|error| panic!("authenticate: {error}"));
    assert!(old.is_none(), "the previous run's key still works");
    let new = second
        .store
        .authenticate_api_key(second.api_key().expose_secret())
        .await
        .unwrap_or_else(|error| panic!("authenticate: {error}"));
    assert_eq!(new.map(|t| t.id), Some(tenant));
    second.shutdown().await;
}
