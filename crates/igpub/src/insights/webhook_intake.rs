//! Meta's webhook deliveries, the I/O half: a delivery is verified over its raw bytes, each of
//! its changes stored under its dedupe key (a repeated delivery is counted, not stored again),
//! and the work is done after the reply: `story_insights` values become media metric rows.

use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

use super::registry::Registry;
use super::webhook::{
    Event, NotificationError, SignatureError, parse_notification, verify_signature,
};
use crate::store::{
    IntegrationStatus, MediaMetricRow, MetricSource, NewWebhookEvent, SharedStore, StoreError,
    StoredWebhookEvent, TenantScope, WebhookInsert,
};

/// What storing one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Changes in the delivery.
    pub changes: usize,
    /// Changes seen for the first time, stored to be processed.
    pub new: usize,
    /// Changes delivered before: counted once, not processed again.
    pub repeated: usize,
}

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The signature is missing, malformed or wrong (the HTTP layer answers 403).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The body is not a notification (400).
    #[error(transparent)]
    Body(#[from] NotificationError),
    /// The store failed (500: Meta delivers again later).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies a delivery's `X-Hub-Signature-256` over `raw_body` with the Meta app secret, then
/// stores its changes. Nothing is stored unless the signature is right.
pub async fn receive_delivery(
    store: &SharedStore,
    app_secret: Option<&SecretString>,
    raw_body: &[u8],
    signature: Option<&str>,
) -> Result<Receipt, IntakeError> {
    let secret = app_secret.ok_or(SignatureError::SecretNotConfigured)?;
    // graph-api.md §8.2: the HMAC covers the raw bytes as received.
    verify_signature(secret, raw_body, signature)?;
    let notification = parse_notification(raw_body)?;
    let mut receipt = Receipt {
        changes: notification.changes.len(),
        new: 0,
        repeated: 0,
    };
    for change in &notification.changes {
        let event = NewWebhookEvent {
            dedupe_key: change.dedupe_key().as_str().to_owned(),
            object: notification.object.clone(),
            field: change.field.clone(),
            entry_id: change.entry_id.clone(),
            entry_time: change.time,
            payload: change.value.clone(),
        };
        match store.insert_webhook_event(&event).await? {
            WebhookInsert::New => receipt.new += 1,
            WebhookInsert::Repeated => receipt.repeated += 1,
        }
    }
    Ok(receipt)
}

/// What one processing sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ProcessReport {
    /// Changes processed.
    pub processed: usize,
    /// Media metric rows written from `story_insights`.
    pub metric_rows: u64,
    /// Changes whose value did not have the documented shape (kept, marked with the reason).
    pub malformed: usize,
}

/// Processes up to `limit` stored changes: `story_insights` feeds the metric store of every
/// integration of that Instagram account; comments and mentions stay stored. A store failure
/// leaves the rest for the next sweep.
pub async fn process_pending(
    store: &SharedStore,
    registry: &Registry,
    limit: u32,
) -> Result<ProcessReport, StoreError> {
    let mut report = ProcessReport::default();
    for stored in store.unprocessed_webhook_events(limit).await? {
        let outcome = process_one(store, registry, &stored).await?;
        let error = match outcome {
            Processed::Rows(rows) => {
                report.metric_rows += rows;
                None
            }
            Processed::Malformed(reason) => {
                report.malformed += 1;
                Some(reason)
            }
        };
        store
            .mark_webhook_event_processed(&stored.event.dedupe_key, error.as_deref())
            .await?;
        report.processed += 1;
    }
    Ok(report)
}

enum Processed {
    Rows(u64),
    Malformed(String),
}

async fn process_one(
    store: &SharedStore,
    registry: &Registry,
    stored: &StoredWebhookEvent,
) -> Result<Processed, StoreError> {
    let event = &stored.event;
    match typed_event(event) {
        Event::StoryInsights(story) => {
            let integrations: Vec<_> = store
                .list_integrations(TenantScope::AllTenants)
                .await?
                .into_iter()
                .filter(|i| {
                    i.metadata.ig_user_id == event.entry_id
                        && i.status != IntegrationStatus::Disconnected
                })
                .collect();
            let rows: Vec<MediaMetricRow> = integrations
                .iter()
                .flat_map(|integration| {
                    story
                        .metric_rows(registry)
                        .into_iter()
                        .map(move |row| MediaMetricRow {
                            tenant_id: integration.tenant_id,
                            integration_id: integration.id,
                            media_id: row.media_id,
                            media_kind: "STORY".to_owned(),
                            published_at: None,
                            metric: row.metric,
                            breakdown_key: row
                                .breakdown
                                .map(|b| format!("{}={}", b.breakdown, b.value))
                                .unwrap_or_default(),
                            breakdown: row.breakdown.map(|b| {
                                json!({
                                    "dimension_keys": [b.breakdown],
                                    "dimension_values": [b.value],
                                })
                            }),
                            // The legacy name Meta sent (graph-api.md §8.2), so reports can
                            // say where the number came from.
                            served_by: row.raw_name,
                            value: Some(row.value),
                            source: MetricSource::Webhook,
                            raw: event.payload.clone(),
                        })
                })
                .collect();
            Ok(Processed::Rows(store.upsert_media_metrics(&rows).await?))
        }
        Event::Malformed { reason } => Ok(Processed::Malformed(reason)),
        // Comments, mentions and fields igpub does not model are kept as stored.
        Event::Comment(_) | Event::LiveComment(_) | Event::Mention(_) | Event::Other => {
            Ok(Processed::Rows(0))
        }
    }
}

/// The typed event of a stored change, through the same parser deliveries go through.
fn typed_event(event: &NewWebhookEvent) -> Event {
    let body: Value = json!({
        "object": event.object,
        "entry": [{
            "id": event.entry_id,
            "time": event.entry_time,
            "changes": [{"field": event.field, "value": event.payload}],
        }],
    });
    let parsed = serde_json::to_vec(&body)
        .map_err(|e| e.to_string())
        .and_then(|bytes| parse_notification(&bytes).map_err(|e| e.to_string()));
    match parsed {
        Ok(notification) => notification
            .changes
            .into_iter()
            .next()
            .map_or(Event::Other, |change| change.event),
        Err(reason) => Event::Malformed { reason },
    }
}
