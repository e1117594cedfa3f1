//! `GET /oauth/access_token` (code exchange and `fb_exchange_token`) and `GET /debug_token`
//! (shared/graph-api.md §5.1–5.3).

use super::scopes::Scopes;
use super::tokens::{authenticate, expired_token, revoked_token, unparsable_token};
use crate::error::MetaError;
use crate::graph::Answer;
use crate::graph::request::GraphCall;
use crate::state::SimState;
use crate::usage::UsageKeys;
use crate::world::model::{Token, TokenKind};
use crate::world::{LONG_LIVED_MS, Lifetime, SHORT_LIVED_MS, World};
use serde_json::{Map, Value, json};

/// A login code is good for ten minutes (shared/graph-api.md §5.1).
pub const CODE_LIFETIME_MS: i64 = 10 * 60_000;

fn oauth_error(code: i64, message: &str) -> MetaError {
    MetaError::new(code, message)
}

/// Checks `client_id` and `client_secret`, returning the app id.
fn client_app(world: &World, call: &GraphCall) -> Result<u64, MetaError> {
    let client_id = call
        .non_empty("client_id")
        .ok_or_else(|| oauth_error(101, "Missing client_id parameter."))?;
    let app = client_id
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| world.apps.get(&id))
        .ok_or_else(|| oauth_error(101, "Error validating application. Invalid application ID."))?;
    let secret = call
        .non_empty("client_secret")
        .ok_or_else(|| oauth_error(1, "Missing client_secret parameter."))?;
    if secret != app.secret {
        return Err(oauth_error(1, "Error validating client secret."));
    }
    Ok(app.id)
}

fn token_answer(token: &str, lifetime_ms: i64) -> Value {
    json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": lifetime_ms / 1000,
    })
}

/// `GET /{ver}/oauth/access_token`.
pub fn access_token(state: &SimState, call: &GraphCall) -> Answer {
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let app = match client_app(&world, call) {
        Ok(app) => app,
        Err(error) => return Answer::plain(Err(error), None),
    };
    drop(world);
    let keys = UsageKeys {
        app: Some(app),
        ..UsageKeys::default()
    };
    if let Err(error) = state.usage.admit(now_ms, keys, 1) {
        return Answer::plain(Err(error), Some(app));
    }
    world = state.world.lock();
    let result = if call.param("grant_type") == Some("fb_exchange_token") {
        exchange_token(&mut world, call, app, now_ms)
    } else {
        exchange_code(&mut world, call, app, now_ms)
    };
    Answer::plain(result, Some(app))
}

/// Code → short-lived user token. The code is single-use, expires after ten minutes and needs
/// the dialog's exact `redirect_uri` (shared/graph-api.md §5.1).
fn exchange_code(
    world: &mut World,
    call: &GraphCall,
    app: u64,
    now_ms: i64,
) -> Result<Value, MetaError> {
    let redirect_uri = call
        .param("redirect_uri")
        .ok_or_else(|| oauth_error(191, "Missing redirect_uri parameter."))?;
    let code = call
        .non_empty("code")
        .ok_or_else(|| MetaError::missing_parameter("code"))?;
    let entry = world
        .codes
        .get_mut(code)
        .filter(|entry| entry.app == app)
        .ok_or_else(|| MetaError::new(100, "Invalid verification code format."))?;
    if entry.used {
        return Err(MetaError::new(100, "This authorization code has been used.").subcode(36009));
    }
    if now_ms - entry.issued_ms > CODE_LIFETIME_MS {
        return Err(MetaError::new(100, "This authorization code has expired.").subcode(36007));
    }
    if entry.redirect_uri != redirect_uri {
        return Err(MetaError::new(
            100,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )
        .subcode(36008));
    }
    entry.used = true;
    let (user, scopes, declined) = (entry.user, entry.scopes, entry.declined);
    let token = world.issue_user_token(user, app, scopes, declined, Lifetime::Short, now_ms);
    Ok(token_answer(&token, SHORT_LIVED_MS))
}

/// Short-lived user token → long-lived one, ~60 days (shared/graph-api.md §5.2).
fn exchange_token(
    world: &mut World,
    call: &GraphCall,
    app: u64,
    now_ms: i64,
) -> Result<Value, MetaError> {
    let short = call
        .non_empty("fb_exchange_token")
        .ok_or_else(|| MetaError::missing_parameter("fb_exchange_token"))?;
    let caller = authenticate(world, Some(short), now_ms)?;
    let record = world
        .tokens
        .get(short)
        .cloned()
        .ok_or_else(unparsable_token)?;
    let TokenKind::User { user } = record.kind else {
        return Err(MetaError::invalid_parameter(
            "fb_exchange_token must be a user access token",
        ));
    };
    if caller.app != app {
        return Err(MetaError::new(
            190,
            "Error validating access token: The token was issued for another application.",
        ));
    }
    let token = world.issue_user_token(
        user,
        app,
        record.scopes,
        record.declined,
        Lifetime::Long,
        now_ms,
    );
    Ok(token_answer(&token, LONG_LIVED_MS))
}

