//! Reading and setting the dashboard's cookies, with the attributes a session cookie needs:
//! `HttpOnly`, `SameSite`, and `Secure` (and the `__Host-` name prefix) when the service is
//! reached over https.

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use crate::config::Settings;

/// The cookie that holds the session secret over plain http (local development, the demo).
const SESSION_COOKIE: &str = "igpub_session";
/// Over https: `__Host-` makes the browser refuse it unless Secure, host-only and on `/`.
const SECURE_SESSION_COOKIE: &str = "__Host-igpub_session";
/// The sign-in form's double-submit token (no session exists yet to bind a CSRF token to).
pub(super) const SIGN_IN_COOKIE: &str = "igpub_sign_in";
/// The viewer's IANA time zone, written by `app.js` from `Intl`; not a secret.
pub(super) const TIME_ZONE_COOKIE: &str = "igpub_tz";

/// How cookies are set for this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CookiePolicy {
    secure: bool,
}

impl CookiePolicy {
    /// Secure cookies exactly when the public URL is https.
    pub(super) fn of(settings: &Settings) -> Self {
        Self {
            secure: settings
                .public_base_url
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("https://"),
        }
    }

    /// The session cookie's name.
    pub(super) fn session_name(self) -> &'static str {
        if self.secure {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    /// `Set-Cookie` for a cookie that lives `max_age_seconds` on `path`.
    pub(super) fn set(
        self,
        name: &'static str,
        value: &str,
        path: &'static str,
        same_site: SameSite,
        max_age_seconds: i64,
    ) -> Option<HeaderValue> {
        let cookie = Cookie::build((name, value))
            .path(path)
            .http_only(true)
            .secure(self.secure)
            .same_site(same_site)
            .max_age(cookie::time::Duration::seconds(max_age_seconds))
            .build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// `Set-Cookie` that deletes the cookie `name` on `path`.
    pub(super) fn remove(self, name: &'static str, path: &'static str) -> Option<HeaderValue> {
        self.set(name, "", path, SameSite::Lax, 0)
    }
}

/// The value of the request's cookie `name`, if it sent one.
pub(super) fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(url: &str) -> CookiePolicy {
        CookiePolicy::of(&Settings {
            public_base_url: url.to_owned(),
            ..Settings::default()
        })
    }

    #[test]
    fn over_https_the_session_cookie_is_secure_and_host_only() {
        let policy = policy("https://igpub.example");
        assert_eq!(policy.session_name(), "__Host-igpub_session");
        let header = policy
            .set(policy.session_name(), "v", "/", SameSite::Lax, 60)
            .unwrap_or_else(|| HeaderValue::from_static(""));
        let text = header.to_str().unwrap_or_default();
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(text.contains(attribute), "{text} lacks {attribute}");
        }
    }

    #[test]
    fn over_plain_http_the_session_cookie_is_not_marked_secure() {
        let policy = policy("http://127.0.0.1:8080");
        assert_eq!(policy.session_name(), "igpub_session");
        let header = policy
            .set(policy.session_name(), "v", "/", SameSite::Lax, 60)
            .unwrap_or_else(|| HeaderValue::from_static(""));
        let text = header.to_str().unwrap_or_default();
        assert!(text.contains("HttpOnly"), "{text}");
        assert!(!text.contains("Secure"), "{text}");
    }

    #[test]
    fn a_cookie_is_found_among_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; igpub_tz=Europe/Paris"),
        );
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(
            read(&headers, TIME_ZONE_COOKIE).as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(read(&headers, "b").as_deref(), Some("2"));
        assert_eq!(read(&headers, "missing"), None);
    }
}
