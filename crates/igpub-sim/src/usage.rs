//! Call-count rate limits: `X-App-Usage`, `X-Business-Use-Case-Usage` and codes 4, 17, 32 and
//! 80002 (shared/graph-api.md §7).

use crate::config::RateBudgets;
use crate::error::MetaError;
use parking_lot::Mutex;
use std::collections::HashMap;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Calls in a rolling window, kept in a ring of fixed slots so memory stays constant.
#[derive(Debug, Clone)]
struct SlidingCounter {
    slot_ms: i64,
    /// (slot number since the epoch, calls in it)
    slots: Box<[(i64, u64)]>,
}

impl SlidingCounter {
    fn new(window_ms: i64, slot_count: usize) -> Self {
        let slot_count = slot_count.max(1);
        let count = i64::try_from(slot_count).unwrap_or(1);
        Self {
            slot_ms: (window_ms / count).max(1),
            slots: vec![(i64::MIN, 0); slot_count].into_boxed_slice(),
        }
    }

    fn slot_count(&self) -> i64 {
        i64::try_from(self.slots.len()).unwrap_or(1)
    }

    fn is_live(&self, slot: i64, now_ms: i64) -> bool {
        let current = now_ms.div_euclid(self.slot_ms);
        slot > current - self.slot_count() && slot <= current
    }

    fn total(&self, now_ms: i64) -> u64 {
        self.slots
            .iter()
            .filter(|(slot, _)| self.is_live(*slot, now_ms))
            .map(|(_, calls)| calls)
            .sum()
    }

    fn add(&mut self, now_ms: i64, calls: u64) {
        let slot = now_ms.div_euclid(self.slot_ms);
        let position = usize::try_from(slot.rem_euclid(self.slot_count())).unwrap_or(0);
        if let Some(entry) = self.slots.get_mut(position) {
            if entry.0 != slot {
                *entry = (slot, 0);
            }
            entry.1 += calls;
        }
    }

    /// Milliseconds until the count drops below `budget`, as old slots leave the window.
    fn ms_until_below(&self, now_ms: i64, budget: u64) -> i64 {
        let mut total = self.total(now_ms);
        if total < budget {
            return 0;
        }
        let mut live: Vec<(i64, u64)> = self
            .slots
            .iter()
            .copied()
            .filter(|(slot, _)| self.is_live(*slot, now_ms))
            .collect();
        live.sort_unstable();
        for (slot, calls) in live {
            total -= calls;
            if total < budget {
                let leaves_at = (slot + self.slot_count()) * self.slot_ms;
                return (leaves_at - now_ms).max(0);
            }
        }
        0
    }
}

/// Whose budgets one call draws on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UsageKeys {
    pub app: Option<u64>,
    pub user: Option<u64>,
    pub page: Option<u64>,
    pub ig: Option<u64>,
}

#[derive(Default)]
struct Counters {
    app: HashMap<u64, SlidingCounter>,
    user: HashMap<u64, SlidingCounter>,
    page: HashMap<u64, SlidingCounter>,
    account: HashMap<(u64, u64), SlidingCounter>,
}

/// The usage of every app, user, Page and account.
pub(crate) struct Usage {
    budgets: RateBudgets,
    counters: Mutex<Counters>,
}

fn hourly() -> SlidingCounter {
    SlidingCounter::new(HOUR_MS, 60)
}

fn daily() -> SlidingCounter {
    SlidingCounter::new(DAY_MS, 96)
}

fn percent(calls: u64, budget: Option<u64>) -> u64 {
    match budget {
        Some(budget) if budget > 0 => calls.saturating_mul(100) / budget,
        _ => 0,
    }
}

fn over(counter: Option<&SlidingCounter>, budget: Option<u64>, now_ms: i64) -> bool {
    match (counter, budget) {
        (Some(counter), Some(budget)) => counter.total(now_ms) >= budget,
        (None, Some(0)) => true,
        _ => false,
    }
}

impl Usage {
    pub fn new(budgets: RateBudgets) -> Self {
        Self {
            budgets,
            counters: Mutex::new(Counters::default()),
        }
    }

