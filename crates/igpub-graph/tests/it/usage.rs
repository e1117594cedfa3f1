//! Usage headers reach the caller on every response, success or error.

use crate::helpers::*;
use igpub_graph::{ContainerId, UsageReport};
use std::sync::{Arc, Mutex};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

fn recorder() -> (Arc<Mutex<Vec<UsageReport>>>, igpub_graph::UsageObserver) {
    let seen: Arc<Mutex<Vec<UsageReport>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let observer: igpub_graph::UsageObserver = Arc::new(move |report: &UsageReport| {
        if let Ok(mut reports) = sink.lock() {
            reports.push(report.clone());
        }
    });
    (seen, observer)
}

fn reports(seen: &Arc<Mutex<Vec<UsageReport>>>) -> Vec<UsageReport> {
    seen.lock()
        .map(|reports| reports.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn usage_of_a_successful_response_reaches_the_observer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            status_answer("1", "FINISHED")
                .insert_header("x-app-usage", r#"{"call_count":28,"total_time":25,"total_cputime":25}"#)
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"17841400008460056":[{"type":"instagram","call_count":91,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}"#,
                ),
        )
        .mount(&server)
        .await;
    let (seen, observer) = recorder();
    let account = client_with(&server, |builder| builder.on_usage(observer));
    let _ = account.container_status(&ContainerId::new("1")).await;
    let reports = reports(&seen);
    assert_eq!(reports.len(), 1);
    let report = reports.first().cloned().unwrap_or_default();
    assert_eq!(report.app.as_ref().map(|a| a.call_count), Some(28));
    assert!(
        report.is_at_least(90),
        "the worker pauses this account at 90 %"
    );
    let business = report.business.unwrap_or_default();
    assert_eq!(
        business.for_object(IG).first().map(|e| e.call_count),
        Some(91)
    );
}

#[tokio::test]
async fn usage_of_an_error_response_reaches_the_observer_and_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            graph_error(400, r#"{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true,"fbtrace_id":"x"}}"#)
                .insert_header("x-app-usage", r#"{"call_count":100,"total_time":40,"total_cputime":30}"#),
        )
        .mount(&server)
        .await;
    let (seen, observer) = recorder();
    let account = client_with(&server, |builder| builder.on_usage(observer));
    let outcome = account.container_status(&ContainerId::new("1")).await;
    assert_eq!(
        reports(&seen)
            .first()
            .and_then(|r| r.app.clone())
            .map(|a| a.call_count),
        Some(100)
    );
    let usage = outcome
        .err()
        .and_then(|e| e.api().map(|api| api.usage.clone()))
        .unwrap_or_default();
    assert_eq!(usage.max_percent(), 100);
}

#[tokio::test]
async fn responses_without_usage_headers_do_not_call_the_observer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status_answer("1", "FINISHED"))
        .mount(&server)
        .await;
    let (seen, observer) = recorder();
    let account = client_with(&server, |builder| builder.on_usage(observer));
    let _ = account.container_status(&ContainerId::new("1")).await;
    assert!(reports(&seen).is_empty());
}
