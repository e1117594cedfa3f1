//! Turning an access token into a caller, or into Meta's 190 answer (shared/graph-api.md §6.2).

use super::scopes::Scopes;
use crate::clock::session_time;
use crate::error::MetaError;
use crate::world::World;
use crate::world::model::{Revocation, TokenKind};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whose behalf a call is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// A Facebook user token.
    User { user: u64 },
    /// A Page token.
    Page { page: u64, user: u64 },
    /// An app token, `{app-id}|{app-secret}`.
    App,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: Arc<str>,
    pub app: u64,
    pub kind: CallerKind,
    pub scopes: Scopes,
}

impl Caller {
    /// Whether the caller may act for the Instagram account `ig`: its user manages the linked
    /// Page, or it is that Page's token.
    pub fn reaches_ig(&self, world: &World, ig: u64) -> bool {
        match self.kind {
            CallerKind::User { user } => world.user_manages_ig(user, ig),
            CallerKind::Page { page, .. } => world
                .accounts
                .get(&ig)
                .is_some_and(|account| account.page == page),
            CallerKind::App => false,
        }
    }

    /// Whether the caller may act for the Page `page`.
    pub fn reaches_page(&self, world: &World, page: u64) -> bool {
        match self.kind {
            CallerKind::User { user } => world
                .users
                .get(&user)
                .is_some_and(|found| found.pages.contains(&page)),
            CallerKind::Page { page: own, .. } => own == page,
            CallerKind::App => false,
        }
    }

    /// The Facebook user behind the token, if any.
    pub fn user(&self) -> Option<u64> {
        match self.kind {
            CallerKind::User { user } | CallerKind::Page { user, .. } => Some(user),
            CallerKind::App => None,
        }
    }

    /// Answers (#10) unless the token holds every one of `needed`.
    pub fn require(&self, needed: &[&str]) -> Result<(), MetaError> {
        if needed.iter().all(|scope| self.scopes.has(scope)) {
            Ok(())
        } else {
            Err(MetaError::permission_denied())
        }
    }
}

/// `WWW-Authenticate` as Meta sends it with every 190 (shared/graph-api.md §6.1).
pub fn www_authenticate(message: &str) -> String {
    let message: String = message
        .chars()
        .map(|c| if c == '"' || c.is_control() { '\'' } else { c })
        .collect();
    format!(r#"OAuth "Facebook Platform" "invalid_token" "{message}""#)
}

/// The 190 for a token nobody issued.
pub fn unparsable_token() -> MetaError {
    MetaError::new(
        190,
        "Invalid OAuth access token - Cannot parse access token",
    )
}

/// The 190 for a token that stopped working: subcode and message as Meta words them.
pub fn revoked_token(revocation: Revocation, app: u64) -> MetaError {
    let message = match revocation {
        Revocation::LoggedOut => {
            "Error validating access token: The session is invalid because the user logged out."
                .to_owned()
        }
        Revocation::PasswordChanged => "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.".to_owned(),
        Revocation::AppRemoved => {
            format!("Error validating access token: The user has not authorized application {app}.")
        }
    };
    MetaError::new(190, message).subcode(revocation.subcode())
}

/// The 190/463 for an expired token.
pub fn expired_token(expired_ms: i64, now_ms: i64) -> MetaError {
    MetaError::new(
        190,
        format!(
            "Error validating access token: Session has expired on {}. The current time is {}.",
            session_time(expired_ms),
            session_time(now_ms)
        ),
    )
    .subcode(463)
}

/// Resolves a token, or answers Meta's error for it.
pub fn authenticate(world: &World, token: Option<&str>, now_ms: i64) -> Result<Caller, MetaError> {
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        // [INFER] Meta's answer to a call without any token.
        return Err(MetaError::new(
            104,
            "An access token is required to request this resource.",
        ));
    };
    if let Some((app_id, secret)) = token.split_once('|') {
        return authenticate_app(world, app_id, secret);
    }
    let Some((key, record)) = world.tokens.get_key_value(token) else {
        return Err(unparsable_token());
    };
    if let Some(revocation) = record.revoked {
        return Err(revoked_token(revocation, record.app));
    }
    if let Some(expires_ms) = record.expires_ms
        && expires_ms <= now_ms
    {
        return Err(expired_token(expires_ms, now_ms));
    }
    let kind = match record.kind {
        TokenKind::User { user } => CallerKind::User { user },
        TokenKind::Page { page, user } => CallerKind::Page { page, user },
    };
    Ok(Caller {
        token: key.clone(),
        app: record.app,
        kind,
        scopes: record.scopes,
    })
}

fn authenticate_app(world: &World, app_id: &str, secret: &str) -> Result<Caller, MetaError> {
    let app = app_id
        .parse::<u64>()
        .ok()
        .and_then(|id| world.apps.get(&id))
        .filter(|app| app.secret == secret)
        .ok_or_else(|| MetaError::new(190, "Invalid OAuth access token signature."))?;
    Ok(Caller {
        token: Arc::from(format!("{app_id}|{secret}")),
        app: app.id,
        kind: CallerKind::App,
        scopes: Scopes::NONE,
    })
}

/// Enforces `appsecret_proof` when the caller's app requires it (shared/graph-api.md §5.4).
/// A proof that is sent is always checked, as Meta does.
pub fn check_appsecret_proof(
    world: &World,
    caller: &Caller,
    params: &BTreeMap<String, String>,
) -> Result<(), MetaError> {
    if caller.kind == CallerKind::App {
        return Ok(());
    }
    let Some(app) = world.apps.get(&caller.app) else {
        return Ok(());
    };
    let proof_error =
        |message: &str| MetaError::new(100, message).error_type("GraphMethodException");
    match params.get("appsecret_proof") {
        None if app.require_proof => Err(proof_error(
            "API calls from the server require an appsecret_proof argument",
        )),
        None => Ok(()),
        Some(proof) => {
            let valid = hex::decode(proof).ok().is_some_and(|proof| {
                Hmac::<Sha256>::new_from_slice(app.secret.as_bytes())
                    .map(|mut mac| {
                        mac.update(caller.token.as_bytes());
                        mac.verify_slice(&proof).is_ok()
                    })
                    .unwrap_or(false)
            });
            if valid {
                Ok(())
            } else {
                Err(proof_error(
                    "Invalid appsecret_proof provided in the API argument",
                ))
            }
        }
    }
}
