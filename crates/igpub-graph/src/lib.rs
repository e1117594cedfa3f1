//! Typed client for Meta's Instagram Graph API (Instagram API with Facebook Login).
//!
//! Build one [`GraphClient`] per process, and a per-account [`AuthedClient`] with that
//! account's Page token. Requests are plain data ([`GraphRequest`]), so they can be checked
//! without a network, sent, or put in a [`batch`](AuthedClient::batch):
//!
//! ```
//! use igpub_graph::{AccessToken, ContainerSpec, GraphClient, IgUserId, ImagePost, LoginDialog, AppId};
//! use url::Url;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = GraphClient::builder()
//!     .base_url("http://127.0.0.1:8080") // a simulator; Meta by default
//!     .api_version("v25.0")
//!     .build()?;
//! let account = client.with_token(AccessToken::new("EAAB…page-token"));
//!
//! // What `account.create_container(...)` would send: no token in it, ever.
//! let post = ImagePost {
//!     caption: Some("#BronzedFonzes!".into()),
//!     ..ImagePost::new(Url::parse("https://www.example.com/images/bronzed-fonzes.jpg")?)
//! };
//! let request = ContainerSpec::Image(post).to_request(&IgUserId::new("17841400008460056"))?;
//! assert_eq!(request.endpoint(), "POST 17841400008460056/media");
//! assert_eq!(request.param_value("caption"), Some("#BronzedFonzes!"));
//! assert!(format!("{account:?}").contains("[redacted]"));
//!
//! // The login dialog URL is pure too.
//! let dialog = LoginDialog::new(AppId::new("138483919580948"), Url::parse("https://app.example/cb")?, "csrf-state").url()?;
//! assert!(dialog.as_str().starts_with("https://www.facebook.com/v25.0/dialog/oauth?client_id=138483919580948"));
//! # Ok(())
//! # }
//! ```
//!
//! Every failure is one [`GraphError`]; [`classify`] turns it into what to do next
//! ([`ErrorClass`]), and [`GraphError::is_ambiguous`] says whether a failed `media_publish`
//! may have published anyway. Usage headers reach the caller through
//! [`GraphClientBuilder::on_usage`].
#![deny(missing_docs)]

mod account;
mod auth;
mod batch;
mod classify;
mod client;
mod container;
mod error;
mod ids;
mod insights;
mod media;
mod meta_enum;
mod paging;
mod publish;
mod request;
mod secret;
mod time;
mod usage;

pub use account::{
    IG_USER_FIELDS, IgUser, PublishingLimit, QuotaConfig, ig_user_request, publishing_limit_request,
};
pub use auth::{
    AuthType, DEFAULT_DIALOG_BASE_URL, FacebookPage, GranularScope, IgAccount, LoginDialog,
    PAGE_FIELDS, PermissionGrant, PermissionStatus, Permissions, TokenGrant, TokenInfo,
    TokenInfoError, TokenType, code_exchange_request, long_lived_exchange_request,
    page_ig_account_request, pages_request, scopes,
};
pub use batch::{BatchHeader, BatchRequest, BatchResponse, MAX_BATCH_REQUESTS, batch_request};
pub use classify::{ErrorClass, RateLimitScope, classify};
pub use client::{
    AuthedClient, DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_TIMEOUT, GraphClient, GraphClientBuilder, GraphResponse,
    UsageObserver,
};
pub use container::{
    ContainerReady, ContainerStatus, ContainerStatusCode, MAX_IDS_PER_REQUEST, PollPolicy,
    container_status_request, container_statuses_request,
};
pub use error::{
    ContainerFailure, DecodeError, GraphApiError, GraphError, TransportError, TransportErrorKind,
    parse_status_subcode,
};
pub use ids::{AppId, CommentId, ContainerId, IgUserId, MediaId, PageId, UserId};
pub use insights::{
    AccountInsights, AccountInsightsQuery, Breakdown, BreakdownResult, InsightValue,
    InsightsWindow, MAX_WINDOW, MediaInsightsQuery, Metric, MetricType, MetricValue, Period,
    Timeframe, TotalValue, breakdowns, metrics,
};
pub use media::{
    MAX_COMMENT_CHARS, MEDIA_FIELDS, Media, MediaListQuery, MediaProductType, MediaType,
    media_list_request, media_request, post_comment_request,
};
pub use paging::{Cursors, Page, Paging};
pub use publish::{
    CAROUSEL_CHILD_CONCURRENCY, CONTAINER_LIFETIME, CarouselContainer, CarouselItem, CarouselPost,
    ContainerSpec, Draft, GraduationStrategy, ImagePost, MAX_ALT_TEXT_CHARS, MAX_CAPTION_CHARS,
    MAX_CAROUSEL_ITEMS, MAX_COLLABORATORS, MIN_CAROUSEL_ITEMS, PostKind, PublishOutcome,
    PublishedMedia, PublishedPost, ReelPost, StoryMedia, StoryPost, TrialParams, UserTag,
    created_container, publish_and_fetch_requests, publish_request, published_media,
};
pub use request::{GraphRequest, Method, ParamValue, PostBody, encode_path};
pub use secret::{AccessToken, AppCredentials, appsecret_proof};
pub use time::parse_meta_timestamp;
pub use usage::{
    APP_USAGE_HEADER, AppUsage, BUSINESS_USE_CASE_USAGE_HEADER, BusinessUseCaseEntry,
    BusinessUseCaseType, BusinessUseCaseUsage, UsageReport,
};
