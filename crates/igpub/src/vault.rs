//! Token encryption at rest: versioned AES-256-GCM envelopes and a key ring.
//!
//! Every secret igpub keeps for a tenant (Page access tokens, a tenant's own Meta app secret,
//! outbound webhook signing secrets, the user token of a connect session in progress) is sealed into an [`Envelope`] before it reaches the database:
//!
//! ```text
//! bytes: [version = 1][key id: 8 bytes][nonce: 12 bytes][ciphertext + 16-byte tag]
//! text:  v1.<key id, 16 lower-case hex>.<nonce, base64url>.<ciphertext + tag, base64url>
//! ```
//!
//! The key id is the first 8 bytes of SHA-256 of the key: stable, not secret, and enough to pick
//! the right key from the [`KeyRing`] after a rotation. The associated data ([`TokenContext`])
//! binds the tenant and the record the secret belongs to, so a ciphertext copied onto another
//! row does not open.
//!
//! ```
//! use igpub::store::{IntegrationId, TenantId};
//! use igpub::vault::{KeyRing, TokenContext, Vault};
//! use secrecy::{ExposeSecret, SecretString};
//!
//! let vault = Vault::new(KeyRing::from_setting(&KeyRing::generate_key())?);
//! let context = TokenContext::integration(TenantId::generate(), IntegrationId::generate());
//! let envelope = vault.encrypt(&SecretString::from("EAAG-page-token"), &context)?;
//! let opened = vault.decrypt(&envelope.to_text().parse()?, &context)?;
//! assert_eq!(opened.expose_secret(), "EAAG-page-token");
//! # Ok::<(), igpub::vault::VaultError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use aes_gcm::aead::rand_core::RngCore as _;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::store::{ConnectSessionId, IntegrationId, TenantId, WebhookId};

/// The environment variable that holds the key ring: comma-separated base64 keys, the first active.
pub const SECRET_KEYS_VARIABLE: &str = "IGPUB_SECRET_KEYS";

const KEY_LENGTH: usize = 32;
const KEY_ID_LENGTH: usize = 8;
const NONCE_LENGTH: usize = 12;
const TAG_LENGTH: usize = 16;
const ENVELOPE_VERSION: u8 = 1;
const TEXT_VERSION: &str = "v1";

/// Why the vault refused a configuration or an envelope.
///
/// No variant ever carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Neither the key setting nor a key file was given.
    #[error(
        "no secret keys configured: set {SECRET_KEYS_VARIABLE} (comma-separated base64 keys, the \
         first is active) or secret_key_file (one base64 key per line); make a key with \
         `igpub keys generate`"
    )]
    MissingKeys,
    /// The setting or key file exists but holds no key.
    #[error("{origin} holds no key; make one with `igpub keys generate`")]
    EmptyKeyRing {
        /// Where the keys were read from.
        origin: KeyOrigin,
    },
    /// One key of the ring is unusable.
    #[error("{origin}: key #{position} {problem}")]
    InvalidKey {
        /// Where the keys were read from.
        origin: KeyOrigin,
        /// 1-based position of the key in the list.
        position: usize,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// The key file cannot be read.
    #[error("cannot read the key file {path}: {source}")]
    KeyFileUnreadable {
        /// The configured path.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The envelope was sealed with a key that is no longer (or not yet) in the ring.
    #[error(
        "the secret was encrypted with key {key_id}, which is not in the key ring; put that key \
         back into {SECRET_KEYS_VARIABLE} (after the active one) and run `igpub keys rotate`"
    )]
    UnknownKey {
        /// The key id named by the envelope.
        key_id: KeyId,
    },
    /// Authentication failed: the ciphertext was altered, or it belongs to another record.
    #[error(
        "the secret does not decrypt: its ciphertext was altered or it belongs to another record"
    )]
    Undecryptable,
    /// The envelope is not in a format this version understands.
    #[error("malformed secret envelope: {problem}")]
    MalformedEnvelope {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The decrypted secret is not UTF-8 text.
    #[error("the decrypted secret is not UTF-8 text")]
    NotText,
    /// AES-GCM refused to encrypt (only for absurdly large inputs).
    #[error("the secret could not be encrypted")]
    EncryptionFailed,
}

