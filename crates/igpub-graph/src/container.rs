//! Media containers: status, many statuses at once, and adaptive waiting (graph-api.md §2.6, §10).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

use crate::classify::ErrorClass;
use crate::client::AuthedClient;
use crate::error::{ContainerFailure, GraphError, parse_status_subcode};
use crate::ids::ContainerId;
use crate::meta_enum::meta_enum;
use crate::request::GraphRequest;

meta_enum! {
    /// A container's `status_code` (graph-api.md §2.6).
    ContainerStatusCode {
        /// Still processing.
        InProgress => "IN_PROGRESS",
        /// Ready to publish.
        Finished => "FINISHED",
        /// Failed; `status` holds the subcode.
        Error => "ERROR",
        /// Not published within 24 h.
        Expired => "EXPIRED",
        /// Already published.
        Published => "PUBLISHED",
    }
}

/// `GET /{container-id}?fields=id,status_code,status`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ContainerStatus {
    /// The container.
    pub id: ContainerId,
    /// `status_code`.
    pub status_code: ContainerStatusCode,
    /// `status`: human text, holding the subcode on ERROR; may be absent even when asked for.
    #[serde(default)]
    pub status: Option<String>,
}

impl ContainerStatus {
    /// The subcode in an ERROR `status` text, e.g. 2207026.
    pub fn error_subcode(&self) -> Option<i64> {
        self.status.as_deref().and_then(parse_status_subcode)
    }

    /// The typed failure for ERROR and EXPIRED; `None` otherwise.
    pub fn failure(&self) -> Option<ContainerFailure> {
        match self.status_code {
            ContainerStatusCode::Error => Some(ContainerFailure::Error {
                container_id: self.id.clone(),
                status_text: self.status.clone(),
                subcode: self.error_subcode(),
            }),
            ContainerStatusCode::Expired => Some(ContainerFailure::Expired {
                container_id: self.id.clone(),
                status_text: self.status.clone(),
            }),
            _ => None,
        }
    }
}

/// What waiting for a container ended with, when it did not fail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ContainerReady {
    /// FINISHED: publish it.
    Finished(ContainerStatus),
    /// PUBLISHED already: do not publish again; find the media instead.
    AlreadyPublished(ContainerStatus),
}

impl ContainerReady {
    /// The last status read.
    pub fn status(&self) -> &ContainerStatus {
        match self {
            ContainerReady::Finished(status) | ContainerReady::AlreadyPublished(status) => status,
        }
    }
}

/// How to poll a container: first poll soon, back off by `backoff_factor` up to `max_interval`,
/// give up at `deadline`. Meta recommends polling slowly (§2.6); images are usually ready within
/// seconds, videos take seconds to minutes.
#[derive(Clone, Debug, PartialEq)]
pub struct PollPolicy {
    /// Wait before the first poll.
    pub first_poll: Duration,
    /// Multiplier between polls (values below 1 or not finite count as 1).
    pub backoff_factor: f64,
    /// Longest wait between two polls.
    pub max_interval: Duration,
    /// Total time to wait before giving up.
    pub deadline: Duration,
}

impl PollPolicy {
    /// Images: first poll after 0.5 s, ×1.5, at most 10 s apart, give up after 2 min.
    pub fn image() -> Self {
        Self {
            first_poll: Duration::from_millis(500),
            backoff_factor: 1.5,
            max_interval: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
        }
    }

    /// Videos and reels: first poll after 3 s, ×1.5, at most 30 s apart, give up after 15 min.
    pub fn video() -> Self {
        Self {
            first_poll: Duration::from_secs(3),
            backoff_factor: 1.5,
            max_interval: Duration::from_secs(30),
            deadline: Duration::from_secs(15 * 60),
        }
    }

    /// The same policy with another deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The wait after one of `current`.
    pub fn next_interval(&self, current: Duration) -> Duration {
        let factor = if self.backoff_factor.is_finite() && self.backoff_factor >= 1.0 {
            self.backoff_factor
        } else {
            1.0
        };
        Duration::try_from_secs_f64(current.as_secs_f64() * factor)
            .unwrap_or(self.max_interval)
            .min(self.max_interval)
    }
}

