//! Reading: the IG user, verify, the publishing limit, media, recent media with paging, comments.

use crate::helpers::*;
use futures::{StreamExt, TryStreamExt};
use igpub_graph::{GraphError, IgUserId, MediaId, MediaListQuery, MediaProductType, MediaType};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

#[tokio::test]
async fn ig_user_reads_the_profile_and_counts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17841407673135339")))
        .and(param("fields", igpub_graph::IG_USER_FIELDS))
        .respond_with(ok_json(
            r#"{"id":"17841407673135339","biography":"Follow us for updates on Facebook’s business tools, AI, AR, VR, and more.",
                "name":"Facebook for Developers","username":"facebookfordevelopers",
                "profile_picture_url":"https://scontent-gmp1-1.xx.fbcdn.net/v/t51.2885-15/1193_n.jpg?oe=1",
                "followers_count":64363,"media_count":427}"#,
        ))
        .mount(&server)
        .await;
    let user = client(&server)
        .ig_user(&IgUserId::new("17841407673135339"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.username.as_deref(), Some("facebookfordevelopers"));
    assert_eq!(
        (user.followers_count, user.media_count),
        (Some(64363), Some(427))
    );
}

#[tokio::test]
async fn verify_accepts_an_account_the_token_can_see() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(IG)))
        .respond_with(ok_json(&format!(
            r#"{{"id":"{IG}","username":"bronzedfonzes","name":"Fonz"}}"#
        )))
        .mount(&server)
        .await;
    let user = client(&server).verify(&IgUserId::new(IG)).await;
    assert_eq!(
        user.ok().and_then(|u| u.username).as_deref(),
        Some("bronzedfonzes")
    );
}

#[tokio::test]
async fn verify_refuses_an_answer_about_another_object_or_without_username() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("1")))
        .respond_with(ok_json(r#"{"id":"2","username":"other"}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("3")))
        .respond_with(ok_json(r#"{"id":"3"}"#))
        .mount(&server)
        .await;
    let account = client(&server);
    assert!(matches!(
        account.verify(&IgUserId::new("1")).await,
        Err(GraphError::UnexpectedResponse { .. })
    ));
    let no_username = account.verify(&IgUserId::new("3")).await;
    assert!(
        no_username
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("username")
    );
}

#[tokio::test]
async fn publishing_limit_reads_usage_and_quota() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/content_publishing_limit"))))
        .and(param("fields", "quota_usage,config"))
        .respond_with(ok_json(
            r#"{"data":[{"quota_usage":2,"config":{"quota_total":50,"quota_duration":86400}}]}"#,
        ))
        .mount(&server)
        .await;
    let limit = client(&server)
        .publishing_limit(&IgUserId::new(IG))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(limit.quota_usage, 2);
    assert_eq!(
        limit
            .config
            .as_ref()
            .map(|c| (c.quota_total, c.quota_duration)),
        Some((50, 86400))
    );
    assert_eq!(limit.remaining(), Some(48));
}

#[tokio::test]
async fn an_empty_publishing_limit_answer_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(r#"{"data":[]}"#))
        .mount(&server)
        .await;
    let outcome = client(&server).publishing_limit(&IgUserId::new(IG)).await;
    assert!(matches!(
        outcome,
        Err(GraphError::UnexpectedResponse { .. })
    ));
}

#[tokio::test]
async fn media_reads_one_objects_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17895731045244887")))
        .and(param("fields", igpub_graph::MEDIA_FIELDS))
        .respond_with(ok_json(
            r#"{"id":"17895731045244887","comments_count":0,"like_count":0,"media_type":"VIDEO","media_product_type":"REELS",
                "permalink":"https://www.instagram.com/reel/CSgf9BChwVq/","shortcode":"CSgf9BChwVq","timestamp":"2021-08-13T08:25:28+0000","caption":"hi"}"#,
        ))
        .mount(&server)
        .await;
    let media = client(&server)
        .media(&MediaId::new("17895731045244887"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(media.media_type, Some(MediaType::Video));
    assert_eq!(media.media_product_type, Some(MediaProductType::Reels));
    assert_eq!(
        media.timestamp.map(|t| t.as_second()),
        Some(unix("2021-08-13T08:25:28+0000"))
    );
    assert_eq!(media.caption.as_deref(), Some("hi"));
}

fn media_page(request: &Request) -> wiremock::ResponseTemplate {
    // Real shape of a listing page (graph-api.md §3.4), with a token-bearing `next` URL.
    match param_of(request, "after").as_deref() {
        None => ok_json(
            r#"{"data":[{"id":"17895731045244887","media_type":"IMAGE","permalink":"https://www.instagram.com/p/CSgf9BChwVq/","timestamp":"2021-08-13T08:25:28+0000"},
                        {"id":"17899305451014820","media_type":"IMAGE"}],
                "paging":{"cursors":{"before":"QVFIUa","after":"QVFIUb"},
                          "next":"https://graph.facebook.com/v6.0/17841406338772941/media?access_token=EAAnext-url-token&fields=id&limit=2&after=QVFIUb"}}"#,
        ),
        Some("QVFIUb") => ok_json(
            r#"{"data":[{"id":"17895695668004550","media_type":"CAROUSEL_ALBUM"}],
                "paging":{"cursors":{"before":"QVFIUc","after":"QVFIUd"}}}"#,
        ),
        Some(_) => ok_json(r#"{"data":[]}"#),
    }
}

