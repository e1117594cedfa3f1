//! Layered configuration: defaults, then `igpub.toml`, then `IGPUB_*` environment variables.
//!
//! Nested settings use a double underscore in the environment, e.g. `IGPUB_META__APP_ID`.
//! The secret key ring comes from `IGPUB_SECRET_KEYS` (comma-separated base64 keys, the first
//! one active) or from `secret_key_file`. `igpub config show` prints the result with every
//! secret redacted.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default configuration file, read from the working directory when present.
pub const DEFAULT_CONFIG_FILE: &str = "igpub.toml";

/// Every setting of the service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://igpub.db` (the default) or `postgres://…`.
    pub database_url: String,
    /// `IGPUB_SECRET_KEYS`: comma-separated base64 AES-256 keys; the first one encrypts.
    #[serde(skip_serializing)]
    pub secret_keys: Option<SecretString>,
    /// A file with one base64 key per line, used when `secret_keys` is not set.
    pub secret_key_file: Option<PathBuf>,
    /// Where the HTTP server listens.
    pub listen: SocketAddr,
    /// The URL the world reaches this server at: OAuth callbacks and hosted media use it.
    pub public_base_url: String,
    /// The Meta app and Graph API endpoints.
    pub meta: MetaSettings,
    /// The publishing worker.
    pub worker: WorkerSettings,
    /// Media pre-flight and hosting.
    pub media: MediaSettings,
    /// Meta's webhooks (`/webhooks/meta`).
    pub webhooks: WebhookSettings,
    /// Scheduled insights pulls.
    pub insights: InsightsSettings,
}

/// The Meta app igpub acts as, and where Meta's endpoints are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetaSettings {
    /// The Meta app id (`client_id` of Facebook Login). Meta's ids are numeric strings, and an
    /// environment variable like `IGPUB_META__APP_ID=42` reads as a number, so both are taken.
    #[serde(deserialize_with = "string_or_number")]
    pub app_id: String,
    /// The Meta app secret: code exchange, `appsecret_proof` and webhook signatures.
    #[serde(skip_serializing)]
    pub app_secret: Option<SecretString>,
    /// The redirect URL registered with the app; defaults to `{public_base_url}/oauth/facebook/callback`.
    pub redirect_url: Option<String>,
    /// Graph API base URL.
    pub graph_url: String,
    /// Base URL of the Facebook Login dialog.
    pub dialog_url: String,
    /// Graph API version, e.g. `v25.0`.
    pub api_version: String,
}

/// How the publishing worker runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Posts worked on at once by one worker process.
    pub concurrency: usize,
    /// How long a lease lasts without a heartbeat before another worker may take the post.
    pub lease_seconds: u64,
}

/// Media pre-flight and built-in hosting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// Where hosted media files live.
    pub data_dir: PathBuf,
    /// Allow media on private or loopback hosts (local development and the demo only: Meta
    /// could not fetch such media in production).
    pub allow_private_hosts: bool,
    /// Fix refused images (convert, pad, scale) when a post is created without saying
    /// `auto_fix` either way.
    pub auto_fix: bool,
    /// Seconds between media garbage collections (0 turns the collector off in this process).
    pub gc_interval_seconds: u64,
    /// Host media in an S3-compatible bucket instead of `data_dir` (`[media.s3]`,
    /// `IGPUB_MEDIA__S3__BUCKET`, …). The hosting secret stays in `data_dir` either way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Settings>,
}

/// An S3-compatible bucket for hosted media (AWS S3, MinIO, R2, …). Meta is given the bucket's
/// public URLs, so the bucket must let anyone read `media/*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// The bucket name.
    #[serde(deserialize_with = "string_or_number")]
    pub bucket: String,
    /// The region; `us-east-1` suits most S3-compatible servers.
    #[serde(default = "default_s3_region")]
    pub region: String,
    /// A non-AWS endpoint, e.g. `https://minio.example:9000`; AWS's own when unset.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The access key id.
    #[serde(deserialize_with = "string_or_number")]
    pub access_key_id: String,
    /// The secret access key (never printed: `igpub config show` says `[redacted]`).
    #[serde(skip_serializing)]
    pub secret_access_key: SecretString,
    /// Allow a plain-HTTP endpoint (local S3-compatible servers only).
    #[serde(default)]
    pub allow_http: bool,
    /// The bucket's public URL, e.g. `https://igpub-media.s3.amazonaws.com/`: media is at
    /// `{public_base_url}/media/{id}.{ext}`, and that is the URL Meta fetches.
    pub public_base_url: String,
}

