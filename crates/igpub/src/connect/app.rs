//! Which Meta app a tenant's login and tokens go through: the service's (`meta.*` settings) or
//! the tenant's own ([`MetaAppOverride`]).

use std::time::Duration;

use igpub_graph::{AppCredentials, AppId, GraphClient};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{ConnectError, Connector};
use crate::store::{MetaAppOverride, TenantId};

/// How long one Graph call of the flow may take, for a tenant's own app (the service's client
/// comes with its own settings).
const TENANT_APP_TIMEOUT: Duration = Duration::from_secs(30);

/// Whose Meta app it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppOwner {
    /// The service's app, from the `meta.*` settings.
    Service,
    /// The tenant's own app.
    Tenant,
}

/// A Meta app ready for the flow: its credentials, the redirect URL registered with it, and a
/// Graph client that signs calls with its secret (`appsecret_proof`, graph-api.md §5.4).
#[derive(Debug, Clone)]
pub struct MetaApp {
    /// App id and secret.
    pub credentials: AppCredentials,
    /// The OAuth redirect URL; the code exchange must send exactly this one (graph-api.md §5.1).
    pub redirect_uri: Url,
    /// A client whose calls carry this app's `appsecret_proof`.
    pub graph: GraphClient,
    /// Whose app it is.
    pub owner: AppOwner,
}

impl MetaApp {
    /// The app id as text.
    pub fn app_id(&self) -> &str {
        self.credentials.app_id.as_str()
    }
}

impl Connector {
    /// The Meta app the tenant connects through: its own when it has one, else the service's.
    pub async fn meta_app(&self, tenant: TenantId) -> Result<MetaApp, ConnectError> {
        match self.store.meta_app_override(tenant).await? {
            Some(app) => self.tenant_app(app),
            None => self.service_app(),
        }
    }

    fn service_app(&self) -> Result<MetaApp, ConnectError> {
        let meta = &self.settings.meta;
        let app_id = checked_app_id(&meta.app_id)?;
        let app_secret = meta
            .app_secret
            .clone()
            .filter(|secret| !secret.expose_secret().trim().is_empty())
            .ok_or(ConnectError::NotConfigured {
                setting: "meta.app_secret",
                problem: "is not set (IGPUB_META__APP_SECRET): it is needed to exchange login \
                          codes"
                    .to_owned(),
            })?;
        Ok(MetaApp {
            credentials: AppCredentials::new(app_id, app_secret),
            redirect_uri: self.service_redirect_uri()?,
            graph: self.graph.clone(),
            owner: AppOwner::Service,
        })
    }

    fn tenant_app(&self, app: MetaAppOverride) -> Result<MetaApp, ConnectError> {
        let redirect_uri = match app.redirect_url {
            Some(url) => url,
            None => self.service_redirect_uri()?,
        };
        let graph = self.graph_for_secret(&app.app_secret)?;
        Ok(MetaApp {
            credentials: AppCredentials::new(AppId::new(app.app_id), app.app_secret),
            redirect_uri,
            graph,
            owner: AppOwner::Tenant,
        })
    }

    /// A client like the service's, signing with another app's secret.
    fn graph_for_secret(&self, app_secret: &SecretString) -> Result<GraphClient, ConnectError> {
        GraphClient::builder()
            .base_url(self.graph.base_url())
            .api_version(self.graph.api_version())
            .app_secret(app_secret.clone())
            .timeout(TENANT_APP_TIMEOUT)
            .build()
            .map_err(|error| ConnectError::NotConfigured {
                setting: "meta.graph_url",
                problem: error.to_string(),
            })
    }

    fn service_redirect_uri(&self) -> Result<Url, ConnectError> {
        let text = self.settings.redirect_url();
        let url = Url::parse(&text).map_err(|error| ConnectError::NotConfigured {
            setting: "meta.redirect_url",
            problem: format!(
                "{text:?} is not a URL ({error}); set meta.redirect_url or public_base_url"
            ),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.fragment().is_some() {
            return Err(ConnectError::NotConfigured {
                setting: "meta.redirect_url",
                problem: format!("{text:?} must be an http(s) URL without a fragment"),
            });
        }
        Ok(url)
    }
}

fn checked_app_id(text: &str) -> Result<AppId, ConnectError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConnectError::NotConfigured {
            setting: "meta.app_id",
            problem: "must be the Meta app's numeric id (IGPUB_META__APP_ID)".to_owned(),
        });
    }
    Ok(AppId::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meta_app_never_shows_its_secret_in_debug() {
        let secret = SecretString::from("app-secret-never-shown");
        let graph = GraphClient::builder()
            .app_secret(secret.clone())
            .build()
            .unwrap_or_else(|error| panic!("default client must build: {error}"));
        let app = MetaApp {
            credentials: AppCredentials::new(AppId::new("1"), secret),
            redirect_uri: Url::parse("https://igpub.example/oauth/facebook/callback")
                .unwrap_or_else(|error| panic!("static URL: {error}")),
            graph,
            owner: AppOwner::Service,
        };
        let shown = format!("{app:?}");
        assert!(!shown.contains("app-secret-never-shown"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn the_service_app_id_must_be_numeric_and_present() {
        assert!(checked_app_id(" 138483919580948 ").is_ok());
        for bad in ["", "  ", "12a", "-1"] {
            match checked_app_id(bad) {
                Err(ConnectError::NotConfigured { setting, .. }) => {
                    assert_eq!(setting, "meta.app_id");
                }
                other => panic!("{bad:?} must be refused naming meta.app_id, got {other:?}"),
            }
        }
    }
}
