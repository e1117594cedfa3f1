//! The control operations, shared by `/__sim/` and the in-process [`crate::SimHandle`].

use crate::auth::scopes::Scopes;
use crate::clock::graph_timestamp;
use crate::graph::edges::add_comment;
use crate::graph::nodes::permalink;
use crate::ids::IdKind;
use crate::sim::SimError;
use crate::state::SimState;
use crate::truth::{
    NewAccount, PublishedChild, PublishedMedia, SeededAccount, TokenFailure, WebhookEvent,
};
use crate::webhooks;
use crate::world::model::{Revocation, TokenKind};
use crate::world::seed::Listed;
use crate::world::{Lifetime, World};
use secrecy::SecretString;
use std::collections::BTreeMap;

/// A control input that breaks a rule.
pub fn invalid(field: &str, rule: impl Into<String>) -> SimError {
    SimError::Invalid {
        field: field.to_owned(),
        rule: rule.into(),
    }
}

/// Parses a numeric id field.
pub fn id_field(field: &str, text: &str) -> Result<u64, SimError> {
    text.trim()
        .parse()
        .map_err(|_| invalid(field, "must be a numeric id"))
}

/// The listed accounts with their credentials.
pub fn accounts(state: &SimState) -> Vec<SeededAccount> {
    let world = state.world.lock();
    world.listed.iter().map(|row| seeded(&world, row)).collect()
}

fn seeded(world: &World, row: &Listed) -> SeededAccount {
    let secret = world
        .apps
        .get(&row.app_id)
        .map(|app| app.secret.clone())
        .unwrap_or_default();
    SeededAccount {
        ig_user_id: row.ig_user_id.to_string(),
        username: row.username.clone(),
        page_id: row.page_id.to_string(),
        page_token: SecretString::from(row.page_token.to_string()),
        user_token: SecretString::from(row.user_token.to_string()),
        app_id: row.app_id.to_string(),
        app_secret: SecretString::from(secret),
    }
}

/// Every media really published, per IG user id, oldest first.
pub fn published(state: &SimState) -> BTreeMap<String, Vec<PublishedMedia>> {
    let world = state.world.lock();
    let mut truth = BTreeMap::new();
    for account in world.accounts.values() {
        let media: Vec<PublishedMedia> = account
            .media
            .iter()
            .filter_map(|id| world.media.get(id).map(|media| (*id, media)))
            .map(|(id, media)| PublishedMedia {
                media_id: id.to_string(),
                container_id: media.container.to_string(),
                caption: media.caption.as_deref().map(str::to_owned),
                media_type: media.kind.media_type().to_owned(),
                media_product_type: media.kind.product_type().to_owned(),
                children: media
                    .children
                    .iter()
                    .filter_map(|child| world.media.get(child).map(|found| (*child, found)))
                    .map(|(child, found)| PublishedChild {
                        media_id: child.to_string(),
                        container_id: found.container.to_string(),
                        media_type: found.kind.media_type().to_owned(),
                    })
                    .collect(),
                published_unix: media.published_ms.div_euclid(1000),
                timestamp: graph_timestamp(media.published_ms),
                permalink: permalink(id, media.kind, &account.username),
            })
            .collect();
        truth.insert(account.id.to_string(), media);
    }
    truth
}

/// Makes a token stop working, the way `failure` does at Meta. Returns how many tokens stopped.
pub fn fail_token(state: &SimState, token: &str, failure: TokenFailure) -> Result<usize, SimError> {
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let ended = match failure {
        TokenFailure::Expired => usize::from(world.expire(token, now_ms)),
        TokenFailure::LoggedOut => world.revoke(token, Revocation::LoggedOut),
        TokenFailure::PasswordChanged => world.revoke(token, Revocation::PasswordChanged),
        TokenFailure::AppRemoved => world.revoke(token, Revocation::AppRemoved),
    };
    if ended == 0 {
        return Err(invalid(
            "token",
            "is not a token the simulator issued, or already failed",
        ));
    }
    Ok(ended)
}

/// A new app; returns (app id, secret).
pub fn create_app(state: &SimState, name: &str, require_proof: bool) -> (u64, String) {
    let mut world = state.world.lock();
    let id = world.create_app(name, require_proof);
    let secret = world
        .apps
        .get(&id)
        .map(|app| app.secret.clone())
        .unwrap_or_default();
    (id, secret)
}

