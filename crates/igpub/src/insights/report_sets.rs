//! The platform's default report sets: the account's daily table and each post's lifetime
//! metrics, with the metric that serves each column on a given version.

use jiff::civil::Date;
use serde::Serialize;

use super::object::{InsightsObject, MediaKind};
use super::plan::MetricRequest;
use super::registry::{Registry, ResolvedMetric};
use super::version::GraphVersion;

/// The columns of the per-account daily table (issue #7, "Reports"); follower_count is the
/// daily net new followers (graph-api.md §4.1 sweep).
pub const ACCOUNT_DAILY_COLUMNS: [&str; 10] = [
    "reach",
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "saves",
    "shares",
    "profile_views",
    "follower_count",
];

/// The lifetime metrics of a feed post or carousel (graph-api.md §4.2, FEED column).
pub const FEED_POST_COLUMNS: [&str; 9] = [
    "reach",
    "views",
    "likes",
    "comments",
    "saves",
    "shares",
    "total_interactions",
    "profile_visits",
    "follows",
];

/// The lifetime metrics of a reel (graph-api.md §4.2, REELS column).
pub const REEL_COLUMNS: [&str; 9] = [
    "reach",
    "views",
    "likes",
    "comments",
    "saves",
    "shares",
    "total_interactions",
    "ig_reels_avg_watch_time",
    "ig_reels_video_view_total_time",
];

/// The lifetime metrics of a story (graph-api.md §4.2, STORY column).
pub const STORY_COLUMNS: [&str; 8] = [
    "reach",
    "views",
    "replies",
    "shares",
    "total_interactions",
    "profile_visits",
    "follows",
    "navigation",
];

/// A report column and the metric that fills it on one version and day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnSource {
    /// The column's name, stable across versions.
    pub column: &'static str,
    /// The metric asked of Meta, or `None` when nothing serves the column here.
    pub source: Option<ResolvedMetric>,
    /// Why the number comes from another metric, or why there is none.
    pub note: Option<String>,
}

impl ColumnSource {
    /// The metric requests that fill the columns that have a source, for the planner.
    pub fn requests(columns: &[Self]) -> Vec<MetricRequest> {
        columns
            .iter()
            .filter(|c| c.source.is_some())
            .map(|c| MetricRequest::new(c.column))
            .collect()
    }
}

impl Registry {
    /// Which metric serves each column of the account's daily table; on v21 before
    /// 2025-04-21 the "views" column is served by `impressions`, with a note.
    pub fn account_daily_columns(&self, version: GraphVersion, today: Date) -> Vec<ColumnSource> {
        self.column_sources(
            InsightsObject::Account,
            &ACCOUNT_DAILY_COLUMNS,
            version,
            today,
        )
    }

    /// Which metric serves each lifetime column of a post of `kind`; none for carousel
    /// children, which have no insights.
    pub fn post_lifetime_columns(
        &self,
        kind: MediaKind,
        version: GraphVersion,
        today: Date,
    ) -> Vec<ColumnSource> {
        let columns: &[&'static str] = match kind {
            MediaKind::Feed | MediaKind::CarouselAlbum => &FEED_POST_COLUMNS,
            MediaKind::Reels => &REEL_COLUMNS,
            MediaKind::Story => &STORY_COLUMNS,
            MediaKind::CarouselChild => &[],
        };
        self.column_sources(InsightsObject::Media(kind), columns, version, today)
    }

    fn column_sources(
        &self,
        object: InsightsObject,
        columns: &[&'static str],
        version: GraphVersion,
        today: Date,
    ) -> Vec<ColumnSource> {
        columns
            .iter()
            .map(
                |column| match self.resolve(object, version, column, today) {
                    Ok(resolved) => ColumnSource {
                        column,
                        note: resolved.note(),
                        source: Some(resolved),
                    },
                    Err(unknown) => ColumnSource {
                        column,
                        source: None,
                        note: Some(unknown.to_string()),
                    },
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn served(columns: &[ColumnSource]) -> Vec<(&str, Option<&str>)> {
        columns
            .iter()
            .map(|c| (c.column, c.source.as_ref().map(|s| s.served_by)))
            .collect()
    }

    #[test]
    fn the_daily_table_on_v21_in_early_2025_takes_views_from_impressions() {
        let columns =
            Registry::standard().account_daily_columns(GraphVersion::V21, date(2025, 3, 1));
        let views = columns
            .iter()
            .find(|c| c.column == "views")
            .expect("a views column");
        assert_eq!(
            views.source.as_ref().map(|s| s.served_by),
            Some("impressions")
        );
        assert!(
            views
                .note
                .as_deref()
                .is_some_and(|n| n.contains("predecessor `impressions`"))
        );
    }

    #[test]
    fn every_daily_column_is_served_by_itself_on_v25() {
        let columns =
            Registry::standard().account_daily_columns(GraphVersion::V25, date(2026, 11, 29));
        let expected: Vec<_> = ACCOUNT_DAILY_COLUMNS
            .iter()
            .map(|c| (*c, Some(*c)))
            .collect();
        assert_eq!(served(&columns), expected);
        assert!(columns.iter().all(|c| c.note.is_none()));
    }

    #[test]
    fn post_columns_name_saves_but_ask_media_for_saved() {
        let columns = Registry::standard().post_lifetime_columns(
            MediaKind::Reels,
            GraphVersion::V25,
            date(2026, 11, 29),
        );
        let saves = columns
            .iter()
            .find(|c| c.column == "saves")
            .expect("a saves column");
        assert_eq!(saves.source.as_ref().map(|s| s.served_by), Some("saved"));
        assert!(columns.iter().all(|c| c.source.is_some()));
    }

    #[test]
    fn every_post_column_is_served_for_every_kind_on_v25() {
        for kind in [
            MediaKind::Feed,
            MediaKind::CarouselAlbum,
            MediaKind::Reels,
            MediaKind::Story,
        ] {
            let columns = Registry::standard().post_lifetime_columns(
                kind,
                GraphVersion::V25,
                date(2026, 11, 29),
            );
            assert!(!columns.is_empty());
            for column in &columns {
                assert!(column.source.is_some(), "{kind}: {:?}", column.note);
            }
        }
        assert!(
            Registry::standard()
                .post_lifetime_columns(
                    MediaKind::CarouselChild,
                    GraphVersion::V25,
                    date(2026, 11, 29)
                )
                .is_empty()
        );
    }
}
