//! Running a pull's planned requests: round trips of up to 50 sub-requests through the batch
//! endpoint, a failing request split per metric, retries with backoff, pauses honoured and
//! set, and the answers upserted round by round.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use igpub_graph::{
    AccountInsightsQuery, AuthedClient, BatchRequest, GraphError, GraphRequest, IgUserId,
    InsightsWindow, MediaId, MediaInsightsQuery,
};
use jiff::Timestamp;
use serde_json::Value;

use super::object::MediaKind;
use super::plan::{InsightsRequestPlan, fallback_split};
use super::pull::{InsightsContext, PullError, PullOutcome, PullProgress, ServedMetric};
use super::pull_errors::{Failure, MetaWords, failure_of};
use super::pull_pause::{pause_for, pause_in_force};
use super::pull_values::{
    META_DAY_OFFSET, ValueRow, answered_metrics, end_time_of_day, value_rows,
};
use super::registry::ResolvedMetric;
use crate::store::{
    AccountMetricRow, InsightsObjectKind, Integration, MediaMetricRow, MetricFailure, MetricSource,
    TrackedMedia,
};

/// One object a pull asks about, with how each asked metric resolved.
pub(crate) struct PullObject {
    object_id: String,
    kind: InsightsObjectKind,
    resolved: Vec<ResolvedMetric>,
    media: Option<MediaFacts>,
}

struct MediaFacts {
    kind: MediaKind,
    published_at: Timestamp,
}

impl PullObject {
    pub(crate) fn account(integration: &Integration, resolved: Vec<ResolvedMetric>) -> Self {
        Self {
            object_id: integration.metadata.ig_user_id.clone(),
            kind: InsightsObjectKind::Account,
            resolved,
            media: None,
        }
    }

    pub(crate) fn media(
        media: &TrackedMedia,
        kind: MediaKind,
        resolved: Vec<ResolvedMetric>,
    ) -> Self {
        Self {
            object_id: media.media_id.clone(),
            kind: InsightsObjectKind::Media,
            resolved,
            media: Some(MediaFacts {
                kind,
                published_at: media.published_at,
            }),
        }
    }

    /// The Graph call for one planned request of this object.
    fn graph_request(&self, plan: &InsightsRequestPlan) -> Result<GraphRequest, GraphError> {
        match self.kind {
            InsightsObjectKind::Account => {
                let mut query = AccountInsightsQuery::new(
                    plan.metrics.clone(),
                    igpub_graph::Period::from(plan.period.as_str()),
                );
                query.metric_type = plan
                    .metric_type
                    .map(|t| igpub_graph::MetricType::from(t.as_str()));
                query.breakdowns = plan.breakdown.iter().cloned().collect();
                query.timeframe = plan
                    .timeframe
                    .map(|t| igpub_graph::Timeframe::from(t.as_str()));
                let window = match plan.window {
                    None => InsightsWindow {
                        since: None,
                        until: None,
                    },
                    Some(days) => {
                        let bounds = days.unix_bounds(META_DAY_OFFSET).and_then(|(s, u)| {
                            Some((
                                Timestamp::from_second(s).ok()?,
                                Timestamp::from_second(u).ok()?,
                            ))
                        });
                        let (since, until) = bounds.ok_or_else(|| {
                            GraphError::invalid_input(
                                "since",
                                "the window reaches past the calendar",
                            )
                        })?;
                        InsightsWindow {
                            since: Some(since),
                            until: Some(until),
                        }
                    }
                };
                Ok(query.request(&IgUserId::new(self.object_id.clone()), &window))
            }
            InsightsObjectKind::Media => MediaInsightsQuery {
                metrics: plan.metrics.clone(),
                breakdowns: plan.breakdown.iter().cloned().collect(),
            }
            .request(&MediaId::new(self.object_id.clone())),
        }
    }
}

/// One planned request to send, and how many times it failed transiently.
struct Job {
    object: usize,
    request: InsightsRequestPlan,
    attempt: u32,
}

/// What a run did.
pub(crate) struct RunOutcome {
    pub requests: usize,
    pub round_trips: usize,
    pub rows_written: u64,
    pub served: Vec<ServedMetric>,
    pub failures: Vec<MetricFailure>,
    pub outcome: PullOutcome,
}

