//! Steps 2 and 3: the Facebook Login callback (graph-api.md §5.1–§5.2, §3.1).
//!
//! In order: the state (CSRF) first, then a cancel or error from the dialog, the code exchange,
//! the long-lived exchange, the permissions check (naming every missing one), every page of the
//! person's Pages with their Instagram accounts, and the decision: one account is connected at
//! once, several become a [`PendingChoice`], none is an error that explains the prerequisite.

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::app::MetaApp;
use super::discovery::{DiscoveredAccount, instagram_accounts, missing_permissions};
use super::start::StateExtra;
use super::{CONNECT_SESSION_TTL, ConnectError, Connector};
use crate::store::{
    AccountChoice, ConnectSessionId, Integration, NewConnectSession, OAuthState, TenantId,
};

/// Meta's `error` value when the person pressed Cancel (graph-api.md §5.1).
const CANCELLED: &str = "access_denied";

/// The query of the callback, as Facebook Login sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallbackParams {
    /// The state igpub issued (a secret until used).
    #[serde(default)]
    pub state: Option<SecretString>,
    /// The single-use login code (a secret).
    #[serde(default)]
    pub code: Option<SecretString>,
    /// `access_denied` when the person cancelled.
    #[serde(default)]
    pub error: Option<String>,
    /// `user_denied` when the person cancelled.
    #[serde(default)]
    pub error_reason: Option<String>,
    /// Meta's words about the error.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Several accounts were found: the person picks one (or more) with `choose`.
#[derive(Debug, Clone)]
pub struct PendingChoice {
    /// What `choose` takes.
    pub session_id: ConnectSessionId,
    /// The accounts, in Meta's order.
    pub choices: Vec<AccountChoice>,
    /// When the choice is no longer accepted.
    pub expires_at: Timestamp,
}

/// What a successful callback led to.
#[derive(Debug, Clone)]
pub enum CallbackOutcome {
    /// Exactly one account was found, and it is now connected.
    Connected(Box<Integration>),
    /// Several accounts were found; nothing is connected until one is chosen.
    ChooseAccount(PendingChoice),
}

/// The callback's result, with where the person's browser should go (known once the state
/// checked out and the connect asked for it).
#[derive(Debug)]
pub struct CallbackResult {
    /// The `return_to` of the connect call, if any.
    pub return_to: Option<Url>,
    /// What happened.
    pub outcome: Result<CallbackOutcome, ConnectError>,
}

/// A login that got through the dialog and the exchanges.
struct Login {
    app: MetaApp,
    user_token: igpub_graph::AccessToken,
    user_token_expires_at: Option<Timestamp>,
}

impl Connector {
    /// Completes a Facebook Login redirect. Authenticated by its state only.
    pub async fn callback(&self, params: CallbackParams) -> CallbackResult {
        let state = match self.consume_state(params.state.as_ref()).await {
            Ok(state) => state,
            Err(error) => {
                return CallbackResult {
                    return_to: None,
                    outcome: Err(error),
                };
            }
        };
        let extra: Option<StateExtra> = serde_json::from_value(state.extra.clone()).ok();
        let return_to = extra
            .as_ref()
            .and_then(|extra| extra.return_to.as_deref())
            .and_then(|text| Url::parse(text).ok());
        let outcome = match extra {
            Some(extra) => self.complete(state.tenant_id, &extra, params).await,
            None => Err(ConnectError::State(crate::store::OAuthStateError::Unknown)),
        };
        if let Err(error) = &outcome {
            tracing::info!(tenant_id = %state.tenant_id, %error, "facebook login did not connect an account");
        }
        CallbackResult { return_to, outcome }
    }

    async fn consume_state(
        &self,
        state: Option<&SecretString>,
    ) -> Result<OAuthState, ConnectError> {
        let state = state
            .map(ExposeSecret::expose_secret)
            .filter(|state| !state.is_empty())
            .ok_or(ConnectError::StateMissing)?;
        Ok(self.store.consume_oauth_state(state).await?)
    }

