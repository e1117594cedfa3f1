//! The integrations API: connect an Instagram account through Facebook Login, pick among
//! several, list, read, verify and disconnect. Every route is tenant-scoped by the API key,
//! except the Facebook Login callback, which is authenticated by its single-use state.
//!
//! The callback answers in one of two ways:
//! - when the connect call gave a `return_to` address, the browser is sent there (303) with
//!   `igpub_connect=connected&integration_id=…`, `igpub_connect=choose_account&session_id=…`
//!   or `igpub_connect=error&error_code=…&error_message=…` added to its query, so a dashboard
//!   can show the result or a picker;
//! - otherwise it answers JSON ([`CallbackResponse`] or the API's error shape).

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use igpub_graph::IgUserId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::AuthTenant;
use super::state::AppState;
use crate::connect::{
    CallbackOutcome, CallbackParams, ConnectError, Connector, PendingChoice, Verification,
    parse_return_to,
};
use crate::store::{
    AccountChoice, ConnectSessionId, Integration, IntegrationId, IntegrationStatus, StoreError,
    TOKEN_EXPIRY_WARNING, TenantScope,
};

/// The longest `expiring_within_days` accepted (ten years).
const MAX_EXPIRING_WITHIN_DAYS: u32 = 3650;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/integrations", get(list_integrations))
        .route("/v1/integrations/instagram/connect", post(connect))
        .route("/v1/integrations/instagram/choose", post(choose))
        .route(
            "/v1/integrations/{id}",
            get(get_integration).delete(disconnect),
        )
        .route("/v1/integrations/{id}/verify", post(verify))
        .route("/oauth/facebook/callback", get(callback))
}

/// The OpenAPI description of this module, for the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        connect,
        callback,
        choose,
        list_integrations,
        get_integration,
        verify,
        disconnect
    ),
    components(schemas(
        ConnectRequest,
        ConnectResponse,
        CallbackResponse,
        ChooseRequest,
        IntegrationView,
        IntegrationList,
        VerifyResponse,
        AccountChoice,
        ErrorBody
    ))
)]
pub struct IntegrationsApi;

// ------------------------------------------------------------------ wire types

/// Body of `POST /v1/integrations/instagram/connect` (optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// Where to send the person's browser after Facebook Login (an absolute http(s) URL);
    /// without it the callback answers JSON.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// Where to send the person to log in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectResponse {
    /// The Facebook Login dialog URL; open it in the person's browser.
    pub authorize_url: String,
    /// How long the login may take, in seconds (the state's lifetime).
    pub expires_in_seconds: u64,
}

/// What the callback did, when it answers JSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallbackResponse {
    /// One Instagram account was found and is connected.
    Connected {
        /// The integration.
        integration: IntegrationView,
    },
    /// Several accounts were found: pick one with `POST /v1/integrations/instagram/choose`.
    ChooseAccount {
        /// What `choose` takes.
        #[schema(value_type = String, format = "uuid")]
        session_id: ConnectSessionId,
        /// When the choice is no longer accepted.
        #[schema(value_type = String, format = DateTime)]
        expires_at: Timestamp,
        /// The accounts found.
        choices: Vec<AccountChoice>,
    },
}

/// Body of `POST /v1/integrations/instagram/choose`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseRequest {
    /// The `session_id` the callback returned.
    pub session_id: String,
    /// The `ig_user_id` of one of its choices.
    pub ig_user_id: String,
}

