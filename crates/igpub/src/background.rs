//! The services a server process runs beside HTTP: the publishing worker (unless asked not
//! to), the outbound webhook dispatcher, the insights scheduler and the media garbage
//! collector (every `media.gc_interval_seconds`; 0 turns it off). `igpub serve` and
//! `igpub demo` start them here, so both run the same product.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::Settings;
use crate::http::AppState;
use crate::insights::InsightsContext;
use crate::media::preflight::{Preflight, PreflightConfig};
use crate::media::ssrf::{AddressPolicy, SystemResolver};
use crate::publish::{Posts, Worker, WorkerConfig, WorkerError};
use crate::webhooks_out::{Dispatcher, DispatcherConfig, Sender};

/// Why a background service did not start.
#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    /// The publishing worker could not be built.
    #[error("publishing worker: {0}")]
    Worker(#[from] WorkerError),
}

/// Which services to run.
#[derive(Debug, Clone, Copy)]
pub struct BackgroundOptions {
    /// Run the publishing worker in this process (`igpub serve --no-worker` turns it off when
    /// workers run elsewhere).
    pub worker: bool,
}

impl Default for BackgroundOptions {
    fn default() -> Self {
        Self { worker: true }
    }
}

/// Starts the background services.
#[derive(Debug)]
pub struct Background;

impl Background {
    /// Spawns every service into `tasks`; each stops when `stopped` turns true, finishing what
    /// it has in hand.
    pub fn start(
        state: &AppState,
        tasks: &mut JoinSet<()>,
        stopped: watch::Receiver<bool>,
    ) -> Result<(), BackgroundError> {
        Self::start_with(state, BackgroundOptions::default(), tasks, stopped)
    }

    /// [`Background::start`] with a choice of services.
    pub fn start_with(
        state: &AppState,
        options: BackgroundOptions,
        tasks: &mut JoinSet<()>,
        stopped: watch::Receiver<bool>,
    ) -> Result<(), BackgroundError> {
        if options.worker {
            let worker = Worker::new(
                Arc::clone(&state.store),
                crate::startup::graph_client_builder(&state.settings),
                worker_config(&state.settings),
            )?;
            state.metrics.attach_worker(worker.metrics());
            let stop = until_stopped(stopped.clone());
            tasks.spawn(async move {
                if let Err(error) = worker.run_until(stop).await {
                    tracing::error!(%error, "the publishing worker stopped");
                }
            });
        }
        let dispatcher = dispatcher(state, DispatcherConfig::default());
        tasks.spawn(dispatcher.run_until(until_stopped(stopped.clone())));
        // Each pull is claimed in the store first, so every process may run the scheduler.
        let insights = InsightsContext::from_settings(
            Arc::clone(&state.store),
            state.graph.clone(),
            &state.settings,
        );
        tasks.spawn(crate::insights::schedule::run(
            insights,
            until_stopped(stopped.clone()),
        ));
        // Several processes may collect at once: deleting what another deleted is no error.
        let gc_interval = state.settings.media.gc_interval_seconds;
        if gc_interval > 0 {
            tasks.spawn(crate::media::retention::run_periodically(
                Arc::clone(&state.store),
                Arc::clone(&state.media),
                Duration::from_secs(gc_interval),
                until_stopped(stopped),
            ));
        }
        Ok(())
    }
}

/// The worker's configuration from `worker.*` and `media.*`, with the media pre-flight on.
pub fn worker_config(settings: &Settings) -> WorkerConfig {
    WorkerConfig {
        concurrency: settings.worker.concurrency.max(1),
        lease_for: Duration::from_secs(settings.worker.lease_seconds.max(1)),
        preflight: Some(preflight(settings)),
        ..WorkerConfig::default()
    }
}

/// The media pre-flight as `media.allow_private_hosts` says.
pub fn preflight(settings: &Settings) -> Preflight {
    Preflight::new(
        PreflightConfig {
            allow_private_hosts: settings.media.allow_private_hosts,
            ..PreflightConfig::default()
        },
        Arc::new(SystemResolver),
    )
}

/// The posts service for the state's store, with the media pre-flight.
pub fn posts_service(state: &AppState) -> Posts {
    Posts::new(Arc::clone(&state.store)).with_preflight(preflight(&state.settings))
}

/// The outbound webhook dispatcher for the state's store and metrics; it may deliver to
/// private hosts only when `media.allow_private_hosts` allows private media (the demo, tests).
pub fn dispatcher(state: &AppState, config: DispatcherConfig) -> Dispatcher {
    let sender = Sender::new(
        AddressPolicy {
            allow_private_hosts: state.settings.media.allow_private_hosts,
            trusted_networks: Vec::new(),
        },
        Arc::new(SystemResolver),
        config.timeout,
    );
    Dispatcher::new(
        Arc::clone(&state.store),
        sender,
        Arc::clone(&state.metrics),
        config,
    )
}

/// Resolves once `stopped` turns true (or its sender is gone).
pub async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
