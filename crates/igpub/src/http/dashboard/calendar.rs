//! The week the queue shows: Monday to Sunday on the viewer's wall clock, and which day each
//! post falls on. Pure, so the edges (daylight saving, year ends) are tested without a clock.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// A week on a zone's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Its Monday.
    pub monday: Date,
    /// Midnight of that Monday, on the zone's clock.
    pub starts: Timestamp,
    /// Midnight of the next Monday (the week may be 167 or 169 hours around a DST change).
    pub ends: Timestamp,
}

impl Week {
    /// The week holding `day`, in `zone`.
    pub fn containing(day: Date, zone: &TimeZone) -> Option<Self> {
        let back = i64::from(day.weekday().to_monday_zero_offset());
        let monday = day.checked_sub(Span::new().days(back)).ok()?;
        let next = monday.checked_add(Span::new().days(7)).ok()?;
        Some(Self {
            monday,
            starts: monday.to_zoned(zone.clone()).ok()?.timestamp(),
            ends: next.to_zoned(zone.clone()).ok()?.timestamp(),
        })
    }

    /// Its seven days, Monday first.
    pub fn days(&self) -> Vec<Date> {
        (0..7)
            .filter_map(|offset| self.monday.checked_add(Span::new().days(offset)).ok())
            .collect()
    }

    /// The Monday before.
    pub fn previous_monday(&self) -> Option<Date> {
        self.monday.checked_sub(Span::new().days(7)).ok()
    }

    /// The Monday after.
    pub fn next_monday(&self) -> Option<Date> {
        self.monday.checked_add(Span::new().days(7)).ok()
    }
}

/// The calendar day `at` falls on in `zone`.
pub fn day_of(at: Timestamp, zone: &TimeZone) -> Date {
    at.to_zoned(zone.clone()).date()
}

/// Whether `day` is a Saturday or a Sunday.
pub fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or(TimeZone::UTC)
    }

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let week = Week::containing(date(2026, 12, 3), &TimeZone::UTC);
        let days = week.map(|w| w.days()).unwrap_or_default();
        assert_eq!(days.first(), Some(&date(2026, 11, 30)));
        assert_eq!(days.last(), Some(&date(2026, 12, 6)));
        assert_eq!(days.len(), 7);
    }

    #[test]
    fn a_sunday_belongs_to_the_week_that_started_six_days_before() {
        let week = Week::containing(date(2026, 12, 6), &TimeZone::UTC);
        assert_eq!(week.map(|w| w.monday), Some(date(2026, 11, 30)));
    }

    #[test]
    fn the_week_of_a_daylight_saving_change_is_an_hour_short() {
        // Europe/Paris springs forward on Sunday 29 March 2026.
        let week = Week::containing(date(2026, 3, 26), &zone("Europe/Paris"));
        let hours = week.map(|w| w.ends.duration_since(w.starts).as_hours());
        assert_eq!(hours, Some(167));
    }

    #[test]
    fn a_post_falls_on_the_viewer_s_day_not_utc_s() {
        let at: Timestamp = "2026-12-01T23:30:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(day_of(at, &TimeZone::UTC), date(2026, 12, 1));
        assert_eq!(day_of(at, &zone("Europe/Paris")), date(2026, 12, 2));
    }

    #[test]
    fn weeks_step_across_a_year_end() {
        let week = Week::containing(date(2026, 12, 31), &TimeZone::UTC);
        assert_eq!(
            week.as_ref().and_then(Week::next_monday),
            Some(date(2027, 1, 4))
        );
        assert_eq!(
            week.as_ref().and_then(Week::previous_monday),
            Some(date(2026, 12, 21))
        );
        assert!(is_weekend(date(2027, 1, 3)));
    }
}
