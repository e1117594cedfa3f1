//! Insights pulls against an in-process simulator, on SQLite and PostgreSQL: pulled values
//! equal the simulator's ground truth, version gating, window splitting, idempotent backfills,
//! a failing metric isolated with its error recorded, and the reports built from the store.

use std::sync::Arc;

use igpub::insights::{
    AccountReportRequest, DateRange, GetInsights, InsightsContext, MediaSelection, MetricRequest,
    Period, PullOutcome, RetryPolicy, account_report, account_report_csv, day_of_end_time,
    end_time_of_day, get_insights, pull_account, pull_account_daily, pull_recent_media,
};
use igpub::store::testing::{TestBackend, for_each_backend};
use igpub::store::{Integration, ManualClock, NewIntegration, Tenant};
use igpub_graph::GraphClient;
use igpub_sim::{SeededAccount, Sim, SimConfig, SimHandle};
use jiff::Timestamp;
use jiff::civil::Date;
use std::time::Duration;

/// A simulator, a tenant and one connected account on a fresh store.
pub(crate) struct Env {
    pub backend: TestBackend,
    pub sim: SimHandle,
    pub tenant: Tenant,
    pub integration: Integration,
    pub account: SeededAccount,
    pub seed: u64,
}

pub(crate) async fn env(backend: TestBackend, config: SimConfig) -> Env {
    let seed = config.seed;
    let sim = Sim::start(config).await.expect("the simulator starts");
    let account = sim.accounts().remove(0);
    let (tenant, _key) = backend
        .store
        .create_tenant("Insights agency")
        .await
        .expect("a tenant");
    let integration = backend
        .store
        .upsert_instagram_integration(
            tenant.id,
            NewIntegration {
                ig_user_id: account.ig_user_id.clone(),
                ig_username: account.username.clone(),
                facebook_page_id: account.page_id.clone(),
                page_token: account.page_token.clone(),
                token_expires_at: None,
            },
        )
        .await
        .expect("an integration");
    Env {
        backend,
        sim,
        tenant,
        integration,
        account,
        seed,
    }
}

impl Env {
    /// The simulator's now, to the millisecond.
    pub fn sim_now(&self) -> Timestamp {
        Timestamp::from_second(self.sim.now_unix()).expect("a time")
    }

    /// A pull context on Graph version `version`, on the simulator's clock, retrying fast.
    pub fn context(&self, version: &str) -> InsightsContext {
        let graph = GraphClient::builder()
            .base_url(self.sim.base_url().as_str())
            .api_version(version)
            .build()
            .expect("a client");
        let mut ctx = InsightsContext::new(self.backend.store.clone(), graph);
        ctx.clock = Arc::new(ManualClock::new(self.sim_now()));
        ctx.settings.retry = RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_attempts: 3,
        };
        ctx
    }

    /// The ground truth for the account's `metric` on `day`.
    pub fn truth(&self, metric: &str, day: Date) -> i64 {
        let end = end_time_of_day(day).expect("a day end");
        igpub_sim::insights::account_metric_value(
            self.seed,
            &self.account.ig_user_id,
            metric,
            end.as_second(),
        )
    }
}

fn days(ctx: &InsightsContext, n: i64) -> DateRange {
    ctx.last_complete_days(n).expect("a range")
}

#[tokio::test]
async fn pulled_account_values_equal_the_simulators_ground_truth() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let ctx = env.context("v25.0");
        let range = days(&ctx, 5);
        let pulled = pull_account_daily(&ctx, &env.integration, range, None)
            .await
            .expect("the pull runs");
        assert_eq!(pulled.outcome, PullOutcome::Completed);
        assert!(pulled.failures.is_empty(), "{:?}", pulled.failures);
        // One time series call for reach and follower_count each, five single days of the
        // total_value metrics, all in one batch.
        assert_eq!(pulled.round_trips, 1, "{pulled:?}");

        let report = account_report(
            &env.backend.store,
            &ctx.registry,
            ctx.version().expect("a version"),
            ctx.now(),
            env.tenant.id,
            env.integration.id,
            &AccountReportRequest {
                range,
                columns: Vec::new(),
                period: Period::Day,
            },
        )
        .await
        .expect("the report builds");
        let table = &report.report.table;
        for row in &table.rows {
            for (column, value) in table.columns.iter().zip(&row.values) {
                assert_eq!(
                    *value,
                    Some(env.truth(&column.name, row.date)),
                    "{} on {}",
                    column.name,
                    row.date
                );
            }
        }
        assert_eq!(table.rows.len(), 5);
        let csv = account_report_csv(&report).expect("renders");
        assert!(
            csv.starts_with("date,reach,views,accounts_engaged,"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 6, "{csv}");
    })
    .await;
}

