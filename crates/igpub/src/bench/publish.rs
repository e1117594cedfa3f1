//! `igpub bench publish`: N image posts over M accounts against `igpub sim` in its own process,
//! published by K `igpub bench worker` processes, then measured against the simulator's counters
//! and ground truth and the store's timestamps.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use tokio::process::{Child, Command};

use super::BenchError;
use super::database::BenchDatabase;
use super::proc_stats::{ProcessUsage, read_usage};
use super::report::{PublishReport, check_truth, per_post, quantile};
use super::sim_process::{SimFlags, SimProcess};
use super::worker_process::PollStrategy;
use crate::publish::Posts;
use crate::publish::service::CreatePost;
use crate::store::{
    self, IntegrationId, NewIntegration, PostFilter, PostState, SharedStore, TenantId,
};
use crate::vault::{KeyRing, Vault};

/// When the posts fall due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrival {
    /// All at the same instant.
    Burst,
    /// This many per second, one after the other.
    Rate(f64),
}

/// One run's set-up.
#[derive(Debug, Clone)]
pub struct PublishBenchConfig {
    /// Image posts.
    pub posts: usize,
    /// Accounts they are spread over (round robin).
    pub accounts: usize,
    /// Simulated round trip, ms.
    pub latency_ms: u64,
    /// Simulated image processing, ms.
    pub image_processing_ms: u64,
    /// ± spread of the processing time.
    pub processing_jitter: f64,
    /// `sqlite://…` or `postgres://…`; a temporary SQLite file when `None`.
    pub database_url: Option<String>,
    /// Worker processes.
    pub workers: usize,
    /// Posts each worker works on at once.
    pub worker_concurrency: usize,
    /// Async runtime threads of each worker process.
    pub worker_threads: usize,
    /// When the posts fall due.
    pub arrival: Arrival,
    /// How the workers poll containers.
    pub poll_strategy: PollStrategy,
    /// Give up waiting after this long past the last due time.
    pub timeout: Duration,
    /// Lift the simulator's call budgets.
    pub unlimited_budgets: bool,
    /// Posts per account per 24 h in the simulator.
    pub quota_total: u32,
    /// The `igpub` executable that runs the simulator and the workers.
    pub exe: PathBuf,
}

impl PublishBenchConfig {
    fn check(&self) -> Result<(), BenchError> {
        let invalid = |field, rule| Err(BenchError::InvalidConfig { field, rule });
        if !(1..=MAX_POSTS).contains(&self.posts) {
            return invalid("posts", "must be between 1 and 1,000,000");
        }
        if !(1..=MAX_ACCOUNTS).contains(&self.accounts) {
            return invalid("accounts", "must be between 1 and 100,000");
        }
        if self.workers == 0 {
            return invalid("workers", "must be at least 1");
        }
        if self.worker_concurrency == 0 {
            return invalid("worker-concurrency", "must be at least 1");
        }
        if !(0.0..1.0).contains(&self.processing_jitter) {
            return invalid("processing-jitter", "must be in [0, 1)");
        }
        if let Arrival::Rate(rate) = self.arrival
            && !(rate.is_finite() && rate > 0.0)
        {
            return invalid("rate", "must be a positive number of posts per second");
        }
        Ok(())
    }

    /// When post `index` falls due, counted from the burst's instant.
    fn offset_of(&self, index: usize) -> SignedDuration {
        match self.arrival {
            Arrival::Burst => SignedDuration::ZERO,
            Arrival::Rate(rate) => SignedDuration::try_from_secs_f64(index as f64 / rate)
                .unwrap_or(SignedDuration::MAX),
        }
    }
}

/// The most posts one run may create.
const MAX_POSTS: usize = 1_000_000;
/// The most accounts one run may seed.
const MAX_ACCOUNTS: usize = 100_000;
/// Time kept for the worker processes to start before the first post falls due.
const WORKER_START: Duration = Duration::from_millis(1500);
/// Posts inserted first, far in the future, to learn how fast this database inserts.
const CALIBRATION_POSTS: usize = 64;
/// Inserts in flight at once.
const INSERT_CONCURRENCY: usize = 16;
/// How often the store is asked whether everything has settled.
const SETTLE_CHECK: Duration = Duration::from_millis(100);

