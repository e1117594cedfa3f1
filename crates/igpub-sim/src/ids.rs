//! Meta-shaped identifiers: numeric strings of the right length and prefix, distinct per kind,
//! repeatable from the seed; plus tokens, codes and trace ids.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The kinds of object that get ids. Each has its own prefix, so kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// Instagram professional accounts: `17841` + 12 digits (shared/graph-api.md conventions).
    IgUser,
    /// Containers: `179` + 14 digits.
    Container,
    /// Published media: `18` + 15 digits, distinct from containers.
    Media,
    /// Comments: `178` + 14 digits.
    Comment,
    /// Facebook Pages: `10` + 13 digits.
    Page,
    /// Facebook users: `12` + 13 digits.
    User,
    /// Apps: `13` + 13 digits.
    App,
    /// Legacy numeric Instagram ids (`ig_id`): `5` + 9 digits.
    LegacyIg,
}

impl IdKind {
    const ALL: [IdKind; 8] = [
        IdKind::IgUser,
        IdKind::Container,
        IdKind::Media,
        IdKind::Comment,
        IdKind::Page,
        IdKind::User,
        IdKind::App,
        IdKind::LegacyIg,
    ];

    /// (prefix, number of digits after it).
    fn layout(self) -> (u64, u32) {
        match self {
            IdKind::IgUser => (17_841, 12),
            IdKind::Container => (179, 14),
            IdKind::Media => (18, 15),
            IdKind::Comment => (178, 14),
            IdKind::Page => (10, 13),
            IdKind::User => (12, 13),
            IdKind::App => (13, 13),
            IdKind::LegacyIg => (5, 9),
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|kind| *kind == self).unwrap_or(0)
    }
}

const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Hands out ids and secrets. Ids come from a counter through a bijection, so they look random,
/// are unique without any lookup, and repeat from run to run.
pub struct IdFactory {
    counters: [u64; 8],
    offsets: [u64; 8],
    rng: StdRng,
}

impl IdFactory {
    /// A factory whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let offsets = std::array::from_fn(|_| rng.random::<u64>());
        Self {
            counters: [0; 8],
            offsets,
            rng,
        }
    }

    /// The next id of a kind.
    pub fn next(&mut self, kind: IdKind) -> u64 {
        let (prefix, digits) = kind.layout();
        let modulus = 10u64.pow(digits);
        let index = kind.index();
        let n = self.counters[index];
        self.counters[index] = n.wrapping_add(1);
        // Multiplying by a step coprime to 10 is a bijection on [0, 10^digits): no collisions
        // until the space is exhausted.
        const STEP: u128 = 7_919_876_543_213;
        let spread = (u128::from(n) * STEP + u128::from(self.offsets[index])) % u128::from(modulus);
        let spread = u64::try_from(spread).unwrap_or(0);
        prefix * modulus + spread
    }

    /// A fresh access token in Meta's `EAA…` shape.
    pub fn token(&mut self) -> String {
        format!("EAAG{}", self.random_text(92))
    }

    /// A fresh authorization code for the login redirect.
    pub fn auth_code(&mut self) -> String {
        format!("AQ{}", self.random_text(120))
    }

    /// A fresh app secret: 32 lower-case hex digits, like Meta's.
    pub fn app_secret(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        hex::encode(bytes)
    }

    fn random_text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| {
                let at = self.rng.random_range(0..TOKEN_ALPHABET.len());
                char::from(TOKEN_ALPHABET.get(at).copied().unwrap_or(b'A'))
            })
            .collect()
    }
}

/// An Instagram shortcode for a media id: 11 URL-safe base64 characters of the id.
pub fn shortcode(media_id: u64) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(media_id.to_be_bytes());
    encoded.chars().take(11).collect()
}

/// A paging cursor for a list position: base64 of the position, as Meta's look (`MTAx…`).
pub fn cursor(position: usize) -> String {
    STANDARD.encode(position.to_string())
}

/// The position a cursor stands for, if it is one of ours.
pub fn cursor_position(cursor: &str) -> Option<usize> {
    let bytes = STANDARD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

/// An `fbtrace_id` / `x-fb-trace-id` for the n-th answer: 11 URL-safe characters.
pub fn trace_id(n: u64) -> String {
    // A multiplicative hash, so consecutive answers do not get look-alike ids.
    let mixed = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    URL_SAFE_NO_PAD.encode(mixed.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_have_their_kinds_prefix_and_length() {
        let mut ids = IdFactory::new(42);
        let ig = ids.next(IdKind::IgUser).to_string();
        assert!(ig.starts_with("17841") && ig.len() == 17, "{ig}");
        let container = ids.next(IdKind::Container).to_string();
        assert!(
            container.starts_with("179") && container.len() == 17,
            "{container}"
        );
        let media = ids.next(IdKind::Media).to_string();
        assert!(media.starts_with("18") && media.len() == 17, "{media}");
    }

    #[test]
    fn ids_never_repeat_within_a_kind() {
        let mut ids = IdFactory::new(1);
        let seen: HashSet<u64> = (0..10_000).map(|_| ids.next(IdKind::Container)).collect();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn the_same_seed_gives_the_same_ids_and_tokens() {
        let mut a = IdFactory::new(9);
        let mut b = IdFactory::new(9);
        assert_eq!(a.next(IdKind::Media), b.next(IdKind::Media));
        assert_eq!(a.token(), b.token());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(cursor_position(&cursor(101)), Some(101));
        assert_eq!(cursor_position("not a cursor!"), None);
    }
}
