//! Content publishing: container rules, creation, resumable upload, publishing and the quota
//! (shared/graph-api.md §2).

pub mod caption;
pub mod create;
pub mod limit;
pub mod publish;
pub mod spec;
pub mod upload;
