//! Tests of request planning.

use jiff::civil::{Date, date};

use super::dates::DateRange;
use super::object::MediaKind;
use super::plan::{InsightsRequestPlan, MetricRequest, PlanError, PlanNote, fallback_split};
use super::registry::Registry;
use super::version::GraphVersion;
use super::vocabulary::{MetricType, Period, Timeframe};

const TODAY: Date = date(2026, 11, 29);

fn range(first: Date, last: Date) -> DateRange {
    DateRange::new(first, last).expect("valid range")
}

fn requests(names: &[&str]) -> Vec<MetricRequest> {
    names.iter().copied().map(MetricRequest::from).collect()
}

fn windows(plans: &[InsightsRequestPlan], metric: &str) -> Vec<DateRange> {
    plans
        .iter()
        .filter(|p| p.metrics.iter().any(|m| m == metric))
        .filter_map(|p| p.window)
        .collect()
}

#[test]
fn time_series_and_total_value_metrics_go_in_separate_calls() {
    let week = range(date(2026, 11, 22), date(2026, 11, 28));
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["reach", "follower_count", "likes", "views"]),
            week,
            TODAY,
        )
        .expect("valid plan");
    let first = plan.requests.first().expect("a time series call");
    assert_eq!(first.metrics, ["reach", "follower_count"]);
    assert_eq!(
        (first.metric_type, first.period, first.window),
        (Some(MetricType::TimeSeries), Period::Day, Some(week))
    );
    // A total_value call returns one number for its window, so each day is its own call.
    let totals: Vec<_> = plan.requests.iter().skip(1).collect();
    assert_eq!(totals.len(), 7);
    for (call, day) in totals.iter().zip(week.days()) {
        assert_eq!(call.metrics, ["likes", "views"]);
        assert_eq!(call.metric_type, Some(MetricType::TotalValue));
        assert_eq!(call.window, Some(DateRange::day(day)));
    }
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
}

#[test]
fn a_ninety_five_day_backfill_asks_four_windows_with_exact_boundaries() {
    let backfill = range(date(2026, 8, 1), date(2026, 11, 3));
    assert_eq!(backfill.len_days(), 95);
    let plan = Registry::standard()
        .plan_account_pull(GraphVersion::V25, &requests(&["reach"]), backfill, TODAY)
        .expect("valid plan");
    assert_eq!(
        windows(&plan.requests, "reach"),
        [
            range(date(2026, 8, 1), date(2026, 8, 30)),
            range(date(2026, 8, 31), date(2026, 9, 29)),
            range(date(2026, 9, 30), date(2026, 10, 29)),
            range(date(2026, 10, 30), date(2026, 11, 3)),
        ]
    );
}

#[test]
fn since_is_clamped_to_the_two_year_history_and_the_plan_says_so() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["reach"]),
            range(date(2020, 1, 1), date(2026, 11, 28)),
            TODAY,
        )
        .expect("valid plan");
    // today − 729 days: 2025-11-29 − 364 days.
    let oldest = date(2024, 11, 30);
    assert_eq!(
        plan.notes,
        [PlanNote::SinceClamped {
            requested: date(2020, 1, 1),
            clamped_to: oldest
        }]
    );
    let reach = windows(&plan.requests, "reach");
    assert_eq!(reach.first().map(DateRange::first), Some(oldest));
    assert_eq!(reach.last().map(DateRange::last), Some(date(2026, 11, 28)));
    assert_eq!(reach.iter().map(DateRange::len_days).sum::<i64>(), 729);
}

#[test]
fn follower_count_is_asked_only_for_the_last_thirty_days_excluding_today() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["reach", "follower_count"]),
            range(date(2026, 10, 1), date(2026, 12, 5)),
            TODAY,
        )
        .expect("valid plan");
    let followers = range(date(2026, 10, 30), date(2026, 11, 28));
    assert_eq!(windows(&plan.requests, "follower_count"), [followers]);
    assert_eq!(
        windows(&plan.requests, "reach"),
        [
            range(date(2026, 10, 1), date(2026, 10, 30)),
            range(date(2026, 10, 31), date(2026, 11, 29)),
        ]
    );
    assert!(plan.notes.contains(&PlanNote::WindowNarrowed {
        metric: "follower_count".into(),
        window: followers
    }));
    assert!(plan.notes.contains(&PlanNote::UntilClamped {
        requested: date(2026, 12, 5),
        clamped_to: TODAY
    }));
}

#[test]
fn follower_count_outside_its_window_is_skipped_not_failed() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["follower_count", "likes"]),
            range(date(2026, 1, 1), date(2026, 1, 2)),
            TODAY,
        )
        .expect("valid plan");
    assert!(windows(&plan.requests, "follower_count").is_empty());
    assert_eq!(windows(&plan.requests, "likes").len(), 2);
    assert!(plan.notes.iter().any(|n| matches!(
        n,
        PlanNote::MetricSkipped { metric, .. } if metric == "follower_count"
    )));
}

#[test]
fn a_retired_name_and_its_successor_are_asked_once() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["impressions", "views"]),
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests.len(), 1);
    assert_eq!(plan.requests[0].metrics, ["views"]);
    assert_eq!(plan.metrics.len(), 2);
    assert!(matches!(
        plan.notes.as_slice(),
        [PlanNote::Substituted { asked, served_by, .. }] if asked == "impressions" && served_by == "views"
    ));
}

