//! Publishing steps, drafts and the reel/story helpers.

use crate::helpers::*;
use igpub_graph::{
    CarouselItem, CarouselPost, ContainerId, ContainerSpec, GraphError, IgUserId, ImagePost,
    PublishOutcome, ReelPost, StoryMedia, StoryPost, UserTag,
};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn ig() -> IgUserId {
    IgUserId::new(IG)
}

#[tokio::test]
async fn create_container_returns_the_new_container_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("image_url", "https://e.example/a.jpg"))
        .and(param(
            "user_tags",
            r#"[{"username":"kevinhart4real","x":0.5,"y":0.8}]"#,
        ))
        .respond_with(ok_json(r#"{"id":"17889455560051444"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let post = ImagePost {
        user_tags: vec![UserTag::at("kevinhart4real", 0.5, 0.8)],
        ..ImagePost::new(url("https://e.example/a.jpg"))
    };
    let id = client(&server)
        .create_container(&ig(), &ContainerSpec::Image(post))
        .await;
    assert_eq!(id.ok(), Some(ContainerId::new("17889455560051444")));
}

#[tokio::test]
async fn publish_container_posts_the_creation_id_and_returns_the_media_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media_publish"))))
        .and(param("creation_id", "17889455560051444"))
        .respond_with(ok_json(r#"{"id":"17920238422030506"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let media = client(&server)
        .publish_container(&ig(), &ContainerId::new("17889455560051444"))
        .await;
    assert_eq!(
        media.ok().map(|m| m.into_string()).as_deref(),
        Some("17920238422030506")
    );
}

#[tokio::test]
async fn publish_and_fetch_publishes_and_reads_in_one_batch_with_depends_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(publish_batch_answer(
            "17920238422030506",
            "https://www.instagram.com/p/CSgf9BChwVq/",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let published = client(&server)
        .publish_and_fetch(&ig(), &ContainerId::new("17889455560051444"))
        .await;
    let published = published.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(published.media_id.as_str(), "17920238422030506");
    assert_eq!(
        published.media.and_then(|m| m.shortcode).as_deref(),
        Some("CSgf9BChwVq")
    );

    let requests = received(&server).await;
    let batch = requests.first().map(batch_of).unwrap_or_default();
    assert_eq!(
        batch,
        serde_json::json!([
            {"method":"POST","relative_url":format!("{IG}/media_publish"),"body":"creation_id=17889455560051444","name":"publish","omit_response_on_success":false},
            {"method":"GET","relative_url":format!("{{result=publish:$.id}}?fields={}", url::form_urlencoded::byte_serialize(igpub_graph::MEDIA_FIELDS.as_bytes()).collect::<String>()),"depends_on":"publish"}
        ])
    );
}

#[tokio::test]
async fn a_failed_media_read_after_publishing_still_returns_the_media_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json(
            &serde_json::json!([
                {"code":200,"headers":[],"body":"{\"id\":\"17920238422030506\"}"},
                null
            ])
            .to_string(),
        ))
        .mount(&server)
        .await;
    let published = client(&server)
        .publish_and_fetch(&ig(), &ContainerId::new("1"))
        .await;
    let published = published.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(published.media_id.as_str(), "17920238422030506");
    assert_eq!(published.media, None);
}

#[tokio::test]
async fn a_publish_sub_request_error_comes_back_as_metas_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json(
            &serde_json::json!([
                {"code":400,"headers":[],"body":"{\"error\":{\"message\":\"Media ID is not available\",\"type\":\"OAuthException\",\"code\":9007,\"error_subcode\":2207027,\"is_transient\":false,\"error_user_title\":\"Cannot Publish\",\"error_user_msg\":\"The media is not ready for publishing, please wait for a moment\",\"fbtrace_id\":\"AxJzkjRmOWJOr-O9eJ2PljM\"}}"},
                null
            ])
            .to_string(),
        ))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .publish_and_fetch(&ig(), &ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("9007 must fail the publish")
    };
    assert_eq!((error.code(), error.subcode()), (Some(9007), Some(2207027)));
    assert!(!error.is_ambiguous());
}

#[tokio::test]
async fn a_publish_without_answer_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json("[null,null]"))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .publish_and_fetch(&ig(), &ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("a null publish answer is not a success")
    };
    assert!(
        matches!(error, GraphError::BatchItemMissing { index: 0, .. }),
        "{error:?}"
    );
    assert!(error.is_ambiguous());
}