/// Runs the bench and measures it.
pub async fn run_publish_bench(config: &PublishBenchConfig) -> Result<PublishReport, BenchError> {
    config.check()?;
    let database = BenchDatabase::prepare(config.database_url.as_deref()).await?;
    let outcome = run_on(config, &database).await;
    database.remove().await;
    outcome
}

async fn run_on(
    config: &PublishBenchConfig,
    database: &BenchDatabase,
) -> Result<PublishReport, BenchError> {
    let secret_keys = KeyRing::generate_key();
    let ring =
        KeyRing::from_setting(&secret_keys).map_err(|e| BenchError::Database(e.to_string()))?;
    let store = store::connect(&database.url, Vault::new(ring))
        .await
        .map_err(|error| BenchError::Database(error.to_string()))?;
    let sim = SimProcess::start(&config.exe, &sim_flags(config)).await?;
    let result = run_with_sim(config, database, &store, &sim, &secret_keys).await;
    sim.stop().await;
    result
}

fn sim_flags(config: &PublishBenchConfig) -> SimFlags {
    SimFlags {
        accounts: config.accounts,
        latency_ms: config.latency_ms,
        image_processing_ms: config.image_processing_ms,
        processing_jitter: config.processing_jitter,
        quota_total: config.quota_total,
        unlimited_budgets: config.unlimited_budgets,
    }
}

async fn run_with_sim(
    config: &PublishBenchConfig,
    database: &BenchDatabase,
    store: &SharedStore,
    sim: &SimProcess,
    secret_keys: &SecretString,
) -> Result<PublishReport, BenchError> {
    let (tenant, integrations) = connect_accounts(store, sim, config.accounts).await?;
    let posts = Posts::new(store.clone());
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let per_insert = calibrate(&posts, tenant, &integrations, &run_id).await?;
    let mut workers = start_workers(config, database, sim, secret_keys)?;
    // Due once every post is queued (with room to spare) and the workers are up, so the burst
    // starts on a full queue and due→published does not include our own inserts.
    let queue_time =
        Duration::try_from_secs_f64(per_insert.as_secs_f64() * config.posts as f64 * 2.0)
            .unwrap_or(Duration::MAX);
    let lead = SignedDuration::try_from(WORKER_START.saturating_add(queue_time))
        .unwrap_or(SignedDuration::MAX);
    let due = Timestamp::now()
        .checked_add(lead)
        .map_err(|error| BenchError::Database(error.to_string()))?;
    // A SQLite file the caller named may hold earlier runs' posts, settled long ago.
    let settled_before = settled_posts(store).await?;
    let captions = insert_posts(config, &posts, tenant, &integrations, &run_id, due).await?;
    let inserted_at = Timestamp::now();
    let insert_overrun_ms = inserted_at.duration_since(due).as_secs_f64().max(0.0) * 1000.0;
    let last_due = due
        .checked_add(config.offset_of(config.posts.saturating_sub(1)))
        .unwrap_or(due);
    let completed = wait_until_settled(
        store,
        settled_before.saturating_add(config.posts as u64),
        last_due,
        config.timeout,
    )
    .await?;
    let usage: Vec<ProcessUsage> = workers
        .iter()
        .map(|child| child.id().and_then(read_usage).unwrap_or_default())
        .collect();
    stop_workers(&mut workers).await;
    let counters = sim.counters().await?;
    let truth = sim.published().await?;
    let rows = bench_posts(store, tenant, due, last_due).await?;
    let published_captions: Vec<&str> = truth
        .values()
        .flatten()
        .filter_map(|media| media.caption.as_deref())
        .collect();
    let truth_check = check_truth(captions.iter().map(String::as_str), published_captions);
    let mut latencies_ms: Vec<f64> = rows
        .iter()
        .filter_map(|row| row.published_at.map(|at| at.duration_since(row.run_at)))
        .map(|latency| latency.as_secs_f64() * 1000.0)
        .collect();
    latencies_ms.sort_by(f64::total_cmp);
    let published = latencies_ms.len();
    let failed = rows
        .iter()
        .filter(|row| row.state == PostState::Failed)
        .count();
    let last_published = rows.iter().filter_map(|row| row.published_at).max();
    let wall_s = last_published
        .map(|at| at.duration_since(due).as_secs_f64())
        .unwrap_or(0.0)
        .max(0.0);
    let calls_by_endpoint: BTreeMap<String, f64> = counters
        .calls
        .iter()
        .map(|(endpoint, results)| {
            let calls: u64 = results.values().sum();
            (endpoint.clone(), per_post(calls as f64, config.posts))
        })
        .collect();
    let calls: f64 = calls_by_endpoint.values().sum();
    let cpu_ms_by_worker: Vec<f64> = usage
        .iter()
        .map(|usage| usage.cpu.as_secs_f64() * 1000.0)
        .collect();
    let peak_rss_kib = usage
        .iter()
        .map(|usage| usage.peak_rss_kib)
        .max()
        .unwrap_or(0);
    Ok(PublishReport {
        posts: config.posts,
        published,
        failed,
        duplicates: truth_check.duplicates,
        lost: truth_check.lost,
        wall_s,
        posts_per_s: if wall_s > 0.0 {
            published as f64 / wall_s
        } else {
            0.0
        },
        p50_ms: quantile(&latencies_ms, 0.50),
        p95_ms: quantile(&latencies_ms, 0.95),
        p99_ms: quantile(&latencies_ms, 0.99),
        max_ms: latencies_ms.last().copied().unwrap_or(0.0),
        calls_per_post: calls,
        calls_per_post_by_endpoint: calls_by_endpoint,
        round_trips_per_post: per_post(counters.round_trips as f64, config.posts),
        cpu_ms_per_post: per_post(cpu_ms_by_worker.iter().sum(), config.posts),
        peak_rss_mb: peak_rss_kib as f64 / 1024.0,
        workers: config.workers,
        cpu_ms_by_worker,
        insert_overrun_ms,
        completed,
    })
}

