//! Outbound webhooks API: register endpoints (the signing secret is in the answer, once),
//! list, read, delete, and read an endpoint's delivery log. Tenant-scoped: another tenant's
//! endpoint answers 404. How deliveries are signed and how to verify them is in
//! [`crate::webhooks_out::signature`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use url::Url;

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::{ApiJson, AuthTenant};
use super::state::AppState;
use crate::store::{
    Delivery, DeliveryAttempt, DeliveryState, NewWebhookEndpoint, StoreError, WebhookEndpoint,
    WebhookId,
};
use crate::webhooks_out::{EventType, new_secret};

/// The longest description kept.
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The longest endpoint URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route("/v1/webhooks/{id}", get(get_webhook).delete(delete_webhook))
        .route("/v1/webhooks/{id}/deliveries", get(list_deliveries))
}

/// The OpenAPI description of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_webhook,
        list_webhooks,
        get_webhook,
        delete_webhook,
        list_deliveries
    ),
    components(schemas(
        CreateWebhook,
        CreatedWebhook,
        WebhookList,
        WebhookEndpoint,
        DeliveryList,
        Delivery,
        DeliveryAttempt,
        DeliveryState,
        EventType
    ))
)]
pub struct WebhooksApi;

/// An endpoint to register.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `https` (or `http`) URL on a public host; events are POSTed to it.
    pub url: String,
    /// The events to deliver; all of them when absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventType>>)]
    pub events: Option<Vec<String>>,
    /// A note for people.
    #[serde(default)]
    pub description: Option<String>,
}

/// A registered endpoint, with its signing secret: the only time it is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookEndpoint,
    /// The secret that signs every delivery (`X-Igpub-Signature`); keep it, it is not shown
    /// again.
    pub secret: String,
}

/// The tenant's endpoints.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookEndpoint>,
}

/// An endpoint's deliveries.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    /// Newest first, each with its attempts.
    pub deliveries: Vec<Delivery>,
}

/// Paging of the delivery log.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// How many, 1–200 (default 50).
    pub limit: Option<u32>,
}

fn webhook_id(text: &str) -> Result<WebhookId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("webhook"))
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { .. } => ApiError::not_found("webhook"),
        other => ApiError::internal(other),
    }
}

fn detail(field: &str, rule: &str, message: String) -> ErrorDetail {
    ErrorDetail {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message,
    }
}

/// Checks a registration, naming every broken rule.
fn parse_request(request: CreateWebhook) -> Result<NewWebhookEndpoint, Vec<ErrorDetail>> {
    let mut problems = Vec::new();
    let url = request.url.trim().to_owned();
    match Url::parse(&url) {
        _ if url.len() > MAX_URL_CHARS => problems.push(detail(
            "url",
            "max_length",
            format!(
                "the URL has {} characters; at most {MAX_URL_CHARS}",
                url.len()
            ),
        )),
        Err(error) => problems.push(detail("url", "invalid_url", format!("not a URL: {error}"))),
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => problems.push(detail(
            "url",
            "unsupported_scheme",
            format!("the scheme must be https or http, not {}", parsed.scheme()),
        )),
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            problems.push(detail(
                "url",
                "url_credentials",
                "the URL must not carry a user name or password; authenticate deliveries with the signature".to_owned(),
            ));
        }
        Ok(parsed) if parsed.host_str().is_none() => {
            problems.push(detail(
                "url",
                "missing_host",
                "the URL has no host".to_owned(),
            ));
        }
        Ok(_) => {}
    }
    let events = match request.events {
        None => EventType::ALL
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
        Some(events) if events.is_empty() => {
            problems.push(detail(
                "events",
                "empty",
                "name at least one event, or leave `events` out for all".to_owned(),
            ));
            Vec::new()
        }
        Some(events) => {
            let mut wanted: Vec<String> = Vec::new();
            for (index, name) in events.iter().enumerate() {
                match name.parse::<EventType>() {
                    Ok(event) if !wanted.iter().any(|w| w == event.as_str()) => {
                        wanted.push(event.as_str().to_owned());
                    }
                    Ok(_) => {}
                    Err(error) => problems.push(detail(
                        &format!("events[{index}]"),
                        "unknown_event",
                        error.to_string(),
                    )),
                }
            }
            wanted
        }
    };
    let description = request.description.unwrap_or_default().trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        problems.push(detail(
            "description",
            "max_length",
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewWebhookEndpoint {
        url,
        description,
        events,
        secret: new_secret(),
    })
}

/// Registers an endpoint; the answer holds its signing secret, shown this once.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Registered; keep the secret", body = CreatedWebhook),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 422, description = "Every broken rule", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    ApiJson(request): ApiJson<CreateWebhook>,
) -> Result<Response, ApiError> {
    let new = parse_request(request).map_err(|details| {
        ApiError::validation(
            format!("the webhook breaks {} rule(s)", details.len()),
            details,
        )
    })?;
    let secret = new.secret.expose_secret().to_owned();
    let webhook = state
        .store
        .create_webhook(tenant.id, new)
        .await
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook { webhook, secret }),
    )
        .into_response())
}

/// The tenant's endpoints.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "Every endpoint, oldest first", body = WebhookList),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
) -> Result<Json<WebhookList>, ApiError> {
    let webhooks = state
        .store
        .list_webhooks(tenant.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(WebhookList { webhooks }))
}

/// One endpoint.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such webhook for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let id = webhook_id(&id)?;
    Ok(Json(
        state
            .store
            .get_webhook(tenant.id, id)
            .await
            .map_err(store_error)?,
    ))
}

/// Deletes an endpoint: nothing more is sent to it, and pending deliveries are dropped.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such webhook for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = webhook_id(&id)?;
    state
        .store
        .delete_webhook(tenant.id, id)
        .await
        .map_err(store_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's delivery log, newest first, with every attempt.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id"), DeliveryQuery),
    responses(
        (status = 200, description = "The deliveries", body = DeliveryList),
        (status = 400, description = "A bad limit", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such webhook for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
    query: Result<Query<DeliveryQuery>, QueryRejection>,
) -> Result<Json<DeliveryList>, ApiError> {
    let id = webhook_id(&id)?;
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit: must be from 1 to 200"));
    }
    let deliveries = state
        .store
        .list_deliveries(tenant.id, id, limit)
        .await
        .map_err(store_error)?;
    Ok(Json(DeliveryList { deliveries }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, events: Option<Vec<&str>>) -> CreateWebhook {
        CreateWebhook {
            url: url.to_owned(),
            events: events.map(|events| events.into_iter().map(str::to_owned).collect()),
            description: None,
        }
    }

    #[test]
    fn every_broken_rule_of_a_registration_is_named_by_its_field() {
        let problems = parse_request(request(
            "ftp://hooks.example/x",
            Some(vec!["post.published", "post.exploded"]),
        ))
        .expect_err("two problems");
        let fields: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.rule.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("url", "unsupported_scheme"),
                ("events[1]", "unknown_event")
            ]
        );
    }

    #[test]
    fn no_events_means_all_of_them_and_repeats_are_dropped() {
        let all = parse_request(request("https://hooks.example/in", None)).expect("valid");
        assert_eq!(all.events.len(), EventType::ALL.len());
        let one = parse_request(request(
            "https://hooks.example/in",
            Some(vec!["post.failed", "post.failed"]),
        ))
        .expect("valid");
        assert_eq!(one.events, ["post.failed"]);
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        let problems = parse_request(request("https://user:pw@hooks.example/in", None))
            .expect_err("credentials");
        assert_eq!(problems[0].rule, "url_credentials");
        assert!(!problems[0].message.contains("pw"));
    }
}
