//! Integration tests of `igpub::insights`.
