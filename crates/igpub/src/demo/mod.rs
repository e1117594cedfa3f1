//! `igpub demo`: the whole product on one machine with no set-up.
//!
//! [`Demo::start`] starts the Graph API simulator in-process (a demo Facebook user with two
//! Pages linked to Instagram accounts, one Page without, and years of insights history), opens
//! SQLite in the demo's data directory ([`DemoDir`]) with a generated vault key, starts the
//! HTTP server (API, docs, dashboard, media) and the background services, creates (or reuses)
//! the demo tenant with a new API key, connects the accounts through the real Facebook Login
//! flow, hosts sample media in the built-in store and schedules example posts.
//! [`Demo::shutdown`] stops everything in order.
//!
//! ```no_run
//! # async fn run() -> Result<(), igpub::demo::DemoError> {
//! use igpub::demo::{Demo, DemoOptions};
//!
//! let demo = Demo::start(DemoOptions::default()).await?;
//! println!("{}", demo.welcome());
//! tokio::signal::ctrl_c().await.ok();
//! demo.shutdown().await;
//! # Ok(()) }
//! ```

mod accounts;
mod data_dir;
mod examples;
pub mod samples;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use igpub_sim::{Sim, SimConfig, SimError, SimHandle};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;
use tokio::task::JoinSet;
use url::Url;

pub use data_dir::{DemoDir, DemoState};

use crate::background::{Background, BackgroundError, until_stopped};
use crate::config::{MediaSettings, MetaSettings, Settings};
use crate::connect::{ConnectError, Connector};
use crate::http::{AppState, Application};
use crate::publish::PostsError;
use crate::publish::service::PostView;
use crate::startup::{self, StartupError};
use crate::store::{Integration, SharedStore, StoreError, TenantId};

