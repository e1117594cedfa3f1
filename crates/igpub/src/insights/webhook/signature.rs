//! `X-Hub-Signature-256` over the raw body bytes (graph-api.md §8.2).

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The header Meta signs deliveries with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Why a delivery's signature is refused; the HTTP layer answers 403 and processes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("the X-Hub-Signature-256 header is malformed: {0}")]
    Malformed(&'static str),
    /// The signature does not match the body.
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
    /// No app secret is configured, so no signature can be trusted.
    #[error("no Meta app secret is configured")]
    SecretNotConfigured,
}

/// Checks `header` against HMAC-SHA256(`app_secret`, `raw_body`) in constant time.
///
/// The body must be the bytes as received: Meta signs its own escaping of the payload, so a
/// re-serialised body would not match (graph-api.md §8.2).
pub fn verify_signature(
    app_secret: &SecretString,
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed("expected `sha256=<hex>`"))?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed("expected 64 hex digits"));
    }
    let digest =
        hex::decode(hex_digest).map_err(|_| SignatureError::Malformed("expected 64 hex digits"))?;
    // hmac's verify_slice compares in constant time.
    mac(app_secret)?
        .chain_update(raw_body)
        .verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `raw_body`: `sha256=<lowercase hex>`. For tests,
/// and for re-checking stored deliveries.
pub fn sign_body(app_secret: &SecretString, raw_body: &[u8]) -> Result<String, SignatureError> {
    let tag = mac(app_secret)?
        .chain_update(raw_body)
        .finalize()
        .into_bytes();
    Ok(format!("sha256={}", hex::encode(tag)))
}

fn mac(app_secret: &SecretString) -> Result<Hmac<Sha256>, SignatureError> {
    let key = app_secret.expose_secret().as_bytes();
    if key.is_empty() {
        return Err(SignatureError::SecretNotConfigured);
    }
    // HMAC takes keys of any length; the error arm cannot happen but is not unwrapped.
    Hmac::<Sha256>::new_from_slice(key).map_err(|_| SignatureError::SecretNotConfigured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("app-secret")
    }

    #[test]
    fn a_known_vector_verifies() {
        // `printf '{}' | openssl dgst -sha256 -hmac app-secret`
        let header = "sha256=bd9549eb87a414d3df28b5a60ea86d4a11e2f1c6258edbd18f56d3c23c0f908d";
        assert_eq!(sign_body(&secret(), b"{}").as_deref(), Ok(header));
        assert_eq!(verify_signature(&secret(), b"{}", Some(header)), Ok(()));
        let upper = header.to_uppercase().replace("SHA256=", "sha256=");
        assert_eq!(verify_signature(&secret(), b"{}", Some(&upper)), Ok(()));
    }

    #[test]
    fn one_changed_byte_fails() {
        let signed = sign_body(&secret(), b"{\"a\":1}").expect("signs");
        assert_eq!(
            verify_signature(&secret(), b"{\"a\":2}", Some(&signed)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        let s = secret();
        assert_eq!(
            verify_signature(&s, b"{}", None),
            Err(SignatureError::Missing)
        );
        for header in [
            "",
            "sha1=abc",
            "sha256=",
            "sha256=zz",
            &format!("sha256={}", "g".repeat(64)),
        ] {
            assert!(
                matches!(
                    verify_signature(&s, b"{}", Some(header)),
                    Err(SignatureError::Malformed(_))
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn an_empty_app_secret_verifies_nothing() {
        let empty = SecretString::from("");
        assert_eq!(
            verify_signature(&empty, b"{}", Some(&format!("sha256={}", "0".repeat(64)))),
            Err(SignatureError::SecretNotConfigured)
        );
    }
}
