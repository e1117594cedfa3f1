//! Secrets: access tokens, app credentials, `appsecret_proof`, and the scrubbing that keeps them
//! out of error messages.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::fmt;

use crate::ids::AppId;

/// A Graph access token (user, Page or app token). It is a secret: `Debug` is redacted, there is
/// no `Display` and no `Serialize`, and the client only ever sends it in the `Authorization` header.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token itself, for the few places that must hold it (the vault encrypting it, the
    /// `Authorization` header). Never log or format the result.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<SecretString> for AccessToken {
    fn from(secret: SecretString) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl<'de> serde::Deserialize<'de> for AccessToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SecretString::deserialize(deserializer).map(Self)
    }
}

/// A Meta app's id and secret: what the token endpoints and `debug_token` authenticate with.
#[derive(Clone)]
pub struct AppCredentials {
    /// The app id (public).
    pub app_id: AppId,
    /// The app secret (secret).
    pub app_secret: SecretString,
}

impl AppCredentials {
    /// Pairs an app id with its secret.
    pub fn new(app_id: AppId, app_secret: SecretString) -> Self {
        Self { app_id, app_secret }
    }

    /// The app access token `{app-id}|{app-secret}` (graph-api.md §5.3). It contains the secret.
    pub fn app_token(&self) -> AccessToken {
        AccessToken::new(format!(
            "{}|{}",
            self.app_id,
            self.app_secret.expose_secret()
        ))
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .finish()
    }
}

/// `appsecret_proof` = lower-case hex of HMAC-SHA256(key = app secret, message = access token).
// graph-api.md §5.4
pub fn appsecret_proof(app_secret: &SecretString, access_token: &AccessToken) -> String {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the type honest.
    match Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes()) {
        Ok(mut mac) => {
            mac.update(access_token.expose_secret().as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// What replaces a secret in any text the client keeps (error messages, decode errors).
pub(crate) const REDACTED: &str = "[redacted]";

/// Parameter names whose values are secrets wherever they appear in a URL or form text, e.g. the
/// `paging.next` URLs Meta builds with `access_token=…` in them (graph-api.md §3.4).
const SECRET_PARAMS: [&str; 6] = [
    "access_token=",
    "client_secret=",
    "input_token=",
    "fb_exchange_token=",
    "code=",
    "appsecret_proof=",
];

/// Removes the given secrets and any `access_token=…`-style parameter values from `text`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        // Very short "secrets" would shred ordinary text; real tokens and secrets are long.
        if secret.len() >= 8 {
            out = out.replace(secret, REDACTED);
        }
    }
    for name in SECRET_PARAMS {
        out = scrub_param(&out, name);
    }
    out
}

fn scrub_param(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find(name) {
        let value_start = found + name.len();
        out.push_str(&rest[..value_start]);
        let value = &rest[value_start..];
        // `status_code=` is not `code=`: only a whole parameter name counts.
        let inside_a_longer_name = rest[..found]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if inside_a_longer_name {
            rest = value;
            continue;
        }
        let value_len = value
            .find(['&', '"', '\'', ' ', '\n', '\\', '#', '>', '<'])
            .unwrap_or(value.len());
        if value_len > 0 {
            out.push_str(REDACTED);
        }
        rest = &value[value_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_token_is_redacted() {
        let token = AccessToken::new("EAAGsecretsecret");
        let shown = format!("{token:?}");
        assert!(!shown.contains("EAAG"), "{shown}");
        assert_eq!(shown, "AccessToken([redacted])");
    }

    #[test]
    fn debug_of_app_credentials_hides_the_secret() {
        let creds = AppCredentials::new(
            AppId::new("138483919580948"),
            SecretString::from("topsecret-app"),
        );
        let shown = format!("{creds:?}");
        assert!(shown.contains("138483919580948"));
        assert!(!shown.contains("topsecret-app"), "{shown}");
    }

    #[test]
    fn app_token_joins_id_and_secret_with_a_bar() {
        let creds = AppCredentials::new(AppId::new("1"), SecretString::from("s"));
        assert_eq!(creds.app_token().expose_secret(), "1|s");
    }

    #[test]
    fn appsecret_proof_is_lowercase_hex_hmac_sha256_of_the_token() {
        // Reference value computed independently: HMAC-SHA256(key="key", msg="The quick brown fox jumps over the lazy dog").
        let proof = appsecret_proof(
            &SecretString::from("key"),
            &AccessToken::new("The quick brown fox jumps over the lazy dog"),
        );
        assert_eq!(
            proof,
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn scrub_removes_tokens_and_secret_parameters() {
        let text = "next=https://graph.facebook.com/v6.0/1/media?access_token=EAAB123&fields=id and EAAGsecretsecret";
        let clean = scrub(text, &["EAAGsecretsecret"]);
        assert!(!clean.contains("EAAB123"), "{clean}");
        assert!(!clean.contains("EAAGsecretsecret"), "{clean}");
        assert!(
            clean.contains("access_token=[redacted]&fields=id"),
            "{clean}"
        );
    }

    #[test]
    fn scrub_keeps_parameters_whose_name_only_ends_like_a_secret_one() {
        assert_eq!(scrub("status_code=FINISHED", &[]), "status_code=FINISHED");
        assert_eq!(scrub("?code=AQBx", &[]), "?code=[redacted]");
    }

    #[test]
    fn scrub_ignores_very_short_secrets() {
        assert_eq!(scrub("a b c", &["a"]), "a b c");
    }
}
