//! The caption's live counters: characters, hashtags and @mentions of the caption *as Meta will
//! receive it* (the hashtag field appended), counted by the domain's own code so the numbers
//! always agree with validation.

use std::collections::HashSet;

use crate::domain::limits::{CAPTION_MAX_CHARS, CAPTION_MAX_HASHTAGS, CAPTION_MAX_MENTIONS};
use crate::domain::{Caption, CaptionError, HashtagList, tokens};

/// One counter: how many, out of how many allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// What the caption has.
    pub count: usize,
    /// What Instagram allows.
    pub limit: usize,
}

impl Counter {
    /// Whether the caption breaks this limit.
    pub fn is_over(&self) -> bool {
        self.count > self.limit
    }

    /// `1,234 / 2,200`.
    pub fn text(&self) -> String {
        format!("{} / {}", grouped(self.count), grouped(self.limit))
    }
}

/// `2200` → `2,200`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The three counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Characters (Unicode scalar values), graph-api.md §2.2.
    pub chars: Counter,
    /// Hashtags, repeats included.
    pub hashtags: Counter,
    /// @mentions, repeats included.
    pub mentions: Counter,
}

impl Counters {
    /// Counts `caption` with the valid entries of the hashtag field appended.
    ///
    /// When the caption is within every limit, the numbers are [`Caption`]'s own. When it is
    /// not, the broken limits' numbers come from its errors, and the rest are counted on the
    /// same text `Caption::with_hashtags` builds (a tested mirror of it), since a refused
    /// caption exposes no text.
    pub fn of(caption: &str, hashtag_entries: &[String]) -> Self {
        let valid: Vec<&String> = hashtag_entries
            .iter()
            .filter(|entry| HashtagList::parse(std::slice::from_ref(*entry)).is_ok())
            .collect();
        let list = HashtagList::parse(&valid).unwrap_or_default();
        match Caption::with_hashtags(caption, &list) {
            Ok(full) => Self::new(
                full.char_count(),
                full.hashtag_count(),
                full.mention_count(),
            ),
            Err(problems) => {
                let text = full_text(caption, &list);
                let mut counters = Self::new(
                    text.chars().count(),
                    tokens::hashtags(&text).count(),
                    tokens::mentions(&text).count(),
                );
                for problem in problems.as_slice() {
                    match problem {
                        CaptionError::TooLong { chars, .. } => counters.chars.count = *chars,
                        CaptionError::TooManyHashtags { count, .. } => {
                            counters.hashtags.count = *count;
                        }
                        CaptionError::TooManyMentions { count } => counters.mentions.count = *count,
                    }
                }
                counters
            }
        }
    }

    fn new(chars: usize, hashtags: usize, mentions: usize) -> Self {
        Self {
            chars: Counter {
                count: chars,
                limit: CAPTION_MAX_CHARS,
            },
            hashtags: Counter {
                count: hashtags,
                limit: CAPTION_MAX_HASHTAGS,
            },
            mentions: Counter {
                count: mentions,
                limit: CAPTION_MAX_MENTIONS,
            },
        }
    }
}

/// The caption `Caption::with_hashtags` sends: list tags not already in the body (ignoring
/// case) go after a blank line.
fn full_text(body: &str, list: &HashtagList) -> String {
    let in_body: HashSet<String> = tokens::hashtags(body).map(str::to_lowercase).collect();
    let appended: Vec<&str> = list
        .as_slice()
        .iter()
        .map(|tag| tag.as_str())
        .filter(|tag| !in_body.contains(&tag.to_lowercase()))
        .collect();
    if appended.is_empty() {
        body.to_owned()
    } else if body.trim().is_empty() {
        appended.join(" ")
    } else {
        format!("{}\n\n{}", body.trim_end(), appended.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn counts_include_the_appended_hashtags() {
        let counters = Counters::of("Sunset with @anna #Beach", &entries(&["beach", "sun"]));
        // "Sunset with @anna #Beach\n\n#sun": #beach is already there, ignoring case.
        assert_eq!(counters.hashtags.count, 2);
        assert_eq!(counters.mentions.count, 1);
        assert_eq!(
            counters.chars.count,
            "Sunset with @anna #Beach\n\n#sun".chars().count()
        );
        assert!(!counters.chars.is_over());
    }

    #[test]
    fn counters_match_validation_at_and_over_every_limit() {
        let thirty_one: Vec<String> = (0..31).map(|i| format!("#t{i}")).collect();
        let twenty_one: Vec<String> = (0..21).map(|i| format!("@u{i}")).collect();
        let cases = [
            ("a".repeat(2_200), 2_200, 0, 0),
            ("a".repeat(2_201), 2_201, 0, 0),
            (
                thirty_one.join(" "),
                thirty_one.join(" ").chars().count(),
                31,
                0,
            ),
            (
                twenty_one.join(" "),
                twenty_one.join(" ").chars().count(),
                0,
                21,
            ),
        ];
        for (caption, chars, hashtags, mentions) in cases {
            let counters = Counters::of(&caption, &[]);
            assert_eq!(counters.chars.count, chars, "{caption:.20}");
            assert_eq!(counters.hashtags.count, hashtags);
            assert_eq!(counters.mentions.count, mentions);
            let refused = Caption::parse(&caption).is_err();
            let over = counters.chars.is_over()
                || counters.hashtags.is_over()
                || counters.mentions.is_over();
            assert_eq!(
                refused, over,
                "counters and validation disagree on {caption:.20}"
            );
        }
    }

    #[test]
    fn the_mirror_builds_the_same_text_as_the_domain() {
        let cases = [
            ("Hot #Summer day ", vec!["summer", "beach"]),
            ("", vec!["beach"]),
            ("No tags", vec![]),
            ("Two\n\n", vec!["a", "b"]),
        ];
        for (body, tags) in cases {
            let list = HashtagList::parse(&tags).unwrap_or_default();
            let caption = Caption::with_hashtags(body, &list).map(|c| c.as_str().to_owned());
            assert_eq!(caption.ok(), Some(full_text(body, &list)), "{body:?}");
        }
    }

    #[test]
    fn counters_read_with_thousands_separators() {
        let counter = Counter {
            count: 1234,
            limit: CAPTION_MAX_CHARS,
        };
        assert_eq!(counter.text(), "1,234 / 2,200");
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }

    #[test]
    fn an_invalid_hashtag_entry_is_left_to_validation_not_counted() {
        let counters = Counters::of("", &entries(&["ok", "not valid!"]));
        assert_eq!(counters.hashtags.count, 1);
    }

    #[test]
    fn counts_over_a_limit_come_with_the_other_counts_exact() {
        let caption = format!("{} @a @b", "#t ".repeat(31));
        let counters = Counters::of(&caption, &[]);
        assert_eq!(counters.hashtags.count, 31);
        assert!(counters.hashtags.is_over());
        assert_eq!(counters.mentions.count, 2);
        assert_eq!(counters.chars.count, caption.chars().count());
    }
}
