//! Key rotation: re-encrypting stored secrets under the key ring's active key.
//!
//! Envelopes sealed under the active key start with [`Vault::current_text_prefix`], so the
//! secrets still to rotate are found in SQL without decrypting anything, and a run that stops
//! half way is resumed by running again.
//!
//! [`Vault::current_text_prefix`]: crate::vault::Vault::current_text_prefix

use super::sql::{SqlStore, on_pool};
use super::{IntegrationId, RotationReport, StoreError, TenantId};
use crate::vault::TokenContext;

/// One kind of sealed column, and how to rotate its values.
struct SealedColumn {
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

const SEALED_COLUMNS: [SealedColumn; 2] = [INTEGRATION_TOKENS, META_APP_SECRETS];

impl SqlStore {
    pub(crate) async fn rotate_batch(&self, batch_size: u32) -> Result<RotationReport, StoreError> {
        if batch_size == 0 {
            return Err(StoreError::invalid("batch_size", "must be at least 1"));
        }
        let current = self.vault.current_text_prefix();
        let mut budget = u64::from(batch_size);
        let mut report = RotationReport::default();
        for column in &SEALED_COLUMNS {
            if budget > 0 {
                let rotated = self.rotate_column(column, &current, budget).await?;
                report.re_encrypted += rotated;
                budget -= rotated.min(budget);
            }
            report.remaining += self.count_to_rotate(column, &current).await?;
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