#[test]
fn a_breakdown_moves_reach_to_a_daily_total_value_call() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("reach").with_breakdown("media_product_type")],
            range(date(2026, 11, 27), date(2026, 11, 28)),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests.len(), 2);
    assert!(plan.requests.iter().all(|r| {
        r.metric_type == Some(MetricType::TotalValue)
            && r.breakdown.as_deref() == Some("media_product_type")
    }));
}

#[test]
fn an_incompatible_breakdown_names_the_metric_and_the_allowed_ones() {
    let err = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("views").with_breakdown("follow_type")],
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect_err("views has no follow_type breakdown");
    assert_eq!(
        err.to_string(),
        "breakdown `follow_type` is not valid for metric `views`; allowed: media_product_type"
    );
}

#[test]
fn an_incompatible_period_names_the_metric_and_the_allowed_ones() {
    let err = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("online_followers").with_period(Period::Week)],
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect_err("online_followers is lifetime only");
    assert_eq!(
        err.to_string(),
        "period `week` is not valid for metric `online_followers`; allowed: lifetime"
    );
}

#[test]
fn reach_accepts_a_weekly_time_series() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("reach").with_period(Period::Week)],
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests[0].period, Period::Week);
    assert_eq!(plan.requests[0].metric_type, Some(MetricType::TimeSeries));
}

#[test]
fn demographics_get_a_timeframe_and_no_window() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("follower_demographics").with_breakdown("country")],
            range(date(2026, 11, 1), date(2026, 11, 28)),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests.len(), 1);
    let call = &plan.requests[0];
    assert_eq!(
        (call.period, call.timeframe, call.window),
        (Period::Lifetime, Some(Timeframe::ThisMonth), None)
    );
    assert!(plan.notes.is_empty());
}

#[test]
fn a_timeframe_on_a_non_demographic_metric_is_refused() {
    let err = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &[MetricRequest::new("likes").with_timeframe(Timeframe::ThisWeek)],
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect_err("likes take no timeframe");
    assert!(matches!(err, PlanError::TimeframeNotAllowed { metric } if metric == "likes"));
}

#[test]
fn an_unknown_metric_fails_the_plan_with_the_valid_list_and_no_metrics_is_refused() {
    let registry = Registry::standard();
    let day = DateRange::day(date(2026, 11, 28));
    let err = registry
        .plan_account_pull(
            GraphVersion::V25,
            &requests(&["reach", "engagement"]),
            day,
            TODAY,
        )
        .expect_err("engagement is gone");
    assert!(
        err.to_string()
            .contains("valid metrics: accounts_engaged, comments")
    );
    assert_eq!(
        registry.plan_account_pull(GraphVersion::V25, &[], day, TODAY),
        Err(PlanError::NoMetrics)
    );
}

#[test]
fn a_story_pull_asks_navigation_by_action_type_in_its_own_call() {
    let plan = Registry::standard()
        .plan_media_pull(
            GraphVersion::V25,
            MediaKind::Story,
            &requests(&["reach", "views", "taps_forward", "replies"]),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests.len(), 2);
    assert_eq!(plan.requests[0].metrics, ["reach", "views", "replies"]);
    assert_eq!(plan.requests[1].metrics, ["navigation"]);
    assert_eq!(
        plan.requests[1].breakdown.as_deref(),
        Some("story_navigation_action_type")
    );
    assert!(plan.requests.iter().all(|r| {
        r.period == Period::Lifetime && r.metric_type.is_none() && r.window.is_none()
    }));
}

#[test]
fn a_reels_pull_on_v25_asks_views_for_plays() {
    let plan = Registry::standard()
        .plan_media_pull(
            GraphVersion::V25,
            MediaKind::Reels,
            &requests(&["plays", "likes"]),
            TODAY,
        )
        .expect("valid plan");
    assert_eq!(plan.requests.len(), 1);
    assert_eq!(plan.requests[0].metrics, ["views", "likes"]);
}

#[test]
fn a_carousel_child_cannot_be_planned() {
    let err = Registry::standard()
        .plan_media_pull(
            GraphVersion::V25,
            MediaKind::CarouselChild,
            &requests(&["reach"]),
            TODAY,
        )
        .expect_err("no insights for children");
    assert!(err.to_string().ends_with("valid metrics: none"));
}

#[test]
fn fallback_split_gives_each_metric_its_own_otherwise_identical_call() {
    let call = InsightsRequestPlan {
        metrics: vec!["likes".into(), "views".into(), "saves".into()],
        period: Period::Day,
        metric_type: Some(MetricType::TotalValue),
        breakdown: None,
        timeframe: None,
        window: Some(DateRange::day(date(2026, 11, 28))),
    };
    let alone = fallback_split(&call);
    assert_eq!(alone.len(), 3);
    for (single, metric) in alone.iter().zip(&call.metrics) {
        assert_eq!(single.metrics, std::slice::from_ref(metric));
        assert_eq!(
            InsightsRequestPlan {
                metrics: call.metrics.clone(),
                ..single.clone()
            },
            call
        );
    }
}
