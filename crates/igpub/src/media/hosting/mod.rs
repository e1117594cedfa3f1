//! Built-in hosting: media stored content-addressed under unguessable ids, served at
//! `{public_base_url}/media/{id}.{ext}`, kept until a caller-set `keep_until` and then
//! garbage-collected.
//!
//! **Ids.** `id = hex(HMAC-SHA256(hosting secret, SHA-256(content)))[..40]` (160 bits). The
//! same content always gets the same id (uploads deduplicate), yet nobody without the secret
//! can derive the id of a file they merely know the content of, nor enumerate ids.
//!
//! **Retention.** Each object has a `keep_until` (uploads start with 30 days).
//! [`MediaStorage::retain_until`] only ever extends it. A file must stay reachable at least
//! until 24 h after its post is published (issue #6): the periodic sweep of
//! [`crate::media::retention`] finds the expired objects, extends to "now + 24 h" those that a
//! post still on its way (or published under 24 h ago) references, and deletes the rest.
//! [`collect_garbage`] is the bare deletion of everything expired, for callers without posts.
//!
//! **Backends.** [`FsStorage`] (a local directory served by [`crate::media::serve`]) and
//! [`S3Storage`] (a public bucket); the product picks one from its settings and holds it as
//! `Arc<dyn MediaStorage>`.

mod fs;
mod kind;
mod s3;

use std::fmt;

use bytes::Bytes;
use futures::future::BoxFuture;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;
use zeroize::Zeroizing;

pub use fs::FsStorage;
pub use kind::MediaKind;
pub use s3::{S3Config, S3Storage};

/// Hex characters in a media id (160 bits).
const ID_HEX_LEN: usize = 40;
/// The shortest hosting secret accepted: 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

/// HMAC-SHA256's block size: keys are zero-padded (or hashed, when longer) to this length.
const HMAC_BLOCK: usize = 64;

/// The key that makes media ids unguessable. Share it with `Arc` rather than copying it.
pub struct HostingSecret(SecretBox<[u8; HMAC_BLOCK]>);

impl HostingSecret {
    /// Wrap a secret of at least [`MIN_SECRET_BYTES`] random bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, HostingError> {
        let bytes = Zeroizing::new(bytes);
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(HostingError::WeakSecret {
                length: bytes.len(),
            });
        }
        // RFC 2104: a key longer than the block is hashed, a shorter one zero-padded. Doing it
        // here gives an infallible fixed-size HMAC key with the same MAC values.
        let mut key = SecretBox::new(Box::new([0u8; HMAC_BLOCK]));
        let block = key.expose_secret_mut();
        if bytes.len() > HMAC_BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(bytes.as_slice()));
        } else {
            block[..bytes.len()].copy_from_slice(&bytes);
        }
        Ok(Self(key))
    }

    /// The id of `content`.
    pub fn media_id(&self, content: &[u8]) -> MediaId {
        let digest = Sha256::digest(content);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(self.0.expose_secret().into());
        mac.update(&digest);
        let full = hex::encode(mac.finalize().into_bytes());
        MediaId(full.chars().take(ID_HEX_LEN).collect())
    }
}

impl fmt::Debug for HostingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostingSecret([REDACTED])")
    }
}

/// The public id of a hosted file: 40 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaId(String);

impl MediaId {
    /// Parse an id; anything but 40 lowercase hex characters is refused, so an id can never
    /// name a path outside the store.
    pub fn parse(text: &str) -> Result<Self, HostingError> {
        let valid = text.len() == ID_HEX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(MediaId(text.to_owned()))
        } else {
            Err(HostingError::InvalidId {
                given: text.chars().take(64).collect(),
            })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MediaId {
    type Error = HostingError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MediaId::parse(&value)
    }
}

impl From<MediaId> for String {
    fn from(id: MediaId) -> String {
        id.0
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hosted file's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedObject {
    /// The public id.
    pub id: MediaId,
    /// What the file is.
    pub kind: MediaKind,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the content (also the ETag).
    pub sha256: String,
    /// When it was first stored.
    pub created_at: Timestamp,
    /// Not collected before this instant.
    pub keep_until: Timestamp,
}

impl HostedObject {
    /// `{id}.{ext}`, the last path segment of its URL.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.id, self.kind.extension())
    }

