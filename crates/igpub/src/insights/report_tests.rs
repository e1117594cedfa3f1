//! Tests of the report maths and their renderings.

use jiff::civil::{Date, date};

use super::aggregate::{Aggregation, Figure};
use super::daily::{DailyTable, DailyValue, ReportError};
use super::dates::DateRange;
use super::object::MediaKind;
use super::posts::{PostInfo, PostTable, PostValue};
use super::registry::Registry;
use super::render::{DailyReport, daily_table_csv, post_table_csv};
use super::summary::{NotComparable, Summary};

fn value(metric: &str, day: Date, value: Option<i64>) -> DailyValue {
    served(metric, day, value, metric)
}

fn served(metric: &str, day: Date, value: Option<i64>, served_by: &str) -> DailyValue {
    DailyValue {
        metric: metric.into(),
        date: day,
        value,
        served_by: served_by.into(),
    }
}

fn range(first: Date, last: Date) -> DateRange {
    DateRange::new(first, last).expect("valid range")
}

fn registry() -> Registry {
    Registry::standard()
}

#[test]
fn missing_days_stay_missing_in_the_table() {
    let values = [
        value("likes", date(2026, 3, 1), Some(4)),
        value("likes", date(2026, 3, 3), Some(6)),
        value("likes", date(2026, 3, 2), None),
        value("likes", date(2026, 4, 1), Some(99)),
    ];
    let table = DailyTable::build(
        &registry(),
        &["likes"],
        range(date(2026, 3, 1), date(2026, 3, 4)),
        &values,
    )
    .expect("table");
    let likes = table.series("likes").expect("a likes column");
    assert_eq!(
        likes.points,
        [
            (date(2026, 3, 1), Some(4)),
            (date(2026, 3, 2), None),
            (date(2026, 3, 3), Some(6)),
            (date(2026, 3, 4), None),
        ]
    );
}

#[test]
fn impressions_rows_continue_the_views_column_and_the_table_says_so() {
    let values = [
        served("impressions", date(2025, 4, 19), Some(10), "impressions"),
        served("impressions", date(2025, 4, 20), Some(11), "impressions"),
        served("views", date(2025, 4, 21), Some(30), "views"),
        // A stale duplicate under the old name loses to the column's own metric.
        served("impressions", date(2025, 4, 21), Some(12), "impressions"),
    ];
    let table = DailyTable::build(
        &registry(),
        &["views"],
        range(date(2025, 4, 19), date(2025, 4, 21)),
        &values,
    )
    .expect("table");
    let column = &table.columns[0];
    assert_eq!(column.name, "views");
    let spans: Vec<_> = column
        .sources
        .iter()
        .map(|s| (s.served_by.as_str(), s.first, s.last, s.days))
        .collect();
    assert_eq!(
        spans,
        [
            ("impressions", date(2025, 4, 19), date(2025, 4, 20), 2),
            ("views", date(2025, 4, 21), date(2025, 4, 21), 1),
        ]
    );
    let points: Vec<_> = table.series("views").expect("views").points;
    assert_eq!(points[2], (date(2025, 4, 21), Some(30)));
}

#[test]
fn totals_sum_flows_average_unique_counts_and_keep_net_followers_signed() {
    let days = range(date(2026, 3, 1), date(2026, 3, 2));
    let values = [
        value("likes", date(2026, 3, 1), Some(4)),
        value("likes", date(2026, 3, 2), Some(6)),
        value("reach", date(2026, 3, 1), Some(100)),
        value("reach", date(2026, 3, 2), Some(50)),
        value("follower_count", date(2026, 3, 1), Some(-7)),
        value("follower_count", date(2026, 3, 2), Some(3)),
    ];
    let table = DailyTable::build(
        &registry(),
        &["likes", "reach", "follower_count"],
        days,
        &values,
    )
    .expect("table");
    let totals: Vec<_> = table
        .totals()
        .into_iter()
        .map(|t| (t.column, t.aggregation, t.figure.value))
        .collect();
    assert_eq!(
        totals,
        [
            (
                "likes".to_owned(),
                Aggregation::Sum,
                Some(Figure::Count(10))
            ),
            (
                "reach".to_owned(),
                Aggregation::MeanPerDay,
                Some(Figure::Mean(75.0))
            ),
            (
                "follower_count".to_owned(),
                Aggregation::Sum,
                Some(Figure::Count(-4))
            ),
        ]
    );
}

