//! igpub: publish to Instagram Business and Creator accounts through Meta's Graph API,
//! for many tenants, exactly once, and report their insights.
//!
//! The crate is organised by what the system does (see `shared/design.md`):
//! [`domain`] parses user input into valid values, [`store`] keeps state on SQLite or
//! PostgreSQL, [`vault`] encrypts tokens at rest, [`media`] checks and hosts media,
//! [`insights`] knows Meta's metrics, and [`cli`] is the thin command line.
#![deny(missing_docs)]

pub mod background;
pub mod bench;
pub mod cli;
pub mod config;
pub mod connect;
pub mod demo;
pub mod domain;
pub mod http;
pub mod insights;
pub mod media;
pub mod metrics;
pub mod publish;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod vault;
pub mod webhooks_out;
