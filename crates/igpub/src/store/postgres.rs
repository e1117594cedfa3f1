//! PostgreSQL specifics: how a pool is opened, and the PostgreSQL migrations.
//!
//! PostgreSQL is for deployments with many workers on several machines. The schema is taken
//! from the connection's `search_path`, so a URL with `?options=-c%20search_path%3Dname`
//! confines igpub (or one test) to one schema.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The embedded PostgreSQL migrations.
pub static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// Opens a pool on `database_url` (`postgres://…`).
pub async fn connect(database_url: &str) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(database_url)?;
    PgPoolOptions::new().connect_with(options).await
}