/// A connected Instagram account, as the API shows it. Never holds a token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntegrationView {
    /// Its id; stable across reconnects.
    #[schema(value_type = String, format = "uuid")]
    pub id: IntegrationId,
    /// Always `instagram`.
    pub provider: String,
    /// `active`, `needs_reconnect` or `disconnected`.
    #[schema(value_type = String)]
    pub status: IntegrationStatus,
    /// The Instagram account's id.
    pub ig_user_id: String,
    /// Its username at the last connect.
    pub ig_username: String,
    /// The linked Facebook Page.
    pub facebook_page_id: String,
    /// When the token expires; null when it never does.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub token_expires_at: Option<Timestamp>,
    /// Whether the token expires within 7 days (or already has): reconnect it soon.
    pub token_expires_soon: bool,
    /// When Meta last accepted the token.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_verified_at: Option<Timestamp>,
    /// Why it needs reconnecting, when it does.
    pub last_error: Option<String>,
    /// When it was first connected.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl IntegrationView {
    fn new(integration: Integration, expires_soon: bool) -> Self {
        Self {
            id: integration.id,
            provider: integration.provider.as_str().to_owned(),
            status: integration.status,
            ig_user_id: integration.metadata.ig_user_id,
            ig_username: integration.metadata.ig_username,
            facebook_page_id: integration.metadata.facebook_page_id,
            token_expires_at: integration.metadata.token_expires_at,
            token_expires_soon: expires_soon,
            last_verified_at: integration.last_verified_at,
            last_error: integration.last_error,
            created_at: integration.created_at,
            updated_at: integration.updated_at,
        }
    }
}

/// A list of integrations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntegrationList {
    /// The integrations, oldest first (soonest expiry first with `expiring_within_days`).
    pub data: Vec<IntegrationView>,
}

/// Query of `GET /v1/integrations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only integrations whose token expires within this many days (or already has).
    pub expiring_within_days: Option<u32>,
}

/// The result of a token check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// Whether Meta accepted the token.
    pub verified: bool,
    /// The integration after the check (`last_error` says why when not verified).
    pub integration: IntegrationView,
}

// ------------------------------------------------------------------ handlers

fn connector(state: &AppState) -> Connector {
    Connector::new(
        state.store.clone(),
        state.settings.clone(),
        state.graph.clone(),
    )
}

/// Starts connecting an Instagram account: returns the Facebook Login URL to open.
#[utoipa::path(
    post,
    path = "/v1/integrations/instagram/connect",
    tag = "integrations",
    request_body(content = ConnectRequest, description = "Optional; an empty body is `{}`", content_type = "application/json"),
    responses(
        (status = 200, description = "Open authorize_url in the person's browser", body = ConnectResponse),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 422, description = "return_to is not acceptable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn connect(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    body: Bytes,
) -> Result<Json<ConnectResponse>, ApiError> {
    let request = parse_optional_body::<ConnectRequest>(&body)?;
    let return_to = request
        .return_to
        .as_deref()
        .map(parse_return_to)
        .transpose()?;
    let start = connector(&state).start(tenant.id, return_to).await?;
    Ok(Json(ConnectResponse {
        authorize_url: start.authorize_url.into(),
        expires_in_seconds: start.expires_in.as_secs(),
    }))
}

/// Where Facebook Login sends the person back. Authenticated by its state only.
#[utoipa::path(
    get,
    path = "/oauth/facebook/callback",
    tag = "integrations",
    params(
        ("state" = Option<String>, Query, description = "The state igpub issued"),
        ("code" = Option<String>, Query, description = "The login code"),
        ("error" = Option<String>, Query, description = "access_denied when the person cancelled"),
        ("error_reason" = Option<String>, Query, description = "Meta's reason"),
        ("error_description" = Option<String>, Query, description = "Meta's words"),
    ),
    responses(
        (status = 200, description = "Connected, or several accounts to choose from", body = CallbackResponse),
        (status = 303, description = "Sent back to the connect call's return_to with the result in its query"),
        (status = 400, description = "Bad, reused or expired state; cancelled login", body = ErrorBody),
        (status = 422, description = "Missing permissions, or no Instagram professional account", body = ErrorBody),
        (status = 502, description = "Meta refused a step", body = ErrorBody),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    let params = match params {
        Ok(Query(params)) => params,
        Err(rejection) => return private(ApiError::bad_request(rejection.body_text())),
    };
    let result = connector(&state).callback(params).await;
    let response = match (result.return_to, result.outcome) {
        (Some(return_to), outcome) => redirect_with(&return_to, &outcome),
        (None, Ok(outcome)) => match callback_response(&state, outcome).await {
            Ok(body) => Json(body).into_response(),
            Err(error) => error.into_response(),
        },
        (None, Err(error)) => ApiError::from(error).into_response(),
    };
    private(response)
}

