//! Errors over the wire: transport kinds and ambiguity, bodies without envelope, and the classes
//! of Meta's errors as they arrive.

use crate::helpers::*;
use igpub_graph::{
    AccessToken, ContainerId, ErrorClass, GraphClient, GraphError, IgUserId, RateLimitScope,
    TransportErrorKind,
};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

fn client_at(base_url: &str, timeout: Option<Duration>) -> igpub_graph::AuthedClient {
    let builder = GraphClient::builder().base_url(base_url);
    let builder = match timeout {
        Some(timeout) => builder.timeout(timeout),
        None => builder.without_timeouts(),
    };
    match builder.build() {
        Ok(client) => client.with_token(AccessToken::new(TOKEN)),
        Err(error) => panic!("{error}"),
    }
}

fn transport_kind(error: &GraphError) -> Option<TransportErrorKind> {
    match error {
        GraphError::Transport(transport) => Some(transport.kind),
        _ => None,
    }
}

#[tokio::test]
async fn a_refused_connection_is_not_ambiguous() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let account = client_at(&format!("http://{address}"), None);
    let outcome = account
        .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("nothing listens there")
    };
    assert_eq!(transport_kind(&error), Some(TransportErrorKind::Connect));
    assert!(
        !error.is_ambiguous(),
        "a publish that never connected is safe to send again"
    );
    assert!(matches!(error.classify(0), ErrorClass::Transient { .. }));
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test(start_paused = true)]
async fn a_publish_that_times_out_is_ambiguous() {
    // A server that reads the request and never answers.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            std::future::pending::<()>().await;
        }
    });
    let account = client_at(&format!("http://{address}"), Some(Duration::from_secs(30)));
    let outcome = account
        .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
        .await;
    server.abort();
    let Err(error) = outcome else {
        panic!("no answer must time out")
    };
    assert_eq!(transport_kind(&error), Some(TransportErrorKind::Timeout));
    assert!(error.is_ambiguous());
}

#[tokio::test]
async fn a_connection_closed_mid_request_is_ambiguous() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            drop(socket);
        }
    });
    let account = client_at(&format!("http://{address}"), None);
    let outcome = account
        .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
        .await;
    let _ = server.await;
    let Err(error) = outcome else {
        panic!("a dropped connection is no answer")
    };
    assert_eq!(transport_kind(&error), Some(TransportErrorKind::Reset));
    assert!(error.is_ambiguous());
}

#[tokio::test]
async fn a_5xx_without_envelope_is_transient_and_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(502)
                .set_body_string("<html><body>Bad Gateway</body></html>"),
        )
        .mount(&server)
        .await;
    let outcome = client(&server)
        .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("502 is not a success")
    };
    assert!(
        matches!(&error, GraphError::Http { status: 502, body_excerpt, .. } if body_excerpt.contains("Bad Gateway"))
    );
    assert!(error.is_ambiguous());
    assert!(matches!(error.classify(0), ErrorClass::Transient { .. }));
}

async fn error_for(status: u16, body: &str, headers: &[(&str, &str)]) -> GraphError {
    let server = MockServer::start().await;
    let mut response = graph_error(status, body);
    for (name, value) in headers {
        response = response.insert_header(*name, *value);
    }
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media_publish"))))
        .respond_with(response)
        .mount(&server)
        .await;
    match client(&server)
        .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
        .await
    {
        Err(error) => error,
        Ok(media) => panic!("{media} published despite an error answer"),
    }
}

#[tokio::test]
async fn an_expired_token_asks_for_reauth() {
    let error = error_for(
        400,
        r#"{"error":{"message":"Error validating access token: Session has expired on Thursday, 10-Dec-15 04:00:00 PST. The current time is Thursday, 10-Dec-15 05:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1"}}"#,
        &[("www-authenticate", r#"OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token""#)],
    )
    .await;
    assert_eq!(error.classify(0), ErrorClass::Reauth);
    assert!(!error.is_ambiguous());
}

#[tokio::test]
async fn the_spam_block_on_publish_is_permanent_and_ambiguous() {
    // Real payload, graph-api.md §6.3 (HTTP 403 observed).
    let error = error_for(
        403,
        r#"{"error":{"message":"Application request limit reached","type":"OAuthException","code":4,"error_subcode":2207051,"is_transient":false,"error_user_title":"action is blocked","error_user_msg":"We restrict certain activity to protect our community. Tell us if you think we made a mistake.","fbtrace_id":"A2"}}"#,
        &[],
    )
    .await;
    assert_eq!(error.classify(0), ErrorClass::Permanent);
    assert!(error.is_ambiguous());
    assert_eq!(error.http_status(), Some(403));
}

#[tokio::test]
async fn the_publishing_limit_is_quota_reached() {
    let error = error_for(
        400,
        r#"{"error":{"message":"Application request limit reached","type":"OAuthException","code":9,"error_subcode":2207042,"is_transient":false,"error_user_title":"Reached the maximum number of posts","error_user_msg":"You reached maximum number of posts that is allowed to be published by Content Publishing API.","fbtrace_id":"A3"}}"#,
        &[],
    )
    .await;
    assert_eq!(error.classify(0), ErrorClass::QuotaReached);
}

#[tokio::test]
async fn the_instagram_buc_limit_pauses_the_account_as_long_as_the_header_says() {
    let error = error_for(
        400,
        r#"{"error":{"message":"(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.","type":"OAuthException","code":80002,"is_transient":true,"fbtrace_id":"A4"}}"#,
        &[(
            "x-business-use-case-usage",
            r#"{"17841400008460056":[{"type":"instagram","call_count":100,"total_cputime":72,"total_time":10,"estimated_time_to_regain_access":20}]}"#,
        )],
    )
    .await;
    assert_eq!(
        error.classify(0),
        ErrorClass::RateLimited {
            scope: RateLimitScope::Account,
            after: Duration::from_secs(20 * 60)
        }
    );
}

#[tokio::test]
async fn a_not_ready_container_on_publish_is_transient_with_metas_words_kept() {
    let error = error_for(
        400,
        r#"{"error":{"message":"Media ID is not available","type":"OAuthException","code":9007,"error_subcode":2207027,"is_transient":false,"error_user_title":"Cannot Publish","error_user_msg":"The media is not ready for publishing, please wait for a moment","fbtrace_id":"AxJzkjRmOWJOr-O9eJ2PljM"}}"#,
        &[],
    )
    .await;
    assert!(matches!(error.classify(0), ErrorClass::Transient { .. }));
    let api = error
        .api()
        .cloned()
        .unwrap_or_else(|| panic!("envelope kept"));
    assert_eq!(api.error_user_title.as_deref(), Some("Cannot Publish"));
    assert_eq!(
        api.error_user_msg.as_deref(),
        Some("The media is not ready for publishing, please wait for a moment")
    );
    assert_eq!(api.is_transient, Some(false));
    assert_eq!(api.endpoint, format!("POST {IG}/media_publish"));
}

#[tokio::test]
async fn an_empty_id_is_refused_before_sending() {
    let server = MockServer::start().await;
    let outcome = client(&server)
        .container_status(&ContainerId::new(""))
        .await;
    assert!(matches!(outcome, Err(GraphError::InvalidInput { ref field, .. }) if field == "id"));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn ids_cannot_redirect_a_call_to_another_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(r#"{"id":"x","status_code":"FINISHED"}"#))
        .mount(&server)
        .await;
    let _ = client(&server)
        .container_status(&ContainerId::new("1/media_publish?creation_id=2"))
        .await;
    let paths: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec!["/v25.0/1%2Fmedia_publish%3Fcreation_id=2".to_owned()]
    );
}
