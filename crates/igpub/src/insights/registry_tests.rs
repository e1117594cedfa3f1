//! Tests of the registry and of the consistency of its data table.

use jiff::civil::{Date, date};

use super::definition::LineageKind;
use super::object::{InsightsObject, MediaKind, Surface};
use super::registry::{Registry, UnknownReason, Via};
use super::version::GraphVersion;
use super::vocabulary::{MetricType, Period};

const TODAY: Date = date(2026, 11, 29);
/// Between the v22 release and the day its changes reached every version.
const EARLY_2025: Date = date(2025, 3, 1);
const REELS: InsightsObject = InsightsObject::Media(MediaKind::Reels);
const STORY: InsightsObject = InsightsObject::Media(MediaKind::Story);
const FEED: InsightsObject = InsightsObject::Media(MediaKind::Feed);
const ALL_SURFACES: [Surface; 4] = [
    Surface::Account,
    Surface::Feed,
    Surface::Reels,
    Surface::Story,
];

fn registry() -> Registry {
    Registry::standard()
}

#[test]
fn every_entry_of_the_table_is_complete() {
    for def in registry().definitions() {
        assert!(!def.name.is_empty(), "an entry has no name");
        assert!(!def.surfaces.is_empty(), "{} has no surface", def.name);
        assert!(!def.shapes.is_empty(), "{} has no shape", def.name);
        for shape in def.shapes {
            assert!(
                !shape.periods.is_empty(),
                "{} has a shape without periods",
                def.name
            );
        }
    }
}

#[test]
fn no_name_or_alias_is_claimed_twice_on_a_surface() {
    for surface in ALL_SURFACES {
        let mut seen = Vec::new();
        for def in registry().definitions() {
            if !def.surfaces.contains(&surface) {
                continue;
            }
            for name in std::iter::once(&def.name).chain(def.aliases) {
                assert!(!seen.contains(name), "`{name}` twice on {surface:?}");
                seen.push(*name);
            }
        }
    }
}

#[test]
fn every_successor_exists_where_its_predecessor_does_and_accepts_the_breakdown() {
    let registry = registry();
    for def in registry.definitions() {
        let Some(lineage) = def.successor else {
            continue;
        };
        for surface in def.surfaces {
            let successor = registry
                .definitions()
                .iter()
                .find(|d| d.name == lineage.metric && d.surfaces.contains(surface));
            let Some(successor) = successor else {
                panic!(
                    "{}'s successor {} is missing on {surface:?}",
                    def.name, lineage.metric
                );
            };
            if let Some(bv) = lineage.breakdown_value {
                assert!(
                    successor.breakdowns.contains(&bv.breakdown),
                    "{} does not accept breakdown {}",
                    successor.name,
                    bv.breakdown
                );
            }
            assert!(
                registry.current_name(*surface, def.name).is_some(),
                "{}'s lineage does not end",
                def.name
            );
        }
    }
}

#[test]
fn impressions_is_served_by_views_on_v25() {
    let resolved = registry()
        .resolve(
            InsightsObject::Account,
            GraphVersion::V25,
            "impressions",
            TODAY,
        )
        .expect("impressions resolves through its lineage");
    assert_eq!(resolved.asked, "impressions");
    assert_eq!(resolved.served_by, "views");
    assert!(matches!(
        resolved.via,
        Some(Via::Successor {
            kind: LineageKind::Replaced,
            ..
        })
    ));
    assert_eq!(resolved.metric_type(), Some(MetricType::TotalValue));
    assert_eq!(
        resolved.note().as_deref(),
        Some(
            "`impressions` was retired in v22.0, and for all versions since 2025-04-21; \
             served by `views`, which counts differently, so the series changes level here"
        )
    );
}

#[test]
fn impressions_serves_itself_on_v21_before_the_all_versions_date() {
    let resolved = registry()
        .resolve(
            InsightsObject::Account,
            GraphVersion::V21,
            "impressions",
            EARLY_2025,
        )
        .expect("impressions still exists on v21 in early 2025");
    assert_eq!(resolved.served_by, "impressions");
    assert_eq!(resolved.via, None);
}

