//! When a post goes out: now, at a UTC instant, or at a wall-clock time in an IANA time zone.
//!
//! Parsing is pure: the caller passes `now`, nothing here reads a clock.

use std::fmt;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, Unit, Zoned};

use super::input::{LocalPublishAt, PublishAtInput};
use super::violation::{Fault, Problems, Rule};

/// How far in the past a publish time may lie and still be accepted (it then means "as soon as
/// possible"): a form filled in at 09:59:30 for 10:00 and sent at 10:00:20 is not refused.
/// Anything older is refused, so a post never goes out hours late by mistake.
pub const PAST_GRACE: SignedDuration = SignedDuration::from_secs(60);

/// The word that asks for publishing at once.
const NOW: &str = "now";

/// When a post is due. Keeps the time zone it was given in, so the post shows it back.
///
/// - `"now"` (or no `publish_at` at all): due at the `now` passed to [`Schedule::parse`].
/// - An RFC 3339 instant with `Z` or an offset (`"2026-12-01T10:00:00Z"`): due then.
/// - A local date-time and an IANA zone (`{"local": "2026-12-01T10:00", "time_zone":
///   "Europe/Paris"}`): due when the wall clock there shows that time. Daylight-saving
///   transitions are resolved explicitly:
///   - **gap** (the clock jumps over the time, e.g. 02:30 on the spring-forward night in Paris):
///     refused with [`Rule::NonexistentLocalTime`]; the message names the same moment on the
///     clock after the jump, so the author picks the time they mean rather than igpub moving the
///     post silently;
///   - **fold** (the time shows twice, e.g. 02:30 on the fall-back night): the *earlier* of the
///     two, the first time the clock shows it (as RFC 5545 and Temporal's default do).
///
/// A time more than [`PAST_GRACE`] before `now` is refused with [`Rule::InThePast`]; "now" is the
/// way to ask for an immediate post.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule(When);

#[derive(Debug, Clone, PartialEq)]
enum When {
    Now(Timestamp),
    At(Timestamp),
    Local {
        local: DateTime,
        zone_name: String,
        zone: TimeZone,
        at: Timestamp,
    },
}

/// Why a `publish_at` is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A string that is neither `"now"` nor an RFC 3339 instant.
    #[error(
        "{text:?} is not a time: give \"now\", an RFC 3339 instant with Z or an offset (\"2026-12-01T10:00:00Z\"), or {{\"local\": \"2026-12-01T10:00\", \"time_zone\": \"Europe/Paris\"}} ({reason})"
    )]
    InvalidInstant {
        /// The text given.
        text: String,
        /// The parser's reason.
        reason: String,
    },
    /// A local date-time that cannot be parsed.
    #[error(
        "{text:?} is not a local date-time like \"2026-12-01T10:00\" (no offset, no zone: the zone goes in time_zone) ({reason})"
    )]
    InvalidLocalTime {
        /// The text given.
        text: String,
        /// The parser's reason.
        reason: String,
    },
    /// A zone name the IANA time zone database does not know.
    #[error("{name:?} is not an IANA time zone name like \"Europe/Paris\" or \"America/New_York\"")]
    UnknownTimeZone {
        /// The name given.
        name: String,
    },
    /// A wall-clock time skipped by a daylight-saving jump.
    #[error(
        "{local} does not exist in {zone}: the clocks jump from {before} to {after} over it (daylight saving); the same moment reads {shifted} after the jump, so pick a time outside the gap"
    )]
    NonexistentLocalTime {
        /// The local time given.
        local: DateTime,
        /// The zone's name.
        zone: String,
        /// The offset before the jump.
        before: jiff::tz::Offset,
        /// The offset after the jump.
        after: jiff::tz::Offset,
        /// The wall-clock time after the jump at the same instant, as a suggestion.
        shifted: DateTime,
    },
    /// A time in the past.
    #[error(
        "{at} is {ago:#} in the past (now is {now}); say \"now\" to publish at once, or pick a later time"
    )]
    InThePast {
        /// The requested instant.
        at: Timestamp,
        /// The `now` it was compared with.
        now: Timestamp,
        /// How long ago it was, to the second.
        ago: SignedDuration,
    },
}