/// Connects the account picked among several that one login found.
#[utoipa::path(
    post,
    path = "/v1/integrations/instagram/choose",
    tag = "integrations",
    request_body = ChooseRequest,
    responses(
        (status = 200, description = "The account is connected", body = IntegrationView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such pending choice for this tenant", body = ErrorBody),
        (status = 410, description = "The choice expired; connect again", body = ErrorBody),
        (status = 422, description = "The account was not offered", body = ErrorBody),
        (status = 502, description = "Meta refused a step", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn choose(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    body: Bytes,
) -> Result<Json<IntegrationView>, ApiError> {
    let request = parse_body::<ChooseRequest>(&body)?;
    let session: ConnectSessionId = request
        .session_id
        .parse()
        .map_err(|error| invalid_field("session_id", "uuid", error))?;
    let ig_user_id: IgUserId = request
        .ig_user_id
        .parse()
        .map_err(|error| invalid_field("ig_user_id", "graph_id", error))?;
    let integration = connector(&state)
        .choose(tenant.id, session, &ig_user_id)
        .await?;
    Ok(Json(view(&state, integration).await?))
}

/// The tenant's integrations, each saying whether its token expires soon.
#[utoipa::path(
    get,
    path = "/v1/integrations",
    tag = "integrations",
    params(ListQuery),
    responses(
        (status = 200, description = "The integrations", body = IntegrationList),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_integrations(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<IntegrationList>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let scope = TenantScope::Tenant(tenant.id);
    let expiring = state
        .store
        .integrations_expiring_within(scope, TOKEN_EXPIRY_WARNING)
        .await
        .map_err(ConnectError::from)?;
    let soon: HashSet<IntegrationId> = expiring.iter().map(|found| found.id).collect();
    let listed = match query.expiring_within_days {
        None => state.store.list_integrations(scope).await,
        Some(days) => {
            state
                .store
                .integrations_expiring_within(scope, days_window(days)?)
                .await
        }
    }
    .map_err(ConnectError::from)?;
    let data = listed
        .into_iter()
        .map(|integration| {
            let expires_soon = soon.contains(&integration.id);
            IntegrationView::new(integration, expires_soon)
        })
        .collect();
    Ok(Json(IntegrationList { data }))
}

/// One integration of the tenant.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}",
    tag = "integrations",
    params(("id" = String, Path, description = "The integration id")),
    responses(
        (status = 200, description = "The integration", body = IntegrationView),
        (status = 400, description = "The id is not an integration id", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_integration(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    let id = integration_id(&id)?;
    let integration = state
        .store
        .get_integration(tenant.id, id)
        .await
        .map_err(ConnectError::from)?;
    Ok(Json(view(&state, integration).await?))
}

/// Checks the integration's token against Meta now.
#[utoipa::path(
    post,
    path = "/v1/integrations/{id}/verify",
    tag = "integrations",
    params(("id" = String, Path, description = "The integration id")),
    responses(
        (status = 200, description = "Checked: verified, or now needs_reconnect with the reason", body = VerifyResponse),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
        (status = 409, description = "The integration is disconnected", body = ErrorBody),
        (status = 502, description = "Meta could not answer; nothing changed", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let id = integration_id(&id)?;
    let verification = connector(&state).verify(tenant.id, id).await?;
    let verified = matches!(verification, Verification::Verified(_));
    let integration = view(&state, verification.into_integration()).await?;
    Ok(Json(VerifyResponse {
        verified,
        integration,
    }))
}

/// Disconnects the integration: its token is wiped; the record stays for history.
#[utoipa::path(
    delete,
    path = "/v1/integrations/{id}",
    tag = "integrations",
    params(("id" = String, Path, description = "The integration id")),
    responses(
        (status = 200, description = "Disconnected", body = IntegrationView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn disconnect(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    let id = integration_id(&id)?;
    let integration = state
        .store
        .disconnect(tenant.id, id)
        .await
        .map_err(ConnectError::from)?;
    tracing::info!(integration_id = %id, tenant_id = %tenant.id, "integration disconnected");
    Ok(Json(IntegrationView::new(integration, false)))
}

// ------------------------------------------------------------------ helpers

async fn expires_soon(state: &AppState, integration: &Integration) -> Result<bool, ApiError> {
    let expiring = state
        .store
        .integrations_expiring_within(
            TenantScope::Tenant(integration.tenant_id),
            TOKEN_EXPIRY_WARNING,
        )
        .await
        .map_err(ConnectError::from)?;
    Ok(expiring.iter().any(|found| found.id == integration.id))
}

async fn view(state: &AppState, integration: Integration) -> Result<IntegrationView, ApiError> {
    let soon = expires_soon(state, &integration).await?;
    Ok(IntegrationView::new(integration, soon))
}

fn days_window(days: u32) -> Result<Duration, ApiError> {
    if days > MAX_EXPIRING_WITHIN_DAYS {
        return Err(invalid_field(
            "expiring_within_days",
            "range",
            format!("must be from 0 to {MAX_EXPIRING_WITHIN_DAYS}"),
        ));
    }
    Ok(Duration::from_secs(u64::from(days) * 24 * 60 * 60))
}

fn integration_id(text: &str) -> Result<IntegrationId, ApiError> {
    text.parse()
        .map_err(|error| invalid_field("id", "uuid", error))
}

fn invalid_field(field: &str, rule: &str, message: impl ToString) -> ApiError {
    let message = message.to_string();
    ApiError::validation(
        format!("{field} is not valid: {message}"),
        vec![ErrorDetail {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message,
        }],
    )
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            invalid_field(&path, "shape", inner)
        } else {
            ApiError::bad_request(format!("the body is not JSON: {inner}"))
        }
    })
}

/// An empty body is the default request, so the call works without one.
fn parse_optional_body<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_body(body)
}

async fn callback_response(
    state: &AppState,
    outcome: CallbackOutcome,
) -> Result<CallbackResponse, ApiError> {
    Ok(match outcome {
        CallbackOutcome::Connected(integration) => CallbackResponse::Connected {
            integration: view(state, *integration).await?,
        },
        CallbackOutcome::ChooseAccount(PendingChoice {
            session_id,
            choices,
            expires_at,
        }) => CallbackResponse::ChooseAccount {
            session_id,
            expires_at,
            choices,
        },
    })
}

/// A 303 to `return_to` with the outcome added to its query.
fn redirect_with(return_to: &Url, outcome: &Result<CallbackOutcome, ConnectError>) -> Response {
    let mut target = return_to.clone();
    {
        let mut query = target.query_pairs_mut();
        match outcome {
            Ok(CallbackOutcome::Connected(integration)) => {
                query
                    .append_pair("igpub_connect", "connected")
                    .append_pair("integration_id", &integration.id.to_string());
            }
            Ok(CallbackOutcome::ChooseAccount(choice)) => {
                query
                    .append_pair("igpub_connect", "choose_account")
                    .append_pair("session_id", &choice.session_id.to_string());
            }
            Err(error) => {
                let api = api_error_of(error);
                query
                    .append_pair("igpub_connect", "error")
                    .append_pair("error_code", api.code())
                    .append_pair("error_message", &api.body().error.message);
            }
        }
    }
    match HeaderValue::from_str(target.as_str()) {
        Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
        Err(_) => {
            ApiError::internal("return_to does not make a valid Location header").into_response()
        }
    }
}

/// The callback's answer carries the outcome of a login: never cached, never leaked in a
/// Referer.
fn private(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

// ------------------------------------------------------------------ errors

fn api_error_of(error: &ConnectError) -> ApiError {
    let message = error.to_string();
    match error {
        ConnectError::NotConfigured { .. } => ApiError::internal(message),
        ConnectError::InvalidReturnTo(rule) => invalid_field("return_to", "url", rule),
        ConnectError::StateMissing | ConnectError::State(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_state", message)
        }
        ConnectError::Cancelled => {
            ApiError::new(StatusCode::BAD_REQUEST, "login_cancelled", message)
        }
        ConnectError::LoginFailed { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "login_failed", message)
        }
        ConnectError::CodeMissing => ApiError::bad_request(message),
        ConnectError::MetaAppChanged | ConnectError::ChoiceGone { .. } => {
            ApiError::conflict(message)
        }
        ConnectError::Disconnected => ApiError::conflict(message),
        ConnectError::MissingPermissions { missing } => ApiError::validation(
            message,
            missing
                .iter()
                .map(|permission| ErrorDetail {
                    field: format!("permissions.{permission}"),
                    rule: "granted".to_owned(),
                    message: format!("{permission} was not granted in Facebook Login"),
                })
                .collect(),
        ),
        ConnectError::NoInstagramAccount { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_instagram_account",
            message,
        ),
        ConnectError::ChoiceNotOffered { .. } => invalid_field("ig_user_id", "offered", message),
        ConnectError::SessionExpired => ApiError::new(StatusCode::GONE, "session_expired", message),
        ConnectError::Graph { .. } => ApiError::upstream(message),
        ConnectError::Store(store) => store_api_error(store),
    }
}

fn store_api_error(error: &StoreError) -> ApiError {
    match error {
        StoreError::NotFound { entity, .. } => ApiError::not_found(entity),
        StoreError::InvalidInput { field, rule } => invalid_field(field, "invalid", rule),
        StoreError::Conflict(message) => ApiError::conflict(message.clone()),
        StoreError::Disconnected(_) => ApiError::conflict(error.to_string()),
        other => ApiError::internal(other),
    }
}

impl From<ConnectError> for ApiError {
    fn from(error: ConnectError) -> Self {
        api_error_of(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OAuthStateError;

    #[test]
    fn every_missing_permission_becomes_a_detail() {
        let error = api_error_of(&ConnectError::MissingPermissions {
            missing: vec!["instagram_basic".into(), "business_management".into()],
        });
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = error.body();
        let fields: Vec<&str> = body
            .error
            .details
            .iter()
            .map(|d| d.field.as_str())
            .collect();
        assert_eq!(
            fields,
            vec![
                "permissions.instagram_basic",
                "permissions.business_management"
            ]
        );
        assert!(
            body.error
                .message
                .contains("instagram_basic, business_management")
        );
    }

    #[test]
    fn state_refusals_and_cancels_are_client_errors_with_their_own_codes() {
        let cases = [
            (ConnectError::StateMissing, "invalid_state"),
            (
                ConnectError::State(OAuthStateError::AlreadyUsed),
                "invalid_state",
            ),
            (
                ConnectError::State(OAuthStateError::Expired),
                "invalid_state",
            ),
            (ConnectError::Cancelled, "login_cancelled"),
        ];
        for (error, code) in cases {
            let api = api_error_of(&error);
            assert_eq!(api.status(), StatusCode::BAD_REQUEST, "{error}");
            assert_eq!(api.code(), code, "{error}");
        }
    }

    #[test]
    fn a_missing_setting_is_logged_not_shown() {
        let api = api_error_of(&ConnectError::NotConfigured {
            setting: "meta.app_secret",
            problem: "is not set".into(),
        });
        assert_eq!(api.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!api.body().error.message.contains("meta.app_secret"));
    }

    #[test]
    fn an_error_redirect_carries_code_and_message_in_the_query() {
        let return_to = Url::parse("https://dash.example/ig?tab=1").unwrap();
        let response = redirect_with(&return_to, &Err(ConnectError::Cancelled));
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let url = Url::parse(location).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("tab".into(), "1".into())));
        assert!(pairs.contains(&("igpub_connect".into(), "error".into())));
        assert!(pairs.contains(&("error_code".into(), "login_cancelled".into())));
    }

    #[test]
    fn expiring_within_days_is_bounded() {
        assert_eq!(
            days_window(7).ok(),
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        assert!(days_window(MAX_EXPIRING_WITHIN_DAYS + 1).is_err());
    }

    #[test]
    fn an_empty_body_is_the_default_request() {
        let request: ConnectRequest = parse_optional_body(b"  ").unwrap();
        assert!(request.return_to.is_none());
        let error = parse_optional_body::<ConnectRequest>(br#"{"return_too":"x"}"#).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
