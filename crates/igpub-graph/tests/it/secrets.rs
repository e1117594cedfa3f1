//! Secrets: the token only in the Authorization header, never in a URL, an error's Display or
//! Debug; appsecret_proof on every call when the app secret is set.

use crate::helpers::*;
use igpub_graph::{
    AccessToken, BatchRequest, ContainerId, GraphClient, GraphError, GraphRequest, IgUserId,
    ImagePost, appsecret_proof,
};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

#[tokio::test]
async fn the_token_goes_only_in_the_authorization_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status_answer("1", "FINISHED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok_json(r#"{"id":"2"}"#))
        .mount(&server)
        .await;
    let account = client(&server);
    let _ = account.container_status(&ContainerId::new("1")).await;
    let image = ImagePost::new(
        url::Url::parse("https://e.example/a.jpg").unwrap_or_else(|e| panic!("{e}")),
    );
    let _ = account.draft_image(&IgUserId::new(IG), &image).await;
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(!String::from_utf8_lossy(&request.body).contains(TOKEN));
        assert_eq!(param_of(request, "access_token"), None);
    }
    assert_token_only_in_header(&server).await;
}

#[tokio::test]
async fn errors_never_show_the_token_even_when_meta_echoes_it() {
    let server = MockServer::start().await;
    let echo = format!(
        r#"{{"error":{{"message":"Malformed access token {TOKEN}","type":"OAuthException","code":190,"error_user_msg":"token {TOKEN} rejected","fbtrace_id":"x","error_data":{{"blame":"{TOKEN}"}}}}}}"#
    );
    Mock::given(method("GET"))
        .respond_with(graph_error(400, &echo))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .container_status(&ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("190 is an error")
    };
    let shown = format!(
        "{error} | {error:?} | {}",
        serde_json::to_string(&error.api()).unwrap_or_default()
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("[redacted]"));
}

#[tokio::test]
async fn decode_errors_never_show_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(&format!(
            r#"{{"id":"1","status_code":7,"status":"{TOKEN}"}}"#
        )))
        .mount(&server)
        .await;
    let outcome = client(&server)
        .container_status(&ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("a number is not a status code")
    };
    assert!(matches!(error, GraphError::Decode(_)));
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn http_error_bodies_are_scrubbed_of_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            wiremock::ResponseTemplate::new(500)
                .set_body_string(format!("proxy error for access_token={TOKEN}")),
        )
        .mount(&server)
        .await;
    let outcome = client(&server)
        .container_status(&ContainerId::new("1"))
        .await;
    let Err(error) = outcome else {
        panic!("500 is an error")
    };
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_refused_without_showing_it() {
    let server = MockServer::start().await;
    let client = GraphClient::builder()
        .base_url(server.uri())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let account = client.with_token(AccessToken::new("EAAG bad\ntoken-value"));
    let outcome = account.container_status(&ContainerId::new("1")).await;
    let Err(error) = outcome else {
        panic!("a newline cannot go in a header")
    };
    assert!(matches!(error, GraphError::InvalidInput { ref field, .. } if field == "access_token"));
    assert!(!format!("{error} {error:?}").contains("token-value"));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn appsecret_proof_goes_on_every_call_when_the_secret_is_set() {
    let server = MockServer::start().await;
    let secret = "app-secret-for-proof";
    let proof = appsecret_proof(&SecretString::from(secret), &AccessToken::new(TOKEN));
    Mock::given(method("GET"))
        .and(path(v("1")))
        .and(wiremock::matchers::query_param(
            "appsecret_proof",
            proof.as_str(),
        ))
        .respond_with(status_answer("1", "FINISHED"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(v(&format!("{IG}/media_publish"))))
        .and(param("appsecret_proof", proof.as_str()))
        .respond_with(ok_json(r#"{"id":"2"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let account = client_with(&server, |builder| {
        builder.app_secret(SecretString::from(secret))
    });
    assert!(
        account
            .container_status(&ContainerId::new("1"))
            .await
            .is_ok()
    );
    assert!(
        account
            .publish_container(&IgUserId::new(IG), &ContainerId::new("1"))
            .await
            .is_ok()
    );
    assert_eq!(proof.len(), 64);
    assert!(
        proof
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    for request in received(&server).await {
        assert!(!request.url.as_str().contains(secret));
    }
}

#[tokio::test]
async fn a_batch_sent_as_a_json_body_carries_its_proof_there() {
    let server = MockServer::start().await;
    let secret = "app-secret-for-proof";
    let proof = appsecret_proof(&SecretString::from(secret), &AccessToken::new(TOKEN));
    Mock::given(method("POST"))
        .and(path(v("")))
        .and(param("appsecret_proof", proof.as_str()))
        .respond_with(ok_json(r#"[{"code":200,"body":"{\"id\":\"1\"}"}]"#))
        .expect(1)
        .mount(&server)
        .await;
    let account = client_with(&server, |builder| {
        builder.app_secret(SecretString::from(secret))
    });
    let answers = account
        .batch(vec![BatchRequest::new(GraphRequest::get(&["1"]))])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers.len(), 1);
    let sent = received(&server).await;
    assert_eq!(
        sent.first().map(content_type_of).as_deref(),
        Some("application/json")
    );
    for request in sent {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        assert!(!body.contains(secret) && !body.contains(TOKEN), "{body}");
    }
}

#[tokio::test]
async fn without_an_app_secret_no_proof_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status_answer("1", "FINISHED"))
        .mount(&server)
        .await;
    let _ = client(&server)
        .container_status(&ContainerId::new("1"))
        .await;
    let requests = received(&server).await;
    assert!(
        requests
            .iter()
            .all(|r| param_of(r, "appsecret_proof").is_none())
    );
}