/// The most ids Meta takes in one `?ids=` multi-get (graph-api.md §9.1).
pub const MAX_IDS_PER_REQUEST: usize = 50;

const STATUS_FIELDS: &str = "id,status_code,status";

/// `GET /{container-id}?fields=id,status_code,status`.
pub fn container_status_request(container_id: &ContainerId) -> GraphRequest {
    GraphRequest::get(&[container_id.as_str()]).param("fields", STATUS_FIELDS)
}

/// `GET /?ids=a,b&fields=id,status_code,status`.
pub fn container_statuses_request(container_ids: &[ContainerId]) -> GraphRequest {
    let ids = container_ids
        .iter()
        .map(ContainerId::as_str)
        .collect::<Vec<_>>()
        .join(",");
    GraphRequest::get(&[])
        .param("ids", ids)
        .param("fields", STATUS_FIELDS)
}

impl AuthedClient {
    /// Reads one container's status.
    pub async fn container_status(
        &self,
        container_id: &ContainerId,
    ) -> Result<ContainerStatus, GraphError> {
        self.send_json(&container_status_request(container_id))
            .await
    }

    /// Reads many containers' statuses, 50 ids per request (graph-api.md §2.6, §9.1). Ids that
    /// Meta leaves out of its answer are missing from the map.
    pub async fn container_statuses(
        &self,
        container_ids: &[ContainerId],
    ) -> Result<HashMap<ContainerId, ContainerStatus>, GraphError> {
        let mut statuses = HashMap::with_capacity(container_ids.len());
        for chunk in container_ids.chunks(MAX_IDS_PER_REQUEST) {
            let answer: HashMap<String, ContainerStatus> =
                self.send_json(&container_statuses_request(chunk)).await?;
            for (key, status) in answer {
                statuses.insert(ContainerId::new(key), status);
            }
        }
        Ok(statuses)
    }

    /// Polls a container until it is FINISHED or PUBLISHED, adaptively (see [`PollPolicy`]).
    /// ERROR and EXPIRED are typed errors; so is a deadline that passes. A poll that fails
    /// transiently is retried at the next interval.
    pub async fn wait_for_container(
        &self,
        container_id: &ContainerId,
        policy: &PollPolicy,
    ) -> Result<ContainerReady, GraphError> {
        let ids = std::slice::from_ref(container_id);
        let mut ready = self.wait_for_containers(ids, policy).await?;
        ready.pop().ok_or_else(|| GraphError::UnexpectedResponse {
            endpoint: container_status_request(container_id).endpoint(),
            what: "no status for the container".into(),
        })
    }

    /// Polls many containers with one request per poll until all are FINISHED (or PUBLISHED).
    /// The answer is in the order of `container_ids`. The first ERROR or EXPIRED ends the wait.
    pub async fn wait_for_containers(
        &self,
        container_ids: &[ContainerId],
        policy: &PollPolicy,
    ) -> Result<Vec<ContainerReady>, GraphError> {
        let started = Instant::now();
        let deadline = started + policy.deadline;
        let mut interval = policy.first_poll;
        let mut attempt = 0u32;
        let mut last_seen: HashMap<ContainerId, ContainerStatus> = HashMap::new();
        tokio::time::sleep_until((started + interval).min(deadline)).await;
        loop {
            match self.poll_once(container_ids).await {
                Ok(statuses) => {
                    attempt = 0;
                    for status in statuses.into_values() {
                        if let Some(failure) = status.failure() {
                            return Err(GraphError::Container(Box::new(failure)));
                        }
                        last_seen.insert(status.id.clone(), status);
                    }
                    if let Some(ready) = all_ready(container_ids, &last_seen) {
                        return Ok(ready);
                    }
                }
                Err(error) => match error.classify(attempt) {
                    ErrorClass::Transient { .. } => {
                        tracing::info!(%error, attempt, "container poll failed; polling again");
                        attempt = attempt.saturating_add(1);
                    }
                    _ => return Err(error),
                },
            }
            let now = Instant::now();
            if now >= deadline {
                let pending = container_ids
                    .iter()
                    .find(|id| !last_seen.get(*id).is_some_and(is_ready))
                    .or(container_ids.first())
                    .cloned()
                    .unwrap_or_else(|| ContainerId::new(""));
                let last_status = last_seen
                    .get(&pending)
                    .map(|status| status.status_code.clone())
                    .unwrap_or(ContainerStatusCode::InProgress);
                return Err(GraphError::Container(Box::new(
                    ContainerFailure::DeadlinePassed {
                        container_id: pending,
                        waited: now.duration_since(started),
                        last_status,
                    },
                )));
            }
            interval = policy.next_interval(interval);
            tokio::time::sleep_until((now + interval).min(deadline)).await;
        }
    }

