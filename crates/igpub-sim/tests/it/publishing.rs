//! Publishing: media ids, permalinks, the state rules and the moving-window quota
//! (shared/graph-api.md §2.4, §2.7, §2.8, §3.3, §10).

use crate::support::TestSim;
use igpub_sim::SimConfig;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn publishing_gives_a_media_id_distinct_from_the_container_with_a_feed_permalink() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[("caption", "First post #sim")]).await;
    let published = sim.publish(&container).await;
    assert_eq!(published.status, 200, "{}", published.text);
    let media = published.id();
    assert_ne!(media, container);
    let fields = "id,caption,media_type,media_product_type,permalink,shortcode,timestamp,username,owner,comments_count,like_count,is_comment_enabled";
    let read = sim
        .get(&format!("v25.0/{media}"), &[("fields", fields)])
        .await;
    let body = &read.body;
    assert_eq!(body["caption"], "First post #sim");
    assert_eq!(body["media_type"], "IMAGE");
    assert_eq!(body["media_product_type"], "FEED");
    let shortcode = body["shortcode"].as_str().expect("a shortcode");
    assert_eq!(
        body["permalink"],
        format!("https://www.instagram.com/p/{shortcode}/")
    );
    let timestamp = body["timestamp"].as_str().expect("a timestamp");
    assert!(
        jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%z", timestamp).is_ok(),
        "{timestamp}"
    );
    assert!(timestamp.ends_with("+0000"));
    assert_eq!(body["username"], sim.account.username.as_str());
    assert_eq!(body["owner"], json!({"id": sim.account.ig}));
    assert!(body["comments_count"].is_u64() && body["like_count"].is_u64());
    assert_eq!(body["is_comment_enabled"], true);
    let container_after = sim
        .get(
            &format!("v25.0/{container}"),
            &[("fields", "status_code,status")],
        )
        .await;
    assert_eq!(container_after.body["status_code"], "PUBLISHED");
    assert_eq!(
        container_after.body["status"],
        "Published: Media has been successfully published."
    );
}

#[tokio::test]
async fn publish_answers_9007_2207027_while_in_progress_word_for_word() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        ..SimConfig::default()
    })
    .await;
    let container = sim.image_container(&[]).await;
    let reply = sim.publish(&container).await;
    reply.assert_error(400, 9007, Some(2_207_027));
    let error = &reply.body["error"];
    assert_eq!(error["message"], "Media ID is not available");
    assert_eq!(error["type"], "OAuthException");
    assert_eq!(error["is_transient"], false);
    assert_eq!(error["error_user_title"], "Cannot Publish");
    assert_eq!(
        error["error_user_msg"],
        "The media is not ready for publishing, please wait for a moment"
    );
    sim.sim.advance_clock(Duration::from_secs(5));
    assert_eq!(sim.publish(&container).await.status, 200);
}

#[tokio::test]
async fn a_container_publishes_once_then_24_2207008() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    assert_eq!(sim.publish(&container).await.status, 200);
    sim.publish(&container)
        .await
        .assert_error(400, 24, Some(2_207_008));
    assert_eq!(sim.sim.published()[&sim.account.ig].len(), 1);
}

#[tokio::test]
async fn an_unknown_or_foreign_creation_id_is_24_2207008() {
    let sim = TestSim::quick().await;
    sim.publish("17900000000000000")
        .await
        .assert_error(400, 24, Some(2_207_008));
    sim.publish("not-a-number")
        .await
        .assert_error(400, 24, Some(2_207_008));
    let other = sim.accounts()[1].clone();
    let foreign = sim
        .post_as(
            &other.page_token,
            &format!("v25.0/{}/media", other.ig),
            &[("image_url", "http://127.0.0.1:9/a.jpg")],
        )
        .await
        .id();
    sim.publish(&foreign)
        .await
        .assert_error(400, 24, Some(2_207_008));
    let missing = sim
        .post(&format!("v25.0/{}/media_publish", sim.account.ig), &[])
        .await;
    missing.assert_error(400, 100, None);
    assert_eq!(
        missing.message(),
        "(#100) The parameter creation_id is required"
    );
}

