//! Reports from stored insights, for the API, the CLI and the dashboard, and the platform's
//! `getInsights(metrics, startDate, endDate, period)` as one library call.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::daily::{DailyValue, ReportError, Series};
use super::dates::{DateRange, InvalidDateRange, add_days};
use super::object::{InsightsObject, MediaKind, Surface};
use super::plan::MetricRequest;
use super::posts::{PostInfo, PostRow, PostTable, PostValue};
use super::pull::{InsightsContext, PullError, PullReport, pull_account};
use super::pull_values::{day_of_end_time, end_time_of_day, meta_today};
use super::registry::{Registry, UnknownMetric};
use super::render::{DailyReport, RenderError, post_table_csv};
use super::report_sets::{ACCOUNT_DAILY_COLUMNS, FEED_POST_COLUMNS, REEL_COLUMNS, STORY_COLUMNS};
use super::version::GraphVersion;
use super::vocabulary::Period;
use crate::store::{
    InsightsObjectKind, IntegrationId, MetricFailure, SharedStore, StoreError, TenantId,
};

/// Why a report or `get_insights` failed; each names the field and the rule.
#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    /// The store failed, or the integration or post does not exist for the tenant.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A metric is not valid for the object and version; the message lists the valid ones.
    #[error("metrics: {0}")]
    UnknownMetric(#[from] UnknownMetric),
    /// The range is backwards.
    #[error("since/until: {0}")]
    Range(#[from] InvalidDateRange),
    /// The report cannot be built (range too long, unknown column).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Pulling from Meta failed before any request.
    #[error(transparent)]
    Pull(#[from] PullError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The post has no media id yet (not published), so it has no insights.
    #[error("post {0} is not published yet, so it has no insights")]
    NotPublished(String),
}

/// A report column and the metric that serves it on the configured version today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnInfo {
    /// The column (series) name.
    pub column: String,
    /// The Graph metric a pull asks for today.
    pub served_by: String,
    /// Why the number comes from another metric, when it does.
    pub note: Option<String>,
}

/// The per-account report: the daily table with its totals and the summary against the
/// previous period, the series ready to draw, where every number came from, and the metrics
/// Meta refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountReport {
    /// The integration.
    pub integration_id: String,
    /// The Instagram account.
    pub ig_user_id: String,
    /// Its username.
    pub ig_username: String,
    /// The Graph version pulls use.
    pub version: GraphVersion,
    /// The columns and what serves each today.
    pub columns: Vec<ColumnInfo>,
    /// Table, totals and summary; `table.columns[].sources` says which metric served which
    /// days.
    #[serde(flatten)]
    pub report: DailyReport,
    /// One series per column, one point per day (`null` = no data).
    pub series: Vec<Series>,
    /// For each day, the columns whose number came from another metric (`views` →
    /// `impressions`).
    pub substitutions: BTreeMap<Date, BTreeMap<String, String>>,
    /// The account metrics whose last pull failed, with Meta's error.
    pub failures: Vec<MetricFailure>,
}

/// What an account report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReportRequest {
    /// The days.
    pub range: DateRange,
    /// The columns; the default daily set when empty.
    pub columns: Vec<String>,
    /// The period of the stored values to read (`day` for the daily table).
    pub period: Period,
}

/// Checks `names` against the registry for the account and returns them with their source,
/// or the first unknown metric with the list of valid ones.
pub fn account_columns(
    registry: &Registry,
    version: GraphVersion,
    today: Date,
    names: &[String],
) -> Result<Vec<ColumnInfo>, UnknownMetric> {
    let names: Vec<String> = if names.is_empty() {
        ACCOUNT_DAILY_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .collect()
    } else {
        names.to_vec()
    };
    names
        .into_iter()
        .map(|name| {
            let resolved = registry.resolve(InsightsObject::Account, version, &name, today)?;
            Ok(ColumnInfo {
                served_by: resolved.served_by.to_owned(),
                note: resolved.note(),
                column: name,
            })
        })
        .collect()
}

/// Builds the account report from stored values: no call to Meta.
pub async fn account_report(
    store: &SharedStore,
    registry: &Registry,
    version: GraphVersion,
    now: Timestamp,
    tenant: TenantId,
    integration: IntegrationId,
    request: &AccountReportRequest,
) -> Result<AccountReport, InsightsError> {
    let found = store.get_integration(tenant, integration).await?;
    let columns = account_columns(registry, version, meta_today(now), &request.columns)?;
    let names: Vec<&str> = columns.iter().map(|c| c.column.as_str()).collect();
    let values =
        stored_daily_values(store, tenant, integration, request.range, request.period).await?;
    let report = DailyReport::build(registry, &names, request.range, &values)?;
    let series = report.table.all_series();
    let substitutions = substitutions(registry, &report, &values);
    let failures = store
        .metric_failures(tenant, integration)
        .await?
        .into_iter()
        .filter(|f| f.object_kind == InsightsObjectKind::Account)
        .collect();
    Ok(AccountReport {
        integration_id: found.id.to_string(),
        ig_user_id: found.metadata.ig_user_id,
        ig_username: found.metadata.ig_username,
        version,
        columns,
        report,
        series,
        substitutions,
        failures,
    })
}

