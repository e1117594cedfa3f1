//! `igpub config show`: the settings in force, with every secret redacted.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::GlobalArgs;

/// Flags of `igpub config`.
#[derive(Debug, Args)]
#[command(about = "Show the settings igpub runs with")]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// `igpub config …` commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the settings as TOML after every layer (defaults, igpub.toml or --config, IGPUB_*
    /// variables), with secrets shown as `[redacted]` or `[unset]`.
    Show,
}

/// Runs `igpub config …`.
pub async fn run(global: &GlobalArgs, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Show => {
            let settings = global.settings()?;
            print!("{}", settings.redacted_toml());
        }
    }
    Ok(ExitCode::SUCCESS)
}
