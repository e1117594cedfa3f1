//! Property tests for the parsers that take outside bytes and are fuzzed under `fuzz/`: token
//! envelopes, the MP4 box parser and Graph answers never panic, and what parses prints back.
//! (The domain and webhook parsers have theirs in `domain.rs` and `insights::property_tests`.)

use std::collections::HashMap;
use std::str::FromStr;

use igpub::media::mp4::{parse_mp4, parse_mp4_at};
use igpub::vault::Envelope;
use igpub_graph::{BatchResponse, ContainerStatus, Media, Metric, Page};
use proptest::prelude::*;

/// An MP4-ish stream: boxes with real and random types and sizes that may lie.
fn boxes() -> impl Strategy<Value = Vec<u8>> {
    let kind = prop::sample::select(vec![
        *b"ftyp", *b"moov", *b"mvhd", *b"trak", *b"tkhd", *b"mdia", *b"mdhd", *b"hdlr", *b"minf",
        *b"stbl", *b"stsd", *b"mdat", *b"free", *b"uuid", *b"avc1", *b"mp4a",
    ]);
    let one = (
        kind,
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(kind, size, body, honest)| {
            let size = if honest {
                u32::try_from(body.len() + 8).unwrap_or(u32::MAX)
            } else {
                size
            };
            let mut bytes = size.to_be_bytes().to_vec();
            bytes.extend_from_slice(&kind);
            bytes.extend_from_slice(&body);
            bytes
        });
    prop::collection::vec(one, 0..12).prop_map(|parts| parts.concat())
}

fn sub_response(code: u16, body: &str) -> Option<BatchResponse> {
    serde_json::from_value(serde_json::json!({"code": code, "body": body})).ok()
}

proptest! {
    #[test]
    fn envelope_bytes_never_panic_and_accepted_ones_print_back(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(envelope) = Envelope::from_bytes(&bytes) {
            prop_assert_eq!(envelope.to_bytes(), bytes);
        }
    }

    #[test]
    fn a_well_formed_envelope_survives_both_forms(
        key_id in any::<[u8; 8]>(),
        nonce in any::<[u8; 12]>(),
        ciphertext in prop::collection::vec(any::<u8>(), 16..64),
    ) {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&key_id);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        let envelope = Envelope::from_bytes(&bytes).expect("a well-formed envelope parses");
        prop_assert_eq!(envelope.to_bytes(), bytes);
        let again = Envelope::from_str(&envelope.to_text()).expect("its text form parses");
        prop_assert_eq!(again, envelope);
    }

    #[test]
    fn envelope_text_never_panics(text in "\\PC{0,80}|v1\\.[0-9a-f]{16}\\.[A-Za-z0-9_-]{0,20}\\.[A-Za-z0-9_-]{0,40}") {
        if let Ok(envelope) = Envelope::from_str(&text) {
            prop_assert_eq!(envelope.to_text(), text);
        }
    }

    #[test]
    fn mp4_parsing_never_panics_on_lying_boxes(bytes in boxes(), offset in any::<u64>()) {
        let _ = parse_mp4(&bytes);
        let _ = parse_mp4_at(&bytes, offset);
    }

    #[test]
    fn graph_answers_never_panic_whatever_the_status(body in "\\PC{0,120}|\\{\"(id|status_code|error|data)\":[^}]{0,60}\\}", code in prop::sample::select(vec![200u16, 400, 403, 500, 503])) {
        if let Some(response) = sub_response(code, &body) {
            let _ = response.decode::<ContainerStatus>();
            let _ = response.decode::<HashMap<String, ContainerStatus>>();
            let _ = response.decode::<Page<Metric>>();
            if let Err(error) = response.decode::<Media>() {
                let _ = error.classify(0);
                let _ = error.is_ambiguous();
            }
        }
    }
}

#[test]
fn an_error_envelope_in_a_success_status_is_still_an_error() {
    let body =
        r#"{"error":{"message":"Fatal","type":"OAuthException","code":-1,"is_transient":true}}"#;
    let response = sub_response(200, body).expect("a sub-response");
    let error = response
        .decode::<ContainerStatus>()
        .expect_err("an error body is never a status");
    assert_eq!(error.code(), Some(-1));
}
