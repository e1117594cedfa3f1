//! Which tenant uploaded which hosted file. Hosted objects are content-addressed and shared
//! (two tenants uploading the same photo store it once); these records are per tenant, so a
//! tenant lists and reads only its own uploads, and another tenant's id answers not found.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

use super::sql::{SqlStore, on_pool, timestamp};
use super::{MediaUploadId, StoreError, TenantId};

const TABLE: &str = "media_uploads";

/// One upload, as `GET /v1/media/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MediaUpload {
    /// The upload's id.
    #[schema(value_type = String)]
    pub id: MediaUploadId,
    /// The hosted file a post should use (the fixed JPEG when the auto-fix changed the file).
    pub media_id: String,
    /// `jpeg`, `png`, `webp`, `mp4` or `mov`.
    pub kind: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its public URL, for a post's `media[].url` (or a reel's `cover_url`).
    pub url: String,
    /// The file as uploaded (kept, even when a fixed copy is used).
    pub original_media_id: String,
    /// The original's public URL.
    pub original_url: String,
    /// What the auto-fix changed; empty when nothing.
    #[schema(value_type = Vec<Object>)]
    pub changes: serde_json::Value,
    /// When it was uploaded.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An upload to record (its id and time are assigned by the store).
#[derive(Debug, Clone)]
pub struct NewMediaUpload {
    /// The hosted file to use.
    pub media_id: String,
    /// Its kind (file extension).
    pub kind: String,
    /// Its size.
    pub size: u64,
    /// Its public URL.
    pub url: String,
    /// The original file.
    pub original_media_id: String,
    /// The original's public URL.
    pub original_url: String,
    /// What the fix changed, as JSON.
    pub changes: serde_json::Value,
}

/// Tenants' uploads to the built-in hosting.
#[async_trait]
pub trait MediaUploadStore: Send + Sync {
    /// Records an upload by `tenant`.
    async fn insert_media_upload(
        &self,
        tenant: TenantId,
        new: NewMediaUpload,
    ) -> Result<MediaUpload, StoreError>;

    /// One upload of the tenant.
    async fn get_media_upload(
        &self,
        tenant: TenantId,
        upload: MediaUploadId,
    ) -> Result<MediaUpload, StoreError>;

    /// The tenant's uploads, newest first; `before` is the last id of the previous page.
    async fn list_media_uploads(
        &self,
        tenant: TenantId,
        before: Option<MediaUploadId>,
        limit: u32,
    ) -> Result<Vec<MediaUpload>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct UploadRow {
    id: String,
    media_id: String,
    kind: String,
    size: i64,
    url: String,
    original_media_id: String,
    original_url: String,
    changes: String,
    created_at: i64,
}

impl TryFrom<UploadRow> for MediaUpload {
    type Error = StoreError;

    fn try_from(row: UploadRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: MediaUploadId::from_column(TABLE, "id", &row.id)?,
            media_id: row.media_id,
            kind: row.kind,
            size: u64::try_from(row.size).unwrap_or_default(),
            url: row.url,
            original_media_id: row.original_media_id,
            original_url: row.original_url,
            changes: serde_json::from_str(&row.changes).map_err(|error| StoreError::Corrupt {
                table: TABLE,
                column: "changes",
                problem: error.to_string(),
            })?,
            created_at: timestamp(TABLE, "created_at", row.created_at)?,
        })
    }
}

/// The columns every query returns, in [`UploadRow`]'s order (a macro, so the SQL stays a
/// static string that `concat!` can build).
macro_rules! columns {
    () => {
        "id, media_id, kind, size, url, original_media_id, original_url, changes, created_at"
    };
}

#[async_trait]
impl MediaUploadStore for SqlStore {
    async fn insert_media_upload(
        &self,
        tenant: TenantId,
        new: NewMediaUpload,
    ) -> Result<MediaUpload, StoreError> {
        let id = MediaUploadId::generate();
        let now = self.now_millis();
        let changes = new.changes.to_string();
        let size = i64::try_from(new.size)
            .map_err(|_| StoreError::invalid("size", "must fit in 63 bits"))?;
        let sql = concat!(
            "INSERT INTO media_uploads (id, tenant_id, media_id, kind, size, url, \
             original_media_id, original_url, changes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ",
            columns!()
        );
        let row: UploadRow = on_pool!(&self.pool, |pool| {
            sqlx::query_as(sql)
                .bind(id.to_string())
                .bind(tenant.to_string())
                .bind(&new.media_id)
                .bind(&new.kind)
                .bind(size)
                .bind(&new.url)
                .bind(&new.original_media_id)
                .bind(&new.original_url)
                .bind(&changes)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    async fn get_media_upload(
        &self,
        tenant: TenantId,
        upload: MediaUploadId,
    ) -> Result<MediaUpload, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM media_uploads WHERE tenant_id = $1 AND id = $2"
        );
        let row: Option<UploadRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(sql)
                .bind(tenant.to_string())
                .bind(upload.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.ok_or_else(|| StoreError::not_found("media", upload))?
            .try_into()
    }

    async fn list_media_uploads(
        &self,
        tenant: TenantId,
        before: Option<MediaUploadId>,
        limit: u32,
    ) -> Result<Vec<MediaUpload>, StoreError> {
        if !(1..=200).contains(&limit) {
            return Err(StoreError::invalid("limit", "must be from 1 to 200"));
        }
        // v7 ids sort by creation time, so the id alone orders and pages the listing.
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM media_uploads WHERE tenant_id = $1 \
             AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<UploadRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(sql)
                .bind(tenant.to_string())
                .bind(before.map(|id| id.to_string()))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
