//! Connect sessions: a Facebook Login that found several Instagram accounts, waiting for the
//! person to pick one (graph-api.md §3.1, §5).
//!
//! Between the callback and the choice, igpub must keep the long-lived user token, because the
//! chosen Page's token is read again with it. The token is sealed by the vault, bound to the
//! tenant and the session, and the row lives only a short while ([`NewConnectSession::ttl`]).
//! The choices are kept for the picker, without any token.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sql::{SqlStore, is_foreign_key_violation, on_pool, optional_timestamp, timestamp};
use super::{IdParseError, StoreError, TenantId};
use crate::vault::TokenContext;

const TABLE: &str = "connect_sessions";
const MAX_CHOICES: usize = 1000;
const MAX_RETURN_TO_CHARS: usize = 2048;
const MAX_TOKEN_BYTES: usize = 8 * 1024;
const MAX_TEXT_CHARS: usize = 2048;

/// One pending account choice.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectSessionId(Uuid);

impl ConnectSessionId {
    /// A new, time-ordered (v7) id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// Parses an id read back from the database; a bad value means a corrupt row (also used
    /// by key rotation, which reseals the token bound to this id).
    pub(super) fn from_column(column: &'static str, text: &str) -> Result<Self, StoreError> {
        text.parse().map_err(|_| StoreError::Corrupt {
            table: TABLE,
            column,
            problem: "not a connect session id".to_owned(),
        })
    }
}

impl fmt::Display for ConnectSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ConnectSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectSessionId({})", self.0)
    }
}

impl FromStr for ConnectSessionId {
    type Err = IdParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(text.trim())
            .map(Self)
            .map_err(|_| IdParseError {
                kind: "connect session id",
            })
    }
}

/// An Instagram professional account the login reached, as the picker shows it. No token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountChoice {
    /// The Instagram account's id (what `choose` takes).
    pub ig_user_id: String,
    /// Its username, when Meta gave it.
    pub ig_username: Option<String>,
    /// Its display name, when Meta gave it.
    pub ig_name: Option<String>,
    /// Its profile picture (a signed URL that expires), when Meta gave it.
    pub profile_picture_url: Option<String>,
    /// The Facebook Page it is linked to.
    pub facebook_page_id: String,
    /// That Page's name, when Meta gave it.
    pub facebook_page_name: Option<String>,
}

/// What the connect flow keeps while the person chooses.
#[derive(Debug, Clone)]
pub struct NewConnectSession {
    /// The Meta app the user token belongs to (the service's or the tenant's own).
    pub meta_app_id: String,
    /// The long-lived user token (stored encrypted).
    pub user_token: SecretString,
    /// When the user token expires, if Meta said.
    pub user_token_expires_at: Option<Timestamp>,
    /// The accounts to choose from; at least one.
    pub choices: Vec<AccountChoice>,
    /// Where the person's browser goes back to, if the connect asked for it.
    pub return_to: Option<String>,
    /// How long the choice may take.
    pub ttl: Duration,
}

/// A pending choice, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSession {
    /// Its id.
    pub id: ConnectSessionId,
    /// The tenant whose login it is.
    pub tenant_id: TenantId,
    /// The Meta app the user token belongs to.
    pub meta_app_id: String,
    /// When the user token expires, if Meta said.
    pub user_token_expires_at: Option<Timestamp>,
    /// The accounts to choose from.
    pub choices: Vec<AccountChoice>,
    /// Where the person's browser goes back to.
    pub return_to: Option<String>,
    /// When the login finished.
    pub created_at: Timestamp,
    /// When the choice is no longer accepted.
    pub expires_at: Timestamp,
}

/// A live session with its decrypted user token.
#[derive(Debug, Clone)]
pub struct OpenConnectSession {
    /// The session.
    pub session: ConnectSession,
    /// The long-lived user token (a secret: `Debug` is redacted).
    pub user_token: SecretString,
}

/// What [`ConnectSessionStore::open_connect_session`] found.
#[derive(Debug, Clone)]
pub enum ConnectSessionLookup {
    /// The session is live.
    Open(Box<OpenConnectSession>),
    /// The session exists but its time ran out; the person must log in again.
    Expired,
}

/// Pending account choices of the connect flow.
#[async_trait]
pub trait ConnectSessionStore: Send + Sync {
    /// Stores a pending choice, its user token sealed for (tenant, session).
    async fn create_connect_session(
        &self,
        tenant: TenantId,
        new: NewConnectSession,
    ) -> Result<ConnectSession, StoreError>;

