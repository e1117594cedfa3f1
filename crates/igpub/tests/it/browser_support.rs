//! What the browser tests stand on: the whole product on loopback (server, worker and the
//! simulator with its real consent page), a chromedriver process driving Debian's headless
//! Chromium, and helpers to wait for the page and keep screenshots.
//!
//! The browser is told to resolve no host name but loopback, so a page that tried to reach the
//! internet (a CDN, an avatar on Meta's servers) would fail here rather than leak out.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use igpub::background::Background;
use igpub::config::Settings;
use igpub::http::{AppState, router};
use igpub::store::{SharedStore, Tenant};
use igpub::vault::{KeyRing, Vault};
use igpub_sim::{Sim, SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

/// Where Debian's chromium-driver package puts the driver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian's chromium package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long any one wait for the page may take before the test fails.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(60);
/// The tallest full-page screenshot taken.
const MAX_SHOT_HEIGHT: u64 = 4000;
/// How often a wait looks at the page again.
const POLL: Duration = Duration::from_millis(100);

/// A test failure with what was being done.
pub type Outcome<T> = Result<T, String>;

/// igpub with its worker, on a fresh SQLite file, pointed at a simulator that shows its consent
/// page, with one tenant.
pub struct Product {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    /// The tenant's API key.
    pub api_key: SecretString,
    /// The tenant.
    pub tenant: Tenant,
    /// The store the server and the worker share.
    pub store: SharedStore,
    /// The simulated Meta.
    pub sim: SimHandle,
    stop_worker: watch::Sender<bool>,
    tasks: JoinSet<()>,
    stop_server: Option<oneshot::Sender<()>>,
    _data: tempfile::TempDir,
}

impl Product {
    /// Starts everything on loopback ports chosen by the system.
    pub async fn start() -> Outcome<Self> {
        let data = tempfile::tempdir().map_err(|e| format!("a data directory: {e}"))?;
        let sim = Sim::start(SimConfig {
            // The person clicks Allow on the simulator's consent page, as on Facebook.
            auto_approve_login: false,
            ..SimConfig::instant()
        })
        .await
        .map_err(|e| format!("the simulator starts: {e}"))?;
        let account = sim
            .accounts()
            .into_iter()
            .next()
            .ok_or("the simulator seeds an account")?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("a loopback port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("the port: {e}"))?
            .port();
        let address = format!("http://127.0.0.1:{port}");
        let keys = KeyRing::generate_key();
        let database = data.path().join("igpub.db");
        let mut settings = Settings {
            database_url: format!("sqlite://{}", database.display()),
            secret_keys: Some(keys.clone()),
            public_base_url: address.clone(),
            ..Settings::default()
        };
        let sim_url = sim.base_url().as_str().trim_end_matches('/').to_owned();
        settings.meta.app_id = account.app_id;
        settings.meta.app_secret = Some(account.app_secret);
        settings.meta.graph_url = sim_url.clone();
        settings.meta.dialog_url = sim_url;
        settings.media.data_dir = data.path().join("media");
        // The hosted images live on loopback, which Meta could never fetch: the demo's setting.
        settings.media.allow_private_hosts = true;
        let settings = Arc::new(settings);
        let ring = KeyRing::from_setting(&keys).map_err(|e| format!("the key ring: {e}"))?;
        // The system clock: the worker must see the scheduled time arrive.
        let store = igpub::store::connect(&settings.database_url, Vault::new(ring))
            .await
            .map_err(|e| format!("the store: {e}"))?;
        let graph = igpub::startup::graph_client(&settings)
            .map_err(|e| format!("the Graph client: {e}"))?;
        let state = AppState::build(store.clone(), settings, graph)
            .await
            .map_err(|e| format!("the app state: {e}"))?;
        let (stop_worker, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        Background::start(&state, &mut tasks, stopped)
            .map_err(|e| format!("the worker starts: {e}"))?;
        let (stop_server, server_stopped) = oneshot::channel::<()>();
        let app = router(state);
        tasks.spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = server_stopped.await;
            });
            if let Err(error) = serve.await {
                eprintln!("the browser test's server failed: {error}");
            }
        });
        let (tenant, api_key) = store
            .create_tenant("Browser test agency")
            .await
            .map_err(|e| format!("a tenant: {e}"))?;
        Ok(Self {
            address,
            api_key,
            tenant,
            store,
            sim,
            stop_worker,
            tasks,
            stop_server: Some(stop_server),
            _data: data,
        })
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the server, the worker and the simulator.
    pub async fn stop(mut self) {
        let _ = self.stop_worker.send(true);
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
        while self.tasks.join_next().await.is_some() {}
        self.store.close().await;
        self.sim.shutdown().await;
    }
}

