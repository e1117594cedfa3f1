//! `igpub bench chaos` (issues #5 and #9): posts over many accounts, the simulator as its own
//! process with 10 % faults (commit-then-fail among them), and, at random moments while the
//! workers are busy, worker processes SIGKILLed and replaced, the database server restarted
//! (PostgreSQL), and Page tokens expired, each account reconnected with a fresh token a moment
//! later. At the end the store is compared with the simulator's ground truth: duplicates and
//! lost posts must be 0, failures must be ones the faults explain, and the time the queue took
//! to drain after the last fault is reported.

mod faults;
mod report;
mod schedule;
mod workers;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use rand::Rng as _;
use secrecy::{ExposeSecret, SecretString};

use crate::bench::{SimFlags, SimProcess, current_exe};
use crate::publish::Posts;
use crate::publish::service::CreatePost;
use crate::store::{
    self, IntegrationId, NewIntegration, Post, PostFilter, PostId, PostState, SharedStore, TenantId,
};
use crate::vault::{KeyRing, Vault};

pub use report::ChaosReport;

use faults::SimControl;
use report::{drain_seconds, summary, tally};
use schedule::{Fault, FaultCounts};
use workers::{WorkerEnvironment, WorkerPool};

/// How often the run looks at the queue and the worker processes.
const TICK: Duration = Duration::from_millis(250);

/// A run whose only unsettled posts are held gives up after this long without a fault left
/// to come: the workers resume held posts within a second of a reconnect, so posts held
/// longer will stay held.
const HELD_STALL: Duration = Duration::from_secs(20);

/// Tries of storing a reconnect (the database may be restarting).
const RECONNECT_ATTEMPTS: u32 = 10;

/// Flags of `igpub bench chaos`.
#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// Image posts to publish.
    #[arg(long, default_value_t = 2000)]
    pub posts: usize,
    /// Accounts the posts are spread over.
    #[arg(long, default_value_t = 200)]
    pub accounts: usize,
    /// Worker processes running at any time.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Times a worker process is killed (SIGKILL) and replaced.
    #[arg(long, default_value_t = 5)]
    pub kills: usize,
    /// Times the database server is restarted mid-run (PostgreSQL only; the workers must ride
    /// it out). Default: 1 with a postgres:// --database-url, else 0.
    #[arg(long)]
    pub database_restarts: Option<usize>,
    /// Shell command (run with `sh -c`) that restarts the database server. Default:
    /// `pg_ctlcluster --skip-systemctl-redirect <the one version under /etc/postgresql> main
    /// restart`.
    #[arg(long)]
    pub database_restart_command: Option<String>,
    /// Times the Page token of a random account with posts still on their way is expired at
    /// the simulator (its posts get code 190 and are held until the reconnect).
    #[arg(long, default_value_t = 3)]
    pub token_expiries: usize,
    /// Milliseconds after an expiry that its account is reconnected: a fresh Page token from
    /// the simulator, stored as a person reconnecting the account would.
    #[arg(long, default_value_t = 1500)]
    pub reconnect_after_ms: u64,
    /// Share of Graph calls that fail (5xx, transient codes, commit-then-fail).
    #[arg(long, default_value_t = 0.10)]
    pub fault_rate: f64,
    /// Simulated image container processing, ms.
    #[arg(long, default_value_t = 300)]
    pub image_processing_ms: u64,
    /// Simulated round trip, ms.
    #[arg(long, default_value_t = 5)]
    pub latency_ms: u64,
    /// Lease length of the workers, s: a killed worker's posts are taken over after it.
    #[arg(long, default_value_t = 5)]
    pub lease_seconds: u64,
    /// `sqlite://FILE` or `postgres://…` (an empty database); a temporary SQLite file otherwise.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_s: u64,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Runs `igpub bench chaos`.
