//! Integration tests of `QueueStore::apply_steps`, the worker's batched step save, on SQLite and
//! (when `IGPUB_TEST_DATABASE_URL` is set) on PostgreSQL: each step is saved as `apply_step`
//! would save it, refused steps leave their post untouched, and `StepRequest::saved` builds
//! exactly the row the SQL wrote (the worker relies on it instead of reading back).

use std::collections::HashMap;
use std::time::Duration;

use igpub::domain::{PostInput, PostSpec};
use igpub::store::testing::{TestBackend, for_each_backend};
use igpub::store::{
    Clock as _, Integration, NewIntegration, NewPost, Post, PostEvent, PostFailure, PostId,
    PostProgress, PostState, Step, StepRequest, TenantId,
};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde_json::{Value, json};

/// The worker that leases the posts under test.
const OWNER: &str = "w1";

/// Another worker.
const OTHER: &str = "w2";

/// Text that must survive being a JSON string inside the batch's JSON array (quotes,
/// backslashes, a newline, non-ASCII, an astral character, SQL quoting).
const TRICKY_TEXT: &str = "it said \"no\" \\ n'importe quoi\nété 😀 '); --";

/// Long enough that no lease expires during a test (the clock only moves when told).
const LEASE: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------- shorthands

/// A tenant with one connected Instagram account.
async fn account(backend: &TestBackend) -> (TenantId, Integration) {
    let (tenant, _key) = backend.store.create_tenant("Acme").await.unwrap();
    let new = NewIntegration {
        ig_user_id: "17841400000000001".to_owned(),
        ig_username: "acme".to_owned(),
        facebook_page_id: "100000000000001".to_owned(),
        page_token: SecretString::from("page-token".to_owned()),
        token_expires_at: None,
    };
    let integration = backend
        .store
        .upsert_instagram_integration(tenant.id, new)
        .await
        .unwrap();
    (tenant.id, integration)
}

/// Stores an image post due now, parsed the way the API parses one.
async fn insert_post(backend: &TestBackend, integration: &Integration, caption: &str) -> PostId {
    let now = backend.clock.now();
    let body = json!({
        "kind": "image",
        "media": [{"url": "https://cdn.example.com/sunset.jpg"}],
        "caption": caption,
    });
    let spec = match PostInput::from_value(body).and_then(|input| PostSpec::parse(input, now)) {
        Ok(spec) => spec,
        Err(errors) => panic!("the test post must be valid: {errors}"),
    };
    let created = backend
        .store
        .insert_post(NewPost::of_spec(
            integration,
            &spec,
            now,
            None,
            format!("hash of {caption}"),
        ))
        .await
        .unwrap();
    created.post().id
}

/// Stores `count` posts with distinct captions and leases them all for `owner`; returns them
/// in insertion order.
async fn leased_posts(
    backend: &TestBackend,
    integration: &Integration,
    owner: &str,
    count: usize,
) -> Vec<Post> {
    let captions: Vec<String> = (0..count).map(|index| format!("post {index}")).collect();
    leased_with_captions(backend, integration, owner, &captions).await
}

/// One post of a new account, leased for [`OWNER`], and its timeline so far.
async fn one_leased_post(backend: &TestBackend) -> (Post, Vec<PostEvent>) {
    let (_tenant, integration) = account(backend).await;
    let post = leased_posts(backend, &integration, OWNER, 1)
        .await
        .remove(0);
    let timeline = events(backend, &post).await;
    (post, timeline)
}

