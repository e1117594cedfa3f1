//! Meta's insights answers turned into stored rows: which asked metric each value belongs to,
//! the day it reports, and its breakdown.

use igpub_graph::{InsightValue, Metric};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use serde_json::Value;

use super::plan::InsightsRequestPlan;
use super::registry::ResolvedMetric;

/// Meta's insights days run midnight to midnight US-Pacific, and `end_time` names the end of
/// the day (graph-api.md §4.1: "end_time … is the *end* of the day being reported", 07:00 UTC
/// in the samples). A fixed offset keeps every 30-day window at exactly 2,592,000 s.
pub const META_DAY_OFFSET: Offset = Offset::constant(-7);

/// The day an `end_time` closes. Taking the day before the local date of `end_time` reads both
/// 07:00 and 08:00 UTC boundaries (Pacific daylight and standard time) as the same day.
pub fn day_of_end_time(end_time: Timestamp) -> Option<Date> {
    end_time
        .to_zoned(META_DAY_OFFSET.to_time_zone())
        .date()
        .yesterday()
        .ok()
}

/// The `end_time` of the day `day` (the instant it ends).
pub fn end_time_of_day(day: Date) -> Option<Timestamp> {
    day.tomorrow()
        .ok()?
        .to_datetime(Time::midnight())
        .to_zoned(META_DAY_OFFSET.to_time_zone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// Today, as Meta's insights days count it.
pub fn meta_today(now: Timestamp) -> Date {
    now.to_zoned(META_DAY_OFFSET.to_time_zone()).date()
}

/// One metric object of an answer, typed, with the JSON Meta sent for it.
#[derive(Debug, Clone)]
pub(crate) struct AnsweredMetric {
    pub metric: Metric,
    pub raw: Value,
}

/// Reads `{"data":[…]}`; the error names the JSON path that did not fit.
pub(crate) fn answered_metrics(body: &Value) -> Result<Vec<AnsweredMetric>, String> {
    let Some(data) = body.get("data") else {
        return Ok(Vec::new());
    };
    let Some(items) = data.as_array() else {
        return Err("data: expected an array".to_owned());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            serde_path_to_error::deserialize::<_, Metric>(raw)
                .map(|metric| AnsweredMetric {
                    metric,
                    raw: raw.clone(),
                })
                .map_err(|e| format!("data[{index}].{e}"))
        })
        .collect()
}

/// A value as a stored count: whole numbers only; other shapes stay in the raw JSON.
pub(crate) fn count_of(value: &InsightValue) -> Option<i64> {
    match value {
        InsightValue::Count(n) => Some(*n),
        _ => None,
    }
}

/// One value of one asked metric, before it is tied to an account or a media item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRow {
    /// The name asked for.
    pub metric: String,
    /// The Graph metric that answered.
    pub served_by: String,
    /// Meta's period.
    pub period: String,
    /// The end of the day reported (account values only).
    pub end_time: Option<Timestamp>,
    /// `""` or `dimension=value[,dimension=value]`.
    pub breakdown_key: String,
    /// `{"dimension_keys":[…],"dimension_values":[…]}` for breakdown results.
    pub breakdown: Option<Value>,
    /// The count, when the value is one.
    pub value: Option<i64>,
    /// The metric object as Meta sent it.
    pub raw: Value,
}

/// The asked metrics a request served: `(asked, served_by, breakdown value)` for each resolved
/// metric whose served name is in the request.
fn targets<'a>(
    request: &'a InsightsRequestPlan,
    resolved: &'a [ResolvedMetric],
) -> impl Iterator<Item = &'a ResolvedMetric> + 'a {
    resolved
        .iter()
        .filter(move |r| request.metrics.iter().any(|m| m == r.served_by))
}

/// The rows of one answer. `window_end` dates total_value answers, which carry no `end_time`
/// (graph-api.md §4.1): one number for the whole window.
pub(crate) fn value_rows(
    request: &InsightsRequestPlan,
    resolved: &[ResolvedMetric],
    answered: &[AnsweredMetric],
    window_end: Option<Timestamp>,
) -> Vec<ValueRow> {
    let mut rows = Vec::new();
    for AnsweredMetric { metric, raw } in answered {
        for target in targets(request, resolved).filter(|r| r.served_by == metric.name) {
            let row = |end_time, breakdown_key: String, breakdown, value| ValueRow {
                metric: target.asked.clone(),
                served_by: metric.name.clone(),
                period: metric.period.as_str().to_owned(),
                end_time,
                breakdown_key,
                breakdown,
                value,
                raw: raw.clone(),
            };
            if let Some(wanted) = target.breakdown_value {
                // The asked metric lives on as one breakdown value of the served one.
                let value = breakdown_results(metric)
                    .find(|(_, values, _)| {
                        values.iter().any(|v| v.eq_ignore_ascii_case(wanted.value))
                    })
                    .and_then(|(_, _, value)| count_of(value));
                rows.push(row(window_end, String::new(), None, value));
                continue;
            }
            let total = metric
                .total_value
                .as_ref()
                .and_then(|t| t.value.as_ref())
                .or_else(|| {
                    // Media answers carry their one lifetime value in `values` (§4.2).
                    metric
                        .values
                        .iter()
                        .find(|v| v.end_time.is_none())
                        .map(|v| &v.value)
                });
            let series: Vec<_> = metric
                .values
                .iter()
                .filter_map(|v| v.end_time.map(|end| (end, &v.value)))
                .collect();
            if series.is_empty() {
                if let Some(total) = total {
                    rows.push(row(window_end, String::new(), None, count_of(total)));
                }
            } else {
                for (end, value) in series {
                    rows.push(row(Some(end), String::new(), None, count_of(value)));
                }
            }
            for (keys, values, value) in breakdown_results(metric) {
                let key = keys
                    .iter()
                    .zip(values)
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let breakdown = serde_json::json!({
                    "dimension_keys": keys,
                    "dimension_values": values,
                });
                rows.push(row(window_end, key, Some(breakdown), count_of(value)));
            }
        }
    }
    rows
}

