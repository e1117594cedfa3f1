//! Rate-limit usage headers (graph-api.md §7): `X-App-Usage` and `X-Business-Use-Case-Usage`,
//! parsed on every response, success or error, so the worker can pause an account before Meta
//! throttles it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::meta_enum::meta_enum;

/// The header carrying app-level usage percentages.
pub const APP_USAGE_HEADER: &str = "x-app-usage";
/// The header carrying Business Use Case usage, keyed by business object id (IG user, Page, business).
pub const BUSINESS_USE_CASE_USAGE_HEADER: &str = "x-business-use-case-usage";

/// Usage read from one response's headers. Empty when Meta sent neither header.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UsageReport {
    /// `X-App-Usage`, if present and readable.
    pub app: Option<AppUsage>,
    /// `X-Business-Use-Case-Usage`, if present and readable.
    pub business: Option<BusinessUseCaseUsage>,
}

/// `X-App-Usage`: percentages (0–100) of the app's hourly platform limit; throttled at 100.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AppUsage {
    /// Percentage of calls used.
    pub call_count: u32,
    /// Percentage of CPU time used.
    pub total_cputime: u32,
    /// Percentage of total time used.
    pub total_time: u32,
}

/// `X-Business-Use-Case-Usage`: per business object id, one entry per use-case type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BusinessUseCaseUsage {
    /// Entries keyed by the object id Meta used as the key (IG user id, Page id or business id).
    pub by_object: BTreeMap<String, Vec<BusinessUseCaseEntry>>,
}

meta_enum! {
    /// The `type` of a Business Use Case usage entry.
    BusinessUseCaseType {
        /// Instagram Graph API calls (publishing, media, insights, comments).
        Instagram => "instagram",
        /// Pages API calls.
        Pages => "pages",
        /// Ads Insights.
        AdsInsights => "ads_insights",
        /// Ads Management.
        AdsManagement => "ads_management",
        /// Custom Audience.
        CustomAudience => "custom_audience",
        /// Lead generation.
        Leadgen => "leadgen",
        /// Messenger.
        Messenger => "messenger",
    }
}

/// One use-case entry of `X-Business-Use-Case-Usage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BusinessUseCaseEntry {
    /// The use case.
    pub usage_type: BusinessUseCaseType,
    /// Percentage of calls used.
    pub call_count: u32,
    /// Percentage of CPU time used.
    pub total_cputime: u32,
    /// Percentage of total time used.
    pub total_time: u32,
    /// Minutes until access comes back; 0 when not throttled.
    pub estimated_time_to_regain_access_minutes: u32,
}

impl AppUsage {
    /// The highest of the three percentages: the one that throttles first.
    pub fn max_percent(&self) -> u32 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }
}

impl BusinessUseCaseEntry {
    /// The highest of the three percentages.
    pub fn max_percent(&self) -> u32 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }

    /// How long until access comes back, as Meta estimates it.
    pub fn regain_access_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.estimated_time_to_regain_access_minutes) * 60)
    }
}

impl BusinessUseCaseUsage {
    /// The entries for one object id (an IG user id, say); empty if Meta did not report it.
    pub fn for_object(&self, object_id: &str) -> &[BusinessUseCaseEntry] {
        self.by_object
            .get(object_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The highest percentage across all objects and use cases.
    pub fn max_percent(&self) -> u32 {
        self.by_object
            .values()
            .flatten()
            .map(BusinessUseCaseEntry::max_percent)
            .max()
            .unwrap_or(0)
    }

    /// The longest wait Meta announced, if any entry is throttled.
    pub fn regain_access_after(&self) -> Option<Duration> {
        self.by_object
            .values()
            .flatten()
            .map(BusinessUseCaseEntry::regain_access_after)
            .filter(|wait| !wait.is_zero())
            .max()
    }
}

impl UsageReport {
    /// Reads both usage headers. A header that is missing or unreadable is left out and never
    /// fails the call: usage is advice, the response is what matters.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        Self::from_header_text(text(APP_USAGE_HEADER), text(BUSINESS_USE_CASE_USAGE_HEADER))
    }

    /// Reads the usage headers from `(name, value)` pairs, names in any case: a batch
    /// sub-response lists its headers this way (§9.1).
    pub fn from_header_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let (mut app, mut business) = (None, None);
        for (name, value) in pairs {
            if name.eq_ignore_ascii_case(APP_USAGE_HEADER) {
                app = Some(value);
            } else if name.eq_ignore_ascii_case(BUSINESS_USE_CASE_USAGE_HEADER) {
                business = Some(value);
            }
        }
        Self::from_header_text(app, business)
    }

