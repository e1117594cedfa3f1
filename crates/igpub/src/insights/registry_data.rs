//! The metric registry as data. When Meta changes a metric, edit this table and nothing else;
//! the registry's own tests check that the table stays consistent.
//!
//! Sources: graph-api.md §1 (the version-/date-gating table), §4.1 (account metrics, the v25
//! sweep) and §4.2 (media metrics). Left out on purpose: the Threads-linked account metrics
//! (`threads_*`, `content_views`, `quotes`), whose shapes the reference does not give, and the
//! metrics retired in 2023 without a documented successor (`engagement`, `carousel_album_*`,
//! the `audience_*` demographics): asking for them gets the "unknown metric" error, as from
//! Meta.

use jiff::civil::date;

use super::definition::{BreakdownValue, HistoryLimit, Lineage, LineageKind, MetricDef, Shape};
use super::object::Surface::{self, Account, Feed, Reels, Story};
use super::version::{Availability, Change, GraphVersion};
use super::vocabulary::{Additivity, Caveat, MetricType, Period, ValueShape};

// graph-api.md §1: "v21.0 (2024-10-02); all versions 2025-01-08".
const V21_REMOVAL: Change = Change::in_version_then_all_on(GraphVersion::V21, date(2025, 1, 8));
// graph-api.md §1: "v22.0 (2025-01-21); all versions 2025-04-21". The row gates the arrival of
// `views` as well as the removals, so after that day every version has `views` and none has
// `impressions`: no version is left without a views series.
const V22_CHANGE: Change = Change::in_version_then_all_on(GraphVersion::V22, date(2025, 4, 21));

const RETIRED_IN_V21: Availability = Availability {
    introduced: None,
    removed: Some(V21_REMOVAL),
};
const RETIRED_IN_V22: Availability = Availability {
    introduced: None,
    removed: Some(V22_CHANGE),
};
// graph-api.md §4.2: "2023: … taps_forward, taps_back, exits (replaced by navigation
// breakdowns)": before v19.0, so no version igpub speaks has them.
const RETIRED_IN_2023: Availability = Availability {
    introduced: None,
    removed: Some(Change::BEFORE_ALL_SUPPORTED_VERSIONS),
};

const ALL_MEDIA: &[Surface] = &[Feed, Reels, Story];
const FEED_AND_REELS: &[Surface] = &[Feed, Reels];
const FEED_AND_STORY: &[Surface] = &[Feed, Story];

// graph-api.md §4.1 sweep: 12 metrics need both metric_type=total_value and period=day.
const DAY_TOTAL: &[Shape] = &[Shape {
    metric_type: Some(MetricType::TotalValue),
    periods: &[Period::Day],
    availability: Availability::ALWAYS,
}];
const DAY_SERIES: &[Shape] = &[Shape {
    metric_type: Some(MetricType::TimeSeries),
    periods: &[Period::Day],
    availability: Availability::ALWAYS,
}];
const LIFETIME_TOTAL: &[Shape] = &[Shape {
    metric_type: Some(MetricType::TotalValue),
    periods: &[Period::Lifetime],
    availability: Availability::ALWAYS,
}];
// graph-api.md §4.2: media period "will always be lifetime"; no metric_type.
const MEDIA_LIFETIME: &[Shape] = &[Shape {
    metric_type: None,
    periods: &[Period::Lifetime],
    availability: Availability::ALWAYS,
}];
// graph-api.md §1/§4.1: the time series of profile_views and website_clicks went in v21;
// total_value stays.
const TOTAL_NOW_SERIES_BEFORE_V21: &[Shape] = &[
    Shape {
        metric_type: Some(MetricType::TotalValue),
        periods: &[Period::Day],
        availability: Availability::ALWAYS,
    },
    Shape {
        metric_type: Some(MetricType::TimeSeries),
        periods: &[Period::Day],
        availability: RETIRED_IN_V21,
    },
];

const BY_MEDIA_PRODUCT_TYPE: &[&str] = &["media_product_type"];
const DEMOGRAPHIC_BREAKDOWNS: &[&str] = &["age", "city", "country", "gender"];

/// An account metric of the most common kind: total_value by day, additive, 2-year history.
const ACCOUNT_DAY_TOTAL: MetricDef = MetricDef {
    name: "",
    surfaces: &[Account],
    availability: Availability::ALWAYS,
    shapes: DAY_TOTAL,
    breakdowns: &[],
    value_shape: ValueShape::Count,
    additivity: Additivity::Additive,
    history: HistoryLimit::TwoYears,
    caveats: &[],
    aliases: &[],
    successor: None,
};

/// A media metric of the most common kind: a lifetime count.
const MEDIA_COUNT: MetricDef = MetricDef {
    name: "",
    surfaces: ALL_MEDIA,
    availability: Availability::ALWAYS,
    shapes: MEDIA_LIFETIME,
    breakdowns: &[],
    value_shape: ValueShape::Count,
    additivity: Additivity::Additive,
    history: HistoryLimit::NoRange,
    caveats: &[],
    aliases: &[],
    successor: None,
};

