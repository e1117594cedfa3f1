//! Injected faults: latency, 5xx, transient codes, hangs and commit-then-fail
//! (issue #3 "Faults, control and ground truth").

use crate::support::TestSim;
use igpub_sim::{CommitThenFail, FaultSpec, SimConfig};
use serde_json::json;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn added_latency_delays_the_answer_by_that_much() {
    let sim = TestSim::quick().await;
    sim.sim
        .set_faults(
            "user.get",
            FaultSpec {
                latency_ms: 1500,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let started = tokio::time::Instant::now();
    let reply = sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

#[tokio::test]
async fn a_5xx_fault_answers_500_code_2_and_does_nothing() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim
        .set_faults(
            "media.publish",
            FaultSpec {
                error_5xx_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let reply = sim.publish(&container).await;
    reply.assert_error(500, 2, None);
    assert_eq!(reply.body["error"]["is_transient"], true);
    assert!(sim.sim.published()[&sim.account.ig].is_empty());
    let status = sim
        .get(&format!("v25.0/{container}"), &[("fields", "status_code")])
        .await;
    assert_eq!(status.body["status_code"], "FINISHED");
    assert_eq!(sim.sim.counters().calls_of("media.publish", "fault:5xx"), 1);
}

#[tokio::test]
async fn a_transient_fault_answers_code_1_or_2_marked_transient() {
    let sim = TestSim::quick().await;
    sim.sim
        .set_faults(
            "*",
            FaultSpec {
                transient_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    for _ in 0..4 {
        let reply = sim.get(&format!("v25.0/{}", sim.account.ig), &[]).await;
        assert_eq!(reply.status, 400);
        assert!(matches!(reply.code(), Some(1 | 2)), "{}", reply.text);
        assert_eq!(reply.body["error"]["is_transient"], true);
    }
}

#[tokio::test(start_paused = true)]
async fn a_hang_outlasts_the_client_timeout_and_does_nothing() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim
        .set_faults(
            "media.publish",
            FaultSpec {
                hang_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let request = sim
        .http
        .post(sim.url(&format!("v25.0/{}/media_publish", sim.account.ig)))
        .form(&[
            ("creation_id", container.as_str()),
            ("access_token", sim.account.page_token.as_str()),
        ])
        .timeout(Duration::from_secs(30));
    let outcome = request.send().await;
    assert!(outcome.is_err_and(|error| error.is_timeout()));
    assert!(sim.sim.published()[&sim.account.ig].is_empty());
}

#[tokio::test]
async fn commit_then_fail_publishes_but_answers_500() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[("caption", "did it go out?")]).await;
    sim.sim
        .set_faults(
            "media.publish",
            FaultSpec {
                commit_then_fail_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    sim.publish(&container).await.assert_error(500, 2, None);
    let truth = &sim.sim.published()[&sim.account.ig];
    assert_eq!(truth.len(), 1);
    assert_eq!(truth[0].container_id, container);
    let status = sim
        .get(&format!("v25.0/{container}"), &[("fields", "status_code")])
        .await;
    assert_eq!(status.body["status_code"], "PUBLISHED");
    assert_eq!(
        sim.sim
            .counters()
            .calls_of("media.publish", "commit_then_fail:error"),
        1
    );
}

#[tokio::test]
async fn commit_then_fail_can_drop_the_connection_without_an_answer() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim
        .set_faults(
            "media.publish",
            FaultSpec {
                commit_then_fail_rate: 1.0,
                commit_then_fail: CommitThenFail::Drop,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let outcome = sim
        .http
        .post(sim.url(&format!("v25.0/{}/media_publish", sim.account.ig)))
        .form(&[
            ("creation_id", container.as_str()),
            ("access_token", sim.account.page_token.as_str()),
        ])
        .send()
        .await;
    let error = outcome.expect_err("no answer");
    assert!(!error.is_timeout() && !error.is_status(), "{error}");
    assert_eq!(sim.sim.published()[&sim.account.ig].len(), 1);
}

#[tokio::test]
async fn commit_then_fail_can_answer_a_spam_block_403_4_2207051() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim
        .set_faults(
            "media.publish",
            FaultSpec {
                commit_then_fail_rate: 1.0,
                commit_then_fail: CommitThenFail::SpamBlock,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let reply = sim.publish(&container).await;
    reply.assert_error(403, 4, Some(2_207_051));
    assert_eq!(reply.body["error"]["error_user_title"], "action is blocked");
    assert_eq!(sim.sim.published()[&sim.account.ig].len(), 1);
}

#[tokio::test]
async fn faults_set_over_http_apply_to_their_endpoint_only_until_cleared() {
    let sim = TestSim::quick().await;
    let path = "__sim/faults/container.get";
    let set = sim
        .send(
            sim.http
                .put(sim.url(path))
                .json(&json!({"error_5xx_rate": 1.0})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let container = sim.image_container(&[]).await;
    sim.get(&format!("v25.0/{container}"), &[])
        .await
        .assert_error(500, 2, None);
    assert_eq!(
        sim.get(&format!("v25.0/{}", sim.account.ig), &[])
            .await
            .status,
        200
    );
    let bad = sim
        .send(
            sim.http
                .put(sim.url(path))
                .json(&json!({"error_5xx_rate": 2.0})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["field"], "faults");
    sim.send(sim.http.delete(sim.url("__sim/faults"))).await;
    assert_eq!(
        sim.get(&format!("v25.0/{container}"), &[]).await.status,
        200
    );
}

#[tokio::test]
async fn a_batch_part_meets_its_own_endpoints_fault() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim
        .set_faults(
            "container.get",
            FaultSpec {
                error_5xx_rate: 1.0,
                ..FaultSpec::default()
            },
        )
        .expect("valid");
    let parts = json!([
        {"method": "GET", "relative_url": container},
        {"method": "GET", "relative_url": sim.account.ig},
    ]);
    let reply = sim.post("v25.0/", &[("batch", &parts.to_string())]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body[0]["code"], 500);
    assert_eq!(reply.body[1]["code"], 200);
}

#[tokio::test]
async fn fault_draws_repeat_from_the_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = TestSim::start(SimConfig {
            fetch_media: false,
            seed: 7,
            ..SimConfig::instant()
        })
        .await;
        sim.sim
            .set_faults(
                "user.get",
                FaultSpec {
                    transient_rate: 0.5,
                    ..FaultSpec::default()
                },
            )
            .expect("valid");
        let mut statuses = Vec::new();
        for _ in 0..16 {
            statuses.push(
                sim.get(&format!("v25.0/{}", sim.account.ig), &[])
                    .await
                    .status,
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&200) && runs[0].contains(&400));
}
