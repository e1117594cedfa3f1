//! Signing outbound webhook deliveries, and checking a signature the way a receiver should.
//!
//! Every delivery carries `X-Igpub-Signature: t=<unix seconds>,v1=<hex>` where the hex is
//! `HMAC-SHA256(secret, "<t>.<raw body>")`. A receiver:
//!
//! 1. reads the raw body bytes (before any JSON parsing: re-serialised JSON differs);
//! 2. splits the header on `,` and reads `t` and every `v1` (there may be several while a
//!    secret is being replaced);
//! 3. computes the HMAC of `t`, a `.`, and the raw body with its secret, and compares it with
//!    each `v1` in constant time;
//! 4. rejects the delivery when `t` is more than 5 minutes from its own clock, so a captured
//!    delivery cannot be replayed later; and de-duplicates on the body's `id` (retries of one
//!    event carry the same id), since a delivery may arrive more than once.
//!
//! [`verify`] does exactly that, for Rust receivers and for igpub's own tests.

use std::time::Duration;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-igpub-signature";
/// How far a signature's time may be from the receiver's clock.
pub const REPLAY_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix>,v1=<hex>`.
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    /// No `v1` matches the body.
    #[error("no signature matches the body")]
    Mismatch,
    /// The signature is older (or newer) than the tolerance allows: a replay.
    #[error("the signature is {age_seconds} s from now; at most {tolerance_seconds} s is accepted")]
    Stale {
        /// Distance between the signature's time and now.
        age_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
}

fn mac(secret: &SecretString, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new(&key_block(secret.expose_secret().as_bytes()).into());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// RFC 2104's key block: a key longer than the block is hashed, a shorter one zero-padded.
/// Doing it here gives an infallible fixed-size key with the same MAC values as any library.
fn key_block(key: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
}

/// The header value for `body` signed with `secret` at `timestamp` (Unix seconds).
pub fn sign(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Checks a delivery as a receiver should (see the module docs).
pub fn verify(
    secret: &SecretString,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("t is not a number"))?,
                );
            }
            Some(("v1", value)) => candidates
                .push(hex::decode(value).map_err(|_| SignatureError::Malformed("v1 is not hex"))?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t="))?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed("no v1="));
    }
    let matches = candidates
        .iter()
        .any(|candidate| mac(secret, timestamp, body).verify_slice(candidate).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    let age = now_unix.abs_diff(timestamp);
    if age > tolerance.as_secs() {
        return Err(SignatureError::Stale {
            age_seconds: age,
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("whsec_test".to_owned())
    }

    #[test]
    fn a_signature_is_the_hmac_of_the_time_a_dot_and_the_raw_body() {
        let header = sign(&secret(), 1_700_000_000, br#"{"id":"evt_1"}"#);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"whsec_test").expect("key");
        mac.update(br#"1700000000.{"id":"evt_1"}"#);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }

    #[test]
    fn a_fresh_signature_over_the_same_bytes_verifies() {
        let body = br#"{"type":"post.published"}"#;
        let header = sign(&secret(), 1_000, body);
        assert_eq!(
            verify(&secret(), &header, body, 1_100, REPLAY_TOLERANCE),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_or_another_secret_is_a_mismatch() {
        let header = sign(&secret(), 1_000, b"{}");
        assert_eq!(
            verify(&secret(), &header, b"{} ", 1_000, REPLAY_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        let other = SecretString::from("whsec_other".to_owned());
        assert_eq!(
            verify(&other, &header, b"{}", 1_000, REPLAY_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_replay_older_than_five_minutes_is_refused() {
        let header = sign(&secret(), 1_000, b"{}");
        assert!(verify(&secret(), &header, b"{}", 1_300, REPLAY_TOLERANCE).is_ok());
        assert_eq!(
            verify(&secret(), &header, b"{}", 1_301, REPLAY_TOLERANCE),
            Err(SignatureError::Stale {
                age_seconds: 301,
                tolerance_seconds: 300
            })
        );
    }

    #[test]
    fn long_secrets_sign_like_any_hmac_library() {
        let long = SecretString::from("k".repeat(100));
        let header = sign(&long, 7, b"body");
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice("k".repeat(100).as_bytes()).expect("key");
        mac.update(b"7.body");
        assert_eq!(
            header,
            format!("t=7,v1={}", hex::encode(mac.finalize().into_bytes()))
        );
    }

    #[test]
    fn malformed_headers_are_refused_without_panicking() {
        for header in [
            "",
            "t=abc,v1=00",
            "v1=00",
            "t=1",
            "t=1,v1=zz",
            ",,,",
            "t=1,v1=",
        ] {
            assert!(
                verify(&secret(), header, b"{}", 1, REPLAY_TOLERANCE).is_err(),
                "{header:?}"
            );
        }
    }

    #[test]
    fn any_of_several_v1_values_may_match_while_a_secret_is_replaced() {
        let good = sign(&secret(), 5, b"x");
        let v1 = good.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        let header = format!("t=5,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(
            verify(&secret(), &header, b"x", 5, REPLAY_TOLERANCE),
            Ok(())
        );
    }
}
