//! Persistent state behind one [`Store`] trait, on SQLite (default) or PostgreSQL.
//!
//! [`connect`] picks the backend from the URL (`sqlite://igpub.db`, `sqlite::memory:`,
//! `postgres://…`), applies the embedded migrations and returns a [`SharedStore`]. Both backends
//! run the same SQL (runtime-checked, `$1` placeholders, times as epoch milliseconds, ids as
//! TEXT); the few dialect differences live in [`sqlite`] and [`postgres`].
//!
//! The store is split into one trait per area so that later parts add their own trait next to
//! these. Calls through a [`SharedStore`] (a trait object) need no import; code generic over a
//! store brings the traits into scope with `use igpub::store::prelude::*`.
//!
//! Every query about a tenant's data is scoped by its [`TenantId`]: another tenant's record
//! answers [`StoreError::NotFound`], exactly like a record that never existed. Secrets (Page
//! tokens, a tenant's Meta app secret, webhook signing secrets, connect sessions' user tokens)
//! are sealed by the [`Vault`] before they reach SQL, and
//! API keys and OAuth states are kept only as SHA-256 hashes.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use igpub::vault::{KeyRing, Vault};
//!
//! let vault = Vault::new(KeyRing::from_setting(&KeyRing::generate_key())?);
//! let store = igpub::store::connect("sqlite::memory:", vault).await?;
//! let (tenant, api_key) = store.create_tenant("Acme agency").await?;
//! let found = store.authenticate_api_key(secrecy::ExposeSecret::expose_secret(&api_key)).await?;
//! assert_eq!(found.map(|t| t.id), Some(tenant.id));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod api_keys;
mod clock;
mod connect_sessions;
mod error;
mod ids;
mod insights;
mod integrations;
mod media_uploads;
mod oauth_states;
mod outbound_webhooks;
mod post_notes;
pub mod postgres;
mod posts;
mod processing_times;
mod queue;
mod rotation;
mod secret_token;
mod sessions;
mod sql;
pub mod sqlite;
mod stats;
mod tenants;
#[doc(hidden)]
pub mod testing;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::SecretString;

pub use api_keys::{API_KEY_PREFIX, ApiKey};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use connect_sessions::{
    AccountChoice, ConnectSession, ConnectSessionId, ConnectSessionLookup, ConnectSessionStore,
    NewConnectSession, OpenConnectSession,
};
pub use error::{OAuthStateError, StoreError};
pub use ids::{
    ApiKeyId, DeliveryId, IdParseError, IntegrationId, MediaUploadId, TenantId, WebhookId,
};
pub use insights::{
    AccountMetricRow, InsightsObjectKind, InsightsStore, MediaMetricRow, MetricFailure,
    MetricSource, NewWebhookEvent, PullKind, StoredAccountMetric, StoredMediaMetric,
    StoredWebhookEvent, TrackedMedia, WebhookInsert,
};
pub use integrations::{
    InstagramMetadata, Integration, IntegrationStatus, NewIntegration, Provider,
};
pub use media_uploads::{MediaUpload, MediaUploadStore, NewMediaUpload};
pub use oauth_states::OAuthState;
pub use outbound_webhooks::{
    AttemptNext, AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, DueDelivery,
    IntegrationChange, NewOutboundEvent, NewWebhookEndpoint, OutboundWebhookStore, PostTransition,
    WebhookEndpoint,
};
pub use post_notes::PostNoteStore;
pub use posts::{
    Created, FollowUp, NewPost, Post, PostEvent, PostFailure, PostFilter, PostId, PostProgress,
    PostState, PostStore, TenantChange,
};
pub use processing_times::{ContainerKind, LearnedProcessing, ProcessingTimeStore};
pub use queue::{AppliedSteps, Pause, QueueStore, Step, StepRequest, WAKEUP_CHANNEL, local_wakeup};
pub use rotation::{KindRotation, SecretKind};
pub use sessions::{DashboardSession, DashboardSessionStore};
pub use stats::StatsStore;
pub use tenants::{MetaAppOverride, Tenant};

use crate::vault::Vault;

/// The store as the rest of igpub holds it.
pub type SharedStore = Arc<dyn Store>;

/// How long a Facebook Login `state` stays valid (the issue asks for 10 minutes).
pub const OAUTH_STATE_TTL: Duration = Duration::from_secs(10 * 60);

/// Tokens expiring within this window are reported as needing attention.
pub const TOKEN_EXPIRY_WARNING: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Every store trait, for `use igpub::store::prelude::*`.
pub mod prelude {
    pub use super::{
        ApiKeyStore, ConnectSessionStore, DashboardSessionStore, InsightsStore, IntegrationStore,
        MediaUploadStore, OAuthStateStore, OutboundWebhookStore, PostNoteStore, PostStore,
        ProcessingTimeStore, QueueStore, StatsStore, Store, TenantStore,
    };
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the default: one file, WAL mode.
    Sqlite,
    /// PostgreSQL, for deployments with many workers.
    Postgres,
}

