//! The worker loop: lease due posts in batches, work each in its own task, renew the leases by
//! heartbeat, sleep until the next due post or a wake-up (NOTIFY on PostgreSQL, in-process on
//! SQLite), and on shutdown let in-flight steps finish, then give the leases back.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use igpub_graph::{AccessToken, GraphClient, GraphClientBuilder, GraphError};
use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::backoff::RetryPolicy;
use super::graph_batches::GraphBatches;
use super::metrics::{WorkerMetrics, bump};
use super::pauses::{PauseBook, UsagePolicy};
use super::poller::ContainerPoller;
use super::processing_times::{PollSchedule, ProcessingTimes};
use super::quota::{PublishLog, QuotaGate, QuotaSettings};
use super::step_writer::StepWriter;
use super::steps::Worked;
use crate::media::preflight::Preflight;
use crate::store::{
    Backend, IntegrationId, Pause, Post, SharedStore, StoreError, TenantId, local_wakeup,
};

/// How a worker runs. `Default` suits production; tests shorten the times.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This worker's name in leases (unique per process).
    pub owner: String,
    /// Posts worked on at once.
    pub concurrency: usize,
    /// How long a lease lasts without a heartbeat.
    pub lease_for: Duration,
    /// Longest sleep without looking at the queue (SQLite has no cross-process wake-up).
    pub idle_recheck: Duration,
    /// Transient failures.
    pub retry: RetryPolicy,
    /// New containers after ERROR or EXPIRED, at most this many times.
    pub max_container_rounds: u32,
    /// When containers are read: first at the learned processing time, then at a share of
    /// the time spent so far.
    pub poll: PollSchedule,
    /// Send the container creations and publishes of posts that arrive together in shared
    /// batch requests, and read the permalink in the publish's own batch (graph-api.md §9.1).
    /// Off only for the seed-style baseline, which makes every call a request of its own.
    pub batch_calls: bool,
    /// Give up on a container still processing after this long (new containers are made).
    pub processing_deadline: Duration,
    /// The quota gate.
    pub quota: QuotaSettings,
    /// Usage-header pauses.
    pub usage: UsagePolicy,
    /// How far before the publish attempt reconciliation looks for the media.
    pub reconcile_window: Duration,
    /// Tries of the permalink read and the first comment.
    pub follow_up_attempts: u32,
    /// Re-checks media just before creating containers, when set.
    pub preflight: Option<Preflight>,
    /// Fault injection for crash tests: at its Nth save this worker dies (saves nothing from
    /// then on and keeps its leases, like a killed process). `None` in production.
    #[doc(hidden)]
    pub crash_at_save: Option<u32>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            owner: format!("worker-{}", uuid::Uuid::now_v7().simple()),
            concurrency: 64,
            lease_for: Duration::from_secs(60),
            idle_recheck: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            max_container_rounds: 3,
            poll: PollSchedule {
                // Images are usually ready at once, videos take seconds to minutes (§10).
                first_image: Duration::from_millis(1500),
                first_video: Duration::from_secs(15),
                follow_up_share: 0.1,
                min_interval: Duration::from_millis(100),
                max_interval: Duration::from_secs(60),
                learn: true,
            },
            batch_calls: true,
            processing_deadline: Duration::from_secs(20 * 60),
            quota: QuotaSettings::default(),
            usage: UsagePolicy::default(),
            reconcile_window: Duration::from_secs(10 * 60),
            follow_up_attempts: 5,
            preflight: None,
            crash_at_save: None,
        }
    }
}

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The Graph client could not be built.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The store failed in a way the loop cannot ride out.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What every task of a worker shares.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) store: SharedStore,
    pub(crate) graph: GraphClient,
    pub(crate) config: WorkerConfig,
    pub(crate) poller: ContainerPoller,
    /// Container creations and publishes, sharing batch requests in a burst.
    pub(crate) graph_calls: GraphBatches,
    pub(crate) quota: QuotaGate,
    /// Our publish log, as the quota gate reads it.
    pub(crate) publish_log: PublishLog,
    pub(crate) pauses: Arc<PauseBook>,
    pub(crate) processing: ProcessingTimes,
    pub(crate) metrics: Arc<WorkerMetrics>,
    /// Saves steps, batching those that arrive together.
    pub(crate) steps: StepWriter,
    tokens: Mutex<HashMap<IntegrationId, AccessToken>>,
    pub(crate) stopping: AtomicBool,
    saves: AtomicU32,
}

