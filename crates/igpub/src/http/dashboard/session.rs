//! Signing in with a tenant API key, the signed-in session every page needs, and signing out.
//!
//! The session secret lives in an `HttpOnly`, `SameSite=Lax` cookie (also `Secure`, with the
//! `__Host-` prefix, when the service is public over https); the store keeps only its hash.
//! The sign-in form itself is protected by a double-submit token: a random value in a
//! `SameSite=Strict` cookie that the form must echo.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::SameSite;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::cookies::{self, CookiePolicy, SIGN_IN_COOKIE};
use super::csrf;
use super::error::PageError;
use super::layout::{Chrome, render};
use super::paths;
use crate::http::state::AppState;
use crate::store::{DashboardSession, TenantId};

/// How long a sign-in lasts: a working day, then the key is asked for again.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// How long the sign-in form may stay open.
const SIGN_IN_FORM_SECONDS: i64 = 60 * 60;

/// A signed-in request: the session, and the CSRF token its pages embed.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The session (with its tenant).
    pub session: DashboardSession,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Signed {
    /// The signed-in tenant.
    pub fn tenant(&self) -> TenantId {
        self.session.tenant.id
    }
}

impl Signed {
    /// The live session named by the request's cookie, if any.
    async fn lookup(headers: &HeaderMap, state: &AppState) -> Result<Option<Self>, PageError> {
        let policy = CookiePolicy::of(&state.settings);
        let Some(secret) = cookies::read(headers, policy.session_name()) else {
            return Ok(None);
        };
        let session = state.store.dashboard_session(&secret).await?;
        Ok(session.map(|session| Self {
            session,
            csrf: csrf::token_for(&secret),
        }))
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let htmx = csrf::is_htmx(&parts.headers);
        Self::lookup(&parts.headers, state)
            .await?
            .ok_or(PageError::SignedOut { htmx })
    }
}

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    form_token: String,
    next: String,
    error: Option<&'static str>,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    api_key: SecretString,
    #[serde(rename = "_csrf", default)]
    form_token: String,
    #[serde(default)]
    next: String,
}

/// `GET /app/sign-in`: the form (or straight on when already signed in).
pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SignInQuery>, QueryRejection>,
) -> Response {
    let next = query
        .ok()
        .and_then(|Query(query)| query.next)
        .filter(|next| paths::is_safe_return(next))
        .unwrap_or_default();
    let signed = match Signed::lookup(&headers, &state).await {
        Ok(signed) => signed,
        Err(error) => return error.into_response(),
    };
    if signed.is_some() {
        return see_other(if next.is_empty() {
            paths::ACCOUNTS
        } else {
            &next
        });
    }
    sign_in_form(&state, StatusCode::OK, next, None)
}

/// `POST /app/sign-in`: checks the key and opens a session.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return PageError::BadRequest("the sign-in form is incomplete".to_owned()).into_response();
    };
    let next = Some(form.next)
        .filter(|next| paths::is_safe_return(next))
        .unwrap_or_default();
    let expected = cookies::read(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !csrf::same_token(&expected, &form.form_token) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            next,
            Some("The sign-in form expired; enter the key again."),
        );
    }
    // Abandoned sessions are useless; dropping them here keeps the table small without a job.
    if let Err(error) = state.store.delete_expired_dashboard_sessions().await {
        return PageError::from(error).into_response();
    }
    let key = form.api_key.expose_secret().trim();
    let opened = match state.store.open_dashboard_session(key, SESSION_TTL).await {
        Ok(opened) => opened,
        Err(error) => return PageError::from(error).into_response(),
    };
    let Some((session, secret)) = opened else {
        return sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            next,
            Some("That API key is not valid: it is unknown or was revoked."),
        );
    };
    tracing::info!(tenant_id = %session.tenant.id, "signed in to the dashboard");
    let policy = CookiePolicy::of(&state.settings);
    let mut response = see_other(if next.is_empty() {
        paths::ACCOUNTS
    } else {
        &next
    });
    let max_age = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
    let cookies = [
        policy.set(
            policy.session_name(),
            secret.expose_secret(),
            "/",
            SameSite::Lax,
            max_age,
        ),
        policy.remove(SIGN_IN_COOKIE, paths::SIGN_IN),
    ];
    for cookie in cookies.into_iter().flatten() {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// `POST /app/sign-out`: ends the session (the CSRF layer has checked the form).
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let policy = CookiePolicy::of(&state.settings);
    if let Some(secret) = cookies::read(&headers, policy.session_name())
        && let Err(error) = state.store.close_dashboard_session(&secret).await
    {
        return PageError::from(error).into_response();
    }
    let mut response = see_other(paths::SIGN_IN);
    if let Some(cookie) = policy.remove(policy.session_name(), "/") {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

fn sign_in_form(
    state: &AppState,
    status: StatusCode,
    next: String,
    error: Option<&'static str>,
) -> Response {
    let token = random_token();
    let page = SignInPage {
        chrome: Chrome::signed_out("Sign in"),
        form_token: token.clone(),
        next,
        error,
    };
    let mut response = render(status, &page);
    let policy = CookiePolicy::of(&state.settings);
    if let Some(cookie) = policy.set(
        SIGN_IN_COOKIE,
        &token,
        paths::SIGN_IN,
        SameSite::Strict,
        SIGN_IN_FORM_SECONDS,
    ) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// 256 random bits, base64url.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A 303 to `location` (a path of ours).
pub(super) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
        Err(_) => PageError::Internal(format!("{location:?} is not a Location")).into_response(),
    }
}
