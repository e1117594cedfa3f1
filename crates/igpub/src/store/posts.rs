//! Posts as the tenant sees them: create (idempotently), read with the timeline, list with
//! filters and cursor paging, and the few changes a person may make (edit, cancel, publish now,
//! retry). The worker's side of the same table is in [`super::queue`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sql::{
    Pool, SqlStore, is_foreign_key_violation, on_pool, optional_timestamp, timestamp,
};
use super::{IdParseError, IntegrationId, StoreError, TenantId};
use crate::domain::{PostInput, PostKind, PostSpec};

const TABLE: &str = "posts";

/// One post.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PostId(Uuid);

impl PostId {
    /// A new, time-ordered (v7) id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub(crate) fn from_column(column: &'static str, text: &str) -> Result<Self, StoreError> {
        text.parse().map_err(|_| StoreError::Corrupt {
            table: TABLE,
            column,
            problem: "not a post id".to_owned(),
        })
    }
}

impl fmt::Display for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostId({})", self.0)
    }
}

impl FromStr for PostId {
    type Err = IdParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(text.trim())
            .map(Self)
            .map_err(|_| IdParseError { kind: "post id" })
    }
}

/// Where a post is on its way to Instagram (shared/design.md "A post's journey").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// Kept unpublished; its containers are made and kept until someone publishes it.
    Draft,
    /// Waiting for its time.
    Scheduled,
    /// Containers are being created.
    Creating,
    /// Waiting for Meta to finish processing the containers.
    Processing,
    /// Containers FINISHED; waiting for a pause or a backoff to end before publishing.
    Ready,
    /// The account's publishing quota is used up; `next_attempt_at` is the next free slot.
    WaitingQuota,
    /// `media_publish` was (or is being) sent.
    Publishing,
    /// `media_publish` answered ambiguously; reading the container to settle it.
    Verifying,
    /// Live on Instagram.
    Published,
    /// Will not be published; `failure` says why and what to do.
    Failed,
    /// The integration needs reconnecting; resumes by itself afterwards.
    Held,
    /// Cancelled by a person.
    Cancelled,
}

impl PostState {
    /// Every state, in journey order.
    pub const ALL: [PostState; 12] = [
        Self::Draft,
        Self::Scheduled,
        Self::Creating,
        Self::Processing,
        Self::Ready,
        Self::WaitingQuota,
        Self::Publishing,
        Self::Verifying,
        Self::Published,
        Self::Failed,
        Self::Held,
        Self::Cancelled,
    ];

    /// The stored text (`waiting_quota`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Creating => "creating",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::WaitingQuota => "waiting_quota",
            Self::Publishing => "publishing",
            Self::Verifying => "verifying",
            Self::Published => "published",
            Self::Failed => "failed",
            Self::Held => "held",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether a `media_publish` may have been sent: from here on, never publish blindly.
    pub fn publish_may_have_happened(self) -> bool {
        matches!(self, Self::Publishing | Self::Verifying | Self::Published)
    }
}

impl fmt::Display for PostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostState {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                StoreError::invalid(
                    "state",
                    "must be one of draft, scheduled, creating, processing, ready, waiting_quota, \
                     publishing, verifying, published, failed, held, cancelled",
                )
            })
    }
}

/// What happened to a best-effort follow-up (permalink, first comment).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum FollowUp {
    /// Nothing to do.
    #[default]
    None,
    /// To do (again) when the post is next looked at.
    Pending {
        /// Failed tries so far.
        attempts: u32,
    },
    /// Being sent: saved before a call that is not idempotent (a comment), so a worker that
    /// finds it after a crash knows the call may have gone out.
    Sending {
        /// Failed tries before this one.
        attempts: u32,
    },
    /// Done.
    Done {
        /// What it produced (a comment id), if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Given up; the error is recorded in the timeline.
    GaveUp {
        /// The last error.
        error: String,
    },
}

impl FollowUp {
    /// Whether the worker still has to do it.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending { .. } | Self::Sending { .. })
    }
}

