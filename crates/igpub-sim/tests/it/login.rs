//! The login dialog, the code exchange, long-lived tokens, debug_token and permissions
//! (shared/graph-api.md §5.1–5.3, §5.5).

use crate::support::{Reply, TestSim};
use igpub_sim::SimConfig;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use url::Url;

const REDIRECT: &str = "https://app.example/connect/callback";
const SCOPES: &str = "instagram_basic,instagram_content_publish,instagram_manage_insights,pages_show_list,pages_read_engagement,business_management";

async fn dialog(sim: &TestSim, extra: &[(&str, &str)]) -> Reply {
    let mut params = vec![
        ("client_id", sim.account.app_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
        ("scope", SCOPES),
    ];
    params.extend_from_slice(extra);
    sim.send(sim.http.get(sim.url("v25.0/dialog/oauth")).query(&params))
        .await
}

async fn decide(sim: &TestSim, decision: &str, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![
        ("client_id", sim.account.app_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "st4te"),
        ("scope", SCOPES),
        ("decision", decision),
    ];
    form.extend_from_slice(extra);
    sim.send(sim.http.post(sim.url("v25.0/dialog/oauth")).form(&form))
        .await
}

fn redirect_query(reply: &Reply) -> HashMap<String, String> {
    assert_eq!(reply.status, 302, "{}", reply.text);
    let location = reply.header("location").expect("a Location header");
    assert!(location.starts_with(REDIRECT), "{location}");
    Url::parse(location)
        .expect("a URL")
        .query_pairs()
        .into_owned()
        .collect()
}

async fn exchange(sim: &TestSim, code: &str, redirect: &str) -> Reply {
    let params = [
        ("client_id", sim.account.app_id.as_str()),
        ("client_secret", sim.account.app_secret.as_str()),
        ("redirect_uri", redirect),
        ("code", code),
    ];
    sim.send(
        sim.http
            .get(sim.url("v25.0/oauth/access_token"))
            .query(&params),
    )
    .await
}

#[tokio::test]
async fn the_consent_page_lists_the_pages_the_permissions_and_both_buttons() {
    let sim = TestSim::quick().await;
    let page = dialog(&sim, &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    let html = &page.text;
    assert!(
        html.contains("Sim Brand 1") && html.contains("Sim Page without Instagram"),
        "{html}"
    );
    assert!(html.contains(&format!("@{}", sim.account.username)));
    for scope in SCOPES.split(',') {
        assert!(html.contains(scope), "{scope} missing");
    }
    assert!(html.contains(r#"value="allow""#) && html.contains(r#"value="cancel""#));
    assert!(html.contains(r#"name="state" value="st4te""#));
}

#[tokio::test]
async fn allowing_redirects_with_a_code_and_the_state_and_the_code_works_once() {
    let sim = TestSim::quick().await;
    let query = redirect_query(&decide(&sim, "allow", &[]).await);
    assert_eq!(query.get("state").map(String::as_str), Some("st4te"));
    let code = query.get("code").expect("a code").clone();
    let token = exchange(&sim, &code, REDIRECT).await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert!(token.body["access_token"].is_string());
    assert_eq!(token.body["token_type"], "bearer");
    assert!(token.body["expires_in"].is_u64());
    let user_token = token.body["access_token"].as_str().unwrap_or_default();
    let pages = sim.get_as(user_token, "v25.0/me/accounts", &[]).await;
    assert_eq!(pages.status, 200, "{}", pages.text);
    let again = exchange(&sim, &code, REDIRECT).await;
    again.assert_error(400, 100, Some(36009));
    assert_eq!(again.message(), "This authorization code has been used.");
}

#[tokio::test]
async fn cancelling_redirects_with_access_denied_word_for_word() {
    let sim = TestSim::quick().await;
    let reply = decide(&sim, "cancel", &[]).await;
    let location = reply.header("location").unwrap_or_default().to_owned();
    assert!(
        location.starts_with(&format!(
            "{REDIRECT}?error_reason=user_denied&error=access_denied&error_description=Permissions+error."
        )),
        "{location}"
    );
    assert_eq!(
        redirect_query(&reply).get("state").map(String::as_str),
        Some("st4te")
    );
}

#[tokio::test]
async fn a_different_redirect_uri_is_36008() {
    let sim = TestSim::quick().await;
    let code = redirect_query(&decide(&sim, "allow", &[]).await)["code"].clone();
    let reply = exchange(&sim, &code, "https://app.example/other").await;
    reply.assert_error(400, 100, Some(36008));
    assert!(
        reply
            .message()
            .starts_with("Error validating verification code.")
    );
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let sim = TestSim::quick().await;
    let code = redirect_query(&decide(&sim, "allow", &[]).await)["code"].clone();
    sim.sim.advance_clock(Duration::from_secs(601));
    exchange(&sim, &code, REDIRECT)
        .await
        .assert_error(400, 100, Some(36007));
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused() {
    let sim = TestSim::quick().await;
    let code = redirect_query(&decide(&sim, "allow", &[]).await)["code"].clone();
    let params = [
        ("client_id", sim.account.app_id.as_str()),
        ("client_secret", "wrong"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let reply = sim
        .send(
            sim.http
                .get(sim.url("v25.0/oauth/access_token"))
                .query(&params),
        )
        .await;
    reply.assert_error(400, 1, None);
    assert_eq!(reply.message(), "Error validating client secret.");
}

#[tokio::test]
async fn auto_approve_redirects_without_showing_a_page() {
    let sim = TestSim::start(SimConfig {
        auto_approve_login: true,
        fetch_media: false,
        ..SimConfig::instant()
    })
    .await;
    let query = redirect_query(&dialog(&sim, &[]).await);
    assert!(query.contains_key("code"));
}

#[tokio::test]
async fn an_unknown_app_gets_an_error_page_not_a_redirect() {
    let sim = TestSim::quick().await;
    let params = [("client_id", "999"), ("redirect_uri", REDIRECT)];
    let reply = sim
        .send(sim.http.get(sim.url("v25.0/dialog/oauth")).query(&params))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("Invalid App ID"));
}

#[tokio::test]
async fn a_short_lived_token_exchanges_for_a_sixty_day_token() {
    let sim = TestSim::quick().await;
    let code = redirect_query(&decide(&sim, "allow", &[]).await)["code"].clone();
    let short = exchange(&sim, &code, REDIRECT).await.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let params = [
        ("grant_type", "fb_exchange_token"),
        ("client_id", sim.account.app_id.as_str()),
        ("client_secret", sim.account.app_secret.as_str()),
        ("fb_exchange_token", short.as_str()),
    ];
    let reply = sim
        .send(
            sim.http
                .get(sim.url("v25.0/oauth/access_token"))
                .query(&params),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["expires_in"], 5_184_000);
    let long = reply.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    sim.sim.advance_clock(Duration::from_secs(3 * 3600));
    sim.get_as(&short, "v25.0/me", &[])
        .await
        .assert_error(400, 190, Some(463));
    assert_eq!(sim.get_as(&long, "v25.0/me", &[]).await.status, 200);
}

async fn debug(sim: &TestSim, input: &str) -> Reply {
    let app_token = format!("{}|{}", sim.account.app_id, sim.account.app_secret);
    sim.get_as(&app_token, "v25.0/debug_token", &[("input_token", input)])
        .await
}

#[tokio::test]
async fn debug_token_shows_page_tokens_from_a_long_lived_token_never_expire() {
    let sim = TestSim::quick().await;
    let reply = debug(&sim, &sim.account.page_token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["type"], "PAGE");
    assert_eq!(data["expires_at"], 0);
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["app_id"], sim.account.app_id.as_str());
    assert_eq!(data["profile_id"], sim.account.page_id.as_str());
    assert!(
        data["scopes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("instagram_content_publish")))
    );
    assert!(data["granular_scopes"].is_array());
    for key in ["issued_at", "data_access_expires_at"] {
        assert!(data[key].is_i64(), "{key}");
    }
    let user = debug(&sim, &sim.account.user_token).await;
    assert_eq!(user.body["data"]["type"], "USER");
    assert!(
        user.body["data"]["expires_at"].as_i64().unwrap_or(0) > sim.sim.now_unix() + 59 * 86_400
    );
}

#[tokio::test]
async fn debug_token_reports_bad_tokens_inside_data() {
    let sim = TestSim::quick().await;
    let unknown = debug(&sim, "EAAGnothing").await;
    assert_eq!(
        unknown.body,
        json!({"data": {"error": {"code": 190, "message": "The access token could not be decrypted"}, "is_valid": false, "scopes": []}})
    );
    sim.sim
        .fail_token(&sim.account.user_token, igpub_sim::TokenFailure::Expired)
        .expect("known");
    let expired = debug(&sim, &sim.account.user_token).await;
    assert_eq!(expired.body["data"]["is_valid"], false);
    assert_eq!(expired.body["data"]["error"]["subcode"], 463);
}

#[tokio::test]
async fn permissions_list_what_the_user_granted_and_declined() {
    let sim = TestSim::quick().await;
    let user = sim
        .control(
            "users",
            json!({"permissions": ["instagram_basic", "pages_show_list", "pages_read_engagement", "instagram_content_publish"]}),
        )
        .await;
    let user_id = user.body["user_id"].as_str().expect("a user").to_owned();
    let code =
        redirect_query(&decide(&sim, "allow", &[("sim_user", &user_id)]).await)["code"].clone();
    let token = exchange(&sim, &code, REDIRECT).await.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reply = sim.get_as(&token, "v25.0/me/permissions", &[]).await;
    let data = reply.body["data"].as_array().expect("a list");
    let status_of = |name: &str| {
        data.iter()
            .find(|entry| entry["permission"] == name)
            .map(|entry| entry["status"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(status_of("instagram_basic").as_deref(), Some("granted"));
    assert_eq!(
        status_of("instagram_manage_insights").as_deref(),
        Some("declined")
    );
    assert_eq!(
        status_of("business_management").as_deref(),
        Some("declined")
    );
    assert_eq!(status_of("public_profile").as_deref(), Some("granted"));
}
