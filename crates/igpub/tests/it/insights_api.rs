//! The insights API and Meta's webhook endpoints over real HTTP, on SQLite and PostgreSQL: the
//! app runs on port 0 against an in-process simulator that publishes through the real worker
//! and delivers signed webhooks.

use std::sync::Arc;

use igpub::config::Settings;
use igpub::http::{AppState, router};
use igpub::insights::webhook::sign_body;
use igpub::insights::{
    InsightsContext, MediaSelection, Registry, end_time_of_day, process_pending,
    pull_account_daily, pull_recent_media,
};
use igpub::store::testing::{TestBackend, for_each_backend};
use igpub::store::{ManualClock, PostId};
use igpub_graph::GraphClient;
use igpub_sim::WebhookEvent;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::publish_support::{Harness, image_post, sim_config};

const VERIFY_TOKEN: &str = "meatyhamhock";

/// The app on port 0 over the harness's store, with Meta's app secret and a verify token.
struct Api {
    address: String,
    http: reqwest::Client,
    api_key: SecretString,
    app_secret: SecretString,
    harness: Harness,
    _media_dir: tempfile::TempDir,
}

async fn spawn(backend: TestBackend) -> Api {
    let secret_keys = backend.secret_keys.clone();
    let harness = Harness::start(backend, sim_config()).await;
    let account = harness.accounts[0].clone();
    let media_dir = tempfile::tempdir().expect("a media directory");
    let mut settings = Settings {
        database_url: harness.backend.database_url.clone(),
        secret_keys: Some(secret_keys),
        ..Settings::default()
    };
    settings.meta.app_id = account.app_id.clone();
    settings.meta.app_secret = Some(account.app_secret.clone());
    settings.meta.graph_url = harness
        .sim
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    settings.webhooks.verify_token = Some(SecretString::from(VERIFY_TOKEN));
    settings.media.data_dir = media_dir.path().to_owned();
    let settings = Arc::new(settings);
    let graph = igpub::startup::graph_client(&settings).expect("a Graph client");
    let state = AppState::build(harness.backend.store.clone(), settings, graph)
        .await
        .expect("the app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    let (_, api_key) = harness
        .backend
        .store
        .create_api_key(harness.tenant, "insights tests")
        .await
        .expect("an API key");
    Api {
        address,
        http: reqwest::Client::new(),
        api_key,
        app_secret: account.app_secret,
        harness,
        _media_dir: media_dir,
    }
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn get_as(&self, key: &SecretString, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(key.expose_secret())
            .send()
            .await
            .expect("the app answers")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(&self.api_key, path).await
    }

    async fn deliver(&self, body: &[u8], signature: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url("/webhooks/meta"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        request.send().await.expect("the app answers")
    }

    async fn stored_events(&self) -> i64 {
        self.harness
            .backend
            .fetch_i64("SELECT count(*) FROM webhook_events")
            .await
            .expect("counts")
    }

    fn context(&self) -> InsightsContext {
        let graph = GraphClient::builder()
            .base_url(self.harness.sim.base_url().as_str())
            .api_version("v25.0")
            .build()
            .expect("a client");
        let mut ctx = InsightsContext::new(self.harness.backend.store.clone(), graph);
        let now = Timestamp::from_second(self.harness.sim.now_unix()).expect("now");
        ctx.clock = Arc::new(ManualClock::new(now));
        ctx
    }

    /// Creates a post for the first account and publishes it through the worker.
    async fn publish(&self, post: Value) -> (PostId, String) {
        let created = self.harness.create(0, post).await;
        let worker = self.harness.worker();
        self.harness.settle(&worker).await;
        let stored = self
            .harness
            .backend
            .store
            .get_post(self.harness.tenant, created.id)
            .await
            .expect("the post");
        (created.id, stored.media_id.expect("published"))
    }
}

/// A `comments` notification as Meta sends it: compact, non-ASCII escaped.
fn comment_body(api: &Api, text: &str) -> Vec<u8> {
    let account = &api.harness.accounts[0];
    let payload = igpub_sim::webhooks::comment_event(
        &account.ig_user_id,
        "17895695668004550",
        "17865799348089039",
        text,
        "232323232",
        "commenter",
        1_520_383_571,
    );
    igpub_sim::webhooks::encode_payload(&payload)
}

#[tokio::test]
async fn a_signed_story_insights_delivery_is_answered_at_once_and_fed_to_the_metric_store() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let (_, story) = api
            .publish(serde_json::json!({"kind": "story", "media": [{"url": "https://cdn.example.com/s.jpg"}]}))
            .await;
        let status = api
            .harness
            .sim
            .deliver_webhook(
                &WebhookEvent::StoryInsights {
                    media_id: story.clone(),
                },
                Some(&api.url("/webhooks/meta")),
            )
            .await
            .expect("the simulator delivers");
        assert_eq!(status, 200);
        assert_eq!(api.stored_events().await, 1);
        // The reply came before the work; finish whatever the background task has not.
        process_pending(&api.harness.backend.store, &Registry::standard(), 100)
            .await
            .expect("processes");
        let processed = api
            .harness
            .backend
            .fetch_i64("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL")
            .await
            .expect("counts");
        assert_eq!(processed, 1);

        let rows = api
            .harness
            .backend
            .store
            .media_metrics(api.harness.tenant, api.harness.integrations[0].id, Some(std::slice::from_ref(&story)))
            .await
            .expect("reads");
        let seed = sim_config().seed;
        let value = |metric: &str, served_by: &str, key: &str| {
            rows.iter()
                .find(|r| r.row.metric == metric && r.row.served_by == served_by && r.row.breakdown_key == key)
                .and_then(|r| r.row.value)
        };
        // graph-api.md §8.2: legacy names, mapped through the registry's lineage.
        assert_eq!(
            value("views", "impressions", ""),
            Some(igpub_sim::insights::media_metric_value(seed, &story, "views"))
        );
        assert_eq!(
            value("reach", "reach", ""),
            Some(igpub_sim::insights::media_metric_value(seed, &story, "reach"))
        );
        let navigation = igpub_sim::insights::media_breakdown_values(seed, &story, "navigation");
        let tap_forward = navigation
            .iter()
            .find(|(name, _)| *name == "tap_forward")
            .map(|(_, n)| *n);
        assert_eq!(
            value(
                "navigation",
                "taps_forward",
                "story_navigation_action_type=tap_forward"
            ),
            tap_forward
        );
        assert!(rows.iter().all(|r| r.row.media_kind == "STORY"));
    })
    .await;
}

