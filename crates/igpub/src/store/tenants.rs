//! Tenants, and the Meta app a tenant may bring instead of the service's.

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use url::Url;

use super::api_keys::{IssuedApiKey, insert_api_key};
use super::sql::{SqlStore, on_pool, timestamp};
use super::{StoreError, TenantId, TenantStore};
use crate::vault::TokenContext;

const MAX_NAME_CHARS: usize = 200;
const MAX_APP_ID_CHARS: usize = 32;
const MAX_APP_SECRET_BYTES: usize = 256;

/// A customer of igpub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// A name for people (not unique).
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// The id of its own Meta app, if it uses one (see [`TenantStore::meta_app_override`]).
    pub meta_app_id: Option<String>,
    /// Its default for fixing refused media when a post does not say; `None` follows the
    /// service's `media.auto_fix`.
    pub auto_fix: Option<bool>,
}

/// A tenant's own Meta app, used for its Facebook Login instead of the service's.
#[derive(Debug, Clone)]
pub struct MetaAppOverride {
    /// The Meta app id (digits).
    pub app_id: String,
    /// The app secret; stored encrypted, never shown.
    pub app_secret: SecretString,
    /// The OAuth redirect URL registered with that app; `None` uses the service's.
    pub redirect_url: Option<Url>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: String,
    name: String,
    created_at: i64,
    meta_app_id: Option<String>,
    auto_fix: Option<bool>,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;

    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TenantId::from_column("tenants", "id", &row.id)?,
            name: row.name,
            created_at: timestamp("tenants", "created_at", row.created_at)?,
            meta_app_id: row.meta_app_id,
            auto_fix: row.auto_fix,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MetaAppRow {
    meta_app_id: Option<String>,
    meta_app_secret: Option<String>,
    meta_redirect_url: Option<String>,
}

fn parse_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::invalid(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name)
}

fn check_meta_app(app: &MetaAppOverride) -> Result<(), StoreError> {
    let id = &app.app_id;
    if id.is_empty() || id.len() > MAX_APP_ID_CHARS || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::invalid(
            "app_id",
            format!("must be the Meta app id: 1 to {MAX_APP_ID_CHARS} digits"),
        ));
    }
    let secret = app.app_secret.expose_secret();
    if secret.trim().is_empty() || secret.len() > MAX_APP_SECRET_BYTES {
        return Err(StoreError::invalid(
            "app_secret",
            format!("must be 1 to {MAX_APP_SECRET_BYTES} characters"),
        ));
    }
    if let Some(url) = &app.redirect_url
        && !matches!(url.scheme(), "https" | "http")
    {
        return Err(StoreError::invalid(
            "redirect_url",
            "must be an http or https URL",
        ));
    }
    Ok(())
}

const SELECT_TENANT: &str =
    "SELECT id, name, created_at, meta_app_id, auto_fix FROM tenants WHERE id = $1";