#[tokio::test]
async fn a_retired_metric_fails_alone_and_its_meta_error_is_recorded() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let mut ctx = env.context("v21.0");
        // The registry believes it is 2025-01-10, when v21 still had `impressions`; Meta (the
        // simulator, in 2026) retired it for every version on 2025-04-21 (graph-api.md §1).
        let stale_today: Timestamp = "2025-01-10T20:00:00Z".parse().expect("a time");
        ctx.clock = Arc::new(ManualClock::new(stale_today));
        let range = days(&ctx, 2);
        let asked = [
            MetricRequest::new("reach"),
            MetricRequest::new("views"),
            MetricRequest::new("likes"),
        ];
        let pulled = pull_account(&ctx, &env.integration, range, &asked, None)
            .await
            .expect("the pull runs");
        assert_eq!(pulled.outcome, PullOutcome::Completed);
        let failed: Vec<_> = pulled.failures.iter().map(|f| f.metric.as_str()).collect();
        assert_eq!(failed, ["impressions"]);
        let failure = &pulled.failures[0];
        assert_eq!(failure.code, Some(100));
        assert!(
            failure.message.contains("must be one of"),
            "{}",
            failure.message
        );

        // reach shared the failing call and was asked again alone; likes never failed.
        for day in range.days() {
            for metric in ["reach", "likes"] {
                let end = end_time_of_day(day).expect("end").as_millisecond();
                let stored = env
                    .backend
                    .fetch_i64(&format!(
                        "SELECT value FROM account_metrics WHERE metric = '{metric}' \
                         AND end_time = {end} AND breakdown_key = ''"
                    ))
                    .await
                    .expect("a stored value");
                assert_eq!(stored, env.truth(metric, day), "{metric} on {day}");
            }
        }
        let views = env
            .backend
            .fetch_i64("SELECT count(*) FROM account_metrics WHERE metric = 'views'")
            .await
            .expect("counts");
        assert_eq!(views, 0);

        let report = account_report(
            &env.backend.store,
            &ctx.registry,
            ctx.version().expect("a version"),
            ctx.now(),
            env.tenant.id,
            env.integration.id,
            &AccountReportRequest {
                range,
                columns: vec!["reach".into(), "views".into(), "likes".into()],
                period: Period::Day,
            },
        )
        .await
        .expect("the report builds");
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].metric, "impressions");
        let counters = env.sim.counters();
        // The shared call, then impressions alone; likes twice and reach alone succeed.
        assert_eq!(
            counters.calls_of("insights.account", "100"),
            2,
            "{counters:?}"
        );
        assert_eq!(
            counters.calls_of("insights.account", "ok"),
            3,
            "{counters:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_backfill_run_twice_leaves_the_same_rows_in_thirty_day_windows() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let ctx = env.context("v25.0");
        let range = days(&ctx, 75);
        let asked = [MetricRequest::new("reach"), MetricRequest::new("likes")];
        let plan = ctx
            .registry
            .plan_account_pull(ctx.version().expect("v"), &asked, range, ctx.today())
            .expect("plans");
        let windows: Vec<DateRange> = plan
            .requests
            .iter()
            .filter(|r| r.metrics == ["reach"])
            .filter_map(|r| r.window)
            .collect();
        assert_eq!(windows.len(), 3, "75 days of a time series need 3 windows");
        assert!(windows.iter().all(|w| w.len_days() <= 30));

        let first = pull_account(&ctx, &env.integration, range, &asked, None)
            .await
            .expect("first run");
        let count = || {
            let backend = env.backend.clone();
            async move {
                backend
                    .fetch_i64("SELECT count(*) FROM account_metrics")
                    .await
                    .expect("counts")
            }
        };
        let rows_after_first = count().await;
        let second = pull_account(&ctx, &env.integration, range, &asked, None)
            .await
            .expect("second run");
        assert_eq!(count().await, rows_after_first);
        assert_eq!(rows_after_first, 75 * 2);
        assert_eq!(first.requests, second.requests);
        // 3 reach windows + 75 single days of likes, 50 per batch.
        assert_eq!(first.requests, 78);
        assert_eq!(first.round_trips, 2);
        let day = range.first();
        let stored = env
            .backend
            .fetch_i64(&format!(
                "SELECT value FROM account_metrics WHERE metric = 'likes' AND end_time = {}",
                end_time_of_day(day).expect("end").as_millisecond()
            ))
            .await
            .expect("a stored day");
        assert_eq!(stored, env.truth("likes", day));
        assert_eq!(
            day_of_end_time(end_time_of_day(day).expect("end")),
            Some(day)
        );
    })
    .await;
}

