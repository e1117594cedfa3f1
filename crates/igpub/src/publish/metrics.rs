//! Counters of the publishing worker, for `/metrics` (plain atomics, read with [`WorkerMetrics::snapshot`]).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Live counters; cheap to bump from any task.
        #[derive(Debug, Default)]
        pub struct WorkerMetrics {
            $($(#[$doc])* pub $name: AtomicU64,)*
        }

        /// A copy of the counters at one moment.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        pub struct MetricsSnapshot {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl WorkerMetrics {
            /// Reads every counter.
            pub fn snapshot(&self) -> MetricsSnapshot {
                MetricsSnapshot {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counters! {
    /// Posts leased.
    leased,
    /// Posts published (including those settled by reconciliation).
    published,
    /// Posts that failed for good.
    failed,
    /// Posts held until their integration is reconnected.
    held,
    /// `media_publish` calls sent.
    publish_calls,
    /// Ambiguous `media_publish` answers (the post went to verifying).
    ambiguous_publishes,
    /// Verifications that found the media among the recent media.
    reconciled_found,
    /// Verifications settled as published without a media id.
    reconciled_unknown,
    /// Containers created.
    containers_created,
    /// Times new containers were made after ERROR or EXPIRED.
    container_rounds,
    /// Posts parked for the publishing quota.
    quota_waits,
    /// Rate-limit pauses recorded.
    rate_limit_pauses,
    /// Transient failures retried.
    retries,
    /// Steps dropped because the lease was lost.
    leases_lost,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