#[tokio::test]
async fn an_expired_container_is_minus_2_2207020() {
    let sim = TestSim::quick().await;
    let container = sim.image_container(&[]).await;
    sim.sim.advance_clock(Duration::from_secs(25 * 3600));
    sim.publish(&container)
        .await
        .assert_error(400, -2, Some(2_207_020));
}

#[tokio::test]
async fn an_errored_container_cannot_be_published() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        container_error_rate: 1.0,
        ..SimConfig::instant()
    })
    .await;
    let container = sim.image_container(&[]).await;
    let reply = sim.publish(&container).await;
    assert_eq!(reply.status, 400);
    let subcode = reply.subcode().expect("a subcode");
    assert!(
        [2_207_076, 2_207_077, 2_207_082, 2_207_085].contains(&subcode),
        "{}",
        reply.text
    );
    assert!(sim.sim.published()[&sim.account.ig].is_empty());
}

#[tokio::test]
async fn a_standalone_video_container_is_100_2207089_word_for_word() {
    let sim = TestSim::quick().await;
    let video = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "VIDEO"),
                ("video_url", "http://127.0.0.1:9/a.mp4"),
            ],
        )
        .await
        .id();
    let reply = sim.publish(&video).await;
    reply.assert_error(400, 100, Some(2_207_089));
    let error = &reply.body["error"];
    assert_eq!(error["message"], "Invalid parameter");
    assert_eq!(
        error["error_user_title"],
        "Carousel item cannot be published standalone"
    );
    assert_eq!(
        error["error_user_msg"],
        "Media created with media_type=VIDEO is a carousel item and cannot be published as a standalone post. To publish a standalone video, use media_type=REELS instead."
    );
}

#[tokio::test]
async fn the_quota_refuses_the_post_past_quota_total_until_the_oldest_ages_out() {
    let sim = TestSim::start(SimConfig {
        fetch_media: false,
        quota_total: 3,
        ..SimConfig::instant()
    })
    .await;
    for n in 0..3 {
        sim.post_image(&format!("post {n}")).await;
        sim.sim.advance_clock(Duration::from_secs(3600));
    }
    let waiting = sim.image_container(&[]).await;
    let refused = sim.publish(&waiting).await;
    refused.assert_error(400, 9, Some(2_207_042));
    assert_eq!(
        refused.body["error"]["error_user_msg"],
        "You reached maximum number of posts that is allowed to be published by Content Publishing API."
    );
    let still = sim
        .get(&format!("v25.0/{waiting}"), &[("fields", "status_code")])
        .await;
    assert_eq!(still.body["status_code"], "FINISHED");
    // The first post was 3 h ago; the window is per post and moves.
    sim.sim.advance_clock(Duration::from_secs(21 * 3600 + 1));
    assert_eq!(sim.publish(&waiting).await.status, 200);
    sim.publish(&sim.image_container(&[]).await)
        .await
        .assert_error(400, 9, Some(2_207_042));
}

#[tokio::test]
async fn content_publishing_limit_reports_usage_and_config_as_meta_does() {
    let sim = TestSim::quick().await;
    sim.post_image("one").await;
    sim.post_image("two").await;
    let path = format!("v25.0/{}/content_publishing_limit", sim.account.ig);
    let plain = sim.get(&path, &[]).await;
    assert_eq!(plain.body, json!({"data": [{"quota_usage": 2}]}));
    let full = sim.get(&path, &[("fields", "quota_usage,config")]).await;
    assert_eq!(
        full.body,
        json!({"data": [{"quota_usage": 2, "config": {"quota_total": 100, "quota_duration": 86400}}]})
    );
    let since = (sim.sim.now_unix() - 60).to_string();
    let recent = sim.get(&path, &[("since", &since)]).await;
    assert_eq!(recent.body["data"][0]["quota_usage"], 2);
    let too_old = (sim.sim.now_unix() - 2 * 86_400).to_string();
    sim.get(&path, &[("since", &too_old)])
        .await
        .assert_error(400, 100, None);
    sim.get(&path, &[("fields", "quota_left")])
        .await
        .assert_error(400, 100, None);
}

