//! Inclusive ranges of civil days, the unit of every insights window and report.

use std::fmt;

use jiff::civil::Date;
use jiff::{Span, tz::Offset};
use serde::Serialize;

/// The days `first..=last`, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DateRange {
    first: Date,
    last: Date,
}

/// A range whose last day comes before its first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("date range is not valid: `until` ({last}) is before `since` ({first})")]
pub struct InvalidDateRange {
    first: Date,
    last: Date,
}

impl DateRange {
    /// The days from `first` to `last`, both included.
    pub fn new(first: Date, last: Date) -> Result<Self, InvalidDateRange> {
        if last < first {
            return Err(InvalidDateRange { first, last });
        }
        Ok(Self { first, last })
    }

    /// A range of one day.
    pub fn day(day: Date) -> Self {
        Self {
            first: day,
            last: day,
        }
    }

    /// The first day.
    pub fn first(&self) -> Date {
        self.first
    }

    /// The last day, included.
    pub fn last(&self) -> Date {
        self.last
    }

    /// How many days the range holds (at least 1).
    pub fn len_days(&self) -> i64 {
        days_between(self.first, self.last) + 1
    }

    /// Whether `day` lies in the range.
    pub fn contains(&self, day: Date) -> bool {
        self.first <= day && day <= self.last
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + use<> {
        let last = self.last;
        std::iter::successors(Some(self.first), move |d| {
            d.tomorrow().ok().filter(|next| *next <= last)
        })
    }

    /// The days both ranges hold, if any.
    pub fn intersect(&self, other: &Self) -> Option<Self> {
        Self::new(self.first.max(other.first), self.last.min(other.last)).ok()
    }

    /// The range of the same length that ends the day before this one starts: the "previous
    /// period" of a report. `None` at the edge of the calendar.
    pub fn previous(&self) -> Option<Self> {
        let last = self.first.yesterday().ok()?;
        let first = add_days(self.first, -self.len_days())?;
        Self::new(first, last).ok()
    }

    /// Consecutive ranges of at most `max_days` days that cover this one exactly: no gap, no
    /// overlap. `max_days` below 1 is treated as 1.
    pub fn split(&self, max_days: i64) -> Vec<Self> {
        let max_days = max_days.max(1);
        let mut windows = Vec::new();
        let mut first = self.first;
        loop {
            let last = add_days(first, max_days - 1).map_or(self.last, |end| end.min(self.last));
            windows.push(Self { first, last });
            if last >= self.last {
                return windows;
            }
            match last.tomorrow() {
                Ok(next) => first = next,
                Err(_) => return windows,
            }
        }
    }

    /// The Unix seconds Meta's `since`/`until` take: the start of the first day and the start
    /// of the day after the last, at a fixed `offset`. A fixed offset keeps a 30-day window at
    /// exactly 2,592,000 s, which Meta's cap accepts (graph-api.md §4.1: "cannot be more than
    /// 30 days"); a zone with daylight saving could push it an hour over.
    pub fn unix_bounds(&self, offset: Offset) -> Option<(i64, i64)> {
        let start = |day: Date| {
            day.to_datetime(jiff::civil::Time::midnight())
                .to_zoned(offset.to_time_zone())
                .ok()
                .map(|z| z.timestamp().as_second())
        };
        Some((start(self.first)?, start(self.last.tomorrow().ok()?)?))
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.first, self.last)
    }
}

/// `day` moved by `days` (negative goes back); `None` past the calendar's ends.
pub(crate) fn add_days(day: Date, days: i64) -> Option<Date> {
    let span = Span::new().try_days(days).ok()?;
    day.checked_add(span).ok()
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub(crate) fn days_between(a: Date, b: Date) -> i64 {
    a.duration_until(b).as_secs() / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn range(first: Date, last: Date) -> DateRange {
        DateRange::new(first, last).expect("valid range")
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused() {
        let err = DateRange::new(date(2026, 1, 2), date(2026, 1, 1)).expect_err("backwards");
        assert_eq!(
            err.to_string(),
            "date range is not valid: `until` (2026-01-01) is before `since` (2026-01-02)"
        );
    }

    #[test]
    fn ninety_five_days_split_into_four_windows_without_gap_or_overlap() {
        let whole = range(date(2026, 1, 1), date(2026, 4, 5));
        assert_eq!(whole.len_days(), 95);
        let windows = whole.split(30);
        assert_eq!(
            windows,
            vec![
                range(date(2026, 1, 1), date(2026, 1, 30)),
                range(date(2026, 1, 31), date(2026, 3, 1)),
                range(date(2026, 3, 2), date(2026, 3, 31)),
                range(date(2026, 4, 1), date(2026, 4, 5)),
            ]
        );
        for pair in windows.windows(2) {
            assert_eq!(pair[0].last().tomorrow().ok(), Some(pair[1].first()));
        }
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let current = range(date(2026, 3, 1), date(2026, 3, 31));
        assert_eq!(
            current.previous(),
            Some(range(date(2026, 1, 29), date(2026, 2, 28)))
        );
    }

    #[test]
    fn a_full_window_is_exactly_thirty_days_of_seconds() {
        let window = range(date(2026, 3, 1), date(2026, 3, 30));
        let (since, until) = window.unix_bounds(Offset::constant(-7)).expect("in range");
        assert_eq!(until - since, 2_592_000);
    }

    #[test]
    fn splitting_at_the_end_of_the_calendar_stops() {
        let end = range(date(9999, 12, 20), date(9999, 12, 31));
        let windows = end.split(5);
        assert_eq!(
            windows.last().map(DateRange::last),
            Some(date(9999, 12, 31))
        );
        assert_eq!(windows.len(), 3);
    }
}
