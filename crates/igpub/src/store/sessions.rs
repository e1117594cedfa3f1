//! Dashboard sessions: a person signs in with a tenant API key and gets a random session
//! secret for a cookie.
//!
//! Only the secret's SHA-256 is stored, so a copy of the database signs nobody in. A session
//! remembers the API key it was opened with and ends as soon as that key is revoked, so
//! revoking a key also signs out everyone who used it.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::secret_token::{has_secret_shape, random_secret, sha256_hex};
use super::sql::{SqlStore, on_pool, timestamp};
use super::{ApiKeyId, ApiKeyStore, StoreError, Tenant};

const TABLE: &str = "dashboard_sessions";

/// How every session secret starts, so a leaked cookie value is recognisable.
const SESSION_PREFIX: &str = "igpubs_";

/// A signed-in dashboard session. It never holds the session secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSession {
    /// The tenant signed in.
    pub tenant: Tenant,
    /// The API key the person signed in with.
    pub api_key_id: ApiKeyId,
    /// When the person signed in.
    pub created_at: Timestamp,
    /// When the session ends, whatever happens.
    pub expires_at: Timestamp,
}

/// Signed-in dashboard sessions.
#[async_trait]
pub trait DashboardSessionStore: Send + Sync {
    /// Signs in with `presented_api_key` for `ttl`: the session and its secret (the cookie's
    /// value, returned once), or `None` when the key is unknown, malformed or revoked.
    async fn open_dashboard_session(
        &self,
        presented_api_key: &str,
        ttl: Duration,
    ) -> Result<Option<(DashboardSession, SecretString)>, StoreError>;

    /// The live session whose secret is `presented`; `None` when it is unknown, expired, or
    /// its API key was revoked.
    async fn dashboard_session(
        &self,
        presented: &str,
    ) -> Result<Option<DashboardSession>, StoreError>;

    /// Signs out: the session whose secret is `presented` stops working (a no-op when it is
    /// unknown).
    async fn close_dashboard_session(&self, presented: &str) -> Result<(), StoreError>;

    /// Deletes sessions that expired before now; returns how many.
    async fn delete_expired_dashboard_sessions(&self) -> Result<u64, StoreError>;
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    api_key_id: String,
    session_created_at: i64,
    session_expires_at: i64,
    #[sqlx(flatten)]
    tenant: super::tenants::TenantRow,
}

impl TryFrom<SessionRow> for DashboardSession {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        Ok(Self {
            tenant: row.tenant.try_into()?,
            api_key_id: ApiKeyId::from_column(TABLE, "api_key_id", &row.api_key_id)?,
            created_at: timestamp(TABLE, "created_at", row.session_created_at)?,
            expires_at: timestamp(TABLE, "expires_at", row.session_expires_at)?,
        })
    }
}