#[tokio::test]
async fn a_delivery_with_a_wrong_signature_gets_403_and_nothing_is_stored() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let body = comment_body(&api, "Beautiful!");
        let forged = sign_body(&SecretString::from("not-the-app-secret"), &body).expect("signs");
        let response = api.deliver(&body, Some(&forged)).await;
        assert_eq!(response.status(), 403);
        // A valid signature of other bytes fails too: the HMAC covers the raw body.
        let other = sign_body(&api.app_secret, b"{}").expect("signs");
        assert_eq!(api.deliver(&body, Some(&other)).await.status(), 403);
        assert_eq!(api.stored_events().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_delivery_without_a_signature_gets_403_and_nothing_is_stored() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let body = comment_body(&api, "Beautiful!");
        let response = api.deliver(&body, None).await;
        assert_eq!(response.status(), 403);
        assert_eq!(api.stored_events().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_replayed_delivery_is_stored_and_counted_once() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let body = comment_body(&api, "Ça va? 👍");
        let signature = sign_body(&api.app_secret, &body).expect("signs");
        let first: Value = api
            .deliver(&body, Some(&signature))
            .await
            .json()
            .await
            .expect("a receipt");
        assert_eq!(first["new"], 1);
        let again = api.deliver(&body, Some(&signature)).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.expect("a receipt");
        assert_eq!(
            (again["new"].clone(), again["repeated"].clone()),
            (0.into(), 1.into())
        );
        assert_eq!(api.stored_events().await, 1);
        let deliveries = api
            .harness
            .backend
            .fetch_i64("SELECT deliveries FROM webhook_events")
            .await
            .expect("a count");
        assert_eq!(deliveries, 2);
    })
    .await;
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_the_configured_verify_token() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let path = |token: &str| {
            format!(
                "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}"
            )
        };
        let right = api.http.get(api.url(&path(VERIFY_TOKEN))).send().await.expect("answers");
        assert_eq!(right.status(), 200);
        assert_eq!(right.text().await.expect("a body"), "1158201444");
        let wrong = api.http.get(api.url(&path("guess"))).send().await.expect("answers");
        assert_eq!(wrong.status(), 403);
        assert!(!wrong.text().await.expect("a body").contains("1158201444"));
        // The simulator's own handshake, as Meta's dashboard runs it.
        let verify = |token: &'static str| {
            let url = api.harness.sim.base_url().join("__sim/webhooks/verify").expect("a url");
            let callback = api.url("/webhooks/meta");
            let http = api.http.clone();
            async move {
                let answer: Value = http
                    .post(url)
                    .json(&serde_json::json!({"verify_token": token, "callback_url": callback}))
                    .send()
                    .await
                    .expect("the simulator answers")
                    .json()
                    .await
                    .expect("json");
                answer
            }
        };
        let accepted = verify(VERIFY_TOKEN).await;
        assert_eq!(accepted["status"], 200, "{accepted}");
        assert_eq!(accepted["challenge_echoed"], true, "{accepted}");
        let refused = verify("guess").await;
        assert_eq!(refused["status"], 403, "{refused}");
    })
    .await;
}

