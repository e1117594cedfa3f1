//! Quota, reauth, container failures, drafts, idempotency and the posts API's rules.

use std::time::Duration;

use igpub::publish::PostsError;
use igpub::publish::service::{CreatePost, ListQuery};
use igpub::store::Clock as _;
use igpub::store::testing::for_each_backend;
use igpub::store::{IntegrationStatus, PostState};
use igpub_sim::{SimConfig, TokenFailure};

use crate::publish_support::{Harness, image_post, sim_config, token_of};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::test]
async fn the_post_beyond_the_quota_waits_for_its_slot_and_never_fails() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            accounts: 1,
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let mut ids = Vec::new();
        for n in 0..101 {
            ids.push(
                harness
                    .create(0, image_post(&format!("Quota {n}")))
                    .await
                    .id,
            );
        }
        let worker = harness.worker();
        harness.settle(&worker).await;

        assert_eq!(harness.published(0).len(), 100);
        let mut waiting = Vec::new();
        for id in &ids {
            match harness.state_of(*id).await {
                PostState::Published => {}
                PostState::WaitingQuota => waiting.push(*id),
                other => panic!("post {id} is {other}"),
            }
        }
        assert_eq!(waiting.len(), 1, "exactly one post waits");
        let view = harness
            .posts
            .get(harness.tenant, waiting[0])
            .await
            .expect("post");
        let slot = view.next_attempt_at.expect("a slot");
        let wait = slot.duration_since(harness.backend.clock.now());
        assert!(
            wait > jiff::SignedDuration::from_hours(23),
            "the slot is a day after the oldest publish ({wait:?})"
        );

        harness.sim.advance_clock(DAY + Duration::from_secs(60));
        harness.backend.clock.advance(DAY + Duration::from_secs(60));
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(waiting[0]).await, PostState::Published);
        assert_eq!(harness.published(0).len(), 101);
        let quota_reads = harness.sim.counters().total_calls_of("publishing_limit");
        assert!(
            quota_reads < 10,
            "the quota is read rarely, not per post ({quota_reads})"
        );
    })
    .await;
}

#[tokio::test]
async fn a_revoked_token_holds_the_posts_until_the_account_is_reconnected() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let token = token_of(&harness.accounts[0]);
        harness
            .sim
            .fail_token(&token, TokenFailure::Expired)
            .expect("token fails");
        let first = harness.create(0, image_post("Held one")).await;
        let second = harness.create(0, image_post("Held two")).await;
        let worker = harness.worker();
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(first.id).await, PostState::Held);
        assert_eq!(harness.state_of(second.id).await, PostState::Held);
        let integration = harness
            .backend
            .store
            .get_integration(harness.tenant, harness.integrations[0].id)
            .await
            .expect("integration");
        assert_eq!(integration.status, IntegrationStatus::NeedsReconnect);
        assert!(harness.published(0).is_empty());

        // The reconnect: a new Page token for the same account.
        harness.reconnect(0).await;
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(first.id).await, PostState::Published);
        assert_eq!(harness.state_of(second.id).await, PostState::Published);
        assert_eq!(harness.published(0).len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_refusal_of_a_token_replaced_by_a_reconnect_does_not_hold_the_post() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let worker = harness.worker();
        // The worker reads and keeps the account's token while publishing a first post.
        let first = harness.create(0, image_post("Before the reconnect")).await;
        harness.settle(&worker).await;
        assert_eq!(harness.state_of(first.id).await, PostState::Published);

        // Meta stops taking that token and the account is reconnected, all while the worker
        // still holds the old token: its next call is refused with 190.
        let old = token_of(&harness.accounts[0]);
        harness
            .sim
            .fail_token(&old, TokenFailure::Expired)
            .expect("token fails");
        harness.reconnect(0).await;
        let second = harness.create(0, image_post("After the reconnect")).await;
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(second.id).await, PostState::Published);
        let integration = harness
            .backend
            .store
            .get_integration(harness.tenant, harness.integrations[0].id)
            .await
            .expect("integration");
        assert_eq!(
            integration.status,
            IntegrationStatus::Active,
            "the fresh reconnect stays active"
        );
        assert_eq!(harness.published(0).len(), 2);
    })
    .await;
}

