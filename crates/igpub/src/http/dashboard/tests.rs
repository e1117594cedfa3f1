//! The dashboard through its router, as a browser would talk to it (cookies, forms, htmx
//! headers), on an in-memory store: sessions, CSRF, tenant isolation and every page's core.
//! The full flow against real Chromium is in `tests/it/browser.rs`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, ETAG, IF_NONE_MATCH, LOCATION,
    SET_COOKIE,
};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use tower::ServiceExt;

use super::csrf;
use crate::config::Settings;
use crate::http::{AppState, router};
use crate::insights::{end_time_of_day, meta_today};
use crate::store::{
    AccountChoice, AccountMetricRow, IntegrationId, NewConnectSession, NewIntegration, PostFilter,
    SharedStore, Tenant,
};
use crate::vault::{KeyRing, Vault};

struct Harness {
    router: Router,
    store: SharedStore,
    tenant: Tenant,
    key: SecretString,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: impl axum::http::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
}

/// A signed-in browser: its cookie header and the page's CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temp dir: {e}"));
    let ring = KeyRing::from_setting(&KeyRing::generate_key())
        .unwrap_or_else(|e| panic!("a key ring: {e}"));
    let store = crate::store::connect("sqlite::memory:", Vault::new(ring))
        .await
        .unwrap_or_else(|e| panic!("a store: {e}"));
    let mut settings = Settings {
        public_base_url: "http://127.0.0.1:9".to_owned(),
        ..Settings::default()
    };
    settings.media.data_dir = dir.path().join("media");
    settings.meta.app_id = "1234".to_owned();
    settings.meta.app_secret = Some(SecretString::from("app-secret".to_owned()));
    settings.meta.graph_url = "http://127.0.0.1:9".to_owned();
    settings.meta.dialog_url = "http://127.0.0.1:9".to_owned();
    let settings = Arc::new(settings);
    let graph = crate::startup::graph_client(&settings).unwrap_or_else(|e| panic!("graph: {e}"));
    let state = AppState::build(store.clone(), settings, graph)
        .await
        .unwrap_or_else(|e| panic!("state: {e}"));
    let (tenant, key) = store
        .create_tenant("Acme")
        .await
        .unwrap_or_else(|e| panic!("a tenant: {e}"));
    Harness {
        router: router(state),
        store,
        tenant,
        key,
        _dir: dir,
    }
}

impl Harness {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("the router answers: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap_or_default();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, browser: Option<&Browser>) -> Answer {
        let mut request = Request::builder().uri(path);
        if let Some(browser) = browser {
            request = request.header(COOKIE, &browser.cookie);
        }
        self.send(request.body(Body::empty()).unwrap_or_default())
            .await
    }

    /// A url-encoded form POST; `_csrf` is added from the browser unless `token` overrides it.
    async fn post_form(
        &self,
        path: &str,
        browser: &Browser,
        fields: &[(&str, &str)],
        token: Option<&str>,
    ) -> Answer {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        body.append_pair("_csrf", token.unwrap_or(&browser.csrf));
        for (name, value) in fields {
            body.append_pair(name, value);
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(COOKIE, &browser.cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.finish()))
            .unwrap_or_default();
        self.send(request).await
    }

