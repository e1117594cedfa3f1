//! Durable scheduled publishing: the post state machine, the worker loop, leasing, the quota
//! gate, rate-limit pauses and the reconciliation that keeps every post published exactly once
//! (shared/design.md "A post's journey" and "Rules that keep posts exactly once").
//!
//! - [`service::Posts`] is what the HTTP layer and the CLI call: create (idempotently),
//!   validate, list, read with the timeline, edit, cancel, publish now, retry, quota.
//! - [`Worker`] leases due posts in batches and works them; run as many as you like, on any
//!   number of machines (PostgreSQL) or one process (SQLite).

mod advice;
mod backoff;
mod coalesce;
mod containers;
mod graph_batches;
mod metrics;
mod pauses;
mod poller;
mod processing_times;
mod quota;
pub mod service;
mod step_writer;
mod steps;
mod worker;

pub use advice::{advice_for, failure_of};
pub use backoff::RetryPolicy;
pub use metrics::{MetricsSnapshot, WorkerMetrics};
pub use pauses::{PauseBook, UsagePolicy};
pub use processing_times::PollSchedule;
pub use quota::{QUOTA_WINDOW, QuotaSettings, next_slot};
pub use service::{Posts, PostsError};
pub use worker::{Worker, WorkerConfig, WorkerError};
