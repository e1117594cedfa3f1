//! The composer's fields as the browser sends them, and their translation into the post JSON
//! every other door uses ([`crate::domain::PostInput`]): the dashboard checks nothing itself,
//! so its rules can never drift from the API's.
//!
//! Media rows repeat `media_url`, `media_type` and `media_alt` once per row, in the order the
//! person arranged them; each row always sends all three, so they pair up by position.

use serde_json::{Map, Value, json};

use crate::domain::{PostInput, PublishAtInput};
use crate::media::preflight::{MediaCheckRequest, MediaRole};

/// When the post goes out, as the schedule radio buttons say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum When {
    /// As soon as possible.
    #[default]
    Now,
    /// At a wall-clock time in a time zone.
    Schedule,
    /// Kept as a draft: containers are made, nothing is published until asked.
    Draft,
}

impl When {
    /// The radio button's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Now => "now",
            Self::Schedule => "schedule",
            Self::Draft => "draft",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "schedule" => Self::Schedule,
            "draft" => Self::Draft,
            _ => Self::Now,
        }
    }
}

/// One media row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaRow {
    /// The file's public URL.
    pub url: String,
    /// `image`, `video`, or empty for "tell from the URL".
    pub media_type: String,
    /// Alt text (images in the feed and in carousels).
    pub alt_text: String,
}

impl MediaRow {
    fn is_blank(&self) -> bool {
        self.url.trim().is_empty() && self.alt_text.trim().is_empty()
    }

    /// Whether the preview should be an `<img>` (a URL that is not a known video).
    pub fn looks_like_image(&self) -> bool {
        let url = self.url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return false;
        }
        match self.media_type.as_str() {
            "video" => false,
            "image" => true,
            _ => !extension_is_video(url),
        }
    }
}

/// Everything the composer sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposerForm {
    /// The account to publish to.
    pub integration_id: String,
    /// `image`, `carousel`, `reel` or `story`.
    pub kind: String,
    /// The caption.
    pub caption: String,
    /// Hashtags separated by spaces or commas (`#` optional).
    pub hashtags: String,
    /// The media, in order.
    pub media: Vec<MediaRow>,
    /// A reel's cover image URL.
    pub cover_url: String,
    /// A reel: also show it in the feed.
    pub share_to_feed: bool,
    /// When.
    pub when: When,
    /// `2026-12-01T10:00` (seconds optional), for [`When::Schedule`].
    pub publish_local: String,
    /// The IANA zone of `publish_local`.
    pub time_zone: String,
    /// Makes a double submit create one post.
    pub idempotency_key: String,
}