async fn connect_accounts(
    store: &SharedStore,
    sim: &SimProcess,
    wanted: usize,
) -> Result<(TenantId, Vec<IntegrationId>), BenchError> {
    let accounts = sim.accounts().await?;
    if accounts.len() < wanted {
        return Err(BenchError::Control(format!(
            "the simulator seeded {} accounts, {wanted} were asked for",
            accounts.len()
        )));
    }
    let (tenant, _api_key) = store
        .create_tenant("bench")
        .await
        .map_err(|error| BenchError::Database(error.to_string()))?;
    let mut integrations = Vec::with_capacity(wanted);
    for account in accounts.into_iter().take(wanted) {
        let new = NewIntegration {
            ig_user_id: account.ig_user_id,
            ig_username: account.username,
            facebook_page_id: account.page_id,
            page_token: account.page_token,
            token_expires_at: None,
        };
        let integration = store
            .upsert_instagram_integration(tenant.id, new)
            .await
            .map_err(|error| BenchError::Database(error.to_string()))?;
        integrations.push(integration.id);
    }
    Ok((tenant.id, integrations))
}

fn image_post(
    integration: IntegrationId,
    caption: &str,
    index: usize,
    publish_at: Timestamp,
) -> CreatePost {
    let mut post = serde_json::Map::new();
    post.insert("kind".into(), "image".into());
    post.insert("caption".into(), caption.into());
    post.insert(
        "media".into(),
        serde_json::json!([{"url": format!("https://cdn.example.com/bench/{index}.jpg")}]),
    );
    post.insert("publish_at".into(), publish_at.to_string().into());
    CreatePost {
        auto_fix: None,
        integration_id: integration,
        post,
    }
}

