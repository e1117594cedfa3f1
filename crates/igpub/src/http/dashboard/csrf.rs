//! CSRF protection for every dashboard form.
//!
//! Each session has its own token, derived from the session secret by a one-way hash (so the
//! token in a page reveals nothing about the cookie, and nothing needs storing). Forms carry it
//! in a hidden `_csrf` field; htmx requests carry it in the `X-CSRF-Token` header, which the
//! layout sets for the whole page. A middleware checks one of them on every request that
//! changes something, before any handler runs. The sign-in form, which comes before any session,
//! is checked by the sign-in handler with a double-submit cookie instead.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cookies::{self, CookiePolicy};
use super::error::PageError;
use super::paths;
use crate::http::state::AppState;

/// The hidden form field that carries the token.
pub const FIELD: &str = "_csrf";
/// The header htmx requests carry the token in.
pub const HEADER: &str = "x-csrf-token";

/// The most of a url-encoded form read to find its token; forms are small.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Keeps tokens of different purposes apart even if a secret were ever reused.
const DOMAIN: &[u8] = b"igpub dashboard csrf v1\0";

/// The CSRF token of the session whose secret is `session_secret`.
pub(super) fn token_for(session_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(session_secret.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub(super) fn same_token(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// Refuses any state-changing request under `/app` that does not carry the session's token.
pub(super) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path() == paths::SIGN_IN {
        return next.run(request).await;
    }
    let policy = CookiePolicy::of(&state.settings);
    let Some(secret) = cookies::read(request.headers(), policy.session_name()) else {
        return PageError::SignedOut {
            htmx: is_htmx(request.headers()),
        }
        .into_response();
    };
    let expected = token_for(&secret);
    if let Some(presented) = header_token(request.headers()) {
        return if same_token(&expected, &presented) {
            next.run(request).await
        } else {
            PageError::StaleForm.into_response()
        };
    }
    if !is_url_encoded(request.headers()) {
        return PageError::StaleForm.into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return PageError::BadRequest("the form is larger than 1 MiB".to_owned()).into_response();
    };
    let presented = form_token(&bytes);
    if !presented.is_some_and(|presented| same_token(&expected, &presented)) {
        return PageError::StaleForm.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn header_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn is_url_encoded(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// The `_csrf` field of a url-encoded form body.
pub(super) fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned())
}

/// Whether the request came from htmx (it then wants `HX-Redirect`, not a 303).
pub(super) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_stable_per_session_and_differs_between_sessions() {
        assert_eq!(token_for("igpubs_a"), token_for("igpubs_a"));
        assert_ne!(token_for("igpubs_a"), token_for("igpubs_b"));
    }

    #[test]
    fn the_token_does_not_contain_the_secret() {
        let secret = "igpubs_secretsecretsecret";
        assert!(!token_for(secret).contains("secret"));
    }

    #[test]
    fn only_the_exact_token_passes() {
        let token = token_for("igpubs_a");
        assert!(same_token(&token, &token));
        assert!(!same_token(&token, &token[1..]));
        assert!(!same_token(&token, ""));
        assert!(!same_token("", ""));
    }

    #[test]
    fn the_token_is_read_from_the_form_body() {
        assert_eq!(
            form_token(b"caption=hi&_csrf=abc%2Bd&kind=image").as_deref(),
            Some("abc+d")
        );
        assert_eq!(form_token(b"caption=hi"), None);
    }
}
