//! The world a run starts with: one app, one user with one Page per Instagram account, and one
//! Page without an Instagram account.

use super::{Lifetime, World};
use crate::auth::scopes::Scopes;
use rand::Rng;
use std::sync::Arc;

/// One row of `GET /__sim/accounts`: an Instagram account and the credentials that reach it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub ig_user_id: u64,
    pub username: String,
    pub page_id: u64,
    pub page_token: Arc<str>,
    pub user_token: Arc<str>,
    pub app_id: u64,
}

/// Seeds the world; the accounts land in `world.listed`.
pub fn seed(world: &mut World, accounts: usize, require_proof: bool, now_ms: i64) {
    let app = world.create_app("igpub simulator app", require_proof);
    let user = world.create_user("Sim User", Scopes::all());
    world.default_app = app;
    world.default_user = user;
    let user_token = world.issue_user_token(
        user,
        app,
        Scopes::all(),
        Scopes::NONE,
        Lifetime::Long,
        now_ms,
    );
    for n in 1..=accounts {
        let Some(page) = world.create_page(user, &format!("Sim Brand {n}")) else {
            continue;
        };
        let followers = world.rng.random_range(150..50_000);
        let username = format!("sim_brand_{n}");
        let Ok(ig) = world.create_ig_account(page, &username, followers) else {
            continue;
        };
        let Some(page_token) = world.page_token(&user_token, page) else {
            continue;
        };
        world.listed.push(Listed {
            ig_user_id: ig,
            username,
            page_id: page,
            page_token,
            user_token: user_token.clone(),
            app_id: app,
        });
    }
    // graph-api.md §3.1: a Page without an Instagram account simply lacks the field.
    world.create_page(user, "Sim Page without Instagram");
}
