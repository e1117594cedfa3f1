//! What every handler can reach: the store, the settings and the Graph client.

use super::rate_limit::ApiRateLimit;
use crate::config::Settings;
use crate::media::hosting::MediaStorage;
use crate::media::preflight::Preflight;
use crate::metrics::Metrics;
use crate::startup::StartupError;
use crate::store::SharedStore;
use igpub_graph::GraphClient;
use std::sync::Arc;

/// Shared by every request; cheap to clone (everything inside is reference-counted).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: SharedStore,
    /// The service's settings.
    pub settings: Arc<Settings>,
    /// The Graph API client (no token: handlers take a per-account view with `with_token`).
    pub graph: GraphClient,
    /// The built-in media hosting (`POST /v1/media`, `GET /media/{id}.{ext}`): the filesystem
    /// or the S3-compatible bucket of `media.s3`.
    pub media: Arc<dyn MediaStorage>,
    /// The process's metrics (`GET /metrics`).
    pub metrics: Arc<Metrics>,
    /// The media pre-flight, as `media.allow_private_hosts` says (post creation checks media
    /// with it before anything is stored).
    pub preflight: Preflight,
    /// Each tenant's request budget on `/v1` (429 past it).
    pub api_limits: ApiRateLimit,
}

impl AppState {
    /// The state for `settings`: opens the media hosting (`media.s3` or `media.data_dir`) and starts
    /// fresh metrics. The one constructor, so new fields never break its callers.
    pub async fn build(
        store: SharedStore,
        settings: Arc<Settings>,
        graph: GraphClient,
    ) -> Result<Self, StartupError> {
        let media = crate::startup::media_storage(&settings).await?;
        let preflight = crate::background::preflight(&settings);
        Ok(Self {
            store,
            settings,
            graph,
            media,
            metrics: Arc::new(Metrics::new()),
            preflight,
            api_limits: ApiRateLimit::default(),
        })
    }
}
