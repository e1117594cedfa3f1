//! Tokens: where they come from, the 190 subcodes with WWW-Authenticate, appsecret_proof and
//! permissions (shared/graph-api.md §2.1, §5.4, §6.1, §6.2).

use crate::support::TestSim;
use hmac::{Hmac, Mac};
use igpub_sim::{SimConfig, TokenFailure};
use serde_json::json;
use sha2::Sha256;

fn user_path(sim: &TestSim) -> String {
    format!("v25.0/{}", sim.account.ig)
}

#[tokio::test]
async fn a_call_without_a_token_is_refused_with_code_104() {
    let sim = TestSim::quick().await;
    let reply = sim.send(sim.http.get(sim.url(&user_path(&sim)))).await;
    reply.assert_error(400, 104, None);
}

#[tokio::test]
async fn an_unknown_token_answers_190_with_www_authenticate() {
    let sim = TestSim::quick().await;
    let reply = sim.get_as("EAAGnotatoken", &user_path(&sim), &[]).await;
    reply.assert_error(400, 190, None);
    assert_eq!(
        reply.message(),
        "Invalid OAuth access token - Cannot parse access token"
    );
    assert_eq!(reply.body["error"]["type"], "OAuthException");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            r#"OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token""#
        )
    );
}

#[tokio::test]
async fn an_expired_token_answers_190_463_naming_both_times() {
    let sim = TestSim::quick().await;
    let token = sim.account.page_token.clone();
    assert_eq!(
        sim.sim.fail_token(&token, TokenFailure::Expired).ok(),
        Some(1)
    );
    let reply = sim.get(&user_path(&sim), &[]).await;
    reply.assert_error(400, 190, Some(463));
    assert!(
        reply
            .message()
            .starts_with("Error validating access token: Session has expired on ")
    );
    assert!(reply.message().contains(". The current time is "));
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|value| value.contains("invalid_token"))
    );
}

#[tokio::test]
async fn a_logged_out_user_token_answers_190_467_and_so_do_its_page_tokens() {
    let sim = TestSim::quick().await;
    let user_token = sim.account.user_token.clone();
    sim.sim
        .fail_token(&user_token, TokenFailure::LoggedOut)
        .expect("the token is known");
    let by_user = sim.get_as(&user_token, &user_path(&sim), &[]).await;
    by_user.assert_error(400, 190, Some(467));
    assert_eq!(
        by_user.message(),
        "Error validating access token: The session is invalid because the user logged out."
    );
    sim.get(&user_path(&sim), &[])
        .await
        .assert_error(400, 190, Some(467));
}

