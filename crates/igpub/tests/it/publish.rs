//! The publishing worker against the simulator's ground truth, on every store backend.

use std::time::Duration;

use igpub::store::testing::for_each_backend;
use igpub::store::{ContainerKind, PostState};
use igpub_sim::{CommitThenFail, FaultSpec};

use crate::publish_support::{Harness, image_post, sim_config};

#[tokio::test]
async fn an_image_post_is_published_once_with_its_timeline() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let post = harness.create(0, image_post("Sunset over the bay")).await;
        assert_eq!(post.state, PostState::Scheduled);

        harness.settle(&harness.worker()).await;

        let view = harness
            .posts
            .get(harness.tenant, post.id)
            .await
            .expect("post");
        assert_eq!(view.state, PostState::Published, "{view:?}");
        let published = harness.published(0);
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].caption.as_deref(), Some("Sunset over the bay"));
        assert_eq!(
            view.media_id.as_deref(),
            Some(published[0].media_id.as_str())
        );
        assert_eq!(
            view.permalink.as_deref(),
            Some(published[0].permalink.as_str())
        );
        let timeline: Vec<PostState> = view
            .timeline
            .expect("timeline")
            .iter()
            .map(|event| event.to)
            .collect();
        assert_eq!(
            timeline,
            // Containers are made straight from `scheduled`: the first write is the one
            // that records their ids.
            [
                PostState::Scheduled,
                PostState::Processing,
                PostState::Publishing,
                PostState::Published
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn posts_of_many_accounts_falling_due_together_share_round_trips_and_publish_once() {
    for_each_backend(|backend| async move {
        // Each request takes 300 ms, so the first calls are still in flight when the rest
        // arrive, however slowly a loaded machine starts the posts' tasks (with instant
        // answers, every call could find a free slot and go alone).
        let config = igpub_sim::SimConfig {
            accounts: 4,
            latency: Duration::from_millis(300),
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let mut posts = Vec::new();
        for index in 0..12 {
            let caption = format!("Together {index}");
            posts.push(harness.create(index % 4, image_post(&caption)).await.id);
        }
        harness.sim.reset_counters();

        harness.settle(&harness.worker()).await;

        for post in &posts {
            assert_eq!(harness.state_of(*post).await, PostState::Published);
        }
        for account in 0..4 {
            assert_eq!(harness.published(account).len(), 3, "account {account}");
        }
        let counters = harness.sim.counters();
        assert_eq!(counters.total_calls_of("media.create"), 12);
        assert_eq!(counters.total_calls_of("media.publish"), 12);
        // Creations and publishes of posts worked together went as shared batches, each
        // sub-request on its own account's token: far fewer requests than calls.
        let direct_creations = counters
            .round_trips_by_endpoint
            .get("media.create")
            .copied()
            .unwrap_or(0);
        assert!(direct_creations < 12, "{counters:?}");
        assert!(counters.round_trips < 24, "{counters:?}");
    })
    .await;
}

#[tokio::test]
async fn a_new_worker_reads_its_first_container_at_the_processing_time_learned_before() {
    for_each_backend(|backend| async move {
        // The store's clock stands still here, so the worker's times are those it learned,
        // and its first read waits them out in real time: 200 ms, where the container takes
        // 120 ms. A probe would read at 20 ms, in progress, then every 10 ms.
        let config = igpub_sim::SimConfig {
            image_processing: Duration::from_millis(120),
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let store = &harness.backend.store;
        store
            .save_learned_processing(ContainerKind::Image, &[Duration::from_millis(200)])
            .await
            .expect("saved as an earlier worker would");

        let post = harness.create(0, image_post("Learned before")).await.id;
        harness.sim.reset_counters();
        harness.settle(&harness.worker()).await;
        assert_eq!(harness.state_of(post).await, PostState::Published);
        assert_eq!(harness.sim.counters().total_calls_of("container.get"), 1);
        // The worker saved what it saw (with the standing clock, a time of zero) after the
        // samples it started from, for the next worker.
        let learned = store.learned_processing().await.expect("learned times");
        let images: Vec<_> = learned
            .iter()
            .filter(|learned| learned.kind == ContainerKind::Image)
            .collect();
        assert_eq!(images.len(), 1, "{learned:?}");
        assert_eq!(images[0].samples.len(), 2, "{learned:?}");
        assert_eq!(images[0].samples[0], Duration::from_millis(200));

        // Samples saved more than a day before are not trusted: the next new worker probes.
        harness
            .backend
            .clock
            .advance(Duration::from_secs(25 * 3600));
        let later = harness.create(1, image_post("Learned long ago")).await.id;
        harness.sim.reset_counters();
        harness.settle(&harness.worker()).await;
        assert_eq!(harness.state_of(later).await, PostState::Published);
        assert!(harness.sim.counters().total_calls_of("container.get") > 1);
    })
    .await;
}

#[tokio::test]
async fn carousels_reels_and_stories_are_published_with_their_children() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let carousel = harness
            .create(
                0,
                serde_json::json!({
                    "kind": "carousel",
                    "caption": "Three looks",
                    "media": [
                        {"url": "https://cdn.example.com/1.jpg"},
                        {"url": "https://cdn.example.com/2.mp4", "type": "video"},
                        {"url": "https://cdn.example.com/3.jpg", "alt_text": "A red coat"}
                    ],
                    "first_comment": "Sizes XS to XL"
                }),
            )
            .await;
        let reel = harness
            .create(
                0,
                serde_json::json!({
                    "kind": "reel", "caption": "Behind the scenes",
                    "media": [{"url": "https://cdn.example.com/r.mp4"}],
                    "reel": {"share_to_feed": true}
                }),
            )
            .await;
        let story = harness
            .create(
                1,
                serde_json::json!({"kind": "story", "media": [{"url": "https://cdn.example.com/s.jpg"}]}),
            )
            .await;

        harness.settle(&harness.worker()).await;

        for post in [&carousel, &reel, &story] {
            assert_eq!(harness.state_of(post.id).await, PostState::Published);
        }
        let first = harness.published(0);
        assert_eq!(first.len(), 2, "{first:?}");
        let album = first
            .iter()
            .find(|media| media.caption.as_deref() == Some("Three looks"))
            .expect("the carousel is live");
        let kinds: Vec<&str> = album.children.iter().map(|c| c.media_type.as_str()).collect();
        assert_eq!(kinds, ["IMAGE", "VIDEO", "IMAGE"]);
        assert!(first.iter().any(|m| m.media_product_type == "REELS"));
        let stories = harness.published(1);
        assert_eq!(stories.len(), 1);
        assert_eq!(stories[0].media_product_type, "STORY");
        let comments = harness.sim.counters().calls_of("comments.create", "ok");
        assert_eq!(comments, 1, "the first comment is posted once");
    })
    .await;
}

async fn ambiguous_publish_is_settled_once(mode: CommitThenFail) {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        harness
            .sim
            .set_faults(
                "media.publish",
                FaultSpec {
                    commit_then_fail_rate: 1.0,
                    commit_then_fail: mode,
                    ..FaultSpec::default()
                },
            )
            .expect("fault");
        let post = harness.create(0, image_post("Ambiguous on purpose")).await;

        harness.settle(&harness.worker()).await;

        let view = harness
            .posts
            .get(harness.tenant, post.id)
            .await
            .expect("post");
        assert_eq!(view.state, PostState::Published, "{view:?}");
        let published = harness.published(0);
        assert_eq!(published.len(), 1, "published exactly once");
        assert_eq!(
            view.media_id.as_deref(),
            Some(published[0].media_id.as_str())
        );
        let through_verifying = view
            .timeline
            .expect("timeline")
            .iter()
            .any(|event| event.to == PostState::Verifying);
        assert!(through_verifying);
        assert_eq!(
            harness.sim.counters().total_calls_of("media.publish"),
            1,
            "media_publish is never re-sent"
        );
    })
    .await;
}

