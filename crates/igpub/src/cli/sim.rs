//! `igpub sim`: the Graph API simulator as its own server.

use clap::Args;
use std::process::ExitCode;

/// Flags of `igpub sim`.
#[derive(Debug, Args)]
pub struct SimArgs {}

/// Runs `igpub sim`.
pub async fn run(_args: SimArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("igpub sim is not built yet")
}