#[tokio::test]
async fn containers_in_error_are_made_again_a_bounded_number_of_times() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            container_error_rate: 1.0,
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let post = harness.create(0, image_post("Never finishes")).await;
        let worker = harness.worker_with(|config| config.max_container_rounds = 2);
        harness.settle(&worker).await;

        let view = harness
            .posts
            .get(harness.tenant, post.id)
            .await
            .expect("post");
        assert_eq!(view.state, PostState::Failed, "{view:?}");
        let failure = view.failure.expect("a failure");
        assert!(
            failure.message.contains("containers failed 3 times"),
            "{failure:?}"
        );
        assert!(!failure.advice.is_empty());
        assert_eq!(harness.sim.counters().total_calls_of("media.create"), 3);
        assert!(harness.published(0).is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_draft_keeps_its_containers_and_gets_new_ones_once_they_expired() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let mut draft_input = image_post("Draft for later");
        draft_input["draft"] = serde_json::json!(true);
        let draft = harness.create(0, draft_input).await;
        assert_eq!(draft.state, PostState::Draft);
        let worker = harness.worker();
        harness.settle(&worker).await;

        let view = harness
            .posts
            .get(harness.tenant, draft.id)
            .await
            .expect("draft");
        assert_eq!(view.state, PostState::Draft);
        assert!(
            view.containers_expire_at.is_some(),
            "containers are tracked"
        );
        assert_eq!(harness.sim.counters().total_calls_of("media.create"), 1);
        assert!(harness.published(0).is_empty(), "a draft is not published");

        harness.sim.advance_clock(DAY + Duration::from_secs(60));
        harness.backend.clock.advance(DAY + Duration::from_secs(60));
        harness
            .posts
            .publish_now(harness.tenant, draft.id)
            .await
            .expect("publish now");
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(draft.id).await, PostState::Published);
        assert_eq!(harness.published(0).len(), 1);
        assert_eq!(
            harness.sim.counters().total_calls_of("media.create"),
            2,
            "the expired container was replaced"
        );
    })
    .await;
}

#[tokio::test]
async fn a_container_that_expired_at_meta_is_replaced_before_publishing() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let mut draft_input = image_post("Expired at Meta");
        draft_input["draft"] = serde_json::json!(true);
        let draft = harness.create(0, draft_input).await;
        let worker = harness.worker();
        harness.settle(&worker).await;
        // Only Meta's clock moves: igpub still thinks the container is fresh.
        harness.sim.advance_clock(DAY + Duration::from_secs(60));
        harness
            .posts
            .publish_now(harness.tenant, draft.id)
            .await
            .expect("publish now");
        harness.settle(&worker).await;

        assert_eq!(harness.state_of(draft.id).await, PostState::Published);
        assert_eq!(harness.published(0).len(), 1);
        assert_eq!(harness.sim.counters().total_calls_of("media.create"), 2);
    })
    .await;
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_post_and_another_body_conflicts() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let (first, created) = harness
            .create_keyed(0, image_post("Once"), Some("key-1"))
            .await;
        assert!(created);
        let (again, created_again) = harness
            .create_keyed(0, image_post("Once"), Some("key-1"))
            .await;
        assert!(!created_again);
        assert_eq!(again.id, first.id);

        let serde_json::Value::Object(other) = image_post("Something else") else {
            panic!("object")
        };
        let conflict = harness
            .posts
            .create(
                harness.tenant,
                CreatePost {
                    auto_fix: None,
                    integration_id: harness.integrations[0].id,
                    post: other,
                },
                Some("key-1".into()),
            )
            .await;
        assert!(
            matches!(conflict, Err(PostsError::Conflict(_))),
            "{conflict:?}"
        );
        let all = harness
            .posts
            .list(harness.tenant, ListQuery::default())
            .await
            .expect("list");
        assert_eq!(all.posts.len(), 1, "never a second post for one key");
    })
    .await;
}

#[tokio::test]
async fn an_invalid_post_is_refused_with_every_problem_and_nothing_is_stored() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let body = serde_json::json!({
            "kind": "story",
            "caption": "Stories take no caption",
            "collaborators": ["a", "b", "c", "d"],
            "media": [{"url": "ftp://example.com/a.jpg"}]
        });
        let serde_json::Value::Object(post) = body else {
            panic!("object")
        };
        let request = CreatePost {
            auto_fix: None,
            integration_id: harness.integrations[0].id,
            post,
        };
        let report = harness
            .posts
            .validate(harness.tenant, request.clone())
            .await
            .expect("dry run");
        assert!(!report.valid);
        let fields: Vec<&str> = report.problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"caption"), "{fields:?}");
        assert!(fields.contains(&"media[0].url"), "{fields:?}");
        assert!(
            fields.iter().any(|f| f.starts_with("collaborators")),
            "{fields:?}"
        );

        let refused = harness.posts.create(harness.tenant, request, None).await;
        let Err(PostsError::Invalid(errors)) = refused else {
            panic!("refused: {refused:?}")
        };
        assert!(errors.len() >= 3);
        let all = harness
            .posts
            .list(harness.tenant, ListQuery::default())
            .await
            .expect("list");
        assert!(all.posts.is_empty());
    })
    .await;
}

