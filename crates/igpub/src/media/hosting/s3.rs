//! Hosting on S3-compatible storage through `object_store`: the content is written to a
//! public bucket under `media/{id}.{ext}` (with its Content-Type and the immutable
//! Cache-Control), the metadata to `meta/{id}.json`, and Meta is given the public bucket URL.
//! Range requests and ETags are the bucket's own.
//!
//! `retain_until` is a read-modify-write of the sidecar without a cross-process lock: two
//! workers extending the same object at once may keep the earlier date. The database's
//! `media_objects` table is meant to be the source of truth once it is wired in.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use futures::future::BoxFuture;
use jiff::Timestamp;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

use super::{
    HostedObject, HostingError, HostingSecret, MediaId, MediaKind, MediaStorage, public_media_url,
};
use crate::media::serve::CACHE_CONTROL;

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The bucket name.
    pub bucket: String,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// A non-AWS endpoint (MinIO, R2, moto…), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// Allow plain-HTTP endpoints (local S3-compatible servers only).
    pub allow_http: bool,
    /// The bucket's public URL; media is at `{public_base_url}/media/{id}.{ext}`.
    pub public_base_url: Url,
}

/// Media in an S3-compatible bucket.
#[derive(Debug)]
pub struct S3Storage {
    store: Arc<dyn ObjectStore>,
    secret: HostingSecret,
    public_base_url: Url,
}

fn remote(action: &'static str) -> impl FnOnce(object_store::Error) -> HostingError {
    move |e| HostingError::Remote {
        action,
        reason: e.to_string(),
    }
}

fn is_not_found(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
}

fn content_key(id: &MediaId, kind: MediaKind) -> StorePath {
    StorePath::from(format!("media/{id}.{}", kind.extension()))
}

fn sidecar_key(id: &MediaId) -> StorePath {
    StorePath::from(format!("meta/{id}.json"))
}

impl S3Storage {
    /// Connect to the bucket described by `config` (path-style requests, so endpoints on an
    /// IP address work).
    pub fn new(config: S3Config, secret: HostingSecret) -> Result<Self, HostingError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder.build().map_err(remote("configure the S3 client"))?;
        Ok(Self {
            store: Arc::new(store),
            secret,
            public_base_url: config.public_base_url,
        })
    }

    async fn read_sidecar(&self, id: &MediaId) -> Result<Option<HostedObject>, HostingError> {
        let bytes = match self.store.get(&sidecar_key(id)).await {
            Ok(result) => result.bytes().await.map_err(remote("read a sidecar"))?,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(remote("read a sidecar")(e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| HostingError::CorruptMetadata {
                id: id.to_string(),
                reason: e.to_string(),
            })
    }

    async fn write_sidecar(&self, object: &HostedObject) -> Result<(), HostingError> {
        let json = serde_json::to_vec(object).map_err(|e| HostingError::CorruptMetadata {
            id: object.id.to_string(),
            reason: e.to_string(),
        })?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, "application/json".into());
        self.store
            .put_opts(
                &sidecar_key(&object.id),
                PutPayload::from(json),
                PutOptions::from(attributes),
            )
            .await
            .map_err(remote("write a sidecar"))?;
        Ok(())
    }

    async fn put_inner(
        &self,
        content: Bytes,
        kind: MediaKind,
        keep_until: Timestamp,
    ) -> Result<HostedObject, HostingError> {
        let id = self.secret.media_id(&content);
        if let Some(mut existing) = self.read_sidecar(&id).await? {
            if keep_until > existing.keep_until {
                existing.keep_until = keep_until;
                self.write_sidecar(&existing).await?;
            }
            return Ok(existing);
        }
        let object = HostedObject {
            id,
            kind,
            size: content.len() as u64,
            sha256: hex::encode(Sha256::digest(&content)),
            created_at: Timestamp::now(),
            keep_until,
        };
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, kind.content_type().into());
        attributes.insert(Attribute::CacheControl, CACHE_CONTROL.into());
        // Content first, sidecar last: an object exists once its sidecar does.
        self.store
            .put_opts(
                &content_key(&object.id, kind),
                PutPayload::from(content),
                PutOptions::from(attributes),
            )
            .await
            .map_err(remote("upload media"))?;
        self.write_sidecar(&object).await?;
        Ok(object)
    }

    async fn get_inner(&self, id: &MediaId) -> Result<Option<(HostedObject, Bytes)>, HostingError> {
        let Some(object) = self.read_sidecar(id).await? else {
            return Ok(None);
        };
        match self.store.get(&content_key(id, object.kind)).await {
            Ok(result) => Ok(Some((
                object,
                result.bytes().await.map_err(remote("download media"))?,
            ))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(remote("download media")(e)),
        }
    }

    async fn delete_inner(&self, id: &MediaId) -> Result<bool, HostingError> {
        let Some(object) = self.read_sidecar(id).await? else {
            return Ok(false);
        };
        for key in [sidecar_key(id), content_key(id, object.kind)] {
            match self.store.delete(&key).await {
                Ok(()) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(remote("delete media")(e)),
            }
        }
        Ok(true)
    }

    async fn list_inner(&self) -> Result<Vec<HostedObject>, HostingError> {
        let metas: Vec<_> = self
            .store
            .list(Some(&StorePath::from("meta")))
            .try_collect()
            .await
            .map_err(remote("list media"))?;
        let mut objects = Vec::new();
        for meta in metas {
            let Some(id) = meta.location.filename().and_then(super::sidecar_media_id) else {
                continue;
            };
            if let Some(object) = self.read_sidecar(&id).await? {
                objects.push(object);
            }
        }
        super::in_creation_order(&mut objects);
        Ok(objects)
    }

    async fn retain_inner(
        &self,
        id: &MediaId,
        until: Timestamp,
    ) -> Result<Option<HostedObject>, HostingError> {
        let Some(mut object) = self.read_sidecar(id).await? else {
            return Ok(None);
        };
        if until > object.keep_until {
            object.keep_until = until;
            self.write_sidecar(&object).await?;
        }
        Ok(Some(object))
    }
}

impl MediaStorage for S3Storage {
    fn put(
        &self,
        content: Bytes,
        kind: MediaKind,
        keep_until: Timestamp,
    ) -> BoxFuture<'_, Result<HostedObject, HostingError>> {
        Box::pin(self.put_inner(content, kind, keep_until))
    }

    fn head<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<HostedObject>, HostingError>> {
        Box::pin(self.read_sidecar(id))
    }

    fn get<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<(HostedObject, Bytes)>, HostingError>> {
        Box::pin(self.get_inner(id))
    }

    fn delete<'a>(&'a self, id: &'a MediaId) -> BoxFuture<'a, Result<bool, HostingError>> {
        Box::pin(self.delete_inner(id))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<HostedObject>, HostingError>> {
        Box::pin(self.list_inner())
    }

    fn retain_until<'a>(
        &'a self,
        id: &'a MediaId,
        until: Timestamp,
    ) -> BoxFuture<'a, Result<Option<HostedObject>, HostingError>> {
        Box::pin(self.retain_inner(id, until))
    }

    fn public_url(&self, object: &HostedObject) -> Result<Url, HostingError> {
        public_media_url(&self.public_base_url, object)
    }
}
