//! The shape of one entry in the metric registry. The entries themselves are data, in
//! `registry_data.rs`.

use serde::Serialize;

use super::object::Surface;
use super::version::Availability;
use super::vocabulary::{Additivity, Caveat, MetricType, Period, ValueShape};

/// Everything igpub knows about one metric on the surfaces where it means the same thing.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// Meta's name, as sent in `metric=`.
    pub name: &'static str,
    /// The metric sets it belongs to; account and media metrics of the same name are separate
    /// entries because Meta gives them different periods and shapes.
    pub surfaces: &'static [Surface],
    /// The versions and days on which it can be asked for.
    pub availability: Availability,
    /// The metric_type/period combinations Meta accepts.
    pub shapes: &'static [Shape],
    /// The `breakdown` values Meta accepts with it (account breakdowns need `total_value`).
    pub breakdowns: &'static [&'static str],
    /// What one value looks like.
    pub value_shape: ValueShape,
    /// Whether daily values may be summed.
    pub additivity: Additivity,
    /// How far back the data can be asked for.
    pub history: HistoryLimit,
    /// Conditions a report or a pull should mention.
    pub caveats: &'static [Caveat],
    /// Other names users may ask it by (the account says `saves`, media say `saved`).
    pub aliases: &'static [&'static str],
    /// The metric that took over when this one was retired.
    pub successor: Option<Lineage>,
}

/// One metric_type with the periods it accepts, and when that combination is valid.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// `None` for media insights, which take no metric_type (graph-api.md §4.2).
    pub metric_type: Option<MetricType>,
    /// The accepted periods, the preferred one first.
    pub periods: &'static [Period],
    /// When this combination is valid (v21 removed some account time series).
    pub availability: Availability,
}

/// How far back Meta keeps a metric's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "limit", content = "days", rename_all = "snake_case")]
pub enum HistoryLimit {
    /// The last 2 years: since = today − 729 days is the oldest accepted (graph-api.md §4.1).
    TwoYears,
    /// The last N days, today excluded (follower_count, graph-api.md §4.1).
    LastDaysExcludingToday(u16),
    /// The last N days, today included.
    LastDays(u16),
    /// No since/until at all: lifetime values and demographics.
    NoRange,
}

/// A retired metric's successor, so a series stays comparable across Meta's renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The successor's name on the same surface.
    pub metric: &'static str,
    /// Set when the old metric became one value of a breakdown of the successor
    /// (`taps_forward` → `navigation` by `story_navigation_action_type` = `tap_forward`).
    pub breakdown_value: Option<BreakdownValue>,
    /// Whether the successor counts the same thing.
    pub kind: LineageKind,
}

/// One value of one breakdown dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BreakdownValue {
    /// The `breakdown` parameter.
    pub breakdown: &'static str,
    /// The `dimension_values` entry, as Meta spells it in answers.
    pub value: &'static str,
}

/// How close a successor is to the metric it replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageKind {
    /// The same quantity under a new name (`plays` → `views` on reels).
    Renamed,
    /// The closest successor, counted differently; a chart should mark the change.
    Replaced,
}
