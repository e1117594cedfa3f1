//! Container creation rules with Meta's exact errors (shared/graph-api.md §2.2–2.4, §6.3).

use crate::support::TestSim;
use igpub_sim::SimConfig;
use serde_json::json;
use std::time::Duration;

fn media_path(sim: &TestSim) -> String {
    format!("v25.0/{}/media", sim.account.ig)
}

const IMAGE: (&str, &str) = ("image_url", "http://127.0.0.1:9/photo.jpg");

#[tokio::test]
async fn an_image_container_answers_only_its_id() {
    let sim = TestSim::quick().await;
    let reply = sim
        .post(&media_path(&sim), &[IMAGE, ("caption", "#BronzedFonzes!")])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let object = reply.body.as_object().expect("an object");
    assert_eq!(object.len(), 1);
    let id = reply.id();
    assert!(
        id.len() == 17 && id.chars().all(|c| c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
}

#[tokio::test]
async fn a_caption_over_2200_characters_is_36004_2207010() {
    let sim = TestSim::quick().await;
    let long = "a".repeat(2201);
    let reply = sim
        .post(&media_path(&sim), &[IMAGE, ("caption", &long)])
        .await;
    reply.assert_error(400, 36004, Some(2_207_010));
    assert_eq!(reply.body["error"]["is_transient"], false);
    let message = reply.body["error"]["error_user_msg"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("was 2201 characters long"), "{message}");
    let fits = "a".repeat(2200);
    assert_eq!(
        sim.post(&media_path(&sim), &[IMAGE, ("caption", &fits)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn more_than_30_hashtags_is_36004_2207010() {
    let sim = TestSim::quick().await;
    let tags: Vec<String> = (0..31).map(|n| format!("#tag{n}")).collect();
    let reply = sim
        .post(&media_path(&sim), &[IMAGE, ("caption", &tags.join(" "))])
        .await;
    reply.assert_error(400, 36004, Some(2_207_010));
    let thirty = tags[..30].join(" ");
    assert_eq!(
        sim.post(&media_path(&sim), &[IMAGE, ("caption", &thirty)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn more_than_20_mentions_is_100_2207040() {
    let sim = TestSim::quick().await;
    let mentions: Vec<String> = (0..21).map(|n| format!("@friend{n}")).collect();
    let reply = sim
        .post(
            &media_path(&sim),
            &[IMAGE, ("caption", &mentions.join(" "))],
        )
        .await;
    reply.assert_error(400, 100, Some(2_207_040));
    assert_eq!(
        reply.body["error"]["error_user_msg"],
        "Cannot use more than 20 tags per created media."
    );
}

#[tokio::test]
async fn a_carousel_needs_two_to_ten_children_2207028() {
    let sim = TestSim::quick().await;
    let child = sim
        .image_container(&[("is_carousel_item", "true"), ("caption", "")])
        .await;
    let reply = sim
        .post(
            &media_path(&sim),
            &[("media_type", "CAROUSEL"), ("children", &child)],
        )
        .await;
    reply.assert_error(400, 100, Some(2_207_028));
    assert_eq!(
        reply.body["error"]["error_user_msg"],
        "Your post won't work as a carousel. Carousels need at least 2 photos/videos and no more than 10 photos/videos."
    );
    let eleven: Vec<String> = (0..11).map(|_| child.clone()).collect();
    sim.post(
        &media_path(&sim),
        &[("media_type", "CAROUSEL"), ("children", &eleven.join(","))],
    )
    .await
    .assert_error(400, 100, Some(2_207_028));
}

async fn carousel_item(sim: &TestSim) -> String {
    let reply = sim
        .post(&media_path(sim), &[IMAGE, ("is_carousel_item", "true")])
        .await;
    reply.id()
}

#[tokio::test]
async fn a_carousel_of_finished_own_items_is_created_from_a_comma_list_or_json_array() {
    let sim = TestSim::quick().await;
    let (a, b) = (carousel_item(&sim).await, carousel_item(&sim).await);
    let comma = sim
        .post(
            &media_path(&sim),
            &[
                ("media_type", "CAROUSEL"),
                ("children", &format!("{a},{b}")),
            ],
        )
        .await;
    assert_eq!(comma.status, 200, "{}", comma.text);
    let request = sim
        .http
        .post(sim.url(&media_path(&sim)))
        .bearer_auth(&sim.account.page_token)
        .json(&json!({"media_type": "CAROUSEL", "children": [a, b], "caption": "two"}));
    let reply = sim.send(request).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn carousel_children_must_belong_to_the_account() {
    let sim = TestSim::quick().await;
    let other = sim.accounts()[1].clone();
    let foreign = sim
        .post_as(
            &other.page_token,
            &format!("v25.0/{}/media", other.ig),
            &[IMAGE, ("is_carousel_item", "true")],
        )
        .await
        .id();
    let own = carousel_item(&sim).await;
    let reply = sim
        .post(
            &media_path(&sim),
            &[
                ("media_type", "CAROUSEL"),
                ("children", &format!("{own},{foreign}")),
            ],
        )
        .await;
    reply.assert_error(400, 24, Some(2_207_006));
    assert_eq!(
        reply.body["error"]["error_user_msg"],
        format!("The media with {foreign} cannot be found")
    );
}

#[tokio::test]
async fn carousel_children_must_be_created_as_carousel_items() {
    let sim = TestSim::quick().await;
    let plain = sim.image_container(&[]).await;
    let item = carousel_item(&sim).await;
    sim.post(
        &media_path(&sim),
        &[
            ("media_type", "CAROUSEL"),
            ("children", &format!("{item},{plain}")),
        ],
    )
    .await
    .assert_error(400, 100, Some(2_207_028));
}

#[tokio::test]
async fn carousel_children_still_in_progress_are_not_ready_9007() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        processing_jitter: 0.0,
        ..SimConfig::default()
    })
    .await;
    let (a, b) = (carousel_item(&sim).await, carousel_item(&sim).await);
    let children = format!("{a},{b}");
    let early = sim
        .post(
            &media_path(&sim),
            &[("media_type", "CAROUSEL"), ("children", &children)],
        )
        .await;
    early.assert_error(400, 9007, Some(2_207_027));
    sim.sim.advance_clock(Duration::from_secs(3));
    let later = sim
        .post(
            &media_path(&sim),
            &[("media_type", "CAROUSEL"), ("children", &children)],
        )
        .await;
    assert_eq!(later.status, 200, "{}", later.text);
}

#[tokio::test]
async fn a_caption_on_a_carousel_item_is_refused() {
    let sim = TestSim::quick().await;
    let reply = sim
        .post(
            &media_path(&sim),
            &[IMAGE, ("is_carousel_item", "true"), ("caption", "no")],
        )
        .await;
    reply.assert_error(400, 100, None);
    assert!(reply.message().contains("caption"), "{}", reply.message());
}

#[tokio::test]
async fn alt_text_is_kept_on_images_and_refused_on_reels_and_stories() {
    let sim = TestSim::quick().await;
    assert_eq!(
        sim.post(&media_path(&sim), &[IMAGE, ("alt_text", "A bronze statue")])
            .await
            .status,
        200
    );
    let reel = sim
        .post(
            &media_path(&sim),
            &[
                ("media_type", "REELS"),
                ("video_url", "http://127.0.0.1:9/a.mp4"),
                ("alt_text", "x"),
            ],
        )
        .await;
    reel.assert_error(400, 100, None);
    assert!(reel.message().contains("alt_text"));
    sim.post(
        &media_path(&sim),
        &[("media_type", "STORIES"), IMAGE, ("alt_text", "x")],
    )
    .await
    .assert_error(400, 100, None);
    let long = "x".repeat(1001);
    sim.post(&media_path(&sim), &[IMAGE, ("alt_text", &long)])
        .await
        .assert_error(400, 100, None);
}

#[tokio::test]
async fn collaborators_are_capped_at_three_and_refused_on_stories() {
    let sim = TestSim::quick().await;
    let three = "['username1','username2','username3']";
    assert_eq!(
        sim.post(&media_path(&sim), &[IMAGE, ("collaborators", three)])
            .await
            .status,
        200
    );
    sim.post(&media_path(&sim), &[IMAGE, ("collaborators", "a,b,c,d")])
        .await
        .assert_error(400, 100, None);
    sim.post(
        &media_path(&sim),
        &[("media_type", "STORIES"), IMAGE, ("collaborators", "a")],
    )
    .await
    .assert_error(400, 100, None);
}

#[tokio::test]
async fn an_unknown_media_type_is_100_2207023() {
    let sim = TestSim::quick().await;
    let reply = sim
        .post(&media_path(&sim), &[IMAGE, ("media_type", "GIF")])
        .await;
    reply.assert_error(400, 100, Some(2_207_023));
    assert_eq!(
        reply.body["error"]["error_user_msg"],
        "The media type GIF is unknown."
    );
}

#[tokio::test]
async fn a_missing_media_url_names_the_parameter() {
    let sim = TestSim::quick().await;
    let image = sim
        .post(&media_path(&sim), &[("caption", "no picture")])
        .await;
    image.assert_error(400, 100, None);
    assert_eq!(
        image.message(),
        "(#100) The parameter image_url is required"
    );
    let reel = sim
        .post(&media_path(&sim), &[("media_type", "REELS")])
        .await;
    reel.assert_error(400, 100, None);
    assert_eq!(reel.message(), "The parameter video_url is required");
}

#[tokio::test]
async fn a_negative_thumb_offset_is_1_2207057() {
    let sim = TestSim::quick().await;
    sim.post(
        &media_path(&sim),
        &[
            ("media_type", "REELS"),
            ("video_url", "http://127.0.0.1:9/a.mp4"),
            ("thumb_offset", "-5"),
        ],
    )
    .await
    .assert_error(400, 1, Some(2_207_057));
}

#[tokio::test]
async fn user_tags_in_metas_javascript_form_are_accepted_and_need_coordinates_on_images() {
    let sim = TestSim::quick().await;
    let tags = "[{username:'kevinhart4real',x:0.5,y:0.8},{username:'therock',x:0.3,y:0.2}]";
    assert_eq!(
        sim.post(&media_path(&sim), &[IMAGE, ("user_tags", tags)])
            .await
            .status,
        200
    );
    sim.post(
        &media_path(&sim),
        &[IMAGE, ("user_tags", "[{username:'x'}]")],
    )
    .await
    .assert_error(400, 100, None);
    let story = sim
        .post(
            &media_path(&sim),
            &[
                ("media_type", "STORIES"),
                IMAGE,
                ("user_tags", "[{username:'x'}]"),
            ],
        )
        .await;
    assert_eq!(story.status, 200, "{}", story.text);
}

#[tokio::test]
async fn product_tag_positions_are_required_on_photos_and_refused_on_videos() {
    let sim = TestSim::quick().await;
    sim.post(
        &media_path(&sim),
        &[IMAGE, ("product_tags", r#"[{"product_id":"1"}]"#)],
    )
    .await
    .assert_error(400, 100, Some(2_207_036));
    sim.post(
        &media_path(&sim),
        &[
            ("media_type", "REELS"),
            ("video_url", "http://127.0.0.1:9/a.mp4"),
            ("product_tags", r#"[{"product_id":"1","x":0.5,"y":0.5}]"#),
        ],
    )
    .await
    .assert_error(400, 100, Some(2_207_035));
}

#[tokio::test]
async fn the_401st_container_within_24_hours_is_refused() {
    let sim = TestSim::quick().await;
    for _ in 0..400 {
        sim.image_container(&[]).await;
    }
    let refused = sim.post(&media_path(&sim), &[IMAGE]).await;
    refused.assert_error(400, 9, None);
    assert_eq!(refused.body["error"]["is_transient"], false);
    sim.sim.advance_clock(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(sim.post(&media_path(&sim), &[IMAGE]).await.status, 200);
}
