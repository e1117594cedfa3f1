//! One post: where it is, its timeline, its permalink once live, and for a failure Meta's
//! message, our explanation and the next step (retry, edit a copy, reconnect).
//!
//! While the worker moves the post along, the live part of the page reloads itself every few
//! seconds; it stops once the post settles.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::error::PageError;
use super::layout::{Chrome, page};
use super::local_time::{Zone, machine};
use super::paths;
use super::session::{Signed, see_other};
use super::states::{Chip, can_cancel, can_publish_now, chip, is_in_progress};
use crate::http::state::AppState;
use crate::publish::Posts;
use crate::publish::service::PostView;
use crate::store::{PostFailure, PostId, PostState};

/// The routes of the post page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/posts/{id}", get(post_page))
        .route("/app/posts/{id}/live", get(post_live))
        .route("/app/posts/{id}/cancel", post(cancel))
        .route("/app/posts/{id}/publish-now", post(publish_now))
        .route("/app/posts/{id}/retry", post(retry))
}

/// How soon a scheduled post must be due for the page to watch it.
const WATCH_BEFORE_DUE: SignedDuration = SignedDuration::from_mins(5);
/// How long after publishing the page waits for the permalink.
const WATCH_FOR_PERMALINK: SignedDuration = SignedDuration::from_mins(2);

/// One timeline entry.
#[derive(Debug, Clone)]
pub struct EventView {
    /// For `<time datetime>`.
    pub at_machine: String,
    /// For people.
    pub at: String,
    /// The state before (none for the creation).
    pub from: Option<Chip>,
    /// The state after.
    pub to: Chip,
    /// What happened, in a line.
    pub detail: String,
}

/// The failure panel.
#[derive(Debug, Clone)]
pub struct FailureView {
    /// Meta's title for the person, when Meta gave one.
    pub meta_title: Option<String>,
    /// Meta's words (its message for the person when there is one, else its message).
    pub meta_message: String,
    /// `code/subcode`, when Meta answered.
    pub meta_code: Option<String>,
    /// Our explanation: what to do about it.
    pub advice: String,
    /// The fix is to reconnect the account.
    pub reconnect: bool,
}

impl FailureView {
    fn of(failure: &PostFailure) -> Self {
        let meta_code = failure.code.map(|code| match failure.subcode {
            Some(subcode) => format!("{code}/{subcode}"),
            None => code.to_string(),
        });
        // graph-api.md §6.2: 190 and 102 are dead tokens; 10 and 200–299 missing permissions.
        let reconnect = matches!(failure.code, Some(190 | 102 | 10 | 200..=299));
        Self {
            meta_title: failure.user_title.clone(),
            meta_message: failure
                .user_message
                .clone()
                .unwrap_or_else(|| failure.message.clone()),
            meta_code,
            advice: failure.advice.clone(),
            reconnect,
        }
    }
}

/// The part of the page that changes while the worker works.
#[derive(Debug, Clone)]
pub struct LiveView {
    /// The post's id.
    pub id: String,
    /// Its state.
    pub chip: Chip,
    /// The page reloads this part.
    pub watching: bool,
    /// When it is due, for people.
    pub due: String,
    /// When it is due, for `<time>`.
    pub due_machine: String,
    /// The zone it was scheduled in, when not the viewer's.
    pub scheduled_zone: Option<String>,
    /// When it went live.
    pub published: Option<String>,
    /// Its Instagram permalink.
    pub permalink: Option<String>,
    /// Why it failed.
    pub failure: Option<FailureView>,
    /// Held for a reconnect.
    pub held: bool,
    /// Actions offered.
    pub can_cancel: bool,
    /// Actions offered.
    pub can_publish_now: bool,
    /// Actions offered.
    pub can_edit: bool,
    /// Actions offered.
    pub can_retry: bool,
    /// Actions offered.
    pub can_copy: bool,
    /// The timeline, newest first.
    pub events: Vec<EventView>,
}

impl LiveView {
    fn of(post: &PostView, zone: &Zone, now: Timestamp) -> Self {
        let due_soon = post.run_at <= now.checked_add(WATCH_BEFORE_DUE).unwrap_or(now);
        let awaiting_permalink = post.state == PostState::Published
            && post.permalink.is_none()
            && post
                .published_at
                .is_some_and(|at| at >= now.checked_sub(WATCH_FOR_PERMALINK).unwrap_or(now));
        let watching = is_in_progress(post.state)
            || (matches!(post.state, PostState::Scheduled | PostState::WaitingQuota) && due_soon)
            || awaiting_permalink;
        let scheduled_zone = post
            .time_zone
            .as_ref()
            .filter(|name| **name != zone.name)
            .and_then(|name| Zone::named(name))
            .map(|theirs| format!("{} in {}", theirs.show(post.run_at), theirs.name));
        let mut events: Vec<EventView> = post
            .timeline
            .iter()
            .flatten()
            .map(|event| EventView {
                at_machine: machine(event.at),
                at: zone.show_precise(event.at),
                from: event.from.map(chip),
                to: chip(event.to),
                detail: detail_text(&event.detail),
            })
            .collect();
        events.reverse();
        Self {
            id: post.id.to_string(),
            chip: chip(post.state),
            watching,
            due: zone.show(post.run_at),
            due_machine: machine(post.run_at),
            scheduled_zone,
            published: post.published_at.map(|at| zone.show(at)),
            permalink: post.permalink.clone(),
            failure: post.failure.as_ref().map(FailureView::of),
            held: post.state == PostState::Held,
            can_cancel: can_cancel(post.state),
            can_publish_now: can_publish_now(post.state),
            can_edit: matches!(post.state, PostState::Draft | PostState::Scheduled)
                && post.containers_expire_at.is_none(),
            can_retry: post.state == PostState::Failed,
            can_copy: matches!(post.state, PostState::Failed | PostState::Cancelled),
            events,
        }
    }
}

