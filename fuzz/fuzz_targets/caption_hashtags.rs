//! Caption and hashtag parsing: any text gives a caption, a hashtag or the list of broken rules,
//! and an accepted caption parses back to itself.
#![no_main]

use igpub::domain::{Caption, Hashtag, HashtagList, tokens};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(caption) = Caption::parse(text) {
        assert_eq!(caption.as_str(), text);
        let again = Caption::parse(caption.as_str()).expect("an accepted caption parses again");
        assert_eq!(again.hashtag_count(), caption.hashtag_count());
        let _ = caption.fingerprint();
    }
    let _ = tokens::hashtags(text).count();
    let _ = tokens::mentions(text).count();
    if let Ok(tag) = Hashtag::parse(text) {
        assert_eq!(Hashtag::parse(tag.as_str()).ok().as_ref(), Some(&tag));
    }
    // Lines as list entries, then appended to the text's first line as a body.
    let (body, rest) = text.split_once('\n').unwrap_or((text, ""));
    let entries: Vec<&str> = rest.lines().collect();
    if let Ok(list) = HashtagList::parse(&entries) {
        let _ = list.joined();
        let _ = Caption::with_hashtags(body, &list);
    }
});
