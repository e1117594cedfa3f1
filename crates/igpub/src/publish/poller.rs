//! One poller for the containers of every post in flight: jobs wait in a due-ordered queue, and
//! the jobs due together go to Meta in one batch of up to 50 sub-requests, each with its own
//! account's token (graph-api.md §9.1), so polling costs one round trip for many posts.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

use igpub_graph::{
    AccessToken, BatchRequest, ContainerId, ContainerStatus, GraphClient, GraphError,
    MAX_BATCH_REQUESTS, MAX_IDS_PER_REQUEST, container_statuses_request,
};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Statuses by container, or why they could not be read.
pub type StatusAnswer = Result<HashMap<ContainerId, ContainerStatus>, GraphError>;

struct Job {
    due: Instant,
    token: AccessToken,
    ids: Vec<ContainerId>,
    reply: oneshot::Sender<(StatusAnswer, Instant)>,
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
    /// Starts the poller task; it ends when every handle is dropped. Containers of one
    /// account share one `?ids=` read, and the reads of up to 50 accounts share one batch,
    /// each carrying its own token (and, with the app secret, its own proof).
    pub fn spawn(client: GraphClient) -> Self {
        let (jobs, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(client, receiver));
        Self { jobs }
    }

    /// Reads the statuses of `ids` (one account's, read with `token`) at `due`; the answer,
    /// and when the read left (a read can leave a little before `due`, with others, or after
    /// it on a loaded machine).
    pub async fn statuses_at(
        &self,
        due: Instant,
        token: AccessToken,
        ids: Vec<ContainerId>,
    ) -> (StatusAnswer, Instant) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            due,
            token,
            ids,
            reply,
        };
        let stopped = || {
            let error = GraphError::Config("the container poller has stopped".into());
            (Err(error), Instant::now())
        };
        if self.jobs.send(job).is_err() {
            return stopped();
        }
        answer.await.unwrap_or_else(|_| stopped())
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
                for chunk in batches(groups_of(due)) {
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

/// The due jobs of one account (one token), whose containers go in one `?ids=` read.
struct Group {
    token: AccessToken,
    jobs: Vec<Job>,
}

impl Group {
    fn ids(&self) -> Vec<ContainerId> {
        self.jobs
            .iter()
            .flat_map(|job| job.ids.iter().cloned())
            .collect()
    }
}

/// Groups jobs by account, at most [`MAX_IDS_PER_REQUEST`] containers per group.
fn groups_of(jobs: Vec<Job>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    for job in jobs {
        let key = job.token.expose_secret().to_owned();
        let fits = open
            .get(&key)
            .and_then(|&index| groups.get(index))
            .is_some_and(|group| {
                group.jobs.iter().map(|j| j.ids.len()).sum::<usize>() + job.ids.len()
                    <= MAX_IDS_PER_REQUEST
            });
        match open.get(&key) {
            Some(&index) if fits => {
                if let Some(group) = groups.get_mut(index) {
                    group.jobs.push(job);
                }
            }
            _ => {
                open.insert(key, groups.len());
                groups.push(Group {
                    token: job.token.clone(),
                    jobs: vec![job],
                });
            }
        }
    }
    groups
}

/// What one round trip carries: up to 50 groups, of any accounts, in one batch (§9.1: a
/// sub-request may carry its own `access_token`).
fn batches(groups: Vec<Group>) -> Vec<Vec<Group>> {
    let mut groups: VecDeque<Group> = groups.into();
    let mut batches = Vec::new();
    while !groups.is_empty() {
        let take = groups.len().min(MAX_BATCH_REQUESTS);
        batches.push(groups.drain(..take).collect());
    }
    batches
}

/// `GET /?ids=…` of a group, on its own token inside a batch (§9.1).
fn request_for(group: &Group) -> (AccessToken, BatchRequest) {
    let read = BatchRequest::new(container_statuses_request(&group.ids()));
    (group.token.clone(), read)
}

fn decode_answer(answer: Option<igpub_graph::BatchResponse>) -> StatusAnswer {
    let answer = answer.ok_or(GraphError::BatchItemMissing {
        index: 0,
        name: None,
    })?;
    let statuses: HashMap<String, ContainerStatus> = answer.decode()?;
    Ok(statuses
        .into_iter()
        .map(|(id, status)| (ContainerId::new(id), status))
        .collect())
}

/// Hands each job its containers' statuses, or the group's error.
fn reply(group: Group, answer: StatusAnswer, sent: Instant) {
    for job in group.jobs {
        let own = match &answer {
            Ok(statuses) => Ok(job
                .ids
                .iter()
                .filter_map(|id| statuses.get(id).map(|status| (id.clone(), status.clone())))
                .collect()),
            Err(error) => Err(error.clone()),
        };
        let _ = job.reply.send((own, sent));
    }
}

async fn read_group(client: GraphClient, group: Group) {
    let sent = Instant::now();
    let answer = client
        .with_token(group.token.clone())
        .container_statuses(&group.ids())
        .await;
    reply(group, answer, sent);
}

async fn send(client: GraphClient, groups: Vec<Group>) {
    if groups.len() <= 1 {
        for group in groups {
            read_group(client.clone(), group).await;
        }
        return;
    }
    let requests = groups.iter().map(request_for).collect();
    let sent = Instant::now();
    match client.batch_on_own_tokens(requests).await {
        Ok(answers) => {
            for (group, answer) in groups.into_iter().zip(answers) {
                reply(group, decode_answer(answer), sent);
            }
        }
        Err(error) => {
            // The outer call failed as a whole (its token, say, was revoked): each group's own
            // answer is what its posts must act on, so ask for each one alone.
            tracing::info!(%error, groups = groups.len(), "poll batch failed; polling one by one");
            for group in groups {
                tokio::spawn(read_group(client.clone(), group));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(token: &str, ids: &[&str]) -> Job {
        let (reply, _answer) = oneshot::channel();
        Job {
            due: Instant::now(),
            token: AccessToken::new(token),
            ids: ids.iter().map(|id| ContainerId::new(*id)).collect(),
            reply,
        }
    }

    #[tokio::test]
    async fn containers_of_one_account_share_one_read_and_accounts_share_a_batch() {
        let jobs = vec![job("a", &["1"]), job("b", &["2", "3"]), job("a", &["4"])];
        let groups = groups_of(jobs);
        assert_eq!(groups.len(), 2);
        let ids: Vec<usize> = groups.iter().map(|group| group.ids().len()).collect();
        assert_eq!(ids, [2, 2]);
        assert_eq!(batches(groups).len(), 1, "one batch for both accounts");
        let many: Vec<Job> = (0..120).map(|n| job(&format!("t{n}"), &["1"])).collect();
        let sizes: Vec<usize> = batches(groups_of(many)).iter().map(Vec::len).collect();
        assert_eq!(sizes, [50, 50, 20], "at most 50 reads per batch");
    }

    #[tokio::test]
    async fn an_account_with_more_than_fifty_containers_is_read_in_several_requests() {
        let many: Vec<String> = (0..60).map(|n| n.to_string()).collect();
        let jobs = many
            .iter()
            .map(|id| job("a", &[id.as_str()]))
            .collect::<Vec<_>>();
        let groups = groups_of(jobs);
        assert_eq!(groups.len(), 2);
        assert!(
            groups
                .iter()
                .all(|group| group.ids().len() <= MAX_IDS_PER_REQUEST)
        );
    }
}
