//! The OpenAPI document against the router: every `/v1` route the code registers is in the
//! document, every documented operation is served, and Swagger UI works without a network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{json_of, send, spawn_app};

/// `(method, path)` of every `.route("/v1…", …)` in the HTTP sources.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    collect_rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(".route(") {
            rest = &rest[start + ".route(".len()..];
            let call = call_arguments(rest);
            let Some(path) = first_string_literal(call) else {
                continue;
            };
            if !path.starts_with("/v1") {
                continue;
            }
            for method in ["get", "post", "put", "patch", "delete"] {
                if calls(call, method) {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
    }
    routes
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The text up to the parenthesis that closes the call just opened.
fn call_arguments(text: &str) -> &str {
    let mut depth = 1usize;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..index];
                }
            }
            _ => {}
        }
    }
    text
}

fn first_string_literal(text: &str) -> Option<String> {
    let start = text.find('"')?;
    let end = text[start + 1..].find('"')?;
    Some(text[start + 1..start + 1 + end].to_owned())
}

/// Whether `text` calls `name(` as a method router (not as part of a longer name).
fn calls(text: &str, name: &str) -> bool {
    let needle = format!("{name}(");
    text.match_indices(&needle).any(|(index, _)| {
        text[..index]
            .chars()
            .last()
            .is_none_or(|before| !(before.is_alphanumeric() || before == '_'))
    })
}

#[test]
fn the_source_scan_finds_routes_and_their_methods() {
    let routes = routes_in_source();
    assert!(
        routes.contains(&("post".to_owned(), "/v1/posts".to_owned())),
        "{routes:?}"
    );
    assert!(routes.contains(&("get".to_owned(), "/v1/posts".to_owned())));
    assert!(routes.contains(&("delete".to_owned(), "/v1/webhooks/{id}".to_owned())));
    assert!(!calls("widget_get(x)", "get"));
    assert!(calls(".route(\"/v1/x\", get(a).post(b))", "post"));
}

#[tokio::test]
async fn every_v1_route_of_the_router_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let document = json_of(app.get("/openapi.json").await, StatusCode::OK).await;
    let missing: Vec<_> = routes_in_source()
        .into_iter()
        .filter(|(method, path)| document["paths"][path][method].is_null())
        .collect();
    assert!(
        missing.is_empty(),
        "routes without OpenAPI annotations: {missing:?}"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn every_documented_v1_operation_is_served_by_the_router() {
    let app = spawn_app().await;
    let document = json_of(app.get("/openapi.json").await, StatusCode::OK).await;
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    let mut checked = 0;
    for (path, item) in paths.iter().filter(|(path, _)| path.starts_with("/v1")) {
        let concrete = path.replace("{id}", "0190f2a0-7b1c-7d3e-8f00-0123456789ab");
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let response = send(
                app.request(method.clone(), &concrete)
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_default();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(
                body["error"]["message"], "route not found",
                "{method} {path} is documented but not routed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations documented");
    app.cleanup().await;
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = send(app.http.get(app.url("/docs/"))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("swagger-ui"), "{html}");
    // The assets come from the binary, not from a CDN.
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn."),
        "{html}"
    );
    let script = send(app.http.get(app.url("/docs/swagger-ui-bundle.js"))).await;
    assert_eq!(script.status(), StatusCode::OK);
    let config = send(app.http.get(app.url("/docs/swagger-initializer.js"))).await;
    let text = config.text().await.unwrap_or_default();
    assert!(text.contains("/openapi.json"), "{text}");
    app.cleanup().await;
}