    /// A session of the tenant with its user token; another tenant's session is
    /// [`StoreError::NotFound`], like one that never existed.
    async fn open_connect_session(
        &self,
        tenant: TenantId,
        session: ConnectSessionId,
    ) -> Result<ConnectSessionLookup, StoreError>;

    /// Deletes a session and its sealed token (after the choice, or when abandoned).
    async fn delete_connect_session(
        &self,
        tenant: TenantId,
        session: ConnectSessionId,
    ) -> Result<(), StoreError>;

    /// Deletes sessions that expired before now; returns how many.
    async fn delete_expired_connect_sessions(&self) -> Result<u64, StoreError>;
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), StoreError> {
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(())
}

fn check_new(new: &NewConnectSession) -> Result<(), StoreError> {
    if new.ttl.is_zero() {
        return Err(StoreError::invalid("ttl", "must be longer than zero"));
    }
    if new.choices.is_empty() || new.choices.len() > MAX_CHOICES {
        return Err(StoreError::invalid(
            "choices",
            format!("must hold 1 to {MAX_CHOICES} accounts"),
        ));
    }
    let token = new.user_token.expose_secret();
    if token.trim().is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(StoreError::invalid(
            "user_token",
            format!("must be 1 to {MAX_TOKEN_BYTES} bytes"),
        ));
    }
    if new.meta_app_id.trim().is_empty() {
        return Err(StoreError::invalid("meta_app_id", "must not be empty"));
    }
    check_text("meta_app_id", &new.meta_app_id, 64)?;
    if let Some(return_to) = &new.return_to {
        check_text("return_to", return_to, MAX_RETURN_TO_CHARS)?;
    }
    for choice in &new.choices {
        for (field, text) in [
            ("choices[].ig_user_id", Some(&choice.ig_user_id)),
            ("choices[].facebook_page_id", Some(&choice.facebook_page_id)),
            ("choices[].ig_username", choice.ig_username.as_ref()),
            ("choices[].ig_name", choice.ig_name.as_ref()),
            (
                "choices[].profile_picture_url",
                choice.profile_picture_url.as_ref(),
            ),
            (
                "choices[].facebook_page_name",
                choice.facebook_page_name.as_ref(),
            ),
        ] {
            if let Some(text) = text {
                check_text(field, text, MAX_TEXT_CHARS)?;
            }
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    tenant_id: String,
    meta_app_id: String,
    user_token: String,
    user_token_expires_at: Option<i64>,
    choices: String,
    return_to: Option<String>,
    created_at: i64,
    expires_at: i64,
}

impl SessionRow {
    fn session(&self) -> Result<ConnectSession, StoreError> {
        Ok(ConnectSession {
            id: ConnectSessionId::from_column("id", &self.id)?,
            tenant_id: TenantId::from_column(TABLE, "tenant_id", &self.tenant_id)?,
            meta_app_id: self.meta_app_id.clone(),
            user_token_expires_at: optional_timestamp(
                TABLE,
                "user_token_expires_at",
                self.user_token_expires_at,
            )?,
            choices: serde_json::from_str(&self.choices).map_err(|e| StoreError::Corrupt {
                table: TABLE,
                column: "choices",
                problem: e.to_string(),
            })?,
            return_to: self.return_to.clone(),
            created_at: timestamp(TABLE, "created_at", self.created_at)?,
            expires_at: timestamp(TABLE, "expires_at", self.expires_at)?,
        })
    }
}

#[async_trait]
impl ConnectSessionStore for SqlStore {
    async fn create_connect_session(
        &self,
        tenant: TenantId,
        new: NewConnectSession,
    ) -> Result<ConnectSession, StoreError> {
        check_new(&new)?;
        let expires_at = self.millis_after("ttl", new.ttl)?;
        let id = ConnectSessionId::generate();
        let sealed = self.seal(&new.user_token, &TokenContext::connect_session(tenant, id))?;
        let choices = serde_json::to_string(&new.choices).map_err(|e| {
            StoreError::invalid("choices", format!("cannot be written as JSON: {e}"))
        })?;
        let user_token_expires_at = new
            .user_token_expires_at
            .map(|at| timestamp(TABLE, "user_token_expires_at", at.as_millisecond()))
            .transpose()?;
        let row = SessionRow {
            id: id.to_string(),
            tenant_id: tenant.to_string(),
            meta_app_id: new.meta_app_id,
            user_token: sealed,
            user_token_expires_at: user_token_expires_at.map(|at| at.as_millisecond()),
            choices,
            return_to: new.return_to,
            created_at: self.now_millis(),
            expires_at,
        };
        let inserted = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO connect_sessions (id, tenant_id, meta_app_id, user_token, \
                 user_token_expires_at, choices, return_to, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&row.id)
            .bind(&row.tenant_id)
            .bind(&row.meta_app_id)
            .bind(&row.user_token)
            .bind(row.user_token_expires_at)
            .bind(&row.choices)
            .bind(&row.return_to)
            .bind(row.created_at)
            .bind(row.expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(_) => row.session(),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StoreError::not_found("tenant", tenant))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn open_connect_session(
        &self,
        tenant: TenantId,
        session: ConnectSessionId,
    ) -> Result<ConnectSessionLookup, StoreError> {
        let row: Option<SessionRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, meta_app_id, user_token, user_token_expires_at, choices, \
                 return_to, created_at, expires_at FROM connect_sessions \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.to_string())
            .bind(session.to_string())
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or_else(|| StoreError::not_found("connect session", session))?;
        if row.expires_at <= self.now_millis() {
            return Ok(ConnectSessionLookup::Expired);
        }
        let user_token = self.unseal(
            &row.user_token,
            &TokenContext::connect_session(tenant, session),
        )?;
        Ok(ConnectSessionLookup::Open(Box::new(OpenConnectSession {
            session: row.session()?,
            user_token,
        })))
    }

    async fn delete_connect_session(
        &self,
        tenant: TenantId,
        session: ConnectSessionId,
    ) -> Result<(), StoreError> {
        let deleted = on_pool!(&self.pool, |pool| {
            sqlx::query("DELETE FROM connect_sessions WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(session.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        if deleted == 0 {
            return Err(StoreError::not_found("connect session", session));
        }
        Ok(())
    }

    async fn delete_expired_connect_sessions(&self) -> Result<u64, StoreError> {
        self.delete_expired(super::sql::ExpiringTable::ConnectSessions)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(ig: &str) -> AccountChoice {
        AccountChoice {
            ig_user_id: ig.to_owned(),
            ig_username: Some("acme".to_owned()),
            ig_name: None,
            profile_picture_url: None,
            facebook_page_id: "1".to_owned(),
            facebook_page_name: None,
        }
    }

    fn new_session() -> NewConnectSession {
        NewConnectSession {
            meta_app_id: "138483919580948".to_owned(),
            user_token: SecretString::from("EAAG-user"),
            user_token_expires_at: None,
            choices: vec![choice("17841400008460056")],
            return_to: None,
            ttl: Duration::from_secs(60),
        }
    }

    fn field_of(error: StoreError) -> &'static str {
        match error {
            StoreError::InvalidInput { field, .. } => field,
            other => panic!("expected an invalid input error, got {other:?}"),
        }
    }

    #[test]
    fn a_session_needs_choices_a_token_a_lifetime_and_clean_texts() {
        assert!(check_new(&new_session()).is_ok());
        let cases = [
            (
                NewConnectSession {
                    choices: Vec::new(),
                    ..new_session()
                },
                "choices",
            ),
            (
                NewConnectSession {
                    user_token: SecretString::from(" "),
                    ..new_session()
                },
                "user_token",
            ),
            (
                NewConnectSession {
                    ttl: Duration::ZERO,
                    ..new_session()
                },
                "ttl",
            ),
            (
                NewConnectSession {
                    return_to: Some("https://x.example/\u{0}".to_owned()),
                    ..new_session()
                },
                "return_to",
            ),
            (
                NewConnectSession {
                    choices: vec![AccountChoice {
                        ig_name: Some("a\nb".to_owned()),
                        ..choice("1")
                    }],
                    ..new_session()
                },
                "choices[].ig_name",
            ),
        ];
        for (new, field) in cases {
            let error = check_new(&new).err();
            assert_eq!(error.map(field_of), Some(field));
        }
    }

    #[test]
    fn a_session_id_round_trips_and_names_its_kind_when_malformed() {
        let id = ConnectSessionId::generate();
        assert_eq!(id.to_string().parse::<ConnectSessionId>(), Ok(id));
        let error = "nope".parse::<ConnectSessionId>().unwrap_err();
        assert!(
            error.to_string().starts_with("connect session id"),
            "{error}"
        );
    }
}
