//! The dispatcher: follows the queue and delivers events.
//!
//! **Announcing.** It reads the posts' timeline after a bookmark kept in the database, and
//! turns each arrival in `published`, `failed` or `held` into an event; it compares each
//! integration's status with the one last announced and turns a change to `needs_reconnect`
//! into an event. The publisher and the connect flow are not touched: the timeline they
//! already write is the source. Each event names its source (`post_event:<row>`), so reading
//! a row twice announces it once; the bookmark only passes rows older than a settling time, so
//! a row committed late (PostgreSQL numbers rows before they commit) is still seen.
//!
//! **Delivering.** Due deliveries are leased (several processes may dispatch), sent signed
//! ([`super::signature`]), and on failure tried again after an exponential backoff with
//! jitter, up to a bound; every attempt is logged for `GET /v1/webhooks/{id}/deliveries`.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use rand::Rng;

use super::events::{EventType, integration_event_body, new_event_id, post_event_body};
use super::sender::Sender;
use crate::metrics::{DeliveryOutcome, Metrics};
use crate::store::{
    AttemptNext, AttemptOutcome, IntegrationStatus, NewOutboundEvent, SharedStore, StoreError,
};

/// The bookmark of the posts' timeline.
const POST_EVENTS_CURSOR: &str = "post_events";

/// How the dispatcher paces itself.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// How often it looks for new events and due deliveries when idle.
    pub poll_interval: Duration,
    /// Timeline rows read per round.
    pub batch: u32,
    /// Deliveries sent at once.
    pub concurrency: usize,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each one.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// How long a leased delivery stays with this dispatcher.
    pub lease_for: Duration,
    /// Timeline rows younger than this are read again next round (they may have neighbours
    /// that commit late).
    pub settle_after: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            batch: 500,
            concurrency: 8,
            // 30 s, 1 min, 2 min … capped at 1 h: about 9 h of trying in all.
            max_attempts: 12,
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(60 * 60),
            timeout: Duration::from_secs(10),
            lease_for: Duration::from_secs(60),
            settle_after: Duration::from_secs(30),
        }
    }
}

impl DispatcherConfig {
    /// The wait before attempt `failures + 1`, after `failures` failed ones: doubling from
    /// `first_retry`, capped at `max_retry`, minus up to 20 % jitter so that many deliveries
    /// failing together do not retry together.
    pub fn backoff(&self, failures: u32, jitter: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let base = self
            .first_retry
            .saturating_mul(1u32 << exponent)
            .min(self.max_retry);
        base.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0))
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Events announced (new ones only).
    pub announced: usize,
    /// Delivery attempts made.
    pub attempts: usize,
}

/// Announces events and delivers them.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    store: SharedStore,
    sender: Sender,
    metrics: Arc<Metrics>,
    config: DispatcherConfig,
    owner: String,
}

impl Dispatcher {
    /// A dispatcher over `store`, sending with `sender`, recording into `metrics`.
    pub fn new(
        store: SharedStore,
        sender: Sender,
        metrics: Arc<Metrics>,
        config: DispatcherConfig,
    ) -> Self {
        Self {
            store,
            sender,
            metrics,
            config,
            owner: format!("dispatcher-{}", uuid::Uuid::now_v7().simple()),
        }
    }

    /// Announces what is new and makes every due delivery attempt once (the test hook).
    pub async fn run_once(&self) -> Result<RoundReport, StoreError> {
        let announced = self.announce_posts().await? + self.announce_integrations().await?;
        let attempts = self.deliver_due().await?;
        Ok(RoundReport {
            announced,
            attempts,
        })
    }