/// A new user who grants `grants` at the consent page, with a user token for `app` carrying
/// those grants. Returns (user id, token, app id).
pub fn create_user(
    state: &SimState,
    name: &str,
    grants: Scopes,
    app: Option<u64>,
    lifetime: Lifetime,
) -> Result<(u64, String, u64), SimError> {
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let app = app.unwrap_or(world.default_app);
    if !world.apps.contains_key(&app) {
        return Err(invalid("app_id", "no such app"));
    }
    let user = world.create_user(name, grants);
    let token = world.issue_user_token(user, app, grants, Scopes::NONE, lifetime, now_ms);
    Ok((user, token.to_string(), app))
}

/// A new Page of `user`, with an Instagram account when `username` is given. Returns
/// (page id, IG user id).
pub fn create_page(
    state: &SimState,
    user: u64,
    name: &str,
    instagram: Option<(&str, u64)>,
) -> Result<(u64, Option<u64>), SimError> {
    let mut world = state.world.lock();
    let page = world
        .create_page(user, name)
        .ok_or_else(|| invalid("user_id", "no such user"))?;
    let ig = match instagram {
        Some((username, followers)) => Some(
            world
                .create_ig_account(page, username, followers)
                .map_err(|rule| invalid("username", rule))?,
        ),
        None => None,
    };
    Ok((page, ig))
}

/// A new Page and Instagram account for a user, listed like the seeded ones, with that user's
/// first live token for the default app (a fresh long-lived one if none).
pub fn create_account(state: &SimState, spec: &NewAccount) -> Result<SeededAccount, SimError> {
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let user = match &spec.user_id {
        Some(text) => id_field("user_id", text)?,
        None => world.default_user,
    };
    if !world.users.contains_key(&user) {
        return Err(invalid("user_id", "no such user"));
    }
    let username = match &spec.username {
        Some(name) => name.clone(),
        None => format!("sim_account_{}", world.listed.len() + 1),
    };
    let valid_name = !username.is_empty()
        && username.len() <= 30
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid_name {
        return Err(invalid(
            "username",
            "must be 1–30 letters, digits, '_' or '.'",
        ));
    }
    let page = world
        .create_page(user, &format!("{username} Page"))
        .ok_or_else(|| invalid("user_id", "no such user"))?;
    let ig = world
        .create_ig_account(page, &username, spec.followers.unwrap_or(1000))
        .map_err(|rule| invalid("username", rule))?;
    let app = world.default_app;
    let user_token = live_user_token(&world, user, app, now_ms).unwrap_or_else(|| {
        let grants = world.users.get(&user).map(|u| u.grants).unwrap_or_default();
        world.issue_user_token(user, app, grants, Scopes::NONE, Lifetime::Long, now_ms)
    });
    let page_token = world.page_token(&user_token, page).ok_or_else(|| {
        invalid(
            "user_id",
            "the user has no token to derive a Page token from",
        )
    })?;
    let row = Listed {
        ig_user_id: ig,
        username,
        page_id: page,
        page_token,
        user_token,
        app_id: app,
    };
    let account = seeded(&world, &row);
    world.listed.push(row);
    Ok(account)
}

fn live_user_token(world: &World, user: u64, app: u64, now_ms: i64) -> Option<std::sync::Arc<str>> {
    world
        .tokens
        .iter()
        .filter(|(_, token)| {
            token.kind == TokenKind::User { user }
                && token.app == app
                && token.revoked.is_none()
                && token.expires_ms.is_none_or(|expires| expires > now_ms)
        })
        .max_by_key(|(_, token)| token.expires_ms)
        .map(|(key, _)| key.clone())
}

/// A new token: a user token of `user` (short- or long-lived), or the Page token that user
/// token yields for `page`.
pub fn issue_token(
    state: &SimState,
    user: u64,
    app: Option<u64>,
    lifetime: Lifetime,
    scopes: Option<Scopes>,
    page: Option<u64>,
) -> Result<String, SimError> {
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let app = app.unwrap_or(world.default_app);
    if !world.apps.contains_key(&app) {
        return Err(invalid("app_id", "no such app"));
    }
    let grants = world
        .users
        .get(&user)
        .map(|found| found.grants)
        .ok_or_else(|| invalid("user_id", "no such user"))?;
    let scopes = scopes.unwrap_or(grants);
    let user_token = world.issue_user_token(user, app, scopes, Scopes::NONE, lifetime, now_ms);
    match page {
        None => Ok(user_token.to_string()),
        Some(page) => {
            let manages = world
                .users
                .get(&user)
                .is_some_and(|u| u.pages.contains(&page));
            if !manages {
                return Err(invalid("page_id", "the user does not manage this Page"));
            }
            world
                .page_token(&user_token, page)
                .map(|token| token.to_string())
                .ok_or_else(|| invalid("page_id", "no such Page"))
        }
    }
}