pub async fn run(args: ChaosArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=0.9).contains(&args.fault_rate) {
        anyhow::bail!("--fault-rate: must be between 0 and 0.9");
    }
    if args.posts == 0 || args.accounts == 0 || args.workers == 0 {
        anyhow::bail!("--posts, --accounts and --workers must be at least 1");
    }
    let postgres = args
        .database_url
        .as_deref()
        .is_some_and(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"));
    let restarts = args
        .database_restarts
        .unwrap_or(if postgres { 1 } else { 0 });
    let restart_command = match (restarts, &args.database_restart_command) {
        (0, _) => None,
        _ if !postgres => {
            anyhow::bail!("--database-restarts: only with a postgres:// --database-url")
        }
        (_, Some(command)) => Some(command.clone()),
        (_, None) => Some(faults::default_restart_command()?),
    };
    let exe = current_exe()?;
    let (database_url, temp_dir) = match &args.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let dir =
                std::env::temp_dir().join(format!("igpub-chaos-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir)?;
            (
                format!("sqlite://{}", dir.join("chaos.db").display()),
                Some(dir),
            )
        }
    };
    let flags = SimFlags {
        accounts: args.accounts,
        latency_ms: args.latency_ms,
        image_processing_ms: args.image_processing_ms,
        processing_jitter: 0.3,
        // Chaos is about exactly-once, not quota: room for every post.
        quota_total: u32::try_from(args.posts.div_ceil(args.accounts) + 10).unwrap_or(u32::MAX),
        unlimited_budgets: true,
    };
    let sim = SimProcess::start(&exe, &flags).await?;
    let setup = RunSetup {
        exe: &exe,
        database_url: &database_url,
        restarts,
        restart_command: restart_command.as_deref(),
    };
    let outcome = run_with_sim(&args, &setup, &sim).await;
    sim.stop().await;
    if let Some(dir) = temp_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let report = outcome?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", summary(&report));
    }
    let clean = report.completed && report.duplicates == 0 && report.lost == 0;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What `run` decided before the simulator started.
struct RunSetup<'a> {
    exe: &'a Path,
    database_url: &'a str,
    restarts: usize,
    restart_command: Option<&'a str>,
}

/// One connected account and the Page token it has now.
struct Account {
    ig_user_id: String,
    username: String,
    page_id: String,
    page_token: SecretString,
    integration: IntegrationId,
}

/// The moving parts of a run while faults are injected.
struct Chaos<'a> {
    store: &'a SharedStore,
    tenant: TenantId,
    control: SimControl,
    pool: WorkerPool,
    accounts: Vec<Account>,
    restart_command: Option<&'a str>,
    /// Expiry number → account index, until its reconnect.
    expired: HashMap<usize, usize>,
    report: ChaosReport,
}

