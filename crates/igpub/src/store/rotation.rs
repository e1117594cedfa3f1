//! Key rotation: re-encrypting stored secrets under the key ring's active key.
//!
//! Every column the vault seals is walked, one [`SecretKind`] after the other: integrations'
//! Page tokens, tenants' Meta app secrets, webhook endpoints' signing secrets and the user
//! tokens of connect sessions. Envelopes sealed under the active key start with
//! [`Vault::current_text_prefix`], so the secrets still to rotate are found in SQL without
//! decrypting anything, and a run that stops half way is resumed by running again.
//!
//! Each value is opened and sealed again with the associated data it was sealed with (the
//! same [`TokenContext`] the column's own store uses), so after a rotation every reader opens
//! it exactly as before, under the new key.
//!
//! [`Vault::current_text_prefix`]: crate::vault::Vault::current_text_prefix

use std::fmt;

use super::sql::{SqlStore, on_pool};
use super::{ConnectSessionId, IntegrationId, RotationReport, StoreError, TenantId, WebhookId};
use crate::vault::TokenContext;

/// A kind of secret the store keeps sealed by the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// Integrations' Page access tokens (`integrations.api_key`).
    IntegrationToken,
    /// Tenants' own Meta app secrets (`tenants.meta_app_secret`).
    MetaAppSecret,
    /// Outbound webhook endpoints' signing secrets (`webhook_endpoints.secret`), deleted
    /// endpoints included: their rows stay, so their envelopes must not outlive the old key.
    WebhookSecret,
    /// The user tokens connect sessions keep while the person picks an account
    /// (`connect_sessions.user_token`), expired sessions included until they are swept.
    ConnectSessionToken,
}

impl SecretKind {
    /// Every kind, in the order a rotation walks them.
    pub const ALL: [Self; 4] = [
        Self::IntegrationToken,
        Self::MetaAppSecret,
        Self::WebhookSecret,
        Self::ConnectSessionToken,
    ];

    /// What people call secrets of this kind, in the plural (for progress reports).
    pub fn plural_name(self) -> &'static str {
        match self {
            Self::IntegrationToken => "integration tokens",
            Self::MetaAppSecret => "Meta app secrets",
            Self::WebhookSecret => "webhook signing secrets",
            Self::ConnectSessionToken => "connect session tokens",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural_name())
    }
}

/// What one rotation batch did to one kind of secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRotation {
    /// The kind of secret.
    pub kind: SecretKind,
    /// Secrets of this kind re-encrypted under the active key by the batch.
    pub re_encrypted: u64,
    /// Secrets of this kind still sealed under another key after the batch.
    pub remaining: u64,
}

/// One sealed column, and how to rotate its values.
struct SealedColumn {
    /// Which secrets the column holds.
    kind: SecretKind,
    /// Up to `$2` rows `(id, tenant_id, sealed)` whose envelope does not start with `$1`.
    select: &'static str,
    /// Sets the envelope of row `$1` to `$2` if it still is `$3`.
    update: &'static str,
    /// How many envelopes do not start with `$1`.
    count: &'static str,
    /// The associated data the envelope of a row was sealed with.
    context: fn(&SealedRow) -> Result<TokenContext, StoreError>,
}

#[derive(sqlx::FromRow)]
struct SealedRow {
    id: String,
    tenant_id: String,
    sealed: String,
}

const INTEGRATION_TOKENS: SealedColumn = SealedColumn {
    kind: SecretKind::IntegrationToken,
    select: "SELECT id, tenant_id, api_key AS sealed FROM integrations \
             WHERE api_key IS NOT NULL AND substr(api_key, 1, length($1)) <> $1 \
             ORDER BY id LIMIT $2",
    update: "UPDATE integrations SET api_key = $2 WHERE id = $1 AND api_key = $3",
    count: "SELECT count(*) FROM integrations \
            WHERE api_key IS NOT NULL AND substr(api_key, 1, length($1)) <> $1",
    context: |row| {
        Ok(TokenContext::integration(
            TenantId::from_column("integrations", "tenant_id", &row.tenant_id)?,
            IntegrationId::from_column("integrations", "id", &row.id)?,
        ))
    },
};

const META_APP_SECRETS: SealedColumn = SealedColumn {
    kind: SecretKind::MetaAppSecret,
    select: "SELECT id, id AS tenant_id, meta_app_secret AS sealed FROM tenants \
             WHERE meta_app_secret IS NOT NULL AND substr(meta_app_secret, 1, length($1)) <> $1 \
             ORDER BY id LIMIT $2",
    update: "UPDATE tenants SET meta_app_secret = $2 WHERE id = $1 AND meta_app_secret = $3",
    count: "SELECT count(*) FROM tenants \
            WHERE meta_app_secret IS NOT NULL AND substr(meta_app_secret, 1, length($1)) <> $1",
    context: |row| {
        Ok(TokenContext::meta_app_secret(TenantId::from_column(
            "tenants",
            "id",
            &row.tenant_id,
        )?))
    },
};