/// Rows of one round, written in one transaction per table.
#[derive(Default)]
struct Rows {
    account: Vec<AccountMetricRow>,
    media: Vec<MediaMetricRow>,
}

/// One pull's execution over one integration.
pub(crate) struct Run<'a> {
    ctx: &'a InsightsContext,
    integration: &'a Integration,
    client: AuthedClient,
}

/// The running totals of a run.
#[derive(Default)]
struct Tally {
    requests: usize,
    round_trips: usize,
    rows_written: u64,
    failures: Vec<MetricFailure>,
    /// (object, served metric) answered at least once.
    succeeded: BTreeSet<(String, String)>,
    /// (object, served metric) that failed in this run.
    failed: BTreeSet<(String, String)>,
}

impl<'a> Run<'a> {
    pub(crate) fn new(
        ctx: &'a InsightsContext,
        integration: &'a Integration,
        client: AuthedClient,
    ) -> Self {
        Self {
            ctx,
            integration,
            client,
        }
    }

    /// Sends every request of every object; `requests[i]` belongs to `objects[i]`.
    pub(crate) async fn execute(
        &self,
        objects: Vec<PullObject>,
        requests: Vec<Vec<InsightsRequestPlan>>,
        progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<RunOutcome, PullError> {
        let served = served_metrics(&objects);
        let mut pending: VecDeque<Job> = requests
            .into_iter()
            .enumerate()
            .flat_map(|(object, plans)| {
                plans.into_iter().map(move |request| Job {
                    object,
                    request,
                    attempt: 0,
                })
            })
            .collect();
        let mut tally = Tally::default();
        let mut total = pending.len();
        let mut done = 0;
        let mut outcome = PullOutcome::Completed;
        let ig_user_id = self.integration.metadata.ig_user_id.as_str();
        let batch_size = self
            .ctx
            .settings
            .batch_size
            .clamp(1, igpub_graph::MAX_BATCH_REQUESTS);
        'rounds: while !pending.is_empty() {
            if let Some(pause) = pause_in_force(&self.ctx.store, ig_user_id).await? {
                outcome = PullOutcome::Paused {
                    scope: pause.scope,
                    until: pause.until,
                };
                break;
            }
            let take = pending.len().min(batch_size);
            let round: Vec<Job> = pending.drain(..take).collect();
            let answers = self.send_round(&objects, &round).await;
            tally.round_trips += 1;
            let mut rows = Rows::default();
            let mut wait = Duration::ZERO;
            for (job, answer) in round.into_iter().zip(answers) {
                tally.requests += 1;
                let Some(object) = objects.get(job.object) else {
                    continue;
                };
                let error = match answer {
                    Ok(body) => match self.rows_of(object, &job.request, &body) {
                        Ok(answered) => {
                            for name in &job.request.metrics {
                                tally
                                    .succeeded
                                    .insert((object.object_id.clone(), name.clone()));
                            }
                            rows.account.extend(answered.account);
                            rows.media.extend(answered.media);
                            done += 1;
                            continue;
                        }
                        Err(reason) => GraphError::UnexpectedResponse {
                            endpoint: "GET insights".to_owned(),
                            what: reason,
                        },
                    },
                    Err(error) => error,
                };
                match failure_of(&error, job.request.breakdown.is_some(), job.attempt) {
                    Failure::Metric(_) if job.request.metrics.len() > 1 => {
                        // graph-api.md §4.1: one bad metric fails the whole call; ask alone.
                        let singles = fallback_split(&job.request);
                        total += singles.len();
                        done += 1;
                        pending.extend(singles.into_iter().map(|request| Job {
                            object: job.object,
                            request,
                            attempt: 0,
                        }));
                    }
                    Failure::Transient { after, .. }
                        if self.ctx.settings.retry.allows_retry(job.attempt) =>
                    {
                        wait = wait.max(self.ctx.settings.retry.delay(job.attempt, after));
                        pending.push_back(Job {
                            attempt: job.attempt + 1,
                            ..job
                        });
                    }
                    Failure::Metric(words)
                    | Failure::Transient { words, .. }
                    | Failure::Permanent(words) => {
                        self.record_failures(object, &job.request, &words, &mut tally)
                            .await?;
                        done += 1;
                    }
                    Failure::RateLimited {
                        scope,
                        after,
                        words,
                    } => {
                        let pause = pause_for(
                            &self.ctx.store,
                            scope,
                            ig_user_id,
                            self.ctx.now(),
                            after,
                            &words.message,
                        )
                        .await?;
                        tracing::info!(integration = %self.integration.id, scope = %pause.scope, until = %pause.until, "insights pull paused by a rate limit");
                        outcome = PullOutcome::Paused {
                            scope: pause.scope,
                            until: pause.until,
                        };
                        tally.rows_written += self.write(&rows).await?;
                        break 'rounds;
                    }
                    Failure::Reauth(words) => {
                        self.ctx
                            .store
                            .mark_needs_reconnect(
                                self.integration.tenant_id,
                                self.integration.id,
                                &words.message,
                            )
                            .await?;
                        outcome = PullOutcome::NeedsReconnect {
                            message: words.message,
                        };
                        tally.rows_written += self.write(&rows).await?;
                        break 'rounds;
                    }
                }
            }
            tally.rows_written += self.write(&rows).await?;
            progress(PullProgress { done, total });
            if !wait.is_zero() && !pending.is_empty() {
                tokio::time::sleep(wait).await;
            }
        }
        for (object_id, metric) in tally.succeeded.difference(&tally.failed) {
            self.ctx
                .store
                .clear_metric_failure(self.integration.id, object_id, metric)
                .await?;
        }
        Ok(RunOutcome {
            requests: tally.requests,
            round_trips: tally.round_trips,
            rows_written: tally.rows_written,
            served,
            failures: tally.failures,
            outcome,
        })
    }

