//! How a simulator run behaves: seeded accounts, timing, crawler, quotas, budgets and faults.

use crate::faults::FaultSpec;
use crate::sim::SimError;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The newest Graph API version the simulator answers (shared/graph-api.md §1).
pub const NEWEST_VERSION: u32 = 26;
/// The oldest version still available; older ones are upgraded to it (shared/graph-api.md §1).
pub const OLDEST_AVAILABLE_VERSION: u32 = 21;
/// The oldest version the simulator accepts in a path (shared/graph-api.md §11.1).
pub const OLDEST_ACCEPTED_VERSION: u32 = 19;

/// Everything a simulator run can be told. `Default` is realistic; tests usually start from
/// [`SimConfig::instant`] and change a field or two.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port. Only loopback makes sense.
    pub bind: SocketAddr,
    /// Seeds every random choice (ids, tokens, jitter, error draws, faults), so runs repeat.
    pub seed: u64,
    /// How many Instagram accounts to seed, each behind its own Page of the one seeded user.
    pub accounts: usize,
    /// Round-trip latency added to every Graph answer.
    pub latency: Duration,
    /// How long an image container stays `IN_PROGRESS`.
    pub image_processing: Duration,
    /// How long a video (reel, story video, carousel video) container stays `IN_PROGRESS`.
    pub video_processing: Duration,
    /// Relative jitter on processing times: 0.5 draws uniformly within ±50 %.
    pub processing_jitter: f64,
    /// Share of containers (0–1) that end in `ERROR` instead of `FINISHED`.
    pub container_error_rate: f64,
    /// Fetch `image_url`/`video_url` and check the real bytes, as Meta's crawler does.
    /// `false` is `--no-fetch`, for load runs.
    pub fetch_media: bool,
    /// How long the crawler waits for a media server.
    pub fetch_timeout: Duration,
    /// Refuse to crawl anything but loopback hosts, so a run can never reach the internet.
    pub crawler_loopback_only: bool,
    /// Posts per account per moving 24 h window (shared/graph-api.md §2.8).
    pub quota_total: u32,
    /// Containers per account per rolling 24 h (shared/graph-api.md §2.2 "Limitations").
    pub container_cap: u32,
    /// Whether the seeded app requires `appsecret_proof` (shared/graph-api.md §5.4).
    pub require_appsecret_proof: bool,
    /// The login dialog redirects at once instead of showing the consent page.
    pub auto_approve_login: bool,
    /// Where webhook events go (shared/graph-api.md §8.2).
    pub webhook_callback_url: Option<String>,
    /// The version that answers unversioned paths, e.g. 25 for v25.0.
    pub default_version: u32,
    /// Call budgets behind `X-App-Usage` and `X-Business-Use-Case-Usage`.
    pub budgets: RateBudgets,
    /// How long a "hang" fault keeps a request open: longer than any sane client timeout.
    pub hang_duration: Duration,
    /// Faults in force from the start, keyed by endpoint name or `*` for every endpoint.
    pub faults: BTreeMap<String, FaultSpec>,
    /// Simulated now at start, Unix seconds; the real clock when `None`. A past start lets a
    /// test see Meta as it was then, e.g. v21 before `views` reached every version.
    pub clock_start_unix: Option<i64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: 42,
            accounts: 3,
            latency: Duration::ZERO,
            // graph-api.md §2.6: images finish within seconds, videos take 10 s to minutes.
            image_processing: Duration::from_secs(2),
            video_processing: Duration::from_secs(20),
            processing_jitter: 0.5,
            container_error_rate: 0.0,
            fetch_media: true,
            fetch_timeout: Duration::from_secs(5),
            crawler_loopback_only: true,
            quota_total: 100,
            container_cap: 400,
            require_appsecret_proof: false,
            auto_approve_login: false,
            webhook_callback_url: None,
            default_version: 25,
            budgets: RateBudgets::default(),
            hang_duration: Duration::from_secs(300),
            faults: BTreeMap::new(),
            clock_start_unix: None,
        }
    }
}

impl SimConfig {
    /// Realistic in every way except time: containers finish the moment they are created.
    pub fn instant() -> Self {
        Self {
            image_processing: Duration::ZERO,
            video_processing: Duration::ZERO,
            processing_jitter: 0.0,
            ..Self::default()
        }
    }

    /// Checks every field, naming the first one that breaks its rule.
    pub fn validate(&self) -> Result<(), SimError> {
        let rate = |field: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(SimError::InvalidConfig {
                    field,
                    rule: "must be a number from 0 to 1",
                })
            }
        };
        rate("processing_jitter", self.processing_jitter)?;
        rate("container_error_rate", self.container_error_rate)?;
        if !(OLDEST_ACCEPTED_VERSION..=NEWEST_VERSION).contains(&self.default_version) {
            return Err(SimError::InvalidConfig {
                field: "default_version",
                rule: "must be a version from 19 to 26",
            });
        }
        if self.quota_total == 0 {
            return Err(SimError::InvalidConfig {
                field: "quota_total",
                rule: "must be at least 1",
            });
        }
        if let Some(url) = &self.webhook_callback_url
            && url::Url::parse(url).is_err()
        {
            return Err(SimError::InvalidConfig {
                field: "webhook_callback_url",
                rule: "must be an absolute URL",
            });
        }
        for spec in self.faults.values() {
            spec.validate().map_err(|rule| SimError::InvalidConfig {
                field: "faults",
                rule,
            })?;
        }
        Ok(())
    }
}

/// Call budgets. `None` means unlimited; usage headers then read 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudgets {
    /// Calls per app per rolling hour; past it, code 4 (shared/graph-api.md §7).
    pub app_calls_per_hour: Option<u64>,
    /// Calls per Facebook user token per rolling hour; past it, code 17.
    pub user_calls_per_hour: Option<u64>,
    /// Calls per Page token per rolling hour; past it, code 32.
    pub page_calls_per_hour: Option<u64>,
    /// Calls per app and Instagram account per rolling 24 h; past it, code 80002.
    pub account_calls_per_day: Option<u64>,
}

impl Default for RateBudgets {
    /// Generous enough that a demo or a test suite never meets them by accident, small enough
    /// that the headers move.
    fn default() -> Self {
        Self {
            app_calls_per_hour: Some(200_000),
            user_calls_per_hour: Some(100_000),
            page_calls_per_hour: Some(100_000),
            // graph-api.md §7: 4800 × impressions per 24 h.
            account_calls_per_day: Some(4_800 * 50),
        }
    }
}

impl RateBudgets {
    /// No budget at all, for load runs.
    pub fn unlimited() -> Self {
        Self {
            app_calls_per_hour: None,
            user_calls_per_hour: None,
            page_calls_per_hour: None,
            account_calls_per_day: None,
        }
    }
}