/// Pulls the daily report on `version` and returns which metric served each column, after
/// checking every stored value against the simulator's ground truth of its serving metric.
async fn daily_pull_on(env: &Env, version: &str) -> Vec<(String, String)> {
    let ctx = env.context(version);
    let range = days(&ctx, 3);
    let pulled = pull_account_daily(&ctx, &env.integration, range, None)
        .await
        .expect("the pull runs");
    assert_eq!(pulled.outcome, PullOutcome::Completed, "{version}");
    assert!(
        pulled.failures.is_empty(),
        "{version}: {:?}",
        pulled.failures
    );
    let stored = env
        .backend
        .store
        .account_metrics(
            env.tenant.id,
            env.integration.id,
            Timestamp::MIN,
            Timestamp::MAX,
        )
        .await
        .expect("reads");
    for value in &stored {
        let row = &value.row;
        let day = day_of_end_time(row.end_time).expect("a day");
        assert_eq!(
            row.value,
            Some(env.truth(&row.served_by, day)),
            "{version}: {} served by {} on {day}",
            row.metric,
            row.served_by
        );
    }
    let mut served: Vec<(String, String)> = pulled
        .served
        .into_iter()
        .map(|s| (s.asked, s.served_by))
        .collect();
    served.sort();
    served
}

fn served_views(served: &[(String, String)]) -> Option<&str> {
    served
        .iter()
        .find(|(asked, _)| asked == "views")
        .map(|(_, by)| by.as_str())
}

#[tokio::test]
async fn before_2025_04_21_the_same_report_asks_impressions_on_v21_and_views_on_v25() {
    for_each_backend(|backend| async move {
        let config = SimConfig {
            // 2025-03-01T10:00:00Z, when v21 still served `impressions` (graph-api.md §1).
            clock_start_unix: Some(1_740_823_200),
            ..SimConfig::instant()
        };
        let env = env(backend, config).await;
        let v21 = daily_pull_on(&env, "v21.0").await;
        let v25 = daily_pull_on(&env, "v25.0").await;
        assert_eq!(served_views(&v21), Some("impressions"));
        assert_eq!(served_views(&v25), Some("views"));
        let others = |served: &[(String, String)]| -> Vec<(String, String)> {
            served
                .iter()
                .filter(|(a, _)| a != "views")
                .cloned()
                .collect()
        };
        assert_eq!(others(&v21), others(&v25));
        let counters = env.sim.counters();
        let errors: u64 = counters
            .calls
            .get("insights.account")
            .map(|results| {
                results
                    .iter()
                    .filter(|(result, _)| *result != "ok")
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(errors, 0, "Meta refused nothing: {counters:?}");
    })
    .await;
}

#[tokio::test]
async fn today_the_same_report_asks_views_on_v21_and_on_v25() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let v21 = daily_pull_on(&env, "v21.0").await;
        let v25 = daily_pull_on(&env, "v25.0").await;
        assert_eq!(served_views(&v21), Some("views"));
        assert_eq!(v21, v25);
        assert_eq!(
            env.sim.counters().calls_of("insights.account", "100"),
            0,
            "no metric was refused"
        );
    })
    .await;
}

/// Publishes an image, a reel and a story through the real worker, so the publisher's posts
/// table holds their media ids as it would in production.
async fn published_posts(harness: &crate::publish_support::Harness) -> Vec<(String, String)> {
    for post in [
        crate::publish_support::image_post("Measured"),
        serde_json::json!({"kind": "reel", "caption": "Moving", "media": [{"url": "https://cdn.example.com/r.mp4"}]}),
        serde_json::json!({"kind": "story", "media": [{"url": "https://cdn.example.com/s.jpg"}]}),
    ] {
        harness.create(0, post).await;
    }
    let worker = harness.worker();
    harness.settle(&worker).await;
    let published = harness.published(0);
    assert_eq!(published.len(), 3, "{published:?}");
    published
        .into_iter()
        .map(|m| (m.media_id, m.media_product_type))
        .collect()
}

