//! The state machine of one leased post. Every step saves its outcome (lease-conditional, with
//! its timeline event) before the next call to Meta, so a crash at any point resumes from the
//! saved state: creating with some children saved creates only the missing ones, processing
//! polls again, and publishing never re-sends but verifies (shared/design.md "Rules that keep
//! posts exactly once").

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use igpub_graph::{
    AccessToken, AuthedClient, ContainerFailure, ContainerId, ContainerStatus, ContainerStatusCode,
    ErrorClass, GraphError, IgUserId, MediaId, MediaListQuery, classify,
};
use jiff::SignedDuration;
use secrecy::SecretString;
use serde_json::json;
use tokio::time::Instant;

use super::advice::{container_failure, failure_of, our_failure};
use super::containers;
use super::metrics::bump;
use super::pauses::scope_of;
use super::quota::{QUOTA_WINDOW, QuotaDecision, next_slot};
use super::worker::Core;
use crate::domain::{CaptionFingerprint, PostInput, PostKind, PostSpec};
use crate::media::preflight::{MediaCheckRequest, MediaRole, Rule as PreflightRule};
use crate::store::{
    FollowUp, Post, PostFailure, PostProgress, PostState, Step, StepRequest, StoreError,
};

/// What to do after a step.
pub(crate) enum Flow {
    /// Work on: the post (as saved) needs more now.
    Continue(Box<Post>),
    /// Stop: the post is parked or finished, and its lease given back.
    Stop,
    /// Stop, though the post may still be leased to this worker: the worker is stopping, or
    /// the post cannot be settled here.
    Unsettled,
}

/// How [`Core::work`] left a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Worked {
    /// Its last step gave the lease back, the lease was lost, or the crash hook fired: nothing
    /// is left to do here.
    Released,
    /// It may still be leased to this worker: a step could not be saved, or the work stopped
    /// without giving the lease back. [`Core::work_until_released`] reads it again.
    Unsettled,
}

/// Why a step could not be saved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The crash hook fired: stop as a killed process would, saving nothing.
    #[error("simulated crash")]
    Crashed,
}

type StepResult = Result<Flow, StepError>;

/// What Meta says of the account's stored token when a call was refused.
enum StoredToken {
    /// It works: the refusal was of a token a reconnect replaced.
    Works,
    /// Meta refuses it too.
    Refused(SecretString),
    /// The check could not tell (the store or Meta failed).
    Unknown,
}

/// Containers are renewed when they would expire within this margin.
const EXPIRY_MARGIN: SignedDuration = SignedDuration::from_mins(10);

/// Recent media read when reconciling.
const RECONCILE_MEDIA_LIMIT: usize = 50;

impl Core {
    /// Works a leased post until it parks, ends, or is lost.
    pub(crate) async fn work(&self, post: Post) -> Worked {
        let span = tracing::info_span!("post", post_id = %post.id);
        let mut post = post;
        // Parsed once, not at every step: a step never changes the input, and a person's edit
        // (which does) makes the step conflict and ends this loop.
        let mut parsed: Option<(PostInput, Result<PostSpec, String>)> = None;
        loop {
            if self.stopping.load(Ordering::SeqCst) || self.is_dead() {
                return Worked::Unsettled;
            }
            let id = post.id;
            if parsed
                .as_ref()
                .is_none_or(|(input, _)| *input != post.input)
            {
                let spec = PostSpec::parse(post.input.clone(), post.input_now)
                    .map_err(|errors| errors.to_string());
                parsed = Some((post.input.clone(), spec));
            }
            let Some((_, spec)) = &parsed else {
                return Worked::Unsettled;
            };
            let flow =
                tracing::Instrument::instrument(self.step(post, spec.as_ref()), span.clone()).await;
            match flow {
                Ok(Flow::Continue(next)) => post = *next,
                Ok(Flow::Stop) => return Worked::Released,
                Ok(Flow::Unsettled) => return Worked::Unsettled,
                Err(StepError::Store(StoreError::Conflict(reason))) => {
                    bump(&self.metrics.leases_lost);
                    tracing::info!(post_id = %id, %reason, "post no longer ours; dropped");
                    return Worked::Released;
                }
                Err(StepError::Crashed) => return Worked::Released,
                Err(error) => {
                    // The lease expires and another worker (or this one) resumes from the
                    // last saved state.
                    tracing::warn!(post_id = %id, %error, "step failed");
                    return Worked::Unsettled;
                }
            }
        }
    }

    async fn step(&self, post: Post, spec: Result<&PostSpec, &String>) -> StepResult {
        let spec = match spec {
            Ok(spec) => spec,
            Err(errors) => {
                let failure = our_failure(
                    format!("the stored post no longer parses: {errors}"),
                    "edit the post so it follows Instagram's rules, then retry it",
                );
                return self.fail(&post, post.state, failure).await;
            }
        };
        match post.state {
            PostState::Draft | PostState::Scheduled => self.start(post, spec).await,
            PostState::Creating => self.create(post, spec).await,
            PostState::Processing => self.wait_processing(post, spec).await,
            PostState::Ready | PostState::WaitingQuota => {
                let from = post.state;
                self.gate_and_publish(post, spec, from).await
            }
            PostState::Publishing => {
                // A publish whose outcome was never saved: never re-send, verify.
                let progress = post.progress.clone();
                let next = self
                    .save(
                        &post,
                        PostState::Publishing,
                        Step::to(PostState::Verifying, progress)
                            .detail(json!({"reason": "resuming after an interrupted publish"})),
                    )
                    .await?;
                Ok(Flow::Continue(Box::new(next)))
            }
            PostState::Verifying => self.verify(post, spec).await,
            PostState::Published => self.follow_up(post, spec).await,
            PostState::Failed | PostState::Held | PostState::Cancelled => {
                let progress = post.progress.clone();
                self.save(&post, post.state, Step::to(post.state, progress).park(None))
                    .await?;
                Ok(Flow::Stop)
            }
        }
    }

