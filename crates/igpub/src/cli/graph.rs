//! `igpub graph …`: the typed Graph API client on the command line.

use clap::Args;
use std::process::ExitCode;

/// Flags of `igpub graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {}

/// Runs `igpub graph`.
pub async fn run(_args: GraphArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("igpub graph is not built yet")
}
