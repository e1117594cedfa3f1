//! The insights scheduler: a background task that pulls every active integration's account
//! metrics, recent posts and live stories at their intervals, and processes stored webhook
//! changes that nobody processed yet.
//!
//! Start it next to the HTTP server or the publishing worker with the same store and a Graph
//! client built like the worker's (so usage headers pause both):
//!
//! ```no_run
//! # async fn demo(store: igpub::store::SharedStore, settings: igpub::config::Settings) -> Result<(), Box<dyn std::error::Error>> {
//! use igpub::insights::{InsightsContext, schedule};
//!
//! let graph = igpub::startup::graph_client(&settings)?;
//! let ctx = InsightsContext::from_settings(store, graph, &settings);
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let task = tokio::spawn(schedule::run(ctx, async move {
//!     let _ = stopped.await;
//! }));
//! // … serve HTTP, run the worker …
//! let _ = stop.send(());
//! task.await?;
//! # Ok(()) }
//! ```
//!
//! Every process may run one: a pull is claimed in the store (`insights_pulls`) before it
//! runs, so with several processes each pull still runs once per interval.

use std::future::Future;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::pull::{
    InsightsContext, MediaSelection, PullError, PullOutcome, pull_account_daily, pull_recent_media,
};
use super::webhook_intake::process_pending;
use crate::store::{Integration, IntegrationStatus, PullKind, StoreError, TenantScope};

/// How often each pull runs (settings `insights.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    /// How often the scheduler looks for due pulls.
    pub tick: Duration,
    /// Account daily metrics (default every 6 h).
    pub account_every: Duration,
    /// Lifetime metrics of posts under 30 days old (default daily).
    pub media_every: Duration,
    /// Lifetime metrics of live stories (default every 4 h, so the last pull lands before the
    /// story's insights vanish at 24 h, graph-api.md §4.2).
    pub stories_every: Duration,
    /// Webhook changes processed per sweep.
    pub webhook_batch: u32,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(60),
            account_every: Duration::from_secs(6 * 60 * 60),
            media_every: Duration::from_secs(24 * 60 * 60),
            stories_every: Duration::from_secs(4 * 60 * 60),
            webhook_batch: 500,
        }
    }
}

/// One pull the scheduler ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledPull {
    /// The integration.
    pub integration_id: String,
    /// Which pull.
    pub kind: &'static str,
    /// How it ended, or why it could not run.
    pub result: Result<PullOutcome, String>,
    /// Rows written.
    pub rows_written: u64,
    /// Metrics that failed.
    pub failed_metrics: usize,
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TickReport {
    /// The pulls that were due and ran.
    pub pulls: Vec<ScheduledPull>,
    /// Webhook changes processed.
    pub webhook_changes: usize,
}

/// Runs the scheduler until `shutdown` completes; a pull in flight is finished first.
pub async fn run(ctx: InsightsContext, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        match run_due(&ctx).await {
            Ok(report) if !report.pulls.is_empty() || report.webhook_changes > 0 => {
                tracing::info!(
                    pulls = report.pulls.len(),
                    webhook_changes = report.webhook_changes,
                    "insights pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "insights pass failed; trying again next tick"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(ctx.settings.schedule.tick) => {}
        }
    }
}

/// One pass: runs every pull that is due now, then processes pending webhook changes.
pub async fn run_due(ctx: &InsightsContext) -> Result<TickReport, StoreError> {
    let mut report = TickReport::default();
    let integrations = ctx.store.list_integrations(TenantScope::AllTenants).await?;
    for integration in integrations
        .iter()
        .filter(|i| i.status == IntegrationStatus::Active)
    {
        for kind in [PullKind::Account, PullKind::Media, PullKind::Stories] {
            let now = ctx.now();
            let next = after(now, interval(ctx, kind));
            if !ctx
                .store
                .claim_pull(integration.id, kind, now, next)
                .await?
            {
                continue;
            }
            report.pulls.push(pull(ctx, integration, kind).await);
        }
    }
    report.webhook_changes = process_pending(
        &ctx.store,
        &ctx.registry,
        ctx.settings.schedule.webhook_batch,
    )
    .await?
    .processed;
    Ok(report)
}

fn interval(ctx: &InsightsContext, kind: PullKind) -> Duration {
    let schedule = &ctx.settings.schedule;
    match kind {
        PullKind::Account => schedule.account_every,
        PullKind::Media => schedule.media_every,
        PullKind::Stories => schedule.stories_every,
    }
}

fn after(now: Timestamp, wait: Duration) -> Timestamp {
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|wait| now.checked_add(wait).ok())
        .unwrap_or(Timestamp::MAX)
}

async fn pull(ctx: &InsightsContext, integration: &Integration, kind: PullKind) -> ScheduledPull {
    let result = match kind {
        PullKind::Account => match ctx.last_complete_days(ctx.settings.account_lookback_days) {
            Ok(range) => pull_account_daily(ctx, integration, range, None).await,
            Err(error) => Err(error),
        },
        PullKind::Media => pull_recent_media(ctx, integration, MediaSelection::Posts, None).await,
        PullKind::Stories => {
            pull_recent_media(ctx, integration, MediaSelection::Stories, None).await
        }
    };
    scheduled(integration, kind, result)
}

fn scheduled(
    integration: &Integration,
    kind: PullKind,
    result: Result<super::pull::PullReport, PullError>,
) -> ScheduledPull {
    match result {
        Ok(report) => ScheduledPull {
            integration_id: integration.id.to_string(),
            kind: kind.as_str(),
            rows_written: report.rows_written,
            failed_metrics: report.failures.len(),
            result: Ok(report.outcome),
        },
        Err(error) => {
            tracing::warn!(integration = %integration.id, %kind, %error, "scheduled insights pull failed");
            ScheduledPull {
                integration_id: integration.id.to_string(),
                kind: kind.as_str(),
                rows_written: 0,
                failed_metrics: 0,
                result: Err(error.to_string()),
            }
        }
    }
}