    async fn save(&self, post: &Post, from: PostState, step: Step) -> Result<Post, StepError> {
        if self.crash_due() {
            return Err(StepError::Crashed);
        }
        let request = StepRequest {
            post: post.clone(),
            from,
            step,
        };
        Ok(self.steps.save(request).await?)
    }

    async fn client(&self, post: &Post) -> Result<AuthedClient, StoreError> {
        let token: AccessToken = self.token(post.tenant_id, post.integration_id).await?;
        Ok(self.graph.with_token(token))
    }

    /// Parks the post in its state while the account or the app is paused.
    async fn park_if_paused(&self, post: &Post) -> Result<Option<Flow>, StepError> {
        let now = self.store.now();
        let Some(until) = self.pauses.paused_until(&post.ig_user_id, now) else {
            return Ok(None);
        };
        let step = Step::to(post.state, post.progress.clone()).park(Some(until));
        self.save(post, post.state, step).await?;
        Ok(Some(Flow::Stop))
    }

    async fn start(&self, post: Post, spec: &PostSpec) -> StepResult {
        let mut progress = post.progress.clone();
        let now = self.store.now();
        let keep_as_draft = spec.is_draft() && !progress.publish_requested;
        if progress.has_containers()
            && progress
                .containers_expire_at()
                .is_some_and(|expiry| expiry <= now.checked_add(EXPIRY_MARGIN).unwrap_or(now))
        {
            progress.forget_containers();
            if keep_as_draft {
                // A draft's containers expired: new ones are made only when it is published.
                let step = Step::to(PostState::Draft, progress)
                    .detail(json!({"containers": "expired; new ones are made when the draft is published"}))
                    .park(None);
                self.save(&post, post.state, step).await?;
                return Ok(Flow::Stop);
            }
        }
        if keep_as_draft && post.progress.container_id.is_some() {
            let step = Step::to(PostState::Draft, progress).park(None);
            self.save(&post, post.state, step).await?;
            return Ok(Flow::Stop);
        }
        if let Some(flow) = self.park_if_paused(&post).await? {
            return Ok(flow);
        }
        if let Some(flow) = self.preflight(&post, spec, &progress).await? {
            return Ok(flow);
        }
        if progress.container_id.is_none() {
            // Straight to creating containers: its own save (with the container ids) is the
            // first write, one transaction per post fewer. A crash before it leaves the post
            // where it was, and the retry makes a new container (an orphan expires unused).
            let post = Post { progress, ..post };
            return self.create(post, spec).await;
        }
        let next = self
            .save(&post, post.state, Step::to(PostState::Processing, progress))
            .await?;
        Ok(Flow::Continue(Box::new(next)))
    }

