//! Tenant isolation, walked over every resource route: tenant A owns an integration, a post,
//! an upload and a webhook; tenant B gets 404 on every `/v1` route that names one of them, with
//! every method the OpenAPI document lists, and never sees them in a listing. The walk reads
//! the routes from the document, so a route added later is walked too.

use image::ImageFormat;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::api_support::{connect_first_account, picture, spawn_media_app_on, text, upload};
use crate::helpers::{TestApp, json_of, send};
use igpub::store::testing::available_backends;

/// Tenant A's resources, by the first path segment after `/v1/`.
struct Owned {
    integration: String,
    post: String,
    media: String,
    webhook: String,
}

impl Owned {
    fn id_for(&self, path: &str) -> Option<&str> {
        let resource = path.strip_prefix("/v1/")?.split('/').next()?;
        match resource {
            "integrations" => Some(&self.integration),
            "posts" => Some(&self.post),
            "media" => Some(&self.media),
            "webhooks" => Some(&self.webhook),
            _ => None,
        }
    }
}

async fn tenant_a_resources(app: &TestApp) -> Owned {
    let integration = connect_first_account(app, app.tenant.id).await;
    let uploaded = json_of(
        upload(app, picture(500, 500, ImageFormat::Jpeg), "image/jpeg", "").await,
        StatusCode::CREATED,
    )
    .await;
    let post = json_of(
        app.post_json(
            "/v1/posts",
            &json!({
                "integration_id": integration.id,
                "kind": "image",
                "caption": "Tenant A's post",
                "media": [{"url": uploaded["url"], "type": "image"}],
                "publish_at": "2099-01-01T00:00:00Z",
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let webhook = json_of(
        app.post_json("/v1/webhooks", &json!({"url": "https://hooks.example/a"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    Owned {
        integration: integration.id.to_string(),
        post: text(&post, "/id").to_owned(),
        media: text(&uploaded, "/id").to_owned(),
        webhook: text(&webhook, "/id").to_owned(),
    }
}

/// A body the route would accept from its owner, so that only ownership can make it fail.
fn plausible_body(method: &Method, path: &str) -> Option<Value> {
    match (method.as_str(), path) {
        ("PATCH", "/v1/posts/{id}") => Some(json!({
            "kind": "image",
            "caption": "Changed by B",
            "media": [{"url": "https://cdn.example.com/b.jpg"}],
            "publish_at": "2099-01-02T00:00:00Z",
        })),
        ("GET" | "DELETE", _) => None,
        _ => Some(json!({})),
    }
}

async fn call(
    app: &TestApp,
    key: &SecretString,
    method: &Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.request_as(key, method.clone(), path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = send(request).await;
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn tenant_b_gets_404_on_every_route_naming_tenant_a_resources() {
    for backend in available_backends() {
        let app = spawn_media_app_on(backend).await;
        let owned = tenant_a_resources(&app).await;
        let (_, key_b) = app.create_tenant("Tenant B").await;
        let document = json_of(app.get("/openapi.json").await, StatusCode::OK).await;

        let mut walked = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            if !path.contains("{id}") {
                continue;
            }
            let id = owned
                .id_for(path)
                .unwrap_or_else(|| panic!("{path}: the walk does not know this resource; add it"));
            let concrete = path.replace("{id}", id);
            for name in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                let Ok(method) = Method::from_bytes(name.to_uppercase().as_bytes()) else {
                    continue;
                };
                let (status, body) = call(
                    &app,
                    &key_b,
                    &method,
                    &concrete,
                    plausible_body(&method, path),
                )
                .await;
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} as tenant B: {body}"
                );
                assert_eq!(
                    body["error"]["code"], "not_found",
                    "{method} {path}: {body}"
                );
                walked.push(format!("{method} {path}"));
            }
        }
        assert!(walked.len() >= 15, "only walked {walked:?}");

        // Creating a post on A's integration is the same 404.
        let (status, _) = call(
            &app,
            &key_b,
            &Method::POST,
            "/v1/posts",
            Some(json!({
                "integration_id": owned.integration,
                "kind": "image",
                "media": [{"url": "https://cdn.example.com/a.jpg"}],
            })),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // B's listings show nothing of A's.
        for list in ["/v1/integrations", "/v1/posts", "/v1/media", "/v1/webhooks"] {
            let (status, body) = call(&app, &key_b, &Method::GET, list, None).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            let text = body.to_string();
            for id in [
                &owned.integration,
                &owned.post,
                &owned.media,
                &owned.webhook,
            ] {
                assert!(
                    !text.contains(id.as_str()),
                    "{list} shows {id} to B: {text}"
                );
            }
        }

        // The walk was not vacuous: A still reads every one of them.
        for path in [
            format!("/v1/integrations/{}", owned.integration),
            format!("/v1/posts/{}", owned.post),
            format!("/v1/media/{}", owned.media),
            format!("/v1/webhooks/{}", owned.webhook),
        ] {
            assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
        }
        app.cleanup().await;
    }
}
