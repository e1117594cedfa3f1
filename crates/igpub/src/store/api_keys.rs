//! Tenants' API keys: random, shown once, stored as a prefix and a SHA-256 hash.
//!
//! A key looks like `igpub_` followed by 43 base64url characters (256 random bits). Its first
//! 14 characters are stored in clear as the prefix: they find the candidate rows and tell keys
//! apart in listings, while the remaining 35 characters (over 200 bits) stay secret.

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::secret_token::{has_secret_shape, random_secret, sha256_hex};
use super::sql::{SqlStore, on_pool, optional_timestamp, timestamp};
use super::{ApiKeyId, ApiKeyStore, StoreError, Tenant, TenantId};

/// How every igpub API key starts, so a leaked key is recognisable (e.g. by secret scanners).
pub const API_KEY_PREFIX: &str = "igpub_";

/// How many leading characters of a key are stored in clear.
const STORED_PREFIX_CHARS: usize = API_KEY_PREFIX.len() + 8;
const MAX_LABEL_CHARS: usize = 100;

/// Recording every use would make each request a write; to the minute is enough.
const LAST_USED_RESOLUTION_MILLIS: i64 = 60_000;

/// An API key as the store knows it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// The tenant it authenticates.
    pub tenant_id: TenantId,
    /// The key's first characters, e.g. `igpub_AbCd1234`.
    pub prefix: String,
    /// A name for people.
    pub label: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A key just made: its row, and the secret to show once.
pub(crate) struct IssuedApiKey {
    pub(crate) id: ApiKeyId,
    pub(crate) tenant_id: TenantId,
    pub(crate) prefix: String,
    pub(crate) hash: String,
    pub(crate) label: String,
    pub(crate) created_at: Timestamp,
    pub(crate) secret: SecretString,
}

impl IssuedApiKey {
    pub(crate) fn new(tenant_id: TenantId, label: &str, created_at: Timestamp) -> Self {
        let secret = random_secret(API_KEY_PREFIX);
        let text = secret.expose_secret();
        Self {
            id: ApiKeyId::generate(),
            tenant_id,
            prefix: text.chars().take(STORED_PREFIX_CHARS).collect(),
            hash: sha256_hex(text),
            label: label.to_owned(),
            created_at,
            secret,
        }
    }

    fn to_api_key(&self) -> ApiKey {
        ApiKey {
            id: self.id,
            tenant_id: self.tenant_id,
            prefix: self.prefix.clone(),
            label: self.label.clone(),
            created_at: self.created_at,
            last_used_at: None,
            revoked_at: None,
        }
    }
}

/// The INSERT of an [`IssuedApiKey`], ready to execute on a pool or a transaction.
macro_rules! insert_api_key {
    ($key:expr) => {{
        let key: &$crate::store::api_keys::IssuedApiKey = $key;
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, prefix, key_hash, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.to_string())
        .bind(key.tenant_id.to_string())
        .bind(key.prefix.clone())
        .bind(key.hash.clone())
        .bind(key.label.clone())
        .bind(key.created_at.as_millisecond())
    }};
}
pub(crate) use insert_api_key;

fn parse_label(label: &str) -> Result<&str, StoreError> {
    let label = label.trim();
    if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "label",
            format!("must be at most {MAX_LABEL_CHARS} characters, without control characters"),
        ));
    }
    Ok(label)
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
    tenant_id: String,
    prefix: String,
    label: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ApiKeyId::from_column("api_keys", "id", &row.id)?,
            tenant_id: TenantId::from_column("api_keys", "tenant_id", &row.tenant_id)?,
            prefix: row.prefix,
            label: row.label,
            created_at: timestamp("api_keys", "created_at", row.created_at)?,
            last_used_at: optional_timestamp("api_keys", "last_used_at", row.last_used_at)?,
            revoked_at: optional_timestamp("api_keys", "revoked_at", row.revoked_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct Candidate {
    key_id: String,
    key_hash: String,
    last_used_at: Option<i64>,
    #[sqlx(flatten)]
    tenant: super::tenants::TenantRow,
}

#[async_trait]
impl ApiKeyStore for SqlStore {
    async fn create_api_key(
        &self,
        tenant: TenantId,
        label: &str,
    ) -> Result<(ApiKey, SecretString), StoreError> {
        let created_at = timestamp("api_keys", "created_at", self.now_millis())?;
        let key = IssuedApiKey::new(tenant, parse_label(label)?, created_at);
        let inserted = on_pool!(&self.pool, |pool| {
            insert_api_key!(&key)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(_) => Ok((key.to_api_key(), key.secret)),
            Err(error) if super::sql::is_foreign_key_violation(&error) => {
                Err(StoreError::not_found("tenant", tenant))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
        let rows: Vec<ApiKeyRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, prefix, label, created_at, last_used_at, revoked_at \
                 FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    async fn revoke_api_key(&self, tenant: TenantId, key: ApiKeyId) -> Result<ApiKey, StoreError> {
        let row: Option<ApiKeyRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) \
                 WHERE tenant_id = $1 AND id = $2 \
                 RETURNING id, tenant_id, prefix, label, created_at, last_used_at, revoked_at",
            )
            .bind(tenant.to_string())
            .bind(key.to_string())
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| StoreError::not_found("API key", key))?
            .try_into()
    }

    async fn authenticate_api_key(&self, presented: &str) -> Result<Option<Tenant>, StoreError> {
        if !has_secret_shape(presented, API_KEY_PREFIX) {
            return Ok(None);
        }
        let prefix: String = presented.chars().take(STORED_PREFIX_CHARS).collect();
        let hash = sha256_hex(presented);
        let candidates: Vec<Candidate> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT k.id AS key_id, k.key_hash, k.last_used_at, \
                        t.id, t.name, t.created_at, t.meta_app_id, t.auto_fix \
                 FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
                 WHERE k.prefix = $1 AND k.revoked_at IS NULL",
            )
            .bind(prefix)
            .fetch_all(pool)
            .await?
        });
        // Compare every candidate in constant time so timing tells nothing about the hash.
        let mut found = None;
        for candidate in candidates {
            if bool::from(candidate.key_hash.as_bytes().ct_eq(hash.as_bytes())) {
                found = Some(candidate);
            }
        }
        let Some(found) = found else { return Ok(None) };
        let now = self.now_millis();
        if found
            .last_used_at
            .is_none_or(|last| now - last >= LAST_USED_RESOLUTION_MILLIS)
        {
            on_pool!(&self.pool, |pool| {
                sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
                    .bind(&found.key_id)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(Some(found.tenant.try_into()?))
    }
}