/// Where a key ring was read from, named the way an operator configures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The `IGPUB_SECRET_KEYS` setting (environment or `secret_keys` in igpub.toml).
    Setting,
    /// A key file.
    File(PathBuf),
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Setting => write!(f, "{SECRET_KEYS_VARIABLE} (secret_keys)"),
            Self::File(path) => write!(f, "key file {}", path.display()),
        }
    }
}

/// What is wrong with one configured key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    /// Not standard base64.
    #[error("is not valid base64; make a key with `igpub keys generate`")]
    NotBase64,
    /// Decodes to the wrong number of bytes.
    #[error("is {0} bytes long; every key must be exactly 32 bytes (base64 of 32 random bytes)")]
    WrongLength(usize),
    /// The same key appears twice.
    #[error("repeats key #{0}")]
    Duplicate(usize),
}

/// The public name of a key: the first 8 bytes of SHA-256 of the key, shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; KEY_ID_LENGTH]);

impl KeyId {
    fn of(key: &[u8; KEY_LENGTH]) -> Self {
        let digest = Sha256::digest(key);
        let mut id = [0; KEY_ID_LENGTH];
        id.copy_from_slice(&digest[..KEY_ID_LENGTH]);
        Self(id)
    }

    fn from_hex(text: &str) -> Option<Self> {
        // Upper case is refused so that each key id has exactly one text form, which lets the
        // store find envelopes that need rotation by their text prefix.
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut id = [0; KEY_ID_LENGTH];
        hex::decode_to_slice(text, &mut id).ok()?;
        Some(Self(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

struct RingKey {
    id: KeyId,
    secret: SecretBox<[u8; KEY_LENGTH]>,
}

impl RingKey {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.secret.expose_secret().into())
    }
}

/// The keys igpub can decrypt with; the first one encrypts.
///
/// Keys are zeroized when the ring is dropped, and `Debug` shows key ids only.
pub struct KeyRing {
    active: RingKey,
    previous: Vec<RingKey>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.key_ids().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Loads the ring the way the service does at start: the setting if present, else the key
    /// file; neither is [`VaultError::MissingKeys`].
    pub fn load(
        setting: Option<&SecretString>,
        key_file: Option<&Path>,
    ) -> Result<Self, VaultError> {
        match (setting, key_file) {
            (Some(setting), _) => Self::from_setting(setting),
            (None, Some(path)) => Self::from_key_file(path),
            (None, None) => Err(VaultError::MissingKeys),
        }
    }

    /// Reads `IGPUB_SECRET_KEYS` from the environment.
    pub fn from_env() -> Result<Self, VaultError> {
        let value = std::env::var(SECRET_KEYS_VARIABLE).map_err(|_| VaultError::MissingKeys)?;
        Self::from_setting(&SecretString::from(value))
    }

    /// Parses the value of the setting: comma-separated base64 keys, the first active.
    pub fn from_setting(value: &SecretString) -> Result<Self, VaultError> {
        Self::parse(KeyOrigin::Setting, value.expose_secret().split(','))
    }

    /// Reads a key file: one base64 key per line, the first active; blank lines and lines
    /// starting with `#` are ignored.
    pub fn from_key_file(path: &Path) -> Result<Self, VaultError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
            VaultError::KeyFileUnreadable {
                path: path.to_owned(),
                source,
            }
        })?);
        let lines = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'));
        Self::parse(KeyOrigin::File(path.to_owned()), lines)
    }

    fn parse<'a>(
        origin: KeyOrigin,
        entries: impl Iterator<Item = &'a str>,
    ) -> Result<Self, VaultError> {
        let mut keys: Vec<RingKey> = Vec::new();
        for (index, entry) in entries.map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let position = index + 1;
            let invalid = |problem| VaultError::InvalidKey {
                origin: origin.clone(),
                position,
                problem,
            };
            let decoded = Zeroizing::new(
                STANDARD
                    .decode(entry)
                    .map_err(|_| invalid(KeyProblem::NotBase64))?,
            );
            if decoded.len() != KEY_LENGTH {
                return Err(invalid(KeyProblem::WrongLength(decoded.len())));
            }
            let secret = SecretBox::<[u8; KEY_LENGTH]>::init_with_mut(|key| {
                key.copy_from_slice(&decoded);
            });
            let id = KeyId::of(secret.expose_secret());
            if let Some(first) = keys.iter().position(|k| k.id == id) {
                return Err(invalid(KeyProblem::Duplicate(first + 1)));
            }
            keys.push(RingKey { id, secret });
        }
        let mut keys = keys.into_iter();
        let active = keys.next().ok_or(VaultError::EmptyKeyRing { origin })?;
        Ok(Self {
            active,
            previous: keys.collect(),
        })
    }

    /// A new random key in the form the setting and the key file expect (for `igpub keys generate`).
    pub fn generate_key() -> SecretString {
        let mut key = Zeroizing::new([0u8; KEY_LENGTH]);
        OsRng.fill_bytes(key.as_mut_slice());
        SecretString::from(STANDARD.encode(key.as_slice()))
    }

    /// The id of the key that encrypts.
    pub fn active_key_id(&self) -> KeyId {
        self.active.id
    }

    /// Every key id in the ring, the active one first.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys().map(|k| k.id)
    }

    fn keys(&self) -> impl Iterator<Item = &RingKey> {
        std::iter::once(&self.active).chain(&self.previous)
    }

    fn find(&self, id: KeyId) -> Option<&RingKey> {
        self.keys().find(|k| k.id == id)
    }
}

