//! Deterministic account and media insights, version-gated as shared/graph-api.md §4 describes.
//!
//! The simulator stores no insight rows. Every number it serves is a pure function of
//! (seed, object id, metric, day), drawn from SHA-256, so a test can ask
//! [`account_metric_value`] or [`media_metric_value`] for exactly what the endpoints served.
//!
//! Where graph-api.md leaves a behaviour open (marked \[INFER\] or "unconfirmed"), the simulator decides:
//! - An insights day ends at 07:00 UTC all year round. A series reports the days whose end lies in
//!   `(since, until]` and has already passed, so adjacent windows neither overlap nor leave a gap.
//! - A `total_value` is the sum of the daily values of those days, and its breakdown buckets add
//!   up to it exactly. Buckets with a zero value are left out, as in the §4.1 example.
//! - The date-gated removals in the §1 table are judged on 2026-11-29, the date of the spec, so
//!   `plays`, `video_views`, `clips_replays_count` and `ig_reels_aggregated_all_plays_count` are
//!   unknown on every version. The account time series removed in v21 stay gated by version.
//! - `views` and `impressions` (account and media) follow both gates of §1: the version (v22), and
//!   the simulated date (every version from 2025-04-21), so a simulator whose clock starts before
//!   that day answers v21 as Meta did then, and after it answers v21 like v22.
//! - Each account has a creation day, drawn from the seed between 2020 and 2024. Days before it
//!   have no data.
//! - Texts marked \[INFER\] below are the simulator's own wording. Their code matches Meta's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::MetaError;

use calendar::{DAY, Window};
use catalog::{
    AccountKind, AccountMetricSpec, Dimension, MediaDimension, MediaMetricSpec, Product, Timeframe,
};

/// One `GET /{ig-user-id}/insights` request, with what the simulator knows about the account.
#[derive(Debug, Clone, Copy)]
pub struct AccountInsightsQuery<'a> {
    /// The Graph API major version that answers, e.g. 25 for `v25.0`.
    pub version: u32,
    /// The IG user id from the path.
    pub ig_user_id: &'a str,
    /// The simulator's seed. Values are a function of it.
    pub seed: u64,
    /// The account's `followers_count`. Some metrics need at least 100 followers.
    pub followers: u64,
    /// The simulator's clock, in Unix seconds.
    pub now_unix: i64,
    /// The query: `metric`, `period`, `metric_type`, `breakdown`, `since`, `until`, `timeframe`.
    /// Other keys, such as `access_token`, are ignored.
    pub params: &'a BTreeMap<String, String>,
}

/// One `GET /{ig-media-id}/insights` request, with what the simulator knows about the media.
#[derive(Debug, Clone, Copy)]
pub struct MediaInsightsQuery<'a> {
    /// The Graph API major version that answers, e.g. 25 for `v25.0`.
    pub version: u32,
    /// The media id from the path.
    pub media_id: &'a str,
    /// The simulator's seed. Values are a function of it.
    pub seed: u64,
    /// `FEED`, `REELS` or `STORY`.
    pub media_product_type: &'a str,
    /// `IMAGE`, `VIDEO` or `CAROUSEL_ALBUM`.
    pub media_type: &'a str,
    /// When the media was published, in Unix seconds.
    pub published_unix: i64,
    /// The simulator's clock, in Unix seconds.
    pub now_unix: i64,
    /// The query: `metric`, `period`, `breakdown`. Other keys are ignored.
    pub params: &'a BTreeMap<String, String>,
}

/// The body of `GET /{ig-user-id}/insights`: `{"data":[…], "paging"?:{…}}`, or Meta's error.
///
/// Every requested metric is checked, in order, and the first failing one fails the whole
/// request, as Meta does (graph-api.md §4.1).
pub fn account_insights(q: &AccountInsightsQuery<'_>) -> Result<Value, MetaError> {
    let request = AccountRequest::parse(q)?;
    let mut data = Vec::new();
    for metric in &request.metrics {
        if let Some(entry) = render_account_metric(q, &request, metric)? {
            data.push(entry);
        }
    }
    let mut body = Map::new();
    let has_data = !data.is_empty();
    body.insert("data".into(), Value::Array(data));
    if has_data
        && let Some(paging) = request
            .window
            .and_then(|window| paging(q, &request.period, window))
    {
        body.insert("paging".into(), paging);
    }
    Ok(Value::Object(body))
}

/// The body of `GET /{ig-media-id}/insights`: `{"data":[…]}` (never paged), or Meta's error.
///
/// The caller answers carousel children itself: they have no insights at all (graph-api.md §4.2).
pub fn media_insights(q: &MediaInsightsQuery<'_>) -> Result<Value, MetaError> {
    let metrics = requested_metrics(q.params)?;
    let breakdowns = media_breakdowns(q.params)?;
    let product = Product::parse(q.media_product_type);
    let mut planned = Vec::new();
    for (index, name) in metrics {
        planned.push(plan_media_metric(q, index, name, product, &breakdowns)?);
    }
    if !media_has_data(q, product) {
        return Ok(json!({ "data": [] }));
    }
    for spec in &planned {
        // graph-api.md §4.2: both throw when the media was not shared to Facebook.
        let needs_facebook = matches!(spec.name, "facebook_views" | "crossposted_views");
        if needs_facebook && !media_is_shared_to_facebook(q.seed, q.media_id) {
            return Err(MetaError::new(-1, "Fatal").subcode(2_207_086));
        }
    }
    if product == Some(Product::Story)
        && model::media(q.seed, q.media_id).reach() < MIN_STORY_VIEWERS
    {
        // graph-api.md §4.2: story metrics below 5 are withheld.
        return Err(MetaError::new(
            10,
            "(#10) Not enough viewers for the media to show insights",
        ));
    }
    let data: Vec<Value> = planned
        .iter()
        .map(|spec| render_media_metric(q, spec, breakdowns.first().copied()))
        .collect();
    Ok(json!({ "data": data }))
}

/// The value the account endpoint serves for `metric` on the day that ends at `day_end_unix`
/// (an `end_time`; any instant inside the day works too).
///
/// For `reach` it is the daily value: `week` and `days_28` series serve sums of 7 and 28 of them,
/// and a `total_value` serves the sum over its window. `follows_and_unfollows` is follows plus
/// unfollows, the sum of its `follow_type` buckets. `online_followers` is the sum of its 24 hourly
/// counts. Days before the account existed are 0, and so are names that are not daily metrics
/// (the demographics, unknown names): see [`account_daily_value`] to tell those apart.
pub fn account_metric_value(seed: u64, ig_user_id: &str, metric: &str, day_end_unix: i64) -> i64 {
    account_daily_value(seed, ig_user_id, metric, day_end_unix).unwrap_or(0)
}

/// Like [`account_metric_value`], but `None` for a name that has no daily value.
pub fn account_daily_value(
    seed: u64,
    ig_user_id: &str,
    metric: &str,
    day_end_unix: i64,
) -> Option<i64> {
    let day_end = calendar::day_end_containing(day_end_unix);
    let day = model::account_day(seed, ig_user_id, day_end);
    let value = match metric {
        "online_followers" => online_followers_by_hour(seed, ig_user_id, day_end)
            .iter()
            .sum(),
        name => day.value(name)?,
    };
    Some(if day.exists() { value } else { 0 })
}

/// The 24 hourly counts (hours "0" to "23") that `online_followers` serves for one day.
pub fn online_followers_by_hour(seed: u64, ig_user_id: &str, day_end_unix: i64) -> [i64; 24] {
    let day = model::account_day(seed, ig_user_id, calendar::day_end_containing(day_end_unix));
    if day.exists() {
        day.online_followers()
    } else {
        [0; 24]
    }
}

/// The day the account was created, as Unix seconds at a day boundary. Days ending on or
/// before it have no data.
pub fn account_created_unix(seed: u64, ig_user_id: &str) -> i64 {
    model::account_created(seed, ig_user_id)
}

/// The lifetime value the media endpoint serves for `metric`, or 0 for a name that is not a
/// media metric (see [`media_metric`] to tell them apart).
pub fn media_metric_value(seed: u64, media_id: &str, metric: &str) -> i64 {
    media_metric(seed, media_id, metric).unwrap_or(0)
}

/// Like [`media_metric_value`], but `None` for a name that is not a media metric.
pub fn media_metric(seed: u64, media_id: &str, metric: &str) -> Option<i64> {
    model::media(seed, media_id).value(metric)
}

/// The breakdown buckets of `profile_activity` (`action_type`) or `navigation`
/// (`story_navigation_action_type`), zeros included, in a fixed order. Empty for other metrics.
pub fn media_breakdown_values(seed: u64, media_id: &str, metric: &str) -> Vec<(&'static str, i64)> {
    let media = model::media(seed, media_id);
    let dimension = match metric {
        "profile_activity" => MediaDimension::Action,
        "navigation" => MediaDimension::StoryNavigation,
        _ => return Vec::new(),
    };
    dimension
        .values()
        .iter()
        .copied()
        .zip(media.buckets(dimension))
        .collect()
}

/// Whether the media was also shared to Facebook. When it was not, `facebook_views` and
/// `crossposted_views` fail with code -1, subcode 2207086 (graph-api.md §4.2).
pub fn media_is_shared_to_facebook(seed: u64, media_id: &str) -> bool {
    model::media(seed, media_id).shared_to_facebook()
}

/// Metrics the account endpoint knows on `version` at `now_unix`, in the order of its "must be
/// one of" error.
pub fn account_metric_names(version: u32, now_unix: i64) -> Vec<&'static str> {
    catalog::ACCOUNT_METRICS
        .iter()
        .filter(|spec| spec.available_on(version, now_unix))
        .map(|spec| spec.name)
        .collect()
}

/// Metrics the media endpoint knows on `version` at `now_unix`, in the order of its "must be
/// one of" error.
pub fn media_metric_names(version: u32, now_unix: i64) -> Vec<&'static str> {
    catalog::MEDIA_METRICS
        .iter()
        .filter(|spec| spec.available_on(version, now_unix))
        .map(|spec| spec.name)
        .collect()
}

/// Fewer than this many viewers and a story's insights are withheld (graph-api.md §4.2).
const MIN_STORY_VIEWERS: i64 = 5;
/// Followers an account needs before audience metrics are returned (graph-api.md §4.1).
const MIN_FOLLOWERS: u64 = 100;
/// Engagements `engaged_audience_demographics` needs before it is returned (graph-api.md §4.1).
const MIN_ENGAGEMENTS: i64 = 100;
/// A `follower_count` series reaches back this many days, today excluded (graph-api.md §4.1).
const FOLLOWER_COUNT_DAYS: i64 = 30;
/// `online_followers` keeps this many days (graph-api.md §4.1).
const ONLINE_FOLLOWERS_DAYS: i64 = 30;
/// Media insights are kept this long (graph-api.md §4.2).
const MEDIA_RETENTION_SECONDS: i64 = 730 * DAY;
/// Story insights are served only while the story is live (graph-api.md §4.2).
const STORY_LIFETIME_SECONDS: i64 = DAY;
/// 2024-07-02T00:00:00Z: media created from then on have no `impressions` (graph-api.md §1).
const MEDIA_IMPRESSIONS_CUTOFF_UNIX: i64 = 1_719_878_400;
/// 2025-04-21T00:00:00Z: `views` replaced `impressions` for every version (graph-api.md §1,
/// "v22.0 (2025-01-21); all versions 2025-04-21").
const VIEWS_FOR_ALL_VERSIONS_UNIX: i64 = 1_745_193_600;

/// The version whose `views`/`impressions` rules apply to a call made with `version` at
/// `now_unix`: from 2025-04-21 every version has v22's (graph-api.md §1).
fn views_gate(version: u32, now_unix: i64) -> u32 {
    if now_unix >= VIEWS_FOR_ALL_VERSIONS_UNIX {
        version.max(22)
    } else {
        version
    }
}

// ---------------------------------------------------------------------------------------------
// Account request: parse and check every rule before computing anything.

/// What the request asked for, checked.
struct AccountRequest {
    period: String,
    metrics: Vec<PlannedAccountMetric>,
    /// `None` when only demographics were asked for: they take a `timeframe` instead.
    window: Option<Window>,
}

struct PlannedAccountMetric {
    spec: &'static AccountMetricSpec,
    output: AccountOutput,
}

/// How one metric is answered.
enum AccountOutput {
    /// One value per day.
    DailySeries,
    /// One value per day, each the sum of the last `days` daily values.
    RollingSeries { days: i64 },
    /// One object per day, keyed by hour.
    HourlySeries,
    /// The sum over the window, maybe split into breakdown buckets.
    WindowTotal { breakdowns: Vec<Dimension> },
    /// The audience split by the breakdowns, over the timeframe.
    Demographics {
        timeframe: Timeframe,
        breakdowns: Vec<Dimension>,
    },
    /// Accepted, but the simulated accounts have no data for it.
    NoData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricType {
    Default,
    TimeSeries,
    TotalValue,
}

impl AccountRequest {
    fn parse(q: &AccountInsightsQuery<'_>) -> Result<Self, MetaError> {
        let metrics = requested_metrics(q.params)?;
        let period = required_param(q.params, "period")?;
        let metric_type = metric_type(q.params)?;
        let breakdowns = account_breakdowns(q.params)?;
        let has_range =
            non_blank(q.params, "since").is_some() || non_blank(q.params, "until").is_some();
        let window = Window::parse(q.params, q.now_unix)?;
        let context = PlanContext {
            version: q.version,
            period,
            metric_type,
            breakdowns: &breakdowns,
            timeframe: non_blank(q.params, "timeframe"),
            has_range,
        };
        let mut planned = Vec::new();
        for (index, name) in metrics {
            let spec = catalog::account_metric(name)
                .filter(|spec| spec.available_on(q.version, q.now_unix))
                .ok_or_else(|| {
                    must_be_one_of(index, &account_metric_names(q.version, q.now_unix))
                })?;
            let output = context.plan(spec)?;
            planned.push(PlannedAccountMetric { spec, output });
        }
        let windowed = planned
            .iter()
            .any(|m| !matches!(m.output, AccountOutput::Demographics { .. }));
        if windowed {
            window.check_limits(q.now_unix)?;
            for metric in &planned {
                if metric.spec.kind == AccountKind::FollowerCount {
                    window.check_follower_count(q.now_unix)?;
                }
            }
        }
        Ok(Self {
            period: period.to_owned(),
            metrics: planned,
            window: windowed.then_some(window),
        })
    }
}

/// The request-wide parameters one metric is checked against.
struct PlanContext<'a> {
    version: u32,
    period: &'a str,
    metric_type: MetricType,
    breakdowns: &'a [Dimension],
    timeframe: Option<&'a str>,
    has_range: bool,
}

