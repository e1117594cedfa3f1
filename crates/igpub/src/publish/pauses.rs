//! Rate-limit pauses (graph-api.md §7): the usage headers of every answer pause an account (BUC)
//! or the whole app (X-App-Usage) at 90 %, or when Meta says how long to wait. Pauses are
//! stored, so every worker honours them, and cached here between reads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use igpub_graph::{RateLimitScope, UsageObserver, UsageReport};
use jiff::{SignedDuration, Timestamp};
use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::store::{Pause, SharedStore};

/// The scope key of the whole app.
pub const APP_SCOPE: &str = "app";

/// The scope key of one account.
pub fn account_scope(ig_user_id: &str) -> String {
    format!("account:{ig_user_id}")
}

/// The scope a rate-limit error pauses: the app, or the account the call was for.
pub fn scope_of(scope: RateLimitScope, ig_user_id: &str) -> String {
    match scope {
        RateLimitScope::App => APP_SCOPE.to_owned(),
        RateLimitScope::User | RateLimitScope::Page | RateLimitScope::Account => {
            account_scope(ig_user_id)
        }
    }
}

/// When usage pauses start.
#[derive(Debug, Clone)]
pub struct UsagePolicy {
    /// Percent of any usage figure at which to pause.
    pub threshold_percent: u32,
    /// How long to pause when Meta does not say.
    pub pause_for: Duration,
}

impl Default for UsagePolicy {
    fn default() -> Self {
        Self {
            threshold_percent: 90,
            pause_for: Duration::from_secs(5 * 60),
        }
    }
}

/// The pauses in force, as this worker knows them.
#[derive(Debug)]
pub struct PauseBook {
    pauses: RwLock<HashMap<String, Timestamp>>,
    to_store: mpsc::UnboundedSender<Pause>,
}

impl PauseBook {
    /// A book whose new pauses are sent to `to_store` for saving.
    pub fn new(to_store: mpsc::UnboundedSender<Pause>) -> Arc<Self> {
        Arc::new(Self {
            pauses: RwLock::new(HashMap::new()),
            to_store,
        })
    }

    /// Replaces the cache with what the store holds (keeping later local ones).
    pub fn refresh(&self, stored: Vec<Pause>) {
        let mut pauses = self.pauses.write();
        for pause in stored {
            let entry = pauses.entry(pause.scope).or_insert(pause.until);
            if *entry < pause.until {
                *entry = pause.until;
            }
        }
    }

    /// Records a pause here and in the store.
    pub fn pause(&self, scope: String, until: Timestamp, reason: String) {
        {
            let mut pauses = self.pauses.write();
            let entry = pauses.entry(scope.clone()).or_insert(until);
            if *entry > until {
                return;
            }
            *entry = until;
        }
        tracing::info!(%scope, %until, %reason, "pausing Graph calls");
        let _ = self.to_store.send(Pause {
            scope,
            until,
            reason,
        });
    }

    /// Until when calls for this account must wait, if they must.
    pub fn paused_until(&self, ig_user_id: &str, now: Timestamp) -> Option<Timestamp> {
        let pauses = self.pauses.read();
        let app = pauses.get(APP_SCOPE).copied();
        let account = pauses.get(&account_scope(ig_user_id)).copied();
        app.into_iter()
            .chain(account)
            .filter(|until| *until > now)
            .max()
    }

    /// Turns one answer's usage headers into pauses.
    pub fn observe(&self, report: &UsageReport, policy: &UsagePolicy, now: Timestamp) {
        let after = |wait: Duration| {
            now.checked_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::ZERO))
                .unwrap_or(now)
        };
        if let Some(app) = &report.app
            && app.max_percent() >= policy.threshold_percent
        {
            self.pause(
                APP_SCOPE.to_owned(),
                after(policy.pause_for),
                format!("X-App-Usage at {}%", app.max_percent()),
            );
        }
        if let Some(business) = &report.business {
            for (object, entries) in &business.by_object {
                for entry in entries {
                    let regain = entry.regain_access_after();
                    if entry.max_percent() >= policy.threshold_percent || !regain.is_zero() {
                        self.pause(
                            account_scope(object),
                            after(regain.max(policy.pause_for)),
                            format!(
                                "X-Business-Use-Case-Usage at {}%, regain access in {} min",
                                entry.max_percent(),
                                entry.estimated_time_to_regain_access_minutes
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The usage observer to give the Graph client.
    pub fn observer(self: &Arc<Self>, policy: UsagePolicy, store: SharedStore) -> UsageObserver {
        let book = Arc::clone(self);
        Arc::new(move |report: &UsageReport| {
            if report.is_at_least(policy.threshold_percent)
                || report.regain_access_after().is_some()
            {
                book.observe(report, &policy, store.now());
            }
        })
    }
}
