//! Insights (graph-api.md §4): account insights with automatic 30-day windows, media insights,
//! and typed results. Metric names are strings with constants, never a closed enum, because Meta
//! renames and retires metrics every few versions.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::client::AuthedClient;
use crate::error::GraphError;
use crate::ids::{IgUserId, MediaId};
use crate::meta_enum::meta_enum;
use crate::request::GraphRequest;

/// Metric names known today (§4.1, §4.2). Any other string works too.
pub mod metrics {
    /// Unique accounts that saw the content.
    pub const REACH: &str = "reach";
    /// Views (since v22).
    pub const VIEWS: &str = "views";
    /// Likes.
    pub const LIKES: &str = "likes";
    /// Comments.
    pub const COMMENTS: &str = "comments";
    /// Shares.
    pub const SHARES: &str = "shares";
    /// Saves (account insights).
    pub const SAVES: &str = "saves";
    /// Saves (media insights spell it `saved`).
    pub const SAVED: &str = "saved";
    /// Replies.
    pub const REPLIES: &str = "replies";
    /// Reposts.
    pub const REPOSTS: &str = "reposts";
    /// Total interactions.
    pub const TOTAL_INTERACTIONS: &str = "total_interactions";
    /// Accounts engaged.
    pub const ACCOUNTS_ENGAGED: &str = "accounts_engaged";
    /// Follows and unfollows.
    pub const FOLLOWS_AND_UNFOLLOWS: &str = "follows_and_unfollows";
    /// Taps on profile links.
    pub const PROFILE_LINKS_TAPS: &str = "profile_links_taps";
    /// Daily net new followers (time series, last 30 days).
    pub const FOLLOWER_COUNT: &str = "follower_count";
    /// Followers online by hour (values are objects keyed "0".."23").
    pub const ONLINE_FOLLOWERS: &str = "online_followers";
    /// Profile views (total_value only).
    pub const PROFILE_VIEWS: &str = "profile_views";
    /// Website clicks (total_value only).
    pub const WEBSITE_CLICKS: &str = "website_clicks";
    /// Demographics of the engaged audience.
    pub const ENGAGED_AUDIENCE_DEMOGRAPHICS: &str = "engaged_audience_demographics";
    /// Demographics of followers.
    pub const FOLLOWER_DEMOGRAPHICS: &str = "follower_demographics";
    /// Demographics of the reached audience.
    pub const REACHED_AUDIENCE_DEMOGRAPHICS: &str = "reached_audience_demographics";
    /// Follows from a media object.
    pub const FOLLOWS: &str = "follows";
    /// Profile visits from a media object.
    pub const PROFILE_VISITS: &str = "profile_visits";
    /// Profile activity from a media object (breakdown `action_type`).
    pub const PROFILE_ACTIVITY: &str = "profile_activity";
    /// Story navigation (breakdown `story_navigation_action_type`).
    pub const NAVIGATION: &str = "navigation";
    /// Story link clicks.
    pub const LINK_CLICKS: &str = "link_clicks";
    /// Reels average watch time.
    pub const IG_REELS_AVG_WATCH_TIME: &str = "ig_reels_avg_watch_time";
    /// Reels total watch time.
    pub const IG_REELS_VIDEO_VIEW_TOTAL_TIME: &str = "ig_reels_video_view_total_time";
    /// Reels skip rate.
    pub const REELS_SKIP_RATE: &str = "reels_skip_rate";
    /// Views on Facebook of a cross-posted reel.
    pub const CROSSPOSTED_VIEWS: &str = "crossposted_views";
    /// Views on Facebook.
    pub const FACEBOOK_VIEWS: &str = "facebook_views";
    /// Comments including ads (Facebook Login only).
    pub const TOTAL_COMMENTS: &str = "total_comments";
    /// Likes including ads.
    pub const TOTAL_LIKES: &str = "total_likes";
    /// Views including ads.
    pub const TOTAL_VIEWS: &str = "total_views";
}