impl Fault for ScheduleError {
    fn rule(&self) -> Rule {
        match self {
            ScheduleError::InvalidInstant { .. } => Rule::InvalidInstant,
            ScheduleError::InvalidLocalTime { .. } => Rule::InvalidLocalTime,
            ScheduleError::UnknownTimeZone { .. } => Rule::UnknownTimeZone,
            ScheduleError::NonexistentLocalTime { .. } => Rule::NonexistentLocalTime,
            ScheduleError::InThePast { .. } => Rule::InThePast,
        }
    }

    fn path(&self) -> String {
        match self {
            ScheduleError::InvalidLocalTime { .. } | ScheduleError::NonexistentLocalTime { .. } => {
                ".local".to_owned()
            }
            ScheduleError::UnknownTimeZone { .. } => ".time_zone".to_owned(),
            ScheduleError::InvalidInstant { .. } | ScheduleError::InThePast { .. } => String::new(),
        }
    }
}

impl Schedule {
    /// Parses `publish_at` (`None` means now) against `now`.
    pub fn parse(
        input: Option<&PublishAtInput>,
        now: Timestamp,
    ) -> Result<Self, Problems<ScheduleError>> {
        let when = match input {
            None => When::Now(now),
            Some(PublishAtInput::Text(text)) => parse_text(text, now).map_err(Problems::one)?,
            Some(PublishAtInput::Local(local)) => parse_local(local)?,
        };
        let schedule = Self(when);
        let at = schedule.run_at();
        let earliest = now.checked_sub(PAST_GRACE).unwrap_or(Timestamp::MIN);
        if at < earliest {
            let ago = now
                .duration_since(at)
                .round(Unit::Second)
                .unwrap_or(SignedDuration::MAX);
            return Err(Problems::one(ScheduleError::InThePast { at, now, ago }));
        }
        Ok(schedule)
    }

    /// Due at `now`, as `"now"` asks.
    pub(crate) fn now(now: Timestamp) -> Self {
        Self(When::Now(now))
    }

    /// The UTC instant the post is due at.
    pub fn run_at(&self) -> Timestamp {
        match &self.0 {
            When::Now(at) | When::At(at) | When::Local { at, .. } => *at,
        }
    }

    /// Whether the post was asked for "now".
    pub fn is_now(&self) -> bool {
        matches!(self.0, When::Now(_))
    }

    /// The IANA time zone the time was given in (`"Europe/Paris"`), if it was given as a local
    /// time.
    pub fn time_zone(&self) -> Option<&str> {
        match &self.0 {
            When::Local { zone_name, .. } => Some(zone_name),
            When::Now(_) | When::At(_) => None,
        }
    }

    /// The wall-clock time as given, if it was given as a local time.
    pub fn local(&self) -> Option<DateTime> {
        match &self.0 {
            When::Local { local, .. } => Some(*local),
            When::Now(_) | When::At(_) => None,
        }
    }

    /// The due time in the zone it was given in, if any, to show it back to its author.
    pub fn zoned(&self) -> Option<Zoned> {
        match &self.0 {
            When::Local { zone, at, .. } => Some(at.to_zoned(zone.clone())),
            When::Now(_) | When::At(_) => None,
        }
    }

    /// The input that parses back into this schedule (with the same `now`).
    pub fn to_input(&self) -> PublishAtInput {
        match &self.0 {
            When::Now(_) => PublishAtInput::Text(NOW.to_owned()),
            When::At(at) => PublishAtInput::Text(at.to_string()),
            When::Local {
                local, zone_name, ..
            } => PublishAtInput::Local(LocalPublishAt {
                local: local.to_string(),
                time_zone: zone_name.clone(),
            }),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            When::Now(at) => write!(f, "now ({at})"),
            When::At(at) => write!(f, "{at}"),
            When::Local {
                local, zone_name, ..
            } => write!(f, "{local} {zone_name}"),
        }
    }
}

fn parse_text(text: &str, now: Timestamp) -> Result<When, ScheduleError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case(NOW) {
        return Ok(When::Now(now));
    }
    trimmed
        .parse::<Timestamp>()
        .map(When::At)
        .map_err(|error| ScheduleError::InvalidInstant {
            text: text.to_owned(),
            reason: error.to_string(),
        })
}