    /// An htmx POST: the token travels in the header, the fields in the body.
    async fn htmx_post(&self, path: &str, browser: &Browser, body: &str) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(COOKIE, &browser.cookie)
            .header("hx-request", "true")
            .header(csrf::HEADER, &browser.csrf)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap_or_default();
        self.send(request).await
    }

    async fn sign_in_with(&self, key: &str) -> Answer {
        let form = self.get("/app/sign-in", None).await;
        let token = cookie_value(&form.cookies(), "igpub_sign_in");
        assert!(form.body.contains(&token), "the form echoes its token");
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("_csrf", &token)
            .append_pair("api_key", key)
            .append_pair("next", "")
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/app/sign-in")
            .header(COOKIE, format!("igpub_sign_in={token}"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap_or_default();
        self.send(request).await
    }

    async fn sign_in(&self) -> Browser {
        let key = self.key.expose_secret().to_owned();
        self.browser_for(&key).await
    }

    async fn browser_for(&self, key: &str) -> Browser {
        let answer = self.sign_in_with(key).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let secret = cookie_value(&answer.cookies(), "igpub_session");
        Browser {
            cookie: format!("igpub_session={secret}"),
            csrf: csrf::token_for(&secret),
        }
    }

    async fn integration(&self, tenant: &Tenant, username: &str) -> IntegrationId {
        self.store
            .upsert_instagram_integration(
                tenant.id,
                NewIntegration {
                    ig_user_id: format!("1784{}", username.len()),
                    ig_username: username.to_owned(),
                    facebook_page_id: "1000".to_owned(),
                    page_token: SecretString::from("EAAB-page-token".to_owned()),
                    token_expires_at: None,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("an integration: {e}"))
            .id
    }
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

/// A composer form for a scheduled image post to `integration`, a day ahead in UTC.
fn image_post(integration: IntegrationId, caption: &str) -> Vec<(&'static str, String)> {
    let tomorrow = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(Timestamp::MAX)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    vec![
        ("integration_id", integration.to_string()),
        ("kind", "image".to_owned()),
        ("caption", caption.to_owned()),
        ("hashtags", "sun".to_owned()),
        ("media_url", "https://cdn.example.com/a.jpg".to_owned()),
        ("media_type", String::new()),
        ("media_alt", "A beach".to_owned()),
        ("when", "schedule".to_owned()),
        ("publish_local", tomorrow),
        ("time_zone", "UTC".to_owned()),
        ("idempotency_key", uuid::Uuid::new_v4().to_string()),
    ]
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

// ------------------------------------------------------------------ sessions and CSRF

#[tokio::test]
async fn signing_in_with_a_valid_key_sets_an_http_only_lax_session_cookie() {
    let app = harness().await;
    let answer = app.sign_in_with(app.key.expose_secret()).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(LOCATION), "/app/accounts");
    let session = answer
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("igpub_session="))
        .unwrap_or_default();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    assert!(
        !session.contains(app.key.expose_secret()),
        "the key is not the cookie"
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_without_a_session() {
    let app = harness().await;
    let answer = app.sign_in_with(&format!("igpub_{}", "x".repeat(43))).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("not valid"), "{}", answer.body);
    assert!(
        !answer
            .cookies()
            .iter()
            .any(|c| c.starts_with("igpub_session="))
    );
}

#[tokio::test]
async fn the_sign_in_form_is_refused_without_its_own_token() {
    let app = harness().await;
    let body = format!("_csrf=forged&api_key={}", app.key.expose_secret());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/app/sign-in")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap_or_default();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        !answer
            .cookies()
            .iter()
            .any(|c| c.starts_with("igpub_session="))
    );
}

#[tokio::test]
async fn pages_send_people_without_a_session_to_the_sign_in_form() {
    let app = harness().await;
    let page = app.get("/app/accounts", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.header(LOCATION), "/app/sign-in");
    let request = Request::builder()
        .uri("/app/accounts/00000000-0000-7000-8000-000000000000/live")
        .header("hx-request", "true")
        .body(Body::empty())
        .unwrap_or_default();
    let fragment = app.send(request).await;
    assert_eq!(fragment.header("hx-redirect"), "/app/sign-in");
}

#[tokio::test]
async fn a_form_without_this_session_s_token_is_refused() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let missing = app
        .post_form("/app/accounts/connect", &browser, &[], Some(""))
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let other = app.sign_in().await;
    let wrong = app
        .post_form("/app/accounts/connect", &browser, &[], Some(&other.csrf))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let right = app
        .post_form("/app/accounts/connect", &browser, &[], None)
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert!(
        right
            .header(LOCATION)
            .starts_with("http://127.0.0.1:9/v25.0/dialog/oauth"),
        "{}",
        right.header(LOCATION)
    );
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let out = app.post_form("/app/sign-out", &browser, &[], None).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.cookies().iter().any(|c| c.contains("Max-Age=0")));
    let after = app.get("/app/accounts", Some(&browser)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_are_private_never_framed_and_run_only_our_scripts() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let page = app.get("/app/accounts", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = page.header(CONTENT_SECURITY_POLICY);
    for part in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self' http://127.0.0.1:9",
    ] {
        assert!(policy.contains(part), "{policy} lacks {part}");
    }
    assert_eq!(page.header(CACHE_CONTROL), "no-store");
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("<main id=\"main\""));
    assert!(page.body.contains(&browser.csrf), "htmx gets the token");
}