const WEBHOOK_SECRETS: SealedColumn = SealedColumn {
    kind: SecretKind::WebhookSecret,
    select: "SELECT id, tenant_id, secret AS sealed FROM webhook_endpoints \
             WHERE substr(secret, 1, length($1)) <> $1 ORDER BY id LIMIT $2",
    update: "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1 AND secret = $3",
    count: "SELECT count(*) FROM webhook_endpoints WHERE substr(secret, 1, length($1)) <> $1",
    // Sealed for (tenant, endpoint) by `create_webhook`, opened so by `lease_due_deliveries`.
    context: |row| {
        Ok(TokenContext::webhook(
            TenantId::from_column("webhook_endpoints", "tenant_id", &row.tenant_id)?,
            WebhookId::from_column("webhook_endpoints", "id", &row.id)?,
        ))
    },
};

const CONNECT_SESSION_TOKENS: SealedColumn = SealedColumn {
    kind: SecretKind::ConnectSessionToken,
    select: "SELECT id, tenant_id, user_token AS sealed FROM connect_sessions \
             WHERE substr(user_token, 1, length($1)) <> $1 ORDER BY id LIMIT $2",
    update: "UPDATE connect_sessions SET user_token = $2 WHERE id = $1 AND user_token = $3",
    count: "SELECT count(*) FROM connect_sessions \
            WHERE substr(user_token, 1, length($1)) <> $1",
    // Sealed for (tenant, session) by `create_connect_session`, opened so by
    // `open_connect_session`.
    context: |row| {
        Ok(TokenContext::connect_session(
            TenantId::from_column("connect_sessions", "tenant_id", &row.tenant_id)?,
            ConnectSessionId::from_column("id", &row.id)?,
        ))
    },
};

const SEALED_COLUMNS: [SealedColumn; 4] = [
    INTEGRATION_TOKENS,
    META_APP_SECRETS,
    WEBHOOK_SECRETS,
    CONNECT_SESSION_TOKENS,
];

impl SqlStore {
    /// One batch of [`super::Store::rotate_tokens`]: up to `batch_size` secrets, taken column
    /// by column in [`SecretKind::ALL`] order, then what remains of every kind.
    pub(crate) async fn rotate_batch(&self, batch_size: u32) -> Result<RotationReport, StoreError> {
        if batch_size == 0 {
            return Err(StoreError::invalid("batch_size", "must be at least 1"));
        }
        let current = self.vault.current_text_prefix();
        let mut budget = u64::from(batch_size);
        let mut report = RotationReport::default();
        for column in &SEALED_COLUMNS {
            let re_encrypted = if budget > 0 {
                self.rotate_column(column, &current, budget).await?
            } else {
                0
            };
            budget -= re_encrypted.min(budget);
            let remaining = self.count_to_rotate(column, &current).await?;
            report.re_encrypted += re_encrypted;
            report.remaining += remaining;
            report.kinds.push(KindRotation {
                kind: column.kind,
                re_encrypted,
                remaining,
            });
        }
        Ok(report)
    }

    /// Reseals up to `limit` values of one column; returns how many were replaced.
    async fn rotate_column(
        &self,
        column: &SealedColumn,
        current: &str,
        limit: u64,
    ) -> Result<u64, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<SealedRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(column.select)
                .bind(current)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        let mut replaced = 0;
        for row in rows {
            let resealed = self.reseal(&row.sealed, &(column.context)(&row)?)?;
            // Compare-and-set: a reconnect that stored a new token meanwhile wins, and the next
            // run sees that token already under the active key.
            replaced += on_pool!(&self.pool, |pool| {
                sqlx::query(column.update)
                    .bind(&row.id)
                    .bind(&resealed)
                    .bind(&row.sealed)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(replaced)
    }

    async fn count_to_rotate(
        &self,
        column: &SealedColumn,
        current: &str,
    ) -> Result<u64, StoreError> {
        let count: i64 = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar(column.count)
                .bind(current)
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_secret_has_its_column_in_the_order_reports_list_them() {
        let walked: Vec<SecretKind> = SEALED_COLUMNS.iter().map(|column| column.kind).collect();
        assert_eq!(walked, SecretKind::ALL);
    }
}