#[test]
fn an_absurd_range_is_refused_instead_of_filling_memory() {
    let err = DailyTable::build(
        &registry(),
        &["likes"],
        range(date(1000, 1, 1), date(9000, 1, 1)),
        &[],
    )
    .expect_err("too long");
    assert!(matches!(err, ReportError::RangeTooLong { .. }));
}

fn full_period(metric: &str, period: DateRange, each: i64) -> Vec<DailyValue> {
    period
        .days()
        .map(|d| value(metric, d, Some(each)))
        .collect()
}

const MARCH: (Date, Date) = (date(2026, 3, 1), date(2026, 3, 31));

fn march() -> DateRange {
    range(MARCH.0, MARCH.1)
}

fn summary_of(metric: &str, values: &[DailyValue]) -> super::summary::MetricSummary {
    let summary = Summary::build(&registry(), &[metric], march(), values).expect("summary");
    assert_eq!(
        summary.previous,
        Some(range(date(2026, 1, 29), date(2026, 2, 28)))
    );
    summary.metrics.into_iter().next().expect("one metric")
}

#[test]
fn summary_compares_complete_periods_with_a_percentage() {
    let previous = march().previous().expect("previous period");
    let mut values = full_period("likes", previous, 2);
    values.extend(full_period("likes", march(), 3));
    let likes = summary_of("likes", &values);
    assert_eq!(likes.change, Some(Figure::Count(31)));
    assert_eq!(likes.percent_change, Some(50.0));
    assert_eq!(likes.not_comparable, None);
    assert_eq!(likes.change_text(), "+31 (+50.0%)");
}

#[test]
fn summary_without_previous_data_says_so() {
    let likes = summary_of("likes", &full_period("likes", march(), 3));
    assert_eq!(likes.current.value, Some(Figure::Count(93)));
    assert_eq!((likes.change, likes.percent_change), (None, None));
    assert_eq!(likes.not_comparable, Some(NotComparable::NoPreviousData));
    assert_eq!(likes.change_text(), "n/a (no previous data)");
}

#[test]
fn summary_with_incomplete_data_gives_no_change() {
    let previous = march().previous().expect("previous period");
    let mut values = full_period("likes", previous, 2);
    values.extend(full_period("likes", march(), 3));
    values.retain(|v| v.date != date(2026, 3, 15));
    let likes = summary_of("likes", &values);
    assert_eq!(likes.change, None);
    assert_eq!(
        likes.not_comparable,
        Some(NotComparable::IncompleteCurrent { missing_days: 1 })
    );
    assert_eq!(
        likes.change_text(),
        "n/a (incomplete data: 1 day(s) missing in the current period)"
    );
}

#[test]
fn summary_from_a_zero_previous_period_gives_the_change_but_no_percentage() {
    let previous = march().previous().expect("previous period");
    let mut values = full_period("likes", previous, 0);
    values.extend(full_period("likes", march(), 1));
    let likes = summary_of("likes", &values);
    assert_eq!(likes.change, Some(Figure::Count(31)));
    assert_eq!(likes.percent_change, None);
    assert_eq!(
        likes.not_comparable,
        Some(NotComparable::PreviousNotPositive)
    );
    assert_eq!(
        likes.change_text(),
        "+31 (percent n/a: the previous period was not above 0)"
    );
}

#[test]
fn summary_compares_reach_by_its_daily_mean() {
    let previous = march().previous().expect("previous period");
    let mut values = full_period("reach", previous, 100);
    values.extend(full_period("reach", march(), 80));
    let reach = summary_of("reach", &values);
    assert_eq!(reach.aggregation, Aggregation::MeanPerDay);
    assert_eq!(reach.change, Some(Figure::Mean(-20.0)));
    assert_eq!(reach.change_text(), "-20.00 (-20.0%)");
}