/// What a secret belongs to, beyond its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSubject {
    /// The Page access token of one integration.
    Integration(IntegrationId),
    /// The tenant's own Meta app secret.
    MetaAppSecret,
    /// The user token of a Facebook Login waiting for an account choice.
    ConnectSession(ConnectSessionId),
    /// The signing secret of an outbound webhook endpoint.
    Webhook(WebhookId),
}

/// The associated data of an envelope: who the secret belongs to.
///
/// Decrypting with a different context fails, which is what makes a ciphertext copied onto
/// another row (or another tenant) useless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenContext {
    /// The tenant that owns the secret.
    pub tenant: TenantId,
    /// The record within the tenant.
    pub subject: TokenSubject,
}

impl TokenContext {
    /// The context of an integration's Page access token.
    pub fn integration(tenant: TenantId, integration: IntegrationId) -> Self {
        Self {
            tenant,
            subject: TokenSubject::Integration(integration),
        }
    }

    /// The context of a tenant's own Meta app secret.
    pub fn meta_app_secret(tenant: TenantId) -> Self {
        Self {
            tenant,
            subject: TokenSubject::MetaAppSecret,
        }
    }

    /// The context of the user token a pending connect session keeps.
    pub fn connect_session(tenant: TenantId, session: ConnectSessionId) -> Self {
        Self {
            tenant,
            subject: TokenSubject::ConnectSession(session),
        }
    }

    /// The context of an outbound webhook endpoint's signing secret.
    pub fn webhook(tenant: TenantId, webhook: WebhookId) -> Self {
        Self {
            tenant,
            subject: TokenSubject::Webhook(webhook),
        }
    }

    fn associated_data(&self) -> Vec<u8> {
        // UUIDs have a fixed length, so this text is unambiguous without escaping.
        let subject = match self.subject {
            TokenSubject::Integration(id) => format!("integration:{id}"),
            TokenSubject::MetaAppSecret => "meta-app-secret".to_owned(),
            TokenSubject::ConnectSession(id) => format!("connect-session:{id}"),
            TokenSubject::Webhook(id) => format!("webhook:{id}"),
        };
        format!("igpub-secret-v1|tenant:{}|{subject}", self.tenant).into_bytes()
    }
}

