//! `igpub bench sim` end to end on a tiny run: the debug `igpub` binary runs the simulator in its
//! own process, the load generator drives it, and every count must agree. Speed is not asserted
//! here; it belongs in BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Duration;

use igpub::bench::{Mix, SimBenchConfig, run_sim_bench};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_sim_bench_sends_the_mix_and_creates_every_container() {
    let config = SimBenchConfig {
        duration: Duration::from_secs(1),
        connections: 8,
        mix: Mix::REALISTIC,
        containers: 500,
        accounts: 10,
        exe: PathBuf::from(env!("CARGO_BIN_EXE_igpub")),
    };
    let report = run_sim_bench(&config)
        .await
        .unwrap_or_else(|error| panic!("the bench could not run: {error}"));
    assert!(report.is_clean(), "{:?}", report.failures);

    let throughput = &report.throughput;
    assert!(throughput.requests > 0);
    assert_eq!(throughput.errors, 0, "{:?}", throughput.errors_by_kind);
    assert_eq!(throughput.successes, throughput.requests);
    // Control requests are not counted by the simulator: only the load's own requests are.
    assert_eq!(throughput.sim_round_trips, throughput.requests);
    let by_kind: u64 = throughput.requests_by_kind.values().sum();
    assert_eq!(by_kind, throughput.requests);
    assert!(throughput.requests_by_kind.contains_key("status"));
    assert!(throughput.p50_ms <= throughput.p99_ms && throughput.p99_ms <= throughput.max_ms);

    let memory = &report.memory;
    assert_eq!(memory.containers, 500);
    assert_eq!(memory.created, 500);
    assert_eq!(memory.sim_created, 500);
    assert_eq!(memory.errors, 0, "{:?}", memory.errors_by_kind);
    assert!(memory.rss_after_mb > 0.0);
    assert_eq!(report.accounts, 10);
}

#[tokio::test]
async fn more_containers_than_the_accounts_may_create_are_refused_before_starting() {
    let config = SimBenchConfig {
        duration: Duration::from_secs(1),
        connections: 4,
        mix: Mix::GET_ONLY,
        containers: 100_000,
        accounts: 10,
        exe: PathBuf::from(env!("CARGO_BIN_EXE_igpub")),
    };
    let refused = run_sim_bench(&config).await;
    assert!(
        matches!(
            refused,
            Err(igpub::bench::BenchError::InvalidConfig {
                field: "accounts",
                ..
            })
        ),
        "{refused:?}"
    );
}
