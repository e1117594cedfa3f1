//! Retry timing: exponential backoff with full jitter, capped, up to a limit of attempts.

use std::time::Duration;

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The first wait.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Failures of one step after which the post fails.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(5 * 60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait after failure number `attempt` (0-based), at least `floor` (Meta's own hint),
    /// with jitter between half and the whole of the exponential value so that posts that
    /// failed together do not come back together.
    pub fn delay(&self, attempt: u32, floor: Duration) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        let exponential = self
            .base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap);
        let jitter: f64 = rand::random::<f64>() * 0.5 + 0.5;
        exponential
            .mul_f64(jitter)
            .max(floor.min(self.cap.max(floor)))
    }

    /// Whether failure number `attempt` (0-based) is the last one allowed.
    pub fn exhausted(&self, attempt: u32) -> bool {
        attempt.saturating_add(1) >= self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let policy = RetryPolicy::default();
        for attempt in 0..40 {
            let delay = policy.delay(attempt, Duration::ZERO);
            assert!(delay <= policy.cap, "{attempt}: {delay:?}");
            let full = policy
                .base
                .saturating_mul(1 << attempt.min(20))
                .min(policy.cap);
            assert!(delay >= full / 2, "{attempt}: {delay:?}");
        }
    }

    #[test]
    fn metas_hint_is_a_floor() {
        let policy = RetryPolicy::default();
        assert!(policy.delay(0, Duration::from_secs(30)) >= Duration::from_secs(30));
    }

    #[test]
    fn the_limit_counts_attempts() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(!policy.exhausted(0));
        assert!(!policy.exhausted(1));
        assert!(policy.exhausted(2));
    }
}