/// Inserts a few posts due in a day (they never run) and returns the time one insert takes,
/// measured the way the real inserts run: concurrently, with the workers already polling.
async fn calibrate(
    posts: &Posts,
    tenant: TenantId,
    integrations: &[IntegrationId],
    run_id: &str,
) -> Result<Duration, BenchError> {
    let later = Timestamp::now()
        .checked_add(SignedDuration::from_hours(24))
        .map_err(|error| BenchError::Database(error.to_string()))?;
    let requests =
        (0..CALIBRATION_POSTS)
            .zip(integrations.iter().cycle())
            .map(|(index, &integration)| {
                let caption = format!("calibration {run_id} {index}");
                image_post(integration, &caption, index, later)
            });
    let started = Instant::now();
    create_all(posts, tenant, requests).await?;
    Ok(started.elapsed() / u32::try_from(CALIBRATION_POSTS).unwrap_or(1))
}

/// Creates the run's posts and returns their captions (each unique, to match the ground truth).
async fn insert_posts(
    config: &PublishBenchConfig,
    posts: &Posts,
    tenant: TenantId,
    integrations: &[IntegrationId],
    run_id: &str,
    due: Timestamp,
) -> Result<Vec<String>, BenchError> {
    let captions: Vec<String> = (0..config.posts)
        .map(|index| format!("bench {run_id} post {index} #igpub"))
        .collect();
    let requests = captions
        .iter()
        .zip(integrations.iter().cycle())
        .enumerate()
        .map(|(index, (caption, &integration))| {
            let at = due.checked_add(config.offset_of(index)).unwrap_or(due);
            image_post(integration, caption, index, at)
        });
    create_all(posts, tenant, requests).await?;
    Ok(captions)
}

/// Creates posts through the service, several at a time (PostgreSQL takes them in parallel;
/// SQLite serialises the writes anyway).
async fn create_all(
    posts: &Posts,
    tenant: TenantId,
    requests: impl Iterator<Item = CreatePost>,
) -> Result<(), BenchError> {
    futures::stream::iter(requests)
        .map(|request| async move {
            posts
                .create(tenant, request, None)
                .await
                .map(drop)
                .map_err(|error| BenchError::Database(error.to_string()))
        })
        .buffer_unordered(INSERT_CONCURRENCY)
        .try_collect::<()>()
        .await
}

fn start_workers(
    config: &PublishBenchConfig,
    database: &BenchDatabase,
    sim: &SimProcess,
    secret_keys: &SecretString,
) -> Result<Vec<Child>, BenchError> {
    (0..config.workers)
        .map(|_| {
            Command::new(&config.exe)
                .args([
                    "bench",
                    "worker",
                    "--concurrency",
                    &config.worker_concurrency.to_string(),
                    "--poll-strategy",
                    config.poll_strategy.as_flag(),
                    "--runtime-threads",
                    &config.worker_threads.to_string(),
                ])
                // Secrets go through the environment, never argv (visible in `ps`).
                .env("IGPUB_DATABASE_URL", &database.url)
                .env("IGPUB_SECRET_KEYS", secret_keys.expose_secret())
                .env("IGPUB_META__GRAPH_URL", sim.base_url())
                .env("RUST_LOG", "warn")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .map_err(|error| BenchError::Spawn {
                    what: "igpub bench worker",
                    error,
                })
        })
        .collect()
}

/// Closes each worker's stdin (its stop signal) and waits for it; kills one that hangs.
async fn stop_workers(workers: &mut [Child]) {
    for child in workers.iter_mut() {
        drop(child.stdin.take());
    }
    for child in workers.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}

/// Waits until `posts` posts are published, failed or cancelled; `false` on timeout.
async fn wait_until_settled(
    store: &SharedStore,
    settled_at_the_end: u64,
    last_due: Timestamp,
    timeout: Duration,
) -> Result<bool, BenchError> {
    let until_due =
        Duration::try_from(last_due.duration_since(Timestamp::now())).unwrap_or_default();
    let wait = until_due.saturating_add(timeout);
    let deadline = Instant::now().checked_add(wait);
    loop {
        if settled_posts(store).await? >= settled_at_the_end {
            return Ok(true);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Ok(false);
        }
        tokio::time::sleep(SETTLE_CHECK).await;
    }
}

