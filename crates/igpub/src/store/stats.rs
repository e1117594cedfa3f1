//! Read-only figures about the whole queue, for `/metrics`: operator-level, across tenants.

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;
use super::posts::PostState;
use super::queue::available_at;
use super::sql::{SqlStore, on_pool, optional_timestamp};

/// Queue figures across every tenant (operators only: never exposed per tenant).
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// How many posts are in each state; states with no post are left out.
    async fn count_posts_by_state(&self) -> Result<Vec<(PostState, u64)>, StoreError>;

    /// The due time of the post that has waited longest for a worker: due, and leased by
    /// nobody (or by a worker whose lease ran out). `None` when no post is waiting.
    async fn oldest_waiting_due_at(&self) -> Result<Option<Timestamp>, StoreError>;
}

/// Every waiting post can be leased by now, so the range on the lease index
/// (`posts_available`) holds them all and spares a scan of the posts table.
pub(super) const OLDEST_WAITING: &str = concat!(
    "SELECT MIN(next_attempt_at) FROM posts WHERE next_attempt_at IS NOT NULL AND ",
    available_at!(),
    " <= $1 AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at < $1)"
);

#[async_trait]
impl StatsStore for SqlStore {
    async fn count_posts_by_state(&self) -> Result<Vec<(PostState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as("SELECT state, COUNT(*) FROM posts GROUP BY state")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(state, count)| {
                let state = state
                    .parse::<PostState>()
                    .map_err(|error| StoreError::Corrupt {
                        table: "posts",
                        column: "state",
                        problem: error.to_string(),
                    })?;
                Ok((state, u64::try_from(count).unwrap_or_default()))
            })
            .collect()
    }

    async fn oldest_waiting_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let now = self.now_millis();
        let (oldest,): (Option<i64>,) = on_pool!(&self.pool, |pool| {
            sqlx::query_as(OLDEST_WAITING)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        optional_timestamp("posts", "next_attempt_at", oldest)
    }
}
