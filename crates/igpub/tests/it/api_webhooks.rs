//! Outbound webhooks end to end, with a receiving axum server on port 0: registration (the
//! secret shown once), signed deliveries that verify, retries with backoff, giving up, the
//! delivery log, event filters, and the refusal of private addresses.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use igpub::media::ssrf::{AddressPolicy, SystemResolver};
use igpub::metrics::Metrics;
use igpub::store::{DeliveryId, DueDelivery, PostId, PostState, TenantId, WebhookId};
use igpub::webhooks_out::{Dispatcher, DispatcherConfig, REPLAY_TOLERANCE, Sender, verify};
use image::ImageFormat;
use parking_lot::Mutex;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::api_support::{
    connect_first_account, picture, settle, spawn_media_app, spawn_media_app_on, text, upload,
    worker,
};
use crate::helpers::{TestApp, json_of};
use igpub::store::testing::available_backends;

/// What the receiver got, and what it answers next.
#[derive(Default)]
struct Inbox {
    received: Vec<(HeaderMap, Bytes)>,
    /// Statuses to answer, in order; 200 once empty.
    answers: VecDeque<u16>,
}

struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
    _server: tokio::task::JoinHandle<()>,
}

async fn receiver(answers: &[u16]) -> Receiver {
    let inbox = Arc::new(Mutex::new(Inbox {
        received: Vec::new(),
        answers: answers.iter().copied().collect(),
    }));
    async fn receive(
        State(inbox): State<Arc<Mutex<Inbox>>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> AxumStatus {
        let mut inbox = inbox.lock();
        inbox.received.push((headers, body));
        let status = inbox.answers.pop_front().unwrap_or(200);
        AxumStatus::from_u16(status).unwrap_or(AxumStatus::OK)
    }
    let router = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("cannot bind the receiver: {error}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("the receiver has an address: {error}"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Receiver {
        url: format!("http://{address}/hooks"),
        inbox,
        _server: server,
    }
}

fn sender(allow_private_hosts: bool) -> Sender {
    Sender::new(
        AddressPolicy {
            allow_private_hosts,
            trusted_networks: Vec::new(),
        },
        Arc::new(SystemResolver),
        Duration::from_secs(5),
    )
}

fn dispatcher(app: &TestApp, metrics: Arc<Metrics>, config: DispatcherConfig) -> Dispatcher {
    Dispatcher::new(app.store.clone(), sender(true), metrics, config)
}

async fn register(app: &TestApp, url: &str, events: Option<Vec<&str>>) -> (String, SecretString) {
    let mut body = json!({"url": url, "description": "test receiver"});
    if let Some(events) = events {
        body["events"] = json!(events);
    }
    let created = json_of(
        app.post_json("/v1/webhooks", &body).await,
        StatusCode::CREATED,
    )
    .await;
    let secret = text(&created, "/secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (text(&created, "/id").to_owned(), SecretString::from(secret))
}

async fn published_post(app: &TestApp, tenant: TenantId) -> PostId {
    let integration = connect_first_account(app, tenant).await;
    let jpeg = picture(600, 600, ImageFormat::Jpeg);
    let uploaded = json_of(
        upload(app, jpeg, "image/jpeg", "").await,
        StatusCode::CREATED,
    )
    .await;
    let created = json_of(
        app.post_json(
            "/v1/posts",
            &json!({
                "integration_id": integration.id,
                "kind": "image",
                "caption": "Webhook me",
                "media": [{"url": uploaded["url"], "type": "image"}],
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let post: PostId = text(&created, "/id")
        .parse()
        .unwrap_or_else(|_| panic!("an id"));
    assert_eq!(
        settle(app, &worker(app), tenant, post).await,
        PostState::Published
    );
    post
}

#[tokio::test]
async fn a_published_post_is_delivered_once_signed_so_the_receiver_can_verify_it() {
    for backend in available_backends() {
        let app = spawn_media_app_on(backend).await;
        let inbox = receiver(&[]).await;
        let (webhook, secret) = register(&app, &inbox.url, Some(vec!["post.published"])).await;
        let listed = json_of(app.get("/v1/webhooks").await, StatusCode::OK).await;
        assert_eq!(listed["webhooks"][0]["id"], json!(webhook));
        assert!(
            listed["webhooks"][0]["secret"].is_null(),
            "the secret is shown once: {listed}"
        );
        let post = published_post(&app, app.tenant.id).await;

        let dispatcher = dispatcher(&app, Arc::new(Metrics::new()), DispatcherConfig::default());
        let round = dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        assert_eq!(round.announced, 1);
        // A second round announces nothing new and sends nothing again.
        let again = dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        assert_eq!((again.announced, again.attempts), (0, 0));

        let received = inbox.inbox.lock().received.clone();
        assert_eq!(received.len(), 1);
        let (headers, body) = &received[0];
        assert_eq!(headers["x-igpub-event"], "post.published");
        let signature = headers["x-igpub-signature"].to_str().unwrap_or_default();
        let now = app.store.now().as_second();
        assert_eq!(
            verify(&secret, signature, body, now, REPLAY_TOLERANCE),
            Ok(())
        );
        let event: Value = serde_json::from_slice(body).unwrap_or_default();
        assert_eq!(event["type"], "post.published");
        assert_eq!(event["data"]["post"]["id"], json!(post.to_string()));
        assert!(event["data"]["post"]["permalink"].is_string(), "{event}");

        let log = json_of(
            app.get(&format!("/v1/webhooks/{webhook}/deliveries")).await,
            StatusCode::OK,
        )
        .await;
        let delivery = &log["deliveries"][0];
        assert_eq!(delivery["state"], "delivered");
        assert_eq!(delivery["event_id"], event["id"]);
        assert_eq!(delivery["log"][0]["status"], 200);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_after_a_backoff_and_every_attempt_is_logged() {
    for backend in available_backends() {
        let app = spawn_media_app_on(backend).await;
        let inbox = receiver(&[500]).await;
        let (webhook, _) = register(&app, &inbox.url, None).await;
        let other = receiver(&[]).await;
        register(&app, &other.url, Some(vec!["post.failed"])).await;
        let integration = connect_first_account(&app, app.tenant.id).await;
        let metrics = Arc::new(Metrics::new());
        let config = DispatcherConfig {
            first_retry: Duration::from_secs(60),
            ..DispatcherConfig::default()
        };
        let dispatcher = dispatcher(&app, metrics.clone(), config);
        // First seen active: nothing to announce.
        dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        app.store
            .mark_needs_reconnect(
                app.tenant.id,
                integration.id,
                "Error validating access token",
            )
            .await
            .unwrap_or_else(|e| panic!("mark: {e}"));

        let first = dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        assert_eq!((first.announced, first.attempts), (1, 1));
        let early = dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        assert_eq!(early.attempts, 0, "not before the backoff has passed");
        app.backend.clock.advance(Duration::from_secs(61));
        let retried = dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        assert_eq!(retried.attempts, 1);

        let log = json_of(
            app.get(&format!("/v1/webhooks/{webhook}/deliveries")).await,
            StatusCode::OK,
        )
        .await;
        let delivery = &log["deliveries"][0];
        assert_eq!(delivery["event_type"], "integration.needs_reconnect");
        assert_eq!(delivery["state"], "delivered");
        assert_eq!(delivery["attempts"], 2);
        assert_eq!(delivery["log"][0]["status"], 500);
        assert!(delivery["log"][0]["error"].is_string());
        assert_eq!(delivery["log"][1]["status"], 200);
        let body: Value =
            serde_json::from_slice(&inbox.inbox.lock().received[1].1).unwrap_or_default();
        assert_eq!(
            body["data"]["integration"]["last_error"],
            "Error validating access token"
        );
        assert!(
            other.inbox.lock().received.is_empty(),
            "not asked for by the other webhook"
        );

        let text = metrics.render(app.store.as_ref()).await.unwrap_or_default();
        assert!(
            text.contains(r#"igpub_webhook_deliveries_total{event="integration.needs_reconnect",outcome="retry"} 1"#),
            "{text}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let app = spawn_media_app().await;
    let inbox = receiver(&[503, 503, 503]).await;
    let (webhook, _) = register(&app, &inbox.url, Some(vec!["integration.needs_reconnect"])).await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    let config = DispatcherConfig {
        max_attempts: 2,
        first_retry: Duration::from_secs(1),
        ..DispatcherConfig::default()
    };
    let dispatcher = dispatcher(&app, Arc::new(Metrics::new()), config);
    dispatcher
        .run_once()
        .await
        .unwrap_or_else(|e| panic!("round: {e}"));
    app.store
        .mark_needs_reconnect(app.tenant.id, integration.id, "expired")
        .await
        .unwrap_or_else(|e| panic!("mark: {e}"));
    for _ in 0..4 {
        dispatcher
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("round: {e}"));
        app.backend.clock.advance(Duration::from_secs(2));
    }
    assert_eq!(inbox.inbox.lock().received.len(), 2);
    let log = json_of(
        app.get(&format!("/v1/webhooks/{webhook}/deliveries")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(log["deliveries"][0]["state"], "failed");
    assert_eq!(log["deliveries"][0]["attempts"], 2);
    app.cleanup().await;
}

#[tokio::test]
async fn deliveries_to_private_addresses_are_refused_unless_allowed() {
    let inbox = receiver(&[]).await;
    let delivery = DueDelivery {
        id: DeliveryId::generate(),
        tenant: TenantId::generate(),
        webhook: WebhookId::generate(),
        url: inbox.url.clone(),
        secret: SecretString::from("whsec_x".to_owned()),
        event_type: "post.published".to_owned(),
        payload: "{}".to_owned(),
        attempts: 0,
    };
    let refused = sender(false).send(&delivery, 0).await;
    assert!(!refused.delivered());
    assert!(
        refused
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("public addresses only"),
        "{refused:?}"
    );
    assert!(inbox.inbox.lock().received.is_empty());
    assert!(sender(true).send(&delivery, 0).await.delivered());
}

#[tokio::test]
async fn a_registration_names_every_broken_rule() {
    let app = crate::helpers::spawn_app().await;
    let response = app
        .post_json(
            "/v1/webhooks",
            &json!({"url": "ftp://x.example/", "events": ["post.published", "post.exploded"]}),
        )
        .await;
    let body = json_of(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|detail| detail["field"].as_str())
        .collect();
    assert_eq!(fields, ["url", "events[1]"]);
    app.cleanup().await;
}
