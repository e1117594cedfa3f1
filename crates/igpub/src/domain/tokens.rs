//! What counts as a hashtag or an @mention inside a caption.
//!
//! A **word character** is a Unicode word character as in regex `\w`: letters, combining marks,
//! digits and connector punctuation such as `_` (so `#café`, `#東京` and Hindi tags with vowel
//! signs are whole tokens).
//!
//! - A **hashtag** is `#` followed by one or more word characters.
//! - A **mention** is `@` followed by one or more word characters or `.`, with trailing dots
//!   dropped (Instagram usernames never end in a dot, so `@anna.` at the end of a sentence is
//!   `@anna`); `@` followed only by dots is no mention.
//! - Neither counts when its `#` or `@` directly follows a word character: `a#b` and
//!   `mail@example.com` are words, not tags.
//!
//! Every occurrence counts, repeats too: Meta does not say whether a repeated tag counts once, so
//! counting each one never lets through a caption Meta would refuse.

/// Whether `c` is a word character (regex `\w`, Unicode-aware).
pub fn is_word_char(c: char) -> bool {
    // regex-syntax carries the Unicode tables; the fallback only runs if its `unicode-perl`
    // feature were ever turned off.
    regex_syntax::try_is_word_character(c).unwrap_or_else(|_| c.is_alphanumeric() || c == '_')
}

/// The hashtags in `text`, each with its `#`, in order.
pub fn hashtags(text: &str) -> impl Iterator<Item = &str> {
    tokens(text, '#', is_word_char)
}

/// The mentions in `text`, each with its `@`, in order.
pub fn mentions(text: &str) -> impl Iterator<Item = &str> {
    tokens(text, '@', |c| is_word_char(c) || c == '.').filter_map(|token| {
        let trimmed = token.trim_end_matches('.');
        // A lone `@` (all dots trimmed away) is punctuation, not a mention.
        (trimmed.len() > 1).then_some(trimmed)
    })
}

/// Tokens that start with `sigil` not preceded by a word character and continue with at least one
/// character accepted by `body`.
fn tokens<'t>(
    text: &'t str,
    sigil: char,
    body: impl Fn(char) -> bool + 't,
) -> impl Iterator<Item = &'t str> + 't {
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some((start, c)) = chars.next() {
            let starts_token = c == sigil && !previous.is_some_and(is_word_char);
            previous = Some(c);
            if !starts_token {
                continue;
            }
            let mut end = start + c.len_utf8();
            while let Some(&(at, next)) = chars.peek() {
                if !body(next) {
                    break;
                }
                end = at + next.len_utf8();
                previous = Some(next);
                chars.next();
            }
            if end > start + c.len_utf8() {
                return text.get(start..end);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<&str> {
        hashtags(text).collect()
    }

    fn ats(text: &str) -> Vec<&str> {
        mentions(text).collect()
    }

    #[test]
    fn a_hashtag_is_a_hash_followed_by_word_characters() {
        assert_eq!(
            tags("Sun #summer_2026, #café #東京!"),
            ["#summer_2026", "#café", "#東京"]
        );
    }

    #[test]
    fn combining_marks_stay_inside_a_hashtag() {
        assert_eq!(tags("#नमस्ते"), ["#नमस्ते"]);
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_hashtag() {
        assert!(tags("C# and a#b and issue#5").is_empty());
    }

    #[test]
    fn a_hash_without_a_word_is_not_a_hashtag() {
        assert!(tags("# ## #! #").is_empty());
    }

    #[test]
    fn hashtags_written_back_to_back_each_count() {
        assert_eq!(tags("#a#b"), ["#a"]);
        assert_eq!(tags("#a #a #A"), ["#a", "#a", "#A"]);
    }

    #[test]
    fn a_mention_may_contain_dots_but_not_end_with_one() {
        assert_eq!(ats("thanks @anna.k and @bob."), ["@anna.k", "@bob"]);
    }

    #[test]
    fn an_email_address_is_not_a_mention() {
        assert!(ats("write to mail@example.com").is_empty());
    }

    #[test]
    fn an_at_followed_only_by_dots_is_not_a_mention() {
        assert!(ats("@... @ @!").is_empty());
    }
}
