//! Measuring instruments: `igpub bench publish` runs a publishing load against the simulator in
//! its own process and reports latency from due to published, Graph calls and round trips per
//! post, worker CPU and memory, and duplicates and lost posts against the simulator's ground
//! truth (issue #9). The figures live in BENCHMARKS.md, never in test assertions.
//!
//! The parts: [`run_publish_bench`] drives a run; [`run_worker_process`] is what each worker
//! process runs; [`PublishReport`] holds the figures, computed by pure functions.

mod database;
mod proc_stats;
mod publish;
mod report;
mod sim_load;
mod sim_process;
mod worker_process;

pub use proc_stats::{ProcessUsage, cpu_of_stat, peak_rss_of_status, read_usage};
pub use publish::{Arrival, PublishBenchConfig, current_exe, run_publish_bench};
pub use report::{PublishReport, TruthCheck, check_truth, per_post, quantile};
pub use sim_load::{
    MemoryReport, Mix, MixError, RequestKind, SimBenchConfig, SimBenchReport, ThroughputReport,
    resident_kib_of_status, run_sim_bench,
};
pub use sim_process::{SimAccount, SimFlags, SimProcess, base_url_of_banner};
pub use worker_process::{
    PollStrategy, SEED_POLL_INTERVAL, WorkerProcessOptions, run_worker_process,
};

/// Why a bench could not run. Each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A flag is out of range.
    #[error("--{field}: {rule}")]
    InvalidConfig {
        /// The flag.
        field: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A child process could not be started.
    #[error("cannot start {what}: {error}")]
    Spawn {
        /// Which process.
        what: &'static str,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// `igpub sim` did not print where it listens.
    #[error("igpub sim did not print its address within 60 s")]
    SimBanner,
    /// The simulator's control API failed.
    #[error("simulator control API: {0}")]
    Control(String),
    /// The database could not be prepared, opened or read.
    #[error("database: {0}")]
    Database(String),
    /// A worker process could not start its worker.
    #[error("worker: {0}")]
    Worker(String),
}
