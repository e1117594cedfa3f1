//! Ground truth the simulator hands to tests: the seeded accounts and what was really
//! published, whatever the client was told.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// An Instagram account and the credentials that reach it. The tokens and the secret are
/// simulator-issued but still secrets: `Debug` never shows them.
#[derive(Debug, Clone)]
pub struct SeededAccount {
    /// The IG user id, `17841…`.
    pub ig_user_id: String,
    /// The account's username.
    pub username: String,
    /// The Facebook Page linked to the account.
    pub page_id: String,
    /// A Page token that never expires (made from a long-lived user token).
    pub page_token: SecretString,
    /// The long-lived user token of the Page's user.
    pub user_token: SecretString,
    /// The app both tokens belong to.
    pub app_id: String,
    /// That app's secret, for `appsecret_proof` and the login code exchange.
    pub app_secret: SecretString,
}

/// One carousel child as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedChild {
    /// The child's media id.
    pub media_id: String,
    /// The child container it came from.
    pub container_id: String,
    /// `IMAGE` or `VIDEO`.
    pub media_type: String,
}

/// One media object that really was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedMedia {
    /// The media id `media_publish` answered (or would have, before a fault).
    pub media_id: String,
    /// The container it was published from.
    pub container_id: String,
    /// The caption, if any.
    pub caption: Option<String>,
    /// `IMAGE`, `VIDEO` or `CAROUSEL_ALBUM`.
    pub media_type: String,
    /// `FEED`, `REELS` or `STORY`.
    pub media_product_type: String,
    /// A carousel's children, in order.
    pub children: Vec<PublishedChild>,
    /// When it was published, simulated Unix seconds.
    pub published_unix: i64,
    /// The same instant in Meta's format, `2019-09-26T22:36:43+0000`.
    pub timestamp: String,
    /// Its public URL.
    pub permalink: String,
}

/// How a token stops working (shared/graph-api.md §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFailure {
    /// 190/463: the token has expired.
    Expired,
    /// 190/467: the user logged out; the token and the Page tokens made from it are invalid.
    LoggedOut,
    /// 190/460: the user changed their password; all their tokens are invalid.
    PasswordChanged,
    /// 190/458: the user removed the app; all their tokens for it are invalid.
    AppRemoved,
}

impl TokenFailure {
    /// The subcode Meta answers with.
    pub fn subcode(self) -> i64 {
        match self {
            TokenFailure::Expired => 463,
            TokenFailure::LoggedOut => 467,
            TokenFailure::PasswordChanged => 460,
            TokenFailure::AppRemoved => 458,
        }
    }

    /// The failure of a subcode, if it is one of the four.
    pub fn from_subcode(subcode: i64) -> Option<Self> {
        match subcode {
            463 => Some(TokenFailure::Expired),
            467 => Some(TokenFailure::LoggedOut),
            460 => Some(TokenFailure::PasswordChanged),
            458 => Some(TokenFailure::AppRemoved),
            _ => None,
        }
    }
}

/// A webhook notification to send (shared/graph-api.md §8.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum WebhookEvent {
    /// `comments`: a new comment by someone else on one of the account's media.
    Comments {
        /// The commented media.
        media_id: String,
        /// The comment's text.
        text: String,
        /// The commenter's username.
        #[serde(default = "default_commenter")]
        from_username: String,
    },
    /// `mentions`: the account was @mentioned in a caption, or in a comment.
    Mentions {
        /// The IG account that was mentioned.
        ig_user_id: String,
        /// The media carrying the mention.
        media_id: String,
        /// The comment carrying the mention, when it is one.
        #[serde(default)]
        comment_id: Option<String>,
    },
    /// `story_insights`: a story expired; its final numbers.
    StoryInsights {
        /// The story.
        media_id: String,
    },
}

fn default_commenter() -> String {
    "sim_commenter".to_owned()
}

/// A new Instagram account for the control API: a new Page of a user, linked to a new account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewAccount {
    /// The user who manages the new Page; the seeded user when absent.
    pub user_id: Option<String>,
    /// The username; `sim_account_<n>` when absent.
    pub username: Option<String>,
    /// The follower count; 1000 when absent.
    pub followers: Option<u64>,
}
