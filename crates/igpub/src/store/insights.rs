//! Insights storage: pulled account and media metrics (idempotent upserts), each metric's last
//! Meta error, the pull schedule shared by every process, and Meta's webhook events with their
//! dedupe keys.

use std::fmt;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

use super::sql::{SqlStore, on_pool, optional_timestamp, timestamp};
use super::{IntegrationId, StoreError, TenantId};

/// One account metric value as a pull writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountMetricRow {
    /// The tenant that owns the integration.
    pub tenant_id: TenantId,
    /// The integration (the Instagram account).
    pub integration_id: IntegrationId,
    /// The series asked for (a report column, e.g. `views`).
    pub metric: String,
    /// The Graph metric that produced the value.
    pub served_by: String,
    /// Meta's `period` (`day`).
    pub period: String,
    /// The end of the day reported (Meta's `end_time`).
    pub end_time: Timestamp,
    /// `""` for the total, `media_product_type=REEL` for one breakdown result.
    pub breakdown_key: String,
    /// The breakdown's dimension keys and values, for a breakdown result.
    pub breakdown: Option<serde_json::Value>,
    /// The value; `None` when it is not a count (the raw JSON keeps it).
    pub value: Option<i64>,
    /// The metric object exactly as Meta answered it.
    pub raw: serde_json::Value,
}

/// A stored account metric value, with when it was fetched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAccountMetric {
    /// The value as written.
    #[serde(flatten)]
    pub row: AccountMetricRow,
    /// When the pull fetched it.
    pub fetched_at: Timestamp,
}

/// Where a media metric value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    /// A pull of `GET /{media-id}/insights`.
    Api,
    /// A `story_insights` webhook.
    Webhook,
}

impl MetricSource {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Webhook => "webhook",
        }
    }
}

/// One media metric value as a pull or a webhook writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaMetricRow {
    /// The tenant that owns the integration.
    pub tenant_id: TenantId,
    /// The integration that published the media.
    pub integration_id: IntegrationId,
    /// Meta's media id.
    pub media_id: String,
    /// `FEED`, `CAROUSEL_ALBUM`, `REELS` or `STORY`.
    pub media_kind: String,
    /// When the media was published, if known.
    pub published_at: Option<Timestamp>,
    /// The series asked for (a report column, e.g. `saves`).
    pub metric: String,
    /// The Graph metric (or webhook field) that produced the value.
    pub served_by: String,
    /// `""` for the total, `story_navigation_action_type=tap_forward` for a breakdown result.
    pub breakdown_key: String,
    /// The breakdown's dimension keys and values, for a breakdown result.
    pub breakdown: Option<serde_json::Value>,
    /// The value; `None` when it is not a count.
    pub value: Option<i64>,
    /// Pull or webhook.
    pub source: MetricSource,
    /// What Meta sent, for audit.
    pub raw: serde_json::Value,
}

/// A stored media metric value, with when it was fetched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMediaMetric {
    /// The value as written.
    #[serde(flatten)]
    pub row: MediaMetricRow,
    /// When it was fetched or received.
    pub fetched_at: Timestamp,
}

/// Whether a failure is about the account's or a media item's insights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InsightsObjectKind {
    /// `GET /{ig-user-id}/insights`.
    Account,
    /// `GET /{ig-media-id}/insights`.
    Media,
}

impl InsightsObjectKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Media => "media",
        }
    }
}

/// The last error Meta gave for one metric of one object; cleared when the metric is pulled
/// again successfully.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricFailure {
    /// The tenant that owns the integration.
    pub tenant_id: TenantId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The IG user id (account) or the media id.
    pub object_id: String,
    /// Account or media.
    pub object_kind: InsightsObjectKind,
    /// The Graph metric that failed.
    pub metric: String,
    /// Meta's error code, when Meta answered.
    pub code: Option<i64>,
    /// Meta's error subcode.
    pub subcode: Option<i64>,
    /// Meta's message (or the client's, for failures without an answer).
    pub message: String,
    /// When it failed.
    pub failed_at: Timestamp,
}

