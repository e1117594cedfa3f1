//! Facebook Login `state` values: the CSRF guard of the connect flow (graph-api.md §5.1).
//!
//! A state is random, bound to a tenant, single-use and short-lived. Only its SHA-256 is
//! stored, so a copy of the database cannot complete anyone's login.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::secret_token::{has_secret_shape, random_secret, sha256_hex};
use super::sql::{SqlStore, is_foreign_key_violation, on_pool, timestamp};
use super::{OAuthStateError, OAuthStateStore, StoreError, TenantId};

/// States carry no prefix: Meta echoes them back verbatim and nobody needs to recognise them.
const STATE_PREFIX: &str = "";

/// A consumed state: what the callback learns about the login it completes.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthState {
    /// The tenant that started the login.
    pub tenant_id: TenantId,
    /// What the connect flow stored with the state.
    pub extra: serde_json::Value,
    /// When the login started.
    pub created_at: Timestamp,
    /// When the state would have expired.
    pub expires_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    tenant_id: String,
    extra: String,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<StateRow> for OAuthState {
    type Error = StoreError;

    fn try_from(row: StateRow) -> Result<Self, StoreError> {
        const TABLE: &str = "oauth_states";
        Ok(Self {
            tenant_id: TenantId::from_column(TABLE, "tenant_id", &row.tenant_id)?,
            extra: serde_json::from_str(&row.extra).map_err(|e| StoreError::Corrupt {
                table: TABLE,
                column: "extra",
                problem: e.to_string(),
            })?,
            created_at: timestamp(TABLE, "created_at", row.created_at)?,
            expires_at: timestamp(TABLE, "expires_at", row.expires_at)?,
        })
    }
}

impl SqlStore {
    /// Why a state could not be consumed.
    async fn why_not_consumable(&self, hash: &str) -> Result<OAuthStateError, StoreError> {
        let consumed_at: Option<Option<i64>> = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar("SELECT consumed_at FROM oauth_states WHERE state_hash = $1")
                .bind(hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(match consumed_at {
            None => OAuthStateError::Unknown,
            Some(Some(_)) => OAuthStateError::AlreadyUsed,
            Some(None) => OAuthStateError::Expired,
        })
    }
}

#[async_trait]
impl OAuthStateStore for SqlStore {
    async fn create_oauth_state(
        &self,
        tenant: TenantId,
        ttl: Duration,
        extra: serde_json::Value,
    ) -> Result<SecretString, StoreError> {
        if ttl.is_zero() {
            return Err(StoreError::invalid("ttl", "must be longer than zero"));
        }
        let expires_at = self.millis_after("ttl", ttl)?;
        let state = random_secret(STATE_PREFIX);
        let inserted = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO oauth_states (state_hash, tenant_id, extra, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(sha256_hex(state.expose_secret()))
            .bind(tenant.to_string())
            .bind(extra.to_string())
            .bind(self.now_millis())
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(_) => Ok(state),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StoreError::not_found("tenant", tenant))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn consume_oauth_state(&self, state: &str) -> Result<OAuthState, StoreError> {
        if !has_secret_shape(state, STATE_PREFIX) {
            return Err(OAuthStateError::Unknown.into());
        }
        let hash = sha256_hex(state);
        // One conditional UPDATE: of two concurrent callbacks with the same state, one wins.
        let row: Option<StateRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "UPDATE oauth_states SET consumed_at = $2 \
                 WHERE state_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
                 RETURNING tenant_id, extra, created_at, expires_at",
            )
            .bind(&hash)
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) => row.try_into(),
            None => Err(self.why_not_consumable(&hash).await?.into()),
        }
    }

    async fn delete_expired_oauth_states(&self) -> Result<u64, StoreError> {
        self.delete_expired(super::sql::ExpiringTable::OAuthStates)
            .await
    }
}