/// Breakdown names known today (§4.1, §4.2).
pub mod breakdowns {
    /// By media product type.
    pub const MEDIA_PRODUCT_TYPE: &str = "media_product_type";
    /// Followers versus non-followers.
    pub const FOLLOW_TYPE: &str = "follow_type";
    /// By contact button.
    pub const CONTACT_BUTTON_TYPE: &str = "contact_button_type";
    /// Demographics by age.
    pub const AGE: &str = "age";
    /// Demographics by city.
    pub const CITY: &str = "city";
    /// Demographics by country.
    pub const COUNTRY: &str = "country";
    /// Demographics by gender.
    pub const GENDER: &str = "gender";
    /// Media profile activity by action.
    pub const ACTION_TYPE: &str = "action_type";
    /// Story navigation by action.
    pub const STORY_NAVIGATION_ACTION_TYPE: &str = "story_navigation_action_type";
}

meta_enum! {
    /// `period` of an insights query.
    Period {
        /// Per day.
        Day => "day",
        /// Rolling week.
        Week => "week",
        /// Rolling 28 days.
        Days28 => "days_28",
        /// Month.
        Month => "month",
        /// Lifetime (demographics, media).
        Lifetime => "lifetime",
        /// Over the whole range.
        TotalOverRange => "total_over_range",
    }
}

meta_enum! {
    /// `metric_type` of an account insights query.
    MetricType {
        /// One value per day.
        TimeSeries => "time_series",
        /// One total, optionally broken down.
        TotalValue => "total_value",
        /// Meta's default for the metric.
        Default => "default",
    }
}

meta_enum! {
    /// `timeframe` of a demographics query (v20+).
    Timeframe {
        /// This week.
        ThisWeek => "this_week",
        /// This month.
        ThisMonth => "this_month",
    }
}

/// Longest `since`..`until` range Meta accepts in one request (§4.1:
/// "There cannot be more than 30 days (2592000 s) between since and until").
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_secs(2_592_000);

/// An account insights query. A `since`..`until` range longer than 30 days is split into
/// consecutive windows of at most 30 days, fetched one after the other and merged.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountInsightsQuery {
    /// Metric names (sent comma-joined as ONE `metric` parameter).
    pub metrics: Vec<String>,
    /// `period`.
    pub period: Period,
    /// `metric_type`.
    pub metric_type: Option<MetricType>,
    /// Breakdown names (comma-joined).
    pub breakdowns: Vec<String>,
    /// `timeframe` (demographics).
    pub timeframe: Option<Timeframe>,
    /// Range start.
    pub since: Option<Timestamp>,
    /// Range end.
    pub until: Option<Timestamp>,
}

impl AccountInsightsQuery {
    /// A query for these metrics and period; add the rest by field.
    pub fn new<I, S>(metrics: I, period: Period) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            metrics: metrics.into_iter().map(Into::into).collect(),
            period,
            metric_type: None,
            breakdowns: Vec::new(),
            timeframe: None,
            since: None,
            until: None,
        }
    }

    /// The ≤30-day windows covering `since`..`until`; one window (possibly open) otherwise.
    pub fn windows(&self) -> Result<Vec<InsightsWindow>, GraphError> {
        check_metrics(&self.metrics)?;
        let (Some(since), Some(until)) = (self.since, self.until) else {
            return Ok(vec![InsightsWindow {
                since: self.since,
                until: self.until,
            }]);
        };
        if since > until {
            return Err(GraphError::invalid_input(
                "since",
                format!("{since} is after until {until}"),
            ));
        }
        let mut windows = Vec::new();
        let mut start = since;
        loop {
            let end = start
                .checked_add(MAX_WINDOW)
                .map(|end| end.min(until))
                .unwrap_or(until);
            windows.push(InsightsWindow {
                since: Some(start),
                until: Some(end),
            });
            if end >= until {
                return Ok(windows);
            }
            start = end;
        }
    }

    /// `GET /{ig-user-id}/insights` for one window.
    pub fn request(&self, ig_user_id: &IgUserId, window: &InsightsWindow) -> GraphRequest {
        GraphRequest::get(&[ig_user_id.as_str(), "insights"])
            .param("metric", self.metrics.join(","))
            .param("period", self.period.as_str())
            .param_opt(
                "metric_type",
                self.metric_type.as_ref().map(MetricType::to_string),
            )
            .param_opt(
                "breakdown",
                (!self.breakdowns.is_empty()).then(|| self.breakdowns.join(",")),
            )
            .param_opt(
                "timeframe",
                self.timeframe.as_ref().map(Timeframe::to_string),
            )
            .param_opt("since", window.since.map(|t| t.as_second().to_string()))
            .param_opt("until", window.until.map(|t| t.as_second().to_string()))
    }
}

