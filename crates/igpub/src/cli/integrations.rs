//! `igpub integrations list|verify|disconnect`: connected Instagram accounts across tenants,
//! for the operator.

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::connect::{ConnectError, Connector, Verification};
use crate::store::{
    Integration, IntegrationId, IntegrationStatus, SharedStore, TOKEN_EXPIRY_WARNING, TenantId,
    TenantScope,
};

/// Flags of `igpub integrations`.
#[derive(Debug, Args)]
#[command(about = "List, check and disconnect connected Instagram accounts")]
pub struct IntegrationsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: IntegrationsCommand,
}

/// `igpub integrations …` commands.
#[derive(Debug, Subcommand)]
pub enum IntegrationsCommand {
    /// List integrations with their health. Tokens that expire within 7 days are flagged and
    /// listed again at the end.
    List {
        /// Only this tenant's integrations.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<TenantId>,
        /// Only integrations whose token expires within this many days (or already has).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=3650))]
        expiring_within_days: Option<u32>,
    },
    /// Check tokens against Meta now (GET /{ig-user-id}?fields=id,username): one integration,
    /// or every connected one. A token Meta refuses (code 190) marks the integration
    /// needs_reconnect with the reason. Exits with 1 when any check did not pass.
    Verify {
        /// The integration to check; all of them (of --tenant, if given) when absent.
        id: Option<IntegrationId>,
        /// Only this tenant's integrations.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<TenantId>,
    },
    /// Disconnect an integration: its token is wiped, the record stays for history, and
    /// connecting the account again reuses it.
    Disconnect {
        /// The integration to disconnect.
        id: IntegrationId,
    },
}

/// Runs `igpub integrations …`.
pub async fn run(global: &GlobalArgs, args: IntegrationsArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(global.log_format);
    let settings = Arc::new(global.settings()?);
    let store = global.open_store_with(&settings).await?;
    let mut out = std::io::stdout().lock();
    let result = match args.command {
        IntegrationsCommand::List {
            tenant,
            expiring_within_days,
        } => list(&store, scope(tenant), expiring_within_days, &mut out)
            .await
            .map(|()| ExitCode::SUCCESS),
        IntegrationsCommand::Verify { id, tenant } => {
            let graph = crate::startup::graph_client(&settings)?;
            let connector = Connector::new(store.clone(), settings, graph);
            verify(&connector, &store, id, scope(tenant), &mut out).await
        }
        IntegrationsCommand::Disconnect { id } => disconnect(&store, id, &mut out)
            .await
            .map(|()| ExitCode::SUCCESS),
    };
    store.close().await;
    result
}

fn scope(tenant: Option<TenantId>) -> TenantScope {
    tenant.map_or(TenantScope::AllTenants, TenantScope::Tenant)
}

/// Writes the integrations of `scope` as a table, flagging tokens that expire within 7 days.
pub async fn list(
    store: &SharedStore,
    scope: TenantScope,
    expiring_within_days: Option<u32>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let expiring = store
        .integrations_expiring_within(scope, TOKEN_EXPIRY_WARNING)
        .await?;
    let soon: HashSet<IntegrationId> = expiring.iter().map(|found| found.id).collect();
    let listed = match expiring_within_days {
        None => store.list_integrations(scope).await?,
        Some(days) => {
            let within = Duration::from_secs(u64::from(days).saturating_mul(24 * 60 * 60));
            store.integrations_expiring_within(scope, within).await?
        }
    };
    if listed.is_empty() {
        writeln!(out, "No integrations.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:<36}  {:<24}  {:<15}  {:<28}  LAST VERIFIED",
        "ID", "TENANT", "ACCOUNT", "STATUS", "TOKEN EXPIRES"
    )?;
    for integration in &listed {
        writeln!(out, "{}", row(integration, soon.contains(&integration.id)))?;
        if let Some(error) = &integration.last_error {
            writeln!(out, "    reason: {error}")?;
        }
    }
    if expiring.is_empty() {
        writeln!(out, "\nNo token expires within 7 days.")?;
    } else {
        writeln!(
            out,
            "\nTokens expiring within 7 days (reconnect these accounts soon):"
        )?;
        for integration in &expiring {
            writeln!(
                out,
                "  {}  @{}  {}",
                integration.id,
                integration.metadata.ig_username,
                expiry(integration)
            )?;
        }
    }
    Ok(())
}

fn expiry(integration: &Integration) -> String {
    integration.metadata.token_expires_at.map_or_else(
        || "never".to_owned(),
        |at| at.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

fn row(integration: &Integration, expires_soon: bool) -> String {
    let mut expires = expiry(integration);
    if expires_soon {
        expires.push_str(" (SOON)");
    }
    let verified = integration.last_verified_at.map_or_else(
        || "never".to_owned(),
        |at| at.strftime("%Y-%m-%d %H:%M").to_string(),
    );
    format!(
        "{:<36}  {:<36}  {:<24}  {:<15}  {:<28}  {}",
        integration.id,
        integration.tenant_id,
        format!("@{}", integration.metadata.ig_username),
        integration.status,
        expires,
        verified
    )
}

/// Finds an integration whichever tenant owns it (the operator names it by id alone).
async fn find(store: &SharedStore, id: IntegrationId) -> anyhow::Result<Integration> {
    store
        .list_integrations(TenantScope::AllTenants)
        .await?
        .into_iter()
        .find(|integration| integration.id == id)
        .with_context(|| format!("integration {id} not found"))
}

/// Checks tokens against Meta, writing one line per integration; exit status 1 when any check
/// did not pass.
pub async fn verify(
    connector: &Connector,
    store: &SharedStore,
    id: Option<IntegrationId>,
    scope: TenantScope,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let targets: Vec<Integration> = match id {
        Some(id) => vec![find(store, id).await?],
        None => store
            .list_integrations(scope)
            .await?
            .into_iter()
            .filter(|integration| integration.status != IntegrationStatus::Disconnected)
            .collect(),
    };
    if targets.is_empty() {
        writeln!(out, "No connected integrations to check.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut all_passed = true;
    for target in targets {
        let label = format!("{} @{}", target.id, target.metadata.ig_username);
        match connector.verify(target.tenant_id, target.id).await {
            Ok(Verification::Verified(_)) => writeln!(out, "{label}: verified")?,
            Ok(Verification::NeedsReconnect(held)) => {
                all_passed = false;
                let reason = held.last_error.unwrap_or_default();
                writeln!(out, "{label}: needs reconnect: {reason}")?;
            }
            Err(ConnectError::Disconnected) => writeln!(out, "{label}: disconnected")?,
            Err(error) => {
                all_passed = false;
                writeln!(out, "{label}: not checked: {error}")?;
            }
        }
    }
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Disconnects an integration, whichever tenant owns it.
pub async fn disconnect(
    store: &SharedStore,
    id: IntegrationId,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let found = find(store, id).await?;
    let gone = store.disconnect(found.tenant_id, id).await?;
    writeln!(
        out,
        "Disconnected {} @{} (tenant {}); its token is wiped.",
        gone.id, gone.metadata.ig_username, gone.tenant_id
    )?;
    Ok(())
}