    fn from_header_text(app: Option<&str>, business: Option<&str>) -> Self {
        Self {
            app: app.and_then(parse_app_usage),
            business: business.and_then(parse_business_use_case_usage),
        }
    }

    /// True when neither header was present.
    pub fn is_empty(&self) -> bool {
        self.app.is_none() && self.business.is_none()
    }

    /// The highest percentage in either header (0 when empty). The worker pauses at 90.
    pub fn max_percent(&self) -> u32 {
        let app = self.app.as_ref().map(AppUsage::max_percent).unwrap_or(0);
        let business = self
            .business
            .as_ref()
            .map(BusinessUseCaseUsage::max_percent)
            .unwrap_or(0);
        app.max(business)
    }

    /// True when any percentage is at or above `percent`.
    pub fn is_at_least(&self, percent: u32) -> bool {
        !self.is_empty() && self.max_percent() >= percent
    }

    /// The longest `estimated_time_to_regain_access` announced, if any.
    pub fn regain_access_after(&self) -> Option<Duration> {
        self.business
            .as_ref()
            .and_then(BusinessUseCaseUsage::regain_access_after)
    }
}

/// Percentages are integers in every real sample, but a float or a numeric string must not make
/// the header unreadable; fractions round up so 89.5 % counts as 90 %.
#[derive(Deserialize)]
#[serde(untagged)]
enum Percent {
    Integer(u64),
    Float(f64),
    Text(String),
}

impl Percent {
    fn value(&self) -> u32 {
        let float = match self {
            Percent::Integer(value) => return u32::try_from(*value).unwrap_or(u32::MAX),
            Percent::Float(value) => *value,
            Percent::Text(text) => text.trim().parse::<f64>().unwrap_or(0.0),
        };
        if float.is_finite() && float > 0.0 {
            // `as` saturates for floats, which is the clamp wanted here.
            float.ceil() as u32
        } else {
            0
        }
    }
}

fn percent(value: &Option<Percent>) -> u32 {
    value.as_ref().map(Percent::value).unwrap_or(0)
}

#[derive(Deserialize)]
struct RawUsage {
    #[serde(default, rename = "type")]
    usage_type: Option<String>,
    #[serde(default)]
    call_count: Option<Percent>,
    #[serde(default)]
    total_cputime: Option<Percent>,
    #[serde(default)]
    total_time: Option<Percent>,
    #[serde(default)]
    estimated_time_to_regain_access: Option<Percent>,
}

fn parse_app_usage(text: &str) -> Option<AppUsage> {
    match serde_json::from_str::<RawUsage>(text) {
        Ok(raw) => Some(AppUsage {
            call_count: percent(&raw.call_count),
            total_cputime: percent(&raw.total_cputime),
            total_time: percent(&raw.total_time),
        }),
        Err(error) => {
            tracing::warn!(header = APP_USAGE_HEADER, %error, "unreadable usage header ignored");
            None
        }
    }
}

