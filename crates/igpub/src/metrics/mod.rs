//! The process's metrics, rendered for `GET /metrics` in the OpenMetrics text format that
//! Prometheus scrapes (through the maintained `prometheus-client` crate).
//!
//! Three kinds of figures live here:
//! - **read from the database at scrape time** (posts by state, queue lag, rate-limit pauses):
//!   they describe the shared queue, so every instance reports the same truth and nothing
//!   drifts when workers run in other processes;
//! - **observed by this process** (time from due to published, webhook deliveries): recorded
//!   by whichever process handled the event, so summing over instances counts each once;
//! - **Graph API calls by endpoint and result**, counted by [`GraphCallLayer`], a tracing layer
//!   over the events the Graph client already emits for every call, so the client needs no hook.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use igpub::metrics::Metrics;
//! use igpub::vault::{KeyRing, Vault};
//!
//! let store = igpub::store::connect("sqlite::memory:", Vault::new(KeyRing::from_setting(&KeyRing::generate_key())?)).await?;
//! let metrics = Metrics::new();
//! metrics.observe_publish_delay(std::time::Duration::from_millis(2_300));
//! let text = metrics.render(store.as_ref()).await?;
//! assert!(text.contains("igpub_posts{state=\"published\"} 0"));
//! assert!(text.contains("igpub_publish_delay_seconds_count 1"));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod graph_calls;
mod worker;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use graph_calls::{GraphCallLabels, GraphCallLayer, endpoint_label, graph_calls};
pub use worker::WorkerCounters;

use crate::store::{PostState, Store, StoreError};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A post state as a label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// A rate-limit pause's scope as a label: `app` or `account`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PauseLabels {
    scope: &'static str,
}

/// An outbound webhook delivery attempt as labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// The event type, e.g. `post.published`.
    pub event: String,
    /// `delivered`, `retry` (failed, will be tried again) or `gave_up`.
    pub outcome: &'static str,
}

/// How one outbound webhook delivery attempt ended, for [`Metrics::record_webhook_delivery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed and will be tried again later.
    Retry,
    /// It failed for the last time.
    GaveUp,
}

impl DeliveryOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::GaveUp => "gave_up",
        }
    }
}

/// Why the metrics could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The database could not be read.
    #[error("reading the queue for metrics: {0}")]
    Store(#[from] StoreError),
    /// The text encoder failed (it only fails when the writer does).
    #[error("encoding metrics: {0}")]
    Encode(#[from] std::fmt::Error),
}

/// Every metric of the process. Share it with `Arc`; recording is lock-free.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    posts: Family<StateLabels, Gauge>,
    queue_lag: Gauge<f64, AtomicU64>,
    pauses: Family<PauseLabels, Gauge>,
    publish_delay: Histogram,
    webhook_deliveries: Family<DeliveryLabels, Counter>,
    worker: WorkerCounters,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every igpub metric, including the process-wide Graph call counter.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let posts = Family::<StateLabels, Gauge>::default();
        registry.register(
            "igpub_posts",
            "Posts by state, read from the database at scrape time",
            posts.clone(),
        );
        let queue_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "igpub_queue_lag_seconds",
            "How long the post that has been due the longest has waited for a worker",
            queue_lag.clone(),
        );
        let pauses = Family::<PauseLabels, Gauge>::default();
        registry.register(
            "igpub_rate_limit_pauses",
            "Rate-limit pauses in force (graph-api.md section 7), for the whole app or per account",
            pauses.clone(),
        );
        // From 0.25 s to about 2.3 h: a lone image post takes seconds, a post waiting for
        // quota or a paused account can take hours.
        let publish_delay = Histogram::new(exponential_buckets(0.25, 2.0, 16));
        registry.register(
            "igpub_publish_delay_seconds",
            "Time from a post's due time to its publication, observed by the process that \
             saw the post published",
            publish_delay.clone(),
        );
        let webhook_deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "igpub_webhook_deliveries",
            "Outbound webhook delivery attempts by event and outcome",
            webhook_deliveries.clone(),
        );
        registry.register(
            "igpub_graph_calls",
            "Graph API calls by endpoint (ids replaced by {id}) and result, in this process",
            graph_calls().clone(),
        );
        let worker = WorkerCounters::default();
        registry.register_collector(Box::new(worker.clone()));
        Self {
            registry,
            worker,
            posts,
            queue_lag,
            pauses,
            publish_delay,
            webhook_deliveries,
        }
    }

    /// Exports the counters of the publishing worker this process runs.
    pub fn attach_worker(&self, worker: std::sync::Arc<crate::publish::WorkerMetrics>) {
        self.worker.attach(worker);
    }

    /// Records how long after its due time a post was published.
    pub fn observe_publish_delay(&self, delay: Duration) {
        self.publish_delay.observe(delay.as_secs_f64());
    }

    /// Records one outbound webhook delivery attempt.
    pub fn record_webhook_delivery(&self, event: &str, outcome: DeliveryOutcome) {
        self.webhook_deliveries
            .get_or_create(&DeliveryLabels {
                event: event.to_owned(),
                outcome: outcome.label(),
            })
            .inc();
    }

    /// Reads the queue's figures from `store` and renders every metric as OpenMetrics text.
    pub async fn render(&self, store: &dyn Store) -> Result<String, MetricsError> {
        self.refresh_from_store(store).await?;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    async fn refresh_from_store(&self, store: &dyn Store) -> Result<(), MetricsError> {
        let counts = store.count_posts_by_state().await?;
        for state in PostState::ALL {
            let count = counts
                .iter()
                .find(|(counted, _)| *counted == state)
                .map_or(0, |(_, count)| *count);
            self.posts
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        let now = store.now();
        let lag = match store.oldest_waiting_due_at().await? {
            Some(due) if due < now => now.duration_since(due).as_secs_f64(),
            _ => 0.0,
        };
        self.queue_lag.set(lag);
        let pauses = store.active_pauses().await?;
        let (app, accounts): (Vec<_>, Vec<_>) = pauses
            .iter()
            .filter(|pause| pause.until > now)
            .partition(|pause| pause.scope == "app");
        for (scope, count) in [("app", app.len()), ("account", accounts.len())] {
            self.pauses
                .get_or_create(&PauseLabels { scope })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        Ok(())
    }
}