    /// A strong ETag: the content hash, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// Split `{id}.{ext}` into a valid id and a known extension.
pub fn parse_file_name(file_name: &str) -> Result<(MediaId, MediaKind), HostingError> {
    let (id, ext) = file_name
        .split_once('.')
        .ok_or_else(|| HostingError::InvalidId {
            given: file_name.chars().take(64).collect(),
        })?;
    let kind = MediaKind::from_extension(ext).ok_or_else(|| HostingError::InvalidId {
        given: file_name.chars().take(64).collect(),
    })?;
    Ok((MediaId::parse(id)?, kind))
}

/// The media id a metadata sidecar (`<id>.json`) is named after; `None` for any other file.
fn sidecar_media_id(file_name: &str) -> Option<MediaId> {
    file_name
        .strip_suffix(".json")
        .and_then(|stem| MediaId::parse(stem).ok())
}

/// Oldest first, the id breaking ties, so every backend lists in the same order.
fn in_creation_order(objects: &mut [HostedObject]) {
    objects.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// `{public_base_url}/media/{id}.{ext}`; a base with a path (`https://x.example/igpub/`)
/// keeps it.
pub fn public_media_url(public_base_url: &Url, object: &HostedObject) -> Result<Url, HostingError> {
    let mut base = public_base_url.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(&format!("media/{}", object.file_name()))
        .map_err(|e| HostingError::InvalidBaseUrl {
            reason: e.to_string(),
        })
}

/// Why a hosting operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    /// The hosting secret is too short to keep ids unguessable.
    #[error("the hosting secret has {length} bytes; at least 32 random bytes are needed")]
    WeakSecret {
        /// Its length.
        length: usize,
    },
    /// Not a media id (or `{id}.{ext}` file name).
    #[error("{given:?} is not a media id (40 lowercase hex characters with a known extension)")]
    InvalidId {
        /// What was given (cut to 64 characters).
        given: String,
    },
    /// The file is not one of the hosted kinds.
    #[error("the file is not a JPEG, PNG, WebP, MP4 or MOV file")]
    UnsupportedKind,
    /// The public base URL cannot carry media paths.
    #[error("the public base URL cannot be used for media: {reason}")]
    InvalidBaseUrl {
        /// Why.
        reason: String,
    },
    /// A sidecar file is unreadable.
    #[error("the metadata of {id} is corrupt: {reason}")]
    CorruptMetadata {
        /// The object.
        id: String,
        /// The parser's reason.
        reason: String,
    },
    /// Disk or network I/O failed.
    #[error("storage I/O failed while trying to {action}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The remote object store failed.
    #[error("the object store failed while trying to {action}: {reason}")]
    Remote {
        /// What was being done.
        action: &'static str,
        /// The store's reason.
        reason: String,
    },
}

/// Where hosted media lives. Object-safe, so a configured store can be `Arc<dyn MediaStorage>`
/// (`Debug` so the states holding it can show themselves; no backend shows its secrets).
pub trait MediaStorage: Send + Sync + fmt::Debug {
    /// Store `content` (deduplicated by id). An existing object keeps its `created_at`, and
    /// its `keep_until` becomes the later of the two.
    fn put(
        &self,
        content: Bytes,
        kind: MediaKind,
        keep_until: Timestamp,
    ) -> BoxFuture<'_, Result<HostedObject, HostingError>>;

    /// The object's metadata, if it exists.
    fn head<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<HostedObject>, HostingError>>;

    /// The object and its whole content.
    fn get<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<(HostedObject, Bytes)>, HostingError>>;

    /// Delete the object; `false` if it did not exist.
    fn delete<'a>(&'a self, id: &'a MediaId) -> BoxFuture<'a, Result<bool, HostingError>>;

    /// Every object's metadata (for garbage collection and listings).
    fn list(&self) -> BoxFuture<'_, Result<Vec<HostedObject>, HostingError>>;

    /// Keep the object at least until `until` (never shortens); `None` if it does not exist.
    fn retain_until<'a>(
        &'a self,
        id: &'a MediaId,
        until: Timestamp,
    ) -> BoxFuture<'a, Result<Option<HostedObject>, HostingError>>;