fn media_context(harness: &crate::publish_support::Harness) -> InsightsContext {
    let graph = GraphClient::builder()
        .base_url(harness.sim.base_url().as_str())
        .api_version("v25.0")
        .build()
        .expect("a client");
    let mut ctx = InsightsContext::new(harness.backend.store.clone(), graph);
    let now = Timestamp::from_second(harness.sim.now_unix()).expect("now");
    ctx.clock = Arc::new(ManualClock::new(now));
    ctx
}

#[tokio::test]
async fn pulled_post_and_story_metrics_equal_the_simulators_ground_truth() {
    for_each_backend(|backend| async move {
        let harness =
            crate::publish_support::Harness::start(backend, crate::publish_support::sim_config())
                .await;
        let media = published_posts(&harness).await;
        let ctx = media_context(&harness);
        let integration = &harness.integrations[0];
        let posts = pull_recent_media(&ctx, integration, MediaSelection::Posts, None)
            .await
            .expect("posts pull");
        assert_eq!(posts.outcome, PullOutcome::Completed);
        assert!(posts.failures.is_empty(), "{:?}", posts.failures);
        let stories = pull_recent_media(&ctx, integration, MediaSelection::Stories, None)
            .await
            .expect("stories pull");
        assert_eq!(stories.outcome, PullOutcome::Completed);

        let stored = harness
            .backend
            .store
            .media_metrics(harness.tenant, integration.id, None)
            .await
            .expect("reads");
        let seed = crate::publish_support::sim_config().seed;
        for (media_id, product) in &media {
            let rows: Vec<_> = stored
                .iter()
                .filter(|m| m.row.media_id == *media_id && m.row.breakdown_key.is_empty())
                .collect();
            let withheld = product == "STORY"
                && igpub_sim::insights::media_metric_value(seed, media_id, "reach") < 5;
            if withheld {
                // graph-api.md §4.2: under 5 viewers every story metric is refused (code 10).
                assert!(rows.is_empty());
                assert!(stories.failures.iter().all(|f| f.code == Some(10)));
                continue;
            }
            assert!(rows.len() >= 7, "{product} {media_id}: {rows:?}");
            for row in rows {
                assert_eq!(
                    row.row.value,
                    Some(igpub_sim::insights::media_metric_value(
                        seed,
                        media_id,
                        &row.row.served_by
                    )),
                    "{product} {media_id} {} served by {}",
                    row.row.metric,
                    row.row.served_by
                );
            }
        }
        // `saves` is asked of media as `saved` (graph-api.md §4.2).
        assert!(
            posts
                .served
                .iter()
                .any(|s| s.asked == "saves" && s.served_by == "saved")
        );
    })
    .await;
}

#[tokio::test]
async fn get_insights_pulls_and_reports_a_retired_name_through_its_successor() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let ctx = env.context("v25.0");
        let range = days(&ctx, 3);
        let answer = get_insights(
            &ctx,
            env.tenant.id,
            env.integration.id,
            &GetInsights {
                metrics: vec!["impressions".into(), "likes".into()],
                start: range.first(),
                end: range.last(),
                period: None,
            },
        )
        .await
        .expect("answers");
        assert_eq!(answer.pull.outcome, PullOutcome::Completed);
        let impressions = &answer.report.columns[0];
        assert_eq!(impressions.served_by, "views");
        assert!(impressions.note.is_some());
        let table = &answer.report.report.table;
        // The retired name is the views series now (graph-api.md §1).
        assert_eq!(table.columns[0].name, "views");
        for row in &table.rows {
            assert_eq!(row.values[0], Some(env.truth("views", row.date)));
            assert_eq!(row.values[1], Some(env.truth("likes", row.date)));
        }

        let unknown = get_insights(
            &ctx,
            env.tenant.id,
            env.integration.id,
            &GetInsights {
                metrics: vec!["likes".into(), "impresions".into()],
                start: range.first(),
                end: range.last(),
                period: None,
            },
        )
        .await
        .expect_err("an unknown metric");
        let message = unknown.to_string();
        assert!(message.contains("unknown metric `impresions`"), "{message}");
        assert!(
            message.contains("valid metrics: accounts_engaged, comments"),
            "{message}"
        );
        assert_eq!(env.sim.counters().calls_of("insights.account", "100"), 0);
    })
    .await;
}
