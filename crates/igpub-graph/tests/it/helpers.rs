//! Shared test scaffolding: a client pointed at a wiremock server, parameter matchers that look
//! at the query and the form body alike, and readers of what the server received.

use igpub_graph::{AccessToken, AuthedClient, GraphClient, GraphClientBuilder};
use wiremock::{Match, MockServer, Request, ResponseTemplate};

/// The Page token every test client uses; tests assert it never leaks.
pub const TOKEN: &str = "EAAGtest-page-token-0123456789abcdef";
/// An IG user id from graph-api.md's samples.
pub const IG: &str = "17841400008460056";

/// A client on `server`, without client-side timeouts (tests run on tokio's paused clock).
pub fn client(server: &MockServer) -> AuthedClient {
    client_with(server, |builder| builder)
}

/// A client on `server`, with extra builder settings.
pub fn client_with(
    server: &MockServer,
    configure: impl FnOnce(GraphClientBuilder) -> GraphClientBuilder,
) -> AuthedClient {
    let builder = GraphClient::builder()
        .base_url(server.uri())
        .without_timeouts();
    match configure(builder).build() {
        Ok(client) => client.with_token(AccessToken::new(TOKEN)),
        Err(error) => panic!("test client must build: {error}"),
    }
}

/// `/v25.0/{path}`.
pub fn v(path: &str) -> String {
    format!("/v25.0/{path}")
}

/// A 200 JSON answer.
pub fn ok_json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

/// An error answer with Meta's envelope.
pub fn graph_error(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

/// The content type a request was sent with ("" when none).
pub fn content_type_of(request: &Request) -> String {
    request
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Query pairs, then the body's pairs (a form, or a JSON object of string members), in order.
pub fn params_of(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let content_type = content_type_of(request);
    if content_type.starts_with("application/x-www-form-urlencoded") {
        pairs.extend(
            url::form_urlencoded::parse(&request.body)
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
    } else if content_type.starts_with("application/json") {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&request.body).unwrap_or_default();
        pairs.extend(object.into_iter().map(|(name, value)| match value {
            serde_json::Value::String(text) => (name, text),
            other => (name, other.to_string()),
        }));
    }
    pairs
}

/// The value of one parameter, from the query or the form body.
pub fn param_of(request: &Request, name: &str) -> Option<String> {
    params_of(request)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Matches a parameter in the query or the form body.
pub struct HasParam(pub &'static str, pub String);

impl Match for HasParam {
    fn matches(&self, request: &Request) -> bool {
        param_of(request, self.0).as_deref() == Some(self.1.as_str())
    }
}

/// Matches a parameter, wherever it is sent.
pub fn param(name: &'static str, value: impl Into<String>) -> HasParam {
    HasParam(name, value.into())
}

/// Matches a batch whose first sub-request has this relative URL.
pub struct BatchFirst(pub String);

impl Match for BatchFirst {
    fn matches(&self, request: &Request) -> bool {
        batch_of(request)
            .as_array()
            .and_then(|items| items.first())
            .and_then(|item| item.get("relative_url"))
            .and_then(|url| url.as_str())
            == Some(self.0.as_str())
    }
}

/// The parsed `batch` parameter of a request (JSON `null` when absent).
pub fn batch_of(request: &Request) -> serde_json::Value {
    param_of(request, "batch")
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// What the server received, in order.
pub async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

/// `METHOD /path` of each received request.
pub async fn received_endpoints(server: &MockServer) -> Vec<String> {
    received(server)
        .await
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// Asserts that no received request put `secret` in its URL, and that every one carried the
/// test token in the `Authorization` header.
pub async fn assert_token_only_in_header(server: &MockServer) {
    for request in received(server).await {
        assert!(
            !request.url.as_str().contains(TOKEN),
            "token in URL {}",
            request.url
        );
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(authorization, format!("Bearer {TOKEN}"));
    }
}

/// A Meta timestamp's Unix seconds, for building expectations.
pub fn unix(text: &str) -> i64 {
    igpub_graph::parse_meta_timestamp(text)
        .map(|t| t.as_second())
        .unwrap_or_default()
}

/// The batch answer of `publish_and_fetch`: the publish, then the media read (graph-api.md §9.1
/// shape: each body is a JSON string).
pub fn publish_batch_answer(media_id: &str, permalink: &str) -> ResponseTemplate {
    let media = serde_json::json!({
        "id": media_id,
        "media_type": "IMAGE",
        "media_product_type": "FEED",
        "permalink": permalink,
        "shortcode": "CSgf9BChwVq",
        "timestamp": "2021-08-13T08:25:28+0000",
    });
    let answer = serde_json::json!([
        {"code": 200, "headers": [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}], "body": serde_json::json!({"id": media_id}).to_string()},
        {"code": 200, "headers": [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}], "body": media.to_string()},
    ]);
    ok_json(&answer.to_string())
}

/// A container status answer with Meta's real status texts (graph-api.md §2.6, §10).
pub fn status_answer(id: &str, code: &str) -> ResponseTemplate {
    let status = match code {
        "FINISHED" => "Finished: Media has been uploaded and it is ready to be published.",
        "IN_PROGRESS" => "In Progress: Media is still being processed.",
        "PUBLISHED" => "Published: Media has been successfully published.",
        "ERROR" => "Error: Media upload has failed with error code 2207026",
        _ => "Expired: the container was not published within 24 hours",
    };
    ok_json(&serde_json::json!({"id": id, "status": status, "status_code": code}).to_string())
}
