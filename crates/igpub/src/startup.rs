//! Turning settings into running parts: the key ring, the store and the Graph client.
//! The CLI, the server, the worker and the demo all start through here.

use crate::config::Settings;
use crate::media::hosting::{FsStorage, HostingSecret, MediaStorage, S3Config, S3Storage};
use crate::store::{self, SharedStore, StoreError};
use crate::vault::{KeyRing, Vault, VaultError};
use igpub_graph::{GraphClient, GraphError};
use std::sync::Arc;
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
    /// The built-in media hosting could not be opened.
    #[error("media hosting (media.data_dir / public_base_url / media.s3): {0}")]
    Media(String),
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
    Ok(graph_client_builder(settings).build()?)
}

/// The builder behind [`graph_client`], for parts that add their own hooks (the worker adds
/// its usage observer).
pub fn graph_client_builder(settings: &Settings) -> igpub_graph::GraphClientBuilder {
    let mut builder = GraphClient::builder()
        .base_url(settings.meta.graph_url.clone())
        .api_version(settings.meta.api_version.clone())
        .timeout(Duration::from_secs(30));
    if let Some(secret) = &settings.meta.app_secret {
        builder = builder.app_secret(secret.clone());
    }
    builder
}

/// The file under `media.data_dir` that holds the hosting secret (random, made on first use).
pub const HOSTING_SECRET_FILE: &str = "hosting.key";

/// The built-in media hosting: the S3-compatible bucket of `media.s3` when it is set (Meta
/// is given the bucket's public URLs), else files under `media.data_dir`, public at
/// `{public_base_url}/media/`.
///
/// Its secret (which makes media ids unguessable, see [`crate::media::hosting`]) lives in
/// `{media.data_dir}/hosting.key` for both backends, created with 32 random bytes and mode
/// 0600 on first use, so every process sharing the directory derives the same ids.
pub async fn media_storage(settings: &Settings) -> Result<Arc<dyn MediaStorage>, StartupError> {
    let root = &settings.media.data_dir;
    tokio::fs::create_dir_all(root).await.map_err(|error| {
        StartupError::Media(format!("cannot create {}: {error}", root.display()))
    })?;
    let secret = hosting_secret(&root.join(HOSTING_SECRET_FILE)).await?;
    if let Some(s3) = &settings.media.s3 {
        let public_base_url = url::Url::parse(&s3.public_base_url)
            .map_err(|error| StartupError::Media(format!("media.s3.public_base_url: {error}")))?;
        let config = S3Config {
            bucket: s3.bucket.clone(),
            region: s3.region.clone(),
            endpoint: s3.endpoint.clone(),
            access_key_id: s3.access_key_id.clone(),
            secret_access_key: s3.secret_access_key.clone(),
            allow_http: s3.allow_http,
            public_base_url,
        };
        let storage = S3Storage::new(config, secret)
            .map_err(|error| StartupError::Media(format!("media.s3: {error}")))?;
        return Ok(Arc::new(storage));
    }
    let public_base_url = url::Url::parse(&settings.public_base_url)
        .map_err(|error| StartupError::Media(format!("public_base_url: {error}")))?;
    let storage = FsStorage::open(root.clone(), secret, public_base_url)
        .await
        .map_err(|error| StartupError::Media(error.to_string()))?;
    Ok(Arc::new(storage))
}

async fn hosting_secret(path: &std::path::Path) -> Result<HostingSecret, StartupError> {
    let unreadable =
        |error: std::io::Error| StartupError::Media(format!("{}: {error}", path.display()));
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            create_hosting_secret(path).await.map_err(unreadable)?
        }
        Err(error) => return Err(unreadable(error)),
    };
    HostingSecret::new(bytes)
        .map_err(|error| StartupError::Media(format!("{}: {error}", path.display())))
}

/// Writes a fresh secret to a temporary file and links it into place, so a process starting
/// at the same moment reads either nothing or the whole secret, and both end up with one.
async fn create_hosting_secret(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use rand::RngCore;
    let mut fresh = vec![0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&temporary).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, &fresh).await?;
    file.sync_all().await?;
    drop(file);
    let linked = tokio::fs::hard_link(&temporary, path).await;
    tokio::fs::remove_file(&temporary).await?;
    match linked {
        Ok(()) => Ok(fresh),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            tokio::fs::read(path).await
        }
        Err(error) => Err(error),
    }
}
