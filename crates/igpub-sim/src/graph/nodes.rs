//! Reading single nodes with `fields=` selection and nested expansion (shared/graph-api.md §2.6,
//! §3.1–3.3, §9.2), plus the two writes on a media node (update, delete).

use super::Ctx;
use super::edges;
use super::fields::{self, Field};
use super::insights;
use crate::clock::graph_timestamp;
use crate::error::MetaError;
use crate::ids::shortcode;
use crate::world::model::{
    Comment, Container, ContainerKind, IgAccount, Media, Page, Phase, Status,
};
use crate::world::{NodeKind, World};
use serde_json::{Map, Value, json};

/// The selection a call asks for, or `default` when it names none.
pub fn selection(ctx: &Ctx<'_>, default: &[&str]) -> Result<Vec<Field>, MetaError> {
    match ctx.call.non_empty("fields") {
        Some(text) => fields::parse(text),
        None => Ok(fields::plain(default)),
    }
}

/// A node's JSON: the selected fields, and always `id`, which Graph adds to every node.
fn node_object(
    id: u64,
    selection: &[Field],
    mut value_of: impl FnMut(&Field) -> Result<Option<Value>, MetaError>,
) -> Result<Value, MetaError> {
    let mut object = Map::new();
    for field in selection {
        if let Some(value) = value_of(field)? {
            object.insert(field.name.clone(), value);
        }
    }
    object.insert("id".into(), json!(id.to_string()));
    Ok(Value::Object(object))
}

/// `GET /{ig-user-id}` (shared/graph-api.md §3.2).
pub fn ig_user_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id"])?;
    let world = ctx.state.world.lock();
    let account = world
        .accounts
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    render_ig_user(ctx, &world, account, &selection)
}

/// An Instagram account as a node.
pub fn render_ig_user(
    ctx: &Ctx<'_>,
    world: &World,
    account: &IgAccount,
    selection: &[Field],
) -> Result<Value, MetaError> {
    node_object(account.id, selection, |field| {
        Ok(Some(match field.name.as_str() {
            "id" => return Ok(None),
            "username" => json!(account.username),
            "name" => json!(account.name),
            "biography" => json!(account.biography),
            "website" => json!(account.website),
            "followers_count" => json!(account.followers),
            "follows_count" => json!(account.follows),
            "media_count" => json!(account.media.len()),
            "profile_picture_url" => json!(profile_picture_url(account)),
            "has_profile_pic" => json!(true),
            // graph-api.md §3.2: ig_id is a JSON number.
            "ig_id" => json!(account.legacy_id),
            "legacy_instagram_user_id" => json!(account.legacy_id.to_string()),
            "is_published" => json!(true),
            "shopping_product_tag_eligibility" => json!(false),
            "media" => edges::media_edge(ctx, world, account, field, false)?,
            "stories" => edges::media_edge(ctx, world, account, field, true)?,
            "tags" | "mentioned_media" | "live_media" => json!({"data": []}),
            "insights" => insights::account_edge(ctx, account, field)?,
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::IgUser.type_name(),
                ));
            }
        }))
    })
}

/// A signed-CDN-shaped picture URL that expires (shared/graph-api.md §3.2).
fn profile_picture_url(account: &IgAccount) -> String {
    format!(
        "https://scontent.cdninstagram.com/v/t51.2885-19/{}_n.jpg?stp=dst-jpg_s206x206&oe=6A00F3C1",
        account.legacy_id
    )
}

/// `GET /{container-id}` (shared/graph-api.md §2.6).
pub fn container_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id"])?;
    let world = ctx.state.world.lock();
    let container = world
        .containers
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    render_container(ctx.node, container, ctx.now_ms, &selection)
}

/// A container as a node.
pub fn render_container(
    id: u64,
    container: &Container,
    now_ms: i64,
    selection: &[Field],
) -> Result<Value, MetaError> {
    let status = container.status(now_ms);
    node_object(id, selection, |field| {
        Ok(match field.name.as_str() {
            "id" => None,
            "status_code" => Some(json!(status.code())),
            "status" => Some(json!(status.text())),
            "copyright_check_status" => container.kind.is_video().then(|| {
                let done = !matches!(status, Status::InProgress);
                json!({
                    "matches_found": false,
                    "status": if done { "completed" } else { "in_progress" },
                })
            }),
            "video_status" => container
                .kind
                .is_video()
                .then(|| video_status(container, status)),
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::Container.type_name(),
                ));
            }
        })
    })
}