/// The stored daily totals of the range and of the previous period of equal length.
async fn stored_daily_values(
    store: &SharedStore,
    tenant: TenantId,
    integration: IntegrationId,
    range: DateRange,
    period: Period,
) -> Result<Vec<DailyValue>, InsightsError> {
    let first = range.previous().map_or(range.first(), |p| p.first());
    // Half a day of slack on both sides reads 07:00 and 08:00 UTC day ends alike; the table
    // drops what falls outside the range.
    let slack = SignedDuration::from_hours(12);
    let after = add_days(first, -1)
        .and_then(end_time_of_day)
        .and_then(|t| t.checked_sub(slack).ok())
        .unwrap_or(Timestamp::MIN);
    let until = end_time_of_day(range.last())
        .and_then(|t| t.checked_add(slack).ok())
        .unwrap_or(Timestamp::MAX);
    Ok(store
        .account_metrics(tenant, integration, after, until)
        .await?
        .into_iter()
        .filter(|stored| stored.row.period == period.as_str())
        .filter_map(|stored| {
            Some(DailyValue {
                date: day_of_end_time(stored.row.end_time)?,
                metric: stored.row.metric,
                value: stored.row.value,
                served_by: stored.row.served_by,
            })
        })
        .collect())
}

/// For each day, the cells whose value came from another metric than the column's own.
fn substitutions(
    registry: &Registry,
    report: &DailyReport,
    values: &[DailyValue],
) -> BTreeMap<Date, BTreeMap<String, String>> {
    let mut out: BTreeMap<Date, BTreeMap<String, String>> = BTreeMap::new();
    for row in &report.table.rows {
        for (column, cell) in report.table.columns.iter().zip(&row.values) {
            let Some(cell) = cell else { continue };
            let own = values.iter().any(|v| {
                v.date == row.date
                    && v.value == Some(*cell)
                    && v.served_by == column.name
                    && registry.series_name(Surface::Account, &v.metric) == column.name
            });
            if own {
                continue;
            }
            if let Some(other) = values.iter().find(|v| {
                v.date == row.date
                    && v.value == Some(*cell)
                    && registry.series_name(Surface::Account, &v.metric) == column.name
            }) {
                out.entry(row.date)
                    .or_default()
                    .insert(column.name.clone(), other.served_by.clone());
            }
        }
    }
    out
}

/// The account report as CSV: `date`, one column per metric (an empty cell is a day without
/// data, never 0), and `served_by`, naming the cells a retired or renamed metric filled
/// (`views=impressions`).
pub fn account_report_csv(report: &AccountReport) -> Result<String, RenderError> {
    let table = &report.report.table;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once("date")
        .chain(table.columns.iter().map(|c| c.name.as_str()))
        .chain(std::iter::once("served_by"));
    writer.write_record(header)?;
    for row in &table.rows {
        let served_by = report
            .substitutions
            .get(&row.date)
            .map(|cells| {
                cells
                    .iter()
                    .map(|(column, metric)| format!("{column}={metric}"))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .unwrap_or_default();
        let cells = std::iter::once(row.date.to_string())
            .chain(
                row.values
                    .iter()
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_default()),
            )
            .chain(std::iter::once(served_by));
        writer.write_record(cells)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| RenderError::Buffer(e.error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| RenderError::Buffer(e.to_string()))
}

/// The per-post report: each post's lifetime metrics, the top posts by one of them, and the
/// metrics Meta refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostReport {
    /// One row per post; `served_by` says where a number came from another metric.
    pub table: PostTable,
    /// The top posts, when asked for.
    pub top: Option<TopPosts>,
    /// Media metrics whose last pull failed, with Meta's error.
    pub failures: Vec<MetricFailure>,
}

/// The posts with the highest value of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopPosts {
    /// The metric ranked by.
    pub metric: String,
    /// The posts, highest first.
    pub rows: Vec<PostRow>,
}

/// What a post report covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostReportRequest {
    /// Only these media; all the integration's when `None`.
    pub media_ids: Option<Vec<String>>,
    /// The columns; the default lifetime columns of the kinds present when empty.
    pub columns: Vec<String>,
    /// Rank the posts by this column.
    pub top_by: Option<String>,
    /// How many top posts.
    pub limit: usize,
}

