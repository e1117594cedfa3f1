//! Post specs as JSON (the body of `POST /v1/posts`): any text is a post or a list of
//! violations, and an accepted post round-trips through its input form.
#![no_main]

use igpub::domain::PostSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now: jiff::Timestamp =
        jiff::Timestamp::from_second(1_796_000_000).expect("a fixed instant");
    if let Ok(spec) = PostSpec::parse_json(text, now) {
        let again = PostSpec::parse(spec.to_input(), now).expect("a post's own input parses");
        assert_eq!(again, spec);
    }
});
