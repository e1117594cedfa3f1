//! Per-tenant request limits for the `/v1` API: each tenant has its own budget (a GCRA bucket
//! from the maintained `governor` crate), so one tenant's burst never slows another; past it,
//! the answer is 429 in the API's error shape with `Retry-After`.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use crate::store::TenantId;

/// Requests per second a tenant may make on average.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 50;
/// Requests a tenant may make at once before the average applies.
pub const DEFAULT_BURST: u32 = 200;

/// The tenants' request budgets. Cheap to clone.
#[derive(Clone)]
pub struct ApiRateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<TenantId>>,
}

impl std::fmt::Debug for ApiRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRateLimit").finish_non_exhaustive()
    }
}

impl Default for ApiRateLimit {
    fn default() -> Self {
        Self::new(DEFAULT_REQUESTS_PER_SECOND, DEFAULT_BURST)
    }
}

impl ApiRateLimit {
    /// `per_second` on average with bursts of `burst` (each at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
        }
    }

    /// Takes one request from the tenant's budget, or answers 429 naming when to retry.
    pub fn check(&self, tenant: TenantId) -> Result<(), ApiError> {
        self.limiter.check_key(&tenant).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::too_many_requests(format!(
                "this tenant sends requests faster than the API allows; retry in {} s",
                seconds.max(1)
            ))
            .with_retry_after(seconds.max(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_tenant_past_its_burst_gets_429_and_another_tenant_does_not() {
        let limits = ApiRateLimit::new(1, 3);
        let busy = TenantId::generate();
        for _ in 0..3 {
            assert!(limits.check(busy).is_ok());
        }
        let refused = limits.check(busy).expect_err("past the burst");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(limits.check(TenantId::generate()).is_ok());
    }
}
