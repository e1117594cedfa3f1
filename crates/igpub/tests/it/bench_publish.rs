//! `igpub bench publish` end to end on tiny runs: the debug `igpub` binary runs the simulator
//! and a worker in their own processes. Speed is not asserted here; it belongs in BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Duration;

use igpub::bench::{Arrival, PollStrategy, PublishBenchConfig, PublishReport, run_publish_bench};

fn tiny_run(database_url: &str) -> PublishBenchConfig {
    PublishBenchConfig {
        posts: 2,
        accounts: 1,
        latency_ms: 5,
        image_processing_ms: 2000,
        processing_jitter: 0.0,
        database_url: Some(database_url.to_owned()),
        workers: 1,
        worker_concurrency: 16,
        worker_threads: 1,
        arrival: Arrival::Burst,
        poll_strategy: PollStrategy::Adaptive,
        timeout: Duration::from_secs(60),
        unlimited_budgets: false,
        quota_total: 100,
        exe: PathBuf::from(env!("CARGO_BIN_EXE_igpub")),
    }
}

async fn run(config: &PublishBenchConfig) -> PublishReport {
    run_publish_bench(config)
        .await
        .unwrap_or_else(|error| panic!("the bench could not run: {error}"))
}

fn status_reads_per_post(report: &PublishReport) -> f64 {
    report
        .calls_per_post_by_endpoint
        .get("container.get")
        .copied()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_sqlite_file_measures_its_own_posts_with_learned_times() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", directory.path().join("bench.db").display());
    let config = tiny_run(&url);

    let first = run(&config).await;
    assert!(first.completed, "{first:?}");
    assert_eq!((first.published, first.duplicates, first.lost), (2, 0, 0));
    assert!(
        status_reads_per_post(&first) > 2.0,
        "a fresh database: the worker probes {first:?}"
    );

    // The file holds the first run's posts and what its worker learned: no probe (its first
    // read at 1.5 s, then every tenth of the time elapsed), each post read first at the learned
    // time, and at most once more when a loaded machine finished its container late.
    let second = run(&config).await;
    assert!(second.completed, "{second:?}");
    assert_eq!(
        (second.published, second.duplicates, second.lost),
        (2, 0, 0)
    );
    assert!(
        status_reads_per_post(&second) <= 2.0
            && status_reads_per_post(&second) < status_reads_per_post(&first),
        "the second run's worker starts from the learned times: {first:?} then {second:?}"
    );
}