fn parse_local(input: &LocalPublishAt) -> Result<When, Problems<ScheduleError>> {
    let local = parse_local_datetime(&input.local);
    let zone = parse_zone(&input.time_zone);
    let (local, (zone_name, zone)) = match (local, zone) {
        (Ok(local), Ok(zone)) => (local, zone),
        (local, zone) => {
            let problems = [local.err(), zone.err()].into_iter().flatten().collect();
            return Err(Problems::from_nonempty(problems));
        }
    };
    let ambiguous = zone.to_ambiguous_timestamp(local);
    let at = match ambiguous.offset() {
        AmbiguousOffset::Gap { before, after } => {
            let shifted = ambiguous
                .compatible()
                .map(|at| zone.to_datetime(at))
                .unwrap_or(local);
            return Err(Problems::one(ScheduleError::NonexistentLocalTime {
                local,
                zone: zone_name,
                before,
                after,
                shifted,
            }));
        }
        // A fold shows the time twice: take the first.
        AmbiguousOffset::Fold { .. } | AmbiguousOffset::Unambiguous { .. } => ambiguous.earlier(),
    };
    let at = at.map_err(|error| {
        Problems::one(ScheduleError::InvalidLocalTime {
            text: input.local.clone(),
            reason: error.to_string(),
        })
    })?;
    Ok(When::Local {
        local,
        zone_name,
        zone,
        at,
    })
}

fn parse_local_datetime(text: &str) -> Result<DateTime, ScheduleError> {
    let trimmed = text.trim();
    let invalid = |reason: String| ScheduleError::InvalidLocalTime {
        text: text.to_owned(),
        reason,
    };
    // jiff reads and drops an offset or zone after a civil time; a local time with one is
    // ambiguous about which the author meant, so it is refused.
    if has_offset_or_zone(trimmed) {
        return Err(invalid(
            "it carries an offset or a zone; put the zone in time_zone".to_owned(),
        ));
    }
    trimmed
        .parse::<DateTime>()
        .map_err(|error| invalid(error.to_string()))
}

/// Whether the time part of `text` (after `T` or a space) holds `Z`, `+`, `-` or `[`.
fn has_offset_or_zone(text: &str) -> bool {
    let Some(split) = text.find(['T', 't', ' ']) else {
        return false;
    };
    text.get(split + 1..)
        .is_some_and(|time| time.contains(['Z', 'z', '+', '-', '[', '\u{2212}']))
}

