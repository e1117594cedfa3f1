//! Integrations: a tenant's connected Instagram accounts, their encrypted tokens and health.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::sql::{SqlStore, is_foreign_key_violation, on_pool, optional_timestamp, timestamp};
use super::{IntegrationId, IntegrationStore, StoreError, TenantId, TenantScope};
use crate::vault::TokenContext;

const MAX_ID_CHARS: usize = 64;
const MAX_USERNAME_CHARS: usize = 100;
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// `last_error` keeps Meta's message for people; longer texts are cut, not refused.
const MAX_ERROR_CHARS: usize = 1000;
/// Bounded so that a database that keeps refusing both paths cannot spin forever.
const UPSERT_ATTEMPTS: usize = 3;

/// The platform an integration connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Instagram, through Facebook Login (Business and Creator accounts).
    Instagram,
}

impl Provider {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instagram => "instagram",
        }
    }
}

/// The health of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// The token works (as far as igpub knows).
    Active,
    /// Meta refused the token (code 190); the account must be connected again.
    NeedsReconnect,
    /// The tenant disconnected it; no token is kept.
    Disconnected,
}

impl IntegrationStatus {
    /// The stored text (`active`, `needs_reconnect`, `disconnected`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
        }
    }
}

impl fmt::Display for IntegrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IntegrationStatus {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, StoreError> {
        match text {
            "active" => Ok(Self::Active),
            "needs_reconnect" => Ok(Self::NeedsReconnect),
            "disconnected" => Ok(Self::Disconnected),
            _ => Err(StoreError::invalid(
                "status",
                "must be one of active, needs_reconnect, disconnected",
            )),
        }
    }
}

/// What an Instagram integration records about the account (the `metadata` column).
///
/// Serialized with exactly these camelCase keys; `tokenExpiresAt` is ISO 8601 or null for a
/// token that never expires. It never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstagramMetadata {
    /// The Instagram professional account's id.
    pub ig_user_id: String,
    /// Its username at the last connect.
    pub ig_username: String,
    /// The Facebook Page it is linked to (whose token the integration holds).
    pub facebook_page_id: String,
    /// When the Page token expires; `None` for a token that never expires.
    pub token_expires_at: Option<Timestamp>,
}

/// A connected account, without its token (see [`IntegrationStore::integration_token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    /// Its id; stable across reconnects.
    pub id: IntegrationId,
    /// The tenant that owns it.
    pub tenant_id: TenantId,
    /// The platform.
    pub provider: Provider,
    /// What is known about the account.
    pub metadata: InstagramMetadata,
    /// Its health.
    pub status: IntegrationStatus,
    /// When the token was last checked against Meta successfully.
    pub last_verified_at: Option<Timestamp>,
    /// Why it needs reconnecting, in Meta's words.
    pub last_error: Option<String>,
    /// When it was first connected.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What the connect flow learned about an account, with its Page token.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    /// The Instagram professional account's id.
    pub ig_user_id: String,
    /// Its username.
    pub ig_username: String,
    /// The linked Facebook Page's id.
    pub facebook_page_id: String,
    /// The Page access token (stored encrypted).
    pub page_token: SecretString,
    /// When the token expires; `None` when it never does (a Page token obtained from a
    /// long-lived user token, graph-api.md §5.2).
    pub token_expires_at: Option<Timestamp>,
}

impl NewIntegration {
    /// Checks every field and returns the metadata to store, at stored (millisecond) precision.
    fn metadata(&self) -> Result<InstagramMetadata, StoreError> {
        check_graph_id("ig_user_id", &self.ig_user_id)?;
        check_graph_id("facebook_page_id", &self.facebook_page_id)?;
        let username = self.ig_username.trim();
        if username.is_empty()
            || username.chars().count() > MAX_USERNAME_CHARS
            || username.chars().any(char::is_control)
        {
            return Err(StoreError::invalid(
                "ig_username",
                format!("must be 1 to {MAX_USERNAME_CHARS} characters, without control characters"),
            ));
        }
        let token = self.page_token.expose_secret();
        if token.trim().is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(StoreError::invalid(
                "page_token",
                format!("must be 1 to {MAX_TOKEN_BYTES} bytes"),
            ));
        }
        let token_expires_at = self
            .token_expires_at
            .map(|at| timestamp("integrations", "token_expires_at", at.as_millisecond()))
            .transpose()?;
        Ok(InstagramMetadata {
            ig_user_id: self.ig_user_id.clone(),
            ig_username: username.to_owned(),
            facebook_page_id: self.facebook_page_id.clone(),
            token_expires_at,
        })
    }
}

