//! Simulated time: the real clock plus an offset that tests move forward.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds in a day, the length of every Instagram window (containers, quota, stories).
pub const DAY_MS: i64 = 86_400_000;

/// Now, as the simulator sees it.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    /// A clock that reads `start_ms` (Unix milliseconds) now, and runs on from there.
    pub fn starting_at(start_ms: i64) -> Self {
        let clock = Self::default();
        clock
            .offset_ms
            .store(start_ms.saturating_sub(clock.now_ms()), Ordering::Relaxed);
        clock
    }

    /// Unix milliseconds, simulated.
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Unix seconds, simulated.
    pub fn now_unix(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves simulated time forward; it never moves back.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(by, Ordering::Relaxed);
    }
}

/// Meta's timestamp format, `2019-09-26T22:36:43+0000` (shared/graph-api.md §3.3).
pub fn graph_timestamp(unix_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(unix_ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

/// A token-expiry time as Meta writes it in 190/463: `Thursday, 10-Dec-15 04:00:00 PST`.
pub fn session_time(unix_ms: i64) -> String {
    let timestamp =
        jiff::Timestamp::from_millisecond(unix_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    // graph-api.md §6.2: Meta words the 463 message in US-Pacific time.
    let zone = jiff::tz::TimeZone::get("America/Los_Angeles").unwrap_or(jiff::tz::TimeZone::UTC);
    timestamp
        .to_zoned(zone)
        .strftime("%A, %d-%b-%y %H:%M:%S %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_timestamps_use_a_colonless_utc_offset() {
        assert_eq!(
            graph_timestamp(1_569_537_403_000),
            "2019-09-26T22:36:43+0000"
        );
    }

    #[test]
    fn a_clock_can_start_in_the_past() {
        let start_ms = 1_740_823_200_000;
        let clock = SimClock::starting_at(start_ms);
        let now = clock.now_ms();
        assert!((start_ms..start_ms + 3_600_000).contains(&now), "{now}");
    }

    #[test]
    fn advancing_moves_now_forward_by_that_much() {
        let clock = SimClock::default();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now_ms() - before >= 3_600_000);
    }
}
