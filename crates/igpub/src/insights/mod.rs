//! Insights: the version-aware metric registry, request planning, reports and Meta's
//! webhooks. The registry, the planner, the report maths and [`webhook`] are pure: no I/O,
//! cheap to call, `today` passed in. The pulls, the reports read from the store, the scheduler
//! and the webhook intake build on them.
//!
//! ```
//! use igpub::insights::{DateRange, GraphVersion, InsightsObject, MetricRequest, Registry};
//! use jiff::civil::date;
//!
//! let registry = Registry::standard();
//! let today = date(2026, 11, 29);
//!
//! // `impressions` became `views` in v22 (graph-api.md §1); the registry follows the rename.
//! let resolved = registry.resolve(InsightsObject::Account, GraphVersion::V25, "impressions", today)?;
//! assert_eq!(resolved.served_by, "views");
//!
//! // The calls that fetch a week of the account's reach and likes.
//! let week = DateRange::new(date(2026, 11, 22), date(2026, 11, 28))?;
//! let plan = registry.plan_account_pull(
//!     GraphVersion::V25,
//!     &[MetricRequest::new("reach"), MetricRequest::new("likes")],
//!     week,
//!     today,
//! )?;
//! // One 7-day time series for reach, then one total_value call per day for likes.
//! assert_eq!(plan.requests.len(), 8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Map of the module: [`Registry`] with its data table (`registry_data.rs`) resolves names;
//! [`Registry::plan_account_pull`], [`Registry::plan_media_pull`] and [`fallback_split`] plan
//! the Graph calls; [`DailyTable`], [`Summary`], [`PostTable`] and [`DailyReport`] do the
//! report maths, rendered by [`daily_table_csv`] and friends; [`webhook`] holds the pure parts
//! of Meta's webhooks.
//!
//! With I/O: [`pull_account`], [`pull_account_daily`] and [`pull_media`] fetch from Meta and
//! upsert into the store (batched, one failing metric isolated and its error recorded, the
//! publisher's pauses honoured); [`account_report`] and [`post_report`] read the store;
//! [`get_insights`] is the platform's `getInsights(metrics, startDate, endDate, period)`;
//! [`schedule::run`] runs the pulls on their intervals; [`receive_delivery`] and
//! [`process_pending`] take Meta's webhook deliveries.

mod aggregate;
mod daily;
mod dates;
mod definition;
mod object;
mod plan;
mod posts;
mod pull;
mod pull_errors;
mod pull_pause;
mod pull_run;
mod pull_values;
mod query;
mod registry;
mod registry_data;
mod render;
mod report_sets;
pub mod schedule;
mod summary;
mod version;
mod vocabulary;
pub mod webhook;
mod webhook_intake;

pub use aggregate::{Aggregation, Figure, PeriodFigure};
pub use daily::{
    Column, ColumnTotal, DailyRow, DailyTable, DailyValue, MAX_REPORT_DAYS, ReportError, Series,
    SourceSpan,
};
pub use dates::{DateRange, InvalidDateRange};
pub use definition::{BreakdownValue, HistoryLimit, Lineage, LineageKind, MetricDef, Shape};
pub use object::{InsightsObject, MediaKind, Surface};
pub use plan::{
    HISTORY_DAYS, InsightsRequestPlan, MAX_WINDOW_DAYS, MetricRequest, PlanError, PlanNote,
    PullPlan, fallback_split,
};
pub use posts::{PostInfo, PostRow, PostTable, PostValue};
pub use pull::{
    InsightsContext, MediaSelection, ProgressFn, PullError, PullOutcome, PullProgress, PullReport,
    PullSettings, ServedMetric, backfill_range, media_kind_of_post, pull_account,
    pull_account_daily, pull_media, pull_recent_media,
};
pub use pull_errors::RetryPolicy;
pub use pull_pause::graph_client_with_pauses;
pub use pull_values::{META_DAY_OFFSET, day_of_end_time, end_time_of_day, meta_today};
pub use query::{
    AccountReport, AccountReportRequest, ColumnInfo, GetInsights, InsightsAnswer, InsightsError,
    PostReport, PostReportRequest, TopPosts, account_columns, account_report, account_report_csv,
    get_insights, post_report, post_report_csv, post_report_listing,
};
pub use registry::{AvailableShape, Registry, ResolvedMetric, UnknownMetric, UnknownReason, Via};
pub use render::{DailyReport, RenderError, daily_table_csv, post_table_csv, post_table_json};
pub use report_sets::{
    ACCOUNT_DAILY_COLUMNS, ColumnSource, FEED_POST_COLUMNS, REEL_COLUMNS, STORY_COLUMNS,
};
pub use schedule::{ScheduleSettings, ScheduledPull, TickReport};
pub use summary::{MetricSummary, NotComparable, Summary};
pub use version::{Availability, Change, GraphVersion, InvalidGraphVersion};
pub use vocabulary::{
    Additivity, Caveat, InvalidParameterValue, MetricType, Period, Timeframe, ValueShape,
};
pub use webhook_intake::{IntakeError, ProcessReport, Receipt, process_pending, receive_delivery};

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod registry_tests;
#[cfg(test)]
mod report_tests;