#[tokio::test]
async fn draft_image_creates_the_container_and_publishes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .respond_with(ok_json(r#"{"id":"17889455560051444"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let before = jiff::Timestamp::now();
    let draft = client(&server)
        .draft_image(&ig(), &ImagePost::new(url("https://e.example/a.jpg")))
        .await;
    let draft = draft.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(draft.container_id.as_str(), "17889455560051444");
    assert!(draft.created_at >= before);
    assert_eq!(
        draft.expires_at.as_second() - draft.created_at.as_second(),
        24 * 60 * 60
    );
    assert_eq!(
        received_endpoints(&server).await,
        vec![format!("POST /v25.0/{IG}/media")]
    );
}

#[tokio::test(start_paused = true)]
async fn draft_carousel_creates_children_and_parent_without_publishing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("is_carousel_item", "true"))
        .respond_with(ok_json(r#"{"id":"18000000000000001"}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("18000000000000001")))
        .respond_with(status_answer("18000000000000001", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("")))
        .respond_with(ok_json(
            r#"{"18000000000000001":{"id":"18000000000000001","status_code":"FINISHED"}}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("media_type", "CAROUSEL"))
        .respond_with(ok_json(r#"{"id":"18000000000000009"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let post = CarouselPost::new(vec![
        CarouselItem::image(url("https://e.example/1.jpg")),
        CarouselItem::image(url("https://e.example/2.jpg")),
    ]);
    let draft = client(&server)
        .draft_carousel(&ig(), &post)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(draft.container_id.as_str(), "18000000000000009");
    assert_eq!(draft.children.len(), 2);
    assert!(
        !received_endpoints(&server)
            .await
            .iter()
            .any(|e| e.ends_with("media_publish") || e == "POST /v25.0/")
    );
}

#[tokio::test]
async fn a_carousel_with_one_item_creates_nothing() {
    let server = MockServer::start().await;
    let post = CarouselPost::new(vec![CarouselItem::image(url("https://e.example/1.jpg"))]);
    let outcome = client(&server).publish_carousel(&ig(), &post).await;
    let message = outcome.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("items") && message.contains("2 to 10"),
        "{message}"
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_carousel_with_a_bad_child_creates_nothing() {
    let server = MockServer::start().await;
    let post = CarouselPost::new(vec![
        CarouselItem::image(url("https://e.example/1.jpg")),
        CarouselItem::Image {
            image_url: url("https://e.example/2.jpg"),
            alt_text: Some("a".repeat(1001)),
            user_tags: vec![],
        },
    ]);
    let outcome = client(&server).draft_carousel(&ig(), &post).await;
    assert!(
        outcome
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("alt_text")
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn publish_reel_sends_reels_and_waits_with_the_video_policy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("media_type", "REELS"))
        .and(param("video_url", "https://e.example/v.mp4"))
        .and(param("share_to_feed", "true"))
        .and(param("cover_url", "https://e.example/cover.jpg"))
        .and(param("thumb_offset", "2000"))
        .respond_with(ok_json(r#"{"id":"17889455560051450"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051450")))
        .respond_with(status_answer("17889455560051450", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(publish_batch_answer(
            "17920238422030510",
            "https://www.instagram.com/reel/CSgf9BChwVq/",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let reel = ReelPost {
        caption: Some("reel".into()),
        share_to_feed: Some(true),
        cover_url: Some(url("https://e.example/cover.jpg")),
        thumb_offset_ms: Some(2000),
        ..ReelPost::new(url("https://e.example/v.mp4"))
    };
    let started = tokio::time::Instant::now();
    let published = client(&server)
        .publish_reel(&ig(), &reel)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(published.media_id.as_str(), "17920238422030510");
    // The first video poll comes after about 3 s, not 0.5 s.
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(3));
    let no_standalone_video = received(&server)
        .await
        .iter()
        .all(|r| param_of(r, "media_type").as_deref() != Some("VIDEO"));
    assert!(no_standalone_video);
}

#[tokio::test(start_paused = true)]
async fn publish_story_sends_stories_with_tags() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("media_type", "STORIES"))
        .and(param("image_url", "https://e.example/s.jpg"))
        .and(param("user_tags", r#"[{"username":"friend"}]"#))
        .respond_with(ok_json(r#"{"id":"17889455560051460"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051460")))
        .respond_with(status_answer("17889455560051460", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(publish_batch_answer(
            "17920238422030520",
            "https://instagram.com/stories/someone/1",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let story = StoryPost {
        media: StoryMedia::Image(url("https://e.example/s.jpg")),
        user_tags: vec![UserTag::unplaced("friend")],
    };
    let published = client(&server)
        .publish_story(&ig(), &story)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(published.media_id.as_str(), "17920238422030520");
}

#[tokio::test(start_paused = true)]
async fn drafting_a_reel_and_a_story_publishes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .respond_with(ok_json(r#"{"id":"17889455560051470"}"#))
        .expect(2)
        .mount(&server)
        .await;
    let account = client(&server);
    let reel = account
        .draft_reel(&ig(), &ReelPost::new(url("https://e.example/v.mp4")))
        .await;
    let story = account
        .draft_story(
            &ig(),
            &StoryPost::new(StoryMedia::Video(url("https://e.example/s.mp4"))),
        )
        .await;
    assert!(reel.is_ok_and(|d| d.has_video));
    assert!(story.is_ok_and(|d| d.has_video));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn publishing_a_draft_that_is_already_published_sends_no_publish() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .respond_with(ok_json(r#"{"id":"17889455560051447"}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051447")))
        .respond_with(status_answer("17889455560051447", "PUBLISHED"))
        .mount(&server)
        .await;
    let account = client(&server);
    let draft = account
        .draft_image(&ig(), &ImagePost::new(url("https://e.example/a.jpg")))
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let outcome = account.publish_draft(&ig(), &draft).await;
    assert!(
        matches!(outcome, Ok(PublishOutcome::AlreadyPublished { .. })),
        "{outcome:?}"
    );
    assert!(
        !received_endpoints(&server)
            .await
            .iter()
            .any(|e| e == "POST /v25.0/")
    );
}

#[tokio::test(start_paused = true)]
async fn publishing_a_finished_draft_publishes_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051444")))
        .respond_with(status_answer("17889455560051444", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(publish_batch_answer(
            "17920238422030506",
            "https://www.instagram.com/p/CSgf9BChwVq/",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let draft = igpub_graph::Draft {
        kind: igpub_graph::PostKind::Image,
        container_id: ContainerId::new("17889455560051444"),
        children: vec![],
        created_at: jiff::Timestamp::now(),
        expires_at: jiff::Timestamp::now(),
        has_video: false,
    };
    let outcome = client(&server).publish_draft(&ig(), &draft).await;
    match outcome {
        Ok(PublishOutcome::Published(post)) => {
            assert_eq!(post.media_id.as_str(), "17920238422030506")
        }
        other => panic!("{other:?}"),
    }
}
