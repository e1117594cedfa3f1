//! The accounts page: the tenant's Instagram accounts with their avatar, status and quota, the
//! Connect button that goes through Facebook Login, and the picker when one login finds
//! several accounts.
//!
//! The avatar and the quota need Meta (the picture is a signed URL that expires, and the quota
//! is Meta's count), so each card loads them in its own small request after the page: a slow
//! or failing account never holds up the list.

use std::collections::HashSet;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use igpub_graph::{AccessToken, IgUserId};
use serde::Deserialize;

use super::error::PageError;
use super::layout::{Chrome, page};
use super::local_time::Zone;
use super::paths;
use super::session::{Signed, see_other};
use crate::connect::{Connector, parse_return_to};
use crate::http::state::AppState;
use crate::publish::Posts;
use crate::store::{
    AccountChoice, ConnectSessionId, ConnectSessionLookup, Integration, IntegrationId,
    IntegrationStatus, TOKEN_EXPIRY_WARNING, TenantScope,
};

/// The routes of the accounts page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::ACCOUNTS, get(accounts_page))
        .route("/app/accounts/connect", post(connect))
        .route(paths::CONNECTED, get(connected))
        .route("/app/accounts/choose/{session}", get(choose_page))
        .route("/app/accounts/choose", post(choose))
        .route("/app/accounts/{id}/live", get(account_live))
}

/// One account as its card shows it.
#[derive(Debug, Clone)]
pub struct AccountCard {
    /// The integration.
    pub id: IntegrationId,
    /// `@username`'s name part.
    pub username: String,
    /// The first letter, for the avatar placeholder.
    pub initial: String,
    /// `active`, `needs_reconnect` or `disconnected`.
    pub status: &'static str,
    /// The badge's words.
    pub status_label: &'static str,
    /// Why it needs reconnecting.
    pub last_error: Option<String>,
    /// A warning about the token's expiry, when it is near.
    pub expiry_warning: Option<String>,
}

impl AccountCard {
    fn new(integration: &Integration, expiring: &HashSet<IntegrationId>, zone: &Zone) -> Self {
        let username = integration.metadata.ig_username.clone();
        let initial = username
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_else(|| "?".to_owned());
        let (status, status_label) = match integration.status {
            IntegrationStatus::Active => ("active", "Active"),
            IntegrationStatus::NeedsReconnect => ("needs-reconnect", "Needs reconnect"),
            IntegrationStatus::Disconnected => ("disconnected", "Disconnected"),
        };
        let expiry_warning = expiring
            .contains(&integration.id)
            .then_some(integration.metadata.token_expires_at)
            .flatten()
            .map(|at| {
                format!(
                    "The token expires {}; reconnect before then.",
                    zone.show(at)
                )
            });
        Self {
            id: integration.id,
            username,
            initial,
            status,
            status_label,
            last_error: integration.last_error.clone(),
            expiry_warning,
        }
    }

    /// Whether the card offers Reconnect instead of the quota.
    pub fn needs_connecting(&self) -> bool {
        self.status != "active"
    }
}

#[derive(Template)]
#[template(path = "dashboard/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<AccountCard>,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// `?notice=` of the accounts page: fixed sentences only, so a link cannot put words in our
/// mouth.
#[derive(Debug, Default, Deserialize)]
struct AccountsQuery {
    notice: Option<String>,
}

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "connected" => Some("The Instagram account is connected."),
        _ => None,
    }
}

async fn accounts_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    query: Result<Query<AccountsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let notice = query
        .ok()
        .and_then(|Query(query)| query.notice)
        .and_then(|code| notice_text(&code));
    render_accounts(&state, &signed, &headers, notice, None).await
}

async fn render_accounts(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let scope = TenantScope::Tenant(signed.tenant());
    let integrations = state.store.list_integrations(scope).await?;
    let expiring: HashSet<IntegrationId> = state
        .store
        .integrations_expiring_within(scope, TOKEN_EXPIRY_WARNING)
        .await?
        .into_iter()
        .map(|integration| integration.id)
        .collect();
    let zone = Zone::of_viewer(headers);
    let accounts = integrations
        .iter()
        .map(|integration| AccountCard::new(integration, &expiring, &zone))
        .collect();
    Ok(page(&AccountsPage {
        chrome: Chrome::signed_in("Accounts", "accounts", signed),
        accounts,
        notice,
        error,
    }))
}

fn connector(state: &AppState) -> Connector {
    Connector::new(
        state.store.clone(),
        state.settings.clone(),
        state.graph.clone(),
    )
}

/// `POST /app/accounts/connect`: off to Facebook Login, which comes back to
/// [`paths::CONNECTED`]. Reconnecting is the same trip: the store updates the account in place.
async fn connect(State(state): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let base = state.settings.public_base_url.trim_end_matches('/');
    let return_to = parse_return_to(&format!("{base}{}", paths::CONNECTED))?;
    let start = connector(&state)
        .start(signed.tenant(), Some(return_to))
        .await?;
    Ok(see_other(start.authorize_url.as_str()))
}

/// What the Facebook Login callback appends to `return_to` (see `http::integrations`).
#[derive(Debug, Default, Deserialize)]
struct ConnectedQuery {
    igpub_connect: Option<String>,
    session_id: Option<String>,
    error_message: Option<String>,
}

/// The longest callback message shown back.
const MAX_MESSAGE_CHARS: usize = 400;