    async fn poll_once(
        &self,
        container_ids: &[ContainerId],
    ) -> Result<HashMap<ContainerId, ContainerStatus>, GraphError> {
        match container_ids {
            [single] => {
                let status = self.container_status(single).await?;
                Ok(HashMap::from([(single.clone(), status)]))
            }
            many => self.container_statuses(many).await,
        }
    }
}

fn is_ready(status: &ContainerStatus) -> bool {
    matches!(
        status.status_code,
        ContainerStatusCode::Finished | ContainerStatusCode::Published
    )
}

fn all_ready(
    ids: &[ContainerId],
    seen: &HashMap<ContainerId, ContainerStatus>,
) -> Option<Vec<ContainerReady>> {
    ids.iter()
        .map(|id| {
            let status = seen.get(id)?;
            match status.status_code {
                ContainerStatusCode::Finished => Some(ContainerReady::Finished(status.clone())),
                ContainerStatusCode::Published => {
                    Some(ContainerReady::AlreadyPublished(status.clone()))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_statuses_decode() {
        // Real samples, graph-api.md §2.6.
        let finished: Result<ContainerStatus, _> = serde_json::from_str(
            r#"{"id":"17966279578433554","status":"Finished: Media has been uploaded and it is ready to be published.","status_code":"FINISHED"}"#,
        );
        assert_eq!(
            finished.ok().map(|s| s.status_code),
            Some(ContainerStatusCode::Finished)
        );
        let failed: Option<ContainerStatus> = serde_json::from_str(
            r#"{"status":"Error: Media upload has failed with error code 2207026","status_code":"ERROR","id":"17883263555396595"}"#,
        )
        .ok();
        assert_eq!(
            failed.as_ref().and_then(ContainerStatus::error_subcode),
            Some(2207026)
        );
        assert!(matches!(
            failed.and_then(|s| s.failure()),
            Some(ContainerFailure::Error {
                subcode: Some(2207026),
                ..
            })
        ));
        let bare: Option<ContainerStatus> =
            serde_json::from_str(r#"{"status_code":"FINISHED","id":"18165386518154241"}"#).ok();
        assert_eq!(bare.and_then(|s| s.status), None);
    }

    #[test]
    fn unknown_status_codes_are_kept() {
        let status: Option<ContainerStatus> =
            serde_json::from_str(r#"{"id":"1","status_code":"QUEUED"}"#).ok();
        assert_eq!(
            status.map(|s| s.status_code),
            Some(ContainerStatusCode::Unknown("QUEUED".into()))
        );
    }

    #[test]
    fn poll_intervals_grow_to_the_cap() {
        let policy = PollPolicy::image();
        let second = policy.next_interval(policy.first_poll);
        assert_eq!(second, Duration::from_millis(750));
        assert_eq!(
            policy.next_interval(Duration::from_secs(9)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn nonsense_backoff_factors_do_not_panic() {
        for factor in [f64::NAN, f64::INFINITY, -3.0, 0.0, 1e300] {
            let policy = PollPolicy {
                backoff_factor: factor,
                ..PollPolicy::image()
            };
            let next = policy.next_interval(Duration::from_secs(1));
            assert!(next <= policy.max_interval, "{factor}");
        }
    }

    #[test]
    fn multi_get_joins_ids_with_commas() {
        let request = container_statuses_request(&[ContainerId::new("1"), ContainerId::new("2")]);
        assert_eq!(request.path, "");
        assert_eq!(request.param_value("ids"), Some("1,2"));
        assert_eq!(request.param_value("fields"), Some("id,status_code,status"));
    }
}
