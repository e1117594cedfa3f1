//! Integration tests of `igpub::vault`.
