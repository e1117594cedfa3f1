//! Auth endpoints: code and long-lived exchanges, debug_token, permissions, Pages and discovery.

use crate::helpers::*;
use futures::TryStreamExt;
use igpub_graph::{AccessToken, AppCredentials, AppId, GraphClient, GraphError, PageId, TokenType};
use secrecy::SecretString;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

const APP_SECRET: &str = "app-secret-0123456789";

fn credentials() -> AppCredentials {
    AppCredentials::new(
        AppId::new("138483919580948"),
        SecretString::from(APP_SECRET),
    )
}

fn bare_client(server: &MockServer) -> GraphClient {
    match GraphClient::builder()
        .base_url(server.uri())
        .without_timeouts()
        .build()
    {
        Ok(client) => client,
        Err(error) => panic!("{error}"),
    }
}

fn assert_no_secret_in_urls(requests: &[Request], secrets: &[&str]) {
    for request in requests {
        for secret in secrets {
            assert!(
                !request.url.as_str().contains(secret),
                "{secret} in {}",
                request.url
            );
        }
    }
}

#[tokio::test]
async fn exchange_code_posts_the_code_and_secret_in_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("oauth/access_token")))
        .and(param("client_id", "138483919580948"))
        .and(param("redirect_uri", "https://app.example/cb"))
        .and(param("client_secret", APP_SECRET))
        .and(param("code", "AQBcode-single-use"))
        .respond_with(ok_json(
            r#"{"access_token":"EAAGlong-lived-user","token_type":"bearer","expires_in":5181143}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let redirect = Url::parse("https://app.example/cb").unwrap_or_else(|e| panic!("{e}"));
    let grant = bare_client(&server)
        .exchange_code(
            &credentials(),
            &redirect,
            &SecretString::from("AQBcode-single-use"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(grant.access_token.expose_secret(), "EAAGlong-lived-user");
    assert_eq!(grant.expires_in, Some(5181143));
    assert!(!format!("{grant:?}").contains("EAAGlong-lived-user"));
    assert_no_secret_in_urls(
        &received(&server).await,
        &[APP_SECRET, "AQBcode-single-use"],
    );
}

#[tokio::test]
async fn a_reused_code_is_metas_error_without_the_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("oauth/access_token")))
        .respond_with(graph_error(
            400,
            r#"{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"error_subcode":36009,"fbtrace_id":"t"}}"#,
        ))
        .mount(&server)
        .await;
    let redirect = Url::parse("https://app.example/cb").unwrap_or_else(|e| panic!("{e}"));
    let outcome = bare_client(&server)
        .exchange_code(
            &credentials(),
            &redirect,
            &SecretString::from("AQBcode-used"),
        )
        .await;
    let Err(error) = outcome else {
        panic!("reused code must fail")
    };
    assert_eq!(error.subcode(), Some(36009));
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(APP_SECRET) && !shown.contains("AQBcode-used"),
        "{shown}"
    );
}

#[tokio::test]
async fn exchange_long_lived_sends_fb_exchange_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(v("oauth/access_token")))
        .and(param("grant_type", "fb_exchange_token"))
        .and(param("fb_exchange_token", "EAAGshort-lived-user"))
        .and(param("client_secret", APP_SECRET))
        .respond_with(ok_json(
            r#"{"access_token":"EAAGlong","token_type":"bearer","expires_in":5183944}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let grant = bare_client(&server)
        .exchange_long_lived(&credentials(), &AccessToken::new("EAAGshort-lived-user"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(grant.expires_in, Some(5183944));
    assert_no_secret_in_urls(
        &received(&server).await,
        &[APP_SECRET, "EAAGshort-lived-user"],
    );
}

#[tokio::test]
async fn debug_token_sends_the_inspected_token_in_a_batch_body_with_the_app_token() {
    let server = MockServer::start().await;
    let body = r#"{"data":{"app_id":"138483919580948","type":"PAGE","application":"Social Cafe","expires_at":0,"is_valid":true,
        "issued_at":1347235328,"scopes":["pages_show_list","instagram_basic"],"profile_id":"134895793791914","user_id":"1207059"}}"#;
    Mock::given(method("POST"))
        .and(path(v("")))
        .respond_with(ok_json(
            &serde_json::json!([{"code":200,"headers":[],"body":body}]).to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let info = bare_client(&server)
        .debug_token(
            &credentials(),
            &AccessToken::new("EAAGinspected-page-token"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.token_type, Some(TokenType::Page));
    assert!(info.is_valid);
    assert_eq!(info.expires(), None);

    let requests = received(&server).await;
    assert_no_secret_in_urls(&requests, &[APP_SECRET, "EAAGinspected-page-token"]);
    let request = requests.first().unwrap_or_else(|| panic!("one request"));
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(auth, format!("Bearer 138483919580948|{APP_SECRET}"));
    let batch = batch_of(request);
    assert_eq!(
        batch.pointer("/0/method").and_then(|m| m.as_str()),
        Some("GET")
    );
    assert_eq!(
        batch.pointer("/0/relative_url").and_then(|m| m.as_str()),
        Some("debug_token?input_token=EAAGinspected-page-token")
    );
}

#[tokio::test]
async fn permissions_lists_granted_and_declined() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("me/permissions")))
        .respond_with(ok_json(
            r#"{"data":[{"permission":"instagram_basic","status":"granted"},{"permission":"instagram_content_publish","status":"declined"},{"permission":"pages_show_list","status":"granted"}]}"#,
        ))
        .mount(&server)
        .await;
    let permissions = client(&server)
        .permissions()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        permissions.granted(),
        ["instagram_basic", "pages_show_list"]
    );
    assert_eq!(permissions.declined(), ["instagram_content_publish"]);
}

