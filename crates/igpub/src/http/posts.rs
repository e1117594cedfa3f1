//! The posts API: create (idempotently), dry-run validate, list, read with the timeline, edit,
//! cancel, publish now, retry, and an integration's quota. Tenant-scoped: another tenant's post
//! answers 404.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::{ApiJson, AuthTenant};
use super::state::AppState;
use crate::publish::service::{
    CreatePost, ListQuery, PostPage, PostView, Problem, QuotaView, ValidationReport,
};
use crate::publish::{Posts, PostsError};
use crate::store::{IntegrationId, PostId};

/// The header carrying a client's idempotency key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/posts", post(create_post).get(list_posts))
        .route("/v1/posts/validate", post(validate_post))
        .route("/v1/posts/{id}", get(get_post).patch(update_post))
        .route("/v1/posts/{id}/cancel", post(cancel_post))
        .route("/v1/posts/{id}/publish-now", post(publish_now))
        .route("/v1/posts/{id}/retry", post(retry_post))
        .route("/v1/integrations/{id}/quota", get(integration_quota))
}

/// The OpenAPI description of this module, for the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_post,
        validate_post,
        list_posts,
        get_post,
        update_post,
        cancel_post,
        publish_now,
        retry_post,
        integration_quota
    ),
    components(schemas(CreatePost, PostView, PostPage, ValidationReport, Problem, QuotaView))
)]
pub struct PostsApi;

fn posts(state: &AppState) -> Posts {
    Posts::new(state.store.clone()).with_preflight(state.preflight.clone())
}

impl From<PostsError> for ApiError {
    fn from(error: PostsError) -> Self {
        match error {
            PostsError::Invalid(errors) => {
                let message = errors.to_string();
                let details = errors
                    .into_violations()
                    .into_iter()
                    .map(|violation| ErrorDetail {
                        field: violation.field,
                        rule: violation.rule.as_str().to_owned(),
                        message: violation.message,
                    })
                    .collect();
                ApiError::validation(message, details)
            }
            PostsError::NotFound(what) => ApiError::not_found(what),
            PostsError::Conflict(message) => ApiError::conflict(message),
            PostsError::Graph(error) => ApiError::upstream(format!(
                "Meta could not answer: {}",
                error
                    .api()
                    .map(|api| api.message.as_str())
                    .unwrap_or("no answer")
            )),
            PostsError::Store(error) => ApiError::internal(error),
        }
    }
}

fn post_id(text: &str) -> Result<PostId, ApiError> {
    // A malformed id cannot name a post of this tenant: the same 404 as an unknown one.
    text.parse().map_err(|_| ApiError::not_found("post"))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))
        })
        .transpose()
}

/// Creates a post (or returns the one made earlier with the same `Idempotency-Key`).
#[utoipa::path(
    post,
    path = "/v1/posts",
    tag = "posts",
    request_body = CreatePost,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body always return the same post")),
    responses(
        (status = 201, description = "Created", body = PostView),
        (status = 200, description = "The post made earlier with this Idempotency-Key", body = PostView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
        (status = 409, description = "The Idempotency-Key was used for another body", body = ErrorBody),
        (status = 422, description = "Every broken rule", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<CreatePost>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let fixes = super::media::prepare_post_media(&state, tenant.id, &mut body).await?;
    let (view, created) = posts(&state).create(tenant.id, body, key).await?;
    if created {
        super::media::record_fixes(&state, tenant.id, view.id, &fixes).await;
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)).into_response())
}

/// A dry run: lists every problem of a post without storing it.
#[utoipa::path(
    post,
    path = "/v1/posts/validate",
    tag = "posts",
    request_body = CreatePost,
    responses(
        (status = 200, description = "The verdict and every problem", body = ValidationReport),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn validate_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    ApiJson(mut body): ApiJson<CreatePost>,
) -> Result<Json<ValidationReport>, ApiError> {
    // Not a field of the post: it tells creation to fix the media, which a dry run does not.
    body.post.remove(crate::media::for_posts::AUTO_FIX_FIELD);
    Ok(Json(posts(&state).validate(tenant.id, body).await?))
}

/// The tenant's posts, by time, with filters and cursor paging.
#[utoipa::path(
    get,
    path = "/v1/posts",
    tag = "posts",
    params(ListQuery),
    responses(
        (status = 200, description = "One page", body = PostPage),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 422, description = "A bad filter or cursor", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_posts(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<PostPage>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    Ok(Json(posts(&state).list(tenant.id, query).await?))
}

/// One post with its timeline.
#[utoipa::path(
    get,
    path = "/v1/posts/{id}",
    tag = "posts",
    params(("id" = String, Path, description = "The post id")),
    responses(
        (status = 200, description = "The post and its timeline", body = PostView),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    Ok(Json(posts(&state).get(tenant.id, post_id(&id)?).await?))
}

/// Edits or reschedules a post before work on it starts (the body is a whole post).
#[utoipa::path(
    patch,
    path = "/v1/posts/{id}",
    tag = "posts",
    params(("id" = String, Path, description = "The post id")),
    request_body(content = crate::domain::PostInput, description = "The post's new content and schedule"),
    responses(
        (status = 200, description = "Changed", body = PostView),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
        (status = 409, description = "Work on the post has started", body = ErrorBody),
        (status = 422, description = "Every broken rule", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn update_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<PostView>, ApiError> {
    let id = post_id(&id)?;
    Ok(Json(posts(&state).update(tenant.id, id, body).await?))
}

/// Cancels a post that is not published.
#[utoipa::path(
    post,
    path = "/v1/posts/{id}/cancel",
    tag = "posts",
    params(("id" = String, Path, description = "The post id")),
    responses(
        (status = 200, description = "Cancelled", body = PostView),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
        (status = 409, description = "Already publishing or published", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn cancel_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    Ok(Json(posts(&state).cancel(tenant.id, post_id(&id)?).await?))
}

/// Publishes a draft or a scheduled post as soon as possible.
#[utoipa::path(
    post,
    path = "/v1/posts/{id}/publish-now",
    tag = "posts",
    params(("id" = String, Path, description = "The post id")),
    responses(
        (status = 200, description = "Due now", body = PostView),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
        (status = 409, description = "Not a draft or a waiting post", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn publish_now(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    Ok(Json(
        posts(&state).publish_now(tenant.id, post_id(&id)?).await?,
    ))
}

/// Tries a failed post again from the start.
#[utoipa::path(
    post,
    path = "/v1/posts/{id}/retry",
    tag = "posts",
    params(("id" = String, Path, description = "The post id")),
    responses(
        (status = 200, description = "Scheduled again", body = PostView),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
        (status = 409, description = "The post has not failed", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn retry_post(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    Ok(Json(posts(&state).retry(tenant.id, post_id(&id)?).await?))
}

/// The account's content publishing quota: Meta's figures and igpub's publish log.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}/quota",
    tag = "posts",
    params(("id" = String, Path, description = "The integration id")),
    responses(
        (status = 200, description = "The quota", body = QuotaView),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
        (status = 502, description = "Meta could not answer", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn integration_quota(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<Json<QuotaView>, ApiError> {
    let id: IntegrationId = id.parse().map_err(|_| ApiError::not_found("integration"))?;
    Ok(Json(
        posts(&state).quota(tenant.id, id, &state.graph).await?,
    ))
}
