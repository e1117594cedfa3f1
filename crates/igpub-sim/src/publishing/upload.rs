//! The resumable upload host, `POST /ig-api-upload/{ver}/{container-id}`
//! (shared/graph-api.md §2.5): bytes in the body, or a `file_url` header to fetch.

use super::create::processing;
use crate::auth::tokens::authenticate;
use crate::crawler;
use crate::graph::request::bearer_token;
use crate::state::SimState;
use crate::world::model::{ContainerKind, Outcome, Phase};
use axum::body::Body;
use futures::StreamExt;
use http::HeaderMap;
use serde_json::{Value, json};

/// The upload host's failure body, with the inner JSON as a string (shared/graph-api.md §2.5).
fn failure(message: &str) -> (u16, Value) {
    let inner = json!({"success": false, "error": {"message": message}}).to_string();
    (
        400,
        json!({"debug_info": {"retriable": false, "type": "ProcessingFailedError", "message": inner}}),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Takes one upload request and answers `(status, body)`.
pub async fn run(
    state: &SimState,
    container: &str,
    headers: &HeaderMap,
    body: Body,
) -> (u16, Value) {
    let now_ms = state.clock.now_ms();
    let token = header(headers, "authorization").and_then(bearer_token);
    let Ok(id) = container.parse::<u64>() else {
        return failure("unauthorized user request");
    };
    {
        let world = state.world.lock();
        let Ok(caller) = authenticate(&world, token.as_deref(), now_ms) else {
            return failure("unauthorized user request");
        };
        let Some(found) = world.containers.get(&id) else {
            return failure("unauthorized user request");
        };
        if !caller.reaches_ig(&world, found.owner) {
            return failure("unauthorized user request");
        }
        if !matches!(found.phase, Phase::AwaitingUpload { .. }) {
            // [INFER] Meta's wording for an upload to a container that takes none.
            return failure("The container does not accept an upload");
        }
    }
    if let Some(url) = header(headers, "file_url") {
        let verdict = if state.config.fetch_media {
            crawler::probe_video(state, url).await.err()
        } else {
            None
        };
        start_processing(state, id, verdict, now_ms);
        return success();
    }
    let offset = header(headers, "offset")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let Some(file_size) = header(headers, "file_size").and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return failure("file_size header is required");
    };
    let received = {
        let world = state.world.lock();
        match world.containers.get(&id).map(|c| c.phase) {
            Some(Phase::AwaitingUpload { received }) => received,
            _ => return failure("The container does not accept an upload"),
        }
    };
    if offset != received {
        return failure(&format!(
            "offset must be {received}, the bytes received so far"
        ));
    }
    let mut head = Vec::new();
    let mut length = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return failure("The upload was interrupted");
        };
        if offset == 0 && head.len() < 12 {
            head.extend_from_slice(chunk.get(..12 - head.len().min(12)).unwrap_or(&chunk));
        }
        length += chunk.len() as u64;
    }
    let total = received + length;
    if total >= file_size {
        let verdict = if offset == 0 && state.config.fetch_media {
            crawler::judge_video_head(&head).err()
        } else {
            None
        };
        start_processing(state, id, verdict, now_ms);
    } else if let Some(found) = state.world.lock().containers.get_mut(&id) {
        found.phase = Phase::AwaitingUpload { received: total };
    }
    success()
}

fn success() -> (u16, Value) {
    (
        200,
        json!({"success": true, "message": "Upload successful."}),
    )
}

fn start_processing(state: &SimState, id: u64, verdict: Option<u32>, now_ms: i64) {
    let mut world = state.world.lock();
    let kind = world
        .containers
        .get(&id)
        .map_or(ContainerKind::Reels, |c| c.kind);
    let phase = match verdict {
        Some(subcode) => Phase::Processing {
            ready_ms: now_ms,
            outcome: Outcome::Error(subcode),
        },
        None => processing(&mut world, &state.config, kind, now_ms, None),
    };
    if let Some(found) = world.containers.get_mut(&id) {
        found.phase = phase;
    }
}
