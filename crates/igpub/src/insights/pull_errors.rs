//! What a pull does about a failed insights request: isolate a bad metric, retry, pause for a
//! rate limit, or stop for a dead token. A pure function of the error, unit-tested.

use std::time::Duration;

use igpub_graph::{ErrorClass, GraphError, RateLimitScope, classify};

/// Meta's words about a failure, kept for the metric's failure record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetaWords {
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub message: String,
}

impl MetaWords {
    pub(crate) fn of(error: &GraphError) -> Self {
        match error.api() {
            Some(api) => Self {
                code: Some(api.code),
                subcode: api.error_subcode,
                message: api.message.clone(),
            },
            None => Self {
                code: None,
                subcode: None,
                message: error.to_string(),
            },
        }
    }
}

/// What to do about one failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// One of the request's metrics is at fault: split the request, or record the metric's
    /// failure when it was alone.
    Metric(MetaWords),
    /// Retry the same request later.
    Transient { after: Duration, words: MetaWords },
    /// Pause the scope, as the publisher does (graph-api.md §7), and stop the pull.
    RateLimited {
        scope: RateLimitScope,
        after: Duration,
        words: MetaWords,
    },
    /// The token no longer works: the integration needs reconnecting.
    Reauth(MetaWords),
    /// Retrying will not help; every metric of the request is recorded as failed.
    Permanent(MetaWords),
}

/// Classifies a failed insights request on attempt `attempt` (0 = the first try failed).
pub(crate) fn failure_of(error: &GraphError, has_breakdown: bool, attempt: u32) -> Failure {
    let words = MetaWords::of(error);
    if let Some(api) = error.api() {
        let names_a_metric = match (api.code, api.error_subcode) {
            // graph-api.md §4.1/§4.2: unknown or retired metric, wrong period or metric_type,
            // incompatible breakdown, range rules: all (#100) invalid parameter.
            (100, _) => true,
            // §4.1: "requesting a breakdown on a metric that does not support it → An unknown
            // error has occurred. (code 1)".
            (1, None) => has_breakdown,
            // §4.2: "story metrics with values <5 → (#10) Not enough viewers".
            (10, _) => api.message.contains("Not enough viewers"),
            // §4.2: facebook_views/crossposted_views on media not shared to Facebook.
            (-1, Some(2_207_086)) => true,
            _ => false,
        };
        if names_a_metric {
            return Failure::Metric(words);
        }
    }
    match classify(error, attempt) {
        ErrorClass::Transient { after } => Failure::Transient { after, words },
        ErrorClass::RateLimited { scope, after } => Failure::RateLimited {
            scope,
            after,
            words,
        },
        ErrorClass::Reauth => Failure::Reauth(words),
        ErrorClass::QuotaReached | ErrorClass::NewContainer | ErrorClass::Permanent => {
            Failure::Permanent(words)
        }
    }
}

/// How transient failures of a pull are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The first wait.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Tries of one request before its metrics are recorded as failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_attempts: 4,
        }
    }
}

impl RetryPolicy {
    /// The wait after failure number `attempt` (0-based): exponential, capped, with jitter
    /// between half and all of it, and at least Meta's hint when that is below the cap.
    pub fn delay(&self, attempt: u32, hint: Duration) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        let exponential = self
            .base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap);
        let jitter = rand::random::<f64>() * 0.5 + 0.5;
        exponential.mul_f64(jitter).max(hint.min(self.cap))
    }

    /// Whether another try is allowed after failure number `attempt` (0-based).
    pub fn allows_retry(&self, attempt: u32) -> bool {
        attempt.saturating_add(1) < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use igpub_graph::{GraphApiError, UsageReport};

    fn api(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
        GraphError::Api(Box::new(GraphApiError {
            message: message.to_owned(),
            error_type: "OAuthException".to_owned(),
            code,
            error_subcode: subcode,
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
            error_data: None,
            http_status: 400,
            endpoint: "GET 1/insights".to_owned(),
            usage: UsageReport::default(),
        }))
    }

    #[test]
    fn an_unknown_metric_is_a_metric_failure_with_metas_words() {
        let error = api(
            100,
            None,
            "(#100) metric[0] must be one of the following values: reach",
        );
        let Failure::Metric(words) = failure_of(&error, false, 0) else {
            panic!("a metric failure")
        };
        assert_eq!(words.code, Some(100));
        assert!(words.message.contains("must be one of"));
    }

    #[test]
    fn code_1_blames_a_metric_only_when_a_breakdown_was_asked() {
        let error = api(1, None, "An unknown error has occurred.");
        assert!(matches!(failure_of(&error, true, 0), Failure::Metric(_)));
        assert!(matches!(
            failure_of(&error, false, 0),
            Failure::Transient { .. }
        ));
    }

    #[test]
    fn too_few_story_viewers_blames_the_metric_but_other_code_10s_need_a_reconnect() {
        let few = api(
            10,
            None,
            "(#10) Not enough viewers for the media to show insights",
        );
        assert!(matches!(failure_of(&few, false, 0), Failure::Metric(_)));
        let permission = api(
            10,
            None,
            "(#10) Application does not have permission for this action",
        );
        assert!(matches!(
            failure_of(&permission, false, 0),
            Failure::Reauth(_)
        ));
    }

    #[test]
    fn rate_limits_pause_and_tokens_need_reconnecting() {
        assert!(matches!(
            failure_of(&api(80002, None, "too many calls"), false, 0),
            Failure::RateLimited {
                scope: RateLimitScope::Account,
                ..
            }
        ));
        assert!(matches!(
            failure_of(&api(4, None, "Application request limit reached"), false, 0),
            Failure::RateLimited {
                scope: RateLimitScope::App,
                ..
            }
        ));
        assert!(matches!(
            failure_of(&api(190, Some(463), "Session has expired"), false, 0),
            Failure::Reauth(_)
        ));
    }

    #[test]
    fn retries_stop_at_the_limit_and_waits_stay_under_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
            max_attempts: 3,
        };
        assert!(policy.allows_retry(0));
        assert!(policy.allows_retry(1));
        assert!(!policy.allows_retry(2));
        for attempt in 0..30 {
            assert!(policy.delay(attempt, Duration::ZERO) <= policy.cap);
        }
        assert_eq!(
            policy.delay(0, Duration::from_secs(3600)),
            Duration::from_millis(40)
        );
    }
}
