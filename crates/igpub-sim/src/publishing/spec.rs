//! The parameters of `POST /{ig-user-id}/media`, read and checked against every rule of
//! shared/graph-api.md §2.2–2.4 that needs no other object. Where Meta's exact answer is unknown
//! ([INFER]), the answer is code 100 with a message naming the parameter and the rule.

use super::caption::check_caption;
use crate::error::MetaError;
use crate::graph::nodes::parse_bool;
use crate::graph::request::GraphCall;
use crate::world::model::ContainerKind;
use serde_json::Value;

/// At most 10 children in a carousel (shared/graph-api.md §2.4).
pub const MAX_CHILDREN: usize = 10;
/// At least 2 children in a carousel.
pub const MIN_CHILDREN: usize = 2;
/// `alt_text` up to 1000 characters (shared/graph-api.md §2.2).
pub const MAX_ALT_TEXT: usize = 1000;
/// Up to 3 collaborators (shared/graph-api.md §2.2).
pub const MAX_COLLABORATORS: usize = 3;
/// Up to 5 product tags (shared/graph-api.md §2.2).
pub const MAX_PRODUCT_TAGS: usize = 5;
/// Up to 20 people tagged on one media.
pub const MAX_USER_TAGS: usize = 20;

/// A container request that passed every rule of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    pub kind: ContainerKind,
    pub is_carousel_item: bool,
    pub caption: Option<String>,
    pub media_url: Option<String>,
    pub cover_url: Option<String>,
    pub alt_text: Option<String>,
    pub children: Vec<u64>,
    pub collaborators: Vec<String>,
    pub share_to_feed: bool,
    pub resumable: bool,
}

impl ContainerSpec {
    /// Whether the crawler checks `media_url` as an image.
    pub fn is_image(&self) -> bool {
        matches!(self.kind, ContainerKind::Image | ContainerKind::StoryImage)
    }

    /// Whether the feed's aspect-ratio rule applies (feed and carousel images, not stories).
    pub fn has_feed_aspect(&self) -> bool {
        self.kind == ContainerKind::Image
    }
}

fn not_supported(parameter: &str, what: &str) -> MetaError {
    MetaError::invalid_parameter(format!(
        "The parameter {parameter} is not supported for {what}"
    ))
}

fn unknown_media_type(value: &str) -> MetaError {
    MetaError::publishing(
        100,
        2_207_023,
        "Invalid parameter",
        "Unknown media type",
        format!("The media type {value} is unknown."),
    )
}