/// What the worker has done so far, saved at every step so another worker can resume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostProgress {
    /// Carousel child containers, one slot per item in order; `None` where none exists yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Option<String>>,
    /// Every child container read FINISHED (the parent may be made).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub children_finished: bool,
    /// The container to publish (the parent, for a carousel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// When the first of the current containers was requested; they expire 24 h later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub containers_created_at: Option<Timestamp>,
    /// When the latest container creation left for Meta, after any wait in a shared batch:
    /// processing is timed from here, since the time it was requested says nothing about when
    /// Meta began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub containers_sent_at: Option<Timestamp>,
    /// When `media_publish` was last sent (the window reconciliation searches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub publish_sent_at: Option<Timestamp>,
    /// Consecutive transient failures of the current step.
    #[serde(default)]
    pub attempts: u32,
    /// How many times containers were made anew after ERROR or EXPIRED.
    #[serde(default)]
    pub container_rounds: u32,
    /// A draft someone asked to publish.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub publish_requested: bool,
    /// Where a held post goes back to once its integration is active again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_state: Option<PostState>,
    /// Reading the permalink after publishing.
    #[serde(default)]
    pub permalink: FollowUp,
    /// Posting the first comment after publishing.
    #[serde(default)]
    pub first_comment: FollowUp,
}

impl PostProgress {
    /// Forgets every container (they failed or expired); counters stay.
    pub fn forget_containers(&mut self) {
        self.children.clear();
        self.children_finished = false;
        self.container_id = None;
        self.containers_created_at = None;
        self.containers_sent_at = None;
    }

    /// When the current containers expire (24 h after creation, graph-api.md §2.2).
    pub fn containers_expire_at(&self) -> Option<Timestamp> {
        self.containers_created_at
            .and_then(|at| at.checked_add(igpub_graph::CONTAINER_LIFETIME).ok())
    }

    /// Whether any container exists.
    pub fn has_containers(&self) -> bool {
        self.container_id.is_some() || self.children.iter().any(Option::is_some)
    }
}

/// Why a post failed: Meta's words and ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostFailure {
    /// Meta's error code, when Meta answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Meta's error subcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<i64>,
    /// Meta's `error_user_title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_title: Option<String>,
    /// Meta's `error_user_msg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message: Option<String>,
    /// What went wrong, in one line.
    pub message: String,
    /// What to do about it, in our words.
    pub advice: String,
}

/// A post to store.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// The tenant.
    pub tenant: TenantId,
    /// The integration (Instagram account) it goes to.
    pub integration: IntegrationId,
    /// That account's IG user id.
    pub ig_user_id: String,
    /// The parsed post's input form (`PostSpec::to_input`).
    pub input: PostInput,
    /// The "now" it was parsed with.
    pub input_now: Timestamp,
    /// Its kind.
    pub kind: PostKind,
    /// Fingerprint of its caption.
    pub caption_fingerprint: String,
    /// When to publish.
    pub run_at: Timestamp,
    /// The time zone it was scheduled in.
    pub time_zone: Option<String>,
    /// Kept as a draft.
    pub draft: bool,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// SHA-256 of what was asked, to tell a retry from a different request with the same key.
    pub request_hash: String,
}

impl NewPost {
    /// The post `spec` (parsed at `parsed_at`) for `integration`'s account and tenant.
    pub fn of_spec(
        integration: &super::Integration,
        spec: &PostSpec,
        parsed_at: Timestamp,
        idempotency_key: Option<String>,
        request_hash: String,
    ) -> Self {
        Self {
            tenant: integration.tenant_id,
            integration: integration.id,
            ig_user_id: integration.metadata.ig_user_id.clone(),
            input: spec.to_input(),
            input_now: parsed_at,
            kind: spec.kind(),
            caption_fingerprint: spec.caption_fingerprint().as_str().to_owned(),
            run_at: spec.run_at(),
            time_zone: spec.time_zone().map(str::to_owned),
            draft: spec.is_draft(),
            idempotency_key,
            request_hash,
        }
    }
}

/// A stored post.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Its id.
    pub id: PostId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The Instagram account.
    pub ig_user_id: String,
    /// Its kind.
    pub kind: PostKind,
    /// Where it is.
    pub state: PostState,
    /// The post as given.
    pub input: PostInput,
    /// The "now" to re-parse it with.
    pub input_now: Timestamp,
    /// Fingerprint of the caption (reconciliation finds the media by it).
    pub caption_fingerprint: String,
    /// When it is to be published.
    pub run_at: Timestamp,
    /// The time zone it was scheduled in.
    pub time_zone: Option<String>,
    /// When a worker looks at it next.
    pub next_attempt_at: Option<Timestamp>,
    /// The worker's saved progress.
    pub progress: PostProgress,
    /// The Instagram media id, once published (if known).
    pub media_id: Option<String>,
    /// Its permalink, once read.
    pub permalink: Option<String>,
    /// Why it failed.
    pub failure: Option<PostFailure>,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// Which worker holds it, if any.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_expires_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Published.
    pub published_at: Option<Timestamp>,
}

