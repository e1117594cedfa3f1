//! SQLite specifics: how a pool is opened, and the SQLite migrations.
//!
//! SQLite is the default backend: one file, no server. WAL lets readers run while one writer
//! writes; the busy timeout makes a second writer wait instead of failing at once.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// The embedded SQLite migrations.
pub static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/sqlite");

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a pool on `database_url` (`sqlite://path` or `sqlite::memory:`), creating the file
/// if it is missing.
pub async fn connect(database_url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // NORMAL is durable in WAL mode except for the last commits before a power loss.
        .synchronous(SqliteSynchronous::Normal)
        // A statement that changes many rows inside a transaction (a worker's batch of steps)
        // keeps a statement journal to undo itself alone; in a temporary file, writing it was
        // 2.5 % of a worker's CPU in a burst. It holds only that statement's pages.
        .pragma("temp_store", "memory");
    let in_memory = is_in_memory(database_url);
    // No ping before each use: a SQLite connection is a file handle in this process, not a
    // socket that can go stale, and the ping is one more hand-off to sqlx's connection thread
    // per query (the worker's queries are most of its CPU in a burst).
    let mut pool = SqlitePoolOptions::new().test_before_acquire(false);
    if in_memory {
        // An in-memory database lives only while a connection to it is open: keep one forever.
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    pool.connect_with(options).await
}

fn is_in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}