    /// The media pre-flight, again just before containers are made.
    async fn preflight(
        &self,
        post: &Post,
        spec: &PostSpec,
        progress: &PostProgress,
    ) -> Result<Option<Flow>, StepError> {
        let Some(preflight) = &self.config.preflight else {
            return Ok(None);
        };
        if progress.has_containers() {
            return Ok(None);
        }
        let requests = preflight_requests(spec);
        let report = preflight.check_post(&requests).await;
        let Some(item) = report.items.iter().find(|item| item.has_errors()) else {
            return Ok(None);
        };
        let fetch_failed = item.problems.iter().any(|problem| {
            matches!(
                problem.rule,
                PreflightRule::Fetch | PreflightRule::HttpStatus
            )
        });
        let message = item
            .problems_of(crate::media::preflight::Severity::Error)
            .map(|problem| problem.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        if fetch_failed && !self.config.retry.exhausted(progress.attempts) {
            let delay = self.config.retry.delay(progress.attempts, Duration::ZERO);
            let mut progress = progress.clone();
            progress.attempts += 1;
            bump(&self.metrics.retries);
            let step = Step::to(post.state, progress)
                .detail(json!({"preflight": message, "retry_in_ms": delay.as_millis()}))
                .park(Some(self.after(delay)));
            self.save(post, post.state, step).await?;
            return Ok(Some(Flow::Stop));
        }
        let failure = our_failure(
            message,
            "fix the media (format, size, ratio, reachability) and retry the post",
        );
        self.fail(post, post.state, failure).await.map(Some)
    }

    async fn create(&self, post: Post, spec: &PostSpec) -> StepResult {
        if let Some(flow) = self.park_if_paused(&post).await? {
            return Ok(flow);
        }
        let token = self.token(post.tenant_id, post.integration_id).await?;
        let ig = IgUserId::new(&post.ig_user_id);
        let mut progress = post.progress.clone();
        if progress.containers_created_at.is_none() {
            // Never later than Meta's own creation time, so expiry is never overestimated.
            progress.containers_created_at = Some(self.store.now());
        }
        if spec.kind() == PostKind::Carousel {
            let items = spec.media();
            progress.children.resize(items.len(), None);
            let missing: Vec<usize> = progress
                .children
                .iter()
                .enumerate()
                .filter(|(_, child)| child.is_none())
                .map(|(index, _)| index)
                .collect();
            if !missing.is_empty() {
                let specs: Vec<(usize, igpub_graph::ContainerSpec)> = missing
                    .into_iter()
                    .filter_map(|index| {
                        items
                            .get(index)
                            .map(|item| (index, containers::carousel_child(item)))
                    })
                    .collect();
                let asked = (self.store.now(), Instant::now());
                let results = self.create_children(&token, &ig, specs).await;
                let mut first_error = None;
                let mut last_sent = asked.1;
                for (index, result) in results {
                    match result {
                        Ok((id, sent)) => {
                            last_sent = last_sent.max(sent);
                            bump(&self.metrics.containers_created);
                            if let Some(slot) = progress.children.get_mut(index) {
                                *slot = Some(id.into_string());
                            }
                        }
                        Err(error) => {
                            first_error.get_or_insert(error);
                        }
                    }
                }
                if let Some(error) = first_error {
                    let saved = self
                        .save(&post, post.state, Step::to(PostState::Creating, progress))
                        .await?;
                    return self
                        .on_error(saved, PostState::Creating, error, "creating containers")
                        .await;
                }
                progress.containers_sent_at = Some(store_time(asked, last_sent));
                let next = self
                    .save(
                        &post,
                        post.state,
                        Step::to(PostState::Processing, progress)
                            .detail(json!({"children": "created"})),
                    )
                    .await?;
                return Ok(Flow::Continue(Box::new(next)));
            }
            if !progress.children_finished {
                let next = self
                    .save(&post, post.state, Step::to(PostState::Processing, progress))
                    .await?;
                return Ok(Flow::Continue(Box::new(next)));
            }
            let children = progress
                .children
                .iter()
                .flatten()
                .map(ContainerId::new)
                .collect();
            let parent = containers::carousel_parent(spec, children);
            return self
                .create_publish_container(post, progress, token, ig, parent)
                .await;
        }
        let Some(single) = containers::single(spec) else {
            let failure = our_failure(
                "the post has no media",
                "add media to the post and retry it",
            );
            return self.fail(&post, post.state, failure).await;
        };
        self.create_publish_container(post, progress, token, ig, single)
            .await
    }

    async fn create_publish_container(
        &self,
        post: Post,
        mut progress: PostProgress,
        token: AccessToken,
        ig: IgUserId,
        spec: igpub_graph::ContainerSpec,
    ) -> StepResult {
        let asked = (self.store.now(), Instant::now());
        match self.graph_calls.create_container(token, ig, spec).await {
            Ok((id, sent)) => {
                bump(&self.metrics.containers_created);
                progress.container_id = Some(id.to_string());
                progress.containers_sent_at = Some(store_time(asked, sent));
                progress.attempts = 0;
                let step = Step::to(PostState::Processing, progress)
                    .detail(json!({"container_id": id.as_str()}));
                let next = self.save(&post, post.state, step).await?;
                Ok(Flow::Continue(Box::new(next)))
            }
            // An ambiguous creation may have left an orphan container: harmless, it expires.
            Err(error) => {
                let from = post.state;
                self.on_error(post, from, error, "creating containers")
                    .await
            }
        }
    }

    /// Creates carousel children; they share batches (one round trip for a whole carousel),
    /// and each result keeps its item index.
    async fn create_children(
        &self,
        token: &AccessToken,
        ig: &IgUserId,
        specs: Vec<(usize, igpub_graph::ContainerSpec)>,
    ) -> Vec<(usize, Result<(ContainerId, Instant), GraphError>)> {
        futures::future::join_all(specs.into_iter().map(|(index, spec)| async move {
            let created = self
                .graph_calls
                .create_container(token.clone(), ig.clone(), spec)
                .await;
            (index, created)
        }))
        .await
    }

    async fn wait_processing(&self, post: Post, spec: &PostSpec) -> StepResult {
        let client_token = self.token(post.tenant_id, post.integration_id).await?;
        let video = containers::has_video(spec);
        let mut progress = post.progress.clone();
        let polling_children = spec.kind() == PostKind::Carousel && !progress.children_finished;
        let ids: Vec<ContainerId> = if polling_children {
            progress
                .children
                .iter()
                .flatten()
                .map(ContainerId::new)
                .collect()
        } else {
            progress.container_id.iter().map(ContainerId::new).collect()
        };
        if ids.is_empty() {
            let next = self
                .save(
                    &post,
                    PostState::Processing,
                    Step::to(PostState::Creating, progress),
                )
                .await?;
            return Ok(Flow::Continue(Box::new(next)));
        }
        // Timed from when the creation left, not from when it was asked for: in a burst it can
        // wait for a free batch, and counting that wait would make the learned processing time
        // (and so every first read) depend on how long the queue was.
        let processing_since = progress
            .containers_sent_at
            .or(progress.containers_created_at)
            .unwrap_or_else(|| self.store.now());
        // While no container of this kind has been seen finishing, one post probes (polled
        // closely) and the others wait for what it learns instead of polling blind.
        let _probe = self.processing.probe_or_wait(video).await;
        let mut interval = self
            .processing
            .expected(video)
            .saturating_sub(self.elapsed_since(processing_since));
        let mut first_poll = true;
        let mut failures = 0u32;
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return Ok(Flow::Unsettled);
            }
            let asked = (self.store.now(), Instant::now());
            let due = asked.1 + interval;
            let (answer, read_sent) = self
                .poller
                .statuses_at(due, client_token.clone(), ids.clone())
                .await;
            let statuses = match answer {
                Ok(statuses) => statuses,
                Err(error) => match classify(&error, failures) {
                    ErrorClass::Transient { .. } if failures < self.config.retry.max_attempts => {
                        interval = self.config.retry.delay(
                            failures,
                            self.config
                                .poll
                                .follow_up(self.elapsed_since(processing_since)),
                        );
                        failures += 1;
                        continue;
                    }
                    _ => {
                        return self
                            .on_error(post, PostState::Processing, error, "polling containers")
                            .await;
                    }
                },
            };
            match evaluate(&ids, &statuses) {
                Evaluation::Failed(failure) => {
                    let error = GraphError::Container(Box::new(failure));
                    return self
                        .on_error(post, PostState::Processing, error, "processing")
                        .await;
                }
                Evaluation::Published => {
                    // Someone (a crashed earlier attempt) already published this container.
                    let step = Step::to(PostState::Verifying, progress)
                        .detail(json!({"reason": "the container reads PUBLISHED"}));
                    let next = self.save(&post, PostState::Processing, step).await?;
                    return Ok(Flow::Continue(Box::new(next)));
                }
                Evaluation::Finished => {
                    // Done when the read left, not when its answer came back: timed from the
                    // answer, each learned time would grow by a round trip (more than the
                    // first-read nudge takes off), and every first read with it.
                    let read_after = store_time(asked, read_sent).duration_since(processing_since);
                    let read_after = Duration::try_from(read_after).unwrap_or_default();
                    self.processing.record(video, read_after, first_poll);
                    progress.attempts = 0;
                    if polling_children {
                        progress.children_finished = true;
                        let next = self
                            .save(
                                &post,
                                PostState::Processing,
                                Step::to(PostState::Creating, progress),
                            )
                            .await?;
                        return Ok(Flow::Continue(Box::new(next)));
                    }
                    if spec.is_draft() && !progress.publish_requested {
                        let expires = progress.containers_expire_at();
                        let step = Step::to(PostState::Draft, progress)
                            .detail(json!({"containers": "ready", "expires_at": expires}))
                            .park(None);
                        self.save(&post, PostState::Processing, step).await?;
                        return Ok(Flow::Stop);
                    }
                    let post = Post { progress, ..post };
                    return self
                        .gate_and_publish(post, spec, PostState::Processing)
                        .await;
                }
                Evaluation::InProgress => {
                    if self.elapsed_since(processing_since) > self.config.processing_deadline {
                        let failure = ContainerFailure::DeadlinePassed {
                            container_id: ids
                                .first()
                                .cloned()
                                .unwrap_or_else(|| ContainerId::new("")),
                            waited: self.elapsed_since(processing_since),
                            last_status: ContainerStatusCode::InProgress,
                        };
                        let error = GraphError::Container(Box::new(failure));
                        return self
                            .on_error(post, PostState::Processing, error, "processing")
                            .await;
                    }
                    first_poll = false;
                    interval = self
                        .config
                        .poll
                        .follow_up(self.elapsed_since(processing_since));
                }
            }
        }
    }

    fn elapsed_since(&self, at: jiff::Timestamp) -> Duration {
        Duration::try_from(self.store.now().duration_since(at)).unwrap_or_default()
    }

    /// Pause, expiry and quota gates, then `media_publish` with the state saved before and after.
    async fn gate_and_publish(&self, post: Post, spec: &PostSpec, from: PostState) -> StepResult {
        let now = self.store.now();
        if let Some(until) = self.pauses.paused_until(&post.ig_user_id, now) {
            let step = Step::to(PostState::Ready, post.progress.clone())
                .detail(json!({"paused_until": until}))
                .park(Some(until));
            self.save(&post, from, step).await?;
            return Ok(Flow::Stop);
        }
        let mut progress = post.progress.clone();
        if progress.containers_expire_at().is_none_or(|expiry| {
            expiry <= now.checked_add(SignedDuration::from_mins(1)).unwrap_or(now)
        }) {
            progress.forget_containers();
            let step = Step::to(PostState::Creating, progress)
                .detail(json!({"containers": "expired before publishing; making new ones"}));
            let next = self.save(&post, from, step).await?;
            return Ok(Flow::Continue(Box::new(next)));
        }
        let Some(container) = progress.container_id.clone().map(ContainerId::new) else {
            let next = self
                .save(&post, from, Step::to(PostState::Creating, progress))
                .await?;
            return Ok(Flow::Continue(Box::new(next)));
        };
        let token = self.token(post.tenant_id, post.integration_id).await?;
        let client = self.graph.with_token(token.clone());
        let ticket = match self
            .quota
            .check(&self.publish_log, &client, &post.ig_user_id, now)
            .await
        {
            Ok(QuotaDecision::Go(ticket)) => ticket,
            Ok(QuotaDecision::WaitUntil(slot)) => {
                bump(&self.metrics.quota_waits);
                let step = Step::to(PostState::WaitingQuota, progress)
                    .detail(json!({"next_slot": slot}))
                    .park(Some(slot));
                self.save(&post, from, step).await?;
                return Ok(Flow::Stop);
            }
            Err(super::quota::QuotaError::Store(error)) => return Err(error.into()),
            Err(super::quota::QuotaError::Graph(error)) => {
                return self
                    .on_error(post, from, error, "reading the publishing quota")
                    .await;
            }
        };
        // Saved before the call: from here on a crash leads to verifying, never a blind resend.
        progress.publish_sent_at = Some(now);
        let publishing = self
            .save(
                &post,
                from,
                Step::to(PostState::Publishing, progress.clone()),
            )
            .await?;
        bump(&self.metrics.publish_calls);
        let ig = IgUserId::new(&post.ig_user_id);
        let outcome = if self.config.batch_calls {
            // Both parts run on the account's own token and proof (graph-api.md §5.4, §9.1),
            // in a batch that may carry other accounts' calls too.
            self.graph_calls
                .publish_and_fetch(token, ig.clone(), container.clone())
                .await
        } else {
            publish_then_fetch(&client, &ig, &container).await
        };
        let result = match outcome {
            Ok(published) => {
                let permalink = published.media.as_ref().and_then(|m| m.permalink.clone());
                self.mark_published(
                    publishing,
                    spec,
                    Some(published.media_id.into_string()),
                    permalink,
                    json!({}),
                )
                .await
            }
            // graph-api.md §2.7, §10: a timeout, 5xx, reset or 4/2207051 may have published.
            Err(error) if error.is_ambiguous() => {
                bump(&self.metrics.ambiguous_publishes);
                let step = Step::to(PostState::Verifying, progress)
                    .detail(json!({"ambiguous": error.to_string()}));
                let next = self.save(&publishing, PostState::Publishing, step).await?;
                Ok(Flow::Continue(Box::new(next)))
            }
            Err(error) => {
                if matches!(
                    classify(&error, progress.attempts),
                    ErrorClass::QuotaReached
                ) {
                    self.quota.invalidate(&post.ig_user_id);
                }
                // Meta answered definitively: nothing was published; the container may be reused.
                self.on_error(publishing, PostState::Publishing, error, "publishing")
                    .await
            }
        };
        drop(ticket);
        result
    }

    async fn mark_published(
        &self,
        post: Post,
        spec: &PostSpec,
        media_id: Option<String>,
        permalink: Option<String>,
        detail: serde_json::Value,
    ) -> StepResult {
        let from = post.state;
        let mut progress = post.progress.clone();
        progress.attempts = 0;
        progress.permalink = match (&permalink, &media_id) {
            (Some(_), _) => FollowUp::Done { id: None },
            (None, Some(_)) => FollowUp::Pending { attempts: 0 },
            (None, None) => FollowUp::GaveUp {
                error: "the media id is unknown (settled by reconciliation)".into(),
            },
        };
        progress.first_comment = match (spec.first_comment(), &media_id) {
            (None, _) => FollowUp::None,
            (Some(_), Some(_)) => FollowUp::Pending { attempts: 0 },
            (Some(_), None) => FollowUp::GaveUp {
                error: "the media id is unknown, so the first comment cannot be posted".into(),
            },
        };
        let pending = progress.permalink.is_pending() || progress.first_comment.is_pending();
        let mut detail = detail;
        if let Some(object) = detail.as_object_mut() {
            object.insert("media_id".into(), json!(media_id));
            object.insert("permalink".into(), json!(permalink));
        }
        let now = self.store.now();
        let step = Step {
            media_id,
            permalink,
            published_at: Some(now),
            ..Step::to(PostState::Published, progress)
        }
        .detail(detail);
        let step = if pending {
            Step {
                next_attempt_at: Some(now),
                ..step
            }
        } else {
            step.park(None)
        };
        let next = self.save(&post, from, step).await?;
        bump(&self.metrics.published);
        tracing::info!(post_id = %next.id, media_id = ?next.media_id, "published");
        if pending {
            Ok(Flow::Continue(Box::new(next)))
        } else {
            Ok(Flow::Stop)
        }
    }

    /// Settles an ambiguous publish by reading the container (shared/design.md).
    async fn verify(&self, post: Post, spec: &PostSpec) -> StepResult {
        let Some(container) = post.progress.container_id.clone().map(ContainerId::new) else {
            let next = self
                .save(
                    &post,
                    PostState::Verifying,
                    Step::to(PostState::Creating, post.progress.clone()),
                )
                .await?;
            return Ok(Flow::Continue(Box::new(next)));
        };
        let client = self.client(&post).await?;
        let status = match client.container_status(&container).await {
            Ok(status) => status,
            Err(error) => return self.verify_failed(post, error).await,
        };
        match status.status_code {
            ContainerStatusCode::Published => {
                let found = self.find_published_media(&client, &post, spec).await;
                match found {
                    Some((media_id, permalink)) => {
                        bump(&self.metrics.reconciled_found);
                        self.mark_published(
                            post,
                            spec,
                            Some(media_id),
                            permalink,
                            json!({"reconciled": "found among recent media"}),
                        )
                        .await
                    }
                    None => {
                        bump(&self.metrics.reconciled_unknown);
                        self.mark_published(post, spec, None, None, json!({"reconciled": "container PUBLISHED; media not found among recent media"}))
                            .await
                    }
                }
            }
            // The publish did not happen: publishing is safe.
            ContainerStatusCode::Finished => {
                self.gate_and_publish(post, spec, PostState::Verifying)
                    .await
            }
            ContainerStatusCode::InProgress => {
                let next = self
                    .save(
                        &post,
                        PostState::Verifying,
                        Step::to(PostState::Processing, post.progress.clone()),
                    )
                    .await?;
                Ok(Flow::Continue(Box::new(next)))
            }
            _ => {
                let failure = status.failure().unwrap_or(ContainerFailure::Expired {
                    container_id: container,
                    status_text: status.status.clone(),
                });
                self.new_containers(
                    post,
                    PostState::Verifying,
                    &GraphError::Container(Box::new(failure)),
                )
                .await
            }
        }
    }

    async fn verify_failed(&self, post: Post, error: GraphError) -> StepResult {
        let mut progress = post.progress.clone();
        match classify(&error, progress.attempts) {
            ErrorClass::Reauth => self.hold(post, PostState::Verifying, &error).await,
            class => {
                if let ErrorClass::RateLimited { scope, after } = &class {
                    self.pause(*scope, &post.ig_user_id, *after, &error);
                }
                if self.config.retry.exhausted(progress.attempts) {
                    // Cannot be settled: never publish again (shared/design.md).
                    bump(&self.metrics.reconciled_unknown);
                    let spec = PostSpec::parse(post.input.clone(), post.input_now);
                    return match spec {
                        Ok(spec) => self.mark_published(post, &spec, None, None, json!({"reconciled": format!("could not read the container: {error}")})).await,
                        Err(_) => Ok(Flow::Unsettled),
                    };
                }
                let delay = self.config.retry.delay(progress.attempts, hint(&class));
                progress.attempts += 1;
                bump(&self.metrics.retries);
                let step = Step::to(PostState::Verifying, progress)
                    .detail(json!({"verify_error": error.to_string()}))
                    .park(Some(self.after(delay)));
                self.save(&post, PostState::Verifying, step).await?;
                Ok(Flow::Stop)
            }
        }
    }

    /// The media id and permalink of the post among the account's recent media, matched by
    /// caption fingerprint within the time window of the publish (stories are not listed).
    async fn find_published_media(
        &self,
        client: &AuthedClient,
        post: &Post,
        spec: &PostSpec,
    ) -> Option<(String, Option<String>)> {
        if spec.kind() == PostKind::Story {
            return None;
        }
        let sent = post
            .progress
            .publish_sent_at
            .unwrap_or_else(|| self.store.now());
        let window = SignedDuration::try_from(self.config.reconcile_window).unwrap_or_default();
        let since = sent.checked_sub(window).unwrap_or(sent);
        let query = MediaListQuery {
            limit: Some(25),
            since: Some(since),
            until: None,
        };
        let mut media = Box::pin(
            client
                .recent_media(&IgUserId::new(&post.ig_user_id), &query)
                .take(RECONCILE_MEDIA_LIMIT),
        );
        while let Some(item) = media.next().await {
            let Ok(item) = item else {
                return None;
            };
            let fingerprint = CaptionFingerprint::of(item.caption.as_deref().unwrap_or(""));
            let in_window = item.timestamp.is_none_or(|at| at >= since);
            if in_window && fingerprint.as_str() == post.caption_fingerprint {
                return Some((item.id.into_string(), item.permalink));
            }
        }
        None
    }

    /// The permalink read and the first comment, best effort, each retried on its own.
    async fn follow_up(&self, post: Post, spec: &PostSpec) -> StepResult {
        let mut progress = post.progress.clone();
        let Some(media_id) = post.media_id.clone().map(MediaId::new) else {
            let step = Step::to(PostState::Published, progress).park(None);
            self.save(&post, PostState::Published, step).await?;
            return Ok(Flow::Stop);
        };
        let client = self.client(&post).await?;
        let mut detail = serde_json::Map::new();
        let mut permalink = None;
        if let FollowUp::Pending { attempts } = progress.permalink {
            match client.media(&media_id).await {
                Ok(media) if media.permalink.is_some() => {
                    permalink = media.permalink;
                    progress.permalink = FollowUp::Done { id: None };
                }
                Ok(_) => {
                    progress.permalink =
                        self.retry_follow_up(attempts, "Meta returned no permalink".into());
                }
                Err(error) => {
                    detail.insert("permalink_error".into(), json!(error.to_string()));
                    progress.permalink = self.retry_follow_up(attempts, error.to_string());
                }
            }
        }
        if let FollowUp::Sending { .. } = progress.first_comment {
            // A worker died while posting it: it may be live, so it is not sent again.
            let error = "interrupted while posting; not sent again to avoid a duplicate comment";
            detail.insert("first_comment_error".into(), json!(error));
            progress.first_comment = FollowUp::GaveUp {
                error: error.to_owned(),
            };
        }
        if let (FollowUp::Pending { attempts }, Some(comment)) =
            (progress.first_comment.clone(), spec.first_comment())
        {
            // Saved before the call: a comment is not idempotent.
            progress.first_comment = FollowUp::Sending { attempts };
            let sending = Step::to(PostState::Published, progress.clone());
            let post = self.save(&post, PostState::Published, sending).await?;
            progress = post.progress.clone();
            progress.first_comment = match client.post_comment(&media_id, comment.as_str()).await {
                Ok(id) => {
                    detail.insert("first_comment".into(), json!("posted"));
                    FollowUp::Done {
                        id: Some(id.into_string()),
                    }
                }
                // Never fails the post; recorded in the timeline.
                Err(error) if error.is_ambiguous() => {
                    detail.insert("first_comment_error".into(), json!(error.to_string()));
                    FollowUp::GaveUp {
                        error: format!("{error} (it may have been posted; not sent again)"),
                    }
                }
                Err(error) => {
                    detail.insert("first_comment_error".into(), json!(error.to_string()));
                    self.retry_follow_up(attempts, error.to_string())
                }
            };
        }
        let pending = progress.permalink.is_pending() || progress.first_comment.is_pending();
        let attempts = match (&progress.permalink, &progress.first_comment) {
            (FollowUp::Pending { attempts }, _) | (_, FollowUp::Pending { attempts }) => *attempts,
            _ => 0,
        };
        let step = Step {
            permalink,
            ..Step::to(PostState::Published, progress)
        }
        .detail(serde_json::Value::Object(detail));
        let step = if pending {
            step.park(Some(
                self.after(self.config.retry.delay(attempts, Duration::ZERO)),
            ))
        } else {
            step.park(None)
        };
        self.save(&post, PostState::Published, step).await?;
        Ok(Flow::Stop)
    }

    fn retry_follow_up(&self, attempts: u32, error: String) -> FollowUp {
        if attempts.saturating_add(1) >= self.config.follow_up_attempts {
            FollowUp::GaveUp { error }
        } else {
            FollowUp::Pending {
                attempts: attempts + 1,
            }
        }
    }

    /// What a failed call means for the post (shared/design.md "Errors from Meta").
    async fn on_error(
        &self,
        post: Post,
        from: PostState,
        error: GraphError,
        doing: &str,
    ) -> StepResult {
        let mut progress = post.progress.clone();
        let class = classify(&error, progress.attempts);
        tracing::info!(post_id = %post.id, %error, ?class, doing, "graph call failed");
        match class {
            ErrorClass::Reauth => self.hold(post, from, &error).await,
            ErrorClass::NewContainer => self.new_containers(post, from, &error).await,
            ErrorClass::Permanent => {
                let failure = match &error {
                    GraphError::Container(failure) => container_failure(failure),
                    other => failure_of(other),
                };
                self.fail(&post, from, failure).await
            }
            ErrorClass::QuotaReached => {
                let now = self.store.now();
                let since = now.checked_sub(QUOTA_WINDOW).unwrap_or(now);
                let (_, oldest) = self.store.published_since(&post.ig_user_id, since).await?;
                let slot = next_slot(oldest, now);
                bump(&self.metrics.quota_waits);
                let step = Step::to(PostState::WaitingQuota, progress)
                    .detail(json!({"next_slot": slot, "meta": error.to_string()}))
                    .park(Some(slot));
                self.save(&post, from, step).await?;
                Ok(Flow::Stop)
            }
            ErrorClass::Transient { .. } | ErrorClass::RateLimited { .. } => {
                if let ErrorClass::RateLimited { scope, after } = &class {
                    self.pause(*scope, &post.ig_user_id, *after, &error);
                } else if self.config.retry.exhausted(progress.attempts) {
                    let mut failure = failure_of(&error);
                    failure.message = format!(
                        "{doing} failed {} times; last error: {}",
                        progress.attempts + 1,
                        failure.message
                    );
                    return self.fail(&post, from, failure).await;
                }
                let delay = self.config.retry.delay(progress.attempts, hint(&class));
                progress.attempts += 1;
                bump(&self.metrics.retries);
                // A publish answered definitively never happened: go back to ready.
                let to = if from == PostState::Publishing {
                    PostState::Ready
                } else {
                    from
                };
                let step = Step::to(to, progress)
                    .detail(json!({"retry_in_ms": delay.as_millis(), "error": error.to_string()}))
                    .park(Some(self.after(delay)));
                self.save(&post, from, step).await?;
                Ok(Flow::Stop)
            }
        }
    }

    fn pause(
        &self,
        scope: igpub_graph::RateLimitScope,
        ig_user_id: &str,
        after: Duration,
        error: &GraphError,
    ) {
        bump(&self.metrics.rate_limit_pauses);
        self.pauses.pause(
            scope_of(scope, ig_user_id),
            self.after(after),
            error.to_string(),
        );
    }

    /// Makes new containers, a bounded number of times.
    async fn new_containers(&self, post: Post, from: PostState, error: &GraphError) -> StepResult {
        let mut progress = post.progress.clone();
        // A container that expired while the post waited (a pause, the quota) says nothing
        // about its content: renewing it does not count against the bound.
        let expired = matches!(
            error,
            GraphError::Container(failure) if matches!(**failure, ContainerFailure::Expired { .. })
        );
        if !expired && progress.container_rounds >= self.config.max_container_rounds {
            let mut failure = match error {
                GraphError::Container(failure) => container_failure(failure),
                other => failure_of(other),
            };
            failure.message = format!(
                "containers failed {} times; last: {}",
                progress.container_rounds + 1,
                failure.message
            );
            return self.fail(&post, from, failure).await;
        }
        bump(&self.metrics.container_rounds);
        if !expired {
            progress.container_rounds += 1;
        }
        progress.attempts = 0;
        progress.forget_containers();
        let step = Step::to(PostState::Creating, progress)
            .detail(json!({"new_containers": error.to_string()}));
        let next = self.save(&post, from, step).await?;
        Ok(Flow::Continue(Box::new(next)))
    }

    /// Holds the post until its integration is reconnected.
    async fn hold(&self, post: Post, from: PostState, error: &GraphError) -> StepResult {
        self.forget_token(post.integration_id);
        let reason = error.to_string();
        // The failing call may have used a token a reconnect has since replaced (read before
        // it, or read again after another post's hold), so the refusal alone does not say the
        // stored token is bad. Meta is asked about the stored one; only its refusal marks the
        // account, by compare-and-set, so a reconnect landing meanwhile is never undone.
        let marked = match self.check_stored_token(&post).await {
            StoredToken::Works => false,
            StoredToken::Refused(stored) => self
                .store
                .mark_needs_reconnect_if_token(post.tenant_id, post.integration_id, &stored, &reason)
                .await
                .unwrap_or_else(|mark_error| {
                    tracing::warn!(%mark_error, "cannot mark the integration as needing a reconnect");
                    true
                }),
            // Held without marking: if the account is active the post is resumed within a
            // second (every worker resumes held posts of active accounts) and tried again.
            StoredToken::Unknown => true,
        };
        if !marked {
            // The stored token works (a reconnect replaced the refused one): try again.
            let step = Step::to(from, post.progress.clone())
                .detail(json!({"token": "replaced by a reconnect; trying again"}))
                .park(Some(self.store.now()));
            self.save(&post, from, step).await?;
            return Ok(Flow::Stop);
        }
        let mut progress = post.progress.clone();
        progress.attempts = 0;
        progress.resume_state = Some(match from {
            PostState::Publishing | PostState::Verifying => PostState::Verifying,
            PostState::Ready | PostState::WaitingQuota => PostState::Ready,
            PostState::Draft => PostState::Draft,
            _ => PostState::Scheduled,
        });
        bump(&self.metrics.held);
        let failure = failure_of(error);
        let step = Step {
            failure: Some(failure),
            ..Step::to(PostState::Held, progress)
        }
        .detail(json!({"reason": reason}))
        .park(None);
        self.save(&post, from, step).await?;
        Ok(Flow::Stop)
    }

    /// Whether Meta accepts the account's stored token (`GET /{ig-user-id}`, as the token
    /// check of graph-api.md §6.2 does).
    async fn check_stored_token(&self, post: &Post) -> StoredToken {
        let stored = match self
            .store
            .integration_token(post.tenant_id, post.integration_id)
            .await
        {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(%error, "cannot read the stored token to check it");
                return StoredToken::Unknown;
            }
        };
        let client = self.graph.with_token(AccessToken::from(stored.clone()));
        match client.verify(&IgUserId::new(&post.ig_user_id)).await {
            Ok(_) => StoredToken::Works,
            Err(check) if matches!(classify(&check, 0), ErrorClass::Reauth) => {
                StoredToken::Refused(stored)
            }
            Err(check) => {
                tracing::info!(error = %check, "cannot check the stored token");
                StoredToken::Unknown
            }
        }
    }

    async fn fail(&self, post: &Post, from: PostState, failure: PostFailure) -> StepResult {
        bump(&self.metrics.failed);
        tracing::info!(post_id = %post.id, message = %failure.message, "post failed");
        let detail = json!({"code": failure.code, "subcode": failure.subcode, "message": failure.message, "advice": failure.advice});
        let step = Step {
            failure: Some(failure),
            ..Step::to(PostState::Failed, post.progress.clone())
        }
        .detail(detail)
        .park(None);
        self.save(post, from, step).await?;
        Ok(Flow::Stop)
    }
}

