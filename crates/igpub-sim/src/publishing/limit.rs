//! `GET /{ig-user-id}/content_publishing_limit` (shared/graph-api.md §2.8).

use crate::clock::DAY_MS;
use crate::error::MetaError;
use crate::graph::Ctx;
use crate::graph::nodes::selection;
use crate::world::model::IgAccount;
use serde_json::{Map, Value, json};

/// The window Meta reports, in seconds.
const QUOTA_DURATION: i64 = 86_400;

/// Answers `{"data":[{"quota_usage":N, "config":{…}}]}` for the fields asked.
pub fn run(ctx: &Ctx<'_>) -> Result<Value, MetaError> {
    let selection = selection(ctx, &["quota_usage"])?;
    let window_start = ctx.now_ms - DAY_MS;
    let since_ms = match ctx.call.non_empty("since") {
        None => window_start,
        Some(text) => {
            let seconds = text.trim().parse::<i64>().map_err(|_| {
                MetaError::invalid_parameter("The parameter since must be a Unix timestamp")
            })?;
            // graph-api.md §2.8: since may be no older than 24 hours.
            if seconds.saturating_mul(1000) < window_start {
                return Err(MetaError::invalid_parameter(
                    "The parameter since must be within the last 24 hours",
                ));
            }
            seconds.saturating_mul(1000)
        }
    };
    let mut world = ctx.state.world.lock();
    let account = world
        .accounts
        .get_mut(&ctx.node)
        .ok_or_else(|| MetaError::unsupported_request("get", &ctx.node.to_string()))?;
    let usage = IgAccount::recent(&mut account.publish_times, ctx.now_ms, since_ms);
    let mut entry = Map::new();
    for field in &selection {
        let value = match field.name.as_str() {
            "quota_usage" => json!(usage),
            "config" => json!({
                "quota_total": ctx.state.config.quota_total,
                "quota_duration": QUOTA_DURATION,
            }),
            other => {
                return Err(MetaError::nonexisting_field(
                    other,
                    "ContentPublishingLimitResponse",
                ));
            }
        };
        entry.insert(field.name.clone(), value);
    }
    Ok(json!({ "data": [Value::Object(entry)] }))
}
