//! What insights are asked about: the account, or one media item by the surface it lives on.

use std::fmt;

/// A media item as the insights endpoint sees it (graph-api.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaKind {
    /// An image or video in the feed (`media_product_type=FEED`).
    Feed,
    /// A carousel in the feed: it has FEED's metrics.
    CarouselAlbum,
    /// A reel (`media_product_type=REELS`).
    Reels,
    /// A story (`media_product_type=STORY`); its insights last 24 h unless highlighted.
    Story,
    /// An item inside a carousel: Meta keeps no insights for it (graph-api.md §4.2,
    /// "no insights for carousel children").
    CarouselChild,
}

impl MediaKind {
    /// Reads Meta's `media_product_type` and `media_type` fields of a media object
    /// (graph-api.md §3.3); `None` when the product type is one igpub does not report on
    /// (e.g. `AD`).
    pub fn from_graph_fields(media_product_type: &str, media_type: &str) -> Option<Self> {
        match (media_product_type, media_type) {
            ("FEED", "CAROUSEL_ALBUM") => Some(Self::CarouselAlbum),
            ("FEED", _) => Some(Self::Feed),
            ("REELS", _) => Some(Self::Reels),
            ("STORY", _) => Some(Self::Story),
            _ => None,
        }
    }

    /// The metric set Meta serves for this kind; `None` when it serves none.
    pub fn surface(self) -> Option<Surface> {
        match self {
            Self::Feed | Self::CarouselAlbum => Some(Surface::Feed),
            Self::Reels => Some(Surface::Reels),
            Self::Story => Some(Surface::Story),
            Self::CarouselChild => None,
        }
    }

    /// The name Meta and igpub's reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feed => "FEED",
            Self::CarouselAlbum => "CAROUSEL_ALBUM",
            Self::Reels => "REELS",
            Self::Story => "STORY",
            Self::CarouselChild => "CAROUSEL_CHILD",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of metrics Meta defines together: the account's, or one media product type's
/// (graph-api.md §4.1 and the columns of the §4.2 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// `GET /{ig-user-id}/insights`.
    Account,
    /// FEED media, carousels included.
    Feed,
    /// REELS media.
    Reels,
    /// STORY media.
    Story,
}

/// The object an insights request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsightsObject {
    /// The Instagram professional account.
    Account,
    /// One media item.
    Media(MediaKind),
}

impl InsightsObject {
    /// The metric set that applies, `None` for objects without insights.
    pub fn surface(self) -> Option<Surface> {
        match self {
            Self::Account => Some(Surface::Account),
            Self::Media(kind) => kind.surface(),
        }
    }
}

impl From<MediaKind> for InsightsObject {
    fn from(kind: MediaKind) -> Self {
        Self::Media(kind)
    }
}

impl serde::Serialize for InsightsObject {
    /// `"ACCOUNT"`, or the media kind (`"REELS"`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Account => serializer.serialize_str("ACCOUNT"),
            Self::Media(kind) => serializer.serialize_str(kind.as_str()),
        }
    }
}

impl fmt::Display for InsightsObject {
    /// Reads well inside a sentence: "for an account", "for a REELS media".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account => f.write_str("an account"),
            Self::Media(MediaKind::CarouselChild) => f.write_str("a carousel child media"),
            Self::Media(kind) => write!(f, "a {kind} media"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carousel_album_has_feed_metrics_and_its_children_have_none() {
        assert_eq!(
            MediaKind::from_graph_fields("FEED", "CAROUSEL_ALBUM"),
            Some(MediaKind::CarouselAlbum)
        );
        assert_eq!(MediaKind::CarouselAlbum.surface(), Some(Surface::Feed));
        assert_eq!(MediaKind::CarouselChild.surface(), None);
        assert_eq!(MediaKind::from_graph_fields("AD", "IMAGE"), None);
    }
}