#[async_trait]
impl DashboardSessionStore for SqlStore {
    async fn open_dashboard_session(
        &self,
        presented_api_key: &str,
        ttl: Duration,
    ) -> Result<Option<(DashboardSession, SecretString)>, StoreError> {
        if ttl.is_zero() {
            return Err(StoreError::invalid("ttl", "must be longer than zero"));
        }
        let Some(tenant) = self.authenticate_api_key(presented_api_key).await? else {
            return Ok(None);
        };
        // The key just authenticated, so its hash names exactly one live row (unless it was
        // revoked in between, which then refuses the sign-in like a revoked key).
        let key_id: Option<String> = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar(
                "SELECT id FROM api_keys \
                 WHERE tenant_id = $1 AND key_hash = $2 AND revoked_at IS NULL",
            )
            .bind(tenant.id.to_string())
            .bind(sha256_hex(presented_api_key))
            .fetch_optional(pool)
            .await?
        });
        let Some(key_id) = key_id else {
            return Ok(None);
        };
        let api_key_id = ApiKeyId::from_column("api_keys", "id", &key_id)?;
        let now = self.now_millis();
        let expires_at = self.millis_after("ttl", ttl)?;
        let secret = random_secret(SESSION_PREFIX);
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO dashboard_sessions \
                 (id, tenant_id, api_key_id, token_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(tenant.id.to_string())
            .bind(&key_id)
            .bind(sha256_hex(secret.expose_secret()))
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        let session = DashboardSession {
            tenant,
            api_key_id,
            created_at: timestamp(TABLE, "created_at", now)?,
            expires_at: timestamp(TABLE, "expires_at", expires_at)?,
        };
        Ok(Some((session, secret)))
    }

    async fn dashboard_session(
        &self,
        presented: &str,
    ) -> Result<Option<DashboardSession>, StoreError> {
        if !has_secret_shape(presented, SESSION_PREFIX) {
            return Ok(None);
        }
        // The lookup is by hash: equal hashes are found by the index, and the hash of a guess
        // tells an attacker nothing about the stored one, so no constant-time compare is needed.
        let row: Option<SessionRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT s.api_key_id, s.created_at AS session_created_at, \
                        s.expires_at AS session_expires_at, \
                        t.id, t.name, t.created_at, t.meta_app_id, t.auto_fix \
                 FROM dashboard_sessions s \
                 JOIN api_keys k ON k.id = s.api_key_id \
                 JOIN tenants t ON t.id = s.tenant_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL",
            )
            .bind(sha256_hex(presented))
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        row.map(DashboardSession::try_from).transpose()
    }

    async fn close_dashboard_session(&self, presented: &str) -> Result<(), StoreError> {
        if !has_secret_shape(presented, SESSION_PREFIX) {
            return Ok(());
        }
        on_pool!(&self.pool, |pool| {
            sqlx::query("DELETE FROM dashboard_sessions WHERE token_hash = $1")
                .bind(sha256_hex(presented))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    async fn delete_expired_dashboard_sessions(&self) -> Result<u64, StoreError> {
        self.delete_expired(super::sql::ExpiringTable::DashboardSessions)
            .await
    }
}

#[cfg(test)]
mod tests {
    //! On every available backend (PostgreSQL too when `IGPUB_TEST_DATABASE_URL` is set).

    use super::*;
    use crate::store::SharedStore;
    use crate::store::testing::for_each_backend;

    const TTL: Duration = Duration::from_secs(3600);

    async fn signed_in(store: &SharedStore) -> (Tenant, SecretString, SecretString) {
        let (tenant, key) = store.create_tenant("Acme").await.unwrap();
        let (_, secret) = store
            .open_dashboard_session(key.expose_secret(), TTL)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("a valid key signs in"));
        (tenant, key, secret)
    }

    async fn is_live(store: &SharedStore, secret: &SecretString) -> bool {
        store
            .dashboard_session(secret.expose_secret())
            .await
            .unwrap()
            .is_some()
    }

    #[tokio::test]
    async fn a_session_finds_its_tenant_by_the_cookie_secret() {
        for_each_backend(|backend| async move {
            let (tenant, _, secret) = signed_in(&backend.store).await;
            let session = backend
                .store
                .dashboard_session(secret.expose_secret())
                .await
                .unwrap();
            assert_eq!(session.map(|s| s.tenant.id), Some(tenant.id));
        })
        .await;
    }

    #[tokio::test]
    async fn a_wrong_or_malformed_key_does_not_sign_in() {
        for_each_backend(|backend| async move {
            backend.store.create_tenant("Acme").await.unwrap();
            let wrong = format!("igpub_{}", "A".repeat(43));
            for presented in [wrong.as_str(), "", "igpub_short", "not a key"] {
                let opened = backend
                    .store
                    .open_dashboard_session(presented, TTL)
                    .await
                    .unwrap();
                assert!(opened.is_none(), "{presented:?} must not sign in");
            }
        })
        .await;
    }

    #[tokio::test]
    async fn only_the_hash_of_the_secret_is_stored() {
        for_each_backend(|backend| async move {
            let (_, _, secret) = signed_in(&backend.store).await;
            let stored = backend
                .fetch_text("SELECT token_hash FROM dashboard_sessions")
                .await
                .unwrap();
            assert_eq!(stored, Some(sha256_hex(secret.expose_secret())));
        })
        .await;
    }

    #[tokio::test]
    async fn a_session_ends_when_it_expires() {
        for_each_backend(|backend| async move {
            let (_, _, secret) = signed_in(&backend.store).await;
            backend.clock.advance(TTL - Duration::from_secs(1));
            assert!(is_live(&backend.store, &secret).await);
            backend.clock.advance(Duration::from_secs(1));
            assert!(!is_live(&backend.store, &secret).await);
            let deleted = backend
                .store
                .delete_expired_dashboard_sessions()
                .await
                .unwrap();
            assert_eq!(deleted, 1);
        })
        .await;
    }

    #[tokio::test]
    async fn revoking_the_api_key_ends_its_sessions() {
        for_each_backend(|backend| async move {
            let (tenant, _, secret) = signed_in(&backend.store).await;
            let session = backend
                .store
                .dashboard_session(secret.expose_secret())
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("signed in"));
            backend
                .store
                .revoke_api_key(tenant.id, session.api_key_id)
                .await
                .unwrap();
            assert!(!is_live(&backend.store, &secret).await);
        })
        .await;
    }

    #[tokio::test]
    async fn signing_out_ends_the_session_and_only_that_one() {
        for_each_backend(|backend| async move {
            let (_, key, first) = signed_in(&backend.store).await;
            let (_, second) = backend
                .store
                .open_dashboard_session(key.expose_secret(), TTL)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("a second sign-in"));
            backend
                .store
                .close_dashboard_session(first.expose_secret())
                .await
                .unwrap();
            assert!(!is_live(&backend.store, &first).await);
            assert!(is_live(&backend.store, &second).await);
        })
        .await;
    }
}