/// One sealed secret: version 1, key id, random 96-bit nonce, ciphertext with its tag.
///
/// Its text form (what the store keeps) is `v1.<key id hex>.<nonce b64url>.<ciphertext b64url>`;
/// its byte form is `[1][key id][nonce][ciphertext]`. Neither reveals anything but the key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    key_id: KeyId,
    nonce: [u8; NONCE_LENGTH],
    ciphertext: Vec<u8>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// The key that sealed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The text form, for TEXT columns.
    pub fn to_text(&self) -> String {
        format!(
            "{}{}.{}",
            text_prefix(self.key_id),
            URL_SAFE_NO_PAD.encode(self.nonce),
            URL_SAFE_NO_PAD.encode(&self.ciphertext)
        )
    }

    /// The byte form, for BLOB columns and files.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes =
            Vec::with_capacity(1 + KEY_ID_LENGTH + NONCE_LENGTH + self.ciphertext.len());
        bytes.push(ENVELOPE_VERSION);
        bytes.extend_from_slice(&self.key_id.0);
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.ciphertext);
        bytes
    }

    /// Parses the byte form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let malformed = |problem| VaultError::MalformedEnvelope { problem };
        let (&version, rest) = bytes.split_first().ok_or(malformed("it is empty"))?;
        if version != ENVELOPE_VERSION {
            return Err(malformed(
                "unknown version (this igpub understands version 1)",
            ));
        }
        let (key_id, rest) = rest
            .split_first_chunk::<KEY_ID_LENGTH>()
            .ok_or(malformed("it is too short to hold a key id"))?;
        let (nonce, ciphertext) = rest
            .split_first_chunk::<NONCE_LENGTH>()
            .ok_or(malformed("it is too short to hold a nonce"))?;
        Self::assemble(KeyId(*key_id), *nonce, ciphertext.to_vec())
    }

    fn assemble(
        key_id: KeyId,
        nonce: [u8; NONCE_LENGTH],
        ciphertext: Vec<u8>,
    ) -> Result<Self, VaultError> {
        if ciphertext.len() < TAG_LENGTH {
            return Err(VaultError::MalformedEnvelope {
                problem: "its ciphertext is shorter than the authentication tag",
            });
        }
        Ok(Self {
            key_id,
            nonce,
            ciphertext,
        })
    }
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl FromStr for Envelope {
    type Err = VaultError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = |problem| VaultError::MalformedEnvelope { problem };
        let mut parts = text.split('.');
        let (Some(version), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(malformed("expected v1.<key id>.<nonce>.<ciphertext>"));
        };
        if version != TEXT_VERSION {
            return Err(malformed("unknown version (this igpub understands v1)"));
        }
        let key_id = KeyId::from_hex(key_id).ok_or(malformed("the key id is not 16 hex digits"))?;
        let nonce: [u8; NONCE_LENGTH] = URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(malformed("the nonce is not 12 bytes of base64url"))?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| malformed("the ciphertext is not base64url"))?;
        Self::assemble(key_id, nonce, ciphertext)
    }
}

fn text_prefix(key_id: KeyId) -> String {
    format!("{TEXT_VERSION}.{key_id}.")
}

/// Encrypts and decrypts secrets with a [`KeyRing`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Vault {
    ring: Arc<KeyRing>,
}

impl Vault {
    /// A vault over a loaded ring.
    pub fn new(ring: KeyRing) -> Self {
        Self {
            ring: Arc::new(ring),
        }
    }

    /// Seals `plaintext` under the active key, bound to `context`.
    pub fn encrypt(
        &self,
        plaintext: &SecretString,
        context: &TokenContext,
    ) -> Result<Envelope, VaultError> {
        let key = &self.ring.active;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = context.associated_data();
        let payload = Payload {
            msg: plaintext.expose_secret().as_bytes(),
            aad: &aad,
        };
        let ciphertext = key
            .cipher()
            .encrypt(&nonce, payload)
            .map_err(|_| VaultError::EncryptionFailed)?;
        Ok(Envelope {
            key_id: key.id,
            nonce: nonce.into(),
            ciphertext,
        })
    }

