//! `POST /v1/media`, the public `/media/{id}.{ext}` route, and media at post creation: the
//! pre-flight refuses before any call to Meta, and the auto-fix turns a refused image into one
//! Instagram takes and publishes.

use igpub::store::{PostId, PostState};
use image::ImageFormat;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_support::{
    connect_first_account, picture, settle, spawn_media_app, spawn_media_app_on, text, upload,
    worker,
};
use crate::helpers::{json_of, send, spawn_app};
use igpub::store::testing::available_backends;

#[tokio::test]
async fn an_uploaded_jpeg_is_served_publicly_with_ranges_and_caching_headers() {
    let app = spawn_app().await;
    let jpeg = picture(400, 400, ImageFormat::Jpeg);
    let uploaded = json_of(
        upload(&app, jpeg.clone(), "image/jpeg", "").await,
        StatusCode::CREATED,
    )
    .await;
    let url = text(&uploaded, "/url").to_owned();
    assert!(url.starts_with(&format!("{}/media/", app.address)), "{url}");
    assert!(url.ends_with(".jpg"), "{url}");
    assert_eq!(uploaded["kind"], "jpg");
    assert_eq!(uploaded["changes"], json!([]));

    // Public: no API key, as Meta's crawler fetches it.
    let whole = send(reqwest::Client::new().get(&url)).await;
    assert_eq!(whole.status(), StatusCode::OK);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap_or_default()
            .contains("immutable")
    );
    assert_eq!(
        whole.bytes().await.unwrap_or_default().as_ref(),
        jpeg.as_slice()
    );
    let part = send(
        reqwest::Client::new()
            .get(&url)
            .header("range", "bytes=0-9"),
    )
    .await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap_or_default().len(), 10);

    let id = text(&uploaded, "/id");
    let again = json_of(app.get(&format!("/v1/media/{id}")).await, StatusCode::OK).await;
    assert_eq!(again, uploaded);
    let listed = json_of(app.get("/v1/media").await, StatusCode::OK).await;
    assert_eq!(listed["media"][0]["id"], uploaded["id"]);
    app.cleanup().await;
}

#[tokio::test]
async fn a_multipart_png_with_auto_fix_becomes_a_padded_jpeg_and_the_original_stays() {
    let app = spawn_app().await;
    let png = picture(900, 300, ImageFormat::Png);
    let boundary = "igpub-test-boundary";
    let mut form = Vec::new();
    form.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"auto_fix\"\r\n\r\ntrue\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"wide.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(&png);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = send(
        app.request(Method::POST, "/v1/media")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form),
    )
    .await;
    let uploaded = json_of(response, StatusCode::CREATED).await;
    assert_eq!(uploaded["kind"], "jpg");
    assert!(text(&uploaded, "/original_url").ends_with(".png"));
    let changes: Vec<&str> = uploaded["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| change["kind"].as_str())
        .collect();
    assert!(
        changes.contains(&"converted") && changes.contains(&"padded"),
        "{changes:?}"
    );
    let original = send(reqwest::Client::new().get(text(&uploaded, "/original_url"))).await;
    assert_eq!(original.headers()["content-type"], "image/png");
    app.cleanup().await;
}