/// One entry of a post's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PostEvent {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// From which state (`None` for the creation).
    pub from: Option<PostState>,
    /// To which state.
    pub to: PostState,
    /// What happened, as JSON.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Filters and paging of [`PostStore::list_posts`].
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    /// Only posts in this state.
    pub state: Option<PostState>,
    /// Only posts of this integration.
    pub integration: Option<IntegrationId>,
    /// Only posts due at or after this instant.
    pub run_at_from: Option<Timestamp>,
    /// Only posts due before this instant.
    pub run_at_to: Option<Timestamp>,
    /// Only posts after this cursor (the last post of the previous page), in (run_at, id) order.
    pub after: Option<(Timestamp, PostId)>,
    /// Page size (1–200).
    pub limit: u32,
}

/// How a create call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A new post.
    New(Post),
    /// The same idempotency key and the same request came before: that post.
    Existing(Post),
}

impl Created {
    /// The post, new or existing.
    pub fn post(&self) -> &Post {
        match self {
            Self::New(post) | Self::Existing(post) => post,
        }
    }
}

/// A change a person asks for.
#[derive(Debug, Clone)]
pub enum TenantChange {
    /// New content and schedule, before work starts.
    Edit {
        /// The new post's input form.
        input: Box<PostInput>,
        /// Its parse time.
        input_now: Timestamp,
        /// Its kind.
        kind: PostKind,
        /// Its caption fingerprint.
        caption_fingerprint: String,
        /// Its time.
        run_at: Timestamp,
        /// Its time zone.
        time_zone: Option<String>,
    },
    /// Stop it.
    Cancel,
    /// Publish as soon as possible (also a draft).
    PublishNow,
    /// Try a failed post again from the start.
    Retry,
}

/// Posts, tenant-scoped.
#[async_trait]
pub trait PostStore: Send + Sync {
    /// Stores a post, or returns the one stored earlier with the same idempotency key and the
    /// same request. The same key with a different request is a [`StoreError::Conflict`].
    async fn insert_post(&self, new: NewPost) -> Result<Created, StoreError>;

    /// One post of the tenant.
    async fn get_post(&self, tenant: TenantId, post: PostId) -> Result<Post, StoreError>;

    /// The post's timeline, oldest first.
    async fn post_events(
        &self,
        tenant: TenantId,
        post: PostId,
    ) -> Result<Vec<PostEvent>, StoreError>;

    /// The tenant's posts by (run_at, id).
    async fn list_posts(
        &self,
        tenant: TenantId,
        filter: &PostFilter,
    ) -> Result<Vec<Post>, StoreError>;

    /// Applies a person's change, or answers [`StoreError::Conflict`] when the post's state
    /// does not allow it (work has started, already published, …).
    async fn change_post(
        &self,
        tenant: TenantId,
        post: PostId,
        change: TenantChange,
    ) -> Result<Post, StoreError>;

    /// Moves held posts of integrations that are active again back to where they were.
    /// `integration` narrows it to one. Returns how many resumed.
    async fn resume_held_posts(
        &self,
        integration: Option<(TenantId, IntegrationId)>,
    ) -> Result<u64, StoreError>;

    /// Posts published to the account since `since` (our publish log), and the oldest of them.
    async fn published_since(
        &self,
        ig_user_id: &str,
        since: Timestamp,
    ) -> Result<(u32, Option<Timestamp>), StoreError>;

    /// [`published_since`](Self::published_since) for many accounts in one query: each
    /// account that published since `since`, with its count and its oldest publish (accounts
    /// that did not are absent).
    async fn published_since_by_account(
        &self,
        ig_user_ids: &[String],
        since: Timestamp,
    ) -> Result<HashMap<String, (u32, Option<Timestamp>)>, StoreError>;

