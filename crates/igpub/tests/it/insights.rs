//! Integration tests of `igpub::insights`: the public API as the pulls, the HTTP routes and
//! the CLI will use it.

use std::collections::BTreeSet;

use igpub::insights::webhook::{
    Event, HandshakeError, SignatureError, parse_notification, sign_body, verify_handshake,
    verify_signature,
};
use igpub::insights::{
    ACCOUNT_DAILY_COLUMNS, ColumnSource, DailyReport, DailyTable, DailyValue, DateRange,
    GraphVersion, InsightsObject, MediaKind, MetricType, Registry, daily_table_csv, fallback_split,
};
use jiff::civil::{Date, date};
use secrecy::SecretString;

const TODAY: Date = date(2026, 11, 29);

fn requested_metrics(version: GraphVersion, today: Date) -> BTreeSet<(String, MetricType)> {
    let registry = Registry::standard();
    let columns = registry.account_daily_columns(version, today);
    let yesterday = today.yesterday().expect("a day before");
    let plan = registry
        .plan_account_pull(
            version,
            &ColumnSource::requests(&columns),
            DateRange::day(yesterday),
            today,
        )
        .expect("the default report plans");
    plan.requests
        .iter()
        .flat_map(|r| {
            let metric_type = r.metric_type.expect("account calls carry a metric_type");
            r.metrics.iter().map(move |m| (m.clone(), metric_type))
        })
        .collect()
}

fn set(items: &[(&str, MetricType)]) -> BTreeSet<(String, MetricType)> {
    items.iter().map(|(m, t)| ((*m).to_owned(), *t)).collect()
}

#[test]
fn the_same_account_report_asks_impressions_on_v21_and_views_on_v25() {
    use MetricType::{TimeSeries, TotalValue};
    let shared = [
        ("reach", TimeSeries),
        ("follower_count", TimeSeries),
        ("accounts_engaged", TotalValue),
        ("total_interactions", TotalValue),
        ("likes", TotalValue),
        ("comments", TotalValue),
        ("saves", TotalValue),
        ("shares", TotalValue),
        ("profile_views", TotalValue),
    ];
    let mut v21 = set(&shared);
    v21.insert(("impressions".into(), TimeSeries));
    let mut v25 = set(&shared);
    v25.insert(("views".into(), TotalValue));

    assert_eq!(requested_metrics(GraphVersion::V21, date(2025, 3, 1)), v21);
    assert_eq!(requested_metrics(GraphVersion::V25, date(2025, 3, 1)), v25);
    assert_eq!(requested_metrics(GraphVersion::V25, TODAY), v25);
    // Once v22's changes reached every version, v21 asks for views too (graph-api.md §1).
    assert_eq!(requested_metrics(GraphVersion::V21, TODAY), v25);
}

#[test]
fn the_v21_report_says_which_metric_fills_the_views_column() {
    let columns = Registry::standard().account_daily_columns(GraphVersion::V21, date(2025, 3, 1));
    assert_eq!(columns.len(), ACCOUNT_DAILY_COLUMNS.len());
    let views = columns
        .iter()
        .find(|c| c.column == "views")
        .expect("views column");
    assert_eq!(
        views.source.as_ref().map(|s| s.served_by),
        Some("impressions")
    );
    assert!(views.note.is_some());
}

#[test]
fn asking_a_reel_for_an_unknown_metric_lists_the_valid_ones() {
    let err = Registry::standard()
        .resolve(
            InsightsObject::Media(MediaKind::Reels),
            GraphVersion::V25,
            "engagement",
            TODAY,
        )
        .expect_err("engagement was retired in 2023");
    assert_eq!(
        err.to_string(),
        "unknown metric `engagement` for a REELS media on v25.0; valid metrics: comments, \
         crossposted_views, facebook_views, ig_reels_avg_watch_time, \
         ig_reels_video_view_total_time, likes, reach, reels_skip_rate, reposts, saved, shares, \
         total_comments, total_interactions, total_likes, total_views, views"
    );
}

#[test]
fn a_backfill_of_ninety_five_days_is_four_contiguous_windows() {
    let registry = Registry::standard();
    let backfill = DateRange::new(date(2026, 8, 1), date(2026, 11, 3)).expect("range");
    let plan = registry
        .plan_account_pull(GraphVersion::V25, &["reach".into()], backfill, TODAY)
        .expect("plan");
    let windows: Vec<DateRange> = plan.requests.iter().filter_map(|r| r.window).collect();
    assert_eq!(windows.len(), 4);
    assert_eq!(
        windows.first().map(DateRange::first),
        Some(backfill.first())
    );
    assert_eq!(windows.last().map(DateRange::last), Some(backfill.last()));
    for pair in windows.windows(2) {
        assert_eq!(pair[0].last().tomorrow().ok(), Some(pair[1].first()));
        assert!(pair[0].len_days() == 30);
    }
}