    /// Lets `calls` calls through, or answers the code of the first exhausted budget. Refused
    /// calls do not count, so access comes back when the window moves on.
    pub fn admit(&self, now_ms: i64, keys: UsageKeys, calls: u64) -> Result<(), MetaError> {
        let budgets = self.budgets;
        let mut counters = self.counters.lock();
        if let Some(app) = keys.app
            && over(counters.app.get(&app), budgets.app_calls_per_hour, now_ms)
        {
            return Err(MetaError::new(4, "(#4) Application request limit reached").transient(true));
        }
        if let Some(user) = keys.user
            && over(
                counters.user.get(&user),
                budgets.user_calls_per_hour,
                now_ms,
            )
        {
            return Err(MetaError::new(17, "(#17) User request limit reached").transient(true));
        }
        if let Some(page) = keys.page
            && over(
                counters.page.get(&page),
                budgets.page_calls_per_hour,
                now_ms,
            )
        {
            return Err(MetaError::new(32, "(#32) Page request limit reached").transient(true));
        }
        if let (Some(app), Some(ig)) = (keys.app, keys.ig)
            && over(
                counters.account.get(&(app, ig)),
                budgets.account_calls_per_day,
                now_ms,
            )
        {
            // graph-api.md §6.2: the 80002 text, word for word.
            return Err(MetaError::new(
                80002,
                "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            )
            .transient(true));
        }
        // An unlimited budget is never read (its header share is 0 and it never refuses), so
        // its window is not kept: load runs with lifted budgets skip the bookkeeping entirely.
        if let Some(app) = keys.app {
            if budgets.app_calls_per_hour.is_some() {
                counters
                    .app
                    .entry(app)
                    .or_insert_with(hourly)
                    .add(now_ms, calls);
            }
            if let Some(ig) = keys.ig
                && budgets.account_calls_per_day.is_some()
            {
                counters
                    .account
                    .entry((app, ig))
                    .or_insert_with(daily)
                    .add(now_ms, calls);
            }
        }
        if let Some(user) = keys.user
            && budgets.user_calls_per_hour.is_some()
        {
            counters
                .user
                .entry(user)
                .or_insert_with(hourly)
                .add(now_ms, calls);
        }
        if let Some(page) = keys.page
            && budgets.page_calls_per_hour.is_some()
        {
            counters
                .page
                .entry(page)
                .or_insert_with(hourly)
                .add(now_ms, calls);
        }
        Ok(())
    }

    /// The `X-App-Usage` value for an app (shared/graph-api.md §7).
    pub fn app_header(&self, now_ms: i64, app: Option<u64>) -> String {
        // Unlimited: nothing is counted and the share is 0, without taking the lock.
        let calls = app
            .filter(|_| self.budgets.app_calls_per_hour.is_some())
            .and_then(|app| self.counters.lock().app.get(&app).map(|c| c.total(now_ms)))
            .unwrap_or(0);
        let call_count = percent(calls, self.budgets.app_calls_per_hour);
        // Time shares are not simulated; they track the call share at a lower level.
        let time = call_count / 2;
        format!(r#"{{"call_count":{call_count},"total_cputime":{time},"total_time":{time}}}"#)
    }

    /// The `X-Business-Use-Case-Usage` value, keyed by IG user id (shared/graph-api.md §7).
    pub fn buc_header(&self, now_ms: i64, app: Option<u64>, igs: &[u64]) -> String {
        let budget = self.budgets.account_calls_per_day;
        // Unlimited: nothing is counted, so the lock is not taken.
        let counters = budget.map(|_| self.counters.lock());
        let entries: Vec<String> = igs
            .iter()
            .map(|ig| {
                let counter = app.and_then(|app| counters.as_ref()?.account.get(&(app, *ig)));
                let calls = counter.map(|c| c.total(now_ms)).unwrap_or(0);
                let regain_ms = match (counter, budget) {
                    (Some(counter), Some(budget)) => counter.ms_until_below(now_ms, budget),
                    _ => 0,
                };
                let call_count = percent(calls, budget);
                let time = call_count / 2;
                // graph-api.md §7: minutes, 0 when not throttled.
                let regain_minutes = (regain_ms + 59_999) / 60_000;
                format!(
                    r#""{ig}":[{{"type":"instagram","call_count":{call_count},"total_cputime":{time},"total_time":{time},"estimated_time_to_regain_access":{regain_minutes}}}]"#
                )
            })
            .collect();
        format!("{{{}}}", entries.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_leave_the_window_after_it_has_passed() {
        let mut counter = SlidingCounter::new(HOUR_MS, 60);
        counter.add(0, 5);
        assert_eq!(counter.total(HOUR_MS - 60_001), 5);
        assert_eq!(counter.total(HOUR_MS + 1), 0);
    }

    #[test]
    fn regain_time_is_when_enough_old_calls_have_left() {
        let mut counter = SlidingCounter::new(HOUR_MS, 60);
        counter.add(0, 3);
        counter.add(30 * 60_000, 3);
        assert_eq!(counter.ms_until_below(30 * 60_000, 6), 30 * 60_000);
        assert_eq!(counter.ms_until_below(30 * 60_000, 7), 0);
    }

    #[test]
    fn unlimited_budgets_keep_no_windows_and_report_no_usage() {
        let usage = Usage::new(RateBudgets::unlimited());
        let keys = UsageKeys {
            app: Some(1),
            user: Some(3),
            page: Some(4),
            ig: Some(2),
        };
        for _ in 0..1000 {
            assert!(usage.admit(0, keys, 1).is_ok());
        }
        {
            let counters = usage.counters.lock();
            assert!(counters.app.is_empty() && counters.account.is_empty());
            assert!(counters.user.is_empty() && counters.page.is_empty());
        }
        assert_eq!(
            usage.app_header(0, Some(1)),
            r#"{"call_count":0,"total_cputime":0,"total_time":0}"#
        );
        assert_eq!(
            usage.buc_header(0, Some(1), &[2]),
            r#"{"2":[{"type":"instagram","call_count":0,"total_cputime":0,"total_time":0,"estimated_time_to_regain_access":0}]}"#
        );
    }

    #[test]
    fn a_limited_app_budget_still_counts_beside_an_unlimited_account() {
        let usage = Usage::new(RateBudgets {
            app_calls_per_hour: Some(10),
            ..RateBudgets::unlimited()
        });
        let keys = UsageKeys {
            app: Some(1),
            ig: Some(2),
            ..UsageKeys::default()
        };
        for _ in 0..5 {
            assert!(usage.admit(0, keys, 1).is_ok());
        }
        assert_eq!(
            usage.app_header(0, Some(1)),
            r#"{"call_count":50,"total_cputime":25,"total_time":25}"#
        );
        assert!(usage.counters.lock().account.is_empty());
    }

    #[test]
    fn an_exhausted_account_budget_answers_80002() {
        let usage = Usage::new(RateBudgets {
            account_calls_per_day: Some(2),
            ..RateBudgets::unlimited()
        });
        let keys = UsageKeys {
            app: Some(1),
            ig: Some(2),
            ..UsageKeys::default()
        };
        assert!(usage.admit(0, keys, 1).is_ok());
        assert!(usage.admit(0, keys, 1).is_ok());
        let refused = usage.admit(0, keys, 1).err().map(|e| e.code);
        assert_eq!(refused, Some(80002));
    }
}
