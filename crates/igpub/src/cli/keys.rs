//! `igpub keys generate|rotate`: the vault's key ring (see [`crate::vault`]).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;

use super::GlobalArgs;
use crate::store::{Store, StoreError};
use crate::vault::{KeyRing, SECRET_KEYS_VARIABLE};

/// Secrets re-encrypted per batch unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 100;

/// Flags of `igpub keys`.
#[derive(Debug, Args)]
#[command(about = "Make encryption keys and re-encrypt stored tokens under the active one")]
pub struct KeysArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// `igpub keys …` commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random 256-bit key in the form IGPUB_SECRET_KEYS and the key file expect.
    Generate,
    /// Re-encrypt every stored secret under the active (first) key, batch by batch.
    ///
    /// To rotate: put a new key first in IGPUB_SECRET_KEYS (or the key file), keep the old keys
    /// after it, run this until it reports 0 remaining, then remove the old keys. It is safe to
    /// interrupt and run again: each secret is replaced on its own.
    Rotate {
        /// Secrets re-encrypted per batch.
        #[arg(long, default_value_t = DEFAULT_BATCH_SIZE, value_parser = clap::value_parser!(u32).range(1..))]
        batch_size: u32,
    },
}

/// Runs `igpub keys …`.
pub async fn run(global: &GlobalArgs, args: KeysArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match args.command {
        KeysCommand::Generate => generate(&mut out)?,
        KeysCommand::Rotate { batch_size } => {
            let store = global.open_store().await?;
            let rotated = rotate_all(store.as_ref(), batch_size, &mut out).await;
            store.close().await;
            rotated?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a new key, and how to use it, to `out`.
pub fn generate(out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "{}", KeyRing::generate_key().expose_secret())?;
    eprintln!(
        "Put this key first in {SECRET_KEYS_VARIABLE} (comma-separated) or the key file; keep \
         older keys after it until `igpub keys rotate` reports 0 remaining."
    );
    Ok(())
}

/// Why a rotation stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The store refused a batch (e.g. a secret that does not decrypt with any key).
    #[error("key rotation stopped after re-encrypting {done} secret(s): {source}")]
    Store {
        /// Secrets re-encrypted before the failure (they stay re-encrypted).
        done: u64,
        /// Why the batch failed.
        source: StoreError,
    },
    /// A batch re-encrypted nothing although secrets remain: another process keeps changing
    /// them, or the ring changed under this one.
    #[error(
        "key rotation made no progress with {remaining} secret(s) remaining; run it again, and \
         check that every igpub process uses the same {SECRET_KEYS_VARIABLE}"
    )]
    Stalled {
        /// Secrets still under an older key.
        remaining: u64,
    },
    /// Progress could not be written.
    #[error("cannot write progress: {0}")]
    Output(#[from] std::io::Error),
}

/// Re-encrypts every secret under the active key in batches of `batch_size`, writing progress
/// to `out`; returns how many were re-encrypted.
pub async fn rotate_all(
    store: &dyn Store,
    batch_size: u32,
    out: &mut dyn Write,
) -> Result<u64, RotateError> {
    let mut done = 0u64;
    loop {
        let report = store
            .rotate_tokens(batch_size)
            .await
            .map_err(|source| RotateError::Store { done, source })?;
        done += report.re_encrypted;
        writeln!(
            out,
            "re-encrypted {done} secret(s) so far, {} remaining",
            report.remaining
        )?;
        if report.remaining == 0 {
            writeln!(out, "done: every stored secret is under the active key")?;
            return Ok(done);
        }
        if report.re_encrypted == 0 {
            return Err(RotateError::Stalled {
                remaining: report.remaining,
            });
        }
    }
}