impl PlanContext<'_> {
    // graph-api.md §4.1: the metric table and the empirical v25 sweep.
    fn plan(&self, spec: &'static AccountMetricSpec) -> Result<AccountOutput, MetaError> {
        let name = spec.name;
        let total = self.metric_type == MetricType::TotalValue;
        match spec.kind {
            AccountKind::DailyTotal => {
                self.require_period(name, &["day"])?;
                if !total {
                    return Err(needs_metric_type(name, "total_value"));
                }
                self.window_total(spec)
            }
            AccountKind::ProfileCounter => {
                self.require_period(name, &["day"])?;
                if total {
                    self.window_total(spec)
                } else if self.version < 21 {
                    Ok(AccountOutput::DailySeries)
                } else {
                    // graph-api.md §1: v21.0 removed these time series.
                    Err(needs_metric_type(name, "total_value"))
                }
            }
            AccountKind::Rolling if total => {
                self.require_period(name, &["day"])?;
                self.window_total(spec)
            }
            AccountKind::Rolling => {
                self.require_period(name, &["day", "week", "days_28"])?;
                let days = match self.period {
                    "week" => 7,
                    "days_28" => 28,
                    _ => 1,
                };
                Ok(AccountOutput::RollingSeries { days })
            }
            AccountKind::FollowerCount | AccountKind::LegacySeries => {
                self.require_period(name, &["day"])?;
                if total {
                    return Err(needs_metric_type(name, "time_series"));
                }
                Ok(AccountOutput::DailySeries)
            }
            AccountKind::OnlineFollowers => {
                self.require_period(name, &["lifetime"])?;
                if total {
                    return Err(needs_metric_type(name, "time_series"));
                }
                Ok(AccountOutput::HourlySeries)
            }
            AccountKind::Demographics => self.demographics(spec),
            AccountKind::ThreadsLinked => {
                if total {
                    self.check_breakdowns(spec)?;
                }
                Ok(AccountOutput::NoData)
            }
        }
    }

    fn require_period(&self, metric: &str, allowed: &[&str]) -> Result<(), MetaError> {
        if allowed.contains(&self.period) {
            Ok(())
        } else {
            Err(MetaError::invalid_parameter(format!(
                "The following periods ({}) are incompatible with the metric ({metric})",
                self.period
            )))
        }
    }

    fn window_total(&self, spec: &AccountMetricSpec) -> Result<AccountOutput, MetaError> {
        self.check_breakdowns(spec)?;
        Ok(AccountOutput::WindowTotal {
            breakdowns: self.breakdowns.to_vec(),
        })
    }

    fn check_breakdowns(&self, spec: &AccountMetricSpec) -> Result<(), MetaError> {
        for &dimension in self.breakdowns {
            if spec.breakdowns.contains(&dimension) {
                continue;
            }
            if spec.name == "views" && dimension == Dimension::FollowType {
                // graph-api.md §4.1 [PROBE]: the one incompatibility Meta names.
                return Err(MetaError::invalid_parameter(
                    "Incompatible breakdowns (follow_type) for metric (views)",
                ));
            }
            // graph-api.md §4.1 limitations: any other unsupported breakdown.
            return Err(unknown_error());
        }
        Ok(())
    }

    fn demographics(&self, spec: &AccountMetricSpec) -> Result<AccountOutput, MetaError> {
        let name = spec.name;
        self.require_period(name, &["lifetime"])?;
        if self.metric_type != MetricType::TotalValue {
            return Err(needs_metric_type(name, "total_value"));
        }
        if self.breakdowns.is_empty() {
            // [INFER] wording; graph-api.md §4.1 only says demographics come as breakdowns.
            return Err(MetaError::invalid_parameter(format!(
                "The following metrics ({name}) should be specified with parameter breakdown"
            )));
        }
        self.check_breakdowns(spec)?;
        // graph-api.md §4.1: code 100 without a timeframe or with since/until (text [INFER]).
        let Some(timeframe) = self.timeframe else {
            return Err(MetaError::invalid_parameter(format!(
                "The following metrics ({name}) should be specified with parameter timeframe"
            )));
        };
        let timeframe = Timeframe::parse(timeframe).ok_or_else(|| {
            MetaError::invalid_parameter(
                "timeframe must be one of the following values: this_week, this_month",
            )
        })?;
        if self.has_range {
            return Err(MetaError::invalid_parameter(format!(
                "The following metrics ({name}) cannot be specified with parameters since and until; use timeframe"
            )));
        }
        Ok(AccountOutput::Demographics {
            timeframe,
            breakdowns: self.breakdowns.to_vec(),
        })
    }
}

fn needs_metric_type(metric: &str, metric_type: &str) -> MetaError {
    MetaError::invalid_parameter(format!(
        "The following metrics ({metric}) should be specified with parameter metric_type={metric_type}"
    ))
}

/// Code 1, which Meta answers for a breakdown a metric does not support. Asking again gets the
/// same answer, so the simulator says it is not transient.
fn unknown_error() -> MetaError {
    MetaError::new(1, "An unknown error has occurred.")
        .status(500)
        .transient(false)
}

fn must_be_one_of(index: usize, names: &[&str]) -> MetaError {
    MetaError::invalid_parameter(format!(
        "metric[{index}] must be one of the following values: {}",
        names.join(", ")
    ))
}

fn non_blank<'a>(params: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

fn required_param<'a>(
    params: &'a BTreeMap<String, String>,
    key: &str,
) -> Result<&'a str, MetaError> {
    // [INFER] wording; the code is Meta's for a missing parameter.
    non_blank(params, key)
        .ok_or_else(|| MetaError::invalid_parameter(format!("The parameter {key} is required")))
}

/// The comma-separated `metric` list, each with its position, duplicates and blanks dropped.
fn requested_metrics(params: &BTreeMap<String, String>) -> Result<Vec<(usize, &str)>, MetaError> {
    let list = required_param(params, "metric")?;
    let mut seen = BTreeSet::new();
    let metrics: Vec<(usize, &str)> = list
        .split(',')
        .map(str::trim)
        .enumerate()
        .filter(|(_, name)| !name.is_empty() && seen.insert(*name))
        .collect();
    if metrics.is_empty() {
        return Err(MetaError::invalid_parameter(
            "The parameter metric is required",
        ));
    }
    Ok(metrics)
}

fn metric_type(params: &BTreeMap<String, String>) -> Result<MetricType, MetaError> {
    match non_blank(params, "metric_type") {
        None | Some("default") => Ok(MetricType::Default),
        Some("time_series") => Ok(MetricType::TimeSeries),
        Some("total_value") => Ok(MetricType::TotalValue),
        // [INFER] wording, in the shape of Meta's other enum errors.
        Some(_) => Err(MetaError::invalid_parameter(
            "metric_type must be one of the following values: default, time_series, total_value",
        )),
    }
}

/// The comma-separated `breakdown` list, each a known account dimension, duplicates dropped.
fn account_breakdowns(params: &BTreeMap<String, String>) -> Result<Vec<Dimension>, MetaError> {
    let mut dimensions = Vec::new();
    for (index, name) in breakdown_names(params) {
        let dimension = Dimension::parse(name).ok_or_else(|| {
            // [INFER]: the media endpoint's wording (graph-api.md §4.2) with the account's names.
            MetaError::invalid_parameter(format!(
                "breakdown[{index}] must be one of the following values: {}",
                Dimension::ALL.map(Dimension::name).join(", ")
            ))
        })?;
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    Ok(dimensions)
}

fn breakdown_names(params: &BTreeMap<String, String>) -> impl Iterator<Item = (usize, &str)> {
    non_blank(params, "breakdown")
        .into_iter()
        .flat_map(|list| list.split(',').map(str::trim).enumerate())
        .filter(|(_, name)| !name.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Account responses, shaped as the examples of graph-api.md §4.1.

fn render_account_metric(
    q: &AccountInsightsQuery<'_>,
    request: &AccountRequest,
    metric: &PlannedAccountMetric,
) -> Result<Option<Value>, MetaError> {
    let spec = metric.spec;
    let name = spec.name;
    let window = request.window.unwrap_or(Window {
        since: q.now_unix,
        until: q.now_unix,
    });
    let days: Vec<i64> = window
        .day_ends(q.now_unix)
        .filter(|&day_end| model::account_day(q.seed, q.ig_user_id, day_end).exists())
        .collect();
    let few_followers = q.followers < MIN_FOLLOWERS;
    let entry = match &metric.output {
        AccountOutput::NoData => None,
        // graph-api.md §4.1: not returned for accounts under 100 followers.
        AccountOutput::DailySeries if spec.kind == AccountKind::FollowerCount && few_followers => {
            None
        }
        AccountOutput::DailySeries => series(&days, |day_end| {
            json!(
                model::account_day(q.seed, q.ig_user_id, day_end)
                    .value(name)
                    .unwrap_or(0)
            )
        })?,
        AccountOutput::RollingSeries { days: span } => series(&days, |day_end| {
            json!(rolling_sum(q.seed, q.ig_user_id, name, day_end, *span))
        })?,
        AccountOutput::HourlySeries => {
            let oldest =
                calendar::floor_day_end(q.now_unix).saturating_sub(ONLINE_FOLLOWERS_DAYS * DAY);
            let recent: Vec<i64> = days
                .iter()
                .copied()
                .filter(|&day_end| day_end > oldest)
                .collect();
            series(&recent, |day_end| {
                hourly_object(online_followers_by_hour(q.seed, q.ig_user_id, day_end))
            })?
        }
        AccountOutput::WindowTotal { .. } if days.is_empty() => None,
        AccountOutput::WindowTotal { breakdowns } => {
            window_total(q, name, &days, breakdowns, few_followers)
        }
        AccountOutput::Demographics {
            timeframe,
            breakdowns,
        } => demographics(q, spec, *timeframe, breakdowns),
    };
    Ok(entry.map(|body| {
        described(
            body,
            spec.name,
            &request.period,
            spec.title,
            spec.description,
            q.ig_user_id,
        )
    }))
}

/// The `values` of a time series, or `None` when there is no day to report.
fn series(
    days: &[i64],
    value: impl Fn(i64) -> Value,
) -> Result<Option<Map<String, Value>>, MetaError> {
    if days.is_empty() {
        return Ok(None);
    }
    let mut values = Vec::with_capacity(days.len());
    for &day_end in days {
        values.push(json!({ "value": value(day_end), "end_time": calendar::end_time(day_end)? }));
    }
    let mut body = Map::new();
    body.insert("values".into(), Value::Array(values));
    Ok(Some(body))
}

fn rolling_sum(seed: u64, ig_user_id: &str, metric: &str, day_end: i64, span: i64) -> i64 {
    (0..span)
        .map(|back| {
            account_metric_value(seed, ig_user_id, metric, day_end.saturating_sub(back * DAY))
        })
        .sum()
}

fn hourly_object(hours: [i64; 24]) -> Value {
    let object: Map<String, Value> = hours
        .iter()
        .enumerate()
        .map(|(hour, count)| (hour.to_string(), json!(count)))
        .collect();
    Value::Object(object)
}

fn window_total(
    q: &AccountInsightsQuery<'_>,
    name: &str,
    days: &[i64],
    breakdowns: &[Dimension],
    few_followers: bool,
) -> Option<Map<String, Value>> {
    let mut body = Map::new();
    if name == "follows_and_unfollows" {
        if breakdowns.is_empty() {
            // graph-api.md §4.1 (v25 sweep): no total_value key without a breakdown.
            return Some(body);
        }
        if few_followers {
            // graph-api.md §4.1: follow_type is not returned under 100 followers.
            return None;
        }
    }
    let mut total_value = Map::new();
    if name != "follows_and_unfollows" {
        let total: i64 = days
            .iter()
            .map(|&day_end| account_metric_value(q.seed, q.ig_user_id, name, day_end))
            .sum();
        total_value.insert("value".into(), json!(total));
    }
    if !breakdowns.is_empty() {
        let mut buckets: BTreeMap<Vec<usize>, i64> = BTreeMap::new();
        for &day_end in days {
            for (path, value) in
                model::account_day(q.seed, q.ig_user_id, day_end).breakdown(name, breakdowns)
            {
                *buckets.entry(path).or_insert(0) += value;
            }
        }
        let results = buckets
            .into_iter()
            .filter(|(_, value)| *value != 0)
            .map(|(path, value)| json!({ "dimension_values": dimension_values(breakdowns, &path), "value": value }))
            .collect();
        total_value.insert(
            "breakdowns".into(),
            breakdown_block(breakdowns.iter().map(|d| d.name()), results),
        );
    }
    body.insert("total_value".into(), Value::Object(total_value));
    Some(body)
}

fn dimension_values(dimensions: &[Dimension], path: &[usize]) -> Vec<&'static str> {
    dimensions
        .iter()
        .zip(path)
        .filter_map(|(dimension, &index)| dimension.values().get(index).copied())
        .collect()
}

fn breakdown_block<'k>(keys: impl Iterator<Item = &'k str>, results: Vec<Value>) -> Value {
    let keys: Vec<&str> = keys.collect();
    json!([{ "dimension_keys": keys, "results": results }])
}

/// Demographics keep only the 45 largest buckets (graph-api.md §4.1 limitations).
const DEMOGRAPHIC_TOP: usize = 45;

fn demographics(
    q: &AccountInsightsQuery<'_>,
    spec: &AccountMetricSpec,
    timeframe: Timeframe,
    breakdowns: &[Dimension],
) -> Option<Map<String, Value>> {
    let last_day = calendar::floor_day_end(q.now_unix);
    let timeframe_sum = |metric: &str| -> i64 {
        (0..timeframe.days())
            .map(|back| {
                account_metric_value(
                    q.seed,
                    q.ig_user_id,
                    metric,
                    last_day.saturating_sub(back * DAY),
                )
            })
            .sum()
    };
    // graph-api.md §4.1: each demographic metric has its own "not returned if" floor.
    let audience = match spec.name {
        "follower_demographics" if q.followers < MIN_FOLLOWERS => return None,
        "follower_demographics" => i64::try_from(q.followers).unwrap_or(i64::MAX),
        "engaged_audience_demographics" => {
            Some(timeframe_sum("accounts_engaged")).filter(|n| *n >= MIN_ENGAGEMENTS)?
        }
        _ => Some(timeframe_sum("reach")).filter(|n| *n > 0)?,
    };
    let mut buckets =
        model::demographic_split(q.seed, q.ig_user_id, spec.name, audience, breakdowns);
    buckets.retain(|(_, value)| *value > 0);
    buckets.sort_by(|(a_path, a), (b_path, b)| b.cmp(a).then_with(|| a_path.cmp(b_path)));
    buckets.truncate(DEMOGRAPHIC_TOP);
    let results = buckets
        .into_iter()
        .map(|(path, value)| {
            let mut values = vec![timeframe.dimension_value()];
            values.extend(dimension_values(breakdowns, &path));
            json!({ "dimension_values": values, "value": value })
        })
        .collect();
    let keys = std::iter::once("timeframe").chain(breakdowns.iter().map(|d| d.name()));
    let mut body = Map::new();
    body.insert(
        "total_value".into(),
        json!({ "breakdowns": breakdown_block(keys, results) }),
    );
    Some(body)
}

/// Adds what every entry carries: `name`, `period`, `title`, `description` and `id`
/// = `{object}/insights/{metric}/{period}` (graph-api.md §4.1).
fn described(
    mut body: Map<String, Value>,
    name: &str,
    period: &str,
    title: &str,
    description: &str,
    object_id: &str,
) -> Value {
    body.insert("name".into(), json!(name));
    body.insert("period".into(), json!(period));
    body.insert("title".into(), json!(title));
    body.insert("description".into(), json!(description));
    body.insert(
        "id".into(),
        json!(format!("{object_id}/insights/{name}/{period}")),
    );
    Value::Object(body)
}

/// `paging.previous` and `paging.next`: the same request, its window shifted by its own length
/// (graph-api.md §4.1). No access token ever goes into them.
fn paging(q: &AccountInsightsQuery<'_>, period: &str, window: Window) -> Option<Value> {
    let length = window.until.saturating_sub(window.since);
    let previous = Window {
        since: window.since.saturating_sub(length),
        until: window.since,
    };
    let next = Window {
        since: window.until,
        until: window.until.saturating_add(length),
    };
    Some(
        json!({ "previous": paging_url(q, period, previous)?, "next": paging_url(q, period, next)? }),
    )
}

fn paging_url(q: &AccountInsightsQuery<'_>, period: &str, window: Window) -> Option<String> {
    let mut url = url::Url::parse("https://graph.facebook.com/").ok()?;
    // Pushing segments percent-encodes whatever the id holds.
    url.path_segments_mut()
        .ok()?
        .clear()
        .push(&format!("v{}.0", q.version))
        .push(q.ig_user_id)
        .push("insights");
    {
        let mut query = url.query_pairs_mut();
        if let Some(metric) = q.params.get("metric") {
            query.append_pair("metric", metric);
        }
        query.append_pair("period", period);
        for key in ["metric_type", "breakdown", "timeframe"] {
            if let Some(value) = q.params.get(key) {
                query.append_pair(key, value);
            }
        }
        query.append_pair("since", &window.since.to_string());
        query.append_pair("until", &window.until.to_string());
    }
    Some(url.into())
}

// ---------------------------------------------------------------------------------------------
// Media request and response, graph-api.md §4.2.

fn media_breakdowns(params: &BTreeMap<String, String>) -> Result<Vec<MediaDimension>, MetaError> {
    let mut dimensions = Vec::new();
    for (index, name) in breakdown_names(params) {
        let dimension = MediaDimension::parse(name).ok_or_else(|| {
            MetaError::invalid_parameter(format!(
                "breakdown[{index}] must be one of the following values: follow_type, surface_type, action_type, story_navigation_action_type"
            ))
        })?;
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    Ok(dimensions)
}

fn plan_media_metric(
    q: &MediaInsightsQuery<'_>,
    index: usize,
    name: &str,
    product: Option<Product>,
    breakdowns: &[MediaDimension],
) -> Result<&'static MediaMetricSpec, MetaError> {
    let known = media_metric_names(q.version, q.now_unix);
    let spec = catalog::media_metric(name)
        .filter(|spec| spec.available_on(q.version, q.now_unix))
        .ok_or_else(|| must_be_one_of(index, &known))?;
    if spec.name == "impressions" {
        check_media_impressions(q, index, product, &known)?;
    }
    if !product.is_some_and(|product| spec.supports(product)) {
        return Err(MetaError::invalid_parameter(format!(
            "The Media Insights API does not support the {} metric for this media product type.",
            spec.name
        )));
    }
    if breakdowns
        .iter()
        .any(|&dimension| spec.breakdown != Some(dimension))
    {
        // graph-api.md §4.2: a breakdown on an incompatible metric.
        return Err(unknown_error());
    }
    Ok(spec)
}

// graph-api.md §4.2: impressions is a name the API still knows, rejected per media.
fn check_media_impressions(
    q: &MediaInsightsQuery<'_>,
    index: usize,
    product: Option<Product>,
    known: &[&str],
) -> Result<(), MetaError> {
    let video = q.media_type == "VIDEO" || product == Some(Product::Reels);
    let version = views_gate(q.version, q.now_unix);
    if version >= 22 && video {
        return Err(MetaError::invalid_parameter(
            "The Media Insights API does not support the impressions metric for this media product type",
        ));
    }
    if version >= 22 {
        return Err(MetaError::invalid_parameter(
            "Starting from version v22.0 and above, the impressions metric is no longer supported for the queried media",
        ));
    }
    if q.published_unix >= MEDIA_IMPRESSIONS_CUTOFF_UNIX {
        let without: Vec<&str> = known
            .iter()
            .copied()
            .filter(|name| *name != "impressions")
            .collect();
        return Err(must_be_one_of(index, &without));
    }
    Ok(())
}

/// Stories are measured only while live, and nothing is kept past two years (graph-api.md §4.2).
fn media_has_data(q: &MediaInsightsQuery<'_>, product: Option<Product>) -> bool {
    let age = q.now_unix.saturating_sub(q.published_unix);
    let expired_story = product == Some(Product::Story) && age > STORY_LIFETIME_SECONDS;
    !expired_story && age < MEDIA_RETENTION_SECONDS
}

fn render_media_metric(
    q: &MediaInsightsQuery<'_>,
    spec: &MediaMetricSpec,
    breakdown: Option<MediaDimension>,
) -> Value {
    let media = model::media(q.seed, q.media_id);
    let value = media.value(spec.name).unwrap_or(0);
    let mut body = Map::new();
    // graph-api.md §4.2: media values carry no end_time, and the period is always lifetime.
    body.insert("values".into(), json!([{ "value": value }]));
    if let Some(dimension) = breakdown {
        let results: Vec<Value> = dimension
            .values()
            .iter()
            .zip(media.buckets(dimension))
            .filter(|(_, count)| *count != 0)
            .map(|(label, count)| json!({ "dimension_values": [label], "value": count }))
            .collect();
        let breakdowns = breakdown_block(std::iter::once(dimension.name()), results);
        body.insert(
            "total_value".into(),
            json!({ "value": value, "breakdowns": breakdowns }),
        );
    }
    described(
        body,
        spec.name,
        "lifetime",
        spec.title,
        spec.description,
        q.media_id,
    )
}

// ---------------------------------------------------------------------------------------------

/// Time: days, windows and their limits (graph-api.md §4.1).
mod calendar {
    use std::collections::BTreeMap;

    use crate::error::MetaError;

    use super::non_blank;

    /// Seconds in a day.
    pub(super) const DAY: i64 = 86_400;
    /// An insights day ends at midnight US-Pacific. Real samples show 07:00 UTC, and the
    /// simulator keeps it all year (graph-api.md §4.1).
    const DAY_END_OFFSET: i64 = 7 * 3_600;
    /// graph-api.md §4.1: at most 30 days between since and until, for both shapes.
    const MAX_WINDOW_SECONDS: i64 = 2_592_000;
    /// graph-api.md §4.1: 730 days back is rejected, 729 accepted.
    const HISTORY_DAYS: i64 = 730;

    /// The latest day end at or before `t`.
    pub(super) fn floor_day_end(t: i64) -> i64 {
        t.saturating_sub(t.saturating_sub(DAY_END_OFFSET).rem_euclid(DAY))
    }

    /// The end of the day that contains `t`: `t` itself when it is a day end.
    pub(super) fn day_end_containing(t: i64) -> i64 {
        let floor = floor_day_end(t);
        if floor == t {
            t
        } else {
            floor.saturating_add(DAY)
        }
    }

    /// `2026-07-14T07:00:00+0000`, as Meta writes `end_time`.
    pub(super) fn end_time(t: i64) -> Result<String, MetaError> {
        let timestamp = jiff::Timestamp::from_second(t).map_err(|_| {
            MetaError::invalid_parameter(
                "since and until must be Unix timestamps between the years 1 and 9999",
            )
        })?;
        Ok(timestamp.strftime("%Y-%m-%dT%H:%M:%S%z").to_string())
    }

    /// A `since`..`until` window in Unix seconds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Window {
        pub(super) since: i64,
        pub(super) until: i64,
    }

    impl Window {
        /// The request's window. By default `until` is now and `since` a day before it
        /// (graph-api.md §4.1: "look back 24 hours").
        pub(super) fn parse(
            params: &BTreeMap<String, String>,
            now: i64,
        ) -> Result<Self, MetaError> {
            let until = timestamp(params, "until")?.unwrap_or(now);
            let since = timestamp(params, "since")?.unwrap_or(until.saturating_sub(DAY));
            Ok(Self { since, until })
        }

        pub(super) fn check_limits(&self, now: i64) -> Result<(), MetaError> {
            if self.since > self.until {
                // [INFER] wording.
                return Err(MetaError::invalid_parameter(
                    "The since timestamp must not be later than the until timestamp",
                ));
            }
            if self.until.saturating_sub(self.since) > MAX_WINDOW_SECONDS {
                return Err(MetaError::invalid_parameter(
                    "There cannot be more than 30 days (2592000 s) between since and until",
                ));
            }
            if now.saturating_sub(self.since) >= HISTORY_DAYS * DAY {
                return Err(MetaError::invalid_parameter(
                    "since param is not valid. Metrics data is available for the last 2 years",
                ));
            }
            Ok(())
        }

        /// graph-api.md §4.1: follower_count covers the last 30 days, today excluded.
        pub(super) fn check_follower_count(&self, now: i64) -> Result<(), MetaError> {
            let oldest = floor_day_end(now).saturating_sub(super::FOLLOWER_COUNT_DAYS * DAY);
            if self.since < oldest {
                return Err(MetaError::invalid_parameter(
                    "(follower_count) metric only supports querying data for the last 30 days excluding the current day",
                ));
            }
            Ok(())
        }

        /// The ends of the days in `(since, until]` that have already ended by `now`.
        pub(super) fn day_ends(&self, now: i64) -> impl Iterator<Item = i64> + use<> {
            let first = floor_day_end(self.since).saturating_add(DAY);
            let last = floor_day_end(self.until.min(now));
            // The window is at most 30 days long once checked; the cap keeps an unchecked one cheap.
            (0..=31)
                .map(move |n| first.saturating_add(n * DAY))
                .take_while(move |&day_end| day_end <= last)
        }
    }

    /// The earliest and latest instants `end_time` can be written for (years 1 to 9999).
    const EARLIEST: i64 = -62_135_596_800;
    const LATEST: i64 = 253_402_300_799;

    fn timestamp(params: &BTreeMap<String, String>, key: &str) -> Result<Option<i64>, MetaError> {
        if !params.contains_key(key) {
            return Ok(None);
        }
        // [INFER] wording: Meta documents since/until as Unix timestamps.
        let invalid = || {
            MetaError::invalid_parameter(format!(
                "The parameter {key} must be a Unix timestamp in seconds"
            ))
        };
        let value: i64 = non_blank(params, key)
            .ok_or_else(invalid)?
            .parse()
            .map_err(|_| invalid())?;
        if !(EARLIEST..=LATEST).contains(&value) {
            return Err(invalid());
        }
        Ok(Some(value))
    }
}

