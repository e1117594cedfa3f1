//! igpub's integration tests: one binary, one module per area (see style.md: link time matters).

mod api_openapi;
mod api_media;
mod api_support;
mod api_webhooks;
mod connect;
mod connect_cli;
mod connect_health;
mod connect_security;
mod domain;
mod helpers;
mod hostile_input;
mod insights;
mod insights_api;
mod insights_cli;
mod insights_pull;
mod insights_schedule;
mod media;
mod store;
mod vault;
mod publish;
mod publish_flows;
mod publish_limits;
mod publish_support;