    /// The input JSON of every post whose media must stay reachable: every post still on its
    /// way (draft, scheduled, held, in work) and every post published after
    /// `published_after`. Failed and cancelled posts are not included. Across tenants: the
    /// media garbage collector is the one caller.
    async fn inputs_needing_media(
        &self,
        published_after: Timestamp,
    ) -> Result<Vec<String>, StoreError>;
}

/// The columns every post query returns, in [`PostRow`]'s order.
macro_rules! post_columns {
    () => {
        "id, tenant_id, integration_id, ig_user_id, kind, state, input, input_now, \
         caption_fingerprint, run_at, time_zone, next_attempt_at, progress, media_id, permalink, \
         failure, idempotency_key, lease_owner, lease_expires_at, created_at, updated_at, \
         published_at"
    };
}
pub(crate) use post_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct PostRow {
    id: String,
    tenant_id: String,
    integration_id: String,
    ig_user_id: String,
    kind: String,
    state: String,
    input: String,
    input_now: i64,
    caption_fingerprint: String,
    run_at: i64,
    time_zone: Option<String>,
    next_attempt_at: Option<i64>,
    progress: String,
    media_id: Option<String>,
    permalink: Option<String>,
    failure: Option<String>,
    idempotency_key: Option<String>,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
}

fn corrupt(column: &'static str, problem: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: TABLE,
        column,
        problem: problem.to_string(),
    }
}

pub(crate) fn parse_kind(text: &str) -> Result<PostKind, StoreError> {
    match text {
        "image" => Ok(PostKind::Image),
        "carousel" => Ok(PostKind::Carousel),
        "reel" => Ok(PostKind::Reel),
        "story" => Ok(PostKind::Story),
        other => Err(corrupt("kind", format!("unknown kind {other:?}"))),
    }
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: PostId::from_column("id", &row.id)?,
            tenant_id: TenantId::from_column(TABLE, "tenant_id", &row.tenant_id)?,
            integration_id: IntegrationId::from_column(
                TABLE,
                "integration_id",
                &row.integration_id,
            )?,
            ig_user_id: row.ig_user_id,
            kind: parse_kind(&row.kind)?,
            state: row
                .state
                .parse()
                .map_err(|e: StoreError| corrupt("state", e))?,
            input: serde_json::from_str(&row.input).map_err(|e| corrupt("input", e))?,
            input_now: timestamp(TABLE, "input_now", row.input_now)?,
            caption_fingerprint: row.caption_fingerprint,
            run_at: timestamp(TABLE, "run_at", row.run_at)?,
            time_zone: row.time_zone,
            next_attempt_at: optional_timestamp(TABLE, "next_attempt_at", row.next_attempt_at)?,
            progress: serde_json::from_str(&row.progress).map_err(|e| corrupt("progress", e))?,
            media_id: row.media_id,
            permalink: row.permalink,
            failure: row
                .failure
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("failure", e))?,
            idempotency_key: row.idempotency_key,
            lease_owner: row.lease_owner,
            lease_expires_at: optional_timestamp(TABLE, "lease_expires_at", row.lease_expires_at)?,
            created_at: timestamp(TABLE, "created_at", row.created_at)?,
            updated_at: timestamp(TABLE, "updated_at", row.updated_at)?,
            published_at: optional_timestamp(TABLE, "published_at", row.published_at)?,
        })
    }
}

pub(crate) fn posts(rows: Vec<PostRow>) -> Result<Vec<Post>, StoreError> {
    rows.into_iter().map(Post::try_from).collect()
}

pub(crate) fn to_json<T: Serialize>(field: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::invalid(field, format!("cannot be written as JSON: {e}")))
}

/// Longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// An account's publications after `$2`: how many, and the oldest (the rolling 24-hour quota,
/// graph-api.md §2.8).
pub(super) const PUBLISHED_SINCE: &str = "SELECT COUNT(*), MIN(published_at) FROM posts \
     WHERE ig_user_id = $1 AND published_at IS NOT NULL AND published_at > $2";

/// [`PUBLISHED_SINCE`] for the accounts in `$1`, a JSON array, at once.
pub(super) const PUBLISHED_SINCE_BY_ACCOUNT_SQLITE: &str = "SELECT ig_user_id, COUNT(*), MIN(published_at) FROM posts \
     WHERE ig_user_id IN (SELECT value FROM json_each($1)) \
     AND published_at IS NOT NULL AND published_at > $2 GROUP BY ig_user_id";

