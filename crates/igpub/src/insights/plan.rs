//! Request planning: which Graph insights calls fetch a set of metrics, grouped so every call
//! is one Meta accepts, and split so one failing metric never fails the rest.

use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use super::dates::{DateRange, add_days};
use super::definition::HistoryLimit;
use super::object::{InsightsObject, MediaKind};
use super::registry::{AvailableShape, Registry, ResolvedMetric, UnknownMetric};
use super::version::GraphVersion;
use super::vocabulary::{Caveat, MetricType, Period, Timeframe};

/// The longest since/until window Meta accepts, for both metric types (graph-api.md §4.1, the
/// v25 sweep: "the 30-day cap applies to both shapes").
pub const MAX_WINDOW_DAYS: i64 = 30;

/// The oldest `since` Meta accepts is today − 729 days (graph-api.md §4.1: −730 is rejected).
pub const HISTORY_DAYS: i64 = 729;

/// One metric a report or a user wants, with the optional parameters of the platform's
/// `getInsights(metrics, startDate, endDate, period)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricRequest {
    /// The metric name, possibly a retired one or an alias.
    pub name: String,
    /// The period; the metric's preferred one when `None`.
    pub period: Option<Period>,
    /// A breakdown dimension, e.g. `media_product_type`.
    pub breakdown: Option<String>,
    /// The demographics timeframe; `this_month` when a demographic metric has none.
    pub timeframe: Option<Timeframe>,
}

impl MetricRequest {
    /// The metric with its preferred period and no breakdown.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            period: None,
            breakdown: None,
            timeframe: None,
        }
    }

    /// The same request with a period.
    pub fn with_period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// The same request broken down by a dimension.
    pub fn with_breakdown(mut self, breakdown: impl Into<String>) -> Self {
        self.breakdown = Some(breakdown.into());
        self
    }

    /// The same request with a demographics timeframe.
    pub fn with_timeframe(mut self, timeframe: Timeframe) -> Self {
        self.timeframe = Some(timeframe);
        self
    }
}

impl From<&str> for MetricRequest {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

/// One call to `GET /{id}/insights`, as plain data: it can be sent, asserted in a test, or
/// split when it fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct InsightsRequestPlan {
    /// The Graph metric names, in `metric=` order.
    pub metrics: Vec<String>,
    /// The `period` parameter.
    pub period: Period,
    /// The `metric_type` parameter; `None` for media insights, which take none.
    pub metric_type: Option<MetricType>,
    /// The `breakdown` parameter.
    pub breakdown: Option<String>,
    /// The `timeframe` parameter (demographics only).
    pub timeframe: Option<Timeframe>,
    /// The days to ask for; `None` for media, demographics, and anything without since/until.
    /// Convert with [`DateRange::unix_bounds`].
    pub window: Option<DateRange>,
}

/// The calls to make for a pull, with what each asked name resolved to and what was adjusted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullPlan {
    /// The calls, grouped by compatible parameters, windows in date order.
    pub requests: Vec<InsightsRequestPlan>,
    /// How each asked metric resolved, in the order asked; the pull stores values under
    /// `asked` and records `served_by`.
    pub metrics: Vec<ResolvedMetric>,
    /// What the plan changed or left out, to show the user.
    pub notes: Vec<PlanNote>,
}

/// Something the planner changed or left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanNote {
    /// The range started earlier than Meta keeps data (graph-api.md §4.1: 2 years).
    SinceClamped {
        /// The day asked for.
        requested: Date,
        /// The oldest day Meta accepts.
        clamped_to: Date,
    },
    /// The range ended after today.
    UntilClamped {
        /// The day asked for.
        requested: Date,
        /// Today.
        clamped_to: Date,
    },
    /// A metric's window is narrower than the range (follower_count: the last 30 days,
    /// today excluded).
    WindowNarrowed {
        /// The served metric.
        metric: String,
        /// The days it is asked for.
        window: DateRange,
    },
    /// A metric has no data Meta can give in the range.
    MetricSkipped {
        /// The served metric.
        metric: String,
        /// The days Meta keeps for it.
        available: Option<DateRange>,
    },
    /// The number for `asked` comes from another metric.
    Substituted {
        /// The name asked for.
        asked: String,
        /// The metric asked of Meta.
        served_by: String,
        /// Why, in a sentence.
        note: String,
    },
}

