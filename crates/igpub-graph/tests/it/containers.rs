//! Container status, multi-get and waiting: every outcome of `wait_for_container`.

use crate::helpers::*;
use igpub_graph::{
    ContainerFailure, ContainerId, ContainerReady, ContainerStatusCode, GraphError, PollPolicy,
};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

fn failure_of(outcome: Result<ContainerReady, GraphError>) -> ContainerFailure {
    match outcome {
        Err(GraphError::Container(failure)) => *failure,
        other => panic!("expected a container failure, got {other:?}"),
    }
}

#[tokio::test]
async fn container_status_reads_code_and_text() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17966279578433554")))
        .and(param("fields", "id,status_code,status"))
        .respond_with(status_answer("17966279578433554", "FINISHED"))
        .expect(1)
        .mount(&server)
        .await;
    let status = client(&server)
        .container_status(&ContainerId::new("17966279578433554"))
        .await;
    let status = status.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(status.status_code, ContainerStatusCode::Finished);
    assert!(status.status.unwrap_or_default().starts_with("Finished:"));
}

#[tokio::test]
async fn container_statuses_reads_many_in_chunks_of_50() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("")))
        .respond_with(|request: &Request| {
            let ids = param_of(request, "ids").unwrap_or_default();
            let map: serde_json::Map<String, serde_json::Value> = ids
                .split(',')
                .map(|id| {
                    (
                        id.to_owned(),
                        serde_json::json!({"id": id, "status_code": "IN_PROGRESS"}),
                    )
                })
                .collect();
            ok_json(&serde_json::Value::Object(map).to_string())
        })
        .expect(3)
        .mount(&server)
        .await;
    let ids: Vec<ContainerId> = (0..120)
        .map(|i| ContainerId::new(format!("1790000000000{i:04}")))
        .collect();

    let statuses = client(&server)
        .container_statuses(&ids)
        .await
        .unwrap_or_else(|error| panic!("{error}"));

    assert_eq!(statuses.len(), 120);
    let sizes: Vec<usize> = received(&server)
        .await
        .iter()
        .map(|r| param_of(r, "ids").unwrap_or_default().split(',').count())
        .collect();
    assert_eq!(sizes, vec![50, 50, 20]);
}

#[tokio::test]
async fn container_statuses_matches_the_recorded_multi_get_shape() {
    // graph-api.md §2.6: GET /?ids=<c1>,<c2>&fields=id,status,status_code → {"<c1>":{…},"<c2>":{…}}.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("")))
        .and(param("ids", "17889455560051444,17889455560051447"))
        .respond_with(ok_json(
            r#"{"17889455560051444":{"id":"17889455560051444","status":"Finished: Media has been uploaded and it is ready to be published.","status_code":"FINISHED"},
                "17889455560051447":{"status":"Published: Media has been successfully published.","status_code":"PUBLISHED","id":"17889455560051447"}}"#,
        ))
        .mount(&server)
        .await;
    let ids = [
        ContainerId::new("17889455560051444"),
        ContainerId::new("17889455560051447"),
    ];
    let statuses = client(&server)
        .container_statuses(&ids)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        statuses.get(&ids[1]).map(|s| s.status_code.clone()),
        Some(ContainerStatusCode::Published)
    );
}

#[tokio::test(start_paused = true)]
async fn a_published_container_is_an_already_published_answer_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051447")))
        .respond_with(status_answer("17889455560051447", "PUBLISHED"))
        .mount(&server)
        .await;
    let ready = client(&server)
        .wait_for_container(&ContainerId::new("17889455560051447"), &PollPolicy::image())
        .await;
    assert!(
        matches!(ready, Ok(ContainerReady::AlreadyPublished(_))),
        "{ready:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_expired_container_is_a_typed_error_asking_for_a_new_container() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(status_answer("1", "EXPIRED"))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .wait_for_container(&ContainerId::new("1"), &PollPolicy::image())
        .await;
    let failure = failure_of(outcome);
    assert!(
        matches!(failure, ContainerFailure::Expired { .. }),
        "{failure:?}"
    );
    assert_eq!(
        igpub_graph::classify(&GraphError::Container(Box::new(failure)), 0),
        igpub_graph::ErrorClass::NewContainer
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_stops_at_the_deadline_with_the_last_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(status_answer("1", "IN_PROGRESS"))
        .mount(&server)
        .await;
    let policy = PollPolicy::image();
    let started = tokio::time::Instant::now();

    let outcome = client(&server)
        .wait_for_container(&ContainerId::new("1"), &policy)
        .await;

    match failure_of(outcome) {
        ContainerFailure::DeadlinePassed {
            container_id,
            waited,
            last_status,
        } => {
            assert_eq!(container_id.as_str(), "1");
            assert_eq!(last_status, ContainerStatusCode::InProgress);
            assert_eq!(waited, policy.deadline);
        }
        other => panic!("expected the deadline, got {other:?}"),
    }
    assert_eq!(started.elapsed(), policy.deadline);
    // 0.5 s, then ×1.5 up to 10 s apart within 2 min: far fewer polls than one per half second.
    let polls = received(&server).await.len();
    assert!((10..=25).contains(&polls), "{polls} polls");
}

#[tokio::test(start_paused = true)]
async fn polls_start_soon_and_back_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(status_answer("1", "IN_PROGRESS"))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(status_answer("1", "FINISHED"))
        .mount(&server)
        .await;
    let started = tokio::time::Instant::now();
    let ready = client(&server)
        .wait_for_container(&ContainerId::new("1"), &PollPolicy::image())
        .await;
    assert!(ready.is_ok(), "{ready:?}");
    // Polls at 0.5, 1.25, 2.375 and 4.0625 s (tokio's timer rounds each wait up to the millisecond).
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_micros(4_062_500) && elapsed < Duration::from_millis(4_070),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_transient_poll_failure_is_polled_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(graph_error(
            500,
            r#"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2,"is_transient":true,"fbtrace_id":"x"}}"#,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(status_answer("1", "FINISHED"))
        .mount(&server)
        .await;
    let ready = client(&server)
        .wait_for_container(&ContainerId::new("1"), &PollPolicy::image())
        .await;
    assert!(
        matches!(ready, Ok(ContainerReady::Finished(_))),
        "{ready:?}"
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_poll_failure_ends_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(graph_error(
            400,
            r#"{"error":{"message":"Error validating access token: Session has expired on Thursday, 10-Dec-15 04:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"x"}}"#,
        ))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .wait_for_container(&ContainerId::new("1"), &PollPolicy::image())
        .await;
    let Err(error) = outcome else {
        panic!("expired token must end the wait")
    };
    assert_eq!(error.classify(0), igpub_graph::ErrorClass::Reauth);
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn waiting_for_many_containers_fails_on_the_first_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("")))
        .respond_with(ok_json(
            r#"{"1":{"id":"1","status_code":"FINISHED"},"2":{"id":"2","status_code":"ERROR","status":"Error: Media upload has failed with error code 2207052"}}"#,
        ))
        .mount(&server)
        .await;
    let ids = [ContainerId::new("1"), ContainerId::new("2")];
    let outcome = client(&server)
        .wait_for_containers(&ids, &PollPolicy::image())
        .await;
    match outcome {
        Err(GraphError::Container(failure)) => {
            assert!(
                matches!(
                    *failure,
                    ContainerFailure::Error {
                        subcode: Some(2207052),
                        ..
                    }
                ),
                "{failure:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}