#[tokio::test]
async fn a_password_change_answers_190_460_for_every_token_of_the_user() {
    let sim = TestSim::quick().await;
    let reply = sim
        .control(
            "tokens/revoke",
            json!({"token": sim.account.page_token, "subcode": 460}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body["failed_tokens"].as_u64().unwrap_or(0) >= 2);
    sim.get_as(&sim.account.user_token.clone(), "v25.0/me", &[])
        .await
        .assert_error(400, 190, Some(460));
    let second = sim.accounts()[1].clone();
    sim.get_as(&second.page_token, &format!("v25.0/{}", second.ig), &[])
        .await
        .assert_error(400, 190, Some(460));
}

#[tokio::test]
async fn removing_the_app_answers_190_458_naming_the_app() {
    let sim = TestSim::quick().await;
    sim.sim
        .fail_token(&sim.account.user_token, TokenFailure::AppRemoved)
        .expect("the token is known");
    let reply = sim.get(&user_path(&sim), &[]).await;
    reply.assert_error(400, 190, Some(458));
    assert_eq!(
        reply.message(),
        format!(
            "Error validating access token: The user has not authorized application {}.",
            sim.account.app_id
        )
    );
}

#[tokio::test]
async fn the_token_may_come_from_a_bearer_or_an_oauth_header() {
    let sim = TestSim::quick().await;
    for scheme in ["Bearer", "OAuth"] {
        let request = sim.http.get(sim.url(&user_path(&sim))).header(
            "Authorization",
            format!("{scheme} {}", sim.account.page_token),
        );
        let reply = sim.send(request).await;
        assert_eq!(reply.status, 200, "{scheme}: {}", reply.text);
        assert_eq!(reply.body, json!({"id": sim.account.ig}));
    }
}

pub(crate) fn proof(secret: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn appsecret_proof_is_enforced_when_the_app_requires_it() {
    let sim = TestSim::start(SimConfig {
        require_appsecret_proof: true,
        fetch_media: false,
        ..SimConfig::instant()
    })
    .await;
    let path = user_path(&sim);
    let missing = sim.get(&path, &[]).await;
    missing.assert_error(400, 100, None);
    assert_eq!(missing.body["error"]["type"], "GraphMethodException");
    assert_eq!(
        missing.message(),
        "API calls from the server require an appsecret_proof argument"
    );

    let wrong = sim.get(&path, &[("appsecret_proof", "00ff")]).await;
    wrong.assert_error(400, 100, None);
    assert_eq!(
        wrong.message(),
        "Invalid appsecret_proof provided in the API argument"
    );

    let right = proof(&sim.account.app_secret, &sim.account.page_token);
    let reply = sim.get(&path, &[("appsecret_proof", &right)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn without_require_app_secret_a_sent_proof_is_still_checked() {
    let sim = TestSim::quick().await;
    sim.get(&user_path(&sim), &[("appsecret_proof", "abcd")])
        .await
        .assert_error(400, 100, None);
    assert_eq!(sim.get(&user_path(&sim), &[]).await.status, 200);
}

#[tokio::test]
async fn a_token_without_content_publish_gets_code_10_on_container_creation() {
    let sim = TestSim::quick().await;
    let user = sim
        .control(
            "users",
            json!({"permissions": ["instagram_basic", "pages_show_list"]}),
        )
        .await;
    let user_id = user.body["user_id"].as_str().expect("a user id").to_owned();
    let page = sim
        .control(
            "pages",
            json!({"user_id": user_id, "instagram_username": "limited_brand"}),
        )
        .await;
    let ig = page.body["ig_user_id"]
        .as_str()
        .expect("an ig id")
        .to_owned();
    let token = user.body["user_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(
        sim.get_as(&token, &format!("v25.0/{ig}"), &[]).await.status,
        200
    );
    let reply = sim
        .post_as(
            &token,
            &format!("v25.0/{ig}/media"),
            &[("image_url", "http://127.0.0.1:9/a.jpg")],
        )
        .await;
    reply.assert_error(403, 10, None);
    assert_eq!(
        reply.message(),
        "(#10) Application does not have permission for this action"
    );
}

#[tokio::test]
async fn another_accounts_page_token_cannot_reach_an_account() {
    let sim = TestSim::quick().await;
    let other = sim.accounts()[1].clone();
    let reply = sim.get_as(&other.page_token, &user_path(&sim), &[]).await;
    reply.assert_error(400, 100, Some(33));
    assert_eq!(reply.body["error"]["type"], "GraphMethodException");
    assert!(reply.message().starts_with(&format!(
        "Unsupported get request. Object with ID '{}'",
        sim.account.ig
    )));
}

#[tokio::test]
async fn me_is_the_user_for_a_user_token_and_the_page_for_a_page_token() {
    let sim = TestSim::quick().await;
    let as_user = sim
        .get_as(&sim.account.user_token.clone(), "v25.0/me", &[])
        .await;
    assert_eq!(as_user.status, 200, "{}", as_user.text);
    assert!(as_user.body["name"].is_string());
    let as_page = sim.get("v25.0/me", &[("fields", "id,name")]).await;
    assert_eq!(as_page.body["id"], sim.account.page_id.as_str());
}

#[tokio::test]
async fn the_handle_revokes_by_subcode_and_refuses_unknown_subcodes() {
    let sim = TestSim::quick().await;
    assert!(sim.sim.revoke_token(&sim.account.page_token, 999).is_err());
    assert_eq!(
        sim.sim.revoke_token(&sim.account.page_token, 467).ok(),
        Some(1)
    );
    sim.get(&user_path(&sim), &[])
        .await
        .assert_error(400, 190, Some(467));
    assert!(sim.sim.expire_token("EAAGunknown").is_err());
}
