//! The resumable upload host (shared/graph-api.md §2.5).

use crate::support::{TestSim, mp4};
use serde_json::json;

async fn resumable_reel(sim: &TestSim) -> (String, String) {
    let reply = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "REELS"),
                ("upload_type", "resumable"),
                ("caption", "uploaded"),
            ],
        )
        .await;
    let id = reply.id();
    let uri = reply.body["uri"]
        .as_str()
        .expect("an upload uri")
        .to_owned();
    assert!(
        uri.ends_with(&format!("/ig-api-upload/v25.0/{id}")),
        "{uri}"
    );
    (id, uri)
}

async fn status(sim: &TestSim, id: &str) -> serde_json::Value {
    sim.get(
        &format!("v25.0/{id}"),
        &[("fields", "status_code,video_status")],
    )
    .await
    .body
}

async fn upload(
    sim: &TestSim,
    uri: &str,
    token: &str,
    offset: usize,
    total: usize,
    bytes: Vec<u8>,
) -> crate::support::Reply {
    let request = sim
        .http
        .post(uri)
        .header("Authorization", format!("OAuth {token}"))
        .header("offset", offset.to_string())
        .header("file_size", total.to_string())
        .body(bytes);
    sim.send(request).await
}

#[tokio::test]
async fn a_resumable_reel_finishes_after_all_its_bytes_arrive_in_parts() {
    let sim = TestSim::quick().await;
    let (id, uri) = resumable_reel(&sim).await;
    assert_eq!(status(&sim, &id).await["status_code"], "IN_PROGRESS");
    let video = mp4();
    let (head, tail) = video.split_at(1000);
    let token = sim.account.page_token.clone();
    let first = upload(&sim, &uri, &token, 0, video.len(), head.to_vec()).await;
    assert_eq!(
        first.body,
        json!({"success": true, "message": "Upload successful."})
    );
    let partial = status(&sim, &id).await;
    assert_eq!(partial["status_code"], "IN_PROGRESS");
    assert_eq!(
        partial["video_status"]["uploading_phase"]["bytes_transferred"],
        1000
    );
    let wrong_offset = upload(&sim, &uri, &token, 0, video.len(), tail.to_vec()).await;
    assert_eq!(wrong_offset.status, 400);
    upload(&sim, &uri, &token, 1000, video.len(), tail.to_vec()).await;
    assert_eq!(status(&sim, &id).await["status_code"], "FINISHED");
    assert_eq!(sim.publish(&id).await.status, 200);
}

#[tokio::test]
async fn uploaded_bytes_that_are_not_mp4_end_in_error_2207026() {
    let sim = TestSim::start(igpub_sim::SimConfig::instant()).await;
    let (id, uri) = resumable_reel(&sim).await;
    let token = sim.account.page_token.clone();
    upload(&sim, &uri, &token, 0, 16, b"definitely not!!".to_vec()).await;
    let body = sim
        .get(&format!("v25.0/{id}"), &[("fields", "status")])
        .await
        .body;
    assert_eq!(
        body["status"],
        "Error: Media upload has failed with error code 2207026"
    );
}

#[tokio::test]
async fn an_upload_with_a_bad_token_is_a_processing_failed_error() {
    let sim = TestSim::quick().await;
    let (_, uri) = resumable_reel(&sim).await;
    let reply = upload(&sim, &uri, "EAAGbad", 0, 10, vec![0; 10]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["debug_info"]["type"], "ProcessingFailedError");
    assert_eq!(reply.body["debug_info"]["retriable"], false);
    let inner: serde_json::Value = serde_json::from_str(
        reply.body["debug_info"]["message"]
            .as_str()
            .unwrap_or("null"),
    )
    .unwrap_or_default();
    assert_eq!(
        inner,
        json!({"success": false, "error": {"message": "unauthorized user request"}})
    );
}

#[tokio::test]
async fn a_resumable_container_refuses_a_video_url() {
    let sim = TestSim::quick().await;
    sim.post(
        &format!("v25.0/{}/media", sim.account.ig),
        &[
            ("media_type", "REELS"),
            ("upload_type", "resumable"),
            ("video_url", "http://127.0.0.1:9/a.mp4"),
        ],
    )
    .await
    .assert_error(400, 100, None);
}
