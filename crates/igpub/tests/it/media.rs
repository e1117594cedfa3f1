//! Integration tests of `igpub::media`.

mod mp4_builder;
mod preflight_images;
mod support;
