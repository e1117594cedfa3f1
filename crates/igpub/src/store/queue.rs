//! The posts table as the worker's queue: batch leasing (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, one `UPDATE … RETURNING` on SQLite), heartbeats, lease-conditional steps that
//! append to the timeline in the same transaction, rate-limit pauses, and wake-ups.

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::Notify;

use super::StoreError;
use super::posts::{
    Post, PostFailure, PostId, PostProgress, PostRow, PostState, post_columns, to_json,
};
use super::sql::{Pool, SqlStore, on_pool, timestamp};

/// The PostgreSQL channel a `NOTIFY` goes to when a post becomes due sooner.
pub const WAKEUP_CHANNEL: &str = "igpub_posts";

/// Wakes the workers of this process when a post becomes due (SQLite has no NOTIFY; on
/// PostgreSQL it is pinged too, so an in-process worker reacts without the round trip).
pub fn local_wakeup() -> &'static Notify {
    static WAKEUP: OnceLock<Notify> = OnceLock::new();
    WAKEUP.get_or_init(Notify::new)
}

/// One step of the worker on a leased post: the new state and everything saved with it.
#[derive(Debug, Clone)]
pub struct Step {
    /// The new state (may equal the old one when only progress is saved).
    pub to: PostState,
    /// The progress to save.
    pub progress: PostProgress,
    /// When to look at the post next. `None` with `release`: nothing to do until something
    /// else happens; `None` while the lease is kept: due now (for whoever holds the lease).
    pub next_attempt_at: Option<Timestamp>,
    /// Give the lease back (the post is parked until `next_attempt_at`).
    pub release: bool,
    /// The media id, when known.
    pub media_id: Option<String>,
    /// The permalink, when known.
    pub permalink: Option<String>,
    /// Set `published_at` (counted by the quota gate from then on).
    pub published_at: Option<Timestamp>,
    /// Why it failed.
    pub failure: Option<PostFailure>,
    /// Timeline detail; an event is written when the state changes or a detail is given.
    pub detail: Option<serde_json::Value>,
}

impl Step {
    /// A step to `to` with `progress`, keeping the lease, with nothing else set.
    pub fn to(to: PostState, progress: PostProgress) -> Self {
        Self {
            to,
            progress,
            next_attempt_at: None,
            release: false,
            media_id: None,
            permalink: None,
            published_at: None,
            failure: None,
            detail: None,
        }
    }

    /// Adds a timeline detail.
    #[must_use]
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Parks the post until `at` (or indefinitely) and gives the lease back.
    #[must_use]
    pub fn park(mut self, at: Option<Timestamp>) -> Self {
        self.next_attempt_at = at;
        self.release = true;
        self
    }
}

/// A step of one post, for [`QueueStore::apply_steps`]: the post as the worker holds it, the
/// state the step starts from, and the step.
#[derive(Debug, Clone)]
pub struct StepRequest {
    /// The post as last saved (its id names the row; the rest builds the saved post).
    pub post: Post,
    /// The state the step starts from; the step is saved only while the post is still in it.
    pub from: PostState,
    /// The step.
    pub step: Step,
}

impl StepRequest {
    /// The post as [`QueueStore::apply_steps`] saved it at `now` (epoch milliseconds of the
    /// store's clock): the same columns the SQL writes, so the caller needs no read back.
    pub fn saved(self, now: i64) -> Result<Post, StoreError> {
        let Self { mut post, step, .. } = self;
        post.next_attempt_at = next_attempt_millis(&step, now)
            .map(|millis| timestamp("posts", "next_attempt_at", millis))
            .transpose()?;
        post.state = step.to;
        post.progress = step.progress;
        if step.media_id.is_some() {
            post.media_id = step.media_id;
        }
        if step.permalink.is_some() {
            post.permalink = step.permalink;
        }
        if let Some(at) = step.published_at {
            post.published_at = Some(timestamp("posts", "published_at", at.as_millisecond())?);
        }
        post.failure = step.failure;
        post.updated_at = timestamp("posts", "updated_at", now)?;
        if step.release {
            post.lease_owner = None;
            post.lease_expires_at = None;
        }
        Ok(post)
    }
}

