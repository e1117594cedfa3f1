//! The metric registry: which metric serves a requested name on a given object, version and
//! day, following Meta's renames so a series stays comparable.

use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use super::definition::{BreakdownValue, HistoryLimit, LineageKind, MetricDef};
use super::object::{InsightsObject, Surface};
use super::registry_data::METRICS;
use super::version::{Availability, Change, GraphVersion};
use super::vocabulary::{Additivity, Caveat, MetricType, Period, ValueShape};

/// Longest user-given name echoed back in an error, so a hostile input cannot bloat logs.
const MAX_ECHOED_NAME: usize = 64;

/// The table of metrics igpub knows. Cheap to copy; every lookup is pure.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    metrics: &'static [MetricDef],
}

impl Default for Registry {
    fn default() -> Self {
        Self::standard()
    }
}

/// One metric_type with the periods valid for it today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailableShape {
    /// `None` for media insights, which take no metric_type.
    pub metric_type: Option<MetricType>,
    /// Accepted periods, the preferred first.
    pub periods: &'static [Period],
}

/// The answer to "what do I ask Meta for when a user wants `asked`?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedMetric {
    /// The name the user or report asked for.
    pub asked: String,
    /// The Graph metric that is actually requested (`views` when `impressions` was asked on
    /// v25.0).
    pub served_by: &'static str,
    /// Set when the asked metric lives on as one value of a breakdown of `served_by`.
    pub breakdown_value: Option<BreakdownValue>,
    /// How `asked` led to `served_by`, when they differ.
    pub via: Option<Via>,
    /// The object the metric is about.
    pub object: InsightsObject,
    /// The metric_type/period combinations valid on this version and day.
    pub shapes: Vec<AvailableShape>,
    /// The breakdowns Meta accepts with `served_by`.
    pub breakdowns: &'static [&'static str],
    /// What one value looks like.
    pub value_shape: ValueShape,
    /// Whether daily values may be summed.
    pub additivity: Additivity,
    /// How far back the data can be asked for.
    pub history: HistoryLimit,
    /// Conditions worth telling the user.
    pub caveats: &'static [Caveat],
}

impl ResolvedMetric {
    /// The preferred metric_type: time_series where Meta offers it, because it returns one value
    /// per day for a whole window.
    pub fn metric_type(&self) -> Option<MetricType> {
        self.shapes.first().and_then(|s| s.metric_type)
    }

    /// The preferred period.
    pub fn period(&self) -> Period {
        self.shapes
            .first()
            .and_then(|s| s.periods.first().copied())
            .unwrap_or(Period::Lifetime)
    }

    /// Whether the number comes from a metric other than the one asked for.
    pub fn is_substituted(&self) -> bool {
        self.via.is_some()
    }

    /// A sentence for reports when the number came from another metric.
    pub fn note(&self) -> Option<String> {
        self.via
            .as_ref()
            .map(|via| via.describe(&self.asked, self.served_by))
    }
}

/// How a requested name reached the metric that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Via {
    /// Another name for the same metric (account `saves`, media `saved`).
    Alias,
    /// The asked metric was retired; a successor serves it.
    Successor {
        /// When the asked metric was retired.
        retired: Change,
        /// Whether the successor counts the same thing.
        kind: LineageKind,
    },
    /// The asked metric does not exist yet on this version; its predecessor serves it.
    Predecessor {
        /// When the asked metric arrives.
        arrives: Change,
        /// Whether the predecessor counts the same thing.
        kind: LineageKind,
    },
}

impl Via {
    fn describe(&self, asked: &str, served_by: &str) -> String {
        let counted = |kind: &LineageKind| match kind {
            LineageKind::Renamed => "the same count under its new name",
            LineageKind::Replaced => "which counts differently, so the series changes level here",
        };
        match self {
            Self::Alias => format!("`{asked}` is named `{served_by}` here"),
            Self::Successor { retired, kind } => format!(
                "`{asked}` was retired {retired}; served by `{served_by}`, {}",
                counted(kind)
            ),
            Self::Predecessor { arrives, kind } => format!(
                "`{asked}` arrives {arrives}; served by its predecessor `{served_by}`, {}",
                counted(kind)
            ),
        }
    }
}

/// Why a name is not a valid metric here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UnknownReason {
    /// igpub has never heard of it.
    NotAMetric,
    /// It exists, but for other objects.
    NotForThisObject {
        /// Where it does exist, e.g. `STORY media`.
        exists_for: Vec<&'static str>,
    },
    /// It was retired and nothing serves it now.
    Retired {
        /// When.
        change: Change,
    },
    /// It is not available yet on this version, and has no predecessor.
    NotYetAvailable {
        /// When it arrives.
        change: Change,
    },
    /// The object has no insights at all.
    ObjectHasNoInsights,
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAMetric => Ok(()),
            Self::NotForThisObject { exists_for } => {
                write!(f, " (it exists for {})", exists_for.join(", "))
            }
            Self::Retired { change } => write!(f, " (retired {change})"),
            Self::NotYetAvailable { change } => write!(f, " (available {change})"),
            Self::ObjectHasNoInsights => {
                f.write_str(" (Meta keeps no insights for carousel children)")
            }
        }
    }
}

