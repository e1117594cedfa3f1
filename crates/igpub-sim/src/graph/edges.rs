//! Edges: lists with cursor paging (media, stories, children, comments, Pages, permissions),
//! both as their own calls and expanded inline through `fields=` (shared/graph-api.md §3, §9.2).

use super::Ctx;
use super::fields::{self, Field};
use super::nodes::{ensure_page_token, render_comment, render_media, render_page, selection};
use super::paging::{self, PageRequest};
use crate::error::MetaError;
use crate::ids::IdKind;
use crate::world::World;
use crate::world::model::{Comment, ContainerKind, IgAccount, Media};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use url::Url;

/// Where the links of a list point: its path and the parameters every page repeats.
struct Links<'a> {
    ctx: &'a Ctx<'a>,
    path: String,
    params: BTreeMap<String, String>,
}

impl Links<'_> {
    fn url(&self, cursor_name: &str, cursor: &str) -> Url {
        let mut url = self
            .ctx
            .state
            .versioned_url(self.ctx.call.version, &self.path);
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &self.params {
                query.append_pair(name, value);
            }
            query.append_pair(cursor_name, cursor);
        }
        url
    }
}

/// Parameters a top-level list call repeats in its links: all but its cursors.
fn call_links<'a>(ctx: &'a Ctx<'a>) -> Links<'a> {
    let params = ctx
        .call
        .params
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "after" | "before"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Links {
        ctx,
        path: ctx.call.path.join("/"),
        params,
    }
}

/// Parameters an inline edge repeats in its links: its modifiers, its nested selection and the
/// caller's token when the call carried it as a parameter (as Meta's `next` links do,
/// shared/graph-api.md §3.4).
fn edge_links<'a>(ctx: &'a Ctx<'a>, path: String, field: &Field) -> Links<'a> {
    let mut params: BTreeMap<String, String> = field
        .modifiers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "after" | "before"))
        .cloned()
        .collect();
    if let Some(children) = &field.children {
        params.insert("fields".into(), fields::join(children));
    }
    if let Some(token) = ctx.call.param("access_token") {
        params.insert("access_token".into(), token.to_owned());
    }
    Links { ctx, path, params }
}

/// One page of `ids`, each rendered, with its `paging`.
fn page_of(
    ids: &[u64],
    request: PageRequest,
    links: &Links<'_>,
    mut render: impl FnMut(u64) -> Result<Value, MetaError>,
) -> Result<Value, MetaError> {
    let range = request.range(ids.len());
    let items = ids
        .get(range.clone())
        .unwrap_or_default()
        .iter()
        .map(|id| render(*id))
        .collect::<Result<Vec<_>, _>>()?;
    let paging = paging::paging(&range, ids.len(), |name, cursor| links.url(name, cursor));
    Ok(paging::list(items, paging))
}

/// A Unix time parameter; Graph also takes dates, read here as midnight UTC.
fn unix_param(name: &str, text: Option<&str>) -> Result<Option<i64>, MetaError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(Some(seconds));
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|zoned| Some(zoned.timestamp().as_second()))
        .ok_or_else(|| {
            MetaError::invalid_parameter(format!("The parameter {name} must be a Unix timestamp"))
        })
}

/// An account's media, newest first: the feed (no stories, shared/graph-api.md §3.4) or the
/// stories of the last 24 h.
fn account_media(
    world: &World,
    account: &IgAccount,
    stories: bool,
    now_ms: i64,
    since: Option<i64>,
    until: Option<i64>,
) -> Vec<u64> {
    account
        .media
        .iter()
        .rev()
        .copied()
        .filter(|id| {
            world.media.get(id).is_some_and(|media| {
                let is_story = matches!(
                    media.kind,
                    ContainerKind::StoryImage | ContainerKind::StoryVideo
                );
                let seconds = media.published_ms.div_euclid(1000);
                let in_window = since.is_none_or(|since| seconds >= since)
                    && until.is_none_or(|until| seconds <= until);
                let live = !stories || now_ms - media.published_ms < crate::clock::DAY_MS;
                is_story == stories && in_window && live
            })
        })
        .collect()
}

