//! The rules that tie a post's fields to its kind (graph-api.md §2.2–2.4).
//!
//! Each field is parsed on its own and every violation is recorded; the post is returned only
//! when none was. A field that fails is carried on as "absent", so the checks that follow still
//! run and report their own problems.

use jiff::Timestamp;

use super::caption::Caption;
use super::first_comment::FirstComment;
use super::hashtag::{Hashtag, HashtagList};
use super::input::{MediaInput, PostInput, ReelInput};
use super::limits::{CAROUSEL_MAX_ITEMS, CAROUSEL_MIN_ITEMS, SINGLE_MEDIA_ITEMS};
use super::location::LocationId;
use super::media_item::{AltText, MediaItem, MediaKind};
use super::media_url::MediaUrl;
use super::post_kind::PostKind;
use super::post_spec::PostSpec;
use super::reel::{AudioName, ReelOptions, ThumbOffset};
use super::schedule::Schedule;
use super::user_tag::UserTag;
use super::username::Collaborators;
use super::violation::{Rule, ValidationErrors, Violation, Violations};

pub(super) fn parse(input: PostInput, now: Timestamp) -> Result<PostSpec, ValidationErrors> {
    let kind = input.kind;
    let mut violations = Violations::default();
    let caption = caption(
        kind,
        input.caption.as_deref(),
        input.hashtags.as_deref(),
        &mut violations,
    );
    let media = media(kind, &input.media, &mut violations);
    let reel = reel(kind, input.reel.as_ref(), &mut violations);
    let location = location(kind, input.location_id.as_deref(), &mut violations);
    let collaborators = collaborators(kind, input.collaborators.as_deref(), &mut violations);
    let first_comment = first_comment(kind, input.first_comment.as_deref(), &mut violations);
    let schedule = match Schedule::parse(input.publish_at.as_ref(), now) {
        Ok(schedule) => schedule,
        Err(problems) => {
            violations.faults("publish_at", &problems);
            Schedule::now(now)
        }
    };
    violations.finish()?;
    Ok(PostSpec {
        kind,
        caption,
        media,
        reel,
        location,
        collaborators,
        first_comment,
        schedule,
        draft: input.draft.unwrap_or(false),
    })
}

