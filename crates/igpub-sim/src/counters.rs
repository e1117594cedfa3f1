//! Ground truth about traffic: calls per endpoint and result, and HTTP round trips.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// What `GET /__sim/counters` answers. A batch sub-request and each id of a `?ids=` multi-get
/// count as one call each (shared/graph-api.md §7), but their HTTP request as one round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Every HTTP request to the Graph surface (control requests are not counted).
    pub round_trips: u64,
    /// Round trips by the endpoint of the HTTP request itself (`batch`, `ids.get`, …).
    pub round_trips_by_endpoint: BTreeMap<String, u64>,
    /// Calls by endpoint, then by result: `ok`, `<code>` or `<code>/<subcode>` for Meta errors,
    /// `fault:…` or `commit_then_fail:…` for injected faults.
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Counters {
    /// Calls to `endpoint` with `result`, 0 when there were none.
    pub fn calls_of(&self, endpoint: &str, result: &str) -> u64 {
        self.calls
            .get(endpoint)
            .and_then(|results| results.get(result))
            .copied()
            .unwrap_or(0)
    }

    /// Calls to `endpoint` whatever their result.
    pub fn total_calls_of(&self, endpoint: &str) -> u64 {
        self.calls
            .get(endpoint)
            .map(|results| results.values().sum())
            .unwrap_or(0)
    }
}

#[derive(Default)]
struct Inner {
    round_trips: u64,
    round_trips_by_endpoint: HashMap<&'static str, u64>,
    calls: HashMap<&'static str, HashMap<Cow<'static, str>, u64>>,
}

/// The live counters.
#[derive(Default)]
pub(crate) struct CounterStore {
    inner: Mutex<Inner>,
}

impl CounterStore {
    pub fn round_trip(&self, endpoint: &'static str) {
        let mut inner = self.inner.lock();
        inner.round_trips += 1;
        *inner.round_trips_by_endpoint.entry(endpoint).or_default() += 1;
    }

    pub fn call(&self, endpoint: &'static str, result: Cow<'static, str>) {
        let mut inner = self.inner.lock();
        *inner
            .calls
            .entry(endpoint)
            .or_default()
            .entry(result)
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> Counters {
        let inner = self.inner.lock();
        Counters {
            round_trips: inner.round_trips,
            round_trips_by_endpoint: inner
                .round_trips_by_endpoint
                .iter()
                .map(|(endpoint, n)| ((*endpoint).to_owned(), *n))
                .collect(),
            calls: inner
                .calls
                .iter()
                .map(|(endpoint, results)| {
                    let results = results
                        .iter()
                        .map(|(result, n)| (result.to_string(), *n))
                        .collect();
                    ((*endpoint).to_owned(), results)
                })
                .collect(),
        }
    }

    pub fn reset(&self) {
        *self.inner.lock() = Inner::default();
    }
}