/// Reads and checks the parameters of one container request.
pub fn parse(call: &GraphCall) -> Result<ContainerSpec, MetaError> {
    let is_carousel_item = match call.param("is_carousel_item") {
        Some(text) => parse_bool("is_carousel_item", text)?,
        None => false,
    };
    let resumable = match call.param("upload_type") {
        None => false,
        Some("resumable") => true,
        Some(other) => {
            return Err(MetaError::invalid_parameter(format!(
                "Param upload_type must be resumable, not {other}"
            )));
        }
    };
    let image_url = call.non_empty("image_url").map(str::to_owned);
    let video_url = call.non_empty("video_url").map(str::to_owned);
    let kind = kind_of(
        call.param("media_type"),
        image_url.is_some(),
        video_url.is_some(),
        resumable,
    )?;
    let what = describe(kind, is_carousel_item);

    if is_carousel_item && matches!(kind, ContainerKind::Carousel | ContainerKind::Reels) {
        // graph-api.md §2.2 "Limitations": Reels cannot appear in carousels.
        return Err(not_supported("is_carousel_item", what));
    }
    if is_carousel_item && matches!(kind, ContainerKind::StoryImage | ContainerKind::StoryVideo) {
        return Err(not_supported("is_carousel_item", what));
    }
    let media_url = media_url_for(kind, image_url, video_url, resumable)?;

    let caption = call.non_empty("caption").map(str::to_owned);
    if let Some(caption) = &caption {
        if is_carousel_item {
            // graph-api.md §2.2: captions are not supported on carousel children.
            return Err(not_supported("caption", what));
        }
        check_caption(caption)?;
    }

    let alt_text = call.param("alt_text").map(str::to_owned);
    if let Some(alt) = &alt_text {
        if !matches!(kind, ContainerKind::Image) {
            // graph-api.md §2.2: alt_text is for images only; reels and stories are not supported.
            return Err(not_supported("alt_text", what));
        }
        if alt.chars().count() > MAX_ALT_TEXT {
            return Err(MetaError::invalid_parameter(format!(
                "The parameter alt_text must be at most {MAX_ALT_TEXT} characters"
            )));
        }
    }

    let collaborators = match call.param("collaborators") {
        None => Vec::new(),
        Some(text) => {
            let stories = matches!(kind, ContainerKind::StoryImage | ContainerKind::StoryVideo);
            if stories || is_carousel_item || kind == ContainerKind::Video {
                // graph-api.md §2.2: feed image, Reels and carousels only; "Not supported for Stories."
                return Err(not_supported("collaborators", what));
            }
            let names = string_list("collaborators", text)?;
            if names.len() > MAX_COLLABORATORS {
                return Err(MetaError::invalid_parameter(format!(
                    "The parameter collaborators takes at most {MAX_COLLABORATORS} usernames"
                )));
            }
            names
        }
    };

    let children = match call.param("children") {
        Some(text) if kind == ContainerKind::Carousel => child_ids(text)?,
        Some(_) => return Err(not_supported("children", what)),
        None if kind == ContainerKind::Carousel => {
            return Err(MetaError::missing_parameter("children"));
        }
        None => Vec::new(),
    };
    if kind == ContainerKind::Carousel && !(MIN_CHILDREN..=MAX_CHILDREN).contains(&children.len()) {
        return Err(carousel_size());
    }

    check_user_tags(call, kind)?;
    check_product_tags(call, kind)?;
    check_location(call, kind, is_carousel_item, what)?;
    check_video_options(call, kind, what)?;
    if let Some(text) = call.param("is_ai_generated") {
        if is_carousel_item {
            // graph-api.md §2.2: is_ai_generated on carousel children is an error.
            return Err(not_supported("is_ai_generated", what));
        }
        parse_bool("is_ai_generated", text)?;
    }

    let share_to_feed = match call.param("share_to_feed") {
        None => true,
        Some(_) if kind != ContainerKind::Reels => {
            return Err(not_supported("share_to_feed", what));
        }
        Some(text) => parse_bool("share_to_feed", text)?,
    };
    let cover_url = match call.non_empty("cover_url") {
        None => None,
        Some(_) if kind != ContainerKind::Reels => return Err(not_supported("cover_url", what)),
        Some(url) => Some(url.to_owned()),
    };

    Ok(ContainerSpec {
        kind,
        is_carousel_item,
        caption,
        media_url,
        cover_url,
        alt_text,
        children,
        collaborators,
        share_to_feed,
        resumable,
    })
}

/// 100/2207028 (shared/graph-api.md §6.3).
pub fn carousel_size() -> MetaError {
    MetaError::publishing(
        100,
        2_207_028,
        "Invalid parameter",
        "Carousel not allowed",
        "Your post won't work as a carousel. Carousels need at least 2 photos/videos and no more than 10 photos/videos.",
    )
}

fn kind_of(
    media_type: Option<&str>,
    has_image: bool,
    has_video: bool,
    resumable: bool,
) -> Result<ContainerKind, MetaError> {
    Ok(match media_type {
        None | Some("IMAGE") => ContainerKind::Image,
        Some("VIDEO") => ContainerKind::Video,
        Some("CAROUSEL") => ContainerKind::Carousel,
        Some("REELS") => ContainerKind::Reels,
        Some("STORIES") if has_video || resumable => ContainerKind::StoryVideo,
        Some("STORIES") if has_image => ContainerKind::StoryImage,
        Some("STORIES") => return Err(MetaError::missing_parameter("image_url")),
        Some(other) => return Err(unknown_media_type(other)),
    })
}

fn describe(kind: ContainerKind, is_carousel_item: bool) -> &'static str {
    match (kind, is_carousel_item) {
        (ContainerKind::Image | ContainerKind::Video, true) => "carousel items",
        (ContainerKind::Image, false) => "images",
        (ContainerKind::Video, false) => "videos",
        (ContainerKind::Carousel, _) => "carousels",
        (ContainerKind::Reels, _) => "reels",
        (ContainerKind::StoryImage | ContainerKind::StoryVideo, _) => "stories",
    }
}

