//! Fault injection per endpoint: latency, 5xx, transient codes, hangs and commit-then-fail.

use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The faults for one endpoint (or `*`). Rates are shares of calls, 0–1, and together at most 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSpec {
    /// Extra round-trip latency for every call.
    pub latency_ms: u64,
    /// Share of calls answered HTTP 500 with code 2, `is_transient: true`, without doing anything.
    pub error_5xx_rate: f64,
    /// Share of calls answered code 1 or 2 (HTTP 400), `is_transient: true`, without doing anything.
    pub transient_rate: f64,
    /// Share of calls that hang past any client timeout without doing anything.
    pub hang_rate: f64,
    /// Share of calls that take effect but whose caller gets a failure instead of the answer.
    pub commit_then_fail_rate: f64,
    /// What the caller gets after a commit-then-fail.
    pub commit_then_fail: CommitThenFail,
}

/// What a caller sees when its call took effect anyway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitThenFail {
    /// HTTP 500, code 2, `is_transient: true`.
    #[default]
    Error,
    /// The connection closes without any answer.
    Drop,
    /// No answer until long after the client has given up; then the connection closes.
    Hang,
    /// HTTP 403, 4/2207051 "action is blocked", which Meta sends for posts that did go out
    /// (shared/graph-api.md §6.3).
    SpamBlock,
}

impl FaultSpec {
    /// Checks the rates, naming the broken rule.
    pub fn validate(&self) -> Result<(), &'static str> {
        let rates = [
            self.error_5xx_rate,
            self.transient_rate,
            self.hang_rate,
            self.commit_then_fail_rate,
        ];
        if rates.iter().any(|rate| !(0.0..=1.0).contains(rate)) {
            return Err("every fault rate must be a number from 0 to 1");
        }
        if rates.iter().sum::<f64>() > 1.0 + f64::EPSILON {
            return Err("fault rates must add up to at most 1");
        }
        Ok(())
    }
}

/// What happens to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer normally.
    None,
    /// HTTP 500, code 2, nothing done.
    Error5xx,
    /// Code 1 or 2 with `is_transient`, nothing done.
    Transient(i64),
    /// Never answer, nothing done.
    Hang,
    /// Do it, then fail this way.
    CommitThenFail(CommitThenFail),
}

/// A call's fault plan: added latency, then the fault.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultPlan {
    pub latency: Duration,
    pub fault: Fault,
}

/// Fault specs in force plus the seeded generator that draws them, so runs repeat.
pub(crate) struct Faults {
    specs: RwLock<HashMap<String, FaultSpec>>,
    // A quick check that keeps the fault-free hot path off both locks.
    any: AtomicBool,
    rng: Mutex<StdRng>,
}

/// The key that applies to every endpoint.
pub const ALL_ENDPOINTS: &str = "*";

impl Faults {
    pub fn new(seed: u64, initial: &BTreeMap<String, FaultSpec>) -> Self {
        let faults = Self {
            specs: RwLock::new(HashMap::new()),
            any: AtomicBool::new(false),
            // A different stream from ids and processing, so faults do not shift ids.
            rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x0FA1_7FA1_7FA1_7FA1)),
        };
        for (endpoint, spec) in initial {
            faults.set(endpoint, spec.clone());
        }
        faults
    }

    /// Sets (or, with an all-default spec, clears) the faults of one endpoint.
    pub fn set(&self, endpoint: &str, spec: FaultSpec) {
        let mut specs = self.specs.write();
        if spec == FaultSpec::default() {
            specs.remove(endpoint);
        } else {
            specs.insert(endpoint.to_owned(), spec);
        }
        self.any.store(!specs.is_empty(), Ordering::Release);
    }

    /// Clears every fault.
    pub fn clear(&self) {
        self.specs.write().clear();
        self.any.store(false, Ordering::Release);
    }

    /// The faults in force.
    pub fn snapshot(&self) -> BTreeMap<String, FaultSpec> {
        self.specs
            .read()
            .iter()
            .map(|(endpoint, spec)| (endpoint.clone(), spec.clone()))
            .collect()
    }

    /// Draws the fault for one call to `endpoint`. The endpoint's own spec wins over `*`.
    pub fn plan(&self, endpoint: &str) -> FaultPlan {
        let none = FaultPlan {
            latency: Duration::ZERO,
            fault: Fault::None,
        };
        if !self.any.load(Ordering::Acquire) {
            return none;
        }
        let spec = {
            let specs = self.specs.read();
            match specs.get(endpoint).or_else(|| specs.get(ALL_ENDPOINTS)) {
                Some(spec) => spec.clone(),
                None => return none,
            }
        };
        let (draw, transient_code) = {
            let mut rng = self.rng.lock();
            (
                rng.random::<f64>(),
                if rng.random::<bool>() { 1 } else { 2 },
            )
        };
        // Consecutive bands of [0, 1): the draw falls in at most one.
        let bands = [
            (spec.hang_rate, Fault::Hang),
            (spec.error_5xx_rate, Fault::Error5xx),
            (spec.transient_rate, Fault::Transient(transient_code)),
            (
                spec.commit_then_fail_rate,
                Fault::CommitThenFail(spec.commit_then_fail),
            ),
        ];
        let mut upper = 0.0;
        let mut fault = Fault::None;
        for (rate, candidate) in bands {
            upper += rate;
            if draw < upper {
                fault = candidate;
                break;
            }
        }
        FaultPlan {
            latency: Duration::from_millis(spec.latency_ms),
            fault,
        }
    }
}

impl Fault {
    /// The counter key of a call that met this fault, if it changed the answer.
    pub fn counter_key(self) -> Option<&'static str> {
        match self {
            Fault::None => None,
            Fault::Error5xx => Some("fault:5xx"),
            Fault::Transient(_) => Some("fault:transient"),
            Fault::Hang => Some("fault:hang"),
            Fault::CommitThenFail(CommitThenFail::Error) => Some("commit_then_fail:error"),
            Fault::CommitThenFail(CommitThenFail::Drop) => Some("commit_then_fail:drop"),
            Fault::CommitThenFail(CommitThenFail::Hang) => Some("commit_then_fail:hang"),
            Fault::CommitThenFail(CommitThenFail::SpamBlock) => Some("commit_then_fail:spam_block"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_above_one_in_total_are_refused() {
        let spec = FaultSpec {
            error_5xx_rate: 0.6,
            hang_rate: 0.6,
            ..FaultSpec::default()
        };
        assert_eq!(spec.validate(), Err("fault rates must add up to at most 1"));
    }

    #[test]
    fn an_endpoint_spec_wins_over_the_wildcard() {
        let faults = Faults::new(1, &BTreeMap::new());
        faults.set(
            ALL_ENDPOINTS,
            FaultSpec {
                error_5xx_rate: 1.0,
                ..FaultSpec::default()
            },
        );
        faults.set(
            "media.publish",
            FaultSpec {
                hang_rate: 1.0,
                ..FaultSpec::default()
            },
        );
        assert_eq!(faults.plan("media.publish").fault, Fault::Hang);
        assert_eq!(faults.plan("media.create").fault, Fault::Error5xx);
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let spec = FaultSpec {
            transient_rate: 0.5,
            ..FaultSpec::default()
        };
        let draws = |seed| {
            let faults = Faults::new(seed, &BTreeMap::from([("x".to_owned(), spec.clone())]));
            (0..32).map(|_| faults.plan("x").fault).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert!(draws(7).contains(&Fault::None));
    }
}