// ---------------------------------------------------------------------------------------------

/// What the simulated Meta knows: metric names, their rules, titles and breakdown values.
mod catalog {
    /// How an account metric may be asked for (graph-api.md §4.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum AccountKind {
        /// `metric_type=total_value` and `period=day` only: the 12 of the v25 sweep, and `content_views`.
        DailyTotal,
        /// `profile_views`, `website_clicks`: like `DailyTotal`, plus a day series before v21.
        ProfileCounter,
        /// `reach`, `impressions`: total_value by day, or a series by day, week or days_28.
        Rolling,
        /// A day series of daily net new followers, for the last 30 days.
        FollowerCount,
        /// A lifetime series of hour-keyed objects.
        OnlineFollowers,
        /// Lifetime total_value split by demographic breakdowns, over a timeframe.
        Demographics,
        /// Day series removed in v21 (graph-api.md §1).
        LegacySeries,
        /// Threads-linked metrics: accepted, but no simulated account links a Threads profile.
        ThreadsLinked,
    }

    pub(super) struct AccountMetricSpec {
        pub(super) name: &'static str,
        pub(super) kind: AccountKind,
        pub(super) breakdowns: &'static [Dimension],
        pub(super) title: &'static str,
        pub(super) description: &'static str,
    }

    impl AccountMetricSpec {
        /// graph-api.md §1: `impressions` before v22, `views` from v22 (and on every version from
        /// 2025-04-21), the v21 series before v21.
        pub(super) fn available_on(&self, version: u32, now_unix: i64) -> bool {
            match self.name {
                "impressions" => super::views_gate(version, now_unix) < 22,
                "views" => super::views_gate(version, now_unix) >= 22,
                _ if self.kind == AccountKind::LegacySeries => version < 21,
                _ => true,
            }
        }
    }

    pub(super) fn account_metric(name: &str) -> Option<&'static AccountMetricSpec> {
        ACCOUNT_METRICS.iter().find(|spec| spec.name == name)
    }

    const fn account(
        name: &'static str,
        kind: AccountKind,
        breakdowns: &'static [Dimension],
        title: &'static str,
        description: &'static str,
    ) -> AccountMetricSpec {
        AccountMetricSpec {
            name,
            kind,
            breakdowns,
            title,
            description,
        }
    }

    use AccountKind::*;
    use Dimension::*;

    const DEMOGRAPHIC: &[Dimension] = &[Age, City, Country, Gender];

    /// In the order of Meta's "must be one of" list (graph-api.md §4.1, v22/v23); the names only
    /// older versions know come first.
    #[rustfmt::skip]
    pub(super) const ACCOUNT_METRICS: &[AccountMetricSpec] = &[
        account("impressions", Rolling, &[], "Impressions", "Total number of times the Business Account's media objects have been viewed"),
        account("email_contacts", LegacySeries, &[], "Email contacts", "Total number of taps on the email link in the Business Account's profile"),
        account("get_direction_clicks", LegacySeries, &[], "Get directions clicks", "Total number of taps on the directions link in the Business Account's profile"),
        account("text_message_clicks", LegacySeries, &[], "Text message clicks", "Total number of taps on the text message link in the Business Account's profile"),
        account("phone_call_clicks", LegacySeries, &[], "Phone call clicks", "Total number of taps on the call link in the Business Account's profile"),
        account("reach", Rolling, &[MediaProductType, FollowType], "Accounts reached", "The number of unique accounts that have seen your content, at least once, including in ads. Content includes posts, stories, reels, videos and live videos. Reach is different from impressions, which may include multiple views of your content by the same accounts. This metric is estimated and in development."),
        account("follower_count", FollowerCount, &[], "Follower count", "The number of accounts that started following you, minus those that stopped, each day."),
        account("website_clicks", ProfileCounter, &[], "Website taps", "The number of times the website link in your profile was tapped."),
        account("profile_views", ProfileCounter, &[], "Profile visits", "The number of times your profile was visited."),
        account("online_followers", OnlineFollowers, &[], "Online followers", "The number of your followers who were online on Instagram, by hour of the day."),
        account("accounts_engaged", DailyTotal, &[], "Accounts engaged", "The number of accounts that have interacted with your content, including in ads. Content includes posts, stories, reels, videos and live videos. Interactions can include actions such as likes, saves, comments, shares or replies. This metric is estimated and in development."),
        account("total_interactions", DailyTotal, &[MediaProductType], "Content interactions", "The total number of post interactions, story interactions, reels interactions, video interactions and live video interactions, including any interactions on boosted content."),
        account("likes", DailyTotal, &[MediaProductType], "Likes", "The number of likes on your posts, reels and videos."),
        account("comments", DailyTotal, &[MediaProductType], "Comments", "The number of comments on your posts, reels, videos and live videos."),
        account("shares", DailyTotal, &[MediaProductType], "Shares", "The number of shares of your posts, stories, reels, videos and live videos."),
        account("saves", DailyTotal, &[MediaProductType], "Saves", "The number of saves of your posts, reels and videos."),
        account("replies", DailyTotal, &[], "Replies", "The number of replies you received from your story, including text replies and quick reaction replies."),
        account("engaged_audience_demographics", Demographics, DEMOGRAPHIC, "Engaged audience demographics", "The demographic characteristics of the engaged audience, including countries, cities and gender distribution."),
        account("reached_audience_demographics", Demographics, DEMOGRAPHIC, "Reached audience demographics", "The demographic characteristics of the reached audience, including countries, cities and gender distribution."),
        account("follower_demographics", Demographics, DEMOGRAPHIC, "Follower demographics", "The demographic characteristics of followers, including countries, cities and gender distribution."),
        account("follows_and_unfollows", DailyTotal, &[FollowType], "Follows and unfollows", "The number of accounts that followed you and the number of accounts that unfollowed you or left Instagram in the selected time period."),
        account("profile_links_taps", DailyTotal, &[ContactButtonType], "Profile links taps", "The number of taps on your business address, call button, email button and text button."),
        account("views", DailyTotal, &[MediaProductType], "Views", "The number of times your content was played or displayed. Content includes reels, posts, stories."),
        account("threads_likes", ThreadsLinked, &[], "Threads likes", "Likes on the linked Threads profile."),
        account("threads_replies", ThreadsLinked, &[], "Threads replies", "Replies on the linked Threads profile."),
        account("reposts", DailyTotal, &[], "Reposts", "The number of times your content was reposted."),
        account("quotes", ThreadsLinked, &[], "Quotes", "Quotes of posts on the linked Threads profile."),
        account("threads_followers", ThreadsLinked, &[], "Threads followers", "Followers of the linked Threads profile."),
        account("threads_follower_demographics", ThreadsLinked, &[], "Threads follower demographics", "Demographics of the linked Threads profile's followers."),
        account("content_views", DailyTotal, &[], "Content views", "The number of times your content was viewed."),
        account("threads_views", ThreadsLinked, &[], "Threads views", "Views on the linked Threads profile."),
        account("threads_clicks", ThreadsLinked, &[], "Threads clicks", "Link clicks on the linked Threads profile."),
        account("threads_reposts", ThreadsLinked, &[], "Threads reposts", "Reposts on the linked Threads profile."),
    ];

    /// An account breakdown dimension (graph-api.md §4.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub(super) enum Dimension {
        ContactButtonType,
        FollowType,
        MediaProductType,
        Age,
        City,
        Country,
        Gender,
    }

    impl Dimension {
        pub(super) const ALL: [Dimension; 7] = [
            ContactButtonType,
            FollowType,
            MediaProductType,
            Age,
            City,
            Country,
            Gender,
        ];

        pub(super) fn parse(name: &str) -> Option<Self> {
            Self::ALL
                .into_iter()
                .find(|dimension| dimension.name() == name)
        }

        pub(super) fn name(self) -> &'static str {
            match self {
                ContactButtonType => "contact_button_type",
                FollowType => "follow_type",
                MediaProductType => "media_product_type",
                Age => "age",
                City => "city",
                Country => "country",
                Gender => "gender",
            }
        }

        /// The values Meta answers for the dimension, in a fixed order.
        pub(super) fn values(self) -> &'static [&'static str] {
            match self {
                ContactButtonType => &[
                    "BOOK_NOW",
                    "CALL",
                    "DIRECTION",
                    "EMAIL",
                    "INSTANT_EXPERIENCE",
                    "TEXT",
                    "UNDEFINED",
                ],
                FollowType => &["FOLLOWER", "NON_FOLLOWER", "UNKNOWN"],
                MediaProductType => &["AD", "STORY", "REEL", "CAROUSEL_CONTAINER", "POST"],
                Age => &["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
                Gender => &["F", "M", "U"],
                Country => &[
                    "AR", "AU", "BR", "CA", "DE", "ES", "FR", "GB", "ID", "IN", "IT", "JP", "MX",
                    "NG", "NL", "PH", "PL", "TR", "US", "ZA",
                ],
                // Real city names carry non-ASCII letters, which a client must keep intact.
                City => &[
                    "Amsterdam, North Holland",
                    "Barcelona, Catalonia",
                    "Berlin, Berlin",
                    "Bogotá, Distrito Especial",
                    "Buenos Aires, Ciudad Autónoma de Buenos Aires",
                    "Chicago, Illinois",
                    "Istanbul, Istanbul Province",
                    "Jakarta, Jakarta",
                    "Kraków, Lesser Poland Voivodeship",
                    "Lagos, Lagos State",
                    "London, England",
                    "Los Angeles, California",
                    "Madrid, Comunidad de Madrid",
                    "Manila, Metro Manila",
                    "Mexico City, Distrito Federal",
                    "Milan, Lombardy",
                    "Mumbai, Maharashtra",
                    "München, Bavaria",
                    "New York, New York",
                    "Paris, Île-de-France",
                    "São Paulo, São Paulo (state)",
                    "Sydney, New South Wales",
                    "Tokyo, Tokyo",
                    "Toronto, Ontario",
                ],
            }
        }
    }

    /// A demographics `timeframe` (graph-api.md §1: only these two since 2024-08-19).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Timeframe {
        ThisWeek,
        ThisMonth,
    }

    impl Timeframe {
        pub(super) fn parse(value: &str) -> Option<Self> {
            match value {
                "this_week" => Some(Self::ThisWeek),
                "this_month" => Some(Self::ThisMonth),
                _ => None,
            }
        }

        pub(super) fn days(self) -> i64 {
            match self {
                Self::ThisWeek => 7,
                Self::ThisMonth => 30,
            }
        }

        pub(super) fn dimension_value(self) -> &'static str {
            match self {
                Self::ThisWeek => "THIS_WEEK",
                Self::ThisMonth => "THIS_MONTH",
            }
        }
    }

    /// A media's `media_product_type`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Product {
        Feed,
        Reels,
        Story,
    }

    impl Product {
        pub(super) fn parse(value: &str) -> Option<Self> {
            match value {
                "FEED" => Some(Self::Feed),
                "REELS" => Some(Self::Reels),
                "STORY" => Some(Self::Story),
                _ => None,
            }
        }

        const fn bit(self) -> u8 {
            match self {
                Self::Feed => FEED,
                Self::Reels => REELS,
                Self::Story => STORY,
            }
        }
    }

    const FEED: u8 = 1;
    const REELS: u8 = 2;
    const STORY: u8 = 4;

    /// A media breakdown dimension (graph-api.md §4.2). Meta answers the values in lower case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum MediaDimension {
        Follow,
        Surface,
        Action,
        StoryNavigation,
    }

    impl MediaDimension {
        pub(super) fn parse(name: &str) -> Option<Self> {
            [
                Self::Follow,
                Self::Surface,
                Self::Action,
                Self::StoryNavigation,
            ]
            .into_iter()
            .find(|dimension| dimension.name() == name)
        }

        pub(super) fn name(self) -> &'static str {
            match self {
                Self::Follow => "follow_type",
                Self::Surface => "surface_type",
                Self::Action => "action_type",
                Self::StoryNavigation => "story_navigation_action_type",
            }
        }

        /// Bucket labels; only the two dimensions a metric supports have any.
        pub(super) fn values(self) -> &'static [&'static str] {
            match self {
                Self::Action => &[
                    "bio_link_clicked",
                    "call",
                    "direction",
                    "email",
                    "other",
                    "text",
                ],
                Self::StoryNavigation => &["tap_forward", "tap_back", "tap_exit", "swipe_forward"],
                Self::Follow | Self::Surface => &[],
            }
        }
    }

    pub(super) struct MediaMetricSpec {
        pub(super) name: &'static str,
        products: u8,
        pub(super) breakdown: Option<MediaDimension>,
        pub(super) title: &'static str,
        pub(super) description: &'static str,
    }

    impl MediaMetricSpec {
        pub(super) fn supports(&self, product: Product) -> bool {
            self.products & product.bit() != 0
        }

        /// graph-api.md §1: `views` arrived in v22, and on every version on 2025-04-21.
        /// `impressions` stays a known name everywhere.
        pub(super) fn available_on(&self, version: u32, now_unix: i64) -> bool {
            self.name != "views" || super::views_gate(version, now_unix) >= 22
        }
    }

    pub(super) fn media_metric(name: &str) -> Option<&'static MediaMetricSpec> {
        MEDIA_METRICS.iter().find(|spec| spec.name == name)
    }

    const fn media(
        name: &'static str,
        products: u8,
        breakdown: Option<MediaDimension>,
        title: &'static str,
        description: &'static str,
    ) -> MediaMetricSpec {
        MediaMetricSpec {
            name,
            products,
            breakdown,
            title,
            description,
        }
    }

    /// In the order of Meta's "must be one of" list (graph-api.md §4.2, v25), with the product
    /// types of the §4.2 table.
    #[rustfmt::skip]
    pub(super) const MEDIA_METRICS: &[MediaMetricSpec] = &[
        media("impressions", FEED | STORY, None, "Impressions", "Total number of times the media object has been seen"),
        media("reach", FEED | REELS | STORY, None, "Reach", "Total number of unique accounts that have seen the media object"),
        media("replies", STORY, None, "Replies", "Total number of replies to the story"),
        media("saved", FEED | REELS, None, "Saved", "Total number of unique accounts that have saved the media object"),
        media("likes", FEED | REELS, None, "Likes", "The number of likes on the media object"),
        media("comments", FEED | REELS, None, "Comments", "The number of comments on the media object"),
        media("shares", FEED | REELS | STORY, None, "Shares", "The number of shares of the media object"),
        media("total_interactions", FEED | REELS | STORY, None, "Content interactions", "The number of likes, saves, comments and shares on the media object"),
        media("follows", FEED | STORY, None, "Follows", "The number of accounts that started following you from the media object"),
        media("profile_visits", FEED | STORY, None, "Profile visits", "The number of times your profile was visited from the media object"),
        media("profile_activity", FEED | STORY, Some(MediaDimension::Action), "Profile activity", "The number of actions people took on your profile after engaging with the media object"),
        media("navigation", STORY, Some(MediaDimension::StoryNavigation), "Navigation", "The total number of forward taps, back taps, exits and swipes to the next story"),
        media("ig_reels_video_view_total_time", REELS, None, "Watch time", "The total time the reel was played, including replays, in milliseconds"),
        media("ig_reels_avg_watch_time", REELS, None, "Average watch time", "The average time the reel was played, in milliseconds"),
        media("views", FEED | REELS | STORY, None, "Views", "The number of times the media object was played or displayed"),
        media("reels_skip_rate", REELS, None, "Skip rate", "The percentage of views in which the reel was skipped within its first seconds"),
        media("reposts", FEED | REELS | STORY, None, "Reposts", "The number of times the media object was reposted"),
        media("facebook_views", FEED | REELS | STORY, None, "Facebook views", "The number of views of the media object on Facebook"),
        media("crossposted_views", REELS, None, "Crossposted views", "The number of views of the reel on Instagram and Facebook together"),
        media("total_views", FEED | REELS | STORY, None, "Total views", "The number of views of the media object, including views from ads"),
        media("total_likes", FEED | REELS, None, "Total likes", "The number of likes on the media object, including likes on ads"),
        media("total_comments", FEED | REELS, None, "Total comments", "The number of comments on the media object, including comments on ads"),
        media("link_clicks", STORY, None, "Link clicks", "The number of taps on the link sticker of the story"),
    ];
}

