//! The objects of Meta's world: apps, users, Pages, Instagram accounts, tokens, containers,
//! media and comments. Plain data; the rules live with the endpoints.

use crate::auth::scopes::Scopes;
use crate::clock::DAY_MS;
use std::collections::VecDeque;
use std::sync::Arc;

/// A Meta app.
#[derive(Debug, Clone)]
pub struct App {
    pub id: u64,
    pub name: String,
    pub secret: String,
    /// "Require App Secret" (shared/graph-api.md §5.4).
    pub require_proof: bool,
}

/// A Facebook user.
#[derive(Debug, Clone)]
pub struct FbUser {
    pub id: u64,
    pub name: String,
    /// Pages the user manages (task MANAGE/CREATE_CONTENT), in the order `/me/accounts` lists them.
    pub pages: Vec<u64>,
    /// What the user allows when asked on the consent page; the rest is declined.
    pub grants: Scopes,
}

/// A Facebook Page, maybe linked to an Instagram professional account.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: u64,
    pub name: String,
    pub category: &'static str,
    pub ig: Option<u64>,
}

/// An Instagram professional account.
#[derive(Debug, Clone)]
pub struct IgAccount {
    pub id: u64,
    pub page: u64,
    pub legacy_id: u64,
    pub username: String,
    pub name: String,
    pub biography: String,
    pub website: String,
    pub followers: u64,
    pub follows: u64,
    /// Published top-level media, oldest first (carousel children are not listed).
    pub media: Vec<u64>,
    /// Creation times of containers, for the 400-per-24 h cap.
    pub container_times: VecDeque<i64>,
    /// Publish times, for the moving 24 h publishing quota.
    pub publish_times: VecDeque<i64>,
}

impl IgAccount {
    /// Drops times older than 24 h and counts the rest at or after `since_ms`.
    pub fn recent(times: &mut VecDeque<i64>, now_ms: i64, since_ms: i64) -> usize {
        while times.front().is_some_and(|at| *at <= now_ms - DAY_MS) {
            times.pop_front();
        }
        // Times are pushed in clock order, so a binary search finds the window's start; a
        // linear count would make every creation O(containers) at 100,000 containers.
        times.len() - times.partition_point(|at| *at < since_ms)
    }
}

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    User { user: u64 },
    Page { page: u64, user: u64 },
}

/// Why a token stopped working before its expiry (shared/graph-api.md §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// 190/467: the user logged out.
    LoggedOut,
    /// 190/460: the user changed their password.
    PasswordChanged,
    /// 190/458: the user removed the app.
    AppRemoved,
}

impl Revocation {
    /// The subcode Meta sends.
    pub fn subcode(self) -> i64 {
        match self {
            Revocation::LoggedOut => 467,
            Revocation::PasswordChanged => 460,
            Revocation::AppRemoved => 458,
        }
    }
}

/// An access token the simulator issued.
#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub app: u64,
    pub scopes: Scopes,
    pub declined: Scopes,
    pub issued_ms: i64,
    /// `None` never expires (Page tokens from a long-lived user token).
    pub expires_ms: Option<i64>,
    pub data_access_expires_ms: i64,
    pub revoked: Option<Revocation>,
    /// The user token a Page token was derived from.
    pub parent: Option<Arc<str>>,
}

/// A login code waiting to be exchanged (shared/graph-api.md §5.1).
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub app: u64,
    pub user: u64,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub declined: Scopes,
    pub issued_ms: i64,
    pub used: bool,
}

/// What a container will become when published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Image,
    /// `media_type=VIDEO`: only valid as a carousel item (shared/graph-api.md §2.4).
    Video,
    Carousel,
    Reels,
    StoryImage,
    StoryVideo,
}

impl ContainerKind {
    /// Whether Meta processes it as a video.
    pub fn is_video(self) -> bool {
        matches!(
            self,
            ContainerKind::Video | ContainerKind::Reels | ContainerKind::StoryVideo
        )
    }