impl fmt::Display for PlanNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SinceClamped {
                requested,
                clamped_to,
            } => write!(
                f,
                "since {requested} is older than the 2 years Meta keeps; starting at {clamped_to}"
            ),
            Self::UntilClamped {
                requested,
                clamped_to,
            } => write!(
                f,
                "until {requested} is in the future; ending at {clamped_to}"
            ),
            Self::WindowNarrowed { metric, window } => {
                write!(f, "{metric} is only available for {window}")
            }
            Self::MetricSkipped { metric, available } => match available {
                Some(days) => write!(
                    f,
                    "{metric} skipped: Meta only has it for {days}, outside the range"
                ),
                None => write!(f, "{metric} skipped: Meta has no data for it in the range"),
            },
            Self::Substituted { note, .. } => f.write_str(note),
        }
    }
}

/// A metric request that cannot be planned; each names the metric and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The name is not a valid metric for the object and version.
    #[error(transparent)]
    UnknownMetric(#[from] UnknownMetric),
    /// The period does not suit the metric (graph-api.md §4.1: "The following periods (week)
    /// are incompatible with the metric (online_followers)").
    #[error(
        "period `{period}` is not valid for metric `{metric}`; allowed: {}",
        join(allowed)
    )]
    PeriodNotAllowed {
        /// The metric asked for.
        metric: String,
        /// The period asked for.
        period: Period,
        /// The periods the metric accepts with the requested breakdown.
        allowed: Vec<Period>,
    },
    /// The breakdown does not suit the metric (graph-api.md §4.1: "Incompatible breakdowns
    /// (follow_type) for metric (views)").
    #[error(
        "breakdown `{breakdown}` is not valid for metric `{metric}`; allowed: {}",
        join(allowed)
    )]
    BreakdownNotAllowed {
        /// The metric asked for.
        metric: String,
        /// The breakdown asked for.
        breakdown: String,
        /// The breakdowns the metric accepts.
        allowed: Vec<&'static str>,
    },
    /// A timeframe was given for a metric that is not a demographic.
    #[error("timeframe is only valid for demographic metrics, not for `{metric}`")]
    TimeframeNotAllowed {
        /// The metric asked for.
        metric: String,
    },
    /// The request named no metric.
    #[error("metrics must name at least one metric")]
    NoMetrics,
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One asked metric with its parameters chosen.
struct Planned {
    resolved: ResolvedMetric,
    period: Period,
    metric_type: Option<MetricType>,
    breakdown: Option<String>,
    timeframe: Option<Timeframe>,
}

/// Parameters that let metrics share a call, plus the days they are asked for.
#[derive(PartialEq, Eq)]
struct GroupKey {
    period: Period,
    metric_type: Option<MetricType>,
    breakdown: Option<String>,
    timeframe: Option<Timeframe>,
    window: Option<DateRange>,
}

impl Registry {
    /// Plans the account insights calls for `metrics` over `range` (the platform's
    /// `getInsights(metrics, startDate, endDate, period)`).
    ///
    /// Windows: a time_series call returns one value per day, so its windows are up to 30 days;
    /// a total_value call returns one number for its whole window (graph-api.md §4.1), so its
    /// windows are single days, which is what a daily table stores. `since` is clamped to the
    /// 2-year history, `until` to today, and follower_count to the last 30 days excluding
    /// today; the notes say so.
    pub fn plan_account_pull(
        &self,
        version: GraphVersion,
        metrics: &[MetricRequest],
        range: DateRange,
        today: Date,
    ) -> Result<PullPlan, PlanError> {
        let planned = self.plan_each(InsightsObject::Account, version, metrics, today)?;
        let mut notes = substitution_notes(&planned);
        notes.extend(range_notes(&planned, range, today));

        let mut groups: Vec<(GroupKey, Vec<String>)> = Vec::new();
        for metric in &planned {
            let window = match metric.resolved.history {
                HistoryLimit::NoRange => None,
                limit => {
                    let available = available_days(limit, today);
                    match available.and_then(|days| days.intersect(&range)) {
                        Some(window) => {
                            if limit != HistoryLimit::TwoYears
                                && Some(window) != clamped_range(range, today)
                            {
                                push_once(
                                    &mut notes,
                                    PlanNote::WindowNarrowed {
                                        metric: metric.resolved.served_by.to_owned(),
                                        window,
                                    },
                                );
                            }
                            Some(window)
                        }
                        None => {
                            push_once(
                                &mut notes,
                                PlanNote::MetricSkipped {
                                    metric: metric.resolved.served_by.to_owned(),
                                    available,
                                },
                            );
                            continue;
                        }
                    }
                }
            };
            add_to_group(&mut groups, metric, window);
        }

        let requests = groups
            .into_iter()
            .flat_map(|(key, names)| {
                windows_for(&key)
                    .into_iter()
                    .map(move |window| InsightsRequestPlan {
                        metrics: names.clone(),
                        period: key.period,
                        metric_type: key.metric_type,
                        breakdown: key.breakdown.clone(),
                        timeframe: key.timeframe,
                        window,
                    })
            })
            .collect();
        Ok(PullPlan {
            requests,
            metrics: planned.into_iter().map(|p| p.resolved).collect(),
            notes,
        })
    }