#[test]
fn views_is_served_by_its_predecessor_where_it_does_not_exist_yet() {
    let registry = registry();
    let on_v21 = registry
        .resolve(
            InsightsObject::Account,
            GraphVersion::V21,
            "views",
            EARLY_2025,
        )
        .expect("views resolves to impressions on v21");
    assert_eq!(on_v21.served_by, "impressions");
    assert!(matches!(on_v21.via, Some(Via::Predecessor { .. })));

    let reels = registry
        .resolve(REELS, GraphVersion::V21, "views", EARLY_2025)
        .expect("reel views were plays");
    assert_eq!(reels.served_by, "plays");

    let after = registry
        .resolve(InsightsObject::Account, GraphVersion::V21, "views", TODAY)
        .expect("views reached every version on 2025-04-21");
    assert_eq!(after.served_by, "views");
}

#[test]
fn plays_was_renamed_views_on_reels() {
    let resolved = registry()
        .resolve(REELS, GraphVersion::V25, "plays", TODAY)
        .expect("plays resolves");
    assert_eq!(resolved.served_by, "views");
    assert!(matches!(
        resolved.via,
        Some(Via::Successor {
            kind: LineageKind::Renamed,
            ..
        })
    ));
}

#[test]
fn saves_and_saved_name_the_same_metric_on_media_and_account() {
    let registry = registry();
    let media = registry
        .resolve(FEED, GraphVersion::V25, "saves", TODAY)
        .expect("media accept saves");
    assert_eq!((media.served_by, media.via), ("saved", Some(Via::Alias)));
    let account = registry
        .resolve(InsightsObject::Account, GraphVersion::V25, "saved", TODAY)
        .expect("the account accepts saved");
    assert_eq!(account.served_by, "saves");
}

#[test]
fn unknown_metric_error_lists_the_valid_metrics_for_the_object_and_version() {
    let err = registry()
        .resolve(REELS, GraphVersion::V25, "navigation", TODAY)
        .expect_err("reels have no navigation");
    assert_eq!(
        err.to_string(),
        "unknown metric `navigation` for a REELS media on v25.0 (it exists for STORY media); \
         valid metrics: comments, crossposted_views, facebook_views, ig_reels_avg_watch_time, \
         ig_reels_video_view_total_time, likes, reach, reels_skip_rate, reposts, saved, shares, \
         total_comments, total_interactions, total_likes, total_views, views"
    );
}

#[test]
fn a_metric_retired_without_successor_is_unknown_and_says_when_it_went() {
    let err = registry()
        .resolve(REELS, GraphVersion::V25, "clips_replays_count", TODAY)
        .expect_err("retired");
    assert!(matches!(err.reason, UnknownReason::Retired { .. }));
    assert!(
        err.to_string().starts_with(
            "unknown metric `clips_replays_count` for a REELS media on v25.0 \
             (retired in v22.0, and for all versions since 2025-04-21); valid metrics: comments,"
        ),
        "{err}"
    );
}

#[test]
fn a_name_meta_never_had_is_unknown_and_shortened_when_echoed() {
    let long = "x".repeat(500);
    let err = registry()
        .resolve(InsightsObject::Account, GraphVersion::V25, &long, TODAY)
        .expect_err("not a metric");
    assert_eq!(err.reason, UnknownReason::NotAMetric);
    assert_eq!(err.asked.len(), 64);
    assert!(err.valid.contains(&"follower_count"));
}

#[test]
fn carousel_children_have_no_metrics() {
    let child = InsightsObject::Media(MediaKind::CarouselChild);
    let registry = registry();
    assert!(
        registry
            .valid_metrics(child, GraphVersion::V25, TODAY)
            .is_empty()
    );
    let err = registry
        .resolve(child, GraphVersion::V25, "reach", TODAY)
        .expect_err("children have no insights");
    assert!(
        err.to_string()
            .ends_with("(Meta keeps no insights for carousel children); valid metrics: none")
    );
}

#[test]
fn a_carousel_album_has_the_feed_metrics() {
    let registry = registry();
    let album = InsightsObject::Media(MediaKind::CarouselAlbum);
    assert_eq!(
        registry.valid_metrics(album, GraphVersion::V25, TODAY),
        registry.valid_metrics(FEED, GraphVersion::V25, TODAY)
    );
}

