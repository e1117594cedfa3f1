//! Insights: the version-aware metric registry, pulls, reports and Meta's webhooks.

mod definition;
mod object;
mod registry;
mod registry_data;
mod version;
mod vocabulary;

pub use definition::{BreakdownValue, HistoryLimit, Lineage, LineageKind, MetricDef, Shape};
pub use object::{InsightsObject, MediaKind, Surface};
pub use registry::{AvailableShape, Registry, ResolvedMetric, UnknownMetric, UnknownReason, Via};
pub use version::{Availability, Change, GraphVersion, InvalidGraphVersion};
pub use vocabulary::{
    Additivity, Caveat, InvalidParameterValue, MetricType, Period, Timeframe, ValueShape,
};

#[cfg(test)]
mod registry_tests;
