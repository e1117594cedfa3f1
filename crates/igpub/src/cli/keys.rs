//! `igpub keys generate|rotate`: the vault's key ring (see [`crate::vault`]).
//!
//! `rotate` re-encrypts every secret the store keeps sealed (see [`SecretKind`]) and reports
//! how many of each kind it re-encrypted, so an operator sees that webhook secrets and
//! connect sessions were covered too, not only integration tokens.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use secrecy::ExposeSecret;

use super::GlobalArgs;
use crate::store::{KindRotation, SecretKind, Store, StoreError};
use crate::vault::{KeyRing, SECRET_KEYS_VARIABLE};

/// Secrets re-encrypted per batch unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 100;

/// Flags of `igpub keys`.
#[derive(Debug, Args)]
#[command(about = "Make encryption keys and re-encrypt stored secrets under the active one")]
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
    /// Covers every secret igpub keeps encrypted: integration tokens, tenants' Meta app
    /// secrets, outbound webhook signing secrets (deliveries keep the same signature) and the
    /// user tokens of pending connect sessions. Prints progress after each batch and, at the
    /// end, how many secrets of each kind were re-encrypted.
    ///
    /// To rotate: put a new key first in IGPUB_SECRET_KEYS (or the key file), keep the old keys
    /// after it, run this until it reports 0 remaining, then remove the old keys. It is safe to
    /// interrupt and run again: each secret is replaced on its own, and a run with nothing left
    /// to do changes nothing.
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
/// (with what remains of each kind) after every batch and, at the end, how many secrets of
/// each kind were re-encrypted; returns how many were re-encrypted in all.
pub async fn rotate_all(
    store: &dyn Store,
    batch_size: u32,
    out: &mut dyn Write,
) -> Result<u64, RotateError> {
    let mut done = KindTotals::default();
    loop {
        let report = match store.rotate_tokens(batch_size).await {
            Ok(report) => report,
            Err(source) => {
                let done = done.total();
                return Err(RotateError::Store { done, source });
            }
        };
        done.add(&report.kinds);
        write!(
            out,
            "re-encrypted {} secret(s) so far, {} remaining",
            done.total(),
            report.remaining
        )?;
        write_remaining_by_kind(out, &report.kinds)?;
        writeln!(out)?;
        if report.remaining == 0 {
            for (kind, count) in &done.by_kind {
                writeln!(out, "  {kind}: {count} re-encrypted")?;
            }
            writeln!(out, "done: every stored secret is under the active key")?;
            return Ok(done.total());
        }
        if report.re_encrypted == 0 {
            return Err(RotateError::Stalled {
                remaining: report.remaining,
            });
        }
    }
}

/// Secrets re-encrypted so far, per kind, in [`SecretKind::ALL`] order.
struct KindTotals {
    by_kind: [(SecretKind, u64); SecretKind::ALL.len()],
}

impl Default for KindTotals {
    fn default() -> Self {
        Self {
            by_kind: SecretKind::ALL.map(|kind| (kind, 0)),
        }
    }
}

impl KindTotals {
    fn add(&mut self, batch: &[KindRotation]) {
        for rotation in batch {
            if let Some((_, count)) = self.by_kind.iter_mut().find(|(k, _)| *k == rotation.kind) {
                *count += rotation.re_encrypted;
            }
        }
    }

    fn total(&self) -> u64 {
        self.by_kind.iter().map(|(_, count)| count).sum()
    }
}

/// ` (webhook signing secrets 2, …)`: the kinds that still have secrets under an old key, so a
/// stalled run shows where it is stuck.
fn write_remaining_by_kind(out: &mut dyn Write, kinds: &[KindRotation]) -> std::io::Result<()> {
    let mut pending = kinds.iter().filter(|k| k.remaining > 0);
    if let Some(first) = pending.next() {
        write!(out, " ({} {}", first.kind, first.remaining)?;
        for rest in pending {
            write!(out, ", {} {}", rest.kind, rest.remaining)?;
        }
        write!(out, ")")?;
    }
    Ok(())
}