/// A requested metric that is not valid for the object, version and day; lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error(
    "unknown metric `{asked}` for {object} on {version}{reason}; valid metrics: {}",
    list_or_none(valid)
)]
pub struct UnknownMetric {
    /// The name asked for (shortened if very long).
    pub asked: String,
    /// The object it was asked for.
    pub object: InsightsObject,
    /// The API version.
    pub version: GraphVersion,
    /// Why it is not valid.
    pub reason: UnknownReason,
    /// The metrics that are valid for this object, version and day, sorted.
    pub valid: Vec<&'static str>,
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl Registry {
    /// The registry built from igpub's table of Meta's metrics (graph-api.md §4).
    pub const fn standard() -> Self {
        Self { metrics: METRICS }
    }

    /// Every entry of the table, for listings and for checks on the data.
    pub fn definitions(&self) -> &'static [MetricDef] {
        self.metrics
    }

    /// The metric names Meta accepts for `object` on `version` on `today`, sorted.
    pub fn valid_metrics(
        &self,
        object: InsightsObject,
        version: GraphVersion,
        today: Date,
    ) -> Vec<&'static str> {
        let Some(surface) = object.surface() else {
            return Vec::new();
        };
        let mut names: Vec<&'static str> = self
            .on_surface(surface)
            .filter(|def| is_usable(def, version, today))
            .map(|def| def.name)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Which metric serves `requested` for `object` on `version` on `today`, following
    /// aliases and Meta's renames (graph-api.md §1, §4).
    pub fn resolve(
        &self,
        object: InsightsObject,
        version: GraphVersion,
        requested: &str,
        today: Date,
    ) -> Result<ResolvedMetric, UnknownMetric> {
        let unknown = |reason| UnknownMetric {
            asked: requested.chars().take(MAX_ECHOED_NAME).collect(),
            object,
            version,
            reason,
            valid: self.valid_metrics(object, version, today),
        };
        let Some(surface) = object.surface() else {
            return Err(unknown(UnknownReason::ObjectHasNoInsights));
        };
        let Some(def) = self.find(surface, requested) else {
            return Err(unknown(self.why_not_on(surface, requested)));
        };
        let is_alias = def.name != requested;
        let served = |def: &'static MetricDef, via, breakdown_value| {
            self.resolved(object, requested, def, via, breakdown_value, version, today)
        };
        if is_usable(def, version, today) {
            return Ok(served(def, is_alias.then_some(Via::Alias), None));
        }
        if let Some((successor, kind, breakdown_value)) =
            self.usable_successor(surface, def, version, today)
            && let Some(retired) = def.availability.removed
        {
            let via = Via::Successor { retired, kind };
            return Ok(served(successor, Some(via), breakdown_value));
        }
        if let Some((predecessor, kind)) = self.usable_predecessor(surface, def, version, today)
            && let Some(arrives) = def.availability.introduced
        {
            let via = Via::Predecessor { arrives, kind };
            return Ok(served(predecessor, Some(via), None));
        }
        Err(unknown(unavailable_reason(&def.availability)))
    }

    /// The metric that now carries a retired name on `surface`, ignoring versions: how the
    /// `story_insights` webhook's legacy names map onto today's metrics (graph-api.md §8.2).
    pub fn current_name(
        &self,
        surface: Surface,
        name: &str,
    ) -> Option<(&'static str, Option<BreakdownValue>)> {
        let mut def = self.find(surface, name)?;
        let mut breakdown_value = None;
        for _ in 0..self.metrics.len() {
            let Some(lineage) = def.successor else {
                return Some((def.name, breakdown_value));
            };
            breakdown_value = lineage.breakdown_value.or(breakdown_value);
            def = self.find_exact(surface, lineage.metric)?;
        }
        None
    }

    /// The series a stored value belongs to: aliases and renamed metrics map to today's
    /// name, so `impressions` rows continue the `views` series and media `saved` rows fill a
    /// `saves` column. A name that became a breakdown value, or that igpub does not know, is
    /// its own series.
    pub fn series_name(&self, surface: Surface, name: &str) -> String {
        let Some(mut def) = self.find(surface, name) else {
            return name.to_owned();
        };
        for _ in 0..self.metrics.len() {
            let next = def
                .successor
                .filter(|l| l.breakdown_value.is_none())
                .and_then(|l| self.find_exact(surface, l.metric));
            match next {
                Some(successor) => def = successor,
                None => break,
            }
        }
        def.name.to_owned()
    }

    /// Whether daily values of the metric may be summed; `None` for names igpub does not
    /// know.
    pub fn additivity(&self, surface: Surface, name: &str) -> Option<Additivity> {
        self.find(surface, name).map(|def| def.additivity)
    }

    fn on_surface(&self, surface: Surface) -> impl Iterator<Item = &'static MetricDef> + use<> {
        self.metrics
            .iter()
            .filter(move |def| def.surfaces.contains(&surface))
    }

    fn find_exact(&self, surface: Surface, name: &str) -> Option<&'static MetricDef> {
        self.on_surface(surface).find(|def| def.name == name)
    }

    fn find(&self, surface: Surface, name: &str) -> Option<&'static MetricDef> {
        self.find_exact(surface, name).or_else(|| {
            self.on_surface(surface)
                .find(|def| def.aliases.contains(&name))
        })
    }

    fn why_not_on(&self, surface: Surface, name: &str) -> UnknownReason {
        let exists_for: Vec<&'static str> = [
            (Surface::Account, "accounts"),
            (Surface::Feed, "FEED media"),
            (Surface::Reels, "REELS media"),
            (Surface::Story, "STORY media"),
        ]
        .into_iter()
        .filter(|(other, _)| *other != surface && self.find(*other, name).is_some())
        .map(|(_, label)| label)
        .collect();
        if exists_for.is_empty() {
            UnknownReason::NotAMetric
        } else {
            UnknownReason::NotForThisObject { exists_for }
        }
    }

    /// Walks successors until one is usable; the bound stops a cycle in edited data.
    fn usable_successor(
        &self,
        surface: Surface,
        start: &'static MetricDef,
        version: GraphVersion,
        today: Date,
    ) -> Option<(&'static MetricDef, LineageKind, Option<BreakdownValue>)> {
        let mut def = start;
        let mut kind = LineageKind::Renamed;
        let mut breakdown_value = None;
        for _ in 0..self.metrics.len() {
            let lineage = def.successor?;
            def = self.find_exact(surface, lineage.metric)?;
            kind = weakest(kind, lineage.kind);
            breakdown_value = lineage.breakdown_value.or(breakdown_value);
            if is_usable(def, version, today) {
                return Some((def, kind, breakdown_value));
            }
        }
        None
    }

    /// Searches back, breadth first, for a usable predecessor (reels `views` has two: `plays`
    /// and `video_views`). Only whole-metric renames count: a metric that became one
    /// breakdown value cannot stand in for the whole successor.
    fn usable_predecessor(
        &self,
        surface: Surface,
        start: &'static MetricDef,
        version: GraphVersion,
        today: Date,
    ) -> Option<(&'static MetricDef, LineageKind)> {
        let mut frontier = vec![(start, LineageKind::Renamed)];
        // Each round moves one generation back; the bound stops a cycle in edited data.
        for _ in 0..self.metrics.len() {
            let mut older = Vec::new();
            for (def, kind) in frontier {
                for candidate in self.on_surface(surface) {
                    let Some(lineage) = candidate.successor else {
                        continue;
                    };
                    if lineage.metric != def.name || lineage.breakdown_value.is_some() {
                        continue;
                    }
                    let kind = weakest(kind, lineage.kind);
                    if is_usable(candidate, version, today) {
                        return Some((candidate, kind));
                    }
                    older.push((candidate, kind));
                }
            }
            if older.is_empty() {
                return None;
            }
            frontier = older;
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn resolved(
        &self,
        object: InsightsObject,
        asked: &str,
        def: &'static MetricDef,
        via: Option<Via>,
        breakdown_value: Option<BreakdownValue>,
        version: GraphVersion,
        today: Date,
    ) -> ResolvedMetric {
        ResolvedMetric {
            asked: asked.to_owned(),
            served_by: def.name,
            breakdown_value,
            via,
            object,
            shapes: def
                .shapes
                .iter()
                .filter(|s| s.availability.is_available(version, today))
                .map(|s| AvailableShape {
                    metric_type: s.metric_type,
                    periods: s.periods,
                })
                .collect(),
            breakdowns: def.breakdowns,
            value_shape: def.value_shape,
            additivity: def.additivity,
            history: def.history,
            caveats: def.caveats,
        }
    }
}

/// Whether the metric, and at least one of its shapes, can be asked for.
fn is_usable(def: &MetricDef, version: GraphVersion, today: Date) -> bool {
    def.availability.is_available(version, today)
        && def
            .shapes
            .iter()
            .any(|s| s.availability.is_available(version, today))
}

fn weakest(a: LineageKind, b: LineageKind) -> LineageKind {
    if a == LineageKind::Renamed && b == LineageKind::Renamed {
        LineageKind::Renamed
    } else {
        LineageKind::Replaced
    }
}

fn unavailable_reason(availability: &Availability) -> UnknownReason {
    match (availability.removed, availability.introduced) {
        (Some(change), _) => UnknownReason::Retired { change },
        (None, Some(change)) => UnknownReason::NotYetAvailable { change },
        (None, None) => UnknownReason::NotAMetric,
    }
}