#[tokio::test]
async fn publish_is_not_resent_after_an_ambiguous_5xx() {
    ambiguous_publish_is_settled_once(CommitThenFail::Error).await;
}

#[tokio::test]
async fn publish_is_not_resent_after_a_dropped_connection() {
    ambiguous_publish_is_settled_once(CommitThenFail::Drop).await;
}

#[tokio::test]
async fn publish_is_not_resent_after_a_spam_block_that_published() {
    ambiguous_publish_is_settled_once(CommitThenFail::SpamBlock).await;
}

#[tokio::test]
async fn an_ambiguous_container_creation_still_publishes_exactly_once() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        harness
            .sim
            .set_faults(
                "media.create",
                FaultSpec {
                    commit_then_fail_rate: 0.5,
                    ..FaultSpec::default()
                },
            )
            .expect("fault");
        let mut ids = Vec::new();
        for n in 0..6 {
            ids.push(harness.create(0, image_post(&format!("Post {n}"))).await.id);
        }

        harness.settle(&harness.worker()).await;

        for id in &ids {
            assert_eq!(harness.state_of(*id).await, PostState::Published);
        }
        let published = harness.published(0);
        assert_eq!(published.len(), 6);
        let mut captions: Vec<_> = published.iter().filter_map(|m| m.caption.clone()).collect();
        captions.sort();
        captions.dedup();
        assert_eq!(captions.len(), 6, "no caption published twice");
    })
    .await;
}