/// Stores one post per caption and leases them all for `owner`; returns them in insertion
/// order.
async fn leased_with_captions(
    backend: &TestBackend,
    integration: &Integration,
    owner: &str,
    captions: &[String],
) -> Vec<Post> {
    let mut ids = Vec::new();
    for caption in captions {
        ids.push(insert_post(backend, integration, caption).await);
    }
    // Ask for more than were made, so a stray due post shows as an unexpected lease.
    let limit = u32::try_from(captions.len() + 3).unwrap();
    let leased = backend.store.lease_due(owner, limit, LEASE).await.unwrap();
    let mut by_id: HashMap<PostId, Post> = leased.into_iter().map(|p| (p.id, p)).collect();
    let posts: Vec<Post> = ids
        .iter()
        .map(|id| by_id.remove(id).expect("every new post is due and leased"))
        .collect();
    assert!(by_id.is_empty(), "leased posts not made here: {by_id:?}");
    for post in &posts {
        assert_eq!(post.state, PostState::Scheduled);
        assert_eq!(post.lease_owner.as_deref(), Some(owner));
    }
    posts
}

async fn get(backend: &TestBackend, post: &Post) -> Post {
    backend
        .store
        .get_post(post.tenant_id, post.id)
        .await
        .unwrap()
}

async fn events(backend: &TestBackend, post: &Post) -> Vec<PostEvent> {
    backend
        .store
        .post_events(post.tenant_id, post.id)
        .await
        .unwrap()
}

/// A request for `post` (as leased) to take `step` from its current state.
fn request(post: &Post, step: Step) -> StepRequest {
    StepRequest {
        post: post.clone(),
        from: post.state,
        step,
    }
}

/// The store's instant for epoch milliseconds `millis`.
fn at_millis(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(millis).unwrap()
}

/// `instant` as the store keeps it (whole milliseconds).
fn stored(instant: Timestamp) -> Timestamp {
    at_millis(instant.as_millisecond())
}

fn after(instant: Timestamp, duration: SignedDuration) -> Timestamp {
    instant.checked_add(duration).unwrap()
}

fn progress_with_container(container: &str, attempts: u32) -> PostProgress {
    PostProgress {
        container_id: Some(container.to_owned()),
        attempts,
        ..PostProgress::default()
    }
}

fn failure() -> PostFailure {
    PostFailure {
        code: Some(9004),
        subcode: Some(2_207_052),
        user_title: Some("Media download failed".to_owned()),
        user_message: Some(format!("The media could not be fetched: {TRICKY_TEXT}")),
        message: "Meta could not download the image".to_owned(),
        advice: "Check that the image URL is public".to_owned(),
    }
}

/// Asserts the post's timeline is `before` plus exactly `added`.
async fn assert_timeline(
    backend: &TestBackend,
    post: &Post,
    before: &[PostEvent],
    added: Option<PostEvent>,
) {
    let mut expected = before.to_vec();
    expected.extend(added);
    assert_eq!(
        events(backend, post).await,
        expected,
        "timeline of post {}",
        post.id
    );
}

// ---------------------------------------------------------------- saving a batch

