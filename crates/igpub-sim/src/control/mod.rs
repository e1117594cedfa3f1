//! The control API under `/__sim/` (not part of Meta's surface): create apps, users, Pages,
//! accounts and tokens; fail tokens; set faults; move the clock; read the ground truth; add
//! comments and send webhooks. Bodies are JSON; errors name the field and the rule.

pub mod ops;

use crate::auth::scopes::Scopes;
use crate::faults::FaultSpec;
use crate::server::json_response;
use crate::sim::SimError;
use crate::state::SimState;
use crate::truth::{NewAccount, TokenFailure, WebhookEvent};
use crate::world::Lifetime;
use crate::world::model::Status;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use ops::{id_field, invalid};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type Shared = State<Arc<SimState>>;

/// The `/__sim` routes.
pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/accounts", get(list_accounts).post(create_account))
        .route("/apps", get(list_apps).post(create_app))
        .route("/users", post(create_user))
        .route("/pages", post(create_page))
        .route("/tokens", post(create_token))
        .route("/tokens/expire", post(expire_token))
        .route("/tokens/revoke", post(revoke_token))
        .route("/faults", get(list_faults).delete(clear_faults))
        .route("/faults/{endpoint}", put(set_fault).delete(clear_fault))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/published", get(published))
        .route("/counters", get(counters))
        .route("/counters/reset", post(reset_counters))
        .route("/containers/{id}", get(container))
        .route("/comments", post(add_comment))
        .route("/webhooks/deliver", post(deliver_webhook))
        .route("/webhooks/verify", post(verify_webhook))
}

fn ok(body: Value) -> Response {
    json_response(200, &body)
}

fn failed(error: &SimError) -> Response {
    match error {
        SimError::Invalid { field, rule } => json_response(
            400,
            &json!({"error": {"field": field, "rule": rule, "message": format!("{field}: {rule}")}}),
        ),
        other => json_response(502, &json!({"error": {"message": other.to_string()}})),
    }
}

fn answer(result: Result<Value, SimError>) -> Response {
    match result {
        Ok(body) => ok(body),
        Err(error) => failed(&error),
    }
}

/// Reads a JSON body; an empty body is `{}`.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, SimError> {
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|error| invalid("body", error.to_string()))
}

async fn list_accounts(State(state): Shared) -> Response {
    let rows: Vec<Value> = ops::accounts(&state)
        .into_iter()
        .map(|account| {
            json!({
                "ig_user_id": account.ig_user_id,
                "username": account.username,
                "page_id": account.page_id,
                "page_token": account.page_token.expose_secret(),
                "user_token": account.user_token.expose_secret(),
                "app_id": account.app_id,
            })
        })
        .collect();
    ok(Value::Array(rows))
}

async fn create_account(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewAccount>(&bytes).and_then(|spec| {
        let account = ops::create_account(&state, &spec)?;
        Ok(json!({
            "ig_user_id": account.ig_user_id,
            "username": account.username,
            "page_id": account.page_id,
            "page_token": account.page_token.expose_secret(),
            "user_token": account.user_token.expose_secret(),
            "app_id": account.app_id,
        }))
    }))
}

async fn list_apps(State(state): Shared) -> Response {
    let world = state.world.lock();
    let mut apps: Vec<Value> = world
        .apps
        .values()
        .map(|app| {
            json!({
                "app_id": app.id.to_string(),
                "app_secret": app.secret,
                "name": app.name,
                "require_appsecret_proof": app.require_proof,
                "default": app.id == world.default_app,
            })
        })
        .collect();
    apps.sort_by_key(|app| app["app_id"].as_str().map(str::to_owned));
    ok(Value::Array(apps))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewApp {
    name: Option<String>,
    require_appsecret_proof: bool,
}

async fn create_app(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewApp>(&bytes).map(|spec| {
        let name = spec.name.unwrap_or_else(|| "Sim App".to_owned());
        let (id, secret) = ops::create_app(&state, &name, spec.require_appsecret_proof);
        json!({"app_id": id.to_string(), "app_secret": secret})
    }))
}

/// A permission list given as `"a,b"` or `["a","b"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum PermissionList {
    Text(String),
    List(Vec<String>),
}

