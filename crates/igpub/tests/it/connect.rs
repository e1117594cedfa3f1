//! The Facebook Login connect flow end to end: the real app over HTTP, a simulated Meta, and
//! SQLite (plus PostgreSQL when `IGPUB_TEST_DATABASE_URL` is set).

use igpub::store::{IntegrationStatus, MetaAppOverride, TenantScope};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestAppOptions, for_each_app, json_of, redirect_target};

/// The `data` array of a list answer.
fn rows(body: &Value) -> Vec<Value> {
    body["data"].as_array().cloned().unwrap_or_default()
}

/// How many integrations the first tenant has, straight from the store.
async fn integration_count(app: &TestApp) -> usize {
    app.store
        .list_integrations(TenantScope::Tenant(app.tenant.id))
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_login_with_one_instagram_account_connects_it_at_once() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        let page = app.sim_page(&user, Some("solo_shop")).await;

        let body = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;

        assert_eq!(body["status"], "connected", "{body}");
        let integration = &body["integration"];
        assert_eq!(
            integration["ig_user_id"].as_str(),
            page.ig_user_id.as_deref()
        );
        assert_eq!(integration["ig_username"], "solo_shop");
        assert_eq!(integration["facebook_page_id"], page.page_id.as_str());
        assert_eq!(integration["status"], "active");
        assert_eq!(integration["provider"], "instagram");
        // graph-api.md §5.2: a Page token from a long-lived user token never expires.
        assert!(integration["token_expires_at"].is_null(), "{integration}");
        assert_eq!(integration["token_expires_soon"], false);
        assert!(integration["last_verified_at"].is_string(), "{integration}");

        let listed = json_of(app.get("/v1/integrations").await, StatusCode::OK).await;
        let data = rows(&listed);
        assert_eq!(data.len(), 1, "{listed}");
        assert_eq!(data[0]["id"], integration["id"]);

        // The stored token is the Page token, and it works at Meta.
        let id = integration["id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap();
        let token = app
            .store
            .integration_token(app.tenant.id, id)
            .await
            .unwrap();
        let graph = igpub::startup::graph_client(&app.settings).unwrap();
        let ig = igpub_graph::IgUserId::new(page.ig_user_id.unwrap_or_default());
        let seen = graph.with_token(token.into()).verify(&ig).await.unwrap();
        assert_eq!(seen.username.as_deref(), Some("solo_shop"));
    })
    .await;
}

#[tokio::test]
async fn the_login_dialog_asks_for_exactly_the_publisher_scopes_with_a_fresh_state() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let first = app.start_connect().await;
        let second = app.start_connect().await;
        let param = |url: &url::Url, name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        assert_eq!(
            param(&first, "scope").as_deref(),
            Some(
                "instagram_basic,instagram_content_publish,instagram_manage_insights,\
                 pages_show_list,pages_read_engagement,business_management"
            )
        );
        assert_eq!(
            param(&first, "client_id"),
            Some(app.settings.meta.app_id.clone())
        );
        assert_eq!(
            param(&first, "redirect_uri"),
            Some(format!("{}/oauth/facebook/callback", app.address))
        );
        let state = param(&first, "state").unwrap_or_default();
        assert!(
            state.len() >= 43,
            "the state must be long and random: {state}"
        );
        assert_ne!(param(&first, "state"), param(&second, "state"));
    })
    .await;
}

