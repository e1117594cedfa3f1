//! Insights over HTTP: window splitting, merging, media insights, decode errors with JSON paths.

use crate::helpers::*;
use igpub_graph::{
    AccountInsightsQuery, GraphError, IgUserId, InsightValue, MediaId, MediaInsightsQuery,
    MetricType, Period, breakdowns, metrics,
};
use jiff::Timestamp;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Answers each window with one daily value per day of the window, ending at 07:00 UTC.
fn daily_reach(request: &Request) -> wiremock::ResponseTemplate {
    let since: i64 = param_of(request, "since")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let until: i64 = param_of(request, "until")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let values: Vec<serde_json::Value> = (0..)
        .map(|day| since + day * 86_400 + 86_400)
        .take_while(|end| *end <= until)
        .map(|end| {
            let end_time = at(end).strftime("%Y-%m-%dT%H:%M:%S+0000").to_string();
            serde_json::json!({"value": 1, "end_time": end_time})
        })
        .collect();
    ok_json(
        &serde_json::json!({"data":[{"name":"reach","period":"day","values":values,"title":"Reach","id":"1/insights/reach/day"}]})
            .to_string(),
    )
}

#[tokio::test]
async fn a_90_day_range_is_fetched_in_30_day_windows_and_merged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v(&format!("{IG}/insights"))))
        .respond_with(daily_reach)
        .expect(3)
        .mount(&server)
        .await;
    let start = 1_767_250_800; // 2026-01-01T07:00:00Z
    let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
    query.metric_type = Some(MetricType::TimeSeries);
    query.since = Some(at(start));
    query.until = Some(at(start + 90 * 86_400));

    let insights = client(&server)
        .account_insights(&IgUserId::new(IG), &query)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(insights.windows.len(), 3);
    let spans: Vec<(i64, i64)> = received(&server)
        .await
        .iter()
        .map(|r| {
            let get = |name| {
                param_of(r, name)
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or_default()
            };
            (get("since"), get("until"))
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            (start, start + 30 * 86_400),
            (start + 30 * 86_400, start + 60 * 86_400),
            (start + 60 * 86_400, start + 90 * 86_400)
        ]
    );
    let reach = insights
        .metric(metrics::REACH)
        .unwrap_or_else(|| panic!("reach merged"));
    assert_eq!(reach.values.len(), 90);
    let mut ends: Vec<_> = reach.values.iter().filter_map(|v| v.end_time).collect();
    ends.dedup();
    assert_eq!(ends.len(), 90);
}

#[tokio::test]
async fn total_values_with_breakdowns_come_back_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17841405822304914/insights")))
        .and(param("metric", "reach"))
        .and(param("metric_type", "total_value"))
        .and(param("breakdown", "media_product_type"))
        .and(param("since", "1658991600"))
        .respond_with(ok_json(
            r#"{"data":[{"name":"reach","period":"day","title":"Accounts reached","description":"The number of unique accounts that have seen your content.",
                "total_value":{"value":224,"breakdowns":[{"dimension_keys":["media_product_type"],
                  "results":[{"dimension_values":["CAROUSEL_CONTAINER"],"value":100},{"dimension_values":["POST"],"value":124}]}]},
                "id":"17841405309211844/insights/reach/day"}],
               "paging":{"previous":"https://graph.face...","next":"https://graph.face..."}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
    query.metric_type = Some(MetricType::TotalValue);
    query.breakdowns = vec![breakdowns::MEDIA_PRODUCT_TYPE.into()];
    query.since = Some(at(1_658_991_600));
    let insights = client(&server)
        .account_insights(&IgUserId::new("17841405822304914"), &query)
        .await;
    let insights = insights.unwrap_or_else(|e| panic!("{e}"));
    let total = insights
        .metric("reach")
        .and_then(|m| m.total_value.clone())
        .unwrap_or_default();
    assert_eq!(total.value, Some(InsightValue::Count(224)));
    assert_eq!(total.breakdowns.first().map(|b| b.results.len()), Some(2));
}