/// The data directory used when none is given: in the working directory, gitignored.
pub const DEFAULT_DATA_DIR: &str = ".igpub-demo";
/// The port the demo tries first; any free port is used when it is taken.
pub const PREFERRED_PORT: u16 = 8080;
/// The label of the API keys the demo issues (older ones are revoked on each start).
const API_KEY_LABEL: &str = "igpub demo";

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the database, the key file and hosted media live.
    pub data_dir: PathBuf,
    /// Delete a previous demo's data first.
    pub fresh: bool,
    /// The port to try first for the server; 0 picks any free port.
    pub port: u16,
    /// How long the simulator keeps an image container `IN_PROGRESS`.
    pub image_processing: Duration,
    /// How long the simulator keeps a video container `IN_PROGRESS`.
    pub video_processing: Duration,
    /// When the example carousel is due, from start.
    pub carousel_after: Duration,
    /// When the example reel is due, from start.
    pub reel_after: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            fresh: false,
            port: PREFERRED_PORT,
            // Realistic, yet short enough to watch: a post goes live within seconds.
            image_processing: Duration::from_secs(2),
            video_processing: Duration::from_secs(6),
            carousel_after: Duration::from_secs(60),
            reel_after: Duration::from_secs(120),
        }
    }
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The data directory could not be used.
    #[error("demo data directory {path}: cannot {action}: {source}")]
    DataDir {
        /// The path.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// `--fresh` was asked on a directory the demo did not make.
    #[error(
        "{path} holds files that are not the demo's (no demo.json); refusing to delete it with --fresh; pick another --data-dir"
    )]
    NotADemoDir {
        /// The path.
        path: PathBuf,
    },
    /// `demo.json` is unreadable.
    #[error("{path}: {reason} (delete it, or run `igpub demo --fresh`)")]
    CorruptState {
        /// The path.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
    /// The simulator did not start.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
    /// The service's parts did not start.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The HTTP server could not listen.
    #[error("server: cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Pressing "Allow" on the simulator's login dialog failed.
    #[error("connecting the demo accounts: {0}")]
    Login(String),
    /// The connect flow refused.
    #[error("connecting the demo accounts: {0}")]
    Connect(#[from] ConnectError),
    /// The sample media could not be made or hosted.
    #[error("sample media: {0}")]
    Samples(String),
    /// An example post was refused.
    #[error("scheduling the example posts: {0}")]
    Posts(#[from] PostsError),
    /// A background service did not start.
    #[error(transparent)]
    Background(#[from] BackgroundError),
}

/// A running demo.
#[derive(Debug)]
pub struct Demo {
    /// The server's base URL (dashboard at `/`, API at `/v1`, docs at `/docs`).
    pub base_url: Url,
    /// The demo tenant.
    pub tenant: TenantId,
    /// The connected demo accounts.
    pub accounts: Vec<Integration>,
    /// The example posts scheduled by this run.
    pub scheduled: Vec<PostView>,
    /// The data directory.
    pub data_dir: DemoDir,
    /// The database.
    pub store: SharedStore,
    /// The in-process simulator standing in for Meta.
    pub sim: SimHandle,
    api_key: SecretString,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Demo {
    /// Starts everything and schedules the example posts; returns once they are stored.
    pub async fn start(options: DemoOptions) -> Result<Self, DemoError> {
        let data_dir = DemoDir::prepare(&options.data_dir, options.fresh).await?;
        let key_file = data_dir.secret_key_file().await?;
        let sim = Sim::start(SimConfig {
            // graph-api.md §3.1: one user, two Pages with Instagram accounts, one without.
            accounts: 2,
            image_processing: options.image_processing,
            video_processing: options.video_processing,
            processing_jitter: 0.2,
            ..SimConfig::default()
        })
        .await?;
        let listen = free_address(options.port)?;
        let settings = Arc::new(demo_settings(&data_dir, key_file, listen, &sim)?);
        let store = startup::open_store(&settings).await?;
        let (tenant, api_key) = demo_tenant(&data_dir, &store).await?;
        let graph = startup::graph_client(&settings)?;
        let state =
            AppState::build(Arc::clone(&store), Arc::clone(&settings), graph.clone()).await?;
        let application = Application::build(listen, state.clone())
            .await
            .map_err(|source| DemoError::Listen {
                addr: listen,
                source,
            })?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let server_stop = until_stopped(stopped.clone());
        tasks.spawn(async move {
            if let Err(error) = application.run_until(server_stop).await {
                tracing::error!(%error, "demo: the server stopped");
            }
        });
        Background::start(&state, &mut tasks, stopped)?;

        let connector = Connector::new(Arc::clone(&store), Arc::clone(&settings), graph);
        let accounts = accounts::connect_all(&connector, tenant).await?;
        let now = store.now();
        let samples = examples::host_samples(state.media.as_ref(), now).await?;
        let posts = examples::example_posts(
            &samples,
            &accounts,
            now,
            options.carousel_after,
            options.reel_after,
        );
        let scheduled =
            examples::schedule(&crate::background::posts_service(&state), tenant, posts).await?;
        Ok(Self {
            base_url: Url::parse(&settings.public_base_url)
                .map_err(|error| DemoError::Samples(format!("public base URL: {error}")))?,
            tenant,
            accounts,
            scheduled,
            data_dir,
            store,
            sim,
            api_key,
            stop,
            tasks,
        })
    }

    /// The tenant's API key issued by this run (the only copy: it is never stored).
    pub fn api_key(&self) -> &SecretString {
        &self.api_key
    }

    /// What `igpub demo` prints: where to look, the API key and a curl example.
    pub fn welcome(&self) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        let key = self.api_key.expose_secret();
        let usernames: Vec<String> = self
            .accounts
            .iter()
            .map(|account| format!("@{}", account.metadata.ig_username))
            .collect();
        let integration = self
            .accounts
            .first()
            .map_or_else(String::new, |account| account.id.to_string());
        let sample = self
            .scheduled
            .first()
            .and_then(|post| post.post.media.first())
            .map_or_else(String::new, |media| media.url.clone());
        format!(
            "\
igpub demo is running (the simulator stands in for Meta; nothing leaves this machine).

  Dashboard  {base}/            sign in with the API key below
  API docs   {base}/docs
  API key    {key}
  Accounts   {accounts}, connected through the simulator's Facebook Login
  Data       {dir} (SQLite; `igpub demo --fresh` starts over)

Scheduled now: an image (due now), a carousel (in 1 min) and a reel (in 2 min).
Watch them go live:

  curl -s {base}/v1/posts -H 'Authorization: Bearer {key}'

Create a post of your own:

  curl -s {base}/v1/posts \\
    -H 'Authorization: Bearer {key}' \\
    -H 'Content-Type: application/json' \\
    -H \"Idempotency-Key: $(date +%s)\" \\
    -d '{{\"integration_id\": \"{integration}\", \"kind\": \"image\", \"caption\": \"Hello from curl #igpubdemo\", \"media\": [{{\"url\": \"{sample}\"}}]}}'

Media is served from 127.0.0.1 with media.allow_private_hosts = true: right for the demo,
never for production (Meta cannot fetch private addresses).
Press Ctrl-C to stop.",
            accounts = usernames.join(" and "),
            dir = self.data_dir.root().display(),
        )
    }

    /// Stops the server, the worker and the other services (letting in-flight work finish),
    /// then the simulator, then closes the database.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        self.sim.shutdown().await;
        self.store.close().await;
    }
}

/// The preferred loopback port if it is free, else any free one.
fn free_address(preferred: u16) -> Result<SocketAddr, DemoError> {
    let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, preferred));
    let probe = std::net::TcpListener::bind(wanted)
        .or_else(|_| std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))
        .map_err(|source| DemoError::Listen {
            addr: wanted,
            source,
        })?;
    probe.local_addr().map_err(|source| DemoError::Listen {
        addr: wanted,
        source,
    })
}