/// `video_status` as Meta's reels sample reads it (shared/graph-api.md §2.6).
fn video_status(container: &Container, status: Status) -> Value {
    let (uploading, bytes) = match container.phase {
        Phase::AwaitingUpload { received: 0 } => ("not_started", 0),
        Phase::AwaitingUpload { received } => ("in_progress", received),
        _ => ("complete", 0),
    };
    let processing = match status {
        Status::InProgress if uploading == "complete" => "in_progress",
        Status::InProgress | Status::Expired => "not_started",
        Status::Error(_) => "error",
        Status::Finished | Status::Published => "complete",
    };
    let mut upload = json!({"status": uploading});
    if bytes > 0
        && let Some(object) = upload.as_object_mut()
    {
        object.insert("bytes_transferred".into(), json!(bytes));
    }
    json!({
        "uploading_phase": upload,
        "processing_phase": {"status": processing},
    })
}

/// `GET /{ig-media-id}` (shared/graph-api.md §3.3).
pub fn media_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id"])?;
    let world = ctx.state.world.lock();
    let media = world
        .media
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    render_media(ctx, &world, ctx.node, media, &selection)
}

/// The public URL of a published media, by its product (shared/graph-api.md §3.3).
pub fn permalink(media_id: u64, kind: ContainerKind, username: &str) -> String {
    match kind {
        ContainerKind::Reels => format!("https://www.instagram.com/reel/{}/", shortcode(media_id)),
        ContainerKind::StoryImage | ContainerKind::StoryVideo => {
            format!("https://instagram.com/stories/{username}/{media_id}")
        }
        _ => format!("https://www.instagram.com/p/{}/", shortcode(media_id)),
    }
}

/// A media object as a node.
pub fn render_media(
    ctx: &Ctx<'_>,
    world: &World,
    id: u64,
    media: &Media,
    selection: &[Field],
) -> Result<Value, MetaError> {
    let username = world
        .accounts
        .get(&media.owner)
        .map_or("", |account| account.username.as_str());
    node_object(id, selection, |field| {
        Ok(match field.name.as_str() {
            "id" => None,
            "caption" => media.caption.as_deref().map(|caption| json!(caption)),
            "alt_text" => media.alt_text.as_deref().map(|alt| json!(alt)),
            "media_type" => Some(json!(media.kind.media_type())),
            "media_product_type" => Some(json!(media.kind.product_type())),
            "media_url" => media_url(world, media).map(|url| json!(url)),
            // graph-api.md §3.3: thumbnail_url for VIDEO only.
            "thumbnail_url" => (media.kind.media_type() == "VIDEO")
                .then(|| json!(media.cover_url.as_deref().or(media.media_url.as_deref()))),
            "permalink" => Some(json!(permalink(id, media.kind, username))),
            "shortcode" => Some(json!(shortcode(id))),
            "timestamp" => Some(json!(graph_timestamp(media.published_ms))),
            "username" => Some(json!(username)),
            "owner" => Some(json!({"id": media.owner.to_string()})),
            "comments_count" | "total_comments_count" => Some(json!(media.comments.len())),
            "like_count" | "total_like_count" => Some(json!(media.like_count)),
            "is_comment_enabled" => Some(json!(media.comment_enabled)),
            "is_shared_to_feed" => {
                (media.kind == ContainerKind::Reels).then(|| json!(media.shared_to_feed))
            }
            "is_ai_generated" => Some(json!(false)),
            "reposts_count" | "saved_count" | "shares_count" | "total_views_count" => {
                Some(json!(0))
            }
            "legacy_instagram_media_id" | "ig_id" => Some(json!((id % 10_000_000_000).to_string())),
            "children" => (media.kind == ContainerKind::Carousel)
                .then_some(edges::children_edge(ctx, world, media, field)?),
            "collaborators" => Some(json!({
                "data": media.collaborators.iter().map(|name| json!({"username": name})).collect::<Vec<_>>()
            })),
            "comments" => Some(edges::comments_edge(ctx, world, id, media, field)?),
            "insights" => Some(insights::media_edge(ctx, media, id, field)?),
            "view_count" => {
                return Err(MetaError::new(
                    36104,
                    "(#36104) You do not have permission to access this field outside of the Business Discovery API.",
                ));
            }
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::Media.type_name(),
                ));
            }
        })
    })
}

/// A carousel album shows its first child's picture.
fn media_url<'a>(world: &'a World, media: &'a Media) -> Option<&'a str> {
    match media.kind {
        ContainerKind::Carousel => media
            .children
            .first()
            .and_then(|child| world.media.get(child))
            .and_then(|child| child.media_url.as_deref()),
        _ => media.media_url.as_deref(),
    }
}

/// `POST /{ig-media-id}?comment_enabled=…` (shared/graph-api.md §3.3).
pub fn media_update(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let enabled = match ctx.call.param("comment_enabled") {
        Some(text) => parse_bool("comment_enabled", text)?,
        None => return Err(MetaError::missing_parameter("comment_enabled")),
    };
    let mut world = ctx.state.world.lock();
    let media = world
        .media
        .get_mut(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("post", &ctx.node.to_string()))?;
    media.comment_enabled = enabled;
    Ok(json!({"success": true}))
}

