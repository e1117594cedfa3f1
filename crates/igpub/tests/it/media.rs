//! Integration tests of `igpub::media`.

mod fix;
mod hosting;
mod mp4_builder;
mod preflight_images;
mod preflight_videos;
mod retention;
mod s3;
mod ssrf;
mod support;