#[async_trait]
impl TenantStore for SqlStore {
    async fn create_tenant(&self, name: &str) -> Result<(Tenant, SecretString), StoreError> {
        let tenant = Tenant {
            id: TenantId::generate(),
            name: parse_name(name)?.to_owned(),
            created_at: timestamp("tenants", "created_at", self.now_millis())?,
            meta_app_id: None,
            auto_fix: None,
        };
        let key = IssuedApiKey::new(tenant.id, "initial", tenant.created_at);
        on_pool!(&self.pool, |pool| {
            let mut transaction = pool.begin().await?;
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(tenant.id.to_string())
                .bind(&tenant.name)
                .bind(tenant.created_at.as_millisecond())
                .execute(&mut *transaction)
                .await?;
            insert_api_key!(&key).execute(&mut *transaction).await?;
            transaction.commit().await?;
        });
        Ok((tenant, key.secret))
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Tenant, StoreError> {
        let row: Option<TenantRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(SELECT_TENANT)
                .bind(tenant.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.ok_or_else(|| StoreError::not_found("tenant", tenant))?
            .try_into()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, name, created_at, meta_app_id, auto_fix FROM tenants ORDER BY created_at, id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Tenant::try_from).collect()
    }

    async fn set_meta_app_override(
        &self,
        tenant: TenantId,
        app: &MetaAppOverride,
    ) -> Result<(), StoreError> {
        check_meta_app(app)?;
        let secret = self.seal(&app.app_secret, &TokenContext::meta_app_secret(tenant))?;
        let redirect_url = app.redirect_url.as_ref().map(Url::to_string);
        let updated = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE tenants SET meta_app_id = $2, meta_app_secret = $3, meta_redirect_url = $4 \
                 WHERE id = $1",
            )
            .bind(tenant.to_string())
            .bind(&app.app_id)
            .bind(secret)
            .bind(redirect_url)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::not_found("tenant", tenant));
        }
        Ok(())
    }

    async fn set_tenant_auto_fix(
        &self,
        tenant: TenantId,
        auto_fix: Option<bool>,
    ) -> Result<Tenant, StoreError> {
        let changed = on_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE tenants SET auto_fix = $2 WHERE id = $1")
                .bind(tenant.to_string())
                .bind(auto_fix)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::not_found("tenant", tenant));
        }
        self.get_tenant(tenant).await
    }

    async fn clear_meta_app_override(&self, tenant: TenantId) -> Result<(), StoreError> {
        let updated = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE tenants SET meta_app_id = NULL, meta_app_secret = NULL, \
                 meta_redirect_url = NULL WHERE id = $1",
            )
            .bind(tenant.to_string())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::not_found("tenant", tenant));
        }
        Ok(())
    }

    async fn meta_app_override(
        &self,
        tenant: TenantId,
    ) -> Result<Option<MetaAppOverride>, StoreError> {
        let row: Option<MetaAppRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT meta_app_id, meta_app_secret, meta_redirect_url FROM tenants WHERE id = $1",
            )
            .bind(tenant.to_string())
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or_else(|| StoreError::not_found("tenant", tenant))?;
        let (Some(app_id), Some(sealed)) = (row.meta_app_id, row.meta_app_secret) else {
            return Ok(None);
        };
        let redirect_url = row
            .meta_redirect_url
            .map(|text| Url::parse(&text))
            .transpose()
            .map_err(|e| StoreError::Corrupt {
                table: "tenants",
                column: "meta_redirect_url",
                problem: e.to_string(),
            })?;
        let app_secret = self.unseal(&sealed, &TokenContext::meta_app_secret(tenant))?;
        Ok(Some(MetaAppOverride {
            app_id,
            app_secret,
            redirect_url,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_name_is_trimmed_and_must_hold_something_visible() {
        assert_eq!(parse_name("  Acme  ").unwrap(), "Acme");
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(MAX_NAME_CHARS + 1)] {
            let error = parse_name(bad).unwrap_err();
            assert!(error.to_string().starts_with("name "), "{error}");
        }
    }

    #[test]
    fn a_meta_app_override_needs_a_numeric_id_a_secret_and_a_web_redirect() {
        let good = MetaAppOverride {
            app_id: "138483919580948".into(),
            app_secret: SecretString::from("s3cret"),
            redirect_url: Some(Url::parse("https://app.example/oauth/facebook/callback").unwrap()),
        };
        assert!(check_meta_app(&good).is_ok());
        let cases = [
            (
                MetaAppOverride {
                    app_id: "12a".into(),
                    ..good.clone()
                },
                "app_id",
            ),
            (
                MetaAppOverride {
                    app_secret: SecretString::from(" "),
                    ..good.clone()
                },
                "app_secret",
            ),
            (
                MetaAppOverride {
                    redirect_url: Some(Url::parse("ftp://x.example/").unwrap()),
                    ..good.clone()
                },
                "redirect_url",
            ),
        ];
        for (app, field) in cases {
            match check_meta_app(&app) {
                Err(StoreError::InvalidInput { field: named, .. }) => assert_eq!(named, field),
                other => panic!("expected an error naming {field}, got {other:?}"),
            }
        }
    }
}
