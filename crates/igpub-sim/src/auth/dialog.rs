//! The Facebook Login dialog, `/{ver}/dialog/oauth`: a real consent page listing the user's
//! Pages and the permissions asked, with Allow and Cancel; then the redirect with `code` and
//! `state` or with `error=access_denied` (shared/graph-api.md §5.1).

use super::scopes::Scopes;
use crate::graph::request::Verb;
use crate::state::SimState;
use crate::world::World;
use crate::world::model::AuthCode;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use std::collections::BTreeMap;
use url::Url;

/// One Page on the consent page.
struct PageRow {
    name: String,
    instagram: Option<String>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in with Facebook</title></head>
<body>
<main id="consent">
<h1>{{ app_name }} is requesting access</h1>
<p>Logged in as <strong id="user">{{ user_name }}</strong>.</p>
<h2>Pages</h2>
<ul id="pages">
{% for page in pages %}<li class="page">{{ page.name }}{% if let Some(ig) = page.instagram %} (Instagram: @{{ ig }}){% endif %}</li>
{% endfor %}</ul>
<h2>Permissions</h2>
<ul id="permissions">
{% for permission in permissions %}<li class="permission">{{ permission }}</li>
{% endfor %}</ul>
<form method="post" action="{{ action }}">
{% for (name, value) in hidden %}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
</form>
</main>
</body>
</html>"#
)]
struct ConsentPage {
    app_name: String,
    user_name: String,
    pages: Vec<PageRow>,
    permissions: Vec<&'static str>,
    action: String,
    hidden: Vec<(String, String)>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title></head>
<body><main id="error"><h1>{{ title }}</h1><p>{{ detail }}</p></main></body></html>"#
)]
struct ErrorPage {
    title: &'static str,
    detail: String,
}

fn error_page(title: &'static str, detail: String) -> ErrorPage {
    ErrorPage { title, detail }
}

fn render_error(page: ErrorPage) -> Response {
    match page.render() {
        Ok(html) => (StatusCode::BAD_REQUEST, Html(html)).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, page.title).into_response(),
    }
}

/// What the dialog was asked for, checked.
struct Request {
    app: u64,
    app_name: String,
    user: u64,
    redirect: Url,
    redirect_uri: String,
    state: Option<String>,
    requested: Scopes,
}

fn read(world: &World, params: &BTreeMap<String, String>) -> Result<Request, ErrorPage> {
    let app = params
        .get("client_id")
        .and_then(|id| id.trim().parse::<u64>().ok())
        .and_then(|id| world.apps.get(&id))
        .ok_or_else(|| {
            error_page(
                "Invalid App ID",
                "The provided app ID does not look like a valid app ID.".to_owned(),
            )
        })?;
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    let redirect = Url::parse(&redirect_uri)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| {
            error_page(
                "URL Blocked",
                "This redirect failed because the redirect URI is not a valid absolute URL."
                    .to_owned(),
            )
        })?;
    let requested = Scopes::parse_list(params.get("scope").map_or("", String::as_str))
        .map_err(|unknown| error_page("Invalid Scopes", format!("Invalid Scopes: {unknown}")))?
        .union(Scopes::of("public_profile").unwrap_or_default());
    let user = match params.get("sim_user") {
        Some(id) => id
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|id| world.users.contains_key(id))
            .ok_or_else(|| error_page("Unknown user", format!("sim_user {id} is not a user")))?,
        None => world.default_user,
    };
    Ok(Request {
        app: app.id,
        app_name: app.name.clone(),
        user,
        redirect,
        redirect_uri,
        state: params.get("state").cloned(),
        requested,
    })
}

/// Serves `GET` (the consent page, or at once the redirect in auto-approve mode) and `POST`
/// (the user's decision) of `/{ver}/dialog/oauth`.
pub fn run(
    state: &SimState,
    verb: Verb,
    version: u32,
    params: &BTreeMap<String, String>,
) -> Response {
    let mut world = state.world.lock();
    let request = match read(&world, params) {
        Ok(request) => request,
        Err(page) => return render_error(page),
    };
    let decision = match verb {
        Verb::Post => params.get("decision").map(String::as_str),
        _ if state.config.auto_approve_login => Some("allow"),
        _ => None,
    };
    match decision {
        Some("allow") => allow(&mut world, state.clock.now_ms(), request),
        Some(_) => deny(request),
        None => consent_page(&world, version, params, request),
    }
}

fn consent_page(
    world: &World,
    version: u32,
    params: &BTreeMap<String, String>,
    request: Request,
) -> Response {
    let user = world.users.get(&request.user);
    let pages = user
        .map(|user| user.pages.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|id| world.pages.get(id))
        .map(|page| PageRow {
            name: page.name.clone(),
            instagram: page
                .ig
                .and_then(|ig| world.accounts.get(&ig))
                .map(|account| account.username.clone()),
        })
        .collect();
    let hidden = ["client_id", "redirect_uri", "state", "scope", "sim_user"]
        .iter()
        .filter_map(|name| {
            params
                .get(*name)
                .map(|value| ((*name).to_owned(), value.clone()))
        })
        .collect();
    let page = ConsentPage {
        app_name: request.app_name,
        user_name: user.map(|user| user.name.clone()).unwrap_or_default(),
        pages,
        permissions: request.requested.names().collect(),
        action: format!("/v{version}.0/dialog/oauth"),
        hidden,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Issues a code for what the user grants of what was asked, and redirects with it.
fn allow(world: &mut World, now_ms: i64, request: Request) -> Response {
    // Logging in always grants the public profile.
    let grants = world
        .users
        .get(&request.user)
        .map(|user| user.grants)
        .unwrap_or_default()
        .union(Scopes::of("public_profile").unwrap_or_default());
    let scopes = request.requested.intersection(grants);
    let declined = request.requested.minus(grants);
    let code = world.ids.auth_code();
    world.codes.insert(
        code.clone(),
        AuthCode {
            app: request.app,
            user: request.user,
            redirect_uri: request.redirect_uri,
            scopes,
            declined,
            issued_ms: now_ms,
            used: false,
        },
    );
    let mut redirect = request.redirect;
    {
        let mut query = redirect.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    found(&redirect)
}

/// The cancel redirect, word for word (shared/graph-api.md §5.1).
fn deny(request: Request) -> Response {
    let mut redirect = request.redirect;
    {
        let mut query = redirect.query_pairs_mut();
        query.append_pair("error_reason", "user_denied");
        query.append_pair("error", "access_denied");
        query.append_pair("error_description", "Permissions error.");
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    found(&redirect)
}

/// A 302 to `url`, as Meta's dialog answers.
fn found(url: &Url) -> Response {
    (
        StatusCode::FOUND,
        [(http::header::LOCATION, url.as_str().to_owned())],
    )
        .into_response()
}
