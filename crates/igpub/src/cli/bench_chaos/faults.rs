//! The faults a chaos run injects from outside the workers: error rates at the simulator,
//! expired Page tokens and their reconnects (through its control API), and restarts of the
//! database server.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::process::Command;

/// How long a database restart command may take (a wrapper may first wait for a quiet
/// moment, e.g. until no test run uses the server).
const RESTART_TIMEOUT: Duration = Duration::from_secs(600);

/// Where Debian and Ubuntu keep one directory per PostgreSQL version.
const POSTGRESQL_CONFIG_DIR: &str = "/etc/postgresql";

/// The simulator's control API (`/__sim/`), for faults.
#[derive(Debug, Clone)]
pub struct SimControl {
    http: reqwest::Client,
    base_url: String,
}

#[derive(Deserialize)]
struct IssuedToken {
    access_token: SecretString,
}

impl SimControl {
    /// The control API of the simulator at `base_url` (`http://host:port/`).
    pub fn new(base_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            base_url: base_url.to_owned(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}__sim/{path}", self.base_url)
    }

    /// Makes Graph calls fail at `rate`: a third 5xx, a third transient codes, a third calls
    /// that take effect but answer a failure (commit-then-fail).
    pub async fn inject_error_rates(&self, rate: f64) -> anyhow::Result<()> {
        let put = |endpoint: &str, spec: serde_json::Value| {
            self.http
                .put(self.url(&format!("faults/{endpoint}")))
                .json(&spec)
                .send()
        };
        let third = rate / 3.0;
        put(
            "*",
            serde_json::json!({"error_5xx_rate": third, "transient_rate": third,
                "commit_then_fail_rate": third, "commit_then_fail": "error"}),
        )
        .await?
        .error_for_status()?;
        // media_publish also gets dropped connections and Meta's spam block after publishing.
        put(
            "media.publish",
            serde_json::json!({"error_5xx_rate": third, "transient_rate": third / 2.0,
                "commit_then_fail_rate": third * 1.5, "commit_then_fail": "drop"}),
        )
        .await?
        .error_for_status()?;
        Ok(())
    }

    /// Expires a token now: Meta then answers its calls with code 190, subcode 463
    /// (graph-api.md §6.2).
    pub async fn expire_token(&self, token: &SecretString) -> anyhow::Result<()> {
        self.http
            .post(self.url("tokens/expire"))
            .json(&serde_json::json!({"token": token.expose_secret()}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// A fresh long-lived Page token for `page_id`, derived from a new user token of the
    /// simulator's user (what a person reconnecting the account yields).
    pub async fn new_page_token(&self, page_id: &str) -> anyhow::Result<SecretString> {
        let issued: IssuedToken = self
            .http
            .post(self.url("tokens"))
            .json(&serde_json::json!({"page_id": page_id}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(issued.access_token)
    }
}

/// The default restart command: `pg_ctlcluster` on the one PostgreSQL version installed under
/// `/etc/postgresql` (Debian's layout), bypassing systemd, which containers often lack.
pub fn default_restart_command() -> anyhow::Result<String> {
    restart_command_in(Path::new(POSTGRESQL_CONFIG_DIR))
}

/// [`default_restart_command`] for the configuration directory `dir`.
pub fn restart_command_in(dir: &Path) -> anyhow::Result<String> {
    let versions: Vec<String> = std::fs::read_dir(dir)
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot list {}: {error}; pass --database-restart-command",
                dir.display()
            )
        })?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    match versions.as_slice() {
        [version] => Ok(format!(
            "pg_ctlcluster --skip-systemctl-redirect {version} main restart"
        )),
        _ => anyhow::bail!(
            "{} holds {} PostgreSQL versions, not one; pass --database-restart-command",
            dir.display(),
            versions.len()
        ),
    }
}

/// Runs `command` through `sh -c` and waits for it; an error when it fails or hangs.
pub async fn restart_database(command: &str) -> anyhow::Result<()> {
    let child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let output = tokio::time::timeout(RESTART_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| anyhow::anyhow!("`{command}` did not finish in {RESTART_TIMEOUT:?}"))??;
    if !output.status.success() {
        anyhow::bail!(
            "`{command}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_installed_version_is_restarted() {
        let dir =
            std::env::temp_dir().join(format!("igpub-pgconf-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("16")).expect("dir");
        assert_eq!(
            restart_command_in(&dir).expect("one version"),
            "pg_ctlcluster --skip-systemctl-redirect 16 main restart"
        );
        std::fs::create_dir_all(dir.join("17")).expect("dir");
        assert!(
            restart_command_in(&dir).is_err(),
            "two versions are ambiguous"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failing_restart_command_is_an_error() {
        assert!(restart_database("true").await.is_ok());
        let error = restart_database("echo nope >&2; exit 3")
            .await
            .expect_err("fails");
        assert!(error.to_string().contains("nope"), "{error}");
    }
}