#[tokio::test]
async fn media_insights_read_lifetime_values_without_end_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17846368219941692/insights")))
        .and(param("metric", "reach,saved"))
        .respond_with(ok_json(
            r#"{"data":[{"name":"reach","period":"lifetime","values":[{"value":5}],"title":"Reach",
                 "description":"Total number of unique accounts that have seen the media object","id":"17846368219941692/insights/reach/lifetime"},
                {"name":"saved","period":"lifetime","values":[{"value":0}],"title":"Saved",
                 "description":"Total number of unique accounts that have saved the media object","id":"17846368219941692/insights/saved/lifetime"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let query = MediaInsightsQuery::new([metrics::REACH, metrics::SAVED]);
    let data = client(&server)
        .media_insights(&MediaId::new("17846368219941692"), &query)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.len(), 2);
    let reach = data.first().and_then(|m| m.values.first()).cloned();
    assert_eq!(
        reach.as_ref().map(|v| v.value.clone()),
        Some(InsightValue::Count(5))
    );
    assert_eq!(reach.and_then(|v| v.end_time), None);
    assert_eq!(
        data.first().map(|m| m.period.clone()),
        Some(Period::Lifetime)
    );
}

#[tokio::test]
async fn media_insights_with_a_breakdown_send_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(v("17932174733377207/insights")))
        .and(param("metric", "profile_activity"))
        .and(param("breakdown", "action_type"))
        .respond_with(ok_json(
            r#"{"data":[{"name":"profile_activity","period":"lifetime","values":[{"value":4}],"title":"Profile activity","description":"...",
                "total_value":{"value":4,"breakdowns":[{"dimension_keys":["action_type"],
                  "results":[{"dimension_values":["email"],"value":1},{"dimension_values":["bio_link_clicked"],"value":3}]}]},
                "id":"17932174733377207/insights/profile_activity/lifetime"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut query = MediaInsightsQuery::new([metrics::PROFILE_ACTIVITY]);
    query.breakdowns = vec![breakdowns::ACTION_TYPE.into()];
    let data = client(&server)
        .media_insights(&MediaId::new("17932174733377207"), &query)
        .await;
    assert_eq!(data.map(|d| d.len()).ok(), Some(1));
}

#[tokio::test]
async fn a_changed_field_type_names_its_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(
            r#"{"data":[{"name":"reach","period":"day","values":[{"value":3,"end_time":"2017-05-04T07:00:00+0000"},{"value":4,"end_time":12}]}]}"#,
        ))
        .mount(&server)
        .await;
    let query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
    let outcome = client(&server)
        .account_insights(&IgUserId::new(IG), &query)
        .await;
    match outcome {
        Err(GraphError::Decode(decode)) => {
            assert_eq!(decode.path, "data[0].values[1].end_time");
            assert_eq!(decode.endpoint, format!("GET {IG}/insights"));
            assert!(decode.to_string().contains("data[0].values[1].end_time"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_range_over_30_days_is_rejected_by_meta_only_if_not_split() {
    // Meta's own rule (§4.1): the client never sends more than 30 days in one request.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let get = |name| param_of(request, name).and_then(|s| s.parse::<i64>().ok()).unwrap_or_default();
            if get("until") - get("since") > 2_592_000 {
                graph_error(400, r#"{"error":{"message":"(#100) There cannot be more than 30 days (2592000 s) between since and until","type":"OAuthException","code":100,"fbtrace_id":"x"}}"#)
            } else {
                ok_json(r#"{"data":[]}"#)
            }
        })
        .mount(&server)
        .await;
    let mut query = AccountInsightsQuery::new([metrics::LIKES], Period::Day);
    query.metric_type = Some(MetricType::TotalValue);
    query.since = Some(at(1_700_000_000));
    query.until = Some(at(1_700_000_000 + 45 * 86_400));
    let outcome = client(&server)
        .account_insights(&IgUserId::new(IG), &query)
        .await;
    assert_eq!(outcome.map(|i| i.windows.len()).ok(), Some(2));
}
