//! One error type for the whole HTTP API: it picks the status, renders the one JSON shape
//! `{"error":{"code","message","details":[{"field","rule","message"}]}}`, and never lets an
//! internal detail reach the client (the detail is logged once, with the request id).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorObject,
}

/// What went wrong, for machines (`code`, `details[].rule`) and people (`message`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorObject {
    /// A stable machine-readable code, e.g. `validation_failed` or `not_found`.
    pub code: String,
    /// One sentence for a person.
    pub message: String,
    /// One entry per broken rule, for validation errors; empty otherwise.
    pub details: Vec<ErrorDetail>,
}

/// One broken rule: which field, which rule, and a sentence naming the limit and the value.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ErrorDetail {
    /// A JSON path into the request, e.g. `media[2].alt_text`.
    pub field: String,
    /// A machine-readable rule name, e.g. `max_length`.
    pub rule: String,
    /// A sentence for a person.
    pub message: String,
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<ErrorDetail>,
    /// Logged, never sent: what really happened inside.
    internal: Option<String>,
    /// Seconds to send as `Retry-After` (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            internal: None,
            retry_after: None,
        }
    }

    /// Adds `Retry-After: seconds` to the answer.
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400: the request cannot be read (bad JSON, bad query).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no API key, or one that is unknown or revoked.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a tenant API key as `Authorization: Bearer <key>`",
        )
    }

    /// 404: the resource does not exist for this tenant (another tenant's rows included).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409: the request conflicts with the resource's state or an earlier idempotent request.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413: the body is larger than this endpoint accepts.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit_bytes} bytes"),
        )
    }

    /// 422: the request is well-formed but breaks rules; every broken rule is in `details`.
    pub fn validation(message: impl Into<String>, details: Vec<ErrorDetail>) -> Self {
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        );
        error.details = details;
        error
    }

    /// 429: too many requests; try again later.
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
    }

    /// 500: something broke inside. The client sees a generic sentence; `detail` is logged.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; the request id in `x-request-id` helps us find it",
        );
        error.internal = Some(detail.to_string());
        error
    }

    /// 502: Meta (or the simulator) answered with an error we pass on in our own words.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "upstream_error", message)
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The JSON body this error renders to.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorObject {
                code: self.code.to_owned(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(internal) = &self.internal {
            tracing::error!(code = self.code, error = %internal, "request failed");
        } else if self.status.is_server_error() {
            tracing::warn!(code = self.code, message = %self.message, "request failed");
        }
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_detail() {
        let error = ApiError::internal("database password=hunter2 is wrong");
        let body = serde_json::to_string(&error.body()).unwrap_or_default();
        assert!(!body.contains("hunter2"), "{body}");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn validation_errors_carry_every_detail_in_the_one_shape() {
        let details = vec![ErrorDetail {
            field: "media[2].alt_text".into(),
            rule: "max_length".into(),
            message: "too long".into(),
        }];
        let error = ApiError::validation("the post breaks 1 rule", details);
        let body = serde_json::to_value(error.body()).unwrap_or_default();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["details"][0]["field"], "media[2].alt_text");
        assert_eq!(body["error"]["details"][0]["rule"], "max_length");
    }
}
