//! The OpenAPI 3 document of the `/v1` API, generated from the handlers' `#[utoipa::path]`
//! annotations, served at `/openapi.json`, with Swagger UI at `/docs` (its assets are compiled
//! into the binary by `utoipa-swagger-ui`'s `vendored` feature, so it works offline).
//!
//! Each area's module describes its own routes (`PostsApi`, `IntegrationsApi`, …); [`document`]
//! merges them under one title, the error shape and the bearer security scheme.

use axum::Router;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::error::{ErrorBody, ErrorDetail, ErrorObject};
use super::state::AppState;

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where Swagger UI is served.
pub const DOCS_PATH: &str = "/docs";
/// The name of the security scheme every handler's `security(...)` refers to.
pub const SECURITY_SCHEME: &str = "api_key";

/// The service-wide parts of the document: title, tags, the error shape and security.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "igpub API",
        description = "Publish to Instagram Business and Creator accounts through Meta's Graph API, \
for many tenants, exactly once, and read their insights.\n\n\
Authenticate with `Authorization: Bearer <tenant API key>`. Every error has one shape, \
`{\"error\":{\"code\",\"message\",\"details\":[{\"field\",\"rule\",\"message\"}]}}`, and every \
response carries an `x-request-id` header. Another tenant's resources answer 404."
    ),
    components(schemas(ErrorBody, ErrorObject, ErrorDetail)),
    modifiers(&BearerApiKey),
    tags(
        (name = "integrations", description = "Connect Instagram accounts through Facebook Login and watch their tokens"),
        (name = "posts", description = "Schedule, validate and follow posts"),
        (name = "media", description = "Host images and videos for posts"),
        (name = "insights", description = "Account and post insights"),
        (name = "webhooks", description = "Outbound webhooks: be told when posts are published, fail or are held"),
    )
)]
struct ServiceApi;

/// Adds the bearer scheme named [`SECURITY_SCHEME`].
struct BearerApiKey;

impl Modify for BearerApiKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description =
            Some("A tenant API key (`igpub_…`), as `Authorization: Bearer <key>`".to_owned());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SECURITY_SCHEME, SecurityScheme::Http(scheme));
    }
}

/// The whole document, as served at `/openapi.json`: every area's paths and schemas merged
/// into the service's, then finished: the common errors on every API-key operation and a flat
/// `CreatePost`.
pub fn document() -> serde_json::Value {
    let mut document = ServiceApi::openapi();
    document.merge(super::integrations::IntegrationsApi::openapi());
    document.merge(super::posts::PostsApi::openapi());
    document.merge(super::insights::InsightsApi::openapi());
    document.merge(super::media::MediaApi::openapi());
    document.merge(super::webhooks_out::WebhooksApi::openapi());
    finish(document)
}

/// The answers any API-key operation may give besides its own: the one error shape, as the
/// extractors and the per-tenant limiter produce them.
const COMMON_ERRORS: [(&str, &str); 4] = [
    (
        "400",
        "The request cannot be read: malformed JSON, query string or parameters",
    ),
    ("401", "No or unknown API key"),
    (
        "422",
        "A field or parameter breaks a rule; `details` name each field and rule",
    ),
    (
        "429",
        "Too many requests for this tenant; `Retry-After` says when to come back",
    ),
];

/// Adds what the derive macros cannot say: the common errors on every API-key operation, and
/// a new post as one flat object (the post's own fields beside `integration_id` and
/// `auto_fix`), since `PostInput` refuses unknown fields and an `allOf` with it could never
/// be satisfied. The document is edited as JSON (utoipa cannot read its own JSON back).
fn finish(document: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut json = serde_json::to_value(&document).unwrap_or_default();
    add_common_errors(&mut json);
    flatten_create_post(&mut json);
    json
}

