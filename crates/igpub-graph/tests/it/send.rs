//! Every future the client returns is `Send`, so the worker can spawn it on a multi-threaded
//! runtime. Compile-time checks: building a future sends nothing.

use crate::helpers::IG;
use futures::Stream;
use igpub_graph::*;
use secrecy::SecretString;
use std::future::Future;

fn send<T: Send>(value: T) -> T {
    value
}

fn future<F: Future + Send>(value: F) {
    drop(send(value));
}

fn stream<S: Stream + Send + 'static>(value: S) {
    drop(send(value));
}

#[test]
fn every_client_future_is_send() {
    let Ok(client) = GraphClient::builder()
        .base_url("http://127.0.0.1:9")
        .build()
    else {
        panic!("builder must build")
    };
    let account = client.with_token(AccessToken::new("t"));
    let ig = IgUserId::new(IG);
    let container = ContainerId::new("1");
    let media = MediaId::new("2");
    let url = url::Url::parse("https://e.example/a.jpg").unwrap_or_else(|e| panic!("{e}"));
    let image = ImagePost::new(url.clone());
    let carousel = CarouselPost::new(vec![
        CarouselItem::image(url.clone()),
        CarouselItem::image(url.clone()),
    ]);
    let reel = ReelPost::new(url.clone());
    let story = StoryPost::new(StoryMedia::Image(url.clone()));
    let credentials = AppCredentials::new(AppId::new("1"), SecretString::from("s"));
    let policy = PollPolicy::image();
    let insights = AccountInsightsQuery::new([metrics::REACH], Period::Day);
    let media_insights = MediaInsightsQuery::new([metrics::REACH]);
    let draft = Draft {
        kind: PostKind::Image,
        container_id: container.clone(),
        children: vec![],
        created_at: jiff::Timestamp::UNIX_EPOCH,
        expires_at: jiff::Timestamp::UNIX_EPOCH,
        has_video: false,
    };

    future(account.send(&GraphRequest::get(&["1"])));
    future(account.send_json::<serde_json::Value>(&GraphRequest::get(&["1"])));
    future(account.batch(vec![]));
    future(account.create_container(&ig, &ContainerSpec::Image(image.clone())));
    future(account.publish_container(&ig, &container));
    future(account.publish_and_fetch(&ig, &container));
    future(account.container_status(&container));
    future(account.container_statuses(std::slice::from_ref(&container)));
    future(account.wait_for_container(&container, &policy));
    future(account.wait_for_containers(std::slice::from_ref(&container), &policy));
    future(account.draft_image(&ig, &image));
    future(account.draft_carousel(&ig, &carousel));
    future(account.draft_reel(&ig, &reel));
    future(account.draft_story(&ig, &story));
    future(account.publish_draft(&ig, &draft));
    future(account.publish_image(&ig, &image));
    future(account.publish_carousel(&ig, &carousel));
    future(account.publish_reel(&ig, &reel));
    future(account.publish_story(&ig, &story));
    future(account.ig_user(&ig));
    future(account.verify(&ig));
    future(account.publishing_limit(&ig));
    future(account.media(&media));
    future(account.post_comment(&media, "hi"));
    future(account.account_insights(&ig, &insights));
    future(account.media_insights(&media, &media_insights));
    future(account.permissions());
    future(account.all_pages());
    future(account.page_instagram_account(&PageId::new("3")));
    future(client.exchange_code(&credentials, &url, &SecretString::from("c")));
    future(client.exchange_long_lived(&credentials, &AccessToken::new("t")));
    future(client.debug_token(&credentials, &AccessToken::new("t")));
    stream(account.recent_media(&ig, &MediaListQuery::default()));
    stream(account.pages());
}
