//! Integration tests of `igpub::domain`.
