//! `igpub bench sim`: how fast the simulator answers and how much memory its containers take
//! (issue #3). The simulator runs as its own process (no latency, budgets lifted, no fetching),
//! so its CPU and memory are its own; the load generator here drives it over keep-alive
//! HTTP/1.1 connections on loopback. On a small machine both share the same cores, which the
//! report states next to the figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use super::BenchError;
use super::proc_stats::read_usage;
use super::report::quantile;
use super::sim_process::{SimAccount, SimFlags, SimProcess};

/// The Graph version the load uses in its paths.
const VERSION: &str = "v25.0";
/// Containers an account may create per rolling 24 h in the simulator (graph-api.md §2.2
/// "Limitations"); the run must stay well under it or creation is refused with code 9.
const CONTAINER_CAP: usize = 400;
/// The least number of containers made before the throughput phase, for its status reads.
const MIN_POOL: usize = 256;
/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Error kinds kept by name in the report; more are summed under "other".
const MAX_ERROR_KINDS: usize = 20;

/// One kind of Graph request the load sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `GET /{container-id}?fields=status_code,status`: what a publisher polls (§2.6).
    ContainerStatus,
    /// `GET /{ig-user-id}/content_publishing_limit` (§2.8).
    PublishingLimit,
    /// `GET /{ig-user-id}?fields=…`: the account itself (§3.2).
    UserGet,
    /// `POST /{ig-user-id}/media` with `image_url` and `caption`: a new container (§2.2).
    CreateContainer,
}

impl RequestKind {
    /// Every kind, in the order of [`Mix`]'s weights.
    pub const ALL: [RequestKind; 4] = [
        RequestKind::ContainerStatus,
        RequestKind::PublishingLimit,
        RequestKind::UserGet,
        RequestKind::CreateContainer,
    ];

    /// The name used in `--mix` and in the report.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::ContainerStatus => "status",
            RequestKind::PublishingLimit => "limit",
            RequestKind::UserGet => "user",
            RequestKind::CreateContainer => "create",
        }
    }

    fn of_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// The share of each [`RequestKind`] in the throughput phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// Relative weights, in the order of [`RequestKind::ALL`]; they sum to 1.
    shares: [f64; 4],
}

/// Why a `--mix` text or a POST share was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// A part is not `name=weight` with a known name.
    #[error(
        "`{0}` is not realistic, get-only or name=weight with name status, limit, user or create"
    )]
    UnknownPart(String),
    /// A weight is negative or not a number.
    #[error("the weight of {0} must be a number of at least 0")]
    BadWeight(&'static str),
    /// Every weight is 0.
    #[error("at least one weight must be above 0")]
    Empty,
    /// The POST share is outside 0–1.
    #[error("the POST share must be a number from 0 to 1")]
    BadPostShare,
}

impl Mix {
    /// A publisher's shape: mostly status polls, some quota and account reads, 10 % new
    /// containers.
    pub const REALISTIC: Mix = Mix {
        shares: [0.60, 0.15, 0.15, 0.10],
    };

    /// Reads only: the simulator's fastest path, with no state growing during the run.
    pub const GET_ONLY: Mix = Mix {
        shares: [0.60 / 0.90, 0.15 / 0.90, 0.15 / 0.90, 0.0],
    };

