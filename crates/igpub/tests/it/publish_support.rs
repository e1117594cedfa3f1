//! Shared set-up of the publishing tests: a fresh store (SQLite, and PostgreSQL when
//! configured), an in-process simulator with short processing times, a tenant with connected
//! accounts, and fast workers.

use std::time::Duration;

use igpub::publish::service::{CreatePost, PostView};
use igpub::publish::{Posts, RetryPolicy, Worker, WorkerConfig};
use igpub::store::testing::TestBackend;
use igpub::store::{Integration, NewIntegration, PostId, PostState, TenantId};
use igpub_graph::GraphClient;
use igpub_sim::{PublishedMedia, SeededAccount, Sim, SimConfig, SimHandle};
use secrecy::ExposeSecret;

/// A simulator whose containers take 30 ms (images) and 60 ms (videos), fetching nothing.
pub fn sim_config() -> SimConfig {
    SimConfig {
        image_processing: Duration::from_millis(30),
        video_processing: Duration::from_millis(60),
        processing_jitter: 0.0,
        fetch_media: false,
        accounts: 2,
        ..SimConfig::default()
    }
}

/// Everything a publishing test needs.
pub struct Harness {
    pub backend: TestBackend,
    pub sim: SimHandle,
    pub tenant: TenantId,
    pub accounts: Vec<SeededAccount>,
    pub integrations: Vec<Integration>,
    pub posts: Posts,
}

impl Harness {
    pub async fn start(backend: TestBackend, config: SimConfig) -> Self {
        let sim = Sim::start(config).await.expect("the simulator starts");
        let (tenant, _key) = backend.store.create_tenant("Acme").await.expect("tenant");
        let accounts = sim.accounts();
        let mut integrations = Vec::new();
        for account in &accounts {
            let integration = backend
                .store
                .upsert_instagram_integration(tenant.id, new_integration(account))
                .await
                .expect("integration");
            integrations.push(integration);
        }
        let posts = Posts::new(backend.store.clone());
        Self {
            backend,
            sim,
            tenant: tenant.id,
            accounts,
            integrations,
            posts,
        }
    }

    /// A worker with short timings.
    pub fn worker(&self) -> Worker {
        self.worker_with(|_| {})
    }

    pub fn worker_with(&self, change: impl FnOnce(&mut WorkerConfig)) -> Worker {
        let mut config = fast_config();
        change(&mut config);
        let builder = GraphClient::builder()
            .base_url(self.sim.base_url().as_str())
            .timeout(Duration::from_secs(2));
        Worker::new(self.backend.store.clone(), builder, config).expect("worker")
    }

    /// Creates a post for account `index` from the JSON fields of a post.
    pub async fn create(&self, index: usize, post: serde_json::Value) -> PostView {
        self.create_keyed(index, post, None).await.0
    }

    pub async fn create_keyed(
        &self,
        index: usize,
        post: serde_json::Value,
        key: Option<&str>,
    ) -> (PostView, bool) {
        let serde_json::Value::Object(post) = post else {
            panic!("a post is a JSON object")
        };
        let request = CreatePost {
            auto_fix: None,
            integration_id: self.integrations[index].id,
            post,
        };
        self.posts
            .create(self.tenant, request, key.map(str::to_owned))
            .await
            .expect("the post is created")
    }

    pub async fn state_of(&self, post: PostId) -> PostState {
        self.posts.get(self.tenant, post).await.expect("post").state
    }

    /// Runs the worker and moves the store's clock in small steps until nothing is due soon.
    pub async fn settle(&self, worker: &Worker) {
        for _ in 0..60 {
            worker.run_due_now().await.expect("the worker runs");
            self.backend.clock.advance(Duration::from_millis(250));
        }
        worker.run_due_now().await.expect("the worker runs");
    }

    /// What the simulator really published for account `index`.
    pub fn published(&self, index: usize) -> Vec<PublishedMedia> {
        self.sim
            .published()
            .remove(&self.accounts[index].ig_user_id)
            .unwrap_or_default()
    }

    /// Asks the simulator for a new Page token of account `index` (a reconnect).
    /// Reconnects account `index`: a new Page token from the simulator, stored as a reconnect
    /// through Facebook Login would store it.
    pub async fn reconnect(&self, index: usize) {
        let reconnect = NewIntegration {
            page_token: secrecy::SecretString::from(self.new_page_token(index).await),
            ..new_integration(&self.accounts[index])
        };
        self.backend
            .store
            .upsert_instagram_integration(self.tenant, reconnect)
            .await
            .expect("reconnected");
    }

    async fn new_page_token(&self, index: usize) -> String {
        let url = self.sim.base_url().join("__sim/tokens").expect("url");
        let answer: serde_json::Value = reqwest::Client::new()
            .post(url)
            .json(&serde_json::json!({"page_id": self.accounts[index].page_id}))
            .send()
            .await
            .expect("sim answers")
            .json()
            .await
            .expect("json");
        answer["access_token"].as_str().expect("a token").to_owned()
    }
}

pub fn new_integration(account: &SeededAccount) -> NewIntegration {
    NewIntegration {
        ig_user_id: account.ig_user_id.clone(),
        ig_username: account.username.clone(),
        facebook_page_id: account.page_id.clone(),
        page_token: account.page_token.clone(),
        token_expires_at: None,
    }
}

pub fn token_of(account: &SeededAccount) -> String {
    account.page_token.expose_secret().to_owned()
}

/// Worker timings for tests: millisecond backoffs, quick first polls.
pub fn fast_config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 256,
        lease_for: Duration::from_secs(30),
        idle_recheck: Duration::from_millis(50),
        retry: RetryPolicy {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            max_attempts: 4,
        },
        poll: fast_polls(&WorkerConfig::default().poll),
        ..WorkerConfig::default()
    }
}

/// `poll` with millisecond reads, for tests against an instant simulator.
pub fn fast_polls(poll: &igpub::publish::PollSchedule) -> igpub::publish::PollSchedule {
    igpub::publish::PollSchedule {
        first_image: Duration::from_millis(20),
        first_video: Duration::from_millis(40),
        min_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(100),
        ..*poll
    }
}

pub fn image_post(caption: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": "image",
        "caption": caption,
        "media": [{"url": "https://cdn.example.com/a.jpg"}],
    })
}