#[tokio::test]
async fn a_crash_at_every_step_boundary_resumes_and_publishes_exactly_once() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let mut at_save = 1;
        loop {
            let caption = format!("Crash at save {at_save}");
            let mut body = image_post(&caption);
            body["first_comment"] = serde_json::json!("First!");
            let post = harness.create(0, body).await;
            let crashing = harness.worker_with(|config| config.crash_at_save = Some(at_save));
            crashing.run_due_now().await.expect("runs");
            let after_crash = harness
                .posts
                .get(harness.tenant, post.id)
                .await
                .expect("post");
            // Unfinished: not published yet, or follow-ups still due.
            let crashed =
                after_crash.state != PostState::Published || after_crash.next_attempt_at.is_some();
            // The dead worker's lease runs out; another worker resumes from the saved state.
            harness.backend.clock.advance(Duration::from_secs(31));
            harness.settle(&harness.worker()).await;

            let view = harness
                .posts
                .get(harness.tenant, post.id)
                .await
                .expect("post");
            assert_eq!(
                view.state,
                PostState::Published,
                "crash at save {at_save}: {view:?}"
            );
            let live: Vec<_> = harness
                .published(0)
                .into_iter()
                .filter(|m| m.caption.as_deref() == Some(caption.as_str()))
                .collect();
            assert_eq!(live.len(), 1, "crash at save {at_save}: published once");
            assert_eq!(view.media_id.as_deref(), Some(live[0].media_id.as_str()));
            if !crashed {
                break;
            }
            at_save += 1;
            assert!(at_save < 20, "the worker never finished without crashing");
        }
        assert!(
            at_save >= 6,
            "every step boundary was crashed at ({at_save})"
        );
        let comments = harness.sim.counters().total_calls_of("comments.create");
        assert!(
            comments <= u64::from(at_save),
            "a first comment is never sent twice ({comments} for {at_save} posts)"
        );
    })
    .await;
}

#[tokio::test]
async fn due_posts_are_leased_in_batches_and_not_by_two_workers() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        for n in 0..30 {
            harness
                .create(n % 2, image_post(&format!("Shared {n}")))
                .await;
        }
        let first = harness.worker();
        let second = harness.worker();
        for _ in 0..40 {
            let (a, b) = tokio::join!(first.run_due_now(), second.run_due_now());
            a.expect("first runs");
            b.expect("second runs");
            harness.backend.clock.advance(Duration::from_millis(250));
        }
        let total = harness.published(0).len() + harness.published(1).len();
        assert_eq!(total, 30);
        assert_eq!(
            harness.sim.counters().total_calls_of("media.create"),
            30,
            "no post was worked twice"
        );
        let leased = first.metrics().snapshot().leased + second.metrics().snapshot().leased;
        assert!(leased >= 30);
        assert_eq!(
            harness.backend.store.next_due_at().await.expect("due"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn a_killed_workers_leases_are_taken_over_after_they_expire() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(
                harness
                    .create(0, image_post(&format!("Orphan {n}")))
                    .await
                    .id,
            );
        }
        let killed = harness.worker_with(|config| config.crash_at_save = Some(1));
        assert_eq!(killed.run_due_now().await.expect("runs"), 5);
        let survivor = harness.worker();
        assert_eq!(
            survivor.run_due_now().await.expect("runs"),
            0,
            "live leases are respected"
        );
        harness.backend.clock.advance(Duration::from_secs(31));
        harness.settle(&survivor).await;
        for id in ids {
            assert_eq!(harness.state_of(id).await, PostState::Published);
        }
        assert_eq!(harness.published(0).len(), 5);
    })
    .await;
}
