//! The webhook door: the signature check and the notification parser see hostile bytes.
//! Input layout: the first line is the `X-Hub-Signature-256` header, the rest is the body.
#![no_main]

use igpub::insights::webhook::{parse_notification, sign_body, verify_signature};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let secret = SecretString::from("fuzz-app-secret".to_owned());
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let header = std::str::from_utf8(header).ok();
    let _ = verify_signature(&secret, body, header);
    // Our own signature over the same bytes always verifies: the check is over raw bytes.
    let signed = sign_body(&secret, body).expect("a configured secret signs");
    assert!(verify_signature(&secret, body, Some(&signed)).is_ok());
    if let Ok(notification) = parse_notification(body) {
        let _ = format!("{notification:?}");
    }
});