/// `media{…}` / `stories{…}` expanded on an IG user node.
pub fn media_edge(
    ctx: &Ctx<'_>,
    world: &World,
    account: &IgAccount,
    field: &Field,
    stories: bool,
) -> Result<Value, MetaError> {
    let request = PageRequest::read(|name| field.modifier(name))?;
    let since = unix_param("since", field.modifier("since"))?;
    let until = unix_param("until", field.modifier("until"))?;
    let ids = account_media(world, account, stories, ctx.now_ms, since, until);
    let selection = field
        .children
        .clone()
        .unwrap_or_else(|| fields::plain(&["id"]));
    let edge = if stories { "stories" } else { "media" };
    let links = edge_links(ctx, format!("{}/{edge}", account.id), field);
    page_of(&ids, request, &links, |id| {
        render_listed_media(ctx, world, id, &selection)
    })
}

fn render_listed_media(
    ctx: &Ctx<'_>,
    world: &World,
    id: u64,
    selection: &[Field],
) -> Result<Value, MetaError> {
    match world.media.get(&id) {
        Some(media) => render_media(ctx, world, id, media, selection),
        None => Ok(json!({"id": id.to_string()})),
    }
}

fn list_account_media(ctx: &Ctx<'_>, stories: bool) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id"])?;
    let request = PageRequest::read(|name| ctx.call.param(name))?;
    let since = unix_param("since", ctx.call.param("since"))?;
    let until = unix_param("until", ctx.call.param("until"))?;
    let world = ctx.state.world.lock();
    let account = world
        .accounts
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    let ids = account_media(&world, account, stories, ctx.now_ms, since, until);
    let links = call_links(ctx);
    page_of(&ids, request, &links, |id| {
        render_listed_media(ctx, &world, id, &selection)
    })
}

/// `GET /{ig-user-id}/media` (shared/graph-api.md §3.4).
pub fn media_list(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    list_account_media(ctx, false)
}

/// `GET /{ig-user-id}/stories`: stories of the last 24 h.
pub fn stories_list(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    list_account_media(ctx, true)
}

/// `children{…}` expanded on a carousel.
pub fn children_edge(
    ctx: &Ctx<'_>,
    world: &World,
    media: &Media,
    field: &Field,
) -> Result<Value, MetaError> {
    let selection = field
        .children
        .clone()
        .unwrap_or_else(|| fields::plain(&["id"]));
    let items = media
        .children
        .iter()
        .map(|id| render_listed_media(ctx, world, *id, &selection))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "data": items }))
}

/// `GET /{ig-media-id}/children`.
pub fn children_list(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id"])?;
    let world = ctx.state.world.lock();
    let media = world
        .media
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    let items = media
        .children
        .iter()
        .map(|id| render_listed_media(ctx, &world, *id, &selection))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "data": items }))
}

const COMMENT_DEFAULT: [&str; 3] = ["timestamp", "text", "id"];

/// `comments{…}` expanded on a media node, newest first.
pub fn comments_edge(
    ctx: &Ctx<'_>,
    world: &World,
    media_id: u64,
    media: &Media,
    field: &Field,
) -> Result<Value, MetaError> {
    let request = PageRequest::read(|name| field.modifier(name))?;
    let selection = field
        .children
        .clone()
        .unwrap_or_else(|| fields::plain(&COMMENT_DEFAULT));
    let ids: Vec<u64> = media.comments.iter().rev().copied().collect();
    let links = edge_links(ctx, format!("{media_id}/comments"), field);
    page_of(&ids, request, &links, |id| {
        render_listed_comment(world, id, &selection)
    })
}

fn render_listed_comment(world: &World, id: u64, selection: &[Field]) -> Result<Value, MetaError> {
    match world.comments.get(&id) {
        Some(comment) => render_comment(id, comment, selection),
        None => Ok(json!({"id": id.to_string()})),
    }
}

