//! Integration tests of `igpub::store`.
