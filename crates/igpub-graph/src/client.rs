//! The client: one reqwest pool behind an `Arc`, a per-account view carrying that account's
//! token, and the one place where requests meet the network.

use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

use crate::container::PollPolicy;
use crate::error::{DecodeError, GraphError, TransportError, TransportErrorKind, parse_envelope};
use crate::request::{GraphRequest, Method, ParamValue, PostBody};
use crate::secret::{AccessToken, appsecret_proof, scrub};
use crate::usage::UsageReport;

/// Meta's Graph host (Facebook Login flavour).
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The API version used unless another is chosen (graph-api.md §1).
pub const DEFAULT_API_VERSION: &str = "v25.0";
/// Default limit for a whole request, connect to last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an unused pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Called with the usage headers of every response, success or error (graph-api.md §7).
pub type UsageObserver = Arc<dyn Fn(&UsageReport) + Send + Sync>;

/// Builds a [`GraphClient`].
#[must_use]
pub struct GraphClientBuilder {
    base_url: String,
    api_version: String,
    app_secret: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    user_agent: String,
    on_usage: Option<UsageObserver>,
    image_poll: PollPolicy,
    video_poll: PollPolicy,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            app_secret: None,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            user_agent: concat!("igpub-graph/", env!("CARGO_PKG_VERSION")).to_owned(),
            on_usage: None,
            image_poll: PollPolicy::image(),
            video_poll: PollPolicy::video(),
        }
    }
}

impl GraphClientBuilder {
    /// The Graph base URL (default `https://graph.facebook.com`); a simulator's URL in tests.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The API version, `vNN.0` (default `v25.0`). Empty means unversioned calls, which Meta
    /// answers with the app's default version.
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// The app secret: when set, every call carries `appsecret_proof` (graph-api.md §5.4).
    pub fn app_secret(mut self, app_secret: SecretString) -> Self {
        self.app_secret = Some(app_secret);
        self
    }

    /// Limit for a whole request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// No client-side timers at all: no request or connect limit, no idle-connection sweep.
    /// Tests on tokio's paused clock need this: the paused clock jumps to the next timer whenever
    /// the runtime waits on I/O, which would fire a timeout at once or skip time ahead.
    pub fn without_timeouts(mut self) -> Self {
        self.timeout = None;
        self.connect_timeout = None;
        self.pool_idle_timeout = None;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Observes the usage headers of every response (the worker pauses an account at 90 %).
    pub fn on_usage(mut self, observer: UsageObserver) -> Self {
        self.on_usage = Some(observer);
        self
    }

    /// How the one-call publishing helpers wait for image containers (default [`PollPolicy::image`]).
    pub fn image_poll_policy(mut self, policy: PollPolicy) -> Self {
        self.image_poll = policy;
        self
    }

    /// How the one-call publishing helpers wait for video containers (default [`PollPolicy::video`]).
    pub fn video_poll_policy(mut self, policy: PollPolicy) -> Self {
        self.video_poll = policy;
        self
    }

    /// Builds the client; fails on a malformed base URL or version.
    pub fn build(self) -> Result<GraphClient, GraphError> {
        let base_url = validate_base_url(&self.base_url)?;
        validate_api_version(&self.api_version)?;
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            // A redirect would carry the request, and its parameters, somewhere Meta did not say.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(self.pool_idle_timeout);
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        let http = http.build().map_err(|error| {
            GraphError::Config(format!("cannot build the HTTP client: {error}"))
        })?;
        Ok(GraphClient {
            core: Arc::new(ClientCore {
                http,
                base_url,
                api_version: self.api_version,
                app_secret: self.app_secret,
                on_usage: self.on_usage,
                image_poll: self.image_poll,
                video_poll: self.video_poll,
            }),
        })
    }
}

fn validate_base_url(text: &str) -> Result<String, GraphError> {
    let url = url::Url::parse(text)
        .map_err(|error| GraphError::Config(format!("base_url {text:?} is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(GraphError::Config(format!(
            "base_url {text:?} must be an http(s) URL without query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn validate_api_version(version: &str) -> Result<(), GraphError> {
    let valid = version.is_empty()
        || version
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| {
                !major.is_empty()
                    && !minor.is_empty()
                    && major.chars().all(|c| c.is_ascii_digit())
                    && minor.chars().all(|c| c.is_ascii_digit())
            });
    if valid {
        Ok(())
    } else {
        Err(GraphError::Config(format!(
            "api_version {version:?} must look like v25.0 (or be empty)"
        )))
    }
}

pub(crate) struct ClientCore {
    http: reqwest::Client,
    base_url: String,
    pub(crate) api_version: String,
    pub(crate) app_secret: Option<SecretString>,
    on_usage: Option<UsageObserver>,
    pub(crate) image_poll: PollPolicy,
    pub(crate) video_poll: PollPolicy,
}

/// The Graph client without a user token: builds per-account views and calls the endpoints
/// that authenticate with app credentials. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) core: Arc<ClientCore>,
}

/// A view of the client that calls with one account's token (a Page token for IG calls).
/// Cheap to clone; the worker builds one per account from one [`GraphClient`].
#[derive(Clone)]
pub struct AuthedClient {
    pub(crate) core: Arc<ClientCore>,
    pub(crate) token: AccessToken,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base_url", &self.core.base_url)
            .field("api_version", &self.core.api_version)
            .field(
                "app_secret",
                &self.core.app_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl std::fmt::Debug for AuthedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthedClient")
            .field("base_url", &self.core.base_url)
            .field("api_version", &self.core.api_version)
            .field("token", &self.token)
            .finish()
    }
}

/// A successful answer, before decoding.
#[derive(Clone, Debug)]
pub struct GraphResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// The raw body.
    pub body: Bytes,
    /// The usage headers that came with it.
    pub usage: UsageReport,
}

impl GraphClient {
    /// Starts building a client.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// A view that calls with `token`. Nothing is copied but two `Arc`s.
    pub fn with_token(&self, token: AccessToken) -> AuthedClient {
        AuthedClient {
            core: Arc::clone(&self.core),
            token,
        }
    }