impl SqlStore {
    pub(crate) async fn fetch_post(
        &self,
        tenant: TenantId,
        post: PostId,
    ) -> Result<Option<Post>, StoreError> {
        let row: Option<PostRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant.to_string())
            .bind(post.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(Post::try_from).transpose()
    }

    async fn fetch_by_key(&self, tenant: TenantId, key: &str) -> Result<Option<Post>, StoreError> {
        let row: Option<PostRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts WHERE tenant_id = $1 AND idempotency_key = $2"
            ))
            .bind(tenant.to_string())
            .bind(key)
            .fetch_optional(pool)
            .await?
        });
        row.map(Post::try_from).transpose()
    }

    async fn request_hash_of(&self, post: PostId) -> Result<String, StoreError> {
        Ok(on_pool!(&self.pool, |pool| {
            sqlx::query_scalar("SELECT request_hash FROM posts WHERE id = $1")
                .bind(post.to_string())
                .fetch_one(pool)
                .await?
        }))
    }

    async fn existing_for_key(&self, new: &NewPost, key: &str) -> Result<Created, StoreError> {
        let existing = self
            .fetch_by_key(new.tenant, key)
            .await?
            .ok_or_else(|| StoreError::Conflict("idempotency key raced; try again".into()))?;
        if self.request_hash_of(existing.id).await? == new.request_hash {
            Ok(Created::Existing(existing))
        } else {
            Err(StoreError::Conflict(format!(
                "the Idempotency-Key {key:?} was used for a different request (post {}); \
                 use a new key for a new post",
                existing.id
            )))
        }
    }
}

/// The event detail of a creation.
fn creation_detail(new: &NewPost) -> serde_json::Value {
    serde_json::json!({"run_at": new.run_at, "draft": new.draft})
}