    /// Opens an envelope sealed for `context` with any key of the ring.
    pub fn decrypt(
        &self,
        envelope: &Envelope,
        context: &TokenContext,
    ) -> Result<SecretString, VaultError> {
        let key = self
            .ring
            .find(envelope.key_id)
            .ok_or(VaultError::UnknownKey {
                key_id: envelope.key_id,
            })?;
        let aad = context.associated_data();
        let payload = Payload {
            msg: &envelope.ciphertext,
            aad: &aad,
        };
        let plaintext = Zeroizing::new(
            key.cipher()
                .decrypt(Nonce::from_slice(&envelope.nonce), payload)
                .map_err(|_| VaultError::Undecryptable)?,
        );
        let text = std::str::from_utf8(&plaintext).map_err(|_| VaultError::NotText)?;
        // `to_owned` allocates exactly `len`, so turning it into the secret's box does not
        // reallocate and leave an unzeroized copy behind.
        Ok(SecretString::from(text.to_owned()))
    }

    /// Opens an envelope and seals it again under the active key (key rotation).
    pub fn reseal(
        &self,
        envelope: &Envelope,
        context: &TokenContext,
    ) -> Result<Envelope, VaultError> {
        self.encrypt(&self.decrypt(envelope, context)?, context)
    }

    /// Whether an envelope was sealed by an older key or format and should be resealed.
    pub fn needs_rotation(&self, envelope: &Envelope) -> bool {
        envelope.key_id != self.ring.active_key_id()
    }

    /// The text every envelope sealed now starts with; a stored text without it needs rotation.
    ///
    /// This lets the store select envelopes to rotate in SQL without decrypting anything.
    pub fn current_text_prefix(&self) -> String {
        text_prefix(self.ring.active_key_id())
    }

    /// The ring this vault uses.
    pub fn key_ring(&self) -> &KeyRing {
        &self.ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_vault() -> Vault {
        Vault::new(KeyRing::from_setting(&KeyRing::generate_key()).unwrap())
    }

    fn context() -> TokenContext {
        TokenContext::integration(TenantId::generate(), IntegrationId::generate())
    }

    #[test]
    fn an_envelope_round_trips_through_its_text_and_byte_forms() {
        let vault = fresh_vault();
        let envelope = vault
            .encrypt(&SecretString::from("token"), &context())
            .unwrap();
        assert_eq!(envelope.to_text().parse::<Envelope>().unwrap(), envelope);
        assert_eq!(
            Envelope::from_bytes(&envelope.to_bytes()).unwrap(),
            envelope
        );
        assert!(envelope.to_text().starts_with(&vault.current_text_prefix()));
    }

    #[test]
    fn two_encryptions_of_one_token_differ_because_the_nonce_is_random() {
        let vault = fresh_vault();
        let context = context();
        let token = SecretString::from("token");
        let first = vault.encrypt(&token, &context).unwrap();
        let second = vault.encrypt(&token, &context).unwrap();
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
    }

    #[test]
    fn the_key_id_is_the_start_of_the_keys_sha256() {
        let key = [7u8; KEY_LENGTH];
        let digest = Sha256::digest(key);
        assert_eq!(KeyId::of(&key).to_string(), hex::encode(&digest[..8]));
    }

    #[test]
    fn malformed_texts_are_refused_with_a_reason() {
        for text in [
            "",
            "v1",
            "v2.0011223344556677.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "v1.00112233445566.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "v1.0011223344556677.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "v1.0011223344556677.AAAAAAAAAAAAAAAA.AAAA",
            "v1.0011223344556677.AAAAAAAAAAAAAAAA.!!!!",
            "v1.00112233445566AA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "v1.0011223344556677.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra",
        ] {
            assert!(
                matches!(
                    text.parse::<Envelope>(),
                    Err(VaultError::MalformedEnvelope { .. })
                ),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn malformed_bytes_are_refused_with_a_reason() {
        for bytes in [
            &[][..],
            &[2; 40][..],
            &[1; 9][..],
            &[1; 21][..],
            &[1; 36][..],
        ] {
            assert!(matches!(
                Envelope::from_bytes(bytes),
                Err(VaultError::MalformedEnvelope { .. })
            ));
        }
    }
}
