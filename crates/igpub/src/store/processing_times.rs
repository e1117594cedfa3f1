//! The container processing times workers have learned, kept so that a restarted worker, or a
//! new one, reads its first containers at the learned time instead of probing for it.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;
use super::posts::to_json;
use super::sql::{SqlStore, on_pool, timestamp};

/// Kinds of containers whose processing times are learned apart (a video takes far longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// Feed images, carousel images and image stories.
    Image,
    /// Reels, carousel videos and video stories.
    Video,
}

impl ContainerKind {
    /// The name stored in `processing_times.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "image" => Some(Self::Image),
            "video" => Some(Self::Video),
            _ => None,
        }
    }
}

/// What a worker learned of one kind of container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedProcessing {
    /// The kind.
    pub kind: ContainerKind,
    /// Recent processing times, oldest first.
    pub samples: Vec<Duration>,
    /// When they were saved (the store's clock).
    pub saved_at: Timestamp,
}

/// The learned processing times.
#[async_trait]
pub trait ProcessingTimeStore: Send + Sync {
    /// Every kind's latest saved samples (kinds never saved are left out).
    async fn learned_processing(&self) -> Result<Vec<LearnedProcessing>, StoreError>;

    /// Saves a kind's samples at the store's now, replacing what was saved before (the newest
    /// worker's view wins: they all learn from the same Meta).
    async fn save_learned_processing(
        &self,
        kind: ContainerKind,
        samples: &[Duration],
    ) -> Result<(), StoreError>;
}

#[async_trait]
impl ProcessingTimeStore for SqlStore {
    async fn learned_processing(&self) -> Result<Vec<LearnedProcessing>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_pool!(&self.pool, |pool| {
            sqlx::query_as("SELECT kind, samples_ms, saved_at FROM processing_times")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .filter_map(|(kind, samples, saved_at)| {
                // A kind this version does not know (written by a newer one) is skipped.
                let kind = ContainerKind::parse(&kind)?;
                Some(decode(kind, &samples, saved_at))
            })
            .collect()
    }

    async fn save_learned_processing(
        &self,
        kind: ContainerKind,
        samples: &[Duration],
    ) -> Result<(), StoreError> {
        let millis: Vec<u64> = samples
            .iter()
            .map(|sample| u64::try_from(sample.as_millis()).unwrap_or(u64::MAX))
            .collect();
        let samples = to_json("samples_ms", &millis)?;
        let now = self.now_millis();
        on_pool!(&self.pool, |pool| {
            sqlx::query(
                "INSERT INTO processing_times (kind, samples_ms, saved_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind) DO UPDATE SET samples_ms = excluded.samples_ms, \
                 saved_at = excluded.saved_at",
            )
            .bind(kind.as_str())
            .bind(&samples)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

fn decode(
    kind: ContainerKind,
    samples: &str,
    saved_at: i64,
) -> Result<LearnedProcessing, StoreError> {
    let millis: Vec<u64> = serde_json::from_str(samples).map_err(|error| StoreError::Corrupt {
        table: "processing_times",
        column: "samples_ms",
        problem: error.to_string(),
    })?;
    Ok(LearnedProcessing {
        kind,
        samples: millis.into_iter().map(Duration::from_millis).collect(),
        saved_at: timestamp("processing_times", "saved_at", saved_at)?,
    })
}
