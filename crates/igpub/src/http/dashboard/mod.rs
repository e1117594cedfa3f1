//! The web dashboard: server-rendered pages (askama) made lively with htmx, for marketers who
//! connect accounts, compose and schedule posts, watch the queue and read insights.
//!
//! Everything it shows comes from the same library calls as the `/v1` API ([`crate::connect`],
//! [`crate::publish`], [`crate::media`], [`crate::insights`]), so the two never disagree.
//!
//! - Sign-in takes a tenant API key and opens a server-side session ([`session`]); every form
//!   carries a per-session CSRF token ([`csrf`]).
//! - Assets (htmx, our script and stylesheet) are compiled in and served with long-lived,
//!   versioned caching ([`assets`]); nothing comes from a CDN.
//! - Pages are private (`no-store`), never framed, and may run only our own scripts.
//!
//! [`routes`] is merged into the service's router by [`crate::http::app::router`].

mod accounts;
pub mod assets;
mod calendar;
pub mod chart;
pub mod composer;
mod cookies;
pub mod csrf;
mod error;
mod insights;
mod layout;
mod local_time;
pub mod paths;
mod post_page;
mod queue;
pub mod session;
mod states;
#[cfg(test)]
mod tests;

use axum::Router;
use axum::middleware::{from_fn_with_state, map_response_with_state};
use axum::routing::{get, post};

pub use error::PageError;

use crate::http::state::AppState;
use session::see_other;

/// The dashboard's routes: pages under `/app`, `/` sending people there, and `/assets`.
pub fn routes(state: &AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(|| async { see_other(paths::ACCOUNTS) }))
        .route("/app", get(|| async { see_other(paths::ACCOUNTS) }))
        .route(
            paths::SIGN_IN,
            get(session::sign_in_page).post(session::sign_in),
        )
        .route(paths::SIGN_OUT, post(session::sign_out))
        .merge(accounts::routes())
        .merge(composer::routes())
        .merge(post_page::routes())
        .merge(queue::routes())
        .merge(insights::routes())
        .route(
            "/app/{*rest}",
            get(|| async { PageError::NotFound("page") }),
        )
        .layer(from_fn_with_state(state.clone(), csrf::require_token))
        .layer(map_response_with_state(
            state.clone(),
            layout::private_page_headers,
        ));
    Router::new().merge(pages).merge(assets::routes())
}
