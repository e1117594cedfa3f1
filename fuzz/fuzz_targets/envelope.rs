//! Token envelope parsing: stored bytes or text that are not an envelope are refused with a
//! typed error; an accepted one prints back to the same form.
#![no_main]

use std::str::FromStr;

use igpub::vault::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::from_bytes(data) {
        assert_eq!(envelope.to_bytes(), data);
        let text = envelope.to_text();
        assert_eq!(Envelope::from_str(&text).ok().as_ref(), Some(&envelope));
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(envelope) = Envelope::from_str(text)
    {
        assert_eq!(
            Envelope::from_bytes(&envelope.to_bytes()).ok().as_ref(),
            Some(&envelope)
        );
    }
});