fn check_graph_id(field: &'static str, id: &str) -> Result<(), StoreError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            format!("must be a Graph id: 1 to {MAX_ID_CHARS} letters, digits, '_' or '-'"),
        ))
    }
}

/// Cuts `text` to at most `max` characters, on a character boundary.
fn truncate_chars(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .and_then(|(end, _)| text.get(..end))
        .unwrap_or(text)
}

/// The columns every integration query returns, in [`IntegrationRow`]'s order.
macro_rules! integration_columns {
    () => {
        "id, tenant_id, provider, metadata, status, last_verified_at, last_error, created_at, \
         updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct IntegrationRow {
    id: String,
    tenant_id: String,
    provider: String,
    metadata: String,
    status: String,
    last_verified_at: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<IntegrationRow> for Integration {
    type Error = StoreError;

    fn try_from(row: IntegrationRow) -> Result<Self, StoreError> {
        const TABLE: &str = "integrations";
        let corrupt = |column, problem: String| StoreError::Corrupt {
            table: TABLE,
            column,
            problem,
        };
        let provider = match row.provider.as_str() {
            "instagram" => Provider::Instagram,
            other => return Err(corrupt("provider", format!("unknown provider {other:?}"))),
        };
        Ok(Self {
            id: IntegrationId::from_column(TABLE, "id", &row.id)?,
            tenant_id: TenantId::from_column(TABLE, "tenant_id", &row.tenant_id)?,
            provider,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("metadata", e.to_string()))?,
            status: row
                .status
                .parse()
                .map_err(|e: StoreError| corrupt("status", e.to_string()))?,
            last_verified_at: optional_timestamp(TABLE, "last_verified_at", row.last_verified_at)?,
            last_error: row.last_error,
            created_at: timestamp(TABLE, "created_at", row.created_at)?,
            updated_at: timestamp(TABLE, "updated_at", row.updated_at)?,
        })
    }
}

fn integrations(rows: Vec<IntegrationRow>) -> Result<Vec<Integration>, StoreError> {
    rows.into_iter().map(Integration::try_from).collect()
}

/// The columns a connect writes, with the token already sealed for `id`.
struct IntegrationWrite<'a> {
    tenant: TenantId,
    id: IntegrationId,
    sealed_token: String,
    metadata_json: &'a str,
    ig_user_id: &'a str,
    token_expires_at: Option<i64>,
}

/// One health change: `status`, `last_error`, and `last_verified_at` when given.
struct Health<'a> {
    status: IntegrationStatus,
    last_error: Option<&'a str>,
    verified_at: Option<Timestamp>,
}