#[test]
fn valid_metrics_follow_the_version_and_the_day() {
    let registry = registry();
    let account = InsightsObject::Account;
    let v21_early = registry.valid_metrics(account, GraphVersion::V21, EARLY_2025);
    assert!(v21_early.contains(&"impressions"));
    assert!(!v21_early.contains(&"views"));
    assert!(
        !v21_early.contains(&"email_contacts"),
        "gone from all versions on 2025-01-08"
    );
    let v20_2024 = registry.valid_metrics(account, GraphVersion::V20, date(2024, 12, 1));
    assert!(v20_2024.contains(&"email_contacts"));
    let v25 = registry.valid_metrics(account, GraphVersion::V25, TODAY);
    assert!(v25.contains(&"views"));
    assert!(!v25.contains(&"impressions"));
}

#[test]
fn link_clicks_arrives_for_all_versions_on_its_launch_day() {
    let registry = registry();
    let before = registry
        .resolve(STORY, GraphVersion::V25, "link_clicks", date(2026, 6, 21))
        .expect_err("not yet");
    assert!(matches!(
        before.reason,
        UnknownReason::NotYetAvailable { .. }
    ));
    assert!(
        registry
            .resolve(STORY, GraphVersion::V19, "link_clicks", date(2026, 6, 22))
            .is_ok()
    );
}

#[test]
fn profile_views_lost_its_time_series_in_v21() {
    let registry = registry();
    let old = registry
        .resolve(
            InsightsObject::Account,
            GraphVersion::V20,
            "profile_views",
            date(2024, 12, 1),
        )
        .expect("exists");
    assert_eq!(old.shapes.len(), 2);
    let new = registry
        .resolve(
            InsightsObject::Account,
            GraphVersion::V25,
            "profile_views",
            TODAY,
        )
        .expect("exists");
    assert_eq!(new.shapes.len(), 1);
    assert_eq!(new.metric_type(), Some(MetricType::TotalValue));
    assert_eq!(new.period(), Period::Day);
}

#[test]
fn legacy_story_taps_are_served_by_a_navigation_breakdown_value() {
    let resolved = registry()
        .resolve(STORY, GraphVersion::V25, "taps_forward", TODAY)
        .expect("taps_forward lives on in navigation");
    assert_eq!(resolved.served_by, "navigation");
    let bv = resolved.breakdown_value.expect("a breakdown value");
    assert_eq!(
        (bv.breakdown, bv.value),
        ("story_navigation_action_type", "tap_forward")
    );
}

#[test]
fn retired_contact_clicks_map_to_profile_links_taps() {
    let resolved = registry()
        .resolve(
            InsightsObject::Account,
            GraphVersion::V25,
            "email_contacts",
            TODAY,
        )
        .expect("email_contacts lives on in profile_links_taps");
    assert_eq!(resolved.served_by, "profile_links_taps");
    assert_eq!(resolved.breakdown_value.map(|b| b.value), Some("EMAIL"));
}

#[test]
fn reach_prefers_the_daily_time_series() {
    let reach = registry()
        .resolve(InsightsObject::Account, GraphVersion::V25, "reach", TODAY)
        .expect("reach exists");
    assert_eq!(reach.metric_type(), Some(MetricType::TimeSeries));
    assert_eq!(reach.period(), Period::Day);
    let media = registry()
        .resolve(REELS, GraphVersion::V25, "reach", TODAY)
        .expect("reach exists");
    assert_eq!(
        (media.metric_type(), media.period()),
        (None, Period::Lifetime)
    );
}

#[test]
fn stored_series_follow_lineage_and_aliases() {
    let registry = registry();
    assert_eq!(
        registry.series_name(Surface::Account, "impressions"),
        "views"
    );
    assert_eq!(registry.series_name(Surface::Account, "saved"), "saves");
    assert_eq!(registry.series_name(Surface::Reels, "plays"), "views");
    assert_eq!(registry.series_name(Surface::Feed, "saves"), "saved");
    assert_eq!(
        registry.series_name(Surface::Story, "taps_forward"),
        "taps_forward"
    );
    assert_eq!(registry.series_name(Surface::Story, "no_such"), "no_such");
}
