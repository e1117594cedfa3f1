//! `POST /{ig-user-id}/media_publish`: turning a FINISHED container into media, within the
//! account's moving 24 h quota (shared/graph-api.md §2.7, §2.8, §10).

use crate::clock::DAY_MS;
use crate::error::MetaError;
use crate::graph::Ctx;
use crate::ids::IdKind;
use crate::world::World;
use crate::world::model::{Container, ContainerKind, IgAccount, Media, Phase, Status};
use serde_json::{Value, json};

/// 9007/2207027 exactly as a real capture shows it (shared/graph-api.md §6.3).
pub fn not_ready() -> MetaError {
    MetaError::publishing(
        9007,
        2_207_027,
        "Media ID is not available",
        "Cannot Publish",
        "The media is not ready for publishing, please wait for a moment",
    )
}

/// -2/2207020: the container expired (shared/graph-api.md §6.3).
pub fn expired() -> MetaError {
    MetaError::publishing(
        -2,
        2_207_020,
        "Media ID is not available",
        "Media expired",
        "The media you are trying to access has expired. Please try to upload again.",
    )
}

/// 24/2207008: unknown, foreign or already-published container (shared/graph-api.md §2.7 note).
fn builder_gone(creation_id: &str) -> MetaError {
    MetaError::publishing(
        24,
        2_207_008,
        "Media ID is not available",
        "Media builder not found",
        format!(
            "The media builder with creation id = {creation_id} does not exist or has been expired."
        ),
    )
}

/// A container that ended in ERROR: the answer echoes its subcode (shared/graph-api.md §10
/// [INFER]), with the code Meta's table pairs that subcode with.
fn failed(subcode: u32) -> MetaError {
    let code = match subcode {
        2_207_026 => 352,
        2_207_052 => 9004,
        2_207_003 | 2_207_020 => -2,
        _ => -1,
    };
    MetaError::publishing(
        code,
        i64::from(subcode),
        "Fatal",
        "Media upload failed",
        format!("Error: Media upload has failed with error code {subcode}"),
    )
}

/// 9/2207042 (shared/graph-api.md §2.8, §6.3). The `message` is unconfirmed; the user message
/// is the doc's.
fn limit_reached() -> MetaError {
    MetaError::publishing(
        9,
        2_207_042,
        "Application request limit reached",
        "Publishing limit reached",
        "You reached maximum number of posts that is allowed to be published by Content Publishing API.",
    )
}

/// 100/2207089 word for word (shared/graph-api.md §2.4).
fn carousel_item_standalone() -> MetaError {
    MetaError::publishing(
        100,
        2_207_089,
        "Invalid parameter",
        "Carousel item cannot be published standalone",
        "Media created with media_type=VIDEO is a carousel item and cannot be published as a standalone post. To publish a standalone video, use media_type=REELS instead.",
    )
}

/// Publishes the container named by `creation_id`.
pub fn run(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let creation_id = ctx
        .call
        .non_empty("creation_id")
        .ok_or_else(|| MetaError::missing_parameter("creation_id"))?;
    let mut world = ctx.state.world.lock();
    let id = creation_id
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|id| {
            world
                .containers
                .get(id)
                .is_some_and(|c| c.owner == ctx.node)
        })
        .ok_or_else(|| builder_gone(creation_id))?;
    let container = world
        .containers
        .get(&id)
        .cloned()
        .ok_or_else(|| builder_gone(creation_id))?;
    match container.status(ctx.now_ms) {
        Status::Finished => {}
        Status::InProgress => return Err(not_ready()),
        Status::Error(subcode) => return Err(failed(subcode)),
        Status::Expired => return Err(expired()),
        Status::Published => return Err(builder_gone(creation_id)),
    }
    if container.is_carousel_item || container.kind == ContainerKind::Video {
        return Err(carousel_item_standalone());
    }
    for child in container.children.iter() {
        let status = world.containers.get(child).map(|c| c.status(ctx.now_ms));
        match status {
            Some(Status::Finished) => {}
            Some(Status::Expired) => return Err(expired()),
            _ => return Err(builder_gone(&child.to_string())),
        }
    }
    let quota_total = ctx.state.config.quota_total as usize;
    let account = world
        .accounts
        .get_mut(&ctx.node)
        .ok_or_else(|| builder_gone(creation_id))?;
    let used = IgAccount::recent(&mut account.publish_times, ctx.now_ms, ctx.now_ms - DAY_MS);
    if used >= quota_total {
        // graph-api.md §10: the container stays FINISHED and can be published later.
        return Err(limit_reached());
    }
    let media = publish(
        &mut world,
        ctx.state.config.seed,
        id,
        &container,
        ctx.now_ms,
    );
    Ok(json!({"id": media.to_string()}))
}

/// Makes the media (and a carousel's child media), marks the containers PUBLISHED and counts
/// the post against the quota. Returns the new media id.
fn publish(
    world: &mut World,
    seed: u64,
    container_id: u64,
    container: &Container,
    now_ms: i64,
) -> u64 {
    let media_id = world.ids.next(IdKind::Media);
    let mut children = Vec::with_capacity(container.children.len());
    for child_container in container.children.iter() {
        let Some(child) = world.containers.get(child_container).cloned() else {
            continue;
        };
        let child_media = world.ids.next(IdKind::Media);
        let mut media = media_of(seed, child_media, *child_container, &child, now_ms);
        media.parent = Some(media_id);
        world.media.insert(child_media, media);
        if let Some(stored) = world.containers.get_mut(child_container) {
            stored.phase = Phase::Published { media: child_media };
        }
        children.push(child_media);
    }
    let mut media = media_of(seed, media_id, container_id, container, now_ms);
    media.children = children.into_boxed_slice();
    world.media.insert(media_id, media);
    if let Some(stored) = world.containers.get_mut(&container_id) {
        stored.phase = Phase::Published { media: media_id };
    }
    if let Some(account) = world.accounts.get_mut(&container.owner) {
        account.media.push(media_id);
        account.publish_times.push_back(now_ms);
    }
    media_id
}

fn media_of(
    seed: u64,
    media_id: u64,
    container_id: u64,
    container: &Container,
    now_ms: i64,
) -> Media {
    Media {
        owner: container.owner,
        container: container_id,
        kind: container.kind,
        caption: container.caption.clone(),
        alt_text: container.alt_text.clone(),
        media_url: container.media_url.clone(),
        cover_url: container.cover_url.clone(),
        published_ms: now_ms,
        children: Box::default(),
        parent: None,
        comment_enabled: true,
        shared_to_feed: container.share_to_feed,
        collaborators: container.collaborators.clone(),
        comments: Vec::new(),
        like_count: like_count(seed, media_id),
    }
}

/// A small, repeatable like count per media.
fn like_count(seed: u64, media_id: u64) -> u64 {
    (seed ^ media_id).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55
}
