//! Insights: the version-aware metric registry, pulls, reports and Meta's webhooks.

mod aggregate;
mod daily;
mod dates;
mod definition;
mod object;
mod plan;
mod posts;
mod registry;
mod registry_data;
mod render;
mod report_sets;
mod summary;
mod version;
mod vocabulary;
pub mod webhook;

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
pub use registry::{AvailableShape, Registry, ResolvedMetric, UnknownMetric, UnknownReason, Via};
pub use render::{DailyReport, RenderError, daily_table_csv, post_table_csv, post_table_json};
pub use report_sets::{
    ACCOUNT_DAILY_COLUMNS, ColumnSource, FEED_POST_COLUMNS, REEL_COLUMNS, STORY_COLUMNS,
};
pub use summary::{MetricSummary, NotComparable, Summary};
pub use version::{Availability, Change, GraphVersion, InvalidGraphVersion};
pub use vocabulary::{
    Additivity, Caveat, InvalidParameterValue, MetricType, Period, Timeframe, ValueShape,
};

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod registry_tests;
#[cfg(test)]
mod report_tests;