#[tokio::test]
async fn a_login_with_several_accounts_offers_a_choice_and_connects_the_ones_picked() {
    for_each_app(TestAppOptions::default(), |app| async move {
        // The simulator's seeded user manages three Pages, each with an Instagram account.
        let seeded = app.sim.accounts();
        let authorize_url = app.start_connect().await;
        // Through the consent page's Allow button, as a person would.
        let callback = app.decide_login(&authorize_url, "allow").await;
        let body = json_of(app.follow(&callback).await, StatusCode::OK).await;

        assert_eq!(body["status"], "choose_account", "{body}");
        let choices = body["choices"].as_array().cloned().unwrap_or_default();
        let offered: Vec<&str> = choices
            .iter()
            .filter_map(|c| c["ig_user_id"].as_str())
            .collect();
        let expected: Vec<&str> = seeded.iter().map(|a| a.ig_user_id.as_str()).collect();
        assert_eq!(offered, expected);
        assert_eq!(choices[0]["ig_username"], seeded[0].username.as_str());
        assert_eq!(choices[0]["facebook_page_id"], seeded[0].page_id.as_str());
        assert!(body["expires_at"].is_string());
        assert_eq!(
            integration_count(&app).await,
            0,
            "nothing is connected before a choice"
        );

        let session_id = body["session_id"].as_str().unwrap_or_default().to_owned();
        let pick = |ig: &str| json!({ "session_id": session_id, "ig_user_id": ig });
        let chosen = json_of(
            app.post_json("/v1/integrations/instagram/choose", &pick(expected[1]))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(chosen["ig_user_id"], expected[1]);
        assert_eq!(chosen["ig_username"], seeded[1].username.as_str());
        assert_eq!(chosen["status"], "active");
        assert!(chosen["last_verified_at"].is_string());

        // The choice stays open, so a picker may connect another offered account.
        let another = json_of(
            app.post_json("/v1/integrations/instagram/choose", &pick(expected[2]))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(another["ig_user_id"], expected[2]);
        assert_eq!(integration_count(&app).await, 2);

        // An account the login did not offer is refused, naming the field.
        let refused = json_of(
            app.post_json(
                "/v1/integrations/instagram/choose",
                &pick("17841499999999999"),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["error"]["details"][0]["field"], "ig_user_id");
    })
    .await;
}

#[tokio::test]
async fn an_account_choice_past_its_expiry_is_refused() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let body = json_of(app.log_in(None).await, StatusCode::OK).await;
        assert_eq!(body["status"], "choose_account", "{body}");
        app.backend
            .clock
            .advance(igpub::connect::CONNECT_SESSION_TTL + std::time::Duration::from_secs(1));
        let pick = json!({
            "session_id": body["session_id"],
            "ig_user_id": body["choices"][0]["ig_user_id"],
        });
        let refused = json_of(
            app.post_json("/v1/integrations/instagram/choose", &pick)
                .await,
            StatusCode::GONE,
        )
        .await;
        assert_eq!(refused["error"]["code"], "session_expired");
        assert_eq!(integration_count(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_login_says_so_plainly_and_connects_nothing() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let authorize_url = app.start_connect().await;
        let callback = app.decide_login(&authorize_url, "cancel").await;
        assert!(
            callback
                .query_pairs()
                .any(|(k, v)| k == "error" && v == "access_denied")
        );
        let body = json_of(app.follow(&callback).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "login_cancelled");
        assert_eq!(
            body["error"]["message"],
            "you cancelled Facebook Login; nothing was connected"
        );
        assert_eq!(integration_count(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_login_whose_pages_have_no_instagram_account_explains_the_prerequisite() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, None).await;
        app.sim_page(&user, None).await;

        let body = json_of(
            app.log_in(Some(&user)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        assert_eq!(body["error"]["code"], "no_instagram_account");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        for words in [
            "2 Facebook Page",
            "Business or Creator",
            "linked to a Facebook Page that you manage",
        ] {
            assert!(message.contains(words), "{words:?} missing from {message}");
        }
        assert_eq!(integration_count(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_login_missing_permissions_names_every_one_of_them() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app
            .sim_user(Some(&[
                "instagram_basic",
                "instagram_manage_insights",
                "pages_show_list",
                "business_management",
            ]))
            .await;
        app.sim_page(&user, Some("partial_grants")).await;

        let body = json_of(
            app.log_in(Some(&user)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("instagram_content_publish, pages_read_engagement"),
            "{message}"
        );
        let fields: Vec<&str> = body["error"]["details"]
            .as_array()
            .map(|details| details.iter().filter_map(|d| d["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            vec![
                "permissions.instagram_content_publish",
                "permissions.pages_read_engagement"
            ]
        );
        assert_eq!(integration_count(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn the_instagram_account_is_found_behind_every_page_of_results() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        // graph-api.md §3.1: /me/accounts pages by 25; the one linked Page comes last.
        for _ in 0..26 {
            app.sim_page(&user, None).await;
        }
        let page = app.sim_page(&user, Some("last_page_shop")).await;

        let body = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;

        assert_eq!(body["status"], "connected", "{body}");
        assert_eq!(
            body["integration"]["facebook_page_id"],
            page.page_id.as_str()
        );
    })
    .await;
}

#[tokio::test]
async fn a_return_to_address_gets_the_browser_back_with_the_outcome() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("dashboard_shop")).await;
        let return_to = "https://dashboard.example/integrations?tab=instagram";

        let authorize_url = app
            .start_connect_as(&app.api_key, Some(json!({ "return_to": return_to })))
            .await;
        let callback = app.approve_login(&authorize_url, Some(&user)).await;
        let response = app.follow(&callback).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response
                .headers()
                .get("referrer-policy")
                .and_then(|v| v.to_str().ok()),
            Some("no-referrer")
        );
        let back = redirect_target(&response);
        assert_eq!(back.host_str(), Some("dashboard.example"));
        let query: Vec<(String, String)> = back.query_pairs().into_owned().collect();
        assert!(query.contains(&("tab".into(), "instagram".into())));
        assert!(query.contains(&("igpub_connect".into(), "connected".into())));
        let listed = json_of(app.get("/v1/integrations").await, StatusCode::OK).await;
        let id = rows(&listed)[0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(query.contains(&("integration_id".into(), id)));

        // A cancel goes back too, with the error's code.
        let authorize_url = app
            .start_connect_as(&app.api_key, Some(json!({ "return_to": return_to })))
            .await;
        let callback = app.decide_login(&authorize_url, "cancel").await;
        let back = redirect_target(&app.follow(&callback).await);
        let query: Vec<(String, String)> = back.query_pairs().into_owned().collect();
        assert!(query.contains(&("igpub_connect".into(), "error".into())));
        assert!(query.contains(&("error_code".into(), "login_cancelled".into())));
    })
    .await;
}

#[tokio::test]
async fn a_return_to_that_is_not_a_web_address_is_refused_naming_the_field() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let response = app
            .post_json(
                "/v1/integrations/instagram/connect",
                &json!({ "return_to": "javascript:alert(1)" }),
            )
            .await;
        let body = json_of(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["error"]["details"][0]["field"], "return_to");
    })
    .await;
}

#[tokio::test]
async fn a_tenant_with_its_own_meta_app_logs_in_and_exchanges_through_it() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let (app_id, app_secret) = app.sim_app().await;
        app.store
            .set_meta_app_override(
                app.tenant.id,
                &MetaAppOverride {
                    app_id: app_id.clone(),
                    app_secret,
                    redirect_url: None,
                },
            )
            .await
            .unwrap();
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("own_app_shop")).await;

        let authorize_url = app.start_connect().await;
        assert!(
            authorize_url
                .query_pairs()
                .any(|(k, v)| k == "client_id" && v == app_id.as_str()),
            "{authorize_url}"
        );
        let callback = app.approve_login(&authorize_url, Some(&user)).await;
        let body = json_of(app.follow(&callback).await, StatusCode::OK).await;
        assert_eq!(body["status"], "connected", "{body}");

        // Later calls sign with the tenant's app too.
        let id = body["integration"]["id"].as_str().unwrap_or_default();
        let checked = json_of(
            app.post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(checked["verified"], true, "{checked}");
    })
    .await;
}

#[tokio::test]
async fn reconnecting_a_connected_account_updates_it_in_place() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("twice_shop")).await;
        let first = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        let second = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        assert_eq!(first["integration"]["id"], second["integration"]["id"]);
        assert_eq!(integration_count(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_reconnect_that_fails_at_meta_keeps_the_working_token() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let user = app.sim_user(None).await;
        app.sim_page(&user, Some("steady_shop")).await;
        let body = json_of(app.log_in(Some(&user)).await, StatusCode::OK).await;
        let id: igpub::store::IntegrationId = body["integration"]["id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap();
        let before = app
            .store
            .integration_token(app.tenant.id, id)
            .await
            .unwrap();

        // The new token's check fails at Meta: nothing may be written.
        let broken = igpub_sim::FaultSpec {
            error_5xx_rate: 1.0,
            ..Default::default()
        };
        app.sim.set_faults("user.get", broken).unwrap();
        let failed = json_of(app.log_in(Some(&user)).await, StatusCode::BAD_GATEWAY).await;
        assert_eq!(failed["error"]["code"], "upstream_error");
        app.sim.clear_faults();

        let after = app
            .store
            .integration_token(app.tenant.id, id)
            .await
            .unwrap();
        assert_eq!(after.expose_secret(), before.expose_secret());
        let integration = app.store.get_integration(app.tenant.id, id).await.unwrap();
        assert_eq!(integration.status, IntegrationStatus::Active);
        let checked = json_of(
            app.post_json(&format!("/v1/integrations/{id}/verify"), &json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(checked["verified"], true);
    })
    .await;
}

#[tokio::test]
async fn a_pending_choice_keeps_the_user_token_sealed_for_its_tenant_only() {
    for_each_app(TestAppOptions::default(), |app| async move {
        let body = json_of(app.log_in(None).await, StatusCode::OK).await;
        let session: igpub::store::ConnectSessionId = body["session_id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap();
        let (other, _) = app.create_tenant("Other").await;
        let refused = app.store.open_connect_session(other.id, session).await;
        assert!(
            matches!(refused, Err(ref e) if e.is_not_found()),
            "{refused:?}"
        );
        // The user token never appears in the choice, nor in the stored row's text.
        let sealed = app
            .backend
            .fetch_text(&format!(
                "SELECT user_token FROM connect_sessions WHERE id = '{session}'"
            ))
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(sealed.starts_with("v1."), "{sealed}");
        let open = match app
            .store
            .open_connect_session(app.tenant.id, session)
            .await
            .unwrap()
        {
            igpub::store::ConnectSessionLookup::Open(open) => open,
            other => panic!("the session must be open: {other:?}"),
        };
        let token = open.user_token.expose_secret().to_owned();
        assert!(!sealed.contains(&token));
        assert!(!body.to_string().contains(&token));
    })
    .await;
}
