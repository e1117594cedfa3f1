//! Running a call under its endpoint's faults, and counting it.

use super::request::GraphCall;
use super::{Answer, Endpoint, Routed, run};
use crate::error::MetaError;
use crate::faults::{CommitThenFail, Fault};
use crate::state::SimState;
use std::borrow::Cow;
use std::time::Duration;

/// What the caller of one call gets.
#[derive(Debug)]
pub enum Delivery {
    /// An answer, maybe a faulty one.
    Answer(Answer),
    /// No answer at all: the connection hangs (`hang`) or is dropped.
    Nothing { hang: bool },
}

/// 4/2207051 exactly as Meta sends it for a suspected spam post that may well have gone out
/// (shared/graph-api.md §6.3).
pub fn spam_block() -> MetaError {
    MetaError::new(4, "Application request limit reached")
        .subcode(2_207_051)
        .transient(false)
        .user(
            "action is blocked",
            "We restrict certain activity to protect our community. Tell us if you think we made a mistake.",
        )
        .status(403)
}

/// Runs a routed call under the faults drawn for its endpoint, after `base_latency` plus the
/// endpoint's own latency, and counts it. Batch and multi-get are counted by their parts.
pub async fn run_faulted(
    state: &SimState,
    call: &GraphCall,
    routed: &Routed,
    base_latency: Duration,
) -> Delivery {
    let endpoint = routed.endpoint;
    let plan = state.faults.plan(endpoint.name());
    let latency = base_latency + plan.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let app = None;
    let delivery = match plan.fault {
        Fault::None => Delivery::Answer(run(state, call, routed).await),
        Fault::Error5xx => Delivery::Answer(Answer::plain(Err(MetaError::service_error()), app)),
        Fault::Transient(code) => {
            let error = if code == 1 {
                MetaError::unknown_error()
            } else {
                MetaError::service_error()
            };
            Delivery::Answer(Answer::plain(Err(error.status(400)), app))
        }
        Fault::Hang => Delivery::Nothing { hang: true },
        Fault::CommitThenFail(mode) => {
            let committed = run(state, call, routed).await;
            match mode {
                CommitThenFail::Error => Delivery::Answer(Answer {
                    result: Err(MetaError::service_error()),
                    ..committed
                }),
                CommitThenFail::SpamBlock => Delivery::Answer(Answer {
                    result: Err(spam_block()),
                    ..committed
                }),
                CommitThenFail::Drop => Delivery::Nothing { hang: false },
                CommitThenFail::Hang => Delivery::Nothing { hang: true },
            }
        }
    };
    if !matches!(endpoint, Endpoint::Batch | Endpoint::IdsGet) {
        let key: Cow<'static, str> = match (plan.fault.counter_key(), &delivery) {
            (Some(fault), _) => Cow::Borrowed(fault),
            (None, Delivery::Answer(Answer { result: Ok(_), .. })) => Cow::Borrowed("ok"),
            (
                None,
                Delivery::Answer(Answer {
                    result: Err(error), ..
                }),
            ) => Cow::Owned(error.counter_key()),
            (None, Delivery::Nothing { .. }) => Cow::Borrowed("no_answer"),
        };
        state.counters.call(endpoint.name(), key);
    }
    delivery
}
