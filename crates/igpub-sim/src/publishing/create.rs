//! `POST /{ig-user-id}/media`: container creation (shared/graph-api.md §2.1–2.4, §10).

use super::spec::{self, ContainerSpec, carousel_size};
use crate::clock::DAY_MS;
use crate::config::SimConfig;
use crate::crawler;
use crate::error::MetaError;
use crate::graph::Ctx;
use crate::ids::IdKind;
use crate::world::World;
use crate::world::model::{Container, ContainerKind, IgAccount, Outcome, Phase, Status};
use rand::Rng;
use serde_json::{Value, json};

/// Subcodes a failed processing run quotes in its `status` (shared/graph-api.md §2.6).
const PROCESSING_FAILURES: [u32; 4] = [2_207_076, 2_207_077, 2_207_082, 2_207_085];

/// Creates a container after every rule, the children and the crawler have passed.
pub async fn run(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let spec = spec::parse(ctx.call)?;
    {
        let mut world = ctx.state.world.lock();
        check_cap(
            &mut world,
            ctx.node,
            ctx.now_ms,
            ctx.state.config.container_cap,
        )?;
        check_children(&world, ctx.node, &spec, ctx.now_ms)?;
    }
    let video_verdict = crawl(ctx, &spec).await?;
    let mut world = ctx.state.world.lock();
    // The crawl awaited without the lock; the cap may have filled meanwhile.
    check_cap(
        &mut world,
        ctx.node,
        ctx.now_ms,
        ctx.state.config.container_cap,
    )?;
    let phase = if spec.resumable {
        Phase::AwaitingUpload { received: 0 }
    } else {
        processing(
            &mut world,
            &ctx.state.config,
            spec.kind,
            ctx.now_ms,
            video_verdict,
        )
    };
    let id = world.ids.next(IdKind::Container);
    let resumable = spec.resumable;
    world
        .containers
        .insert(id, container(ctx.node, ctx.now_ms, phase, spec));
    if let Some(account) = world.accounts.get_mut(&ctx.node) {
        account.container_times.push_back(ctx.now_ms);
    }
    if resumable {
        // graph-api.md §2.2: a resumable container answers the upload URI too.
        let uri = ctx
            .state
            .base_url
            .join(&format!("ig-api-upload/v{}.0/{id}", ctx.call.version))
            .map(|url| url.to_string())
            .unwrap_or_default();
        return Ok(json!({"id": id.to_string(), "uri": uri}));
    }
    Ok(json!({"id": id.to_string()}))
}

/// 400 containers per account per rolling 24 h (shared/graph-api.md §2.2 "Limitations").
fn check_cap(world: &mut World, ig: u64, now_ms: i64, cap: u32) -> Result<(), MetaError> {
    let Some(account) = world.accounts.get_mut(&ig) else {
        return Err(MetaError::unsupported_request("post", &ig.to_string()));
    };
    let created = IgAccount::recent(&mut account.container_times, now_ms, now_ms - DAY_MS);
    if created >= cap as usize {
        // graph-api.md §12: Meta's answer to this cap is unconfirmed. [INFER] code 9 (the
        // family of the publishing limit) without 2207042's subcode, so the two stay apart.
        return Err(MetaError::new(
            9,
            "(#9) The Instagram account has reached its limit of media containers",
        )
        .transient(false)
        .user(
            "Container limit reached",
            format!("An Instagram account can only create {cap} containers within a rolling 24 hour period."),
        ));
    }
    Ok(())
}