    /// Weights in the order of [`RequestKind::ALL`], scaled to sum to 1.
    pub fn from_weights(weights: [f64; 4]) -> Result<Self, MixError> {
        for (kind, weight) in RequestKind::ALL.iter().zip(weights) {
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(MixError::BadWeight(kind.name()));
            }
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(MixError::Empty);
        }
        Ok(Self {
            shares: weights.map(|weight| weight / total),
        })
    }

    /// The same reads in the same proportions, with `share` of all requests creating
    /// containers.
    pub fn with_post_share(self, share: f64) -> Result<Self, MixError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(MixError::BadPostShare);
        }
        let [status, limit, user, _] = self.shares;
        let reads = status + limit + user;
        if reads <= 0.0 {
            return if share > 0.0 {
                Self::from_weights([0.0, 0.0, 0.0, 1.0])
            } else {
                Err(MixError::Empty)
            };
        }
        let scale = (1.0 - share) / reads;
        Self::from_weights([status * scale, limit * scale, user * scale, share])
    }

    /// The share of `kind`, 0–1.
    pub fn share_of(&self, kind: RequestKind) -> f64 {
        RequestKind::ALL
            .iter()
            .position(|known| *known == kind)
            .and_then(|at| self.shares.get(at))
            .copied()
            .unwrap_or(0.0)
    }

    /// The kind a uniform draw in [0, 1) picks.
    pub fn pick(&self, draw: f64) -> RequestKind {
        let mut upper = 0.0;
        let mut last = RequestKind::ContainerStatus;
        for (kind, share) in RequestKind::ALL.into_iter().zip(self.shares) {
            if share <= 0.0 {
                continue;
            }
            upper += share;
            last = kind;
            if draw < upper {
                return kind;
            }
        }
        // Rounding can leave the sum a hair under 1: the last kind with a share takes it.
        last
    }

    /// `status=60%,limit=15%,…` for the report.
    pub fn describe(&self) -> String {
        RequestKind::ALL
            .iter()
            .zip(self.shares)
            .filter(|(_, share)| *share > 0.0)
            .map(|(kind, share)| format!("{}={:.0}%", kind.name(), share * 100.0))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl FromStr for Mix {
    type Err = MixError;

    /// `realistic`, `get-only`, or weights such as `status=6,limit=1,user=1,create=2` (names
    /// left out weigh 0).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "realistic" => return Ok(Self::REALISTIC),
            "get-only" => return Ok(Self::GET_ONLY),
            _ => {}
        }
        let mut weights = [0.0; 4];
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| MixError::UnknownPart(part.to_owned()))?;
            let kind = RequestKind::of_name(name.trim())
                .ok_or_else(|| MixError::UnknownPart(part.to_owned()))?;
            let weight: f64 = weight
                .trim()
                .parse()
                .map_err(|_| MixError::BadWeight(kind.name()))?;
            let at = RequestKind::ALL
                .iter()
                .position(|known| *known == kind)
                .unwrap_or(0);
            if let Some(slot) = weights.get_mut(at) {
                *slot = weight;
            }
        }
        Self::from_weights(weights)
    }
}

/// One run's set-up.
#[derive(Debug, Clone)]
pub struct SimBenchConfig {
    /// How long the throughput phase sends requests.
    pub duration: Duration,
    /// Keep-alive connections, each with one request in flight.
    pub connections: usize,
    /// What the throughput phase sends.
    pub mix: Mix,
    /// Containers the memory phase creates.
    pub containers: usize,
    /// Accounts the simulator seeds; containers are spread over them.
    pub accounts: usize,
    /// The `igpub` executable that runs the simulator.
    pub exe: PathBuf,
}

impl SimBenchConfig {
    fn check(&self) -> Result<(), BenchError> {
        let invalid = |field, rule| Err(BenchError::InvalidConfig { field, rule });
        if self.duration.is_zero() || self.duration > Duration::from_secs(3600) {
            return invalid("seconds", "must be above 0 and at most 3600");
        }
        if !(1..=4096).contains(&self.connections) {
            return invalid("connections", "must be between 1 and 4096");
        }
        if !(1..=100_000).contains(&self.accounts) {
            return invalid("accounts", "must be between 1 and 100,000");
        }
        if self.containers > 10_000_000 {
            return invalid("containers", "must be at most 10,000,000");
        }
        // Half of the accounts' container cap is kept for what the throughput phase creates.
        let capacity = self.accounts.saturating_mul(CONTAINER_CAP) / 2;
        if self.pool_size().saturating_add(self.containers) > capacity {
            return invalid(
                "accounts",
                "too few for --containers: each account may create 400 containers a day, and half of that is kept for the throughput phase",
            );
        }
        Ok(())
    }

    /// Containers made before the throughput phase for its status reads: one per account.
    fn pool_size(&self) -> usize {
        self.accounts.max(MIN_POOL)
    }
}

/// Everything one run measured. `--json` prints it as one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimBenchReport {
    /// Cores this machine offers; the simulator and the load generator share them.
    pub cores: usize,
    /// Accounts seeded in the simulator.
    pub accounts: usize,
    /// The throughput phase.
    pub throughput: ThroughputReport,
    /// The memory phase.
    pub memory: MemoryReport,
    /// Why the run is not clean; empty when every step worked.
    pub failures: Vec<String>,
}

/// What the throughput phase measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThroughputReport {
    /// Keep-alive connections.
    pub connections: usize,
    /// The mix, as `name=share` pairs.
    pub mix: String,
    /// From the first request sent to the last answer read, in seconds.
    pub wall_s: f64,
    /// Requests answered (successes plus errors).
    pub requests: u64,
    /// Requests answered 2xx.
    pub successes: u64,
    /// Requests answered otherwise, or not at all.
    pub errors: u64,
    /// Errors by request kind and what went wrong.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Requests by kind.
    pub requests_by_kind: BTreeMap<String, u64>,
    /// Requests per second of `wall_s`.
    pub requests_per_s: f64,
    /// Round trip seen by the load generator, median, ms.
    pub p50_ms: f64,
    /// Round trip, 99th percentile, ms.
    pub p99_ms: f64,
    /// The slowest round trip, ms.
    pub max_ms: f64,
    /// CPU time of the simulator process during the phase, s.
    pub sim_cpu_s: f64,
    /// Simulator CPU seconds per 1,000 requests.
    pub sim_cpu_s_per_1k: f64,
    /// Requests answered per second of simulator CPU: what one core could serve if the
    /// simulator had it to itself (the load generator's share left out).
    pub sim_requests_per_cpu_s: f64,
    /// CPU time of the load generator (this process) during the phase, s.
    pub client_cpu_s: f64,
    /// Load generator CPU seconds per 1,000 requests.
    pub client_cpu_s_per_1k: f64,
    /// HTTP requests the simulator counted during the phase; equals `requests` when no
    /// request was lost on the way.
    pub sim_round_trips: u64,
}

