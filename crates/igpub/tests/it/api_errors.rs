//! The API's errors: one JSON shape, the right status for each kind of mistake, a request id
//! on every answer, body size limits, and nothing internal in the words.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_support::connect_first_account;
use crate::helpers::{TestApp, send, spawn_app};

/// Checks the one error shape and returns the body.
async fn error_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert!(
        response.headers().contains_key("x-request-id"),
        "no request id on a {status}"
    );
    let body: Value = response.json().await.unwrap_or_default();
    let error = &body["error"];
    assert!(error["code"].is_string(), "{body}");
    assert!(error["message"].is_string(), "{body}");
    assert!(error["details"].is_array(), "{body}");
    body
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    send(
        app.request(method, path)
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

#[tokio::test]
async fn each_kind_of_mistake_has_its_status_in_the_one_shape() {
    let app = spawn_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;

    let no_key = send(app.http.get(app.url("/v1/posts"))).await;
    error_of(no_key, StatusCode::UNAUTHORIZED).await;
    let bad_key = send(app.http.get(app.url("/v1/posts")).bearer_auth("igpub_nope")).await;
    error_of(bad_key, StatusCode::UNAUTHORIZED).await;

    let syntax = raw(
        &app,
        Method::POST,
        "/v1/webhooks",
        "application/json",
        b"{\"url\":".to_vec(),
    )
    .await;
    error_of(syntax, StatusCode::BAD_REQUEST).await;

    let unknown = app
        .get("/v1/posts/0190f2a0-7b1c-7d3e-8f00-0123456789ab")
        .await;
    error_of(unknown, StatusCode::NOT_FOUND).await;
    let no_route = app.get("/v1/nothing-here").await;
    error_of(no_route, StatusCode::NOT_FOUND).await;

    let huge = vec![b' '; 300 * 1024];
    let too_large = raw(&app, Method::POST, "/v1/webhooks", "application/json", huge).await;
    let body = error_of(too_large, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(body["error"]["code"], "payload_too_large");

    let invalid = app
        .post_json(
            "/v1/posts",
            &json!({"integration_id": integration.id, "kind": "carousel", "media": []}),
        )
        .await;
    let body = error_of(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        !body["error"]["details"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{body}"
    );

    app.cleanup().await;
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_a_conflict() {
    let app = crate::api_support::spawn_media_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    let uploaded = crate::helpers::json_of(
        crate::api_support::upload(
            &app,
            crate::api_support::picture(400, 400, image::ImageFormat::Jpeg),
            "image/jpeg",
            "",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut post = json!({
        "integration_id": integration.id,
        "kind": "image",
        "media": [{"url": uploaded["url"]}],
        "publish_at": "2099-01-01T00:00:00Z",
    });
    let send_keyed = |body: Value| {
        send(
            app.request(Method::POST, "/v1/posts")
                .header("idempotency-key", "order-42")
                .json(&body),
        )
    };
    assert_eq!(send_keyed(post.clone()).await.status(), StatusCode::CREATED);
    assert_eq!(send_keyed(post.clone()).await.status(), StatusCode::OK);
    post["caption"] = json!("another body");
    let body = error_of(send_keyed(post).await, StatusCode::CONFLICT).await;
    assert_eq!(body["error"]["code"], "conflict");
    app.cleanup().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_given_one_is_echoed() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/v1/posts",
        "/nowhere",
    ] {
        let response = app.get(path).await;
        assert!(response.headers().contains_key("x-request-id"), "{path}");
    }
    let echoed = send(
        app.request(Method::GET, "/v1/posts")
            .header("x-request-id", "trace-me-123"),
    )
    .await;
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-123");
    app.cleanup().await;
}

#[tokio::test]
async fn a_tenant_past_its_request_budget_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let graph = igpub::startup::graph_client(&app.settings)
        .unwrap_or_else(|error| panic!("graph: {error}"));
    let mut state = igpub::http::AppState::build(app.store.clone(), app.settings.clone(), graph)
        .await
        .unwrap_or_else(|error| panic!("state: {error}"));
    state.api_limits = igpub::http::rate_limit::ApiRateLimit::new(1, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("address: {error}"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, igpub::http::router(state)).await;
    });
    let get = || {
        send(
            app.http
                .get(format!("http://{address}/v1/posts"))
                .bearer_auth(secrecy::ExposeSecret::expose_secret(&app.api_key)),
        )
    };
    assert_eq!(get().await.status(), StatusCode::OK);
    assert_eq!(get().await.status(), StatusCode::OK);
    let limited = get().await;
    let retry_after = limited.headers().get("retry-after").cloned();
    let body = error_of(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(retry_after.is_some());
    server.abort();
    app.cleanup().await;
}
