//! `igpub sim`: the Graph API simulator as its own server, for local runs and load tests.

use anyhow::Context;
use clap::{Args, ValueEnum};
use igpub_sim::{CommitThenFail, FaultSpec, RateBudgets, SeededAccount, Sim, SimConfig, SimHandle};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// Flags of `igpub sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8077)]
    pub port: u16,
    /// Instagram accounts to seed, each behind its own Page.
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,
    /// Seeds every random choice (ids, tokens, jitter, errors, faults), so runs repeat.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Round-trip latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// How long an image container stays IN_PROGRESS, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    pub image_processing_ms: u64,
    /// How long a video container stays IN_PROGRESS, in milliseconds.
    #[arg(long, default_value_t = 20_000)]
    pub video_processing_ms: u64,
    /// Relative jitter on processing times, 0–1 (0.5 = ±50 %).
    #[arg(long, default_value_t = 0.5)]
    pub processing_jitter: f64,
    /// Share of containers (0–1) that end in ERROR.
    #[arg(long, default_value_t = 0.0)]
    pub container_error_rate: f64,
    /// Do not fetch image_url/video_url (for load runs).
    #[arg(long)]
    pub no_fetch: bool,
    /// Posts per account per moving 24 h.
    #[arg(long, default_value_t = 100)]
    pub quota_total: u32,
    /// The endpoint the fault flags apply to (e.g. media.publish), or * for all.
    #[arg(long, default_value = "*")]
    pub fault_endpoint: String,
    /// Share of calls (0–1) answered HTTP 500, code 2.
    #[arg(long, default_value_t = 0.0)]
    pub error_5xx_rate: f64,
    /// Share of calls (0–1) answered code 1 or 2 with is_transient.
    #[arg(long, default_value_t = 0.0)]
    pub transient_rate: f64,
    /// Share of calls (0–1) that hang past any client timeout.
    #[arg(long, default_value_t = 0.0)]
    pub hang_rate: f64,
    /// Share of calls (0–1) that take effect but fail for the caller.
    #[arg(long, default_value_t = 0.0)]
    pub commit_then_fail_rate: f64,
    /// How a commit-then-fail call fails.
    #[arg(long, value_enum, default_value_t = CommitThenFailArg::Error)]
    pub commit_then_fail: CommitThenFailArg,
    /// The seeded app requires appsecret_proof on every call.
    #[arg(long)]
    pub require_appsecret_proof: bool,
    /// The login dialog redirects at once instead of showing the consent page.
    #[arg(long)]
    pub auto_approve_login: bool,
    /// Where webhook events are delivered.
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// The Graph version that answers unversioned paths.
    #[arg(long, default_value_t = 25)]
    pub default_version: u32,
    /// No call budgets at all (no codes 4/17/32/80002), for load runs.
    #[arg(long)]
    pub unlimited_budgets: bool,
}

/// How a commit-then-fail call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommitThenFailArg {
    /// HTTP 500, code 2.
    Error,
    /// The connection closes without an answer.
    Drop,
    /// No answer until long after the client gave up.
    Hang,
    /// HTTP 403, 4/2207051 "action is blocked".
    SpamBlock,
}

impl From<CommitThenFailArg> for CommitThenFail {
    fn from(arg: CommitThenFailArg) -> Self {
        match arg {
            CommitThenFailArg::Error => CommitThenFail::Error,
            CommitThenFailArg::Drop => CommitThenFail::Drop,
            CommitThenFailArg::Hang => CommitThenFail::Hang,
            CommitThenFailArg::SpamBlock => CommitThenFail::SpamBlock,
        }
    }
}

impl SimArgs {
    /// The simulator configuration these flags describe.
    pub fn config(&self) -> SimConfig {
        let faults = FaultSpec {
            latency_ms: 0,
            error_5xx_rate: self.error_5xx_rate,
            transient_rate: self.transient_rate,
            hang_rate: self.hang_rate,
            commit_then_fail_rate: self.commit_then_fail_rate,
            commit_then_fail: self.commit_then_fail.into(),
        };
        let mut fault_map = BTreeMap::new();
        if faults != FaultSpec::default() {
            fault_map.insert(self.fault_endpoint.clone(), faults);
        }
        SimConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)),
            seed: self.seed,
            accounts: self.accounts,
            latency: Duration::from_millis(self.latency_ms),
            image_processing: Duration::from_millis(self.image_processing_ms),
            video_processing: Duration::from_millis(self.video_processing_ms),
            processing_jitter: self.processing_jitter,
            container_error_rate: self.container_error_rate,
            fetch_media: !self.no_fetch,
            quota_total: self.quota_total,
            require_appsecret_proof: self.require_appsecret_proof,
            auto_approve_login: self.auto_approve_login,
            webhook_callback_url: self.webhook_url.clone(),
            default_version: self.default_version,
            budgets: if self.unlimited_budgets {
                RateBudgets::unlimited()
            } else {
                RateBudgets::default()
            },
            faults: fault_map,
            ..SimConfig::default()
        }
    }
}

