//! Connecting Instagram accounts through Facebook Login, and keeping an eye on their tokens
//! (graph-api.md §5 for the login, §3.1 for finding the accounts, §6.2 for token errors).
//!
//! The flow, as the HTTP API drives it:
//!
//! 1. [`Connector::start`] stores a random, single-use state bound to the tenant (10 minutes,
//!    hashed) and returns the login dialog URL with exactly [`REQUIRED_SCOPES`].
//! 2. [`Connector::callback`] checks the state first (CSRF), says plainly when the person
//!    cancelled, exchanges the code and then the token for a long-lived one, names every
//!    missing permission, and lists every page of the person's Pages with their linked
//!    Instagram account.
//! 3. One account is connected at once. Several become a pending choice: the user token is kept
//!    sealed by the vault for [`CONNECT_SESSION_TTL`], the choices (without tokens) are
//!    returned, and [`Connector::choose`] connects the one picked. None is an error that
//!    explains the prerequisite ([`error::PREREQUISITE`]).
//! 4. Connecting verifies the Page token with `GET /{ig-user-id}?fields=id,username` *before*
//!    storing it, so a failed reconnect never replaces a working token; the store updates an
//!    already connected account in place.
//!
//! A tenant with its own Meta app ([`crate::store::MetaAppOverride`]) logs in through that app:
//! the dialog, the exchanges and every later call use its id and secret.
//!
//! Token health: [`Connector::verify`] checks a stored token, and [`record_token_error`] turns
//! any code 190 (and the other errors a reconnect fixes) into `needs_reconnect` with a reason
//! that names what happened.
//!
//! ```no_run
//! # async fn demo(connector: igpub::connect::Connector, tenant: igpub::store::TenantId)
//! # -> Result<(), igpub::connect::ConnectError> {
//! let start = connector.start(tenant, None).await?;
//! // Send the person's browser to start.authorize_url; Facebook sends it back to the
//! // callback route, which calls connector.callback(params).
//! # let _ = start;
//! # Ok(()) }
//! ```

mod app;
mod callback;
mod choose;
mod discovery;
pub mod error;
mod finish;
mod health;
mod start;

use std::sync::Arc;
use std::time::Duration;

use igpub_graph::{GraphClient, scopes};

use crate::config::Settings;
use crate::store::{SharedClock, SharedStore, SystemClock};

pub use app::{AppOwner, MetaApp};
pub use callback::{CallbackOutcome, CallbackParams, CallbackResult, PendingChoice};
pub use discovery::{DiscoveredAccount, instagram_accounts, missing_permissions};
pub use error::ConnectError;
pub use finish::page_token_expiry;
pub use health::{Verification, reconnect_reason, record_token_error, token_failure_explanation};
pub use start::{ConnectStart, parse_return_to};

/// The permissions asked for, and required, when connecting (graph-api.md §5.1, §5.5).
pub const REQUIRED_SCOPES: [&str; 6] = [
    scopes::INSTAGRAM_BASIC,
    scopes::INSTAGRAM_CONTENT_PUBLISH,
    scopes::INSTAGRAM_MANAGE_INSIGHTS,
    scopes::PAGES_SHOW_LIST,
    scopes::PAGES_READ_ENGAGEMENT,
    scopes::BUSINESS_MANAGEMENT,
];

/// How long a pending account choice waits for the person.
pub const CONNECT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);

/// Runs the connect flow and the token checks for every tenant. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Connector {
    store: SharedStore,
    settings: Arc<Settings>,
    graph: GraphClient,
    clock: SharedClock,
}

impl Connector {
    /// A connector over the service's store, settings and Graph client (the client must carry
    /// the service app's secret, as [`crate::startup::graph_client`] builds it).
    pub fn new(store: SharedStore, settings: Arc<Settings>, graph: GraphClient) -> Self {
        Self {
            store,
            settings,
            graph,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same connector, telling time with `clock` (for `last_verified_at` and expiries).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
}
