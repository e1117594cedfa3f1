//! `igpub serve`: the HTTP API (and, unless told otherwise, the publishing worker) until
//! Ctrl-C or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::GlobalArgs;
use crate::background::{Background, BackgroundOptions};
use crate::config::Settings;
use crate::http::{AppState, Application};
use crate::startup;

/// Flags of `igpub serve`.
#[derive(Debug, Args)]
#[command(
    about = "Run the HTTP API and the publishing worker until Ctrl-C or SIGTERM",
    long_about = "Open the database (migrating it), then serve the /v1 API, the Facebook Login \
                  callback and the health routes on `listen`, with the publishing worker in the \
                  same process unless --no-worker is given. Ctrl-C or SIGTERM stops accepting \
                  requests and lets in-flight work finish."
)]
pub struct ServeArgs {
    /// Listen here instead of the `listen` setting (IGPUB_LISTEN).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Do not run the publishing worker in this process (workers run elsewhere).
    #[arg(long)]
    pub no_worker: bool,
}

/// Runs `igpub serve`.
pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(global.log_format);
    let mut settings = global.settings()?;
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    let options = BackgroundOptions {
        worker: !args.no_worker,
    };
    serve(Arc::new(settings), options, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Serves until `shutdown` completes, then stops the background services and closes the
/// database. Every start-up failure names the setting to fix.
pub async fn serve(
    settings: Arc<Settings>,
    options: BackgroundOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    warn_about_missing_meta_app(&settings);
    let store = startup::open_store(&settings).await?;
    let graph = startup::graph_client(&settings)?;
    let state = AppState::build(Arc::clone(&store), Arc::clone(&settings), graph).await?;
    let application = Application::build(settings.listen, state.clone())
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (listen / IGPUB_LISTEN)",
                settings.listen
            )
        })?;
    let address = application.local_addr()?;
    tracing::info!(%address, worker = options.worker, "igpub is serving");
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    Background::start_with(&state, options, &mut tasks, stopped)?;
    let served = application
        .run_until(async move {
            shutdown.await;
            tracing::info!("stopping: finishing in-flight requests and work");
            let _ = stop.send(true);
        })
        .await;
    while tasks.join_next().await.is_some() {}
    store.close().await;
    served.context("the HTTP server failed")
}

/// Connecting accounts needs the Meta app; say so at start rather than at the first connect.
fn warn_about_missing_meta_app(settings: &Settings) {
    if settings.meta.app_id.trim().is_empty() {
        tracing::warn!(
            "meta.app_id (IGPUB_META__APP_ID) is not set: connecting Instagram accounts will fail \
             until it is (tenants with their own Meta app are not affected)"
        );
    }
    if settings.meta.app_secret.is_none() {
        tracing::warn!(
            "meta.app_secret (IGPUB_META__APP_SECRET) is not set: login codes cannot be exchanged"
        );
    }
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
