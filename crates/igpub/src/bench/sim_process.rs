//! The simulator as a separate process (`igpub sim`), so its CPU is not the workers' and the
//! bench measures HTTP between processes, as in production.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use igpub_sim::{Counters, PublishedMedia};
use secrecy::SecretString;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::BenchError;

/// What the simulator is told.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFlags {
    /// Seeded accounts.
    pub accounts: usize,
    /// Added to every Graph request, in milliseconds (the round trip).
    pub latency_ms: u64,
    /// How long an image container stays IN_PROGRESS, in milliseconds.
    pub image_processing_ms: u64,
    /// ± spread of the processing time, as a fraction.
    pub processing_jitter: f64,
    /// Posts per account per 24 h (graph-api.md §2.8).
    pub quota_total: u32,
    /// Lift the app and account call budgets (§7), for runs that are about speed, not limits.
    pub unlimited_budgets: bool,
}

impl SimFlags {
    /// The `igpub sim` arguments. `--no-fetch`: the bench's media URLs are never fetched, so
    /// nothing leaves the machine.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "sim".to_owned(),
            "--port".to_owned(),
            "0".to_owned(),
            "--no-fetch".to_owned(),
            "--accounts".to_owned(),
            self.accounts.to_string(),
            "--latency-ms".to_owned(),
            self.latency_ms.to_string(),
            "--image-processing-ms".to_owned(),
            self.image_processing_ms.to_string(),
            "--processing-jitter".to_owned(),
            self.processing_jitter.to_string(),
            "--quota-total".to_owned(),
            self.quota_total.to_string(),
        ];
        if self.unlimited_budgets {
            args.push("--unlimited-budgets".to_owned());
        }
        args
    }
}

/// One seeded account, as the control API lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct SimAccount {
    /// The IG user id.
    pub ig_user_id: String,
    /// Its username.
    pub username: String,
    /// Its Facebook Page.
    pub page_id: String,
    /// A Page token that never expires.
    pub page_token: SecretString,
}

/// A running `igpub sim`; killed when dropped.
#[derive(Debug)]
pub struct SimProcess {
    child: Child,
    base_url: String,
    http: reqwest::Client,
}

/// The first line `igpub sim` prints names its address after "at ".
pub fn base_url_of_banner(line: &str) -> Option<String> {
    let (_, url) = line.rsplit_once(" at ")?;
    let url = url.trim();
    url.starts_with("http://").then(|| url.to_owned())
}

impl SimProcess {
    /// Starts `exe sim` with `flags` and waits for its banner.
    pub async fn start(exe: &Path, flags: &SimFlags) -> Result<Self, BenchError> {
        let mut child = Command::new(exe)
            .args(flags.to_args())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| BenchError::Spawn {
                what: "igpub sim",
                error,
            })?;
        let stdout = child.stdout.take().ok_or(BenchError::SimBanner)?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| BenchError::SimBanner)?
            .map_err(|_| BenchError::SimBanner)?
            .ok_or(BenchError::SimBanner)?;
        let base_url = base_url_of_banner(&first).ok_or(BenchError::SimBanner)?;
        // The banner lists every account; keep reading so a full pipe never blocks the sim.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| BenchError::Control(error.to_string()))?;
        Ok(Self {
            child,
            base_url,
            http,
        })
    }

    /// Where the Graph API is (`http://127.0.0.1:port/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The process id, for CPU accounting.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    async fn control<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, BenchError> {
        let url = format!("{}__sim/{path}", self.base_url);
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| BenchError::Control(format!("{path}: {error}")))?;
        let bytes = response
            .error_for_status()
            .map_err(|error| BenchError::Control(format!("{path}: {error}")))?
            .bytes()
            .await
            .map_err(|error| BenchError::Control(format!("{path}: {error}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|error| BenchError::Control(format!("{path}: {error}")))
    }

    /// The seeded accounts with their Page tokens.
    pub async fn accounts(&self) -> Result<Vec<SimAccount>, BenchError> {
        self.control("accounts").await
    }

    /// The request counters so far.
    pub async fn counters(&self) -> Result<Counters, BenchError> {
        self.control("counters").await
    }

    /// Everything published, by IG user id.
    pub async fn published(&self) -> Result<BTreeMap<String, Vec<PublishedMedia>>, BenchError> {
        self.control("published").await
    }

    /// Stops the simulator.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_names_the_base_url() {
        let line = "igpub sim: Meta's Graph API, simulated, at http://127.0.0.1:40123/";
        assert_eq!(
            base_url_of_banner(line).as_deref(),
            Some("http://127.0.0.1:40123/")
        );
        assert_eq!(base_url_of_banner("something else"), None);
    }

    #[test]
    fn sim_flags_never_let_the_sim_fetch_media() {
        let flags = SimFlags {
            accounts: 2,
            latency_ms: 50,
            image_processing_ms: 2000,
            processing_jitter: 0.0,
            quota_total: 100,
            unlimited_budgets: false,
        };
        let args = flags.to_args();
        assert!(args.contains(&"--no-fetch".to_owned()));
        assert!(!args.contains(&"--unlimited-budgets".to_owned()));
        let at = args
            .iter()
            .position(|a| a == "--latency-ms")
            .expect("latency flag");
        assert_eq!(args.get(at + 1).map(String::as_str), Some("50"));
    }
}