/// What the memory phase measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryReport {
    /// Containers asked for.
    pub containers: usize,
    /// Containers the simulator answered with an id.
    pub created: u64,
    /// Creations refused or failed.
    pub errors: u64,
    /// Errors by what went wrong.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Containers the simulator counted as created during the phase.
    pub sim_created: u64,
    /// Time taken to create them, s.
    pub wall_s: f64,
    /// Resident memory of the simulator before, MiB.
    pub rss_before_mb: f64,
    /// Resident memory after, MiB.
    pub rss_after_mb: f64,
    /// `rss_after_mb - rss_before_mb`.
    pub growth_mb: f64,
    /// Growth per container created, bytes.
    pub bytes_per_container: f64,
    /// Peak resident memory of the simulator over the whole run, MiB.
    pub peak_rss_mb: f64,
}

impl SimBenchReport {
    /// Whether every step worked: no errors, every container created, the counts agree.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty()
    }

    /// The human summary printed without `--json`.
    pub fn to_text(&self) -> String {
        let t = &self.throughput;
        let m = &self.memory;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "igpub bench sim: the simulator in its own process, {} accounts, no latency, budgets lifted, --no-fetch",
            self.accounts
        );
        let _ = writeln!(
            text,
            "note: the load generator runs on the same {} core(s) as the simulator, so the rate is a lower bound for the simulator alone",
            self.cores
        );
        let _ = writeln!(
            text,
            "throughput ({} connections, mix {})",
            t.connections, t.mix
        );
        let _ = writeln!(
            text,
            "  {:.0} requests/s  ({} requests in {:.2} s; {} ok, {} errors)",
            t.requests_per_s, t.requests, t.wall_s, t.successes, t.errors
        );
        let _ = writeln!(
            text,
            "  round trip p50 {:.3} ms  p99 {:.3} ms  max {:.1} ms",
            t.p50_ms, t.p99_ms, t.max_ms
        );
        let _ = writeln!(
            text,
            "  sim cpu {:.2} s = {:.3} cpu-s per 1k requests  ({:.2} cores)",
            t.sim_cpu_s,
            t.sim_cpu_s_per_1k,
            per(t.sim_cpu_s, t.wall_s)
        );
        let _ = writeln!(
            text,
            "  sim capacity {:.0} requests per cpu-second (one core of its own, load generator aside)",
            t.sim_requests_per_cpu_s
        );
        let _ = writeln!(
            text,
            "  load generator cpu {:.2} s = {:.3} cpu-s per 1k requests  ({:.2} cores)",
            t.client_cpu_s,
            t.client_cpu_s_per_1k,
            per(t.client_cpu_s, t.wall_s)
        );
        let kinds: Vec<String> = t
            .requests_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let _ = writeln!(text, "  by kind: {}", kinds.join(", "));
        for (kind, n) in &t.errors_by_kind {
            let _ = writeln!(text, "  error {kind}: {n}");
        }
        let _ = writeln!(text, "memory ({} containers)", m.containers);
        let _ = writeln!(
            text,
            "  created {} ({} errors) in {:.2} s",
            m.created, m.errors, m.wall_s
        );
        let _ = writeln!(
            text,
            "  sim rss {:.1} MiB -> {:.1} MiB: +{:.1} MiB, {:.0} bytes per container  (peak {:.1} MiB)",
            m.rss_before_mb, m.rss_after_mb, m.growth_mb, m.bytes_per_container, m.peak_rss_mb
        );
        for (kind, n) in &m.errors_by_kind {
            let _ = writeln!(text, "  error {kind}: {n}");
        }
        let _ = writeln!(
            text,
            "issue #3 targets: >= 20,000 requests/s: {}  |  100,000 containers < 200 MB: {}",
            verdict(t.requests_per_s >= 20_000.0),
            if m.containers >= 100_000 {
                verdict(m.growth_mb < 200.0)
            } else {
                "not measured (fewer than 100,000 containers)"
            }
        );
        if self.failures.is_empty() {
            let _ = writeln!(text, "clean: no errors, every count agrees");
        }
        for failure in &self.failures {
            let _ = writeln!(text, "FAILED: {failure}");
        }
        text
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// `value / over`, or 0 when `over` is not positive.
fn per(value: f64, over: f64) -> f64 {
    if over > 0.0 { value / over } else { 0.0 }
}

