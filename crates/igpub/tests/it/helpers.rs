//! Shared scaffolding for igpub's integration tests, after zero-to-production's `spawn_app`.
//!
//! [`spawn_app`] starts the real HTTP application (the same router `igpub serve` runs) on port
//! 0, with its own fresh database (a SQLite file, or a PostgreSQL schema with
//! [`TestAppOptions::backend`]), pointed at an in-process simulator of Meta, and creates one
//! tenant with an API key. Tests then talk to it over real HTTP:
//!
//! ```ignore
//! let app = spawn_app().await;
//! let response = app.get("/v1/integrations").await;
//! assert_eq!(response.status(), 200);
//! app.cleanup().await;
//! ```
//!
//! [`for_each_app`] runs a test body once per available backend (SQLite always, PostgreSQL when
//! `IGPUB_TEST_DATABASE_URL` is set) and cleans up even when the body panics. The simulator
//! approves Facebook Logins at once ([`TestApp::log_in`] follows its redirect back to the app);
//! [`TestApp::sim_user`] and [`TestApp::sim_page`] build Facebook users and Pages through the
//! simulator's control API. Every database clock is a [`igpub::store::ManualClock`]
//! (`app.backend.clock`): advance it instead of sleeping.

#![allow(dead_code)] // Each test module uses its own part of the helpers.

use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt as _;
use igpub::config::Settings;
use igpub::http::{AppState, router};
use igpub::store::testing::{TestBackend, available_backends};
use igpub::store::{Backend, SharedStore, Tenant};
use igpub_sim::{SeededAccount, Sim, SimConfig, SimHandle};
use parking_lot::Mutex;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

/// How a [`TestApp`] is set up.
#[derive(Debug, Clone)]
pub struct TestAppOptions {
    /// The database to run on.
    pub backend: Backend,
    /// The simulator's configuration (`bind` is always loopback port 0).
    pub sim: SimConfig,
    /// `media.allow_private_hosts`: lets the media pre-flight (and outbound webhooks) reach
    /// loopback, where tests host their media and receivers.
    pub allow_private_hosts: bool,
}

impl Default for TestAppOptions {
    /// SQLite, and a simulator that answers instantly, approves logins at once and insists on
    /// `appsecret_proof` (so a client that forgets it fails).
    fn default() -> Self {
        Self {
            backend: Backend::Sqlite,
            sim: SimConfig {
                auto_approve_login: true,
                require_appsecret_proof: true,
                ..SimConfig::instant()
            },
            allow_private_hosts: false,
        }
    }
}

/// A running igpub with its database, its simulator and one tenant.
pub struct TestApp {
    /// `http://127.0.0.1:{port}`, no trailing slash.
    pub address: String,
    /// The first tenant's API key.
    pub api_key: SecretString,
    /// The first tenant.
    pub tenant: Tenant,
    /// The app's store (the very one its handlers use).
    pub store: SharedStore,
    /// The database under the store: its clock, raw SQL, the SQLite files.
    pub backend: TestBackend,
    /// The simulated Meta.
    pub sim: SimHandle,
    /// The settings the app runs with.
    pub settings: Arc<Settings>,
    /// An HTTP client that does not follow redirects (tests look at each hop).
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    _media_dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("address", &self.address)
            .field("backend", &self.backend.backend)
            .finish_non_exhaustive()
    }
}

/// Starts an app on SQLite with the default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestAppOptions::default()).await
}

