//! One publishing worker as its own process, started by the bench. It reads the same settings
//! as every igpub process (`IGPUB_*`), so the bench passes the database, keys and Graph URL
//! through the environment, never on the command line where `ps` would show a key.

use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::BenchError;
use crate::config::Settings;
use crate::publish::{PollSchedule, Worker, WorkerConfig};
use crate::startup;

/// How a worker waits for its containers (graph-api.md §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PollStrategy {
    /// The publisher's own: first poll at the processing time learned from recent containers,
    /// then growing waits; many containers per request.
    #[default]
    Adaptive,
    /// The seed platform's habit, kept as the baseline: a read at once, then every 3 s, and
    /// every create, publish and permalink read a request of its own.
    #[value(name = "fixed-3s")]
    Fixed3s,
}

/// The seed platform's polling interval.
pub const SEED_POLL_INTERVAL: Duration = Duration::from_secs(3);

impl PollStrategy {
    /// Sets the worker's polling timings for this strategy.
    pub fn apply(self, config: &mut WorkerConfig) {
        match self {
            PollStrategy::Adaptive => {}
            PollStrategy::Fixed3s => {
                // A read at once, then every 3 s, nothing learned, each post's creation and
                // publish a request of its own and the permalink read as a call of its own: the
                // seed's `waitForContainer` loop and its 5 calls per image post (create, two
                // reads, publish, permalink).
                config.poll = PollSchedule {
                    first_image: Duration::ZERO,
                    first_video: Duration::ZERO,
                    follow_up_share: 1.0,
                    min_interval: SEED_POLL_INTERVAL,
                    max_interval: SEED_POLL_INTERVAL,
                    learn: false,
                };
                config.batch_calls = false;
            }
        }
    }

    /// The flag value, as `--poll-strategy` spells it.
    pub fn as_flag(self) -> &'static str {
        match self {
            PollStrategy::Adaptive => "adaptive",
            PollStrategy::Fixed3s => "fixed-3s",
        }
    }
}

/// What a bench worker process is told on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerProcessOptions {
    /// Posts worked on at once.
    pub concurrency: usize,
    /// How it polls containers.
    pub poll_strategy: PollStrategy,
}

/// Runs a worker until its standard input closes (the bench's way to stop it on every
/// platform), then lets in-flight steps finish and releases its leases.
pub async fn run_worker_process(options: WorkerProcessOptions) -> Result<(), BenchError> {
    let settings = Settings::load(None).map_err(|error| BenchError::Worker(error.to_string()))?;
    let store = startup::open_store(&settings)
        .await
        .map_err(|error| BenchError::Worker(error.to_string()))?;
    let mut config = WorkerConfig {
        concurrency: options.concurrency,
        ..WorkerConfig::default()
    };
    options.poll_strategy.apply(&mut config);
    let worker = Worker::new(store, startup::graph_client_builder(&settings), config)
        .map_err(|error| BenchError::Worker(error.to_string()))?;
    worker
        .run_until(stdin_closed())
        .await
        .map_err(|error| BenchError::Worker(error.to_string()))
}

async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0u8; 64];
    while let Ok(read) = stdin.read(&mut buffer).await {
        if read == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_polling_waits_three_seconds_every_time() {
        let mut config = WorkerConfig::default();
        PollStrategy::Fixed3s.apply(&mut config);
        assert_eq!(config.poll.first_image, Duration::ZERO);
        assert_eq!(
            config.poll.follow_up(Duration::from_millis(10)),
            SEED_POLL_INTERVAL
        );
        assert_eq!(
            config.poll.follow_up(Duration::from_secs(60)),
            SEED_POLL_INTERVAL
        );
        assert!(!config.poll.learn);
        assert!(!config.batch_calls);
    }

    #[test]
    fn adaptive_polling_keeps_the_worker_defaults() {
        let mut config = WorkerConfig::default();
        let before = config.poll;
        PollStrategy::Adaptive.apply(&mut config);
        assert_eq!(config.poll, before);
        assert!(config.batch_calls);
    }
}
