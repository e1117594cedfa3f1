//! Everything one running simulator shares between its requests.

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::counters::CounterStore;
use crate::faults::Faults;
use crate::ids::trace_id;
use crate::usage::Usage;
use crate::world::World;
use crate::world::seed::seed;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// The shared state of one simulator.
pub(crate) struct SimState {
    pub config: SimConfig,
    pub clock: SimClock,
    pub world: Mutex<World>,
    pub usage: Usage,
    pub faults: Faults,
    pub counters: CounterStore,
    /// The crawler's and the webhook sender's client.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:{port}/`: the Graph host, the dialog host and the upload host at once.
    pub base_url: Url,
    answers: AtomicU64,
}

impl SimState {
    /// A seeded world for `config`, served at `base_url`.
    pub fn new(config: SimConfig, base_url: Url, http: reqwest::Client) -> Self {
        let clock = match config.clock_start_unix {
            Some(start) => SimClock::starting_at(start.saturating_mul(1000)),
            None => SimClock::default(),
        };
        let mut world = World::new(config.seed);
        seed(
            &mut world,
            config.accounts,
            config.require_appsecret_proof,
            clock.now_ms(),
        );
        Self {
            usage: Usage::new(config.budgets),
            faults: Faults::new(config.seed, &config.faults),
            counters: CounterStore::default(),
            world: Mutex::new(world),
            clock,
            http,
            base_url,
            answers: AtomicU64::new(0),
            config,
        }
    }

    /// A fresh trace id for one answer.
    pub fn next_trace_id(&self) -> String {
        trace_id(self.answers.fetch_add(1, Ordering::Relaxed))
    }

    /// The URL of `path` (no leading slash) under version `version`.
    pub fn versioned_url(&self, version: u32, path: &str) -> Url {
        let joined = format!("v{version}.0/{path}");
        self.base_url
            .join(&joined)
            .unwrap_or_else(|_| self.base_url.clone())
    }
}
