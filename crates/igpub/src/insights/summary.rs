//! The summary of a period against the previous period of equal length, computed honestly:
//! a change is only given between complete periods, a percentage only from a positive base.

use std::fmt;

use serde::Serialize;

use super::aggregate::{Aggregation, Figure, PeriodFigure};
use super::daily::{DailyTable, DailyValue, ReportError};
use super::dates::DateRange;
use super::registry::Registry;

/// Why a change or a percentage is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotComparable {
    /// The metric has no period figure (a state, not a flow).
    NotAggregated,
    /// No day of the previous period has data.
    NoPreviousData,
    /// No day of the current period has data.
    NoCurrentData,
    /// Some days of the previous period have no data; a change would compare unequal spans.
    IncompletePrevious {
        /// Days without data.
        missing_days: i64,
    },
    /// Some days of the current period have no data.
    IncompleteCurrent {
        /// Days without data.
        missing_days: i64,
    },
    /// The previous figure is zero or negative (net new followers can be), so a percentage
    /// would be undefined or misleading; the absolute change is still given.
    PreviousNotPositive,
    /// The change does not fit in a count.
    Overflow,
}

impl fmt::Display for NotComparable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAggregated => f.write_str("not aggregated over a period"),
            Self::NoPreviousData => f.write_str("no previous data"),
            Self::NoCurrentData => f.write_str("no current data"),
            Self::IncompletePrevious { missing_days } => write!(
                f,
                "incomplete data: {missing_days} day(s) missing in the previous period"
            ),
            Self::IncompleteCurrent { missing_days } => write!(
                f,
                "incomplete data: {missing_days} day(s) missing in the current period"
            ),
            Self::PreviousNotPositive => f.write_str("the previous period was not above 0"),
            Self::Overflow => f.write_str("the change is too large to count"),
        }
    }
}

/// One metric of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    /// The series name.
    pub metric: String,
    /// How the period figures were made.
    pub aggregation: Aggregation,
    /// The current period.
    pub current: PeriodFigure,
    /// The previous period of equal length.
    pub previous: PeriodFigure,
    /// current − previous, when both periods are complete.
    pub change: Option<Figure>,
    /// The change in percent of the previous figure, when that is above 0.
    pub percent_change: Option<f64>,
    /// Why `change` or `percent_change` is missing.
    pub not_comparable: Option<NotComparable>,
}

impl MetricSummary {
    fn compare(
        metric: String,
        aggregation: Aggregation,
        current: PeriodFigure,
        previous: PeriodFigure,
    ) -> Self {
        let mut summary = Self {
            metric,
            aggregation,
            current,
            previous,
            change: None,
            percent_change: None,
            not_comparable: None,
        };
        let (now, before) = match comparable_figures(aggregation, &current, &previous) {
            Ok(figures) => figures,
            Err(reason) => {
                summary.not_comparable = Some(reason);
                return summary;
            }
        };
        summary.change = now.minus(before);
        if summary.change.is_none() {
            summary.not_comparable = Some(NotComparable::Overflow);
        } else if before.as_f64() > 0.0 {
            summary.percent_change =
                Some((now.as_f64() - before.as_f64()) / before.as_f64() * 100.0);
        } else {
            summary.not_comparable = Some(NotComparable::PreviousNotPositive);
        }
        summary
    }

    /// The change as a reader sees it: `+25 (+12.5%)`, `-3 (percent n/a: …)` or `n/a (…)`.
    pub fn change_text(&self) -> String {
        match (self.change, self.percent_change, self.not_comparable) {
            (Some(change), Some(percent), _) => format!("{} ({percent:+.1}%)", signed(change)),
            (Some(change), None, Some(reason)) => {
                format!("{} (percent n/a: {reason})", signed(change))
            }
            (_, _, Some(reason)) => format!("n/a ({reason})"),
            _ => "n/a".to_owned(),
        }
    }
}

fn signed(figure: Figure) -> String {
    match figure {
        Figure::Count(n) => format!("{n:+}"),
        Figure::Mean(x) => format!("{x:+.2}"),
    }
}

/// Both figures, or the first reason they cannot be compared.
fn comparable_figures(
    aggregation: Aggregation,
    current: &PeriodFigure,
    previous: &PeriodFigure,
) -> Result<(Figure, Figure), NotComparable> {
    if aggregation == Aggregation::NotAggregated {
        return Err(NotComparable::NotAggregated);
    }
    if previous.days_with_data == 0 {
        return Err(NotComparable::NoPreviousData);
    }
    if current.days_with_data == 0 {
        return Err(NotComparable::NoCurrentData);
    }
    if !previous.is_complete() {
        return Err(NotComparable::IncompletePrevious {
            missing_days: previous.days - previous.days_with_data,
        });
    }
    if !current.is_complete() {
        return Err(NotComparable::IncompleteCurrent {
            missing_days: current.days - current.days_with_data,
        });
    }
    match (current.value, previous.value) {
        (Some(now), Some(before)) => Ok((now, before)),
        _ => Err(NotComparable::Overflow),
    }
}

/// A period's figures against the previous period of equal length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The period summarised.
    pub current: DateRange,
    /// The period it is compared with; `None` at the start of the calendar.
    pub previous: Option<DateRange>,
    /// One entry per column, in the order asked.
    pub metrics: Vec<MetricSummary>,
}

impl Summary {
    /// Summarises `columns` over `current`; `values` should hold the previous period's rows
    /// too.
    pub fn build(
        registry: &Registry,
        columns: &[&str],
        current: DateRange,
        values: &[DailyValue],
    ) -> Result<Self, ReportError> {
        let now = DailyTable::build(registry, columns, current, values)?.totals();
        let previous_range = current.previous();
        let before = match previous_range {
            Some(range) => Some(DailyTable::build(registry, columns, range, values)?.totals()),
            None => None,
        };
        let metrics = now
            .into_iter()
            .enumerate()
            .map(|(i, total)| {
                let previous = before
                    .as_ref()
                    .and_then(|b| b.get(i))
                    .map(|t| t.figure)
                    .unwrap_or(PeriodFigure {
                        value: None,
                        days_with_data: 0,
                        days: current.len_days(),
                    });
                MetricSummary::compare(total.column, total.aggregation, total.figure, previous)
            })
            .collect();
        Ok(Self {
            current,
            previous: previous_range,
            metrics,
        })
    }
}