impl ComposerForm {
    /// Reads a url-encoded body. Unknown fields (the CSRF token among them) are ignored.
    pub fn from_urlencoded(body: &[u8]) -> Self {
        let mut form = Self::default();
        let mut urls = Vec::new();
        let mut types = Vec::new();
        let mut alts = Vec::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match name.as_ref() {
                "integration_id" => form.integration_id = value,
                "kind" => form.kind = value,
                "caption" => form.caption = value,
                "hashtags" => form.hashtags = value,
                "media_url" => urls.push(value),
                "media_type" => types.push(value),
                "media_alt" => alts.push(value),
                "cover_url" => form.cover_url = value,
                "share_to_feed" => form.share_to_feed = matches!(value.as_str(), "on" | "true"),
                "when" => form.when = When::parse(&value),
                "publish_local" => form.publish_local = value,
                "time_zone" => form.time_zone = value,
                "idempotency_key" => form.idempotency_key = value,
                _ => {}
            }
        }
        let rows = urls.len().max(types.len()).max(alts.len());
        form.media = (0..rows)
            .map(|index| MediaRow {
                url: urls.get(index).cloned().unwrap_or_default(),
                media_type: types.get(index).cloned().unwrap_or_default(),
                alt_text: alts.get(index).cloned().unwrap_or_default(),
            })
            .collect();
        form
    }

    /// The hashtag field split into entries.
    pub fn hashtag_entries(&self) -> Vec<String> {
        split_hashtags(&self.hashtags)
    }

    /// Rows with something in them, in order (blank rows are left-over empty slots).
    pub fn filled_media(&self) -> impl Iterator<Item = &MediaRow> {
        self.media.iter().filter(|row| !row.is_blank())
    }

    /// The post as the API's JSON (`CreatePost` without `integration_id`).
    pub fn to_post_json(&self) -> Map<String, Value> {
        let mut post = Map::new();
        post.insert("kind".into(), Value::String(self.kind.trim().to_owned()));
        if !self.caption.trim().is_empty() {
            post.insert("caption".into(), Value::String(self.caption.clone()));
        }
        let hashtags = self.hashtag_entries();
        if !hashtags.is_empty() {
            post.insert("hashtags".into(), json!(hashtags));
        }
        let media: Vec<Value> = self
            .filled_media()
            .map(|row| {
                let mut item = Map::new();
                item.insert("url".into(), Value::String(row.url.trim().to_owned()));
                if matches!(row.media_type.as_str(), "image" | "video") {
                    item.insert("type".into(), Value::String(row.media_type.clone()));
                }
                if !row.alt_text.trim().is_empty() {
                    item.insert("alt_text".into(), Value::String(row.alt_text.clone()));
                }
                Value::Object(item)
            })
            .collect();
        post.insert("media".into(), Value::Array(media));
        if self.kind.trim() == "reel" {
            let mut reel = Map::new();
            if !self.cover_url.trim().is_empty() {
                reel.insert(
                    "cover_url".into(),
                    Value::String(self.cover_url.trim().to_owned()),
                );
            }
            reel.insert("share_to_feed".into(), Value::Bool(self.share_to_feed));
            post.insert("reel".into(), Value::Object(reel));
        }
        match self.when {
            When::Now => {}
            When::Schedule => {
                post.insert(
                    "publish_at".into(),
                    json!({"local": self.publish_local.trim(), "time_zone": self.time_zone.trim()}),
                );
            }
            When::Draft => {
                post.insert("draft".into(), Value::Bool(true));
            }
        }
        post
    }

    /// The form a stored post fills in, to edit it (or a copy of it).
    pub fn from_post(integration_id: String, input: &PostInput) -> Self {
        let media = input
            .media
            .iter()
            .map(|item| MediaRow {
                url: item.url.clone(),
                media_type: item
                    .kind
                    .map(|kind| kind.as_str().to_owned())
                    .unwrap_or_default(),
                alt_text: item.alt_text.clone().unwrap_or_default(),
            })
            .collect();
        let reel = input.reel.clone().unwrap_or_default();
        let (when, publish_local, time_zone) = match (&input.publish_at, input.draft) {
            (_, Some(true)) => (When::Draft, String::new(), String::new()),
            (Some(PublishAtInput::Local(local)), _) => {
                (When::Schedule, local.local.clone(), local.time_zone.clone())
            }
            (Some(PublishAtInput::Text(text)), _) if text.trim() != "now" => {
                match text.parse::<jiff::Timestamp>() {
                    Ok(at) => (
                        When::Schedule,
                        at.to_zoned(jiff::tz::TimeZone::UTC)
                            .strftime("%Y-%m-%dT%H:%M:%S")
                            .to_string(),
                        "UTC".to_owned(),
                    ),
                    Err(_) => (When::Now, String::new(), String::new()),
                }
            }
            _ => (When::Now, String::new(), String::new()),
        };
        Self {
            integration_id,
            kind: input.kind.as_str().to_owned(),
            caption: input.caption.clone().unwrap_or_default(),
            hashtags: input.hashtags.clone().unwrap_or_default().join(" "),
            media,
            cover_url: reel.cover_url.unwrap_or_default(),
            share_to_feed: reel.share_to_feed.unwrap_or(true),
            when,
            publish_local,
            time_zone,
            idempotency_key: String::new(),
        }
    }

    /// What the pre-flight should fetch, with the role each item plays (graph-api.md §2.3
    /// sets the rules per role); a reel's cover shares the reel's number.
    pub fn preflight_requests(&self) -> Vec<MediaCheckRequest> {
        let kind = self.kind.trim();
        let mut requests: Vec<MediaCheckRequest> = self
            .filled_media()
            .enumerate()
            .filter(|(_, row)| !row.url.trim().is_empty())
            .map(|(index, row)| MediaCheckRequest {
                index: index + 1,
                url: row.url.trim().to_owned(),
                role: role_of(kind, row),
            })
            .collect();
        if kind == "reel" && !self.cover_url.trim().is_empty() {
            requests.push(MediaCheckRequest {
                index: 1,
                url: self.cover_url.trim().to_owned(),
                role: MediaRole::ReelCover,
            });
        }
        requests
    }
}

/// The role of a row in a post of `kind`: what the API's `type` (or the URL's extension) and
/// the kind together make of it, as the publisher decides it.
fn role_of(kind: &str, row: &MediaRow) -> MediaRole {
    let video = match row.media_type.as_str() {
        "video" => true,
        "image" => false,
        _ => kind == "reel" || extension_is_video(&row.url),
    };
    match (kind, video) {
        ("reel", _) => MediaRole::Reel,
        ("carousel", false) => MediaRole::CarouselImage,
        ("carousel", true) => MediaRole::CarouselVideo,
        ("story", false) => MediaRole::StoryImage,
        ("story", true) => MediaRole::StoryVideo,
        _ => MediaRole::FeedImage,
    }
}

/// Whether a URL's path ends like a video file (graph-api.md §2.3: MOV or MP4).
fn extension_is_video(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    path.ends_with(".mp4") || path.ends_with(".mov")
}