/// Round-trip percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// The slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of round trips given in microseconds, in any order; all 0 for
    /// none.
    pub fn of_micros(micros: &[u32]) -> Self {
        let mut sorted: Vec<f64> = micros.iter().map(|&us| f64::from(us) / 1000.0).collect();
        sorted.sort_by(f64::total_cmp);
        Self {
            p50_ms: quantile(&sorted, 0.50),
            p99_ms: quantile(&sorted, 0.99),
            max_ms: sorted.last().copied().unwrap_or(0.0),
        }
    }
}

/// `VmRSS` of a `/proc/<pid>/status` text, in KiB: resident memory now (`VmHWM` is the peak).
pub fn resident_kib_of_status(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix("VmRSS:")?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    resident_kib_of_status(&status)
}

/// One account as the load addresses it.
struct Target {
    ig_user_id: String,
    authorization: HeaderValue,
}

/// What the load talks to: the simulator's base URL and its accounts.
struct Graph {
    base_url: String,
    targets: Vec<Target>,
}

impl Graph {
    fn new(base_url: &str, accounts: &[SimAccount]) -> Result<Self, BenchError> {
        let targets = accounts
            .iter()
            .map(|account| {
                let mut authorization = HeaderValue::from_str(&format!(
                    "Bearer {}",
                    account.page_token.expose_secret()
                ))
                .map_err(|_| {
                    BenchError::Control("a seeded Page token is not a header value".into())
                })?;
                // Kept out of any debug output of the client.
                authorization.set_sensitive(true);
                Ok(Target {
                    ig_user_id: account.ig_user_id.clone(),
                    authorization,
                })
            })
            .collect::<Result<Vec<_>, BenchError>>()?;
        if targets.is_empty() {
            return Err(BenchError::Control(
                "the simulator seeded no accounts".into(),
            ));
        }
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            targets,
        })
    }
}

/// A container made before the throughput phase, with the account that owns it.
#[derive(Debug, Clone, Copy)]
struct PooledContainer {
    id: u64,
    account: usize,
}

/// What one connection saw.
#[derive(Debug, Default)]
struct Tally {
    successes: u64,
    errors: u64,
    by_kind: BTreeMap<RequestKind, u64>,
    errors_by_kind: BTreeMap<String, u64>,
    /// Round trips in microseconds.
    latencies_us: Vec<u32>,
    /// The containers created, with their owners.
    created: Vec<PooledContainer>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.successes += other.successes;
        self.errors += other.errors;
        for (kind, n) in other.by_kind {
            *self.by_kind.entry(kind).or_default() += n;
        }
        for (kind, n) in other.errors_by_kind {
            add_error(&mut self.errors_by_kind, kind, n);
        }
        self.latencies_us.extend(other.latencies_us);
        self.created.extend(other.created);
    }

    fn requests(&self) -> u64 {
        self.successes + self.errors
    }
}

/// Counts an error under its name, or under "other" once [`MAX_ERROR_KINDS`] names are kept.
fn add_error(errors: &mut BTreeMap<String, u64>, kind: String, n: u64) {
    if errors.len() >= MAX_ERROR_KINDS && !errors.contains_key(&kind) {
        *errors.entry("other".to_owned()).or_default() += n;
    } else {
        *errors.entry(kind).or_default() += n;
    }
}

/// Meta's error code in an error body, for the report.
fn meta_code(body: &[u8]) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("error")?.get("code")?.as_i64()
}

/// One keep-alive connection: a client with a single pooled connection, used one request at a
/// time, so `--connections` is exactly the number of sockets.
fn connection() -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|error| BenchError::Control(format!("HTTP client: {error}")))
}

/// The request that `kind` sends for `account` (and `container` for a status read).
fn request(
    client: &reqwest::Client,
    graph: &Graph,
    kind: RequestKind,
    account: usize,
    container: u64,
    serial: u64,
) -> Option<reqwest::RequestBuilder> {
    let target = graph.targets.get(account)?;
    let base = &graph.base_url;
    let ig = &target.ig_user_id;
    let builder = match kind {
        RequestKind::ContainerStatus => client.get(format!(
            "{base}/{VERSION}/{container}?fields=status_code,status"
        )),
        RequestKind::PublishingLimit => client.get(format!(
            "{base}/{VERSION}/{ig}/content_publishing_limit?fields=config,quota_usage"
        )),
        RequestKind::UserGet => client.get(format!(
            "{base}/{VERSION}/{ig}?fields=id,username,followers_count,media_count"
        )),
        RequestKind::CreateContainer => {
            let image_url = format!("https://cdn.example.com/bench/{ig}/{serial}.jpg");
            let caption = format!(
                "Bench post {serial} for {ig}: an ordinary caption of about the length people \
                 write, with a few tags. #igpub #bench #simulator"
            );
            client
                .post(format!("{base}/{VERSION}/{ig}/media"))
                .form(&[("image_url", image_url), ("caption", caption)])
        }
    };
    Some(builder.header(AUTHORIZATION, target.authorization.clone()))
}

