//! A stateful local stand-in for Meta's Instagram Graph API (Facebook Login flavour).
//!
//! It speaks HTTP and JSON only, exactly as `shared/graph-api.md` describes Meta, and never
//! imports the client's types, so it cannot share a client's mistakes: the same paths,
//! parameters, response shapes, error envelopes, codes, subcodes, headers and timing. Beside
//! Meta's surface it serves a control API under `/__sim/` (faults, clock, tokens, ground truth).
//!
//! ```
//! use igpub_sim::{Sim, SimConfig};
//! use secrecy::ExposeSecret;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let sim = Sim::start(SimConfig::instant()).await?;
//! let account = sim.accounts().remove(0);
//! let url = sim.base_url().join(&format!("v25.0/{}?fields=username", account.ig_user_id))?;
//! let body: serde_json::Value = reqwest::Client::new()
//!     .get(url)
//!     .bearer_auth(account.page_token.expose_secret())
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(body["username"], account.username.as_str());
//! assert!(sim.published().values().all(Vec::is_empty));
//! sim.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod counters;
pub mod error;
pub mod faults;
pub mod insights;
pub mod truth;
pub mod webhooks;

mod auth;
mod clock;
mod control;
mod crawler;
mod graph;
mod ids;
mod publishing;
mod server;
mod sim;
mod state;
mod usage;
mod world;

pub use config::{RateBudgets, SimConfig};
pub use counters::Counters;
pub use faults::{CommitThenFail, FaultSpec};
pub use sim::{Sim, SimError, SimHandle, serve};
pub use truth::{
    NewAccount, PublishedChild, PublishedMedia, SeededAccount, TokenFailure, WebhookEvent,
};