    /// `media_product_type` of the published media.
    pub fn product_type(self) -> &'static str {
        match self {
            ContainerKind::Image | ContainerKind::Video | ContainerKind::Carousel => "FEED",
            ContainerKind::Reels => "REELS",
            ContainerKind::StoryImage | ContainerKind::StoryVideo => "STORY",
        }
    }

    /// `media_type` of the published media; a reel reads back as VIDEO (shared/graph-api.md §2.4).
    pub fn media_type(self) -> &'static str {
        match self {
            ContainerKind::Image | ContainerKind::StoryImage => "IMAGE",
            ContainerKind::Video | ContainerKind::Reels | ContainerKind::StoryVideo => "VIDEO",
            ContainerKind::Carousel => "CAROUSEL_ALBUM",
        }
    }
}

/// How processing ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    /// ERROR, with the subcode the `status` text quotes.
    Error(u32),
}

/// Where a container is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `upload_type=resumable`: waiting for bytes at the upload host.
    AwaitingUpload { received: u64 },
    /// Being processed until `ready_ms`, then `outcome`.
    Processing { ready_ms: i64, outcome: Outcome },
    /// Published as this media.
    Published { media: u64 },
}

/// `status_code` of a container (shared/graph-api.md §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Finished,
    Error(u32),
    Expired,
    Published,
}

impl Status {
    /// The `status_code` value.
    pub fn code(self) -> &'static str {
        match self {
            Status::InProgress => "IN_PROGRESS",
            Status::Finished => "FINISHED",
            Status::Error(_) => "ERROR",
            Status::Expired => "EXPIRED",
            Status::Published => "PUBLISHED",
        }
    }

    /// The `status` text, word for word where Meta's is known (shared/graph-api.md §2.6, §10).
    pub fn text(self) -> String {
        match self {
            Status::InProgress => "In Progress: Media is still being processed.".to_owned(),
            Status::Finished => {
                "Finished: Media has been uploaded and it is ready to be published.".to_owned()
            }
            Status::Error(subcode) => {
                format!("Error: Media upload has failed with error code {subcode}")
            }
            // graph-api.md §2.6: Meta's EXPIRED text is unconfirmed; this follows the pattern.
            Status::Expired => "Expired: Media was not published within 24 hours.".to_owned(),
            Status::Published => "Published: Media has been successfully published.".to_owned(),
        }
    }
}

/// An IG container. Kept small: 100,000 of them must fit in well under 200 MB.
#[derive(Debug, Clone)]
pub struct Container {
    pub owner: u64,
    pub kind: ContainerKind,
    pub is_carousel_item: bool,
    pub created_ms: i64,
    pub phase: Phase,
    pub caption: Option<Box<str>>,
    pub media_url: Option<Box<str>>,
    pub cover_url: Option<Box<str>>,
    pub alt_text: Option<Box<str>>,
    pub children: Box<[u64]>,
    pub collaborators: Box<[Box<str>]>,
    pub share_to_feed: bool,
}

impl Container {
    /// The status at `now_ms`: processing ends on its own, and an unpublished container expires
    /// 24 h after creation (shared/graph-api.md §2.2 "Limitations", §10).
    pub fn status(&self, now_ms: i64) -> Status {
        let expired = now_ms >= self.created_ms + DAY_MS;
        match self.phase {
            Phase::Published { .. } => Status::Published,
            Phase::Processing {
                outcome: Outcome::Error(subcode),
                ready_ms,
            } if now_ms >= ready_ms => Status::Error(subcode),
            _ if expired => Status::Expired,
            Phase::Processing { ready_ms, .. } if now_ms >= ready_ms => Status::Finished,
            Phase::Processing { .. } | Phase::AwaitingUpload { .. } => Status::InProgress,
        }
    }
}

/// A published media object.
#[derive(Debug, Clone)]
pub struct Media {
    pub owner: u64,
    pub container: u64,
    pub kind: ContainerKind,
    pub caption: Option<Box<str>>,
    pub alt_text: Option<Box<str>>,
    pub media_url: Option<Box<str>>,
    pub cover_url: Option<Box<str>>,
    pub published_ms: i64,
    pub children: Box<[u64]>,
    pub parent: Option<u64>,
    pub comment_enabled: bool,
    pub shared_to_feed: bool,
    pub collaborators: Box<[Box<str>]>,
    pub comments: Vec<u64>,
    pub like_count: u64,
}

/// A comment on a media object.
#[derive(Debug, Clone)]
pub struct Comment {
    pub media: u64,
    pub text: String,
    pub from_id: u64,
    pub from_username: String,
    pub created_ms: i64,
}