/// A published media item the pulls follow, as the publisher recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedMedia {
    /// Meta's media id.
    pub media_id: String,
    /// The post's kind as the publisher stores it (`image`, `carousel`, `reel`, `story`).
    pub post_kind: String,
    /// When it was published.
    pub published_at: Timestamp,
}

/// The pulls the scheduler runs for each integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullKind {
    /// The account's daily metrics.
    Account,
    /// Lifetime metrics of recent feed posts and reels.
    Media,
    /// Lifetime metrics of stories, before they expire.
    Stories,
}

impl PullKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Media => "media",
            Self::Stories => "stories",
        }
    }
}

impl fmt::Display for PullKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of a Meta webhook delivery, to store before it is processed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhookEvent {
    /// The change's dedupe key (64 hex digits).
    pub dedupe_key: String,
    /// The notification's `object` (`instagram`).
    pub object: String,
    /// The subscribed field (`comments`, `mentions`, `story_insights`, …).
    pub field: String,
    /// The entry's id: the Instagram account.
    pub entry_id: String,
    /// The entry's time, Unix seconds.
    pub entry_time: i64,
    /// The change's value as Meta sent it.
    pub payload: serde_json::Value,
}

/// What storing a webhook change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookInsert {
    /// First delivery: stored, to be processed.
    New,
    /// A repeated delivery: counted, not stored again.
    Repeated,
}

/// A stored webhook change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWebhookEvent {
    /// The change as received.
    pub event: NewWebhookEvent,
    /// When it was first received.
    pub received_at: Timestamp,
    /// How many times Meta delivered it.
    pub deliveries: i64,
    /// When it was processed, if it was.
    pub processed_at: Option<Timestamp>,
    /// Why processing failed, if it did.
    pub process_error: Option<String>,
}

/// Insights storage. Metric writes are upserts keyed by what identifies a value, so a pull run
/// twice leaves the same rows.
#[async_trait]
pub trait InsightsStore: Send + Sync {
    /// Inserts or replaces account metric values; returns how many were written.
    async fn upsert_account_metrics(&self, rows: &[AccountMetricRow]) -> Result<u64, StoreError>;

    /// Inserts or replaces media metric values; returns how many were written.
    async fn upsert_media_metrics(&self, rows: &[MediaMetricRow]) -> Result<u64, StoreError>;