/// `DELETE /{ig-media-id}` (shared/graph-api.md §3.3, added Dec 2025).
pub fn media_delete(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let mut world = ctx.state.world.lock();
    let media = world
        .media
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("delete", &ctx.node.to_string()))?;
    let unsupported = media.parent.is_some()
        || matches!(
            media.kind,
            ContainerKind::StoryImage | ContainerKind::StoryVideo
        );
    if unsupported {
        return Err(MetaError::new(-1, "Fatal")
            .subcode(2_207_073)
            .transient(false)
            .user(
                "Media Type Not Supported",
                "This media type can't be deleted.",
            ));
    }
    let owner = media.owner;
    let children = media.children.clone();
    world.media.remove(&ctx.node);
    for child in children.iter() {
        world.media.remove(child);
    }
    if let Some(account) = world.accounts.get_mut(&owner) {
        account.media.retain(|id| *id != ctx.node);
    }
    Ok(json!({"success": true, "deleted_id": ctx.node.to_string()}))
}

/// `GET /{comment-id}`.
pub fn comment_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["id", "text", "timestamp"])?;
    let world = ctx.state.world.lock();
    let comment = world
        .comments
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    render_comment(ctx.node, comment, &selection)
}

/// A comment as a node.
pub fn render_comment(id: u64, comment: &Comment, selection: &[Field]) -> Result<Value, MetaError> {
    node_object(id, selection, |field| {
        Ok(Some(match field.name.as_str() {
            "id" => return Ok(None),
            "text" => json!(comment.text),
            "timestamp" => json!(graph_timestamp(comment.created_ms)),
            "username" => json!(comment.from_username),
            "from" => json!({"id": comment.from_id.to_string(), "username": comment.from_username}),
            "media" => json!({"id": comment.media.to_string()}),
            "like_count" => json!(0),
            "hidden" => json!(false),
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::Comment.type_name(),
                ));
            }
        }))
    })
}

/// `GET /{page-id}` (shared/graph-api.md §3.1).
pub fn page_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["name", "id"])?;
    let mut world = ctx.state.world.lock();
    ensure_page_token(ctx, &mut world, ctx.node);
    let page = world
        .pages
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    render_page(ctx, &world, page, &selection)
}

/// Makes sure the caller's Page token for `page` exists before rendering reads it.
pub fn ensure_page_token(ctx: &Ctx<'_>, world: &mut World, page: u64) {
    if matches!(
        ctx.caller.kind,
        crate::auth::tokens::CallerKind::User { .. }
    ) {
        world.page_token(&ctx.caller.token, page);
    }
}

/// A Page as a node.
pub fn render_page(
    ctx: &Ctx<'_>,
    world: &World,
    page: &Page,
    selection: &[Field],
) -> Result<Value, MetaError> {
    node_object(page.id, selection, |field| {
        Ok(match field.name.as_str() {
            "id" => None,
            "name" => Some(json!(page.name)),
            "category" => Some(json!(page.category)),
            "category_list" => Some(json!([{"id": "1605186416478696", "name": page.category}])),
            "tasks" => Some(json!([
                "ANALYZE",
                "ADVERTISE",
                "MODERATE",
                "CREATE_CONTENT",
                "MANAGE"
            ])),
            "access_token" => page_access_token(ctx, world, page.id).map(|token| json!(token)),
            // graph-api.md §3.1: a Page without an IG account simply omits the key.
            "instagram_business_account" | "connected_instagram_account" => match page.ig {
                Some(ig) => match world.accounts.get(&ig) {
                    Some(account) => {
                        let nested = field
                            .children
                            .clone()
                            .unwrap_or_else(|| fields::plain(&["id"]));
                        Some(render_ig_user(ctx, world, account, &nested)?)
                    }
                    None => None,
                },
                None => None,
            },
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::Page.type_name(),
                ));
            }
        })
    })
}

fn page_access_token(ctx: &Ctx<'_>, world: &World, page: u64) -> Option<String> {
    match ctx.caller.kind {
        crate::auth::tokens::CallerKind::Page { page: own, .. } if own == page => {
            Some(ctx.caller.token.to_string())
        }
        crate::auth::tokens::CallerKind::User { .. } => world
            .page_tokens
            .get(&(ctx.caller.token.clone(), page))
            .map(ToString::to_string),
        _ => None,
    }
}

/// `GET /me` (or `/{user-id}`) with a user token.
pub fn fb_user_get(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["name", "id"])?;
    let world = ctx.state.world.lock();
    let user = world
        .users
        .get(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    node_object(user.id, &selection, |field| {
        Ok(match field.name.as_str() {
            "id" => None,
            "name" => Some(json!(user.name)),
            "accounts" | "permissions" => None,
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    NodeKind::User.type_name(),
                ));
            }
        })
    })
}

/// Graph's booleans: `true`/`false`, also `1`/`0`.
pub fn parse_bool(name: &str, text: &str) -> Result<bool, MetaError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(MetaError::invalid_parameter(format!(
            "Param {name} must be a boolean"
        ))),
    }
}