/// `media_publish`, then the media read as a call of its own: the seed's way, kept for the
/// baseline of `igpub bench publish --poll-strategy fixed-3s`. The read is best effort, as in
/// `publish_and_fetch`.
async fn publish_then_fetch(
    client: &AuthedClient,
    ig: &IgUserId,
    container: &ContainerId,
) -> Result<igpub_graph::PublishedMedia, GraphError> {
    let media_id = client.publish_container(ig, container).await?;
    let media = match client.media(&media_id).await {
        Ok(media) => Some(media),
        Err(error) => {
            tracing::warn!(%media_id, %error, "published, but reading the media failed");
            None
        }
    };
    Ok(igpub_graph::PublishedMedia { media_id, media })
}

/// The store's time at `instant`, from a moment `asked` known on both clocks.
fn store_time(asked: (jiff::Timestamp, Instant), instant: Instant) -> jiff::Timestamp {
    let waited = instant.saturating_duration_since(asked.1);
    SignedDuration::try_from(waited)
        .ok()
        .and_then(|waited| asked.0.checked_add(waited).ok())
        .unwrap_or(asked.0)
}

/// Meta's suggested wait, as a floor for the backoff.
fn hint(class: &ErrorClass) -> Duration {
    match class {
        ErrorClass::RateLimited { after, .. } => *after,
        _ => Duration::ZERO,
    }
}