/// What [`QueueStore::apply_steps`] saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedSteps {
    /// The store's now the steps were saved at, in epoch milliseconds.
    pub now: i64,
    /// For each request in order: saved, or refused because the lease was lost or the post
    /// left the step's starting state.
    pub applied: Vec<bool>,
}

/// When a post is looked at next after `step`, in epoch milliseconds.
fn next_attempt_millis(step: &Step, now: i64) -> Option<i64> {
    match (step.next_attempt_at, step.release) {
        (Some(at), _) => Some(at.as_millisecond()),
        // A post still being worked stays due, so when its worker dies it is leased again as
        // soon as the lease expires.
        (None, false) => Some(now),
        (None, true) => None,
    }
}

/// A step as the columns it writes.
struct StepColumns {
    progress: String,
    failure: Option<String>,
    /// The timeline event's detail; no event when `None`.
    detail: Option<String>,
    next_attempt_at: Option<i64>,
    published_at: Option<i64>,
}

impl StepColumns {
    fn of(step: &Step, from: PostState, now: i64) -> Result<Self, StoreError> {
        let detail = match (&step.detail, step.to != from) {
            (Some(detail), _) => Some(to_json("detail", detail)?),
            (None, true) => Some("{}".to_owned()),
            (None, false) => None,
        };
        Ok(Self {
            progress: to_json("progress", &step.progress)?,
            failure: step
                .failure
                .as_ref()
                .map(|failure| to_json("failure", failure))
                .transpose()?,
            detail,
            next_attempt_at: next_attempt_millis(step, now),
            published_at: step.published_at.map(|at| at.as_millisecond()),
        })
    }

    /// One element of the JSON array the batched step SQL reads.
    fn batch_element<'a>(
        &'a self,
        id: PostId,
        from: PostState,
        step: &'a Step,
    ) -> BatchElement<'a> {
        BatchElement {
            id: id.to_string(),
            from: from.as_str(),
            to: step.to.as_str(),
            progress: &self.progress,
            next: self.next_attempt_at.map(|millis| millis.to_string()),
            media_id: step.media_id.as_deref(),
            permalink: step.permalink.as_deref(),
            published_at: self.published_at.map(|millis| millis.to_string()),
            failure: self.failure.as_deref(),
            release: if step.release { "y" } else { "n" },
            detail: self.detail.as_deref(),
        }
    }
}

/// One step as the batched step SQL reads it (`batch_steps!`): strings only, so SQLite and
/// PostgreSQL read every field the same way. Serialized straight from borrowed columns: a
/// `serde_json::Value` per step was a map of eleven owned strings built only to be written out.
#[derive(serde::Serialize)]
struct BatchElement<'a> {
    id: String,
    from: &'static str,
    to: &'static str,
    progress: &'a str,
    next: Option<String>,
    media_id: Option<&'a str>,
    permalink: Option<&'a str>,
    published_at: Option<String>,
    failure: Option<&'a str>,
    release: &'static str,
    detail: Option<&'a str>,
}

/// A rate-limit pause every worker honours (graph-api.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// `app`, or `account:<ig user id>`.
    pub scope: String,
    /// Until when.
    pub until: Timestamp,
    /// Why, for the timeline and logs.
    pub reason: String,
}