    /// Plans the lifetime insights calls for one media item: one call per breakdown, since a
    /// breakdown on a metric that lacks it fails the whole call (graph-api.md §4.2).
    pub fn plan_media_pull(
        &self,
        version: GraphVersion,
        kind: MediaKind,
        metrics: &[MetricRequest],
        today: Date,
    ) -> Result<PullPlan, PlanError> {
        let planned = self.plan_each(InsightsObject::Media(kind), version, metrics, today)?;
        let notes = substitution_notes(&planned);
        let mut groups: Vec<(GroupKey, Vec<String>)> = Vec::new();
        for metric in &planned {
            add_to_group(&mut groups, metric, None);
        }
        let requests = groups
            .into_iter()
            .map(|(key, metrics)| InsightsRequestPlan {
                metrics,
                period: key.period,
                metric_type: key.metric_type,
                breakdown: key.breakdown,
                timeframe: key.timeframe,
                window: None,
            })
            .collect();
        Ok(PullPlan {
            requests,
            metrics: planned.into_iter().map(|p| p.resolved).collect(),
            notes,
        })
    }

    fn plan_each(
        &self,
        object: InsightsObject,
        version: GraphVersion,
        metrics: &[MetricRequest],
        today: Date,
    ) -> Result<Vec<Planned>, PlanError> {
        if metrics.is_empty() {
            return Err(PlanError::NoMetrics);
        }
        metrics
            .iter()
            .map(|request| {
                let resolved = self.resolve(object, version, &request.name, today)?;
                choose_parameters(request, resolved)
            })
            .collect()
    }
}

/// Picks metric_type, period, breakdown and timeframe for one request, or says which rule it
/// breaks.
fn choose_parameters(
    request: &MetricRequest,
    resolved: ResolvedMetric,
) -> Result<Planned, PlanError> {
    let breakdown = chosen_breakdown(request, &resolved)?;
    // graph-api.md §4.1: "time_series requests return no breakdowns".
    let candidates: Vec<&AvailableShape> = resolved
        .shapes
        .iter()
        .filter(|s| breakdown.is_none() || s.metric_type != Some(MetricType::TimeSeries))
        .collect();
    let (shape, period) = match request.period {
        None => candidates
            .first()
            .and_then(|s| s.periods.first().map(|p| (*s, *p))),
        Some(period) => candidates
            .iter()
            .find(|s| s.periods.contains(&period))
            .map(|s| (*s, period)),
    }
    .ok_or_else(|| match (&breakdown, request.period) {
        (_, Some(period)) => PlanError::PeriodNotAllowed {
            metric: request.name.clone(),
            period,
            allowed: candidates
                .iter()
                .flat_map(|s| s.periods.iter().copied())
                .collect(),
        },
        (breakdown, None) => PlanError::BreakdownNotAllowed {
            metric: request.name.clone(),
            breakdown: breakdown.clone().unwrap_or_default(),
            allowed: Vec::new(),
        },
    })?;
    let needs_timeframe = resolved.caveats.contains(&Caveat::NeedsTimeframe);
    let timeframe = match (needs_timeframe, request.timeframe) {
        (true, given) => Some(given.unwrap_or(Timeframe::ThisMonth)),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(PlanError::TimeframeNotAllowed {
                metric: request.name.clone(),
            });
        }
    };
    Ok(Planned {
        metric_type: shape.metric_type,
        period,
        breakdown,
        timeframe,
        resolved,
    })
}

