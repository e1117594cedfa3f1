//! One poller for the containers of every post in flight: jobs wait in a due-ordered queue, and
//! the jobs due together go to Meta in one batch of up to 50 sub-requests, each with its own
//! account's token (graph-api.md §9.1), so polling costs one round trip for many posts.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

use igpub_graph::{
    AccessToken, BatchRequest, ContainerId, ContainerStatus, GraphClient, GraphError,
    MAX_BATCH_REQUESTS, container_status_request, container_statuses_request,
};
use parking_lot::Mutex;
use secrecy::SecretString;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Statuses by container, or why they could not be read.
pub type StatusAnswer = Result<HashMap<ContainerId, ContainerStatus>, GraphError>;

struct Job {
    due: Instant,
    token: AccessToken,
    ids: Vec<ContainerId>,
    reply: oneshot::Sender<StatusAnswer>,
}

/// Jobs due within this much of each other go out together.
const COALESCE: Duration = Duration::from_millis(15);

/// Hands container polls to the central poller task.
#[derive(Clone, Debug)]
pub struct ContainerPoller {
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("ids", &self.ids).finish()
    }
}

impl ContainerPoller {
    /// Starts the poller task; it ends when every handle is dropped.
    pub fn spawn(client: GraphClient) -> Self {
        let (jobs, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(client, receiver));
        Self { jobs }
    }

    /// Reads the statuses of `ids` (one account's, read with `token`) at `due`.
    pub async fn statuses_at(
        &self,
        due: Instant,
        token: AccessToken,
        ids: Vec<ContainerId>,
    ) -> StatusAnswer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            due,
            token,
            ids,
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Err(GraphError::Config(
                "the container poller has stopped".into(),
            ));
        }
        answer.await.unwrap_or_else(|_| {
            Err(GraphError::Config(
                "the container poller has stopped".into(),
            ))
        })
    }
}

async fn run(client: GraphClient, mut receiver: mpsc::UnboundedReceiver<Job>) {
    let mut queue: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut waiting: HashMap<u64, Job> = HashMap::new();
    let mut sequence = 0u64;
    loop {
        let next_due = queue.peek().map(|Reverse((due, _))| *due);
        tokio::select! {
            job = receiver.recv() => match job {
                Some(job) => {
                    sequence += 1;
                    queue.push(Reverse((job.due, sequence)));
                    waiting.insert(sequence, job);
                }
                None if waiting.is_empty() => return,
                None => {}
            },
            () = sleep_until_or_forever(next_due) => {
                let horizon = Instant::now() + COALESCE;
                let mut due = Vec::new();
                while let Some(Reverse((at, id))) = queue.peek().copied() {
                    if at > horizon {
                        break;
                    }
                    queue.pop();
                    if let Some(job) = waiting.remove(&id) {
                        due.push(job);
                    }
                }
                let mut due: VecDeque<Job> = due.into();
                while !due.is_empty() {
                    let take = due.len().min(MAX_BATCH_REQUESTS);
                    let chunk: Vec<Job> = due.drain(..take).collect();
                    tokio::spawn(send(client.clone(), chunk));
                }
            }
        }
    }
}

