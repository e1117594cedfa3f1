//! The worker processes of a chaos run: `igpub worker` children that the run kills, replaces,
//! and watches for exits of their own.

use std::fs::File;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};

/// Errors, and the worker loop's warnings about store failures it rides out, for when the
/// worker command installs a log subscriber.
const WORKER_LOG_FILTER: &str = "error,igpub::publish::worker=warn";

/// What every worker process is started with.
#[derive(Debug, Clone)]
pub struct WorkerEnvironment {
    /// The igpub binary.
    pub exe: PathBuf,
    /// `IGPUB_DATABASE_URL`.
    pub database_url: String,
    /// `IGPUB_SECRET_KEYS`.
    pub secret_keys: String,
    /// `IGPUB_META__GRAPH_URL`: the simulator.
    pub graph_url: String,
    /// `IGPUB_WORKER__LEASE_SECONDS`.
    pub lease_seconds: u64,
    /// Where each worker process writes its standard error (one file per process), so a
    /// worker that exits by itself can say why.
    pub log_dir: PathBuf,
}

impl WorkerEnvironment {
    fn spawn(&self, number: usize) -> anyhow::Result<Child> {
        let log = File::create(self.log_dir.join(format!("worker-{number}.log")))?;
        Ok(Command::new(&self.exe)
            .args(["worker", "--no-preflight"])
            // Secrets go through the environment, never argv (visible in `ps`).
            .env("IGPUB_DATABASE_URL", &self.database_url)
            .env("IGPUB_SECRET_KEYS", &self.secret_keys)
            .env("IGPUB_META__GRAPH_URL", &self.graph_url)
            .env(
                "IGPUB_WORKER__LEASE_SECONDS",
                self.lease_seconds.to_string(),
            )
            .env("RUST_LOG", WORKER_LOG_FILTER)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?)
    }
}

/// A fixed number of running worker processes.
#[derive(Debug)]
pub struct WorkerPool {
    environment: WorkerEnvironment,
    /// Each running worker with its number (which names its log file).
    children: Vec<(usize, Child)>,
    spawned: usize,
}

/// A worker process that ended without being killed.
#[derive(Debug)]
pub struct WorkerExit {
    /// How it ended.
    pub status: ExitStatus,
    /// The last line it wrote to standard error, if any.
    pub last_words: Option<String>,
}

impl WorkerPool {
    /// Starts `count` workers.
    pub fn start(environment: WorkerEnvironment, count: usize) -> anyhow::Result<Self> {
        let children = (0..count)
            .map(|number| Ok((number, environment.spawn(number)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            environment,
            children,
            spawned: count,
        })
    }

    fn spawn(&mut self) -> anyhow::Result<(usize, Child)> {
        let number = self.spawned;
        let child = self.environment.spawn(number)?;
        self.spawned += 1;
        Ok((number, child))
    }

    fn last_words(&self, number: usize) -> Option<String> {
        let log = std::fs::read_to_string(
            self.environment
                .log_dir
                .join(format!("worker-{number}.log")),
        )
        .ok()?;
        log.lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map(str::to_owned)
    }

    /// SIGKILLs worker `index` (no graceful shutdown, leases left behind, like a crashed
    /// machine) and starts a new one in its place.
    pub async fn kill_and_replace(&mut self, index: usize) -> anyhow::Result<()> {
        if let Some((_, child)) = self.children.get_mut(index) {
            let _ = child.kill().await;
        }
        let replacement = self.spawn()?;
        if let Some(slot) = self.children.get_mut(index) {
            *slot = replacement;
        }
        Ok(())
    }

    /// How many workers are running.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Replaces every worker that exited by itself; returns how each of them ended.
    pub fn replace_exited(&mut self) -> anyhow::Result<Vec<WorkerExit>> {
        let mut exited = Vec::new();
        for index in 0..self.children.len() {
            let ended = self.children.get_mut(index).and_then(|(number, child)| {
                child
                    .try_wait()
                    .ok()
                    .flatten()
                    .map(|status| (*number, status))
            });
            if let Some((number, status)) = ended {
                exited.push(WorkerExit {
                    status,
                    last_words: self.last_words(number),
                });
                let replacement = self.spawn()?;
                if let Some(slot) = self.children.get_mut(index) {
                    *slot = replacement;
                }
            }
        }
        Ok(exited)
    }

    /// Stops every worker: SIGTERM, then a wait; SIGKILL if one does not stop.
    pub async fn stop(mut self) {
        for (_, child) in &mut self.children {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .await;
            }
            if tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_exits_by_itself_is_replaced_and_says_why() {
        let log_dir = std::env::temp_dir().join(format!(
            "igpub-chaos-test-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&log_dir).expect("log dir");
        // `sh worker --no-preflight` exits at once: there is no script named `worker`.
        let environment = WorkerEnvironment {
            exe: PathBuf::from("sh"),
            database_url: "sqlite://unused.db".to_owned(),
            secret_keys: String::new(),
            graph_url: "http://127.0.0.1:9/".to_owned(),
            lease_seconds: 5,
            log_dir: log_dir.clone(),
        };
        let mut pool = WorkerPool::start(environment, 1).expect("starts");
        let mut exits = Vec::new();
        for _ in 0..500 {
            exits = pool.replace_exited().expect("replaces");
            if !exits.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let exit = exits.first().expect("the worker exited");
        assert!(!exit.status.success());
        let words = exit.last_words.as_deref().unwrap_or_default();
        assert!(words.contains("worker"), "{words}");
        assert_eq!(pool.len(), 1, "replaced");
        pool.stop().await;
        let _ = std::fs::remove_dir_all(log_dir);
    }
}