    /// The Graph base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.core.base_url
    }

    /// The API version (`v25.0`), or empty for unversioned calls.
    pub fn api_version(&self) -> &str {
        &self.core.api_version
    }

    /// Sends a request without a user token (the token endpoints, §5.1–5.2).
    pub(crate) async fn send_without_token(
        &self,
        request: &GraphRequest,
    ) -> Result<GraphResponse, GraphError> {
        self.core.execute(request, None).await
    }
}

impl AuthedClient {
    /// Sends a request with this view's token; `Ok` only for a 2xx answer without an error envelope.
    pub async fn send(&self, request: &GraphRequest) -> Result<GraphResponse, GraphError> {
        self.core.execute(request, Some(&self.token)).await
    }

    /// Sends a request and decodes the JSON answer; a decode failure names the JSON path.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: &GraphRequest,
    ) -> Result<T, GraphError> {
        let response = self.send(request).await?;
        decode(
            &response,
            request,
            &self.core.secrets(Some(&self.token), request),
        )
    }

    /// The token-less client this view was made from.
    pub fn graph_client(&self) -> GraphClient {
        GraphClient {
            core: Arc::clone(&self.core),
        }
    }
}

/// Decodes a successful answer, naming the JSON path of a mismatch.
pub(crate) fn decode<T: DeserializeOwned>(
    response: &GraphResponse,
    request: &GraphRequest,
    secrets: &[&str],
) -> Result<T, GraphError> {
    decode_body(
        &response.body,
        response.status,
        &request.endpoint(),
        secrets,
    )
}

pub(crate) fn decode_body<T: DeserializeOwned>(
    body: &[u8],
    http_status: u16,
    endpoint: &str,
    secrets: &[&str],
) -> Result<T, GraphError> {
    // The plain decoder first: tracking the path of every element slows every answer, a
    // worker decodes one per batch part, and only a failed decode needs the path, so a failure
    // is decoded again to name it.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        GraphError::Decode(Box::new(DecodeError {
            endpoint: endpoint.to_owned(),
            http_status,
            path: error.path().to_string(),
            message: scrub(&error.inner().to_string(), secrets),
        }))
    })
}

