//! Insights: the version-aware metric registry, pulls, reports and Meta's webhooks.

mod dates;
mod definition;
mod object;
mod plan;
mod registry;
mod registry_data;
mod version;
mod vocabulary;

pub use dates::{DateRange, InvalidDateRange};
pub use definition::{BreakdownValue, HistoryLimit, Lineage, LineageKind, MetricDef, Shape};
pub use object::{InsightsObject, MediaKind, Surface};
pub use plan::{
    HISTORY_DAYS, InsightsRequestPlan, MAX_WINDOW_DAYS, MetricRequest, PlanError, PlanNote,
    PullPlan, fallback_split,
};
pub use registry::{AvailableShape, Registry, ResolvedMetric, UnknownMetric, UnknownReason, Via};
pub use version::{Availability, Change, GraphVersion, InvalidGraphVersion};
pub use vocabulary::{
    Additivity, Caveat, InvalidParameterValue, MetricType, Period, Timeframe, ValueShape,
};

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod registry_tests;
