//! `GET /?ids=a,b&fields=…`: several nodes in one round trip, `{"a":{…},"b":{…}}`; each id
//! counts as a call (shared/graph-api.md §2.6, §7, §9.1).

use super::faulted::{Delivery, run_faulted};
use super::request::GraphCall;
use super::{Answer, route};
use crate::error::MetaError;
use crate::state::SimState;
use serde_json::{Map, Value};
use std::time::Duration;

/// Most ids in one multi-get. [INFER] (shared/graph-api.md §9.1).
pub const MAX_IDS: usize = 50;

/// Reads every id; the first failing id fails the whole answer, as Graph does.
pub async fn run(state: &SimState, call: &GraphCall) -> Answer {
    let ids: Vec<String> = call
        .param("ids")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return Answer::plain(Err(MetaError::missing_parameter("ids")), None);
    }
    if ids.len() > MAX_IDS {
        return Answer::plain(
            Err(MetaError::invalid_parameter(format!(
                "Too many IDs. Maximum: {MAX_IDS}"
            ))),
            None,
        );
    }
    let mut params = call.params.clone();
    params.remove("ids");
    let mut object = Map::new();
    let mut app = None;
    let mut igs = Vec::new();
    for id in ids {
        let part = GraphCall {
            verb: call.verb,
            version: call.version,
            path: vec![id.clone()],
            params: params.clone(),
            token: call.token.clone(),
        };
        let routed = route(state, &part);
        let answer = match run_faulted(state, &part, &routed, Duration::ZERO).await {
            Delivery::Answer(answer) => answer,
            // A part that never answers leaves the whole request without an answer in time;
            // Graph reports that as its transient service error.
            Delivery::Nothing { .. } => Answer::plain(Err(MetaError::service_error()), None),
        };
        app = app.or(answer.app);
        igs.extend(answer.igs);
        match answer.result {
            Ok(value) => {
                object.insert(id, value);
            }
            Err(error) => {
                return Answer {
                    result: Err(error),
                    app,
                    igs,
                };
            }
        }
    }
    igs.sort_unstable();
    igs.dedup();
    Answer {
        result: Ok(Value::Object(object)),
        app,
        igs,
    }
}