#[tokio::test]
async fn assets_are_served_with_their_type_and_cached_by_version() {
    let app = harness().await;
    let url = super::assets::url("htmx.min.js");
    let first = app.get(&url, None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header(CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert!(first.header(CACHE_CONTROL).contains("immutable"));
    let etag = first.header(ETAG).to_owned();
    let request = Request::builder()
        .uri(&url)
        .header(IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(app.send(request).await.status, StatusCode::NOT_MODIFIED);
    let css = app.get("/assets/app.css", None).await;
    assert_eq!(css.header(CONTENT_TYPE), "text/css; charset=utf-8");
    assert_eq!(css.header(CACHE_CONTROL), "public, no-cache");
}

// ------------------------------------------------------------------ accounts

#[tokio::test]
async fn accounts_show_their_status_and_offer_reconnect_when_needed() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    app.store
        .mark_needs_reconnect(app.tenant.id, id, "Meta no longer accepts the token")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let browser = app.sign_in().await;
    let page = app.get("/app/accounts", Some(&browser)).await;
    assert!(page.body.contains("@sunny.shop"), "{}", page.body);
    assert!(page.body.contains("badge--needs-reconnect"));
    assert!(page.body.contains("Reconnect @sunny.shop"));
    assert!(page.body.contains("Meta no longer accepts the token"));
}

#[tokio::test]
async fn the_account_picker_lists_what_the_login_found() {
    let app = harness().await;
    let choice = |id: &str, name: &str| AccountChoice {
        ig_user_id: id.to_owned(),
        ig_username: Some(name.to_owned()),
        ig_name: None,
        profile_picture_url: None,
        facebook_page_id: "1".to_owned(),
        facebook_page_name: Some("Page".to_owned()),
    };
    let session = app
        .store
        .create_connect_session(
            app.tenant.id,
            NewConnectSession {
                meta_app_id: "1234".to_owned(),
                user_token: SecretString::from("EAAB-user".to_owned()),
                user_token_expires_at: None,
                choices: vec![choice("11", "first.acct"), choice("22", "second.acct")],
                return_to: None,
                ttl: std::time::Duration::from_secs(600),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let browser = app.sign_in().await;
    let landing = app
        .get(
            &format!(
                "/app/accounts/connected?igpub_connect=choose_account&session_id={}",
                session.id
            ),
            Some(&browser),
        )
        .await;
    assert_eq!(
        landing.header(LOCATION),
        format!("/app/accounts/choose/{}", session.id)
    );
    let picker = app.get(landing.header(LOCATION), Some(&browser)).await;
    assert!(
        picker.body.contains("Connect @first.acct"),
        "{}",
        picker.body
    );
    assert!(picker.body.contains("Connect @second.acct"));
    // Another tenant cannot open this picker.
    let (_, other_key) = app
        .store
        .create_tenant("Other")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let intruder = app.browser_for(other_key.expose_secret()).await;
    let denied = app.get(landing.header(LOCATION), Some(&intruder)).await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_failed_login_is_explained_in_words_that_cannot_inject_markup() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let page = app
        .get(
            "/app/accounts/connected?igpub_connect=error&error_code=login_cancelled&error_message=%3Cb%3Eyou%20cancelled%3C%2Fb%3E",
            Some(&browser),
        )
        .await;
    assert!(
        page.body
            .contains("Connecting did not work: &#60;b&#62;you cancelled"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>you cancelled"));
}

// ------------------------------------------------------------------ composer

#[tokio::test]
async fn the_counters_count_the_caption_with_its_hashtags() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let answer = app
        .htmx_post(
            "/app/compose/counters",
            &browser,
            "caption=Hello+%40anna+%23sun&hashtags=sun%2C+beach",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // "Hello @anna #sun\n\n#beach": 24 characters, 2 hashtags, 1 mention.
    assert!(
        answer.body.contains("24 / 2,200 characters"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("2 / 30 hashtags"));
    assert!(answer.body.contains("1 / 20 mentions"));
}

#[tokio::test]
async fn validation_shows_every_broken_rule_next_to_its_field() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let body = format!(
        "integration_id={id}&kind=carousel&caption={}&media_url=https%3A%2F%2Fcdn.example.com%2Fa.jpg&media_type=&media_alt=",
        "a".repeat(2_201)
    );
    let answer = app
        .htmx_post("/app/compose/validate", &browser, &body)
        .await;
    assert!(answer.body.contains("2 broken rules"), "{}", answer.body);
    let caption = answer
        .body
        .split("id=\"error-caption\"")
        .nth(1)
        .unwrap_or_default();
    assert!(caption.contains("2,201 characters"), "{}", answer.body);
    let media = answer
        .body
        .split("id=\"error-media\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        media
            .split("</div>")
            .next()
            .unwrap_or_default()
            .contains("carousel"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("hx-swap-oob"));
}

#[tokio::test]
async fn a_composed_post_is_created_and_its_page_shows_the_timeline() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let form = image_post(id, "Sunset over the bay");
    let created = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.header(LOCATION).to_owned();
    assert!(location.starts_with("/app/posts/"), "{location}");
    let page = app.get(&location, Some(&browser)).await;
    assert!(page.body.contains("chip--scheduled"), "{}", page.body);
    assert!(page.body.contains("id=\"timeline\""));
    assert!(page.body.contains("Sunset over the bay"));
    assert!(
        page.body.contains("id=\"cancel\""),
        "a scheduled post can be cancelled"
    );
    // The same form sent twice (a double click) makes one post.
    let again = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    assert_eq!(again.header(LOCATION), location);
}

#[tokio::test]
async fn an_invalid_post_comes_back_with_its_problems_and_nothing_is_stored() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let mut form = image_post(id, "Hi");
    form.retain(|(name, _)| *name != "media_url");
    form.push(("media_url", "ftp://cdn.example.com/a.jpg".to_owned()));
    let answer = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("Item 1 · url"), "{}", answer.body);
    assert!(
        answer.body.contains(">Hi</textarea>"),
        "the form keeps what was typed"
    );
    assert!(
        answer.body.contains("value=\"sun\""),
        "the form keeps what was typed"
    );
    let stored = app
        .store
        .list_posts(
            app.tenant.id,
            &PostFilter {
                limit: 10,
                ..PostFilter::default()
            },
        )
        .await
        .unwrap_or_default();
    assert!(stored.is_empty());
}

#[tokio::test]
async fn an_uploaded_image_comes_back_as_a_row_with_its_hosted_url() {
    let app = harness().await;
    let browser = app.sign_in().await;
    let jpeg = {
        let image = image::RgbImage::from_pixel(64, 80, image::Rgb([200, 80, 40]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes)
            .encode_image(&image)
            .unwrap_or_else(|e| panic!("{e}"));
        bytes
    };
    let boundary = "XyZboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/app/compose/upload")
        .header(COOKIE, &browser.cookie)
        .header(csrf::HEADER, &browser.csrf)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap_or_default();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.contains("value=\"http://127.0.0.1:9/media/"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("name=\"media_url\""));
    let uploads = app
        .store
        .list_media_uploads(app.tenant.id, None, 10)
        .await
        .unwrap_or_default();
    assert_eq!(uploads.len(), 1, "the upload is the tenant's");
}

// ------------------------------------------------------------------ queue, post page, isolation

#[tokio::test]
async fn the_queue_shows_the_week_with_chips_and_filters_by_state() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let form = image_post(id, "Queued caption");
    let created = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let tomorrow = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(Timestamp::MAX)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let week = app
        .get(&format!("/app/queue?week={tomorrow}"), Some(&browser))
        .await;
    assert!(week.body.contains("chip--scheduled"), "{}", week.body);
    assert!(week.body.contains("Queued caption"));
    let list = app
        .get(
            &format!("/app/queue?view=list&week={tomorrow}"),
            Some(&browser),
        )
        .await;
    assert!(list.body.contains("id=\"post-list\""), "{}", list.body);
    let failed_only = app
        .get(
            &format!("/app/queue?view=list&week={tomorrow}&state=failed"),
            Some(&browser),
        )
        .await;
    assert!(!failed_only.body.contains("Queued caption"));
}

#[tokio::test]
async fn another_tenant_s_post_does_not_exist_for_you() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let form = image_post(id, "Mine");
    let created = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    let location = created.header(LOCATION).to_owned();
    let (_, other_key) = app
        .store
        .create_tenant("Other")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let intruder = app.browser_for(other_key.expose_secret()).await;
    assert_eq!(
        app.get(&location, Some(&intruder)).await.status,
        StatusCode::NOT_FOUND
    );
    let cancel = app
        .post_form(&format!("{location}/cancel"), &intruder, &[], None)
        .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    let queue = app.get("/app/queue?view=list", Some(&intruder)).await;
    assert!(!queue.body.contains("Mine"));
}

#[tokio::test]
async fn cancelling_from_the_post_page_cancels_the_post() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let form = image_post(id, "Cancel me");
    let created = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    let location = created.header(LOCATION).to_owned();
    let cancelled = app
        .post_form(&format!("{location}/cancel"), &browser, &[], None)
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let page = app.get(&location, Some(&browser)).await;
    assert!(page.body.contains("chip--cancelled"), "{}", page.body);
    assert!(page.body.contains("id=\"edit-copy\""));
}

#[tokio::test]
async fn a_scheduled_post_is_edited_in_the_composer_it_was_made_with() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let browser = app.sign_in().await;
    let mut form = image_post(id, "First words");
    let created = app
        .post_form("/app/compose", &browser, &as_refs(&form), None)
        .await;
    let location = created.header(LOCATION).to_owned();
    let edit = app.get(&format!("{location}/edit"), Some(&browser)).await;
    // The stored caption is the one Meta receives: the hashtags are in it.
    assert!(
        edit.body.contains(">First words\n\n#sun</textarea>"),
        "{}",
        edit.body
    );
    assert!(edit.body.contains(&format!("action=\"{location}/edit\"")));
    for (name, value) in &mut form {
        if *name == "caption" {
            *value = "Better words".to_owned();
        }
    }
    let saved = app
        .post_form(&format!("{location}/edit"), &browser, &as_refs(&form), None)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = app.get(&location, Some(&browser)).await;
    assert!(page.body.contains("Better words"), "{}", page.body);
    assert!(!page.body.contains("First words"));
}