fn check_metrics(metrics: &[String]) -> Result<(), GraphError> {
    if metrics.is_empty() {
        return Err(GraphError::invalid_input(
            "metric",
            "at least one metric is required",
        ));
    }
    if let Some(bad) = metrics
        .iter()
        .find(|m| m.trim().is_empty() || m.contains(','))
    {
        return Err(GraphError::invalid_input(
            "metric",
            format!("{bad:?} is not one metric name"),
        ));
    }
    Ok(())
}

/// One `since`..`until` window of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InsightsWindow {
    /// Start.
    pub since: Option<Timestamp>,
    /// End.
    pub until: Option<Timestamp>,
}

/// A media insights query (period is always lifetime, §4.2).
#[derive(Clone, Debug, PartialEq)]
pub struct MediaInsightsQuery {
    /// Metric names (comma-joined).
    pub metrics: Vec<String>,
    /// Breakdown names.
    pub breakdowns: Vec<String>,
}

impl MediaInsightsQuery {
    /// A query for these metrics.
    pub fn new<I, S>(metrics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            metrics: metrics.into_iter().map(Into::into).collect(),
            breakdowns: Vec::new(),
        }
    }

    /// `GET /{ig-media-id}/insights?metric=…[&breakdown=…]`.
    pub fn request(&self, media_id: &MediaId) -> Result<GraphRequest, GraphError> {
        check_metrics(&self.metrics)?;
        Ok(GraphRequest::get(&[media_id.as_str(), "insights"])
            .param("metric", self.metrics.join(","))
            .param_opt(
                "breakdown",
                (!self.breakdowns.is_empty()).then(|| self.breakdowns.join(",")),
            ))
    }
}

/// A metric value: a count, a decimal, or an object keyed by hour (`online_followers`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum InsightValue {
    /// A whole number.
    Count(i64),
    /// A decimal (rates, averages).
    Decimal(f64),
    /// Values keyed by a dimension, e.g. hour "0".."23" → followers online.
    ByKey(BTreeMap<String, i64>),
    /// Any other shape, kept as JSON.
    Other(serde_json::Value),
}

impl InsightValue {
    /// Adds two values of the same shape; keeps `self` when shapes differ.
    fn plus(&self, other: &InsightValue) -> InsightValue {
        match (self, other) {
            (InsightValue::Count(a), InsightValue::Count(b)) => {
                InsightValue::Count(a.saturating_add(*b))
            }
            (InsightValue::Decimal(a), InsightValue::Decimal(b)) => InsightValue::Decimal(a + b),
            (InsightValue::Count(a), InsightValue::Decimal(b))
            | (InsightValue::Decimal(b), InsightValue::Count(a)) => {
                // i64 → f64 loses precision only past 2^53, far beyond any insight count.
                InsightValue::Decimal(*a as f64 + b)
            }
            (InsightValue::ByKey(a), InsightValue::ByKey(b)) => {
                let mut sum = a.clone();
                for (key, value) in b {
                    let entry = sum.entry(key.clone()).or_insert(0);
                    *entry = entry.saturating_add(*value);
                }
                InsightValue::ByKey(sum)
            }
            _ => self.clone(),
        }
    }
}

/// One entry of `values`: a value and, for time series, the end of the day it covers.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct MetricValue {
    /// The value.
    pub value: InsightValue,
    /// End of the period (time series); absent for media insights.
    #[serde(default, with = "crate::time::option_meta_timestamp")]
    pub end_time: Option<Timestamp>,
}

/// `total_value`: a total and/or breakdowns (demographics have only breakdowns).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct TotalValue {
    /// The total.
    #[serde(default)]
    pub value: Option<InsightValue>,
    /// Breakdowns of the total.
    #[serde(default)]
    pub breakdowns: Vec<Breakdown>,
}

/// One breakdown: its dimension names and a result per combination of values.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Breakdown {
    /// e.g. `["timeframe","country"]`.
    #[serde(default)]
    pub dimension_keys: Vec<String>,
    /// One result per combination.
    #[serde(default)]
    pub results: Vec<BreakdownResult>,
}