// ---------------------------------------------------------------------------------------------

/// The simulated audience: every number a deterministic draw from (seed, id, label, day).
mod model {
    use sha2::{Digest, Sha256};

    use super::calendar::{DAY, floor_day_end};
    use super::catalog::{Dimension, MediaDimension};

    /// A uniform draw in `[0, 1)` from SHA-256 of its inputs: stable across runs, platforms and
    /// Rust versions, unlike `std`'s hasher, and with no global state.
    fn draw(seed: u64, object_id: &str, label: &str, key: &str, day: i64) -> f64 {
        let mut hasher = Sha256::new();
        hasher.update(seed.to_le_bytes());
        for part in [object_id, label, key] {
            // Length prefixes keep ("ab","c") and ("a","bc") apart.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.update(day.to_le_bytes());
        let digest = hasher.finalize();
        let first = digest.first_chunk::<8>().copied().unwrap_or_default();
        (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Rounds a non-negative estimate to a count; `as` saturates, so no input can panic.
    fn count(estimate: f64) -> i64 {
        estimate.max(0.0).round() as i64
    }

    fn scaled(base: i64, low: f64, high: f64, fraction: f64) -> i64 {
        count(base as f64 * (low + (high - low) * fraction))
    }

    /// Accounts are created between 2020-01-01 and 2024-01-01, at a day end.
    const CREATED_FROM: i64 = 1_577_862_000;
    const CREATED_SPAN_DAYS: f64 = 1_461.0;

    pub(super) fn account_created(seed: u64, ig_user_id: &str) -> i64 {
        let days = (draw(seed, ig_user_id, "created", "", 0) * CREATED_SPAN_DAYS).floor() as i64;
        floor_day_end(CREATED_FROM + days * DAY)
    }

    pub(super) fn account_day(seed: u64, ig_user_id: &str, day_end: i64) -> AccountDay<'_> {
        AccountDay {
            seed,
            id: ig_user_id,
            day: day_end,
        }
    }

    /// One account on one day.
    pub(super) struct AccountDay<'a> {
        seed: u64,
        id: &'a str,
        day: i64,
    }

    impl AccountDay<'_> {
        fn draw(&self, label: &str) -> f64 {
            draw(self.seed, self.id, label, "", self.day)
        }

        /// A trait of the account that does not change from day to day.
        fn trait_draw(&self, label: &str, key: &str) -> f64 {
            draw(self.seed, self.id, label, key, 0)
        }

        pub(super) fn exists(&self) -> bool {
            self.day > account_created(self.seed, self.id)
        }

        /// Daily views around 500 to 20,000, depending on the account, ±45% from day to day.
        fn views(&self) -> i64 {
            let scale = 10f64.powf(2.7 + 1.6 * self.trait_draw("scale", ""));
            count(scale * (0.55 + 0.9 * self.draw("activity")))
        }

        fn reach(&self) -> i64 {
            scaled(self.views(), 0.45, 0.8, self.draw("reach"))
        }

        fn accounts_engaged(&self) -> i64 {
            scaled(self.reach(), 0.03, 0.1, self.draw("accounts_engaged"))
        }

        fn likes(&self) -> i64 {
            scaled(self.accounts_engaged(), 1.0, 2.5, self.draw("likes"))
        }

        fn comments(&self) -> i64 {
            scaled(self.likes(), 0.02, 0.1, self.draw("comments"))
        }

        fn saves(&self) -> i64 {
            scaled(self.likes(), 0.03, 0.15, self.draw("saves"))
        }

        fn shares(&self) -> i64 {
            scaled(self.likes(), 0.02, 0.12, self.draw("shares"))
        }

        fn profile_views(&self) -> i64 {
            scaled(self.reach(), 0.01, 0.05, self.draw("profile_views"))
        }

        fn follows(&self) -> i64 {
            scaled(self.reach(), 0.002, 0.01, self.draw("follows"))
        }

        fn unfollows(&self) -> i64 {
            scaled(self.follows(), 0.1, 0.6, self.draw("unfollows"))
        }

        /// The daily value of a day-valued account metric, `None` for other names.
        pub(super) fn value(&self, metric: &str) -> Option<i64> {
            let profile_views = || self.profile_views();
            Some(match metric {
                "views" => self.views(),
                "reach" => self.reach(),
                "impressions" => scaled(self.views(), 0.85, 1.0, self.draw("impressions")),
                "content_views" => scaled(self.views(), 0.9, 1.0, self.draw("content_views")),
                "accounts_engaged" => self.accounts_engaged(),
                "likes" => self.likes(),
                "comments" => self.comments(),
                "saves" => self.saves(),
                "shares" => self.shares(),
                // The brief's relation: the four interactions of the same day.
                "total_interactions" => {
                    self.likes() + self.comments() + self.saves() + self.shares()
                }
                "replies" => scaled(self.reach(), 0.001, 0.005, self.draw("replies")),
                "reposts" => scaled(self.shares(), 0.1, 0.4, self.draw("reposts")),
                "profile_views" => profile_views(),
                "website_clicks" => {
                    scaled(profile_views(), 0.05, 0.25, self.draw("website_clicks"))
                }
                "profile_links_taps" => {
                    scaled(profile_views(), 0.02, 0.1, self.draw("profile_links_taps"))
                }
                "email_contacts"
                | "get_direction_clicks"
                | "text_message_clicks"
                | "phone_call_clicks" => scaled(profile_views(), 0.0, 0.05, self.draw(metric)),
                // graph-api.md §4.1: daily net new followers, not a running total.
                "follower_count" => self.follows() - self.unfollows(),
                "follows_and_unfollows" => self.follows() + self.unfollows(),
                _ => return None,
            })
        }

        /// Followers online per hour, busiest in the evening.
        pub(super) fn online_followers(&self) -> [i64; 24] {
            let base = 10f64.powf(2.7 + 1.6 * self.trait_draw("scale", "")) * 0.6;
            let peak = 17.0 + 4.0 * self.trait_draw("peak_hour", "");
            let mut hours = [0i64; 24];
            for (hour, slot) in hours.iter_mut().enumerate() {
                let phase = (hour as f64 - peak) * std::f64::consts::PI / 12.0;
                let curve = 0.25 + 0.75 * (0.5 + 0.5 * phase.cos());
                let jitter = 0.85
                    + 0.3
                        * draw(
                            self.seed,
                            self.id,
                            "online_followers",
                            &hour.to_string(),
                            self.day,
                        );
                *slot = count(base * curve * jitter);
            }
            hours
        }

        /// The day's value split across every combination of the dimensions' values, keyed by
        /// the index of each value. The buckets add up to the day's value.
        pub(super) fn breakdown(
            &self,
            metric: &str,
            dimensions: &[Dimension],
        ) -> Vec<(Vec<usize>, i64)> {
            let total = self.value(metric).unwrap_or(0);
            if metric == "follows_and_unfollows" && dimensions == [Dimension::FollowType] {
                // FOLLOWER counts follows and NON_FOLLOWER unfollows.
                return vec![
                    (vec![0], self.follows()),
                    (vec![1], self.unfollows()),
                    (vec![2], 0),
                ];
            }
            split_across(total, dimensions, &|dimension, value, path| {
                self.weight(metric, dimension, value, path)
            })
        }

        fn weight(&self, metric: &str, dimension: Dimension, value: &str, path: &str) -> f64 {
            let jitter = 0.5
                + draw(
                    self.seed,
                    self.id,
                    metric,
                    &format!("{path}/{value}"),
                    self.day,
                );
            let share = match (dimension, value) {
                (Dimension::MediaProductType, "AD") if self.trait_draw("advertiser", "") >= 0.3 => {
                    0.0
                }
                (Dimension::MediaProductType, "AD") => 0.4,
                // Stories take replies, not comments, and cannot be saved.
                (Dimension::MediaProductType, "STORY")
                    if matches!(metric, "comments" | "saves") =>
                {
                    0.0
                }
                (Dimension::MediaProductType, "REEL") => 3.0,
                (Dimension::MediaProductType, _) => 1.0,
                (Dimension::FollowType, "FOLLOWER") => 3.0,
                (Dimension::FollowType, "NON_FOLLOWER") => 2.0,
                (Dimension::FollowType, _) if self.trait_draw("unknown_followers", "") < 0.8 => 0.0,
                (Dimension::FollowType, _) => 0.1,
                // An account shows only the contact buttons it configured.
                (Dimension::ContactButtonType, "UNDEFINED") => 0.3,
                (Dimension::ContactButtonType, button)
                    if self.trait_draw("button", button) < 0.4 =>
                {
                    1.0
                }
                (Dimension::ContactButtonType, _) => 0.0,
                (_, _) => 1.0,
            };
            share * jitter
        }
    }

