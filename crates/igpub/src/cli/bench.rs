//! `igpub bench …`: measuring instruments that run the product against the simulator.
//! `publish` is the publishing benchmark of issue #9 (see BENCHMARKS.md for how to read it);
//! `chaos` (issue #5) kills worker processes at random under injected faults and checks that
//! no post was published twice or lost; `sim` (issue #3) measures the simulator's own speed and
//! the memory its containers take.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

#[path = "bench_chaos/mod.rs"]
mod chaos;

use crate::bench::{
    Arrival, Mix, PollStrategy, PublishBenchConfig, SimBenchConfig, WorkerProcessOptions,
    current_exe, run_publish_bench, run_sim_bench, run_worker_process,
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
    /// Measure the simulator itself (issue #3): requests/s, latency, CPU and memory per
    /// container.
    ///
    /// Throughput: keep-alive HTTP/1.1 connections send a mix of Graph requests for a while;
    /// the report gives requests/s, round-trip p50/p99 and the CPU seconds of the simulator
    /// and of the load generator per 1,000 requests. Memory: N containers are created and the
    /// simulator's resident memory is read before and after. The simulator runs as its own
    /// process with no latency, budgets lifted and --no-fetch; the load generator shares the
    /// machine's cores with it, which the report says. Exits 1 if any request failed or a
    /// count disagrees. E.g. `igpub bench sim --connections 256`; figures in BENCHMARKS.md.
    Sim(SimArgs),
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
    /// SQLite file when not given. A SQLite file is kept and may be used again: its workers
    /// start from the processing times earlier runs' workers saved in it (a warm deployment).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Worker processes.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Posts each worker works on at once.
    #[arg(long, default_value_t = 4000)]
    pub worker_concurrency: usize,
    /// Async runtime threads of each worker process (`--runtime-threads`). One is the
    /// cheapest per post: a worker waits on Meta and the database, and a second thread mostly
    /// adds wake-ups between threads; scale with `--workers` instead.
    #[arg(long, default_value_t = 1)]
    pub worker_threads: usize,
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

/// Flags of `igpub bench sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seconds the throughput phase sends requests.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Keep-alive HTTP/1.1 connections, one request in flight on each.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// What the throughput phase sends: `realistic` (60 % container status reads, 15 %
    /// publishing-limit reads, 15 % account reads, 10 % container creations), `get-only`, or
    /// weights such as `status=6,limit=1,user=1,create=2`.
    #[arg(long, default_value = "realistic")]
    pub mix: String,
    /// Share (0–1) of requests that create a container, the reads keeping their proportions;
    /// overrides the mix's own share.
    #[arg(long)]
    pub post_share: Option<f64>,
    /// Containers the memory phase creates while the simulator's resident memory is watched.
    #[arg(long, default_value_t = 100_000)]
    pub containers: usize,
    /// Accounts the simulator seeds; each may create 400 containers a day (graph-api.md §2.2).
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
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
        BenchCommand::Sim(args) => sim(args).await,
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
        worker_threads: args.worker_threads,
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

async fn sim(args: SimArgs) -> anyhow::Result<ExitCode> {
    let mut mix: Mix = args
        .mix
        .parse()
        .map_err(|error| anyhow::anyhow!("--mix: {error}"))?;
    if let Some(share) = args.post_share {
        mix = mix
            .with_post_share(share)
            .map_err(|error| anyhow::anyhow!("--post-share: {error}"))?;
    }
    let duration = Duration::try_from_secs_f64(args.seconds)
        .map_err(|_| anyhow::anyhow!("--seconds: must be a positive number"))?;
    let config = SimBenchConfig {
        duration,
        connections: args.connections,
        mix,
        containers: args.containers,
        accounts: args.accounts,
        exe: current_exe()?,
    };
    let report = run_sim_bench(&config).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
