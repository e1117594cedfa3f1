//! Helpers shared by the `api_*` tests: an app whose media the simulator can fetch, a
//! connected integration, images made on the spot, and a worker driven by the store's clock.

#![allow(dead_code)] // Each api_* module uses its own part.

use std::io::Cursor;
use std::time::Duration;

use igpub::publish::{Worker, WorkerConfig};
use igpub::store::{Integration, NewIntegration, PostId, PostState, TenantId};
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::Value;

use crate::helpers::{TestApp, TestAppOptions, spawn_app_with};

/// An app on SQLite whose pre-flight, crawler and webhooks may use loopback (where the test
/// hosts media and receivers), over a simulator that fetches media as Meta does.
pub async fn spawn_media_app() -> TestApp {
    spawn_media_app_on(igpub::store::Backend::Sqlite).await
}

/// [`spawn_media_app`] on `backend`.
pub async fn spawn_media_app_on(backend: igpub::store::Backend) -> TestApp {
    let mut options = TestAppOptions {
        backend,
        allow_private_hosts: true,
        ..TestAppOptions::default()
    };
    options.sim.fetch_media = true;
    spawn_app_with(options).await
}

/// Connects the simulator's first account to `tenant` through the store.
pub async fn connect_first_account(app: &TestApp, tenant: TenantId) -> Integration {
    let account = app
        .sim
        .accounts()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the simulator seeds an account"));
    app.store
        .upsert_instagram_integration(
            tenant,
            NewIntegration {
                ig_user_id: account.ig_user_id,
                ig_username: account.username,
                facebook_page_id: account.page_id,
                page_token: account.page_token,
                token_expires_at: None,
            },
        )
        .await
        .unwrap_or_else(|error| panic!("cannot connect the account: {error}"))
}

/// A `width`×`height` picture in `format`.
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .unwrap_or_else(|error| panic!("cannot encode a {format:?}: {error}"));
    out.into_inner()
}

/// A worker with millisecond timings and the media pre-flight of the app's settings.
pub fn worker(app: &TestApp) -> Worker {
    let config = WorkerConfig {
        idle_recheck: Duration::from_millis(50),
        ..igpub::background::worker_config(&app.settings)
    };
    let config = WorkerConfig {
        poll: crate::publish_support::fast_polls(&config.poll),
        ..config
    };
    Worker::new(
        app.store.clone(),
        igpub::startup::graph_client_builder(&app.settings),
        config,
    )
    .unwrap_or_else(|error| panic!("the worker must build: {error}"))
}

/// Runs the worker and moves the store's clock in small steps until `post` stops moving or
/// reaches an end state.
pub async fn settle(app: &TestApp, worker: &Worker, tenant: TenantId, post: PostId) -> PostState {
    for _ in 0..80 {
        worker
            .run_due_now()
            .await
            .unwrap_or_else(|error| panic!("the worker runs: {error}"));
        let state = app
            .store
            .get_post(tenant, post)
            .await
            .unwrap_or_else(|error| panic!("the post exists: {error}"))
            .state;
        if matches!(
            state,
            PostState::Published | PostState::Failed | PostState::Held | PostState::Cancelled
        ) {
            return state;
        }
        app.backend.clock.advance(Duration::from_millis(250));
    }
    app.store
        .get_post(tenant, post)
        .await
        .unwrap_or_else(|error| panic!("the post exists: {error}"))
        .state
}

/// Uploads `content` as the first tenant with `query` (e.g. `?auto_fix=true`).
pub async fn upload(
    app: &TestApp,
    content: Vec<u8>,
    content_type: &str,
    query: &str,
) -> reqwest::Response {
    crate::helpers::send(
        app.request(reqwest::Method::POST, &format!("/v1/media{query}"))
            .header("content-type", content_type)
            .body(content),
    )
    .await
}

/// The string at `pointer` of `value`, or a failure naming it.
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is not a string in {value}"))
}
