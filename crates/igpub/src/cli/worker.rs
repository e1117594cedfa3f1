//! `igpub worker [--concurrency N]`: the publishing worker as its own process, until Ctrl-C or
//! SIGTERM; then in-flight steps finish and the leases are released.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::GlobalArgs;
use crate::publish::Worker;

/// Flags of `igpub worker`.
#[derive(Debug, Args)]
#[command(about = "Publish due posts until Ctrl-C or SIGTERM (any number of workers may run)")]
pub struct WorkerArgs {
    /// Posts worked on at once (default: worker.concurrency).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Skip the media pre-flight before containers are made (load tests against `--no-fetch`
    /// simulators).
    #[arg(long)]
    pub no_preflight: bool,
}

/// Runs `igpub worker`.
pub async fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    // A long-running process: its warnings (held posts, store errors) must reach the operator.
    crate::telemetry::init(global.log_format);
    let settings = global.settings()?;
    let store = global.open_store_with(&settings).await?;
    let mut config = crate::background::worker_config(&settings);
    if let Some(concurrency) = args.concurrency {
        config.concurrency = concurrency.max(1);
    }
    if args.no_preflight {
        config.preflight = None;
    }
    let worker = Worker::new(
        Arc::clone(&store),
        crate::startup::graph_client_builder(&settings),
        config,
    )?;
    tracing::info!(owner = worker.owner(), "worker started");
    worker.run_until(super::serve::shutdown_signal()).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