/// `text` unless it is blank: a blank optional text means the field is left out.
fn given(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

fn not_for_kind(field: &str, kind: PostKind, what: &str) -> Violation {
    Violation::new(
        field,
        Rule::NotAllowedForKind,
        format_args!("{} takes no {what}; leave {field} out", kind.described()),
    )
}

fn caption(
    kind: PostKind,
    text: Option<&str>,
    hashtags: Option<&[String]>,
    violations: &mut Violations,
) -> Option<Caption> {
    let text = given(text);
    let hashtags = hashtags.unwrap_or_default();
    if kind == PostKind::Story {
        // graph-api.md §2.2: `caption` applies to image, video/reel and carousel containers only.
        if text.is_some() {
            violations.push(not_for_kind("caption", kind, "caption"));
        }
        if !hashtags.is_empty() {
            violations.push(not_for_kind("hashtags", kind, "caption, so no hashtags"));
        }
        return None;
    }
    let mut tags = Vec::with_capacity(hashtags.len());
    for (index, entry) in hashtags.iter().enumerate() {
        if let Some(tag) = violations.keep_one(&format!("hashtags[{index}]"), Hashtag::parse(entry))
        {
            tags.push(tag);
        }
    }
    let field = if text.is_some() {
        "caption"
    } else {
        "hashtags"
    };
    let caption = violations.keep(
        field,
        Caption::with_hashtags(text.unwrap_or_default(), &HashtagList::from_tags(tags)),
    )?;
    (!caption.as_str().trim().is_empty()).then_some(caption)
}

fn media(kind: PostKind, items: &[MediaInput], violations: &mut Violations) -> Vec<MediaItem> {
    let (min, max) = match kind {
        // graph-api.md §2.4 (2–10 children)
        PostKind::Carousel => (CAROUSEL_MIN_ITEMS, CAROUSEL_MAX_ITEMS),
        PostKind::Image | PostKind::Reel | PostKind::Story => {
            (SINGLE_MEDIA_ITEMS, SINGLE_MEDIA_ITEMS)
        }
    };
    let count = items.len();
    let allowed = if min == max {
        format!("exactly {min}")
    } else {
        format!("{min} to {max}")
    };
    if count < min {
        violations.push(Violation::new(
            "media",
            Rule::TooFewMedia,
            format_args!(
                "{} has {count} media items; Instagram needs {allowed}",
                kind.described()
            ),
        ));
    } else if count > max {
        violations.push(Violation::new(
            "media",
            Rule::TooManyMedia,
            format_args!(
                "{} has {count} media items; Instagram allows {allowed}",
                kind.described()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| media_item(kind, index, item, violations))
        .collect()
}

fn media_item(
    kind: PostKind,
    index: usize,
    input: &MediaInput,
    violations: &mut Violations,
) -> Option<MediaItem> {
    let field = format!("media[{index}]");
    let url = violations.keep_one(&format!("{field}.url"), MediaUrl::parse(&input.url));
    let media_kind = media_kind(kind, &field, input.kind, url.as_ref(), violations);
    let alt_text = alt_text(
        kind,
        &field,
        media_kind,
        input.alt_text.as_deref(),
        violations,
    );
    // graph-api.md §2.2 (`user_tags`): x/y "required for images, optional for stories"; Meta's
    // reel example sends tags without a position, so videos take them optional too.
    let position_required = media_kind == Some(MediaKind::Image) && kind != PostKind::Story;
    let mut user_tags = Vec::new();
    let mut tags_valid = true;
    for (tag_index, tag) in input.user_tags.iter().flatten().enumerate() {
        let parsed = UserTag::parse(&tag.username, tag.x, tag.y, position_required);
        match violations.keep(&format!("{field}.user_tags[{tag_index}]"), parsed) {
            Some(tag) => user_tags.push(tag),
            None => tags_valid = false,
        }
    }
    if !tags_valid {
        return None;
    }
    Some(MediaItem::new(url?, media_kind?, alt_text?, user_tags))
}

/// The item's type: as given, else implied by the post kind, else by the URL's extension; checked
/// against what the post kind takes.
fn media_kind(
    kind: PostKind,
    field: &str,
    given: Option<MediaKind>,
    url: Option<&MediaUrl>,
    violations: &mut Violations,
) -> Option<MediaKind> {
    let implied = match kind {
        PostKind::Image => Some(MediaKind::Image),
        PostKind::Reel => Some(MediaKind::Video),
        PostKind::Carousel | PostKind::Story => None,
    };
    let media_kind = given.or(implied).or_else(|| {
        url.and_then(MediaUrl::extension)
            .and_then(|extension| MediaKind::from_extension(&extension))
    });
    let Some(media_kind) = media_kind else {
        // Without a URL there is nothing to guess from; its own violation is already recorded.
        if url.is_some() {
            violations.push(Violation::new(
                format!("{field}.type"),
                Rule::UnknownMediaType,
                "say whether this is an \"image\" or a \"video\": the URL does not end in .jpg, .jpeg, .mp4 or .mov",
            ));
        }
        return None;
    };
    let wrong = match (kind, media_kind) {
        (PostKind::Image, MediaKind::Video) => Some(
            // graph-api.md §2.4: standalone VIDEO posts are gone; a single video is a reel.
            "an image post takes a photo, not a video; post a single video as a reel",
        ),
        (PostKind::Reel, MediaKind::Image) => Some("a reel is a video; post a photo as an image"),
        _ => None,
    };
    if let Some(message) = wrong {
        violations.push(Violation::new(
            format!("{field}.type"),
            Rule::WrongMediaType,
            message,
        ));
        return None;
    }
    Some(media_kind)
}

/// The item's alt text. The outer `Option` is `None` when the alt text is refused.
fn alt_text(
    kind: PostKind,
    field: &str,
    media_kind: Option<MediaKind>,
    text: Option<&str>,
    violations: &mut Violations,
) -> Option<Option<AltText>> {
    let Some(text) = given(text) else {
        return Some(None);
    };
    let field = format!("{field}.alt_text");
    // graph-api.md §2.2 (`alt_text`): images only, single or carousel child; "Reels and stories
    // are not supported"; §2.4: no alt_text on carousel video children.
    let refusal = match (kind, media_kind) {
        (PostKind::Story, _) => Some(not_for_kind(&field, kind, "alt text")),
        (PostKind::Reel, _) => Some(not_for_kind(&field, kind, "alt text")),
        (_, Some(MediaKind::Video)) => Some(Violation::new(
            &field,
            Rule::NotAllowedForKind,
            "alt text is for images only; Instagram takes none on videos",
        )),
        _ => None,
    };
    if let Some(violation) = refusal {
        violations.push(violation);
        return None;
    }
    violations.keep_one(&field, AltText::parse(text)).map(Some)
}

fn reel(
    kind: PostKind,
    input: Option<&ReelInput>,
    violations: &mut Violations,
) -> Option<ReelOptions> {
    let input = input?;
    if kind != PostKind::Reel {
        // graph-api.md §2.2: cover_url, share_to_feed, audio_name, trial_params are Reels-only;
        // §2.4: a carousel item is never a reel.
        violations.push(not_for_kind("reel", kind, "reel options"));
        return None;
    }
    let cover_url = input
        .cover_url
        .as_deref()
        .and_then(|url| given(Some(url)))
        .map(|url| violations.keep_one("reel.cover_url", MediaUrl::parse(url)));
    let thumb_offset = input.thumb_offset_ms.map(|millis| {
        violations.keep_one("reel.thumb_offset_ms", ThumbOffset::from_millis(millis))
    });
    let audio_name = given(input.audio_name.as_deref())
        .map(|name| violations.keep_one("reel.audio_name", AudioName::parse(name)));
    Some(ReelOptions {
        cover_url: cover_url.flatten(),
        thumb_offset: thumb_offset.flatten(),
        share_to_feed: input.share_to_feed,
        audio_name: audio_name.flatten(),
        trial_params: input.trial_params,
    })
}

fn location(kind: PostKind, id: Option<&str>, violations: &mut Violations) -> Option<LocationId> {
    let id = given(id)?;
    if kind == PostKind::Story {
        // graph-api.md §2.2 (`location_id`: image, reel, carousel container)
        violations.push(not_for_kind("location_id", kind, "location"));
        return None;
    }
    violations.keep_one("location_id", LocationId::parse(id))
}

fn collaborators(
    kind: PostKind,
    names: Option<&[String]>,
    violations: &mut Violations,
) -> Collaborators {
    let names = names.unwrap_or_default();
    if names.is_empty() {
        return Collaborators::default();
    }
    if kind == PostKind::Story {
        // graph-api.md §2.2 (`collaborators`: "Not supported for Stories")
        violations.push(not_for_kind("collaborators", kind, "collaborators"));
        return Collaborators::default();
    }
    violations
        .keep("collaborators", Collaborators::parse(names))
        .unwrap_or_default()
}

fn first_comment(
    kind: PostKind,
    text: Option<&str>,
    violations: &mut Violations,
) -> Option<FirstComment> {
    let text = given(text)?;
    if kind == PostKind::Story {
        // Stories have no comments edge: replies to a story are direct messages. [INFER]
        violations.push(not_for_kind("first_comment", kind, "comments"));
        return None;
    }
    violations.keep_one("first_comment", FirstComment::parse(text))
}
