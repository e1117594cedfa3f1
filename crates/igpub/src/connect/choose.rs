//! Step 3 when several accounts were found: the person picks one from a pending choice.

use igpub_graph::IgUserId;

use super::discovery::instagram_accounts;
use super::{ConnectError, Connector};
use crate::store::{ConnectSessionId, ConnectSessionLookup, Integration, TenantId};

impl Connector {
    /// Connects the account `ig_user_id` offered by the pending choice `session`.
    ///
    /// The Page token is read again with the login's user token, so no Page token waits in the
    /// database. The choice stays open until it expires, so a picker may connect several of the
    /// offered accounts one after the other.
    pub async fn choose(
        &self,
        tenant: TenantId,
        session: ConnectSessionId,
        ig_user_id: &IgUserId,
    ) -> Result<Integration, ConnectError> {
        let open = match self.store.open_connect_session(tenant, session).await? {
            ConnectSessionLookup::Open(open) => open,
            ConnectSessionLookup::Expired => return Err(ConnectError::SessionExpired),
        };
        let offered = open
            .session
            .choices
            .iter()
            .any(|choice| choice.ig_user_id == ig_user_id.as_str());
        if !offered {
            return Err(ConnectError::ChoiceNotOffered {
                ig_user_id: ig_user_id.to_string(),
            });
        }
        let app = self.meta_app(tenant).await?;
        if app.app_id() != open.session.meta_app_id {
            return Err(ConnectError::MetaAppChanged);
        }
        let user = app.graph.with_token(open.user_token.clone().into());
        let pages = user
            .all_pages()
            .await
            .map_err(ConnectError::graph("listing your Facebook Pages"))?;
        let account = instagram_accounts(pages)
            .into_iter()
            .find(|account| account.choice.ig_user_id == ig_user_id.as_str())
            .ok_or_else(|| ConnectError::ChoiceGone {
                ig_user_id: ig_user_id.to_string(),
            })?;
        self.finish(tenant, &app, account, open.session.user_token_expires_at)
            .await
    }
}
