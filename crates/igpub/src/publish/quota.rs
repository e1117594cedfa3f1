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
    /// When only posts still being published fill the quota, look again this much later.
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
        store: &SharedStore,
        client: &AuthedClient,
        ig_user_id: &str,
        now: Timestamp,
    ) -> Result<QuotaDecision, QuotaError> {
        let since = now.checked_sub(QUOTA_WINDOW).unwrap_or(Timestamp::MIN);
        let (own, oldest) = store.published_since(ig_user_id, since).await?;
        let (mut used, mut total, fresh) = self.estimate(ig_user_id, own, now);
        let in_flight = self.in_flight(ig_user_id);
        if used + in_flight + 1 > total && !fresh {
            let lock = self.reading_lock(ig_user_id);
            let _reading = lock.lock().await;
            let (again_used, again_total, again_fresh) = self.estimate(ig_user_id, own, now);
            if again_fresh {
                (used, total) = (again_used, again_total);
            } else {
                // graph-api.md §2.8: read quota_total from the API, never assume it.
                let limit = client.publishing_limit(&IgUserId::new(ig_user_id)).await?;
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
            return Ok(QuotaDecision::WaitUntil(next_slot(oldest, now)));
        }
        let mut accounts = self.inner.accounts.lock();
        let account = accounts.entry(ig_user_id.to_owned()).or_default();
        if used + account.in_flight + 1 > total {
            let retry = SignedDuration::try_from(self.settings.in_flight_retry)
                .unwrap_or(SignedDuration::from_secs(5));
            return Ok(QuotaDecision::WaitUntil(
                now.checked_add(retry).unwrap_or(now),
            ));
        }
        account.in_flight += 1;
        Ok(QuotaDecision::Go(QuotaTicket {
            gate: Arc::clone(&self.inner),
            account: ig_user_id.to_owned(),
        }))
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