/// A chromedriver process and the browser session it drives.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium at `width`×`height`.
    pub async fn open(width: u32, height: u32) -> Outcome<Self> {
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("chromedriver starts: {e}"))?;
        let profile = tempfile::tempdir().map_err(|e| format!("a browser profile: {e}"))?;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            // Nothing but loopback resolves: the test can never reach the internet.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let client = connect(&webdriver, capabilities).await?;
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(mut self) {
        if let Err(error) = self.client.close().await {
            eprintln!("closing the browser session failed: {error}");
        }
        let _ = self.driver.kill().await;
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) -> Outcome<()> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("opening {url}: {e}"))
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn wait_for(&self, css: &str) -> Outcome<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| self.failure(format!("waiting for {css}: {e}")))
    }

    /// Waits until at least `count` elements match `css`; returns them.
    pub async fn wait_for_count(
        &self,
        css: &str,
        count: usize,
    ) -> Outcome<Vec<fantoccini::elements::Element>> {
        let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
        loop {
            let found = self
                .client
                .find_all(Locator::Css(css))
                .await
                .map_err(|e| format!("finding {css}: {e}"))?;
            if found.len() >= count {
                return Ok(found);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(self.failure(format!(
                    "waited for {count} of {css}, found {}",
                    found.len()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> Outcome<()> {
        self.wait_for(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("clicking {css}: {e}"))
    }

    /// Types `text` into the element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) -> Outcome<()> {
        self.wait_for(css)
            .await?
            .send_keys(text)
            .await
            .map_err(|e| format!("typing into {css}: {e}"))
    }

    /// Runs `script` in the page and returns its value.
    pub async fn run(&self, script: &str) -> Outcome<serde_json::Value> {
        self.client
            .execute(script, Vec::new())
            .await
            .map_err(|e| format!("running {script}: {e}"))
    }

    /// The current URL.
    pub async fn url(&self) -> Outcome<url::Url> {
        self.client
            .current_url()
            .await
            .map_err(|e| format!("the current URL: {e}"))
    }

    /// Saves a PNG of the whole page as `target/browser-screenshots/{name}.png`: the window
    /// grows to the page's height for the picture (WebDriver shoots the viewport only), then
    /// returns to its size.
    pub async fn screenshot(&self, name: &str) -> Outcome<PathBuf> {
        let (width, height) = self
            .client
            .get_window_size()
            .await
            .map_err(|e| format!("the window size: {e}"))?;
        let measures = self
            .run(
                "window.scrollTo(0, 0); return [document.documentElement.scrollHeight, \
                 window.outerHeight - window.innerHeight];",
            )
            .await?;
        let page = measures
            .get(0)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(height);
        let frame = measures
            .get(1)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let tall = (page + frame).clamp(height, MAX_SHOT_HEIGHT);
        let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        self.resize(to_u32(width), to_u32(tall)).await?;
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("a screenshot of {name}: {e}"));
        self.resize(to_u32(width), to_u32(height)).await?;
        let png = png?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// What sticks out of the window on the right (the page then scrolls sideways on a
    /// phone): a few of the widest elements, or nothing.
    pub async fn sideways_overflow(&self) -> Outcome<Vec<String>> {
        let value = self
            .run(
                "if (document.documentElement.scrollWidth <= window.innerWidth) return []; \
                 return Array.from(document.querySelectorAll('body *')) \
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) \
                   .slice(-5) \
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                        (e.className && e.className.baseVal === undefined ? '.' + e.className.split(' ').join('.') : '') + \
                        ' ' + Math.round(e.getBoundingClientRect().right) + 'px');",
            )
            .await?;
        Ok(value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Resizes the window.
    pub async fn resize(&self, width: u32, height: u32) -> Outcome<()> {
        self.client
            .set_window_size(width, height)
            .await
            .map_err(|e| format!("resizing to {width}x{height}: {e}"))
    }

    /// A failure message that names the page the browser was on.
    fn failure(&self, what: String) -> String {
        format!("{what} (see target/browser-screenshots for the pages so far)")
    }
}

/// Connects to chromedriver once it listens (it takes a moment to start).
async fn connect(
    webdriver: &str,
    capabilities: serde_json::Map<String, serde_json::Value>,
) -> Outcome<Client> {
    let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
    loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(webdriver)
            .await
        {
            Ok(client) => return Ok(client),
            Err(error) if tokio::time::Instant::now() < deadline => {
                let text = error.to_string();
                // Until chromedriver listens, connecting is refused; anything else is real.
                if !(text.contains("onnect") || text.contains("refused")) {
                    return Err(format!("chromedriver refused the session: {text}"));
                }
                tokio::time::sleep(POLL).await;
            }
            Err(error) => return Err(format!("chromedriver did not answer: {error}")),
        }
    }
}

fn free_port() -> Outcome<u16> {
    let listener = StdListener::bind("127.0.0.1:0").map_err(|e| format!("a free port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("a free port: {e}"))
}

/// `target/browser-screenshots` of the workspace.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/browser-screenshots")
        .components()
        .collect()
}

/// A JPEG of `width`×`height` with a diagonal gradient in `tint`, as a photo stand-in.
pub fn jpeg(width: u32, height: u32, tint: [u8; 3]) -> Outcome<Vec<u8>> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let shade = |base: u8, along: u32, span: u32| {
            let t = along as f32 / span.max(1) as f32;
            (f32::from(base) * (0.55 + 0.45 * t)) as u8
        };
        image::Rgb([
            shade(tint[0], x, width),
            shade(tint[1], y, height),
            shade(tint[2], x + y, width + height),
        ])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
        .encode_image(&image)
        .map_err(|e| format!("encoding a JPEG: {e}"))?;
    Ok(bytes)
}