/// Sends one request and files its outcome; the id of a created container is kept.
async fn send(
    client: &reqwest::Client,
    graph: &Graph,
    kind: RequestKind,
    account: usize,
    container: u64,
    serial: u64,
    tally: &mut Tally,
) {
    *tally.by_kind.entry(kind).or_default() += 1;
    let Some(builder) = request(client, graph, kind, account, container, serial) else {
        tally.errors += 1;
        add_error(
            &mut tally.errors_by_kind,
            format!("{} no account", kind.name()),
            1,
        );
        return;
    };
    let started = Instant::now();
    let outcome = match builder.send().await {
        Ok(response) => {
            let status = response.status();
            // The whole body is read, as a client does, so the connection stays reusable.
            match response.bytes().await {
                Ok(body) => Ok((status, body)),
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    };
    let elapsed = started.elapsed();
    tally
        .latencies_us
        .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
    match outcome {
        Ok((status, body)) if status.is_success() => {
            if kind == RequestKind::CreateContainer {
                match created_id(&body) {
                    Some(id) => tally.created.push(PooledContainer { id, account }),
                    None => {
                        tally.errors += 1;
                        add_error(&mut tally.errors_by_kind, "create answered no id".into(), 1);
                        return;
                    }
                }
            }
            tally.successes += 1;
        }
        Ok((status, body)) => {
            tally.errors += 1;
            let code = meta_code(&body).map_or(String::new(), |code| format!(" code {code}"));
            add_error(
                &mut tally.errors_by_kind,
                format!("{} HTTP {}{code}", kind.name(), status.as_u16()),
                1,
            );
        }
        Err(error) => {
            tally.errors += 1;
            let what = if error.is_timeout() {
                "timeout"
            } else if error.is_connect() {
                "connect"
            } else {
                "transport"
            };
            add_error(
                &mut tally.errors_by_kind,
                format!("{} {what}", kind.name()),
                1,
            );
        }
    }
}

/// The id of `{"id":"…"}`.
fn created_id(body: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

/// Creates `count` containers over `connections` connections, spread round robin over the
/// accounts; `first_serial` keeps captions unique across calls.
async fn create_containers(
    graph: &Arc<Graph>,
    count: usize,
    connections: usize,
    first_serial: u64,
) -> Result<Tally, BenchError> {
    let connections = connections.clamp(1, count.max(1));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let client = connection()?;
        let graph = graph.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if index >= count {
                    return tally;
                }
                let account = index % graph.targets.len();
                let serial = first_serial + index as u64;
                send(
                    &client,
                    &graph,
                    RequestKind::CreateContainer,
                    account,
                    0,
                    serial,
                    &mut tally,
                )
                .await;
            }
        }));
    }
    join_tallies(tasks).await
}

async fn join_tallies(tasks: Vec<tokio::task::JoinHandle<Tally>>) -> Result<Tally, BenchError> {
    let mut total = Tally::default();
    let mut joined = futures::stream::iter(tasks).buffered(usize::MAX);
    while let Some(result) = joined.next().await {
        let tally = result.map_err(|error| BenchError::Control(format!("load task: {error}")))?;
        total.merge(tally);
    }
    Ok(total)
}

/// Sends the mix over `connections` connections until `duration` has passed; requests in
/// flight then are finished and counted.
async fn drive_mix(
    graph: &Arc<Graph>,
    pool: &Arc<Vec<PooledContainer>>,
    mix: Mix,
    connections: usize,
    duration: Duration,
    first_serial: u64,
) -> Result<(Tally, Duration), BenchError> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for connection_index in 0..connections {
        let client = connection()?;
        let graph = graph.clone();
        let pool = pool.clone();
        // Each connection has its own serials, far apart, so captions never repeat.
        let mut serial = first_serial + (connection_index as u64) * 1_000_000_000;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(connection_index as u64);
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let kind = mix.pick(rng.random::<f64>());
                let (account, container) = match kind {
                    RequestKind::ContainerStatus if !pool.is_empty() => {
                        let pooled = pool
                            .get(rng.random_range(0..pool.len()))
                            .copied()
                            .unwrap_or(PooledContainer { id: 0, account: 0 });
                        (pooled.account, pooled.id)
                    }
                    _ => (rng.random_range(0..graph.targets.len()), 0),
                };
                serial += 1;
                send(
                    &client, &graph, kind, account, container, serial, &mut tally,
                )
                .await;
            }
            // Only the count matters here: the ids would only grow this process.
            tally.created.clear();
            tally
        }));
    }
    let tally = join_tallies(tasks).await?;
    Ok((tally, started.elapsed()))
}

