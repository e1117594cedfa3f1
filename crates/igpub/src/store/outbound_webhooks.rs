//! Outbound webhooks: endpoints tenants register (tenant-scoped, secrets sealed by the
//! vault), the events igpub announces, their deliveries with every attempt, and what the
//! dispatcher reads from the queue (post events after a cursor, integration status changes).

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::Serialize;

use super::posts::{PostId, PostState};
use super::sql::{SqlStore, is_foreign_key_violation, on_pool, optional_timestamp, timestamp};
use super::{DeliveryId, IntegrationId, StoreError, TenantId, WebhookId};
use crate::vault::TokenContext;

/// A registered endpoint (its secret is never part of it: it is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    /// Its id.
    #[schema(value_type = String)]
    pub id: WebhookId,
    /// Where events are POSTed.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// The event types delivered, e.g. `post.published`.
    pub events: Vec<String>,
    /// When it was registered.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An endpoint to register.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    /// Where events go (already checked by the caller).
    pub url: String,
    /// A note for people.
    pub description: String,
    /// The event types to deliver (already checked).
    pub events: Vec<String>,
    /// The signing secret, sealed before it is stored.
    pub secret: SecretString,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; tried again at `next_attempt_at`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Corrupt {
                table: "webhook_deliveries",
                column: "state",
                problem: format!("unknown state {other:?}"),
            }),
        }
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttempt {
    /// 1 for the first.
    pub attempt: u32,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, in our words.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// One event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Its id (sent as `X-Igpub-Delivery`).
    #[schema(value_type = String)]
    pub id: DeliveryId,
    /// The endpoint.
    #[schema(value_type = String)]
    pub webhook_id: WebhookId,
    /// The event's id (the `id` in the body).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Where it is.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    /// When it was delivered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// When the event happened.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Every attempt, oldest first.
    pub log: Vec<DeliveryAttempt>,
    /// The body sent (the signed bytes).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// An event to announce.
#[derive(Debug, Clone)]
pub struct NewOutboundEvent {
    /// The tenant it concerns.
    pub tenant: TenantId,
    /// Its type, e.g. `post.published`.
    pub event_type: String,
    /// What it was made from; the same source is announced once.
    pub source: String,
    /// Its id (also inside the payload).
    pub id: String,
    /// The body to send.
    pub payload: String,
}

/// A delivery leased for sending, with what sending needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery.
    pub id: DeliveryId,
    /// The tenant.
    pub tenant: TenantId,
    /// The endpoint.
    pub webhook: WebhookId,
    /// Its URL.
    pub url: String,
    /// Its signing secret.
    pub secret: SecretString,
    /// The event type.
    pub event_type: String,
    /// The exact body to send.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// How an attempt ended, for [`OutboundWebhookStore::finish_attempt`].
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// When it was made.
    pub at: Timestamp,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why it failed; `None` when delivered.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// Delivered, pending again (with the time of the next attempt), or failed for good.
    pub next: AttemptNext,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptNext {
    /// It was delivered.
    Delivered,
    /// Try again at this time.
    RetryAt(Timestamp),
    /// No more attempts.
    GiveUp,
}

/// A post's state change, as the dispatcher reads it from the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PostTransition {
    /// The timeline row's position (the cursor).
    pub position: i64,
    /// When it happened.
    pub at: Timestamp,
    /// The post.
    pub post: PostId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The state it left.
    pub from: Option<PostState>,
    /// The state it reached.
    pub to: PostState,
}

/// An integration whose status differs from the one last announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationChange {
    /// The tenant.
    pub tenant: TenantId,
    /// The integration.
    pub integration: IntegrationId,
    /// Its status now (`active`, `needs_reconnect`, `disconnected`).
    pub status: String,
    /// The status last announced, if any.
    pub announced: Option<String>,
    /// When the integration row last changed.
    pub updated_at: Timestamp,
}

