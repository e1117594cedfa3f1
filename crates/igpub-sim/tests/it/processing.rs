//! Container processing on the simulated clock: IN_PROGRESS → FINISHED | ERROR, then EXPIRED
//! after 24 h (shared/graph-api.md §2.6, §10).

use crate::support::TestSim;
use igpub_sim::SimConfig;
use serde_json::json;
use std::time::Duration;

async fn status(sim: &TestSim, id: &str) -> serde_json::Value {
    sim.get(&format!("v25.0/{id}"), &[("fields", "status_code,status")])
        .await
        .body
}

#[tokio::test]
async fn a_container_stays_in_progress_until_its_processing_time_has_passed() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        ..SimConfig::default()
    })
    .await;
    let id = sim.image_container(&[]).await;
    assert_eq!(
        status(&sim, &id).await,
        json!({"id": id, "status_code": "IN_PROGRESS", "status": "In Progress: Media is still being processed."})
    );
    // Default image processing is 2 s ± 50 %.
    sim.sim.advance_clock(Duration::from_secs(4));
    assert_eq!(
        status(&sim, &id).await,
        json!({"id": id, "status_code": "FINISHED", "status": "Finished: Media has been uploaded and it is ready to be published."})
    );
}

#[tokio::test]
async fn a_video_takes_longer_than_an_image() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        processing_jitter: 0.0,
        ..SimConfig::default()
    })
    .await;
    let image = sim.image_container(&[]).await;
    let reel = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "REELS"),
                ("video_url", "http://127.0.0.1:9/a.mp4"),
            ],
        )
        .await
        .id();
    sim.sim.advance_clock(Duration::from_secs(3));
    assert_eq!(status(&sim, &image).await["status_code"], "FINISHED");
    assert_eq!(status(&sim, &reel).await["status_code"], "IN_PROGRESS");
    let video = sim
        .get(
            &format!("v25.0/{reel}"),
            &[("fields", "video_status,copyright_check_status")],
        )
        .await;
    assert_eq!(
        video.body["video_status"]["processing_phase"]["status"],
        "in_progress"
    );
    assert_eq!(
        video.body["copyright_check_status"]["status"],
        "in_progress"
    );
    sim.sim.advance_clock(Duration::from_secs(20));
    assert_eq!(status(&sim, &reel).await["status_code"], "FINISHED");
}

#[tokio::test]
async fn containers_fail_at_the_configured_rate_with_metas_status_text() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        container_error_rate: 1.0,
        ..SimConfig::instant()
    })
    .await;
    let id = sim.image_container(&[]).await;
    let body = status(&sim, &id).await;
    assert_eq!(body["status_code"], "ERROR");
    let text = body["status"].as_str().unwrap_or_default();
    let subcode = text
        .strip_prefix("Error: Media upload has failed with error code ")
        .expect("Meta's error status text");
    assert!(
        ["2207076", "2207077", "2207082", "2207085"].contains(&subcode),
        "{text}"
    );
}

#[tokio::test]
async fn an_unpublished_container_expires_24_hours_after_creation() {
    let sim = TestSim::quick().await;
    let id = sim.image_container(&[]).await;
    sim.sim.advance_clock(Duration::from_secs(24 * 3600 - 60));
    assert_eq!(status(&sim, &id).await["status_code"], "FINISHED");
    sim.sim.advance_clock(Duration::from_secs(61));
    let body = status(&sim, &id).await;
    assert_eq!(body["status_code"], "EXPIRED");
    assert!(
        body["status"]
            .as_str()
            .is_some_and(|text| text.starts_with("Expired"))
    );
}

#[tokio::test]
async fn processing_draws_repeat_from_the_seed() {
    let config = || SimConfig {
        fetch_media: false,
        container_error_rate: 0.5,
        ..SimConfig::instant()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = TestSim::start(config()).await;
        let mut outcomes = Vec::new();
        for _ in 0..12 {
            let id = sim.image_container(&[]).await;
            outcomes.push((id.clone(), status(&sim, &id).await["status_code"].clone()));
        }
        runs.push(outcomes);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].iter().any(|(_, status)| status == "ERROR"));
    assert!(runs[0].iter().any(|(_, status)| status == "FINISHED"));
}