impl LiveView {
    /// Whether reconnecting the account is the next step.
    pub fn offers_reconnect(&self) -> bool {
        self.held
            || self
                .failure
                .as_ref()
                .is_some_and(|failure| failure.reconnect)
    }
}

/// A timeline entry's JSON detail in one line: `key: value` pairs, nested values compacted.
fn detail_text(detail: &Value) -> String {
    const MAX_CHARS: usize = 300;
    let text = match detail {
        Value::Null => String::new(),
        Value::Object(map) => map
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| {
                let value = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                format!("{}: {value}", key.replace('_', " "))
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// A media item as a thumbnail.
#[derive(Debug, Clone)]
pub struct Thumb {
    /// Its URL.
    pub url: String,
    /// Its alt text.
    pub alt: String,
    /// Whether an `<img>` can show it.
    pub is_image: bool,
}

#[derive(Template)]
#[template(path = "dashboard/post.html")]
struct PostPage {
    chrome: Chrome,
    live: LiveView,
    account: String,
    kind: &'static str,
    caption: Option<String>,
    hashtags: String,
    thumbs: Vec<Thumb>,
    created: String,
}

#[derive(Template)]
#[template(path = "dashboard/post_live.html")]
struct PostLive {
    chrome: Chrome,
    live: LiveView,
}

fn post_id(text: &str) -> Result<PostId, PageError> {
    text.parse().map_err(|_| PageError::NotFound("post"))
}

async fn post_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    let post = Posts::new(state.store.clone())
        .get(signed.tenant(), id)
        .await?;
    let integration = state
        .store
        .get_integration(signed.tenant(), post.integration_id)
        .await?;
    let zone = Zone::of_viewer(&headers);
    let thumbs = post
        .post
        .media
        .iter()
        .map(|item| Thumb {
            url: item.url.clone(),
            alt: item.alt_text.clone().unwrap_or_default(),
            is_image: item
                .kind
                .map(|kind| kind.as_str() == "image")
                .unwrap_or_else(|| !is_video_url(&item.url)),
        })
        .collect();
    let live = LiveView::of(&post, &zone, state.store.now());
    Ok(page(&PostPage {
        chrome: Chrome::signed_in(format!("Post · {}", live.chip.label), "queue", &signed),
        account: integration.metadata.ig_username,
        kind: post.kind.as_str(),
        caption: post.post.caption.clone(),
        hashtags: post.post.hashtags.clone().unwrap_or_default().join(" "),
        thumbs,
        created: zone.show(post.created_at),
        live,
    }))
}

fn is_video_url(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    path.ends_with(".mp4") || path.ends_with(".mov")
}

/// `GET /app/posts/{id}/live`: the part of the page that changes, for htmx to swap in.
async fn post_live(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    let post = Posts::new(state.store.clone())
        .get(signed.tenant(), id)
        .await?;
    let zone = Zone::of_viewer(&headers);
    Ok(page(&PostLive {
        chrome: Chrome::signed_in("", "queue", &signed),
        live: LiveView::of(&post, &zone, state.store.now()),
    }))
}

async fn cancel(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    Posts::new(state.store.clone())
        .cancel(signed.tenant(), id)
        .await?;
    Ok(see_other(&paths::post(id)))
}

async fn publish_now(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    Posts::new(state.store.clone())
        .publish_now(signed.tenant(), id)
        .await?;
    Ok(see_other(&paths::post(id)))
}

async fn retry(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    Posts::new(state.store.clone())
        .retry(signed.tenant(), id)
        .await?;
    Ok(see_other(&paths::post(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_details_read_as_a_line() {
        assert_eq!(
            detail_text(&json!({"publish_now": true, "by": "tenant", "x": null})),
            "by: tenant · publish now: true"
        );
        assert_eq!(detail_text(&Value::Null), "");
        let long = detail_text(&json!({"error": "e".repeat(500)}));
        assert!(long.ends_with('…') && long.chars().count() == 301);
    }

    #[test]
    fn token_failures_point_to_reconnecting() {
        let failure = |code| PostFailure {
            code: Some(code),
            subcode: None,
            user_title: None,
            user_message: None,
            message: "m".into(),
            advice: "a".into(),
        };
        assert!(FailureView::of(&failure(190)).reconnect);
        assert!(FailureView::of(&failure(200)).reconnect);
        assert!(!FailureView::of(&failure(36003)).reconnect);
        assert_eq!(FailureView::of(&failure(9)).meta_code.as_deref(), Some("9"));
    }
}
