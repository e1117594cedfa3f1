//! Step 1: the Facebook Login dialog URL, with a fresh single-use `state` (graph-api.md §5.1).

use std::time::Duration;

use igpub_graph::LoginDialog;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{ConnectError, Connector, REQUIRED_SCOPES};
use crate::store::{OAUTH_STATE_TTL, TenantId};

/// The longest `return_to` accepted.
const MAX_RETURN_TO_CHARS: usize = 2048;

/// What the connect call hands back: where to send the person.
#[derive(Debug, Clone)]
pub struct ConnectStart {
    /// The Facebook Login dialog URL (it carries the single-use state; do not log it).
    pub authorize_url: Url,
    /// How long the person has to finish logging in.
    pub expires_in: Duration,
}

/// What the callback needs to find again; stored with the state, holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateExtra {
    /// The redirect URI the dialog was opened with; the code exchange repeats it exactly.
    pub redirect_uri: String,
    /// The Meta app the dialog was opened for.
    pub meta_app_id: String,
    /// Where to send the person's browser when the callback is done.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// Checks a `return_to` address: an absolute http(s) URL without credentials or fragment.
pub fn parse_return_to(text: &str) -> Result<Url, ConnectError> {
    let text = text.trim();
    if text.chars().count() > MAX_RETURN_TO_CHARS {
        return Err(ConnectError::InvalidReturnTo(format!(
            "must be at most {MAX_RETURN_TO_CHARS} characters"
        )));
    }
    let url = Url::parse(text).map_err(|error| {
        ConnectError::InvalidReturnTo(format!("must be an absolute http(s) URL ({error})"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConnectError::InvalidReturnTo(
            "must be an http or https URL".to_owned(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(ConnectError::InvalidReturnTo(
            "must not carry credentials or a #fragment".to_owned(),
        ));
    }
    Ok(url)
}

impl Connector {
    /// Starts connecting an Instagram account for `tenant`: stores a random, single-use state
    /// bound to the tenant for 10 minutes (hashed by the store) and builds the login dialog URL
    /// with exactly the scopes igpub needs, for the tenant's Meta app.
    pub async fn start(
        &self,
        tenant: TenantId,
        return_to: Option<Url>,
    ) -> Result<ConnectStart, ConnectError> {
        let app = self.meta_app(tenant).await?;
        let extra = StateExtra {
            redirect_uri: app.redirect_uri.to_string(),
            meta_app_id: app.app_id().to_owned(),
            return_to: return_to.map(String::from),
        };
        let extra = serde_json::to_value(&extra)
            .map_err(|e| ConnectError::InvalidReturnTo(format!("cannot be stored: {e}")))?;
        // Old states are useless; dropping them here keeps the table small without a job.
        self.store.delete_expired_oauth_states().await?;
        let state = self
            .store
            .create_oauth_state(tenant, OAUTH_STATE_TTL, extra)
            .await?;
        let authorize_url = LoginDialog::new(
            app.credentials.app_id.clone(),
            app.redirect_uri.clone(),
            state.expose_secret(),
        )
        .scopes(REQUIRED_SCOPES)
        .dialog_base_url(self.settings.meta.dialog_url.clone())
        .api_version(self.settings.meta.api_version.clone())
        .url()
        .map_err(|error| ConnectError::NotConfigured {
            setting: "meta.dialog_url",
            problem: error.to_string(),
        })?;
        Ok(ConnectStart {
            authorize_url,
            expires_in: OAUTH_STATE_TTL,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_must_be_a_plain_web_address() {
        assert!(parse_return_to("https://dashboard.example/integrations?tab=ig").is_ok());
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "ftp://x.example/",
            "https://user:pw@x.example/",
            "https://x.example/#frag",
        ] {
            match parse_return_to(bad) {
                Err(ConnectError::InvalidReturnTo(_)) => {}
                other => panic!("{bad:?} must be refused, got {other:?}"),
            }
        }
        let long = format!("https://x.example/{}", "a".repeat(MAX_RETURN_TO_CHARS));
        assert!(parse_return_to(&long).is_err());
    }
}