impl Backend {
    /// A short lower-case name (`sqlite`, `postgres`), for logs and test names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// Picks the backend from a database URL, or names the setting that is wrong.
    pub fn of_url(database_url: &str) -> Result<Self, StoreError> {
        if database_url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            Ok(Self::Postgres)
        } else {
            // Only the scheme is echoed: the rest of a URL may hold a password.
            let scheme = database_url
                .split_once(':')
                .map_or("", |(scheme, _)| scheme);
            Err(StoreError::UnsupportedDatabaseUrl {
                scheme: scheme.chars().take(20).collect(),
            })
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What `/readyz` needs to know about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Reachable, and every embedded migration is applied.
    Ready,
    /// The database did not answer.
    Unreachable {
        /// The driver's message (it never includes bound values).
        error: String,
    },
    /// Reachable, but these migration versions are not applied yet (run `igpub migrate`).
    MigrationsPending {
        /// Versions of the embedded migrations that are missing.
        versions: Vec<i64>,
    },
}

impl Readiness {
    /// Whether the service may take traffic.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready)
    }
}

/// The outcome of one [`Store::rotate_tokens`] batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RotationReport {
    /// Secrets re-encrypted under the active key by this batch.
    pub re_encrypted: u64,
    /// Secrets still sealed under another key; run again until this is 0.
    pub remaining: u64,
    /// The same counts for each kind of secret, in [`SecretKind::ALL`] order.
    pub kinds: Vec<KindRotation>,
}

/// Which tenants a listing covers.
///
/// Tenant-facing code always uses [`TenantScope::Tenant`]; [`TenantScope::AllTenants`] is for
/// the operator's CLI and background workers that serve every tenant, and is spelled out at the
/// call site so an unscoped read is never an accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    /// One tenant's records only.
    Tenant(TenantId),
    /// Every tenant's records (operator and worker use only).
    AllTenants,
}

/// How [`connect_with`] opens a store.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The source of "now" for every timestamp the store writes.
    pub clock: SharedClock,
    /// Apply the embedded migrations before returning (the service does; `/readyz` tests don't).
    pub apply_migrations: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            apply_migrations: true,
        }
    }
}

/// Opens the database named by `database_url` and applies the embedded migrations.
///
/// SQLite files are created when missing and run in WAL mode with a 5 s busy timeout, foreign
/// keys on and `synchronous=NORMAL`.
pub async fn connect(database_url: &str, vault: Vault) -> Result<SharedStore, StoreError> {
    connect_with(database_url, vault, ConnectOptions::default()).await
}

/// [`connect`] with a chosen clock, and optionally without migrating.
pub async fn connect_with(
    database_url: &str,
    vault: Vault,
    options: ConnectOptions,
) -> Result<SharedStore, StoreError> {
    let store = sql::SqlStore::open(database_url, vault, options.clock).await?;
    if options.apply_migrations {
        store.migrate().await?;
    }
    Ok(Arc::new(store))
}

/// The whole store: every area trait, plus schema and key maintenance.
#[async_trait]
pub trait Store:
    TenantStore
    + ApiKeyStore
    + IntegrationStore
    + InsightsStore
    + OAuthStateStore
    + PostStore
    + QueueStore
    + ProcessingTimeStore
    + ConnectSessionStore
    + StatsStore
    + MediaUploadStore
    + PostNoteStore
    + OutboundWebhookStore
    + DashboardSessionStore
    + Send
    + Sync
    + fmt::Debug
{
    /// Which database this store runs on.
    fn backend(&self) -> Backend;

    /// Applies every embedded migration not applied yet (for `igpub migrate`; idempotent).
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Whether the database answers and its schema is current (for `/readyz`).
    async fn readiness(&self) -> Readiness;

    /// Closes the connection pool, waiting for connections in use to come back (for a
    /// graceful shutdown). Every later call fails.
    async fn close(&self);

    /// Re-encrypts up to `batch_size` secrets sealed under a key other than the active one:
    /// every vault-sealed column, in [`SecretKind::ALL`] order (integration tokens, tenants'
    /// Meta app secrets, webhook signing secrets, connect session tokens).
    ///
    /// Each secret is replaced in its own statement, only if it did not change meanwhile, so the
    /// operation can be interrupted and simply run again (`igpub keys rotate` loops until
    /// `remaining` is 0). A secret that does not decrypt stops the batch with an error naming it.
    async fn rotate_tokens(&self, batch_size: u32) -> Result<RotationReport, StoreError>;
}