/// `GET /app/accounts/connected`: the list, the picker, or the reason it did not work.
async fn connected(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    query: Result<Query<ConnectedQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    match query.igpub_connect.as_deref() {
        Some("connected") => Ok(see_other(&format!("{}?notice=connected", paths::ACCOUNTS))),
        Some("choose_account") => {
            let session: ConnectSessionId = query
                .session_id
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|_| PageError::NotFound("account choice"))?;
            Ok(see_other(&paths::choose(session)))
        }
        _ => {
            let message: String = query
                .error_message
                .unwrap_or_else(|| "Facebook Login did not finish; try again.".to_owned())
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_MESSAGE_CHARS)
                .collect();
            let error = format!("Connecting did not work: {message}");
            render_accounts(&state, &signed, &headers, None, Some(error)).await
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/choose_account.html")]
struct ChoosePage {
    chrome: Chrome,
    session_id: String,
    choices: Vec<AccountChoice>,
    expires: String,
}

/// `GET /app/accounts/choose/{session}`: one button per account the login found.
async fn choose_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(session): Path<String>,
) -> Result<Response, PageError> {
    let session: ConnectSessionId = session
        .parse()
        .map_err(|_| PageError::NotFound("account choice"))?;
    let open = match state
        .store
        .open_connect_session(signed.tenant(), session)
        .await?
    {
        ConnectSessionLookup::Open(open) => open,
        ConnectSessionLookup::Expired => {
            return Err(PageError::Conflict(
                "This account choice expired; connect again.".to_owned(),
            ));
        }
    };
    let zone = Zone::of_viewer(&headers);
    Ok(page(&ChoosePage {
        chrome: Chrome::signed_in("Choose an account", "accounts", &signed),
        session_id: session.to_string(),
        expires: zone.show(open.session.expires_at),
        choices: open.session.choices.clone(),
    }))
}

/// The picker's form.
#[derive(Debug, Deserialize)]
struct ChooseForm {
    session_id: String,
    ig_user_id: String,
}

/// `POST /app/accounts/choose`: connects the account picked.
async fn choose(
    State(state): State<AppState>,
    signed: Signed,
    form: Result<Form<ChooseForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    let session: ConnectSessionId = form
        .session_id
        .parse()
        .map_err(|_| PageError::NotFound("account choice"))?;
    let ig_user_id: IgUserId = form
        .ig_user_id
        .parse()
        .map_err(|_| PageError::BadRequest("ig_user_id is not an Instagram account id".into()))?;
    connector(&state)
        .choose(signed.tenant(), session, &ig_user_id)
        .await?;
    Ok(see_other(&format!("{}?notice=connected", paths::ACCOUNTS)))
}

/// The part of a card that needs Meta.
#[derive(Template)]
#[template(path = "dashboard/account_live.html")]
struct AccountLive {
    id: IntegrationId,
    avatar_url: Option<String>,
    quota: Option<QuotaBar>,
    quota_problem: Option<String>,
}

/// The quota bar: posts published in the moving 24-hour window, out of Meta's quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaBar {
    /// Meta's `quota_usage`.
    pub used: u32,
    /// Meta's `quota_total`.
    pub total: u32,
    /// How many of them igpub published.
    pub by_igpub: u32,
    /// When a slot frees up, when the quota is used up.
    pub next_free: Option<String>,
}

impl QuotaBar {
    /// Whether no post can be published now.
    pub fn is_full(&self) -> bool {
        self.used >= self.total
    }
}

/// `GET /app/accounts/{id}/live`: the avatar and the quota bar, asked of Meta.
async fn account_live(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: IntegrationId = id.parse().map_err(|_| PageError::NotFound("account"))?;
    let integration = state.store.get_integration(signed.tenant(), id).await?;
    if integration.status != IntegrationStatus::Active {
        return Ok(page(&AccountLive {
            id,
            avatar_url: None,
            quota: None,
            quota_problem: Some("Reconnect the account to see its quota.".to_owned()),
        }));
    }
    let zone = Zone::of_viewer(&headers);
    let posts = Posts::new(state.store.clone());
    let (avatar, quota) = tokio::join!(
        avatar_url(&state, &integration),
        posts.quota(signed.tenant(), id, &state.graph)
    );
    let (quota, quota_problem) = match quota {
        Ok(view) => match view.quota_total {
            Some(total) => (
                Some(QuotaBar {
                    used: view.quota_usage,
                    total,
                    by_igpub: view.published_by_igpub,
                    next_free: (view.quota_usage >= total)
                        .then_some(view.next_free_slot)
                        .flatten()
                        .map(|at| zone.show(at)),
                }),
                None,
            ),
            None => (None, Some("Meta did not say the quota.".to_owned())),
        },
        Err(error) => {
            tracing::warn!(%error, integration_id = %id, "quota read failed for the dashboard");
            (
                None,
                Some("Meta did not answer the quota request; try again later.".to_owned()),
            )
        }
    };
    Ok(page(&AccountLive {
        id,
        avatar_url: avatar,
        quota,
        quota_problem,
    }))
}

/// The account's profile picture URL (graph-api.md §3.2: a signed URL that expires, so it is
/// read each time rather than stored). `None` when Meta does not give one.
async fn avatar_url(state: &AppState, integration: &Integration) -> Option<String> {
    let token = state
        .store
        .integration_token(integration.tenant_id, integration.id)
        .await
        .ok()?;
    let profile = state
        .graph
        .with_token(AccessToken::from(token))
        .ig_user(&IgUserId::new(integration.metadata.ig_user_id.clone()))
        .await
        .ok()?;
    profile
        .profile_picture_url
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        assert!(notice_text("connected").is_some());
        assert!(notice_text("<script>alert(1)</script>").is_none());
    }

    #[test]
    fn a_quota_is_full_when_used_reaches_total() {
        let bar = |used| QuotaBar {
            used,
            total: 100,
            by_igpub: 0,
            next_free: None,
        };
        assert!(!bar(99).is_full());
        assert!(bar(100).is_full());
    }
}