#[tokio::test]
async fn a_batch_saves_every_step_as_its_request_says_and_writes_the_events() {
    for_each_backend(|backend| async move {
        let (_tenant, integration) = account(&backend).await;
        let posts = leased_posts(&backend, &integration, OWNER, 6).await;
        let mut timelines = Vec::new();
        for post in &posts {
            timelines.push(events(&backend, post).await);
        }
        // The steps are saved at a later instant than the creation, so a column left at its old
        // value shows.
        backend.clock.advance(Duration::from_secs(7));
        let now = backend.clock.now();
        // Sub-millisecond parts: the store keeps milliseconds, and so must `saved`.
        let published_at = after(now, SignedDuration::from_nanos(-1_234_567));
        let retry_at = after(now, SignedDuration::from_micros(90_000_500));
        let requests = vec![
            // A state change with a detail, keeping the lease.
            request(
                &posts[0],
                Step::to(PostState::Creating, progress_with_container("c0", 0))
                    .detail(json!({"containers": ["c0"]})),
            ),
            // A state change without a detail, keeping the lease, looked at again later.
            request(
                &posts[1],
                Step {
                    next_attempt_at: Some(retry_at),
                    ..Step::to(PostState::Processing, progress_with_container("c1", 0))
                },
            ),
            // Progress only: same state, no detail.
            request(
                &posts[2],
                Step::to(PostState::Scheduled, progress_with_container("c2", 3)),
            ),
            // Published, with everything a publish saves, and the lease given back.
            request(
                &posts[3],
                Step {
                    media_id: Some("18000000000000003".to_owned()),
                    permalink: Some("https://www.instagram.com/p/C3/".to_owned()),
                    published_at: Some(published_at),
                    ..Step::to(PostState::Published, progress_with_container("c3", 0))
                }
                .park(None),
            ),
            // Same state with a detail: an event all the same.
            request(
                &posts[4],
                Step::to(PostState::Scheduled, PostProgress::default())
                    .detail(json!({"retry": 1, "reason": "throttled"})),
            ),
            // Failed, with the failure saved, parked until a person retries.
            request(
                &posts[5],
                Step {
                    failure: Some(failure()),
                    ..Step::to(PostState::Failed, PostProgress::default())
                }
                .detail(json!({"error": TRICKY_TEXT}))
                .park(Some(retry_at)),
            ),
        ];

        let applied = backend.store.apply_steps(OWNER, &requests).await.unwrap();

        assert_eq!(applied.now, now.as_millisecond());
        assert_eq!(applied.applied, vec![true; requests.len()]);
        for request in &requests {
            let saved = request.clone().saved(applied.now).unwrap();
            assert_eq!(get(&backend, &request.post).await, saved);
        }
        // A few columns spelled out, so a `saved` that drifts together with the SQL still fails.
        let published = get(&backend, &posts[3]).await;
        assert_eq!(published.media_id.as_deref(), Some("18000000000000003"));
        assert_eq!(published.published_at, Some(stored(published_at)));
        assert_eq!(published.updated_at, now);
        assert_eq!(get(&backend, &posts[5]).await.failure, Some(failure()));
        let progressed = get(&backend, &posts[2]).await;
        assert_eq!(progressed.progress, progress_with_container("c2", 3));
        assert_eq!(progressed.lease_owner.as_deref(), Some(OWNER));

        let event = |from: PostState, to: PostState, detail: Value| PostEvent {
            at: now,
            from: Some(from),
            to,
            detail,
        };
        let scheduled = PostState::Scheduled;
        let expected_events = [
            Some(event(
                scheduled,
                PostState::Creating,
                json!({"containers": ["c0"]}),
            )),
            Some(event(scheduled, PostState::Processing, json!({}))),
            None,
            Some(event(scheduled, PostState::Published, json!({}))),
            Some(event(
                scheduled,
                scheduled,
                json!({"retry": 1, "reason": "throttled"}),
            )),
            Some(event(
                scheduled,
                PostState::Failed,
                json!({"error": TRICKY_TEXT}),
            )),
        ];
        for ((post, before), added) in posts.iter().zip(&timelines).zip(expected_events) {
            assert_timeline(&backend, post, before, added).await;
        }
    })
    .await;
}

