//! Batch requests (graph-api.md §9.1): up to 50 sub-requests in one HTTP round trip, with
//! `name`, `depends_on`, `omit_response_on_success` and JSONPath references such as
//! `{result=publish:$.id}`.

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{AuthedClient, GraphClient, decode_body};
use crate::error::{GraphError, parse_envelope};
use crate::request::{GraphRequest, Method, ParamValue};
use crate::secret::{AccessToken, appsecret_proof, scrub};
use crate::usage::UsageReport;

/// The most sub-requests Meta takes in one batch.
pub const MAX_BATCH_REQUESTS: usize = 50;

/// One sub-request of a batch.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// The request; its path may hold JSONPath references to earlier named results.
    pub request: GraphRequest,
    /// `name`, for later sub-requests to refer to.
    pub name: Option<String>,
    /// `depends_on`: the name of a sub-request that must succeed first.
    pub depends_on: Option<String>,
    /// `omit_response_on_success`: Meta omits named responses unless this is `false`.
    pub omit_response_on_success: Option<bool>,
}

impl BatchRequest {
    /// Wraps a request.
    pub fn new(request: GraphRequest) -> Self {
        Self {
            request,
            name: None,
            depends_on: None,
            omit_response_on_success: None,
        }
    }

    /// Names the sub-request.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes it wait for the named sub-request.
    #[must_use]
    pub fn depends_on(mut self, name: impl Into<String>) -> Self {
        self.depends_on = Some(name.into());
        self
    }

    /// Sets `omit_response_on_success`.
    #[must_use]
    pub fn omit_response_on_success(mut self, omit: bool) -> Self {
        self.omit_response_on_success = Some(omit);
        self
    }

    /// The sub-request as Meta's batch JSON: `method`, `relative_url`, form `body` for POST.
    pub(crate) fn wire(&self) -> WirePart<'_> {
        let params = self.request.encoded_params();
        let (relative_url, body) = match self.request.method {
            Method::Post => (self.request.path.clone(), Some(params)),
            Method::Get | Method::Delete if params.is_empty() => (self.request.path.clone(), None),
            Method::Get | Method::Delete => (format!("{}?{params}", self.request.path), None),
        };
        WirePart {
            method: self.request.method.as_str(),
            relative_url,
            body,
            name: self.name.as_deref(),
            depends_on: self.depends_on.as_deref(),
            omit_response_on_success: self.omit_response_on_success,
        }
    }

    fn has_secret_params(&self) -> bool {
        self.request
            .params
            .iter()
            .any(|(_, value)| matches!(value, ParamValue::Secret(_)))
    }
}

/// A sub-request as the `batch` parameter carries it (§9.1). Written straight to the JSON
/// text: a `serde_json::Value` tree per part was built only to be written out, on the
/// worker's hottest path.
#[derive(Debug, Serialize)]
pub(crate) struct WirePart<'a> {
    method: &'static str,
    relative_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depends_on: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    omit_response_on_success: Option<bool>,
}

/// One header of a sub-response.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct BatchHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// One sub-response: its own HTTP code, headers and body (a JSON string).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct BatchResponse {
    /// The sub-request's HTTP status.
    pub code: u16,
    /// Its headers (present unless `include_headers=false`).
    #[serde(default)]
    pub headers: Vec<BatchHeader>,
    /// Its body, as the JSON text Meta sent.
    #[serde(default)]
    pub body: Option<String>,
    /// `METHOD path` of the sub-request, for errors.
    #[serde(skip)]
    pub endpoint: String,
    /// Secrets to scrub from error texts; `SecretString` keeps them out of `Debug`.
    #[serde(skip)]
    secrets: Vec<SecretString>,
}

impl BatchResponse {
    /// The usage headers of this sub-response.
    pub fn usage(&self) -> UsageReport {
        UsageReport::from_header_pairs(
            self.headers
                .iter()
                .map(|header| (header.name.as_str(), header.value.as_str())),
        )
    }

    /// Decodes the body as `T`, or turns an error sub-response into the same [`GraphError`] a
    /// direct call would have given.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        let body = self.body.as_deref().unwrap_or("null");
        let secrets: Vec<&str> = self
            .secrets
            .iter()
            .map(|secret| secret.expose_secret())
            .collect();
        let success = (200..300).contains(&self.code);
        if !success || body.starts_with("{\"error\"") {
            if let Some(api) = parse_envelope(
                body.as_bytes(),
                self.code,
                &self.endpoint,
                self.usage(),
                &secrets,
            ) {
                return Err(GraphError::Api(Box::new(api)));
            }
            if !success {
                return Err(GraphError::Http {
                    status: self.code,
                    endpoint: self.endpoint.clone(),
                    body_excerpt: scrub(&body.chars().take(300).collect::<String>(), &secrets),
                });
            }
        }
        decode_body(body.as_bytes(), self.code, &self.endpoint, &secrets)
    }
}

