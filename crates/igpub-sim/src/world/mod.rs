//! The simulator's state: every object Meta would hold, behind one lock that is never held
//! across an await.

pub mod model;
pub mod seed;

use crate::auth::scopes::Scopes;
use crate::clock::DAY_MS;
use crate::ids::{IdFactory, IdKind};
use model::{
    App, AuthCode, Comment, Container, FbUser, IgAccount, Media, Page, Revocation, Token, TokenKind,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A user token from the login code exchange lives about two hours (shared/graph-api.md §5.1).
pub const SHORT_LIVED_MS: i64 = 2 * 3_600_000;
/// A long-lived user token lives 60 days, 5,184,000 s (shared/graph-api.md §5.2).
pub const LONG_LIVED_MS: i64 = 60 * DAY_MS;
/// Data access lasts 90 days (shared/graph-api.md §5.2).
pub const DATA_ACCESS_MS: i64 = 90 * DAY_MS;

/// How long a new token lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Short,
    Long,
}

/// What kind of object an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    IgUser,
    Container,
    Media,
    Comment,
    Page,
    User,
    App,
}

impl NodeKind {
    /// The node type Graph names in "Tried accessing nonexisting field" (shared/graph-api.md
    /// §3.3 shows `ShadowIGMedia`; the other IG names follow its pattern [INFER]).
    pub fn type_name(self) -> &'static str {
        match self {
            NodeKind::IgUser => "ShadowIGUser",
            NodeKind::Container => "ShadowIGMediaBuilder",
            NodeKind::Media => "ShadowIGMedia",
            NodeKind::Comment => "IGComment",
            NodeKind::Page => "Page",
            NodeKind::User => "User",
            NodeKind::App => "Application",
        }
    }
}

/// Every object, keyed by numeric id.
pub struct World {
    pub ids: IdFactory,
    /// Draws processing jitter and container errors, apart from ids so one does not shift the other.
    pub rng: StdRng,
    pub apps: HashMap<u64, App>,
    pub users: HashMap<u64, FbUser>,
    pub pages: HashMap<u64, Page>,
    pub accounts: HashMap<u64, IgAccount>,
    pub tokens: HashMap<Arc<str>, Token>,
    /// (user token, Page) → the Page token derived from it, so `/me/accounts` answers the same token.
    pub page_tokens: HashMap<(Arc<str>, u64), Arc<str>>,
    pub codes: HashMap<String, AuthCode>,
    pub containers: HashMap<u64, Container>,
    pub media: HashMap<u64, Media>,
    pub comments: HashMap<u64, Comment>,
    /// The accounts seeded at start and created through the control API, in creation order.
    pub listed: Vec<seed::Listed>,
    /// The app and user the login dialog uses when the request names none.
    pub default_app: u64,
    pub default_user: u64,
}