impl Core {
    /// The account's token, cached.
    pub(crate) async fn token(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<AccessToken, StoreError> {
        if let Some(token) = self.tokens.lock().get(&integration) {
            return Ok(token.clone());
        }
        let token = AccessToken::from(self.store.integration_token(tenant, integration).await?);
        self.tokens.lock().insert(integration, token.clone());
        Ok(token)
    }

    /// Forgets a token Meta refused (a reconnect stores a new one).
    pub(crate) fn forget_token(&self, integration: IntegrationId) {
        self.tokens.lock().remove(&integration);
    }

    /// Whether the crash hook fires at this save (and every later one: the process is dead).
    pub(crate) fn crash_due(&self) -> bool {
        let Some(at) = self.config.crash_at_save else {
            return false;
        };
        let count = self.saves.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        count >= at
    }

    /// Whether the crash hook has fired.
    pub(crate) fn is_dead(&self) -> bool {
        self.config
            .crash_at_save
            .is_some_and(|at| self.saves.load(Ordering::SeqCst) >= at)
    }

    /// The store's now plus `wait`.
    pub(crate) fn after(&self, wait: Duration) -> Timestamp {
        let now = self.store.now();
        now.checked_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::ZERO))
            .unwrap_or(now)
    }

    /// Works a leased post, then makes sure it did not stop while still leased to this worker.
    ///
    /// Every step that ends normally gives the lease back (parks) or loses it, so a post that
    /// is still ours when `work` returns [`Worked::Unsettled`] is one whose step could not be
    /// saved: the database restarted or a connection broke. The heartbeat renews every lease
    /// this worker holds, so left alone that post would stay leased, and unworked, for as long
    /// as the process lives.
    /// Instead the worker backs off, reads the post again and works it from its last saved
    /// state, as a takeover after a crash would, until the lease is given back or taken over,
    /// or the worker stops.
    pub(crate) async fn work_until_released(&self, post: Post) {
        let (tenant, id) = (post.tenant_id, post.id);
        // Most posts end with a step that gave the lease back: no need to read them again
        // (a read per post was a twentieth of a worker's CPU in a burst).
        if self.work(post).await == Worked::Released {
            return;
        }
        let mut failures = 0u32;
        loop {
            if self.stopping.load(Ordering::SeqCst) || self.is_dead() {
                return;
            }
            match self.store.get_post(tenant, id).await {
                Ok(saved) if saved.lease_owner.as_deref() == Some(self.config.owner.as_str()) => {
                    tracing::warn!(post_id = %id, failures, "a step could not be saved; working the post again from its saved state");
                    tokio::time::sleep(self.store_retry_delay(failures)).await;
                    failures = failures.saturating_add(1);
                    if self.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    // Read again after the wait: a person may have changed the post meanwhile.
                    match self.store.get_post(tenant, id).await {
                        Ok(saved)
                            if saved.lease_owner.as_deref() == Some(self.config.owner.as_str()) =>
                        {
                            if self.work(saved).await == Worked::Released {
                                return;
                            }
                        }
                        Ok(_) => return,
                        Err(error) => tracing::warn!(post_id = %id, %error, "cannot read the post"),
                    }
                }
                // Parked, finished, or taken over by another worker: nothing left to do here.
                Ok(_) | Err(StoreError::NotFound { .. }) => return,
                Err(error) => {
                    tracing::warn!(post_id = %id, %error, "cannot read the post; retrying");
                    tokio::time::sleep(self.store_retry_delay(failures)).await;
                    failures = failures.saturating_add(1);
                }
            }
        }
    }

    /// The wait after `failures` store failures on one post: the retry policy's backoff, but
    /// never long, since the database is usually back within seconds of a restart.
    fn store_retry_delay(&self, failures: u32) -> Duration {
        self.config
            .retry
            .delay(failures, Duration::ZERO)
            .min(STORE_RETRY_CAP)
    }
}