/// Emits the event a direct call would have: each sub-request is a call of its own to Meta
/// (graph-api.md §7: batches count each sub-request), so logs and the calls metric see it
/// by its own endpoint and result, not only as the batch's round trip.
fn log_part(answer: &BatchResponse) {
    let body = answer.body.as_deref().unwrap_or_default();
    let endpoint = &answer.endpoint;
    let status = answer.code;
    if (200..300).contains(&status) && !body.starts_with("{\"error\"") {
        tracing::debug!(%endpoint, status, "graph call");
    } else if let Some(api) = parse_envelope(
        body.as_bytes(),
        status,
        endpoint,
        UsageReport::default(),
        &[],
    ) {
        tracing::info!(
            %endpoint,
            status,
            code = api.code,
            subcode = api.error_subcode,
            fbtrace_id = api.fbtrace_id.as_deref(),
            "graph error"
        );
    } else {
        tracing::info!(%endpoint, status, "graph error without envelope");
    }
}

/// Checks the documented batch rules before anything is sent.
fn validate(requests: &[BatchRequest]) -> Result<(), GraphError> {
    if requests.is_empty() || requests.len() > MAX_BATCH_REQUESTS {
        return Err(GraphError::invalid_input(
            "batch",
            format!(
                "must hold 1 to {MAX_BATCH_REQUESTS} requests, not {}",
                requests.len()
            ),
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        if let Some(depends_on) = &request.depends_on
            && !names.contains(&depends_on.as_str())
        {
            return Err(GraphError::invalid_input(
                format!("batch[{index}].depends_on"),
                format!("must name an earlier request; {depends_on:?} is not one"),
            ));
        }
        if let Some(name) = &request.name {
            if names.contains(&name.as_str()) {
                return Err(GraphError::invalid_input(
                    format!("batch[{index}].name"),
                    format!("{name:?} is used twice"),
                ));
            }
            names.push(name);
        }
    }
    Ok(())
}

/// The outer `POST /` carrying the batch. When a sub-request holds a secret parameter the whole
/// `batch` value is a secret.
pub fn batch_request(requests: &[BatchRequest]) -> Result<GraphRequest, GraphError> {
    validate(requests)?;
    let parts: Vec<WirePart<'_>> = requests.iter().map(BatchRequest::wire).collect();
    let json = serde_json::to_string(&parts).map_err(|error| {
        GraphError::invalid_input("batch", format!("cannot be written as JSON: {error}"))
    })?;
    // A JSON body (graph-api.md §2.1) carries the `batch` text with a backslash before each
    // quote; a form body percent-encoded every quote, brace, colon and comma of it (about 1 % of
    // a worker's CPU in a burst).
    let outer = GraphRequest::post(&[])
        .json_body()
        .param("include_headers", "true");
    Ok(if requests.iter().any(BatchRequest::has_secret_params) {
        outer.secret_param("batch", SecretString::from(json))
    } else {
        outer.param("batch", json)
    })
}

impl GraphClient {
    /// Sends one batch whose parts each run on their own token (§9.1: a sub-request may carry
    /// its own `access_token`), with that token's own `appsecret_proof` when the client has the
    /// app secret (§5.4: a proof is per token), so one round trip carries the calls of many
    /// accounts. The batch itself goes on the first part's token. Answers as
    /// [`AuthedClient::batch`].
    pub async fn batch_on_own_tokens(
        &self,
        parts: Vec<(AccessToken, BatchRequest)>,
    ) -> Result<Vec<Option<BatchResponse>>, GraphError> {
        let Some(outer) = parts.first().map(|(token, _)| token.clone()) else {
            return Err(GraphError::invalid_input(
                "batch",
                format!("must hold 1 to {MAX_BATCH_REQUESTS} requests, not 0"),
            ));
        };
        let requests = parts
            .into_iter()
            .map(|(token, part)| self.on_own_token(part, &token))
            .collect();
        self.with_token(outer).batch(requests).await
    }

    fn on_own_token(&self, mut part: BatchRequest, token: &AccessToken) -> BatchRequest {
        let exposed = SecretString::from(token.expose_secret().to_owned());
        part.request = part.request.secret_param("access_token", exposed);
        if let Some(secret) = &self.core.app_secret {
            let proof = SecretString::from(appsecret_proof(secret, token));
            part.request = part.request.secret_param("appsecret_proof", proof);
        }
        part
    }
}

impl AuthedClient {
    /// Sends a batch; the answer has one entry per request, in order, `None` where Meta ran
    /// nothing (timed out, or a dependency failed). The outer call succeeds even when
    /// sub-requests fail: decode each with [`BatchResponse::decode`].
    pub async fn batch(
        &self,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<Option<BatchResponse>>, GraphError> {
        let outer = batch_request(&requests)?;
        let mut answers: Vec<Option<BatchResponse>> = self.send_json(&outer).await?;
        if answers.len() != requests.len() {
            return Err(GraphError::UnexpectedResponse {
                endpoint: outer.endpoint(),
                what: format!("{} answers for {} requests", answers.len(), requests.len()),
            });
        }
        for (answer, request) in answers.iter_mut().zip(&requests) {
            if let Some(answer) = answer {
                answer.endpoint = request.request.endpoint();
                log_part(answer);
                answer.secrets = vec![SecretString::from(self.token.expose_secret().to_owned())];
                for (_, value) in &request.request.params {
                    if let ParamValue::Secret(secret) = value {
                        answer.secrets.push(secret.clone());
                    }
                }
            }
        }
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_bodies_are_form_strings_and_gets_carry_their_query() {
        let publish = BatchRequest::new(
            GraphRequest::post(&["17841405822304914", "media_publish"])
                .param("creation_id", "17889455560051447"),
        )
        .name("publish")
        .omit_response_on_success(false);
        let fetch = BatchRequest::new(
            GraphRequest::new(Method::Get, "{result=publish:$.id}").param("fields", "id,permalink"),
        )
        .depends_on("publish");
        assert_eq!(
            serde_json::to_value(publish.wire()).expect("a part serializes"),
            serde_json::json!({"method":"POST","relative_url":"17841405822304914/media_publish","body":"creation_id=17889455560051447","name":"publish","omit_response_on_success":false})
        );
        assert_eq!(
            serde_json::to_value(fetch.wire()).expect("a part serializes"),
            serde_json::json!({"method":"GET","relative_url":"{result=publish:$.id}?fields=id%2Cpermalink","depends_on":"publish"})
        );
    }

    #[test]
    fn batches_must_hold_1_to_50_requests() {
        assert!(batch_request(&[]).is_err());
        let many = vec![BatchRequest::new(GraphRequest::get(&["1"])); 51];
        assert!(batch_request(&many).is_err());
        assert!(batch_request(&many[..50]).is_ok());
    }

    #[test]
    fn depends_on_must_name_an_earlier_request() {
        let orphan = vec![BatchRequest::new(GraphRequest::get(&["1"])).depends_on("nobody")];
        let message = batch_request(&orphan)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("batch[0].depends_on"), "{message}");
        let twice = vec![
            BatchRequest::new(GraphRequest::get(&["1"])).name("a"),
            BatchRequest::new(GraphRequest::get(&["2"])).name("a"),
        ];
        assert!(batch_request(&twice).is_err());
    }

    #[test]
    fn a_batch_with_a_secret_parameter_hides_the_whole_batch() {
        let secret = vec![BatchRequest::new(
            GraphRequest::get(&["debug_token"])
                .secret_param("input_token", SecretString::from("EAAGinspected")),
        )];
        let outer = batch_request(&secret).ok();
        let shown = format!("{outer:?}");
        assert!(!shown.contains("EAAGinspected"), "{shown}");
        assert!(
            outer
                .map(|o| o.encoded_params())
                .unwrap_or_default()
                .contains("EAAGinspected")
        );
    }

    #[test]
    fn error_sub_responses_become_graph_errors() {
        // Shape from graph-api.md §9.1.
        let answers: Vec<Option<BatchResponse>> = serde_json::from_str(
            r#"[{"code":200,"headers":[{"name":"Content-Type","value":"text/javascript; charset=UTF-8"}],"body":"{\"data\":[{\"quota_usage\":2,\"config\":{\"quota_total\":50,\"quota_duration\":86400}}]}"},
                {"code":400,"headers":[],"body":"{\"error\":{\"message\":\"Media ID is not available\",\"type\":\"OAuthException\",\"code\":9007,\"error_subcode\":2207027,\"fbtrace_id\":\"x\"}}"},
                null]"#,
        )
        .unwrap_or_default();
        assert_eq!(answers.len(), 3);
        let first = answers.first().cloned().flatten();
        let value: Option<serde_json::Value> = first.and_then(|a| a.decode().ok());
        assert_eq!(
            value.and_then(|v| v.pointer("/data/0/quota_usage").cloned()),
            Some(serde_json::json!(2))
        );
        let second = answers.get(1).cloned().flatten();
        let error = second.map(|a| a.decode::<serde_json::Value>());
        assert!(
            matches!(error, Some(Err(GraphError::Api(api))) if api.code == 9007 && api.http_status == 400)
        );
        assert!(answers.get(2).is_some_and(Option::is_none));
    }
}