fn media_url_for(
    kind: ContainerKind,
    image_url: Option<String>,
    video_url: Option<String>,
    resumable: bool,
) -> Result<Option<String>, MetaError> {
    let ascii = |url: String| {
        // graph-api.md §2.1: URLs should be US ASCII "or the request will fail".
        if url.is_ascii() {
            Ok(url)
        } else {
            Err(MetaError::invalid_parameter(
                "Media URLs must contain only US ASCII characters",
            ))
        }
    };
    match kind {
        ContainerKind::Carousel => {
            if image_url.is_some() || video_url.is_some() {
                return Err(not_supported("image_url/video_url", "carousels"));
            }
            Ok(None)
        }
        ContainerKind::Image | ContainerKind::StoryImage => match (image_url, video_url) {
            (Some(url), None) => ascii(url).map(Some),
            // graph-api.md §2.2 "Limitations": a story takes one media URL, not both.
            (Some(_), Some(_)) => Err(MetaError::invalid_parameter(
                "Send either image_url or video_url, not both",
            )),
            (None, _) => Err(MetaError::missing_parameter("image_url")),
        },
        ContainerKind::Video | ContainerKind::Reels | ContainerKind::StoryVideo => {
            match (video_url, resumable) {
                (Some(_), true) => Err(MetaError::invalid_parameter(
                    "The parameter video_url is not used with upload_type=resumable",
                )),
                (Some(url), false) if image_url.is_none() => ascii(url).map(Some),
                (Some(_), false) => Err(MetaError::invalid_parameter(
                    "Send either image_url or video_url, not both",
                )),
                (None, true) => Ok(None),
                // graph-api.md §6.3 end: the reels wording has no "(#100)".
                (None, false) => Err(MetaError::new(100, "The parameter video_url is required")),
            }
        }
    }
}

/// JSON, or the JavaScript-ish form Meta's own examples use: `[{username:'x',x:0.5}]`
/// (shared/graph-api.md §2.1, §11.3).
pub fn relaxed_json(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push('"');
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            out.push('\\');
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        }
                        '"' if c == '\'' => out.push_str("\\\""),
                        _ if inner == c => break,
                        _ => out.push(inner),
                    }
                }
                out.push('"');
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(next) = chars
                    .peek()
                    .copied()
                    .filter(|n| n.is_ascii_alphanumeric() || *n == '_')
                {
                    word.push(next);
                    chars.next();
                }
                let is_key = chars.clone().find(|n| !n.is_whitespace()) == Some(':');
                if is_key || !matches!(word.as_str(), "true" | "false" | "null") {
                    out.push('"');
                    out.push_str(&word);
                    out.push('"');
                } else {
                    out.push_str(&word);
                }
            }
            other => out.push(other),
        }
    }
    serde_json::from_str(&out).ok()
}

/// A list parameter: a JSON array, the quoted form of Meta's examples, or a comma list.
fn string_list(name: &str, text: &str) -> Result<Vec<String>, MetaError> {
    let trimmed = text.trim();
    if trimmed.starts_with('[') {
        let Some(Value::Array(items)) = relaxed_json(trimmed) else {
            return Err(MetaError::invalid_parameter(format!(
                "Param {name} must be an array"
            )));
        };
        return items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                Value::Number(number) => Ok(number.to_string()),
                _ => Err(MetaError::invalid_parameter(format!(
                    "Param {name} must be an array of strings"
                ))),
            })
            .collect();
    }
    Ok(trimmed
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect())
}

/// `children`: a comma list or a JSON array of container ids (shared/graph-api.md §11.3).
fn child_ids(text: &str) -> Result<Vec<u64>, MetaError> {
    string_list("children", text)?
        .iter()
        .map(|id| {
            id.parse::<u64>().map_err(|_| {
                MetaError::invalid_parameter(format!(
                    "Param children[] must be a valid ID, not {id}"
                ))
            })
        })
        .collect()
}

fn coordinate(tag: &Value, axis: &str) -> Result<Option<f64>, MetaError> {
    match tag.get(axis) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let number = value
                .as_f64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
                .filter(|number| (0.0..=1.0).contains(number))
                .ok_or_else(|| {
                    MetaError::invalid_parameter(format!(
                        "Tag coordinate {axis} must be a number from 0.0 to 1.0"
                    ))
                })?;
            Ok(Some(number))
        }
    }
}