    /// One round trip: a lone request goes as itself, several as one batch (graph-api.md
    /// §9.1: "saves round trips"). One answer per job, in order.
    async fn send_round(
        &self,
        objects: &[PullObject],
        round: &[Job],
    ) -> Vec<Result<Value, GraphError>> {
        let built: Vec<Result<GraphRequest, GraphError>> = round
            .iter()
            .map(|job| match objects.get(job.object) {
                Some(object) => object.graph_request(&job.request),
                None => Err(GraphError::invalid_input(
                    "object",
                    "is not part of the pull",
                )),
            })
            .collect();
        if let [only] = built.as_slice() {
            let answer = match only {
                Ok(request) => match self.client.send(request).await {
                    Ok(response) => serde_json::from_slice::<Value>(&response.body).map_err(|e| {
                        GraphError::UnexpectedResponse {
                            endpoint: request.endpoint(),
                            what: format!("the body is not JSON: {e}"),
                        }
                    }),
                    Err(error) => Err(error),
                },
                Err(error) => Err(GraphError::invalid_input("request", error.to_string())),
            };
            return vec![answer];
        }
        let mut answers: Vec<Option<Result<Value, GraphError>>> = Vec::with_capacity(built.len());
        let mut batch = Vec::new();
        let mut positions = Vec::new();
        for (position, request) in built.into_iter().enumerate() {
            match request {
                Ok(request) => {
                    positions.push(position);
                    batch.push(BatchRequest::new(request));
                    answers.push(None);
                }
                Err(error) => answers.push(Some(Err(error))),
            }
        }
        if !batch.is_empty() {
            match self.client.batch(batch).await {
                Ok(results) => {
                    for (index, (position, result)) in positions.iter().zip(results).enumerate() {
                        let answer = match result {
                            Some(response) => response.decode::<Value>(),
                            // graph-api.md §9.1: null when the sub-request timed out.
                            None => Err(GraphError::BatchItemMissing { index, name: None }),
                        };
                        if let Some(slot) = answers.get_mut(*position) {
                            *slot = Some(answer);
                        }
                    }
                }
                Err(error) => {
                    // The whole round trip failed: every sub-request shares its fate.
                    let words = error.to_string();
                    for position in &positions {
                        if let Some(slot) = answers.get_mut(*position) {
                            *slot = Some(Err(same_error(&error, &words)));
                        }
                    }
                }
            }
        }
        answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|| {
                    Err(GraphError::UnexpectedResponse {
                        endpoint: "POST /".to_owned(),
                        what: "no answer for a sub-request".to_owned(),
                    })
                })
            })
            .collect()
    }

    /// The rows of one answered request.
    fn rows_of(
        &self,
        object: &PullObject,
        plan: &InsightsRequestPlan,
        body: &Value,
    ) -> Result<Rows, String> {
        let answered = answered_metrics(body)?;
        let window_end = plan.window.and_then(|w| end_time_of_day(w.last()));
        let values = value_rows(plan, &object.resolved, &answered, window_end);
        let mut rows = Rows::default();
        let integration = self.integration;
        match &object.media {
            None => rows.account.extend(
                values
                    .into_iter()
                    .filter_map(|v| account_row(integration, v)),
            ),
            Some(media) => rows.media.extend(
                values
                    .into_iter()
                    .map(|v| media_row(integration, &object.object_id, media, v)),
            ),
        }
        Ok(rows)
    }

    async fn record_failures(
        &self,
        object: &PullObject,
        plan: &InsightsRequestPlan,
        words: &MetaWords,
        tally: &mut Tally,
    ) -> Result<(), PullError> {
        for metric in &plan.metrics {
            let failure = MetricFailure {
                tenant_id: self.integration.tenant_id,
                integration_id: self.integration.id,
                object_id: object.object_id.clone(),
                object_kind: object.kind,
                metric: metric.clone(),
                code: words.code,
                subcode: words.subcode,
                message: words.message.chars().take(1000).collect(),
                failed_at: self.ctx.now(),
            };
            tracing::info!(integration = %self.integration.id, object = %failure.object_id, metric = %metric, code = ?words.code, "insights metric failed");
            self.ctx.store.record_metric_failure(&failure).await?;
            if tally
                .failed
                .insert((object.object_id.clone(), metric.clone()))
            {
                tally.failures.push(failure);
            }
        }
        Ok(())
    }

    async fn write(&self, rows: &Rows) -> Result<u64, PullError> {
        let mut written = self.ctx.store.upsert_account_metrics(&rows.account).await?;
        written += self.ctx.store.upsert_media_metrics(&rows.media).await?;
        Ok(written)
    }
}

