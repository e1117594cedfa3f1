//! Meta's webhook endpoints (graph-api.md §8): `GET /webhooks/meta` answers the verification
//! handshake, `POST /webhooks/meta` takes signed deliveries over their raw bytes. A delivery is
//! stored and answered at once; its processing runs after the reply.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::SecretString;

use super::error::ApiError;
use super::state::AppState;
use crate::insights::webhook::{SIGNATURE_HEADER, verify_handshake};
use crate::insights::{IntakeError, Receipt, Registry, process_pending, receive_delivery};

/// The largest delivery read: Meta batches up to 1000 updates in one POST (graph-api.md §8.2).
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Changes processed per sweep after a delivery.
const PROCESS_BATCH: u32 = 500;

/// The webhook routes; they take no API key (Meta signs instead).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/meta", get(handshake).post(deliver))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY_BYTES))
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// `GET /webhooks/meta?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`: 200 with the
/// challenge as plain text when the verify token matches `webhooks.verify_token`, 403 otherwise.
pub async fn handshake(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let unset = SecretString::from("");
    let expected = state
        .settings
        .webhooks
        .verify_token
        .as_ref()
        .unwrap_or(&unset);
    let param = |name: &str| params.get(name).map(String::as_str);
    match verify_handshake(
        param("hub.mode"),
        param("hub.challenge"),
        param("hub.verify_token"),
        expected,
    ) {
        Ok(challenge) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response()),
        Err(error) => {
            tracing::warn!(%error, "webhook handshake refused");
            Err(forbidden(error.to_string()))
        }
    }
}

/// `POST /webhooks/meta`: 403 and nothing stored unless `X-Hub-Signature-256` matches the body
/// under `meta.app_secret`; otherwise the changes are stored (a repeat counted once) and the
/// answer is 200 at once, processing following in the background.
pub async fn deliver(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    let receipt: Receipt = match receive_delivery(
        &state.store,
        state.settings.meta.app_secret.as_ref(),
        &body,
        signature,
    )
    .await
    {
        Ok(receipt) => receipt,
        Err(IntakeError::Signature(error)) => {
            tracing::warn!(%error, "webhook delivery refused");
            return Err(forbidden(error.to_string()));
        }
        Err(IntakeError::Body(error)) => return Err(ApiError::bad_request(error.to_string())),
        Err(IntakeError::Store(error)) => return Err(ApiError::internal(error)),
    };
    if receipt.new > 0 {
        let store = state.store.clone();
        tokio::spawn(async move {
            match process_pending(&store, &Registry::standard(), PROCESS_BATCH).await {
                Ok(report) => tracing::debug!(?report, "webhook changes processed"),
                // The scheduler's sweep picks them up again.
                Err(error) => tracing::warn!(%error, "webhook processing failed"),
            }
        });
    }
    Ok((StatusCode::OK, axum::Json(receipt)).into_response())
}
