//! Pulls: fetch an integration's account and media insights from Meta and store them.
//!
//! A pull plans its calls with the [`Registry`] for the configured Graph version, sends them
//! (several per HTTP round trip through the batch endpoint, graph-api.md §9.1), and upserts
//! what Meta answers, so a pull run twice leaves the same rows. One failing metric never fails
//! the rest: a request that fails because of a metric is split into one request per metric,
//! and each metric's own error is recorded ([`crate::store::MetricFailure`]). Transient errors
//! are retried with backoff; a rate limit pauses the account (or the app) in the publisher's
//! `account_pauses`, which pulls honour too; a dead token marks the integration for reconnect.

use std::time::Duration;

use igpub_graph::{AccessToken, GraphClient};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::dates::{DateRange, InvalidDateRange, add_days};
use super::object::MediaKind;
use super::plan::{MetricRequest, PlanError, PlanNote};
use super::pull_errors::RetryPolicy;
use super::pull_run::{PullObject, Run, RunOutcome};
use super::pull_values::meta_today;
use super::registry::Registry;
use super::report_sets::ColumnSource;
use super::schedule::ScheduleSettings;
use super::version::{GraphVersion, InvalidGraphVersion};
use crate::config::{InsightsSettings, Settings};
use crate::store::{
    Integration, IntegrationStatus, MetricFailure, SharedClock, SharedStore, StoreError,
    SystemClock, TrackedMedia,
};

/// How pulls behave.
#[derive(Debug, Clone, PartialEq)]
pub struct PullSettings {
    /// How transient failures are retried.
    pub retry: RetryPolicy,
    /// Sub-requests per batch round trip (Meta takes at most 50, graph-api.md §9.1).
    pub batch_size: usize,
    /// Complete days a scheduled account pull fetches again, because Meta's data arrives up to
    /// 48 h late (graph-api.md §4.1 "Limitations").
    pub account_lookback_days: i64,
    /// Posts younger than this get their lifetime metrics pulled.
    pub media_max_age: Duration,
    /// Stories younger than this get theirs pulled: their insights vanish after 24 h
    /// (graph-api.md §4.2).
    pub story_max_age: Duration,
    /// When the scheduler runs each pull.
    pub schedule: ScheduleSettings,
}

impl Default for PullSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            batch_size: igpub_graph::MAX_BATCH_REQUESTS,
            account_lookback_days: 3,
            media_max_age: Duration::from_secs(30 * 24 * 60 * 60),
            story_max_age: Duration::from_secs(24 * 60 * 60),
            schedule: ScheduleSettings::default(),
        }
    }
}

impl PullSettings {
    /// The settings `insights.*` ask for.
    pub fn from_settings(settings: &InsightsSettings) -> Self {
        let minutes = |m: u64| Duration::from_secs(m.max(1).saturating_mul(60));
        Self {
            account_lookback_days: i64::from(settings.lookback_days.max(1)),
            schedule: ScheduleSettings {
                tick: Duration::from_secs(settings.tick_seconds.max(1)),
                account_every: minutes(settings.account_interval_minutes),
                media_every: minutes(settings.media_interval_minutes),
                stories_every: minutes(settings.stories_interval_minutes),
                ..ScheduleSettings::default()
            },
            ..Self::default()
        }
    }
}

/// What a pull needs: the store, the Graph client (its version decides the metrics), the
/// registry, a clock and the settings. Cheap to clone.
#[derive(Clone)]
pub struct InsightsContext {
    /// The database.
    pub store: SharedStore,
    /// The Graph client; share the one whose usage observer feeds the publisher's pauses.
    pub graph: GraphClient,
    /// The metric registry.
    pub registry: Registry,
    /// "Now", for today's date, pauses and story ages (a manual clock in tests).
    pub clock: SharedClock,
    /// How pulls behave.
    pub settings: PullSettings,
}

