//! Caption rules: 2200 characters, 30 hashtags, 20 @mentions (shared/graph-api.md §2.2, §6.3).

use crate::error::MetaError;

/// Longest caption, in characters.
pub const MAX_CAPTION_CHARS: usize = 2200;
/// Most hashtags in one caption.
pub const MAX_HASHTAGS: usize = 30;
/// Most @mentions in one caption.
pub const MAX_MENTIONS: usize = 20;

/// How many `#tag`s a caption holds: `#` followed by a letter, digit or underscore.
pub fn hashtags(caption: &str) -> usize {
    marked(caption, '#', |c| c.is_alphanumeric() || c == '_')
}

/// How many `@user`s a caption holds: `@` followed by a username character.
pub fn mentions(caption: &str) -> usize {
    marked(caption, '@', |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '.'
    })
}

fn marked(caption: &str, mark: char, starts_word: impl Fn(char) -> bool) -> usize {
    let mut count = 0;
    let mut chars = caption.chars().peekable();
    while let Some(c) = chars.next() {
        if c == mark && chars.peek().copied().is_some_and(&starts_word) {
            count += 1;
        }
    }
    count
}

/// Applies the caption rules: length and hashtags answer 36004/2207010, mentions 100/2207040,
/// as the error table pairs them (shared/graph-api.md §6.3).
pub fn check_caption(caption: &str) -> Result<(), MetaError> {
    let length = caption.chars().count();
    if length > MAX_CAPTION_CHARS {
        return Err(MetaError::publishing(
            36004,
            2_207_010,
            "Invalid parameter",
            "Caption too long",
            format!(
                "The submitted image's caption was {length} characters long. The maximum number of characters permitted for a caption is {MAX_CAPTION_CHARS}. Please submit media with a shorter caption."
            ),
        ));
    }
    let tags = hashtags(caption);
    if tags > MAX_HASHTAGS {
        return Err(MetaError::publishing(
            36004,
            2_207_010,
            "Invalid parameter",
            "Too many hashtags",
            // [INFER] Meta's table gives only the length wording for this subcode.
            format!(
                "The submitted caption has {tags} hashtags. The maximum number of hashtags permitted in a caption is {MAX_HASHTAGS}."
            ),
        ));
    }
    if mentions(caption) > MAX_MENTIONS {
        return Err(MetaError::publishing(
            100,
            2_207_040,
            "Invalid parameter",
            "Too many tags",
            format!("Cannot use more than {MAX_MENTIONS} tags per created media."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_and_mentions_are_counted_by_their_marks() {
        assert_eq!(hashtags("#a #b c# #_d ##"), 3);
        assert_eq!(mentions("@a.b hi @c @ d"), 2);
    }

    #[test]
    fn a_caption_of_exactly_2200_characters_passes() {
        assert!(check_caption(&"é".repeat(2200)).is_ok());
        let error = check_caption(&"é".repeat(2201)).err();
        assert_eq!(
            error.map(|e| (e.code, e.subcode)),
            Some((36004, Some(2_207_010)))
        );
    }

    #[test]
    fn thirty_one_hashtags_are_refused() {
        let caption = (0..31)
            .map(|n| format!("#t{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(check_caption(&caption).err().map(|e| e.code), Some(36004));
    }

    #[test]
    fn twenty_one_mentions_are_2207040() {
        let caption = (0..21)
            .map(|n| format!("@u{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            check_caption(&caption).err().and_then(|e| e.subcode),
            Some(2_207_040)
        );
    }
}
