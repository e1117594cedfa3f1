//! Media retention: "a file is kept at least until 24 h after its post is published, then
//! garbage-collected" (issue #6).
//!
//! A [`sweep`] looks only at hosted objects whose `keep_until` has passed. Each one that a post
//! still needs (a post on its way, or one published less than 24 h ago, as
//! [`PostStore::inputs_needing_media`] lists them) is extended to "now + 24 h"; every other
//! one is deleted. Since only a sweep deletes, and every sweep until 24 h after publication
//! sees the post, no file is deleted before then; it goes at the first sweep after its last
//! extension runs out. Failed and cancelled posts keep nothing past `keep_until`.
//!
//! Posts are read after the objects are listed, so a post created during a sweep that points
//! at an object already expired (uploads are kept 30 days to start with) may still lose it:
//! the window is one sweep's duration.
//!
//! [`run_periodically`] is the background task `igpub serve` runs every
//! `media.gc_interval_seconds`; `igpub media gc` runs one sweep (or a [`dry_run`]).

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::hosting::{HostingError, MediaId, MediaStorage, parse_file_name};
use crate::store::{PostStore, SharedStore, StoreError};

/// How long a file stays reachable after its post is published (issue #6).
pub const KEEP_AFTER_PUBLISHING: SignedDuration = SignedDuration::from_hours(24);

/// What a sweep did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Expired objects a post still needs, extended to 24 h after the sweep.
    pub kept: Vec<MediaId>,
    /// Expired objects no post needs, deleted.
    pub deleted: Vec<MediaId>,
    /// Bytes the deleted objects took.
    pub freed_bytes: u64,
    /// Nothing was changed: the report says what a sweep would do.
    pub dry_run: bool,
}

/// Why a sweep stopped. Objects handled before the failure stay handled; the next sweep
/// carries on from what is left.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The posts that need media could not be read; nothing was deleted.
    #[error("cannot read which posts still need their media: {0}")]
    Store(#[from] StoreError),
    /// The media storage failed to list, extend or delete.
    #[error("media storage: {0}")]
    Hosting(#[from] HostingError),
}

/// Whether a sweep changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Apply,
    DryRun,
}

/// Extends the expired objects posts still need and deletes the other expired ones.
pub async fn sweep<S>(
    store: &S,
    storage: &dyn MediaStorage,
    now: Timestamp,
) -> Result<SweepReport, RetentionError>
where
    S: PostStore + ?Sized,
{
    run_once(store, storage, now, Mode::Apply).await
}

/// What [`sweep`] would do at `now`, without extending or deleting anything.
pub async fn dry_run<S>(
    store: &S,
    storage: &dyn MediaStorage,
    now: Timestamp,
) -> Result<SweepReport, RetentionError>
where
    S: PostStore + ?Sized,
{
    run_once(store, storage, now, Mode::DryRun).await
}

async fn run_once<S>(
    store: &S,
    storage: &dyn MediaStorage,
    now: Timestamp,
    mode: Mode,
) -> Result<SweepReport, RetentionError>
where
    S: PostStore + ?Sized,
{
    let mut report = SweepReport {
        dry_run: mode == Mode::DryRun,
        ..SweepReport::default()
    };
    let expired: Vec<_> = storage
        .list()
        .await?
        .into_iter()
        .filter(|object| object.keep_until < now)
        .collect();
    if expired.is_empty() {
        return Ok(report);
    }
    let published_after = now
        .checked_sub(KEEP_AFTER_PUBLISHING)
        .unwrap_or(Timestamp::MIN);
    let needed: HashSet<MediaId> = store
        .inputs_needing_media(published_after)
        .await?
        .iter()
        .flat_map(|input| referenced_media_ids(input))
        .collect();
    let keep_until = now
        .checked_add(KEEP_AFTER_PUBLISHING)
        .unwrap_or(Timestamp::MAX);
    for object in expired {
        if needed.contains(&object.id) {
            if mode == Mode::Apply {
                storage.retain_until(&object.id, keep_until).await?;
            }
            report.kept.push(object.id);
        } else if mode == Mode::DryRun || storage.delete(&object.id).await? {
            report.freed_bytes += object.size;
            report.deleted.push(object.id);
        }
    }
    Ok(report)
}

/// The media ids a text (a post's input JSON) points at: every `/media/{id}.{ext}` in it with
/// a valid id and a hosted kind's extension, whatever host precedes it (the filesystem's
/// `{public_base_url}/media/…` and a bucket's `…/media/…` alike). Ids are unguessable, so a
/// match on another host is a copy of our URL, and keeping its file is the safe side.
pub fn referenced_media_ids(text: &str) -> impl Iterator<Item = MediaId> + '_ {
    const MARKER: &str = "/media/";
    text.match_indices(MARKER).filter_map(|(at, _)| {
        let rest = text.get(at + MARKER.len()..)?;
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .unwrap_or(rest.len());
        // A sentence may end right after a URL: its full stop is not part of the name.
        let file_name = rest.get(..end)?.trim_end_matches('.');
        parse_file_name(file_name).ok().map(|(id, _)| id)
    })
}

/// Sweeps every `every` (the first right away) until `stop` resolves, logging what each
/// sweep did. Several processes may run it at once: deleting what another already deleted is
/// not an error.
pub async fn run_periodically(
    store: SharedStore,
    storage: Arc<dyn MediaStorage>,
    every: Duration,
    stop: impl Future<Output = ()>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticks.tick() => {}
        }
        match sweep(store.as_ref(), storage.as_ref(), store.now()).await {
            Ok(report) if report.kept.is_empty() && report.deleted.is_empty() => {}
            Ok(report) => tracing::info!(
                kept = report.kept.len(),
                deleted = report.deleted.len(),
                freed_bytes = report.freed_bytes,
                "media garbage collection"
            ),
            Err(error) => tracing::error!(%error, "media garbage collection failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_urls_are_found_in_a_post_input_on_any_host() {
        let a = "ab".repeat(20);
        let b = "0f".repeat(20);
        let input = format!(
            r#"{{"kind":"carousel","caption":"See https://x.example/media/{a}.jpg.","media":[{{"url":"http://127.0.0.1:8080/media/{a}.jpg"}},{{"url":"https://bucket.example/igpub/media/{b}.mp4?v=1"}}]}}"#
        );
        let found: Vec<String> = referenced_media_ids(&input)
            .map(|id| id.to_string())
            .collect();
        assert_eq!(found, vec![a.clone(), a, b]);
    }

    #[test]
    fn paths_that_are_not_hosted_files_are_ignored() {
        let input = format!(
            "https://a.example/media/photo.jpg https://a.example/media/{}.exe \
             https://a.example/media/{}.jpg /media/",
            "ab".repeat(20),
            "AB".repeat(20),
        );
        assert_eq!(referenced_media_ids(&input).count(), 0);
    }
}