/// Builds the per-post report from stored values: no call to Meta.
pub async fn post_report(
    store: &SharedStore,
    registry: &Registry,
    tenant: TenantId,
    integration: IntegrationId,
    request: &PostReportRequest,
) -> Result<PostReport, InsightsError> {
    post_report_listing(store, registry, tenant, integration, request, Vec::new()).await
}

/// [`post_report`] that lists `known` posts even before any of their metrics is stored (the
/// publisher knows their kind, day and permalink).
pub async fn post_report_listing(
    store: &SharedStore,
    registry: &Registry,
    tenant: TenantId,
    integration: IntegrationId,
    request: &PostReportRequest,
    known: Vec<PostInfo>,
) -> Result<PostReport, InsightsError> {
    store.get_integration(tenant, integration).await?;
    let stored = store
        .media_metrics(tenant, integration, request.media_ids.as_deref())
        .await?;
    let mut posts: Vec<PostInfo> = known;
    let mut values = Vec::new();
    for item in stored {
        let row = item.row;
        if !posts.iter().any(|p| p.media_id == row.media_id)
            && let Ok(kind) = serde_json::from_value::<MediaKind>(row.media_kind.clone().into())
        {
            posts.push(PostInfo {
                media_id: row.media_id.clone(),
                kind,
                published_on: row.published_at.map(meta_today),
                permalink: None,
            });
        }
        if row.breakdown_key.is_empty() {
            values.push(PostValue {
                media_id: row.media_id,
                metric: row.metric,
                value: row.value,
                served_by: row.served_by,
            });
        }
    }
    let columns = if request.columns.is_empty() {
        default_post_columns(&posts)
    } else {
        request.columns.clone()
    };
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let table = PostTable::build(registry, &names, &posts, &values);
    let top = match &request.top_by {
        None => None,
        Some(metric) => Some(TopPosts {
            metric: metric.clone(),
            rows: table
                .top_by(metric, request.limit.max(1))?
                .into_iter()
                .cloned()
                .collect(),
        }),
    };
    let failures = store
        .metric_failures(tenant, integration)
        .await?
        .into_iter()
        .filter(|f| {
            f.object_kind == InsightsObjectKind::Media
                && request
                    .media_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&f.object_id))
        })
        .collect();
    Ok(PostReport {
        table,
        top,
        failures,
    })
}

fn default_post_columns(posts: &[PostInfo]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for post in posts {
        let set: &[&str] = match post.kind {
            MediaKind::Feed | MediaKind::CarouselAlbum => &FEED_POST_COLUMNS,
            MediaKind::Reels => &REEL_COLUMNS,
            MediaKind::Story => &STORY_COLUMNS,
            MediaKind::CarouselChild => &[],
        };
        for column in set {
            if !columns.iter().any(|c| c == column) {
                columns.push((*column).to_owned());
            }
        }
    }
    columns
}

/// The per-post report as CSV (`media_id,kind,published_on,permalink`, then the metrics).
pub fn post_report_csv(report: &PostReport) -> Result<String, RenderError> {
    post_table_csv(&report.table)
}

/// The platform's `getInsights(metrics, startDate, endDate, period)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetInsights {
    /// Metric names (retired names and aliases are served by their successors).
    pub metrics: Vec<String>,
    /// The first day.
    pub start: Date,
    /// The last day, included.
    pub end: Date,
    /// The period; each metric's preferred one when `None`.
    pub period: Option<Period>,
}

/// What `get_insights` answers: what the pull did, and the report over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InsightsAnswer {
    /// The pull that refreshed the range.
    pub pull: PullReport,
    /// The report.
    pub report: AccountReport,
}

/// The platform's `getInsights`: pulls the metrics over the range from Meta (storing them),
/// then reports them from the store.
pub async fn get_insights(
    ctx: &InsightsContext,
    tenant: TenantId,
    integration: IntegrationId,
    request: &GetInsights,
) -> Result<InsightsAnswer, InsightsError> {
    let range = DateRange::new(request.start, request.end)?;
    let found = ctx.store.get_integration(tenant, integration).await?;
    let version = ctx.version()?;
    account_columns(&ctx.registry, version, ctx.today(), &request.metrics)?;
    let asked: Vec<MetricRequest> = request
        .metrics
        .iter()
        .map(|name| {
            let metric = MetricRequest::new(name.clone());
            match request.period {
                Some(period) => metric.with_period(period),
                None => metric,
            }
        })
        .collect();
    let pull = pull_account(ctx, &found, range, &asked, None).await?;
    let report = account_report(
        &ctx.store,
        &ctx.registry,
        version,
        ctx.now(),
        tenant,
        integration,
        &AccountReportRequest {
            range,
            columns: request.metrics.clone(),
            period: request.period.unwrap_or(Period::Day),
        },
    )
    .await?;
    Ok(InsightsAnswer { pull, report })
}