/// The worker's side of the posts table.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// The store's "now" (every lease and due time is measured by it).
    fn now(&self) -> Timestamp;

    /// Leases up to `limit` due posts for `owner` until now + `lease_for`, most overdue first.
    async fn lease_due(
        &self,
        owner: &str,
        limit: u32,
        lease_for: Duration,
    ) -> Result<Vec<Post>, StoreError>;

    /// Extends every lease `owner` holds (the heartbeat); returns how many.
    async fn renew_leases(&self, owner: &str, lease_for: Duration) -> Result<u64, StoreError>;

    /// Gives back every lease `owner` holds, so other workers take the posts at once.
    async fn release_leases(&self, owner: &str) -> Result<u64, StoreError>;

    /// Saves a step of a post `owner` leases and that is in state `from`, with its timeline
    /// event, in one transaction. [`StoreError::Conflict`] when the lease was lost or a person
    /// changed the post meanwhile: the caller must drop the post.
    async fn apply_step(
        &self,
        post: PostId,
        owner: &str,
        from: PostState,
        step: Step,
    ) -> Result<Post, StoreError>;

    /// Saves many steps of posts `owner` leases in one transaction (one statement on
    /// PostgreSQL), each with its timeline event, as [`apply_step`](Self::apply_step) would one
    /// by one. A step whose post is no longer leased by `owner` or no longer in its starting
    /// state is not saved and says so in [`AppliedSteps::applied`]; the others are saved. Of
    /// two steps of one post in a batch only the first is saved; the second is refused (a
    /// worker saves a post's steps one at a time, so only a caller's bug makes two).
    async fn apply_steps(
        &self,
        owner: &str,
        requests: &[StepRequest],
    ) -> Result<AppliedSteps, StoreError>;

    /// When the next post becomes due (or its lease expires), if any.
    async fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Pauses still in force.
    async fn active_pauses(&self) -> Result<Vec<Pause>, StoreError>;

    /// Records a pause (keeping a later one already stored).
    async fn set_pause(&self, pause: &Pause) -> Result<(), StoreError>;

    /// On PostgreSQL, LISTENs on [`WAKEUP_CHANNEL`] and turns every NOTIFY into a
    /// [`local_wakeup`] until the connection fails; returns at once on SQLite.
    async fn forward_wakeups(&self) -> Result<(), StoreError>;
}

impl SqlStore {
    /// Wakes workers: in-process always, and other processes through NOTIFY on PostgreSQL.
    pub(crate) async fn notify_due(&self) {
        local_wakeup().notify_waiters();
        if let Pool::Postgres(pool) = &self.pool
            && let Err(error) = sqlx::query("SELECT pg_notify($1, '')")
                .bind(WAKEUP_CHANNEL)
                .execute(pool)
                .await
        {
            tracing::warn!(%error, "cannot notify workers; they will find the post on their next wake-up");
        }
    }
}

/// When a post can be leased (epoch ms): its due time, or just after its lease expires when that
/// is later. Posts being worked stay due, so "due and not leased" would visit every one of them;
/// this expression is indexed (migration 0009_worker_indexes, which must spell it the same) and
/// read as a range.
macro_rules! available_at {
    () => {
        "(CASE WHEN lease_expires_at >= next_attempt_at THEN lease_expires_at + 1 \
         ELSE next_attempt_at END)"
    };
}
pub(super) use available_at;

const LEASE_SQLITE: &str = concat!(
    "UPDATE posts SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
     SELECT id FROM posts WHERE next_attempt_at IS NOT NULL AND ",
    available_at!(),
    " <= $3 ORDER BY ",
    available_at!(),
    // `CAST`: SQLite reads a LIMIT that is a bare parameter at planning time and then marks
    // the statement to be prepared again whenever that parameter is bound, which the lease is
    // at every call (2.7 % of a worker's CPU in a burst went to re-preparing it).
    " LIMIT CAST($4 AS INTEGER)) RETURNING ",
    post_columns!()
);

const LEASE_POSTGRES: &str = concat!(
    "UPDATE posts SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
     SELECT id FROM posts WHERE next_attempt_at IS NOT NULL AND ",
    available_at!(),
    " <= $3 ORDER BY ",
    available_at!(),
    " LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING ",
    post_columns!()
);

/// The next time a post can be leased.
const NEXT_AVAILABLE: &str = concat!(
    "SELECT MIN(",
    available_at!(),
    ") FROM posts WHERE next_attempt_at IS NOT NULL"
);

