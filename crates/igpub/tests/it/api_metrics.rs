//! `/metrics` in the OpenMetrics text format: posts by state and queue lag read from the
//! database, rate-limit pauses, and Graph calls by endpoint and result counted from the
//! Graph client's own events.

use std::time::Duration;

use igpub::metrics::{GraphCallLabels, GraphCallLayer, Metrics, graph_calls};
use igpub::store::Pause;
use reqwest::StatusCode;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

use crate::api_support::connect_first_account;
use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_count_posts_by_state_and_show_queue_lag_and_pauses() {
    let app = spawn_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    app.store
        .set_pause(&Pause {
            scope: format!("account:{}", integration.metadata.ig_user_id),
            until: app.store.now() + jiff::SignedDuration::from_mins(5),
            reason: "test".to_owned(),
        })
        .await
        .unwrap_or_else(|error| panic!("pause: {error}"));

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/openmetrics-text"),
    );
    let text = response.text().await.unwrap_or_default();
    for state in ["scheduled", "published", "failed", "held", "waiting_quota"] {
        assert!(
            text.contains(&format!("igpub_posts{{state=\"{state}\"}}")),
            "{state}: {text}"
        );
    }
    assert!(
        text.contains("igpub_rate_limit_pauses{scope=\"account\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("igpub_rate_limit_pauses{scope=\"app\"} 0"),
        "{text}"
    );
    assert!(text.contains("igpub_queue_lag_seconds 0"), "{text}");
    assert!(
        text.contains("# TYPE igpub_publish_delay_seconds histogram"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
    app.cleanup().await;
}

#[tokio::test]
async fn a_post_due_and_waiting_shows_as_queue_lag() {
    let app = spawn_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    let posts = igpub::publish::Posts::new(app.store.clone());
    let request: igpub::publish::service::CreatePost = serde_json::from_value(json!({
        "integration_id": integration.id,
        "kind": "image",
        "media": [{"url": "https://cdn.example.com/a.jpg"}],
    }))
    .unwrap_or_else(|error| panic!("a request: {error}"));
    posts
        .create(app.tenant.id, request, None)
        .await
        .unwrap_or_else(|error| panic!("create: {error}"));
    app.backend.clock.advance(Duration::from_secs(90));
    let text = Metrics::new()
        .render(app.store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("render: {error}"));
    assert!(
        text.contains("igpub_posts{state=\"scheduled\"} 1"),
        "{text}"
    );
    let lag: f64 = text
        .lines()
        .find_map(|line| line.strip_prefix("igpub_queue_lag_seconds "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_default();
    assert!((89.0..=91.0).contains(&lag), "lag {lag}: {text}");
    app.cleanup().await;
}

#[tokio::test]
async fn graph_calls_are_counted_by_endpoint_and_result() {
    let app = spawn_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    let before = ok_calls("GET {id}");
    let subscriber = tracing_subscriber::registry().with(GraphCallLayer);
    let _guard = tracing::subscriber::set_default(subscriber);
    // Verifying the integration calls GET /{ig-user-id} once through the Graph client.
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/integrations/{}/verify", integration.id),
        )
        .send()
        .await
        .unwrap_or_else(|error| panic!("verify: {error}"));
    assert_eq!(response.status(), StatusCode::OK);
    let after = ok_calls("GET {id}");
    assert!(after > before, "{before} then {after}");
    let text = Metrics::new()
        .render(app.store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("render: {error}"));
    assert!(
        text.contains(r#"igpub_graph_calls_total{endpoint="GET {id}",result="ok",code=""}"#),
        "{text}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn each_part_of_a_batch_is_counted_as_a_call_of_its_own_endpoint() {
    let sim = igpub_sim::Sim::start(igpub_sim::SimConfig {
        accounts: 1,
        ..igpub_sim::SimConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("sim: {error}"));
    let account = sim.accounts().remove(0);
    let client = igpub_graph::GraphClient::builder()
        .base_url(sim.base_url().as_str())
        .build()
        .unwrap_or_else(|error| panic!("client: {error}"))
        .with_token(igpub_graph::AccessToken::new(
            secrecy::ExposeSecret::expose_secret(&account.page_token),
        ));
    let refused = GraphCallLabels {
        endpoint: "POST {id}/media_publish".to_owned(),
        result: "meta_error",
        code: "24".to_owned(),
    };
    let limit = "GET {id}/content_publishing_limit";
    let (ok_before, refused_before) =
        (ok_calls(limit), graph_calls().get_or_create(&refused).get());
    let subscriber = tracing_subscriber::registry().with(GraphCallLayer);
    let _guard = tracing::subscriber::set_default(subscriber);
    let ig = igpub_graph::IgUserId::new(&account.ig_user_id);
    let answers = client
        .batch(vec![
            igpub_graph::BatchRequest::new(igpub_graph::publishing_limit_request(&ig, None)),
            // Publishing a container that does not exist: Meta refuses it (24/2207008).
            igpub_graph::BatchRequest::new(igpub_graph::publish_request(
                &ig,
                &igpub_graph::ContainerId::new("17999999999999999"),
            )),
        ])
        .await
        .unwrap_or_else(|error| panic!("batch: {error}"));
    assert_eq!(answers.len(), 2);
    let refusal = answers[1]
        .as_ref()
        .map(|answer| answer.decode::<serde_json::Value>());
    assert!(
        matches!(&refusal, Some(Err(igpub_graph::GraphError::Api(api))) if api.code == 24),
        "{refusal:?}"
    );
    assert!(
        ok_calls(limit) > ok_before,
        "the quota read is counted under its own endpoint"
    );
    assert!(
        graph_calls().get_or_create(&refused).get() > refused_before,
        "the refused publish is counted with its code"
    );
}

fn ok_calls(endpoint: &str) -> u64 {
    graph_calls()
        .get_or_create(&GraphCallLabels {
            endpoint: endpoint.to_owned(),
            result: "ok",
            code: String::new(),
        })
        .get()
}

#[tokio::test]
async fn the_attached_workers_counters_are_exported() {
    let app = spawn_app().await;
    let worker = crate::api_support::worker(&app);
    let metrics = Metrics::new();
    let before = metrics
        .render(app.store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("render: {error}"));
    assert!(!before.contains("igpub_worker_"), "{before}");
    metrics.attach_worker(worker.metrics());
    worker
        .metrics()
        .published
        .fetch_add(3, std::sync::atomic::Ordering::Relaxed);
    let text = metrics
        .render(app.store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("render: {error}"));
    assert!(text.contains("igpub_worker_published_total 3"), "{text}");
    assert!(
        text.contains("igpub_worker_rate_limit_pauses_total"),
        "{text}"
    );
    app.cleanup().await;
}
