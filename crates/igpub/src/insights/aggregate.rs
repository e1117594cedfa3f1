//! How daily values combine over a period, honestly: never inventing zeros, never summing
//! unique counts.

use std::fmt;

use serde::Serialize;

use super::vocabulary::Additivity;

/// How a column's daily values become one figure for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// The sum of the daily values (likes, views, net new followers).
    Sum,
    /// The mean of the daily values. Used for unique counts (reach, accounts_engaged): a
    /// person reached on three days is in three daily values, so their sum is not the
    /// period's reach; the mean daily reach is a true statement and compares fairly.
    MeanPerDay,
    /// No period figure: a state such as demographics or an average.
    NotAggregated,
}

impl Aggregation {
    /// The aggregation for a metric; unknown metrics are not aggregated, the safe choice.
    pub fn for_metric(additivity: Option<Additivity>) -> Self {
        match additivity {
            Some(Additivity::Additive) => Self::Sum,
            Some(Additivity::UniqueCount) => Self::MeanPerDay,
            Some(Additivity::Snapshot) | None => Self::NotAggregated,
        }
    }
}

/// A period figure: a whole count for sums, a fraction for means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    /// A sum of counts.
    Count(i64),
    /// A mean per day.
    Mean(f64),
}

impl Figure {
    /// The figure as a float, for percentages.
    pub fn as_f64(self) -> f64 {
        match self {
            // Counts from Meta stay far below 2^53, where f64 is exact.
            Self::Count(n) => n as f64,
            Self::Mean(x) => x,
        }
    }

    /// `self − previous`, in the same kind; `None` if the counts overflow.
    pub fn minus(self, previous: Self) -> Option<Self> {
        match (self, previous) {
            (Self::Count(a), Self::Count(b)) => a.checked_sub(b).map(Self::Count),
            (a, b) => Some(Self::Mean(a.as_f64() - b.as_f64())),
        }
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Mean(x) => write!(f, "{x:.2}"),
        }
    }
}

/// One column's figure over one period, with how much of the period had data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeriodFigure {
    /// The figure over the days that had data; `None` when no day had, or when the column is
    /// not aggregated.
    pub value: Option<Figure>,
    /// Days with a value.
    pub days_with_data: i64,
    /// Days in the period.
    pub days: i64,
}

impl PeriodFigure {
    /// Combines the daily values of one period.
    pub fn of(values: impl IntoIterator<Item = Option<i64>>, aggregation: Aggregation) -> Self {
        let mut days = 0_i64;
        let mut present = Vec::new();
        for value in values {
            days += 1;
            present.extend(value);
        }
        let days_with_data = i64::try_from(present.len()).unwrap_or(i64::MAX);
        let value = if present.is_empty() {
            None
        } else {
            match aggregation {
                Aggregation::Sum => present
                    .iter()
                    .try_fold(0_i64, |acc, v| acc.checked_add(*v))
                    .map(Figure::Count),
                Aggregation::MeanPerDay => {
                    let sum: f64 = present.iter().map(|v| *v as f64).sum();
                    Some(Figure::Mean(sum / present.len() as f64))
                }
                Aggregation::NotAggregated => None,
            }
        };
        Self {
            value,
            days_with_data,
            days,
        }
    }

    /// Whether every day of the period has a value.
    pub fn is_complete(&self) -> bool {
        self.days_with_data == self.days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_days_are_left_out_never_counted_as_zero() {
        let figure = PeriodFigure::of([Some(3), None, Some(5)], Aggregation::Sum);
        assert_eq!(figure.value, Some(Figure::Count(8)));
        assert_eq!((figure.days_with_data, figure.days), (2, 3));
        assert!(!figure.is_complete());
    }

    #[test]
    fn unique_counts_are_averaged_not_summed() {
        let figure = PeriodFigure::of([Some(10), Some(20), Some(40)], Aggregation::MeanPerDay);
        assert_eq!(figure.value.map(|f| f.to_string()), Some("23.33".into()));
    }

    #[test]
    fn a_period_without_data_has_no_figure() {
        let figure = PeriodFigure::of([None, None], Aggregation::Sum);
        assert_eq!(figure.value, None);
        assert_eq!(
            PeriodFigure::of([Some(1)], Aggregation::NotAggregated).value,
            None
        );
    }

    #[test]
    fn a_sum_that_overflows_has_no_figure_rather_than_a_wrong_one() {
        let figure = PeriodFigure::of([Some(i64::MAX), Some(1)], Aggregation::Sum);
        assert_eq!(figure.value, None);
    }
}
