//! A stateful local stand-in for Meta's Instagram Graph API (Facebook Login flavour).
//!
//! It speaks HTTP and JSON only, exactly as `shared/graph-api.md` describes Meta, and never
//! imports the client's types, so it cannot share a client's mistakes.
#![deny(missing_docs)]

pub mod error;
pub mod insights;