/// Starts an app with `options`.
pub async fn spawn_app_with(options: TestAppOptions) -> TestApp {
    let backend = match TestBackend::create(options.backend).await {
        Ok(backend) => backend,
        Err(error) => panic!("cannot set up a {} test database: {error}", options.backend),
    };
    let sim = match Sim::start(options.sim).await {
        Ok(sim) => sim,
        Err(error) => panic!("cannot start the simulator: {error}"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("cannot bind a loopback port: {error}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("a bound listener has an address: {error}"))
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let media_dir = tempfile::tempdir()
        .unwrap_or_else(|error| panic!("cannot make a media directory: {error}"));
    let mut settings = settings_for(&backend, &sim, &address);
    settings.media.data_dir = media_dir.path().to_owned();
    settings.media.allow_private_hosts = options.allow_private_hosts;
    let settings = Arc::new(settings);
    let graph = igpub::startup::graph_client(&settings)
        .unwrap_or_else(|error| panic!("the Graph client must build: {error}"));
    let state = AppState::build(backend.store.clone(), settings.clone(), graph)
        .await
        .unwrap_or_else(|error| panic!("the app state must build: {error}"));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, router(state)).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(error) = serve.await {
            panic!("the test server failed: {error}");
        }
    });
    let (tenant, api_key) = backend
        .store
        .create_tenant("Test tenant")
        .await
        .unwrap_or_else(|error| panic!("cannot create the test tenant: {error}"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|error| panic!("the test HTTP client must build: {error}"));
    TestApp {
        address,
        api_key,
        tenant,
        store: backend.store.clone(),
        backend,
        sim,
        settings,
        http,
        shutdown: Some(shutdown),
        server: Some(server),
        _media_dir: media_dir,
    }
}

/// Settings that point the app at the simulator's default app and at `backend`.
fn settings_for(backend: &TestBackend, sim: &SimHandle, address: &str) -> Settings {
    let account = first_account(sim);
    let sim_url = sim.base_url().as_str().trim_end_matches('/').to_owned();
    let mut settings = Settings {
        database_url: backend.database_url.clone(),
        secret_keys: Some(backend.secret_keys.clone()),
        public_base_url: address.to_owned(),
        ..Settings::default()
    };
    settings.meta.app_id = account.app_id;
    settings.meta.app_secret = Some(account.app_secret);
    settings.meta.graph_url = sim_url.clone();
    settings.meta.dialog_url = sim_url;
    settings
}

fn first_account(sim: &SimHandle) -> SeededAccount {
    sim.accounts()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the simulator seeds at least one account"))
}

/// Runs `test` on a fresh app per available backend, then cleans up (even after a panic).
pub async fn for_each_app<F, Fut>(options: TestAppOptions, test: F)
where
    F: Fn(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in available_backends() {
        let app = Arc::new(
            spawn_app_with(TestAppOptions {
                backend,
                ..options.clone()
            })
            .await,
        );
        eprintln!("--- app test on {backend}");
        let outcome = AssertUnwindSafe(test(app.clone())).catch_unwind().await;
        match Arc::try_unwrap(app) {
            Ok(app) => app.cleanup().await,
            Err(_) => eprintln!("a test kept its TestApp; its database is left behind"),
        }
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// A Facebook user of the simulator.
#[derive(Debug, Clone)]
pub struct SimUser {
    /// Its id (what the login dialog's `sim_user` takes).
    pub user_id: String,
}

/// A Page of the simulator, with its Instagram account if it has one.
#[derive(Debug, Clone)]
pub struct SimPage {
    /// The Page id.
    pub page_id: String,
    /// The linked Instagram account's id.
    pub ig_user_id: Option<String>,
}

/// An account [`TestApp::connect_account`] connected.
#[derive(Debug, Clone)]
pub struct ConnectedAccount {
    /// The simulator user who logged in (log in as them again to reconnect).
    pub user: SimUser,
    /// The integration igpub made.
    pub integration_id: igpub::store::IntegrationId,
    /// The Instagram account's id.
    pub ig_user_id: String,
    /// Its Facebook Page's id.
    pub page_id: String,
}

impl TestApp {
    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request to the app as the first tenant.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.api_key, method, path)
    }

    /// A request to the app with another API key.
    pub fn request_as(
        &self,
        api_key: &SecretString,
        method: Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(api_key.expose_secret())
    }

    /// `GET path` as the first tenant.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        send(self.request(Method::GET, path)).await
    }

    /// `POST path` with a JSON body as the first tenant.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        send(self.request(Method::POST, path).json(body)).await
    }

    /// `DELETE path` as the first tenant.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        send(self.request(Method::DELETE, path)).await
    }

    /// Another tenant with its API key.
    pub async fn create_tenant(&self, name: &str) -> (Tenant, SecretString) {
        self.store
            .create_tenant(name)
            .await
            .unwrap_or_else(|error| panic!("cannot create tenant {name}: {error}"))
    }

    /// `POST /v1/integrations/instagram/connect` as `api_key`; returns the authorize URL.
    pub async fn start_connect_as(&self, api_key: &SecretString, body: Option<Value>) -> Url {
        let mut request =
            self.request_as(api_key, Method::POST, "/v1/integrations/instagram/connect");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = send(request).await;
        let body = json_of(response, StatusCode::OK).await;
        let text = body["authorize_url"]
            .as_str()
            .unwrap_or_else(|| panic!("the connect answer has an authorize_url: {body}"));
        Url::parse(text).unwrap_or_else(|error| panic!("authorize_url is a URL: {error}"))
    }

    /// `POST /v1/integrations/instagram/connect` as the first tenant, without a body.
    pub async fn start_connect(&self) -> Url {
        self.start_connect_as(&self.api_key, None).await
    }

    /// Opens the login dialog (as `sim_user`, or the simulator's seeded user), which approves
    /// at once, and returns the callback URL the dialog redirects the browser to.
    pub async fn approve_login(&self, authorize_url: &Url, sim_user: Option<&SimUser>) -> Url {
        let mut dialog = authorize_url.clone();
        if let Some(user) = sim_user {
            dialog
                .query_pairs_mut()
                .append_pair("sim_user", &user.user_id);
        }
        let response = send(self.http.get(dialog)).await;
        redirect_target(&response)
    }

    /// Presses a button of the login dialog's consent page (`allow` or `cancel`) and returns
    /// the callback URL it redirects to.
    pub async fn decide_login(&self, authorize_url: &Url, decision: &str) -> Url {
        let mut form: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
        form.push(("decision".to_owned(), decision.to_owned()));
        let mut action = authorize_url.clone();
        action.set_query(None);
        let response = send(self.http.post(action).form(&form)).await;
        redirect_target(&response)
    }

    /// Follows a redirect to the app's callback, as the browser would.
    pub async fn follow(&self, callback: &Url) -> reqwest::Response {
        send(self.http.get(callback.clone())).await
    }

    /// Connect, approve the login as `sim_user`, and land on the callback: its answer.
    pub async fn log_in(&self, sim_user: Option<&SimUser>) -> reqwest::Response {
        let authorize_url = self.start_connect().await;
        let callback = self.approve_login(&authorize_url, sim_user).await;
        self.follow(&callback).await
    }

    /// Connects a new Instagram account named `username` for the first tenant, through the whole
    /// Facebook Login flow (a new simulator user with one Page linked to it).
    pub async fn connect_account(&self, username: &str) -> ConnectedAccount {
        let user = self.sim_user(None).await;
        let page = self.sim_page(&user, Some(username)).await;
        let body = json_of(self.log_in(Some(&user)).await, StatusCode::OK).await;
        let integration = &body["integration"];
        let integration_id = integration["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("the login connected one account: {body}"));
        ConnectedAccount {
            user,
            integration_id,
            ig_user_id: page.ig_user_id.unwrap_or_default(),
            page_id: page.page_id,
        }
    }

    /// A new Facebook user of the simulator who grants `permissions` at the consent page
    /// (every permission when `None`).
    pub async fn sim_user(&self, permissions: Option<&[&str]>) -> SimUser {
        let mut body = json!({ "name": "Test Person" });
        if let Some(permissions) = permissions {
            body["permissions"] = json!(permissions);
        }
        let answer = self.sim_control("users", &body).await;
        SimUser {
            user_id: text_field(&answer, "user_id"),
        }
    }

    /// A new Page of `user`, linked to a new Instagram account named `instagram_username`, or
    /// to none.
    pub async fn sim_page(&self, user: &SimUser, instagram_username: Option<&str>) -> SimPage {
        let mut body = json!({ "user_id": user.user_id, "name": "Test Page" });
        if let Some(username) = instagram_username {
            body["instagram_username"] = json!(username);
        }
        let answer = self.sim_control("pages", &body).await;
        SimPage {
            page_id: text_field(&answer, "page_id"),
            ig_user_id: answer["ig_user_id"].as_str().map(str::to_owned),
        }
    }

    /// A new Meta app in the simulator: (app id, app secret).
    pub async fn sim_app(&self) -> (String, SecretString) {
        let answer = self
            .sim_control("apps", &json!({ "name": "Tenant app" }))
            .await;
        (
            text_field(&answer, "app_id"),
            SecretString::from(text_field(&answer, "app_secret")),
        )
    }

    /// `POST /__sim/{path}` on the simulator's control API.
    pub async fn sim_control(&self, path: &str, body: &Value) -> Value {
        let url = self
            .sim
            .base_url()
            .join(&format!("__sim/{path}"))
            .unwrap_or_else(|error| panic!("control URL: {error}"));
        let response = send(self.http.post(url).json(body)).await;
        json_of(response, StatusCode::OK).await
    }

    /// Stops the server and the simulator and removes the database.
    pub async fn cleanup(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let backend = self.backend.clone();
        self.sim.shutdown().await;
        backend.remove().await;
    }
}

/// Sends a request; a transport failure fails the test.
pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request
        .send()
        .await
        .unwrap_or_else(|error| panic!("request failed: {error}"))
}

/// The JSON body of a response that must have `status`.
pub async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

/// Where a 302/303 answer points.
pub fn redirect_target(response: &reqwest::Response) -> Url {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("a redirect has a Location"));
    Url::parse(location).unwrap_or_else(|error| panic!("Location is a URL: {error}"))
}

fn text_field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

/// Everything the `igpub*` crates and their dependencies log while it is installed, at every
/// level, as text. Install it on the test's thread with [`LogCapture::install`]; a
/// `#[tokio::test]` runs the app's tasks on that same thread.
#[derive(Clone, Default)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl LogCapture {
    /// Starts capturing on this thread until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock()).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