    async fn complete(
        &self,
        tenant: TenantId,
        extra: &StateExtra,
        params: CallbackParams,
    ) -> Result<CallbackOutcome, ConnectError> {
        if let Some(error) = params.error {
            return Err(dialog_error(
                error,
                params.error_reason,
                params.error_description,
            ));
        }
        let code = params
            .code
            .filter(|code| !code.expose_secret().is_empty())
            .ok_or(ConnectError::CodeMissing)?;
        let login = self.log_in(tenant, extra, &code).await?;
        let user = login.app.graph.with_token(login.user_token.clone());
        let permissions = user
            .permissions()
            .await
            .map_err(ConnectError::graph("reading the granted permissions"))?;
        let missing = missing_permissions(&permissions);
        if !missing.is_empty() {
            return Err(ConnectError::MissingPermissions { missing });
        }
        // graph-api.md §3.1: field expansion, and every page of results.
        let pages = user
            .all_pages()
            .await
            .map_err(ConnectError::graph("listing your Facebook Pages"))?;
        let pages_seen = pages.len();
        let mut accounts = instagram_accounts(pages);
        if accounts.len() > 1 {
            return self.offer_choice(tenant, login, accounts, extra).await;
        }
        let account = accounts
            .pop()
            .ok_or(ConnectError::NoInstagramAccount { pages_seen })?;
        let integration = self
            .finish(tenant, &login.app, account, login.user_token_expires_at)
            .await?;
        Ok(CallbackOutcome::Connected(Box::new(integration)))
    }

    /// Code → user token → long-lived user token, with the app the dialog was opened for.
    async fn log_in(
        &self,
        tenant: TenantId,
        extra: &StateExtra,
        code: &SecretString,
    ) -> Result<Login, ConnectError> {
        let app = self.meta_app(tenant).await?;
        if app.app_id() != extra.meta_app_id {
            return Err(ConnectError::MetaAppChanged);
        }
        // graph-api.md §5.1: the exchange must repeat the dialog's redirect_uri exactly.
        let redirect_uri =
            Url::parse(&extra.redirect_uri).map_err(|_| ConnectError::MetaAppChanged)?;
        let grant = app
            .graph
            .exchange_code(&app.credentials, &redirect_uri, code)
            .await
            .map_err(ConnectError::graph("the login code exchange"))?;
        // graph-api.md §5.2: only a long-lived user token yields Page tokens that never expire.
        let long = app
            .graph
            .exchange_long_lived(&app.credentials, &grant.access_token)
            .await
            .map_err(ConnectError::graph("the long-lived token exchange"))?;
        let user_token_expires_at = long.expires_in.and_then(|seconds| {
            let seconds = i64::try_from(seconds).ok()?;
            self.clock
                .now()
                .checked_add(jiff::SignedDuration::from_secs(seconds))
                .ok()
        });
        Ok(Login {
            app,
            user_token: long.access_token,
            user_token_expires_at,
        })
    }

    async fn offer_choice(
        &self,
        tenant: TenantId,
        login: Login,
        accounts: Vec<DiscoveredAccount>,
        extra: &StateExtra,
    ) -> Result<CallbackOutcome, ConnectError> {
        // Abandoned choices are useless; dropping them here keeps the table small without a job.
        self.store.delete_expired_connect_sessions().await?;
        let new = NewConnectSession {
            meta_app_id: login.app.app_id().to_owned(),
            user_token: SecretString::from(login.user_token.expose_secret().to_owned()),
            user_token_expires_at: login.user_token_expires_at,
            choices: accounts.into_iter().map(|account| account.choice).collect(),
            return_to: extra.return_to.clone(),
            ttl: CONNECT_SESSION_TTL,
        };
        let session = self.store.create_connect_session(tenant, new).await?;
        Ok(CallbackOutcome::ChooseAccount(PendingChoice {
            session_id: session.id,
            choices: session.choices,
            expires_at: session.expires_at,
        }))
    }
}

fn dialog_error(
    error: String,
    reason: Option<String>,
    description: Option<String>,
) -> ConnectError {
    if error == CANCELLED {
        return ConnectError::Cancelled;
    }
    let description = description
        .or(reason)
        .unwrap_or_else(|| "no description".to_owned());
    ConnectError::LoginFailed {
        error: clip(&error),
        description: clip(&description),
    }
}

/// Text from the query is echoed to people; keep it short and printable.
fn clip(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_is_a_cancel_said_plainly() {
        let error = dialog_error(
            "access_denied".into(),
            Some("user_denied".into()),
            Some("Permissions error.".into()),
        );
        assert!(matches!(error, ConnectError::Cancelled));
        assert_eq!(
            error.to_string(),
            "you cancelled Facebook Login; nothing was connected"
        );
    }

    #[test]
    fn other_dialog_errors_keep_meta_words_clipped_and_printable() {
        let long = format!("bad\n{}", "x".repeat(500));
        match dialog_error("server_error".into(), None, Some(long)) {
            ConnectError::LoginFailed { error, description } => {
                assert_eq!(error, "server_error");
                assert_eq!(description.chars().count(), 300);
                assert!(!description.contains('\n'));
            }
            other => panic!("expected LoginFailed, got {other:?}"),
        }
    }
}
