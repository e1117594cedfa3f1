//! The `igpub` command line. Thin: every command parses its flags and calls the library.

pub mod bench;
pub mod demo;
pub mod graph;
pub mod sim;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Publish to Instagram through Meta's Graph API, for many tenants, exactly once.
#[derive(Debug, Parser)]
#[command(name = "igpub", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
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
    /// Measure publishing against the simulator (BENCHMARKS.md).
    Bench(bench::BenchArgs),
}

/// Parses the process arguments, runs the command and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Graph(args) => graph::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}
