//! `igpub bench chaos`: posts over many accounts, the simulator as its own process with 10 %
//! faults (commit-then-fail among them), worker processes killed at random and restarted; at
//! the end the store is compared with the simulator's ground truth. Duplicates and lost posts
//! must be 0.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use rand::Rng as _;
use secrecy::ExposeSecret;
use serde::Serialize;
use tokio::process::{Child, Command};

use crate::bench::{SimFlags, SimProcess, current_exe};
use crate::publish::Posts;
use crate::publish::service::CreatePost;
use crate::store::{self, IntegrationId, NewIntegration, Post, PostFilter, PostState, TenantId};
use crate::vault::{KeyRing, Vault};

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

/// What a chaos run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChaosReport {
    /// Posts created.
    pub posts: usize,
    /// Posts the store says are published.
    pub published: usize,
    /// Extra publications at Meta beyond the first, over all posts.
    pub duplicates: usize,
    /// Posts neither published at Meta nor failed in the store.
    pub lost: usize,
    /// Posts the store failed.
    pub failed: usize,
    /// Failed posts by reason.
    pub failed_reasons: BTreeMap<String, usize>,
    /// Posts the store failed although Meta published them.
    pub failed_but_live: usize,
    /// Posts the store says are published that Meta never published.
    pub published_but_missing: usize,
    /// Worker processes killed.
    pub kills: usize,
    /// Every post settled before the timeout.
    pub completed: bool,
    /// Seconds from the first post due to the last settled.
    pub wall_s: f64,
}

/// Runs `igpub bench chaos`.
pub async fn run(args: ChaosArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=0.9).contains(&args.fault_rate) {
        anyhow::bail!("--fault-rate: must be between 0 and 0.9");
    }
    if args.posts == 0 || args.accounts == 0 || args.workers == 0 {
        anyhow::bail!("--posts, --accounts and --workers must be at least 1");
    }
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
    let outcome = run_with_sim(&args, &exe, &database_url, &sim).await;
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