fn default_s3_region() -> String {
    "us-east-1".to_owned()
}

/// Meta's webhook subscription settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// The verify token configured in the Meta app dashboard (`hub.verify_token`).
    #[serde(skip_serializing)]
    pub verify_token: Option<SecretString>,
}

/// How often the insights scheduler pulls each integration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InsightsSettings {
    /// Minutes between pulls of an account's daily metrics.
    pub account_interval_minutes: u64,
    /// Minutes between pulls of the lifetime metrics of posts under 30 days old.
    pub media_interval_minutes: u64,
    /// Minutes between pulls of live stories (their insights vanish after 24 h).
    pub stories_interval_minutes: u64,
    /// Seconds between the scheduler's looks for due pulls.
    pub tick_seconds: u64,
    /// Complete days an account pull fetches again (Meta's data arrives up to 48 h late).
    pub lookback_days: u32,
}

impl Default for InsightsSettings {
    fn default() -> Self {
        Self {
            account_interval_minutes: 6 * 60,
            media_interval_minutes: 24 * 60,
            stories_interval_minutes: 4 * 60,
            tick_seconds: 60,
            lookback_days: 3,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://igpub.db".to_owned(),
            secret_keys: None,
            secret_key_file: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            meta: MetaSettings::default(),
            worker: WorkerSettings::default(),
            media: MediaSettings::default(),
            webhooks: WebhookSettings::default(),
            insights: InsightsSettings::default(),
        }
    }
}

impl Default for MetaSettings {
    fn default() -> Self {
        Self {
            app_id: String::new(),
            app_secret: None,
            redirect_url: None,
            graph_url: "https://graph.facebook.com".to_owned(),
            dialog_url: "https://www.facebook.com".to_owned(),
            api_version: "v25.0".to_owned(),
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 64,
            lease_seconds: 60,
        }
    }
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("igpub-data/media"),
            allow_private_hosts: false,
            auto_fix: false,
            gc_interval_seconds: 3600,
            s3: None,
        }
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(u64),
    }
    Ok(match StringOrNumber::deserialize(deserializer)? {
        StringOrNumber::String(text) => text,
        StringOrNumber::Number(number) => number.to_string(),
    })
}

/// A configuration that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Settings {
    /// Reads defaults, then `config_file` (or `igpub.toml` when it exists), then `IGPUB_*`.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::figment(config_file)
            .extract()
            .map_err(|error| ConfigError(Box::new(error)))
    }

    /// The layered sources, exposed so tests and tools can add their own layer on top.
    pub fn figment(config_file: Option<&Path>) -> Figment {
        let file = config_file.unwrap_or_else(|| Path::new(DEFAULT_CONFIG_FILE));
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("IGPUB_").split("__").filter(is_setting))
    }

    /// The OAuth redirect URL: the configured one, or the callback route of this server.
    pub fn redirect_url(&self) -> String {
        self.meta.redirect_url.clone().unwrap_or_else(|| {
            format!(
                "{}/oauth/facebook/callback",
                self.public_base_url.trim_end_matches('/')
            )
        })
    }

    /// The settings as TOML with every secret replaced by `[redacted]` or `[unset]`.
    pub fn redacted_toml(&self) -> String {
        fn mark(secret: &Option<SecretString>) -> &'static str {
            if secret.is_some() {
                "[redacted]"
            } else {
                "[unset]"
            }
        }
        let mut text = toml_string(self);
        text.push_str(&format!(
            "\n# secrets\nsecret_keys = \"{}\"\nmeta.app_secret = \"{}\"\nwebhooks.verify_token = \"{}\"\n",
            mark(&self.secret_keys),
            mark(&self.meta.app_secret),
            mark(&self.webhooks.verify_token),
        ));
        if self.media.s3.is_some() {
            text.push_str("media.s3.secret_access_key = \"[redacted]\"\n");
        }
        text
    }
}

