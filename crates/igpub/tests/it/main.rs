//! igpub's integration tests: one binary, one module per area (see style.md: link time matters).

mod domain;
mod insights;
mod media;
mod store;
mod vault;
