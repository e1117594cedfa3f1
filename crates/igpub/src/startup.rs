//! Turning settings into running parts: the key ring, the store and the Graph client.
//! The CLI, the server, the worker and the demo all start through here.

use crate::config::Settings;
use crate::store::{self, SharedStore, StoreError};
use crate::vault::{KeyRing, Vault, VaultError};
use igpub_graph::{GraphClient, GraphError};
use std::time::Duration;

/// Why the service could not start. Every message names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The secret keys are missing or malformed.
    #[error(
        "secret keys: {0} (set IGPUB_SECRET_KEYS or secret_key_file; `igpub keys generate` makes a key)"
    )]
    Keys(#[from] VaultError),
    /// The database could not be opened or migrated.
    #[error("database (database_url / IGPUB_DATABASE_URL): {0}")]
    Store(#[from] StoreError),
    /// The Graph client could not be built from `meta.*`.
    #[error("graph client (meta.graph_url / meta.api_version): {0}")]
    Graph(#[from] GraphError),
}

/// The key ring named by the settings.
pub fn key_ring(settings: &Settings) -> Result<KeyRing, StartupError> {
    Ok(KeyRing::load(
        settings.secret_keys.as_ref(),
        settings.secret_key_file.as_deref(),
    )?)
}

/// Opens (and migrates) the store named by `database_url`, with the settings' key ring.
pub async fn open_store(settings: &Settings) -> Result<SharedStore, StartupError> {
    let vault = Vault::new(key_ring(settings)?);
    Ok(store::connect(&settings.database_url, vault).await?)
}

/// The Graph client for `meta.*`, with `appsecret_proof` on every call when a secret is set.
pub fn graph_client(settings: &Settings) -> Result<GraphClient, StartupError> {
    let mut builder = GraphClient::builder()
        .base_url(settings.meta.graph_url.clone())
        .api_version(settings.meta.api_version.clone())
        .timeout(Duration::from_secs(30));
    if let Some(secret) = &settings.meta.app_secret {
        builder = builder.app_secret(secret.clone());
    }
    Ok(builder.build()?)
}
