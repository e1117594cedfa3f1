//! The publishing worker's own counters (posts leased, published, failed, held, publish calls,
//! rate-limit pauses, retries, …) as `igpub_worker_<name>_total`, read at scrape time from the
//! worker this process runs. A process without a worker (`igpub serve --no-worker`) shows none.

use std::sync::{Arc, OnceLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use crate::publish::WorkerMetrics;

/// Reads the attached worker's counters on every scrape.
#[derive(Debug, Clone, Default)]
pub struct WorkerCounters {
    worker: Arc<OnceLock<Arc<WorkerMetrics>>>,
}

impl WorkerCounters {
    /// Reports `worker`'s counters from now on (the first attached worker wins).
    pub fn attach(&self, worker: Arc<WorkerMetrics>) {
        let _first = self.worker.set(worker);
    }
}

impl Collector for WorkerCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(worker) = self.worker.get() else {
            return Ok(());
        };
        // The snapshot is a flat struct of named counters; its field names become metric names,
        // so a counter the worker adds later is exported without a change here.
        let snapshot = serde_json::to_value(worker.snapshot()).unwrap_or_default();
        for (name, value) in snapshot.as_object().into_iter().flatten() {
            let Some(value) = value.as_u64() else {
                continue;
            };
            let counter = ConstCounter::new(value);
            let metric_name = format!("igpub_worker_{name}");
            let metric = encoder.encode_descriptor(
                &metric_name,
                &format!("The publishing worker's `{name}` counter"),
                None,
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}
