//! Hosting on the local filesystem: `{root}/objects/{id[..2]}/{id}.{ext}` with a JSON sidecar
//! `{id}.json` holding the metadata. Every write goes to `{root}/tmp` first and is renamed
//! into place, so a crash never leaves a half-written file under a public id.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::future::BoxFuture;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use super::{
    HostedObject, HostingError, HostingSecret, MediaId, MediaKind, MediaStorage, public_media_url,
};

/// Media stored in a directory of this machine, served by [`crate::media::serve`].
#[derive(Debug)]
pub struct FsStorage {
    root: PathBuf,
    secret: HostingSecret,
    public_base_url: Url,
    /// Serialises read-modify-write of sidecars (put of an existing id, retain_until).
    sidecar_lock: tokio::sync::Mutex<()>,
}

fn io_error(action: &'static str) -> impl FnOnce(io::Error) -> HostingError {
    move |source| HostingError::Io { action, source }
}

impl FsStorage {
    /// A store rooted at `root` (created if missing), whose files are public under
    /// `{public_base_url}/media/`.
    pub async fn open(
        root: impl Into<PathBuf>,
        secret: HostingSecret,
        public_base_url: Url,
    ) -> Result<Self, HostingError> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("objects"))
            .await
            .map_err(io_error("create the objects directory"))?;
        tokio::fs::create_dir_all(root.join("tmp"))
            .await
            .map_err(io_error("create the tmp directory"))?;
        Ok(Self {
            root,
            secret,
            public_base_url,
            sidecar_lock: tokio::sync::Mutex::new(()),
        })
    }

    fn shard(&self, id: &MediaId) -> PathBuf {
        self.root
            .join("objects")
            .join(id.as_str().get(..2).unwrap_or("00"))
    }

    fn sidecar_path(&self, id: &MediaId) -> PathBuf {
        self.shard(id).join(format!("{id}.json"))
    }

    /// Where the content of `object` is on disk.
    pub fn content_path(&self, object: &HostedObject) -> PathBuf {
        self.shard(&object.id).join(object.file_name())
    }

    /// Open a hosted file for serving: its metadata and an open handle, or `None`.
    pub async fn open_file(
        &self,
        id: &MediaId,
    ) -> Result<Option<(HostedObject, tokio::fs::File)>, HostingError> {
        let Some(object) = self.read_sidecar(id).await? else {
            return Ok(None);
        };
        match tokio::fs::File::open(self.content_path(&object)).await {
            Ok(file) => Ok(Some((object, file))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("open a hosted file")(e)),
        }
    }

    async fn read_sidecar(&self, id: &MediaId) -> Result<Option<HostedObject>, HostingError> {
        match tokio::fs::read(self.sidecar_path(id)).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                HostingError::CorruptMetadata {
                    id: id.to_string(),
                    reason: e.to_string(),
                }
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read a sidecar")(e)),
        }
    }

    async fn write_atomically(&self, path: &Path, content: &[u8]) -> Result<(), HostingError> {
        let tmp = self.root.join("tmp").join(uuid::Uuid::new_v4().to_string());
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .map_err(io_error("create a temporary file"))?;
        file.write_all(content)
            .await
            .map_err(io_error("write a temporary file"))?;
        file.sync_all()
            .await
            .map_err(io_error("flush a temporary file"))?;
        drop(file);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io_error("create a shard directory"))?;
        }
        tokio::fs::rename(&tmp, path)
            .await
            .map_err(io_error("move a file into place"))
    }

    async fn write_sidecar(&self, object: &HostedObject) -> Result<(), HostingError> {
        let json =
            serde_json::to_vec_pretty(object).map_err(|e| HostingError::CorruptMetadata {
                id: object.id.to_string(),
                reason: e.to_string(),
            })?;
        self.write_atomically(&self.sidecar_path(&object.id), &json)
            .await
    }

    async fn put_inner(
        &self,
        content: Bytes,
        kind: MediaKind,
        keep_until: Timestamp,
    ) -> Result<HostedObject, HostingError> {
        let id = self.secret.media_id(&content);
        let _guard = self.sidecar_lock.lock().await;
        if let Some(mut existing) = self.read_sidecar(&id).await?
            && tokio::fs::try_exists(self.content_path(&existing))
                .await
                .unwrap_or(false)
        {
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
        // Content first, sidecar last: an object exists once its sidecar does.
        self.write_atomically(&self.content_path(&object), &content)
            .await?;
        self.write_sidecar(&object).await?;
        Ok(object)
    }

    async fn delete_inner(&self, id: &MediaId) -> Result<bool, HostingError> {
        let _guard = self.sidecar_lock.lock().await;
        let Some(object) = self.read_sidecar(id).await? else {
            return Ok(false);
        };
        // Sidecar first: once it is gone the object no longer exists, even if the content
        // removal below is interrupted.
        remove_if_present(&self.sidecar_path(id)).await?;
        remove_if_present(&self.content_path(&object)).await?;
        Ok(true)
    }

    async fn list_inner(&self) -> Result<Vec<HostedObject>, HostingError> {
        let mut objects = Vec::new();
        let mut shards = tokio::fs::read_dir(self.root.join("objects"))
            .await
            .map_err(io_error("list shards"))?;
        while let Some(shard) = shards.next_entry().await.map_err(io_error("list shards"))? {
            let Ok(mut entries) = tokio::fs::read_dir(shard.path()).await else {
                continue;
            };
            while let Some(entry) = entries
                .next_entry()
                .await
                .map_err(io_error("list objects"))?
            {
                let name = entry.file_name();
                let Some(id) = name.to_str().and_then(super::sidecar_media_id) else {
                    continue;
                };
                if let Some(object) = self.read_sidecar(&id).await? {
                    objects.push(object);
                }
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
        let _guard = self.sidecar_lock.lock().await;
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

async fn remove_if_present(path: &Path) -> Result<(), HostingError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("delete a file")(e)),
    }
}

impl MediaStorage for FsStorage {
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
        Box::pin(async move {
            let Some(object) = self.read_sidecar(id).await? else {
                return Ok(None);
            };
            match tokio::fs::read(self.content_path(&object)).await {
                Ok(content) => Ok(Some((object, Bytes::from(content)))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("read a hosted file")(e)),
            }
        })
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

    fn open_local_file<'a>(
        &'a self,
        id: &'a MediaId,
    ) -> BoxFuture<'a, Result<Option<(HostedObject, tokio::fs::File)>, HostingError>> {
        Box::pin(self.open_file(id))
    }
}
