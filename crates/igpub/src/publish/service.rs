//! The library API of posts for the HTTP layer and the CLI: every operation is tenant-scoped,
//! parses before it stores, and answers with [`PostView`]s.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::quota::QUOTA_WINDOW;
use super::steps::preflight_requests;
use crate::domain::{PostInput, PostKind, PostSpec, Rule, ValidationErrors, Violation};
use crate::media::preflight::{Preflight, Severity};
use crate::store::{
    Created, IntegrationId, IntegrationStatus, NewPost, Post, PostEvent, PostFailure, PostFilter,
    PostId, PostState, SharedStore, StoreError, TenantChange, TenantId,
};

/// Why a post operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum PostsError {
    /// The post breaks rules; every violation is listed.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The post, or the integration, does not exist for this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with the post's state or an earlier idempotent request (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Meta could not be asked (the quota read).
    #[error("Meta: {0}")]
    Graph(#[from] igpub_graph::GraphError),
}

impl From<StoreError> for PostsError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, .. } => Self::NotFound(entity),
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Store(other),
        }
    }
}

/// A post to create: the integration it goes to, and the post itself (the fields of
/// [`PostInput`] next to `integration_id`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatePost {
    /// The integration (connected Instagram account) to publish to.
    #[schema(value_type = String)]
    pub integration_id: IntegrationId,
    /// Fix media Meta would refuse (convert, pad, scale) instead of refusing the post; the
    /// service's `media.auto_fix` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_fix: Option<bool>,
    /// The post: [`PostInput`]'s fields, kept as given so validation can name every field.
    #[serde(flatten)]
    #[schema(value_type = crate::domain::PostInput)]
    pub post: serde_json::Map<String, serde_json::Value>,
}

/// A post as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostView {
    /// Its id.
    #[schema(value_type = String)]
    pub id: PostId,
    /// The integration.
    #[schema(value_type = String)]
    pub integration_id: IntegrationId,
    /// Where it is.
    pub state: PostState,
    /// Its kind.
    pub kind: PostKind,
    /// When it is to be published.
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    /// The time zone it was scheduled in.
    pub time_zone: Option<String>,
    /// The post as given.
    pub post: PostInput,
    /// The Instagram media id, once published (and known).
    pub media_id: Option<String>,
    /// The permalink, once read.
    pub permalink: Option<String>,
    /// Why it failed, and what to do.
    pub failure: Option<PostFailure>,
    /// When its containers expire (drafts keep them; new ones are made after this).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub containers_expire_at: Option<Timestamp>,
    /// When a worker looks at it next.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    /// The timeline (on single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<PostEvent>>,
}

impl PostView {
    fn of(post: Post, timeline: Option<Vec<PostEvent>>) -> Self {
        Self {
            containers_expire_at: post.progress.containers_expire_at(),
            id: post.id,
            integration_id: post.integration_id,
            state: post.state,
            kind: post.kind,
            run_at: post.run_at,
            time_zone: post.time_zone,
            post: post.input,
            media_id: post.media_id,
            permalink: post.permalink,
            failure: post.failure,
            next_attempt_at: post.next_attempt_at,
            idempotency_key: post.idempotency_key,
            created_at: post.created_at,
            updated_at: post.updated_at,
            published_at: post.published_at,
            timeline,
        }
    }
}

/// One page of posts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostPage {
    /// The posts, by (run_at, id).
    pub posts: Vec<PostView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of a listing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only posts in this state.
    pub state: Option<PostState>,
    /// Only posts of this integration.
    #[param(value_type = Option<String>)]
    pub integration_id: Option<IntegrationId>,
    /// Only posts due at or after this instant (RFC 3339).
    #[param(value_type = Option<String>)]
    pub from: Option<Timestamp>,
    /// Only posts due before this instant (RFC 3339).
    #[param(value_type = Option<String>)]
    pub to: Option<Timestamp>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
}

/// The outcome of a dry run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ValidationReport {
    /// No problem that blocks publishing.
    pub valid: bool,
    /// Every problem: rule violations and media pre-flight findings (errors and warnings).
    pub problems: Vec<Problem>,
}

/// One problem found by a dry run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The field (JSON path) or media item.
    pub field: String,
    /// The rule, machine-readable.
    pub rule: String,
    /// A sentence for a person.
    pub message: String,
    /// `error` blocks publishing; `warning` does not.
    pub severity: String,
}

