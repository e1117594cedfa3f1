//! The retry decision: a pure function of the error and the attempt number (async-stripe's
//! `request_strategy.rs` habit), with the classes of shared/design.md and the table of
//! graph-api.md §6.2–§6.4.
//!
//! `after` values are deterministic backoffs; callers add their own jitter.

use serde::Serialize;
use std::time::Duration;

use crate::error::{ContainerFailure, GraphApiError, GraphError};

/// What the caller should do about an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ErrorClass {
    /// Retry the same request after `after` (plus jitter).
    Transient {
        /// Suggested wait before the retry.
        #[serde(with = "crate::time::duration_secs")]
        after: Duration,
    },
    /// A rate limit: pause every call in `scope` for `after`, across all workers.
    RateLimited {
        /// Who is throttled.
        scope: RateLimitScope,
        /// How long to pause (from `estimated_time_to_regain_access` when Meta gives it).
        #[serde(with = "crate::time::duration_secs")]
        after: Duration,
    },
    /// The account's content publishing quota is used up: wait for a free slot
    /// (read `content_publishing_limit` to know when), never fail the post.
    QuotaReached,
    /// The token is no longer good enough (expired, revoked, permission removed): hold the
    /// integration's posts until it is reconnected.
    Reauth,
    /// The container is gone or broken: create new containers (a bounded number of times).
    NewContainer,
    /// Retrying will not help; the post fails with Meta's words.
    Permanent,
}

/// The scope of a rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RateLimitScope {
    /// The whole app (codes 4, 341, 613): pause every account.
    App,
    /// The token's user (codes 17, 368).
    User,
    /// The Page (code 32).
    Page,
    /// The Instagram account's Business Use Case budget (code 80002 and the other BUC codes).
    Account,
}

/// Base of the backoff for ordinary transient errors.
const TRANSIENT_BASE: Duration = Duration::from_secs(2);
/// Longest suggested wait for a transient error.
const TRANSIENT_CAP: Duration = Duration::from_secs(5 * 60);
/// Base pause for rate limits that do not say when access comes back.
const RATE_LIMIT_BASE: Duration = Duration::from_secs(5 * 60);
/// Longest pause for such rate limits.
const RATE_LIMIT_CAP: Duration = Duration::from_secs(60 * 60);
/// 24/2207008 is retried this many times before new containers are made.
// graph-api.md §6.3: "Try again 1–2 times in the next 30 seconds to 2 minutes".
const MISSING_BUILDER_RETRIES: u32 = 2;
/// 9004/2207052 (media fetch failed) is retried this many times before it counts as permanent.
// graph-api.md §6.4: "retry a few times; then permanent".
const FETCH_FAILURE_RETRIES: u32 = 3;
/// Subcodes in a container's ERROR status that describe the media itself: new containers made
/// from the same media would fail the same way (graph-api.md §6.3).
const MEDIA_FAULT_SUBCODES: [i64; 6] = [2207004, 2207005, 2207009, 2207010, 2207026, 2207057];

/// `base × 2^attempt`, capped.
fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

fn transient(attempt: u32) -> ErrorClass {
    ErrorClass::Transient {
        after: backoff(TRANSIENT_BASE, attempt, TRANSIENT_CAP),
    }
}

fn rate_limited(scope: RateLimitScope, attempt: u32) -> ErrorClass {
    ErrorClass::RateLimited {
        scope,
        after: backoff(RATE_LIMIT_BASE, attempt, RATE_LIMIT_CAP),
    }
}

/// Classifies an error on the given attempt (0 = the first try failed). Pure: same input, same answer.
pub fn classify(error: &GraphError, attempt: u32) -> ErrorClass {
    match error {
        GraphError::Api(api) => classify_api(api, attempt),
        // Network errors retry with backoff (§6.4); whether a write may be re-sent is a separate
        // question answered by `GraphError::is_ambiguous`.
        GraphError::Transport(_) => transient(attempt),
        GraphError::Http { status, .. } => match *status {
            429 => rate_limited(RateLimitScope::App, attempt),
            500..=599 => transient(attempt),
            _ => ErrorClass::Permanent,
        },
        GraphError::Container(failure) => match failure.as_ref() {
            ContainerFailure::Error {
                subcode: Some(subcode),
                ..
            } if MEDIA_FAULT_SUBCODES.contains(subcode) => ErrorClass::Permanent,
            // §6.4: container status ERROR/EXPIRED → new container.
            ContainerFailure::Error { .. }
            | ContainerFailure::Expired { .. }
            | ContainerFailure::DeadlinePassed { .. } => ErrorClass::NewContainer,
        },
        GraphError::BatchItemMissing { .. } => transient(attempt),
        GraphError::Decode(_)
        | GraphError::InvalidInput { .. }
        | GraphError::UnexpectedResponse { .. }
        | GraphError::Config(_) => ErrorClass::Permanent,
    }
}

