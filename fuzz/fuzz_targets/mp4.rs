//! The MP4 box parser of media pre-flight: any prefix of any file, at any offset, gives facts or
//! a typed error within its box budget.
#![no_main]

use igpub::media::mp4::{parse_mp4, parse_mp4_at};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_mp4(data);
    if let Some((&first, rest)) = data.split_first() {
        let _ = parse_mp4_at(rest, u64::from(first) << 32);
    }
});