/// One breakdown result.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct BreakdownResult {
    /// e.g. `["LAST_90_DAYS","US"]`.
    #[serde(default)]
    pub dimension_values: Vec<String>,
    /// The value.
    pub value: InsightValue,
}

/// One metric of an insights answer.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Metric {
    /// Metric name.
    pub name: String,
    /// Period.
    #[serde(default = "lifetime")]
    pub period: Period,
    /// Localized title.
    #[serde(default)]
    pub title: Option<String>,
    /// Localized description.
    #[serde(default)]
    pub description: Option<String>,
    /// `{object-id}/insights/{metric}/{period}`.
    #[serde(default)]
    pub id: Option<String>,
    /// Time-series values (or the single lifetime value of a media metric).
    #[serde(default)]
    pub values: Vec<MetricValue>,
    /// The total, for `metric_type=total_value` and breakdowns.
    #[serde(default)]
    pub total_value: Option<TotalValue>,
}

fn lifetime() -> Period {
    Period::Lifetime
}

/// Account insights, merged across windows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountInsights {
    /// The metrics, in the order Meta first answered them. Time-series values of all windows are
    /// concatenated (a day reported by two windows appears once); `total_value`s are summed
    /// across windows, which is exact for counts and an upper bound for unique-account metrics
    /// such as `reach` (ask for ≤30 days to get those exactly).
    pub metrics: Vec<Metric>,
    /// The windows fetched.
    pub windows: Vec<InsightsWindow>,
}

impl AccountInsights {
    /// The metric with this name.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|metric| metric.name == name)
    }
}

#[derive(Deserialize)]
struct InsightsAnswer {
    #[serde(default)]
    data: Vec<Metric>,
}

fn merge_total(into: &mut TotalValue, other: &TotalValue) {
    into.value = match (&into.value, &other.value) {
        (Some(a), Some(b)) => Some(a.plus(b)),
        (None, Some(b)) => Some(b.clone()),
        (a, None) => a.clone(),
    };
    for breakdown in &other.breakdowns {
        match into
            .breakdowns
            .iter_mut()
            .find(|b| b.dimension_keys == breakdown.dimension_keys)
        {
            None => into.breakdowns.push(breakdown.clone()),
            Some(existing) => {
                for result in &breakdown.results {
                    match existing
                        .results
                        .iter_mut()
                        .find(|r| r.dimension_values == result.dimension_values)
                    {
                        Some(found) => found.value = found.value.plus(&result.value),
                        None => existing.results.push(result.clone()),
                    }
                }
            }
        }
    }
}

/// Merges one window's metrics into the running result.
fn merge_window(merged: &mut Vec<Metric>, window: Vec<Metric>) {
    for metric in window {
        let Some(existing) = merged.iter_mut().find(|m| m.name == metric.name) else {
            merged.push(metric);
            continue;
        };
        for value in metric.values {
            let seen = value.end_time.is_some()
                && existing.values.iter().any(|v| v.end_time == value.end_time);
            if !seen {
                existing.values.push(value);
            }
        }
        match (&mut existing.total_value, &metric.total_value) {
            (Some(into), Some(other)) => merge_total(into, other),
            (into @ None, Some(other)) => *into = Some(other.clone()),
            (_, None) => {}
        }
    }
}

impl AuthedClient {
    /// Account insights. The metrics go as one comma-joined `metric` parameter; ranges longer
    /// than 30 days are fetched window by window and merged.
    pub async fn account_insights(
        &self,
        ig_user_id: &IgUserId,
        query: &AccountInsightsQuery,
    ) -> Result<AccountInsights, GraphError> {
        let windows = query.windows()?;
        let mut metrics = Vec::new();
        for window in &windows {
            let answer: InsightsAnswer = self.send_json(&query.request(ig_user_id, window)).await?;
            merge_window(&mut metrics, answer.data);
        }
        Ok(AccountInsights { metrics, windows })
    }