impl SqlStore {
    async fn fetch_integration(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Option<Integration>, StoreError> {
        let row: Option<IntegrationRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                integration_columns!(),
                " FROM integrations WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(Integration::try_from).transpose()
    }

    /// Stores a new token and metadata on an existing integration; `None` if it vanished.
    async fn reconnect(
        &self,
        write: &IntegrationWrite<'_>,
    ) -> Result<Option<Integration>, StoreError> {
        let row: Option<IntegrationRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "UPDATE integrations SET api_key = $3, metadata = $4, status = 'active', \
                 last_error = NULL, last_verified_at = NULL, token_expires_at = $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND id = $2 RETURNING ",
                integration_columns!()
            ))
            .bind(write.tenant.to_string())
            .bind(write.id.to_string())
            .bind(&write.sealed_token)
            .bind(write.metadata_json)
            .bind(write.token_expires_at)
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        row.map(Integration::try_from).transpose()
    }

    /// Inserts a new integration; `None` if the account was connected concurrently.
    async fn insert_integration(
        &self,
        write: &IntegrationWrite<'_>,
    ) -> Result<Option<Integration>, StoreError> {
        let inserted: Result<Option<IntegrationRow>, sqlx::Error> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "INSERT INTO integrations (id, tenant_id, provider, api_key, metadata, status, \
                 created_at, updated_at, ig_user_id, token_expires_at) \
                 VALUES ($1, $2, 'instagram', $3, $4, 'active', $5, $5, $6, $7) \
                 ON CONFLICT (tenant_id, provider, ig_user_id) DO NOTHING RETURNING ",
                integration_columns!()
            ))
            .bind(write.id.to_string())
            .bind(write.tenant.to_string())
            .bind(&write.sealed_token)
            .bind(write.metadata_json)
            .bind(self.now_millis())
            .bind(write.ig_user_id)
            .bind(write.token_expires_at)
            .fetch_optional(pool)
            .await
        });
        match inserted {
            Ok(row) => row.map(Integration::try_from).transpose(),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StoreError::not_found("tenant", write.tenant))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Applies a health change unless the integration is disconnected.
    async fn set_health(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        health: Health<'_>,
    ) -> Result<Integration, StoreError> {
        let row: Option<IntegrationRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "UPDATE integrations SET status = $3, last_error = $4, \
                 last_verified_at = COALESCE($5, last_verified_at), updated_at = $6 \
                 WHERE tenant_id = $1 AND id = $2 AND status <> 'disconnected' RETURNING ",
                integration_columns!()
            ))
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .bind(health.status.as_str())
            .bind(health.last_error)
            .bind(health.verified_at.map(|at| at.as_millisecond()))
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) => row.try_into(),
            None => Err(self.why_unchanged(tenant, integration).await),
        }
    }

    /// The integration's token as stored (its envelope); [`StoreError::Disconnected`] when it
    /// has none.
    async fn sealed_token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<String, StoreError> {
        let sealed: Option<Option<String>> = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar("SELECT api_key FROM integrations WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(integration.to_string())
                .fetch_optional(pool)
                .await?
        });
        match sealed {
            None => Err(StoreError::not_found("integration", integration)),
            Some(None) => Err(StoreError::Disconnected(integration)),
            Some(Some(sealed)) => Ok(sealed),
        }
    }

    /// Why an update that skips disconnected integrations touched nothing.
    async fn why_unchanged(&self, tenant: TenantId, integration: IntegrationId) -> StoreError {
        match self.fetch_integration(tenant, integration).await {
            Ok(Some(_)) => StoreError::Disconnected(integration),
            Ok(None) => StoreError::not_found("integration", integration),
            Err(error) => error,
        }
    }
}

#[async_trait]
impl IntegrationStore for SqlStore {
    async fn upsert_instagram_integration(
        &self,
        tenant: TenantId,
        new: NewIntegration,
    ) -> Result<Integration, StoreError> {
        let metadata = new.metadata()?;
        let metadata_json = serde_json::to_string(&metadata).map_err(|e| {
            StoreError::invalid("metadata", format!("cannot be written as JSON: {e}"))
        })?;
        // Two concurrent connects of one account race between the two paths; whichever loses
        // finds the winner's row on the next attempt.
        for _ in 0..UPSERT_ATTEMPTS {
            let existing = self
                .find_integration_by_ig_user(tenant, &metadata.ig_user_id)
                .await?;
            // The ciphertext is bound to the integration's id, so the id is decided first.
            let id = existing
                .as_ref()
                .map_or_else(IntegrationId::generate, |found| found.id);
            let write = IntegrationWrite {
                tenant,
                id,
                sealed_token: self.seal(&new.page_token, &TokenContext::integration(tenant, id))?,
                metadata_json: &metadata_json,
                ig_user_id: &metadata.ig_user_id,
                token_expires_at: metadata.token_expires_at.map(|at| at.as_millisecond()),
            };
            let done = match existing {
                Some(_) => self.reconnect(&write).await?,
                None => self.insert_integration(&write).await?,
            };
            if let Some(integration) = done {
                return Ok(integration);
            }
        }
        Err(StoreError::Conflict(format!(
            "Instagram account {} kept changing while it was being connected; try again",
            metadata.ig_user_id
        )))
    }

