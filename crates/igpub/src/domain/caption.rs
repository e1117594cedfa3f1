//! The caption of a post, as Meta receives it: text plus the appended hashtags, within
//! Instagram's limits.

use std::collections::HashSet;
use std::fmt;

use super::fingerprint::CaptionFingerprint;
use super::hashtag::{HashtagList, case_key};
use super::limits::{CAPTION_MAX_CHARS, CAPTION_MAX_HASHTAGS, CAPTION_MAX_MENTIONS};
use super::tokens;
use super::violation::{Fault, Problems, Rule, grouped};

// graph-api.md §2.2 (`caption`), §6.3 36004/2207010
/// A caption Instagram accepts: at most 2,200 characters, 30 hashtags and 20 @mentions.
///
/// **Characters** are Unicode scalar values (Rust `char`s), which is how Meta counts: `é` written
/// as one code point is 1, an emoji is 1 or more (a family emoji joined with zero-width joiners
/// counts every part), `\r\n` is 2. Hashtags and mentions are the tokens defined in
/// [`crate::domain::tokens`]; every occurrence counts.
///
/// A `Caption` always holds the full text sent to Meta: [`Caption::with_hashtags`] appends a
/// hashtag list first, and the limits apply to the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    text: String,
    chars: usize,
    hashtags: usize,
    mentions: usize,
}

/// One limit a caption breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptionError {
    /// More characters than Instagram allows.
    #[error(
        "the caption is {} characters{}; Instagram allows at most {}",
        grouped(*chars), appended_note(*appended), grouped(CAPTION_MAX_CHARS)
    )]
    TooLong {
        /// Characters in the full caption.
        chars: usize,
        /// Hashtags appended from the hashtag list (0 when there was none).
        appended: usize,
    },
    /// More hashtags than Instagram allows.
    #[error(
        "the caption has {count} hashtags{}; Instagram allows at most {CAPTION_MAX_HASHTAGS}",
        appended_note(*appended)
    )]
    TooManyHashtags {
        /// Hashtags in the full caption, repeats included.
        count: usize,
        /// How many of them were appended from the hashtag list.
        appended: usize,
    },
    /// More @mentions than Instagram allows.
    #[error("the caption has {count} @mentions; Instagram allows at most {CAPTION_MAX_MENTIONS}")]
    TooManyMentions {
        /// Mentions in the caption, repeats included.
        count: usize,
    },
}

fn appended_note(appended: usize) -> String {
    match appended {
        0 => String::new(),
        1 => " (with the 1 hashtag from the hashtag list appended)".to_owned(),
        n => format!(" (with the {n} hashtags from the hashtag list appended)"),
    }
}

impl Fault for CaptionError {
    fn rule(&self) -> Rule {
        match self {
            CaptionError::TooLong { .. } => Rule::MaxLength,
            CaptionError::TooManyHashtags { .. } => Rule::TooManyHashtags,
            CaptionError::TooManyMentions { .. } => Rule::TooManyMentions,
        }
    }
}

impl Caption {
    /// Checks `text` as a complete caption; reports every limit it breaks.
    pub fn parse(text: &str) -> Result<Self, Problems<CaptionError>> {
        Self::measure(text.to_owned(), 0)
    }

    /// Appends `hashtags` to `body` and checks the result as a caption.
    ///
    /// Tags already in `body` (ignoring case) are not appended again. The rest are joined by
    /// single spaces and placed after a blank line (`"\n\n"`, body trailing whitespace trimmed),
    /// which is how Instagram users write a hashtag block; with an empty body the caption is the
    /// tags alone. The limits count the result, tags from the body and the list together.
    pub fn with_hashtags(
        body: &str,
        hashtags: &HashtagList,
    ) -> Result<Self, Problems<CaptionError>> {
        let in_body: HashSet<String> = tokens::hashtags(body).map(case_key).collect();
        let appended = hashtags.without(&in_body);
        let text = if appended.is_empty() {
            body.to_owned()
        } else if body.trim().is_empty() {
            appended.joined()
        } else {
            format!("{}\n\n{}", body.trim_end(), appended.joined())
        };
        Self::measure(text, appended.len())
    }

    fn measure(text: String, appended: usize) -> Result<Self, Problems<CaptionError>> {
        let chars = text.chars().count();
        let hashtags = tokens::hashtags(&text).count();
        let mentions = tokens::mentions(&text).count();
        let mut problems = Vec::new();
        if chars > CAPTION_MAX_CHARS {
            problems.push(CaptionError::TooLong { chars, appended });
        }
        if hashtags > CAPTION_MAX_HASHTAGS {
            problems.push(CaptionError::TooManyHashtags {
                count: hashtags,
                appended,
            });
        }
        if mentions > CAPTION_MAX_MENTIONS {
            problems.push(CaptionError::TooManyMentions { count: mentions });
        }
        Problems::check(problems)?;
        Ok(Self {
            text,
            chars,
            hashtags,
            mentions,
        })
    }