#[test]
fn daily_csv_has_a_header_and_empty_cells_for_gaps() {
    let values = [
        value("reach", date(2026, 3, 1), Some(120)),
        value("likes", date(2026, 3, 1), Some(4)),
        value("likes", date(2026, 3, 2), Some(0)),
        value("follower_count", date(2026, 3, 2), Some(-2)),
    ];
    let table = DailyTable::build(
        &registry(),
        &["reach", "likes", "follower_count"],
        range(date(2026, 3, 1), date(2026, 3, 3)),
        &values,
    )
    .expect("table");
    assert_eq!(
        daily_table_csv(&table).expect("csv"),
        "date,reach,likes,follower_count\n\
         2026-03-01,120,4,\n\
         2026-03-02,,0,-2\n\
         2026-03-03,,,\n"
    );
}

fn posts() -> Vec<PostInfo> {
    vec![
        PostInfo {
            media_id: "18000000000000001".into(),
            kind: MediaKind::Feed,
            published_on: Some(date(2026, 3, 1)),
            permalink: Some("https://www.instagram.com/p/A,B/".into()),
        },
        PostInfo {
            media_id: "18000000000000002".into(),
            kind: MediaKind::Reels,
            published_on: Some(date(2026, 3, 2)),
            permalink: Some("=HYPERLINK(\"x\")".into()),
        },
        PostInfo {
            media_id: "18000000000000003".into(),
            kind: MediaKind::Story,
            published_on: None,
            permalink: None,
        },
    ]
}

fn post_value(media_id: &str, metric: &str, value: Option<i64>) -> PostValue {
    PostValue {
        media_id: media_id.into(),
        metric: metric.into(),
        value,
        served_by: metric.into(),
    }
}

#[test]
fn post_csv_quotes_commas_and_defuses_formulas() {
    let values = [
        post_value("18000000000000001", "saved", Some(5)),
        post_value("18000000000000001", "views", Some(300)),
        post_value("18000000000000002", "plays", Some(900)),
    ];
    let table = PostTable::build(&registry(), &["views", "saves"], &posts(), &values);
    assert_eq!(table.rows[1].served_by, [Some("plays".to_owned()), None]);
    assert_eq!(
        post_table_csv(&table).expect("csv"),
        "media_id,kind,published_on,permalink,views,saves\n\
         18000000000000001,FEED,2026-03-01,\"https://www.instagram.com/p/A,B/\",300,5\n\
         18000000000000002,REELS,2026-03-02,\"'=HYPERLINK(\"\"x\"\")\",900,\n\
         18000000000000003,STORY,,,,\n"
    );
}

#[test]
fn top_posts_rank_by_value_and_leave_out_posts_without_one() {
    let values = [
        post_value("18000000000000001", "reach", Some(50)),
        post_value("18000000000000002", "reach", Some(50)),
        post_value("18000000000000003", "reach", None),
    ];
    let table = PostTable::build(&registry(), &["reach"], &posts(), &values);
    let top: Vec<_> = table
        .top_by("reach", 10)
        .expect("a reach column")
        .iter()
        .map(|row| row.post.media_id.as_str())
        .collect();
    // Equal reach: the newer post first.
    assert_eq!(top, ["18000000000000002", "18000000000000001"]);
    assert_eq!(table.top_by("reach", 1).map(|t| t.len()), Ok(1));
    let err = table.top_by("likes", 3).expect_err("no likes column");
    assert_eq!(
        err.to_string(),
        "metric `likes` is not a column of this report; columns: reach"
    );
}

#[test]
fn the_json_report_names_the_source_of_each_column() {
    let values = [served("views", date(2026, 3, 1), Some(5), "impressions")];
    let report = DailyReport::build(
        &registry(),
        &["views"],
        DateRange::day(date(2026, 3, 1)),
        &values,
    )
    .expect("report");
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json().expect("json")).expect("valid JSON");
    assert_eq!(
        json["table"]["columns"][0]["sources"][0]["served_by"],
        "impressions"
    );
    assert_eq!(json["table"]["rows"][0]["values"][0], 5);
    assert_eq!(json["totals"][0]["value"], 5);
    assert_eq!(
        json["summary"]["metrics"][0]["not_comparable"]["reason"],
        "no_previous_data"
    );
}