fn add_common_errors(json: &mut serde_json::Value) {
    let Some(paths) = json
        .get_mut("paths")
        .and_then(|paths| paths.as_object_mut())
    else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let secured = operation
            .get("security")
            .and_then(|security| security.as_array())
            .is_some_and(|security| !security.is_empty());
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(|responses| responses.as_object_mut())
        else {
            continue;
        };
        if !secured {
            continue;
        }
        for (status, description) in COMMON_ERRORS {
            responses.entry(status).or_insert_with(|| {
                serde_json::json!({
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                })
            });
        }
    }
}

fn flatten_create_post(json: &mut serde_json::Value) {
    let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(|schemas| schemas.as_object_mut())
    else {
        return;
    };
    let (Some(post), Some(create)) = (schemas.get("PostInput"), schemas.get("CreatePost")) else {
        return;
    };
    let Some(extra) = create.get("allOf").and_then(|parts| {
        parts
            .as_array()?
            .iter()
            .find(|part| part.get("properties").is_some())
    }) else {
        return;
    };
    let mut flat = post.clone();
    if let (Some(properties), Some(more)) = (
        flat.get_mut("properties").and_then(|p| p.as_object_mut()),
        extra.get("properties").and_then(|p| p.as_object()),
    ) {
        properties.extend(
            more.iter()
                .map(|(name, schema)| (name.clone(), schema.clone())),
        );
    }
    let mut required: Vec<serde_json::Value> = flat
        .get("required")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    required.extend(
        extra
            .get("required")
            .and_then(|r| r.as_array())
            .cloned()
            .unwrap_or_default(),
    );
    flat["required"] = serde_json::Value::Array(required);
    flat["description"] = create
        .get("description")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    schemas.insert("CreatePost".to_owned(), flat);
}

/// `/openapi.json` and Swagger UI at `/docs`.
pub fn routes() -> Router<AppState> {
    SwaggerUi::new(DOCS_PATH)
        .external_url_unchecked(OPENAPI_PATH, document())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_requires_the_declared_security_scheme_or_none() {
        let json = document();
        let schemes: Vec<&String> = json["components"]["securitySchemes"]
            .as_object()
            .into_iter()
            .flat_map(|schemes| schemes.keys())
            .collect();
        assert_eq!(schemes, [SECURITY_SCHEME]);
        for (path, item) in json["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                for requirement in operation["security"].as_array().into_iter().flatten() {
                    for name in requirement
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, _)| n)
                    {
                        assert_eq!(name, SECURITY_SCHEME, "{method} {path}");
                    }
                }
            }
        }
    }

    /// Every `$ref` in `value`, wherever it sits.
    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", serde_json::Value::String(target)) => found.push(target.clone()),
                        _ => references(inner, found),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|item| references(item, found));
            }
            _ => {}
        }
    }

    #[test]
    fn every_schema_reference_resolves_so_clients_and_fuzzers_see_the_whole_contract() {
        let json = document();
        let mut found = Vec::new();
        references(&json, &mut found);
        assert!(!found.is_empty(), "the document refers to its schemas");
        let dangling: Vec<&String> = found
            .iter()
            .filter(|target| {
                let name = target.trim_start_matches("#/components/schemas/");
                json["components"]["schemas"].get(name).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "undefined schemas: {dangling:?}");
    }

    #[test]
    fn a_new_post_is_documented_as_its_integration_the_auto_fix_switch_and_the_post() {
        let json = document();
        let create = &json["components"]["schemas"]["CreatePost"];
        for field in ["integration_id", "auto_fix", "kind", "caption", "media"] {
            assert!(
                create["properties"].get(field).is_some(),
                "{field} is missing from {create}"
            );
        }
        assert!(create.get("allOf").is_none(), "one flat object: {create}");
        let required = create["required"].to_string();
        assert!(required.contains("integration_id"), "{required}");
    }

    #[test]
    fn every_api_key_operation_documents_the_common_errors() {
        let json = document();
        let mut checked = 0;
        for (path, item) in json["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                if operation["security"].as_array().is_none_or(Vec::is_empty) {
                    continue;
                }
                for (status, _) in COMMON_ERRORS {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} does not document {status}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 10, "only {checked} secured operations");
    }
}