/// How much of a non-envelope error body is kept.
const BODY_EXCERPT_CHARS: usize = 300;

impl ClientCore {
    fn secrets<'a>(
        &'a self,
        token: Option<&'a AccessToken>,
        request: &'a GraphRequest,
    ) -> Vec<&'a str> {
        let mut secrets: Vec<&str> = Vec::new();
        if let Some(token) = token {
            secrets.push(token.expose_secret());
        }
        if let Some(secret) = &self.app_secret {
            secrets.push(secret.expose_secret());
        }
        for (_, value) in &request.params {
            if let ParamValue::Secret(secret) = value {
                secrets.push(secret.expose_secret());
            }
        }
        secrets
    }

    fn url_for(&self, request: &GraphRequest) -> Result<url::Url, GraphError> {
        let text = if self.api_version.is_empty() {
            format!("{}/{}", self.base_url, request.path)
        } else {
            format!("{}/{}/{}", self.base_url, self.api_version, request.path)
        };
        url::Url::parse(&text).map_err(|error| {
            GraphError::invalid_input(
                "path",
                format!("{} does not make a valid URL: {error}", request.endpoint()),
            )
        })
    }

    pub(crate) async fn execute(
        &self,
        request: &GraphRequest,
        token: Option<&AccessToken>,
    ) -> Result<GraphResponse, GraphError> {
        let endpoint = request.endpoint();
        if request.has_empty_segment() {
            return Err(GraphError::invalid_input(
                "id",
                format!("must not be empty (in {endpoint})"),
            ));
        }
        let mut url = self.url_for(request)?;
        // graph-api.md §5.4: on every call when the app secret is known.
        let proof = match (&self.app_secret, token) {
            (Some(secret), Some(token)) => Some(appsecret_proof(secret, token)),
            _ => None,
        };
        let form = || {
            let mut params = request.encoded_params();
            if let Some(proof) = &proof {
                let mut serializer = url::form_urlencoded::Serializer::new(params);
                serializer.append_pair("appsecret_proof", proof);
                params = serializer.finish();
            }
            params
        };
        let mut builder = match (request.method, request.post_body) {
            (Method::Get | Method::Delete, _) => {
                let params = form();
                if !params.is_empty() {
                    url.set_query(Some(&params));
                }
                self.http.request(request.method.to_http(), url)
            }
            (Method::Post, PostBody::Form) => self
                .http
                .request(http::Method::POST, url)
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form()),
            (Method::Post, PostBody::Json) => {
                let body = request.json_params(proof.as_deref()).map_err(|error| {
                    GraphError::invalid_input(
                        "params",
                        format!("cannot be written as JSON: {error}"),
                    )
                })?;
                self.http
                    .request(http::Method::POST, url)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(body)
            }
        };
        if let Some(token) = token {
            let mut value = http::HeaderValue::from_str(&format!(
                "Bearer {}",
                token.expose_secret()
            ))
            .map_err(|_| {
                GraphError::invalid_input("access_token", "must be visible ASCII without spaces")
            })?;
            value.set_sensitive(true);
            builder = builder.header(http::header::AUTHORIZATION, value);
        }

        let secrets = self.secrets(token, request);
        let response = builder
            .send()
            .await
            .map_err(|error| transport_error(&error, &endpoint, &secrets))?;
        let status = response.status().as_u16();
        let usage = UsageReport::from_headers(response.headers());
        if !usage.is_empty()
            && let Some(observer) = &self.on_usage
        {
            observer(&usage);
        }
        let header_trace = response
            .headers()
            .get("x-fb-trace-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|error| transport_error(&error, &endpoint, &secrets))?;

        let success = (200..300).contains(&status);
        let looks_like_envelope = body.starts_with(b"{\"error\"");
        if success && !looks_like_envelope {
            tracing::debug!(%endpoint, status, fbtrace_id = header_trace.as_deref(), "graph call");
            return Ok(GraphResponse {
                status,
                body,
                usage,
            });
        }
        if let Some(api) = parse_envelope(&body, status, &endpoint, usage.clone(), &secrets) {
            tracing::info!(
                %endpoint,
                status,
                code = api.code,
                subcode = api.error_subcode,
                fbtrace_id = api.fbtrace_id.as_deref().or(header_trace.as_deref()),
                "graph error"
            );
            return Err(GraphError::Api(Box::new(api)));
        }
        if success {
            return Ok(GraphResponse {
                status,
                body,
                usage,
            });
        }
        let excerpt: String = String::from_utf8_lossy(&body)
            .chars()
            .take(BODY_EXCERPT_CHARS)
            .collect();
        tracing::info!(%endpoint, status, fbtrace_id = header_trace.as_deref(), "graph error without envelope");
        Err(GraphError::Http {
            status,
            endpoint,
            body_excerpt: scrub(&excerpt, &secrets),
        })
    }
}

