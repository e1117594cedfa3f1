//! Caption parsing and post validation: what every `POST /v1/posts` pays before anything is
//! stored. A typical post and the largest one the rules allow (graph-api.md §2.2–2.4).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use igpub::domain::{Caption, PostInput, PostSpec};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::hint::black_box;

fn now() -> Timestamp {
    Timestamp::from_second(1_796_000_000).expect("a fixed instant")
}

fn typical_caption() -> String {
    "Golden hour over the harbour, the last ferry of the day coming in. \
     Thanks @ana.photo for the tip! #sunset #travel #harbour"
        .to_owned()
}

/// 2,200 characters with 30 hashtags and 20 mentions: every caption limit reached, none passed.
fn max_caption() -> String {
    let mut text = String::new();
    for n in 0..30 {
        text.push_str(&format!("#tag{n:02} "));
    }
    for n in 0..20 {
        text.push_str(&format!("@user{n:02} "));
    }
    while text.chars().count() < 2_200 {
        text.push('é');
    }
    text
}

fn typical_post() -> Value {
    json!({
        "kind": "image",
        "caption": typical_caption(),
        "media": [{"url": "https://cdn.example.com/photos/harbour.jpg", "alt_text": "A ferry at dusk"}],
        "publish_at": "2026-12-01T18:30:00Z",
    })
}

/// A 10-item carousel with every option set, alt text and user tags on each image.
fn max_post() -> Value {
    let media: Vec<Value> = (0..10)
        .map(|n| {
            json!({
                "url": format!("https://cdn.example.com/photos/{n}.jpg"),
                "alt_text": "x".repeat(1_000),
                "user_tags": (0..5).map(|t| json!({"username": format!("tagged{t}"), "x": 0.5, "y": 0.5})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "kind": "carousel",
        "caption": max_caption(),
        "media": media,
        "location_id": "110843418940484",
        "collaborators": ["one", "two", "three"],
        "first_comment": "More at the link in bio",
        "publish_at": {"local": "2026-12-01T18:30", "time_zone": "Europe/Paris"},
    })
}

fn captions(c: &mut Criterion) {
    let typical = typical_caption();
    let max = max_caption();
    assert!(Caption::parse(&max).is_ok(), "the max caption is valid");
    c.bench_function("caption/parse typical", |b| {
        b.iter(|| Caption::parse(black_box(&typical)))
    });
    c.bench_function(
        "caption/parse max (2200 chars, 30 tags, 20 mentions)",
        |b| b.iter(|| Caption::parse(black_box(&max))),
    );
}

fn post_specs(c: &mut Criterion) {
    for (name, post) in [
        ("typical image", typical_post()),
        ("max carousel", max_post()),
    ] {
        let text = post.to_string();
        let input = PostInput::from_json(&text).expect("the bench post is valid JSON input");
        if let Err(errors) = PostSpec::parse(input.clone(), now()) {
            panic!("the {name} bench post must be valid: {errors}");
        }
        c.bench_function(&format!("post_spec/parse {name}"), |b| {
            b.iter_batched(
                || input.clone(),
                |input| PostSpec::parse(input, black_box(now())),
                BatchSize::SmallInput,
            )
        });
        c.bench_function(&format!("post_spec/parse_json {name}"), |b| {
            b.iter(|| PostSpec::parse_json(black_box(&text), now()))
        });
    }
}

criterion_group!(benches, captions, post_specs);
criterion_main!(benches);