fn parse_business_use_case_usage(text: &str) -> Option<BusinessUseCaseUsage> {
    match serde_json::from_str::<BTreeMap<String, Vec<RawUsage>>>(text) {
        Ok(raw) => Some(BusinessUseCaseUsage {
            by_object: raw
                .into_iter()
                .map(|(object_id, entries)| {
                    let entries = entries
                        .into_iter()
                        .map(|entry| BusinessUseCaseEntry {
                            usage_type: BusinessUseCaseType::from(
                                entry.usage_type.unwrap_or_default(),
                            ),
                            call_count: percent(&entry.call_count),
                            total_cputime: percent(&entry.total_cputime),
                            total_time: percent(&entry.total_time),
                            estimated_time_to_regain_access_minutes: percent(
                                &entry.estimated_time_to_regain_access,
                            ),
                        })
                        .collect();
                    (object_id, entries)
                })
                .collect(),
        }),
        Err(error) => {
            tracing::warn!(header = BUSINESS_USE_CASE_USAGE_HEADER, %error, "unreadable usage header ignored");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn app_usage_header_is_read_as_percentages() {
        let report = UsageReport::from_headers(&headers(&[(
            "x-app-usage",
            r#"{"call_count":28,"total_time":25,"total_cputime":25}"#,
        )]));
        assert_eq!(
            report.app,
            Some(AppUsage {
                call_count: 28,
                total_cputime: 25,
                total_time: 25
            })
        );
        assert_eq!(report.max_percent(), 28);
        assert!(report.business.is_none());
    }

    #[test]
    fn header_pairs_are_matched_in_any_case_and_others_ignored() {
        // Batch sub-responses list headers as they were sent, e.g. `X-App-Usage` (§9.1).
        let report = UsageReport::from_header_pairs([
            ("Content-Type", "text/javascript; charset=UTF-8"),
            (
                "X-App-Usage",
                r#"{"call_count":91,"total_time":3,"total_cputime":4}"#,
            ),
            (
                "X-Business-Use-Case-Usage",
                r#"{"17841400455970028":[{"type":"instagram","call_count":12,"total_cputime":72,"total_time":10,"estimated_time_to_regain_access":20}]}"#,
            ),
        ]);
        assert_eq!(report.max_percent(), 91);
        assert_eq!(
            report.regain_access_after(),
            Some(Duration::from_secs(20 * 60))
        );
        assert!(UsageReport::from_header_pairs([("ETag", "\"1\"")]).is_empty());
    }

    #[test]
    fn business_use_case_header_keyed_by_business_and_ig_user_is_read() {
        // Real v25.0 capture, graph-api.md §7.
        let report = UsageReport::from_headers(&headers(&[(
            "x-business-use-case-usage",
            r#"{"645699291956344":[{"type":"instagram","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}],"17841472020051826":[{"type":"instagram","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}"#,
        )]));
        let business = report.business.unwrap_or_default();
        let entries = business.for_object("17841472020051826");
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries.first().map(|e| e.usage_type.clone()),
            Some(BusinessUseCaseType::Instagram)
        );
        assert_eq!(business.regain_access_after(), None);
        assert!(business.for_object("nobody").is_empty());
    }

    #[test]
    fn throttled_business_usage_reports_minutes_to_regain_access() {
        // Real 2019 sample, graph-api.md §7.
        let report = UsageReport::from_headers(&headers(&[(
            "x-business-use-case-usage",
            r#"{"17841400455970028":[{"type":"instagram","call_count":12,"total_cputime":72,"total_time":10,"estimated_time_to_regain_access":20}]}"#,
        )]));
        assert_eq!(
            report.regain_access_after(),
            Some(Duration::from_secs(20 * 60))
        );
        assert_eq!(report.max_percent(), 72);
        assert!(report.is_at_least(72));
        assert!(!report.is_at_least(90));
    }

    #[test]
    fn unknown_use_case_type_is_kept() {
        let report = UsageReport::from_headers(&headers(&[(
            "x-business-use-case-usage",
            r#"{"1":[{"type":"threads","call_count":95,"total_cputime":1,"total_time":1}]}"#,
        )]));
        let business = report.business.unwrap_or_default();
        let entry = business.for_object("1").first().cloned();
        assert_eq!(
            entry.map(|e| e.usage_type),
            Some(BusinessUseCaseType::Unknown("threads".into()))
        );
        assert_eq!(business.max_percent(), 95);
    }

    #[test]
    fn fractional_and_textual_percentages_round_up() {
        let report = UsageReport::from_headers(&headers(&[(
            "x-app-usage",
            r#"{"call_count":89.2,"total_time":"12","total_cputime":0}"#,
        )]));
        assert_eq!(
            report.app,
            Some(AppUsage {
                call_count: 90,
                total_cputime: 0,
                total_time: 12
            })
        );
    }

    #[test]
    fn unreadable_or_missing_headers_leave_the_report_empty() {
        let report = UsageReport::from_headers(&headers(&[("x-app-usage", "not json")]));
        assert!(report.is_empty());
        assert!(!report.is_at_least(0));
        assert!(UsageReport::from_headers(&HeaderMap::new()).is_empty());
    }
}
