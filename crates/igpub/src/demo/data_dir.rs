//! The demo's data directory (`./.igpub-demo` by default): the SQLite database, the secret key
//! file, hosted media, and a small `demo.json` that remembers the demo tenant between runs.
//!
//! Nothing secret is written in the clear except the key file itself (mode 0600), which is
//! what `secret_key_file` is for: tokens stay sealed by the vault inside the database, and the
//! tenant's API key is never stored (each run issues a new one and revokes the previous ones).

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::DemoError;
use crate::store::TenantId;
use crate::vault::KeyRing;

/// The file that marks a directory as the demo's and remembers its tenant.
const STATE_FILE: &str = "demo.json";
/// The vault key file, one base64 key per line.
const KEY_FILE: &str = "secret.key";

/// What the demo remembers between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DemoState {
    /// The demo tenant, once created.
    pub tenant_id: Option<TenantId>,
}

/// The demo's data directory.
#[derive(Debug, Clone)]
pub struct DemoDir {
    root: PathBuf,
}

impl DemoDir {
    /// Opens `root`, creating it when missing. With `fresh`, a previous demo's directory is
    /// deleted first; a directory that holds other files and no `demo.json` is never deleted.
    pub async fn prepare(root: &Path, fresh: bool) -> Result<Self, DemoError> {
        let io = |action: &'static str| {
            let path = root.to_owned();
            move |source| DemoError::DataDir {
                path,
                action,
                source,
            }
        };
        if fresh && tokio::fs::try_exists(root).await.map_err(io("inspect"))? {
            if !is_demo_dir(root).await.map_err(io("inspect"))? {
                return Err(DemoError::NotADemoDir {
                    path: root.to_owned(),
                });
            }
            tokio::fs::remove_dir_all(root)
                .await
                .map_err(io("delete"))?;
        }
        tokio::fs::create_dir_all(root)
            .await
            .map_err(io("create"))?;
        let dir = Self {
            root: root.to_owned(),
        };
        if !tokio::fs::try_exists(dir.state_path())
            .await
            .map_err(io("inspect"))?
        {
            dir.save_state(&DemoState::default()).await?;
        }
        Ok(dir)
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `sqlite://<root>/igpub.db`.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.root.join("igpub.db").display())
    }

    /// Where hosted media lives.
    pub fn media_dir(&self) -> PathBuf {
        self.root.join("media")
    }

    /// The vault's key file, generated (mode 0600) on first use. The key is never printed.
    pub async fn secret_key_file(&self) -> Result<PathBuf, DemoError> {
        let path = self.root.join(KEY_FILE);
        let io = |action: &'static str| {
            let path = path.clone();
            move |source| DemoError::DataDir {
                path,
                action,
                source,
            }
        };
        if tokio::fs::try_exists(&path)
            .await
            .map_err(io("inspect the key file"))?
        {
            return Ok(path);
        }
        let key = KeyRing::generate_key();
        let text = zeroize::Zeroizing::new(format!(
            "# igpub demo vault key; delete the demo directory (or run `igpub demo --fresh`) to forget it\n{}\n",
            key.expose_secret()
        ));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options
            .open(&path)
            .await
            .map_err(io("create the key file"))?;
        tokio::io::AsyncWriteExt::write_all(&mut file, text.as_bytes())
            .await
            .map_err(io("write the key file"))?;
        file.sync_all().await.map_err(io("write the key file"))?;
        Ok(path)
    }

    /// What the previous runs remembered.
    pub async fn load_state(&self) -> Result<DemoState, DemoError> {
        let path = self.state_path();
        let text = tokio::fs::read(&path)
            .await
            .map_err(|source| DemoError::DataDir {
                path: path.clone(),
                action: "read",
                source,
            })?;
        serde_json::from_slice(&text).map_err(|error| DemoError::CorruptState {
            path,
            reason: error.to_string(),
        })
    }

    /// Remembers `state` for the next run.
    pub async fn save_state(&self, state: &DemoState) -> Result<(), DemoError> {
        let path = self.state_path();
        let text = serde_json::to_vec_pretty(state).map_err(|error| DemoError::CorruptState {
            path: path.clone(),
            reason: error.to_string(),
        })?;
        tokio::fs::write(&path, text)
            .await
            .map_err(|source| DemoError::DataDir {
                path,
                action: "write",
                source,
            })
    }

    fn state_path(&self) -> PathBuf {
        self.root.join(STATE_FILE)
    }
}

/// A directory the demo made (it has `demo.json`), or an empty one.
async fn is_demo_dir(root: &Path) -> std::io::Result<bool> {
    if tokio::fs::try_exists(root.join(STATE_FILE)).await? {
        return Ok(true);
    }
    let mut entries = tokio::fs::read_dir(root).await?;
    Ok(entries.next_entry().await?.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fresh_wipes_a_demo_directory_but_a_reuse_keeps_key_and_tenant() {
        let parent = tempfile::tempdir().expect("tempdir");
        let root = parent.path().join("demo");
        let dir = DemoDir::prepare(&root, false).await.expect("prepare");
        let key = dir.secret_key_file().await.expect("key");
        let first_key = std::fs::read_to_string(&key).expect("read key");
        let tenant = TenantId::generate();
        dir.save_state(&DemoState {
            tenant_id: Some(tenant),
        })
        .await
        .expect("save");

        let again = DemoDir::prepare(&root, false).await.expect("reuse");
        assert_eq!(
            again.load_state().await.expect("load").tenant_id,
            Some(tenant)
        );
        again.secret_key_file().await.expect("key");
        assert_eq!(std::fs::read_to_string(&key).expect("read key"), first_key);

        let fresh = DemoDir::prepare(&root, true).await.expect("fresh");
        assert_eq!(fresh.load_state().await.expect("load").tenant_id, None);
        assert!(!key.exists(), "--fresh forgets the old key");
    }

    #[tokio::test]
    async fn fresh_refuses_to_delete_a_directory_the_demo_did_not_make() {
        let parent = tempfile::tempdir().expect("tempdir");
        std::fs::write(parent.path().join("thesis.txt"), "precious").expect("write");
        let refused = DemoDir::prepare(parent.path(), true).await;
        assert!(
            matches!(refused, Err(DemoError::NotADemoDir { .. })),
            "{refused:?}"
        );
        assert!(parent.path().join("thesis.txt").exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = DemoDir::prepare(parent.path(), false)
            .await
            .expect("prepare");
        let key = dir.secret_key_file().await.expect("key");
        let mode = std::fs::metadata(&key).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(KeyRing::from_key_file(&key).is_ok());
    }
}