    /// Runs rounds until `shutdown` completes; a round in progress finishes first.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let busy = match self.run_once().await {
                Ok(report) => report.announced > 0 || report.attempts > 0,
                Err(error) => {
                    tracing::warn!(%error, "webhook dispatcher: round failed; trying again");
                    false
                }
            };
            let pause = if busy {
                Duration::ZERO
            } else {
                self.config.poll_interval
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn announce_posts(&self) -> Result<usize, StoreError> {
        let cursor = self.store.outbound_cursor(POST_EVENTS_CURSOR).await?;
        let rows = self
            .store
            .post_transitions_after(cursor, self.config.batch)
            .await?;
        let settled_before = self
            .store
            .now()
            .saturating_sub(signed(self.config.settle_after))
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut settled = cursor;
        let mut still_settled = true;
        let mut announced = 0;
        for row in rows {
            if still_settled && row.at < settled_before {
                settled = row.position;
            } else {
                still_settled = false;
            }
            let Some(event) = EventType::for_post_state(row.to) else {
                continue;
            };
            if row.from == Some(row.to) {
                continue;
            }
            let post = match self.store.get_post(row.tenant, row.post).await {
                Ok(post) => post,
                Err(StoreError::NotFound { .. }) => continue,
                Err(error) => return Err(error),
            };
            let id = new_event_id();
            let body = post_event_body(&id, event, row.at, &post);
            let recorded = self
                .store
                .record_event(NewOutboundEvent {
                    tenant: row.tenant,
                    event_type: event.as_str().to_owned(),
                    source: format!("post_event:{}", row.position),
                    id,
                    payload: body.to_string(),
                })
                .await?;
            if recorded {
                announced += 1;
                if event == EventType::PostPublished
                    && let Some(published) = post.published_at
                {
                    // Observed once, by the process that announced it.
                    let delay = published.duration_since(post.run_at);
                    self.metrics
                        .observe_publish_delay(Duration::try_from(delay).unwrap_or(Duration::ZERO));
                }
            }
        }
        if settled > cursor {
            self.store
                .advance_outbound_cursor(POST_EVENTS_CURSOR, settled)
                .await?;
        }
        Ok(announced)
    }

    async fn announce_integrations(&self) -> Result<usize, StoreError> {
        let mut announced = 0;
        for change in self.store.integration_changes(self.config.batch).await? {
            if change.status == IntegrationStatus::NeedsReconnect.as_str() {
                let integration = self
                    .store
                    .get_integration(change.tenant, change.integration)
                    .await?;
                let id = new_event_id();
                let body = integration_event_body(&id, change.updated_at, &integration);
                let recorded = self
                    .store
                    .record_event(NewOutboundEvent {
                        tenant: change.tenant,
                        event_type: EventType::IntegrationNeedsReconnect.as_str().to_owned(),
                        source: format!(
                            "integration:{}:{}",
                            change.integration,
                            change.updated_at.as_millisecond()
                        ),
                        id,
                        payload: body.to_string(),
                    })
                    .await?;
                announced += usize::from(recorded);
            }
            self.store
                .mark_integration_announced(change.integration, &change.status, change.updated_at)
                .await?;
        }
        Ok(announced)
    }

    async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.store.now();
        let until = now
            .saturating_add(signed(self.config.lease_for))
            .unwrap_or(now);
        let due = self
            .store
            .lease_due_deliveries(&self.owner, until, self.config.batch)
            .await?;
        let count = due.len();
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(due)
            .map(|delivery| async move {
                let at = self.store.now();
                let result = self.sender.send(&delivery, at.as_second()).await;
                let failures = delivery.attempts + 1;
                let (next, outcome) = if result.delivered() {
                    (AttemptNext::Delivered, DeliveryOutcome::Delivered)
                } else if failures >= self.config.max_attempts {
                    (AttemptNext::GiveUp, DeliveryOutcome::GaveUp)
                } else {
                    let wait = self.config.backoff(failures, rand::rng().random::<f64>());
                    let retry_at = at.saturating_add(signed(wait)).unwrap_or(at);
                    (AttemptNext::RetryAt(retry_at), DeliveryOutcome::Retry)
                };
                self.metrics
                    .record_webhook_delivery(&delivery.event_type, outcome);
                if let Some(error) = &result.error {
                    tracing::info!(delivery_id = %delivery.id, webhook_id = %delivery.webhook, attempt = failures, %error, "webhook delivery failed");
                }
                self.store
                    .finish_attempt(
                        delivery.id,
                        &self.owner,
                        AttemptOutcome {
                            at,
                            status: result.status,
                            error: result.error,
                            duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
                            next,
                        },
                    )
                    .await
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(count)
    }
}

fn signed(duration: Duration) -> SignedDuration {
    SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_retry_and_stops_at_the_cap() {
        let config = DispatcherConfig::default();
        assert_eq!(config.backoff(1, 0.0), Duration::from_secs(30));
        assert_eq!(config.backoff(2, 0.0), Duration::from_secs(60));
        assert_eq!(config.backoff(3, 0.0), Duration::from_secs(120));
        assert_eq!(config.backoff(20, 0.0), Duration::from_secs(3600));
        assert_eq!(config.backoff(u32::MAX, 0.0), Duration::from_secs(3600));
    }

    #[test]
    fn jitter_only_shortens_a_wait_and_by_at_most_a_fifth() {
        let config = DispatcherConfig::default();
        assert_eq!(config.backoff(1, 1.0), Duration::from_secs(24));
        assert_eq!(config.backoff(1, 5.0), Duration::from_secs(24));
        assert_eq!(config.backoff(1, -1.0), Duration::from_secs(30));
    }
}
