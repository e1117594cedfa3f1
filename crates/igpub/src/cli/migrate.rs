//! `igpub migrate`: applies the embedded database migrations (the service also does on start).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::GlobalArgs;
use crate::store::{self, Readiness};
use crate::vault::{KeyRing, Vault};

/// Flags of `igpub migrate`.
#[derive(Debug, Args)]
#[command(
    about = "Create or update the database schema (SQLite or PostgreSQL, from database_url)",
    long_about = "Apply every embedded migration not applied yet to the database named by \
                  database_url (IGPUB_DATABASE_URL). Safe to run again: applied migrations are \
                  skipped. `igpub serve` does the same on start."
)]
pub struct MigrateArgs {}

/// Runs `igpub migrate`.
pub async fn run(global: &GlobalArgs, _args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    // Migrations are SQL and never read a secret, so a throwaway key ring is enough: migrating
    // needs only database_url, not the service's keys.
    let scratch = Vault::new(KeyRing::from_setting(&KeyRing::generate_key())?);
    let store = store::connect(&settings.database_url, scratch)
        .await
        .context("database (database_url / IGPUB_DATABASE_URL)")?;
    let readiness = store.readiness().await;
    store.close().await;
    report(store.backend(), &readiness, &mut std::io::stdout().lock())?;
    Ok(if readiness.is_ready() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes what the database looks like after migrating.
pub fn report(
    backend: store::Backend,
    readiness: &Readiness,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match readiness {
        Readiness::Ready => writeln!(out, "The {backend} database is up to date.")?,
        Readiness::Unreachable { error } => {
            writeln!(out, "The {backend} database stopped answering: {error}")?;
        }
        Readiness::MigrationsPending { versions } => {
            writeln!(out, "Migrations {versions:?} are still not applied.")?;
        }
    }
    Ok(())
}