/// An account's publishing quota as igpub sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuotaView {
    /// The integration.
    #[schema(value_type = String)]
    pub integration_id: IntegrationId,
    /// Meta's `quota_usage` (posts in the moving 24 h window, by any tool).
    pub quota_usage: u32,
    /// Meta's `quota_total`.
    pub quota_total: Option<u32>,
    /// Posts igpub published in the window.
    pub published_by_igpub: u32,
    /// When the oldest of igpub's posts in the window ages out.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_free_slot: Option<Timestamp>,
}

/// The posts API.
#[derive(Debug, Clone)]
pub struct Posts {
    store: SharedStore,
    preflight: Option<Preflight>,
}

/// Most posts on one page.
const MAX_PAGE: u32 = 200;

impl Posts {
    /// The API over `store`, without media pre-flight.
    pub fn new(store: SharedStore) -> Self {
        Self {
            store,
            preflight: None,
        }
    }

    /// Checks media with `preflight` in [`Posts::validate`].
    #[must_use]
    pub fn with_preflight(mut self, preflight: Preflight) -> Self {
        self.preflight = Some(preflight);
        self
    }

    fn parse(
        body: serde_json::Map<String, serde_json::Value>,
        now: Timestamp,
    ) -> Result<PostSpec, ValidationErrors> {
        let input = PostInput::from_value(serde_json::Value::Object(body))?;
        PostSpec::parse(input, now)
    }