/// `"#sun, beach  summer"` → `["#sun", "beach", "summer"]`.
pub fn split_hashtags(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> ComposerForm {
        ComposerForm::from_urlencoded(body.as_bytes())
    }

    #[test]
    fn media_rows_pair_up_by_position_in_the_order_sent() {
        let form = form(
            "kind=carousel&media_url=https%3A%2F%2Fa.example%2F2.jpg&media_type=&media_alt=Two\
             &media_url=https%3A%2F%2Fa.example%2F1.mp4&media_type=video&media_alt=",
        );
        assert_eq!(form.media.len(), 2);
        assert_eq!(form.media[0].url, "https://a.example/2.jpg");
        assert_eq!(form.media[0].alt_text, "Two");
        assert_eq!(form.media[1].media_type, "video");
    }

    #[test]
    fn the_post_json_is_what_the_api_takes() {
        let form = form(
            "integration_id=x&kind=carousel&caption=Hello&hashtags=%23sun%2C+beach\
             &media_url=https%3A%2F%2Fa.example%2F1.jpg&media_type=&media_alt=A+coat\
             &media_url=&media_type=&media_alt=\
             &when=schedule&publish_local=2026-12-01T10%3A00&time_zone=Europe%2FParis&_csrf=t",
        );
        let post = Value::Object(form.to_post_json());
        assert_eq!(
            post,
            json!({
                "kind": "carousel",
                "caption": "Hello",
                "hashtags": ["#sun", "beach"],
                "media": [{"url": "https://a.example/1.jpg", "alt_text": "A coat"}],
                "publish_at": {"local": "2026-12-01T10:00", "time_zone": "Europe/Paris"}
            })
        );
        // The JSON parses as the API's input: the dashboard adds no shape of its own.
        assert!(PostInput::from_value(post).is_ok());
    }

    #[test]
    fn a_reel_carries_its_cover_and_share_to_feed_and_other_kinds_do_not() {
        let reel = form("kind=reel&cover_url=https%3A%2F%2Fa.example%2Fc.jpg&share_to_feed=on");
        assert_eq!(
            reel.to_post_json().get("reel"),
            Some(&json!({"cover_url": "https://a.example/c.jpg", "share_to_feed": true}))
        );
        let image = form("kind=image&cover_url=https%3A%2F%2Fa.example%2Fc.jpg");
        assert!(image.to_post_json().get("reel").is_none());
    }

    #[test]
    fn a_draft_is_marked_and_now_sends_no_time() {
        assert_eq!(
            form("kind=image&when=draft").to_post_json().get("draft"),
            Some(&json!(true))
        );
        let now = form("kind=image&when=now&publish_local=2026-12-01T10%3A00");
        assert!(now.to_post_json().get("publish_at").is_none());
    }

    #[test]
    fn a_stored_post_fills_the_form_it_came_from() {
        let original = form(
            "integration_id=i&kind=carousel&caption=Hi&hashtags=sun+beach\
             &media_url=https%3A%2F%2Fa.example%2F1.jpg&media_type=image&media_alt=One\
             &media_url=https%3A%2F%2Fa.example%2F2.jpg&media_type=&media_alt=\
             &when=schedule&publish_local=2026-12-01T10%3A00&time_zone=Europe%2FParis",
        );
        let input = PostInput::from_value(Value::Object(original.to_post_json()))
            .unwrap_or_else(|e| panic!("{e}"));
        let again = ComposerForm::from_post("i".into(), &input);
        assert_eq!(again.to_post_json(), original.to_post_json());
    }

    #[test]
    fn preflight_roles_follow_the_kind_and_the_item_type() {
        let carousel = form(
            "kind=carousel&media_url=https%3A%2F%2Fa.example%2F1.jpg&media_type=&media_alt=\
             &media_url=https%3A%2F%2Fa.example%2F2.MP4%3Fx%3D1&media_type=&media_alt=",
        );
        let roles: Vec<(usize, MediaRole)> = carousel
            .preflight_requests()
            .into_iter()
            .map(|r| (r.index, r.role))
            .collect();
        assert_eq!(
            roles,
            [(1, MediaRole::CarouselImage), (2, MediaRole::CarouselVideo)]
        );
        let reel = form(
            "kind=reel&media_url=https%3A%2F%2Fa.example%2Fv&media_type=&media_alt=\
             &cover_url=https%3A%2F%2Fa.example%2Fc.jpg",
        );
        let roles: Vec<MediaRole> = reel
            .preflight_requests()
            .into_iter()
            .map(|r| r.role)
            .collect();
        assert_eq!(roles, [MediaRole::Reel, MediaRole::ReelCover]);
    }

    #[test]
    fn hashtags_split_on_spaces_and_commas() {
        assert_eq!(split_hashtags(" #a,b  c,,"), ["#a", "b", "c"]);
        assert!(split_hashtags(" , ").is_empty());
    }
}
