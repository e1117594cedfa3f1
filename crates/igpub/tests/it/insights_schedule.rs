//! The insights scheduler and the rules a pull obeys beside Meta's answers: intervals claimed
//! in the store, the publisher's pauses, rate limits that pause, and transient errors retried.

use std::sync::Arc;
use std::time::Duration;

use igpub::insights::{PullOutcome, RetryPolicy, pull_account_daily, schedule};
use igpub::store::testing::for_each_backend;
use igpub::store::{Clock, ManualClock, Pause};
use igpub_sim::{FaultSpec, RateBudgets, SimConfig};

use crate::insights_pull::env;

#[tokio::test]
async fn each_pull_runs_once_per_interval_however_often_the_scheduler_looks() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let mut ctx = env.context("v25.0");
        let clock = ManualClock::new(env.sim_now());
        ctx.clock = Arc::new(clock.clone());

        let first = schedule::run_due(&ctx).await.expect("a pass");
        let kinds: Vec<&str> = first.pulls.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["account", "media", "stories"]);
        assert!(
            first
                .pulls
                .iter()
                .all(|p| p.result == Ok(PullOutcome::Completed))
        );
        assert!(first.pulls[0].rows_written > 0);

        let again = schedule::run_due(&ctx).await.expect("a pass");
        assert!(again.pulls.is_empty(), "{again:?}");

        // Stories every 4 h, the account every 6 h, posts daily (the defaults).
        clock.advance(Duration::from_secs(4 * 60 * 60 + 1));
        let later = schedule::run_due(&ctx).await.expect("a pass");
        let kinds: Vec<&str> = later.pulls.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["stories"]);
        clock.advance(Duration::from_secs(2 * 60 * 60));
        let later = schedule::run_due(&ctx).await.expect("a pass");
        let kinds: Vec<&str> = later.pulls.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["account"]);
    })
    .await;
}

#[tokio::test]
async fn a_pull_waits_while_the_publisher_has_paused_the_account() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let ctx = env.context("v25.0");
        let until = env
            .backend
            .clock
            .now()
            .checked_add(jiff::SignedDuration::from_secs(600))
            .expect("a time");
        env.backend
            .store
            .set_pause(&Pause {
                scope: format!("account:{}", env.account.ig_user_id),
                until,
                reason: "X-Business-Use-Case-Usage at 95%".to_owned(),
            })
            .await
            .expect("a pause");
        let range = ctx.last_complete_days(2).expect("a range");
        let pulled = pull_account_daily(&ctx, &env.integration, range, None)
            .await
            .expect("the pull runs");
        assert!(
            matches!(&pulled.outcome, PullOutcome::Paused { until: at, scope } if *at == until && scope.starts_with("account:")),
            "{:?}",
            pulled.outcome
        );
        assert_eq!(pulled.requests, 0);
        assert_eq!(env.sim.counters().round_trips, 0);
    })
    .await;
}

#[tokio::test]
async fn a_rate_limit_pauses_the_account_for_every_worker_and_stops_the_pull() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            budgets: RateBudgets {
                account_calls_per_day: Some(3),
                ..RateBudgets::unlimited()
            },
            ..SimConfig::instant()
        };
        let env = env(backend, config).await;
        let ctx = env.context("v25.0");
        let range = ctx.last_complete_days(5).expect("a range");
        let pulled = pull_account_daily(&ctx, &env.integration, range, None)
            .await
            .expect("the pull runs");
        let PullOutcome::Paused { scope, .. } = &pulled.outcome else {
            panic!("expected a pause, got {:?}", pulled.outcome)
        };
        assert_eq!(scope, &format!("account:{}", env.account.ig_user_id));
        let stored = env.backend.store.active_pauses().await.expect("pauses");
        assert!(stored.iter().any(|p| &p.scope == scope), "{stored:?}");
        // Nothing was recorded as a metric failure: the metrics are fine, the budget is not.
        assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
        let before = env.sim.counters().round_trips;
        let next = pull_account_daily(&ctx, &env.integration, range, None)
            .await
            .expect("the pull runs");
        assert!(matches!(next.outcome, PullOutcome::Paused { .. }));
        assert_eq!(
            env.sim.counters().round_trips,
            before,
            "a paused pull calls nobody"
        );
    })
    .await;
}

#[tokio::test]
async fn transient_errors_are_retried_until_every_value_is_stored() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        env.sim
            .set_faults(
                "insights.account",
                FaultSpec {
                    transient_rate: 0.3,
                    ..FaultSpec::default()
                },
            )
            .expect("a fault");
        let mut ctx = env.context("v25.0");
        ctx.settings.retry = RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            max_attempts: 12,
        };
        let range = ctx.last_complete_days(4).expect("a range");
        let pulled = pull_account_daily(&ctx, &env.integration, range, None)
            .await
            .expect("the pull runs");
        assert_eq!(pulled.outcome, PullOutcome::Completed);
        assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
        let counters = env.sim.counters();
        let refused: u64 = counters
            .calls
            .get("insights.account")
            .map(|r| r.iter().filter(|(k, _)| *k != "ok").map(|(_, n)| n).sum())
            .unwrap_or(0);
        assert!(refused > 0, "the fault fired: {counters:?}");
        let stored = env
            .backend
            .fetch_i64("SELECT count(*) FROM account_metrics WHERE breakdown_key = ''")
            .await
            .expect("counts");
        // Ten columns over four days, follower_count included.
        assert_eq!(stored, 40);
    })
    .await;
}
