//! The main flows against the simulator (`igpub-sim`), which speaks Meta's HTTP and JSON and
//! never imports this crate, so it cannot share the client's mistakes.

use futures::TryStreamExt;
use igpub_graph::{
    AccessToken, AccountInsightsQuery, AppCredentials, AppId, AuthedClient, BatchRequest,
    CarouselItem, CarouselPost, ContainerReady, ContainerStatusCode, ErrorClass, GraphClient,
    GraphError, IgUserId, ImagePost, LoginDialog, MediaId, MediaInsightsQuery, MediaListQuery,
    MediaProductType, MetricType, PageId, Period, PollPolicy, PublishOutcome, ReelPost, StoryMedia,
    StoryPost, UsageReport, ig_user_request, metrics,
};
use igpub_sim::{FaultSpec, SeededAccount, Sim, SimConfig, SimHandle, TokenFailure};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// Containers finish at once in the instant simulator, so the client polls every few
/// milliseconds instead of Meta's half second: no test waits real seconds.
fn quick_polls() -> PollPolicy {
    PollPolicy {
        first_poll: Duration::from_millis(2),
        backoff_factor: 1.5,
        max_interval: Duration::from_millis(20),
        deadline: Duration::from_secs(5),
    }
}

fn config() -> SimConfig {
    // No crawler: the media URLs below point nowhere; the client's side of publishing is the subject.
    SimConfig {
        fetch_media: false,
        ..SimConfig::instant()
    }
}

async fn start(config: SimConfig) -> (SimHandle, SeededAccount) {
    let sim = Sim::start(config)
        .await
        .unwrap_or_else(|error| panic!("simulator must start: {error}"));
    let account = sim
        .accounts()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the simulator seeds accounts"));
    (sim, account)
}

fn base_client(sim: &SimHandle) -> GraphClient {
    GraphClient::builder()
        .base_url(sim.base_url().as_str())
        .image_poll_policy(quick_polls())
        .video_poll_policy(quick_polls())
        .build()
        .unwrap_or_else(|error| panic!("{error}"))
}

