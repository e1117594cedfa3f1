//! What keeps the connect flow and the integrations API safe: the login state (CSRF), API keys,
//! tenant isolation, and tokens that never show up in logs, answers or the database file.

use igpub::store::{ConnectSessionLookup, IntegrationId};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::helpers::{LogCapture, TestAppOptions, for_each_app, json_of, send};

/// The callback URL with its `state` replaced by `state`.
fn with_state(callback: &Url, state: &str) -> Url {
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .into_owned()
        .filter(|(key, _)| key != "state")
        .collect();
    let mut forged = callback.clone();
    forged
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("state", state);
    forged
}

fn query_value(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_callback_with_a_state_igpub_never_issued_is_refused() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let authorize_url = app.start_connect().await;
        let callback = app.approve_login(&authorize_url, None).await;
        let forged = with_state(&callback, "A".repeat(43).as_str());

        let body = json_of(app.follow(&forged).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_state");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("unknown")),
            "{body}"
        );

        let without = with_state(&callback, "");
        let body = json_of(app.follow(&without).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_state");
    })
    .await;
}

#[tokio::test]
async fn a_state_is_single_use_so_a_replayed_callback_is_refused() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("replayed_shop")).await;
        let authorize_url = app.start_connect().await;
        let callback = app.approve_login(&authorize_url, Some(&user)).await;
        json_of(app.follow(&callback).await, StatusCode::OK).await;

        let body = json_of(app.follow(&callback).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_state");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("already used")),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_state_past_its_ten_minutes_is_refused() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("late_shop")).await;
        let authorize_url = app.start_connect().await;
        let callback = app.approve_login(&authorize_url, Some(&user)).await;
        app.backend
            .clock
            .advance(igpub::store::OAUTH_STATE_TTL + std::time::Duration::from_secs(1));

        let body = json_of(app.follow(&callback).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_state");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("expired")),
            "{body}"
        );
        let listed = json_of(app.get("/v1/integrations").await, StatusCode::OK).await;
        assert_eq!(listed["data"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn every_tenant_route_needs_a_valid_api_key() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let id = IntegrationId::generate();
        let routes = [
            (
                Method::POST,
                "/v1/integrations/instagram/connect".to_owned(),
            ),
            (Method::POST, "/v1/integrations/instagram/choose".to_owned()),
            (Method::GET, "/v1/integrations".to_owned()),
            (Method::GET, format!("/v1/integrations/{id}")),
            (Method::POST, format!("/v1/integrations/{id}/verify")),
            (Method::DELETE, format!("/v1/integrations/{id}")),
        ];
        let wrong = SecretString::from("igpub_not-a-real-key");
        for (method, path) in routes {
            let anonymous = send(app.http.request(method.clone(), app.url(&path))).await;
            assert_eq!(
                anonymous.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
            let forged = send(app.request_as(&wrong, method.clone(), &path)).await;
            assert_eq!(forged.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    })
    .await;
}

#[tokio::test]
async fn another_tenant_gets_not_found_for_every_route_of_an_integration() {
    for_each_app(TestAppOptions::default(), |app| async move {
        // Tenant A connects; its login also leaves a pending choice.
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("tenant_a_shop")).await;
        let connected = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        let id = connected["integration"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let pending = json_of(app.log_in(None).await, StatusCode::OK).await;
        assert_eq!(pending["status"], "choose_account");

        let (_, b_key) = app.create_tenant("Tenant B").await;
        for (method, path) in [
            (Method::GET, format!("/v1/integrations/{id}")),
            (Method::POST, format!("/v1/integrations/{id}/verify")),
            (Method::DELETE, format!("/v1/integrations/{id}")),
        ] {
            let response = send(app.request_as(&b_key, method.clone(), &path)).await;
            let body = json_of(response, StatusCode::NOT_FOUND).await;
            assert_eq!(body["error"]["code"], "not_found", "{method} {path}");
        }
        let choose = json!({
            "session_id": pending["session_id"],
            "ig_user_id": pending["choices"][0]["ig_user_id"],
        });
        let response = send(
            app.request_as(&b_key, Method::POST, "/v1/integrations/instagram/choose")
                .json(&choose),
        )
        .await;
        json_of(response, StatusCode::NOT_FOUND).await;
        let listed = send(app.request_as(&b_key, Method::GET, "/v1/integrations")).await;
        assert_eq!(json_of(listed, StatusCode::OK).await["data"], json!([]));

        // Tenant A's integration is untouched.
        let mine = json_of(
            app.get(&format!("/v1/integrations/{id}")).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(mine["status"], "active");
    })
    .await;
}

/// Every secret the flow handled: Page and user tokens, the app secret, the code and state.
async fn secrets_of_a_full_flow(app: &crate::helpers::TestApp) -> (Vec<String>, Vec<Value>) {
    let mut secrets = vec![
        app.settings
            .meta
            .app_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned())
            .unwrap_or_default(),
    ];
    let mut answers = Vec::new();

    // Several accounts: the user token waits in a connect session.
    let authorize_url = app.start_connect().await;
    secrets.push(query_value(&authorize_url, "state"));
    let callback = app.approve_login(&authorize_url, None).await;
    secrets.push(query_value(&callback, "code"));
    let pending = json_of(app.follow(&callback).await, StatusCode::OK).await;
    let session = pending["session_id"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap();
    match app
        .store
        .open_connect_session(app.tenant.id, session)
        .await
        .unwrap()
    {
        ConnectSessionLookup::Open(open) => {
            secrets.push(open.user_token.expose_secret().to_owned());
        }
        ConnectSessionLookup::Expired => panic!("the session was just made"),
    }
    let choose = json!({
        "session_id": pending["session_id"],
        "ig_user_id": pending["choices"][0]["ig_user_id"],
    });
    let chosen = json_of(
        app.post_json("/v1/integrations/instagram/choose", &choose)
            .await,
        StatusCode::OK,
    )
    .await;
    let id: IntegrationId = chosen["id"].as_str().unwrap_or_default().parse().unwrap();
    let verified = json_of(
        app.post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let page_token = app
        .store
        .integration_token(app.tenant.id, id)
        .await
        .unwrap();
    secrets.push(page_token.expose_secret().to_owned());
    let listed = json_of(app.get("/v1/integrations").await, StatusCode::OK).await;
    answers.extend([pending, chosen, verified, listed]);
    assert!(
        secrets.iter().all(|s| s.len() >= 8),
        "every secret was captured"
    );
    (secrets, answers)
}

#[tokio::test]
async fn no_token_or_secret_ever_reaches_the_logs_or_the_answers() {
    let logs = LogCapture::default();
    let _capture = logs.install();
    for_each_app(TestAppOptions::default(), |app| {
        let logs = logs.clone();
        async move {
            let (secrets, answers) = secrets_of_a_full_flow(&app).await;
            let logged = logs.text();
            assert!(
                logged.contains("instagram account connected"),
                "the capture must see the app's logs"
            );
            for secret in &secrets {
                assert!(!logged.contains(secret.as_str()), "a secret was logged");
                for answer in &answers {
                    assert!(
                        !answer.to_string().contains(secret.as_str()),
                        "a secret was answered"
                    );
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_sqlite_file_never_holds_a_token_in_the_clear() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (secrets, _) = secrets_of_a_full_flow(&app).await;
        let files = app.backend.sqlite_files();
        if app.backend.backend == igpub::store::Backend::Sqlite {
            assert!(!files.is_empty(), "the SQLite database has files");
        }
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            for secret in &secrets {
                let found = bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes());
                assert!(!found, "a secret is in the clear in {}", file.display());
            }
        }
    })
    .await;
}

// A ciphertext moved to another integration's row fails to decrypt: pinned at the store level
// by `store::a_ciphertext_copied_onto_another_integration_does_not_decrypt` (tests/it/store.rs), and for
// connect sessions by `connect::a_pending_choice_keeps_the_user_token_sealed_for_its_tenant_only`.
