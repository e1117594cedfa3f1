//! The worker's step saves, in batches: every post's task saves its step before its next call
//! to Meta, and the steps waiting together are saved by one [`QueueStore::apply_steps`] (one
//! transaction; one statement on PostgreSQL).
//!
//! [`QueueStore::apply_steps`]: crate::store::QueueStore::apply_steps

use super::coalesce::Coalescer;
use crate::store::{Post, PostId, SharedStore, StepRequest, StoreError};

/// Most steps saved together: bounds the statement's size and a batch's latency.
const MAX_BATCH: usize = 256;

/// Saves the steps of one worker's posts, batching those that arrive together.
#[derive(Debug, Clone)]
pub(crate) struct StepWriter {
    batches: Coalescer<StepRequest, Result<Post, StoreError>>,
}

impl StepWriter {
    /// Starts the writer task for the leases of `owner`.
    pub(crate) fn spawn(store: SharedStore, owner: String) -> Self {
        let batches = Coalescer::spawn(MAX_BATCH, move |requests| {
            let store = SharedStore::clone(&store);
            let owner = owner.clone();
            async move { save_batch(&store, &owner, requests).await }
        });
        Self { batches }
    }

    /// Saves one step; the post as saved, or [`StoreError::Conflict`] when the lease was lost
    /// or the post left the step's starting state.
    pub(crate) async fn save(&self, request: StepRequest) -> Result<Post, StoreError> {
        let post = request.post.id;
        self.batches
            .call(request)
            .await
            .unwrap_or_else(|| Err(writer_stopped(post)))
    }
}

async fn save_batch(
    store: &SharedStore,
    owner: &str,
    requests: Vec<StepRequest>,
) -> Vec<Result<Post, StoreError>> {
    match store.apply_steps(owner, &requests).await {
        Ok(saved) => requests
            .into_iter()
            .zip(saved.applied)
            .map(|(request, applied)| {
                if applied {
                    request.saved(saved.now)
                } else {
                    Err(conflict(&request))
                }
            })
            .collect(),
        Err(error) if requests.len() == 1 => vec![Err(error)],
        Err(error) => {
            // One bad step (a trigger, a constraint) must not fail its neighbours: save each
            // on its own, so only the steps that really fail report an error.
            tracing::warn!(%error, steps = requests.len(), "a batch of steps failed; saving them one by one");
            let mut results = Vec::with_capacity(requests.len());
            for request in requests {
                results.push(
                    store
                        .apply_step(request.post.id, owner, request.from, request.step)
                        .await,
                );
            }
            results
        }
    }
}

/// The writer task is gone (only when the runtime shuts down): like a crashed database worker,
/// the step is not saved and the post resumes from its last saved state.
fn writer_stopped(post: PostId) -> StoreError {
    tracing::warn!(post_id = %post, "the step writer has stopped; the step is not saved");
    StoreError::Database(sqlx::Error::WorkerCrashed)
}

fn conflict(request: &StepRequest) -> StoreError {
    StoreError::Conflict(format!(
        "post {} is no longer leased by this worker in state {}",
        request.post.id, request.from
    ))
}