#[tokio::test]
async fn a_file_that_is_no_media_is_refused_in_the_one_error_shape() {
    let app = spawn_app().await;
    let response = upload(&app, b"%PDF-1.7 not a picture".to_vec(), "image/jpeg", "").await;
    let body = json_of(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["error"]["code"], "validation_failed");
    assert_eq!(body["error"]["details"][0]["field"], "file");
    let empty = upload(&app, Vec::new(), "image/jpeg", "").await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    let unknown = upload(
        &app,
        picture(10, 10, ImageFormat::Jpeg),
        "image/jpeg",
        "?colour=red",
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    app.cleanup().await;
}

#[tokio::test]
async fn a_wide_png_is_refused_before_any_call_to_meta_when_auto_fix_is_off() {
    let app = spawn_media_app().await;
    let integration = connect_first_account(&app, app.tenant.id).await;
    let png = picture(1200, 400, ImageFormat::Png);
    let uploaded = json_of(
        upload(&app, png, "image/png", "").await,
        StatusCode::CREATED,
    )
    .await;
    app.sim.reset_counters();
    let response = app
        .post_json(
            "/v1/posts",
            &json!({
                "integration_id": integration.id,
                "kind": "image",
                "caption": "Too wide, and a PNG",
                "media": [{"url": uploaded["url"], "type": "image"}],
            }),
        )
        .await;
    let body = json_of(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let message = text(&body, "/error/message");
    assert!(message.starts_with("item 1 ("), "{message}");
    assert!(
        message.contains("PNG is not accepted; Instagram takes JPEG only"),
        "{message}"
    );
    assert_eq!(body["error"]["details"][0]["field"], "media[0].url");
    assert_eq!(app.sim.counters().round_trips, 0, "Meta was called");
    let listed = json_of(app.get("/v1/posts").await, StatusCode::OK).await;
    assert_eq!(listed["posts"], json!([]), "nothing is stored");
    app.cleanup().await;
}

#[tokio::test]
async fn a_tenant_default_fixes_posts_that_do_not_say_and_a_post_may_still_refuse_it() {
    for backend in available_backends() {
        let app = spawn_media_app_on(backend).await;
        let integration = connect_first_account(&app, app.tenant.id).await;
        let uploaded = json_of(
            upload(&app, picture(1200, 400, ImageFormat::Png), "image/png", "").await,
            StatusCode::CREATED,
        )
        .await;
        let post = |caption: &str, auto_fix: Option<bool>| {
            let mut body = json!({
                "integration_id": integration.id,
                "kind": "image",
                "caption": caption,
                "media": [{"url": uploaded["url"], "type": "image"}],
            });
            if let Some(auto_fix) = auto_fix {
                body["auto_fix"] = json!(auto_fix);
            }
            body
        };
        let tenant = app
            .store
            .set_tenant_auto_fix(app.tenant.id, Some(true))
            .await
            .unwrap_or_else(|error| panic!("set the tenant's default: {error}"));
        assert_eq!(tenant.auto_fix, Some(true));

        let fixed = json_of(
            app.post_json("/v1/posts", &post("Fixed by the tenant's default", None))
                .await,
            StatusCode::CREATED,
        )
        .await;
        let fixed_url = text(&fixed, "/post/media/0/url");
        assert!(fixed_url.ends_with(".jpg"), "{fixed_url}");
        json_of(
            app.post_json(
                "/v1/posts",
                &post("Refused by the post itself", Some(false)),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        app.store
            .set_tenant_auto_fix(app.tenant.id, None)
            .await
            .unwrap_or_else(|error| panic!("back to the service's default: {error}"));
        json_of(
            app.post_json("/v1/posts", &post("The service's default refuses", None))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_wide_png_with_auto_fix_is_converted_padded_hosted_and_published() {
    for backend in available_backends() {
        let app = spawn_media_app_on(backend).await;
        let integration = connect_first_account(&app, app.tenant.id).await;
        let png = picture(1200, 400, ImageFormat::Png);
        let uploaded = json_of(
            upload(&app, png, "image/png", "").await,
            StatusCode::CREATED,
        )
        .await;
        let original_url = text(&uploaded, "/url").to_owned();
        let created = json_of(
            app.post_json(
                "/v1/posts",
                &json!({
                    "integration_id": integration.id,
                    "kind": "image",
                    "caption": "Fixed on the way in",
                    "media": [{"url": original_url, "type": "image"}],
                    "auto_fix": true,
                }),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let fixed_url = text(&created, "/post/media/0/url").to_owned();
        assert_ne!(fixed_url, original_url);
        assert!(fixed_url.ends_with(".jpg"), "{fixed_url}");
        let original = send(reqwest::Client::new().get(&original_url)).await;
        assert_eq!(original.status(), StatusCode::OK, "the original is kept");

        let post: PostId = text(&created, "/id")
            .parse()
            .unwrap_or_else(|_| panic!("an id"));
        let worker = worker(&app);
        let state = settle(&app, &worker, app.tenant.id, post).await;
        let shown = json_of(app.get(&format!("/v1/posts/{post}")).await, StatusCode::OK).await;
        assert_eq!(state, PostState::Published, "{shown}");
        let published = app.sim.published();
        let media = published
            .get(&integration.metadata.ig_user_id)
            .and_then(|media| media.first())
            .unwrap_or_else(|| panic!("the simulator published it: {published:?}"));
        assert_eq!(media.caption.as_deref(), Some("Fixed on the way in"));

        let notes: Vec<_> = shown["timeline"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|event| !event["detail"]["auto_fix"].is_null())
            .collect();
        assert_eq!(notes.len(), 1, "{shown}");
        let fix = &notes[0]["detail"]["auto_fix"][0];
        assert_eq!(fix["field"], "media[0].url");
        assert_eq!(fix["original_url"], json!(original_url));
        let kinds: Vec<&str> = fix["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|change| change["kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"converted") && kinds.contains(&"padded"),
            "{kinds:?}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn igpub_media_upload_hosts_a_file_for_the_tenant_and_lists_it() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let file = dir.path().join("wide.png");
    std::fs::write(&file, picture(900, 300, ImageFormat::Png))
        .unwrap_or_else(|error| panic!("write: {error}"));
    let storage = igpub::startup::media_storage(&app.settings)
        .await
        .unwrap_or_else(|error| panic!("storage: {error}"));
    let record = igpub::cli::media::upload_file(
        app.store.as_ref(),
        storage.as_ref(),
        app.tenant.id,
        &file,
        None,
        true,
    )
    .await
    .unwrap_or_else(|error| panic!("upload: {error}"));
    assert_eq!(record.kind, "jpg");
    assert!(record.url.starts_with(&format!("{}/media/", app.address)));
    let listed = json_of(app.get("/v1/media").await, StatusCode::OK).await;
    assert_eq!(listed["media"][0]["id"], json!(record.id.to_string()));
    let served = send(reqwest::Client::new().get(&record.url)).await;
    assert_eq!(served.headers()["content-type"], "image/jpeg");

    let unknown = igpub::cli::media::upload_file(
        app.store.as_ref(),
        storage.as_ref(),
        igpub::store::TenantId::generate(),
        &file,
        None,
        false,
    )
    .await
    .expect_err("no such tenant");
    assert!(format!("{unknown:#}").contains("--tenant"), "{unknown:#}");
    app.cleanup().await;
}
