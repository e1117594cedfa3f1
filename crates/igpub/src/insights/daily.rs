//! The per-account daily table: one row per day, one column per metric, gaps kept as gaps.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::aggregate::{Aggregation, PeriodFigure};
use super::dates::{DateRange, days_between};
use super::object::Surface;
use super::registry::Registry;

/// The longest range a report covers: ten years, far beyond Meta's two, so a mistyped year
/// cannot make a table of millions of rows.
pub const MAX_REPORT_DAYS: i64 = 3_660;

/// One stored daily value, as the pull writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyValue {
    /// The series it belongs to (`views`), or a retired name the registry maps onto one.
    pub metric: String,
    /// The day it reports.
    pub date: Date,
    /// The value; `None` when Meta answered with no data (graph-api.md §4.1: "empty data set
    /// instead of 0").
    pub value: Option<i64>,
    /// The Graph metric that produced it (`impressions` before v22).
    pub served_by: String,
}

/// A report that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The range is longer than [`MAX_REPORT_DAYS`].
    #[error("date range is too long: {days} days, the limit is {max} days")]
    RangeTooLong {
        /// Days asked for.
        days: i64,
        /// The limit.
        max: i64,
    },
    /// The table has no column of that name.
    #[error("metric `{metric}` is not a column of this report; columns: {}", columns.join(", "))]
    UnknownColumn {
        /// The name asked for.
        metric: String,
        /// The columns there are.
        columns: Vec<String>,
    },
}

/// A column of the daily table and where its numbers came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The series name.
    pub name: String,
    /// How its values combine over a period.
    pub aggregation: Aggregation,
    /// Which Graph metrics served it, and on which days.
    pub sources: Vec<SourceSpan>,
}

/// Days of one column served by one Graph metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSpan {
    /// The Graph metric.
    pub served_by: String,
    /// The first day it served.
    pub first: Date,
    /// The last day it served.
    pub last: Date,
    /// How many days it served.
    pub days: i64,
}

/// One day of the table; `values` lines up with the table's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyRow {
    /// The day.
    pub date: Date,
    /// One value per column; `None` for a missing day.
    pub values: Vec<Option<i64>>,
}

/// One column as points to draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The series name.
    pub metric: String,
    /// One point per day of the range; `None` draws as a gap.
    pub points: Vec<(Date, Option<i64>)>,
}

/// A column's figure over the whole table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnTotal {
    /// The column.
    pub column: String,
    /// How the figure was made.
    pub aggregation: Aggregation,
    /// The figure and its coverage.
    #[serde(flatten)]
    pub figure: PeriodFigure,
}

/// The daily table over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyTable {
    /// The days covered.
    pub range: DateRange,
    /// The columns, in the order asked.
    pub columns: Vec<Column>,
    /// One row per day of the range, in date order.
    pub rows: Vec<DailyRow>,
}

impl DailyTable {
    /// Builds the table from stored values. Values outside the range or the columns are
    /// ignored; a value filed under a retired name (`impressions`) fills its successor's column
    /// (`views`). When one day has several values for a column, a present value beats a
    /// missing one, and the column's own metric beats a predecessor.
    pub fn build(
        registry: &Registry,
        columns: &[&str],
        range: DateRange,
        values: &[DailyValue],
    ) -> Result<Self, ReportError> {
        let days = range.len_days();
        if days > MAX_REPORT_DAYS {
            return Err(ReportError::RangeTooLong {
                days,
                max: MAX_REPORT_DAYS,
            });
        }
        let mut names: Vec<String> = Vec::new();
        for column in columns {
            let name = registry.series_name(Surface::Account, column);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let dates: Vec<Date> = range.days().collect();
        let mut cells: Vec<Vec<Option<&DailyValue>>> = vec![vec![None; names.len()]; dates.len()];
        for value in values.iter().filter(|v| range.contains(v.date)) {
            let series = registry.series_name(Surface::Account, &value.metric);
            let (Some(col), Ok(row)) = (
                names.iter().position(|n| *n == series),
                usize::try_from(days_between(range.first(), value.date)),
            ) else {
                continue;
            };
            if let (Some(slot), Some(column)) = (
                cells.get_mut(row).and_then(|r| r.get_mut(col)),
                names.get(col),
            ) && slot.is_none_or(|held| rank(value, column) < rank(held, column))
            {
                *slot = Some(value);
            }
        }
        let columns = names
            .iter()
            .enumerate()
            .map(|(col, name)| Column {
                name: name.clone(),
                aggregation: Aggregation::for_metric(registry.additivity(Surface::Account, name)),
                sources: source_spans(&dates, &cells, col),
            })
            .collect();
        let rows = dates
            .iter()
            .zip(&cells)
            .map(|(date, row)| DailyRow {
                date: *date,
                values: row.iter().map(|cell| cell.and_then(|v| v.value)).collect(),
            })
            .collect();
        Ok(Self {
            range,
            columns,
            rows,
        })
    }

    /// The column's points, one per day, ready to draw.
    pub fn series(&self, metric: &str) -> Result<Series, ReportError> {
        let col = self.column_index(metric)?;
        Ok(Series {
            metric: metric.to_owned(),
            points: self
                .rows
                .iter()
                .map(|row| (row.date, row.values.get(col).copied().flatten()))
                .collect(),
        })
    }

    /// Every column's points.
    pub fn all_series(&self) -> Vec<Series> {
        self.columns
            .iter()
            .filter_map(|c| self.series(&c.name).ok())
            .collect()
    }

    /// Each column's figure over the whole range: sums for additive metrics, the mean per day
    /// for unique counts, nothing for states; missing days are counted as missing.
    pub fn totals(&self) -> Vec<ColumnTotal> {
        self.columns
            .iter()
            .enumerate()
            .map(|(col, column)| ColumnTotal {
                column: column.name.clone(),
                aggregation: column.aggregation,
                figure: PeriodFigure::of(
                    self.rows
                        .iter()
                        .map(|r| r.values.get(col).copied().flatten()),
                    column.aggregation,
                ),
            })
            .collect()
    }

    pub(crate) fn column_index(&self, metric: &str) -> Result<usize, ReportError> {
        self.columns
            .iter()
            .position(|c| c.name == metric)
            .ok_or_else(|| ReportError::UnknownColumn {
                metric: metric.chars().take(64).collect(),
                columns: self.columns.iter().map(|c| c.name.clone()).collect(),
            })
    }
}

/// Lower is better: a present value, then the column's own metric, then its own series name.
fn rank(value: &DailyValue, column: &str) -> (bool, bool, bool) {
    (
        value.value.is_none(),
        value.served_by != column,
        value.metric != column,
    )
}

fn source_spans(dates: &[Date], cells: &[Vec<Option<&DailyValue>>], col: usize) -> Vec<SourceSpan> {
    let mut spans: Vec<SourceSpan> = Vec::new();
    for (date, row) in dates.iter().zip(cells) {
        let Some(value) = row
            .get(col)
            .copied()
            .flatten()
            .filter(|v| v.value.is_some())
        else {
            continue;
        };
        match spans.iter_mut().find(|s| s.served_by == value.served_by) {
            Some(span) => {
                span.last = *date;
                span.days += 1;
            }
            None => spans.push(SourceSpan {
                served_by: value.served_by.clone(),
                first: *date,
                last: *date,
                days: 1,
            }),
        }
    }
    spans
}