const DEMOGRAPHICS: MetricDef = MetricDef {
    name: "",
    shapes: LIFETIME_TOTAL,
    breakdowns: DEMOGRAPHIC_BREAKDOWNS,
    value_shape: ValueShape::BreakdownOnly,
    additivity: Additivity::Snapshot,
    history: HistoryLimit::NoRange,
    caveats: &[Caveat::NeedsTimeframe],
    ..ACCOUNT_DAY_TOTAL
};

const fn replaced_by(metric: &'static str) -> Option<Lineage> {
    Some(Lineage {
        metric,
        breakdown_value: None,
        kind: LineageKind::Replaced,
    })
}

const fn renamed_to(metric: &'static str) -> Option<Lineage> {
    Some(Lineage {
        metric,
        breakdown_value: None,
        kind: LineageKind::Renamed,
    })
}

const fn became_breakdown_value(
    metric: &'static str,
    breakdown: &'static str,
    value: &'static str,
    kind: LineageKind,
) -> Option<Lineage> {
    Some(Lineage {
        metric,
        breakdown_value: Some(BreakdownValue { breakdown, value }),
        kind,
    })
}

const fn contact_tap(value: &'static str) -> Option<Lineage> {
    became_breakdown_value(
        "profile_links_taps",
        "contact_button_type",
        value,
        LineageKind::Replaced,
    )
}