    /// Media insights (always lifetime; no `end_time` in the values).
    pub async fn media_insights(
        &self,
        media_id: &MediaId,
        query: &MediaInsightsQuery,
    ) -> Result<Vec<Metric>, GraphError> {
        let answer: InsightsAnswer = self.send_json(&query.request(media_id)?).await?;
        Ok(answer.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn decode(body: &str) -> Vec<Metric> {
        match serde_json::from_str::<InsightsAnswer>(body) {
            Ok(answer) => answer.data,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn ranges_up_to_30_days_are_one_window() {
        let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
        query.since = Some(at(0));
        query.until = Some(at(2_592_000));
        assert_eq!(query.windows().map(|w| w.len()).ok(), Some(1));
    }

    #[test]
    fn ranges_over_30_days_split_into_consecutive_windows() {
        let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
        query.since = Some(at(0));
        query.until = Some(at(90 * 86_400 + 1));
        let windows = query.windows().unwrap_or_default();
        assert_eq!(windows.len(), 4);
        for pair in windows.windows(2) {
            let [a, b] = pair else { continue };
            assert_eq!(a.until, b.since);
        }
        for window in &windows {
            let (Some(since), Some(until)) = (window.since, window.until) else {
                panic!("closed windows")
            };
            assert!(until.duration_since(since) <= MAX_WINDOW);
        }
        assert_eq!(windows.first().and_then(|w| w.since), Some(at(0)));
        assert_eq!(
            windows.last().and_then(|w| w.until),
            Some(at(90 * 86_400 + 1))
        );
    }

    #[test]
    fn inverted_ranges_and_missing_metrics_are_refused() {
        let mut query = AccountInsightsQuery::new([metrics::REACH], Period::Day);
        query.since = Some(at(10));
        query.until = Some(at(5));
        assert!(
            query
                .windows()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("since")
        );
        let empty = AccountInsightsQuery::new(Vec::<String>::new(), Period::Day);
        assert!(empty.windows().is_err());
        let joined = AccountInsightsQuery::new(["reach,views"], Period::Day);
        assert!(joined.windows().is_err());
    }

    #[test]
    fn total_value_with_breakdowns_decodes() {
        // Doc example, graph-api.md §4.1.
        let data = decode(
            r#"{"data":[{"name":"reach","period":"day","title":"Accounts reached","description":"…",
              "total_value":{"value":224,"breakdowns":[{"dimension_keys":["media_product_type"],
                "results":[{"dimension_values":["CAROUSEL_CONTAINER"],"value":100},{"dimension_values":["POST"],"value":124}]}]},
              "id":"17841405309211844/insights/reach/day"}],
              "paging":{"previous":"https://graph.face...","next":"https://graph.face..."}}"#,
        );
        let total = data
            .first()
            .and_then(|m| m.total_value.clone())
            .unwrap_or_default();
        assert_eq!(total.value, Some(InsightValue::Count(224)));
        assert_eq!(total.breakdowns.first().map(|b| b.results.len()), Some(2));
    }

    #[test]
    fn time_series_values_carry_end_times() {
        let data = decode(
            r#"{"data":[{"name":"reach","period":"day",
              "values":[{"value":3,"end_time":"2017-05-04T07:00:00+0000"},{"value":36,"end_time":"2017-05-05T07:00:00+0000"}],
              "title":"Reach","description":"…","id":"17841400008460056/insights/reach/day"}]}"#,
        );
        let values = data.first().map(|m| m.values.clone()).unwrap_or_default();
        assert_eq!(values.len(), 2);
        assert_eq!(
            values
                .first()
                .and_then(|v| v.end_time)
                .map(|t| t.as_second()),
            Some(1_493_881_200)
        );
        assert_eq!(
            values.get(1).map(|v| v.value.clone()),
            Some(InsightValue::Count(36))
        );
    }

    #[test]
    fn online_followers_values_are_objects_keyed_by_hour() {
        let data = decode(
            r#"{"data":[{"name":"online_followers","period":"lifetime",
              "values":[{"value":{"0":120,"1":98,"23":143},"end_time":"2026-07-14T07:00:00+0000"}]}]}"#,
        );
        let value = data
            .first()
            .and_then(|m| m.values.first())
            .map(|v| v.value.clone());
        let Some(InsightValue::ByKey(hours)) = value else {
            panic!("{value:?}")
        };
        assert_eq!(hours.get("23"), Some(&143));
    }

    #[test]
    fn demographics_have_breakdowns_without_a_total() {
        let data = decode(
            r#"{"data":[{"name":"engaged_audience_demographics","period":"lifetime","title":"Engaged audience demographics",
              "total_value":{"breakdowns":[{"dimension_keys":["timeframe","country"],
                "results":[{"dimension_values":["LAST_90_DAYS","AR"],"value":1},{"dimension_values":["LAST_90_DAYS","US"],"value":7}]}]},
              "id":"17841401130346306/insights/engaged_audience_demographics/lifetime"}]}"#,
        );
        let total = data
            .first()
            .and_then(|m| m.total_value.clone())
            .unwrap_or_default();
        assert_eq!(total.value, None);
        let breakdown = total.breakdowns.first().cloned();
        assert_eq!(
            breakdown.as_ref().map(|b| b.dimension_keys.clone()),
            Some(vec!["timeframe".to_owned(), "country".to_owned()])
        );
        assert_eq!(
            breakdown.and_then(|b| b.results.get(1).map(|r| r.value.clone())),
            Some(InsightValue::Count(7))
        );
    }

    #[test]
    fn metric_without_total_value_decodes() {
        // follows_and_unfollows was observed without total_value (§4.1).
        let data = decode(
            r#"{"data":[{"name":"follows_and_unfollows","period":"day","title":"t","description":"d","id":"1/insights/follows_and_unfollows/day"}]}"#,
        );
        assert_eq!(data.first().map(|m| m.total_value.is_none()), Some(true));
    }

    #[test]
    fn merging_windows_concatenates_days_once_and_sums_totals() {
        let first = decode(
            r#"{"data":[{"name":"reach","period":"day","values":[{"value":1,"end_time":"2026-01-01T08:00:00+0000"},{"value":2,"end_time":"2026-01-02T08:00:00+0000"}]},
                       {"name":"likes","period":"day","total_value":{"value":5,"breakdowns":[{"dimension_keys":["media_product_type"],"results":[{"dimension_values":["POST"],"value":5}]}]}}]}"#,
        );
        let second = decode(
            r#"{"data":[{"name":"reach","period":"day","values":[{"value":2,"end_time":"2026-01-02T08:00:00+0000"},{"value":4,"end_time":"2026-01-03T08:00:00+0000"}]},
                       {"name":"likes","period":"day","total_value":{"value":7,"breakdowns":[{"dimension_keys":["media_product_type"],"results":[{"dimension_values":["POST"],"value":3},{"dimension_values":["REEL"],"value":4}]}]}}]}"#,
        );
        let mut merged = Vec::new();
        merge_window(&mut merged, first);
        merge_window(&mut merged, second);
        let reach = merged
            .iter()
            .find(|m| m.name == "reach")
            .map(|m| m.values.len());
        assert_eq!(reach, Some(3));
        let likes = merged
            .iter()
            .find(|m| m.name == "likes")
            .and_then(|m| m.total_value.clone())
            .unwrap_or_default();
        assert_eq!(likes.value, Some(InsightValue::Count(12)));
        let results = likes
            .breakdowns
            .first()
            .map(|b| b.results.clone())
            .unwrap_or_default();
        assert_eq!(results.len(), 2);
        assert_eq!(
            results.first().map(|r| r.value.clone()),
            Some(InsightValue::Count(8))
        );
    }

    #[test]
    fn account_request_joins_metrics_into_one_parameter() {
        let mut query = AccountInsightsQuery::new([metrics::LIKES, metrics::VIEWS], Period::Day);
        query.metric_type = Some(MetricType::TotalValue);
        query.breakdowns = vec![breakdowns::MEDIA_PRODUCT_TYPE.into()];
        let window = InsightsWindow {
            since: Some(at(100)),
            until: Some(at(200)),
        };
        let request = query.request(&IgUserId::new("1"), &window);
        assert_eq!(request.param_value("metric"), Some("likes,views"));
        assert_eq!(request.param_value("metric_type"), Some("total_value"));
        assert_eq!(request.param_value("breakdown"), Some("media_product_type"));
        assert_eq!(request.param_value("since"), Some("100"));
        assert_eq!(request.param_value("until"), Some("200"));
    }
}