#[tokio::test]
async fn the_account_report_is_served_as_json_and_csv_to_its_tenant_only() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let ctx = api.context();
        let integration = &api.harness.integrations[0];
        let range = ctx.last_complete_days(3).expect("a range");
        pull_account_daily(&ctx, integration, range, None)
            .await
            .expect("pulls");
        let path = format!(
            "/v1/integrations/{}/insights?since={}&until={}",
            integration.id,
            range.first(),
            range.last()
        );
        let json = api.get(&path).await;
        assert_eq!(json.status(), 200);
        let report: Value = json.json().await.expect("json");
        let columns: Vec<&str> = report["table"]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(columns.first(), Some(&"reach"));
        let likes = columns.iter().position(|c| *c == "likes").expect("likes");
        let day = range.first();
        let end = end_time_of_day(day).expect("an end").as_second();
        let truth = igpub_sim::insights::account_metric_value(
            sim_config().seed,
            &api.harness.accounts[0].ig_user_id,
            "likes",
            end,
        );
        assert_eq!(report["table"]["rows"][0]["values"][likes], truth);
        assert_eq!(report["series"].as_array().map(Vec::len), Some(10));
        assert!(report["summary"]["metrics"].is_array());

        let csv = api.get(&format!("{path}&format=csv")).await;
        assert_eq!(
            csv.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/csv; charset=utf-8")
        );
        let text = csv.text().await.expect("a body");
        assert!(text.starts_with("date,reach,views,"), "{text}");
        assert_eq!(text.lines().count(), 4);

        let bogus = api.get(&format!("{path}&metrics=reach,impresions")).await;
        assert_eq!(bogus.status(), 422);
        let error: Value = bogus.json().await.expect("json");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("unknown metric `impresions`"), "{message}");
        assert!(
            message.contains("valid metrics: accounts_engaged"),
            "{message}"
        );
        assert_eq!(error["error"]["details"][0]["field"], "metrics");

        let (other, other_key) = api
            .harness
            .backend
            .store
            .create_tenant("Another agency")
            .await
            .expect("a tenant");
        let _ = other;
        assert_eq!(api.get_as(&other_key, &path).await.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn a_posts_lifetime_metrics_are_served_by_its_post_id() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let (post, media_id) = api.publish(image_post("Measured")).await;
        let ctx = api.context();
        pull_recent_media(
            &ctx,
            &api.harness.integrations[0],
            MediaSelection::Posts,
            None,
        )
        .await
        .expect("pulls");
        let response = api.get(&format!("/v1/posts/{post}/insights")).await;
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.expect("json");
        let columns: Vec<&str> = report["table"]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let row = &report["table"]["rows"][0];
        assert_eq!(row["media_id"], media_id.as_str());
        let seed = sim_config().seed;
        for (metric, served_by) in [("reach", "reach"), ("saves", "saved"), ("likes", "likes")] {
            let index = columns.iter().position(|c| *c == metric).expect("a column");
            assert_eq!(
                row["values"][index],
                igpub_sim::insights::media_metric_value(seed, &media_id, served_by),
                "{metric}"
            );
        }
        // `saves` came from media's `saved`, and the report says so.
        let saves = columns.iter().position(|c| *c == "saves").expect("saves");
        assert_eq!(row["served_by"][saves], "saved");

        let csv = api
            .get(&format!("/v1/posts/{post}/insights?format=csv"))
            .await;
        let text = csv.text().await.expect("a body");
        assert!(
            text.starts_with("media_id,kind,published_on,permalink,"),
            "{text}"
        );

        let waiting = api.harness.create(0, image_post("Later")).await;
        let unpublished = api.get(&format!("/v1/posts/{}/insights", waiting.id)).await;
        assert_eq!(unpublished.status(), 409);
        let unknown = api.get("/v1/posts/not-a-post/insights").await;
        assert_eq!(unknown.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn the_top_posts_are_ranked_by_the_asked_metric_and_an_unknown_one_is_refused() {
    for_each_backend(|backend| async move {
        let api = spawn(backend).await;
        let mut media = Vec::new();
        for caption in ["One", "Two", "Three"] {
            media.push(api.publish(image_post(caption)).await.1);
        }
        let ctx = api.context();
        let integration = &api.harness.integrations[0];
        pull_recent_media(&ctx, integration, MediaSelection::Posts, None)
            .await
            .expect("pulls");
        let seed = sim_config().seed;
        let mut expected: Vec<(i64, String)> = media
            .iter()
            .map(|id| {
                (
                    igpub_sim::insights::media_metric_value(seed, id, "reach"),
                    id.clone(),
                )
            })
            .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let response = api
            .get(&format!(
                "/v1/integrations/{}/posts/insights?top_by=reach&limit=2",
                integration.id
            ))
            .await;
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.expect("json");
        let top: Vec<&str> = report["top"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|row| row["media_id"].as_str())
            .collect();
        let want: Vec<&str> = expected.iter().take(2).map(|(_, id)| id.as_str()).collect();
        if expected[1].0 != expected[2].0 {
            assert_eq!(top, want);
        }
        assert_eq!(top.len(), 2);
        let bad = api
            .get(&format!(
                "/v1/integrations/{}/posts/insights?top_by=nonsense",
                integration.id
            ))
            .await;
        assert_eq!(bad.status(), 422);
    })
    .await;
}