/// Carousel children must exist, belong to this account, be carousel items and be FINISHED
/// (shared/graph-api.md §2.4).
fn check_children(
    world: &World,
    ig: u64,
    spec: &ContainerSpec,
    now_ms: i64,
) -> Result<(), MetaError> {
    if spec.kind != ContainerKind::Carousel {
        return Ok(());
    }
    let mut seen = Vec::with_capacity(spec.children.len());
    for child in &spec.children {
        if seen.contains(child) {
            return Err(carousel_size());
        }
        seen.push(*child);
        let found = world
            .containers
            .get(child)
            .filter(|found| found.owner == ig);
        let Some(found) = found else {
            return Err(media_not_found(*child));
        };
        if !found.is_carousel_item {
            return Err(MetaError::publishing(
                100,
                2_207_028,
                "Invalid parameter",
                "Carousel not allowed",
                format!(
                    "Media {child} was not created as a carousel item (is_carousel_item=true)."
                ),
            ));
        }
        match found.status(now_ms) {
            Status::Finished => {}
            Status::InProgress => return Err(super::publish::not_ready()),
            Status::Expired => return Err(super::publish::expired()),
            Status::Error(_) | Status::Published => return Err(media_not_found(*child)),
        }
    }
    Ok(())
}

/// 24/2207006 (shared/graph-api.md §6.3).
fn media_not_found(id: u64) -> MetaError {
    MetaError::publishing(
        24,
        2_207_006,
        "Media ID is not available",
        "Media not found",
        format!("The media with {id} cannot be found"),
    )
}

/// Runs the crawler when fetching is on: images must pass now; a video's verdict is kept for
/// its processing outcome. Reels covers are checked like images, without the feed ratio.
async fn crawl(ctx: &Ctx<'_>, spec: &ContainerSpec) -> Result<Option<u32>, MetaError> {
    if !ctx.state.config.fetch_media {
        return Ok(None);
    }
    if let Some(cover) = &spec.cover_url {
        crawler::check_image(ctx.state, cover, false).await?;
    }
    let Some(url) = &spec.media_url else {
        return Ok(None);
    };
    if spec.is_image() {
        crawler::check_image(ctx.state, url, spec.has_feed_aspect()).await?;
        return Ok(None);
    }
    Ok(crawler::probe_video(ctx.state, url).await.err())
}

/// Draws how long processing takes and how it ends, from the seeded generator.
pub fn processing(
    world: &mut World,
    config: &SimConfig,
    kind: ContainerKind,
    now_ms: i64,
    video_failure: Option<u32>,
) -> Phase {
    let base = if kind.is_video() {
        config.video_processing
    } else {
        config.image_processing
    };
    let base_ms = i64::try_from(base.as_millis()).unwrap_or(i64::MAX / 4);
    let jitter = config.processing_jitter.clamp(0.0, 1.0);
    let factor = if jitter > 0.0 {
        world.rng.random_range(1.0 - jitter..=1.0 + jitter)
    } else {
        1.0
    };
    let duration_ms = (base_ms as f64 * factor).round() as i64;
    let outcome = match video_failure {
        Some(subcode) => Outcome::Error(subcode),
        None if world.rng.random::<f64>() < config.container_error_rate => {
            let at = world.rng.random_range(0..PROCESSING_FAILURES.len());
            Outcome::Error(PROCESSING_FAILURES.get(at).copied().unwrap_or(2_207_082))
        }
        None => Outcome::Finished,
    };
    Phase::Processing {
        ready_ms: now_ms + duration_ms.max(0),
        outcome,
    }
}

fn container(owner: u64, now_ms: i64, phase: Phase, spec: ContainerSpec) -> Container {
    Container {
        owner,
        kind: spec.kind,
        is_carousel_item: spec.is_carousel_item,
        created_ms: now_ms,
        phase,
        caption: spec.caption.map(String::into_boxed_str),
        media_url: spec.media_url.map(String::into_boxed_str),
        cover_url: spec.cover_url.map(String::into_boxed_str),
        alt_text: spec.alt_text.map(String::into_boxed_str),
        children: spec.children.into_boxed_slice(),
        collaborators: spec
            .collaborators
            .into_iter()
            .map(String::into_boxed_str)
            .collect(),
        share_to_feed: spec.share_to_feed,
    }
}