fn demo_settings(
    data_dir: &DemoDir,
    key_file: PathBuf,
    listen: SocketAddr,
    sim: &SimHandle,
) -> Result<Settings, DemoError> {
    let app = sim
        .accounts()
        .into_iter()
        .next()
        .ok_or_else(|| DemoError::Login("the simulator seeded no account".to_owned()))?;
    let sim_url = sim.base_url().as_str().trim_end_matches('/').to_owned();
    Ok(Settings {
        database_url: data_dir.database_url(),
        secret_keys: None,
        secret_key_file: Some(key_file),
        listen,
        public_base_url: format!("http://{listen}"),
        meta: MetaSettings {
            app_id: app.app_id,
            app_secret: Some(app.app_secret),
            redirect_url: None,
            graph_url: sim_url.clone(),
            dialog_url: sim_url,
            ..MetaSettings::default()
        },
        media: MediaSettings {
            data_dir: data_dir.media_dir(),
            // The simulator's crawler fetches media from this machine.
            allow_private_hosts: true,
            auto_fix: false,
            ..MediaSettings::default()
        },
        ..Settings::default()
    })
}

/// The demo tenant (created on the first run) and a new API key for this run; earlier demo
/// keys are revoked so only the key just printed works.
async fn demo_tenant(
    data_dir: &DemoDir,
    store: &SharedStore,
) -> Result<(TenantId, SecretString), DemoError> {
    let mut state = data_dir.load_state().await?;
    if let Some(tenant) = state.tenant_id {
        match store.get_tenant(tenant).await {
            Ok(_) => {
                for old in store.list_api_keys(tenant).await? {
                    if old.label == API_KEY_LABEL && old.revoked_at.is_none() {
                        store.revoke_api_key(tenant, old.id).await?;
                    }
                }
                let (_, key) = store.create_api_key(tenant, API_KEY_LABEL).await?;
                return Ok((tenant, key));
            }
            // The database was deleted by hand: start a new tenant.
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let (tenant, first_key) = store.create_tenant("Demo agency").await?;
    // The first key is labelled by the store; the demo uses its own label to find it again.
    for key in store.list_api_keys(tenant.id).await? {
        store.revoke_api_key(tenant.id, key.id).await?;
    }
    drop(first_key);
    let (_, key) = store.create_api_key(tenant.id, API_KEY_LABEL).await?;
    state.tenant_id = Some(tenant.id);
    data_dir.save_state(&state).await?;
    Ok((tenant.id, key))
}