#[async_trait]
impl PostStore for SqlStore {
    async fn insert_post(&self, new: NewPost) -> Result<Created, StoreError> {
        if let Some(key) = &new.idempotency_key {
            let chars = key.chars().count();
            if key.trim().is_empty() || chars > MAX_IDEMPOTENCY_KEY_CHARS {
                return Err(StoreError::invalid(
                    "idempotency_key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
                ));
            }
            if let Some(found) = self.fetch_by_key(new.tenant, key).await? {
                let _ = found;
                return self.existing_for_key(&new, key).await;
            }
        }
        let id = PostId::generate();
        let now = self.now_millis();
        let state = if new.draft {
            PostState::Draft
        } else {
            PostState::Scheduled
        };
        // A draft's containers are made at once; a scheduled post waits for its time.
        let next_attempt_at = if new.draft {
            now
        } else {
            new.run_at.as_millisecond()
        };
        let input = to_json("input", &new.input)?;
        let progress = to_json("progress", &PostProgress::default())?;
        let detail = to_json("detail", &creation_detail(&new))?;
        let inserted: Result<Option<PostRow>, sqlx::Error> = on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let row: Option<PostRow> = sqlx::query_as(concat!(
                    "INSERT INTO posts (id, tenant_id, integration_id, ig_user_id, kind, state, \
                     input, input_now, caption_fingerprint, run_at, time_zone, next_attempt_at, \
                     progress, idempotency_key, request_hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $16) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING ",
                    post_columns!()
                ))
                .bind(id.to_string())
                .bind(new.tenant.to_string())
                .bind(new.integration.to_string())
                .bind(&new.ig_user_id)
                .bind(new.kind.as_str())
                .bind(state.as_str())
                .bind(&input)
                .bind(new.input_now.as_millisecond())
                .bind(&new.caption_fingerprint)
                .bind(new.run_at.as_millisecond())
                .bind(&new.time_zone)
                .bind(next_attempt_at)
                .bind(&progress)
                .bind(&new.idempotency_key)
                .bind(&new.request_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if row.is_some() {
                    sqlx::query(
                        "INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
                         VALUES ($1, $2, NULL, $3, $4)",
                    )
                    .bind(id.to_string())
                    .bind(now)
                    .bind(state.as_str())
                    .bind(&detail)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(row)
            }
            .await
        });
        match inserted {
            Ok(Some(row)) => {
                self.notify_due().await;
                Ok(Created::New(row.try_into()?))
            }
            Ok(None) => match &new.idempotency_key {
                Some(key) => self.existing_for_key(&new, key).await,
                None => Err(StoreError::Conflict("post id collision".into())),
            },
            Err(error) if is_foreign_key_violation(&error) => Err(StoreError::not_found(
                "integration",
                new.integration.to_string(),
            )),
            Err(error) => Err(error.into()),
        }
    }

    async fn get_post(&self, tenant: TenantId, post: PostId) -> Result<Post, StoreError> {
        self.fetch_post(tenant, post)
            .await?
            .ok_or_else(|| StoreError::not_found("post", post))
    }

    async fn post_events(
        &self,
        tenant: TenantId,
        post: PostId,
    ) -> Result<Vec<PostEvent>, StoreError> {
        let rows: Vec<(i64, Option<String>, String, String)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT e.at, e.from_state, e.to_state, e.detail FROM post_events e \
                 JOIN posts p ON p.id = e.post_id \
                 WHERE p.tenant_id = $1 AND e.post_id = $2 ORDER BY e.id",
            )
            .bind(tenant.to_string())
            .bind(post.to_string())
            .fetch_all(pool)
            .await?
        });
        if rows.is_empty() {
            // A post always has its creation event: none means not this tenant's post.
            self.get_post(tenant, post).await?;
        }
        rows.into_iter()
            .map(|(at, from, to, detail)| {
                let state = |text: &str| {
                    text.parse::<PostState>().map_err(|e| StoreError::Corrupt {
                        table: "post_events",
                        column: "state",
                        problem: e.to_string(),
                    })
                };
                Ok(PostEvent {
                    at: timestamp("post_events", "at", at)?,
                    from: from.as_deref().map(state).transpose()?,
                    to: state(&to)?,
                    detail: serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt {
                        table: "post_events",
                        column: "detail",
                        problem: e.to_string(),
                    })?,
                })
            })
            .collect()
    }

    async fn list_posts(
        &self,
        tenant: TenantId,
        filter: &PostFilter,
    ) -> Result<Vec<Post>, StoreError> {
        if !(1..=200).contains(&filter.limit) {
            return Err(StoreError::invalid("limit", "must be from 1 to 200"));
        }
        let (after_run_at, after_id) = match filter.after {
            Some((run_at, id)) => (Some(run_at.as_millisecond()), Some(id.to_string())),
            None => (None, None),
        };
        let rows: Vec<PostRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts WHERE tenant_id = $1 \
                 AND ($2 IS NULL OR state = $2) \
                 AND ($3 IS NULL OR integration_id = $3) \
                 AND ($4 IS NULL OR run_at >= $4) \
                 AND ($5 IS NULL OR run_at < $5) \
                 AND ($6 IS NULL OR run_at > $6 OR (run_at = $6 AND id > $7)) \
                 ORDER BY run_at, id LIMIT $8"
            ))
            .bind(tenant.to_string())
            .bind(filter.state.map(PostState::as_str))
            .bind(filter.integration.map(|id| id.to_string()))
            .bind(filter.run_at_from.map(|at| at.as_millisecond()))
            .bind(filter.run_at_to.map(|at| at.as_millisecond()))
            .bind(after_run_at)
            .bind(after_id)
            .bind(i64::from(filter.limit))
            .fetch_all(pool)
            .await?
        });
        posts(rows)
    }

    async fn change_post(
        &self,
        tenant: TenantId,
        post: PostId,
        change: TenantChange,
    ) -> Result<Post, StoreError> {
        let current = self.get_post(tenant, post).await?;
        let now = self.now_millis();
        let now_ts = timestamp(TABLE, "updated_at", now)?;
        let leased_by_other = current
            .lease_expires_at
            .is_some_and(|expiry| expiry > now_ts)
            && current.lease_owner.is_some();
        let mut progress = current.progress.clone();
        let mut input = current.input.clone();
        let mut input_now = current.input_now;
        let mut kind = current.kind;
        let mut fingerprint = current.caption_fingerprint.clone();
        let mut run_at = current.run_at;
        let mut time_zone = current.time_zone.clone();
        let (to, next_attempt_at, detail) = match change {
            TenantChange::Edit {
                input: new_input,
                input_now: new_now,
                kind: new_kind,
                caption_fingerprint,
                run_at: new_run_at,
                time_zone: new_zone,
            } => {
                let editable = matches!(current.state, PostState::Scheduled | PostState::Draft)
                    && !progress.has_containers()
                    && !leased_by_other;
                if !editable {
                    return Err(StoreError::Conflict(format!(
                        "post {post} is {} and work on it has started; only a scheduled post \
                         without containers can be edited (cancel it and create a new one)",
                        current.state
                    )));
                }
                input = *new_input;
                input_now = new_now;
                kind = new_kind;
                fingerprint = caption_fingerprint;
                run_at = new_run_at;
                time_zone = new_zone;
                let next = if current.state == PostState::Draft {
                    Some(now)
                } else {
                    Some(run_at.as_millisecond())
                };
                (
                    current.state,
                    next,
                    serde_json::json!({"edited": true, "run_at": run_at}),
                )
            }
            TenantChange::Cancel => {
                if current.state.publish_may_have_happened()
                    || matches!(current.state, PostState::Cancelled)
                {
                    return Err(StoreError::Conflict(format!(
                        "post {post} is {}; it can no longer be cancelled",
                        current.state
                    )));
                }
                (
                    PostState::Cancelled,
                    None,
                    serde_json::json!({"by": "tenant"}),
                )
            }
            TenantChange::PublishNow => {
                let allowed = matches!(
                    current.state,
                    PostState::Draft
                        | PostState::Scheduled
                        | PostState::Ready
                        | PostState::WaitingQuota
                );
                if !allowed {
                    return Err(StoreError::Conflict(format!(
                        "post {post} is {}; only a draft or a post waiting for its time can be \
                         published now",
                        current.state
                    )));
                }
                progress.publish_requested = true;
                run_at = now_ts;
                let to = if current.state == PostState::Draft {
                    PostState::Scheduled
                } else {
                    current.state
                };
                (to, Some(now), serde_json::json!({"publish_now": true}))
            }
            TenantChange::Retry => {
                if current.state != PostState::Failed {
                    return Err(StoreError::Conflict(format!(
                        "post {post} is {}; only a failed post can be retried",
                        current.state
                    )));
                }
                progress.attempts = 0;
                progress.container_rounds = 0;
                progress.forget_containers();
                (
                    PostState::Scheduled,
                    Some(now),
                    serde_json::json!({"retry": true}),
                )
            }
        };
        let progress_json = to_json("progress", &progress)?;
        let input_json = to_json("input", &input)?;
        let detail_json = to_json("detail", &detail)?;
        let clear_failure = to != PostState::Failed;
        let changed: Option<PostRow> = on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                // Conditional on the state read above, so a worker's step in between wins.
                let row: Option<PostRow> = sqlx::query_as(concat!(
                    "UPDATE posts SET state = $3, next_attempt_at = $4, progress = $5, \
                     input = $6, input_now = $7, kind = $8, caption_fingerprint = $9, run_at = $10, \
                     time_zone = $11, updated_at = $12, \
                     failure = CASE WHEN $13 THEN NULL ELSE failure END, \
                     lease_owner = CASE WHEN $3 = 'cancelled' THEN NULL ELSE lease_owner END, \
                     lease_expires_at = CASE WHEN $3 = 'cancelled' THEN NULL ELSE lease_expires_at END \
                     WHERE id = $1 AND state = $2 AND updated_at = $14 RETURNING ",
                    post_columns!()
                ))
                .bind(post.to_string())
                .bind(current.state.as_str())
                .bind(to.as_str())
                .bind(next_attempt_at)
                .bind(&progress_json)
                .bind(&input_json)
                .bind(input_now.as_millisecond())
                .bind(kind.as_str())
                .bind(&fingerprint)
                .bind(run_at.as_millisecond())
                .bind(&time_zone)
                .bind(now)
                .bind(clear_failure)
                .bind(current.updated_at.as_millisecond())
                .fetch_optional(&mut *tx)
                .await?;
                if row.is_some() {
                    sqlx::query(
                        "INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(post.to_string())
                    .bind(now)
                    .bind(current.state.as_str())
                    .bind(to.as_str())
                    .bind(&detail_json)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(row)
            }
            .await?
        });
        match changed {
            Some(row) => {
                self.notify_due().await;
                row.try_into()
            }
            None => Err(StoreError::Conflict(format!(
                "post {post} changed while the request ran; read it again and retry"
            ))),
        }
    }

    async fn resume_held_posts(
        &self,
        integration: Option<(TenantId, IntegrationId)>,
    ) -> Result<u64, StoreError> {
        let now = self.now_millis();
        let (tenant, integration) = match integration {
            Some((tenant, integration)) => {
                (Some(tenant.to_string()), Some(integration.to_string()))
            }
            None => (None, None),
        };
        let resumed: u64 = on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let ids: Vec<(String, String)> = sqlx::query_as(
                    "SELECT p.id, p.progress FROM posts p JOIN integrations i \
                     ON i.id = p.integration_id AND i.status = 'active' \
                     WHERE p.state = 'held' AND ($1 IS NULL OR p.tenant_id = $1) \
                     AND ($2 IS NULL OR p.integration_id = $2)",
                )
                .bind(&tenant)
                .bind(&integration)
                .fetch_all(&mut *tx)
                .await?;
                let mut count = 0u64;
                for (id, progress) in ids {
                    let mut progress: PostProgress =
                        serde_json::from_str(&progress).unwrap_or_default();
                    let to = progress.resume_state.take().unwrap_or(PostState::Scheduled);
                    progress.attempts = 0;
                    let progress = serde_json::to_string(&progress).unwrap_or_else(|_| "{}".into());
                    let done = sqlx::query(
                        "UPDATE posts SET state = $2, progress = $3, next_attempt_at = $4, \
                         updated_at = $4, lease_owner = NULL, lease_expires_at = NULL \
                         WHERE id = $1 AND state = 'held'",
                    )
                    .bind(&id)
                    .bind(to.as_str())
                    .bind(&progress)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if done == 1 {
                        sqlx::query(
                            "INSERT INTO post_events (post_id, at, from_state, to_state, detail) \
                             VALUES ($1, $2, 'held', $3, $4)",
                        )
                        .bind(&id)
                        .bind(now)
                        .bind(to.as_str())
                        .bind(r#"{"reason":"the integration is active again"}"#)
                        .execute(&mut *tx)
                        .await?;
                        count += 1;
                    }
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(count)
            }
            .await?
        });
        if resumed > 0 {
            self.notify_due().await;
        }
        Ok(resumed)
    }

    async fn inputs_needing_media(
        &self,
        published_after: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.pool, |pool| {
            sqlx::query_scalar(
                "SELECT input FROM posts \
                 WHERE state NOT IN ('published', 'failed', 'cancelled') \
                 OR (state = 'published' AND (published_at IS NULL OR published_at > $1))",
            )
            .bind(published_after.as_millisecond())
            .fetch_all(pool)
            .await?
        }))
    }

    async fn published_since(
        &self,
        ig_user_id: &str,
        since: Timestamp,
    ) -> Result<(u32, Option<Timestamp>), StoreError> {
        let (count, oldest): (i64, Option<i64>) = on_pool!(&self.pool, |pool| {
            sqlx::query_as(PUBLISHED_SINCE)
                .bind(ig_user_id)
                .bind(since.as_millisecond())
                .fetch_one(pool)
                .await?
        });
        Ok((
            u32::try_from(count).unwrap_or(u32::MAX),
            optional_timestamp(TABLE, "published_at", oldest)?,
        ))
    }

    async fn published_since_by_account(
        &self,
        ig_user_ids: &[String],
        since: Timestamp,
    ) -> Result<HashMap<String, (u32, Option<Timestamp>)>, StoreError> {
        if ig_user_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let accounts = to_json("ig_user_ids", &ig_user_ids)?;
        let rows: Vec<(String, i64, Option<i64>)> = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query_as(PUBLISHED_SINCE_BY_ACCOUNT_SQLITE)
                    .bind(&accounts)
                    .bind(since.as_millisecond())
                    .fetch_all(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT ig_user_id, COUNT(*), MIN(published_at) FROM posts \
                     WHERE ig_user_id IN (SELECT jsonb_array_elements_text(CAST($1 AS jsonb))) \
                     AND published_at IS NOT NULL AND published_at > $2 GROUP BY ig_user_id",
                )
                .bind(&accounts)
                .bind(since.as_millisecond())
                .fetch_all(pool)
                .await?
            }
        };
        rows.into_iter()
            .map(|(account, count, oldest)| {
                Ok((
                    account,
                    (
                        u32::try_from(count).unwrap_or(u32::MAX),
                        optional_timestamp(TABLE, "published_at", oldest)?,
                    ),
                ))
            })
            .collect()
    }
}
