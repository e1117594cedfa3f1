//! Token health: checking a stored token against Meta, and turning Meta's "this token no longer
//! works" answers into `needs_reconnect` with a reason a person understands (graph-api.md §6.2).

use igpub_graph::{ErrorClass, GraphError, IgUserId, classify};

use super::{ConnectError, Connector};
use crate::store::{
    Integration, IntegrationId, IntegrationStatus, IntegrationStore, StoreError, TenantId,
};

/// The result of [`Connector::verify`].
#[derive(Debug, Clone)]
pub enum Verification {
    /// Meta accepted the token; the integration is active and `last_verified_at` is now.
    Verified(Integration),
    /// Meta refused the token; the integration is `needs_reconnect` and `last_error` says why.
    NeedsReconnect(Integration),
}

impl Verification {
    /// The integration as it is now.
    pub fn integration(&self) -> &Integration {
        match self {
            Self::Verified(integration) | Self::NeedsReconnect(integration) => integration,
        }
    }

    /// The integration as it is now, by value.
    pub fn into_integration(self) -> Integration {
        match self {
            Self::Verified(integration) | Self::NeedsReconnect(integration) => integration,
        }
    }
}

/// What a 190 subcode means for the person who connected the account (graph-api.md §6.2).
pub fn token_failure_explanation(subcode: Option<i64>) -> &'static str {
    match subcode {
        Some(458) => "the person removed the app from their Facebook account",
        Some(459) => "Facebook checkpointed the account: the person must log in to facebook.com",
        Some(460) => {
            "the person changed their Facebook password, or Facebook ended the session for \
             security reasons"
        }
        Some(463) => "the token expired",
        Some(464) => "the Facebook account is not confirmed yet",
        Some(467) => "the person logged out of Facebook, which ended the token",
        Some(492) => "the person no longer has a role on the Facebook Page",
        _ => "Meta no longer accepts the token",
    }
}

/// Why the integration must be reconnected, when `error` says its token no longer works:
/// any code 190, and every other error the classifier calls [`ErrorClass::Reauth`] (102, and
/// permission errors 10 and 200–299). `None` for errors a reconnect would not fix.
pub fn reconnect_reason(error: &GraphError) -> Option<String> {
    let GraphError::Api(api) = error else {
        return None;
    };
    if api.code != 190 && classify(error, 0) != ErrorClass::Reauth {
        return None;
    }
    let explanation = match api.code {
        190 => token_failure_explanation(api.error_subcode),
        102 => "the Facebook session is no longer valid",
        _ => "a permission igpub needs was removed",
    };
    let code = match api.error_subcode {
        Some(subcode) => format!("{}/{subcode}", api.code),
        None => api.code.to_string(),
    };
    Some(format!(
        "{explanation}; connect the account again (Meta error {code}: {})",
        api.message
    ))
}

/// Marks the integration `needs_reconnect` when `error` says its token no longer works (see
/// [`reconnect_reason`]); any other error changes nothing and gives `None`.
///
/// The publisher calls this with every Graph error it gets for an account, so a 190 anywhere
/// holds the account until it is reconnected.
pub async fn record_token_error(
    store: &dyn IntegrationStore,
    tenant: TenantId,
    integration: IntegrationId,
    error: &GraphError,
) -> Result<Option<Integration>, StoreError> {
    match reconnect_reason(error) {
        Some(reason) => {
            tracing::warn!(%integration, %tenant, %reason, "integration needs reconnecting");
            store
                .mark_needs_reconnect(tenant, integration, &reason)
                .await
                .map(Some)
        }
        None => Ok(None),
    }
}

impl Connector {
    /// Checks the integration's token with `GET /{ig-user-id}?fields=id,username`.
    ///
    /// Success marks it verified (and active again). A refusal that a reconnect fixes marks it
    /// `needs_reconnect` with the reason. Any other failure (Meta down, rate limit) changes
    /// nothing and is returned as an error.
    pub async fn verify(
        &self,
        tenant: TenantId,
        integration: IntegrationId,
    ) -> Result<Verification, ConnectError> {
        let found = self.store.get_integration(tenant, integration).await?;
        if found.status == IntegrationStatus::Disconnected {
            return Err(ConnectError::Disconnected);
        }
        let token = self.store.integration_token(tenant, integration).await?;
        let app = self.meta_app(tenant).await?;
        let account = app.graph.with_token(token.into());
        let ig_user_id = IgUserId::new(found.metadata.ig_user_id.clone());
        match account.verify(&ig_user_id).await {
            Ok(_) => {
                let now = self.clock.now();
                let verified = self.store.mark_verified(tenant, integration, now).await?;
                Ok(Verification::Verified(verified))
            }
            Err(error) => {
                match record_token_error(self.store.as_ref(), tenant, integration, &error).await? {
                    Some(held) => Ok(Verification::NeedsReconnect(held)),
                    None => Err(ConnectError::Graph {
                        step: "the token check",
                        source: error,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use igpub_graph::GraphApiError;

    fn api_error(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
        GraphError::Api(Box::new(GraphApiError {
            message: message.to_owned(),
            error_type: "OAuthException".to_owned(),
            code,
            error_subcode: subcode,
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
            error_data: None,
            http_status: 400,
            endpoint: "GET 17841400008460056".to_owned(),
            usage: Default::default(),
        }))
    }

    #[test]
    fn every_190_needs_a_reconnect_and_the_reason_explains_its_subcode() {
        let cases = [
            (Some(458), "removed the app"),
            (Some(459), "checkpointed"),
            (Some(460), "changed their Facebook password"),
            (Some(463), "expired"),
            (Some(464), "not confirmed"),
            (Some(467), "logged out"),
            (Some(492), "no longer has a role"),
            (None, "no longer accepts the token"),
            (Some(1), "no longer accepts the token"),
        ];
        for (subcode, words) in cases {
            let reason =
                reconnect_reason(&api_error(190, subcode, "Error validating access token"));
            let Some(reason) = reason else {
                panic!("190/{subcode:?} must need a reconnect")
            };
            assert!(reason.contains(words), "{subcode:?}: {reason}");
            assert!(reason.contains("Error validating access token"), "{reason}");
            assert!(reason.contains("connect the account again"), "{reason}");
        }
    }

    #[test]
    fn the_reason_names_code_and_subcode() {
        let reason = reconnect_reason(&api_error(190, Some(463), "Session has expired"));
        assert_eq!(
            reason.as_deref(),
            Some(
                "the token expired; connect the account again (Meta error 190/463: Session has \
                 expired)"
            )
        );
    }

    #[test]
    fn removed_permissions_need_a_reconnect_too() {
        let reason = reconnect_reason(&api_error(
            10,
            None,
            "(#10) Application does not have permission",
        ));
        assert!(reason.is_some_and(|r| r.contains("permission")));
        assert!(reconnect_reason(&api_error(200, None, "(#200) Permissions error")).is_some());
    }

    #[test]
    fn errors_a_reconnect_does_not_fix_leave_the_integration_alone() {
        for (code, subcode) in [
            (1, None),
            (2, None),
            (4, None),
            (100, Some(33)),
            (80002, None),
        ] {
            assert_eq!(
                reconnect_reason(&api_error(code, subcode, "x")),
                None,
                "{code}/{subcode:?}"
            );
        }
        let transport = GraphError::Config("x".into());
        assert_eq!(reconnect_reason(&transport), None);
    }
}