impl Chaos<'_> {
    /// Notes a fault `at` (from the start of the run) in the report.
    fn note(&mut self, at: Duration, what: String) {
        self.report.timeline.push((at.as_secs_f64(), what));
    }

    async fn inject(&mut self, fault: Fault, started: Instant) -> anyhow::Result<()> {
        let began = started.elapsed();
        match fault {
            Fault::KillWorker => {
                let victim = rand::rng().random_range(0..self.pool.len());
                self.pool.kill_and_replace(victim).await?;
                self.report.kills += 1;
                self.note(began, format!("worker {victim} killed and replaced"));
            }
            Fault::RestartDatabase => {
                if let Some(command) = self.restart_command {
                    faults::restart_database(command).await?;
                    self.report.database_restarts += 1;
                    let done = started.elapsed();
                    self.note(
                        done,
                        format!(
                            "database restarted (command ran {:.1} s)",
                            done.saturating_sub(began).as_secs_f64()
                        ),
                    );
                }
            }
            Fault::ExpireToken(n) => {
                let picked = self.pick_account_to_expire().await;
                if let Some((index, account)) =
                    picked.and_then(|index| Some((index, self.accounts.get(index)?)))
                {
                    self.control.expire_token(&account.page_token).await?;
                    let username = account.username.clone();
                    self.expired.insert(n, index);
                    self.report.token_expiries += 1;
                    self.note(began, format!("page token of {username} expired"));
                }
            }
            Fault::Reconnect(n) => {
                if let Some(index) = self.expired.remove(&n) {
                    self.reconnect(index).await?;
                    self.report.reconnects += 1;
                    let username = self
                        .accounts
                        .get(index)
                        .map(|account| account.username.clone())
                        .unwrap_or_default();
                    self.note(started.elapsed(), format!("{username} reconnected"));
                }
            }
        }
        Ok(())
    }

    /// A random account with posts still on their way and a working token (any account with
    /// a working token when the queue cannot be read), so the expiry meets posts.
    async fn pick_account_to_expire(&self) -> Option<usize> {
        let expired: HashSet<usize> = self.expired.values().copied().collect();
        let busy: Option<HashSet<IntegrationId>> =
            all_posts(self.store, self.tenant).await.ok().map(|rows| {
                rows.iter()
                    .filter(|post| !is_settled(post))
                    .map(|post| post.integration_id)
                    .collect()
            });
        let candidates: Vec<usize> = (0..self.accounts.len())
            .filter(|index| !expired.contains(index))
            .filter(|&index| {
                busy.as_ref().is_none_or(|busy| {
                    self.accounts
                        .get(index)
                        .is_some_and(|account| busy.contains(&account.integration))
                })
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        candidates
            .get(rand::rng().random_range(0..candidates.len()))
            .copied()
    }

    /// A fresh Page token from the simulator, stored the way a reconnect stores it; the
    /// workers then resume the account's held posts (`resume_held_posts`).
    async fn reconnect(&mut self, index: usize) -> anyhow::Result<()> {
        let Some(account) = self.accounts.get(index) else {
            return Ok(());
        };
        let token = self.control.new_page_token(&account.page_id).await?;
        let mut attempt = 0;
        loop {
            let stored = self
                .store
                .upsert_instagram_integration(
                    self.tenant,
                    NewIntegration {
                        ig_user_id: account.ig_user_id.clone(),
                        ig_username: account.username.clone(),
                        facebook_page_id: account.page_id.clone(),
                        page_token: token.clone(),
                        token_expires_at: None,
                    },
                )
                .await;
            match stored {
                Ok(_) => break,
                Err(error) if attempt + 1 < RECONNECT_ATTEMPTS => {
                    attempt += 1;
                    tracing::warn!(%error, attempt, "cannot store the reconnect; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(account) = self.accounts.get_mut(index) {
            account.page_token = token;
        }
        Ok(())
    }
}

async fn run_with_sim(
    args: &ChaosArgs,
    setup: &RunSetup<'_>,
    sim: &SimProcess,
) -> anyhow::Result<ChaosReport> {
    let control = SimControl::new(sim.base_url())?;
    control.inject_error_rates(args.fault_rate).await?;
    let secret_keys = KeyRing::generate_key();
    let store = store::connect(
        setup.database_url,
        Vault::new(KeyRing::from_setting(&secret_keys)?),
    )
    .await?;
    let (tenant, _key) = store.create_tenant("chaos").await?;
    let mut accounts = Vec::new();
    for account in sim.accounts().await?.into_iter().take(args.accounts) {
        let integration = store
            .upsert_instagram_integration(
                tenant.id,
                NewIntegration {
                    ig_user_id: account.ig_user_id.clone(),
                    ig_username: account.username.clone(),
                    facebook_page_id: account.page_id.clone(),
                    page_token: account.page_token.clone(),
                    token_expires_at: None,
                },
            )
            .await?;
        accounts.push(Account {
            ig_user_id: account.ig_user_id,
            username: account.username,
            page_id: account.page_id,
            page_token: account.page_token,
            integration: integration.id,
        });
    }
    let integrations: Vec<IntegrationId> = accounts.iter().map(|a| a.integration).collect();
    let captions = insert_posts(
        &Posts::new(store.clone()),
        tenant.id,
        &integrations,
        args.posts,
    )
    .await?;
    let environment = WorkerEnvironment {
        exe: setup.exe.to_path_buf(),
        database_url: setup.database_url.to_owned(),
        secret_keys: secret_keys.expose_secret().to_owned(),
        graph_url: sim.base_url().to_owned(),
        lease_seconds: args.lease_seconds,
        log_dir: std::env::temp_dir().join(format!(
            "igpub-chaos-logs-{}",
            uuid::Uuid::now_v7().simple()
        )),
    };
    std::fs::create_dir_all(&environment.log_dir)?;
    let log_dir = environment.log_dir.clone();
    let plan = schedule::plan(
        FaultCounts {
            kills: args.kills,
            database_restarts: setup.restarts,
            token_expiries: args.token_expiries,
        },
        Duration::from_millis(args.reconnect_after_ms),
        &mut rand::rng(),
    );
    let started = Instant::now();
    let mut chaos = Chaos {
        store: &store,
        tenant: tenant.id,
        control,
        pool: WorkerPool::start(environment, args.workers)?,
        accounts,
        restart_command: setup.restart_command,
        expired: HashMap::new(),
        report: ChaosReport {
            posts: args.posts,
            ..ChaosReport::default()
        },
    };
    let deadline = started + Duration::from_secs(args.timeout_s);
    let mut faults = plan.iter().peekable();
    let mut last_fault = None;
    let mut settled_at = None;
    let mut only_held_since: Option<Instant> = None;
    let mut delay = Duration::ZERO;
    while Instant::now() < deadline {
        for exit in chaos.pool.replace_exited()? {
            // Not killed by the run: a worker that gave up by itself (it should ride out
            // every fault). Replaced, so the run goes on, and counted.
            chaos.report.worker_exits += 1;
            let what = format!(
                "a worker process exited by itself ({}): {}",
                exit.status,
                exit.last_words.as_deref().unwrap_or("no output")
            );
            chaos.note(started.elapsed(), what);
        }
        while let Some(planned) = faults.next_if(|planned| started.elapsed() >= planned.at + delay)
        {
            let began = Instant::now();
            chaos.inject(planned.fault, started).await?;
            last_fault = Some(started.elapsed());
            // A fault that takes long (a restart waiting for its moment) delays the rest of
            // the plan, so they keep their spacing instead of all landing at once.
            delay += began.elapsed();
        }
        if faults.peek().is_none() {
            match queue_status(&store, tenant.id).await {
                Ok(status) if status.settled >= args.posts => {
                    settled_at = Some(started.elapsed());
                    break;
                }
                Ok(status) if status.held > 0 && status.settled + status.held >= args.posts => {
                    let since = *only_held_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= HELD_STALL {
                        tracing::warn!(
                            held = status.held,
                            "posts stay held after their reconnect; giving up"
                        );
                        break;
                    }
                }
                Ok(_) => only_held_since = None,
                Err(error) => tracing::warn!(%error, "cannot read the queue; retrying"),
            }
        }
        let wait = faults.peek().map_or(TICK, |planned| {
            (planned.at + delay)
                .saturating_sub(started.elapsed())
                .min(TICK)
        });
        tokio::time::sleep(wait).await;
    }
    let mut report = chaos.report;
    report.wall_s = settled_at
        .unwrap_or_else(|| started.elapsed())
        .as_secs_f64();
    report.completed = settled_at.is_some();
    report.last_fault_s = last_fault.unwrap_or(Duration::ZERO).as_secs_f64();
    report.drain_s = drain_seconds(last_fault, settled_at);
    chaos.pool.stop().await;
    let _ = std::fs::remove_dir_all(&log_dir);
    let rows = all_posts(&store, tenant.id).await?;
    let captions: HashSet<String> = captions.into_iter().collect();
    let held = held_posts(&store, tenant.id, &rows, &captions).await?;
    let truth = sim.published().await?;
    let mut live: HashMap<String, usize> = HashMap::new();
    for media in truth.values().flatten() {
        if let Some(caption) = media.caption.as_deref() {
            *live.entry(caption.to_owned()).or_default() += 1;
        }
    }
    tally(&mut report, &rows, &captions, &live, &held);
    store.close().await;
    Ok(report)
}

async fn insert_posts(
    posts: &Posts,
    tenant: TenantId,
    integrations: &[IntegrationId],
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let mut captions = Vec::with_capacity(count);
    for (index, integration) in (0..count).zip(integrations.iter().cycle()) {
        let caption = format!("chaos {run} post {index}");
        let mut post = serde_json::Map::new();
        post.insert("kind".into(), "image".into());
        post.insert("caption".into(), caption.clone().into());
        post.insert(
            "media".into(),
            serde_json::json!([{"url": format!("https://cdn.example.com/chaos/{index}.jpg")}]),
        );
        let request = CreatePost {
            auto_fix: None,
            integration_id: *integration,
            post,
        };
        posts.create(tenant, request, Some(caption.clone())).await?;
        captions.push(caption);
    }
    Ok(captions)
}

async fn all_posts(store: &SharedStore, tenant: TenantId) -> anyhow::Result<Vec<Post>> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let filter = PostFilter {
            after,
            limit: 200,
            ..PostFilter::default()
        };
        let page = store.list_posts(tenant, &filter).await?;
        let full = page.len() == 200;
        after = page.last().map(|post| (post.run_at, post.id));
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// Whether nothing more will happen to the post by itself.
fn is_settled(post: &Post) -> bool {
    matches!(
        post.state,
        PostState::Published | PostState::Failed | PostState::Cancelled
    ) && post.next_attempt_at.is_none()
}

/// How many posts are settled, and how many wait for a reconnect.
struct QueueStatus {
    settled: usize,
    held: usize,
}

async fn queue_status(store: &SharedStore, tenant: TenantId) -> anyhow::Result<QueueStatus> {
    let rows = all_posts(store, tenant).await?;
    Ok(QueueStatus {
        settled: rows.iter().filter(|post| is_settled(post)).count(),
        held: rows
            .iter()
            .filter(|post| post.state == PostState::Held)
            .count(),
    })
}

/// The run's posts whose timeline went through `held`.
async fn held_posts(
    store: &SharedStore,
    tenant: TenantId,
    rows: &[Post],
    captions: &HashSet<String>,
) -> anyhow::Result<HashSet<PostId>> {
    let mut held = HashSet::new();
    for post in rows {
        if !captions.contains(post.input.caption.as_deref().unwrap_or_default()) {
            continue;
        }
        let events = store.post_events(tenant, post.id).await?;
        if events.iter().any(|event| event.to == PostState::Held) {
            held.insert(post.id);
        }
    }
    Ok(held)
}
