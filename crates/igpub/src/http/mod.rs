//! The HTTP surface: the `/v1` API with its OpenAPI document, the dashboard, health and metrics.

pub mod app;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod health;
pub mod insights;
pub mod integrations;
pub mod media;
pub mod meta_webhooks;
pub mod metrics;
pub mod openapi;
pub mod posts;
pub mod rate_limit;
pub mod state;
pub mod webhooks_out;

pub use app::{Application, router};
pub use error::ApiError;
pub use extract::{ApiJson, AuthTenant};
pub use state::AppState;