    /// The integration's account metric totals (no breakdown results) whose day ends in
    /// `(after, until]`, oldest first. Another tenant's integration has none.
    async fn account_metrics(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        after: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<StoredAccountMetric>, StoreError>;

    /// The integration's media metric totals, for the given media or (with `None`) all.
    async fn media_metrics(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        media_ids: Option<&[String]>,
    ) -> Result<Vec<StoredMediaMetric>, StoreError>;

    /// Records (or replaces) a metric's last failure.
    async fn record_metric_failure(&self, failure: &MetricFailure) -> Result<(), StoreError>;

    /// Forgets a metric's failure once it was pulled successfully.
    async fn clear_metric_failure(
        &self,
        integration: IntegrationId,
        object_id: &str,
        metric: &str,
    ) -> Result<(), StoreError>;

    /// The integration's recorded failures, newest first.
    async fn metric_failures(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Vec<MetricFailure>, StoreError>;

    /// Media the integration published since `since` (from the publisher's posts), oldest
    /// first.
    async fn tracked_media(
        &self,
        integration: IntegrationId,
        since: Timestamp,
    ) -> Result<Vec<TrackedMedia>, StoreError>;

    /// Claims a scheduled pull: true when it was due at `now` (or never ran), in which case its
    /// next run is set to `next_run_at` in the same statement, so only one process runs it.
    async fn claim_pull(
        &self,
        integration: IntegrationId,
        kind: PullKind,
        now: Timestamp,
        next_run_at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Stores a webhook change, or counts a repeated delivery of one already stored.
    async fn insert_webhook_event(
        &self,
        event: &NewWebhookEvent,
    ) -> Result<WebhookInsert, StoreError>;

    /// Stored changes not processed yet, oldest first.
    async fn unprocessed_webhook_events(
        &self,
        limit: u32,
    ) -> Result<Vec<StoredWebhookEvent>, StoreError>;

    /// One stored change.
    async fn webhook_event(&self, dedupe_key: &str) -> Result<StoredWebhookEvent, StoreError>;

    /// Marks a change processed, with the reason when processing failed for good.
    async fn mark_webhook_event_processed(
        &self,
        dedupe_key: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
}

/// An account's media published since `$2`, oldest first: what the insights pull follows. Read
/// through `posts_published_by_integration` (migration 0012).
pub(super) const TRACKED_MEDIA: &str = "SELECT media_id, kind, published_at FROM posts \
     WHERE integration_id = $1 AND media_id IS NOT NULL AND published_at IS NOT NULL \
     AND published_at >= $2 ORDER BY published_at, media_id";

const ACCOUNT_UPSERT: &str = "INSERT INTO account_metrics (tenant_id, integration_id, metric, \
     served_by, period, end_time, breakdown_key, breakdown, value, fetched_at, raw) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (integration_id, metric, served_by, period, end_time, breakdown_key) DO UPDATE SET \
     breakdown = excluded.breakdown, value = excluded.value, fetched_at = excluded.fetched_at, \
     raw = excluded.raw";

const MEDIA_UPSERT: &str = "INSERT INTO media_metrics (tenant_id, integration_id, media_id, \
     media_kind, published_at, metric, served_by, breakdown_key, breakdown, value, source, \
     fetched_at, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (integration_id, media_id, metric, served_by, breakdown_key) DO UPDATE SET \
     media_kind = excluded.media_kind, \
     published_at = COALESCE(excluded.published_at, media_metrics.published_at), \
     breakdown = excluded.breakdown, value = excluded.value, source = excluded.source, \
     fetched_at = excluded.fetched_at, raw = excluded.raw";

const WEBHOOK_COLUMNS: &str = "dedupe_key, object, field, entry_id, entry_time, payload, \
     received_at, deliveries, processed_at, process_error";

#[derive(sqlx::FromRow)]
struct AccountMetricSql {
    tenant_id: String,
    integration_id: String,
    metric: String,
    served_by: String,
    period: String,
    end_time: i64,
    breakdown_key: String,
    breakdown: Option<String>,
    value: Option<i64>,
    fetched_at: i64,
    raw: String,
}

#[derive(sqlx::FromRow)]
struct MediaMetricSql {
    tenant_id: String,
    integration_id: String,
    media_id: String,
    media_kind: String,
    published_at: Option<i64>,
    metric: String,
    served_by: String,
    breakdown_key: String,
    breakdown: Option<String>,
    value: Option<i64>,
    source: String,
    fetched_at: i64,
    raw: String,
}

#[derive(sqlx::FromRow)]
struct FailureSql {
    tenant_id: String,
    integration_id: String,
    object_id: String,
    object_kind: String,
    metric: String,
    code: Option<i64>,
    subcode: Option<i64>,
    message: String,
    failed_at: i64,
}

#[derive(sqlx::FromRow)]
struct WebhookSql {
    dedupe_key: String,
    object: String,
    field: String,
    entry_id: String,
    entry_time: i64,
    payload: String,
    received_at: i64,
    deliveries: i64,
    processed_at: Option<i64>,
    process_error: Option<String>,
}

fn corrupt(table: &'static str, column: &'static str, problem: impl fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        problem: problem.to_string(),
    }
}

fn json_column(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(table, column, e))
}

fn parse_id<T: std::str::FromStr>(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| corrupt(table, column, format!("{text:?} is not an id")))
}

impl TryFrom<AccountMetricSql> for StoredAccountMetric {
    type Error = StoreError;