    /// The full caption, as sent to Meta.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Characters (Unicode scalar values) in the caption.
    pub fn char_count(&self) -> usize {
        self.chars
    }

    /// Hashtags in the caption, repeats included.
    pub fn hashtag_count(&self) -> usize {
        self.hashtags
    }

    /// @mentions in the caption, repeats included.
    pub fn mention_count(&self) -> usize {
        self.mentions
    }

    /// The caption's fingerprint, to recognise the post among an account's recent media.
    pub fn fingerprint(&self) -> CaptionFingerprint {
        CaptionFingerprint::of(&self.text)
    }
}

impl fmt::Display for Caption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> HashtagList {
        HashtagList::parse(list).unwrap()
    }

    #[test]
    fn a_caption_of_2200_characters_is_accepted_and_2201_refused() {
        assert!(Caption::parse(&"a".repeat(2_200)).is_ok());
        let problems = Caption::parse(&"a".repeat(2_201)).unwrap_err();
        assert_eq!(
            problems.as_slice(),
            [CaptionError::TooLong {
                chars: 2_201,
                appended: 0
            }]
        );
        assert_eq!(
            problems.to_string(),
            "the caption is 2,201 characters; Instagram allows at most 2,200"
        );
    }

    #[test]
    fn characters_are_counted_as_unicode_scalar_values_not_bytes() {
        // 2,200 two-byte and four-byte characters: 4,400+ bytes, 2,200 chars.
        assert!(Caption::parse(&"é".repeat(1_100).repeat(2)).is_ok());
        assert_eq!(Caption::parse("😀é").unwrap().char_count(), 2);
    }

    #[test]
    fn thirty_hashtags_are_accepted_and_thirty_one_refused() {
        let thirty: Vec<String> = (0..30).map(|i| format!("#t{i}")).collect();
        assert_eq!(
            Caption::parse(&thirty.join(" ")).unwrap().hashtag_count(),
            30
        );
        let problems = Caption::parse(&format!("{} #t30", thirty.join(" "))).unwrap_err();
        assert!(problems.breaks(Rule::TooManyHashtags), "{problems}");
    }

    #[test]
    fn twenty_mentions_are_accepted_and_twenty_one_refused() {
        let twenty: Vec<String> = (0..20).map(|i| format!("@user{i}")).collect();
        assert_eq!(
            Caption::parse(&twenty.join(" ")).unwrap().mention_count(),
            20
        );
        let problems = Caption::parse(&format!("{} @user20", twenty.join(" "))).unwrap_err();
        assert_eq!(
            problems.as_slice(),
            [CaptionError::TooManyMentions { count: 21 }]
        );
    }

    #[test]
    fn every_broken_limit_is_reported_at_once() {
        let text = format!(
            "{} {} {}",
            "#h ".repeat(31),
            "@m ".repeat(21),
            "x".repeat(2_200)
        );
        let rules: Vec<Rule> = Caption::parse(&text)
            .unwrap_err()
            .as_slice()
            .iter()
            .map(Fault::rule)
            .collect();
        assert_eq!(
            rules,
            [
                Rule::MaxLength,
                Rule::TooManyHashtags,
                Rule::TooManyMentions
            ]
        );
    }

    #[test]
    fn hashtags_are_appended_after_a_blank_line() {
        let caption = Caption::with_hashtags("Sunset. ", &tags(&["beach", "sun"])).unwrap();
        assert_eq!(caption.as_str(), "Sunset.\n\n#beach #sun");
        assert_eq!(caption.hashtag_count(), 2);
    }

    #[test]
    fn hashtags_alone_make_the_whole_caption() {
        let caption = Caption::with_hashtags("", &tags(&["beach"])).unwrap();
        assert_eq!(caption.as_str(), "#beach");
    }

    #[test]
    fn hashtags_already_in_the_caption_are_not_appended_again_ignoring_case() {
        let caption =
            Caption::with_hashtags("Hot #Summer day", &tags(&["summer", "beach"])).unwrap();
        assert_eq!(caption.as_str(), "Hot #Summer day\n\n#beach");
        assert_eq!(caption.hashtag_count(), 2);
    }

    #[test]
    fn appended_hashtags_count_with_those_in_the_caption() {
        let body: Vec<String> = (0..25).map(|i| format!("#b{i}")).collect();
        let list: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
        let list = HashtagList::parse(&list).unwrap();
        let problems = Caption::with_hashtags(&body.join(" "), &list).unwrap_err();
        assert_eq!(
            problems.as_slice(),
            [CaptionError::TooManyHashtags {
                count: 31,
                appended: 6
            }]
        );
        assert!(problems.to_string().contains("31 hashtags (with the 6"));
    }

    #[test]
    fn appended_hashtags_count_against_the_length() {
        let body = "a".repeat(2_193); // + "\n\n#abcd" = 2,200
        assert!(Caption::with_hashtags(&body, &tags(&["abcd"])).is_ok());
        let problems = Caption::with_hashtags(&body, &tags(&["abcde"])).unwrap_err();
        assert!(problems.breaks(Rule::MaxLength), "{problems}");
    }
}