/// The longest wait before a post whose step could not be saved is worked again.
const STORE_RETRY_CAP: Duration = Duration::from_secs(10);

/// A publishing worker. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Worker {
    core: Arc<Core>,
    done: Arc<Notify>,
}

impl Worker {
    /// A worker on `store`, calling Meta through a client built from `graph` (the worker adds its
    /// usage observer, which turns usage headers into pauses).
    pub fn new(
        store: SharedStore,
        graph: GraphClientBuilder,
        config: WorkerConfig,
    ) -> Result<Self, WorkerError> {
        let (to_store, mut stored) = mpsc::unbounded_channel::<Pause>();
        let pauses = PauseBook::new(to_store);
        let graph = graph
            .on_usage(pauses.observer(config.usage.clone(), Arc::clone(&store)))
            .build()?;
        let persist = Arc::clone(&store);
        tokio::spawn(async move {
            while let Some(pause) = stored.recv().await {
                if let Err(error) = persist.set_pause(&pause).await {
                    tracing::warn!(%error, scope = %pause.scope, "cannot store a pause");
                }
            }
        });
        let core = Core {
            poller: ContainerPoller::spawn(graph.clone()),
            graph_calls: if config.batch_calls {
                GraphBatches::spawn(graph.clone())
            } else {
                GraphBatches::unbatched(graph.clone())
            },
            quota: QuotaGate::new(config.quota.clone()),
            publish_log: PublishLog::spawn(Arc::clone(&store)),
            processing: ProcessingTimes::new(&config.poll),
            metrics: Arc::default(),
            steps: StepWriter::spawn(Arc::clone(&store), config.owner.clone()),
            tokens: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            saves: AtomicU32::new(0),
            pauses,
            store,
            graph,
            config,
        };
        Ok(Self {
            core: Arc::new(core),
            done: Arc::new(Notify::new()),
        })
    }

    /// The worker's counters.
    pub fn metrics(&self) -> Arc<WorkerMetrics> {
        Arc::clone(&self.core.metrics)
    }

    /// The name this worker leases under.
    pub fn owner(&self) -> &str {
        &self.core.config.owner
    }