    /// `total` split across every combination of the dimensions' values (the first dimension
    /// outermost), keyed by value indices; each level adds up exactly to its parent.
    fn split_across(
        total: i64,
        dimensions: &[Dimension],
        weight: &dyn Fn(Dimension, &str, &str) -> f64,
    ) -> Vec<(Vec<usize>, i64)> {
        let mut buckets = vec![(Vec::new(), String::new(), total)];
        for &dimension in dimensions {
            let values = dimension.values();
            let mut next = Vec::with_capacity(buckets.len() * values.len());
            for (path, label, amount) in buckets {
                let weights: Vec<f64> = values
                    .iter()
                    .map(|value| weight(dimension, value, &label))
                    .collect();
                for ((index, value), part) in values.iter().enumerate().zip(split(amount, &weights))
                {
                    let mut child = path.clone();
                    child.push(index);
                    next.push((child, format!("{label}/{value}"), part));
                }
            }
            buckets = next;
        }
        buckets
            .into_iter()
            .map(|(path, _, amount)| (path, amount))
            .collect()
    }

    /// Splits `total` in proportion to `weights`, exactly (largest remainder, in integers).
    /// With no positive weight, the last bucket takes everything.
    pub(super) fn split(total: i64, weights: &[f64]) -> Vec<i64> {
        let total = total.max(0);
        let units: Vec<i128> = weights
            .iter()
            .map(|w| (w.max(0.0) * 1_000_000.0).round() as i128)
            .collect();
        let sum: i128 = units.iter().sum();
        if sum == 0 {
            let mut parts = vec![0; weights.len()];
            if let Some(last) = parts.last_mut() {
                *last = total;
            }
            return parts;
        }
        let total_wide = i128::from(total);
        let mut parts: Vec<i64> = units
            .iter()
            .map(|unit| i64::try_from(total_wide * unit / sum).unwrap_or(i64::MAX))
            .collect();
        let mut order: Vec<(i128, usize)> = units
            .iter()
            .enumerate()
            .map(|(index, unit)| (total_wide * unit % sum, index))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let assigned: i64 = parts.iter().sum();
        let missing = usize::try_from(total - assigned).unwrap_or(0);
        for (_, index) in order.into_iter().take(missing) {
            if let Some(part) = parts.get_mut(index) {
                *part += 1;
            }
        }
        parts
    }

    /// An audience of `audience` people split across the demographic dimensions, with a
    /// distribution that belongs to the account and metric.
    pub(super) fn demographic_split(
        seed: u64,
        ig_user_id: &str,
        metric: &str,
        audience: i64,
        dimensions: &[Dimension],
    ) -> Vec<(Vec<usize>, i64)> {
        let home = (draw(seed, ig_user_id, "home_country", "", 0) * 20.0).floor() as usize;
        let weight = |dimension: Dimension, value: &str, path: &str| -> f64 {
            let jitter = 0.5 + draw(seed, ig_user_id, metric, &format!("{path}/{value}"), 0);
            let share = match dimension {
                Dimension::Age => match value {
                    "13-17" => 0.03,
                    "18-24" => 0.22,
                    "25-34" => 0.35,
                    "35-44" => 0.2,
                    "45-54" => 0.1,
                    "55-64" => 0.06,
                    _ => 0.04,
                },
                Dimension::Gender if value == "U" => 0.1,
                Dimension::Gender => 0.45,
                Dimension::Country if dimension.values().get(home) == Some(&value) => 8.0,
                // A long tail: most cities and countries are small, some empty.
                Dimension::Country | Dimension::City => {
                    draw(seed, ig_user_id, "tail", value, 0).powi(3)
                }
                _ => 1.0,
            };
            share * jitter
        };
        split_across(audience, dimensions, &weight)
    }

