//! What every page shares: the header with the navigation, the asset links, the CSRF token
//! for htmx, and the response headers that keep pages private and scripts our own.

use askama::Template;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::assets::{ASSET_URLS, AssetUrls};
use super::paths;
use super::session::Signed;
use crate::http::state::AppState;

/// One entry of the main navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    /// The section it opens (compared with [`Chrome::section`]).
    pub key: &'static str,
    /// Where it goes.
    pub href: &'static str,
    /// Its label.
    pub label: &'static str,
}

/// The main navigation, in order.
const NAV: [NavItem; 4] = [
    NavItem {
        key: "accounts",
        href: paths::ACCOUNTS,
        label: "Accounts",
    },
    NavItem {
        key: "compose",
        href: paths::COMPOSE,
        label: "Compose",
    },
    NavItem {
        key: "queue",
        href: paths::QUEUE,
        label: "Queue",
    },
    NavItem {
        key: "insights",
        href: paths::INSIGHTS,
        label: "Insights",
    },
];

/// The layout's part of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page title (before " · igpub").
    pub title: String,
    /// Which navigation entry is the current page (`""` for none).
    pub section: &'static str,
    /// The signed-in tenant's name; `None` on signed-out pages (no navigation then).
    pub tenant_name: Option<String>,
    /// The session's CSRF token, for forms and htmx (empty when signed out).
    pub csrf: String,
    /// The versioned asset URLs.
    pub assets: &'static AssetUrls,
}

impl Chrome {
    /// A signed-in page in `section`.
    pub fn signed_in(title: impl Into<String>, section: &'static str, signed: &Signed) -> Self {
        Self {
            title: title.into(),
            section,
            tenant_name: Some(signed.session.tenant.name.clone()),
            csrf: signed.csrf.clone(),
            assets: &ASSET_URLS,
        }
    }

    /// A page for someone not signed in (sign-in, errors).
    pub fn signed_out(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            section: "",
            tenant_name: None,
            csrf: String::new(),
            assets: &ASSET_URLS,
        }
    }

    /// The navigation entries.
    pub fn nav(&self) -> &'static [NavItem] {
        &NAV
    }

    /// The sign-out form's action.
    pub fn sign_out(&self) -> &'static str {
        paths::SIGN_OUT
    }
}

/// Renders `template` with `status`; a template that fails to render is logged and answered
/// with a plain 500.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a dashboard template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// [`render`] with 200.
pub fn page(template: &impl Template) -> Response {
    render(StatusCode::OK, template)
}

/// Headers on every dashboard page: private, never framed, scripts and styles only from us.
///
/// `form-action` names Facebook Login's origin too: Chrome applies it to the redirect that
/// follows the Connect form.
pub(super) async fn private_page_headers(
    State(state): State<AppState>,
    mut response: Response,
) -> Response {
    let dialog = url::Url::parse(&state.settings.meta.dialog_url)
        .ok()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' http: https: data:; \
         form-action 'self' {dialog}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