/// `user_tags`: `{username, x, y}`, x and y required on images and optional on stories
/// (shared/graph-api.md §2.2).
fn check_user_tags(call: &GraphCall, kind: ContainerKind) -> Result<(), MetaError> {
    let Some(text) = call.param("user_tags") else {
        return Ok(());
    };
    if kind == ContainerKind::Carousel {
        return Err(not_supported("user_tags", "carousels"));
    }
    let Some(Value::Array(tags)) = relaxed_json(text) else {
        return Err(MetaError::invalid_parameter(
            "Param user_tags must be an array of objects",
        ));
    };
    if tags.len() > MAX_USER_TAGS {
        return Err(MetaError::publishing(
            100,
            2_207_040,
            "Invalid parameter",
            "Too many tags",
            format!("Cannot use more than {MAX_USER_TAGS} tags per created media."),
        ));
    }
    for tag in &tags {
        let has_name = tag
            .get("username")
            .and_then(Value::as_str)
            .is_some_and(|name| !name.is_empty());
        if !has_name {
            return Err(MetaError::invalid_parameter(
                "Each user tag needs a username",
            ));
        }
        let x = coordinate(tag, "x")?;
        let y = coordinate(tag, "y")?;
        if kind == ContainerKind::Image && (x.is_none() || y.is_none()) {
            return Err(MetaError::invalid_parameter(
                "User tags on images need both x and y coordinates",
            ));
        }
    }
    Ok(())
}

/// `product_tags`: at most 5, positions required on photos and refused on videos
/// (shared/graph-api.md §2.2, §6.3 2207035/2207036).
fn check_product_tags(call: &GraphCall, kind: ContainerKind) -> Result<(), MetaError> {
    let Some(text) = call.param("product_tags") else {
        return Ok(());
    };
    let Some(Value::Array(tags)) = relaxed_json(text) else {
        return Err(MetaError::invalid_parameter(
            "Param product_tags must be an array of objects",
        ));
    };
    if tags.len() > MAX_PRODUCT_TAGS {
        return Err(MetaError::invalid_parameter(format!(
            "Param product_tags takes at most {MAX_PRODUCT_TAGS} tags"
        )));
    }
    let mut seen = Vec::new();
    for tag in &tags {
        let product = tag
            .get("product_id")
            .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
            .ok_or_else(|| MetaError::invalid_parameter("Each product tag needs a product_id"))?;
        if seen.contains(&product) {
            return Err(MetaError::invalid_parameter(
                "Product tags must name distinct products",
            ));
        }
        seen.push(product);
        let positioned = coordinate(tag, "x")?.is_some() || coordinate(tag, "y")?.is_some();
        if kind.is_video() && positioned {
            return Err(MetaError::publishing(
                100,
                2_207_035,
                "Invalid parameter",
                "Product tag positions not supported",
                "Product tag positions should not be specified for video media.",
            ));
        }
        if !kind.is_video() && kind != ContainerKind::Carousel && !positioned {
            return Err(MetaError::publishing(
                100,
                2_207_036,
                "Invalid parameter",
                "Product tag positions required",
                "Product tag positions are required for photo media.",
            ));
        }
    }
    Ok(())
}

/// `location_id`: a Page id, on images, reels and carousels but not on children
/// (shared/graph-api.md §2.2).
fn check_location(
    call: &GraphCall,
    kind: ContainerKind,
    is_carousel_item: bool,
    what: &str,
) -> Result<(), MetaError> {
    let Some(location) = call.param("location_id") else {
        return Ok(());
    };
    let stories = matches!(kind, ContainerKind::StoryImage | ContainerKind::StoryVideo);
    if is_carousel_item || stories {
        return Err(not_supported("location_id", what));
    }
    if location.trim().parse::<u64>().is_err() {
        return Err(MetaError::invalid_parameter(
            "Param location_id must be the ID of a Page with location data",
        ));
    }
    Ok(())
}

