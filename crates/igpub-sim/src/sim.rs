//! Starting, controlling and stopping a simulator.

use crate::config::SimConfig;
use crate::control::ops;
use crate::counters::Counters;
use crate::crawler;
use crate::faults::FaultSpec;
use crate::server::{accept_loop, router};
use crate::state::SimState;
use crate::truth::{NewAccount, PublishedMedia, SeededAccount, TokenFailure, WebhookEvent};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

/// Why the simulator could not start, or why a control request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration field breaks its rule.
    #[error("invalid simulator configuration: {field} {rule}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The crawler's HTTP client could not be built.
    #[error("cannot build the crawler's HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// A control request names something that does not exist or breaks a rule.
    #[error("{field}: {rule}")]
    Invalid {
        /// The field of the request.
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A webhook could not be sent.
    #[error("webhook delivery to {url} failed: {source}")]
    Webhook {
        /// The callback URL.
        url: String,
        /// The HTTP failure.
        source: reqwest::Error,
    },
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(#[source] std::io::Error),
}

/// The simulator. [`Sim::start`] runs one in the background.
#[derive(Debug)]
pub struct Sim;

impl Sim {
    /// Seeds a world, binds `config.bind` (port 0 picks a free one) and serves it in the
    /// background until the handle is shut down or dropped.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        config.validate()?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.bind,
            source,
        })?;
        let base_url =
            Url::parse(&format!("http://{addr}/")).map_err(|_| SimError::InvalidConfig {
                field: "bind",
                rule: "must be an address a URL can name",
            })?;
        let http = crawler::client().map_err(SimError::HttpClient)?;
        let state = Arc::new(SimState::new(config, base_url, http));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router(state.clone()), stopped));
        Ok(SimHandle {
            state,
            addr,
            stop,
            task: Some(task),
        })
    }
}

/// Serves a simulator on `addr` until Ctrl-C.
pub async fn serve(config: SimConfig, addr: SocketAddr) -> Result<(), SimError> {
    let handle = Sim::start(SimConfig {
        bind: addr,
        ..config
    })
    .await?;
    handle.run_until_ctrl_c().await
}

/// A running simulator: its address, its accounts and its in-process control, mirroring
/// `/__sim/`. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    state: Arc<SimState>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The Graph base URL, `http://127.0.0.1:{port}/`. The login dialog is at
    /// `{base}v25.0/dialog/oauth`, the upload host at `{base}ig-api-upload/…`, the control API
    /// at `{base}__sim/`.
    pub fn base_url(&self) -> Url {
        self.state.base_url.clone()
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seeded accounts (and any created since), with their credentials.
    pub fn accounts(&self) -> Vec<SeededAccount> {
        ops::accounts(&self.state)
    }

    /// Moves simulated time forward: containers finish or expire, tokens and codes expire,
    /// quota and rate windows move.
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Simulated now, Unix seconds.
    pub fn now_unix(&self) -> i64 {
        self.state.clock.now_unix()
    }

    /// Sets the faults of one endpoint (e.g. `media.publish`), or of all with `*`.
    pub fn set_faults(&self, endpoint: &str, spec: FaultSpec) -> Result<(), SimError> {
        spec.validate().map_err(|rule| SimError::Invalid {
            field: "faults".to_owned(),
            rule: rule.to_owned(),
        })?;
        self.state.faults.set(endpoint, spec);
        Ok(())
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Makes a token stop working the way `failure` does at Meta; returns how many tokens
    /// stopped (a password change ends all of the user's tokens).
    pub fn fail_token(&self, token: &str, failure: TokenFailure) -> Result<usize, SimError> {
        ops::fail_token(&self.state, token, failure)
    }

    /// Makes a token expire now: 190/463 from then on.
    pub fn expire_token(&self, token: &str) -> Result<usize, SimError> {
        self.fail_token(token, TokenFailure::Expired)
    }

    /// Revokes a token with the subcode's cause: 467 logged out, 460 password changed,
    /// 458 app removed (463 expires it).
    pub fn revoke_token(&self, token: &str, subcode: i64) -> Result<usize, SimError> {
        let failure = TokenFailure::from_subcode(subcode).ok_or_else(|| SimError::Invalid {
            field: "subcode".to_owned(),
            rule: "must be 463, 467, 460 or 458".to_owned(),
        })?;
        self.fail_token(token, failure)
    }

    /// Every media really published, per IG user id, oldest first.
    pub fn published(&self) -> BTreeMap<String, Vec<PublishedMedia>> {
        ops::published(&self.state)
    }

    /// Calls per endpoint and result, and HTTP round trips.
    pub fn counters(&self) -> Counters {
        self.state.counters.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_counters(&self) {
        self.state.counters.reset();
    }

    /// A new Page and Instagram account, listed like the seeded ones.
    pub fn create_account(&self, spec: &NewAccount) -> Result<SeededAccount, SimError> {
        ops::create_account(&self.state, spec)
    }

    /// Adds a comment by someone else to a media; returns the comment id.
    pub fn add_comment(
        &self,
        media_id: &str,
        text: &str,
        from_username: &str,
    ) -> Result<String, SimError> {
        ops::comment(&self.state, media_id, text, from_username).map(|added| added.id)
    }

    /// Sends one webhook notification to the configured callback (or `callback_url`), signed
    /// with the app secret; returns the callback's HTTP status.
    pub async fn deliver_webhook(
        &self,
        event: &WebhookEvent,
        callback_url: Option<&str>,
    ) -> Result<u16, SimError> {
        ops::deliver(&self.state, event, callback_url).await
    }

    /// Serves until Ctrl-C, then stops.
    pub async fn run_until_ctrl_c(self) -> Result<(), SimError> {
        let signal = tokio::signal::ctrl_c().await.map_err(SimError::Signal);
        self.shutdown().await;
        signal
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