/// `GET /{ig-media-id}/comments`.
pub fn comments_list(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &COMMENT_DEFAULT)?;
    let request = PageRequest::read(|name| ctx.call.param(name))?;
    let world = ctx.state.world.lock();
    let media = world
        .media
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    let ids: Vec<u64> = media.comments.iter().rev().copied().collect();
    let links = call_links(ctx);
    page_of(&ids, request, &links, |id| {
        render_listed_comment(&world, id, &selection)
    })
}

/// `POST /{ig-media-id}/comments?message=…`: a comment by the account itself (a first comment).
pub fn comments_create(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let text = ctx
        .call
        .non_empty("message")
        .ok_or_else(|| MetaError::missing_parameter("message"))?
        .to_owned();
    let mut world = ctx.state.world.lock();
    let (owner, enabled) = world
        .media
        .get(&ctx.node)
        .map(|media| (media.owner, media.comment_enabled))
        .ok_or_else(|| MetaError::unsupported_request("post", &ctx.node.to_string()))?;
    if !enabled {
        // [INFER] Meta's wording for commenting where comments are off is unconfirmed.
        return Err(MetaError::invalid_parameter(
            "Comments are disabled for this media",
        ));
    }
    let username = world
        .accounts
        .get(&owner)
        .map(|account| account.username.clone())
        .unwrap_or_default();
    let id = add_comment(&mut world, ctx.node, &text, owner, &username, ctx.now_ms);
    Ok(json!({"id": id.to_string()}))
}

/// Stores a comment on a media; the caller has checked the media exists.
pub fn add_comment(
    world: &mut World,
    media: u64,
    text: &str,
    from_id: u64,
    from_username: &str,
    now_ms: i64,
) -> u64 {
    let id = world.ids.next(IdKind::Comment);
    world.comments.insert(
        id,
        Comment {
            media,
            text: text.to_owned(),
            from_id,
            from_username: from_username.to_owned(),
            created_ms: now_ms,
        },
    );
    if let Some(found) = world.media.get_mut(&media) {
        found.comments.push(id);
    }
    id
}

/// `GET /me/accounts` (shared/graph-api.md §3.1).
pub fn accounts_list(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(
        ctx,
        &[
            "access_token",
            "category",
            "category_list",
            "name",
            "id",
            "tasks",
        ],
    )?;
    let request = PageRequest::read(|name| ctx.call.param(name))?;
    let mut world = ctx.state.world.lock();
    let pages = world
        .users
        .get(&ctx.node)
        .map(|user| user.pages.clone())
        .unwrap_or_default();
    for page in &pages {
        ensure_page_token(ctx, &mut world, *page);
    }
    let links = call_links(ctx);
    page_of(&pages, request, &links, |id| match world.pages.get(&id) {
        Some(page) => render_page(ctx, &world, page, &selection),
        None => Ok(json!({"id": id.to_string()})),
    })
}

/// `GET /me/permissions` (shared/graph-api.md §5.5).
pub fn permissions(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let world = ctx.state.world.lock();
    let declined = world
        .tokens
        .get(&ctx.caller.token)
        .map(|token| token.declined)
        .unwrap_or_default();
    let granted = ctx.caller.scopes.names().map(|name| (name, "granted"));
    let refused = declined
        .minus(ctx.caller.scopes)
        .names()
        .map(|name| (name, "declined"));
    let data: Vec<Value> = granted
        .chain(refused)
        .map(|(permission, status)| json!({"permission": permission, "status": status}))
        .collect();
    Ok(json!({ "data": data }))
}

/// `POST /{page-id}/subscribed_apps` (shared/graph-api.md §8.2).
pub fn subscribed_apps(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    if ctx.call.non_empty("subscribed_fields").is_none() {
        return Err(MetaError::missing_parameter("subscribed_fields"));
    }
    Ok(json!({"success": true}))
}