/// Only `IGPUB_*` variables that name a setting are configuration: others, like the CLI's
/// `IGPUB_TOKEN` or the tests' `IGPUB_TEST_DATABASE_URL`, belong to their own tools.
fn is_setting(key: &figment::value::UncasedStr) -> bool {
    const TOP_LEVEL: [&str; 10] = [
        "database_url",
        "secret_keys",
        "secret_key_file",
        "listen",
        "public_base_url",
        "meta",
        "worker",
        "media",
        "webhooks",
        "insights",
    ];
    // Depending on the provider's stage the key reads `meta__app_id` or `meta.app_id`.
    let key = key.as_str().to_ascii_lowercase();
    TOP_LEVEL.iter().any(|name| {
        key.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with("__"))
    })
}

fn toml_string(settings: &Settings) -> String {
    // Serialising a plain struct of strings, numbers and paths cannot fail; fall back to JSON
    // rather than panic if a future field type ever makes it fail.
    toml::to_string_pretty(settings)
        .unwrap_or_else(|error| format!("# cannot render as TOML: {error}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_sqlite_and_meta_urls() {
        let settings = Settings::default();
        assert_eq!(settings.database_url, "sqlite://igpub.db");
        assert_eq!(settings.meta.graph_url, "https://graph.facebook.com");
        assert_eq!(settings.meta.api_version, "v25.0");
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn environment_overrides_file_and_nested_keys_use_double_underscore() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "igpub.toml",
                "database_url = \"sqlite://from-file.db\"\n[meta]\napp_id = \"1\"\n",
            )?;
            jail.set_env("IGPUB_META__APP_ID", "42");
            jail.set_env("IGPUB_SECRET_KEYS", "c2VjcmV0");
            // Variables of other tools share the prefix and must not be read as settings.
            jail.set_env("IGPUB_TOKEN", "EAAB-not-a-setting");
            jail.set_env("IGPUB_TEST_DATABASE_URL", "postgres://elsewhere");
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.database_url, "sqlite://from-file.db");
            assert_eq!(settings.meta.app_id, "42");
            assert!(settings.secret_keys.is_some());
            Ok(())
        });
    }

    #[test]
    fn redacted_output_never_contains_secrets() {
        let settings = Settings {
            secret_keys: Some(SecretString::from("super-secret-key".to_owned())),
            meta: MetaSettings {
                app_secret: Some(SecretString::from("app-secret-value".to_owned())),
                ..MetaSettings::default()
            },
            ..Settings::default()
        };
        let shown = settings.redacted_toml();
        assert!(!shown.contains("super-secret-key"));
        assert!(!shown.contains("app-secret-value"));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn s3_media_settings_come_from_the_file_and_the_environment_and_stay_secret() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "igpub.toml",
                "[media.s3]\nbucket = \"igpub-media\"\naccess_key_id = \"AKIAFROMFILE\"\n\
                 public_base_url = \"https://igpub-media.s3.amazonaws.com/\"\n",
            )?;
            jail.set_env("IGPUB_MEDIA__S3__SECRET_ACCESS_KEY", "bucket-secret-value");
            jail.set_env("IGPUB_MEDIA__S3__ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("IGPUB_MEDIA__S3__ALLOW_HTTP", "true");
            jail.set_env("IGPUB_MEDIA__GC_INTERVAL_SECONDS", "60");
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            let s3 = settings.media.s3.clone().ok_or("media.s3 must be set")?;
            assert_eq!(s3.bucket, "igpub-media");
            assert_eq!(s3.region, "us-east-1");
            assert_eq!(s3.access_key_id, "AKIAFROMFILE");
            assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
            assert!(s3.allow_http);
            assert_eq!(settings.media.gc_interval_seconds, 60);
            let shown = settings.redacted_toml();
            assert!(!shown.contains("bucket-secret-value"), "{shown}");
            assert!(shown.contains("media.s3.secret_access_key = \"[redacted]\""));
            assert!(shown.contains("igpub-media"), "{shown}");
            assert!(!format!("{settings:?}").contains("bucket-secret-value"));
            Ok(())
        });
    }

    #[test]
    fn without_s3_settings_media_stays_on_the_filesystem_and_gc_runs_hourly() {
        let settings = Settings::default();
        assert!(settings.media.s3.is_none());
        assert_eq!(settings.media.gc_interval_seconds, 3600);
        assert!(!settings.redacted_toml().contains("media.s3"));
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail fixes the closure's error type"
    )]
    fn unknown_keys_are_refused_with_their_name() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("igpub.toml", "databse_url = \"x\"\n")?;
            let error = Settings::load(None).expect_err("a misspelt key must be refused");
            assert!(error.to_string().contains("databse_url"), "{error}");
            Ok(())
        });
    }
}