fn page_client(sim: &SimHandle, account: &SeededAccount) -> AuthedClient {
    base_client(sim).with_token(AccessToken::new(account.page_token.expose_secret()))
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn ig(account: &SeededAccount) -> IgUserId {
    IgUserId::new(account.ig_user_id.clone())
}

#[tokio::test]
async fn sim_verify_and_read_the_seeded_account() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let verified = client
        .verify(&ig(&account))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        verified.username.as_deref(),
        Some(account.username.as_str())
    );
    let user = client
        .ig_user(&ig(&account))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(user.followers_count.is_some());
    let missing = client.verify(&IgUserId::new("17841499999999999")).await;
    assert!(matches!(missing, Err(GraphError::Api(_))), "{missing:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_publish_image_publishes_exactly_once_with_a_permalink() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let post = ImagePost {
        caption: Some("hello from the client".into()),
        ..ImagePost::new(url("https://media.example/a.jpg"))
    };
    let published = client
        .publish_image(&ig(&account), &post)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(published.media_id.as_str(), published.container_id.as_str());
    let media = published
        .media
        .unwrap_or_else(|| panic!("permalink read in the same batch"));
    assert!(media.permalink.unwrap_or_default().contains("/p/"));

    let truth = sim.published();
    let posts = truth.get(&account.ig_user_id).cloned().unwrap_or_default();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts.first().map(|p| p.media_id.as_str()),
        Some(published.media_id.as_str())
    );
    assert_eq!(
        posts.first().and_then(|p| p.caption.as_deref()),
        Some("hello from the client")
    );

    let again = client
        .media(&published.media_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.media_product_type, Some(MediaProductType::Feed));
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_publish_carousel_reel_and_story() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let carousel = CarouselPost {
        caption: Some("three".into()),
        ..CarouselPost::new(vec![
            CarouselItem::image(url("https://media.example/1.jpg")),
            CarouselItem::video(url("https://media.example/2.mp4")),
            CarouselItem::image(url("https://media.example/3.jpg")),
        ])
    };
    let published = client
        .publish_carousel(&ig(&account), &carousel)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published.children.len(), 3);
    let reel = ReelPost {
        caption: Some("reel".into()),
        share_to_feed: Some(true),
        ..ReelPost::new(url("https://media.example/r.mp4"))
    };
    let reel = client
        .publish_reel(&ig(&account), &reel)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        reel.media
            .and_then(|m| m.permalink)
            .unwrap_or_default()
            .contains("/reel/")
    );
    let story = client
        .publish_story(
            &ig(&account),
            &StoryPost::new(StoryMedia::Image(url("https://media.example/s.jpg"))),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let truth = sim
        .published()
        .get(&account.ig_user_id)
        .cloned()
        .unwrap_or_default();
    assert_eq!(truth.len(), 3);
    let carousel_truth = truth
        .iter()
        .find(|p| p.media_id == published.media_id.as_str());
    assert_eq!(carousel_truth.map(|p| p.children.len()), Some(3));
    let child_containers: Vec<String> = carousel_truth
        .map(|p| p.children.iter().map(|c| c.container_id.clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        child_containers,
        published
            .children
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect::<Vec<_>>()
    );
    assert!(
        truth
            .iter()
            .any(|p| p.media_id == story.media_id.as_str() && p.media_product_type == "STORY")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_a_draft_is_published_once_and_then_reads_as_already_published() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let draft = client
        .draft_image(
            &ig(&account),
            &ImagePost::new(url("https://media.example/d.jpg")),
        )
        .await;
    let draft = draft.unwrap_or_else(|e| panic!("{e}"));
    assert!(sim.published().values().all(Vec::is_empty));
    let first = client
        .publish_draft(&ig(&account), &draft)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(first, PublishOutcome::Published(_)));
    let second = client
        .publish_draft(&ig(&account), &draft)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(second, PublishOutcome::AlreadyPublished { .. }));
    assert_eq!(
        sim.published().get(&account.ig_user_id).map(Vec::len),
        Some(1)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_an_ambiguous_publish_is_not_resent_and_the_container_tells_it_happened() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let container = client
        .create_container(
            &ig(&account),
            &igpub_graph::ContainerSpec::Image(ImagePost::new(url("https://media.example/x.jpg"))),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ready = client.wait_for_container(&container, &quick_polls()).await;
    assert!(
        matches!(ready, Ok(ContainerReady::Finished(_))),
        "{ready:?}"
    );
    let fault = FaultSpec {
        commit_then_fail_rate: 1.0,
        ..FaultSpec::default()
    };
    sim.set_faults("media.publish", fault)
        .unwrap_or_else(|e| panic!("{e}"));

    let outcome = client.publish_container(&ig(&account), &container).await;
    let Err(error) = outcome else {
        panic!("the fault must fail the call")
    };
    assert!(error.is_ambiguous(), "{error}");
    sim.clear_faults();

    // What the publisher does next: read the container instead of publishing again.
    let status = client
        .container_status(&container)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.status_code, ContainerStatusCode::Published);
    assert_eq!(
        sim.published().get(&account.ig_user_id).map(Vec::len),
        Some(1)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_publishing_limit_counts_published_posts() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let before = client
        .publishing_limit(&ig(&account))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = client
        .publish_image(
            &ig(&account),
            &ImagePost::new(url("https://media.example/q.jpg")),
        )
        .await;
    let after = client
        .publishing_limit(&ig(&account))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.quota_usage, before.quota_usage + 1);
    assert_eq!(after.config.map(|c| c.quota_total), Some(100));
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_recent_media_pages_through_everything_and_statuses_come_in_one_request() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let mut containers = Vec::new();
    for n in 0..3 {
        let post = ImagePost::new(url(&format!("https://media.example/{n}.jpg")));
        let published = client
            .publish_image(&ig(&account), &post)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        containers.push(published.container_id);
    }
    let query = MediaListQuery {
        limit: Some(1),
        ..MediaListQuery::default()
    };
    let listed: Vec<_> = client
        .recent_media(&ig(&account), &query)
        .try_collect()
        .await
        .unwrap_or_else(|e: GraphError| panic!("{e}"));
    assert_eq!(listed.len(), 3);
    let statuses = client
        .container_statuses(&containers)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        statuses
            .values()
            .all(|s| s.status_code == ContainerStatusCode::Published),
        "{statuses:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_insights_over_45_days_are_fetched_in_two_windows() {
    let (sim, account) = start(config()).await;
    let client = page_client(&sim, &account);
    let now = jiff::Timestamp::from_second(sim.now_unix()).unwrap_or_else(|e| panic!("{e}"));
    let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
    query.metric_type = Some(MetricType::TimeSeries);
    query.since = now
        .checked_sub(jiff::SignedDuration::from_hours(45 * 24))
        .ok();
    query.until = Some(now);
    let insights = client
        .account_insights(&ig(&account), &query)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(insights.windows.len(), 2);
    let reach = insights
        .metric(metrics::REACH)
        .unwrap_or_else(|| panic!("reach answered"));
    assert!(
        reach.values.len() >= 40,
        "{} daily values",
        reach.values.len()
    );

    let published = client
        .publish_image(
            &ig(&account),
            &ImagePost::new(url("https://media.example/i.jpg")),
        )
        .await;
    let media_id: MediaId = published
        .map(|p| p.media_id)
        .unwrap_or_else(|e| panic!("{e}"));
    let media = client
        .media_insights(
            &media_id,
            &MediaInsightsQuery::new([metrics::REACH, metrics::LIKES]),
        )
        .await;
    assert_eq!(media.map(|m| m.len()).unwrap_or_else(|e| panic!("{e}")), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_login_code_exchange_pages_permissions_and_debug_token() {
    let (sim, account) = start(SimConfig {
        auto_approve_login: true,
        ..config()
    })
    .await;
    let client = base_client(&sim);
    let credentials = AppCredentials::new(
        AppId::new(account.app_id.clone()),
        account.app_secret.clone(),
    );
    let redirect = url("http://127.0.0.1:1/callback");
    let dialog = LoginDialog::new(credentials.app_id.clone(), redirect.clone(), "state-123")
        .dialog_base_url(sim.base_url().as_str())
        .url()
        .unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = http
        .get(dialog)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(url)
        .unwrap_or_else(|| panic!("the dialog redirects"));
    let pair = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(pair("state").as_deref(), Some("state-123"));
    let code = SecretString::from(pair("code").unwrap_or_else(|| panic!("a code in {location}")));

    let grant = client
        .exchange_code(&credentials, &redirect, &code)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reused = client.exchange_code(&credentials, &redirect, &code).await;
    assert!(
        matches!(reused, Err(GraphError::Api(_))),
        "a code works once"
    );
    let long = client
        .exchange_long_lived(&credentials, &grant.access_token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(long.expires_in.unwrap_or_default() > 50 * 24 * 3600);

    let user = client.with_token(long.access_token.clone());
    let permissions = user.permissions().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(permissions.is_granted("instagram_basic"), "{permissions:?}");
    let pages = user.all_pages().await.unwrap_or_else(|e| panic!("{e}"));
    let page = pages
        .iter()
        .find(|p| p.id.as_str() == account.page_id)
        .unwrap_or_else(|| panic!("the seeded Page is listed"));
    assert_eq!(
        page.instagram_business_account
            .as_ref()
            .map(|a| a.id.as_str()),
        Some(account.ig_user_id.as_str())
    );
    let page_token = page
        .access_token
        .clone()
        .unwrap_or_else(|| panic!("Page token listed"));
    let linked = user
        .page_instagram_account(&PageId::new(account.page_id.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        linked.map(|a| a.id.into_string()),
        Some(account.ig_user_id.clone())
    );

    let info = client
        .debug_token(&credentials, &page_token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(info.is_valid);
    assert_eq!(info.token_type, Some(igpub_graph::TokenType::Page));
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_appsecret_proof_is_accepted_and_required() {
    let (sim, account) = start(SimConfig {
        require_appsecret_proof: true,
        ..config()
    })
    .await;
    let with_proof = GraphClient::builder()
        .base_url(sim.base_url().as_str())
        .app_secret(account.app_secret.clone())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_token(AccessToken::new(account.page_token.expose_secret()));
    assert!(with_proof.verify(&ig(&account)).await.is_ok());
    let without = page_client(&sim, &account).verify(&ig(&account)).await;
    assert_eq!(without.err().and_then(|e| e.code()), Some(100));
    // A batch goes as a JSON body; its proof travels there and is checked like a form's.
    let read = || vec![BatchRequest::new(ig_user_request(&ig(&account)))];
    let answers = with_proof
        .batch(read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = answers
        .first()
        .cloned()
        .flatten()
        .map(|a| a.decode::<serde_json::Value>());
    assert!(matches!(user, Some(Ok(_))), "{user:?}");
    // Without the proof the part runs on the batch's token and is refused like a lone call.
    let unproven = page_client(&sim, &account)
        .batch(read())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = unproven
        .first()
        .cloned()
        .flatten()
        .map(|a| a.decode::<serde_json::Value>());
    assert_eq!(
        refused.and_then(|r| r.err()).and_then(|e| e.code()),
        Some(100)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_an_expired_token_asks_for_reauth_and_usage_headers_are_observed() {
    let (sim, account) = start(config()).await;
    let seen: Arc<Mutex<Vec<UsageReport>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let client = GraphClient::builder()
        .base_url(sim.base_url().as_str())
        .on_usage(Arc::new(move |report: &UsageReport| {
            if let Ok(mut reports) = sink.lock() {
                reports.push(report.clone());
            }
        }))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_token(AccessToken::new(account.page_token.expose_secret()));
    assert!(client.ig_user(&ig(&account)).await.is_ok());
    let reports = seen.lock().map(|r| r.clone()).unwrap_or_default();
    assert!(
        reports.iter().any(|r| r
            .business
            .as_ref()
            .is_some_and(|b| !b.for_object(&account.ig_user_id).is_empty())),
        "{reports:?}"
    );

    sim.fail_token(account.page_token.expose_secret(), TokenFailure::Expired)
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = client.ig_user(&ig(&account)).await;
    let Err(error) = outcome else {
        panic!("an expired token must fail")
    };
    assert_eq!((error.code(), error.subcode()), (Some(190), Some(463)));
    assert_eq!(error.classify(0), ErrorClass::Reauth);
    assert!(!format!("{error} {error:?}").contains(account.page_token.expose_secret()));
    sim.shutdown().await;
}
