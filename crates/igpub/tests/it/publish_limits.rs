//! Rate limits, pauses and the cost of a post in Graph calls.

use std::time::Duration;

use igpub::store::PostState;
use igpub::store::testing::for_each_backend;
use igpub_sim::{RateBudgets, SimConfig};

use crate::publish_support::{Harness, image_post, sim_config};

const HOUR: Duration = Duration::from_secs(60 * 60);

#[tokio::test]
async fn a_lone_image_post_costs_three_round_trips_and_four_graph_calls() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            image_processing: Duration::ZERO,
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let post = harness.create(0, image_post("Lean")).await;
        harness.sim.reset_counters();
        harness.settle(&harness.worker()).await;

        assert_eq!(harness.state_of(post.id).await, PostState::Published);
        let counters = harness.sim.counters();
        assert_eq!(counters.round_trips, 3, "{counters:?}");
        let calls: u64 = counters.calls.values().flat_map(|by| by.values()).sum();
        assert_eq!(calls, 4, "create, poll, publish, permalink: {counters:?}");
        assert_eq!(counters.total_calls_of("publishing_limit"), 0);
    })
    .await;
}

#[tokio::test]
async fn usage_near_the_limit_pauses_the_account_for_every_worker_and_nothing_fails() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            budgets: RateBudgets {
                account_calls_per_day: Some(20),
                ..RateBudgets::default()
            },
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let mut ids = Vec::new();
        for n in 0..6 {
            ids.push(
                harness
                    .create(0, image_post(&format!("Budget {n}")))
                    .await
                    .id,
            );
        }
        let worker = harness.worker();
        harness.settle(&worker).await;

        let pauses = harness
            .backend
            .fetch_i64("SELECT COUNT(*) FROM account_pauses WHERE scope LIKE 'account:%'")
            .await
            .expect("count");
        assert_eq!(pauses, 1, "the account's pause is stored for every worker");
        let mut unpublished = 0;
        for id in &ids {
            match harness.state_of(*id).await {
                PostState::Published => {}
                PostState::Failed | PostState::Held => panic!("a rate limit never fails a post"),
                _ => unpublished += 1,
            }
        }
        assert!(unpublished > 0, "the pause held some posts back");

        // A fresh worker honours the stored pause without having seen the headers itself.
        let other = harness.worker();
        assert_eq!(other.run_due_now().await.expect("runs"), 0);

        // The budget allows a few posts a day: as Meta's rolling window frees calls, more go
        // out; none ever fails.
        let mut hours = 0;
        loop {
            harness.sim.advance_clock(HOUR);
            harness.backend.clock.advance(HOUR);
            harness.settle(&other).await;
            hours += 1;
            let mut done = true;
            for id in &ids {
                match harness.state_of(*id).await {
                    PostState::Published => {}
                    PostState::Failed | PostState::Held => {
                        let view = harness.posts.get(harness.tenant, *id).await;
                        panic!("a rate limit never fails a post: {view:?}")
                    }
                    _ => done = false,
                }
            }
            if done {
                break;
            }
            if hours >= 72 {
                for id in &ids {
                    let view = harness.posts.get(harness.tenant, *id).await.expect("post");
                    for event in view.timeline.unwrap_or_default() {
                        eprintln!(
                            "{id} {} {:?}->{} {}",
                            event.at, event.from, event.to, event.detail
                        );
                    }
                }
                panic!("posts never got through the daily budget");
            }
        }
        assert_eq!(harness.published(0).len(), 6);
    })
    .await;
}