/// Runs the bench: starts `igpub sim`, measures throughput, then memory.
pub async fn run_sim_bench(config: &SimBenchConfig) -> Result<SimBenchReport, BenchError> {
    config.check()?;
    let flags = SimFlags {
        accounts: config.accounts,
        latency_ms: 0,
        // Finished at once: status reads see the common final state.
        image_processing_ms: 0,
        processing_jitter: 0.0,
        quota_total: 100,
        unlimited_budgets: true,
    };
    let sim = SimProcess::start(&config.exe, &flags).await?;
    let result = run_with_sim(config, &sim).await;
    sim.stop().await;
    result
}

async fn run_with_sim(
    config: &SimBenchConfig,
    sim: &SimProcess,
) -> Result<SimBenchReport, BenchError> {
    let pid = sim
        .pid()
        .ok_or_else(|| BenchError::Control("igpub sim exited at start".into()))?;
    let accounts = sim.accounts().await?;
    let graph = Arc::new(Graph::new(sim.base_url(), &accounts)?);
    let mut failures = Vec::new();
    check_budgets_lifted(&graph).await?;

    // Warm-up: the status reads' containers, over the same number of connections.
    let warm = create_containers(&graph, config.pool_size(), config.connections, 0).await?;
    if warm.errors > 0 {
        failures.push(format!(
            "warm-up: {} of {} containers were not created: {:?}",
            warm.errors,
            config.pool_size(),
            warm.errors_by_kind
        ));
    }
    let pool = Arc::new(warm.created);

    let throughput = throughput_phase(config, sim, pid, &graph, &pool, &mut failures).await?;
    let memory = memory_phase(config, sim, pid, &graph, &mut failures).await?;
    Ok(SimBenchReport {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        accounts: graph.targets.len(),
        throughput,
        memory,
        failures,
    })
}

/// Reads one account and checks that the usage headers read 0: the call budgets are lifted,
/// so no code 4/17/32/80002 can interfere (graph-api.md §7).
async fn check_budgets_lifted(graph: &Graph) -> Result<(), BenchError> {
    let client = connection()?;
    let response = request(&client, graph, RequestKind::UserGet, 0, 0, 0)
        .ok_or_else(|| BenchError::Control("no account to read".into()))?
        .send()
        .await
        .map_err(|error| BenchError::Control(format!("first Graph request: {error}")))?;
    let usage = response
        .headers()
        .get("x-app-usage")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let status = response.status();
    if !status.is_success() {
        return Err(BenchError::Control(format!(
            "first Graph request answered HTTP {status}"
        )));
    }
    let call_count = usage
        .as_deref()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|value| value.get("call_count").and_then(serde_json::Value::as_u64));
    if call_count != Some(0) {
        return Err(BenchError::Control(format!(
            "the simulator's call budgets are not lifted (X-App-Usage {usage:?})"
        )));
    }
    Ok(())
}

async fn throughput_phase(
    config: &SimBenchConfig,
    sim: &SimProcess,
    pid: u32,
    graph: &Arc<Graph>,
    pool: &Arc<Vec<PooledContainer>>,
    failures: &mut Vec<String>,
) -> Result<ThroughputReport, BenchError> {
    let trips_before = sim.counters().await?.round_trips;
    let sim_before = read_usage(pid).unwrap_or_default();
    let client_before = read_usage(std::process::id()).unwrap_or_default();
    let (tally, wall) = drive_mix(
        graph,
        pool,
        config.mix,
        config.connections,
        config.duration,
        1_000_000_000_000,
    )
    .await?;
    let sim_after = read_usage(pid).unwrap_or_default();
    let client_after = read_usage(std::process::id()).unwrap_or_default();
    let sim_round_trips = sim
        .counters()
        .await?
        .round_trips
        .saturating_sub(trips_before);
    let requests = tally.requests();
    if tally.errors > 0 {
        failures.push(format!(
            "throughput: {} of {requests} requests failed",
            tally.errors
        ));
    }
    if sim_round_trips != requests {
        failures.push(format!(
            "throughput: the simulator counted {sim_round_trips} requests, the load generator sent {requests}"
        ));
    }
    if requests == 0 {
        failures.push("throughput: no request was answered".to_owned());
    }
    let latency = Latency::of_micros(&tally.latencies_us);
    let wall_s = wall.as_secs_f64();
    let sim_cpu_s = sim_after.cpu.saturating_sub(sim_before.cpu).as_secs_f64();
    let client_cpu_s = client_after
        .cpu
        .saturating_sub(client_before.cpu)
        .as_secs_f64();
    let thousands = requests as f64 / 1000.0;
    Ok(ThroughputReport {
        connections: config.connections,
        mix: config.mix.describe(),
        wall_s,
        requests,
        successes: tally.successes,
        errors: tally.errors,
        errors_by_kind: tally.errors_by_kind,
        requests_by_kind: tally
            .by_kind
            .iter()
            .map(|(kind, n)| (kind.name().to_owned(), *n))
            .collect(),
        requests_per_s: per(requests as f64, wall_s),
        p50_ms: latency.p50_ms,
        p99_ms: latency.p99_ms,
        max_ms: latency.max_ms,
        sim_cpu_s,
        sim_cpu_s_per_1k: per(sim_cpu_s, thousands),
        sim_requests_per_cpu_s: per(requests as f64, sim_cpu_s),
        client_cpu_s,
        client_cpu_s_per_1k: per(client_cpu_s, thousands),
        sim_round_trips,
    })
}