/// The steps of a batch as rows `s`, read from `$1`, a JSON array of
/// [`BatchElement`]s, by the named table function.
macro_rules! batch_steps {
    ($elements:literal) => {
        concat!(
            "(SELECT value ->> 'id' AS s_id, value ->> 'from' AS s_from, value ->> 'to' AS s_to, \
             value ->> 'progress' AS s_progress, CAST(value ->> 'next' AS BIGINT) AS s_next, \
             value ->> 'media_id' AS s_media_id, value ->> 'permalink' AS s_permalink, \
             CAST(value ->> 'published_at' AS BIGINT) AS s_published_at, \
             value ->> 'failure' AS s_failure, value ->> 'release' AS s_release, \
             value ->> 'detail' AS s_detail FROM ",
            $elements,
            ") AS s"
        )
    };
}

/// The steps of a batch, each saved only while this worker (`$2`) holds the lease and the post
/// is in the state the step starts from; `$3` is now.
///
/// The lease is tested through `COALESCE` so that no index can serve that test: on a table
/// without statistics (a fresh database in a burst) both SQLite and PostgreSQL would otherwise
/// drive the update by the `posts_leased` index, visiting every post the worker holds for each
/// batch (15× slower on SQLite), where each step should find its post by id.
macro_rules! batch_update {
    ($elements:literal) => {
        concat!(
            "UPDATE posts SET state = s.s_to, progress = s.s_progress, next_attempt_at = s.s_next, \
             media_id = COALESCE(s.s_media_id, posts.media_id), \
             permalink = COALESCE(s.s_permalink, posts.permalink), \
             published_at = COALESCE(s.s_published_at, posts.published_at), \
             failure = s.s_failure, updated_at = $3, \
             lease_owner = CASE WHEN s.s_release = 'y' THEN NULL ELSE posts.lease_owner END, \
             lease_expires_at = CASE WHEN s.s_release = 'y' THEN NULL ELSE posts.lease_expires_at END \
             FROM ",
            batch_steps!($elements),
            " WHERE posts.id = s.s_id AND COALESCE(posts.lease_owner, '') = $2 \
             AND posts.state = s.s_from"
        )
    };
}

// `jsonb_each`, not `json_each`: its objects reach `->>` as JSONB, where `json_each` renders
// each one as text for `->>` to parse again (a tenth of a worker's CPU in a burst).
macro_rules! steps_update_sqlite {
    () => {
        concat!(batch_update!("jsonb_each($1)"), " RETURNING id")
    };
}

/// The timeline events of the steps `steps_update_sqlite!` is about to save: the same test of
/// lease and starting state, run first in the same transaction (SQLite has one writer, so
/// nothing changes between the two).
macro_rules! steps_events_sqlite {
    () => {
        concat!(
            "INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
             SELECT s.s_id, $3, s.s_from, s.s_to, s.s_detail FROM ",
            batch_steps!("jsonb_each($1)"),
            " JOIN posts ON posts.id = s.s_id WHERE s.s_detail IS NOT NULL \
             AND COALESCE(posts.lease_owner, '') = $2 AND posts.state = s.s_from"
        )
    };
}

/// A batch of steps and their events as one command to sqlx's SQLite thread (the statements
/// share the parameters `$1`..`$3`): every command is a hand-off between threads, and BEGIN /
/// UPDATE / INSERT / COMMIT as four of them were a tenth of a worker's CPU in a burst.
const STEPS_SQLITE: &str = concat!(steps_events_sqlite!(), "; ", steps_update_sqlite!());

const STEPS_POSTGRES: &str = concat!(
    "WITH updated AS (",
    batch_update!("jsonb_array_elements(CAST($1 AS jsonb))"),
    " RETURNING posts.id, s.s_from, s.s_to, s.s_detail), \
     event AS (INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
     SELECT id, $3, s_from, s_to, s_detail FROM updated WHERE s_detail IS NOT NULL) \
     SELECT id FROM updated"
);

impl SqlStore {
    /// Saves the steps in `elements` (a JSON array of [`BatchElement`]s) with
    /// their events, in one transaction (one statement on PostgreSQL); the ids of the posts
    /// saved.
    async fn save_step_elements(
        &self,
        owner: &str,
        elements: &str,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(match &self.pool {
            Pool::Postgres(pool) => {
                sqlx::query_scalar(STEPS_POSTGRES)
                    .bind(elements)
                    .bind(owner)
                    .bind(now)
                    .fetch_all(pool)
                    .await?
            }
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let saved: Vec<String> = sqlx::query_scalar(STEPS_SQLITE)
                    .bind(elements)
                    .bind(owner)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                saved
            }
        })
    }
}