#[tokio::test]
async fn a_carousel_publishes_as_one_post_with_its_children() {
    let sim = TestSim::quick().await;
    let media_path = format!("v25.0/{}/media", sim.account.ig);
    let mut children = Vec::new();
    for _ in 0..3 {
        children.push(
            sim.post(
                &media_path,
                &[
                    ("image_url", "http://127.0.0.1:9/a.jpg"),
                    ("is_carousel_item", "true"),
                ],
            )
            .await
            .id(),
        );
    }
    let carousel = sim
        .post(
            &media_path,
            &[
                ("media_type", "CAROUSEL"),
                ("children", &children.join(",")),
                ("caption", "album"),
            ],
        )
        .await
        .id();
    let media = sim.publish(&carousel).await.id();
    let read = sim
        .get(
            &format!("v25.0/{media}"),
            &[("fields", "media_type,children{id,media_type,permalink}")],
        )
        .await;
    assert_eq!(read.body["media_type"], "CAROUSEL_ALBUM");
    let items = read.body["children"]["data"].as_array().expect("children");
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|child| child["media_type"] == "IMAGE"));
    let truth = &sim.sim.published()[&sim.account.ig];
    assert_eq!(truth.len(), 1);
    assert_eq!(truth[0].children.len(), 3);
    assert_eq!(
        truth[0]
            .children
            .iter()
            .map(|child| child.container_id.clone())
            .collect::<Vec<_>>(),
        children
    );
    let limit = sim
        .get(
            &format!("v25.0/{}/content_publishing_limit", sim.account.ig),
            &[],
        )
        .await;
    assert_eq!(limit.body["data"][0]["quota_usage"], 1);
}

#[tokio::test]
async fn a_reel_reads_back_as_video_with_a_reel_permalink() {
    let sim = TestSim::quick().await;
    let container = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "REELS"),
                ("video_url", "http://127.0.0.1:9/a.mp4"),
                ("share_to_feed", "false"),
            ],
        )
        .await
        .id();
    let media = sim.publish(&container).await.id();
    let read = sim
        .get(
            &format!("v25.0/{media}"),
            &[(
                "fields",
                "media_type,media_product_type,permalink,shortcode,is_shared_to_feed,thumbnail_url",
            )],
        )
        .await;
    assert_eq!(read.body["media_type"], "VIDEO");
    assert_eq!(read.body["media_product_type"], "REELS");
    assert_eq!(read.body["is_shared_to_feed"], false);
    let shortcode = read.body["shortcode"].as_str().unwrap_or_default();
    assert_eq!(
        read.body["permalink"],
        format!("https://www.instagram.com/reel/{shortcode}/")
    );
    assert!(read.body["thumbnail_url"].is_string());
}

#[tokio::test]
async fn a_story_has_a_stories_permalink_and_lists_under_stories_not_media() {
    let sim = TestSim::quick().await;
    let container = sim
        .post(
            &format!("v25.0/{}/media", sim.account.ig),
            &[
                ("media_type", "STORIES"),
                ("image_url", "http://127.0.0.1:9/a.jpg"),
            ],
        )
        .await
        .id();
    let story = sim.publish(&container).await.id();
    let read = sim
        .get(
            &format!("v25.0/{story}"),
            &[("fields", "media_product_type,permalink")],
        )
        .await;
    assert_eq!(read.body["media_product_type"], "STORY");
    assert_eq!(
        read.body["permalink"],
        format!(
            "https://instagram.com/stories/{}/{story}",
            sim.account.username
        )
    );
    let feed = sim
        .get(&format!("v25.0/{}/media", sim.account.ig), &[])
        .await;
    assert_eq!(feed.body, json!({"data": []}));
    let stories = sim
        .get(&format!("v25.0/{}/stories", sim.account.ig), &[])
        .await;
    assert_eq!(stories.body["data"], json!([{"id": story}]));
    sim.sim.advance_clock(Duration::from_secs(24 * 3600 + 1));
    let later = sim
        .get(&format!("v25.0/{}/stories", sim.account.ig), &[])
        .await;
    assert_eq!(later.body, json!({"data": []}));
}
