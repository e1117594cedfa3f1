//! Media pre-flight checks, conversion and hosting, so Meta's crawler never fails a post.
//!
//! - [`preflight`] fetches each media URL the way Meta's crawler does ([`crawl`], behind the
//!   [`ssrf`] address guard) and checks it against Meta's spec ([`spec`], graph-api.md §2.3),
//!   reading images with `imagesize` and videos with the bounded box reader in [`mp4`].
//! - [`fix`] turns a PNG, WebP, too wide, too large or badly proportioned image into a JPEG
//!   that passes.
//! - [`hosting`] stores media content-addressed under unguessable ids, [`serve`] serves it
//!   with ranges and caching headers, and [`upload`] ties fix and hosting together.
//! - [`retention`] keeps hosted files until 24 h after their post is published, then
//!   collects them.

pub mod crawl;
pub mod fix;
pub mod for_posts;
pub mod hosting;
pub mod mp4;
pub mod preflight;
pub mod retention;
pub mod robots;
pub mod serve;
pub mod spec;
pub mod ssrf;
pub mod upload;
