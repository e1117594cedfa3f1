//! Domain types that parse, never merely validate: captions, hashtags, media URLs, post specs.