impl std::fmt::Debug for InsightsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsightsContext")
            .field("graph", &self.graph)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl InsightsContext {
    /// A context on the system clock with default settings.
    pub fn new(store: SharedStore, graph: GraphClient) -> Self {
        Self {
            store,
            graph,
            registry: Registry::standard(),
            clock: std::sync::Arc::new(SystemClock),
            settings: PullSettings::default(),
        }
    }

    /// A context for the service's settings (`insights.*`), on the system clock.
    pub fn from_settings(store: SharedStore, graph: GraphClient, settings: &Settings) -> Self {
        Self {
            settings: PullSettings::from_settings(&settings.insights),
            ..Self::new(store, graph)
        }
    }

    /// The Graph version calls are made with (settings `meta.api_version`, through the client).
    pub fn version(&self) -> Result<GraphVersion, PullError> {
        let configured = self.graph.api_version();
        if configured.is_empty() {
            // Unversioned calls get the app's default version (graph-api.md §1), which igpub
            // cannot know; the registry needs a version to pick metrics.
            return Err(PullError::UnversionedClient);
        }
        Ok(configured.parse()?)
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Today, as Meta's insights days count it (US-Pacific).
    pub fn today(&self) -> Date {
        meta_today(self.now())
    }

    /// The `days` complete days that end yesterday: today has not ended, so Meta has no
    /// final number for it.
    pub fn last_complete_days(&self, days: i64) -> Result<DateRange, PullError> {
        let today = self.today();
        let last = today.yesterday().map_err(|_| PullError::CalendarEdge)?;
        let first = add_days(today, -days.max(1)).ok_or(PullError::CalendarEdge)?;
        Ok(DateRange::new(first, last)?)
    }
}

/// Why a pull could not run at all (a metric's own failure is not one: it is recorded).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The metrics asked for cannot be planned (unknown metric, wrong period, …).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// `meta.api_version` is not a version the registry can read.
    #[error("meta.api_version: {0}")]
    Version(#[from] InvalidGraphVersion),
    /// The Graph client makes unversioned calls.
    #[error("meta.api_version must name a version (e.g. v25.0) for insights pulls")]
    UnversionedClient,
    /// The date range is backwards.
    #[error(transparent)]
    Range(#[from] InvalidDateRange),
    /// The range reaches past the calendar.
    #[error("the date range reaches past the calendar")]
    CalendarEdge,
    /// The integration cannot be pulled in its state.
    #[error("integration {integration} is {status}; reconnect it before pulling insights")]
    NotActive {
        /// The integration.
        integration: String,
        /// Its status.
        status: IntegrationStatus,
    },
}

/// How a pull ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PullOutcome {
    /// Every request was answered or its metrics' failures recorded.
    Completed,
    /// A rate limit (or the publisher's pause) stopped the pull; it resumes on its next run.
    Paused {
        /// The paused scope (`app` or `account:<ig user id>`).
        scope: String,
        /// Until when.
        until: Timestamp,
    },
    /// Meta refused the token; the integration is marked for reconnect.
    NeedsReconnect {
        /// Meta's message.
        message: String,
    },
}

/// Which metric served a name the pull asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedMetric {
    /// The name asked for (a report column).
    pub asked: String,
    /// The Graph metric requested.
    pub served_by: String,
}

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullReport {
    /// The integration pulled.
    pub integration_id: String,
    /// The Graph version used.
    pub version: GraphVersion,
    /// Sub-requests answered, retries and per-metric splits included.
    pub requests: usize,
    /// HTTP round trips (a batch is one).
    pub round_trips: usize,
    /// Rows written (inserted or updated).
    pub rows_written: u64,
    /// Which metric served each asked name, for every object pulled (deduplicated).
    pub served: Vec<ServedMetric>,
    /// Metrics that failed in this pull, with Meta's words.
    pub failures: Vec<MetricFailure>,
    /// What the planner changed or left out.
    pub notes: Vec<String>,
    /// How it ended.
    pub outcome: PullOutcome,
}

/// Progress of a pull, for a progress bar: requests finished out of those known so far (a
/// split adds requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullProgress {
    /// Requests finished.
    pub done: usize,
    /// Requests known so far.
    pub total: usize,
}

/// Called after every round trip.
pub type ProgressFn<'a> = &'a (dyn Fn(PullProgress) + Send + Sync);

fn no_progress(_: PullProgress) {}

/// Pulls `metrics` of the account over `range` (the platform's
/// `getInsights(metrics, startDate, endDate, period)`: the period goes in each
/// [`MetricRequest`]).
pub async fn pull_account(
    ctx: &InsightsContext,
    integration: &Integration,
    range: DateRange,
    metrics: &[MetricRequest],
    progress: Option<ProgressFn<'_>>,
) -> Result<PullReport, PullError> {
    ensure_active(integration)?;
    let version = ctx.version()?;
    let plan = ctx
        .registry
        .plan_account_pull(version, metrics, range, ctx.today())?;
    let notes = plan.notes.iter().map(PlanNote::to_string).collect();
    let object = PullObject::account(integration, plan.metrics);
    let run = Run::new(ctx, integration, client(ctx, integration).await?);
    let outcome = run
        .execute(
            vec![object],
            vec![plan.requests],
            progress.unwrap_or(&no_progress),
        )
        .await?;
    Ok(report(integration, version, outcome, notes))
}

