//! Media upload and serving: `POST /v1/media` stores a file in the built-in hosting (with the
//! auto-fix when asked), `GET /v1/media` and `GET /v1/media/{id}` show the tenant's uploads,
//! and the public `GET`/`HEAD /media/{id}.{ext}` serves hosted files to Meta's crawler with
//! ranges and caching headers (through [`crate::media::serve`]).
//!
//! An upload is the raw body with its `Content-Type` (`image/jpeg`, `image/png`, `image/webp`,
//! `video/mp4`, `video/quicktime`), or `multipart/form-data` with a `file` part. The kind is
//! read from the bytes, never trusted from the header or a file name.

use std::convert::Infallible;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use super::error::{ApiError, ErrorBody};
use super::extract::AuthTenant;
use super::state::AppState;
use crate::media::fix::FixOptions;
use crate::media::for_posts::{ItemFix, PostMedia, PrepareError};
use crate::media::preflight::MediaRole;
use crate::media::upload::{MAX_UPLOAD_BYTES, Upload, UploadError, upload};
use crate::publish::service::CreatePost;
use crate::store::{MediaUpload, MediaUploadId, NewMediaUpload, PostId, StoreError, TenantId};

/// How long an uploaded file is kept before the retention sweep looks at it (it then keeps a
/// post's media until a day after publication, see [`crate::media::retention`]).
const KEEP_UPLOADS: SignedDuration = SignedDuration::from_hours(24 * 30);

/// The largest upload: a reel's limit (graph-api.md §2.3), the largest file Meta takes.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_UPLOAD_BYTES as usize;

/// The tenant-facing routes (`/v1/media…`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/media",
            post(upload_media)
                .get(list_media)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES)),
        )
        .route("/v1/media/{id}", get(get_media))
}

/// The public route `GET`/`HEAD /media/{id}.{ext}` over the state's media store; not under
/// `/v1` and not authenticated, since Meta's crawler fetches it (ids are unguessable).
pub fn public_routes(state: &AppState) -> Router<AppState> {
    let hosted = crate::media::serve::media_router(state.media.clone());
    // The serving router matches `/media/{file}` itself, which keeps one implementation of
    // ranges and caching headers. It gets the request without the outer router's extensions:
    // their path parameters would count twice against its own.
    Router::new().route_service(
        "/media/{file}",
        tower::service_fn(move |request: Request| {
            let hosted = hosted.clone();
            let (parts, body) = request.into_parts();
            let mut plain = Request::new(body);
            *plain.method_mut() = parts.method;
            *plain.uri_mut() = parts.uri;
            *plain.version_mut() = parts.version;
            *plain.headers_mut() = parts.headers;
            async move { Ok::<_, Infallible>(hosted.oneshot(plain).await.into_response()) }
        }),
    )
}

/// The OpenAPI description of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(upload_media, list_media, get_media),
    components(schemas(MediaUpload, MediaPage, UploadQuery, RoleName))
)]
pub struct MediaApi;

/// What the file is for; it decides the auto-fix's target (graph-api.md §2.3).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// A feed image or carousel image (the default for images): 4:5 to 1.91:1.
    #[default]
    FeedImage,
    /// A story image (9:16 recommended).
    StoryImage,
    /// A reel's cover (JPEG).
    ReelCover,
    /// A reel (the default for videos).
    Reel,
    /// A story video.
    StoryVideo,
}

impl RoleName {
    /// The pre-flight role it names.
    pub fn role(self) -> MediaRole {
        match self {
            Self::FeedImage => MediaRole::FeedImage,
            Self::StoryImage => MediaRole::StoryImage,
            Self::ReelCover => MediaRole::ReelCover,
            Self::Reel => MediaRole::Reel,
            Self::StoryVideo => MediaRole::StoryVideo,
        }
    }
}

/// Options of an upload, in the query (or as multipart fields of the same names).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Convert, pad or scale an image so Instagram takes it (the original is kept).
    #[serde(default)]
    pub auto_fix: Option<bool>,
    /// What the file is for; images default to `feed_image`, videos to `reel`.
    #[serde(default)]
    pub role: Option<RoleName>,
}

/// A page of uploads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MediaPage {
    /// Newest first.
    pub media: Vec<MediaUpload>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging of `GET /v1/media`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    /// The `next_cursor` of the previous page.
    pub before: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// Uploads a file to the built-in media hosting.
