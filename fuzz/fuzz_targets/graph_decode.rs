//! Graph JSON decoding: whatever Meta (or a proxy in between) sends back, decoding returns a
//! typed value or a typed error, never a panic. Goes through igpub-graph's public decode path,
//! `BatchResponse::decode`, which is the same envelope/body decoder a direct call uses.
#![no_main]

use std::collections::HashMap;

use igpub_graph::{BatchResponse, ContainerStatus, Media, Metric, Page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The outer batch answer is a JSON array of sub-responses (graph-api.md §9.1).
    if let Ok(responses) = serde_json::from_slice::<Vec<BatchResponse>>(data) {
        for response in &responses {
            decode_all(response);
            let _ = response.usage();
        }
    }
    // The raw bytes as one sub-response body, under a success and an error status, so the
    // error envelope parser and the typed decoders both see arbitrary text.
    let body = String::from_utf8_lossy(data);
    for code in [200u16, 400, 500] {
        let wire = serde_json::json!({ "code": code, "body": body });
        if let Ok(response) = serde_json::from_value::<BatchResponse>(wire) {
            decode_all(&response);
        }
    }
});

fn decode_all(response: &BatchResponse) {
    if let Ok(status) = response.decode::<ContainerStatus>() {
        let _ = status.failure();
    }
    let _ = response.decode::<HashMap<String, ContainerStatus>>();
    let _ = response.decode::<Page<Metric>>();
    let _ = response.decode::<Media>();
    if let Err(error) = response.decode::<serde_json::Value>() {
        // The classifier is a pure function of the error: it must hold for any error.
        let _ = error.classify(1);
        let _ = error.is_ambiguous();
        let _ = error.to_string();
    }
}
