//! The Facebook Login connect flow end to end: the real app over HTTP, a simulated Meta, and
//! SQLite (plus PostgreSQL when `IGPUB_TEST_DATABASE_URL` is set).

use reqwest::StatusCode;

use crate::helpers::{TestAppOptions, for_each_app, json_of};

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
        let data = listed["data"].as_array().cloned().unwrap_or_default();
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
