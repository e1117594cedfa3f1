//! Step 4: turning a chosen account into a stored, verified integration (graph-api.md §5.2).
//!
//! The Page token is checked against Meta before anything is written, so a reconnect that fails
//! leaves the working token in place; the store then updates the existing integration in one
//! statement, so a reconnect never makes a duplicate.

use igpub_graph::{IgUserId, TokenInfo};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;

use super::app::MetaApp;
use super::discovery::DiscoveredAccount;
use super::{ConnectError, Connector};
use crate::store::{Integration, NewIntegration, TenantId};

/// A user token that lives longer than this is a long-lived one: short-lived tokens last one to
/// two hours, long-lived ones about 60 days (graph-api.md §5.1, §5.2).
const SHORT_LIVED_AT_MOST: SignedDuration = SignedDuration::from_hours(24);

/// When a Page token expires; `None` when it never does.
///
/// `debug_token`'s answer decides when there is one (`expires_at: 0` is "never", §5.3).
/// Without it, the documented rule applies: a Page token obtained with a long-lived user token
/// has no expiration date (§5.2); one obtained with a short-lived user token is taken to end
/// with it.
pub fn page_token_expiry(
    debug: Option<&TokenInfo>,
    user_token_expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Option<Timestamp> {
    if let Some(info) = debug.filter(|info| info.is_valid) {
        return info.expires();
    }
    let user_expiry = user_token_expires_at?;
    let long_lived = user_expiry.duration_since(now) > SHORT_LIVED_AT_MOST;
    if long_lived { None } else { Some(user_expiry) }
}

impl Connector {
    /// Verifies the account with its Page token, then stores it encrypted and marks it verified.
    pub(crate) async fn finish(
        &self,
        tenant: TenantId,
        app: &MetaApp,
        account: DiscoveredAccount,
        user_token_expires_at: Option<Timestamp>,
    ) -> Result<Integration, ConnectError> {
        let ig_user_id = IgUserId::new(account.choice.ig_user_id.clone());
        let page = app.graph.with_token(account.page_token.clone());
        // graph-api.md §3.2: GET /{ig-user-id}?fields=id,username with the new token.
        let profile = page.verify(&ig_user_id).await.map_err(ConnectError::graph(
            "the new token's check of the Instagram account",
        ))?;
        let debug = match app
            .graph
            .debug_token(&app.credentials, &account.page_token)
            .await
        {
            Ok(info) => Some(info),
            Err(error) => {
                tracing::warn!(%error, ig_user_id = %ig_user_id, "debug_token failed; token expiry inferred from the user token");
                None
            }
        };
        let now = self.clock.now();
        let new = NewIntegration {
            ig_user_id: account.choice.ig_user_id,
            ig_username: profile
                .username
                .or(account.choice.ig_username)
                .unwrap_or_default(),
            facebook_page_id: account.choice.facebook_page_id,
            page_token: SecretString::from(account.page_token.expose_secret().to_owned()),
            token_expires_at: page_token_expiry(debug.as_ref(), user_token_expires_at, now),
        };
        let integration = self.store.upsert_instagram_integration(tenant, new).await?;
        tracing::info!(integration_id = %integration.id, tenant_id = %tenant, "instagram account connected");
        Ok(self
            .store
            .mark_verified(tenant, integration.id, now)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: &str) -> TokenInfo {
        match serde_json::from_str(json) {
            Ok(info) => info,
            Err(error) => panic!("test token info must decode: {error}"),
        }
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn debug_token_saying_zero_means_the_page_token_never_expires() {
        let never = info(r#"{"is_valid":true,"expires_at":0,"type":"PAGE"}"#);
        assert_eq!(
            page_token_expiry(Some(&never), Some(at(NOW + 3600)), at(NOW)),
            None
        );
    }

    #[test]
    fn debug_token_expiry_is_taken_as_is() {
        let dated = info(r#"{"is_valid":true,"expires_at":1800003600,"type":"PAGE"}"#);
        assert_eq!(
            page_token_expiry(Some(&dated), None, at(NOW)),
            Some(at(NOW + 3600))
        );
    }

    #[test]
    fn without_debug_token_a_long_lived_user_token_gives_a_page_token_that_never_expires() {
        let sixty_days = at(NOW + 60 * 24 * 3600);
        assert_eq!(page_token_expiry(None, Some(sixty_days), at(NOW)), None);
        assert_eq!(page_token_expiry(None, None, at(NOW)), None);
    }

    #[test]
    fn without_debug_token_a_short_lived_user_token_bounds_the_page_token() {
        let two_hours = at(NOW + 2 * 3600);
        assert_eq!(
            page_token_expiry(None, Some(two_hours), at(NOW)),
            Some(two_hours)
        );
    }

    #[test]
    fn an_invalid_debug_token_answer_is_not_trusted_for_expiry() {
        let invalid = info(r#"{"is_valid":false,"expires_at":1800003600}"#);
        assert_eq!(
            page_token_expiry(Some(&invalid), Some(at(NOW + 60 * 24 * 3600)), at(NOW)),
            None
        );
    }
}
