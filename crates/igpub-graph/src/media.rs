//! Reading published media: one object, the account's recent media as a stream, and comments
//! (graph-api.md §3.3, §3.4).

use futures::Stream;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::client::AuthedClient;
use crate::error::GraphError;
use crate::ids::{CommentId, IgUserId, MediaId};
use crate::meta_enum::meta_enum;
use crate::request::GraphRequest;

meta_enum! {
    /// `media_type` of a published IG Media.
    MediaType {
        /// A photo.
        Image => "IMAGE",
        /// A video (reels read back as VIDEO, §2.4).
        Video => "VIDEO",
        /// A carousel.
        CarouselAlbum => "CAROUSEL_ALBUM",
    }
}

meta_enum! {
    /// `media_product_type` of a published IG Media.
    MediaProductType {
        /// Feed post.
        Feed => "FEED",
        /// Reel.
        Reels => "REELS",
        /// Story.
        Story => "STORY",
        /// Ad.
        Ad => "AD",
    }
}

/// An IG Media object. Every field but `id` is optional: Meta omits what was not asked for,
/// what does not apply, and what the owner hid.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Media {
    /// The media id.
    pub id: MediaId,
    /// `media_type`.
    #[serde(default)]
    pub media_type: Option<MediaType>,
    /// `media_product_type`.
    #[serde(default)]
    pub media_product_type: Option<MediaProductType>,
    /// `permalink` (`/p/`, `/reel/` or `/stories/` URL).
    #[serde(default)]
    pub permalink: Option<String>,
    /// `shortcode`.
    #[serde(default)]
    pub shortcode: Option<String>,
    /// `timestamp` of publication.
    #[serde(default, with = "crate::time::option_meta_timestamp")]
    pub timestamp: Option<Timestamp>,
    /// `caption`.
    #[serde(default)]
    pub caption: Option<String>,
    /// `media_url` (omitted for flagged or copyrighted media).
    #[serde(default)]
    pub media_url: Option<String>,
    /// `thumbnail_url` (videos).
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// `username` of the owner.
    #[serde(default)]
    pub username: Option<String>,
    /// `like_count` (omitted when the owner hides likes).
    #[serde(default)]
    pub like_count: Option<u64>,
    /// `comments_count`.
    #[serde(default)]
    pub comments_count: Option<u64>,
}

/// The fields asked for when reading a media object.
pub const MEDIA_FIELDS: &str = "id,media_type,media_product_type,permalink,shortcode,timestamp,caption,media_url,thumbnail_url,username,like_count,comments_count";

/// `GET /{media-id}?fields=…`.
pub fn media_request(media_id: &MediaId) -> GraphRequest {
    GraphRequest::get(&[media_id.as_str()]).param("fields", MEDIA_FIELDS)
}

/// Filters and page size for listing an account's media.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaListQuery {
    /// Page size (`limit`).
    pub limit: Option<u32>,
    /// Only media published at or after this instant (`since`).
    pub since: Option<Timestamp>,
    /// Only media published at or before this instant (`until`).
    pub until: Option<Timestamp>,
}

/// `GET /{ig-user-id}/media?fields=…&limit=&since=&until=`.
pub fn media_list_request(ig_user_id: &IgUserId, query: &MediaListQuery) -> GraphRequest {
    GraphRequest::get(&[ig_user_id.as_str(), "media"])
        .param("fields", MEDIA_FIELDS)
        .param_opt("limit", query.limit.map(|limit| limit.to_string()))
        .param_opt("since", query.since.map(|t| t.as_second().to_string()))
        .param_opt("until", query.until.map(|t| t.as_second().to_string()))
}

/// `POST /{media-id}/comments?message=…`.
pub fn post_comment_request(media_id: &MediaId, message: &str) -> GraphRequest {
    GraphRequest::post(&[media_id.as_str(), "comments"]).param("message", message)
}

#[derive(Deserialize)]
pub(crate) struct IdOnly<T> {
    pub(crate) id: T,
}

/// Longest comment Instagram accepts.
pub const MAX_COMMENT_CHARS: usize = 2200;

impl AuthedClient {
    /// Reads one media object's fields (permalink, type, timestamp, caption, shortcode, …).
    pub async fn media(&self, media_id: &MediaId) -> Result<Media, GraphError> {
        self.send_json(&media_request(media_id)).await
    }

    /// The account's media, newest first, page after page (cursor paging, §3.4).
    pub fn recent_media(
        &self,
        ig_user_id: &IgUserId,
        query: &MediaListQuery,
    ) -> impl Stream<Item = Result<Media, GraphError>> + Send + 'static {
        crate::paging::paged(self.clone(), media_list_request(ig_user_id, query))
    }

    /// Posts a comment on a media object (the publisher's first comment) and returns its id.
    pub async fn post_comment(
        &self,
        media_id: &MediaId,
        message: &str,
    ) -> Result<CommentId, GraphError> {
        if message.trim().is_empty() {
            return Err(GraphError::invalid_input("message", "must not be empty"));
        }
        if message.chars().count() > MAX_COMMENT_CHARS {
            return Err(GraphError::invalid_input(
                "message",
                format!("at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        let created: IdOnly<CommentId> = self
            .send_json(&post_comment_request(media_id, message))
            .await?;
        Ok(created.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_carousel_media_decodes_and_ignores_unknown_fields() {
        // Real sample, graph-api.md §3.3 ([PYFB] models/ig_media.json), trimmed.
        let body = r#"{"id":"17896129349106152","media_type":"CAROUSEL_ALBUM","timestamp":"2021-07-26T10:45:20+0000",
          "caption":"ALBUM","comments_count":0,"is_comment_enabled":true,"like_count":1,
          "media_url":"https://scontent-gmp1-1.cdninstagram.com/v/t51.29350-15/x.jpg",
          "owner":{"id":"17841406338772941"},"permalink":"https://www.instagram.com/p/CRyZpmrjYC4/",
          "shortcode":"CRyZpmrjYC4","username":"ikroskun",
          "children":{"data":[{"id":"17889214265226770","media_type":"IMAGE"}]}}"#;
        let media: Result<Media, _> = serde_json::from_str(body);
        let media = media.map_err(|e| e.to_string());
        let Ok(media) = media else {
            panic!("{media:?}")
        };
        assert_eq!(media.media_type, Some(MediaType::CarouselAlbum));
        assert_eq!(media.shortcode.as_deref(), Some("CRyZpmrjYC4"));
        assert_eq!(media.timestamp.map(|t| t.as_second()), Some(1_627_296_320));
        assert_eq!(media.like_count, Some(1));
    }

    #[test]
    fn list_request_carries_limit_and_unix_time_bounds() {
        let query = MediaListQuery {
            limit: Some(5),
            since: Some(Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)),
            until: None,
        };
        let request = media_list_request(&IgUserId::new("1"), &query);
        assert_eq!(request.path, "1/media");
        assert_eq!(request.param_value("limit"), Some("5"));
        assert_eq!(request.param_value("since"), Some("1700000000"));
        assert_eq!(request.param_value("until"), None);
    }
}