/// `GET /debug_token?input_token=…` (shared/graph-api.md §5.3).
pub fn debug_token(state: &SimState, call: &GraphCall) -> Answer {
    let now_ms = state.clock.now_ms();
    let world = state.world.lock();
    let caller = match authenticate(&world, call.token.as_deref(), now_ms) {
        Ok(caller) => caller,
        Err(error) => return Answer::plain(Err(error), None),
    };
    let app = Some(caller.app);
    let Some(input) = call.non_empty("input_token") else {
        return Answer::plain(Err(MetaError::missing_parameter("input_token")), app);
    };
    let data = inspect(&world, input, now_ms);
    drop(world);
    let keys = UsageKeys {
        app,
        ..UsageKeys::default()
    };
    if let Err(error) = state.usage.admit(now_ms, keys, 1) {
        return Answer::plain(Err(error), app);
    }
    Answer::plain(Ok(json!({ "data": data })), app)
}

/// What debug_token says about one token.
fn inspect(world: &World, input: &str, now_ms: i64) -> Value {
    if let Some((app_id, secret)) = input.split_once('|') {
        let app = app_id
            .parse::<u64>()
            .ok()
            .and_then(|id| world.apps.get(&id));
        if let Some(app) = app.filter(|app| app.secret == secret) {
            return json!({
                "app_id": app.id.to_string(),
                "type": "APP",
                "application": app.name,
                "is_valid": true,
                "scopes": [],
            });
        }
    }
    let Some(record) = world.tokens.get(input) else {
        return json!({
            "error": {"code": 190, "message": "The access token could not be decrypted"},
            "is_valid": false,
            "scopes": [],
        });
    };
    describe(world, record, now_ms)
}

fn describe(world: &World, record: &Token, now_ms: i64) -> Value {
    let application = world
        .apps
        .get(&record.app)
        .map_or("", |app| app.name.as_str());
    let (kind, user, page) = match record.kind {
        TokenKind::User { user } => ("USER", user, None),
        TokenKind::Page { page, user } => ("PAGE", user, Some(page)),
    };
    let problem = if let Some(revocation) = record.revoked {
        Some(revoked_token(revocation, record.app))
    } else {
        record
            .expires_ms
            .filter(|expires| *expires <= now_ms)
            .map(|expires| expired_token(expires, now_ms))
    };
    let mut data = Map::new();
    data.insert("app_id".into(), json!(record.app.to_string()));
    data.insert("type".into(), json!(kind));
    data.insert("application".into(), json!(application));
    data.insert(
        "data_access_expires_at".into(),
        json!(record.data_access_expires_ms / 1000),
    );
    // graph-api.md §5.2: 0 means the token never expires.
    data.insert(
        "expires_at".into(),
        json!(record.expires_ms.map_or(0, |ms| ms / 1000)),
    );
    data.insert("is_valid".into(), json!(problem.is_none()));
    data.insert("issued_at".into(), json!(record.issued_ms / 1000));
    data.insert(
        "scopes".into(),
        json!(record.scopes.names().collect::<Vec<_>>()),
    );
    data.insert(
        "granular_scopes".into(),
        granular_scopes(world, record.scopes, user, page),
    );
    data.insert("user_id".into(), json!(user.to_string()));
    if let Some(page) = page {
        data.insert("profile_id".into(), json!(page.to_string()));
    }
    if let Some(problem) = problem {
        let mut error = json!({"code": problem.code, "message": problem.message});
        if let (Some(subcode), Some(object)) = (problem.subcode, error.as_object_mut()) {
            object.insert("subcode".into(), json!(subcode));
        }
        data.insert("error".into(), error);
    }
    Value::Object(data)
}

/// Page and IG permissions name the objects they cover (shared/graph-api.md §5.3).
fn granular_scopes(world: &World, scopes: Scopes, user: u64, page: Option<u64>) -> Value {
    let pages: Vec<u64> = match page {
        Some(page) => vec![page],
        None => world
            .users
            .get(&user)
            .map(|u| u.pages.clone())
            .unwrap_or_default(),
    };
    let igs: Vec<String> = pages
        .iter()
        .filter_map(|page| world.pages.get(page).and_then(|p| p.ig))
        .map(|ig| ig.to_string())
        .collect();
    let page_ids: Vec<String> = pages.iter().map(ToString::to_string).collect();
    let entries: Vec<Value> = scopes
        .names()
        .filter(|name| *name != "public_profile")
        .map(|name| {
            if name.starts_with("pages_") {
                json!({"scope": name, "target_ids": page_ids})
            } else if matches!(name, "instagram_basic" | "instagram_content_publish") {
                json!({"scope": name, "target_ids": igs})
            } else {
                json!({"scope": name})
            }
        })
        .collect();
    Value::Array(entries)
}
