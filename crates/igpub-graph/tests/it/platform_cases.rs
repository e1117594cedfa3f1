//! The platform's six cases (the `InstagramTool` test suite), with wiremock.

use crate::helpers::*;
use igpub_graph::{
    AccountInsightsQuery, CarouselItem, CarouselPost, ContainerFailure, ContainerId, GraphError,
    IgUserId, ImagePost, Period, PollPolicy, metrics,
};
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

#[tokio::test(start_paused = true)]
async fn publish_image_creates_the_container_then_publishes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param(
            "image_url",
            "https://www.example.com/images/bronzed-fonzes.jpg",
        ))
        .and(param("caption", "#BronzedFonzes!"))
        .respond_with(ok_json(r#"{"id":"17889455560051444"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051444")))
        .respond_with(status_answer("17889455560051444", "FINISHED"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .and(BatchFirst(format!("{IG}/media_publish")))
        .respond_with(publish_batch_answer(
            "17920238422030506",
            "https://www.instagram.com/p/CSgf9BChwVq/",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let post = ImagePost {
        caption: Some("#BronzedFonzes!".into()),
        ..ImagePost::new(url("https://www.example.com/images/bronzed-fonzes.jpg"))
    };
    let published = client(&server)
        .publish_image(&IgUserId::new(IG), &post)
        .await;

    let published = published.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(published.container_id.as_str(), "17889455560051444");
    assert_eq!(published.media_id.as_str(), "17920238422030506");
    assert_eq!(
        published.media.and_then(|m| m.permalink).as_deref(),
        Some("https://www.instagram.com/p/CSgf9BChwVq/")
    );
    // Create, one status poll, then publish + read in one batch: three round trips, in that order.
    assert_eq!(
        received_endpoints(&server).await,
        vec![
            format!("POST /v25.0/{IG}/media"),
            "GET /v25.0/17889455560051444".to_owned(),
            "POST /v25.0/".to_owned()
        ]
    );
    let requests = received(&server).await;
    let batch = requests.get(2).map(batch_of).unwrap_or_default();
    assert_eq!(
        batch.pointer("/0/body").and_then(|b| b.as_str()),
        Some("creation_id=17889455560051444")
    );
    assert_eq!(
        batch.pointer("/1/depends_on").and_then(|b| b.as_str()),
        Some("publish")
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_retries_until_finished() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051444")))
        .respond_with(status_answer("17889455560051444", "IN_PROGRESS"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("17889455560051444")))
        .respond_with(status_answer("17889455560051444", "FINISHED"))
        .expect(1)
        .mount(&server)
        .await;

    let ready = client(&server)
        .wait_for_container(&ContainerId::new("17889455560051444"), &PollPolicy::video())
        .await;

    let ready = ready.unwrap_or_else(|error| panic!("{error}"));
    assert!(matches!(ready, igpub_graph::ContainerReady::Finished(_)));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn waiting_fails_on_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17883263555396595")))
        .respond_with(ok_json(
            r#"{"status":"Error: Media upload has failed with error code 2207026","status_code":"ERROR","id":"17883263555396595"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let outcome = client(&server)
        .wait_for_container(&ContainerId::new("17883263555396595"), &PollPolicy::video())
        .await;

    match outcome {
        Err(GraphError::Container(failure)) => match *failure {
            ContainerFailure::Error {
                container_id,
                status_text,
                subcode,
            } => {
                assert_eq!(container_id.as_str(), "17883263555396595");
                assert_eq!(subcode, Some(2207026));
                assert_eq!(
                    status_text.as_deref(),
                    Some("Error: Media upload has failed with error code 2207026")
                );
            }
            other => panic!("expected ERROR, got {other:?}"),
        },
        other => panic!("expected a container error, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_carousel_makes_one_container_per_child_then_the_parent_then_the_publish() {
    let server = MockServer::start().await;
    // Each child's id comes from its URL, so the parent's children list shows the order kept.
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("is_carousel_item", "true"))
        .respond_with(|request: &Request| {
            let source = param_of(request, "image_url")
                .or_else(|| param_of(request, "video_url"))
                .unwrap_or_default();
            let digit = source
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            ok_json(&format!(r#"{{"id":"1800000000000000{digit}"}}"#))
        })
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("")))
        .and(param(
            "ids",
            "18000000000000001,18000000000000002,18000000000000003",
        ))
        .respond_with(ok_json(
            r#"{"18000000000000001":{"id":"18000000000000001","status_code":"FINISHED"},
                "18000000000000002":{"id":"18000000000000002","status_code":"FINISHED"},
                "18000000000000003":{"id":"18000000000000003","status_code":"FINISHED"}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("media_type", "CAROUSEL"))
        .and(param(
            "children",
            "18000000000000001,18000000000000002,18000000000000003",
        ))
        .and(param("caption", "three"))
        .respond_with(ok_json(r#"{"id":"18000000000000009"}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("18000000000000009")))
        .respond_with(status_answer("18000000000000009", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(publish_batch_answer(
            "17920238422030506",
            "https://www.instagram.com/p/CRyZpmrjYC4/",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let post = CarouselPost {
        caption: Some("three".into()),
        ..CarouselPost::new(vec![
            CarouselItem::image(url("https://e.example/1.jpg")),
            CarouselItem::video(url("https://e.example/2.mov")),
            CarouselItem::image(url("https://e.example/3.jpg")),
        ])
    };
    let published = client(&server)
        .publish_carousel(&IgUserId::new(IG), &post)
        .await;

    let published = published.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        published
            .children
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        [
            "18000000000000001",
            "18000000000000002",
            "18000000000000003"
        ]
    );
    let requests = received(&server).await;
    let is_child =
        |r: &Request| r.method.as_str() == "POST" && param_of(r, "is_carousel_item").is_some();
    let is_parent = |r: &Request| param_of(r, "media_type").as_deref() == Some("CAROUSEL");
    let is_publish = |r: &Request| r.url.path() == "/v25.0/" && r.method.as_str() == "POST";
    let last_child = requests.iter().rposition(is_child);
    let parent = requests.iter().position(is_parent);
    let publish = requests.iter().position(is_publish);
    assert!(
        last_child < parent && parent < publish,
        "order: {:?}",
        received_endpoints(&server).await
    );
    // Children carry no caption; the video child is a VIDEO carousel item, never a standalone VIDEO.
    for child in requests.iter().filter(|r| is_child(r)) {
        assert_eq!(param_of(child, "caption"), None);
    }
    let video_child = requests.iter().find(|r| param_of(r, "video_url").is_some());
    assert_eq!(
        video_child
            .and_then(|r| param_of(r, "media_type"))
            .as_deref(),
        Some("VIDEO")
    );
    assert_eq!(
        video_child
            .and_then(|r| param_of(r, "is_carousel_item"))
            .as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn insights_sends_the_metrics_as_one_comma_joined_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/insights"))))
        .and(param("metric", "reach,follower_count"))
        .and(param("period", "day"))
        .respond_with(ok_json(
            r#"{"data":[{"name":"reach","period":"day","values":[{"value":3,"end_time":"2017-05-04T07:00:00+0000"}],"title":"Reach","id":"17841400008460056/insights/reach/day"},
                        {"name":"follower_count","period":"day","values":[{"value":6,"end_time":"2017-05-04T07:00:00+0000"}],"title":"Follower count","id":"17841400008460056/insights/follower_count/day"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let query = AccountInsightsQuery::new([metrics::REACH, metrics::FOLLOWER_COUNT], Period::Day);
    let insights = client(&server)
        .account_insights(&IgUserId::new(IG), &query)
        .await;

    let insights = insights.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(insights.metrics.len(), 2);
    let metric_params: Vec<String> = received(&server)
        .await
        .iter()
        .flat_map(params_of)
        .filter(|(name, _)| name == "metric")
        .map(|(_, value)| value)
        .collect();
    assert_eq!(metric_params, vec!["reach,follower_count".to_owned()]);
}

#[tokio::test]
async fn verify_fails_when_meta_answers_400() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17841400000000000")))
        .respond_with(graph_error(
            400,
            r#"{"error":{"message":"Unsupported get request. Object with ID '17841400000000000' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"AbCdEf123"}}"#,
        ))
        .mount(&server)
        .await;

    let outcome = client(&server)
        .verify(&IgUserId::new("17841400000000000"))
        .await;

    let error = match outcome {
        Err(error) => error,
        Ok(user) => panic!("verify accepted {user:?}"),
    };
    let api = error
        .api()
        .unwrap_or_else(|| panic!("expected Meta's envelope, got {error}"));
    assert_eq!(
        (api.code, api.error_subcode, api.http_status),
        (100, Some(33), 400)
    );
    assert_eq!(api.error_type, "GraphMethodException");
    assert_eq!(error.fbtrace_id(), Some("AbCdEf123"));
    assert_eq!(error.classify(0), igpub_graph::ErrorClass::Permanent);
}
