//! Media pre-flight checks, conversion and hosting, so Meta's crawler never fails a post.
//!
//! - [`preflight`] fetches each media URL the way Meta's crawler does (behind the [`ssrf`]
//!   address guard) and checks it against Meta's spec ([`spec`], graph-api.md §2.3).
//! - [`fix`] turns a PNG/WebP/oversized image into a JPEG that passes.
//! - [`hosting`] stores media content-addressed under unguessable ids, and [`serve`] serves it.

pub mod crawl;
pub mod mp4;
pub mod preflight;
pub mod robots;
pub mod spec;
pub mod ssrf;