#[tokio::test]
async fn recent_media_follows_cursors_until_there_is_no_next_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("limit", "2"))
        .respond_with(media_page)
        .expect(2)
        .mount(&server)
        .await;
    let query = MediaListQuery {
        limit: Some(2),
        ..MediaListQuery::default()
    };
    let media: Vec<_> = client(&server)
        .recent_media(&IgUserId::new(IG), &query)
        .try_collect()
        .await
        .unwrap_or_else(|e: GraphError| panic!("{e}"));
    let ids: Vec<&str> = media.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "17895731045244887",
            "17899305451014820",
            "17895695668004550"
        ]
    );
    // The second page is asked for with the cursor, never by following Meta's token-bearing URL.
    for request in received(&server).await {
        assert!(!request.url.as_str().contains("EAAnext-url-token"));
    }
    assert_token_only_in_header(&server).await;
}

#[tokio::test]
async fn recent_media_is_lazy_and_stops_when_the_caller_stops() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/media"))))
        .respond_with(media_page)
        .mount(&server)
        .await;
    let first: Vec<_> = client(&server)
        .recent_media(&IgUserId::new(IG), &MediaListQuery::default())
        .take(1)
        .collect()
        .await;
    assert_eq!(first.len(), 1);
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn recent_media_sends_since_and_until_as_unix_seconds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/media"))))
        .and(param("since", "1700000000"))
        .and(param("until", "1700086400"))
        .respond_with(ok_json(r#"{"data":[]}"#))
        .expect(1)
        .mount(&server)
        .await;
    let query = MediaListQuery {
        limit: None,
        since: jiff::Timestamp::from_second(1_700_000_000).ok(),
        until: jiff::Timestamp::from_second(1_700_086_400).ok(),
    };
    let media: Vec<_> = client(&server)
        .recent_media(&IgUserId::new(IG), &query)
        .collect()
        .await;
    assert!(media.is_empty());
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_instead_of_looping() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(
            r#"{"data":[{"id":"1"}],"paging":{"cursors":{"after":"same"},"next":"https://graph.facebook.com/x"}}"#,
        ))
        .mount(&server)
        .await;
    let media: Vec<_> = client(&server)
        .recent_media(&IgUserId::new(IG), &MediaListQuery::default())
        .collect()
        .await;
    assert_eq!(media.len(), 2);
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn post_comment_returns_the_comment_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("17920238422030506/comments")))
        .and(param("message", "First! #launch"))
        .respond_with(ok_json(r#"{"id":"17865799348089039"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let comment = client(&server)
        .post_comment(&MediaId::new("17920238422030506"), "First! #launch")
        .await;
    assert_eq!(
        comment.ok().map(|c| c.into_string()).as_deref(),
        Some("17865799348089039")
    );
}

#[tokio::test]
async fn an_empty_comment_is_refused_before_sending() {
    let server = MockServer::start().await;
    let outcome = client(&server).post_comment(&MediaId::new("1"), "  ").await;
    assert!(
        matches!(outcome, Err(GraphError::InvalidInput { ref field, .. }) if field == "message")
    );
    assert!(received(&server).await.is_empty());
}
