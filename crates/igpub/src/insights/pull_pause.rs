//! The publisher's rate-limit pauses, honoured by pulls: the same `account_pauses` rows, the
//! same scope keys (`app`, `account:<ig user id>`), so a pause set by either stops both.

use igpub_graph::RateLimitScope;
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

use crate::store::{Pause, SharedStore, StoreError};

/// The scope key of the whole app (as in `publish::pauses`).
const APP_SCOPE: &str = "app";

fn account_scope(ig_user_id: &str) -> String {
    format!("account:{ig_user_id}")
}

/// The pause in force for this account (its own or the whole app's), the longest if several.
pub(crate) async fn pause_in_force(
    store: &SharedStore,
    ig_user_id: &str,
) -> Result<Option<Pause>, StoreError> {
    let account = account_scope(ig_user_id);
    Ok(store
        .active_pauses()
        .await?
        .into_iter()
        .filter(|pause| pause.scope == APP_SCOPE || pause.scope == account)
        .max_by_key(|pause| pause.until))
}

/// Records the pause a rate-limit error asks for (graph-api.md §7), for every worker and pull.
pub(crate) async fn pause_for(
    store: &SharedStore,
    scope: RateLimitScope,
    ig_user_id: &str,
    now: Timestamp,
    after: Duration,
    reason: &str,
) -> Result<Pause, StoreError> {
    let scope = match scope {
        RateLimitScope::App => APP_SCOPE.to_owned(),
        RateLimitScope::User | RateLimitScope::Page | RateLimitScope::Account => {
            account_scope(ig_user_id)
        }
    };
    let until = SignedDuration::try_from(after)
        .ok()
        .and_then(|after| now.checked_add(after).ok())
        .unwrap_or(now);
    let pause = Pause {
        scope,
        until,
        reason: format!("insights pull: {reason}"),
    };
    store.set_pause(&pause).await?;
    Ok(pause)
}

/// A Graph client whose usage observer turns usage headers into pauses exactly as the
/// publishing worker's does (graph-api.md §7), saved to the store for every process.
pub fn graph_client_with_pauses(
    builder: igpub_graph::GraphClientBuilder,
    store: SharedStore,
) -> Result<igpub_graph::GraphClient, igpub_graph::GraphError> {
    let (to_store, mut stored) = tokio::sync::mpsc::unbounded_channel::<Pause>();
    let pauses = crate::publish::PauseBook::new(to_store);
    let client = builder
        .on_usage(pauses.observer(
            crate::publish::UsagePolicy::default(),
            std::sync::Arc::clone(&store),
        ))
        .build()?;
    tokio::spawn(async move {
        while let Some(pause) = stored.recv().await {
            if let Err(error) = store.set_pause(&pause).await {
                tracing::warn!(%error, scope = %pause.scope, "cannot store a pause");
            }
        }
    });
    Ok(client)
}