/// Runs `igpub sim`: starts the simulator, prints where it is and its accounts with their
/// tokens (a local dev tool: printing them is the point), then serves until Ctrl-C.
pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let sim = Sim::start(args.config())
        .await
        .context("cannot start the simulator")?;
    print!("{}", banner(&sim, args.default_version));
    sim.run_until_ctrl_c()
        .await
        .context("the simulator stopped abnormally")?;
    println!("igpub sim: stopped");
    Ok(ExitCode::SUCCESS)
}

/// What `igpub sim` prints on start.
fn banner(sim: &SimHandle, version: u32) -> String {
    let base = sim.base_url();
    let accounts = sim.accounts();
    let mut text = String::new();
    let _ = writeln!(text, "igpub sim: Meta's Graph API, simulated, at {base}");
    let _ = writeln!(text, "  login dialog   {base}v{version}.0/dialog/oauth");
    let _ = writeln!(
        text,
        "  control API    {base}__sim/  (accounts, faults, clock, published, counters)"
    );
    if let Some(first) = accounts.first() {
        let _ = writeln!(
            text,
            "  app            id {}  secret {}",
            first.app_id,
            first.app_secret.expose_secret()
        );
    }
    let _ = writeln!(text, "accounts:");
    for account in &accounts {
        write_account(&mut text, account);
    }
    let _ = writeln!(text, "serving until Ctrl-C");
    text
}

fn write_account(text: &mut String, account: &SeededAccount) {
    let _ = writeln!(
        text,
        "  @{}  ig_user_id {}  page_id {}",
        account.username, account.ig_user_id, account.page_id
    );
    let _ = writeln!(
        text,
        "    page_token {}",
        account.page_token.expose_secret()
    );
    let _ = writeln!(
        text,
        "    user_token {}",
        account.user_token.expose_secret()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        args: SimArgs,
    }

    fn parse(flags: &[&str]) -> SimArgs {
        let mut argv = vec!["igpub-sim"];
        argv.extend_from_slice(flags);
        Harness::try_parse_from(argv)
            .map(|h| h.args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn flags_become_the_simulator_configuration() {
        let config = parse(&[
            "--port",
            "0",
            "--accounts",
            "5",
            "--latency-ms",
            "20",
            "--no-fetch",
            "--quota-total",
            "50",
            "--seed",
            "7",
            "--image-processing-ms",
            "0",
        ])
        .config();
        assert_eq!(config.bind.port(), 0);
        assert_eq!(config.accounts, 5);
        assert_eq!(config.latency, Duration::from_millis(20));
        assert!(!config.fetch_media);
        assert_eq!(config.quota_total, 50);
        assert_eq!(config.seed, 7);
        assert_eq!(config.image_processing, Duration::ZERO);
        assert!(config.faults.is_empty());
        assert!(config.bind.ip().is_loopback());
    }

    #[test]
    fn fault_flags_apply_to_the_named_endpoint() {
        let config = parse(&[
            "--fault-endpoint",
            "media.publish",
            "--commit-then-fail-rate",
            "0.25",
            "--commit-then-fail",
            "drop",
        ])
        .config();
        let spec = config
            .faults
            .get("media.publish")
            .cloned()
            .unwrap_or_default();
        assert_eq!(spec.commit_then_fail_rate, 0.25);
        assert_eq!(spec.commit_then_fail, CommitThenFail::Drop);
    }

    #[test]
    fn out_of_range_rates_are_refused_at_start() {
        let config = parse(&["--container-error-rate", "1.5"]).config();
        assert!(config.validate().is_err());
    }

    #[tokio::test]
    async fn the_banner_names_the_url_and_every_accounts_tokens() {
        let sim = Sim::start(parse(&["--port", "0", "--accounts", "2"]).config())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let text = banner(&sim, 25);
        assert!(text.contains(sim.base_url().as_str()));
        for account in sim.accounts() {
            assert!(text.contains(&account.ig_user_id));
            assert!(text.contains(account.page_token.expose_secret()));
        }
        sim.shutdown().await;
    }
}
