//! The dashboard's static files (vendored htmx, our script and stylesheet), compiled into the
//! binary so it runs offline and needs no CDN.
//!
//! Pages link them as `/assets/{name}?v={hash}`: a URL with the current content hash is cached
//! for a year (`immutable`), so a new build's files are fetched at once and nothing is fetched
//! twice; any other URL is revalidated with the ETag.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::http::state::AppState;

/// One embedded file.
#[derive(Debug)]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every file served under `/assets/`.
const ASSETS: [Asset; 4] = [
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/htmx.min.js"),
    },
    Asset {
        name: "htmx.LICENSE",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../../assets/htmx.LICENSE"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../assets/app.css"),
    },
];

/// A year: the longest lifetime caches honour, for URLs that change with the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For URLs without the current version: keep, but ask again before use.
const REVALIDATE: &str = "public, no-cache";

/// The first 16 hex digits of each asset's SHA-256, in [`ASSETS`] order.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = hex::encode(Sha256::digest(asset.bytes));
            digest.get(..16).unwrap_or(&digest).to_owned()
        })
        .collect()
});

/// The versioned URLs pages link to.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    /// The stylesheet.
    pub css: String,
    /// htmx.
    pub htmx: String,
    /// The dashboard's own script.
    pub app: String,
}

/// The URLs of the current build's assets.
pub static ASSET_URLS: LazyLock<AssetUrls> = LazyLock::new(|| AssetUrls {
    css: url("app.css"),
    htmx: url("htmx.min.js"),
    app: url("app.js"),
});

/// `/assets/{name}?v={hash}` for a known asset (the bare path for an unknown one, which 404s).
pub fn url(name: &str) -> String {
    match position(name).and_then(|index| HASHES.get(index)) {
        Some(hash) => format!("/assets/{name}?v={hash}"),
        None => format!("/assets/{name}"),
    }
}

fn position(name: &str) -> Option<usize> {
    ASSETS.iter().position(|asset| asset.name == name)
}

/// `GET /assets/{name}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(serve))
}

#[derive(Debug, Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(
    Path(name): Path<String>,
    version: Result<Query<Version>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Some(index) = position(&name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let (Some(asset), Some(hash)) = (ASSETS.get(index), HASHES.get(index)) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{hash}\"");
    let current = version
        .ok()
        .and_then(|Query(version)| version.v)
        .is_some_and(|v| v == *hash);
    let cache = if current { IMMUTABLE } else { REVALIDATE };
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(CONTENT_TYPE, HeaderValue::from_static(asset.content_type))],
            asset.bytes,
        )
            .into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response_headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(ETAG, value);
    }
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == etag || tag == "*" || tag.strip_prefix("W/") == Some(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_url_carries_its_content_hash() {
        for asset in &ASSETS {
            let url = url(asset.name);
            let hash = url.split("?v=").nth(1).unwrap_or_default();
            assert_eq!(hash.len(), 16, "{url}");
            let digest = hex::encode(Sha256::digest(asset.bytes));
            assert!(digest.starts_with(hash), "{url}");
        }
    }

    #[test]
    fn vendored_htmx_is_version_2() {
        let text = String::from_utf8_lossy(include_bytes!("../../../assets/htmx.min.js"));
        assert!(text.contains("version:\"2."), "htmx 2.x is vendored");
    }

    #[test]
    fn a_matching_etag_or_a_star_means_not_modified() {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(if_none_match(&headers, "\"a\""));
        assert!(if_none_match(&headers, "\"b\""));
        assert!(!if_none_match(&headers, "\"c\""));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(if_none_match(&headers, "\"c\""));
    }
}