/// Pulls the account's daily report columns (reach, views, …, follower_count) over `range`,
/// each served by the metric the version has.
pub async fn pull_account_daily(
    ctx: &InsightsContext,
    integration: &Integration,
    range: DateRange,
    progress: Option<ProgressFn<'_>>,
) -> Result<PullReport, PullError> {
    let version = ctx.version()?;
    let columns = ctx.registry.account_daily_columns(version, ctx.today());
    pull_account(
        ctx,
        integration,
        range,
        &ColumnSource::requests(&columns),
        progress,
    )
    .await
}

/// The days a backfill of `days` days covers: up to yesterday, at most the 2 years Meta keeps
/// (the planner clamps and says so).
pub fn backfill_range(ctx: &InsightsContext, days: u32) -> Result<DateRange, PullError> {
    ctx.last_complete_days(i64::from(days))
}

/// The kind of media a post of the publisher's `kind` is, for the registry.
pub fn media_kind_of_post(post_kind: &str) -> Option<MediaKind> {
    match post_kind {
        "image" => Some(MediaKind::Feed),
        "carousel" => Some(MediaKind::CarouselAlbum),
        "reel" => Some(MediaKind::Reels),
        "story" => Some(MediaKind::Story),
        _ => None,
    }
}

/// Pulls the lifetime metrics of the given media (the default columns of each kind).
pub async fn pull_media(
    ctx: &InsightsContext,
    integration: &Integration,
    media: &[TrackedMedia],
    progress: Option<ProgressFn<'_>>,
) -> Result<PullReport, PullError> {
    ensure_active(integration)?;
    let version = ctx.version()?;
    let today = ctx.today();
    let mut objects = Vec::new();
    let mut requests = Vec::new();
    let mut notes = Vec::new();
    for item in media {
        let Some(kind) = media_kind_of_post(&item.post_kind) else {
            notes.push(format!(
                "media {}: posts of kind {:?} have no insights igpub reports",
                item.media_id, item.post_kind
            ));
            continue;
        };
        let columns = ctx.registry.post_lifetime_columns(kind, version, today);
        let asked = ColumnSource::requests(&columns);
        if asked.is_empty() {
            continue;
        }
        let plan = ctx.registry.plan_media_pull(version, kind, &asked, today)?;
        notes.extend(
            plan.notes
                .iter()
                .map(|note| format!("media {}: {note}", item.media_id)),
        );
        objects.push(PullObject::media(item, kind, plan.metrics));
        requests.push(plan.requests);
    }
    let run = Run::new(ctx, integration, client(ctx, integration).await?);
    let outcome = run
        .execute(objects, requests, progress.unwrap_or(&no_progress))
        .await?;
    Ok(report(integration, version, outcome, notes))
}

/// Which media a scheduled media pull covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSelection {
    /// Feed posts, carousels and reels under `media_max_age`.
    Posts,
    /// Stories under `story_max_age`, before their insights vanish.
    Stories,
}

/// Pulls the lifetime metrics of the integration's recent posts or live stories, as the
/// publisher recorded them.
pub async fn pull_recent_media(
    ctx: &InsightsContext,
    integration: &Integration,
    selection: MediaSelection,
    progress: Option<ProgressFn<'_>>,
) -> Result<PullReport, PullError> {
    let max_age = match selection {
        MediaSelection::Posts => ctx.settings.media_max_age,
        MediaSelection::Stories => ctx.settings.story_max_age,
    };
    let since = SignedDuration::try_from(max_age)
        .ok()
        .and_then(|age| ctx.now().checked_sub(age).ok())
        .ok_or(PullError::CalendarEdge)?;
    let media: Vec<TrackedMedia> = ctx
        .store
        .tracked_media(integration.id, since)
        .await?
        .into_iter()
        .filter(|m| (m.post_kind == "story") == (selection == MediaSelection::Stories))
        .collect();
    pull_media(ctx, integration, &media, progress).await
}

fn ensure_active(integration: &Integration) -> Result<(), PullError> {
    match integration.status {
        IntegrationStatus::Active => Ok(()),
        status => Err(PullError::NotActive {
            integration: integration.id.to_string(),
            status,
        }),
    }
}

async fn client(
    ctx: &InsightsContext,
    integration: &Integration,
) -> Result<igpub_graph::AuthedClient, PullError> {
    let token = ctx
        .store
        .integration_token(integration.tenant_id, integration.id)
        .await?;
    Ok(ctx
        .graph
        .with_token(AccessToken::new(token.expose_secret().to_owned())))
}

fn report(
    integration: &Integration,
    version: GraphVersion,
    outcome: RunOutcome,
    notes: Vec<String>,
) -> PullReport {
    PullReport {
        integration_id: integration.id.to_string(),
        version,
        requests: outcome.requests,
        round_trips: outcome.round_trips,
        rows_written: outcome.rows_written,
        served: outcome.served,
        failures: outcome.failures,
        notes,
        outcome: outcome.outcome,
    }
}