/// Outbound webhooks.
#[async_trait]
pub trait OutboundWebhookStore: Send + Sync {
    /// Registers an endpoint for the tenant; the secret is sealed by the vault.
    async fn create_webhook(
        &self,
        tenant: TenantId,
        new: NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint, StoreError>;

    /// The tenant's endpoints (not deleted), oldest first.
    async fn list_webhooks(&self, tenant: TenantId) -> Result<Vec<WebhookEndpoint>, StoreError>;

    /// One endpoint of the tenant.
    async fn get_webhook(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
    ) -> Result<WebhookEndpoint, StoreError>;

    /// Deletes an endpoint: nothing more is sent to it; its delivery log stays readable by id
    /// until then no more (a deleted endpoint answers not found everywhere).
    async fn delete_webhook(&self, tenant: TenantId, webhook: WebhookId) -> Result<(), StoreError>;

    /// The endpoint's deliveries, newest first, with their attempts.
    async fn list_deliveries(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Timeline rows after `position`, oldest first (operator scope: every tenant).
    async fn post_transitions_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<PostTransition>, StoreError>;

    /// A dispatcher bookmark (0 when never set).
    async fn outbound_cursor(&self, name: &str) -> Result<i64, StoreError>;

    /// Moves a bookmark forward (never back).
    async fn advance_outbound_cursor(&self, name: &str, position: i64) -> Result<(), StoreError>;

    /// Integrations whose status differs from the one last announced.
    async fn integration_changes(&self, limit: u32) -> Result<Vec<IntegrationChange>, StoreError>;

    /// Records that `integration` was announced with `status`.
    async fn mark_integration_announced(
        &self,
        integration: IntegrationId,
        status: &str,
        updated_at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Stores an event and one pending delivery per endpoint of its tenant that asked for its
    /// type, in one transaction. `false` when its source was announced before (nothing done).
    async fn record_event(&self, event: NewOutboundEvent) -> Result<bool, StoreError>;

    /// Leases up to `limit` due deliveries for `owner` until `until`.
    async fn lease_due_deliveries(
        &self,
        owner: &str,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// When the next pending delivery is due, if any.
    async fn next_delivery_due_at(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Logs an attempt and moves the delivery on; only while `owner` holds its lease.
    async fn finish_attempt(
        &self,
        delivery: DeliveryId,
        owner: &str,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError>;
}

const ENDPOINTS: &str = "webhook_endpoints";
const DELIVERIES: &str = "webhook_deliveries";

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    description: String,
    events: String,
    created_at: i64,
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = StoreError;

    fn try_from(row: EndpointRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: WebhookId::from_column(ENDPOINTS, "id", &row.id)?,
            url: row.url,
            description: row.description,
            events: serde_json::from_str(&row.events).map_err(|error| StoreError::Corrupt {
                table: ENDPOINTS,
                column: "events",
                problem: error.to_string(),
            })?,
            created_at: timestamp(ENDPOINTS, "created_at", row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    state: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    created_at: i64,
    payload: String,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: String,
    attempt: i64,
    at: i64,
    status: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: String,
    tenant_id: String,
    endpoint_id: String,
    url: String,
    secret: String,
    event_type: String,
    payload: String,
    attempts: i64,
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl OutboundWebhookStore for SqlStore {
    async fn create_webhook(
        &self,
        tenant: TenantId,
        new: NewWebhookEndpoint,
    ) -> Result<WebhookEndpoint, StoreError> {
        let id = WebhookId::generate();
        let sealed = self.seal(&new.secret, &TokenContext::webhook(tenant, id))?;
        let events = serde_json::to_string(&new.events)
            .map_err(|_| StoreError::invalid("events", "must be a list of event names"))?;
        let now = self.now_millis();
        let row: Result<EndpointRow, sqlx::Error> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id, url, description, events, created_at",
            )
            .bind(id.to_string())
            .bind(tenant.to_string())
            .bind(&new.url)
            .bind(&new.description)
            .bind(&events)
            .bind(&sealed)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        match row {
            Ok(row) => row.try_into(),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StoreError::not_found("tenant", tenant))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn list_webhooks(&self, tenant: TenantId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows: Vec<EndpointRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, url, description, events, created_at FROM webhook_endpoints \
                 WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_webhook(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
    ) -> Result<WebhookEndpoint, StoreError> {
        let row: Option<EndpointRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT id, url, description, events, created_at FROM webhook_endpoints \
                 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(tenant.to_string())
            .bind(webhook.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| StoreError::not_found("webhook", webhook))?
            .try_into()
    }

    async fn delete_webhook(&self, tenant: TenantId, webhook: WebhookId) -> Result<(), StoreError> {
        let now = self.now_millis();
        let deleted = on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let deleted = sqlx::query(
                    "UPDATE webhook_endpoints SET deleted_at = $3 \
                     WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(tenant.to_string())
                .bind(webhook.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // Pending deliveries to a deleted endpoint would never be wanted again.
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, \
                     last_error = 'the webhook was deleted', updated_at = $2 \
                     WHERE endpoint_id = $1 AND state = 'pending'",
                )
                .bind(webhook.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(deleted)
            }
            .await?
        });
        if deleted == 0 {
            return Err(StoreError::not_found("webhook", webhook));
        }
        Ok(())
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        if !(1..=200).contains(&limit) {
            return Err(StoreError::invalid("limit", "must be from 1 to 200"));
        }
        self.get_webhook(tenant, webhook).await?;
        let rows: Vec<DeliveryRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT d.id, d.endpoint_id, d.event_id, e.event_type, d.state, d.attempts, \
                 d.next_attempt_at, d.delivered_at, e.created_at, e.payload \
                 FROM webhook_deliveries d JOIN outbound_events e ON e.id = d.event_id \
                 WHERE d.tenant_id = $1 AND d.endpoint_id = $2 ORDER BY d.id DESC LIMIT $3",
            )
            .bind(tenant.to_string())
            .bind(webhook.to_string())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let attempts: Vec<AttemptRow> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT a.delivery_id, a.attempt, a.at, a.status, a.error, a.duration_ms \
                 FROM webhook_delivery_attempts a \
                 JOIN webhook_deliveries d ON d.id = a.delivery_id \
                 WHERE d.tenant_id = $1 AND d.endpoint_id = $2 ORDER BY a.delivery_id, a.attempt",
            )
            .bind(tenant.to_string())
            .bind(webhook.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                let log = attempts
                    .iter()
                    .filter(|attempt| attempt.delivery_id == row.id)
                    .map(|attempt| {
                        Ok(DeliveryAttempt {
                            attempt: count(attempt.attempt),
                            at: timestamp("webhook_delivery_attempts", "at", attempt.at)?,
                            status: attempt.status.and_then(|s| u16::try_from(s).ok()),
                            error: attempt.error.clone(),
                            duration_ms: u64::try_from(attempt.duration_ms).unwrap_or_default(),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(Delivery {
                    id: DeliveryId::from_column(DELIVERIES, "id", &row.id)?,
                    webhook_id: WebhookId::from_column(
                        DELIVERIES,
                        "endpoint_id",
                        &row.endpoint_id,
                    )?,
                    event_id: row.event_id,
                    event_type: row.event_type,
                    state: DeliveryState::parse(&row.state)?,
                    attempts: count(row.attempts),
                    next_attempt_at: optional_timestamp(
                        DELIVERIES,
                        "next_attempt_at",
                        row.next_attempt_at,
                    )?,
                    delivered_at: optional_timestamp(DELIVERIES, "delivered_at", row.delivered_at)?,
                    created_at: timestamp("outbound_events", "created_at", row.created_at)?,
                    log,
                    payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    async fn post_transitions_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<PostTransition>, StoreError> {
        let rows: Vec<(i64, i64, String, String, Option<String>, String)> =
            on_pool!(&self.pool, |pool| {
                sqlx::query_as(
                    "SELECT e.id, e.at, e.post_id, p.tenant_id, e.from_state, e.to_state \
                     FROM post_events e JOIN posts p ON p.id = e.post_id \
                     WHERE e.id > $1 ORDER BY e.id LIMIT $2",
                )
                .bind(position)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
            });
        let state = |text: &str| {
            text.parse::<PostState>()
                .map_err(|error| StoreError::Corrupt {
                    table: "post_events",
                    column: "to_state",
                    problem: error.to_string(),
                })
        };
        rows.into_iter()
            .map(|(position, at, post, tenant, from, to)| {
                Ok(PostTransition {
                    position,
                    at: timestamp("post_events", "at", at)?,
                    post: PostId::from_column("post_id", &post)?,
                    tenant: TenantId::from_column("posts", "tenant_id", &tenant)?,
                    from: from.as_deref().map(state).transpose()?,
                    to: state(&to)?,
                })
            })
            .collect()
    }

    async fn outbound_cursor(&self, name: &str) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as("SELECT position FROM outbound_cursors WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map_or(0, |(position,)| position))
    }

    async fn advance_outbound_cursor(&self, name: &str, position: i64) -> Result<(), StoreError> {
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO outbound_cursors (name, position) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position \
                 WHERE outbound_cursors.position < excluded.position",
            )
            .bind(name)
            .bind(position)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    async fn integration_changes(&self, limit: u32) -> Result<Vec<IntegrationChange>, StoreError> {
        let rows: Vec<(String, String, String, Option<String>, i64)> =
            on_pool!(&self.pool, |pool| {
                sqlx::query_as(
                    "SELECT i.tenant_id, i.id, i.status, a.status, i.updated_at \
                     FROM integrations i LEFT JOIN integration_status_announced a \
                     ON a.integration_id = i.id \
                     WHERE a.status IS NULL OR a.status <> i.status \
                     ORDER BY i.updated_at LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
            });
        rows.into_iter()
            .map(|(tenant, integration, status, announced, updated_at)| {
                Ok(IntegrationChange {
                    tenant: TenantId::from_column("integrations", "tenant_id", &tenant)?,
                    integration: IntegrationId::from_column("integrations", "id", &integration)?,
                    status,
                    announced,
                    updated_at: timestamp("integrations", "updated_at", updated_at)?,
                })
            })
            .collect()
    }

    async fn mark_integration_announced(
        &self,
        integration: IntegrationId,
        status: &str,
        updated_at: Timestamp,
    ) -> Result<(), StoreError> {
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO integration_status_announced (integration_id, status, updated_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (integration_id) \
                 DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            )
            .bind(integration.to_string())
            .bind(status)
            .bind(updated_at.as_millisecond())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    async fn record_event(&self, event: NewOutboundEvent) -> Result<bool, StoreError> {
        let now = self.now_millis();
        let recorded = on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO outbound_events (id, tenant_id, event_type, source, payload, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source) DO NOTHING",
                )
                .bind(&event.id)
                .bind(event.tenant.to_string())
                .bind(&event.event_type)
                .bind(&event.source)
                .bind(&event.payload)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(false);
                }
                let endpoints: Vec<(String, String)> = sqlx::query_as(
                    "SELECT id, events FROM webhook_endpoints \
                     WHERE tenant_id = $1 AND deleted_at IS NULL",
                )
                .bind(event.tenant.to_string())
                .fetch_all(&mut *tx)
                .await?;
                for (endpoint, events) in endpoints {
                    let wanted: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
                    if !wanted.iter().any(|wanted| wanted == &event.event_type) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, \
                         state, attempts, next_attempt_at, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5) \
                         ON CONFLICT (endpoint_id, event_id) DO NOTHING",
                    )
                    .bind(DeliveryId::generate().to_string())
                    .bind(event.tenant.to_string())
                    .bind(&endpoint)
                    .bind(&event.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(true)
            }
            .await?
        });
        Ok(recorded)
    }

    async fn lease_due_deliveries(
        &self,
        owner: &str,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = self.now_millis();
        // The conditions are repeated outside the sub-select so that, on PostgreSQL, a row
        // another dispatcher leased meanwhile is re-checked and skipped, never taken twice.
        let leased: Vec<(String,)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "UPDATE webhook_deliveries SET lease_owner = $1, lease_expires_at = $2 \
                 WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' \
                 AND next_attempt_at <= $3 \
                 AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
                 ORDER BY next_attempt_at LIMIT $4) \
                 AND state = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
                 RETURNING id",
            )
            .bind(owner)
            .bind(until.as_millisecond())
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut due = Vec::with_capacity(leased.len());
        for (id,) in leased {
            let row: Option<DueRow> = on_pool!(&self.pool, |pool| {
                sqlx::query_as(
                    "SELECT d.id, d.tenant_id, d.endpoint_id, w.url, w.secret, e.event_type, \
                     e.payload, d.attempts FROM webhook_deliveries d \
                     JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                     JOIN outbound_events e ON e.id = d.event_id \
                     WHERE d.id = $1 AND d.lease_owner = $2",
                )
                .bind(&id)
                .bind(owner)
                .fetch_optional(pool)
                .await?
            });
            let Some(row) = row else { continue };
            let tenant = TenantId::from_column(DELIVERIES, "tenant_id", &row.tenant_id)?;
            let webhook = WebhookId::from_column(DELIVERIES, "endpoint_id", &row.endpoint_id)?;
            due.push(DueDelivery {
                id: DeliveryId::from_column(DELIVERIES, "id", &row.id)?,
                tenant,
                webhook,
                url: row.url,
                secret: self.unseal(&row.secret, &TokenContext::webhook(tenant, webhook))?,
                event_type: row.event_type,
                payload: row.payload,
                attempts: count(row.attempts),
            });
        }
        Ok(due)
    }

    async fn next_delivery_due_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let (next,): (Option<i64>,) = on_pool!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'",
            )
            .fetch_one(pool)
            .await?
        });
        optional_timestamp(DELIVERIES, "next_attempt_at", next)
    }

    async fn finish_attempt(
        &self,
        delivery: DeliveryId,
        owner: &str,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let now = self.now_millis();
        let (state, next_attempt_at, delivered_at) = match outcome.next {
            AttemptNext::Delivered => (DeliveryState::Delivered, None, Some(now)),
            AttemptNext::RetryAt(at) => (DeliveryState::Pending, Some(at.as_millisecond()), None),
            AttemptNext::GiveUp => (DeliveryState::Failed, None, None),
        };
        let duration = i64::try_from(outcome.duration_ms).unwrap_or(i64::MAX);
        let status = outcome.status.map(i64::from);
        on_pool!(&self.pool, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let attempt: Option<(i64,)> = sqlx::query_as(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $3, \
                     next_attempt_at = $4, delivered_at = $5, last_status = $6, last_error = $7, \
                     updated_at = $8, lease_owner = NULL, lease_expires_at = NULL \
                     WHERE id = $1 AND lease_owner = $2 RETURNING attempts",
                )
                .bind(delivery.to_string())
                .bind(owner)
                .bind(state.as_str())
                .bind(next_attempt_at)
                .bind(delivered_at)
                .bind(status)
                .bind(&outcome.error)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((attempt,)) = attempt {
                    sqlx::query(
                        "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, at, status, \
                         error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(delivery.to_string())
                    .bind(attempt)
                    .bind(outcome.at.as_millisecond())
                    .bind(status)
                    .bind(&outcome.error)
                    .bind(duration)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(())
            }
            .await?
        });
        Ok(())
    }
}