    async fn get_integration(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Integration, StoreError> {
        self.fetch_integration(tenant, integration)
            .await?
            .ok_or_else(|| StoreError::not_found("integration", integration))
    }

    async fn find_integration_by_ig_user(
        &self,
        tenant: TenantId,
        ig_user_id: &str,
    ) -> Result<Option<Integration>, StoreError> {
        let row: Option<IntegrationRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                integration_columns!(),
                " FROM integrations \
                 WHERE tenant_id = $1 AND provider = 'instagram' AND ig_user_id = $2"
            ))
            .bind(tenant.to_string())
            .bind(ig_user_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Integration::try_from).transpose()
    }

    async fn list_integrations(&self, scope: TenantScope) -> Result<Vec<Integration>, StoreError> {
        let rows: Vec<IntegrationRow> = on_pool!(&self.pool, |pool| match scope {
            TenantScope::Tenant(tenant) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    integration_columns!(),
                    " FROM integrations WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(tenant.to_string())
                .fetch_all(pool)
                .await?
            }
            TenantScope::AllTenants => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    integration_columns!(),
                    " FROM integrations ORDER BY created_at, id"
                ))
                .fetch_all(pool)
                .await?
            }
        });
        integrations(rows)
    }

    async fn integrations_expiring_within(
        &self,
        scope: TenantScope,
        within: Duration,
    ) -> Result<Vec<Integration>, StoreError> {
        let horizon = self.millis_after("within", within)?;
        let rows: Vec<IntegrationRow> = on_pool!(&self.pool, |pool| match scope {
            TenantScope::Tenant(tenant) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    integration_columns!(),
                    " FROM integrations WHERE status <> 'disconnected' \
                     AND token_expires_at <= $1 AND tenant_id = $2 \
                     ORDER BY token_expires_at, id"
                ))
                .bind(horizon)
                .bind(tenant.to_string())
                .fetch_all(pool)
                .await?
            }
            TenantScope::AllTenants => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    integration_columns!(),
                    " FROM integrations WHERE status <> 'disconnected' \
                     AND token_expires_at <= $1 ORDER BY token_expires_at, id"
                ))
                .bind(horizon)
                .fetch_all(pool)
                .await?
            }
        });
        integrations(rows)
    }

    async fn integration_token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<SecretString, StoreError> {
        let sealed = self.sealed_token(tenant, integration).await?;
        self.unseal(&sealed, &TokenContext::integration(tenant, integration))
    }

    async fn mark_needs_reconnect(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        reason: &str,
    ) -> Result<Integration, StoreError> {
        let health = Health {
            status: IntegrationStatus::NeedsReconnect,
            last_error: Some(truncate_chars(reason, MAX_ERROR_CHARS)),
            verified_at: None,
        };
        self.set_health(tenant, integration, health).await
    }

    async fn mark_needs_reconnect_if_token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        refused: &SecretString,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let sealed = self.sealed_token(tenant, integration).await?;
        let stored = self.unseal(&sealed, &TokenContext::integration(tenant, integration))?;
        if stored.expose_secret() != refused.expose_secret() {
            return Ok(false);
        }
        // Compare-and-set on the envelope: every reconnect seals with a fresh nonce, so an
        // unchanged envelope means no reconnect happened since it was read.
        let marked = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE integrations SET status = $3, last_error = $4, updated_at = $5 \
                 WHERE tenant_id = $1 AND id = $2 AND api_key = $6 AND status <> 'disconnected'",
            )
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .bind(IntegrationStatus::NeedsReconnect.as_str())
            .bind(truncate_chars(reason, MAX_ERROR_CHARS))
            .bind(self.now_millis())
            .bind(&sealed)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if marked == 1 {
            return Ok(true);
        }
        // Not marked: the envelope changed (a reconnect) or the integration was disconnected
        // since it was read.
        match self.fetch_integration(tenant, integration).await? {
            Some(found) if found.status == IntegrationStatus::Disconnected => {
                Err(StoreError::Disconnected(integration))
            }
            Some(_) => Ok(false),
            None => Err(StoreError::not_found("integration", integration)),
        }
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        at: Timestamp,
    ) -> Result<Integration, StoreError> {
        let health = Health {
            status: IntegrationStatus::Active,
            last_error: None,
            verified_at: Some(at),
        };
        self.set_health(tenant, integration, health).await
    }

    async fn disconnect(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Integration, StoreError> {
        let row: Option<IntegrationRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "UPDATE integrations SET status = 'disconnected', api_key = NULL, updated_at = $3 \
                 WHERE tenant_id = $1 AND id = $2 RETURNING ",
                integration_columns!()
            ))
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .bind(self.now_millis())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| StoreError::not_found("integration", integration))?
            .try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_integration() -> NewIntegration {
        NewIntegration {
            ig_user_id: "17841405822304914".into(),
            ig_username: "acme".into(),
            facebook_page_id: "134895793791914".into(),
            page_token: SecretString::from("EAAG-token"),
            token_expires_at: None,
        }
    }

    #[test]
    fn metadata_serializes_with_the_documented_camel_case_keys() {
        let mut new = new_integration();
        new.token_expires_at = Some("2026-01-02T03:04:05.678Z".parse().unwrap());
        let json: serde_json::Value = serde_json::to_value(new.metadata().unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "igUserId": "17841405822304914",
                "igUsername": "acme",
                "facebookPageId": "134895793791914",
                "tokenExpiresAt": "2026-01-02T03:04:05.678Z",
            })
        );
        let never = serde_json::to_value(new_integration().metadata().unwrap()).unwrap();
        assert_eq!(never["tokenExpiresAt"], serde_json::Value::Null);
    }

    #[test]
    fn an_expiry_is_kept_to_the_millisecond_as_stored() {
        let mut new = new_integration();
        new.token_expires_at = Some("2026-01-02T03:04:05.678912Z".parse().unwrap());
        let kept = new.metadata().unwrap().token_expires_at.unwrap();
        assert_eq!(
            kept,
            "2026-01-02T03:04:05.678Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn each_bad_field_is_named_in_the_error() {
        type Spoil = fn(&mut NewIntegration);
        let cases: [(&str, Spoil); 4] = [
            ("ig_user_id", |n| n.ig_user_id = "17841 4".into()),
            ("facebook_page_id", |n| n.facebook_page_id = String::new()),
            ("ig_username", |n| n.ig_username = " ".into()),
            ("page_token", |n| n.page_token = SecretString::from("")),
        ];
        for (field, spoil) in cases {
            let mut new = new_integration();
            spoil(&mut new);
            match new.metadata() {
                Err(StoreError::InvalidInput { field: named, .. }) => assert_eq!(named, field),
                other => panic!("expected an error naming {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_long_reason_is_cut_on_a_character_boundary() {
        let reason = "é".repeat(MAX_ERROR_CHARS + 5);
        assert_eq!(
            truncate_chars(&reason, MAX_ERROR_CHARS).chars().count(),
            MAX_ERROR_CHARS
        );
        assert_eq!(truncate_chars("short", MAX_ERROR_CHARS), "short");
    }

    #[test]
    fn a_status_round_trips_through_its_stored_text() {
        for status in [
            IntegrationStatus::Active,
            IntegrationStatus::NeedsReconnect,
            IntegrationStatus::Disconnected,
        ] {
            assert_eq!(
                status.as_str().parse::<IntegrationStatus>().unwrap(),
                status
            );
        }
        assert!("paused".parse::<IntegrationStatus>().is_err());
    }
}