#[tokio::test]
async fn edits_cancels_and_retries_follow_the_post_state() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let later = serde_json::json!({
            "kind": "image",
            "caption": "Tomorrow",
            "media": [{"url": "https://cdn.example.com/a.jpg"}],
            "publish_at": "2099-01-01T09:00:00Z"
        });
        let post = harness.create(0, later.clone()).await;
        let mut edited = later.clone();
        edited["caption"] = serde_json::json!("Tomorrow, edited");
        let serde_json::Value::Object(edited) = edited else {
            panic!("object")
        };
        let view = harness
            .posts
            .update(harness.tenant, post.id, edited)
            .await
            .expect("editable before work starts");
        assert_eq!(view.post.caption.as_deref(), Some("Tomorrow, edited"));

        let cancelled = harness
            .posts
            .cancel(harness.tenant, post.id)
            .await
            .expect("cancel");
        assert_eq!(cancelled.state, PostState::Cancelled);
        let retry = harness.posts.retry(harness.tenant, post.id).await;
        assert!(matches!(retry, Err(PostsError::Conflict(_))), "{retry:?}");

        let now = harness.create(0, image_post("Published now")).await;
        harness.settle(&harness.worker()).await;
        let cancel_late = harness.posts.cancel(harness.tenant, now.id).await;
        assert!(
            matches!(cancel_late, Err(PostsError::Conflict(_))),
            "{cancel_late:?}"
        );

        let (other_tenant, _) = harness
            .backend
            .store
            .create_tenant("Other")
            .await
            .expect("tenant");
        let hidden = harness.posts.get(other_tenant.id, now.id).await;
        assert!(matches!(hidden, Err(PostsError::NotFound(_))), "{hidden:?}");
    })
    .await;
}

#[tokio::test]
async fn a_failed_post_is_retried_from_the_start_with_fresh_counters() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            container_error_rate: 1.0,
            ..sim_config()
        };
        let harness = Harness::start(backend, config).await;
        let post = harness.create(0, image_post("Second chance")).await;
        let worker = harness.worker_with(|config| config.max_container_rounds = 0);
        harness.settle(&worker).await;
        assert_eq!(harness.state_of(post.id).await, PostState::Failed);

        let retried = harness
            .posts
            .retry(harness.tenant, post.id)
            .await
            .expect("retry");
        assert_eq!(retried.state, PostState::Scheduled);
        assert!(retried.failure.is_none());
        // The simulator still fails every container, so the retry fails again, counted anew.
        harness.settle(&worker).await;
        assert_eq!(harness.state_of(post.id).await, PostState::Failed);
        assert_eq!(harness.sim.counters().total_calls_of("media.create"), 2);
    })
    .await;
}

#[tokio::test]
async fn a_running_worker_picks_up_a_new_post_and_releases_its_leases_on_shutdown() {
    for_each_backend(|backend| async move {
        let harness = Harness::start(backend, sim_config()).await;
        let worker = harness.worker();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.clone().run_until(async {
            let _ = stopped.await;
        }));
        let post = harness.create(0, image_post("Picked up")).await;
        let mut published = false;
        for _ in 0..200 {
            if harness.state_of(post.id).await == PostState::Published {
                published = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(published, "a due post is picked up without a manual run");
        let _ = stop.send(());
        running.await.expect("joins").expect("stops cleanly");
        let leased = harness
            .backend
            .fetch_i64("SELECT COUNT(*) FROM posts WHERE lease_owner IS NOT NULL")
            .await
            .expect("count");
        assert_eq!(leased, 0, "leases are released on shutdown");
    })
    .await;
}

/// Makes every save of a post into `processing` fail, as if the database went away right
/// after the container was made (a restart, a broken connection).
const REFUSE_PROCESSING_SQLITE: &str = "CREATE TRIGGER refuse_processing BEFORE UPDATE OF state \
     ON posts WHEN NEW.state = 'processing' BEGIN SELECT RAISE(ABORT, 'the database is down'); END";
const REFUSE_PROCESSING_POSTGRES: &str = "CREATE FUNCTION refuse_processing() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the database is down'; END $$; \
     CREATE TRIGGER refuse_processing BEFORE UPDATE OF state ON posts FOR EACH ROW \
     WHEN (NEW.state = 'processing') EXECUTE FUNCTION refuse_processing()";

#[tokio::test]
async fn a_step_the_store_could_not_save_is_worked_again_once_the_store_is_back() {
    for_each_backend(|backend| async move {
        let postgres = backend.backend == igpub::store::Backend::Postgres;
        let harness = Harness::start(backend, sim_config()).await;
        harness
            .backend
            .execute(if postgres {
                REFUSE_PROCESSING_POSTGRES
            } else {
                REFUSE_PROCESSING_SQLITE
            })
            .await
            .expect("trigger");
        let worker = harness.worker();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.clone().run_until(async {
            let _ = stopped.await;
        }));
        let post = harness.create(0, image_post("Rides out the outage")).await;
        // A second container means the post was worked again after its save failed (the
        // first one was made, then its save refused). Without the retry the post stays leased
        // by this worker, its lease renewed by the heartbeat, and nothing happens to it again.
        let mut retried = false;
        for _ in 0..500 {
            if harness.sim.counters().total_calls_of("media.create") >= 2 {
                retried = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(retried, "the post is worked again after a failed save");
        assert_eq!(harness.state_of(post.id).await, PostState::Scheduled);
        harness
            .backend
            .execute(if postgres {
                "DROP TRIGGER refuse_processing ON posts"
            } else {
                "DROP TRIGGER refuse_processing"
            })
            .await
            .expect("drop trigger");
        let mut published = false;
        for _ in 0..500 {
            if harness.state_of(post.id).await == PostState::Published {
                published = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(published, "the post is published once the store is back");
        assert_eq!(harness.published(0).len(), 1, "published exactly once");
        let _ = stop.send(());
        running
            .await
            .expect("joins")
            .expect("a store failure does not end the worker");
    })
    .await;
}
