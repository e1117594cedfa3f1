//! `igpub media upload FILE`: host a file in the built-in media store for a tenant (as
//! `POST /v1/media` does) and print its record, whose `url` a post can use.
//! `igpub media gc`: one media garbage collection (the sweep `igpub serve` runs every
//! `media.gc_interval_seconds`), printing what it kept and deleted; `--dry-run` changes nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, Subcommand};
use jiff::SignedDuration;

use super::GlobalArgs;
use crate::http::media::RoleName;
use crate::media::fix::FixOptions;
use crate::media::hosting::{MediaKind, MediaStorage};
use crate::media::preflight::MediaRole;
use crate::media::retention::{self, SweepReport};
use crate::media::upload::{MAX_UPLOAD_BYTES, upload};
use crate::store::{MediaUpload, Store, TenantId};

/// How long an uploaded file is kept before a post extends it.
const KEEP_UPLOADS: SignedDuration = SignedDuration::from_hours(24 * 30);

/// Flags of `igpub media`.
#[derive(Debug, Args)]
#[command(about = "Host images and videos in the built-in media store")]
pub struct MediaArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MediaCommand,
}

/// `igpub media` subcommands.
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Host FILE for a tenant and print its id and public URL (JSON).
    Upload {
        /// The tenant the upload belongs to.
        #[arg(long)]
        tenant: TenantId,
        /// Convert, pad or scale an image so Instagram takes it (the original is kept).
        #[arg(long)]
        auto_fix: bool,
        /// What the file is for: feed-image (default for images), story-image, reel-cover,
        /// reel (default for videos) or story-video.
        #[arg(long, value_enum)]
        role: Option<RoleName>,
        /// The file (JPEG, PNG, WebP, MP4 or MOV; its kind is read from its bytes).
        file: PathBuf,
    },
    /// Delete hosted files no post needs any more (kept 24 h after publication) and print
    /// the report (JSON).
    Gc {
        /// List what would be kept and deleted without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `igpub media`.
pub async fn run(global: &GlobalArgs, args: MediaArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(global.log_format);
    let settings = global.settings()?;
    let store = global.open_store_with(&settings).await?;
    let storage = crate::startup::media_storage(&settings).await?;
    let printed = match args.command {
        MediaCommand::Upload {
            tenant,
            auto_fix,
            role,
            file,
        } => upload_file(
            store.as_ref(),
            storage.as_ref(),
            tenant,
            &file,
            role.map(RoleName::role),
            auto_fix,
        )
        .await
        .and_then(|record| Ok(serde_json::to_string_pretty(&record)?)),
        MediaCommand::Gc { dry_run } => collect(store.as_ref(), storage.as_ref(), dry_run)
            .await
            .and_then(|report| Ok(serde_json::to_string_pretty(&report)?)),
    };
    store.close().await;
    println!("{}", printed?);
    Ok(ExitCode::SUCCESS)
}

/// One media garbage collection at the store's time (see [`crate::media::retention`]);
/// with `dry_run`, only what it would do.
pub async fn collect(
    store: &dyn Store,
    storage: &dyn MediaStorage,
    dry_run: bool,
) -> anyhow::Result<SweepReport> {
    let now = store.now();
    let report = if dry_run {
        retention::dry_run(store, storage, now).await
    } else {
        retention::sweep(store, storage, now).await
    };
    report.context("media garbage collection")
}

/// Hosts `file` for `tenant` in `storage` and records the upload in `store`; `role` defaults
/// by the file's kind (feed image or reel).
pub async fn upload_file(
    store: &dyn Store,
    storage: &dyn MediaStorage,
    tenant: TenantId,
    file: &Path,
    role: Option<MediaRole>,
    auto_fix: bool,
) -> anyhow::Result<MediaUpload> {
    let size = tokio::fs::metadata(file)
        .await
        .with_context(|| format!("{}: cannot read it", file.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_UPLOAD_BYTES,
        "{}: {size} bytes; at most {MAX_UPLOAD_BYTES} are accepted",
        file.display()
    );
    let content = Bytes::from(
        tokio::fs::read(file)
            .await
            .with_context(|| format!("{}: cannot read it", file.display()))?,
    );
    let kind = MediaKind::detect(&content)
        .with_context(|| format!("{}: not a JPEG, PNG, WebP, MP4 or MOV file", file.display()))?;
    let role = role.unwrap_or(if kind.is_video() {
        MediaRole::Reel
    } else {
        MediaRole::FeedImage
    });
    store
        .get_tenant(tenant)
        .await
        .with_context(|| format!("--tenant {tenant}"))?;
    let now = store.now();
    let keep_until = now.saturating_add(KEEP_UPLOADS).unwrap_or(now);
    let fix = auto_fix.then(FixOptions::default);
    let hosted = upload(storage, content, role, fix.as_ref(), keep_until)
        .await
        .with_context(|| format!("{}: cannot host it", file.display()))?;
    Ok(store
        .insert_media_upload(tenant, crate::http::media::upload_record(&hosted))
        .await?)
}