/// Posts in the store, of every run, that are published, failed or cancelled.
async fn settled_posts(store: &SharedStore) -> Result<u64, BenchError> {
    let counts = store
        .count_posts_by_state()
        .await
        .map_err(|error| BenchError::Database(error.to_string()))?;
    Ok(counts
        .iter()
        .filter(|(state, _)| {
            matches!(
                state,
                PostState::Published | PostState::Failed | PostState::Cancelled
            )
        })
        .map(|(_, count)| *count)
        .sum())
}

/// The run's posts (the calibration posts fall due a day later and are left out).
async fn bench_posts(
    store: &SharedStore,
    tenant: TenantId,
    first_due: Timestamp,
    last_due: Timestamp,
) -> Result<Vec<store::Post>, BenchError> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let filter = PostFilter {
            run_at_from: Some(first_due),
            run_at_to: last_due.checked_add(SignedDuration::from_millis(1)).ok(),
            after,
            limit: 200,
            ..PostFilter::default()
        };
        let page = store
            .list_posts(tenant, &filter)
            .await
            .map_err(|error| BenchError::Database(error.to_string()))?;
        let Some(last) = page.last() else {
            return Ok(rows);
        };
        after = Some((last.run_at, last.id));
        let full = page.len() == 200;
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// The path of the running `igpub`, which the bench starts again as the simulator and workers.
pub fn current_exe() -> Result<PathBuf, BenchError> {
    std::env::current_exe().map_err(|error| BenchError::Spawn {
        what: "igpub (current executable)",
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PublishBenchConfig {
        PublishBenchConfig {
            posts: 10,
            accounts: 2,
            latency_ms: 50,
            image_processing_ms: 2000,
            processing_jitter: 0.0,
            database_url: None,
            workers: 1,
            worker_concurrency: 100,
            worker_threads: 1,
            arrival: Arrival::Burst,
            poll_strategy: PollStrategy::Adaptive,
            timeout: Duration::from_secs(60),
            unlimited_budgets: false,
            quota_total: 100,
            exe: PathBuf::from("igpub"),
        }
    }

    fn refused_field(config: &PublishBenchConfig) -> Option<&'static str> {
        match config.check() {
            Err(BenchError::InvalidConfig { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn out_of_range_flags_are_refused_by_name() {
        assert_eq!(refused_field(&config()), None);
        assert_eq!(
            refused_field(&PublishBenchConfig {
                posts: 0,
                ..config()
            }),
            Some("posts")
        );
        assert_eq!(
            refused_field(&PublishBenchConfig {
                accounts: 0,
                ..config()
            }),
            Some("accounts")
        );
        assert_eq!(
            refused_field(&PublishBenchConfig {
                workers: 0,
                ..config()
            }),
            Some("workers")
        );
        assert_eq!(
            refused_field(&PublishBenchConfig {
                processing_jitter: 1.5,
                ..config()
            }),
            Some("processing-jitter")
        );
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                refused_field(&PublishBenchConfig {
                    arrival: Arrival::Rate(rate),
                    ..config()
                }),
                Some("rate")
            );
        }
    }

    #[test]
    fn a_burst_is_due_at_once_and_a_rate_spreads_the_posts() {
        assert_eq!(config().offset_of(7), SignedDuration::ZERO);
        let spread = PublishBenchConfig {
            arrival: Arrival::Rate(4.0),
            ..config()
        };
        assert_eq!(spread.offset_of(0), SignedDuration::ZERO);
        assert_eq!(spread.offset_of(6), SignedDuration::from_millis(1500));
    }

    #[test]
    fn bench_posts_are_image_posts_that_parse() {
        let post = image_post(
            IntegrationId::generate(),
            "caption #tag",
            3,
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(post.post.get("kind"), Some(&serde_json::json!("image")));
        let input = crate::domain::PostInput::from_value(serde_json::Value::Object(post.post))
            .expect("the bench post is valid input");
        assert!(crate::domain::PostSpec::parse(input, Timestamp::UNIX_EPOCH).is_ok());
    }
}
