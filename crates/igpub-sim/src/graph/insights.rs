//! Routes `/insights` calls and `insights.metric(…)` expansions to the insights module, with
//! what the simulator knows about the account or media (shared/graph-api.md §4).

use super::Ctx;
use super::fields::Field;
use crate::error::MetaError;
use crate::insights::{AccountInsightsQuery, MediaInsightsQuery, account_insights, media_insights};
use crate::world::model::{IgAccount, Media};
use serde_json::Value;
use std::collections::BTreeMap;

/// `GET /{ig-user-id}/insights` (shared/graph-api.md §4.1).
pub fn account(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let followers = {
        let world = ctx.state.world.lock();
        world
            .accounts
            .get(&ctx.node)
            .map(|account| account.followers)
            .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?
    };
    account_query(ctx, ctx.node, followers, &ctx.call.params)
}

fn account_query(
    ctx: &Ctx<'_>,
    ig: u64,
    followers: u64,
    params: &BTreeMap<String, String>,
) -> Result<Value, MetaError> {
    let ig_user_id = ig.to_string();
    account_insights(&AccountInsightsQuery {
        version: ctx.call.version,
        ig_user_id: &ig_user_id,
        seed: ctx.state.config.seed,
        followers,
        now_unix: ctx.now_ms.div_euclid(1000),
        params,
    })
}

/// `insights.metric(…)` expanded on an IG user node.
pub fn account_edge(ctx: &Ctx<'_>, account: &IgAccount, field: &Field) -> Result<Value, MetaError> {
    account_query(ctx, account.id, account.followers, &modifier_params(field))
}

/// What a media insights query needs to know about the media.
struct MediaFacts {
    product: &'static str,
    media_type: &'static str,
    published_unix: i64,
    is_child: bool,
}

fn facts(media: &Media) -> MediaFacts {
    MediaFacts {
        product: media.kind.product_type(),
        media_type: media.kind.media_type(),
        published_unix: media.published_ms.div_euclid(1000),
        is_child: media.parent.is_some(),
    }
}

/// `GET /{ig-media-id}/insights` (shared/graph-api.md §4.2).
pub fn media(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let facts = {
        let world = ctx.state.world.lock();
        world
            .media
            .get(&ctx.node)
            .map(facts)
            .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?
    };
    media_query(ctx, ctx.node, &facts, &ctx.call.params)
}

fn media_query(
    ctx: &Ctx<'_>,
    media_id: u64,
    facts: &MediaFacts,
    params: &BTreeMap<String, String>,
) -> Result<Value, MetaError> {
    if facts.is_child {
        // graph-api.md §4.2 "Limitations": no insights for carousel children. [INFER] wording.
        return Err(MetaError::invalid_parameter(
            "The Media Insights API does not support carousel children",
        ));
    }
    let media_id = media_id.to_string();
    media_insights(&MediaInsightsQuery {
        version: ctx.call.version,
        media_id: &media_id,
        seed: ctx.state.config.seed,
        media_product_type: facts.product,
        media_type: facts.media_type,
        published_unix: facts.published_unix,
        now_unix: ctx.now_ms.div_euclid(1000),
        params,
    })
}

/// `insights.metric(…)` expanded on a media node (shared/graph-api.md §9.2).
pub fn media_edge(
    ctx: &Ctx<'_>,
    media: &Media,
    media_id: u64,
    field: &Field,
) -> Result<Value, MetaError> {
    media_query(ctx, media_id, &facts(media), &modifier_params(field))
}

/// `.metric(reach,saved).period(day)` → `metric=reach,saved&period=day`.
fn modifier_params(field: &Field) -> BTreeMap<String, String> {
    field.modifiers.iter().cloned().collect()
}
