//! `/healthz` (the process answers) and `/readyz` (the database answers and is migrated).

use super::state::AppState;
use crate::store::Readiness;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

/// The health routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.store.readiness().await {
        Readiness::Ready => (StatusCode::OK, "ready".to_owned()),
        // The driver's message stays in the log: probes see only what to do.
        Readiness::Unreachable { error } => {
            tracing::warn!(%error, "readiness: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the database does not answer".to_owned(),
            )
        }
        Readiness::MigrationsPending { versions } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: migrations {versions:?} are not applied; run `igpub migrate`"),
        ),
    }
}
