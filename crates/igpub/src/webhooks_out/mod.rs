//! Outbound webhooks: tenants register URLs (`/v1/webhooks`) and receive `post.published`,
//! `post.failed`, `post.held` and `integration.needs_reconnect`, signed with HMAC-SHA256 and
//! a timestamp ([`signature`]: how to verify and reject replays), retried with backoff, with a
//! delivery log.
//!
//! [`Dispatcher`] follows the queue (the posts' timeline and the integrations' status) rather
//! than being called by the publisher, so every path that moves a post, in any process, is
//! announced, and the publisher's code knows nothing of webhooks.

pub mod dispatcher;
pub mod events;
pub mod sender;
pub mod signature;

pub use dispatcher::{Dispatcher, DispatcherConfig, RoundReport};
pub use events::{EventType, UnknownEvent};
pub use sender::Sender;
pub use signature::{REPLAY_TOLERANCE, SIGNATURE_HEADER, SignatureError, sign, verify};

use secrecy::SecretString;

/// A new signing secret: `whsec_` and 32 random bytes in URL-safe base64.
pub fn new_secret() -> SecretString {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut_slice());
    SecretString::from(format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())
    ))
}
