//! Integration tests of `igpub::domain`: every post rule at its boundaries, through the JSON the
//! HTTP API and the CLI accept, plus property tests (no panics, parse ∘ print = identity).

use igpub::domain::{
    Caption, GraduationStrategy, Hashtag, HashtagList, MediaKind, MediaUrl, PostInput, PostKind,
    PostSpec, Rule, ValidationErrors,
};
use jiff::Timestamp;
use serde_json::{Value, json};

fn now() -> Timestamp {
    "2026-11-29T12:00:00Z".parse().expect("a valid instant")
}

fn parse(post: Value) -> Result<PostSpec, ValidationErrors> {
    PostSpec::parse(PostInput::from_value(post)?, now())
}

fn valid(post: Value) -> PostSpec {
    match parse(post) {
        Ok(spec) => spec,
        Err(errors) => panic!("expected a valid post, got: {errors}"),
    }
}

/// The `(field, rule)` of every violation, in order.
fn problems(post: Value) -> Vec<(String, Rule)> {
    match parse(post) {
        Ok(spec) => panic!("expected violations, got a valid post: {spec:?}"),
        Err(errors) => errors
            .violations()
            .iter()
            .map(|v| (v.field.clone(), v.rule))
            .collect(),
    }
}

fn problem(field: &str, rule: Rule) -> Vec<(String, Rule)> {
    vec![(field.to_owned(), rule)]
}

fn image(n: usize) -> Value {
    json!({"url": format!("https://cdn.example.com/{n}.jpg")})
}

fn video(n: usize) -> Value {
    json!({"url": format!("https://cdn.example.com/{n}.mp4")})
}

fn image_post() -> Value {
    json!({"kind": "image", "media": [image(0)]})
}

fn carousel(items: usize) -> Value {
    let media: Vec<Value> = (0..items).map(image).collect();
    json!({"kind": "carousel", "media": media})
}

fn with(mut post: Value, field: &str, value: Value) -> Value {
    post[field] = value;
    post
}