    pub(super) fn media(seed: u64, media_id: &str) -> Media<'_> {
        Media { seed, id: media_id }
    }

    /// One media's lifetime numbers.
    pub(super) struct Media<'a> {
        seed: u64,
        id: &'a str,
    }

    impl Media<'_> {
        fn draw(&self, label: &str) -> f64 {
            draw(self.seed, self.id, label, "", 0)
        }

        /// One media in ten has almost no viewers, so some stories fall under Meta's floor of 5.
        fn few_viewers(&self) -> bool {
            self.draw("few_viewers") < 0.1
        }

        pub(super) fn shared_to_facebook(&self) -> bool {
            self.draw("shared_to_facebook") < 0.25
        }

        fn views(&self) -> i64 {
            if self.few_viewers() {
                self.reach() + count(3.0 * self.draw("views"))
            } else {
                count(10f64.powf(2.0 + 2.5 * self.draw("views")))
            }
        }

        pub(super) fn reach(&self) -> i64 {
            if self.few_viewers() {
                count((5.0 * self.draw("reach")).floor())
            } else {
                scaled(self.views(), 0.45, 0.85, self.draw("reach"))
            }
        }

        fn likes(&self) -> i64 {
            scaled(self.reach(), 0.02, 0.12, self.draw("likes"))
        }

        fn comments(&self) -> i64 {
            scaled(self.likes(), 0.01, 0.1, self.draw("comments"))
        }

        fn saved(&self) -> i64 {
            scaled(self.likes(), 0.02, 0.2, self.draw("saved"))
        }

        fn shares(&self) -> i64 {
            scaled(self.likes(), 0.02, 0.15, self.draw("shares"))
        }

        fn facebook_views(&self) -> i64 {
            scaled(self.views(), 0.05, 0.35, self.draw("facebook_views"))
        }

        fn avg_watch_time_ms(&self) -> i64 {
            1_500 + count(18_000.0 * self.draw("ig_reels_avg_watch_time"))
        }

        pub(super) fn buckets(&self, dimension: MediaDimension) -> Vec<i64> {
            let (total, label) = match dimension {
                MediaDimension::Action => (
                    scaled(self.reach(), 0.003, 0.02, self.draw("profile_activity")),
                    "action",
                ),
                MediaDimension::StoryNavigation => (
                    scaled(self.views(), 0.5, 1.1, self.draw("navigation")),
                    "nav",
                ),
                MediaDimension::Follow | MediaDimension::Surface => return Vec::new(),
            };
            let weights: Vec<f64> = dimension
                .values()
                .iter()
                .map(|value| {
                    let share = draw(self.seed, self.id, label, value, 0);
                    // Several actions never happen on a given media: zeros are left out of answers.
                    if label == "action" && share < 0.4 {
                        0.0
                    } else {
                        share
                    }
                })
                .collect();
            split(total, &weights)
        }

        /// The lifetime value of a media metric, `None` for other names.
        pub(super) fn value(&self, metric: &str) -> Option<i64> {
            let likes = || self.likes();
            Some(match metric {
                "views" => self.views(),
                "reach" => self.reach(),
                "impressions" => {
                    scaled(self.views(), 0.85, 1.0, self.draw("impressions")).max(self.reach())
                }
                "likes" => likes(),
                "comments" => self.comments(),
                "saved" => self.saved(),
                "shares" => self.shares(),
                "total_interactions" => likes() + self.comments() + self.saved() + self.shares(),
                "reposts" => scaled(self.shares(), 0.05, 0.35, self.draw("reposts")),
                "follows" => scaled(self.reach(), 0.001, 0.005, self.draw("follows")),
                "profile_activity" => self.buckets(MediaDimension::Action).iter().sum(),
                "profile_visits" => {
                    let activity: i64 = self.buckets(MediaDimension::Action).iter().sum();
                    activity + scaled(self.reach(), 0.005, 0.025, self.draw("profile_visits"))
                }
                "navigation" => self.buckets(MediaDimension::StoryNavigation).iter().sum(),
                "replies" => scaled(self.reach(), 0.0, 0.01, self.draw("replies")),
                "link_clicks" => scaled(self.reach(), 0.0, 0.02, self.draw("link_clicks")),
                "ig_reels_avg_watch_time" => self.avg_watch_time_ms(),
                "ig_reels_video_view_total_time" => {
                    self.avg_watch_time_ms().saturating_mul(self.views())
                }
                "reels_skip_rate" => count(10.0 + 60.0 * self.draw("reels_skip_rate")),
                "facebook_views" => self.facebook_views(),
                // Views of the reel on Instagram and on Facebook together.
                "crossposted_views" => self.views() + self.facebook_views(),
                "total_views" => scaled(self.views(), 1.0, 1.2, self.draw("total_views")),
                "total_likes" => scaled(likes(), 1.0, 1.15, self.draw("total_likes")),
                "total_comments" => scaled(self.comments(), 1.0, 1.15, self.draw("total_comments")),
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: u64 = 42;
    const USER: &str = "17841405822304914";
    /// 2026-11-29T10:00:00Z, the date of graph-api.md.
    const NOW: i64 = 1_795_946_400;
    /// 2026-11-29T07:00:00Z: the end of the last complete day at `NOW`.
    const LAST_DAY_END: i64 = 1_795_935_600;
    /// 2025-03-01T10:00:00Z, before `views` reached every version.
    const MARCH_2025: i64 = 1_740_823_200;
    /// 2025-03-01T07:00:00Z: the end of the last complete day at `MARCH_2025`.
    const MARCH_2025_LAST_DAY_END: i64 = 1_740_812_400;
    const FOLLOWERS: u64 = 5_000;

    /// The v22+ account list, verbatim from graph-api.md §4.1.
    const ACCOUNT_LIST_V22: &str = "(#100) metric[0] must be one of the following values: reach, follower_count, website_clicks, profile_views, online_followers, accounts_engaged, total_interactions, likes, comments, shares, saves, replies, engaged_audience_demographics, reached_audience_demographics, follower_demographics, follows_and_unfollows, profile_links_taps, views, threads_likes, threads_replies, reposts, quotes, threads_followers, threads_follower_demographics, content_views, threads_views, threads_clicks, threads_reposts";
    /// The v25 media list, verbatim from graph-api.md §4.2.
    const MEDIA_LIST_V25: &str = "(#100) metric[0] must be one of the following values: impressions, reach, replies, saved, likes, comments, shares, total_interactions, follows, profile_visits, profile_activity, navigation, ig_reels_video_view_total_time, ig_reels_avg_watch_time, views, reels_skip_rate, reposts, facebook_views, crossposted_views, total_views, total_likes, total_comments, link_clicks";

    const TWELVE_TOTAL_VALUE_METRICS: [&str; 12] = [
        "accounts_engaged",
        "total_interactions",
        "likes",
        "comments",
        "saves",
        "shares",
        "replies",
        "views",
        "follows_and_unfollows",
        "profile_links_taps",
        "profile_views",
        "website_clicks",
    ];

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn account_full(
        version: u32,
        seed: u64,
        followers: u64,
        now: i64,
        pairs: &[(&str, &str)],
    ) -> Result<Value, MetaError> {
        let params = params(pairs);
        account_insights(&AccountInsightsQuery {
            version,
            ig_user_id: USER,
            seed,
            followers,
            now_unix: now,
            params: &params,
        })
    }

    fn account(version: u32, pairs: &[(&str, &str)]) -> Result<Value, MetaError> {
        account_full(version, SEED, FOLLOWERS, NOW, pairs)
    }

    fn ok(result: Result<Value, MetaError>) -> Value {
        match result {
            Ok(body) => body,
            Err(error) => panic!("expected an answer, got {error:?}"),
        }
    }

    fn err(result: Result<Value, MetaError>) -> MetaError {
        match result {
            Ok(body) => panic!("expected an error, got {body}"),
            Err(error) => error,
        }
    }

    fn assert_error(result: Result<Value, MetaError>, code: i64, message: &str) {
        let error = err(result);
        assert_eq!((error.code, error.message.as_str()), (code, message));
    }

    fn first(body: &Value) -> &Value {
        &body["data"][0]
    }

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .map(|object| object.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn days_ago(days: i64) -> String {
        (NOW - days * DAY).to_string()
    }

    fn end_times(entry: &Value) -> Vec<String> {
        entry["values"]
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .map(|v| v["end_time"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn series_values(entry: &Value) -> Vec<i64> {
        entry["values"]
            .as_array()
            .map(|values| values.iter().filter_map(|v| v["value"].as_i64()).collect())
            .unwrap_or_default()
    }

    fn end_unix(end_time: &str) -> i64 {
        let parsed = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%z", end_time);
        parsed.map(|t| t.as_second()).unwrap_or(i64::MIN)
    }

    // -- account: shapes ------------------------------------------------------------------------

    #[test]
    fn total_value_with_a_breakdown_has_the_shape_of_the_doc_example() {
        let body = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("breakdown", "media_product_type"),
                ("metric_type", "total_value"),
                ("since", &days_ago(7)),
                ("until", &NOW.to_string()),
            ],
        ));
        assert_eq!(keys(&body), ["data", "paging"]);
        let entry = first(&body);
        assert_eq!(
            keys(entry),
            [
                "description",
                "id",
                "name",
                "period",
                "title",
                "total_value"
            ]
        );
        assert_eq!(entry["name"], "reach");
        assert_eq!(entry["period"], "day");
        assert_eq!(entry["title"], "Accounts reached");
        assert_eq!(entry["id"], format!("{USER}/insights/reach/day"));
        let total = &entry["total_value"];
        assert_eq!(keys(total), ["breakdowns", "value"]);
        let value = total["value"].as_i64().unwrap_or(-1);
        let daily: i64 = (0..7)
            .map(|back| account_metric_value(SEED, USER, "reach", LAST_DAY_END - back * DAY))
            .sum();
        assert_eq!(value, daily);
        let breakdown = &total["breakdowns"][0];
        assert_eq!(breakdown["dimension_keys"], json!(["media_product_type"]));
        let results = breakdown["results"].as_array().cloned().unwrap_or_default();
        assert!(!results.is_empty());
        let mut sum = 0;
        for result in &results {
            assert_eq!(keys(result), ["dimension_values", "value"]);
            let label = result["dimension_values"][0].as_str().unwrap_or_default();
            assert!(
                Dimension::MediaProductType.values().contains(&label),
                "{label}"
            );
            let n = result["value"].as_i64().unwrap_or(0);
            assert!(n > 0, "zero buckets are left out");
            sum += n;
        }
        assert_eq!(sum, value, "buckets add up to the total");
    }

    #[test]
    fn total_value_without_a_breakdown_is_just_a_value() {
        for metric in TWELVE_TOTAL_VALUE_METRICS
            .iter()
            .filter(|m| **m != "follows_and_unfollows")
        {
            let body = ok(account(
                25,
                &[
                    ("metric", metric),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                ],
            ));
            let entry = first(&body);
            let expected = account_metric_value(SEED, USER, metric, LAST_DAY_END);
            assert_eq!(
                entry["total_value"],
                json!({ "value": expected }),
                "{metric}"
            );
            assert!(entry.get("values").is_none());
        }
    }

    #[test]
    fn a_zero_total_is_an_explicit_zero() {
        // Small accounts have days without a single repost; the total still says "value": 0.
        let zero_day = (0..200u64)
            .map(|n| format!("178414000000{n:05}"))
            .flat_map(|id| (1..30).map(move |back| (id.clone(), LAST_DAY_END - back * DAY)))
            .find(|(id, day)| account_metric_value(SEED, id, "reposts", *day) == 0);
        let Some((id, day)) = zero_day else {
            panic!("no account without reposts on any day")
        };
        let params = params(&[
            ("metric", "reposts"),
            ("period", "day"),
            ("metric_type", "total_value"),
            ("since", &(day - DAY).to_string()),
            ("until", &day.to_string()),
        ]);
        let body = ok(account_insights(&AccountInsightsQuery {
            version: 25,
            ig_user_id: &id,
            seed: SEED,
            followers: FOLLOWERS,
            now_unix: NOW,
            params: &params,
        }));
        assert_eq!(first(&body)["total_value"], json!({ "value": 0 }));
    }

    #[test]
    fn time_series_has_one_value_per_day_ending_at_seven_utc() {
        let body = ok(account(
            25,
            &[
                ("metric", "reach,follower_count"),
                ("period", "day"),
                ("since", &days_ago(7)),
                ("until", &NOW.to_string()),
            ],
        ));
        let data = body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(data.len(), 2);
        for entry in &data {
            assert_eq!(
                keys(entry),
                ["description", "id", "name", "period", "title", "values"]
            );
            let name = entry["name"].as_str().unwrap_or_default();
            let ends = end_times(entry);
            assert_eq!(ends.len(), 7, "{name}");
            assert_eq!(
                ends.last().map(String::as_str),
                Some("2026-11-29T07:00:00+0000")
            );
            assert_eq!(
                ends.first().map(String::as_str),
                Some("2026-11-23T07:00:00+0000")
            );
            for (end_time, value) in ends.iter().zip(series_values(entry)) {
                assert_eq!(
                    value,
                    account_metric_value(SEED, USER, name, end_unix(end_time)),
                    "{name} {end_time}"
                );
            }
            for item in entry["values"].as_array().into_iter().flatten() {
                assert_eq!(keys(item), ["end_time", "value"]);
            }
        }
    }

    #[test]
    fn default_window_is_the_last_24_hours() {
        let body = ok(account(25, &[("metric", "reach"), ("period", "day")]));
        assert_eq!(end_times(first(&body)), ["2026-11-29T07:00:00+0000"]);
    }

    #[test]
    fn reach_week_and_days_28_are_rolling_sums_of_daily_reach() {
        for (period, span) in [("week", 7), ("days_28", 28)] {
            let body = ok(account(
                25,
                &[
                    ("metric", "reach"),
                    ("period", period),
                    ("since", &days_ago(3)),
                    ("until", &NOW.to_string()),
                ],
            ));
            let entry = first(&body);
            assert_eq!(entry["period"], period);
            assert_eq!(entry["id"], format!("{USER}/insights/reach/{period}"));
            for (end_time, value) in end_times(entry).iter().zip(series_values(entry)) {
                let day = end_unix(end_time);
                let expected: i64 = (0..span)
                    .map(|back| account_metric_value(SEED, USER, "reach", day - back * DAY))
                    .sum();
                assert_eq!(value, expected, "{period} {end_time}");
            }
        }
    }

    #[test]
    fn reach_rejects_lifetime() {
        assert_error(
            account(25, &[("metric", "reach"), ("period", "lifetime")]),
            100,
            "(#100) The following periods (lifetime) are incompatible with the metric (reach)",
        );
    }

    #[test]
    fn paging_shifts_the_window_by_its_length_without_a_token() {
        let since = NOW - 7 * DAY;
        let body = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("since", &since.to_string()),
                ("until", &NOW.to_string()),
                ("access_token", "EAAsecret"),
            ],
        ));
        let previous = body["paging"]["previous"].as_str().unwrap_or_default();
        let next = body["paging"]["next"].as_str().unwrap_or_default();
        for link in [previous, next] {
            assert!(
                link.starts_with(&format!(
                    "https://graph.facebook.com/v25.0/{USER}/insights?"
                )),
                "{link}"
            );
            assert!(
                !link.contains("access_token") && !link.contains("EAA"),
                "{link}"
            );
        }
        let window = |link: &str| -> (i64, i64) {
            let url = url::Url::parse(link).ok();
            let pairs: BTreeMap<String, String> = url
                .map(|u| u.query_pairs().into_owned().collect())
                .unwrap_or_default();
            let get = |k: &str| pairs.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
            (get("since"), get("until"))
        };
        assert_eq!(window(previous), (since - 7 * DAY, since));
        assert_eq!(window(next), (NOW, NOW + 7 * DAY));
        // Following previous continues the series with neither a gap nor an overlap.
        let (p_since, p_until) = window(previous);
        let earlier = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("since", &p_since.to_string()),
                ("until", &p_until.to_string()),
            ],
        ));
        let mut all: Vec<i64> = end_times(first(&earlier))
            .iter()
            .map(|t| end_unix(t))
            .collect();
        all.extend(end_times(first(&body)).iter().map(|t| end_unix(t)));
        assert_eq!(all.len(), 14);
        assert!(all.windows(2).all(|pair| pair[1] - pair[0] == DAY));
    }

    // -- account: the rules of the v25 sweep ----------------------------------------------------

    #[test]
    fn the_twelve_metrics_need_total_value_and_day() {
        for metric in TWELVE_TOTAL_VALUE_METRICS {
            assert_error(
                account(25, &[("metric", metric), ("period", "day")]),
                100,
                &format!(
                    "(#100) The following metrics ({metric}) should be specified with parameter metric_type=total_value"
                ),
            );
            assert_error(
                account(
                    25,
                    &[
                        ("metric", metric),
                        ("period", "day"),
                        ("metric_type", "time_series"),
                    ],
                ),
                100,
                &format!(
                    "(#100) The following metrics ({metric}) should be specified with parameter metric_type=total_value"
                ),
            );
            for period in ["week", "days_28", "lifetime", "month"] {
                assert_error(
                    account(
                        25,
                        &[
                            ("metric", metric),
                            ("period", period),
                            ("metric_type", "total_value"),
                        ],
                    ),
                    100,
                    &format!(
                        "(#100) The following periods ({period}) are incompatible with the metric ({metric})"
                    ),
                );
            }
            let body = ok(account(
                25,
                &[
                    ("metric", metric),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                ],
            ));
            assert_eq!(first(&body)["name"], metric);
        }
    }

    #[test]
    fn follows_and_unfollows_has_no_total_value_without_a_breakdown() {
        let body = ok(account(
            25,
            &[
                ("metric", "follows_and_unfollows"),
                ("period", "day"),
                ("metric_type", "total_value"),
            ],
        ));
        assert_eq!(
            keys(first(&body)),
            ["description", "id", "name", "period", "title"]
        );
    }

    #[test]
    fn follows_and_unfollows_by_follow_type_splits_follows_from_unfollows() {
        let request = [
            ("metric", "follows_and_unfollows"),
            ("period", "day"),
            ("metric_type", "total_value"),
            ("breakdown", "follow_type"),
        ];
        let body = ok(account(25, &request));
        let total = &first(&body)["total_value"];
        assert!(total.get("value").is_none());
        let results = total["breakdowns"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sum: i64 = results.iter().filter_map(|r| r["value"].as_i64()).sum();
        assert_eq!(
            sum,
            account_metric_value(SEED, USER, "follows_and_unfollows", LAST_DAY_END)
        );
        let followers = results
            .iter()
            .find(|r| r["dimension_values"] == json!(["FOLLOWER"]))
            .and_then(|r| r["value"].as_i64())
            .unwrap_or(0);
        let unfollowers = sum - followers;
        assert_eq!(
            followers - unfollowers,
            account_metric_value(SEED, USER, "follower_count", LAST_DAY_END),
            "net new followers are follows minus unfollows"
        );
        let small = ok(account_full(25, SEED, 99, NOW, &request));
        assert_eq!(
            small,
            json!({ "data": [] }),
            "not returned under 100 followers"
        );
    }

    #[test]
    fn follower_count_is_a_day_series_of_the_last_30_days_excluding_today() {
        let until = LAST_DAY_END.to_string();
        let request = |since: &str, extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("metric", "follower_count"),
                ("period", "day"),
                ("since", since),
                ("until", &until),
            ];
            pairs.extend_from_slice(extra);
            account(25, &pairs)
        };
        let body = ok(request(&(LAST_DAY_END - 30 * DAY).to_string(), &[]));
        let ends = end_times(first(&body));
        assert_eq!(ends.len(), 30);
        assert_eq!(
            ends.last().map(String::as_str),
            Some("2026-11-29T07:00:00+0000")
        );
        assert!(series_values(first(&body)).iter().all(|v| *v >= 0));
        let too_old = LAST_DAY_END - 30 * DAY - 1;
        let week = [
            ("metric", "follower_count"),
            ("period", "day"),
            ("since", &too_old.to_string()),
            ("until", &(too_old + 7 * DAY).to_string()),
        ];
        assert_error(
            account(25, &week),
            100,
            "(#100) (follower_count) metric only supports querying data for the last 30 days excluding the current day",
        );
        assert_error(
            request(&days_ago(2), &[("metric_type", "total_value")]),
            100,
            "(#100) The following metrics (follower_count) should be specified with parameter metric_type=time_series",
        );
        for period in ["week", "days_28", "lifetime"] {
            let pairs = [("metric", "follower_count"), ("period", period)];
            assert_error(
                account(25, &pairs),
                100,
                &format!(
                    "(#100) The following periods ({period}) are incompatible with the metric (follower_count)"
                ),
            );
        }
        let few = account_full(
            25,
            SEED,
            99,
            NOW,
            &[("metric", "follower_count"), ("period", "day")],
        );
        assert_eq!(ok(few), json!({ "data": [] }));
    }

    #[test]
    fn online_followers_is_a_lifetime_series_of_hour_keyed_objects() {
        let body = ok(account(
            25,
            &[
                ("metric", "online_followers"),
                ("period", "lifetime"),
                ("since", &days_ago(3)),
                ("until", &NOW.to_string()),
            ],
        ));
        let entry = first(&body);
        assert_eq!(entry["period"], "lifetime");
        assert_eq!(
            entry["id"],
            format!("{USER}/insights/online_followers/lifetime")
        );
        for item in entry["values"].as_array().into_iter().flatten() {
            let day = end_unix(item["end_time"].as_str().unwrap_or_default());
            let hours = item["value"].as_object().cloned().unwrap_or_default();
            assert_eq!(hours.len(), 24);
            let expected = online_followers_by_hour(SEED, USER, day);
            for (hour, count) in expected.iter().enumerate() {
                assert_eq!(
                    hours.get(&hour.to_string()).and_then(Value::as_i64),
                    Some(*count)
                );
            }
            assert_eq!(
                expected.iter().sum::<i64>(),
                account_metric_value(SEED, USER, "online_followers", day)
            );
        }
        assert_error(
            account(25, &[("metric", "online_followers"), ("period", "week")]),
            100,
            "(#100) The following periods (week) are incompatible with the metric (online_followers)",
        );
    }

    #[test]
    fn online_followers_keeps_only_the_last_30_days() {
        let body = ok(account(
            25,
            &[
                ("metric", "online_followers"),
                ("period", "lifetime"),
                ("since", &(LAST_DAY_END - 40 * DAY).to_string()),
                ("until", &(LAST_DAY_END - 20 * DAY).to_string()),
            ],
        ));
        let ends: Vec<i64> = end_times(first(&body))
            .iter()
            .map(|t| end_unix(t))
            .collect();
        assert_eq!(ends.len(), 10);
        assert!(ends.iter().all(|&day| day > LAST_DAY_END - 30 * DAY));
    }

    #[test]
    fn a_breakdown_the_metric_does_not_support_is_an_unknown_error() {
        let error = err(account(
            25,
            &[
                ("metric", "accounts_engaged"),
                ("period", "day"),
                ("metric_type", "total_value"),
                ("breakdown", "media_product_type"),
            ],
        ));
        assert_eq!(error.code, 1);
        assert_eq!(error.message, "An unknown error has occurred.");
        assert_eq!(error.http_status, 500);
    }

    #[test]
    fn views_rejects_follow_type_with_its_own_message() {
        assert_error(
            account(
                25,
                &[
                    ("metric", "views"),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                    ("breakdown", "follow_type"),
                ],
            ),
            100,
            "(#100) Incompatible breakdowns (follow_type) for metric (views)",
        );
    }

    #[test]
    fn an_unknown_breakdown_name_is_a_parameter_error() {
        let error = err(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("metric_type", "total_value"),
                ("breakdown", "follower_type"),
            ],
        ));
        assert_eq!(error.code, 100);
        assert!(
            error
                .message
                .starts_with("(#100) breakdown[0] must be one of"),
            "{}",
            error.message
        );
    }

    #[test]
    fn two_breakdowns_cross_and_still_add_up() {
        let body = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("metric_type", "total_value"),
                ("breakdown", "media_product_type,follow_type"),
                ("since", &days_ago(5)),
            ],
        ));
        let total = &first(&body)["total_value"];
        let breakdown = &total["breakdowns"][0];
        assert_eq!(
            breakdown["dimension_keys"],
            json!(["media_product_type", "follow_type"])
        );
        let results = breakdown["results"].as_array().cloned().unwrap_or_default();
        assert!(
            results
                .iter()
                .all(|r| r["dimension_values"].as_array().map(Vec::len) == Some(2))
        );
        let sum: i64 = results.iter().filter_map(|r| r["value"].as_i64()).sum();
        assert_eq!(Some(sum), total["value"].as_i64());
    }

    #[test]
    fn time_series_ignore_the_breakdown() {
        let body = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("breakdown", "media_product_type"),
            ],
        ));
        assert!(first(&body).get("total_value").is_none());
        assert_eq!(end_times(first(&body)).len(), 1);
    }

    #[test]
    fn profile_links_taps_breaks_down_by_contact_button_type() {
        let body = ok(account(
            25,
            &[
                ("metric", "profile_links_taps"),
                ("period", "day"),
                ("metric_type", "total_value"),
                ("breakdown", "contact_button_type"),
                ("since", &days_ago(30)),
            ],
        ));
        let results = first(&body)["total_value"]["breakdowns"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for result in results {
            let label = result["dimension_values"][0].as_str().unwrap_or_default();
            assert!(
                Dimension::ContactButtonType.values().contains(&label),
                "{label}"
            );
        }
    }

    #[test]
    fn the_first_failing_metric_fails_the_whole_request() {
        // likes supports media_product_type, accounts_engaged does not.
        let request = |metrics: &str| {
            account(
                25,
                &[
                    ("metric", metrics),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                    ("breakdown", "media_product_type"),
                ],
            )
        };
        assert!(request("likes").is_ok());
        assert_eq!(err(request("likes,accounts_engaged")).code, 1);
        assert_eq!(err(request("likes,bogus,accounts_engaged")).message, {
            let list = account_metric_names(25, NOW).join(", ");
            format!("(#100) metric[1] must be one of the following values: {list}")
        });
        assert_eq!(err(request("accounts_engaged,bogus")).code, 1);
    }

    #[test]
    fn every_accepted_metric_answers_one_entry_or_none() {
        // No metric of the list may fail every combination: each has a valid request shape.
        for name in account_metric_names(25, NOW) {
            let attempts: [&[(&str, &str)]; 4] = [
                &[("period", "day"), ("metric_type", "total_value")],
                &[("period", "day")],
                &[("period", "lifetime")],
                &[
                    ("period", "lifetime"),
                    ("metric_type", "total_value"),
                    ("breakdown", "country"),
                    ("timeframe", "this_month"),
                ],
            ];
            let answered = attempts.iter().any(|extra| {
                let mut pairs = vec![("metric", name)];
                pairs.extend_from_slice(extra);
                account(25, &pairs)
                    .map(|body| body["data"].as_array().map_or(0, Vec::len) <= 1)
                    .unwrap_or(false)
            });
            assert!(answered, "{name}");
        }
    }

    #[test]
    fn duplicate_metrics_are_answered_once() {
        let body = ok(account(
            25,
            &[("metric", "reach, reach,follower_count"), ("period", "day")],
        ));
        let names: Vec<&str> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["name"].as_str())
            .collect();
        assert_eq!(names, ["reach", "follower_count"]);
    }

    #[test]
    fn threads_metrics_are_accepted_but_have_no_data() {
        let body = ok(account(
            25,
            &[("metric", "threads_likes,threads_views"), ("period", "day")],
        ));
        assert_eq!(body, json!({ "data": [] }));
    }

    // -- account: version gating ----------------------------------------------------------------

    #[test]
    fn account_impressions_are_served_before_v22_and_unknown_from_v22() {
        let request = [("metric", "impressions"), ("period", "day")];
        let v21 = ok(account_full(21, SEED, FOLLOWERS, MARCH_2025, &request));
        assert_eq!(first(&v21)["name"], "impressions");
        assert!(
            series_values(first(&v21))[0]
                >= account_metric_value(SEED, USER, "reach", MARCH_2025_LAST_DAY_END)
        );
        for version in [22, 23, 24, 25, 26] {
            assert_error(account(version, &request), 100, ACCOUNT_LIST_V22);
        }
    }

    #[test]
    fn from_2025_04_21_every_version_answers_views_and_refuses_impressions() {
        let impressions = [("metric", "impressions"), ("period", "day")];
        let views = [
            ("metric", "views"),
            ("period", "day"),
            ("metric_type", "total_value"),
        ];
        for version in [19, 20, 21] {
            let refused = err(account(version, &impressions));
            assert_eq!(refused.code, 100);
            assert!(
                refused.message.contains("must be one of"),
                "{}",
                refused.message
            );
            assert!(
                !refused.message.contains("impressions"),
                "{}",
                refused.message
            );
            assert!(account(version, &views).is_ok(), "v{version}");
        }
        let day_before = VIEWS_FOR_ALL_VERSIONS_UNIX - 1;
        assert!(account_full(21, SEED, FOLLOWERS, day_before, &impressions).is_ok());
        assert!(account_full(21, SEED, FOLLOWERS, day_before, &views).is_err());
        assert!(image_seen_at(21, day_before - DAY, day_before, &[("metric", "views")]).is_err());
        assert!(
            image_seen_at(
                21,
                VIEWS_FOR_ALL_VERSIONS_UNIX - DAY,
                VIEWS_FOR_ALL_VERSIONS_UNIX,
                &[("metric", "views")]
            )
            .is_ok()
        );
    }

    #[test]
    fn account_views_exist_from_v22_only() {
        let request = [
            ("metric", "views"),
            ("period", "day"),
            ("metric_type", "total_value"),
        ];
        assert!(account(22, &request).is_ok());
        let error = err(account_full(21, SEED, FOLLOWERS, MARCH_2025, &request));
        assert!(
            error
                .message
                .starts_with("(#100) metric[0] must be one of the following values: impressions,")
        );
        assert!(!error.message.contains(" views"), "{}", error.message);
    }

    #[test]
    fn profile_views_time_series_ended_with_v21() {
        let request = [("metric", "profile_views"), ("period", "day")];
        let v20 = ok(account(20, &request));
        assert_eq!(end_times(first(&v20)).len(), 1);
        for version in [21, 25] {
            assert_error(
                account(version, &request),
                100,
                "(#100) The following metrics (profile_views) should be specified with parameter metric_type=total_value",
            );
        }
        let legacy = [("metric", "email_contacts"), ("period", "day")];
        assert!(account(20, &legacy).is_ok());
        assert_eq!(err(account(21, &legacy)).code, 100);
    }

    #[test]
    fn removed_and_replaced_account_metrics_are_unknown_on_every_version() {
        for name in [
            "audience_city",
            "audience_gender_age",
            "email_contacts",
            "phone_call_clicks",
        ] {
            assert_error(
                account(25, &[("metric", name), ("period", "day")]),
                100,
                ACCOUNT_LIST_V22,
            );
        }
        for version in 19..=26 {
            let error = err(account(
                version,
                &[("metric", "audience_country"), ("period", "lifetime")],
            ));
            assert!(error.message.contains("must be one of"), "v{version}");
        }
    }

    // -- account: windows -----------------------------------------------------------------------

    #[test]
    fn windows_over_30_days_are_rejected_for_both_shapes() {
        const CAP: &str =
            "(#100) There cannot be more than 30 days (2592000 s) between since and until";
        let until = NOW - DAY;
        for shape in [&[][..], &[("metric_type", "total_value")][..]] {
            for (length, accepted) in [
                (7 * DAY, true),
                (30 * DAY, true),
                (30 * DAY + 1, false),
                (90 * DAY, false),
            ] {
                let mut pairs = vec![("metric", "reach"), ("period", "day")];
                let since = (until - length).to_string();
                let until = until.to_string();
                pairs.push(("since", &since));
                pairs.push(("until", &until));
                pairs.extend_from_slice(shape);
                let result = account(25, &pairs);
                if accepted {
                    assert!(result.is_ok(), "{length} s {shape:?}");
                } else {
                    assert_error(result, 100, CAP);
                }
            }
        }
    }

    #[test]
    fn history_reaches_back_729_days_but_not_730() {
        let request = |since: i64| {
            account(
                25,
                &[
                    ("metric", "likes"),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                    ("since", &since.to_string()),
                    ("until", &(since + 7 * DAY).to_string()),
                ],
            )
        };
        assert!(request(NOW - 729 * DAY).is_ok());
        assert_error(
            request(NOW - 730 * DAY),
            100,
            "(#100) since param is not valid. Metrics data is available for the last 2 years",
        );
    }

    #[test]
    fn bad_since_and_until_are_parameter_errors_never_panics() {
        let bad = [
            "yesterday",
            "1.5",
            "",
            " ",
            "0x10",
            "99999999999999999999",
            "9223372036854775807",
            "-9223372036854775808",
            "253402300800",
        ];
        for value in bad {
            for key in ["since", "until"] {
                let error = err(account(
                    25,
                    &[("metric", "reach"), ("period", "day"), (key, value)],
                ));
                assert_eq!(error.code, 100, "{key}={value:?}");
                assert!(error.message.contains(key), "{}", error.message);
            }
        }
        let reversed = account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("since", &days_ago(1)),
                ("until", &days_ago(3)),
            ],
        );
        assert_eq!(err(reversed).code, 100);
    }

    #[test]
    fn a_window_in_the_future_has_no_data_yet() {
        let body = ok(account(
            25,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("since", &NOW.to_string()),
                ("until", &(NOW + 5 * DAY).to_string()),
            ],
        ));
        assert_eq!(body, json!({ "data": [] }));
    }

    #[test]
    fn days_before_the_account_existed_have_no_data() {
        let created = account_created_unix(SEED, USER);
        assert!(
            (1_577_862_000..1_704_092_400).contains(&created),
            "{created}"
        );
        let now = created + 10 * DAY + 3 * 3_600;
        let before = account_full(
            25,
            SEED,
            FOLLOWERS,
            now,
            &[
                ("metric", "reach,likes"),
                ("period", "day"),
                ("metric_type", "total_value"),
                ("since", &(created - 5 * DAY).to_string()),
                ("until", &created.to_string()),
            ],
        );
        assert_eq!(
            ok(before),
            json!({ "data": [] }),
            "no paging without data either"
        );
        let straddling = ok(account_full(
            25,
            SEED,
            FOLLOWERS,
            now,
            &[
                ("metric", "reach"),
                ("period", "day"),
                ("since", &(created - 3 * DAY).to_string()),
                ("until", &(created + 3 * DAY).to_string()),
            ],
        ));
        let ends: Vec<i64> = end_times(first(&straddling))
            .iter()
            .map(|t| end_unix(t))
            .collect();
        assert_eq!(ends, [created + DAY, created + 2 * DAY, created + 3 * DAY]);
        assert_eq!(account_metric_value(SEED, USER, "reach", created), 0);
    }

    #[test]
    fn missing_or_empty_metric_and_period_are_parameter_errors() {
        let cases: [&[(&str, &str)]; 5] = [
            &[("period", "day")],
            &[("metric", ""), ("period", "day")],
            &[("metric", " , "), ("period", "day")],
            &[("metric", "reach")],
            &[("metric", "reach"), ("period", " ")],
        ];
        for pairs in cases {
            let error = err(account(25, pairs));
            assert_eq!(error.code, 100, "{pairs:?}");
            assert!(
                error.message.starts_with("(#100) The parameter "),
                "{}",
                error.message
            );
        }
        assert_eq!(
            err(account(
                25,
                &[
                    ("metric", "reach"),
                    ("period", "day"),
                    ("metric_type", "sum")
                ]
            ))
            .code,
            100
        );
    }

    #[test]
    fn strange_inputs_never_panic() {
        let metrics = [
            "reach",
            "follower_count",
            "online_followers",
            "likes",
            "follower_demographics",
            "x",
            "",
        ];
        let periods = ["day", "week", "lifetime", "", "\u{0}"];
        let extremes = [i64::MIN, -1, 0, NOW, i64::MAX];
        for metric in metrics {
            for period in periods {
                for &now in &extremes {
                    for since in ["-1", "0", "9999999999", "abc"] {
                        let pairs = [
                            ("metric", metric),
                            ("period", period),
                            ("metric_type", "total_value"),
                            ("breakdown", "age,follow_type"),
                            ("timeframe", "this_week"),
                            ("since", since),
                        ];
                        let _ = account_full(u32::MAX, u64::MAX, u64::MAX, now, &pairs);
                        let _ = account_full(0, 0, 0, now, &pairs[..2]);
                    }
                }
            }
        }
        for &t in &extremes {
            let _ = account_metric_value(SEED, USER, "reach", t);
            let _ = online_followers_by_hour(SEED, "", t);
        }
    }

    // -- account: demographics ------------------------------------------------------------------

    fn demographics(metric: &str, extra: &[(&str, &str)]) -> Result<Value, MetaError> {
        let mut pairs = vec![
            ("metric", metric),
            ("period", "lifetime"),
            ("metric_type", "total_value"),
        ];
        pairs.extend_from_slice(extra);
        account(25, &pairs)
    }

    #[test]
    fn demographics_have_the_shape_of_the_doc_example() {
        for metric in [
            "engaged_audience_demographics",
            "reached_audience_demographics",
            "follower_demographics",
        ] {
            let body = ok(demographics(
                metric,
                &[("breakdown", "country"), ("timeframe", "this_month")],
            ));
            assert_eq!(keys(&body), ["data"], "no paging for demographics");
            let entry = first(&body);
            assert_eq!(
                keys(entry),
                [
                    "description",
                    "id",
                    "name",
                    "period",
                    "title",
                    "total_value"
                ]
            );
            assert_eq!(entry["period"], "lifetime");
            assert_eq!(entry["id"], format!("{USER}/insights/{metric}/lifetime"));
            assert_eq!(keys(&entry["total_value"]), ["breakdowns"]);
            let breakdown = &entry["total_value"]["breakdowns"][0];
            assert_eq!(breakdown["dimension_keys"], json!(["timeframe", "country"]));
            let results = breakdown["results"].as_array().cloned().unwrap_or_default();
            assert!(!results.is_empty() && results.len() <= 45, "{metric}");
            for result in results {
                assert_eq!(result["dimension_values"][0], "THIS_MONTH");
                assert_eq!(
                    result["dimension_values"][1].as_str().map(str::len),
                    Some(2)
                );
                assert!(result["value"].as_i64().is_some_and(|v| v > 0));
            }
        }
        let followers = ok(demographics(
            "follower_demographics",
            &[("breakdown", "gender"), ("timeframe", "this_week")],
        ));
        let results = first(&followers)["total_value"]["breakdowns"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sum: i64 = results.iter().filter_map(|r| r["value"].as_i64()).sum();
        assert_eq!(
            sum, FOLLOWERS as i64,
            "follower demographics split the followers"
        );
    }

    #[test]
    fn demographics_keep_the_top_45_of_crossed_breakdowns() {
        let body = ok(demographics(
            "follower_demographics",
            &[("breakdown", "city,age,gender"), ("timeframe", "this_week")],
        ));
        let breakdown = &first(&body)["total_value"]["breakdowns"][0];
        assert_eq!(
            breakdown["dimension_keys"],
            json!(["timeframe", "city", "age", "gender"])
        );
        let values: Vec<i64> = breakdown["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["value"].as_i64())
            .collect();
        assert_eq!(values.len(), 45);
        assert!(
            values.windows(2).all(|pair| pair[0] >= pair[1]),
            "largest first"
        );
    }

    #[test]
    fn demographics_need_a_current_timeframe_and_no_since_or_until() {
        let metric = "follower_demographics";
        assert_eq!(err(demographics(metric, &[("breakdown", "age")])).code, 100);
        for old in ["last_30_days", "last_90_days", "prev_month", "last_14_days"] {
            assert_error(
                demographics(metric, &[("breakdown", "age"), ("timeframe", old)]),
                100,
                "(#100) timeframe must be one of the following values: this_week, this_month",
            );
        }
        let with_range = [
            ("breakdown", "age"),
            ("timeframe", "this_week"),
            ("since", "1795000000"),
        ];
        assert_eq!(err(demographics(metric, &with_range)).code, 100);
        assert_eq!(
            err(demographics(metric, &[("timeframe", "this_week")])).code,
            100
        );
        assert_eq!(
            err(demographics(
                metric,
                &[("breakdown", "follow_type"), ("timeframe", "this_week")]
            ))
            .code,
            1
        );
        assert_error(
            account(
                25,
                &[
                    ("metric", metric),
                    ("period", "day"),
                    ("metric_type", "total_value"),
                ],
            ),
            100,
            "(#100) The following periods (day) are incompatible with the metric (follower_demographics)",
        );
    }

    #[test]
    fn follower_demographics_need_100_followers() {
        let pairs = [
            ("metric", "follower_demographics"),
            ("period", "lifetime"),
            ("metric_type", "total_value"),
            ("breakdown", "age"),
            ("timeframe", "this_month"),
        ];
        assert_eq!(
            ok(account_full(25, SEED, 99, NOW, &pairs)),
            json!({ "data": [] })
        );
        assert_eq!(
            ok(account_full(25, SEED, 100, NOW, &pairs))["data"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }

    // -- account: values ------------------------------------------------------------------------

    #[test]
    fn account_values_keep_their_relations_every_day() {
        for seed in [1, 42, 7_777] {
            for back in 0..120 {
                let day = LAST_DAY_END - back * DAY;
                let value = |metric: &str| account_metric_value(seed, USER, metric, day);
                assert!(value("reach") <= value("views"), "seed {seed} day {day}");
                assert!(value("accounts_engaged") <= value("reach"));
                assert_eq!(
                    value("total_interactions"),
                    value("likes") + value("comments") + value("saves") + value("shares")
                );
                assert!(value("website_clicks") <= value("profile_views"));
                assert!(value("follower_count") >= 0);
                assert!(value("reach") > 0, "an existing account reaches someone");
            }
        }
    }

    #[test]
    fn account_values_are_deterministic_and_depend_on_the_seed() {
        let request = [
            ("metric", "reach"),
            ("period", "day"),
            ("since", &days_ago(30)),
        ];
        let once = ok(account(25, &request));
        let again = ok(account(25, &request));
        assert_eq!(once, again);
        let other_seed = ok(account_full(25, SEED + 1, FOLLOWERS, NOW, &request));
        assert_ne!(
            series_values(first(&once)),
            series_values(first(&other_seed))
        );
        assert_eq!(end_times(first(&once)), end_times(first(&other_seed)));
        let month = |id: &str| -> Vec<i64> {
            (0..30)
                .map(|back| account_metric_value(SEED, id, "likes", LAST_DAY_END - back * DAY))
                .collect()
        };
        assert_ne!(month(USER), month("17841400000000002"), "accounts differ");
    }

    #[test]
    fn account_metric_value_reads_any_instant_of_the_day() {
        let inside = LAST_DAY_END - 5 * 3_600;
        assert_eq!(
            account_metric_value(SEED, USER, "reach", inside),
            account_metric_value(SEED, USER, "reach", LAST_DAY_END)
        );
        assert_eq!(
            account_daily_value(SEED, USER, "follower_demographics", LAST_DAY_END),
            None
        );
        assert_eq!(
            account_daily_value(SEED, USER, "nonsense", LAST_DAY_END),
            None
        );
    }

    // -- media ----------------------------------------------------------------------------------

    const IMAGE_ID: &str = "17846368219941692";
    /// 2026-11-28T10:00:00Z: published a day before `NOW`.
    const PUBLISHED: i64 = NOW - DAY;

    fn media_full(
        version: u32,
        media_id: &str,
        product: &str,
        media_type: &str,
        published: i64,
        pairs: &[(&str, &str)],
    ) -> Result<Value, MetaError> {
        let params = params(pairs);
        media_insights(&MediaInsightsQuery {
            version,
            media_id,
            seed: SEED,
            media_product_type: product,
            media_type,
            published_unix: published,
            now_unix: NOW,
            params: &params,
        })
    }

    /// An image queried while the simulator's clock reads `now`.
    fn image_seen_at(
        version: u32,
        published: i64,
        now: i64,
        pairs: &[(&str, &str)],
    ) -> Result<Value, MetaError> {
        let params = params(pairs);
        media_insights(&MediaInsightsQuery {
            version,
            media_id: IMAGE_ID,
            seed: SEED,
            media_product_type: "FEED",
            media_type: "IMAGE",
            published_unix: published,
            now_unix: now,
            params: &params,
        })
    }

    /// A feed image with plenty of viewers, published a day ago.
    fn image(version: u32, pairs: &[(&str, &str)]) -> Result<Value, MetaError> {
        media_full(version, IMAGE_ID, "FEED", "IMAGE", PUBLISHED, pairs)
    }

    /// The first generated media id that satisfies `wanted`.
    fn media_id_where(wanted: impl Fn(&str) -> bool) -> String {
        (0..10_000u64)
            .map(|n| format!("1790000000000{n:04}"))
            .find(|id| wanted(id))
            .unwrap_or_default()
    }

    #[test]
    fn media_values_have_the_shape_of_the_real_sample() {
        let body = ok(image(25, &[("metric", "reach,saved")]));
        assert_eq!(keys(&body), ["data"], "no paging for media");
        let data = body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(data.len(), 2);
        for entry in data {
            assert_eq!(
                keys(&entry),
                ["description", "id", "name", "period", "title", "values"]
            );
            let name = entry["name"].as_str().unwrap_or_default();
            assert_eq!(entry["period"], "lifetime");
            assert_eq!(entry["id"], format!("{IMAGE_ID}/insights/{name}/lifetime"));
            assert_eq!(
                entry["values"],
                json!([{ "value": media_metric_value(SEED, IMAGE_ID, name) }])
            );
        }
        assert_eq!(first(&body)["title"], "Reach");
    }

    #[test]
    fn media_period_is_always_lifetime() {
        let body = ok(image(25, &[("metric", "likes"), ("period", "day")]));
        assert_eq!(first(&body)["period"], "lifetime");
    }

    #[test]
    fn the_publisher_pull_succeeds_on_every_feed_and_reel_type() {
        // graph-api.md §4.2: the v25 sweep.
        for (product, media_type) in [
            ("FEED", "IMAGE"),
            ("FEED", "VIDEO"),
            ("FEED", "CAROUSEL_ALBUM"),
            ("REELS", "VIDEO"),
        ] {
            let body = ok(media_full(
                25,
                IMAGE_ID,
                product,
                media_type,
                PUBLISHED,
                &[(
                    "metric",
                    "reach,saved,likes,comments,shares,total_interactions,views",
                )],
            ));
            assert_eq!(
                body["data"].as_array().map(Vec::len),
                Some(7),
                "{product} {media_type}"
            );
        }
    }

    #[test]
    fn profile_activity_breaks_down_by_lowercase_action_type() {
        let id = media_id_where(|id| {
            media_breakdown_values(SEED, id, "profile_activity")
                .iter()
                .filter(|(_, n)| *n > 0)
                .count()
                >= 2
        });
        let body = ok(media_full(
            25,
            &id,
            "FEED",
            "IMAGE",
            PUBLISHED,
            &[("metric", "profile_activity"), ("breakdown", "action_type")],
        ));
        let entry = first(&body);
        assert_eq!(
            keys(entry),
            [
                "description",
                "id",
                "name",
                "period",
                "title",
                "total_value",
                "values"
            ]
        );
        let value = media_metric_value(SEED, &id, "profile_activity");
        assert_eq!(entry["values"], json!([{ "value": value }]));
        assert_eq!(entry["total_value"]["value"], value);
        let breakdown = &entry["total_value"]["breakdowns"][0];
        assert_eq!(breakdown["dimension_keys"], json!(["action_type"]));
        let mut sum = 0;
        for result in breakdown["results"].as_array().into_iter().flatten() {
            let label = result["dimension_values"][0].as_str().unwrap_or_default();
            assert!(
                [
                    "bio_link_clicked",
                    "call",
                    "direction",
                    "email",
                    "other",
                    "text"
                ]
                .contains(&label),
                "{label}"
            );
            sum += result["value"].as_i64().unwrap_or(0);
        }
        assert_eq!(sum, value);
    }

    #[test]
    fn navigation_is_for_stories_and_breaks_down_by_navigation_action() {
        let story = media_id_where(|id| media_metric_value(SEED, id, "reach") >= 5);
        let body = ok(media_full(
            25,
            &story,
            "STORY",
            "IMAGE",
            PUBLISHED + 3_600,
            &[
                ("metric", "navigation"),
                ("breakdown", "story_navigation_action_type"),
            ],
        ));
        let breakdown = &first(&body)["total_value"]["breakdowns"][0];
        assert_eq!(
            breakdown["dimension_keys"],
            json!(["story_navigation_action_type"])
        );
        for result in breakdown["results"].as_array().into_iter().flatten() {
            let label = result["dimension_values"][0].as_str().unwrap_or_default();
            assert!(
                ["tap_forward", "tap_back", "tap_exit", "swipe_forward"].contains(&label),
                "{label}"
            );
        }
        assert_error(
            image(25, &[("metric", "navigation")]),
            100,
            "(#100) The Media Insights API does not support the navigation metric for this media product type.",
        );
    }

    #[test]
    fn metrics_of_another_product_type_are_rejected() {
        assert_error(
            image(25, &[("metric", "crossposted_views")]),
            100,
            "(#100) The Media Insights API does not support the crossposted_views metric for this media product type.",
        );
        let reel = |metric: &str| {
            media_full(
                25,
                IMAGE_ID,
                "REELS",
                "VIDEO",
                PUBLISHED,
                &[("metric", metric)],
            )
        };
        assert_eq!(err(reel("follows")).code, 100);
        assert!(
            reel("ig_reels_avg_watch_time,reels_skip_rate,ig_reels_video_view_total_time").is_ok()
        );
        assert_eq!(err(image(25, &[("metric", "reach,link_clicks")])).code, 100);
        let unknown_product = media_full(
            25,
            IMAGE_ID,
            "AD",
            "IMAGE",
            PUBLISHED,
            &[("metric", "reach")],
        );
        assert_eq!(err(unknown_product).code, 100);
    }

    #[test]
    fn facebook_views_are_fatal_unless_the_media_was_shared_to_facebook() {
        let unshared = media_id_where(|id| !media_is_shared_to_facebook(SEED, id));
        let shared = media_id_where(|id| media_is_shared_to_facebook(SEED, id));
        for metric in ["facebook_views", "crossposted_views"] {
            let error = err(media_full(
                25,
                &unshared,
                "REELS",
                "VIDEO",
                PUBLISHED,
                &[("metric", metric)],
            ));
            assert_eq!(
                (error.code, error.subcode, error.message.as_str()),
                (-1, Some(2_207_086), "Fatal")
            );
            let body = ok(media_full(
                25,
                &shared,
                "REELS",
                "VIDEO",
                PUBLISHED,
                &[("metric", metric)],
            ));
            assert_eq!(
                first(&body)["values"][0]["value"],
                media_metric_value(SEED, &shared, metric)
            );
        }
    }

    #[test]
    fn stories_with_fewer_than_5_viewers_are_withheld() {
        let quiet = media_id_where(|id| media_metric_value(SEED, id, "reach") < 5);
        assert!(!quiet.is_empty());
        assert_error(
            media_full(
                25,
                &quiet,
                "STORY",
                "IMAGE",
                PUBLISHED,
                &[("metric", "reach")],
            ),
            10,
            "(#10) Not enough viewers for the media to show insights",
        );
        // The same numbers on a feed post are served.
        assert!(
            media_full(
                25,
                &quiet,
                "FEED",
                "IMAGE",
                PUBLISHED,
                &[("metric", "reach")]
            )
            .is_ok()
        );
    }

    #[test]
    fn story_insights_stop_when_the_story_expires() {
        let story = media_id_where(|id| media_metric_value(SEED, id, "reach") >= 5);
        let at = |published: i64| {
            media_full(
                25,
                &story,
                "STORY",
                "VIDEO",
                published,
                &[("metric", "reach,replies")],
            )
        };
        assert_eq!(ok(at(NOW - DAY))["data"].as_array().map(Vec::len), Some(2));
        assert_eq!(ok(at(NOW - DAY - 1)), json!({ "data": [] }));
    }

    #[test]
    fn media_older_than_two_years_have_no_data() {
        let old = image_at(NOW - 730 * DAY);
        assert_eq!(ok(old), json!({ "data": [] }));
        assert!(
            image_at(NOW - 729 * DAY)
                .is_ok_and(|body| body["data"].as_array().map(Vec::len) == Some(1))
        );
    }

    fn image_at(published: i64) -> Result<Value, MetaError> {
        media_full(
            25,
            IMAGE_ID,
            "FEED",
            "IMAGE",
            published,
            &[("metric", "likes")],
        )
    }

    #[test]
    fn media_impressions_follow_the_version_and_the_media_date() {
        let june_2024 = 1_717_200_000;
        let on = |version, product, media_type, published| {
            media_full(
                version,
                IMAGE_ID,
                product,
                media_type,
                published,
                &[("metric", "impressions")],
            )
        };
        for media_type in ["IMAGE", "CAROUSEL_ALBUM"] {
            assert_error(
                on(25, "FEED", media_type, june_2024),
                100,
                "(#100) Starting from version v22.0 and above, the impressions metric is no longer supported for the queried media",
            );
        }
        for (product, media_type) in [("REELS", "VIDEO"), ("FEED", "VIDEO")] {
            assert_error(
                on(22, product, media_type, june_2024),
                100,
                "(#100) The Media Insights API does not support the impressions metric for this media product type",
            );
        }
        // Seen from 2025-01-01; by the spec's date such media are past the two years kept.
        let new_year_2025 = 1_735_689_600;
        let impressions_request = [("metric", "impressions")];
        let v21 = ok(image_seen_at(
            21,
            june_2024,
            new_year_2025,
            &impressions_request,
        ));
        // By the spec's date every version has v22's rules (graph-api.md §1).
        assert_error(
            on(21, "FEED", "IMAGE", june_2024),
            100,
            "(#100) Starting from version v22.0 and above, the impressions metric is no longer supported for the queried media",
        );
        let impressions = first(&v21)["values"][0]["value"].as_i64().unwrap_or(0);
        assert_eq!(
            impressions,
            media_metric_value(SEED, IMAGE_ID, "impressions")
        );
        assert!(impressions >= media_metric_value(SEED, IMAGE_ID, "reach"));
        let late = err(image_seen_at(
            21,
            MEDIA_IMPRESSIONS_CUTOFF_UNIX,
            new_year_2025,
            &impressions_request,
        ));
        assert!(
            late.message
                .starts_with("(#100) metric[0] must be one of the following values: reach,"),
            "{}",
            late.message
        );
        assert_eq!(err(on(21, "REELS", "VIDEO", june_2024)).code, 100);
    }

    #[test]
    fn media_views_exist_from_v22_only() {
        assert!(image(22, &[("metric", "views")]).is_ok());
        let error = err(image_seen_at(
            21,
            MARCH_2025 - DAY,
            MARCH_2025,
            &[("metric", "views")],
        ));
        assert!(error.message.contains("must be one of"));
        assert!(!error.message.contains(" views,"), "{}", error.message);
    }

    #[test]
    fn removed_media_metrics_are_unknown_on_every_version() {
        for name in [
            "plays",
            "video_views",
            "clips_replays_count",
            "ig_reels_aggregated_all_plays_count",
            "engagement",
            "taps_forward",
            "carousel_album_reach",
        ] {
            assert_error(image(25, &[("metric", name)]), 100, MEDIA_LIST_V25);
            for version in 19..=26 {
                let error = err(media_full(
                    version,
                    IMAGE_ID,
                    "REELS",
                    "VIDEO",
                    PUBLISHED,
                    &[("metric", name)],
                ));
                assert!(
                    error.message.contains("must be one of"),
                    "{name} v{version}"
                );
            }
        }
        let error = err(image(25, &[("metric", "reach,plays")]));
        assert!(
            error.message.starts_with("(#100) metric[1] must be one of"),
            "{}",
            error.message
        );
    }

    #[test]
    fn media_breakdowns_are_checked_by_name_then_by_metric() {
        assert_error(
            image(
                25,
                &[("metric", "reach"), ("breakdown", "media_product_type")],
            ),
            100,
            "(#100) breakdown[0] must be one of the following values: follow_type, surface_type, action_type, story_navigation_action_type",
        );
        let error = err(image(
            25,
            &[("metric", "reach"), ("breakdown", "action_type")],
        ));
        assert_eq!(
            (error.code, error.message.as_str()),
            (1, "An unknown error has occurred.")
        );
        let mixed = err(image(
            25,
            &[
                ("metric", "profile_activity,reach"),
                ("breakdown", "action_type"),
            ],
        ));
        assert_eq!(
            mixed.code, 1,
            "every metric of the request must support the breakdown"
        );
    }

    #[test]
    fn media_requests_without_a_metric_are_parameter_errors() {
        for pairs in [&[][..], &[("metric", "")][..], &[("metric", ",,")][..]] {
            assert_eq!(err(image(25, pairs)).code, 100, "{pairs:?}");
        }
    }

    #[test]
    fn media_values_keep_their_relations() {
        for n in 0..300u64 {
            let id = format!("1790000000001{n:04}");
            let value = |metric: &str| media_metric_value(SEED, &id, metric);
            assert!(value("reach") <= value("views"), "{id}");
            assert_eq!(
                value("total_interactions"),
                value("likes") + value("comments") + value("saved") + value("shares")
            );
            assert!(value("profile_activity") <= value("profile_visits"));
            assert!(value("impressions") >= value("reach"));
            assert!(value("total_views") >= value("views"));
            assert_eq!(
                value("crossposted_views"),
                value("views") + value("facebook_views")
            );
            assert_eq!(
                value("ig_reels_video_view_total_time"),
                value("ig_reels_avg_watch_time") * value("views")
            );
            let navigation: i64 = media_breakdown_values(SEED, &id, "navigation")
                .iter()
                .map(|(_, n)| n)
                .sum();
            assert_eq!(navigation, value("navigation"));
        }
    }

    #[test]
    fn media_values_are_deterministic_and_depend_on_the_seed() {
        let names = media_metric_names(25, NOW);
        let values = |seed: u64| -> Vec<i64> {
            names
                .iter()
                .map(|m| media_metric_value(seed, IMAGE_ID, m))
                .collect()
        };
        assert_eq!(values(SEED), values(SEED));
        assert_ne!(values(SEED), values(SEED + 1));
        assert_eq!(media_metric(SEED, IMAGE_ID, "plays"), None);
        assert_eq!(media_metric_value(SEED, IMAGE_ID, "plays"), 0);
    }

    #[test]
    fn few_stories_but_some_have_few_viewers() {
        let quiet = (0..1_000u64)
            .filter(|n| media_metric_value(SEED, &format!("1790000000002{n:04}"), "reach") < 5)
            .count();
        assert!((50..=150).contains(&quiet), "{quiet} in 1000");
    }

    // -- building blocks ------------------------------------------------------------------------

    #[test]
    fn day_ends_are_at_seven_utc() {
        assert_eq!(calendar::floor_day_end(NOW), LAST_DAY_END);
        assert_eq!(calendar::floor_day_end(LAST_DAY_END), LAST_DAY_END);
        assert_eq!(
            calendar::floor_day_end(LAST_DAY_END - 1),
            LAST_DAY_END - DAY
        );
        assert_eq!(calendar::day_end_containing(LAST_DAY_END - 1), LAST_DAY_END);
        assert_eq!(
            calendar::end_time(LAST_DAY_END).ok().as_deref(),
            Some("2026-11-29T07:00:00+0000")
        );
        let _ = calendar::floor_day_end(i64::MIN);
        let _ = calendar::day_end_containing(i64::MAX);
    }

    #[test]
    fn the_impressions_cutoff_is_2024_07_02() {
        let cutoff =
            jiff::Timestamp::from_second(MEDIA_IMPRESSIONS_CUTOFF_UNIX).map(|t| t.to_string());
        assert_eq!(cutoff.ok().as_deref(), Some("2024-07-02T00:00:00Z"));
    }

    #[test]
    fn split_adds_up_exactly_and_leaves_zero_weights_empty() {
        assert_eq!(model::split(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        assert_eq!(
            model::split(7, &[0.0, 2.0, 0.0, 1.0]).iter().sum::<i64>(),
            7
        );
        assert_eq!(model::split(7, &[0.0, 2.0, 0.0, 1.0])[0], 0);
        assert_eq!(model::split(5, &[0.0, 0.0]), [0, 5]);
        assert_eq!(model::split(-3, &[1.0]), [0]);
        assert_eq!(
            model::split(i64::MAX, &[1.0, 3.0])
                .iter()
                .map(|&n| i128::from(n))
                .sum::<i128>(),
            i128::from(i64::MAX)
        );
        assert!(model::split(3, &[]).is_empty());
    }

    #[test]
    fn catalog_lists_match_the_real_error_lists() {
        assert_eq!(
            format!(
                "(#100) metric[0] must be one of the following values: {}",
                account_metric_names(25, NOW).join(", ")
            ),
            ACCOUNT_LIST_V22
        );
        assert_eq!(
            format!(
                "(#100) metric[0] must be one of the following values: {}",
                media_metric_names(25, NOW).join(", ")
            ),
            MEDIA_LIST_V25
        );
    }
}