/// Every metric igpub knows, account metrics first (graph-api.md §4.1), then media (§4.2).
pub(crate) const METRICS: &[MetricDef] = &[
    // ---- account, graph-api.md §4.1 ----
    MetricDef {
        name: "reach",
        // §4.1 sweep: time_series accepts day, week, days_28; total_value takes day.
        shapes: &[
            Shape {
                metric_type: Some(MetricType::TimeSeries),
                periods: &[Period::Day, Period::Week, Period::Days28],
                availability: Availability::ALWAYS,
            },
            Shape {
                metric_type: Some(MetricType::TotalValue),
                periods: &[Period::Day],
                availability: Availability::ALWAYS,
            },
        ],
        breakdowns: &["media_product_type", "follow_type"],
        additivity: Additivity::UniqueCount,
        caveats: &[Caveat::Estimated],
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "follower_count",
        // §4.1 sweep: day time_series only; values are daily net new followers.
        shapes: DAY_SERIES,
        history: HistoryLimit::LastDaysExcludingToday(30),
        caveats: &[Caveat::NeedsFollowers { at_least: 100 }],
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "online_followers",
        shapes: &[Shape {
            metric_type: Some(MetricType::TimeSeries),
            periods: &[Period::Lifetime],
            availability: Availability::ALWAYS,
        }],
        value_shape: ValueShape::HourlyMap,
        additivity: Additivity::Snapshot,
        history: HistoryLimit::LastDays(30),
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "accounts_engaged",
        additivity: Additivity::UniqueCount,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "total_interactions",
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "likes",
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "comments",
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "saves",
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        // Media call the same count `saved` (§4.2); accept either name everywhere.
        aliases: &["saved"],
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "shares",
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "replies",
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "reposts",
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "follows_and_unfollows",
        breakdowns: &["follow_type"],
        caveats: &[
            Caveat::NeedsFollowers { at_least: 100 },
            Caveat::NoTotalWithoutBreakdown,
        ],
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "profile_links_taps",
        breakdowns: &["contact_button_type"],
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "views",
        availability: Availability {
            introduced: Some(V22_CHANGE),
            removed: None,
        },
        // §4.1: the doc lists follower_type, but the API rejects follow_type for views.
        breakdowns: BY_MEDIA_PRODUCT_TYPE,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "profile_views",
        shapes: TOTAL_NOW_SERIES_BEFORE_V21,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "website_clicks",
        shapes: TOTAL_NOW_SERIES_BEFORE_V21,
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "engaged_audience_demographics",
        caveats: &[
            Caveat::NeedsTimeframe,
            Caveat::NeedsEngagements { at_least: 100 },
        ],
        ..DEMOGRAPHICS
    },
    MetricDef {
        name: "follower_demographics",
        caveats: &[
            Caveat::NeedsTimeframe,
            Caveat::NeedsFollowers { at_least: 100 },
        ],
        ..DEMOGRAPHICS
    },
    MetricDef {
        name: "reached_audience_demographics",
        ..DEMOGRAPHICS
    },
    MetricDef {
        name: "impressions",
        availability: RETIRED_IN_V22,
        shapes: &[
            Shape {
                metric_type: Some(MetricType::TimeSeries),
                periods: &[Period::Day, Period::Week, Period::Days28],
                availability: Availability::ALWAYS,
            },
            Shape {
                metric_type: Some(MetricType::TotalValue),
                periods: &[Period::Day],
                availability: Availability::ALWAYS,
            },
        ],
        // views also counts repeat views, so the series changes level at the switch.
        successor: replaced_by("views"),
        ..ACCOUNT_DAY_TOTAL
    },
    // §1: these time series went in v21 with no total_value left; their taps live on as
    // profile_links_taps by contact_button_type (§4.1 breakdown values).
    MetricDef {
        name: "email_contacts",
        availability: RETIRED_IN_V21,
        shapes: DAY_SERIES,
        successor: contact_tap("EMAIL"),
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "get_direction_clicks",
        availability: RETIRED_IN_V21,
        shapes: DAY_SERIES,
        successor: contact_tap("DIRECTION"),
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "text_message_clicks",
        availability: RETIRED_IN_V21,
        shapes: DAY_SERIES,
        successor: contact_tap("TEXT"),
        ..ACCOUNT_DAY_TOTAL
    },
    MetricDef {
        name: "phone_call_clicks",
        availability: RETIRED_IN_V21,
        shapes: DAY_SERIES,
        successor: contact_tap("CALL"),
        ..ACCOUNT_DAY_TOTAL
    },
    // ---- media, graph-api.md §4.2 ----
    MetricDef {
        name: "comments",
        surfaces: FEED_AND_REELS,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "likes",
        surfaces: FEED_AND_REELS,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "saved",
        surfaces: FEED_AND_REELS,
        aliases: &["saves"],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "shares",
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "reach",
        additivity: Additivity::UniqueCount,
        caveats: &[Caveat::Estimated],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "views",
        availability: Availability {
            introduced: Some(V22_CHANGE),
            removed: None,
        },
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "total_interactions",
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "reposts",
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "follows",
        surfaces: FEED_AND_STORY,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "profile_visits",
        surfaces: FEED_AND_STORY,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "profile_activity",
        surfaces: FEED_AND_STORY,
        breakdowns: &["action_type"],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "navigation",
        surfaces: &[Story],
        breakdowns: &["story_navigation_action_type"],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "replies",
        surfaces: &[Story],
        caveats: &[Caveat::ZeroInEuAndJapan],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "link_clicks",
        surfaces: &[Story],
        // §1: "2026-06-22 link_clicks story metric", not tied to a version.
        availability: Availability {
            introduced: Some(Change::all_versions_on(date(2026, 6, 22))),
            removed: None,
        },
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "ig_reels_avg_watch_time",
        surfaces: &[Reels],
        value_shape: ValueShape::Milliseconds,
        additivity: Additivity::Snapshot,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "ig_reels_video_view_total_time",
        surfaces: &[Reels],
        value_shape: ValueShape::Milliseconds,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "reels_skip_rate",
        surfaces: &[Reels],
        value_shape: ValueShape::Percentage,
        additivity: Additivity::Snapshot,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "crossposted_views",
        surfaces: &[Reels],
        caveats: &[Caveat::OnlyWhenSharedToFacebook],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "facebook_views",
        caveats: &[Caveat::OnlyWhenSharedToFacebook],
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "total_comments",
        surfaces: FEED_AND_REELS,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "total_likes",
        surfaces: FEED_AND_REELS,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "total_views",
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "impressions",
        surfaces: FEED_AND_STORY,
        availability: RETIRED_IN_V22,
        caveats: &[Caveat::OnlyMediaCreatedBefore {
            day: date(2024, 7, 2),
        }],
        successor: replaced_by("views"),
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "video_views",
        surfaces: FEED_AND_REELS,
        availability: RETIRED_IN_V21,
        successor: replaced_by("views"),
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "plays",
        surfaces: &[Reels],
        availability: RETIRED_IN_V22,
        // Meta relabelled reel plays as views.
        successor: renamed_to("views"),
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "clips_replays_count",
        surfaces: &[Reels],
        availability: RETIRED_IN_V22,
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "ig_reels_aggregated_all_plays_count",
        surfaces: &[Reels],
        availability: RETIRED_IN_V22,
        ..MEDIA_COUNT
    },
    // The story_insights webhook still sends these names (graph-api.md §8.2); the API
    // answers them as navigation breakdown values, in lower case (§4.2).
    MetricDef {
        name: "taps_forward",
        surfaces: &[Story],
        availability: RETIRED_IN_2023,
        successor: became_breakdown_value(
            "navigation",
            "story_navigation_action_type",
            "tap_forward",
            LineageKind::Renamed,
        ),
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "taps_back",
        surfaces: &[Story],
        availability: RETIRED_IN_2023,
        successor: became_breakdown_value(
            "navigation",
            "story_navigation_action_type",
            "tap_back",
            LineageKind::Renamed,
        ),
        ..MEDIA_COUNT
    },
    MetricDef {
        name: "exits",
        surfaces: &[Story],
        availability: RETIRED_IN_2023,
        // Exits by swipe may count as swipe_forward now, so tap_exit is only the nearest.
        successor: became_breakdown_value(
            "navigation",
            "story_navigation_action_type",
            "tap_exit",
            LineageKind::Replaced,
        ),
        ..MEDIA_COUNT
    },
];
