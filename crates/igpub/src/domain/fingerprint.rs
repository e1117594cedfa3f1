//! A short hash of a caption, to find a post among an account's recent media after an ambiguous
//! `media_publish` (design.md "Rules that keep posts exactly once").

use std::fmt;

use sha2::{Digest, Sha256};

/// Hex digits kept from the SHA-256: 64 bits, plenty to tell apart one account's recent posts.
const FINGERPRINT_HEX_LEN: usize = 16;

/// The first 16 hex digits of the SHA-256 of a caption whose whitespace is normalised: runs of
/// whitespace (spaces, tabs, line breaks) become one space and the ends are trimmed.
///
/// The normalisation makes the caption we sent and the caption Meta reads back (which may differ
/// in line endings or trailing spaces) give the same fingerprint. Compute the other side with
/// [`CaptionFingerprint::of`] on the `caption` field of a recent media; a media without a caption
/// fingerprints like an empty caption, as does a story.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaptionFingerprint(String);

impl CaptionFingerprint {
    /// The fingerprint of `caption`.
    pub fn of(caption: &str) -> Self {
        let mut hasher = Sha256::new();
        for (i, word) in caption.split_whitespace().enumerate() {
            if i > 0 {
                hasher.update(b" ");
            }
            hasher.update(word.as_bytes());
        }
        let mut hex = hex::encode(hasher.finalize());
        hex.truncate(FINGERPRINT_HEX_LEN);
        Self(hex)
    }

    /// The fingerprint as 16 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaptionFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_sixteen_hex_digits_of_the_sha256() {
        // SHA-256("hello world") = b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9
        assert_eq!(
            CaptionFingerprint::of("hello world").as_str(),
            "b94d27b9934d3e08"
        );
    }

    #[test]
    fn whitespace_differences_do_not_change_the_fingerprint() {
        assert_eq!(
            CaptionFingerprint::of("  hello\r\n\r\n world\t"),
            CaptionFingerprint::of("hello world")
        );
    }

    #[test]
    fn different_words_give_different_fingerprints() {
        assert_ne!(
            CaptionFingerprint::of("hello world"),
            CaptionFingerprint::of("hello  worlds")
        );
    }
}