fn accounts_page(request: &Request) -> wiremock::ResponseTemplate {
    // §3.1 shape with field expansion; a Page without IG account omits the key.
    match param_of(request, "after").as_deref() {
        None => ok_json(
            r#"{"data":[{"access_token":"EAABpage-one","category":"Brand","name":"My Page","id":"134895793791914",
                          "tasks":["ANALYZE","ADVERTISE","MODERATE","CREATE_CONTENT","MANAGE"],
                          "instagram_business_account":{"id":"17841449039477317","username":"mypage","name":"My Page"}}],
                "paging":{"cursors":{"before":"MTAxNDkxOTc4ODU3MjY4","after":"MTEyNTAwMDA3NTU3OTQ2"},
                          "next":"https://graph.facebook.com/v25.0/me/accounts?access_token=EAAuser&after=MTEyNTAwMDA3NTU3OTQ2"}}"#,
        ),
        _ => ok_json(
            r#"{"data":[{"access_token":"EAABpage-two","name":"No IG","id":"134895793791915","tasks":["MANAGE"]}],
                "paging":{"cursors":{"before":"a","after":"b"}}}"#,
        ),
    }
}

#[tokio::test]
async fn pages_follow_paging_and_expand_the_ig_account() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("me/accounts")))
        .and(param("fields", igpub_graph::PAGE_FIELDS))
        .respond_with(accounts_page)
        .expect(4)
        .mount(&server)
        .await;
    let pages = client(&server)
        .all_pages()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pages.len(), 2);
    let first = pages.first().unwrap_or_else(|| panic!("two pages"));
    assert_eq!(
        first
            .instagram_business_account
            .as_ref()
            .map(|a| a.id.as_str()),
        Some("17841449039477317")
    );
    assert_eq!(
        first.access_token.as_ref().map(AccessToken::expose_secret),
        Some("EAABpage-one")
    );
    assert!(
        pages
            .get(1)
            .is_some_and(|p| p.instagram_business_account.is_none())
    );
    let streamed: Vec<_> = client(&server)
        .pages()
        .try_collect()
        .await
        .unwrap_or_else(|e: GraphError| panic!("{e}"));
    assert_eq!(streamed.len(), 2);
}

#[tokio::test]
async fn page_instagram_account_is_found_or_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("134895793791914")))
        .respond_with(ok_json(
            r#"{"instagram_business_account":{"id":"17841405822304914"},"id":"134895793791914"}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(v("134895793791915")))
        .respond_with(ok_json(r#"{"id":"134895793791915"}"#))
        .mount(&server)
        .await;
    let account = client(&server);
    let found = account
        .page_instagram_account(&PageId::new("134895793791914"))
        .await;
    assert_eq!(
        found.ok().flatten().map(|a| a.id.into_string()).as_deref(),
        Some("17841405822304914")
    );
    let absent = account
        .page_instagram_account(&PageId::new("134895793791915"))
        .await;
    assert!(matches!(absent, Ok(None)));
}
