//! Token health through the API: verify, needs_reconnect with Meta's reason, reconnecting,
//! tokens that expire soon, and disconnecting.

use std::time::Duration;

use igpub::store::{Clock as _, IntegrationId, NewIntegration, TenantScope};
use igpub_sim::TokenFailure;
use jiff::SignedDuration;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::helpers::{SimUser, TestApp, TestAppOptions, for_each_app, json_of};

/// Connects a new one-Page user's account; returns the user and the integration's id.
async fn connect_one(app: &TestApp, username: &str) -> (SimUser, IntegrationId) {
    let account = app.connect_account(username).await;
    (account.user, account.integration_id)
}

async fn verify(app: &TestApp, id: IntegrationId) -> Value {
    json_of(
        app.post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await
}

async fn revoke(app: &TestApp, id: IntegrationId, failure: TokenFailure) {
    let token = app
        .store
        .integration_token(app.tenant.id, id)
        .await
        .unwrap();
    app.sim.fail_token(token.expose_secret(), failure).unwrap();
}

#[tokio::test]
async fn verify_of_a_working_token_records_when_it_was_checked() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (_, id) = connect_one(&app, "healthy_shop").await;
        let before = app.store.get_integration(app.tenant.id, id).await.unwrap();
        let checked = verify(&app, id).await;
        assert_eq!(checked["verified"], true);
        assert_eq!(checked["integration"]["status"], "active");
        assert!(checked["integration"]["last_error"].is_null());
        let after = app.store.get_integration(app.tenant.id, id).await.unwrap();
        assert!(after.last_verified_at >= before.last_verified_at);
    })
    .await;
}

#[tokio::test]
async fn a_token_revoked_later_needs_reconnect_and_a_reconnect_restores_the_same_integration() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (user, id) = connect_one(&app, "revoked_shop").await;
        revoke(&app, id, TokenFailure::LoggedOut).await;

        let checked = verify(&app, id).await;
        assert_eq!(checked["verified"], false);
        let integration = &checked["integration"];
        assert_eq!(integration["status"], "needs_reconnect");
        let reason = integration["last_error"].as_str().unwrap_or_default();
        assert!(reason.contains("logged out"), "{reason}");
        assert!(reason.contains("190/467"), "{reason}");
        let shown = json_of(
            app.get(&format!("/v1/integrations/{id}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(shown["status"], "needs_reconnect");

        let reconnected = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        assert_eq!(reconnected["integration"]["id"], id.to_string());
        assert_eq!(reconnected["integration"]["status"], "active");
        assert!(reconnected["integration"]["last_error"].is_null());
        assert_eq!(verify(&app, id).await["verified"], true);
        let all = app
            .store
            .list_integrations(TenantScope::Tenant(app.tenant.id))
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "a reconnect never makes a duplicate");
    })
    .await;
}

#[tokio::test]
async fn every_kind_of_token_failure_is_named_in_the_reason() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let cases = [
            (TokenFailure::Expired, "190/463", "expired"),
            (TokenFailure::PasswordChanged, "190/460", "password"),
            (TokenFailure::AppRemoved, "190/458", "removed the app"),
        ];
        for (index, (failure, code, words)) in cases.into_iter().enumerate() {
            let (_, id) = connect_one(&app, &format!("failing_shop_{index}")).await;
            revoke(&app, id, failure).await;
            let checked = verify(&app, id).await;
            let reason = checked["integration"]["last_error"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(checked["integration"]["status"], "needs_reconnect");
            assert!(
                reason.contains(code) && reason.contains(words),
                "{failure:?}: {reason}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_meta_outage_during_verify_changes_nothing() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (_, id) = connect_one(&app, "outage_shop").await;
        let down = igpub_sim::FaultSpec {
            error_5xx_rate: 1.0,
            ..Default::default()
        };
        app.sim.set_faults("user.get", down).unwrap();
        let response = app
            .post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
            .await;
        let body = json_of(response, StatusCode::BAD_GATEWAY).await;
        assert_eq!(body["error"]["code"], "upstream_error");
        app.sim.clear_faults();
        let integration = app.store.get_integration(app.tenant.id, id).await.unwrap();
        assert_eq!(integration.status.as_str(), "active");
        assert!(integration.last_error.is_none());
    })
    .await;
}

#[tokio::test]
async fn tokens_expiring_within_seven_days_are_reported() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (_, lasting) = connect_one(&app, "lasting_shop").await;
        // A token with an end date (e.g. from a short-lived login), three days away.
        let soon = app
            .backend
            .clock
            .now()
            .checked_add(SignedDuration::from_hours(72))
            .unwrap();
        let expiring = app
            .store
            .upsert_instagram_integration(
                app.tenant.id,
                NewIntegration {
                    ig_user_id: "17841400000000777".into(),
                    ig_username: "expiring_shop".into(),
                    facebook_page_id: "1000000000777".into(),
                    page_token: SecretString::from("EAAGexpiring-page-token"),
                    token_expires_at: Some(soon),
                },
            )
            .await
            .unwrap();

        let listed = json_of(app.get("/v1/integrations").await, StatusCode::OK).await;
        let flag = |id: IntegrationId| {
            listed["data"]
                .as_array()
                .and_then(|rows| rows.iter().find(|row| row["id"] == id.to_string()))
                .map(|row| row["token_expires_soon"].clone())
        };
        assert_eq!(flag(expiring.id), Some(json!(true)), "{listed}");
        assert_eq!(flag(lasting), Some(json!(false)), "{listed}");

        let within_week = json_of(
            app.get("/v1/integrations?expiring_within_days=7").await,
            StatusCode::OK,
        )
        .await;
        let ids: Vec<&str> = within_week["data"]
            .as_array()
            .map(|rows| rows.iter().filter_map(|row| row["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(ids, vec![expiring.id.to_string()]);
        let within_day = json_of(
            app.get("/v1/integrations?expiring_within_days=1").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(within_day["data"], json!([]));
        let single = json_of(
            app.get(&format!("/v1/integrations/{}", expiring.id)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(single["token_expires_soon"], true);

        // Four days later the lasting one is still fine and the other is past due.
        app.backend
            .clock
            .advance(Duration::from_secs(4 * 24 * 3600));
        let later = json_of(
            app.get("/v1/integrations?expiring_within_days=0").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(later["data"][0]["id"], expiring.id.to_string());

        let bad = app.get("/v1/integrations?expiring_within_days=soon").await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn a_disconnected_integration_keeps_its_record_but_not_its_token() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (user, id) = connect_one(&app, "leaving_shop").await;
        let gone = json_of(
            app.delete(&format!("/v1/integrations/{id}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(gone["status"], "disconnected");
        let sealed = app
            .backend
            .fetch_text(&format!(
                "SELECT api_key FROM integrations WHERE id = '{id}'"
            ))
            .await
            .unwrap();
        assert_eq!(sealed, None, "the token's ciphertext is wiped");

        let refused = app
            .post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
            .await;
        let body = json_of(refused, StatusCode::CONFLICT).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("disconnected"))
        );

        // Connecting again brings the same record back.
        let back = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        assert_eq!(back["integration"]["id"], id.to_string());
        assert_eq!(back["integration"]["status"], "active");
    })
    .await;
}

#[tokio::test]
async fn a_malformed_integration_id_is_refused_naming_the_field() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let body = json_of(
            app.get("/v1/integrations/not-a-uuid").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["error"]["details"][0]["field"], "id");
    })
    .await;
}
