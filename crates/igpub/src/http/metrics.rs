//! `GET /metrics`: every metric of [`crate::metrics`] in the OpenMetrics text format.
//!
//! Not under `/v1` and not tenant-scoped: it describes the whole service, for the operator's
//! Prometheus. Restrict it at the network edge as you would any admin endpoint.

use super::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The metrics route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render(state.store.as_ref()).await {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            // The scraper sees only that the figures are missing; the cause goes to the log.
            tracing::warn!(%error, "metrics: cannot render");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "metrics unavailable: the database does not answer",
            )
                .into_response()
        }
    }
}