enum Evaluation {
    Finished,
    Published,
    InProgress,
    Failed(ContainerFailure),
}

fn evaluate(ids: &[ContainerId], statuses: &HashMap<ContainerId, ContainerStatus>) -> Evaluation {
    let mut in_progress = false;
    let mut published = false;
    for id in ids {
        let Some(status) = statuses.get(id) else {
            in_progress = true;
            continue;
        };
        if let Some(failure) = status.failure() {
            return Evaluation::Failed(failure);
        }
        match status.status_code {
            ContainerStatusCode::Finished => {}
            ContainerStatusCode::Published => published = true,
            _ => in_progress = true,
        }
    }
    if published {
        Evaluation::Published
    } else if in_progress {
        Evaluation::InProgress
    } else {
        Evaluation::Finished
    }
}

/// The pre-flight requests of a post's media (each item in its role).
pub(crate) fn preflight_requests(spec: &PostSpec) -> Vec<MediaCheckRequest> {
    use crate::domain::MediaKind;
    let mut requests: Vec<MediaCheckRequest> = spec
        .media()
        .iter()
        .enumerate()
        .map(|(index, item)| MediaCheckRequest {
            index: index + 1,
            url: item.url().as_str().to_owned(),
            role: match (spec.kind(), item.kind()) {
                (PostKind::Image, _) => MediaRole::FeedImage,
                (PostKind::Carousel, MediaKind::Image) => MediaRole::CarouselImage,
                (PostKind::Carousel, MediaKind::Video) => MediaRole::CarouselVideo,
                (PostKind::Reel, _) => MediaRole::Reel,
                (PostKind::Story, MediaKind::Image) => MediaRole::StoryImage,
                (PostKind::Story, MediaKind::Video) => MediaRole::StoryVideo,
            },
        })
        .collect();
    if let Some(cover) = spec.reel().and_then(|reel| reel.cover_url()) {
        requests.push(MediaCheckRequest {
            index: 1,
            url: cover.as_str().to_owned(),
            role: MediaRole::ReelCover,
        });
    }
    requests
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_moment_is_carried_from_the_monotonic_clock_to_the_stores() {
        let at = jiff::Timestamp::from_second(1_800_000_000).expect("a timestamp");
        let instant = Instant::now();
        let later = instant + Duration::from_millis(250);
        assert_eq!(
            store_time((at, instant), later),
            at + SignedDuration::from_millis(250)
        );
        // A moment before the one known on both clocks is taken as that one.
        assert_eq!(store_time((at, later), instant), at);
    }
}
