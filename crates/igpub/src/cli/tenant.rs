//! `igpub tenant create|list`: the customers of this igpub and their first API key.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;

use super::GlobalArgs;
use crate::store::Store;

/// Flags of `igpub tenant`.
#[derive(Debug, Args)]
#[command(about = "Create and list tenants (the customers who connect Instagram accounts)")]
pub struct TenantArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TenantCommand,
}

/// `igpub tenant …` commands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its API key. The key is shown this once: igpub keeps only its
    /// hash, so store it now (the tenant sends it as `Authorization: Bearer <key>`).
    Create {
        /// A name for people, e.g. the agency's name (need not be unique).
        name: String,
    },
    /// List every tenant: id, name, when it was created, and its own Meta app if it has one.
    List,
}

/// Runs `igpub tenant …`.
pub async fn run(global: &GlobalArgs, args: TenantArgs) -> anyhow::Result<ExitCode> {
    let store = global.open_store().await?;
    let mut out = std::io::stdout().lock();
    match args.command {
        TenantCommand::Create { name } => create(store.as_ref(), &name, &mut out).await?,
        TenantCommand::List => list(store.as_ref(), &mut out).await?,
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Creates a tenant and writes its id and API key to `out`.
pub async fn create(store: &dyn Store, name: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let (tenant, api_key) = store.create_tenant(name).await?;
    writeln!(
        out,
        "Created tenant {:?} with id {}.",
        tenant.name, tenant.id
    )?;
    writeln!(
        out,
        "API key (shown only now; igpub keeps just its hash, so store it safely):"
    )?;
    writeln!(out, "{}", api_key.expose_secret())?;
    Ok(())
}

/// Writes every tenant as a table to `out`.
pub async fn list(store: &dyn Store, out: &mut dyn Write) -> anyhow::Result<()> {
    let tenants = store.list_tenants().await?;
    if tenants.is_empty() {
        writeln!(
            out,
            "No tenants yet; create one with `igpub tenant create NAME`."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:<20}  {:<16}  NAME",
        "ID", "CREATED", "META APP"
    )?;
    for tenant in tenants {
        writeln!(
            out,
            "{:<36}  {:<20}  {:<16}  {}",
            tenant.id,
            tenant.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            tenant.meta_app_id.as_deref().unwrap_or("service"),
            tenant.name
        )?;
    }
    Ok(())
}