#[async_trait]
impl QueueStore for SqlStore {
    fn now(&self) -> Timestamp {
        timestamp("posts", "now", self.now_millis()).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    async fn lease_due(
        &self,
        owner: &str,
        limit: u32,
        lease_for: Duration,
    ) -> Result<Vec<Post>, StoreError> {
        let now = self.now_millis();
        let until = self.millis_after("lease_for", lease_for)?;
        let rows: Vec<PostRow> = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query_as(LEASE_SQLITE)
                    .bind(owner)
                    .bind(until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_as(LEASE_POSTGRES)
                    .bind(owner)
                    .bind(until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
        };
        let mut posts = super::posts::posts(rows)?;
        posts.sort_by_key(|post| post.next_attempt_at);
        Ok(posts)
    }

    async fn renew_leases(&self, owner: &str, lease_for: Duration) -> Result<u64, StoreError> {
        let until = self.millis_after("lease_for", lease_for)?;
        Ok(on_pool!(&self.pool, |pool| {
            sqlx::query("UPDATE posts SET lease_expires_at = $2 WHERE lease_owner = $1")
                .bind(owner)
                .bind(until)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    async fn release_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let released = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE posts SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if released > 0 {
            self.notify_due().await;
        }
        Ok(released)
    }

    async fn apply_step(
        &self,
        post: PostId,
        owner: &str,
        from: PostState,
        step: Step,
    ) -> Result<Post, StoreError> {
        let now = self.now_millis();
        let columns = StepColumns::of(&step, from, now)?;
        let element = columns.batch_element(post, from, &step);
        let saved = self
            .save_step_elements(owner, &to_json("steps", &[element])?, now)
            .await?;
        if saved.is_empty() {
            return Err(StoreError::Conflict(format!(
                "post {post} is no longer leased by this worker in state {from}"
            )));
        }
        // A one-off save (the batch's fallback), so reading the row back costs little.
        let row: Option<PostRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts WHERE id = $1"
            ))
            .bind(post.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(Post::try_from)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("post", post))
    }

    async fn apply_steps(
        &self,
        owner: &str,
        requests: &[StepRequest],
    ) -> Result<AppliedSteps, StoreError> {
        let now = self.now_millis();
        if requests.is_empty() {
            return Ok(AppliedSteps {
                now,
                applied: Vec::new(),
            });
        }
        // One step per post: the SQL would apply one of two at random.
        let mut seen = std::collections::HashSet::with_capacity(requests.len());
        let first: Vec<bool> = requests
            .iter()
            .map(|request| seen.insert(request.post.id))
            .collect();
        let saving: Vec<&StepRequest> = requests
            .iter()
            .zip(&first)
            .filter_map(|(request, first)| first.then_some(request))
            .collect();
        let columns = saving
            .iter()
            .map(|request| StepColumns::of(&request.step, request.from, now))
            .collect::<Result<Vec<_>, _>>()?;
        let elements: Vec<BatchElement<'_>> = saving
            .iter()
            .zip(&columns)
            .map(|(request, columns)| {
                columns.batch_element(request.post.id, request.from, &request.step)
            })
            .collect();
        let elements = to_json("steps", &elements)?;
        let saved = self.save_step_elements(owner, &elements, now).await?;
        let saved: std::collections::HashSet<String> = saved.into_iter().collect();
        Ok(AppliedSteps {
            now,
            applied: requests
                .iter()
                .zip(first)
                .map(|(request, first)| first && saved.contains(&request.post.id.to_string()))
                .collect(),
        })
    }

    async fn next_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<i64> = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar(NEXT_AVAILABLE).fetch_one(pool).await?
        });
        next.map(|millis| timestamp("posts", "next_attempt_at", millis))
            .transpose()
    }

