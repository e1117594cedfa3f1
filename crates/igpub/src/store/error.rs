//! The store's typed errors.
//!
//! None of them carries a secret: sqlx's own messages never include bound values, and the
//! vault's errors never include key material or plaintext.

use super::IntegrationId;
use crate::vault::VaultError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist for this tenant (it may exist for another: same answer).
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked up, e.g. "integration".
        entity: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// The write collides with existing data.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The integration is disconnected, so it has no token and its health is not tracked.
    #[error("integration {0} is disconnected; connect the account again to use it")]
    Disconnected(IntegrationId),
    /// An argument broke a rule; names the field and the rule.
    #[error("{field} {rule}")]
    InvalidInput {
        /// The offending field.
        field: &'static str,
        /// The rule it broke, phrased to follow the field name.
        rule: String,
    },
    /// A Facebook Login state was refused.
    #[error(transparent)]
    OAuthState(#[from] OAuthStateError),
    /// A stored secret could not be used (see the vault error for why).
    #[error("the secret of {record} cannot be used: {source}")]
    Vault {
        /// Which record holds the secret, e.g. "integration 0190…".
        record: String,
        /// What the vault said.
        source: VaultError,
    },
    /// `database_url` names a database igpub does not support.
    #[error(
        "database_url must start with sqlite: (e.g. sqlite://igpub.db) or postgres:// \
         (the given URL's scheme is {scheme:?})"
    )]
    UnsupportedDatabaseUrl {
        /// The scheme that was given.
        scheme: String,
    },
    /// A stored value does not parse: the database was edited by hand or is newer than igpub.
    #[error("corrupt row in {table}.{column}: {problem}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The embedded migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database failed or refused the statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            rule: rule.into(),
        }
    }

    /// Whether this is [`StoreError::NotFound`] (the HTTP layer answers 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// Why a Facebook Login `state` was refused at the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OAuthStateError {
    /// Never issued (or deleted after expiry): a forged or mistyped callback.
    #[error("the login state is unknown; start connecting again")]
    Unknown,
    /// Issued and already consumed: a replayed callback.
    #[error("the login state was already used; start connecting again")]
    AlreadyUsed,
    /// Issued but its time ran out.
    #[error("the login state expired; start connecting again")]
    Expired,
}
