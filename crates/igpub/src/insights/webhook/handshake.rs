//! The subscription handshake: Meta's GET with hub.mode, hub.challenge and hub.verify_token
//! (graph-api.md §8.1).

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Longest challenge echoed back; Meta's are short integers (graph-api.md §8.1).
const MAX_CHALLENGE_LEN: usize = 256;

/// Why a handshake is refused; the HTTP layer answers 403 to all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// A `hub.*` parameter is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// `hub.mode` is not `subscribe`.
    #[error("`hub.mode` must be `subscribe`")]
    WrongMode,
    /// `hub.verify_token` differs from the configured token. The token itself is never
    /// echoed.
    #[error("`hub.verify_token` does not match the configured verify token")]
    WrongVerifyToken,
    /// No verify token is configured, so no handshake can be trusted.
    #[error("no webhook verify token is configured")]
    VerifyTokenNotConfigured,
    /// The challenge is not something safe to echo.
    #[error("`hub.challenge` must be 1 to 256 letters, digits, `-`, `_` or `.`")]
    InvalidChallenge,
}

/// Checks Meta's handshake and returns the challenge to answer with, as plain text.
///
/// The token comparison is constant-time. The challenge is echoed only when it is short and
/// made of letters, digits, `-`, `_` and `.`, so the endpoint cannot be used to reflect
/// arbitrary content back to a browser.
pub fn verify_handshake(
    mode: Option<&str>,
    challenge: Option<&str>,
    verify_token: Option<&str>,
    expected_token: &SecretString,
) -> Result<String, HandshakeError> {
    let expected = expected_token.expose_secret().as_bytes();
    if expected.is_empty() {
        return Err(HandshakeError::VerifyTokenNotConfigured);
    }
    if mode.ok_or(HandshakeError::Missing("hub.mode"))? != "subscribe" {
        return Err(HandshakeError::WrongMode);
    }
    let token = verify_token.ok_or(HandshakeError::Missing("hub.verify_token"))?;
    if !bool::from(token.as_bytes().ct_eq(expected)) {
        return Err(HandshakeError::WrongVerifyToken);
    }
    let challenge = challenge.ok_or(HandshakeError::Missing("hub.challenge"))?;
    let safe = !challenge.is_empty()
        && challenge.len() <= MAX_CHALLENGE_LEN
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !safe {
        return Err(HandshakeError::InvalidChallenge);
    }
    Ok(challenge.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> SecretString {
        SecretString::from("meatyhamhock")
    }

    #[test]
    fn the_documented_handshake_returns_the_challenge() {
        // graph-api.md §8.1's example request.
        let answer = verify_handshake(
            Some("subscribe"),
            Some("1158201444"),
            Some("meatyhamhock"),
            &token(),
        );
        assert_eq!(answer, Ok("1158201444".to_owned()));
    }

    #[test]
    fn a_wrong_verify_token_is_refused_without_echoing_it() {
        let err = verify_handshake(Some("subscribe"), Some("1"), Some("guess"), &token())
            .expect_err("wrong token");
        assert_eq!(err, HandshakeError::WrongVerifyToken);
        assert!(!err.to_string().contains("guess"));
        assert!(!err.to_string().contains("meatyhamhock"));
    }

    #[test]
    fn missing_parameters_are_named() {
        let t = token();
        assert_eq!(
            verify_handshake(None, Some("1"), Some("meatyhamhock"), &t),
            Err(HandshakeError::Missing("hub.mode"))
        );
        assert_eq!(
            verify_handshake(Some("subscribe"), Some("1"), None, &t),
            Err(HandshakeError::Missing("hub.verify_token"))
        );
        assert_eq!(
            verify_handshake(Some("subscribe"), None, Some("meatyhamhock"), &t),
            Err(HandshakeError::Missing("hub.challenge"))
        );
    }

    #[test]
    fn other_modes_unsafe_challenges_and_an_empty_configured_token_are_refused() {
        let t = token();
        assert_eq!(
            verify_handshake(Some("unsubscribe"), Some("1"), Some("meatyhamhock"), &t),
            Err(HandshakeError::WrongMode)
        );
        for challenge in ["", "<script>", &"9".repeat(257)] {
            assert_eq!(
                verify_handshake(Some("subscribe"), Some(challenge), Some("meatyhamhock"), &t),
                Err(HandshakeError::InvalidChallenge),
                "{challenge}"
            );
        }
        assert_eq!(
            verify_handshake(
                Some("subscribe"),
                Some("1"),
                Some(""),
                &SecretString::from("")
            ),
            Err(HandshakeError::VerifyTokenNotConfigured)
        );
    }
}