    async fn active_integration(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<crate::store::Integration, PostsError> {
        let found = self.store.get_integration(tenant, integration).await?;
        if found.status == IntegrationStatus::Disconnected {
            return Err(PostsError::Invalid(ValidationErrors::one(Violation::new(
                "integration_id",
                Rule::Required,
                "the integration is disconnected; connect the account again first",
            ))));
        }
        Ok(found)
    }

    /// Creates a post. With an idempotency key, the same key and body return the same post
    /// (`false`: not new); the same key with another body is a conflict.
    pub async fn create(
        &self,
        tenant: TenantId,
        request: CreatePost,
        idempotency_key: Option<String>,
    ) -> Result<(PostView, bool), PostsError> {
        let hash = request_hash(&request);
        let integration = self
            .active_integration(tenant, request.integration_id)
            .await?;
        let now = self.store.now();
        let spec = Self::parse(request.post, now)?;
        let created = self
            .store
            .insert_post(NewPost::of_spec(
                &integration,
                &spec,
                now,
                idempotency_key,
                hash,
            ))
            .await?;
        let is_new = matches!(created, Created::New(_));
        let post = match created {
            Created::New(post) | Created::Existing(post) => post,
        };
        Ok((PostView::of(post, None), is_new))
    }

    /// A dry run: every rule violation and, with pre-flight, every media problem.
    pub async fn validate(
        &self,
        tenant: TenantId,
        request: CreatePost,
    ) -> Result<ValidationReport, PostsError> {
        let mut problems = Vec::new();
        if let Err(error) = self
            .active_integration(tenant, request.integration_id)
            .await
        {
            match error {
                PostsError::NotFound(_) => problems.push(Problem {
                    field: "integration_id".into(),
                    rule: "not_found".into(),
                    message: "integration_id: no such integration".into(),
                    severity: "error".into(),
                }),
                PostsError::Invalid(errors) => problems.extend(violations(errors)),
                other => return Err(other),
            }
        }
        match Self::parse(request.post, self.store.now()) {
            Err(errors) => problems.extend(violations(errors)),
            Ok(spec) => {
                if let Some(preflight) = &self.preflight {
                    let report = preflight.check_post(&preflight_requests(&spec)).await;
                    for item in report.items {
                        for problem in item.problems {
                            problems.push(Problem {
                                field: format!("media[{}]", item.index.saturating_sub(1)),
                                rule: problem.rule.name().to_owned(),
                                message: problem.message,
                                severity: match problem.severity {
                                    Severity::Error => "error".into(),
                                    Severity::Warning => "warning".into(),
                                },
                            });
                        }
                    }
                }
            }
        }
        Ok(ValidationReport {
            valid: !problems.iter().any(|p| p.severity == "error"),
            problems,
        })
    }

    /// One post with its timeline.
    pub async fn get(&self, tenant: TenantId, post: PostId) -> Result<PostView, PostsError> {
        let found = self.store.get_post(tenant, post).await?;
        let timeline = self.store.post_events(tenant, post).await?;
        Ok(PostView::of(found, Some(timeline)))
    }

    /// A page of posts.
    pub async fn list(&self, tenant: TenantId, query: ListQuery) -> Result<PostPage, PostsError> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(PostsError::Invalid(ValidationErrors::one(Violation::new(
                "limit",
                Rule::OutOfRange,
                format!("must be from 1 to {MAX_PAGE}"),
            ))));
        }
        let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
        let filter = PostFilter {
            state: query.state,
            integration: query.integration_id,
            run_at_from: query.from,
            run_at_to: query.to,
            after,
            limit,
        };
        let posts = self.store.list_posts(tenant, &filter).await?;
        let next_cursor = if posts.len() == limit as usize {
            posts
                .last()
                .map(|post| format!("{}_{}", post.run_at.as_millisecond(), post.id))
        } else {
            None
        };
        Ok(PostPage {
            posts: posts
                .into_iter()
                .map(|post| PostView::of(post, None))
                .collect(),
            next_cursor,
        })
    }

    /// Edits or reschedules a post before work on it starts.
    pub async fn update(
        &self,
        tenant: TenantId,
        post: PostId,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<PostView, PostsError> {
        let now = self.store.now();
        let spec = Self::parse(body, now)?;
        let change = TenantChange::Edit {
            input: Box::new(spec.to_input()),
            input_now: now,
            kind: spec.kind(),
            caption_fingerprint: spec.caption_fingerprint().as_str().to_owned(),
            run_at: spec.run_at(),
            time_zone: spec.time_zone().map(str::to_owned),
        };
        let changed = self.store.change_post(tenant, post, change).await?;
        Ok(PostView::of(changed, None))
    }

    /// Cancels a post that has not been published.
    pub async fn cancel(&self, tenant: TenantId, post: PostId) -> Result<PostView, PostsError> {
        Ok(PostView::of(
            self.store
                .change_post(tenant, post, TenantChange::Cancel)
                .await?,
            None,
        ))
    }

    /// Publishes a draft or a scheduled post as soon as possible.
    pub async fn publish_now(
        &self,
        tenant: TenantId,
        post: PostId,
    ) -> Result<PostView, PostsError> {
        Ok(PostView::of(
            self.store
                .change_post(tenant, post, TenantChange::PublishNow)
                .await?,
            None,
        ))
    }

    /// Tries a failed post again from the start.
    pub async fn retry(&self, tenant: TenantId, post: PostId) -> Result<PostView, PostsError> {
        Ok(PostView::of(
            self.store
                .change_post(tenant, post, TenantChange::Retry)
                .await?,
            None,
        ))
    }

    /// The account's quota: Meta's figures and our own publish log.
    pub async fn quota(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        graph: &igpub_graph::GraphClient,
    ) -> Result<QuotaView, PostsError> {
        let found = self.store.get_integration(tenant, integration).await?;
        let token = self.store.integration_token(tenant, integration).await?;
        let ig = found.metadata.ig_user_id.clone();
        let limit = graph
            .with_token(igpub_graph::AccessToken::from(token))
            .publishing_limit(&igpub_graph::IgUserId::new(&ig))
            .await?;
        let now = self.store.now();
        let since = now.checked_sub(QUOTA_WINDOW).unwrap_or(now);
        let (own, oldest) = self.store.published_since(&ig, since).await?;
        Ok(QuotaView {
            integration_id: integration,
            quota_usage: limit.quota_usage,
            quota_total: limit.config.map(|config| config.quota_total),
            published_by_igpub: own,
            next_free_slot: oldest.and_then(|at| at.checked_add(QUOTA_WINDOW).ok()),
        })
    }
}

fn violations(errors: ValidationErrors) -> Vec<Problem> {
    errors
        .into_violations()
        .into_iter()
        .map(|violation| Problem {
            field: violation.field,
            rule: violation.rule.as_str().to_owned(),
            message: violation.message,
            severity: "error".into(),
        })
        .collect()
}

fn parse_cursor(text: &str) -> Result<(Timestamp, PostId), PostsError> {
    let invalid = || {
        PostsError::Invalid(ValidationErrors::one(Violation::new(
            "cursor",
            Rule::InvalidCharacter,
            "must be a next_cursor returned by a previous page",
        )))
    };
    let (millis, id) = text.split_once('_').ok_or_else(invalid)?;
    let millis: i64 = millis.parse().map_err(|_| invalid())?;
    let run_at = Timestamp::from_millisecond(millis).map_err(|_| invalid())?;
    let id: PostId = id.parse().map_err(|_| invalid())?;
    Ok((run_at, id))
}

/// SHA-256 of the request in a canonical form (serde_json maps are sorted), so a retry of the
/// same request matches and any change does not.
fn request_hash(request: &CreatePost) -> String {
    let canonical = serde_json::to_string(&request).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}