#[utoipa::path(
    post,
    path = "/v1/media",
    tag = "media",
    params(UploadQuery),
    request_body(
        description = "The file as the raw body with its Content-Type, or multipart/form-data with a `file` part",
        content(
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "video/mp4"),
            (Vec<u8> = "multipart/form-data"),
        )
    ),
    responses(
        (status = 201, description = "Hosted; use `url` in a post", body = MediaUpload),
        (status = 400, description = "No file in the request", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 413, description = "Larger than 300 MB", body = ErrorBody),
        (status = 422, description = "Not a JPEG, PNG, WebP, MP4 or MOV file, or the wrong kind for the role", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn upload_media(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    query: Result<Query<UploadQuery>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let Query(mut options) =
        query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let content = read_file(request, &mut options, &state).await?;
    let kind = crate::media::hosting::MediaKind::detect(&content).ok_or_else(|| {
        invalid_upload(
            "the file is not a JPEG, PNG, WebP, MP4 or MOV file",
            "format",
        )
    })?;
    let role = options
        .role
        .unwrap_or(if kind.is_video() {
            RoleName::Reel
        } else {
            RoleName::FeedImage
        })
        .role();
    let fix = options.auto_fix.unwrap_or(false).then(FixOptions::default);
    let now = state.store.now();
    let keep_until = now.saturating_add(KEEP_UPLOADS).unwrap_or(now);
    let hosted = upload(
        state.media.as_ref(),
        content,
        role,
        fix.as_ref(),
        keep_until,
    )
    .await
    .map_err(upload_error)?;
    let record = state
        .store
        .insert_media_upload(tenant.id, upload_record(&hosted))
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, axum::Json(record)).into_response())
}

/// The tenant's uploads, newest first.
#[utoipa::path(
    get,
    path = "/v1/media",
    tag = "media",
    params(MediaListQuery),
    responses(
        (status = 200, description = "A page of uploads", body = MediaPage),
        (status = 400, description = "A bad cursor or limit", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list_media(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    query: Result<Query<MediaListQuery>, QueryRejection>,
) -> Result<axum::Json<MediaPage>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let before = query
        .before
        .as_deref()
        .map(str::parse::<MediaUploadId>)
        .transpose()
        .map_err(|_| ApiError::bad_request("before: not a cursor from a previous page"))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit: must be from 1 to 200"));
    }
    let media = state
        .store
        .list_media_uploads(tenant.id, before, limit)
        .await
        .map_err(ApiError::internal)?;
    let next_cursor = (media.len() == limit as usize)
        .then(|| media.last().map(|last| last.id.to_string()))
        .flatten();
    Ok(axum::Json(MediaPage { media, next_cursor }))
}

/// One upload of the tenant.
#[utoipa::path(
    get,
    path = "/v1/media/{id}",
    tag = "media",
    params(("id" = String, Path, description = "The upload's id")),
    responses(
        (status = 200, description = "The upload", body = MediaUpload),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such upload for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get_media(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
) -> Result<axum::Json<MediaUpload>, ApiError> {
    let id: MediaUploadId = id.parse().map_err(|_| ApiError::not_found("media"))?;
    match state.store.get_media_upload(tenant.id, id).await {
        Ok(found) => Ok(axum::Json(found)),
        Err(StoreError::NotFound { .. }) => Err(ApiError::not_found("media")),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// The file of the request: the raw body, or the `file` part of a multipart form (whose
/// `auto_fix` and `role` fields override the query).
async fn read_file(
    request: Request,
    options: &mut UploadQuery,
    state: &AppState,
) -> Result<Bytes, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        return read_multipart(multipart, options).await;
    }
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(MAX_UPLOAD_BODY_BYTES),
            _ => ApiError::bad_request(rejection.body_text()),
        })?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "send the file as the body (with its Content-Type) or as the `file` part of a multipart form",
        ));
    }
    Ok(body)
}

async fn read_multipart(
    mut multipart: Multipart,
    options: &mut UploadQuery,
) -> Result<Bytes, ApiError> {
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(multipart_error(error.status(), error.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let value = field
            .bytes()
            .await
            .map_err(|error| multipart_error(error.status(), error.body_text()))?;
        match name.as_str() {
            "file" => file = Some(value),
            "auto_fix" => {
                options.auto_fix = Some(matches!(&value[..], b"true" | b"1" | b"on"));
            }
            "role" => {
                let text = String::from_utf8_lossy(&value);
                options.role = Some(
                    serde_json::from_value(serde_json::Value::String(text.trim().to_owned()))
                        .map_err(|_| {
                            invalid_upload(
                                "role must be feed_image, story_image, reel_cover, reel or story_video",
                                "role",
                            )
                        })?,
                );
            }
            // Unknown parts are refused by name, as unknown JSON fields are.
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown multipart field `{other}`; expected file, auto_fix or role"
                )));
            }
        }
    }
    file.filter(|file| !file.is_empty()).ok_or_else(|| {
        ApiError::bad_request("the multipart form has no `file` part (or it is empty)")
    })
}