    fn try_from(row: AccountMetricSql) -> Result<Self, StoreError> {
        const TABLE: &str = "account_metrics";
        Ok(Self {
            row: AccountMetricRow {
                tenant_id: parse_id(TABLE, "tenant_id", &row.tenant_id)?,
                integration_id: parse_id(TABLE, "integration_id", &row.integration_id)?,
                metric: row.metric,
                served_by: row.served_by,
                period: row.period,
                end_time: timestamp(TABLE, "end_time", row.end_time)?,
                breakdown_key: row.breakdown_key,
                breakdown: row
                    .breakdown
                    .as_deref()
                    .map(|text| json_column(TABLE, "breakdown", text))
                    .transpose()?,
                value: row.value,
                raw: json_column(TABLE, "raw", &row.raw)?,
            },
            fetched_at: timestamp(TABLE, "fetched_at", row.fetched_at)?,
        })
    }
}

impl TryFrom<MediaMetricSql> for StoredMediaMetric {
    type Error = StoreError;

    fn try_from(row: MediaMetricSql) -> Result<Self, StoreError> {
        const TABLE: &str = "media_metrics";
        let source = match row.source.as_str() {
            "api" => MetricSource::Api,
            "webhook" => MetricSource::Webhook,
            other => {
                return Err(corrupt(
                    TABLE,
                    "source",
                    format!("unknown source {other:?}"),
                ));
            }
        };
        Ok(Self {
            row: MediaMetricRow {
                tenant_id: parse_id(TABLE, "tenant_id", &row.tenant_id)?,
                integration_id: parse_id(TABLE, "integration_id", &row.integration_id)?,
                media_id: row.media_id,
                media_kind: row.media_kind,
                published_at: optional_timestamp(TABLE, "published_at", row.published_at)?,
                metric: row.metric,
                served_by: row.served_by,
                breakdown_key: row.breakdown_key,
                breakdown: row
                    .breakdown
                    .as_deref()
                    .map(|text| json_column(TABLE, "breakdown", text))
                    .transpose()?,
                value: row.value,
                source,
                raw: json_column(TABLE, "raw", &row.raw)?,
            },
            fetched_at: timestamp(TABLE, "fetched_at", row.fetched_at)?,
        })
    }
}

impl TryFrom<FailureSql> for MetricFailure {
    type Error = StoreError;

    fn try_from(row: FailureSql) -> Result<Self, StoreError> {
        const TABLE: &str = "metric_failures";
        let object_kind = match row.object_kind.as_str() {
            "account" => InsightsObjectKind::Account,
            "media" => InsightsObjectKind::Media,
            other => {
                return Err(corrupt(
                    TABLE,
                    "object_kind",
                    format!("unknown kind {other:?}"),
                ));
            }
        };
        Ok(Self {
            tenant_id: parse_id(TABLE, "tenant_id", &row.tenant_id)?,
            integration_id: parse_id(TABLE, "integration_id", &row.integration_id)?,
            object_id: row.object_id,
            object_kind,
            metric: row.metric,
            code: row.code,
            subcode: row.subcode,
            message: row.message,
            failed_at: timestamp(TABLE, "failed_at", row.failed_at)?,
        })
    }
}

impl TryFrom<WebhookSql> for StoredWebhookEvent {
    type Error = StoreError;

    fn try_from(row: WebhookSql) -> Result<Self, StoreError> {
        const TABLE: &str = "webhook_events";
        Ok(Self {
            event: NewWebhookEvent {
                dedupe_key: row.dedupe_key,
                object: row.object,
                field: row.field,
                entry_id: row.entry_id,
                entry_time: row.entry_time,
                payload: json_column(TABLE, "payload", &row.payload)?,
            },
            received_at: timestamp(TABLE, "received_at", row.received_at)?,
            deliveries: row.deliveries,
            processed_at: optional_timestamp(TABLE, "processed_at", row.processed_at)?,
            process_error: row.process_error,
        })
    }
}

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn collect<S, T>(rows: Vec<S>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<S, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[async_trait]
impl InsightsStore for SqlStore {
    async fn upsert_account_metrics(&self, rows: &[AccountMetricRow]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.now_millis();
        Ok(on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let mut written = 0;
                for row in rows {
                    written += sqlx::query(ACCOUNT_UPSERT)
                        .bind(row.tenant_id.to_string())
                        .bind(row.integration_id.to_string())
                        .bind(&row.metric)
                        .bind(&row.served_by)
                        .bind(&row.period)
                        .bind(row.end_time.as_millisecond())
                        .bind(&row.breakdown_key)
                        .bind(row.breakdown.as_ref().map(json_text))
                        .bind(row.value)
                        .bind(now)
                        .bind(json_text(&row.raw))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(written)
            }
            .await?
        }))
    }