/// A batch-level failure repeated for each sub-request, keeping what classifies it.
fn same_error(error: &GraphError, words: &str) -> GraphError {
    match error {
        GraphError::Api(api) => GraphError::Api(api.clone()),
        GraphError::Http {
            status, endpoint, ..
        } => GraphError::Http {
            status: *status,
            endpoint: endpoint.clone(),
            body_excerpt: words.to_owned(),
        },
        GraphError::BatchItemMissing { index, name } => GraphError::BatchItemMissing {
            index: *index,
            name: name.clone(),
        },
        // Transport failures retry with backoff, as the original would (graph-api.md §6.4).
        GraphError::Transport(_) => GraphError::BatchItemMissing {
            index: 0,
            name: None,
        },
        _ => GraphError::UnexpectedResponse {
            endpoint: "POST /".to_owned(),
            what: words.to_owned(),
        },
    }
}

fn served_metrics(objects: &[PullObject]) -> Vec<ServedMetric> {
    let mut seen = BTreeSet::new();
    objects
        .iter()
        .flat_map(|o| o.resolved.iter())
        .filter(|r| seen.insert((r.asked.clone(), r.served_by)))
        .map(|r| ServedMetric {
            asked: r.asked.clone(),
            served_by: r.served_by.to_owned(),
        })
        .collect()
}

fn account_row(integration: &Integration, value: ValueRow) -> Option<AccountMetricRow> {
    Some(AccountMetricRow {
        tenant_id: integration.tenant_id,
        integration_id: integration.id,
        metric: value.metric,
        served_by: value.served_by,
        period: value.period,
        end_time: value.end_time?,
        breakdown_key: value.breakdown_key,
        breakdown: value.breakdown,
        value: value.value,
        raw: value.raw,
    })
}

fn media_row(
    integration: &Integration,
    media_id: &str,
    media: &MediaFacts,
    value: ValueRow,
) -> MediaMetricRow {
    MediaMetricRow {
        tenant_id: integration.tenant_id,
        integration_id: integration.id,
        media_id: media_id.to_owned(),
        media_kind: media.kind.as_str().to_owned(),
        published_at: Some(media.published_at),
        metric: value.metric,
        served_by: value.served_by,
        breakdown_key: value.breakdown_key,
        breakdown: value.breakdown,
        value: value.value,
        source: MetricSource::Api,
        raw: value.raw,
    }
}
