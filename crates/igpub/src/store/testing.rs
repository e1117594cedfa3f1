//! Stores for tests, on every backend available.
//!
//! Each test gets its own database: a fresh SQLite file in a temporary directory, and, when
//! `IGPUB_TEST_DATABASE_URL` names a PostgreSQL server, a fresh schema in it. Run a test body
//! on each with [`for_each_backend`]:
//!
//! ```no_run
//! use igpub::store::testing::for_each_backend;
//!
//! # async fn demo() {
//! for_each_backend(|backend| async move {
//!     let (tenant, _key) = backend.store.create_tenant("Acme").await.unwrap();
//!     assert_eq!(backend.store.get_tenant(tenant.id).await.unwrap().name, "Acme");
//! })
//! .await;
//! # }
//! ```
//!
//! The store's clock is a [`ManualClock`] (advance it instead of sleeping) and its vault has
//! one random key, kept in [`TestBackend::secret_keys`]. The database is removed afterwards, even when the body panics.

use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Once};

use futures::FutureExt as _;
use jiff::Timestamp;
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use super::sql::{Pool, on_pool};
use super::{Backend, ConnectOptions, ManualClock, SharedStore, StoreError, connect_with};
use crate::vault::{KeyRing, Vault};

/// The variable naming the PostgreSQL server tests may create schemas in.
pub const TEST_DATABASE_URL_VARIABLE: &str = "IGPUB_TEST_DATABASE_URL";

/// A store on one backend, with what a test needs to look under the hood. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TestBackend {
    /// Which database this is.
    pub backend: Backend,
    /// The store under test (migrated).
    pub store: SharedStore,
    /// The URL the store was opened with, for tests that start the service themselves.
    pub database_url: String,
    /// The store's vault.
    pub vault: Vault,
    /// The `IGPUB_SECRET_KEYS` value the vault was loaded from (to build rings around it).
    pub secret_keys: SecretString,
    /// The store's clock.
    pub clock: ManualClock,
    /// A second pool on the same database, for raw SQL.
    raw: Pool,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    SqliteDirectory(PathBuf),
    PostgresSchema { admin_url: String, schema: String },
}

/// Runs `test` once per available backend, each time on a fresh database, then removes it.
///
/// Panics (failing the test) if a backend cannot be set up; a panic in `test` is re-raised
/// after cleanup, with the backend's name printed first.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestBackend) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in available_backends() {
        let backend = match TestBackend::create(backend).await {
            Ok(backend) => backend,
            Err(error) => panic!("cannot set up a {backend} test store: {error}"),
        };
        eprintln!("--- store test on {}", backend.backend);
        let outcome = AssertUnwindSafe(test(backend.clone())).catch_unwind().await;
        backend.remove().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// SQLite always; PostgreSQL when `IGPUB_TEST_DATABASE_URL` is set (otherwise says so, once).
pub fn available_backends() -> Vec<Backend> {
    if postgres_admin_url().is_some() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        static WARNING: Once = Once::new();
        WARNING.call_once(|| {
            // Straight to the process's stderr: libtest captures `eprintln!`, and this line
            // must be seen even when every test passes.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: PostgreSQL store tests (set {TEST_DATABASE_URL_VARIABLE})"
            );
        });
        vec![Backend::Sqlite]
    }
}

fn postgres_admin_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL_VARIABLE)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A vault over the key ring `secret_keys` (an `IGPUB_SECRET_KEYS` value).
///
/// Panics on a bad value: tests pass keys made by [`KeyRing::generate_key`].
pub fn vault_of(secret_keys: &SecretString) -> Vault {
    match KeyRing::from_setting(secret_keys) {
        Ok(ring) => Vault::new(ring),
        Err(error) => panic!("test keys must load: {error}"),
    }
}