fn parse_zone(name: &str) -> Result<(String, TimeZone), ScheduleError> {
    let trimmed = name.trim();
    let unknown = || ScheduleError::UnknownTimeZone {
        name: name.to_owned(),
    };
    // Only names from the IANA database: POSIX TZ strings and fixed offsets are not zones a
    // person schedules in, and would not follow the place's daylight-saving rules.
    if trimmed.is_empty() || trimmed.contains(['+', ',']) {
        return Err(unknown());
    }
    let zone = TimeZone::get(trimmed).map_err(|_| unknown())?;
    let canonical = zone.iana_name().unwrap_or(trimmed).to_owned();
    Ok((canonical, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-29T12:00:00Z".parse().unwrap()
    }

    fn text(s: &str) -> Option<PublishAtInput> {
        Some(PublishAtInput::Text(s.to_owned()))
    }

    fn local(at: &str, zone: &str) -> Option<PublishAtInput> {
        Some(PublishAtInput::Local(LocalPublishAt {
            local: at.to_owned(),
            time_zone: zone.to_owned(),
        }))
    }

    fn rules(result: Result<Schedule, Problems<ScheduleError>>) -> Vec<(Rule, String)> {
        result
            .unwrap_err()
            .into_vec()
            .iter()
            .map(|e| (e.rule(), e.path()))
            .collect()
    }

    #[test]
    fn no_publish_time_means_now() {
        let schedule = Schedule::parse(None, now()).unwrap();
        assert!(schedule.is_now());
        assert_eq!(schedule.run_at(), now());
    }

    #[test]
    fn the_word_now_means_now() {
        let schedule = Schedule::parse(text(" NOW ").as_ref(), now()).unwrap();
        assert!(schedule.is_now());
        assert_eq!(schedule.run_at(), now());
    }

    #[test]
    fn an_rfc3339_instant_is_due_then() {
        let schedule = Schedule::parse(text("2026-12-01T11:00:00+01:00").as_ref(), now()).unwrap();
        assert_eq!(schedule.run_at().to_string(), "2026-12-01T10:00:00Z");
        assert_eq!(schedule.time_zone(), None);
    }

    #[test]
    fn an_instant_without_offset_is_refused() {
        assert_eq!(
            rules(Schedule::parse(text("2026-12-01T10:00").as_ref(), now())),
            [(Rule::InvalidInstant, String::new())]
        );
    }

    #[test]
    fn a_time_within_the_grace_minute_is_accepted_and_one_second_more_refused() {
        assert!(Schedule::parse(text("2026-11-29T11:59:00Z").as_ref(), now()).is_ok());
        let problems = Schedule::parse(text("2026-11-29T11:58:59Z").as_ref(), now()).unwrap_err();
        assert_eq!(problems.as_slice()[0].rule(), Rule::InThePast);
        assert!(
            problems.to_string().contains("1m 1s in the past"),
            "{problems}"
        );
    }

    #[test]
    fn a_local_time_keeps_its_zone_and_converts_to_utc() {
        let schedule =
            Schedule::parse(local("2026-12-01T10:00", "Europe/Paris").as_ref(), now()).unwrap();
        assert_eq!(schedule.run_at().to_string(), "2026-12-01T09:00:00Z");
        assert_eq!(schedule.time_zone(), Some("Europe/Paris"));
        assert_eq!(schedule.local().unwrap().to_string(), "2026-12-01T10:00:00");
    }

    #[test]
    fn a_local_time_in_a_dst_gap_is_refused_with_the_time_after_the_jump() {
        let problems =
            Schedule::parse(local("2027-03-28T02:30", "Europe/Paris").as_ref(), now()).unwrap_err();
        let [problem] = problems.as_slice() else {
            panic!("{problems}");
        };
        assert_eq!(problem.rule(), Rule::NonexistentLocalTime);
        assert_eq!(problem.path(), ".local");
        assert!(
            problem.to_string().contains("2027-03-28T03:30:00"),
            "{problem}"
        );
    }

    #[test]
    fn a_local_time_in_a_dst_fold_takes_the_first_occurrence() {
        // 02:30 shows twice on 2027-10-31 in Paris: first at +02:00 (00:30Z), then at +01:00.
        let schedule =
            Schedule::parse(local("2027-10-31T02:30", "Europe/Paris").as_ref(), now()).unwrap();
        assert_eq!(schedule.run_at().to_string(), "2027-10-31T00:30:00Z");
    }

    #[test]
    fn an_unknown_zone_and_a_bad_local_time_are_reported_together() {
        assert_eq!(
            rules(Schedule::parse(
                local("tomorrow", "Mars/Olympus").as_ref(),
                now()
            )),
            [
                (Rule::InvalidLocalTime, ".local".to_owned()),
                (Rule::UnknownTimeZone, ".time_zone".to_owned())
            ]
        );
    }

    #[test]
    fn a_fixed_offset_is_not_a_time_zone() {
        assert_eq!(
            rules(Schedule::parse(
                local("2026-12-01T10:00", "UTC+02:00").as_ref(),
                now()
            )),
            [(Rule::UnknownTimeZone, ".time_zone".to_owned())]
        );
    }

    #[test]
    fn a_local_time_with_an_offset_is_refused() {
        for at in [
            "2026-12-01T10:00Z",
            "2026-12-01T10:00+01:00",
            "2026-12-01T10:00[Europe/Paris]",
        ] {
            assert_eq!(
                rules(Schedule::parse(local(at, "Europe/Paris").as_ref(), now())),
                [(Rule::InvalidLocalTime, ".local".to_owned())],
                "{at}"
            );
        }
    }

    #[test]
    fn a_local_time_in_the_past_is_refused() {
        assert_eq!(
            rules(Schedule::parse(
                local("2026-11-29T12:00", "Europe/Paris").as_ref(),
                now()
            )),
            [(Rule::InThePast, String::new())]
        );
    }

    #[test]
    fn a_zone_name_is_kept_in_its_canonical_spelling() {
        let schedule =
            Schedule::parse(local("2026-12-01T10:00", "europe/paris").as_ref(), now()).unwrap();
        assert_eq!(schedule.time_zone(), Some("Europe/Paris"));
    }

    #[test]
    fn a_schedule_prints_back_to_an_input_that_parses_to_it() {
        for input in [
            None,
            text("2026-12-01T10:00:00.5Z"),
            local("2026-12-01T10:00", "America/New_York"),
        ] {
            let schedule = Schedule::parse(input.as_ref(), now()).unwrap();
            let again = Schedule::parse(Some(&schedule.to_input()), now()).unwrap();
            assert_eq!(again, schedule);
        }
    }
}
