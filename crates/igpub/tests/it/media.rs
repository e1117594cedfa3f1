//! Integration tests of `igpub::media`.
