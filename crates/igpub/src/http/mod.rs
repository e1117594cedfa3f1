//! The HTTP surface: the `/v1` API with its OpenAPI document, the dashboard, health and metrics.

pub mod error;