/// The breakdown to send: the one asked for, or the one a lineage needs (`taps_forward` is a
/// value of navigation's `story_navigation_action_type`).
fn chosen_breakdown(
    request: &MetricRequest,
    resolved: &ResolvedMetric,
) -> Result<Option<String>, PlanError> {
    let not_allowed =
        |breakdown: &str, allowed: Vec<&'static str>| PlanError::BreakdownNotAllowed {
            metric: request.name.clone(),
            breakdown: breakdown.chars().take(64).collect(),
            allowed,
        };
    match (&request.breakdown, resolved.breakdown_value) {
        (None, None) => Ok(None),
        (None, Some(lineage)) => Ok(Some(lineage.breakdown.to_owned())),
        (Some(asked), Some(lineage)) if asked != lineage.breakdown => {
            Err(not_allowed(asked, vec![lineage.breakdown]))
        }
        (Some(asked), _) if !resolved.breakdowns.contains(&asked.as_str()) => {
            Err(not_allowed(asked, resolved.breakdowns.to_vec()))
        }
        (Some(asked), _) => Ok(Some(asked.clone())),
    }
}

fn add_to_group(
    groups: &mut Vec<(GroupKey, Vec<String>)>,
    metric: &Planned,
    window: Option<DateRange>,
) {
    let key = GroupKey {
        period: metric.period,
        metric_type: metric.metric_type,
        breakdown: metric.breakdown.clone(),
        timeframe: metric.timeframe,
        window,
    };
    let name = metric.resolved.served_by.to_owned();
    match groups.iter_mut().find(|(k, _)| *k == key) {
        Some((_, names)) => {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        None => groups.push((key, vec![name])),
    }
}

/// The windows of one group: up to 30 days for a time series, one day for a total_value,
/// none without since/until.
fn windows_for(key: &GroupKey) -> Vec<Option<DateRange>> {
    let Some(window) = key.window else {
        return vec![None];
    };
    let max_days = match key.metric_type {
        Some(MetricType::TotalValue) => 1,
        _ => MAX_WINDOW_DAYS,
    };
    window.split(max_days).into_iter().map(Some).collect()
}

/// The days Meta keeps for a metric, as of `today`.
fn available_days(limit: HistoryLimit, today: Date) -> Option<DateRange> {
    let (first, last) = match limit {
        HistoryLimit::TwoYears => (add_days(today, -HISTORY_DAYS)?, today),
        HistoryLimit::LastDaysExcludingToday(n) => {
            (add_days(today, -i64::from(n))?, today.yesterday().ok()?)
        }
        HistoryLimit::LastDays(n) => (add_days(today, 1 - i64::from(n))?, today),
        HistoryLimit::NoRange => return None,
    };
    DateRange::new(first, last).ok()
}

/// The range clamped to what Meta keeps for most metrics: 2 years back, up to today.
fn clamped_range(range: DateRange, today: Date) -> Option<DateRange> {
    available_days(HistoryLimit::TwoYears, today).and_then(|days| days.intersect(&range))
}

fn range_notes(planned: &[Planned], range: DateRange, today: Date) -> Vec<PlanNote> {
    let uses_range = planned
        .iter()
        .any(|p| p.resolved.history != HistoryLimit::NoRange);
    let Some(history) = available_days(HistoryLimit::TwoYears, today).filter(|_| uses_range) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if range.first() < history.first() {
        notes.push(PlanNote::SinceClamped {
            requested: range.first(),
            clamped_to: history.first(),
        });
    }
    if range.last() > today {
        notes.push(PlanNote::UntilClamped {
            requested: range.last(),
            clamped_to: today,
        });
    }
    notes
}

fn substitution_notes(planned: &[Planned]) -> Vec<PlanNote> {
    planned
        .iter()
        .filter_map(|p| {
            p.resolved.note().map(|note| PlanNote::Substituted {
                asked: p.resolved.asked.clone(),
                served_by: p.resolved.served_by.to_owned(),
                note,
            })
        })
        .collect()
}

fn push_once(notes: &mut Vec<PlanNote>, note: PlanNote) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// Splits a failed call into one call per metric, so the metric Meta refuses is retried alone
/// and never fails the others (issue #7: "one failing metric never fails the rest").
pub fn fallback_split(plan: &InsightsRequestPlan) -> Vec<InsightsRequestPlan> {
    plan.metrics
        .iter()
        .map(|metric| InsightsRequestPlan {
            metrics: vec![metric.clone()],
            ..plan.clone()
        })
        .collect()
}