/// Why a test database could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TestSetupError {
    /// PostgreSQL was asked for but `IGPUB_TEST_DATABASE_URL` is not set.
    #[error("{TEST_DATABASE_URL_VARIABLE} is not set")]
    NoPostgres,
    /// The admin URL does not parse.
    #[error("{TEST_DATABASE_URL_VARIABLE} is not a URL: {0}")]
    BadUrl(#[from] url::ParseError),
    /// Creating the database or the schema failed.
    #[error("cannot create the test database: {0}")]
    Database(#[from] sqlx::Error),
    /// The store refused to open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The temporary directory cannot be made.
    #[error("cannot create a temporary directory: {0}")]
    Io(#[from] std::io::Error),
}

impl TestBackend {
    /// A migrated store on a fresh database of `backend`.
    pub async fn create(backend: Backend) -> Result<Self, TestSetupError> {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let (database_url, place) = match backend {
            Backend::Sqlite => {
                let directory = std::env::temp_dir().join(format!("igpub-test-{unique}"));
                std::fs::create_dir_all(&directory)?;
                let url = format!("sqlite://{}", directory.join("igpub.db").display());
                (url, Place::SqliteDirectory(directory))
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url().ok_or(TestSetupError::NoPostgres)?;
                let schema = format!("igpub_test_{unique}");
                let mut admin = PgConnection::connect(&admin_url).await?;
                // The schema name is made of hex digits above, so it needs no quoting.
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let mut url = url::Url::parse(&admin_url)?;
                url.query_pairs_mut()
                    .append_pair("options[search_path]", &schema);
                (url.to_string(), Place::PostgresSchema { admin_url, schema })
            }
        };
        let secret_keys = KeyRing::generate_key();
        let vault = vault_of(&secret_keys);
        let clock = ManualClock::new(now_to_the_millisecond());
        let options = ConnectOptions {
            clock: Arc::new(clock.clone()),
            apply_migrations: true,
        };
        let store = connect_with(&database_url, vault.clone(), options).await?;
        let raw = Pool::open(&database_url).await?;
        Ok(Self {
            backend,
            store,
            database_url,
            vault,
            secret_keys,
            clock,
            raw,
            place,
        })
    }

    /// Opens the same database again with another vault (e.g. after a key rotation), sharing
    /// this backend's clock.
    pub async fn reopen(&self, vault: Vault) -> Result<SharedStore, StoreError> {
        let options = ConnectOptions {
            clock: Arc::new(self.clock.clone()),
            apply_migrations: false,
        };
        connect_with(&self.database_url, vault, options).await
    }

    /// The SQLite database file and its `-wal` and `-shm` companions that exist now; empty
    /// on PostgreSQL.
    pub fn sqlite_files(&self) -> Vec<PathBuf> {
        let Place::SqliteDirectory(directory) = &self.place else {
            return Vec::new();
        };
        ["igpub.db", "igpub.db-wal", "igpub.db-shm"]
            .into_iter()
            .map(|name| directory.join(name))
            .filter(|path| path.exists())
            .collect()
    }

    /// Runs raw SQL (tests that tamper with rows); returns the rows affected.
    pub async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(&self.raw, |pool| sqlx::raw_sql(sql)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Runs a raw query returning one integer (e.g. a `count(*)`).
    pub async fn fetch_i64(&self, sql: &str) -> Result<i64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(&self.raw, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await?))
    }

    /// Runs a raw query returning one text (e.g. a column to inspect).
    pub async fn fetch_text(&self, sql: &str) -> Result<Option<String>, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(&self.raw, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await?))
    }

    /// Closes the pools and removes the database, best effort.
    pub async fn remove(self) {
        self.store.close().await;
        on_pool!(&self.raw, |pool| pool.close().await);
        match &self.place {
            Place::SqliteDirectory(directory) => {
                let _ = std::fs::remove_dir_all(directory);
            }
            Place::PostgresSchema { admin_url, schema } => {
                if let Ok(mut admin) = PgConnection::connect(admin_url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut admin).await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

fn now_to_the_millisecond() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}