    async fn active_pauses(&self) -> Result<Vec<Pause>, StoreError> {
        let rows: Vec<(String, i64, String)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT scope, paused_until, reason FROM account_pauses WHERE paused_until > $1",
            )
            .bind(self.now_millis())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(scope, until, reason)| {
                Ok(Pause {
                    scope,
                    until: timestamp("account_pauses", "paused_until", until)?,
                    reason,
                })
            })
            .collect()
    }

    async fn set_pause(&self, pause: &Pause) -> Result<(), StoreError> {
        let now = self.now_millis();
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO account_pauses (scope, paused_until, reason, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (scope) DO UPDATE SET \
                 paused_until = CASE WHEN excluded.paused_until > account_pauses.paused_until \
                 THEN excluded.paused_until ELSE account_pauses.paused_until END, \
                 reason = excluded.reason, updated_at = excluded.updated_at",
            )
            .bind(&pause.scope)
            .bind(pause.until.as_millisecond())
            .bind(&pause.reason)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn forward_wakeups(&self) -> Result<(), StoreError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(());
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(WAKEUP_CHANNEL).await?;
        loop {
            listener.recv().await?;
            local_wakeup().notify_waiters();
        }
    }
}

#[cfg(test)]
mod plan_tests {
    use sqlx::AssertSqlSafe;

    use super::*;

    /// SQLite's plan of `sql`, one detail line per step (no statistics: the plan a fresh
    /// database gets, as in a burst right after start).
    async fn plan_of(pool: &sqlx::SqlitePool, sql: &str) -> Vec<String> {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(pool)
                .await
                .unwrap_or_else(|error| panic!("cannot explain {sql}: {error}"));
        rows.into_iter().map(|(_, _, _, detail)| detail).collect()
    }

    /// A scan of posts per lease or per batch of steps made a 10,000-post burst 15× slower:
    /// every query of the worker's loop must reach posts through an index.
    #[tokio::test]
    async fn the_workers_sqlite_queries_reach_posts_through_indexes() {
        let pool = crate::store::sqlite::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        crate::store::sqlite::MIGRATOR
            .run(&pool)
            .await
            .expect("migrations");
        for (name, sql) in [
            ("lease", LEASE_SQLITE),
            ("next wake-up", NEXT_AVAILABLE),
            ("queue lag", crate::store::stats::OLDEST_WAITING),
            ("steps", steps_update_sqlite!()),
            ("step events", steps_events_sqlite!()),
            ("quota", super::super::posts::PUBLISHED_SINCE),
            (
                "quota of many accounts",
                super::super::posts::PUBLISHED_SINCE_BY_ACCOUNT_SQLITE,
            ),
        ] {
            let plan = plan_of(&pool, sql).await;
            assert!(
                !plan.iter().any(|step| step.starts_with("SCAN posts")),
                "{name} scans posts: {plan:?}"
            );
        }
        for (name, sql) in [
            ("steps", steps_update_sqlite!()),
            ("step events", steps_events_sqlite!()),
        ] {
            let plan = plan_of(&pool, sql).await;
            assert!(
                plan.first().is_some_and(|step| step.contains("jsonb_each"))
                    && plan.iter().any(|step| step.contains("(id=?)")),
                "{name}: a batch of steps must find each post by id, driven by the batch: {plan:?}"
            );
        }
        for (name, sql) in [
            ("quota", super::super::posts::PUBLISHED_SINCE),
            (
                "quota of many accounts",
                super::super::posts::PUBLISHED_SINCE_BY_ACCOUNT_SQLITE,
            ),
        ] {
            let plan = plan_of(&pool, sql).await;
            assert!(
                plan.iter()
                    .any(|step| step.contains("posts_published_by_account")),
                "{name} must count an account's publications by its index: {plan:?}"
            );
        }
        let plan = plan_of(&pool, super::super::insights::TRACKED_MEDIA).await;
        assert!(
            plan.iter()
                .any(|step| step.contains("posts_published_by_integration")),
            "an account's recent media must be read by its index: {plan:?}"
        );
    }
}