#[test]
fn a_refused_call_splits_so_each_metric_is_retried_alone() {
    let plan = Registry::standard()
        .plan_account_pull(
            GraphVersion::V25,
            &["likes".into(), "comments".into(), "shares".into()],
            DateRange::day(date(2026, 11, 28)),
            TODAY,
        )
        .expect("plan");
    let call = plan.requests.first().expect("one call");
    let alone = fallback_split(call);
    let metrics: Vec<_> = alone.iter().map(|c| c.metrics.clone()).collect();
    assert_eq!(metrics, [["likes"], ["comments"], ["shares"]]);
    assert!(
        alone
            .iter()
            .all(|c| c.window == call.window && c.metric_type == call.metric_type)
    );
}

#[test]
fn the_daily_csv_of_the_default_report_is_exact() {
    let day1 = date(2026, 11, 26);
    let day2 = date(2026, 11, 27);
    let v = |metric: &str, day, value| DailyValue {
        metric: metric.into(),
        date: day,
        value,
        served_by: metric.into(),
    };
    let values = [
        v("reach", day1, Some(210)),
        v("views", day1, Some(480)),
        v("likes", day1, Some(31)),
        v("follower_count", day1, Some(-1)),
        v("reach", day2, Some(190)),
        v("likes", day2, None),
    ];
    let range = DateRange::new(day1, day2).expect("range");
    let table = DailyTable::build(
        &Registry::standard(),
        &ACCOUNT_DAILY_COLUMNS,
        range,
        &values,
    )
    .expect("table");
    assert_eq!(
        daily_table_csv(&table).expect("csv"),
        "date,reach,views,accounts_engaged,total_interactions,likes,comments,saves,shares,profile_views,follower_count\n\
         2026-11-26,210,480,,,31,,,,,-1\n\
         2026-11-27,190,,,,,,,,,\n"
    );
    let report = DailyReport::build(
        &Registry::standard(),
        &ACCOUNT_DAILY_COLUMNS,
        range,
        &values,
    )
    .expect("report");
    let reach = report
        .totals
        .iter()
        .find(|t| t.column == "reach")
        .expect("reach total");
    assert_eq!(
        reach.figure.value.map(|f| f.to_string()),
        Some("200.00".into())
    );
}

// ---- webhooks, graph-api.md §8 ----

const COMMENT_PAYLOAD: &str = r#"{
  "object": "instagram",
  "entry": [
    {
      "id": "17841405822304914",
      "time": 1520383571,
      "changes": [
        {
          "field": "comments",
          "value": {
            "from": {"id": "232323232", "username": "test"},
            "media": {"id": "123123123", "media_product_type": "FEED"},
            "id": "17865799348089039",
            "parent_id": "1231231234",
            "text": "This is an example."
          }
        }
      ]
    }
  ]
}"#;

const MIXED_PAYLOAD: &str = r#"{"object":"instagram","entry":[{"id":"17841405822304914","time":1520383600,"changes":[
  {"field":"mentions","value":{"media_id":"17918195224117851"}},
  {"field":"mentions","value":{"comment_id":"17894227972186120","media_id":"17918195224117851"}},
  {"field":"story_insights","value":{"media_id":"17887498072083520","impressions":444,"reach":44,"taps_forward":4,"taps_back":3,"exits":3,"replies":0}},
  {"field":"brand_new_field","value":{"anything":[1,2,3]}},
  {"field":"comments","value":{"text":"no id"}}
]}]}"#;

fn secret() -> SecretString {
    SecretString::from("test-app-secret")
}

#[test]
fn the_documented_comment_payload_parses_into_a_comment() {
    let notification = parse_notification(COMMENT_PAYLOAD.as_bytes()).expect("parses");
    assert_eq!(notification.object, "instagram");
    let [change] = notification.changes.as_slice() else {
        panic!("one change expected, got {:?}", notification.changes);
    };
    assert_eq!(
        (change.entry_id.as_str(), change.time),
        ("17841405822304914", 1520383571)
    );
    let Event::Comment(comment) = &change.event else {
        panic!("a comment expected, got {:?}", change.event);
    };
    assert_eq!(comment.id, "17865799348089039");
    assert_eq!(comment.text.as_deref(), Some("This is an example."));
    assert_eq!(comment.parent_id.as_deref(), Some("1231231234"));
    assert_eq!(
        comment.from.as_ref().and_then(|f| f.username.as_deref()),
        Some("test")
    );
    assert_eq!(
        comment
            .media
            .as_ref()
            .map(|m| (m.id.as_str(), m.media_product_type.as_deref())),
        Some(("123123123", Some("FEED")))
    );
}