async fn run_with_sim(
    args: &ChaosArgs,
    exe: &Path,
    database_url: &str,
    sim: &SimProcess,
) -> anyhow::Result<ChaosReport> {
    inject_faults(sim.base_url(), args.fault_rate).await?;
    let secret_keys = KeyRing::generate_key();
    let store = store::connect(
        database_url,
        Vault::new(KeyRing::from_setting(&secret_keys)?),
    )
    .await?;
    let (tenant, _key) = store.create_tenant("chaos").await?;
    let mut integrations = Vec::new();
    for account in sim.accounts().await?.into_iter().take(args.accounts) {
        let integration = store
            .upsert_instagram_integration(
                tenant.id,
                NewIntegration {
                    ig_user_id: account.ig_user_id,
                    ig_username: account.username,
                    facebook_page_id: account.page_id,
                    page_token: account.page_token,
                    token_expires_at: None,
                },
            )
            .await?;
        integrations.push(integration.id);
    }
    let captions = insert_posts(
        &Posts::new(store.clone()),
        tenant.id,
        &integrations,
        args.posts,
    )
    .await?;
    let environment = WorkerEnvironment {
        exe: exe.to_path_buf(),
        database_url: database_url.to_owned(),
        secret_keys: secret_keys.expose_secret().to_owned(),
        graph_url: sim.base_url().to_owned(),
        lease_seconds: args.lease_seconds,
    };
    let started = Instant::now();
    let mut workers: Vec<Child> = (0..args.workers)
        .map(|_| environment.spawn())
        .collect::<Result<_, _>>()?;
    let deadline = started + Duration::from_secs(args.timeout_s);
    let mut kills = 0;
    let mut completed = false;
    while Instant::now() < deadline {
        if kills < args.kills {
            let pause = rand::rng().random_range(500..2500);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let victim = rand::rng().random_range(0..workers.len());
            if let Some(child) = workers.get_mut(victim) {
                // SIGKILL: no graceful shutdown, leases left behind, like a crashed machine.
                let _ = child.kill().await;
                *child = environment.spawn()?;
                kills += 1;
            }
            continue;
        }
        if settled(&store, tenant.id).await? >= args.posts {
            completed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let wall_s = started.elapsed().as_secs_f64();
    for child in &mut workers {
        stop_gracefully(child).await;
    }
    let rows = all_posts(&store, tenant.id).await?;
    let truth = sim.published().await?;
    let mut live: HashMap<&str, usize> = HashMap::new();
    for media in truth.values().flatten() {
        if let Some(caption) = media.caption.as_deref() {
            *live.entry(caption).or_default() += 1;
        }
    }
    let mut report = ChaosReport {
        posts: args.posts,
        kills,
        completed,
        wall_s,
        ..ChaosReport::default()
    };
    for post in &rows {
        let caption = post.input.caption.as_deref().unwrap_or_default();
        if !captions.iter().any(|c| c == caption) {
            continue;
        }
        let at_meta = live.get(caption).copied().unwrap_or(0);
        report.duplicates += at_meta.saturating_sub(1);
        match post.state {
            PostState::Published => {
                report.published += 1;
                if at_meta == 0 {
                    report.published_but_missing += 1;
                }
            }
            PostState::Failed => {
                report.failed += 1;
                if at_meta > 0 {
                    report.failed_but_live += 1;
                }
                let reason = post
                    .failure
                    .as_ref()
                    .map(|failure| failure.message.chars().take(100).collect())
                    .unwrap_or_else(|| "unknown".to_owned());
                *report.failed_reasons.entry(reason).or_default() += 1;
            }
            _ if at_meta == 0 => report.lost += 1,
            _ => {}
        }
    }
    store.close().await;
    Ok(report)
}

async fn inject_faults(base_url: &str, rate: f64) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let put = |endpoint: &str, spec: serde_json::Value| {
        http.put(format!("{base_url}__sim/faults/{endpoint}"))
            .json(&spec)
            .send()
    };
    // A third each: 5xx, transient codes, and calls that take effect but answer a failure.
    let third = rate / 3.0;
    put(
        "*",
        serde_json::json!({"error_5xx_rate": third, "transient_rate": third,
            "commit_then_fail_rate": third, "commit_then_fail": "error"}),
    )
    .await?
    .error_for_status()?;
    // media_publish also gets dropped connections and Meta's spam block after publishing.
    put(
        "media.publish",
        serde_json::json!({"error_5xx_rate": third, "transient_rate": third / 2.0,
            "commit_then_fail_rate": third * 1.5, "commit_then_fail": "drop"}),
    )
    .await?
    .error_for_status()?;
    Ok(())
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

struct WorkerEnvironment {
    exe: PathBuf,
    database_url: String,
    secret_keys: String,
    graph_url: String,
    lease_seconds: u64,
}

impl WorkerEnvironment {
    fn spawn(&self) -> anyhow::Result<Child> {
        Ok(Command::new(&self.exe)
            .args(["worker", "--no-preflight"])
            // Secrets go through the environment, never argv (visible in `ps`).
            .env("IGPUB_DATABASE_URL", &self.database_url)
            .env("IGPUB_SECRET_KEYS", &self.secret_keys)
            .env("IGPUB_META__GRAPH_URL", &self.graph_url)
            .env(
                "IGPUB_WORKER__LEASE_SECONDS",
                self.lease_seconds.to_string(),
            )
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?)
    }
}

/// SIGTERM, then a wait; SIGKILL if it does not stop.
async fn stop_gracefully(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

async fn all_posts(store: &store::SharedStore, tenant: TenantId) -> anyhow::Result<Vec<Post>> {
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

async fn settled(store: &store::SharedStore, tenant: TenantId) -> anyhow::Result<usize> {
    Ok(all_posts(store, tenant)
        .await?
        .iter()
        .filter(|post| {
            matches!(
                post.state,
                PostState::Published | PostState::Failed | PostState::Cancelled
            ) && post.next_attempt_at.is_none()
        })
        .count())
}

fn summary(report: &ChaosReport) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "igpub bench chaos: {} posts, {} worker kills, {:.1} s{}",
        report.posts,
        report.kills,
        report.wall_s,
        if report.completed { "" } else { " (TIMED OUT)" }
    );
    let _ = writeln!(text, "  published             {}", report.published);
    let _ = writeln!(text, "  duplicates            {}", report.duplicates);
    let _ = writeln!(text, "  lost                  {}", report.lost);
    let _ = writeln!(text, "  failed                {}", report.failed);
    for (reason, count) in &report.failed_reasons {
        let _ = writeln!(text, "    {count:>5}  {reason}");
    }
    let _ = writeln!(text, "  failed but live       {}", report.failed_but_live);
    let _ = writeln!(
        text,
        "  published but missing {}",
        report.published_but_missing
    );
    text
}
