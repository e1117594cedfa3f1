//! Times as a person reads them: in their own IANA time zone (the browser's, which `app.js`
//! keeps in a cookie), with the zone list for pickers.

use std::sync::LazyLock;

use axum::http::HeaderMap;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::cookies::{self, TIME_ZONE_COOKIE};

/// The zone when the browser has not told us one.
pub const DEFAULT_ZONE: &str = "UTC";

/// The first path segments of the zones people pick from (the tz database also carries
/// legacy aliases such as `US/Pacific` and copies under `posix/` and `right/`).
const REGIONS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// Every IANA zone name a picker offers, sorted, with `UTC` first.
pub static ZONE_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| {
            name.split_once('/')
                .is_some_and(|(region, _)| REGIONS.contains(&region))
        })
        .collect();
    names.sort();
    names.dedup();
    names.insert(0, DEFAULT_ZONE.to_owned());
    names
});

/// A time zone with the name it was found by.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The IANA name.
    pub name: String,
    /// The zone.
    pub tz: TimeZone,
}

impl Zone {
    /// The zone called `name`, if the tz database knows it.
    pub fn named(name: &str) -> Option<Self> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        TimeZone::get(name).ok().map(|tz| Self {
            name: name.to_owned(),
            tz,
        })
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: DEFAULT_ZONE.to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// The viewer's zone from the request's cookie, or UTC.
    pub fn of_viewer(headers: &HeaderMap) -> Self {
        cookies::read(headers, TIME_ZONE_COOKIE)
            .and_then(|name| Self::named(&name))
            .unwrap_or_else(Self::utc)
    }

    /// `at` on this zone's wall clock, e.g. `Mon 30 Nov 2026, 14:05`.
    pub fn show(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone())
            .strftime("%a %-d %b %Y, %H:%M")
            .to_string()
    }

    /// `at` to the second, e.g. `Mon 30 Nov 2026, 14:05:09`, for timelines.
    pub fn show_precise(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone())
            .strftime("%a %-d %b %Y, %H:%M:%S")
            .to_string()
    }

    /// `at` as the clock time only, e.g. `14:05`.
    pub fn show_time(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone()).strftime("%H:%M").to_string()
    }
}

/// `at` for a `<time datetime>` attribute (RFC 3339, UTC).
pub fn machine(at: Timestamp) -> String {
    at.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_list_offers_regional_names_and_not_aliases() {
        let names = &*ZONE_NAMES;
        assert_eq!(names.first().map(String::as_str), Some("UTC"));
        assert!(names.iter().any(|n| n == "Europe/Paris"), "{names:?}");
        assert!(names.iter().any(|n| n == "America/New_York"));
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("posix/") || n == "US/Pacific")
        );
    }

    #[test]
    fn times_show_on_the_zone_wall_clock() {
        let at: Timestamp = "2026-11-30T13:05:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let paris = Zone::named("Europe/Paris").unwrap_or_else(Zone::utc);
        assert_eq!(paris.show(at), "Mon 30 Nov 2026, 14:05");
        assert_eq!(Zone::utc().show_time(at), "13:05");
    }

    #[test]
    fn an_unknown_or_absurd_zone_name_is_refused() {
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
        assert!(Zone::named(&"A".repeat(200)).is_none());
    }
}