fn breakdown_results(
    metric: &Metric,
) -> impl Iterator<Item = (&Vec<String>, &Vec<String>, &InsightValue)> {
    metric
        .total_value
        .iter()
        .flat_map(|total| total.breakdowns.iter())
        .flat_map(|breakdown| {
            breakdown
                .results
                .iter()
                .map(move |r| (&breakdown.dimension_keys, &r.dimension_values, &r.value))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::{GraphVersion, InsightsObject, MediaKind, MetricRequest, Registry};
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn an_end_time_names_the_day_before_it_in_summer_and_in_winter() {
        assert_eq!(
            day_of_end_time(at("2026-07-15T07:00:00Z")),
            Some(date(2026, 7, 14))
        );
        assert_eq!(
            day_of_end_time(at("2026-01-15T08:00:00Z")),
            Some(date(2026, 1, 14))
        );
        assert_eq!(
            end_time_of_day(date(2026, 7, 14)),
            Some(at("2026-07-15T07:00:00Z"))
        );
    }

    #[test]
    fn a_time_series_gives_one_row_per_day_under_the_asked_name() {
        let registry = Registry::standard();
        let today = date(2025, 3, 1);
        let plan = registry
            .plan_account_pull(
                GraphVersion::V21,
                &[MetricRequest::new("views")],
                crate::insights::DateRange::new(date(2025, 2, 1), date(2025, 2, 2))
                    .expect("a range"),
                today,
            )
            .expect("plans");
        let request = plan.requests.first().expect("one request");
        let body = serde_json::json!({"data":[{"name":"impressions","period":"day","values":[
            {"value":3,"end_time":"2025-02-02T08:00:00+0000"},
            {"value":5,"end_time":"2025-02-03T08:00:00+0000"}]}]});
        let answered = answered_metrics(&body).expect("decodes");
        let rows = value_rows(request, &plan.metrics, &answered, None);
        let summary: Vec<_> = rows
            .iter()
            .map(|r| (r.metric.as_str(), r.served_by.as_str(), r.value))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("views", "impressions", Some(3)),
                ("views", "impressions", Some(5))
            ]
        );
    }

    #[test]
    fn a_media_answer_with_a_breakdown_gives_a_total_and_one_row_per_result() {
        let registry = Registry::standard();
        let plan = registry
            .plan_media_pull(
                GraphVersion::V25,
                MediaKind::Story,
                &[MetricRequest::new("navigation")],
                date(2026, 11, 29),
            )
            .expect("plans");
        let request = plan.requests.first().expect("one request");
        let body = serde_json::json!({"data":[{"name":"navigation","period":"lifetime",
            "values":[{"value":9}],
            "total_value":{"value":9,"breakdowns":[{"dimension_keys":["story_navigation_action_type"],
              "results":[{"dimension_values":["tap_forward"],"value":7},{"dimension_values":["tap_back"],"value":2}]}]}}]});
        let answered = answered_metrics(&body).expect("decodes");
        let rows = value_rows(request, &plan.metrics, &answered, None);
        let keys: Vec<_> = rows
            .iter()
            .map(|r| (r.breakdown_key.as_str(), r.value))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("", Some(9)),
                ("story_navigation_action_type=tap_forward", Some(7)),
                ("story_navigation_action_type=tap_back", Some(2)),
            ]
        );
        assert!(matches!(
            plan.metrics.first().map(|m| m.object),
            Some(InsightsObject::Media(MediaKind::Story))
        ));
    }

    #[test]
    fn a_malformed_answer_names_the_path() {
        let body = serde_json::json!({"data":[{"period":"day"}]});
        let error = answered_metrics(&body).expect_err("name is missing");
        assert!(error.starts_with("data[0]"), "{error}");
    }
}
