//! The words of the insights endpoints: periods, metric types, timeframes, value shapes.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The `period` parameter (graph-api.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One value per day.
    Day,
    /// A rolling 7-day sum, reported daily.
    Week,
    /// A rolling 28-day sum, reported daily.
    Days28,
    /// A calendar month.
    Month,
    /// Over the object's life (media, demographics, online_followers).
    Lifetime,
    /// Over the whole since/until range.
    TotalOverRange,
}

impl Period {
    /// Meta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Days28 => "days_28",
            Self::Month => "month",
            Self::Lifetime => "lifetime",
            Self::TotalOverRange => "total_over_range",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not one of Meta's values for a parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {parameter}: expected one of {expected}")]
pub struct InvalidParameterValue {
    parameter: &'static str,
    value: String,
    expected: &'static str,
}

impl InvalidParameterValue {
    fn new(parameter: &'static str, value: &str, expected: &'static str) -> Self {
        Self {
            parameter,
            value: value.chars().take(64).collect(),
            expected,
        }
    }
}

impl FromStr for Period {
    type Err = InvalidParameterValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "days_28" => Ok(Self::Days28),
            "month" => Ok(Self::Month),
            "lifetime" => Ok(Self::Lifetime),
            "total_over_range" => Ok(Self::TotalOverRange),
            _ => Err(InvalidParameterValue::new(
                "period",
                s,
                "day, week, days_28, month, lifetime, total_over_range",
            )),
        }
    }
}

/// The `metric_type` parameter of account insights (graph-api.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// One value per period in the range (`values[]` with `end_time`).
    TimeSeries,
    /// One value for the whole since/until range (`total_value.value`).
    TotalValue,
}

impl MetricType {
    /// Meta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TimeSeries => "time_series",
            Self::TotalValue => "total_value",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `timeframe` demographics require (graph-api.md §4.1). The older `last_14_days`,
/// `last_30_days`, `last_90_days` and `prev_month` went in v20.0 and for all versions on
/// 2024-08-19, so they cannot be expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeframe {
    /// The current week.
    ThisWeek,
    /// The current month.
    ThisMonth,
}

impl Timeframe {
    /// Meta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThisWeek => "this_week",
            Self::ThisMonth => "this_month",
        }
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Timeframe {
    type Err = InvalidParameterValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "this_week" => Ok(Self::ThisWeek),
            "this_month" => Ok(Self::ThisMonth),
            // graph-api.md §4.1: removed in v20.0 and for all versions on 2024-08-19.
            "last_14_days" | "last_30_days" | "last_90_days" | "prev_month" => {
                Err(InvalidParameterValue::new(
                    "timeframe",
                    s,
                    "this_week, this_month (the others were removed for all versions on 2024-08-19)",
                ))
            }
            _ => Err(InvalidParameterValue::new(
                "timeframe",
                s,
                "this_week, this_month",
            )),
        }
    }
}

/// What one value of a metric looks like in Meta's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueShape {
    /// An integer count.
    Count,
    /// An integer number of milliseconds (graph-api.md §12: believed ms).
    Milliseconds,
    /// A percentage.
    Percentage,
    /// An object keyed by hour `"0"`..`"23"` (online_followers, graph-api.md §4.1 sweep).
    HourlyMap,
    /// Only breakdown results, no single value (demographics).
    BreakdownOnly,
}

/// How daily values of a metric combine over a period; it decides what a report may total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Additivity {
    /// Daily values add up to the period's value (likes, views, net new followers).
    Additive,
    /// Unique accounts per day (reach, accounts_engaged): the same person counts on every
    /// day, so a sum overstates the period.
    UniqueCount,
    /// A state, not a flow (demographics, online_followers, averages, rates).
    Snapshot,
}

/// A condition on a metric that a report or a pull should mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "caveat", rename_all = "snake_case")]
pub enum Caveat {
    /// Meta returns nothing for accounts with fewer followers than this.
    NeedsFollowers {
        /// The threshold.
        at_least: u32,
    },
    /// Meta returns nothing when the audience engaged less than this.
    NeedsEngagements {
        /// The threshold.
        at_least: u32,
    },
    /// Demographics need `timeframe` and refuse since/until.
    NeedsTimeframe,
    /// Only media created before this day have the metric.
    OnlyMediaCreatedBefore {
        /// The first day without it.
        day: jiff::civil::Date,
    },
    /// Meta answers an error unless the media was shared to Facebook.
    OnlyWhenSharedToFacebook,
    /// Observed without a `total_value` key when no breakdown is asked.
    NoTotalWithoutBreakdown,
    /// Meta calls the number an estimate.
    Estimated,
    /// Always 0 for stories in the EU and Japan.
    ZeroInEuAndJapan,
    /// Story values below 5 come back as error 10, "Not enough viewers".
    HiddenBelowFiveViewers,
}