/// A comment the control API added.
pub struct AddedComment {
    pub id: String,
    pub owner: String,
    pub product: &'static str,
    pub from_id: String,
}

/// Adds a comment by someone else to a media.
pub fn comment(
    state: &SimState,
    media: &str,
    text: &str,
    from_username: &str,
) -> Result<AddedComment, SimError> {
    let media = id_field("media_id", media)?;
    if text.is_empty() {
        return Err(invalid("text", "must not be empty"));
    }
    let now_ms = state.clock.now_ms();
    let mut world = state.world.lock();
    let (owner, product) = world
        .media
        .get(&media)
        .map(|found| (found.owner, found.kind.product_type()))
        .ok_or_else(|| invalid("media_id", "no such media"))?;
    let from = world.ids.next(IdKind::User);
    let id = add_comment(&mut world, media, text, from, from_username, now_ms);
    Ok(AddedComment {
        id: id.to_string(),
        owner: owner.to_string(),
        product,
        from_id: from.to_string(),
    })
}

/// Builds and sends one webhook notification, signed with the default app's secret; returns
/// the callback's HTTP status.
pub async fn deliver(
    state: &SimState,
    event: &WebhookEvent,
    callback: Option<&str>,
) -> Result<u16, SimError> {
    let callback = callback
        .map(str::to_owned)
        .or_else(|| state.config.webhook_callback_url.clone())
        .ok_or_else(|| invalid("callback_url", "no callback URL is configured"))?;
    let now = state.clock.now_unix();
    let payload = match event {
        WebhookEvent::Comments {
            media_id,
            text,
            from_username,
        } => {
            let added = comment(state, media_id, text, from_username)?;
            webhooks::comment_change_event(&webhooks::CommentChange {
                ig_user_id: &added.owner,
                media_id,
                media_product_type: added.product,
                comment_id: &added.id,
                parent_id: None,
                text,
                from_id: &added.from_id,
                from_username,
                time_unix: now,
            })
        }
        WebhookEvent::Mentions {
            ig_user_id,
            media_id,
            comment_id,
        } => webhooks::mention_event(ig_user_id, media_id, comment_id.as_deref(), now),
        WebhookEvent::StoryInsights { media_id } => {
            let owner = {
                let world = state.world.lock();
                let id = id_field("media_id", media_id)?;
                world
                    .media
                    .get(&id)
                    .map(|media| media.owner.to_string())
                    .ok_or_else(|| invalid("media_id", "no such media"))?
            };
            webhooks::story_insights_event(&owner, media_id, state.config.seed, now)
        }
    };
    let secret = {
        let world = state.world.lock();
        world
            .apps
            .get(&world.default_app)
            .map(|app| app.secret.clone())
            .unwrap_or_default()
    };
    webhooks::deliver(&state.http, &callback, &secret, &payload)
        .await
        .map_err(|source| SimError::Webhook {
            url: callback.clone(),
            source,
        })
}

/// Meta's verification handshake (shared/graph-api.md §8.1): a GET with `hub.mode`,
/// `hub.challenge` and `hub.verify_token`. Returns (status, whether the body echoed the challenge).
pub async fn verify_webhook(
    state: &SimState,
    verify_token: &str,
    callback: Option<&str>,
) -> Result<(u16, bool), SimError> {
    let callback = callback
        .map(str::to_owned)
        .or_else(|| state.config.webhook_callback_url.clone())
        .ok_or_else(|| invalid("callback_url", "no callback URL is configured"))?;
    let challenge = (state.clock.now_ms().rem_euclid(9_000_000_000) + 1_000_000_000).to_string();
    let response = state
        .http
        .get(&callback)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.challenge", challenge.as_str()),
            ("hub.verify_token", verify_token),
        ])
        .send()
        .await
        .map_err(|source| SimError::Webhook {
            url: callback.clone(),
            source,
        })?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Ok((status, status == 200 && body.trim() == challenge))
}
