//! Extractors that answer in the API's one error shape instead of axum's plain-text rejections.

use super::error::ApiError;
use super::state::AppState;
use crate::store::Tenant;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The largest JSON body the API reads.
pub const MAX_JSON_BODY_BYTES: usize = 256 * 1024;

/// The tenant whose API key came as `Authorization: Bearer <key>`.
#[derive(Debug, Clone)]
pub struct AuthTenant(pub Tenant);

impl FromRequestParts<AppState> for AuthTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        match state.store.authenticate_api_key(presented).await {
            Ok(Some(tenant)) => {
                state.api_limits.check(tenant.id)?;
                Ok(Self(tenant))
            }
            Ok(None) => Err(ApiError::unauthorized()),
            Err(error) => Err(ApiError::internal(error)),
        }
    }
}

/// JSON body whose rejections use the API's error shape: 400 for unreadable JSON, 413 for a
/// body over [`MAX_JSON_BODY_BYTES`], 415 turned into 400 with a hint, 422 for a wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => ApiError::validation(error.body_text(), Vec::new()),
        JsonRejection::JsonSyntaxError(error) => ApiError::bad_request(error.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("send the body as JSON with `Content-Type: application/json`")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large(MAX_JSON_BODY_BYTES)
        }
        other => ApiError::bad_request(other.body_text()),
    }
}