#[test]
fn mentions_story_insights_unknown_and_odd_fields_all_parse_without_losing_any() {
    let notification = parse_notification(MIXED_PAYLOAD.as_bytes()).expect("parses");
    let events: Vec<&Event> = notification.changes.iter().map(|c| &c.event).collect();
    let [caption, comment, story, other, odd] = events.as_slice() else {
        panic!("five changes expected: {events:?}");
    };
    assert!(matches!(caption, Event::Mention(m) if m.comment_id.is_none()));
    assert!(matches!(
        comment,
        Event::Mention(m) if m.comment_id.as_deref() == Some("17894227972186120")
    ));
    assert!(matches!(other, Event::Other));
    assert_eq!(notification.changes[3].value["anything"][2], 3);
    assert!(matches!(odd, Event::Malformed { reason } if reason.contains("id")));

    let Event::StoryInsights(story) = story else {
        panic!("story insights expected: {story:?}");
    };
    let rows: Vec<_> = story
        .metric_rows(&Registry::standard())
        .into_iter()
        .map(|r| (r.raw_name, r.metric, r.breakdown.map(|b| b.value), r.value))
        .collect();
    let row = |raw: &str, metric: &str, value: Option<&'static str>, n: i64| {
        (raw.to_owned(), metric.to_owned(), value, n)
    };
    assert_eq!(
        rows,
        [
            row("exits", "navigation", Some("tap_exit"), 3),
            row("impressions", "views", None, 444),
            row("reach", "reach", None, 44),
            row("replies", "replies", None, 0),
            row("taps_back", "navigation", Some("tap_back"), 3),
            row("taps_forward", "navigation", Some("tap_forward"), 4),
        ]
    );
}

#[test]
fn a_body_that_is_not_a_notification_is_an_error_naming_the_path() {
    let err = parse_notification(br#"{"object":"instagram","entry":[{"id":"1","time":"soon"}]}"#)
        .expect_err("time must be a number");
    assert!(err.to_string().contains("entry[0].time"), "{err}");
    assert!(parse_notification(b"not json").is_err());
    assert!(parse_notification(b"").is_err());
}

#[test]
fn a_valid_signature_over_the_raw_body_is_accepted() {
    let header = sign_body(&secret(), COMMENT_PAYLOAD.as_bytes()).expect("signs");
    assert!(header.starts_with("sha256="));
    assert_eq!(
        verify_signature(&secret(), COMMENT_PAYLOAD.as_bytes(), Some(&header)),
        Ok(())
    );
}

#[test]
fn an_invalid_signature_is_refused() {
    let header = sign_body(
        &SecretString::from("another-secret"),
        COMMENT_PAYLOAD.as_bytes(),
    )
    .expect("signs");
    assert_eq!(
        verify_signature(&secret(), COMMENT_PAYLOAD.as_bytes(), Some(&header)),
        Err(SignatureError::Mismatch)
    );
    // Re-serialised JSON is not the body Meta signed (graph-api.md §8.2).
    let reserialised = serde_json::to_vec(
        &serde_json::from_str::<serde_json::Value>(COMMENT_PAYLOAD).expect("json"),
    )
    .expect("json");
    let original = sign_body(&secret(), COMMENT_PAYLOAD.as_bytes()).expect("signs");
    assert_eq!(
        verify_signature(&secret(), &reserialised, Some(&original)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_missing_or_malformed_signature_is_refused_distinctly() {
    let body = COMMENT_PAYLOAD.as_bytes();
    assert_eq!(
        verify_signature(&secret(), body, None),
        Err(SignatureError::Missing)
    );
    assert!(matches!(
        verify_signature(&secret(), body, Some("sha1=0123")),
        Err(SignatureError::Malformed(_))
    ));
}

#[test]
fn a_handshake_with_the_wrong_verify_token_is_refused() {
    let configured = SecretString::from("configured-token");
    assert_eq!(
        verify_handshake(
            Some("subscribe"),
            Some("1158201444"),
            Some("wrong"),
            &configured
        ),
        Err(HandshakeError::WrongVerifyToken)
    );
    assert_eq!(
        verify_handshake(
            Some("subscribe"),
            Some("1158201444"),
            Some("configured-token"),
            &configured
        ),
        Ok("1158201444".to_owned())
    );
}

#[test]
fn a_replayed_delivery_has_the_same_dedupe_keys_however_it_is_formatted() {
    let first = parse_notification(COMMENT_PAYLOAD.as_bytes()).expect("parses");
    // The same change, keys reordered, no whitespace, a character escaped differently.
    let replay = r#"{"entry":[{"changes":[{"value":{"text":"This is an ex\u0061mple.","parent_id":"1231231234","id":"17865799348089039","media":{"media_product_type":"FEED","id":"123123123"},"from":{"username":"test","id":"232323232"}},"field":"comments"}],"time":1520383571,"id":"17841405822304914"}],"object":"instagram"}"#;
    let second = parse_notification(replay.as_bytes()).expect("parses");
    let key = first.changes[0].dedupe_key();
    assert_eq!(key, second.changes[0].dedupe_key());
    assert_eq!(key.as_str().len(), 64);

    let mixed = parse_notification(MIXED_PAYLOAD.as_bytes()).expect("parses");
    let keys: BTreeSet<_> = mixed.changes.iter().map(|c| c.dedupe_key()).collect();
    assert_eq!(
        keys.len(),
        mixed.changes.len(),
        "distinct changes, distinct keys"
    );
    assert!(!keys.contains(&key));
}