fn multipart_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(MAX_UPLOAD_BODY_BYTES)
    } else {
        ApiError::bad_request(text)
    }
}

fn invalid_upload(message: &str, rule: &str) -> ApiError {
    ApiError::validation(
        message,
        vec![super::error::ErrorDetail {
            field: "file".to_owned(),
            rule: rule.to_owned(),
            message: message.to_owned(),
        }],
    )
}

fn upload_error(error: UploadError) -> ApiError {
    match &error {
        UploadError::UnsupportedKind => invalid_upload(&error.to_string(), "format"),
        UploadError::TooLarge { .. } => ApiError::payload_too_large(MAX_UPLOAD_BODY_BYTES),
        UploadError::WrongKindForRole { .. } => invalid_upload(&error.to_string(), "role"),
        UploadError::Fix(_) => invalid_upload(&error.to_string(), "auto_fix"),
        UploadError::Hosting(_)
        | UploadError::Fetch(_)
        | UploadError::FetchStatus { .. }
        | UploadError::Interrupted => ApiError::internal(error),
    }
}

/// The record of a hosted upload, for the tenant's list (`POST /v1/media`, `igpub media upload`).
pub fn upload_record(hosted: &Upload) -> NewMediaUpload {
    NewMediaUpload {
        media_id: hosted.hosted.id.to_string(),
        kind: hosted.hosted.kind.extension().to_owned(),
        size: hosted.hosted.size,
        url: hosted.hosted_url.to_string(),
        original_media_id: hosted.original.id.to_string(),
        original_url: hosted.original_url.to_string(),
        changes: serde_json::to_value(&hosted.changes).unwrap_or_default(),
    }
}

/// Checks a post's media before it is created (and fixes it when `auto_fix` is asked): a post
/// Meta would refuse is answered 422 here, before anything is stored or sent to Meta. Returns
/// what the auto-fix changed, for [`record_fixes`].
pub async fn prepare_post_media(
    state: &AppState,
    tenant: TenantId,
    request: &mut CreatePost,
) -> Result<Vec<ItemFix>, ApiError> {
    // Another tenant's integration is a 404 before anything about the media is said.
    match state
        .store
        .get_integration(tenant, request.integration_id)
        .await
    {
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => return Err(ApiError::not_found("integration")),
        Err(error) => return Err(ApiError::internal(error)),
    }
    let post = &mut request.post;
    let media = PostMedia::new(state.preflight.clone(), state.media.clone());
    // The post's own choice, else its tenant's default, else the service's (issue #6).
    let tenant_default = state
        .store
        .get_tenant(tenant)
        .await
        .map_err(ApiError::internal)?
        .auto_fix;
    let auto_fix = request
        .auto_fix
        .or(tenant_default)
        .unwrap_or(state.settings.media.auto_fix);
    match media.prepare(post, auto_fix, state.store.now()).await {
        Ok(fixes) => Ok(fixes),
        Err(PrepareError::Refused(refusals)) => {
            let message = refusals
                .iter()
                .map(|refusal| refusal.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let details = refusals
                .into_iter()
                .map(|refusal| super::error::ErrorDetail {
                    field: refusal.field,
                    rule: refusal.rule,
                    message: refusal.message,
                })
                .collect();
            Err(ApiError::validation(message, details))
        }
        Err(PrepareError::Fix { field, source }) => Err(ApiError::validation(
            format!("{field}: the auto-fix failed: {source}"),
            vec![super::error::ErrorDetail {
                field,
                rule: "auto_fix".to_owned(),
                message: source.to_string(),
            }],
        )),
    }
}

/// Writes what the auto-fix changed into the new post's timeline. Best effort: the post is
/// stored already, and a missing note must not turn its creation into an error.
pub async fn record_fixes(state: &AppState, tenant: TenantId, post: PostId, fixes: &[ItemFix]) {
    if fixes.is_empty() {
        return;
    }
    let detail = serde_json::json!({ "auto_fix": fixes });
    if let Err(error) = state.store.add_post_note(tenant, post, &detail).await {
        tracing::warn!(%error, post_id = %post, "cannot note the auto-fix in the timeline");
    }
}