/// Tenants and their optional own Meta app.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant with a first API key, returned once: only its hash is stored.
    async fn create_tenant(&self, name: &str) -> Result<(Tenant, SecretString), StoreError>;

    /// One tenant.
    async fn get_tenant(&self, tenant: TenantId) -> Result<Tenant, StoreError>;

    /// Every tenant, oldest first (operator use).
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;

    /// Makes the tenant use its own Meta app; the secret is stored encrypted.
    async fn set_meta_app_override(
        &self,
        tenant: TenantId,
        app: &MetaAppOverride,
    ) -> Result<(), StoreError>;

    /// Returns the tenant to the service's Meta app.
    async fn clear_meta_app_override(&self, tenant: TenantId) -> Result<(), StoreError>;

    /// Sets the tenant's default for auto-fixing media (`None`: follow `media.auto_fix`) and
    /// returns the tenant as it now is.
    async fn set_tenant_auto_fix(
        &self,
        tenant: TenantId,
        auto_fix: Option<bool>,
    ) -> Result<Tenant, StoreError>;

    /// The tenant's own Meta app, with its secret decrypted, if it has one.
    async fn meta_app_override(
        &self,
        tenant: TenantId,
    ) -> Result<Option<MetaAppOverride>, StoreError>;
}

/// API keys: random, shown once, stored as a prefix and a SHA-256 hash.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// A new key for the tenant; the returned secret is the only copy.
    async fn create_api_key(
        &self,
        tenant: TenantId,
        label: &str,
    ) -> Result<(ApiKey, SecretString), StoreError>;

    /// The tenant's keys (prefixes and dates only), oldest first.
    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes a key; authenticating with it fails from now on.
    async fn revoke_api_key(&self, tenant: TenantId, key: ApiKeyId) -> Result<ApiKey, StoreError>;

    /// The tenant a presented key belongs to, or `None` for an unknown, malformed or revoked
    /// key. Compares hashes in constant time and records the key's last use.
    async fn authenticate_api_key(&self, presented: &str) -> Result<Option<Tenant>, StoreError>;
}

/// Connected accounts and the health of their tokens.
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Connects an Instagram account, or reconnects it if the tenant already has it.
    ///
    /// A reconnect keeps the integration's id, stores the new token, sets it active and clears
    /// its last error, all in the one statement that succeeds, so a failed reconnect never
    /// wipes a working token and no duplicate is ever created.
    async fn upsert_instagram_integration(
        &self,
        tenant: TenantId,
        new: NewIntegration,
    ) -> Result<Integration, StoreError>;

    /// One integration of the tenant.
    async fn get_integration(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Integration, StoreError>;

    /// The tenant's integration for an Instagram account, if connected (even if disconnected).
    async fn find_integration_by_ig_user(
        &self,
        tenant: TenantId,
        ig_user_id: &str,
    ) -> Result<Option<Integration>, StoreError>;

    /// Integrations of one tenant or, for operators and workers, of all; oldest first.
    async fn list_integrations(&self, scope: TenantScope) -> Result<Vec<Integration>, StoreError>;

    /// Connected integrations whose token expires within `within` from now (or already has),
    /// soonest first. Tokens that never expire are never listed. See [`TOKEN_EXPIRY_WARNING`].
    async fn integrations_expiring_within(
        &self,
        scope: TenantScope,
        within: Duration,
    ) -> Result<Vec<Integration>, StoreError>;

    /// The decrypted Page access token; [`StoreError::Disconnected`] once disconnected.
    async fn integration_token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<SecretString, StoreError>;

    /// Records that Meta refused the token (any code 190, graph-api.md §6.2): the integration
    /// needs reconnecting, and `reason` (Meta's message, cut to 1000 characters) says why.
    async fn mark_needs_reconnect(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        reason: &str,
    ) -> Result<Integration, StoreError>;

    /// [`mark_needs_reconnect`](Self::mark_needs_reconnect), but only while `refused` is still
    /// the stored token: a reconnect that stored a new token meanwhile is never undone by a
    /// refusal of the old one. `true` when it marked, `false` when the token had been replaced;
    /// [`StoreError::Disconnected`] for a disconnected integration.
    async fn mark_needs_reconnect_if_token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        refused: &SecretString,
        reason: &str,
    ) -> Result<bool, StoreError>;

    /// Records a successful check of the token at `at`: active again, last error cleared.
    async fn mark_verified(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        at: Timestamp,
    ) -> Result<Integration, StoreError>;

    /// Disconnects: the token's ciphertext is wiped and the status becomes `disconnected`.
    /// The record stays so that history keeps pointing at it; reconnecting reuses it.
    async fn disconnect(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Integration, StoreError>;
}

/// Facebook Login `state` values: random, single-use, bound to a tenant, short-lived.
#[async_trait]
pub trait OAuthStateStore: Send + Sync {
    /// Stores a new state (as its SHA-256 only) and returns the state, once.
    ///
    /// `extra` is whatever the connect flow must find again at the callback (redirect URI used,
    /// where to send the user back); it must not hold secrets.
    async fn create_oauth_state(
        &self,
        tenant: TenantId,
        ttl: Duration,
        extra: serde_json::Value,
    ) -> Result<SecretString, StoreError>;

    /// Consumes a state atomically: it succeeds once, before expiry. Otherwise the error says
    /// whether the state is unknown, already used or expired.
    async fn consume_oauth_state(&self, state: &str) -> Result<OAuthState, StoreError>;

    /// Deletes states that expired before now; returns how many.
    async fn delete_expired_oauth_states(&self) -> Result<u64, StoreError>;
}
