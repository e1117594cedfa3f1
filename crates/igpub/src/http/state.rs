//! What every handler can reach: the store, the settings and the Graph client.

use crate::config::Settings;
use crate::store::SharedStore;
use igpub_graph::GraphClient;
use std::sync::Arc;

/// Shared by every request; cheap to clone (everything inside is reference-counted).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: SharedStore,
    /// The service's settings.
    pub settings: Arc<Settings>,
    /// The Graph API client (no token: handlers take a per-account view with `with_token`).
    pub graph: GraphClient,
}
