//! Why a step of the connect flow, or a token check, did not succeed.
//!
//! Every message is meant for the person connecting (or their operator) and says what to do.
//! None carries a token: Graph errors are scrubbed by the client before they get here.

use igpub_graph::GraphError;

use crate::store::{OAuthStateError, StoreError};

/// What the person must have on Meta's side before an Instagram account can be connected
/// (graph-api.md §3.1): said whenever the login reaches no account.
pub const PREREQUISITE: &str = "connect an Instagram Business or Creator account: it must be a \
professional account (not a personal one) and be linked to a Facebook Page that you manage, \
then log in again and allow access to that Page";

/// Why connecting or checking an account failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A setting the flow needs is missing or malformed (an operator problem).
    #[error("{setting} {problem}")]
    NotConfigured {
        /// The setting, as igpub.toml names it (e.g. `meta.app_id`).
        setting: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The `return_to` address given to the connect call is not acceptable.
    #[error("return_to {0}")]
    InvalidReturnTo(String),
    /// The callback came without `state`: it was not sent by Facebook Login for us.
    #[error(
        "the callback has no state parameter; open it only through the Facebook Login redirect \
         (start connecting again)"
    )]
    StateMissing,
    /// The callback's `state` was refused (CSRF guard): unknown, used twice, or expired.
    #[error(transparent)]
    State(OAuthStateError),
    /// The person pressed Cancel in Facebook Login.
    #[error("you cancelled Facebook Login; nothing was connected")]
    Cancelled,
    /// Facebook Login redirected with another error.
    #[error("Facebook Login did not complete ({error}): {description}; nothing was connected")]
    LoginFailed {
        /// Meta's `error` parameter.
        error: String,
        /// Meta's `error_description` (or `error_reason`).
        description: String,
    },
    /// The callback came with neither `code` nor `error`.
    #[error("the callback has no code parameter; start connecting again")]
    CodeMissing,
    /// The tenant's Meta app was changed while the person was logging in.
    #[error(
        "the Meta app used for this login changed while it was in progress; start connecting again"
    )]
    MetaAppChanged,
    /// The person did not grant every permission igpub needs.
    #[error(
        "Facebook Login did not grant {}; log in again and allow every requested permission \
         (nothing was connected)",
        missing.join(", ")
    )]
    MissingPermissions {
        /// Every permission that is not granted, in the order they are asked for.
        missing: Vec<String>,
    },
    /// None of the person's Pages has a linked Instagram professional account.
    #[error(
        "no Instagram professional account was found through your {pages_seen} Facebook Page(s); \
         {PREREQUISITE}"
    )]
    NoInstagramAccount {
        /// How many Pages the login reached.
        pages_seen: usize,
    },
    /// `choose` named an account the login did not offer.
    #[error("ig_user_id {ig_user_id} is not one of the accounts this login found")]
    ChoiceNotOffered {
        /// The account asked for.
        ig_user_id: String,
    },
    /// The account was offered, but the user token no longer reaches it.
    #[error(
        "ig_user_id {ig_user_id} is no longer reachable with this login (the Page or its link \
         changed); connect again"
    )]
    ChoiceGone {
        /// The account asked for.
        ig_user_id: String,
    },
    /// The account choice waited too long.
    #[error("this account choice expired; start connecting again")]
    SessionExpired,
    /// The integration is disconnected, so there is no token to check.
    #[error("the integration is disconnected; connect the account again to use it")]
    Disconnected,
    /// Meta refused or failed a call of the flow.
    #[error("Meta refused {step}: {source}")]
    Graph {
        /// What igpub was doing, e.g. "the login code exchange".
        step: &'static str,
        /// The client's error (already scrubbed of secrets).
        source: GraphError,
    },
    /// The store failed or refused.
    #[error(transparent)]
    Store(StoreError),
}

impl ConnectError {
    /// A Graph failure during `step`.
    pub(crate) fn graph(step: &'static str) -> impl FnOnce(GraphError) -> Self {
        move |source| Self::Graph { step, source }
    }
}

impl From<StoreError> for ConnectError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::OAuthState(refusal) => Self::State(refusal),
            StoreError::Disconnected(_) => Self::Disconnected,
            other => Self::Store(other),
        }
    }
}
