//! The quota gate: may this account publish one more post now? (graph-api.md §2.8)
//!
//! It costs no Graph call on the hot path: Meta's `content_publishing_limit` is read only when
//! the cached view (or, before the first read, the lowest quota Meta ever had) says the account
//! is near its limit, or when the cache is old. Between reads our own publish log (the store)
//! counts what we published; Meta's `quota_usage` adds what other tools published.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use igpub_graph::{AuthedClient, GraphError, IgUserId, PublishingLimit};
use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;

use super::coalesce::Coalescer;
use crate::store::{SharedStore, StoreError};

/// The publishing window (graph-api.md §2.8: a moving 24 h).
pub const QUOTA_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// How the gate decides.
#[derive(Debug, Clone)]
pub struct QuotaSettings {
    /// Assumed quota before Meta was asked: the lowest it has been (25, graph-api.md §2.8).
    pub assumed_total: u32,
    /// A cached read older than this is read again when it matters.
    pub refresh_after: Duration,
    /// When only posts still being published fill the quota, wait this long for them to
    /// settle, then (if they still fill it) look again this much later.
    pub in_flight_retry: Duration,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        Self {
            assumed_total: 25,
            refresh_after: Duration::from_secs(10 * 60),
            in_flight_retry: Duration::from_secs(5),
        }
    }
}

/// The gate's answer.
#[derive(Debug)]
pub enum QuotaDecision {
    /// Publish; drop the ticket once the publish is settled.
    Go(QuotaTicket),
    /// Wait for this free slot.
    WaitUntil(Timestamp),
}

/// One look at the account's quota.
enum Decision {
    /// The answer.
    Final(QuotaDecision),
    /// Full only if the publishes in flight count: look again when one settles.
    InFlightMayFill,
}

/// Holds a slot while a publish is in flight.
#[derive(Debug)]
pub struct QuotaTicket {
    gate: Arc<GateInner>,
    account: String,
}

impl Drop for QuotaTicket {
    fn drop(&mut self) {
        if let Some(account) = self.gate.accounts.lock().get_mut(&self.account) {
            account.in_flight = account.in_flight.saturating_sub(1);
        }
        self.gate.settled.notify_waiters();
    }
}

#[derive(Debug, Default)]
struct AccountQuota {
    /// Meta's answer, when it was read, and our own count at that moment.
    read: Option<(PublishingLimit, Timestamp, u32)>,
    in_flight: u32,
}

#[derive(Debug, Default)]
struct GateInner {
    accounts: Mutex<HashMap<String, AccountQuota>>,
    /// One Meta read per account at a time.
    reading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Pinged whenever a ticket is given back (its publish settled).
    settled: tokio::sync::Notify,
}

/// Why the gate could not decide.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    /// The publish log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Meta's quota could not be read.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The gate, shared by a worker's tasks.
#[derive(Debug, Clone, Default)]
pub struct QuotaGate {
    inner: Arc<GateInner>,
    settings: QuotaSettings,
}

impl QuotaGate {
    /// A gate with these settings.
    pub fn new(settings: QuotaSettings) -> Self {
        Self {
            inner: Arc::default(),
            settings,
        }
    }

    /// Forgets Meta's answer for the account (after Meta said 9/2207042).
    pub fn invalidate(&self, ig_user_id: &str) {
        if let Some(account) = self.inner.accounts.lock().get_mut(ig_user_id) {
            account.read = None;
        }
    }

    /// Decides for one more post of `ig_user_id`.
    pub async fn check(
        &self,
        log: &PublishLog,
        client: &AuthedClient,
        ig_user_id: &str,
        now: Timestamp,
    ) -> Result<QuotaDecision, QuotaError> {
        let give_up_at = tokio::time::Instant::now() + self.settings.in_flight_retry;
        loop {
            // Registered before the log is read, so a publish settling meanwhile is not missed.
            let settled = self.inner.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.decide(log, client, ig_user_id, now).await? {
                Decision::InFlightMayFill if tokio::time::Instant::now() < give_up_at => {
                    // A publish in flight is either saved in the log by now (and counted both
                    // there and in flight) or not yet: once it settles the count is exact.
                    let _ = tokio::time::timeout_at(give_up_at, settled).await;
                }
                Decision::InFlightMayFill => {
                    let retry = SignedDuration::try_from(self.settings.in_flight_retry)
                        .unwrap_or(SignedDuration::from_secs(5));
                    return Ok(QuotaDecision::WaitUntil(
                        now.checked_add(retry).unwrap_or(now),
                    ));
                }
                Decision::Final(decision) => return Ok(decision),
            }
        }
    }