    /// The public URL Meta is given for the object.
    fn public_url(&self, object: &HostedObject) -> Result<Url, HostingError>;

    /// Whether the object exists.
    fn exists<'a>(&'a self, id: &'a MediaId) -> BoxFuture<'a, Result<bool, HostingError>> {
        Box::pin(async move { Ok(self.head(id).await?.is_some()) })
    }

    /// The object and an open handle on its content on this machine's disk, so it can be
    /// streamed with ranges without reading it whole. `None` when the object does not exist
    /// or when the backend keeps no local file (a bucket serves its own objects: callers
    /// then send people to [`MediaStorage::public_url`]).
    fn open_local_file<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<(HostedObject, tokio::fs::File)>, HostingError>> {
        let _ = id;
        Box::pin(async { Ok(None) })
    }
}

/// What a garbage collection removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// The ids deleted.
    pub deleted: Vec<MediaId>,
    /// Bytes freed.
    pub freed_bytes: u64,
}

/// Delete every object whose `keep_until` is before `now`.
pub async fn collect_garbage(
    storage: &dyn MediaStorage,
    now: Timestamp,
) -> Result<GcReport, HostingError> {
    let mut report = GcReport::default();
    for object in storage.list().await? {
        if object.keep_until < now && storage.delete(&object.id).await? {
            report.freed_bytes += object.size;
            report.deleted.push(object.id);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> HostingSecret {
        HostingSecret::new(vec![byte; 32]).unwrap()
    }

    #[test]
    fn ids_are_stable_per_content_and_depend_on_the_secret() {
        let a = secret(1).media_id(b"hello");
        assert_eq!(a, secret(1).media_id(b"hello"));
        assert_ne!(a, secret(1).media_id(b"hello!"));
        assert_ne!(a, secret(2).media_id(b"hello"));
        assert_eq!(a.as_str().len(), 40);
        // Not the plain content hash, which anyone could compute.
        assert!(!hex::encode(Sha256::digest(b"hello")).starts_with(a.as_str()));
    }

    #[test]
    fn ids_match_a_textbook_hmac_of_the_content_hash() {
        let key = vec![7u8; 40];
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(&Sha256::digest(b"photo"));
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            HostingSecret::new(key).unwrap().media_id(b"photo").as_str(),
            &expected[..40]
        );
        let long_key = vec![9u8; 100];
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&long_key).unwrap();
        mac.update(&Sha256::digest(b"photo"));
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            HostingSecret::new(long_key)
                .unwrap()
                .media_id(b"photo")
                .as_str(),
            &expected[..40]
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            HostingSecret::new(vec![0; 31]),
            Err(HostingError::WeakSecret { length: 31 })
        ));
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", secret(0x41)), "HostingSecret([REDACTED])");
    }

    #[test]
    fn ids_that_could_escape_the_store_are_refused() {
        for bad in [
            "../../etc/passwd",
            "",
            "ABCDEF0123456789abcdef0123456789abcdef01",
            "a".repeat(41).as_str(),
            "g".repeat(40).as_str(),
        ] {
            assert!(MediaId::parse(bad).is_err(), "{bad}");
        }
        assert!(parse_file_name(&format!("{}.exe", "a".repeat(40))).is_err());
        assert!(parse_file_name(&format!("{}.jpg", "a".repeat(40))).is_ok());
    }

    #[test]
    fn public_urls_keep_a_base_path() {
        let object = HostedObject {
            id: MediaId::parse(&"ab".repeat(20)).unwrap(),
            kind: MediaKind::Jpeg,
            size: 1,
            sha256: String::new(),
            created_at: Timestamp::UNIX_EPOCH,
            keep_until: Timestamp::UNIX_EPOCH,
        };
        let url =
            public_media_url(&Url::parse("https://cdn.example/igpub").unwrap(), &object).unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://cdn.example/igpub/media/{}.jpg", "ab".repeat(20))
        );
        let url = public_media_url(&Url::parse("https://cdn.example").unwrap(), &object).unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://cdn.example/media/{}.jpg", "ab".repeat(20))
        );
    }
}
