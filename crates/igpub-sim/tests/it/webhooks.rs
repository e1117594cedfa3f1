//! Webhook delivery to a callback on loopback, signed with the app secret
//! (shared/graph-api.md §8).

use crate::support::TestSim;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use hmac::{Hmac, Mac};
use igpub_sim::{SimConfig, WebhookEvent};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(Option<String>, Bytes)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            get(|Query(query): Query<HashMap<String, String>>| async move {
                if query.get("hub.verify_token").map(String::as_str) == Some("meatyhamhock") {
                    query.get("hub.challenge").cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .post(
                |State(received): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let signature = headers
                        .get("x-hub-signature-256")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    received
                        .lock()
                        .expect("not poisoned")
                        .push((signature, body));
                    "ok"
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_comment_event_is_delivered_signed_with_the_app_secret() {
    let (url, received) = receiver().await;
    let sim = TestSim::start(SimConfig {
        webhook_callback_url: Some(url),
        fetch_media: false,
        ..SimConfig::instant()
    })
    .await;
    let media = sim.post_image("comment on me").await;
    let reply = sim
        .control(
            "webhooks/deliver",
            json!({"field": "comments", "media_id": media, "text": "lovely ☀", "from_username": "a_fan"}),
        )
        .await;
    assert_eq!(reply.body, json!({"status": 200}), "{}", reply.text);
    let deliveries = received.lock().expect("not poisoned").clone();
    assert_eq!(deliveries.len(), 1);
    let (signature, body) = &deliveries[0];
    assert_eq!(
        signature.as_deref(),
        Some(expected_signature(&sim.account.app_secret, body).as_str())
    );
    let payload: Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(payload["object"], "instagram");
    let entry = &payload["entry"][0];
    assert_eq!(entry["id"], sim.account.ig.as_str());
    let change = &entry["changes"][0];
    assert_eq!(change["field"], "comments");
    assert_eq!(change["value"]["text"], "lovely ☀");
    assert_eq!(change["value"]["media"]["id"], media.as_str());
    let comments = sim.get(&format!("v25.0/{media}/comments"), &[]).await;
    assert_eq!(comments.body["data"][0]["id"], change["value"]["id"]);
}

#[tokio::test]
async fn mentions_and_story_insights_go_to_a_given_callback() {
    let (url, received) = receiver().await;
    let sim = TestSim::quick().await;
    let story_container = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "STORIES"),
                ("image_url", "http://127.0.0.1:9/a.jpg"),
            ],
        )
        .await
        .id();
    let story = sim.publish(&story_container).await.id();
    let mention = WebhookEvent::Mentions {
        ig_user_id: sim.account.ig.clone(),
        media_id: "17918195224117851".to_owned(),
        comment_id: None,
    };
    assert_eq!(
        sim.sim.deliver_webhook(&mention, Some(&url)).await.ok(),
        Some(200)
    );
    let insights = WebhookEvent::StoryInsights { media_id: story };
    assert_eq!(
        sim.sim.deliver_webhook(&insights, Some(&url)).await.ok(),
        Some(200)
    );
    let fields: Vec<Value> = received
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).expect("JSON")["entry"][0]["changes"][0]["field"]
                .clone()
        })
        .collect();
    assert_eq!(fields, vec![json!("mentions"), json!("story_insights")]);
}

#[tokio::test]
async fn without_a_callback_delivery_is_refused_naming_the_field() {
    let sim = TestSim::quick().await;
    let media = sim.post_image("x").await;
    let reply = sim
        .control(
            "webhooks/deliver",
            json!({"field": "comments", "media_id": media, "text": "hi"}),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"]["field"], "callback_url");
}

#[tokio::test]
async fn the_verification_handshake_checks_that_the_challenge_is_echoed() {
    let (url, _received) = receiver().await;
    let sim = TestSim::quick().await;
    let good = sim
        .control(
            "webhooks/verify",
            json!({"verify_token": "meatyhamhock", "callback_url": url}),
        )
        .await;
    assert_eq!(good.body, json!({"status": 200, "challenge_echoed": true}));
    let bad = sim
        .control(
            "webhooks/verify",
            json!({"verify_token": "wrong", "callback_url": url}),
        )
        .await;
    assert_eq!(bad.body["challenge_echoed"], false);
}
