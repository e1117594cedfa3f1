//! Group commit for the worker's small database calls. In a burst, hundreds of post tasks
//! each save a step or read their account's publish count at the same moment; one round trip
//! each makes the database, not Meta, the limit. A [`Coalescer`] runs one task that takes
//! every request waiting, answers them all with one batched call, and meanwhile lets the next
//! requests gather. A lone request is sent at once, so nothing waits for company.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

type Waiting<Request, Response> = (Request, oneshot::Sender<Response>);

/// Batches concurrent requests into calls of a batch function.
pub(crate) struct Coalescer<Request, Response> {
    sender: mpsc::UnboundedSender<Waiting<Request, Response>>,
}

impl<Request, Response> std::fmt::Debug for Coalescer<Request, Response> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer").finish_non_exhaustive()
    }
}

impl<Request, Response> Clone for Coalescer<Request, Response> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
        }
    }
}

impl<Request: Send + 'static, Response: Send + 'static> Coalescer<Request, Response> {
    /// Starts the batching task. `answer` gets up to `max_batch` requests in arrival order and
    /// must return one response per request, in the same order.
    pub(crate) fn spawn<Answer, Answered>(max_batch: usize, mut answer: Answer) -> Self
    where
        Answer: FnMut(Vec<Request>) -> Answered + Send + 'static,
        Answered: Future<Output = Vec<Response>> + Send,
    {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Waiting<Request, Response>>();
        let max_batch = max_batch.max(1);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while receiver.recv_many(&mut batch, max_batch).await > 0 {
                let (requests, replies): (Vec<Request>, Vec<_>) = batch.drain(..).unzip();
                let responses = answer(requests).await;
                for (reply, response) in replies.into_iter().zip(responses) {
                    // The caller may have stopped waiting (its worker is shutting down).
                    let _ = reply.send(response);
                }
            }
        });
        Self { sender }
    }

    /// Sends one request and waits for its response; `None` when the batching task is gone
    /// or gave no response for it.
    pub(crate) async fn call(&self, request: Request) -> Option<Response> {
        let (reply, response) = oneshot::channel();
        self.sender.send((request, reply)).ok()?;
        response.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_requests_share_batches_and_each_gets_its_own_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let doubler = Coalescer::spawn(8, move |numbers: Vec<u32>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                // Let the other requests gather behind this batch.
                tokio::task::yield_now().await;
                numbers.into_iter().map(|n| n * 2).collect::<Vec<_>>()
            }
        });
        let answers = futures::future::join_all((0..40u32).map(|n| {
            let doubler = doubler.clone();
            async move { (n, doubler.call(n).await) }
        }))
        .await;
        for (n, answer) in answers {
            assert_eq!(answer, Some(n * 2));
        }
        let batches = calls.load(Ordering::SeqCst);
        assert!(
            (5..40).contains(&batches),
            "40 concurrent requests in batches of at most 8 took {batches} calls"
        );
    }

    #[tokio::test]
    async fn a_request_without_an_answer_gets_none() {
        let short = Coalescer::spawn(4, |_: Vec<u32>| async { Vec::<u32>::new() });
        assert_eq!(short.call(1).await, None);
    }
}