// ------------------------------------------------------------------ insights

#[tokio::test]
async fn the_insights_page_draws_stored_days_and_offers_the_csv() {
    let app = harness().await;
    let id = app.integration(&app.tenant, "sunny.shop").await;
    let today = meta_today(Timestamp::now());
    let rows: Vec<AccountMetricRow> = (2..6)
        .filter_map(|back| {
            let day = today.checked_sub(jiff::Span::new().days(back)).ok()?;
            Some(AccountMetricRow {
                tenant_id: app.tenant.id,
                integration_id: id,
                metric: "reach".to_owned(),
                served_by: "reach".to_owned(),
                period: "day".to_owned(),
                end_time: end_time_of_day(day)?,
                breakdown_key: String::new(),
                breakdown: None,
                value: Some(100 + back),
                raw: serde_json::json!({}),
            })
        })
        .collect();
    app.store
        .upsert_account_metrics(&rows)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let browser = app.sign_in().await;
    let page = app.get("/app/insights?days=7", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(
        page.body.contains("class=\"line-chart__line\""),
        "a drawn line for reach"
    );
    let csv = app
        .get(
            &format!("/app/insights/export.csv?integration={id}&days=7"),
            Some(&browser),
        )
        .await;
    assert_eq!(csv.header(CONTENT_TYPE), "text/csv; charset=utf-8");
    assert!(
        csv.header("content-disposition")
            .starts_with("attachment; filename=\"insights-sunny.shop-")
    );
    assert!(csv.body.starts_with("date,reach"), "{}", csv.body);
    assert!(
        csv.body.contains(",105,") || csv.body.contains(",104,"),
        "{}",
        csv.body
    );
}