    /// Leases what is due now and works every leased post until it parks or ends, then
    /// returns how many posts were leased. The test hook `run_due_posts_now()`; posts that
    /// become due meanwhile (a follow-up, a short backoff) are taken too, until none is due.
    pub async fn run_due_now(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            self.refresh_shared_state().await;
            let posts = self
                .core
                .store
                .lease_due(
                    &self.core.config.owner,
                    u32::try_from(self.core.config.concurrency).unwrap_or(u32::MAX),
                    self.core.config.lease_for,
                )
                .await?;
            if posts.is_empty() {
                return Ok(total);
            }
            total += posts.len();
            let mut tasks = JoinSet::new();
            for post in posts {
                bump(&self.core.metrics.leased);
                let core = Arc::clone(&self.core);
                tasks.spawn(async move { core.work(post).await });
            }
            while tasks.join_next().await.is_some() {}
        }
    }

    async fn refresh_shared_state(&self) {
        self.core.processing.sync_with(&self.core.store).await;
        match self.core.store.active_pauses().await {
            Ok(pauses) => self.core.pauses.refresh(pauses),
            Err(error) => tracing::warn!(%error, "cannot read pauses"),
        }
        match self.core.store.resume_held_posts(None).await {
            Ok(0) => {}
            Ok(resumed) => tracing::info!(resumed, "held posts resumed after reconnect"),
            Err(error) => tracing::warn!(%error, "cannot resume held posts"),
        }
    }

    /// Runs until `shutdown` completes; then lets in-flight steps finish and releases leases.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), WorkerError> {
        let core = Arc::clone(&self.core);
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&core)));
        let listener = tokio::spawn(listen(Arc::clone(&core)));
        let permits = Arc::new(Semaphore::new(core.config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut last_refresh: Option<tokio::time::Instant> = None;
        tokio::pin!(shutdown);
        let result = loop {
            if last_refresh.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                self.refresh_shared_state().await;
                last_refresh = Some(tokio::time::Instant::now());
            }
            let free = permits.available_permits();
            if free == 0 {
                // Every slot is busy: nothing can be leased until a post is done, and asking
                // the database when the next post is due would only spin.
                tokio::select! {
                    () = &mut shutdown => break Ok(()),
                    () = self.done.notified() => continue,
                }
            }
            let leased = match core
                .store
                .lease_due(
                    &core.config.owner,
                    u32::try_from(free.min(200)).unwrap_or(200),
                    core.config.lease_for,
                )
                .await
            {
                Ok(posts) => {
                    let leased = posts.len();
                    for post in posts {
                        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                            break;
                        };
                        bump(&core.metrics.leased);
                        let core = Arc::clone(&core);
                        let done = Arc::clone(&self.done);
                        tasks.spawn(async move {
                            core.work_until_released(post).await;
                            drop(permit);
                            done.notify_one();
                        });
                    }
                    leased
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot lease posts; retrying");
                    0
                }
            };
            while tasks.try_join_next().is_some() {}
            if leased > 0 && leased == free {
                // More may be due: look again as soon as a slot is free.
                tokio::select! {
                    () = &mut shutdown => break Ok(()),
                    () = self.done.notified() => continue,
                }
            }
            // Every due post is leased: sleep until the next one falls due (or a lease
            // expires), a post is added or changed, a post of ours is done (it may have been
            // parked for a moment), or at most `idle_recheck`.
            let wait = self.idle_wait().await;
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                () = tokio::time::sleep(wait) => {}
                () = local_wakeup().notified() => {}
                () = self.done.notified() => {}
            }
        };
        core.stopping.store(true, Ordering::SeqCst);
        tracing::info!(
            in_flight = tasks.len(),
            "worker stopping; letting steps finish"
        );
        while tasks.join_next().await.is_some() {}
        heartbeat.abort();
        listener.abort();
        // What was learned since the last refresh, for the worker that comes next.
        core.processing.sync_with(&core.store).await;
        match core.store.release_leases(&core.config.owner).await {
            Ok(released) => tracing::info!(released, "leases released"),
            Err(error) => tracing::warn!(%error, "cannot release leases; they will expire"),
        }
        result
    }

    async fn idle_wait(&self) -> Duration {
        let cap = self.core.config.idle_recheck;
        match self.core.store.next_due_at().await {
            Ok(Some(due)) => {
                let now = self.core.store.now();
                let until = due.duration_since(now);
                Duration::try_from(until).unwrap_or(Duration::ZERO).min(cap)
            }
            Ok(None) => cap,
            Err(error) => {
                tracing::warn!(%error, "cannot read the next due time");
                cap
            }
        }
    }
}

async fn heartbeat(core: Arc<Core>) {
    let every = core.config.lease_for / 3;
    loop {
        tokio::time::sleep(every.max(Duration::from_millis(10))).await;
        if let Err(error) = core
            .store
            .renew_leases(&core.config.owner, core.config.lease_for)
            .await
        {
            tracing::warn!(%error, "lease heartbeat failed");
        }
    }
}

/// On PostgreSQL, turns NOTIFYs from other processes into in-process wake-ups.
async fn listen(core: Arc<Core>) {
    if core.store.backend() != Backend::Postgres {
        return;
    }
    loop {
        if let Err(error) = core.store.forward_wakeups().await {
            tracing::warn!(%error, "LISTEN failed; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