fn scopes(list: Option<PermissionList>) -> Result<Option<Scopes>, SimError> {
    let text = match list {
        None => return Ok(None),
        Some(PermissionList::Text(text)) => text,
        Some(PermissionList::List(items)) => items.join(","),
    };
    Scopes::parse_list(&text).map(Some).map_err(|unknown| {
        invalid(
            "permissions",
            format!("{unknown} is not a known permission"),
        )
    })
}

fn optional_id(field: &str, text: Option<&str>) -> Result<Option<u64>, SimError> {
    text.map(|text| id_field(field, text)).transpose()
}

fn lifetime(text: Option<&str>) -> Result<Lifetime, SimError> {
    match text {
        None | Some("long") => Ok(Lifetime::Long),
        Some("short") => Ok(Lifetime::Short),
        Some(_) => Err(invalid("lifetime", "must be short or long")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewUser {
    name: Option<String>,
    permissions: Option<PermissionList>,
    app_id: Option<String>,
    lifetime: Option<String>,
}

async fn create_user(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewUser>(&bytes).and_then(|spec| {
        let grants = scopes(spec.permissions)?.unwrap_or_else(Scopes::all);
        let app = optional_id("app_id", spec.app_id.as_deref())?;
        let lifetime = lifetime(spec.lifetime.as_deref())?;
        let name = spec.name.unwrap_or_else(|| "Sim Person".to_owned());
        let (user, token, app) = ops::create_user(&state, &name, grants, app, lifetime)?;
        Ok(json!({"user_id": user.to_string(), "user_token": token, "app_id": app.to_string()}))
    }))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewPage {
    user_id: Option<String>,
    name: Option<String>,
    /// The linked Instagram account's username; no Instagram account when absent.
    instagram_username: Option<String>,
    followers: Option<u64>,
}

async fn create_page(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewPage>(&bytes).and_then(|spec| {
        let user = match optional_id("user_id", spec.user_id.as_deref())? {
            Some(user) => user,
            None => state.world.lock().default_user,
        };
        let name = spec.name.unwrap_or_else(|| "Sim Page".to_owned());
        let instagram = spec
            .instagram_username
            .as_deref()
            .map(|username| (username, spec.followers.unwrap_or(1000)));
        let (page, ig) = ops::create_page(&state, user, &name, instagram)?;
        Ok(json!({"page_id": page.to_string(), "ig_user_id": ig.map(|ig| ig.to_string())}))
    }))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewToken {
    user_id: Option<String>,
    app_id: Option<String>,
    lifetime: Option<String>,
    permissions: Option<PermissionList>,
    /// Ask for the Page token of this Page instead of the user token.
    page_id: Option<String>,
}

async fn create_token(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewToken>(&bytes).and_then(|spec| {
        let user = match optional_id("user_id", spec.user_id.as_deref())? {
            Some(user) => user,
            None => state.world.lock().default_user,
        };
        let app = optional_id("app_id", spec.app_id.as_deref())?;
        let page = optional_id("page_id", spec.page_id.as_deref())?;
        let lifetime = lifetime(spec.lifetime.as_deref())?;
        let token = ops::issue_token(&state, user, app, lifetime, scopes(spec.permissions)?, page)?;
        Ok(json!({"access_token": token}))
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenTarget {
    token: String,
    #[serde(default)]
    subcode: Option<i64>,
}

async fn expire_token(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<TokenTarget>(&bytes).and_then(|target| {
        let ended = ops::fail_token(&state, &target.token, TokenFailure::Expired)?;
        Ok(json!({"failed_tokens": ended, "subcode": 463}))
    }))
}

async fn revoke_token(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<TokenTarget>(&bytes).and_then(|target| {
        let subcode = target.subcode.unwrap_or(467);
        let failure = TokenFailure::from_subcode(subcode)
            .ok_or_else(|| invalid("subcode", "must be 463, 467, 460 or 458"))?;
        let ended = ops::fail_token(&state, &target.token, failure)?;
        Ok(json!({"failed_tokens": ended, "subcode": subcode}))
    }))
}

async fn list_faults(State(state): Shared) -> Response {
    ok(json!(state.faults.snapshot()))
}

async fn clear_faults(State(state): Shared) -> Response {
    state.faults.clear();
    ok(json!({"success": true}))
}

async fn set_fault(State(state): Shared, Path(endpoint): Path<String>, bytes: Bytes) -> Response {
    answer(body::<FaultSpec>(&bytes).and_then(|spec| {
        spec.validate().map_err(|rule| invalid("faults", rule))?;
        state.faults.set(&endpoint, spec);
        Ok(json!(state.faults.snapshot()))
    }))
}

async fn clear_fault(State(state): Shared, Path(endpoint): Path<String>) -> Response {
    state.faults.set(&endpoint, FaultSpec::default());
    ok(json!(state.faults.snapshot()))
}

async fn clock(State(state): Shared) -> Response {
    ok(json!({"now": state.clock.now_unix()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

async fn advance_clock(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<Advance>(&bytes).and_then(|advance| {
        if !(advance.seconds.is_finite() && advance.seconds >= 0.0 && advance.seconds < 3.2e9) {
            return Err(invalid(
                "seconds",
                "must be a number of seconds from 0 up to about a century",
            ));
        }
        state
            .clock
            .advance(Duration::from_secs_f64(advance.seconds));
        Ok(json!({"now": state.clock.now_unix()}))
    }))
}

async fn published(State(state): Shared) -> Response {
    ok(json!(ops::published(&state)))
}

async fn counters(State(state): Shared) -> Response {
    ok(json!(state.counters.snapshot()))
}

async fn reset_counters(State(state): Shared) -> Response {
    state.counters.reset();
    ok(json!({"success": true}))
}

async fn container(State(state): Shared, Path(id): Path<String>) -> Response {
    answer(id_field("id", &id).and_then(|id| {
        let now_ms = state.clock.now_ms();
        let world = state.world.lock();
        let found = world
            .containers
            .get(&id)
            .ok_or_else(|| invalid("id", "no such container"))?;
        let status = found.status(now_ms);
        let media = match found.phase {
            crate::world::model::Phase::Published { media } => Some(media.to_string()),
            _ => None,
        };
        Ok(json!({
            "id": id.to_string(),
            "owner": found.owner.to_string(),
            "status_code": status.code(),
            "error_subcode": match status { Status::Error(subcode) => Some(subcode), _ => None },
            "media_type": found.kind.media_type(),
            "media_product_type": found.kind.product_type(),
            "is_carousel_item": found.is_carousel_item,
            "children": found.children.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "created_unix": found.created_ms.div_euclid(1000),
            "media_id": media,
        }))
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewComment {
    media_id: String,
    text: String,
    #[serde(default)]
    from_username: Option<String>,
}

async fn add_comment(State(state): Shared, bytes: Bytes) -> Response {
    answer(body::<NewComment>(&bytes).and_then(|spec| {
        let from = spec
            .from_username
            .unwrap_or_else(|| "sim_commenter".to_owned());
        let added = ops::comment(&state, &spec.media_id, &spec.text, &from)?;
        Ok(json!({"id": added.id}))
    }))
}

#[derive(Deserialize)]
struct Delivery {
    #[serde(flatten)]
    event: WebhookEvent,
    #[serde(default)]
    callback_url: Option<String>,
}

async fn deliver_webhook(State(state): Shared, bytes: Bytes) -> Response {
    let request = match body::<Delivery>(&bytes) {
        Ok(request) => request,
        Err(error) => return failed(&error),
    };
    let delivered = ops::deliver(&state, &request.event, request.callback_url.as_deref()).await;
    answer(delivered.map(|status| json!({"status": status})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    verify_token: String,
    #[serde(default)]
    callback_url: Option<String>,
}

async fn verify_webhook(State(state): Shared, bytes: Bytes) -> Response {
    let request = match body::<Verify>(&bytes) {
        Ok(request) => request,
        Err(error) => return failed(&error),
    };
    let verified = ops::verify_webhook(
        &state,
        &request.verify_token,
        request.callback_url.as_deref(),
    )
    .await;
    answer(verified.map(|(status, echoed)| json!({"status": status, "challenge_echoed": echoed})))
}
