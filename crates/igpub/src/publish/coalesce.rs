//! Group commit for the worker's small database calls. In a burst, hundreds of post tasks
//! each save a step or read their account's publish count at the same moment; one round trip
//! each makes the database, not Meta, the limit. A [`Coalescer`] runs one task that takes
//! every request waiting, answers them all with one batched call, and meanwhile lets the next
//! requests gather. A lone request is sent at once, so nothing waits for company. The same
//! shape batches the worker's calls to Meta into shared batch requests (`graph_batches.rs`).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

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
    /// Starts the batching task with one call in flight at a time. `answer` gets up to
    /// `max_batch` requests in arrival order and must return one response per request, in the
    /// same order.
    pub(crate) fn spawn<Answer, Answered>(max_batch: usize, answer: Answer) -> Self
    where
        Answer: FnMut(Vec<Request>) -> Answered + Send + 'static,
        Answered: Future<Output = Vec<Response>> + Send + 'static,
    {
        Self::spawn_concurrent(max_batch, 1, answer)
    }

    /// Like [`Coalescer::spawn`], with up to `max_in_flight` calls at once: requests gather
    /// only while every call is busy. For calls that wait on a network round trip rather than
    /// on one database writer.
    pub(crate) fn spawn_concurrent<Answer, Answered>(
        max_batch: usize,
        max_in_flight: usize,
        mut answer: Answer,
    ) -> Self
    where
        Answer: FnMut(Vec<Request>) -> Answered + Send + 'static,
        Answered: Future<Output = Vec<Response>> + Send + 'static,
    {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Waiting<Request, Response>>();
        let max_batch = max_batch.max(1);
        let in_flight = Arc::new(Semaphore::new(max_in_flight.max(1)));
        tokio::spawn(async move {
            loop {
                // Wait for a free call first, so requests gather while every call is busy.
                let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                    return;
                };
                let mut batch = Vec::with_capacity(max_batch);
                if receiver.recv_many(&mut batch, max_batch).await == 0 {
                    return;
                }
                let (requests, replies): (Vec<Request>, Vec<_>) = batch.into_iter().unzip();
                let answered = answer(requests);
                tokio::spawn(async move {
                    let responses = answered.await;
                    drop(permit);
                    for (reply, response) in replies.into_iter().zip(responses) {
                        // The caller may have stopped waiting (its worker is shutting down).
                        let _ = reply.send(response);
                    }
                });
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
    async fn concurrent_calls_stay_within_their_limit_and_requests_gather_behind_them() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let (running_in, most_in, calls_in) =
            (Arc::clone(&running), Arc::clone(&most), Arc::clone(&calls));
        let doubler = Coalescer::spawn_concurrent(50, 2, move |numbers: Vec<u32>| {
            let (running, most, calls) = (
                Arc::clone(&running_in),
                Arc::clone(&most_in),
                Arc::clone(&calls_in),
            );
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                numbers.into_iter().map(|n| n * 2).collect::<Vec<_>>()
            }
        });
        let lone = doubler.call(1).await;
        assert_eq!(lone, Some(2), "a lone request is answered");
        // Three waves 5 ms apart, each call taking 20 ms: the third must wait for a free call.
        let wave = |start: u32, after_ms: u64| {
            let doubler = doubler.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(after_ms)).await;
                futures::future::join_all((start..start + 10).map(|n| doubler.call(n))).await
            }
        };
        let (a, b, c) = tokio::join!(wave(0, 0), wave(10, 5), wave(20, 10));
        let answers: Vec<Option<u32>> = a.into_iter().chain(b).chain(c).collect();
        assert_eq!(answers, (0..30u32).map(|n| Some(n * 2)).collect::<Vec<_>>());
        assert_eq!(
            most.load(Ordering::SeqCst),
            2,
            "two calls at once, never more"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "the lone request, then one call per wave"
        );
    }

    #[tokio::test]
    async fn a_request_without_an_answer_gets_none() {
        let short = Coalescer::spawn(4, |_: Vec<u32>| async { Vec::<u32>::new() });
        assert_eq!(short.call(1).await, None);
    }
}