impl World {
    /// An empty world whose ids and draws follow `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            ids: IdFactory::new(seed),
            rng: StdRng::seed_from_u64(seed.rotate_left(17) ^ 0x5EED_5EED),
            apps: HashMap::new(),
            users: HashMap::new(),
            pages: HashMap::new(),
            accounts: HashMap::new(),
            tokens: HashMap::new(),
            page_tokens: HashMap::new(),
            codes: HashMap::new(),
            containers: HashMap::new(),
            media: HashMap::new(),
            comments: HashMap::new(),
            listed: Vec::new(),
            default_app: 0,
            default_user: 0,
        }
    }

    /// What kind of object `id` names, if any.
    pub fn node(&self, id: u64) -> Option<NodeKind> {
        if self.accounts.contains_key(&id) {
            Some(NodeKind::IgUser)
        } else if self.containers.contains_key(&id) {
            Some(NodeKind::Container)
        } else if self.media.contains_key(&id) {
            Some(NodeKind::Media)
        } else if self.comments.contains_key(&id) {
            Some(NodeKind::Comment)
        } else if self.pages.contains_key(&id) {
            Some(NodeKind::Page)
        } else if self.users.contains_key(&id) {
            Some(NodeKind::User)
        } else if self.apps.contains_key(&id) {
            Some(NodeKind::App)
        } else {
            None
        }
    }

    /// A new app.
    pub fn create_app(&mut self, name: &str, require_proof: bool) -> u64 {
        let id = self.ids.next(IdKind::App);
        let secret = self.ids.app_secret();
        self.apps.insert(
            id,
            App {
                id,
                name: name.to_owned(),
                secret,
                require_proof,
            },
        );
        id
    }

    /// A new Facebook user who allows `grants` when asked.
    pub fn create_user(&mut self, name: &str, grants: Scopes) -> u64 {
        let id = self.ids.next(IdKind::User);
        self.users.insert(
            id,
            FbUser {
                id,
                name: name.to_owned(),
                pages: Vec::new(),
                grants,
            },
        );
        id
    }

    /// A new Page managed by `user`. `None` when the user does not exist.
    pub fn create_page(&mut self, user: u64, name: &str) -> Option<u64> {
        if !self.users.contains_key(&user) {
            return None;
        }
        let id = self.ids.next(IdKind::Page);
        self.pages.insert(
            id,
            Page {
                id,
                name: name.to_owned(),
                category: "Brand",
                ig: None,
            },
        );
        if let Some(owner) = self.users.get_mut(&user) {
            owner.pages.push(id);
        }
        Some(id)
    }

    /// Links a new Instagram professional account to `page`.
    pub fn create_ig_account(
        &mut self,
        page: u64,
        username: &str,
        followers: u64,
    ) -> Result<u64, &'static str> {
        match self.pages.get(&page) {
            None => return Err("page_id: no such Page"),
            Some(found) if found.ig.is_some() => {
                return Err("page_id: the Page already has an Instagram account");
            }
            Some(_) => {}
        }
        if self
            .accounts
            .values()
            .any(|account| account.username == username)
        {
            return Err("username: already taken");
        }
        let id = self.ids.next(IdKind::IgUser);
        let legacy_id = self.ids.next(IdKind::LegacyIg);
        let name = username.replace(['_', '.'], " ");
        self.accounts.insert(
            id,
            IgAccount {
                id,
                page,
                legacy_id,
                username: username.to_owned(),
                biography: format!("{name}: a simulated Instagram professional account."),
                name,
                website: format!("https://{username}.example"),
                followers,
                follows: followers / 10,
                media: Vec::new(),
                container_times: VecDeque::new(),
                publish_times: VecDeque::new(),
            },
        );
        if let Some(found) = self.pages.get_mut(&page) {
            found.ig = Some(id);
        }
        Ok(id)
    }

    /// Issues a user token of `user` for `app`.
    pub fn issue_user_token(
        &mut self,
        user: u64,
        app: u64,
        scopes: Scopes,
        declined: Scopes,
        lifetime: Lifetime,
        now_ms: i64,
    ) -> Arc<str> {
        let token: Arc<str> = Arc::from(self.ids.token());
        let expires_ms = match lifetime {
            Lifetime::Short => now_ms + SHORT_LIVED_MS,
            Lifetime::Long => now_ms + LONG_LIVED_MS,
        };
        self.tokens.insert(
            token.clone(),
            Token {
                kind: TokenKind::User { user },
                app,
                scopes,
                declined,
                issued_ms: now_ms,
                expires_ms: Some(expires_ms),
                data_access_expires_ms: now_ms + DATA_ACCESS_MS,
                revoked: None,
                parent: None,
            },
        );
        token
    }

    /// The Page token that `user_token` yields for `page`: made once, then the same one. It never
    /// expires when the user token is long-lived (shared/graph-api.md §5.2).
    pub fn page_token(&mut self, user_token: &Arc<str>, page: u64) -> Option<Arc<str>> {
        if let Some(existing) = self.page_tokens.get(&(user_token.clone(), page)) {
            return Some(existing.clone());
        }
        let parent = self.tokens.get(user_token)?.clone();
        let TokenKind::User { user } = parent.kind else {
            return None;
        };
        let long_lived = parent
            .expires_ms
            .is_none_or(|expires| expires - parent.issued_ms > SHORT_LIVED_MS);
        let token: Arc<str> = Arc::from(self.ids.token());
        self.tokens.insert(
            token.clone(),
            Token {
                kind: TokenKind::Page { page, user },
                expires_ms: if long_lived { None } else { parent.expires_ms },
                parent: Some(user_token.clone()),
                ..parent
            },
        );
        self.page_tokens
            .insert((user_token.clone(), page), token.clone());
        Some(token)
    }

    /// Revokes tokens the way Meta does: a logout ends the token and the Page tokens made from it;
    /// a password change ends every token of the user; removing the app ends every token of the
    /// user for that app. Returns how many tokens it ended; 0 when the token is unknown.
    pub fn revoke(&mut self, token: &str, revocation: Revocation) -> usize {
        let Some(target) = self.tokens.get(token).cloned() else {
            return 0;
        };
        let user = match target.kind {
            TokenKind::User { user } | TokenKind::Page { user, .. } => user,
        };
        let mut ended = 0;
        for (key, candidate) in self.tokens.iter_mut() {
            let candidate_user = match candidate.kind {
                TokenKind::User { user } | TokenKind::Page { user, .. } => user,
            };
            let hit = match revocation {
                Revocation::LoggedOut => {
                    &**key == token || candidate.parent.as_deref() == Some(token)
                }
                Revocation::PasswordChanged => candidate_user == user,
                Revocation::AppRemoved => candidate_user == user && candidate.app == target.app,
            };
            if hit && candidate.revoked.is_none() {
                candidate.revoked = Some(revocation);
                ended += 1;
            }
        }
        ended
    }

    /// Makes a token expire now (190/463 from then on). `false` when the token is unknown.
    pub fn expire(&mut self, token: &str, now_ms: i64) -> bool {
        match self.tokens.get_mut(token) {
            Some(found) => {
                found.expires_ms = Some(now_ms);
                true
            }
            None => false,
        }
    }

    /// Whether `user` manages the Page linked to `ig`.
    pub fn user_manages_ig(&self, user: u64, ig: u64) -> bool {
        let Some(account) = self.accounts.get(&ig) else {
            return false;
        };
        self.users
            .get(&user)
            .is_some_and(|found| found.pages.contains(&account.page))
    }
}
