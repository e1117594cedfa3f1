//! The `igpub` command line. Thin: every command parses its flags and calls the library.

pub mod bench;
pub mod config;
pub mod demo;
pub mod graph;
pub mod insights;
pub mod integrations;
pub mod keys;
pub mod media;
pub mod migrate;
pub mod post;
pub mod serve;
pub mod sim;
pub mod tenant;
pub mod worker;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;
use crate::store::SharedStore;
use crate::telemetry::LogFormat;

/// Publish to Instagram through Meta's Graph API, for many tenants, exactly once.
#[derive(Debug, Parser)]
#[command(name = "igpub", version, about, long_about = None)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Read settings from FILE instead of ./igpub.toml; IGPUB_* variables still override it.
    #[arg(long, global = true, value_name = "FILE", env = "IGPUB_CONFIG")]
    pub config: Option<PathBuf>,
    /// How log lines are written to stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Threads of the async runtime (default: one per core). A worker mostly waits on Meta
    /// and the database: one thread per process, and more processes, cost the least CPU per
    /// post (BENCHMARKS.md).
    #[arg(long, global = true, value_name = "N", env = "IGPUB_RUNTIME_THREADS",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub runtime_threads: Option<u16>,
}

impl GlobalArgs {
    /// The layered settings; a `--config` file that does not exist is an error naming it.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        if let Some(file) = &self.config
            && !file.is_file()
        {
            anyhow::bail!(
                "--config {}: no such file (igpub reads ./igpub.toml when --config is not given)",
                file.display()
            );
        }
        Ok(Settings::load(self.config.as_deref())?)
    }

    /// Opens (and migrates) the store the settings name, with their key ring.
    pub async fn open_store(&self) -> anyhow::Result<SharedStore> {
        self.open_store_with(&self.settings()?).await
    }

    /// Opens (and migrates) the store `settings` name, with their key ring.
    pub async fn open_store_with(&self, settings: &Settings) -> anyhow::Result<SharedStore> {
        crate::startup::open_store(settings)
            .await
            .context("cannot open the store")
    }
}

/// Every top-level command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call Meta's Graph API directly with the typed client; no database needed.
    Graph(graph::GraphArgs),
    /// Run the Graph API simulator (a local stand-in for Meta) as its own server.
    Sim(sim::SimArgs),
    /// Run the whole product on embedded defaults (simulator, server and worker).
    Demo(demo::DemoArgs),
    /// Serve the HTTP API (and the publishing worker) until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Create and list tenants; a new tenant's API key is printed once.
    Tenant(tenant::TenantArgs),
    /// Generate encryption keys, or re-encrypt every stored secret under the active key.
    Keys(keys::KeysArgs),
    /// List, verify and disconnect connected Instagram accounts.
    Integrations(integrations::IntegrationsArgs),
    /// Pull insights from Meta, print reports, or run the insights scheduler.
    Insights(insights::InsightsArgs),
    /// Host images and videos in the built-in media store.
    Media(media::MediaArgs),
    /// Apply the database migrations.
    Migrate(migrate::MigrateArgs),
    /// Show the settings in force, secrets redacted.
    Config(config::ConfigArgs),
    /// Create, list, show, cancel and retry posts of a tenant.
    Post(post::PostArgs),
    /// Run the publishing worker until Ctrl-C or SIGTERM.
    Worker(worker::WorkerArgs),
    /// Measure publishing against the simulator (BENCHMARKS.md).
    Bench(bench::BenchArgs),
}

/// Parses the process arguments, runs the command and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = cli.global.runtime_threads {
        runtime.worker_threads(usize::from(threads));
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_with(&cli.global, cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command with the default global flags.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let global = GlobalArgs {
        config: None,
        log_format: LogFormat::Human,
        runtime_threads: None,
    };
    run_with(&global, command).await
}

/// Runs one parsed command.
pub async fn run_with(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(global, args).await,
        Command::Tenant(args) => tenant::run(global, args).await,
        Command::Keys(args) => keys::run(global, args).await,
        Command::Integrations(args) => integrations::run(global, args).await,
        Command::Insights(args) => insights::run(global, args).await,
        Command::Media(args) => media::run(global, args).await,
        Command::Migrate(args) => migrate::run(global, args).await,
        Command::Config(args) => config::run(global, args).await,
        Command::Post(args) => post::run(global, args).await,
        Command::Worker(args) => worker::run(global, args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Graph(args) => graph::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Demo(args) => demo::run(global, args).await,
    }
}
