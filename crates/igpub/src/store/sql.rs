//! The one implementation of the store traits, shared by SQLite and PostgreSQL.
//!
//! SQL text is written once with `$1` placeholders (SQLite accepts them too) and run through
//! [`on_pool!`], which monomorphises the same code for each driver. Only connection setup and
//! migrations differ per backend ([`super::sqlite`], [`super::postgres`]).

use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Connection, Database, PgPool, SqlitePool};

use super::{Backend, Readiness, RotationReport, SharedClock, Store, StoreError, postgres, sqlite};
use crate::vault::{Envelope, TokenContext, TokenSubject, Vault, VaultError};

/// An open pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    /// Opens a pool on the database named by the URL.
    pub(crate) async fn open(database_url: &str) -> Result<Self, StoreError> {
        Ok(match Backend::of_url(database_url)? {
            Backend::Sqlite => Self::Sqlite(sqlite::connect(database_url).await?),
            Backend::Postgres => Self::Postgres(postgres::connect(database_url).await?),
        })
    }
}

/// Runs `$body` with `$p` bound to the store's pool, whichever backend it is.
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::store::sql::Pool::Sqlite($p) => $body,
            $crate::store::sql::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The tables whose rows carry an `expires_at` and are swept when it has come.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ExpiringTable {
    /// Facebook Login states.
    OAuthStates,
    /// Account choices waiting after a login.
    ConnectSessions,
    /// Dashboard sign-ins.
    DashboardSessions,
}

/// The store over an SQL pool.
#[derive(Debug)]
pub(crate) struct SqlStore {
    pub(crate) pool: Pool,
    pub(crate) vault: Vault,
    clock: SharedClock,
}

impl SqlStore {
    /// Opens the pool named by the URL; applies no migration.
    pub(crate) async fn open(
        database_url: &str,
        vault: Vault,
        clock: SharedClock,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            pool: Pool::open(database_url).await?,
            vault,
            clock,
        })
    }

    /// Now, to the millisecond (the precision stored).
    pub(crate) fn now_millis(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// Deletes the rows of `table` whose `expires_at` has come; returns how many.
    pub(crate) async fn delete_expired(&self, table: ExpiringTable) -> Result<u64, StoreError> {
        let sql = match table {
            ExpiringTable::OAuthStates => "DELETE FROM oauth_states WHERE expires_at <= $1",
            ExpiringTable::ConnectSessions => "DELETE FROM connect_sessions WHERE expires_at <= $1",
            ExpiringTable::DashboardSessions => {
                "DELETE FROM dashboard_sessions WHERE expires_at <= $1"
            }
        };
        Ok(on_pool!(&self.pool, |pool| {
            sqlx::query(sql)
                .bind(self.now_millis())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Now plus `after`, in stored milliseconds; `field` names the argument if it overflows.
    pub(crate) fn millis_after(
        &self,
        field: &'static str,
        after: Duration,
    ) -> Result<i64, StoreError> {
        SignedDuration::try_from(after)
            .ok()
            .and_then(|after| self.clock.now().checked_add(after).ok())
            .map(|instant| instant.as_millisecond())
            .ok_or_else(|| StoreError::invalid(field, "reaches past the year 9999"))
    }
}

impl SqlStore {
    /// Encrypts a secret for `context` into the text form the columns hold.
    pub(crate) fn seal(
        &self,
        secret: &SecretString,
        context: &TokenContext,
    ) -> Result<String, StoreError> {
        let envelope = self
            .vault
            .encrypt(secret, context)
            .map_err(|e| vault_error(context, e))?;
        Ok(envelope.to_text())
    }

    /// Decrypts a column's envelope, which must have been sealed for `context`.
    pub(crate) fn unseal(
        &self,
        sealed: &str,
        context: &TokenContext,
    ) -> Result<SecretString, StoreError> {
        sealed
            .parse::<Envelope>()
            .and_then(|envelope| self.vault.decrypt(&envelope, context))
            .map_err(|e| vault_error(context, e))
    }

    /// Re-encrypts a column's envelope under the active key.
    pub(crate) fn reseal(
        &self,
        sealed: &str,
        context: &TokenContext,
    ) -> Result<String, StoreError> {
        self.seal(&self.unseal(sealed, context)?, context)
    }
}

fn vault_error(context: &TokenContext, source: VaultError) -> StoreError {
    let record = match context.subject {
        TokenSubject::Integration(id) => format!("integration {id}"),
        TokenSubject::MetaAppSecret => format!("the Meta app of tenant {}", context.tenant),
        TokenSubject::ConnectSession(id) => format!("connect session {id}"),
        TokenSubject::Webhook(id) => format!("webhook {id}"),
    };
    StoreError::Vault { record, source }
}

/// A stored time, or a typed error naming the column that holds nonsense.
pub(crate) fn timestamp(
    table: &'static str,
    column: &'static str,
    millis: i64,
) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(millis).map_err(|_| StoreError::Corrupt {
        table,
        column,
        problem: format!("{millis} is not a time in epoch milliseconds"),
    })
}

/// [`timestamp`] for a nullable column.
pub(crate) fn optional_timestamp(
    table: &'static str,
    column: &'static str,
    millis: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    millis
        .map(|millis| timestamp(table, column, millis))
        .transpose()
}

/// Whether a failed statement referenced a row that does not exist.
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_foreign_key_violation())
}

/// How long a readiness probe waits for a connection before calling the database unreachable.
const READINESS_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

async fn readiness_of<DB>(pool: &sqlx::Pool<DB>, migrator: &Migrator) -> Readiness
where
    DB: Database,
    DB::Connection: Migrate,
{
    // The pool would wait its whole acquire timeout (30 s) for a dead server; a probe must not.
    let mut connection = match tokio::time::timeout(READINESS_PROBE_TIMEOUT, pool.acquire()).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => {
            return Readiness::Unreachable {
                error: error.to_string(),
            };
        }
        Err(_) => {
            let error = format!("no connection within {READINESS_PROBE_TIMEOUT:?}");
            return Readiness::Unreachable { error };
        }
    };
    if let Err(error) = connection.ping().await {
        return Readiness::Unreachable {
            error: error.to_string(),
        };
    }
    // Before the first migration the bookkeeping table does not exist, and listing fails:
    // the database answered (the ping did), so every migration is pending.
    let applied = connection
        .list_applied_migrations(&migrator.table_name)
        .await
        .unwrap_or_default();
    let versions: Vec<i64> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .filter(|version| !applied.iter().any(|a| a.version == *version))
        .collect();
    if versions.is_empty() {
        Readiness::Ready
    } else {
        Readiness::MigrationsPending { versions }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlite::MIGRATOR.run(pool).await?,
            Pool::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    async fn readiness(&self) -> Readiness {
        match &self.pool {
            Pool::Sqlite(pool) => readiness_of(pool, &sqlite::MIGRATOR).await,
            Pool::Postgres(pool) => readiness_of(pool, &postgres::MIGRATOR).await,
        }
    }

    async fn close(&self) {
        on_pool!(&self.pool, |pool| pool.close().await)
    }

    async fn rotate_tokens(&self, batch_size: u32) -> Result<RotationReport, StoreError> {
        self.rotate_batch(batch_size).await
    }
}
