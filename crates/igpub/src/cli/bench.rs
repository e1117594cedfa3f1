//! `igpub bench …`: measuring instruments that run the product against the simulator.
//! `publish` is the publishing benchmark of issue #9 (see BENCHMARKS.md for how to read it);
//! `chaos` (issue #5) kills worker processes at random under injected faults and checks that
//! no post was published twice or lost.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

#[path = "bench_chaos.rs"]
mod chaos;

use crate::bench::{
    Arrival, PollStrategy, PublishBenchConfig, WorkerProcessOptions, current_exe,
    run_publish_bench, run_worker_process,
};

/// Flags of `igpub bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The bench to run.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// Every bench.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Publish N image posts over M accounts through K worker processes against `igpub sim`,
    /// and report latency, calls, round trips, CPU, memory, duplicates and lost posts.
    Publish(PublishArgs),
    /// Publish posts through worker processes that are killed at random, under injected faults
    /// (commit-then-fail among them), then compare the store with the simulator's ground truth.
    Chaos(chaos::ChaosArgs),
    /// One worker process of `bench publish` (started by it; stops when stdin closes).
    #[command(hide = true)]
    Worker(BenchWorkerArgs),
}

/// Flags of `igpub bench publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Image posts to publish.
    #[arg(long, default_value_t = 1000)]
    pub posts: usize,
    /// Accounts the posts are spread over.
    #[arg(long, default_value_t = 100)]
    pub accounts: usize,
    /// Simulated round trip of every Graph request, ms.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Simulated image container processing, ms.
    #[arg(long, default_value_t = 2000)]
    pub image_processing_ms: u64,
    /// ± spread of the processing time, as a fraction (0 = every container takes exactly
    /// --image-processing-ms).
    #[arg(long, default_value_t = 0.0)]
    pub processing_jitter: f64,
    /// `sqlite://FILE` or `postgres://…` (a fresh schema is made and dropped); a temporary
    /// SQLite file when not given.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Worker processes.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Posts each worker works on at once.
    #[arg(long, default_value_t = 4000)]
    pub worker_concurrency: usize,
    /// Every post due at the same instant (the default).
    #[arg(long, conflicts_with = "rate")]
    pub burst: bool,
    /// Posts falling due per second instead of a burst.
    #[arg(long)]
    pub rate: Option<f64>,
    /// How the workers poll containers: adaptive, or the seed's fixed 3 s baseline.
    #[arg(long, value_enum, default_value_t = PollStrategy::Adaptive)]
    pub poll_strategy: PollStrategy,
    /// Seconds to wait past the last due time before giving up.
    #[arg(long, default_value_t = 120)]
    pub timeout_s: u64,
    /// Lift the simulator's rate-limit budgets (graph-api.md §7).
    #[arg(long)]
    pub unlimited_budgets: bool,
    /// Posts per account per 24 h in the simulator (graph-api.md §2.8).
    #[arg(long, default_value_t = 100)]
    pub quota_total: u32,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Flags of the hidden `igpub bench worker`.
#[derive(Debug, Args)]
pub struct BenchWorkerArgs {
    /// Posts worked on at once.
    #[arg(long, default_value_t = 4000)]
    pub concurrency: usize,
    /// How containers are polled.
    #[arg(long, value_enum, default_value_t = PollStrategy::Adaptive)]
    pub poll_strategy: PollStrategy,
}

/// Runs `igpub bench …`.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Publish(args) => publish(args).await,
        BenchCommand::Chaos(args) => chaos::run(args).await,
        BenchCommand::Worker(args) => {
            run_worker_process(WorkerProcessOptions {
                concurrency: args.concurrency.max(1),
                poll_strategy: args.poll_strategy,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let config = PublishBenchConfig {
        posts: args.posts,
        accounts: args.accounts,
        latency_ms: args.latency_ms,
        image_processing_ms: args.image_processing_ms,
        processing_jitter: args.processing_jitter,
        database_url: args.database_url,
        workers: args.workers,
        worker_concurrency: args.worker_concurrency,
        arrival: args.rate.map_or(Arrival::Burst, Arrival::Rate),
        poll_strategy: args.poll_strategy,
        timeout: Duration::from_secs(args.timeout_s),
        unlimited_budgets: args.unlimited_budgets,
        quota_total: args.quota_total,
        exe: current_exe()?,
    };
    let report = run_publish_bench(&config).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    let clean = report.completed && report.duplicates == 0 && report.lost == 0;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
