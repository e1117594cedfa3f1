//! The crawler fetches media and judges the real bytes (shared/graph-api.md §2.2 end, §2.3, §10).

use crate::support::{MediaServer, TestSim};
use igpub_sim::SimConfig;

async fn crawling() -> (TestSim, MediaServer) {
    let media = MediaServer::start().await;
    let sim = TestSim::start(SimConfig::instant()).await;
    (sim, media)
}

async fn create(sim: &TestSim, params: &[(&str, &str)]) -> crate::support::Reply {
    sim.post(&format!("v25.0/{}/media", sim.account.ig), params)
        .await
}

#[tokio::test]
async fn a_jpeg_within_the_feed_ratio_is_accepted() {
    let (sim, media) = crawling().await;
    for file in ["square.jpg", "portrait.jpg"] {
        let reply = create(&sim, &[("image_url", &media.url(file))]).await;
        assert_eq!(reply.status, 200, "{file}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_png_is_36001_2207005() {
    let (sim, media) = crawling().await;
    let reply = create(&sim, &[("image_url", &media.url("picture.png"))]).await;
    reply.assert_error(400, 36001, Some(2_207_005));
    assert_eq!(reply.message(), "The image format is not supported.");
    let user_msg = reply.body["error"]["error_user_msg"]
        .as_str()
        .unwrap_or_default();
    assert!(
        user_msg.contains("PNG") && user_msg.contains("JPEG"),
        "{user_msg}"
    );
}

#[tokio::test]
async fn a_video_given_as_image_url_is_36001() {
    let (sim, media) = crawling().await;
    create(&sim, &[("image_url", &media.url("clip.mp4"))])
        .await
        .assert_error(400, 36001, Some(2_207_005));
}

#[tokio::test]
async fn an_image_over_8_mib_is_36000_2207004() {
    let (sim, media) = crawling().await;
    let reply = create(&sim, &[("image_url", &media.url("huge.jpg"))]).await;
    reply.assert_error(400, 36000, Some(2_207_004));
    assert_eq!(reply.message(), "The image size is too large.");
    assert_eq!(
        reply.body["error"]["error_user_msg"],
        "The image is too large to download. It should be less than 8 MiB."
    );
}

#[tokio::test]
async fn a_feed_image_outside_4_5_to_1_91_is_36003_2207009() {
    let (sim, media) = crawling().await;
    for file in ["wide.jpg", "story.jpg"] {
        let reply = create(&sim, &[("image_url", &media.url(file))]).await;
        reply.assert_error(400, 36003, Some(2_207_009));
        assert_eq!(reply.message(), "The aspect ratio is not supported.");
    }
}

#[tokio::test]
async fn a_carousel_image_follows_the_feed_ratio_but_a_story_image_does_not() {
    let (sim, media) = crawling().await;
    create(
        &sim,
        &[
            ("image_url", &media.url("wide.jpg")),
            ("is_carousel_item", "true"),
        ],
    )
    .await
    .assert_error(400, 36003, Some(2_207_009));
    let story = create(
        &sim,
        &[
            ("image_url", &media.url("story.jpg")),
            ("media_type", "STORIES"),
        ],
    )
    .await;
    assert_eq!(story.status, 200, "{}", story.text);
}

#[tokio::test]
async fn an_empty_image_is_answered_as_a_bad_aspect_ratio() {
    let (sim, media) = crawling().await;
    create(&sim, &[("image_url", &media.url("empty.jpg"))])
        .await
        .assert_error(400, 36003, Some(2_207_009));
}

#[tokio::test]
async fn a_missing_or_redirecting_image_is_9004_2207052() {
    let (sim, media) = crawling().await;
    for url in [
        media.url("missing.jpg"),
        media.url("moved.jpg"),
        "http://127.0.0.1:9/closed.jpg".to_owned(),
    ] {
        let reply = create(&sim, &[("image_url", &url)]).await;
        reply.assert_error(400, 9004, Some(2_207_052));
        assert_eq!(
            reply.body["error"]["error_user_title"],
            "Media download has failed."
        );
        assert_eq!(
            reply.body["error"]["error_user_msg"],
            format!("The media could not be fetched from this uri: {url}")
        );
    }
}

#[tokio::test]
async fn a_url_off_loopback_is_never_fetched() {
    let (sim, _media) = crawling().await;
    create(
        &sim,
        &[(
            "image_url",
            "https://www.example.com/images/bronzed-fonzes.jpg",
        )],
    )
    .await
    .assert_error(400, 9004, Some(2_207_052));
}

#[tokio::test]
async fn no_fetch_mode_accepts_urls_it_never_reads() {
    let sim = TestSim::quick().await;
    let reply = create(
        &sim,
        &[("image_url", "http://127.0.0.1:9/never-served.png")],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_video_without_an_ftyp_box_ends_in_error_2207026() {
    let (sim, media) = crawling().await;
    let bad = create(
        &sim,
        &[
            ("media_type", "REELS"),
            ("video_url", &media.url("clip.avi")),
        ],
    )
    .await
    .id();
    let good = create(
        &sim,
        &[
            ("media_type", "REELS"),
            ("video_url", &media.url("clip.mp4")),
        ],
    )
    .await
    .id();
    let bad_status = sim
        .get(&format!("v25.0/{bad}"), &[("fields", "status_code,status")])
        .await;
    assert_eq!(bad_status.body["status_code"], "ERROR");
    assert_eq!(
        bad_status.body["status"],
        "Error: Media upload has failed with error code 2207026"
    );
    let good_status = sim
        .get(&format!("v25.0/{good}"), &[("fields", "status_code")])
        .await;
    assert_eq!(good_status.body["status_code"], "FINISHED");
}

#[tokio::test]
async fn an_unreachable_video_ends_in_error_2207052() {
    let (sim, media) = crawling().await;
    let id = create(
        &sim,
        &[
            ("media_type", "REELS"),
            ("video_url", &media.url("gone.mp4")),
        ],
    )
    .await
    .id();
    let status = sim
        .get(&format!("v25.0/{id}"), &[("fields", "status")])
        .await;
    assert_eq!(
        status.body["status"],
        "Error: Media upload has failed with error code 2207052"
    );
}