async fn sleep_until_or_forever(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn request_for(job: &Job) -> igpub_graph::GraphRequest {
    let request = match job.ids.as_slice() {
        [single] => container_status_request(single),
        many => container_statuses_request(many),
    };
    request.secret_param(
        "access_token",
        SecretString::from(job.token.expose_secret().to_owned()),
    )
}

fn decode_answer(job: &Job, answer: Option<igpub_graph::BatchResponse>) -> StatusAnswer {
    let answer = answer.ok_or(GraphError::BatchItemMissing {
        index: 0,
        name: None,
    })?;
    match job.ids.as_slice() {
        [single] => {
            let status: ContainerStatus = answer.decode()?;
            Ok(HashMap::from([(single.clone(), status)]))
        }
        _ => {
            let statuses: HashMap<String, ContainerStatus> = answer.decode()?;
            Ok(statuses
                .into_iter()
                .map(|(id, status)| (ContainerId::new(id), status))
                .collect())
        }
    }
}

async fn send(client: GraphClient, jobs: Vec<Job>) {
    let Some(first) = jobs.first() else {
        return;
    };
    let account = client.with_token(first.token.clone());
    if jobs.len() == 1 {
        let job = jobs.into_iter().next();
        if let Some(job) = job {
            let answer = account.container_statuses(&job.ids).await;
            let _ = job.reply.send(answer);
        }
        return;
    }
    let requests: Vec<BatchRequest> = jobs
        .iter()
        .map(|job| BatchRequest::new(request_for(job)))
        .collect();
    match account.batch(requests).await {
        Ok(answers) => {
            for (job, answer) in jobs.into_iter().zip(answers) {
                let decoded = decode_answer(&job, answer);
                let _ = job.reply.send(decoded);
            }
        }
        Err(error) => {
            // The outer call failed as a whole (its token, say, was revoked): each job's own
            // answer is what its post must act on, so ask for each one alone.
            tracing::info!(%error, jobs = jobs.len(), "poll batch failed; polling one by one");
            for job in jobs {
                let client = client.clone();
                tokio::spawn(async move {
                    let answer = client
                        .with_token(job.token.clone())
                        .container_statuses(&job.ids)
                        .await;
                    let _ = job.reply.send(answer);
                });
            }
        }
    }
}

/// Processing times learned from recent containers: the next first poll is due at the median.
#[derive(Debug)]
pub struct ProcessingTimes {
    image: Mutex<VecDeque<Duration>>,
    video: Mutex<VecDeque<Duration>>,
    initial_image: Duration,
    initial_video: Duration,
}

/// Samples kept per kind.
const SAMPLES: usize = 21;

impl ProcessingTimes {
    /// Starts from these guesses until containers have been seen.
    pub fn new(initial_image: Duration, initial_video: Duration) -> Self {
        Self {
            image: Mutex::new(VecDeque::new()),
            video: Mutex::new(VecDeque::new()),
            initial_image,
            initial_video,
        }
    }

    fn samples(&self, video: bool) -> &Mutex<VecDeque<Duration>> {
        if video { &self.video } else { &self.image }
    }

    /// The moving median for this kind.
    pub fn expected(&self, video: bool) -> Duration {
        let samples = self.samples(video).lock();
        if samples.is_empty() {
            return if video {
                self.initial_video
            } else {
                self.initial_image
            };
        }
        let mut sorted: Vec<Duration> = samples.iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    /// Records that a container read FINISHED `seen_after` its creation; `first_poll` says
    /// whether that was the first poll (then it may have finished earlier: nudge lower).
    pub fn record(&self, video: bool, seen_after: Duration, first_poll: bool) {
        let sample = if first_poll {
            seen_after.mul_f64(0.9)
        } else {
            seen_after
        };
        let mut samples = self.samples(video).lock();
        if samples.len() == SAMPLES {
            samples.pop_front();
        }
        samples.push_back(sample);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_poll_follows_the_median_of_recent_processing_times() {
        let times = ProcessingTimes::new(Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(times.expected(false), Duration::from_secs(1));
        for ms in [100, 300, 200] {
            times.record(false, Duration::from_millis(ms), false);
        }
        assert_eq!(times.expected(false), Duration::from_millis(200));
        assert_eq!(times.expected(true), Duration::from_secs(10));
    }

    #[test]
    fn a_container_finished_at_the_first_poll_pulls_the_median_down() {
        let times = ProcessingTimes::new(Duration::from_secs(1), Duration::from_secs(10));
        times.record(false, Duration::from_millis(1000), true);
        assert!(times.expected(false) < Duration::from_millis(1000));
    }
}