    async fn upsert_media_metrics(&self, rows: &[MediaMetricRow]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.now_millis();
        Ok(on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let mut written = 0;
                for row in rows {
                    written += sqlx::query(MEDIA_UPSERT)
                        .bind(row.tenant_id.to_string())
                        .bind(row.integration_id.to_string())
                        .bind(&row.media_id)
                        .bind(&row.media_kind)
                        .bind(row.published_at.map(|at| at.as_millisecond()))
                        .bind(&row.metric)
                        .bind(&row.served_by)
                        .bind(&row.breakdown_key)
                        .bind(row.breakdown.as_ref().map(json_text))
                        .bind(row.value)
                        .bind(row.source.as_str())
                        .bind(now)
                        .bind(json_text(&row.raw))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(written)
            }
            .await?
        }))
    }

    async fn account_metrics(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        after: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<StoredAccountMetric>, StoreError> {
        let rows: Vec<AccountMetricSql> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, integration_id, metric, served_by, period, end_time, \
                 breakdown_key, breakdown, value, fetched_at, raw FROM account_metrics \
                 WHERE tenant_id = $1 AND integration_id = $2 AND breakdown_key = '' \
                 AND end_time > $3 AND end_time <= $4 ORDER BY end_time, metric, served_by",
            )
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .bind(after.as_millisecond())
            .bind(until.as_millisecond())
            .fetch_all(pool)
            .await?
        });
        collect(rows)
    }

    async fn media_metrics(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
        media_ids: Option<&[String]>,
    ) -> Result<Vec<StoredMediaMetric>, StoreError> {
        const COLUMNS: &str = "SELECT tenant_id, integration_id, media_id, media_kind, \
             published_at, metric, served_by, breakdown_key, breakdown, value, source, \
             fetched_at, raw FROM media_metrics WHERE tenant_id = $1 AND integration_id = $2";
        const ORDER: &str = " ORDER BY published_at, media_id, metric, served_by, breakdown_key";
        // One post (the API's common case) is read by its key; several are filtered here,
        // which keeps one SQL text for both backends.
        let one = match media_ids {
            Some([only]) => Some(only.as_str()),
            _ => None,
        };
        let rows: Vec<MediaMetricSql> = on_pool!(&self.pool, |pool| match one {
            Some(media_id) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} AND media_id = $3{ORDER}"
                )))
                .bind(tenant.to_string())
                .bind(integration.to_string())
                .bind(media_id)
                .fetch_all(pool)
                .await?
            }
            None => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS}{ORDER}")))
                    .bind(tenant.to_string())
                    .bind(integration.to_string())
                    .fetch_all(pool)
                    .await?
            }
        });
        let rows: Vec<StoredMediaMetric> = collect(rows)?;
        Ok(match media_ids {
            None => rows,
            Some(ids) => rows
                .into_iter()
                .filter(|stored| ids.contains(&stored.row.media_id))
                .collect(),
        })
    }

    async fn record_metric_failure(&self, failure: &MetricFailure) -> Result<(), StoreError> {
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO metric_failures (tenant_id, integration_id, object_id, object_kind, \
                 metric, code, subcode, message, failed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (integration_id, object_id, metric) DO UPDATE SET \
                 object_kind = excluded.object_kind, code = excluded.code, \
                 subcode = excluded.subcode, message = excluded.message, \
                 failed_at = excluded.failed_at",
            )
            .bind(failure.tenant_id.to_string())
            .bind(failure.integration_id.to_string())
            .bind(&failure.object_id)
            .bind(failure.object_kind.as_str())
            .bind(&failure.metric)
            .bind(failure.code)
            .bind(failure.subcode)
            .bind(&failure.message)
            .bind(failure.failed_at.as_millisecond())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn clear_metric_failure(
        &self,
        integration: IntegrationId,
        object_id: &str,
        metric: &str,
    ) -> Result<(), StoreError> {
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "DELETE FROM metric_failures WHERE integration_id = $1 AND object_id = $2 \
                 AND metric = $3",
            )
            .bind(integration.to_string())
            .bind(object_id)
            .bind(metric)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn metric_failures(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Vec<MetricFailure>, StoreError> {
        let rows: Vec<FailureSql> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, integration_id, object_id, object_kind, metric, code, \
                 subcode, message, failed_at FROM metric_failures \
                 WHERE tenant_id = $1 AND integration_id = $2 \
                 ORDER BY failed_at DESC, object_id, metric",
            )
            .bind(tenant.to_string())
            .bind(integration.to_string())
            .fetch_all(pool)
            .await?
        });
        collect(rows)
    }

    async fn tracked_media(
        &self,
        integration: IntegrationId,
        since: Timestamp,
    ) -> Result<Vec<TrackedMedia>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(TRACKED_MEDIA)
                .bind(integration.to_string())
                .bind(since.as_millisecond())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(media_id, post_kind, published_at)| {
                Ok(TrackedMedia {
                    media_id,
                    post_kind,
                    published_at: timestamp("posts", "published_at", published_at)?,
                })
            })
            .collect()
    }

    async fn claim_pull(
        &self,
        integration: IntegrationId,
        kind: PullKind,
        now: Timestamp,
        next_run_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let claimed = on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO insights_pulls (integration_id, kind, next_run_at, last_run_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (integration_id, kind) DO UPDATE SET \
                 next_run_at = excluded.next_run_at, last_run_at = excluded.last_run_at \
                 WHERE insights_pulls.next_run_at <= $4",
            )
            .bind(integration.to_string())
            .bind(kind.as_str())
            .bind(next_run_at.as_millisecond())
            .bind(now.as_millisecond())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(claimed > 0)
    }

    async fn insert_webhook_event(
        &self,
        event: &NewWebhookEvent,
    ) -> Result<WebhookInsert, StoreError> {
        let now = self.now_millis();
        // The first delivery reads deliveries = 1 back; a repeat increments it.
        let deliveries: i64 = on_pool!(&self.pool, |pool| {
            sqlx::query_scalar(
                "INSERT INTO webhook_events (dedupe_key, object, field, entry_id, entry_time, \
                 payload, received_at, deliveries) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
                 ON CONFLICT (dedupe_key) DO UPDATE SET \
                 deliveries = webhook_events.deliveries + 1 RETURNING deliveries",
            )
            .bind(&event.dedupe_key)
            .bind(&event.object)
            .bind(&event.field)
            .bind(&event.entry_id)
            .bind(event.entry_time)
            .bind(json_text(&event.payload))
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(if deliveries > 1 {
            WebhookInsert::Repeated
        } else {
            WebhookInsert::New
        })
    }

    async fn unprocessed_webhook_events(
        &self,
        limit: u32,
    ) -> Result<Vec<StoredWebhookEvent>, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhook_events WHERE processed_at IS NULL \
             ORDER BY received_at, dedupe_key LIMIT $1"
        );
        let rows: Vec<WebhookSql> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        collect(rows)
    }

    async fn webhook_event(&self, dedupe_key: &str) -> Result<StoredWebhookEvent, StoreError> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhook_events WHERE dedupe_key = $1");
        let row: Option<WebhookSql> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(dedupe_key)
                .fetch_optional(pool)
                .await?
        });
        row.map(StoredWebhookEvent::try_from)
            .transpose()?
            .ok_or_else(|| StoreError::not_found("webhook event", dedupe_key))
    }

    async fn mark_webhook_event_processed(
        &self,
        dedupe_key: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = self.now_millis();
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "UPDATE webhook_events SET processed_at = $2, process_error = $3 \
                 WHERE dedupe_key = $1",
            )
            .bind(dedupe_key)
            .bind(now)
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
