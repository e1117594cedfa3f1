//! `igpub tenant create|list|auto-fix`: the customers of this igpub, their first API key, and
//! their own defaults.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;

use super::GlobalArgs;
use crate::store::{Store, TenantId};

/// Flags of `igpub tenant`.
#[derive(Debug, Args)]
#[command(
    about = "Create and list tenants (the customers who connect Instagram accounts), and set their defaults"
)]
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
    /// List every tenant: id, name, when it was created, its own Meta app if it has one, and
    /// its auto-fix default.
    List,
    /// Set whether the tenant's posts fix refused media (convert, pad, scale) when a post does
    /// not say `auto_fix` itself; `default` follows the service's `media.auto_fix`.
    AutoFix {
        /// The tenant's id.
        tenant: TenantId,
        /// `on`, `off` or `default`.
        setting: AutoFixSetting,
    },
}

/// A tenant's auto-fix default, as `igpub tenant auto-fix` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AutoFixSetting {
    /// Fix refused media unless a post says otherwise.
    On,
    /// Refuse such media unless a post asks for the fix.
    Off,
    /// Follow the service's `media.auto_fix`.
    Default,
}

impl AutoFixSetting {
    /// The stored value: `None` for the service's default.
    pub fn stored(self) -> Option<bool> {
        match self {
            Self::On => Some(true),
            Self::Off => Some(false),
            Self::Default => None,
        }
    }
}

/// Runs `igpub tenant …`.
pub async fn run(global: &GlobalArgs, args: TenantArgs) -> anyhow::Result<ExitCode> {
    let store = global.open_store().await?;
    let mut out = std::io::stdout().lock();
    match args.command {
        TenantCommand::Create { name } => create(store.as_ref(), &name, &mut out).await?,
        TenantCommand::List => list(store.as_ref(), &mut out).await?,
        TenantCommand::AutoFix { tenant, setting } => {
            let tenant = store.set_tenant_auto_fix(tenant, setting.stored()).await?;
            writeln!(
                out,
                "Tenant {} ({:?}): auto-fix {}.",
                tenant.id,
                tenant.name,
                auto_fix_text(tenant.auto_fix)
            )?;
        }
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
        "{:<36}  {:<20}  {:<16}  {:<8}  NAME",
        "ID", "CREATED", "META APP", "AUTO-FIX"
    )?;
    for tenant in tenants {
        writeln!(
            out,
            "{:<36}  {:<20}  {:<16}  {:<8}  {}",
            tenant.id,
            tenant.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            tenant.meta_app_id.as_deref().unwrap_or("service"),
            auto_fix_text(tenant.auto_fix),
            tenant.name
        )?;
    }
    Ok(())
}

/// `on`, `off`, or `default` when the tenant follows the service.
fn auto_fix_text(auto_fix: Option<bool>) -> &'static str {
    match auto_fix {
        Some(true) => "on",
        Some(false) => "off",
        None => "default",
    }
}
