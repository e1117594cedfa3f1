//! Random bearer secrets (API keys, OAuth states) and the hashes the store keeps instead.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Random bytes per secret: 256 bits, beyond any guessing.
const RANDOM_BYTES: usize = 32;

/// Length of the random part once encoded (base64url without padding).
pub(crate) const RANDOM_TEXT_LENGTH: usize = 43;

/// `prefix` followed by 32 random bytes in base64url.
pub(crate) fn random_secret(prefix: &str) -> SecretString {
    let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
    // ThreadRng is a CSPRNG seeded from the OS and reseeded periodically.
    rand::rng().fill_bytes(bytes.as_mut_slice());
    let mut text = String::with_capacity(prefix.len() + RANDOM_TEXT_LENGTH);
    text.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes.as_slice(), &mut text);
    SecretString::from(text)
}

/// Lower-case hex SHA-256: what is stored in place of a bearer secret.
pub(crate) fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `text` is `prefix` followed by a random part as [`random_secret`] makes it.
pub(crate) fn has_secret_shape(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|random| {
        random.len() == RANDOM_TEXT_LENGTH
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_random_secret_has_the_shape_it_is_checked_against() {
        let secret = random_secret("igpub_");
        assert!(has_secret_shape(secret.expose_secret(), "igpub_"));
        assert!(!has_secret_shape(secret.expose_secret(), "other_"));
        assert!(!has_secret_shape("igpub_short", "igpub_"));
    }

    #[test]
    fn two_random_secrets_differ() {
        assert_ne!(
            random_secret("").expose_secret(),
            random_secret("").expose_secret()
        );
    }

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
