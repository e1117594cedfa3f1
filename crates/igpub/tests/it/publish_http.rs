//! The posts API over HTTP around a real worker: timeline, state rules and the quota route.

use std::time::Duration;

use igpub::publish::Worker;
use igpub::publish::service::CreatePost;
use igpub::store::PostState;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestAppOptions, for_each_app, json_of, send};
use crate::publish_support::{fast_config, image_post, new_integration};

#[tokio::test]
async fn a_published_post_shows_its_timeline_refuses_cancel_and_counts_in_the_quota() {
    let options = TestAppOptions {
        sim: igpub_sim::SimConfig {
            fetch_media: false,
            ..TestAppOptions::default().sim
        },
        ..TestAppOptions::default()
    };
    for_each_app(options, |app| async move {
        let accounts = app.sim.accounts();
        let mut integrations = Vec::new();
        for account in accounts.iter().take(2) {
            integrations.push(
                app.store
                    .upsert_instagram_integration(app.tenant.id, new_integration(account))
                    .await
                    .expect("integration"),
            );
        }
        let integration = integrations[0].clone();
        let posts = igpub::publish::Posts::new(app.store.clone());
        let mut ids = Vec::new();
        for (n, target) in integrations.iter().enumerate() {
            let serde_json::Value::Object(post) = image_post(&format!("Over HTTP {n}")) else {
                panic!("object")
            };
            let (created, _) = posts
                .create(
                    app.tenant.id,
                    CreatePost {
                        auto_fix: None,
                        integration_id: target.id,
                        post,
                    },
                    None,
                )
                .await
                .expect("created");
            ids.push(created.id);
        }
        let created = posts.get(app.tenant.id, ids[0]).await.expect("post");
        // The app's own Graph settings: appsecret_proof on every call, as the simulator
        // demands, and inside the cross-account batches (creations, polls, publishes) each
        // sub-request proves its own token.
        let config = fast_config();
        let worker = Worker::new(
            app.store.clone(),
            igpub::startup::graph_client_builder(&app.settings),
            config,
        )
        .expect("worker");
        for _ in 0..20 {
            worker.run_due_now().await.expect("runs");
            app.backend.clock.advance(Duration::from_millis(250));
        }
        for id in &ids {
            let view = posts.get(app.tenant.id, *id).await.expect("post");
            assert_eq!(view.state, PostState::Published, "{:?}", view.failure);
        }

        let path = format!("/v1/posts/{}", created.id);
        let view = json_of(app.get(&path).await, StatusCode::OK).await;
        assert_eq!(view["state"], "published", "{view}");
        let timeline: Vec<&str> = view["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|event| event["to"].as_str())
            .collect();
        assert_eq!(
            timeline,
            ["scheduled", "processing", "publishing", "published"]
        );
        let cancel = send(app.request(Method::POST, &format!("{path}/cancel"))).await;
        assert_eq!(cancel.status(), StatusCode::CONFLICT);
        let retry = send(app.request(Method::POST, &format!("{path}/retry"))).await;
        assert_eq!(retry.status(), StatusCode::CONFLICT);

        let quota = json_of(
            app.get(&format!("/v1/integrations/{}/quota", integration.id))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(quota["quota_usage"], 1, "{quota}");
        assert_eq!(quota["published_by_igpub"], 1, "{quota}");
        assert_eq!(quota["quota_total"], 100, "{quota}");

        let published = json_of(
            app.get("/v1/posts?state=published&limit=1").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(published["posts"][0]["id"], created.id.to_string());
        let page = posts.get(app.tenant.id, created.id).await.expect("post");
        assert_eq!(page.state, PostState::Published);
    })
    .await;
}