fn transport_error(error: &reqwest::Error, endpoint: &str, secrets: &[&str]) -> GraphError {
    // A connect failure (even a connect timeout) means nothing reached Meta; anything after the
    // connection was made may have.
    let kind = if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_request() || error.is_body() || error.is_decode() {
        TransportErrorKind::Reset
    } else {
        TransportErrorKind::Other
    };
    let mut detail = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if !detail.is_empty() {
            detail.push_str(": ");
        }
        let text = current.to_string();
        // reqwest names the URL in its top-level message; drop that part.
        detail.push_str(text.split(" for url (").next().unwrap_or(&text));
        source = current.source();
    }
    tracing::info!(%endpoint, ?kind, "graph transport failure");
    GraphError::Transport(Box::new(TransportError {
        kind,
        endpoint: endpoint.to_owned(),
        detail: scrub(&detail, secrets),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_must_look_like_meta_versions() {
        assert!(validate_api_version("v25.0").is_ok());
        assert!(validate_api_version("v19.0").is_ok());
        assert!(validate_api_version("").is_ok());
        assert!(validate_api_version("25.0").is_err());
        assert!(validate_api_version("v25").is_err());
        assert!(validate_api_version("v25.0/../x").is_err());
    }

    #[test]
    fn base_urls_must_be_plain_http_urls() {
        assert_eq!(
            validate_base_url("https://graph.facebook.com/")
                .ok()
                .as_deref(),
            Some("https://graph.facebook.com")
        );
        assert!(validate_base_url("ftp://x").is_err());
        assert!(validate_base_url("https://x/?a=1").is_err());
        assert!(validate_base_url("not a url").is_err());
    }

    #[test]
    fn builder_rejects_a_bad_version_with_a_config_error() {
        let built = GraphClient::builder().api_version("latest").build();
        assert!(matches!(built, Err(GraphError::Config(_))));
    }

    #[test]
    fn debug_of_clients_never_shows_secrets() {
        let client = GraphClient::builder()
            .app_secret(SecretString::from("app-secret-value"))
            .build();
        let Ok(client) = client else {
            panic!("default builder must build")
        };
        let authed = client.with_token(AccessToken::new("EAAGtoken-value"));
        let shown = format!("{client:?} {authed:?}");
        assert!(!shown.contains("app-secret-value"), "{shown}");
        assert!(!shown.contains("EAAGtoken-value"), "{shown}");
    }

    #[test]
    fn urls_put_the_version_before_the_path() {
        let Ok(client) = GraphClient::builder()
            .base_url("http://127.0.0.1:9/")
            .build()
        else {
            panic!("builder must accept a loopback URL")
        };
        let url = client.core.url_for(&GraphRequest::get(&["1", "media"]));
        assert_eq!(
            url.ok().map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:9/v25.0/1/media")
        );
        let root = client.core.url_for(&GraphRequest::get(&[]));
        assert_eq!(
            root.ok().map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:9/v25.0/")
        );
    }
}