    async fn decide(
        &self,
        log: &PublishLog,
        client: &AuthedClient,
        ig_user_id: &str,
        now: Timestamp,
    ) -> Result<Decision, QuotaError> {
        let since = now.checked_sub(QUOTA_WINDOW).unwrap_or(Timestamp::MIN);
        let (own, oldest) = log.published_since(ig_user_id, since).await?;
        let (mut used, mut total, fresh) = self.estimate(ig_user_id, own, now);
        let in_flight = self.in_flight(ig_user_id);
        if used + in_flight + 1 > total && !fresh {
            if in_flight > 0 {
                // Meta's count matches our log only while none of our publishes is on its
                // way (one may be counted by Meta and not yet saved, or the reverse).
                return Ok(Decision::InFlightMayFill);
            }
            let lock = self.reading_lock(ig_user_id);
            let _reading = lock.lock().await;
            let (again_used, again_total, again_fresh) = self.estimate(ig_user_id, own, now);
            if again_fresh {
                (used, total) = (again_used, again_total);
            } else {
                // graph-api.md §2.8: read quota_total from the API, never assume it.
                let limit = client.publishing_limit(&IgUserId::new(ig_user_id)).await?;
                // Our count as of Meta's answer, so that what we publish from now on is what
                // the log adds to Meta's count (an older count would add some twice).
                let (own, _) = log.published_since(ig_user_id, since).await?;
                used = limit.quota_usage.max(own);
                total = limit
                    .config
                    .as_ref()
                    .map(|config| config.quota_total)
                    .unwrap_or(self.settings.assumed_total);
                self.inner
                    .accounts
                    .lock()
                    .entry(ig_user_id.to_owned())
                    .or_default()
                    .read = Some((limit, now, own));
            }
        }
        if used + 1 > total {
            return Ok(Decision::Final(QuotaDecision::WaitUntil(next_slot(
                oldest, now,
            ))));
        }
        let mut accounts = self.inner.accounts.lock();
        let account = accounts.entry(ig_user_id.to_owned()).or_default();
        if used + account.in_flight + 1 > total {
            return Ok(Decision::InFlightMayFill);
        }
        account.in_flight += 1;
        Ok(Decision::Final(QuotaDecision::Go(QuotaTicket {
            gate: Arc::clone(&self.inner),
            account: ig_user_id.to_owned(),
        })))
    }

    /// (posts used in the window, quota, whether that comes from a fresh read of Meta).
    fn estimate(&self, ig_user_id: &str, own: u32, now: Timestamp) -> (u32, u32, bool) {
        let accounts = self.inner.accounts.lock();
        let read = accounts.get(ig_user_id).and_then(|a| a.read.as_ref());
        match read {
            Some((limit, read_at, own_then)) => {
                let age = now.duration_since(*read_at);
                let fresh =
                    age < SignedDuration::try_from(self.settings.refresh_after).unwrap_or_default();
                let used = limit.quota_usage + own.saturating_sub(*own_then);
                let total = limit
                    .config
                    .as_ref()
                    .map(|config| config.quota_total)
                    .unwrap_or(self.settings.assumed_total);
                (used.max(own), total, fresh)
            }
            None => (own, self.settings.assumed_total, false),
        }
    }

    fn in_flight(&self, ig_user_id: &str) -> u32 {
        self.inner
            .accounts
            .lock()
            .get(ig_user_id)
            .map(|a| a.in_flight)
            .unwrap_or(0)
    }

    fn reading_lock(&self, ig_user_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(
            self.inner
                .reading
                .lock()
                .entry(ig_user_id.to_owned())
                .or_default(),
        )
    }
}

/// Accounts whose publish counts are read together, at most.
const MAX_ACCOUNTS_PER_READ: usize = 256;

/// What one account published in the window, and its oldest publish then.
type Published = (u32, Option<Timestamp>);

/// Our publish log (the store), as the gate reads it: the reads of posts that reach the gate
/// together share one query.
#[derive(Debug, Clone)]
pub(crate) struct PublishLog {
    reads: Coalescer<(String, Timestamp), Result<Published, StoreError>>,
}

impl PublishLog {
    /// Starts the task that reads `store` for the gate.
    pub(crate) fn spawn(store: SharedStore) -> Self {
        let reads = Coalescer::spawn(MAX_ACCOUNTS_PER_READ, move |requests| {
            let store = SharedStore::clone(&store);
            async move { read_together(&store, requests).await }
        });
        Self { reads }
    }

    /// Posts published to the account since `since`, and the oldest of them.
    pub(crate) async fn published_since(
        &self,
        ig_user_id: &str,
        since: Timestamp,
    ) -> Result<Published, StoreError> {
        self.reads
            .call((ig_user_id.to_owned(), since))
            .await
            .unwrap_or_else(|| Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }
}

/// One query for a batch of reads. The requests' windows differ by the moments between their
/// arrivals; the batch uses the latest, which is the window as of the query: the answer each
/// would have had from a query of its own run now.
async fn read_together(
    store: &SharedStore,
    requests: Vec<(String, Timestamp)>,
) -> Vec<Result<Published, StoreError>> {
    if let [(account, since)] = requests.as_slice() {
        return vec![store.published_since(account, *since).await];
    }
    let since = requests
        .iter()
        .map(|(_, since)| *since)
        .max()
        .unwrap_or(Timestamp::MIN);
    let mut accounts: Vec<String> = requests
        .iter()
        .map(|(account, _)| account.clone())
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    match store.published_since_by_account(&accounts, since).await {
        Ok(counts) => requests
            .iter()
            .map(|(account, _)| Ok(counts.get(account).copied().unwrap_or((0, None))))
            .collect(),
        Err(error) => {
            tracing::warn!(%error, accounts = accounts.len(), "cannot read publish counts together; reading them one by one");
            let mut results = Vec::with_capacity(requests.len());
            for (account, since) in &requests {
                results.push(store.published_since(account, *since).await);
            }
            results
        }
    }
}

/// The next free slot: when the oldest publish in the window ages out. Publishes by other tools
/// are not in our log; without one of ours, look again in an hour.
pub fn next_slot(oldest_own: Option<Timestamp>, now: Timestamp) -> Timestamp {
    let fallback = now
        .checked_add(SignedDuration::from_hours(1))
        .unwrap_or(now);
    match oldest_own.and_then(|oldest| oldest.checked_add(QUOTA_WINDOW).ok()) {
        Some(slot) if slot > now => slot,
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_slot_is_a_day_after_the_oldest_publish() {
        let now: Timestamp = "2026-11-29T12:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let oldest: Timestamp = "2026-11-29T01:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(
            next_slot(Some(oldest), now).to_string(),
            "2026-11-30T01:00:00Z"
        );
        assert_eq!(next_slot(None, now).to_string(), "2026-11-29T13:00:00Z");
    }
}
