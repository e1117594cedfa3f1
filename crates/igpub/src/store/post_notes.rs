//! Notes in a post's timeline that are not state changes: what was done to the post on the
//! way in (the media auto-fix), written by the parts that did it.

use async_trait::async_trait;

use super::posts::PostId;
use super::sql::{SqlStore, on_pool};
use super::{StoreError, TenantId};

/// Timeline notes.
#[async_trait]
pub trait PostNoteStore: Send + Sync {
    /// Appends `detail` to the timeline of the tenant's post, at its current state (from and
    /// to the same state: nothing moves).
    async fn add_post_note(
        &self,
        tenant: TenantId,
        post: PostId,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError>;
}

#[async_trait]
impl PostNoteStore for SqlStore {
    async fn add_post_note(
        &self,
        tenant: TenantId,
        post: PostId,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let now = self.now_millis();
        let detail = detail.to_string();
        let written = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
                 SELECT id, $3, state, state, $4 FROM posts WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.to_string())
            .bind(post.to_string())
            .bind(now)
            .bind(&detail)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if written == 0 {
            return Err(StoreError::not_found("post", post));
        }
        Ok(())
    }
}