/// `thumb_offset`, `audio_name` and `trial_params` (shared/graph-api.md §2.2).
fn check_video_options(call: &GraphCall, kind: ContainerKind, what: &str) -> Result<(), MetaError> {
    if let Some(text) = call.param("thumb_offset") {
        if !kind.is_video() {
            return Err(not_supported("thumb_offset", what));
        }
        let valid = text.trim().parse::<i64>().is_ok_and(|offset| offset >= 0);
        if !valid {
            return Err(MetaError::publishing(
                1,
                2_207_057,
                "Invalid parameter",
                "Invalid thumbnail offset",
                "Thumbnail offset must be greater than or equal to 0 and less than video duration",
            ));
        }
    }
    if call.param("audio_name").is_some() && kind != ContainerKind::Reels {
        return Err(not_supported("audio_name", what));
    }
    if let Some(text) = call.param("trial_params") {
        if kind != ContainerKind::Reels {
            return Err(not_supported("trial_params", what));
        }
        let strategy = relaxed_json(text)
            .and_then(|value| value.get("graduation_strategy").cloned())
            .and_then(|value| value.as_str().map(str::to_owned));
        if !matches!(strategy.as_deref(), Some("MANUAL" | "SS_PERFORMANCE")) {
            return Err(MetaError::invalid_parameter(
                "Param trial_params.graduation_strategy must be one of MANUAL, SS_PERFORMANCE",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::request::Verb;
    use std::collections::BTreeMap;

    fn call(pairs: &[(&str, &str)]) -> GraphCall {
        GraphCall {
            verb: Verb::Post,
            version: 25,
            path: vec!["1".into(), "media".into()],
            params: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            token: None,
        }
    }

    fn subcode(pairs: &[(&str, &str)]) -> Option<i64> {
        parse(&call(pairs)).err().and_then(|error| error.subcode)
    }

    #[test]
    fn metas_javascript_style_examples_parse() {
        let value = relaxed_json("[{username:'kevinhart4real',x:0.5,y:0.8}]");
        let name = value
            .as_ref()
            .and_then(|v| v.get(0))
            .and_then(|tag| tag.get("username"))
            .and_then(Value::as_str);
        assert_eq!(name, Some("kevinhart4real"));
        assert_eq!(
            string_list("collaborators", "['username1','username2']").unwrap_or_default(),
            vec!["username1", "username2"]
        );
    }

    #[test]
    fn a_carousel_needs_two_to_ten_children() {
        let one = [("media_type", "CAROUSEL"), ("children", "1")];
        assert_eq!(subcode(&one), Some(2_207_028));
        let eleven = "1,2,3,4,5,6,7,8,9,10,11";
        assert_eq!(
            subcode(&[("media_type", "CAROUSEL"), ("children", eleven)]),
            Some(2_207_028)
        );
        let two = [("media_type", "CAROUSEL"), ("children", "[\"1\",\"2\"]")];
        assert_eq!(parse(&call(&two)).map(|spec| spec.children), Ok(vec![1, 2]));
    }

    #[test]
    fn an_unknown_media_type_is_2207023() {
        assert_eq!(
            subcode(&[("media_type", "GIF"), ("image_url", "http://x/a.jpg")]),
            Some(2_207_023)
        );
    }

    #[test]
    fn alt_text_is_refused_on_reels() {
        let reel = [
            ("media_type", "REELS"),
            ("video_url", "http://x/a.mp4"),
            ("alt_text", "a"),
        ];
        assert_eq!(parse(&call(&reel)).err().map(|e| e.code), Some(100));
    }

    #[test]
    fn collaborators_are_refused_on_stories_and_capped_at_three() {
        let story = [
            ("media_type", "STORIES"),
            ("image_url", "http://x/a.jpg"),
            ("collaborators", "a"),
        ];
        assert!(parse(&call(&story)).is_err());
        let four = [
            ("image_url", "http://x/a.jpg"),
            ("collaborators", "a,b,c,d"),
        ];
        assert!(parse(&call(&four)).is_err());
    }

    #[test]
    fn a_negative_thumb_offset_is_2207057() {
        let reel = [
            ("media_type", "REELS"),
            ("video_url", "http://x/a.mp4"),
            ("thumb_offset", "-1"),
        ];
        assert_eq!(subcode(&reel), Some(2_207_057));
    }

    #[test]
    fn an_image_needs_an_image_url() {
        let error = parse(&call(&[("caption", "hi")])).err();
        assert_eq!(
            error.map(|e| e.message),
            Some("(#100) The parameter image_url is required".to_owned())
        );
    }
}