fn classify_api(api: &GraphApiError, attempt: u32) -> ErrorClass {
    // graph-api.md §6.2 (generic codes), §6.3 (publishing codes), §6.4 (recommended classes).
    match (api.code, api.error_subcode) {
        (-2, Some(2207003)) => transient(attempt),
        (-2, Some(2207020)) => ErrorClass::NewContainer,
        (-1, Some(2207001 | 2207032)) => transient(attempt),
        (-1, Some(2207053)) => ErrorClass::NewContainer,
        (-1, Some(2207073 | 2207086)) => ErrorClass::Permanent,
        (1, Some(2207057)) => ErrorClass::Permanent,
        (1 | 2, _) => transient(attempt),
        (3, _) => ErrorClass::Permanent,
        // 4/2207051 is a spam block, not an app rate limit: do not hammer (§6.3).
        (4, Some(2207051)) => ErrorClass::Permanent,
        (4, _) => rate_limited(RateLimitScope::App, attempt),
        (9, Some(2207042)) => ErrorClass::QuotaReached,
        // §4.2: story insights under 5 viewers; the media, not the token, is the problem.
        (10, _) if api.message.contains("Not enough viewers") => ErrorClass::Permanent,
        // Permission errors are fixed by reconnecting with the permission granted (§6.2, §5.5).
        (10, _) | (200..=299, _) => ErrorClass::Reauth,
        (17, _) => rate_limited(RateLimitScope::User, attempt),
        (24, Some(2207006)) => ErrorClass::NewContainer,
        (24, Some(2207008)) if attempt < MISSING_BUILDER_RETRIES => ErrorClass::Transient {
            after: backoff(Duration::from_secs(30), attempt, Duration::from_secs(120)),
        },
        (24, Some(2207008)) => ErrorClass::NewContainer,
        (25, Some(2207050)) => ErrorClass::Permanent,
        (32, _) => rate_limited(RateLimitScope::Page, attempt),
        (100, _) => ErrorClass::Permanent,
        (102 | 190, _) => ErrorClass::Reauth,
        (341 | 613, _) => rate_limited(RateLimitScope::App, attempt),
        (352, _) => ErrorClass::Permanent,
        // Temporarily blocked for policy violations: "later", and never hammered.
        (368, _) => ErrorClass::RateLimited {
            scope: RateLimitScope::User,
            after: backoff(RATE_LIMIT_CAP, attempt, Duration::from_secs(24 * 60 * 60)),
        },
        (506 | 2500 | 1609005, _) => ErrorClass::Permanent,
        (9004, Some(2207052)) if attempt < FETCH_FAILURE_RETRIES => ErrorClass::Transient {
            after: backoff(Duration::from_secs(10), attempt, TRANSIENT_CAP),
        },
        (9004, _) => ErrorClass::Permanent,
        // Polling first is the caller's job; a publish that raced the container gets a short wait.
        (9007, Some(2207027)) => ErrorClass::Transient {
            after: backoff(Duration::from_secs(5), attempt, Duration::from_secs(60)),
        },
        (36000..=36004, _) => ErrorClass::Permanent,
        // BUC throttling (§6.2, §7): Meta says in the header when access comes back.
        (80000..=80014, _) => ErrorClass::RateLimited {
            scope: RateLimitScope::Account,
            after: api
                .usage
                .regain_access_after()
                .unwrap_or_else(|| backoff(RATE_LIMIT_BASE, attempt, RATE_LIMIT_CAP)),
        },
        _ if api.is_transient == Some(true) || api.http_status >= 500 => transient(attempt),
        _ => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{DecodeError, TransportError, TransportErrorKind};
    use crate::ids::ContainerId;
    use crate::usage::UsageReport;

    fn api_error(code: i64, subcode: Option<i64>) -> GraphApiError {
        GraphApiError {
            message: "Invalid parameter".into(),
            error_type: "OAuthException".into(),
            code,
            error_subcode: subcode,
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
            error_data: None,
            http_status: 400,
            endpoint: "POST 1/media".into(),
            usage: UsageReport::default(),
        }
    }

    fn class_of(code: i64, subcode: Option<i64>, attempt: u32) -> ErrorClass {
        classify(
            &GraphError::Api(Box::new(api_error(code, subcode))),
            attempt,
        )
    }

    fn is_transient(class: &ErrorClass) -> bool {
        matches!(class, ErrorClass::Transient { .. })
    }

    fn scope_of(class: &ErrorClass) -> Option<RateLimitScope> {
        match class {
            ErrorClass::RateLimited { scope, .. } => Some(*scope),
            _ => None,
        }
    }

    // §6.2 generic codes.

    #[test]
    fn unknown_and_service_errors_1_and_2_are_transient() {
        assert!(is_transient(&class_of(1, None, 0)));
        assert!(is_transient(&class_of(2, None, 0)));
    }

    #[test]
    fn api_method_error_3_is_permanent() {
        assert_eq!(class_of(3, None, 0), ErrorClass::Permanent);
    }

    #[test]
    fn app_rate_limit_4_pauses_the_whole_app() {
        assert_eq!(scope_of(&class_of(4, None, 0)), Some(RateLimitScope::App));
    }

    #[test]
    fn permission_denied_10_needs_reauth() {
        assert_eq!(class_of(10, None, 0), ErrorClass::Reauth);
    }

    #[test]
    fn not_enough_viewers_10_is_permanent_for_that_media() {
        let mut error = api_error(10, None);
        error.message = "(#10) Not enough viewers for the media to show insights".into();
        assert_eq!(
            classify(&GraphError::Api(Box::new(error)), 0),
            ErrorClass::Permanent
        );
    }

    #[test]
    fn user_rate_limit_17_and_its_subcode_pause_the_user() {
        assert_eq!(scope_of(&class_of(17, None, 0)), Some(RateLimitScope::User));
        assert_eq!(
            scope_of(&class_of(17, Some(2446079), 0)),
            Some(RateLimitScope::User)
        );
    }

    #[test]
    fn page_rate_limit_32_pauses_the_page() {
        assert_eq!(scope_of(&class_of(32, None, 0)), Some(RateLimitScope::Page));
    }

    #[test]
    fn invalid_parameter_100_and_missing_object_100_33_are_permanent() {
        assert_eq!(class_of(100, None, 0), ErrorClass::Permanent);
        assert_eq!(class_of(100, Some(33), 0), ErrorClass::Permanent);
    }

    #[test]
    fn session_error_102_needs_reauth() {
        assert_eq!(class_of(102, None, 0), ErrorClass::Reauth);
    }

    #[test]
    fn every_invalid_token_190_subcode_needs_reauth() {
        for subcode in [
            None,
            Some(458),
            Some(459),
            Some(460),
            Some(463),
            Some(464),
            Some(467),
            Some(492),
        ] {
            assert_eq!(
                class_of(190, subcode, 0),
                ErrorClass::Reauth,
                "190/{subcode:?}"
            );
        }
    }

    #[test]
    fn permission_errors_200_to_299_need_reauth() {
        for code in [200, 250, 299] {
            assert_eq!(class_of(code, None, 0), ErrorClass::Reauth, "{code}");
        }
    }

    #[test]
    fn application_limit_341_pauses_the_app() {
        assert_eq!(scope_of(&class_of(341, None, 0)), Some(RateLimitScope::App));
    }

    #[test]
    fn policy_block_368_pauses_the_user_for_at_least_an_hour() {
        match class_of(368, None, 0) {
            ErrorClass::RateLimited { scope, after } => {
                assert_eq!(scope, RateLimitScope::User);
                assert!(after >= Duration::from_secs(3600));
            }
            other => panic!("368 classified as {other:?}"),
        }
    }

    #[test]
    fn duplicate_post_506_is_permanent() {
        assert_eq!(class_of(506, None, 0), ErrorClass::Permanent);
    }

    #[test]
    fn call_volume_limit_613_pauses_the_app() {
        assert_eq!(scope_of(&class_of(613, None, 0)), Some(RateLimitScope::App));
        assert_eq!(
            scope_of(&class_of(613, Some(1996), 0)),
            Some(RateLimitScope::App)
        );
    }

    #[test]
    fn syntax_error_2500_and_link_error_1609005_are_permanent() {
        assert_eq!(class_of(2500, None, 0), ErrorClass::Permanent);
        assert_eq!(class_of(1609005, None, 0), ErrorClass::Permanent);
    }

    #[test]
    fn every_business_use_case_code_pauses_the_account() {
        for code in [
            80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014,
        ] {
            assert_eq!(
                scope_of(&class_of(code, None, 0)),
                Some(RateLimitScope::Account),
                "{code}"
            );
        }
    }

    #[test]
    fn instagram_buc_limit_waits_as_long_as_meta_says() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            http::HeaderValue::from_static(
                r#"{"17841400455970028":[{"type":"instagram","call_count":100,"total_cputime":72,"total_time":10,"estimated_time_to_regain_access":20}]}"#,
            ),
        );
        let mut error = api_error(80002, None);
        error.usage = UsageReport::from_headers(&headers);
        assert_eq!(
            classify(&GraphError::Api(Box::new(error)), 0),
            ErrorClass::RateLimited {
                scope: RateLimitScope::Account,
                after: Duration::from_secs(1200)
            }
        );
    }

    // §6.3 publishing codes.

    #[test]
    fn media_download_timeout_minus2_2207003_is_transient() {
        assert!(is_transient(&class_of(-2, Some(2207003), 0)));
    }

    #[test]
    fn expired_media_minus2_2207020_needs_a_new_container() {
        assert_eq!(class_of(-2, Some(2207020), 0), ErrorClass::NewContainer);
    }

    #[test]
    fn instagram_server_errors_minus1_2207001_and_2207032_are_transient() {
        assert!(is_transient(&class_of(-1, Some(2207001), 0)));
        assert!(is_transient(&class_of(-1, Some(2207032), 0)));
    }

    #[test]
    fn unknown_upload_error_minus1_2207053_needs_a_new_container() {
        assert_eq!(class_of(-1, Some(2207053), 0), ErrorClass::NewContainer);
    }

    #[test]
    fn fatal_unsupported_operations_minus1_are_permanent() {
        assert_eq!(class_of(-1, Some(2207086), 0), ErrorClass::Permanent);
        assert_eq!(class_of(-1, Some(2207073), 0), ErrorClass::Permanent);
    }

    #[test]
    fn bad_thumbnail_offset_1_2207057_is_permanent() {
        assert_eq!(class_of(1, Some(2207057), 0), ErrorClass::Permanent);
    }

    #[test]
    fn spam_block_4_2207051_is_permanent_not_a_rate_limit() {
        assert_eq!(class_of(4, Some(2207051), 0), ErrorClass::Permanent);
    }

    #[test]
    fn publishing_limit_9_2207042_is_quota_reached() {
        assert_eq!(class_of(9, Some(2207042), 0), ErrorClass::QuotaReached);
    }

    #[test]
    fn media_not_found_24_2207006_needs_a_new_container() {
        assert_eq!(class_of(24, Some(2207006), 0), ErrorClass::NewContainer);
    }

    #[test]
    fn missing_media_builder_24_2207008_is_retried_twice_then_needs_a_new_container() {
        assert_eq!(
            class_of(24, Some(2207008), 0),
            ErrorClass::Transient {
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(
            class_of(24, Some(2207008), 1),
            ErrorClass::Transient {
                after: Duration::from_secs(60)
            }
        );
        assert_eq!(class_of(24, Some(2207008), 2), ErrorClass::NewContainer);
    }

    #[test]
    fn restricted_account_25_2207050_is_permanent() {
        assert_eq!(class_of(25, Some(2207050), 0), ErrorClass::Permanent);
    }

    #[test]
    fn invalid_parameter_subcodes_of_100_are_permanent() {
        for subcode in [
            2207023, 2207028, 2207035, 2207036, 2207037, 2207040, 2207089, 2108006, 9050, 9064,
        ] {
            assert_eq!(
                class_of(100, Some(subcode), 0),
                ErrorClass::Permanent,
                "100/{subcode}"
            );
        }
    }

    #[test]
    fn unsupported_video_format_352_2207026_is_permanent() {
        assert_eq!(class_of(352, Some(2207026), 0), ErrorClass::Permanent);
    }

    #[test]
    fn media_fetch_failure_9004_2207052_is_retried_a_few_times_then_permanent() {
        assert!(is_transient(&class_of(9004, Some(2207052), 0)));
        assert!(is_transient(&class_of(9004, Some(2207052), 2)));
        assert_eq!(class_of(9004, Some(2207052), 3), ErrorClass::Permanent);
    }

    #[test]
    fn media_not_ready_9007_2207027_is_transient() {
        assert!(is_transient(&class_of(9007, Some(2207027), 0)));
    }

    #[test]
    fn image_spec_errors_36000_to_36004_are_permanent() {
        for (code, subcode) in [
            (36000, 2207004),
            (36001, 2207005),
            (36003, 2207009),
            (36004, 2207010),
        ] {
            assert_eq!(
                class_of(code, Some(subcode), 0),
                ErrorClass::Permanent,
                "{code}/{subcode}"
            );
        }
    }

    #[test]
    fn audio_swap_errors_are_permanent_or_reauth() {
        assert_eq!(class_of(10, Some(9053), 0), ErrorClass::Reauth);
        assert_eq!(class_of(403, None, 0), ErrorClass::Permanent);
    }

    // §6.4 fallbacks and non-API errors.

    #[test]
    fn unknown_codes_follow_is_transient_and_the_http_status() {
        let mut error = api_error(123456, None);
        assert_eq!(
            classify(&GraphError::Api(Box::new(error.clone())), 0),
            ErrorClass::Permanent
        );
        error.is_transient = Some(true);
        assert!(is_transient(&classify(
            &GraphError::Api(Box::new(error.clone())),
            0
        )));
        error.is_transient = None;
        error.http_status = 503;
        assert!(is_transient(&classify(
            &GraphError::Api(Box::new(error)),
            0
        )));
    }

    #[test]
    fn network_errors_and_5xx_are_transient() {
        for kind in [
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Reset,
            TransportErrorKind::Other,
        ] {
            let error = GraphError::Transport(Box::new(TransportError {
                kind,
                endpoint: "x".into(),
                detail: "y".into(),
            }));
            assert!(is_transient(&classify(&error, 0)), "{kind:?}");
        }
        let http = |status| GraphError::Http {
            status,
            endpoint: "x".into(),
            body_excerpt: String::new(),
        };
        assert!(is_transient(&classify(&http(502), 0)));
        assert_eq!(
            scope_of(&classify(&http(429), 0)),
            Some(RateLimitScope::App)
        );
        assert_eq!(classify(&http(404), 0), ErrorClass::Permanent);
    }

    #[test]
    fn container_error_and_expiry_need_new_containers_unless_the_media_is_at_fault() {
        let failed = |subcode| {
            GraphError::Container(Box::new(ContainerFailure::Error {
                container_id: ContainerId::new("1"),
                status_text: None,
                subcode,
            }))
        };
        assert_eq!(
            classify(&failed(Some(2207052)), 0),
            ErrorClass::NewContainer
        );
        assert_eq!(
            classify(&failed(Some(2207082)), 0),
            ErrorClass::NewContainer
        );
        assert_eq!(classify(&failed(None), 0), ErrorClass::NewContainer);
        assert_eq!(classify(&failed(Some(2207026)), 0), ErrorClass::Permanent);
        let expired = GraphError::Container(Box::new(ContainerFailure::Expired {
            container_id: ContainerId::new("1"),
            status_text: None,
        }));
        assert_eq!(classify(&expired, 0), ErrorClass::NewContainer);
        let late = GraphError::Container(Box::new(ContainerFailure::DeadlinePassed {
            container_id: ContainerId::new("1"),
            waited: Duration::from_secs(120),
            last_status: crate::container::ContainerStatusCode::InProgress,
        }));
        assert_eq!(classify(&late, 0), ErrorClass::NewContainer);
    }

    #[test]
    fn decode_and_input_errors_are_permanent() {
        let decode = GraphError::Decode(Box::new(DecodeError {
            endpoint: "x".into(),
            http_status: 200,
            path: "id".into(),
            message: "m".into(),
        }));
        assert_eq!(classify(&decode, 0), ErrorClass::Permanent);
        assert_eq!(
            classify(&GraphError::invalid_input("a", "b"), 0),
            ErrorClass::Permanent
        );
    }

    #[test]
    fn missing_batch_answers_are_transient() {
        assert!(is_transient(&classify(
            &GraphError::BatchItemMissing {
                index: 0,
                name: None
            },
            0
        )));
    }

    #[test]
    fn backoff_grows_and_stops_at_the_cap() {
        assert_eq!(
            class_of(2, None, 0),
            ErrorClass::Transient {
                after: Duration::from_secs(2)
            }
        );
        assert_eq!(
            class_of(2, None, 1),
            ErrorClass::Transient {
                after: Duration::from_secs(4)
            }
        );
        assert_eq!(
            class_of(2, None, 40),
            ErrorClass::Transient {
                after: TRANSIENT_CAP
            }
        );
        assert_eq!(
            class_of(4, None, 40),
            ErrorClass::RateLimited {
                scope: RateLimitScope::App,
                after: RATE_LIMIT_CAP
            }
        );
    }

    #[test]
    fn classification_is_pure() {
        let error = GraphError::Api(Box::new(api_error(24, Some(2207008))));
        assert_eq!(classify(&error, 1), classify(&error, 1));
    }
}