#[tokio::test]
async fn refused_steps_leave_their_posts_untouched_while_the_rest_of_the_batch_is_saved() {
    for_each_backend(|backend| async move {
        let (_tenant, integration) = account(&backend).await;
        // The first post goes to another worker before the others exist.
        let theirs = leased_posts(&backend, &integration, OTHER, 1)
            .await
            .remove(0);
        backend.clock.advance(Duration::from_secs(1));
        let ours = leased_posts(&backend, &integration, OWNER, 3).await;
        let (first, moved, last) = (&ours[0], &ours[1], &ours[2]);
        let mut untouched = Vec::new();
        for post in [&theirs, moved] {
            untouched.push((get(&backend, post).await, events(&backend, post).await));
        }
        let mut saved_timelines = Vec::new();
        for post in [first, last] {
            saved_timelines.push((post.clone(), events(&backend, post).await));
        }
        backend.clock.advance(Duration::from_secs(5));
        let creating = |container: &str| {
            Step::to(PostState::Creating, progress_with_container(container, 0))
                .detail(json!({"container": container}))
        };
        let requests = vec![
            request(first, creating("a")),
            // Leased by another worker: refused, even though its state matches.
            request(&theirs, creating("b").park(None)),
            // Not in the state the step starts from (a person or another step moved it).
            StepRequest {
                from: PostState::Creating,
                ..request(
                    moved,
                    Step::to(PostState::Processing, progress_with_container("c", 1))
                        .detail(json!({"container": "c"})),
                )
            },
            request(last, creating("d")),
        ];

        let applied = backend.store.apply_steps(OWNER, &requests).await.unwrap();

        assert_eq!(applied.applied, vec![true, false, false, true]);
        for (post, timeline) in &untouched {
            assert_eq!(&get(&backend, post).await, post);
            assert_timeline(&backend, post, timeline, None).await;
        }
        for (post, timeline) in &saved_timelines {
            let request = requests.iter().find(|r| r.post.id == post.id).unwrap();
            let saved = request.clone().saved(applied.now).unwrap();
            assert_eq!(get(&backend, post).await, saved);
            let added = PostEvent {
                at: at_millis(applied.now),
                from: Some(PostState::Scheduled),
                to: PostState::Creating,
                detail: request.step.detail.clone().unwrap(),
            };
            assert_timeline(&backend, post, timeline, Some(added)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_empty_batch_saves_nothing() {
    for_each_backend(|backend| async move {
        let (post, timeline) = one_leased_post(&backend).await;
        backend.clock.advance(Duration::from_secs(3));

        let applied = backend.store.apply_steps(OWNER, &[]).await.unwrap();

        assert_eq!(applied.now, backend.clock.now().as_millisecond());
        assert!(applied.applied.is_empty());
        assert_eq!(get(&backend, &post).await, post);
        assert_timeline(&backend, &post, &timeline, None).await;
    })
    .await;
}

// ---------------------------------------------------------------- leases and due times

#[tokio::test]
async fn a_released_step_parks_the_post_and_a_kept_lease_keeps_it_due() {
    for_each_backend(|backend| async move {
        let (_tenant, integration) = account(&backend).await;
        let posts = leased_posts(&backend, &integration, OWNER, 4).await;
        backend.clock.advance(Duration::from_secs(2));
        let now = backend.clock.now();
        let later = after(now, SignedDuration::from_micros(60_000_700));
        let step = || Step::to(PostState::Processing, progress_with_container("c", 0));
        let requests = vec![
            request(&posts[0], step().park(None)),
            request(&posts[1], step().park(Some(later))),
            request(&posts[2], step()),
            request(
                &posts[3],
                Step {
                    next_attempt_at: Some(later),
                    ..step()
                },
            ),
        ];

        let applied = backend.store.apply_steps(OWNER, &requests).await.unwrap();
        assert_eq!(applied.applied, vec![true; 4]);

        let lease = |post: &Post| (post.lease_owner.clone(), post.lease_expires_at);
        let parked = get(&backend, &posts[0]).await;
        assert_eq!(lease(&parked), (None, None));
        assert_eq!(parked.next_attempt_at, None);
        let parked_until = get(&backend, &posts[1]).await;
        assert_eq!(lease(&parked_until), (None, None));
        assert_eq!(parked_until.next_attempt_at, Some(stored(later)));
        let kept = get(&backend, &posts[2]).await;
        assert_eq!(lease(&kept), lease(&posts[2]));
        assert_eq!(kept.next_attempt_at, Some(now));
        let kept_later = get(&backend, &posts[3]).await;
        assert_eq!(lease(&kept_later), lease(&posts[3]));
        assert_eq!(kept_later.next_attempt_at, Some(stored(later)));
        for request in &requests {
            let saved = request.clone().saved(applied.now).unwrap();
            assert_eq!(get(&backend, &request.post).await, saved);
        }

        // Once `later` has come, another worker takes only the post parked until then: the
        // indefinitely parked one is not due, and the kept ones are still leased.
        backend
            .clock
            .set(after(later, SignedDuration::from_millis(1)));
        let taken = backend.store.lease_due(OTHER, 10, LEASE).await.unwrap();
        let taken: Vec<PostId> = taken.into_iter().map(|post| post.id).collect();
        assert_eq!(taken, vec![posts[1].id]);
    })
    .await;
}

// ---------------------------------------------------------------- one by one or batched

#[tokio::test]
async fn a_batched_step_saves_the_same_row_and_event_as_a_single_step() {
    for_each_backend(|backend| async move {
        let (_tenant, integration) = account(&backend).await;
        let steps = [
            Step {
                media_id: Some("18000000000000009".to_owned()),
                permalink: Some("https://www.instagram.com/p/C9/".to_owned()),
                published_at: Some(after(backend.clock.now(), SignedDuration::from_nanos(1))),
                ..Step::to(PostState::Published, progress_with_container("c9", 2))
            }
            .detail(json!({"media_id": "18000000000000009"}))
            .park(None),
            Step::to(PostState::Scheduled, progress_with_container("c8", 4)),
            Step {
                failure: Some(failure()),
                next_attempt_at: Some(after(backend.clock.now(), SignedDuration::from_mins(5))),
                ..Step::to(PostState::Failed, PostProgress::default())
            },
        ];
        for (index, step) in steps.into_iter().enumerate() {
            // Two identical posts made and leased at the same instant, so only ids differ.
            let caption = format!("twin {index}");
            let captions = [caption.clone(), caption];
            let pair = leased_with_captions(&backend, &integration, OWNER, &captions).await;
            let (single, batched) = (&pair[0], &pair[1]);
            backend.clock.advance(Duration::from_secs(4));

            let returned = backend
                .store
                .apply_step(single.id, OWNER, single.state, step.clone())
                .await
                .unwrap();
            let applied = backend
                .store
                .apply_steps(OWNER, &[request(batched, step)])
                .await
                .unwrap();

            assert_eq!(applied.applied, vec![true], "step {index}");
            assert_eq!(applied.now, backend.clock.now().as_millisecond());
            let single_row = get(&backend, single).await;
            assert_eq!(returned, single_row, "step {index}: apply_step's answer");
            let batched_row = get(&backend, batched).await;
            let renamed = Post {
                id: single.id,
                ..batched_row
            };
            assert_eq!(renamed, single_row, "step {index}: rows");
            assert_eq!(
                events(&backend, batched).await,
                events(&backend, single).await,
                "step {index}: timelines"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn of_two_steps_of_one_post_in_a_batch_only_the_first_is_saved() {
    for_each_backend(|backend| async move {
        let (post, timeline) = one_leased_post(&backend).await;
        backend.clock.advance(Duration::from_secs(1));
        let first = request(&post, Step::to(PostState::Creating, post.progress.clone()));
        let second = request(
            &post,
            Step::to(PostState::Processing, post.progress.clone())
                .detail(serde_json::json!({"second": true})),
        );

        let applied = backend
            .store
            .apply_steps(OWNER, &[first.clone(), second])
            .await
            .unwrap();

        assert_eq!(applied.applied, vec![true, false]);
        let saved = get(&backend, &post).await;
        assert_eq!(saved, first.saved(applied.now).unwrap());
        assert_eq!(saved.state, PostState::Creating);
        let new_events = &events(&backend, &post).await[timeline.len()..];
        assert_eq!(
            new_events.len(),
            1,
            "one event, of the first step: {new_events:?}"
        );
        assert_eq!(new_events[0].to, PostState::Creating);
    })
    .await;
}