async fn memory_phase(
    config: &SimBenchConfig,
    sim: &SimProcess,
    pid: u32,
    graph: &Arc<Graph>,
    failures: &mut Vec<String>,
) -> Result<MemoryReport, BenchError> {
    let created_before = sim.counters().await?.calls_of("media.create", "ok");
    let rss_before = resident_kib(pid)
        .ok_or_else(|| BenchError::Control("cannot read the simulator's VmRSS".into()))?;
    let started = Instant::now();
    let tally = create_containers(graph, config.containers, config.connections, 1 << 50).await?;
    let wall_s = started.elapsed().as_secs_f64();
    let rss_after = resident_kib(pid)
        .ok_or_else(|| BenchError::Control("cannot read the simulator's VmRSS".into()))?;
    let peak_kib = read_usage(pid).map_or(rss_after, |usage| usage.peak_rss_kib);
    let sim_created = sim
        .counters()
        .await?
        .calls_of("media.create", "ok")
        .saturating_sub(created_before);
    let created = tally.created.len() as u64;
    if tally.errors > 0 {
        failures.push(format!(
            "memory: {} of {} creations failed",
            tally.errors, config.containers
        ));
    }
    if created != config.containers as u64 || sim_created != created {
        failures.push(format!(
            "memory: asked for {} containers, got {created} ids, the simulator counted {sim_created}",
            config.containers
        ));
    }
    let growth_kib = rss_after.saturating_sub(rss_before);
    Ok(MemoryReport {
        containers: config.containers,
        created,
        errors: tally.errors,
        errors_by_kind: tally.errors_by_kind,
        sim_created,
        wall_s,
        rss_before_mb: rss_before as f64 / 1024.0,
        rss_after_mb: rss_after as f64 / 1024.0,
        growth_mb: growth_kib as f64 / 1024.0,
        bytes_per_container: per(growth_kib as f64 * 1024.0, created as f64),
        peak_rss_mb: peak_kib as f64 / 1024.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(mix: &Mix) -> Vec<f64> {
        RequestKind::ALL
            .iter()
            .map(|kind| (mix.share_of(*kind) * 1000.0).round() / 1000.0)
            .collect()
    }

    #[test]
    fn named_mixes_parse_and_get_only_never_posts() {
        assert_eq!("realistic".parse::<Mix>(), Ok(Mix::REALISTIC));
        let get_only: Mix = "get-only".parse().unwrap_or(Mix::REALISTIC);
        assert_eq!(get_only.share_of(RequestKind::CreateContainer), 0.0);
        assert_eq!(shares(&get_only), vec![0.667, 0.167, 0.167, 0.0]);
        for draw in [0.0, 0.3, 0.7, 0.95, 0.999_999] {
            assert_ne!(get_only.pick(draw), RequestKind::CreateContainer);
        }
    }

    #[test]
    fn weights_are_scaled_and_missing_names_weigh_nothing() {
        let mix: Mix = "status=6, create=2".parse().unwrap_or(Mix::REALISTIC);
        assert_eq!(shares(&mix), vec![0.75, 0.0, 0.0, 0.25]);
        assert_eq!(mix.describe(), "status=75%,create=25%");
    }

    #[test]
    fn bad_mixes_are_refused_by_reason() {
        assert_eq!(
            "status=1,posts=2".parse::<Mix>(),
            Err(MixError::UnknownPart("posts=2".into()))
        );
        assert_eq!(
            "status".parse::<Mix>(),
            Err(MixError::UnknownPart("status".into()))
        );
        assert_eq!("user=-1".parse::<Mix>(), Err(MixError::BadWeight("user")));
        assert_eq!("limit=x".parse::<Mix>(), Err(MixError::BadWeight("limit")));
        assert_eq!("status=0".parse::<Mix>(), Err(MixError::Empty));
        assert_eq!("".parse::<Mix>(), Err(MixError::Empty));
    }

    #[test]
    fn a_post_share_keeps_the_reads_in_proportion() {
        let mix = Mix::REALISTIC
            .with_post_share(0.5)
            .unwrap_or(Mix::REALISTIC);
        assert_eq!(shares(&mix), vec![0.333, 0.083, 0.083, 0.5]);
        let none = Mix::REALISTIC
            .with_post_share(0.0)
            .unwrap_or(Mix::REALISTIC);
        assert_eq!(shares(&none), shares(&Mix::GET_ONLY));
        assert_eq!(
            Mix::REALISTIC.with_post_share(1.5),
            Err(MixError::BadPostShare)
        );
        assert_eq!(
            Mix::REALISTIC.with_post_share(f64::NAN),
            Err(MixError::BadPostShare)
        );
        let posts_only: Mix = "create=1".parse().unwrap_or(Mix::REALISTIC);
        assert_eq!(posts_only.with_post_share(0.0), Err(MixError::Empty));
    }

    #[test]
    fn draws_fall_into_consecutive_bands() {
        let mix = Mix::REALISTIC;
        assert_eq!(mix.pick(0.0), RequestKind::ContainerStatus);
        assert_eq!(mix.pick(0.599), RequestKind::ContainerStatus);
        assert_eq!(mix.pick(0.61), RequestKind::PublishingLimit);
        assert_eq!(mix.pick(0.76), RequestKind::UserGet);
        assert_eq!(mix.pick(0.95), RequestKind::CreateContainer);
        // A draw at the very top (or past it, by rounding) goes to the last kind with a share.
        assert_eq!(mix.pick(1.0), RequestKind::CreateContainer);
        let mut counts = BTreeMap::new();
        for step in 0..1000 {
            *counts
                .entry(mix.pick(f64::from(step) / 1000.0))
                .or_insert(0) += 1;
        }
        assert_eq!(counts.get(&RequestKind::ContainerStatus), Some(&600));
        assert_eq!(counts.get(&RequestKind::CreateContainer), Some(&100));
    }

    #[test]
    fn latency_percentiles_come_from_microseconds_in_any_order() {
        let micros: Vec<u32> = (1..=100).rev().map(|ms| ms * 1000).collect();
        assert_eq!(
            Latency::of_micros(&micros),
            Latency {
                p50_ms: 50.0,
                p99_ms: 99.0,
                max_ms: 100.0
            }
        );
        assert_eq!(
            Latency::of_micros(&[]),
            Latency {
                p50_ms: 0.0,
                p99_ms: 0.0,
                max_ms: 0.0
            }
        );
    }

    #[test]
    fn resident_memory_is_vmrss_not_the_peak() {
        let status = "Name:\tigpub\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(resident_kib_of_status(status), Some(40000));
        assert_eq!(resident_kib_of_status("VmRSS: lots"), None);
        assert_eq!(resident_kib_of_status(""), None);
    }

    fn config() -> SimBenchConfig {
        SimBenchConfig {
            duration: Duration::from_secs(10),
            connections: 64,
            mix: Mix::REALISTIC,
            containers: 100_000,
            accounts: 1000,
            exe: PathBuf::from("igpub"),
        }
    }

    fn refused_field(config: &SimBenchConfig) -> Option<&'static str> {
        match config.check() {
            Err(BenchError::InvalidConfig { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn the_defaults_fit_and_too_few_accounts_for_the_containers_are_refused() {
        assert_eq!(refused_field(&config()), None);
        // 250 accounts × 400 = 100,000, but half is kept for the throughput phase.
        let crowded = SimBenchConfig {
            accounts: 250,
            ..config()
        };
        assert_eq!(refused_field(&crowded), Some("accounts"));
        let idle = SimBenchConfig {
            connections: 0,
            ..config()
        };
        assert_eq!(refused_field(&idle), Some("connections"));
        let instant = SimBenchConfig {
            duration: Duration::ZERO,
            ..config()
        };
        assert_eq!(refused_field(&instant), Some("seconds"));
    }

    #[test]
    fn error_kinds_are_capped_and_bodies_read_safely() {
        let mut errors = BTreeMap::new();
        for n in 0..(MAX_ERROR_KINDS + 5) {
            add_error(&mut errors, format!("kind {n}"), 1);
        }
        assert_eq!(errors.len(), MAX_ERROR_KINDS + 1);
        assert_eq!(errors.get("other"), Some(&5));
        assert_eq!(meta_code(br#"{"error":{"code":9,"message":"x"}}"#), Some(9));
        assert_eq!(meta_code(b"<html>"), None);
        assert_eq!(
            created_id(br#"{"id":"17900000000000001"}"#),
            Some(17_900_000_000_000_001)
        );
        assert_eq!(created_id(br#"{"id":17}"#), None);
    }
}