fn words(prefix: char, count: usize) -> String {
    (0..count)
        .map(|i| format!("{prefix}w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

// ----- caption -------------------------------------------------------------------------------

#[test]
fn a_caption_of_2200_characters_is_accepted() {
    let spec = valid(with(image_post(), "caption", json!("é".repeat(2_200))));
    assert_eq!(spec.caption().map(Caption::char_count), Some(2_200));
}

#[test]
fn a_caption_of_2201_characters_is_refused_naming_length_and_limit() {
    let errors = parse(with(image_post(), "caption", json!("é".repeat(2_201)))).unwrap_err();
    let violation = errors.at("caption").expect("a caption violation");
    assert_eq!(violation.rule, Rule::MaxLength);
    assert_eq!(
        violation.message,
        "caption: the caption is 2,201 characters; Instagram allows at most 2,200"
    );
}

#[test]
fn thirty_hashtags_are_accepted_and_thirty_one_refused() {
    let spec = valid(with(image_post(), "caption", json!(words('#', 30))));
    assert_eq!(spec.hashtag_count(), 30);
    assert_eq!(
        problems(with(image_post(), "caption", json!(words('#', 31)))),
        problem("caption", Rule::TooManyHashtags)
    );
}

#[test]
fn twenty_mentions_are_accepted_and_twenty_one_refused() {
    let spec = valid(with(image_post(), "caption", json!(words('@', 20))));
    assert_eq!(spec.mention_count(), 20);
    assert_eq!(
        problems(with(image_post(), "caption", json!(words('@', 21)))),
        problem("caption", Rule::TooManyMentions)
    );
}

#[test]
fn listed_hashtags_are_normalised_and_appended_after_a_blank_line() {
    let post = with(image_post(), "caption", json!("Sunset"));
    let spec = valid(with(
        post,
        "hashtags",
        json!([" beach", "#Travel", "travel"]),
    ));
    assert_eq!(spec.caption_text(), Some("Sunset\n\n#beach #Travel"));
    assert_eq!(spec.hashtag_count(), 2);
}

#[test]
fn hashtags_already_in_the_caption_are_not_appended_twice_ignoring_case() {
    let post = with(image_post(), "caption", json!("Hot #SUMMER day #beach"));
    let spec = valid(with(post, "hashtags", json!(["summer", "Beach", "sun"])));
    assert_eq!(spec.caption_text(), Some("Hot #SUMMER day #beach\n\n#sun"));
    assert_eq!(spec.hashtag_count(), 3);
}

#[test]
fn listed_hashtags_count_with_those_in_the_caption() {
    let list: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    let at_limit = with(image_post(), "caption", json!(words('#', 20)));
    assert_eq!(
        valid(with(at_limit, "hashtags", json!(list))).hashtag_count(),
        30
    );

    let over = with(image_post(), "caption", json!(words('#', 21)));
    let errors = parse(with(over, "hashtags", json!(list))).unwrap_err();
    let violation = errors.at("caption").expect("a caption violation");
    assert_eq!(violation.rule, Rule::TooManyHashtags);
    assert!(
        violation
            .message
            .contains("31 hashtags (with the 10 hashtags from the hashtag list appended)"),
        "{violation}"
    );
}

#[test]
fn hashtags_alone_are_counted_under_hashtags() {
    let list: Vec<String> = (0..31).map(|i| format!("t{i}")).collect();
    assert_eq!(
        problems(with(image_post(), "hashtags", json!(list))),
        problem("hashtags", Rule::TooManyHashtags)
    );
}

#[test]
fn a_malformed_hashtag_is_refused_at_its_index() {
    assert_eq!(
        problems(with(
            image_post(),
            "hashtags",
            json!(["ok", "two words", ""])
        )),
        [
            ("hashtags[1]".to_owned(), Rule::InvalidCharacter),
            ("hashtags[2]".to_owned(), Rule::Empty)
        ]
    );
}

// ----- media count and types -----------------------------------------------------------------

#[test]
fn a_carousel_of_one_item_is_refused() {
    assert_eq!(problems(carousel(1)), problem("media", Rule::TooFewMedia));
}

#[test]
fn carousels_of_two_and_ten_items_are_accepted() {
    assert_eq!(valid(carousel(2)).media().len(), 2);
    assert_eq!(valid(carousel(10)).media().len(), 10);
}

#[test]
fn a_carousel_of_eleven_items_is_refused_naming_the_count() {
    let errors = parse(carousel(11)).unwrap_err();
    let violation = errors.at("media").expect("a media violation");
    assert_eq!(violation.rule, Rule::TooManyMedia);
    assert_eq!(
        violation.message,
        "media: a carousel has 11 media items; Instagram allows 2 to 10"
    );
}

#[test]
fn a_carousel_mixes_images_and_videos() {
    let spec = valid(json!({"kind": "carousel", "media": [image(0), video(1)]}));
    let kinds: Vec<MediaKind> = spec.media().iter().map(|m| m.kind()).collect();
    assert_eq!(kinds, [MediaKind::Image, MediaKind::Video]);
}

#[test]
fn image_reel_and_story_posts_take_exactly_one_item() {
    for kind in ["image", "reel", "story"] {
        let item = if kind == "reel" { video(0) } else { image(0) };
        assert_eq!(
            problems(json!({"kind": kind, "media": [item.clone(), item]})),
            problem("media", Rule::TooManyMedia),
            "{kind}"
        );
        assert_eq!(
            problems(json!({"kind": kind, "media": []})),
            problem("media", Rule::TooFewMedia),
            "{kind}"
        );
    }
}

#[test]
fn an_image_post_with_a_video_is_refused() {
    assert_eq!(
        problems(
            json!({"kind": "image", "media": [{"url": "https://e.com/a.mp4", "type": "video"}]})
        ),
        problem("media[0].type", Rule::WrongMediaType)
    );
}

#[test]
fn a_reel_of_an_image_is_refused() {
    assert_eq!(
        problems(
            json!({"kind": "reel", "media": [{"url": "https://e.com/a.jpg", "type": "image"}]})
        ),
        problem("media[0].type", Rule::WrongMediaType)
    );
}

#[test]
fn an_image_post_and_a_reel_imply_their_media_type() {
    let spec = valid(json!({"kind": "image", "media": [{"url": "https://e.com/p/123"}]}));
    assert_eq!(spec.media()[0].kind(), MediaKind::Image);
    let spec = valid(json!({"kind": "reel", "media": [{"url": "https://e.com/v/123"}]}));
    assert_eq!(spec.media()[0].kind(), MediaKind::Video);
}

#[test]
fn a_story_item_without_type_or_telling_extension_is_refused() {
    assert_eq!(
        problems(json!({"kind": "story", "media": [{"url": "https://e.com/media/9"}]})),
        problem("media[0].type", Rule::UnknownMediaType)
    );
}

#[test]
fn a_media_url_that_is_not_us_ascii_is_refused() {
    assert_eq!(
        problems(json!({"kind": "image", "media": [{"url": "https://e.com/café.jpg"}]})),
        problem("media[0].url", Rule::NonAsciiUrl)
    );
}

// ----- alt text ------------------------------------------------------------------------------

fn carousel_with_alt_text(index: usize, alt_text: &str) -> Value {
    let mut post = carousel(3);
    post["media"][index]["alt_text"] = json!(alt_text);
    post
}

#[test]
fn alt_text_of_1000_characters_is_accepted() {
    let spec = valid(carousel_with_alt_text(2, &"a".repeat(1_000)));
    let alt = spec.media()[2].alt_text().map(|a| a.as_str().len());
    assert_eq!(alt, Some(1_000));
}

#[test]
fn alt_text_of_1001_characters_is_refused_naming_the_item() {
    let errors = parse(carousel_with_alt_text(2, &"a".repeat(1_001))).unwrap_err();
    let violation = errors
        .at("media[2].alt_text")
        .expect("an alt text violation");
    assert_eq!(violation.rule, Rule::MaxLength);
    assert_eq!(
        violation.message,
        "media[2].alt_text: alt text is 1,001 characters; Instagram allows at most 1,000"
    );
}

#[test]
fn alt_text_on_a_carousel_video_is_refused() {
    let post = json!({"kind": "carousel", "media": [
        image(0),
        {"url": "https://e.com/1.mp4", "alt_text": "a dog running"}
    ]});
    assert_eq!(
        problems(post),
        problem("media[1].alt_text", Rule::NotAllowedForKind)
    );
}

#[test]
fn alt_text_on_a_story_or_a_reel_is_refused() {
    let story =
        json!({"kind": "story", "media": [{"url": "https://e.com/a.jpg", "alt_text": "x"}]});
    assert_eq!(
        problems(story),
        problem("media[0].alt_text", Rule::NotAllowedForKind)
    );
    let reel = json!({"kind": "reel", "media": [{"url": "https://e.com/a.mp4", "alt_text": "x"}]});
    assert_eq!(
        problems(reel),
        problem("media[0].alt_text", Rule::NotAllowedForKind)
    );
}

// ----- user tags -----------------------------------------------------------------------------

#[test]
fn a_user_tag_on_an_image_needs_a_position() {
    let post = json!({"kind": "image", "media": [
        {"url": "https://e.com/a.jpg", "user_tags": [{"username": "anna"}]}
    ]});
    assert_eq!(
        problems(post),
        problem("media[0].user_tags[0]", Rule::PositionRequired)
    );
}

#[test]
fn a_user_tag_on_a_story_may_omit_its_position() {
    let spec = valid(json!({"kind": "story", "media": [
        {"url": "https://e.com/a.jpg", "user_tags": [{"username": "@Anna"}]}
    ]}));
    let tag = &spec.media()[0].user_tags()[0];
    assert_eq!(tag.username().as_str(), "anna");
    assert_eq!(tag.position(), None);
}

#[test]
fn a_user_tag_outside_the_image_is_refused_at_its_coordinate() {
    let post = json!({"kind": "image", "media": [
        {"url": "https://e.com/a.jpg", "user_tags": [{"username": "anna", "x": 0.5, "y": 1.5}]}
    ]});
    assert_eq!(
        problems(post),
        problem("media[0].user_tags[0].y", Rule::OutOfRange)
    );
}

// ----- collaborators, location, first comment, reel options ---------------------------------

#[test]
fn three_collaborators_are_accepted_without_their_at() {
    let spec = valid(with(
        image_post(),
        "collaborators",
        json!(["@Anna", "bob", "c.d"]),
    ));
    assert_eq!(spec.collaborators().usernames(), ["anna", "bob", "c.d"]);
}

#[test]
fn four_collaborators_are_refused() {
    assert_eq!(
        problems(with(
            image_post(),
            "collaborators",
            json!(["a", "b", "c", "d"])
        )),
        problem("collaborators", Rule::TooManyCollaborators)
    );
}

#[test]
fn a_collaborator_listed_twice_is_refused() {
    assert_eq!(
        problems(with(
            image_post(),
            "collaborators",
            json!(["anna", "@ANNA"])
        )),
        problem("collaborators[1]", Rule::Duplicate)
    );
}

#[test]
fn a_story_with_a_caption_is_refused() {
    let story = json!({"kind": "story", "caption": "hello", "media": [image(0)]});
    assert_eq!(problems(story), problem("caption", Rule::NotAllowedForKind));
}

#[test]
fn a_story_with_collaborators_is_refused() {
    let story = json!({"kind": "story", "collaborators": ["anna"], "media": [image(0)]});
    assert_eq!(
        problems(story),
        problem("collaborators", Rule::NotAllowedForKind)
    );
}

#[test]
fn a_story_with_hashtags_location_or_first_comment_is_refused() {
    let story = json!({
        "kind": "story",
        "hashtags": ["a"],
        "location_id": "123",
        "first_comment": "hi",
        "media": [video(0)]
    });
    assert_eq!(
        problems(story),
        [
            ("hashtags".to_owned(), Rule::NotAllowedForKind),
            ("location_id".to_owned(), Rule::NotAllowedForKind),
            ("first_comment".to_owned(), Rule::NotAllowedForKind)
        ]
    );
}

#[test]
fn a_story_ignores_a_blank_caption() {
    let spec = valid(json!({"kind": "story", "caption": "  ", "media": [video(0)]}));
    assert_eq!(spec.caption(), None);
}

#[test]
fn a_location_id_must_be_numeric() {
    assert_eq!(
        problems(with(image_post(), "location_id", json!("Paris"))),
        problem("location_id", Rule::NotNumeric)
    );
    let spec = valid(with(image_post(), "location_id", json!("110123456789")));
    assert_eq!(spec.location().map(|l| l.as_str()), Some("110123456789"));
}

#[test]
fn a_first_comment_of_2201_characters_is_refused() {
    assert!(
        parse(with(
            image_post(),
            "first_comment",
            json!("c".repeat(2_200))
        ))
        .is_ok()
    );
    assert_eq!(
        problems(with(
            image_post(),
            "first_comment",
            json!("c".repeat(2_201))
        )),
        problem("first_comment", Rule::MaxLength)
    );
}

#[test]
fn reel_options_on_an_image_post_are_refused() {
    assert_eq!(
        problems(with(image_post(), "reel", json!({"share_to_feed": true}))),
        problem("reel", Rule::NotAllowedForKind)
    );
}

#[test]
fn a_reel_keeps_all_its_options() {
    let spec = valid(json!({
        "kind": "reel",
        "caption": "New drop",
        "media": [video(0)],
        "reel": {
            "cover_url": "https://cdn.example.com/cover.jpg",
            "thumb_offset_ms": 1500,
            "share_to_feed": false,
            "audio_name": "Studio theme",
            "trial_params": {"graduation_strategy": "SS_PERFORMANCE"}
        }
    }));
    let reel = spec.reel().expect("reel options");
    assert_eq!(
        reel.cover_url().map(MediaUrl::as_str),
        Some("https://cdn.example.com/cover.jpg")
    );
    assert_eq!(reel.thumb_offset().map(|t| t.as_millis()), Some(1_500));
    assert_eq!(reel.share_to_feed(), Some(false));
    assert_eq!(reel.audio_name().map(|a| a.as_str()), Some("Studio theme"));
    assert_eq!(
        reel.trial_params().map(|t| t.graduation_strategy),
        Some(GraduationStrategy::SsPerformance)
    );
}

#[test]
fn a_negative_thumbnail_offset_and_a_bad_cover_url_are_both_refused() {
    let post = json!({
        "kind": "reel",
        "media": [video(0)],
        "reel": {"cover_url": "cover.jpg", "thumb_offset_ms": -5}
    });
    assert_eq!(
        problems(post),
        [
            ("reel.cover_url".to_owned(), Rule::InvalidUrl),
            ("reel.thumb_offset_ms".to_owned(), Rule::OutOfRange)
        ]
    );
}

// ----- schedule ------------------------------------------------------------------------------

#[test]
fn a_publish_time_in_the_past_is_refused() {
    let errors = parse(with(
        image_post(),
        "publish_at",
        json!("2026-11-29T11:00:00Z"),
    ))
    .unwrap_err();
    let violation = errors.at("publish_at").expect("a publish_at violation");
    assert_eq!(violation.rule, Rule::InThePast);
    assert!(violation.message.contains("1h in the past"), "{violation}");
}

#[test]
fn now_is_accepted_and_due_immediately() {
    let spec = valid(with(image_post(), "publish_at", json!("now")));
    assert_eq!(spec.run_at(), now());
    assert!(spec.schedule().is_now());
    assert_eq!(valid(image_post()).run_at(), now());
}

#[test]
fn a_local_time_is_due_at_its_utc_instant_and_keeps_its_zone() {
    let spec = valid(with(
        image_post(),
        "publish_at",
        json!({"local": "2026-12-01T10:00", "time_zone": "America/New_York"}),
    ));
    assert_eq!(spec.run_at().to_string(), "2026-12-01T15:00:00Z");
    assert_eq!(spec.time_zone(), Some("America/New_York"));
}

#[test]
fn a_local_time_in_a_dst_gap_is_refused() {
    // 2027-03-14 02:30 never shows on New York clocks: they jump from 02:00 to 03:00.
    let errors = parse(with(
        image_post(),
        "publish_at",
        json!({"local": "2027-03-14T02:30", "time_zone": "America/New_York"}),
    ))
    .unwrap_err();
    let violation = errors
        .at("publish_at.local")
        .expect("a local-time violation");
    assert_eq!(violation.rule, Rule::NonexistentLocalTime);
    assert!(violation.message.contains("03:30"), "{violation}");
}

#[test]
fn an_unknown_time_zone_is_refused() {
    assert_eq!(
        problems(with(
            image_post(),
            "publish_at",
            json!({"local": "2026-12-01T10:00", "time_zone": "Europe/Atlantis"})
        )),
        problem("publish_at.time_zone", Rule::UnknownTimeZone)
    );
}

#[test]
fn a_draft_is_flagged() {
    assert!(valid(with(image_post(), "draft", json!(true))).is_draft());
    assert!(!valid(image_post()).is_draft());
}

// ----- all at once, shape errors, output ----------------------------------------------------

#[test]
fn every_violation_is_reported_at_once() {
    let post = json!({
        "kind": "carousel",
        "caption": "x".repeat(2_201),
        "hashtags": ["bad tag"],
        "media": [{"url": "ftp://e.com/a.jpg", "alt_text": "a".repeat(1_001)}],
        "collaborators": ["a", "b", "c", "d"],
        "publish_at": "2020-01-01T00:00:00Z"
    });
    assert_eq!(
        problems(post),
        [
            ("hashtags[0]".to_owned(), Rule::InvalidCharacter),
            ("caption".to_owned(), Rule::MaxLength),
            ("media".to_owned(), Rule::TooFewMedia),
            ("media[0].url".to_owned(), Rule::UnsupportedScheme),
            ("media[0].alt_text".to_owned(), Rule::MaxLength),
            ("collaborators".to_owned(), Rule::TooManyCollaborators),
            ("publish_at".to_owned(), Rule::InThePast),
        ]
    );
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    let errors = PostInput::from_value(with(image_post(), "captions", json!("typo"))).unwrap_err();
    assert_eq!(errors.len(), 1);
    let violation = &errors.violations()[0];
    assert_eq!(violation.rule, Rule::UnknownField);
    assert_eq!(violation.field, "captions");
    assert!(violation.message.contains("captions"), "{violation}");
}

#[test]
fn an_unknown_field_inside_a_media_item_is_refused_with_its_path() {
    let post = json!({"kind": "image", "media": [{"url": "https://e.com/a.jpg", "alt": "x"}]});
    let errors = PostInput::from_value(post).unwrap_err();
    assert_eq!(errors.violations()[0].field, "media[0].alt");
    assert_eq!(errors.violations()[0].rule, Rule::UnknownField);
}

#[test]
fn a_missing_kind_is_reported_as_required() {
    let errors = PostInput::from_json(r#"{"media": []}"#).unwrap_err();
    assert_eq!(errors.violations()[0].field, "kind");
    assert_eq!(errors.violations()[0].rule, Rule::Required);
}

#[test]
fn a_wrong_json_type_is_reported_at_its_path() {
    let errors = PostInput::from_json(r#"{"kind": "image", "media": "a.jpg"}"#).unwrap_err();
    assert_eq!(errors.violations()[0].field, "media");
    assert_eq!(errors.violations()[0].rule, Rule::InvalidJson);
    let errors = PostInput::from_json(r#"{"kind": "video", "media": []}"#).unwrap_err();
    assert_eq!(errors.violations()[0].field, "kind");
}

#[test]
fn a_malformed_local_publish_time_names_the_unknown_field() {
    let post = with(
        image_post(),
        "publish_at",
        json!({"local": "2026-12-01T10:00", "zone": "Europe/Paris"}),
    );
    let errors = PostInput::from_value(post).unwrap_err();
    let violation = &errors.violations()[0];
    assert!(violation.field.starts_with("publish_at"), "{violation}");
    assert!(violation.message.contains("zone"), "{violation}");
}

#[test]
fn validation_errors_serialise_as_details_for_the_http_layer() {
    let errors = parse(carousel(1)).unwrap_err();
    assert_eq!(
        serde_json::to_value(&errors).expect("serialisable"),
        json!([{
            "field": "media",
            "rule": "too_few_media",
            "message": "media: a carousel has 1 media items; Instagram needs 2 to 10"
        }])
    );
}

#[test]
fn the_caption_fingerprint_ignores_whitespace_differences() {
    let spec = valid(with(image_post(), "caption", json!("Hello\r\n\r\nworld  ")));
    assert_eq!(spec.caption_fingerprint().as_str().len(), 16);
    assert_eq!(
        spec.caption_fingerprint(),
        igpub::domain::CaptionFingerprint::of("Hello world")
    );
}

#[test]
fn a_full_post_prints_back_to_an_input_that_parses_to_the_same_post() {
    let spec = valid(json!({
        "kind": "carousel",
        "caption": "Collection by @studio",
        "hashtags": ["fashion", "Autumn"],
        "media": [
            {"url": "HTTPS://CDN.example.com/1.jpg", "alt_text": "A coat",
             "user_tags": [{"username": "@Anna", "x": 0.25, "y": 0.75}]},
            {"url": "https://cdn.example.com/2", "type": "video", "user_tags": [{"username": "bob"}]}
        ],
        "location_id": " 42 ",
        "collaborators": ["@Studio.B"],
        "first_comment": "Sizes XS-XL",
        "publish_at": {"local": "2026-12-24T18:00", "time_zone": "europe/paris"},
        "draft": true
    }));
    let printed = spec.to_input();
    assert_eq!(printed.kind, PostKind::Carousel);
    assert_eq!(printed.hashtags, None);
    assert_eq!(PostSpec::parse(printed, now()), Ok(spec));
}

// ----- properties ----------------------------------------------------------------------------

mod properties {
    use super::*;
    use igpub::domain::{Schedule, Username};
    use proptest::prelude::*;

    /// Any JSON value, nested a few levels.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                prop::collection::btree_map(post_key(), inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Mostly the keys a post uses, so random values reach the parser behind the shape checks.
    fn post_key() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "kind", "caption", "hashtags", "media", "url", "type", "alt_text", "user_tags",
                "username", "x", "y", "reel", "cover_url", "thumb_offset_ms", "share_to_feed",
                "audio_name", "trial_params", "graduation_strategy", "location_id",
                "collaborators", "first_comment", "publish_at", "local", "time_zone", "draft",
            ])
            .prop_map(str::to_owned),
            1 => "[a-z_]{1,12}",
        ]
    }

    fn username() -> impl Strategy<Value = String> {
        "@?[A-Za-z0-9._]{1,12}"
    }

    fn media_url(extension: &'static str) -> impl Strategy<Value = String> {
        "(https?)://[a-z]{1,8}\\.example\\.com/[a-zA-Z0-9_/-]{0,12}"
            .prop_map(move |base| format!("{base}{extension}"))
    }

    fn user_tags() -> impl Strategy<Value = Option<Value>> {
        let position = prop_oneof![
            8 => (0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(x, y)| (Some(x), Some(y))),
            1 => Just((None, None)),
            1 => (prop::option::of(-0.5..1.5f64), prop::option::of(-0.5..1.5f64)),
        ];
        prop::option::of(prop::collection::vec(
            (username(), position).prop_map(|(u, (x, y))| {
                let mut tag = json!({ "username": u });
                if let Some(x) = x {
                    tag["x"] = json!(x);
                }
                if let Some(y) = y {
                    tag["y"] = json!(y);
                }
                tag
            }),
            0..3,
        ))
        .prop_map(|tags| tags.map(Value::from))
    }

    fn media_item(kind: &'static str) -> impl Strategy<Value = Value> {
        let extension = prop::sample::select(match kind {
            "image" => vec![".jpg", ".jpeg", ""],
            "reel" => vec![".mp4", ".mov", ""],
            _ => vec![".jpg", ".mp4", ".mov", ".jpeg"],
        });
        (
            extension.prop_flat_map(media_url),
            prop::option::of("[ -~]{1,40}"),
            user_tags(),
        )
            .prop_map(move |(url, alt_text, user_tags)| {
                let mut item = json!({ "url": url });
                let is_image = url.ends_with(".jpg") || url.ends_with(".jpeg");
                if let (true, false, Some(alt)) = (is_image, kind == "story", alt_text) {
                    item["alt_text"] = json!(alt);
                }
                if let Some(tags) = user_tags {
                    item["user_tags"] = tags;
                }
                item
            })
    }

    fn publish_at() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            Just(None),
            Just(Some(json!("now"))),
            (0i64..50_000_000).prop_map(|secs| {
                let at = now()
                    .checked_add(jiff::SignedDuration::from_secs(secs))
                    .expect("in range");
                Some(json!(at.to_string()))
            }),
            (
                0i64..50_000_000,
                prop::sample::select(vec![
                    "Europe/Paris",
                    "America/New_York",
                    "Asia/Tokyo",
                    "UTC"
                ])
            )
                .prop_map(|(secs, zone)| {
                    let at = now()
                        .checked_add(jiff::SignedDuration::from_secs(secs))
                        .expect("in range");
                    let local = at.to_zoned(jiff::tz::TimeZone::UTC).datetime();
                    Some(json!({"local": local.to_string(), "time_zone": zone}))
                }),
        ]
    }

    /// Posts shaped like real ones, most of them valid.
    fn post() -> impl Strategy<Value = Value> {
        prop::sample::select(vec!["image", "carousel", "reel", "story"]).prop_flat_map(|kind| {
            let items = if kind == "carousel" {
                2..=10usize
            } else {
                1..=1usize
            };
            (
                prop::collection::vec(media_item(kind), items),
                prop::option::of("[a-zA-Z #@_.éü😀\n]{0,80}"),
                prop::option::of(prop::collection::vec("#?[a-zA-Z0-9_]{1,10}", 0..5)),
                prop::option::of(prop::collection::vec(username(), 0..=3)),
                prop::option::of("[0-9]{1,12}"),
                prop::option::of("[ -~]{1,60}"),
                publish_at(),
                prop::option::of(any::<bool>()),
                prop::option::of((
                    prop::option::of(media_url(".jpg")),
                    prop::option::of(0i64..100_000),
                    prop::option::of(any::<bool>()),
                    prop::option::of("[a-zA-Z ]{1,20}"),
                    prop::option::of(prop::sample::select(vec!["MANUAL", "SS_PERFORMANCE"])),
                )),
            )
                .prop_map(
                    move |(
                        media,
                        caption,
                        hashtags,
                        collaborators,
                        location,
                        comment,
                        at,
                        draft,
                        reel,
                    )| {
                        let mut post = json!({ "kind": kind, "media": media });
                        let story = kind == "story";
                        if !story {
                            if let Some(caption) = caption {
                                post["caption"] = json!(caption);
                            }
                            if let Some(hashtags) = hashtags {
                                post["hashtags"] = json!(hashtags);
                            }
                            if let Some(collaborators) = collaborators {
                                post["collaborators"] = json!(collaborators);
                            }
                            if let Some(location) = location {
                                post["location_id"] = json!(location);
                            }
                            if let Some(comment) = comment {
                                post["first_comment"] = json!(comment);
                            }
                        }
                        if let Some(at) = at {
                            post["publish_at"] = at;
                        }
                        if let Some(draft) = draft {
                            post["draft"] = json!(draft);
                        }
                        if let (Some((cover, offset, share, audio, trial)), "reel") = (reel, kind) {
                            let mut options = json!({});
                            if let Some(cover) = cover {
                                options["cover_url"] = json!(cover);
                            }
                            if let Some(offset) = offset {
                                options["thumb_offset_ms"] = json!(offset);
                            }
                            if let Some(share) = share {
                                options["share_to_feed"] = json!(share);
                            }
                            if let Some(audio) = audio {
                                options["audio_name"] = json!(audio);
                            }
                            if let Some(trial) = trial {
                                options["trial_params"] = json!({"graduation_strategy": trial});
                            }
                            post["reel"] = options;
                        }
                        post
                    },
                )
        })
    }

    proptest! {
        #[test]
        fn caption_parse_never_panics_and_counts_within_limits(text in "\\PC{0,300}|[#@a-z_. ]{0,300}") {
            if let Ok(caption) = Caption::parse(&text) {
                prop_assert!(caption.char_count() <= 2_200);
                prop_assert!(caption.hashtag_count() <= 30);
                prop_assert!(caption.mention_count() <= 20);
                prop_assert_eq!(Caption::parse(caption.as_str()), Ok(caption.clone()));
            }
        }

        #[test]
        fn hashtag_parsing_never_panics_and_is_idempotent(entries in prop::collection::vec("\\PC{0,20}|#?[a-zA-Z0-9_]{1,10}", 0..12)) {
            for entry in &entries {
                if let Ok(tag) = Hashtag::parse(entry) {
                    prop_assert!(tag.as_str().starts_with('#'));
                    prop_assert_eq!(Hashtag::parse(tag.as_str()), Ok(tag.clone()));
                }
            }
            if let Ok(list) = HashtagList::parse(&entries) {
                let keys: std::collections::HashSet<String> =
                    list.as_slice().iter().map(|t| t.as_str().to_lowercase()).collect();
                prop_assert_eq!(keys.len(), list.len());
            }
        }

        #[test]
        fn appended_hashtags_are_each_counted_once(body in "[a-z #]{0,60}", tags in prop::collection::vec("[a-zA-Z]{1,6}", 0..8)) {
            let list = HashtagList::parse(&tags).expect("letters are a valid hashtag");
            if let Ok(caption) = Caption::with_hashtags(&body, &list) {
                for tag in list.as_slice() {
                    let key = tag.as_str().to_lowercase();
                    let occurrences = igpub::domain::tokens::hashtags(caption.as_str())
                        .filter(|t| t.to_lowercase() == key)
                        .count();
                    prop_assert!(occurrences >= 1, "{} missing from {:?}", tag, caption.as_str());
                }
            }
        }

        #[test]
        fn usernames_and_urls_never_panic(text in "\\PC{0,60}") {
            let _ = Username::parse(&text);
            if let Ok(url) = MediaUrl::parse(&text) {
                prop_assert!(url.as_str().is_ascii());
                prop_assert_eq!(MediaUrl::parse(url.as_str()), Ok(url.clone()));
            }
        }

        #[test]
        fn schedule_parsing_never_panics(local in "\\PC{0,30}|[0-9T:-]{0,20}", zone in "\\PC{0,30}|[A-Za-z/_]{0,20}") {
            let input = igpub::domain::PublishAtInput::Local(igpub::domain::LocalPublishAt {
                local, time_zone: zone,
            });
            if let Ok(schedule) = Schedule::parse(Some(&input), now()) {
                prop_assert!(schedule.run_at() >= now() - jiff::SignedDuration::from_secs(60));
            }
        }

        #[test]
        fn post_parsing_never_panics_on_arbitrary_json(value in any_json()) {
            if let Ok(input) = PostInput::from_value(value) {
                let _ = PostSpec::parse(input, now());
            }
        }

        #[test]
        fn post_parsing_never_panics_on_json_text(text in "\\PC{0,200}") {
            let _ = PostSpec::parse_json(&text, now());
        }

        #[test]
        fn a_parsed_post_prints_back_to_itself(post in post()) {
            let input = PostInput::from_value(post).expect("the strategy makes well-shaped posts");
            if let Ok(spec) = PostSpec::parse(input, now()) {
                prop_assert_eq!(PostSpec::parse(spec.to_input(), now()), Ok(spec.clone()));
            }
        }
    }

    #[test]
    fn the_post_strategy_mostly_makes_valid_posts() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = post();
        let total = 200;
        let valid = (0..total)
            .filter(|_| {
                let post = strategy.new_tree(&mut runner).expect("a value").current();
                parse(post).is_ok()
            })
            .count();
        // The round-trip property is only meaningful if it sees many valid posts.
        assert!(
            valid * 3 > total * 2,
            "only {valid} of {total} generated posts were valid"
        );
    }
}
