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

/// The whole document: every area's paths and schemas merged into the service's.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ServiceApi::openapi();
    document.merge(super::integrations::IntegrationsApi::openapi());
    document.merge(super::posts::PostsApi::openapi());
    document.merge(super::insights::InsightsApi::openapi());
    document.merge(super::media::MediaApi::openapi());
    document.merge(super::webhooks_out::WebhooksApi::openapi());
    document
}

/// `/openapi.json` and Swagger UI at `/docs`.
pub fn routes() -> Router<AppState> {
    SwaggerUi::new(DOCS_PATH)
        .url(OPENAPI_PATH, document())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_requires_the_declared_security_scheme_or_none() {
        let document = document();
        let schemes = document
            .components
            .as_ref()
            .map(|components| {
                components
                    .security_schemes
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        assert_eq!(schemes, vec![SECURITY_SCHEME.to_owned()]);
        let json = serde_json::to_value(&document).unwrap_or_default();
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
        let json = serde_json::to_value(document()).unwrap_or_default();
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
        let json = serde_json::to_value(document()).unwrap_or_default();
        let create = json["components"]["schemas"]["CreatePost"].to_string();
        for part in [
            "integration_id",
            "auto_fix",
            "#/components/schemas/PostInput",
        ] {
            assert!(create.contains(part), "{part} is missing from {create}");
        }
    }
}
