//! `igpub demo`: the whole product on one machine, with no set-up (see [`crate::demo`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::demo::{DEFAULT_DATA_DIR, Demo, DemoOptions, PREFERRED_PORT};

/// Flags of `igpub demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Start over: delete the demo's data directory (database, key, media) first.
    #[arg(long)]
    pub fresh: bool,
    /// Where the demo keeps its SQLite database, vault key and hosted media.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// The port to serve on; when it is taken, any free port is used.
    #[arg(long, default_value_t = PREFERRED_PORT)]
    pub port: u16,
    /// Seconds the simulated Meta takes to process an image.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub image_processing: f64,
}

/// Starts the demo, prints where to look, and runs until Ctrl-C.
pub async fn run(global: &super::GlobalArgs, args: DemoArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(global.log_format);
    let image_processing = Duration::try_from_secs_f64(args.image_processing).map_err(|_| {
        anyhow::anyhow!("--image-processing must be a number of seconds, 0 or more")
    })?;
    let options = DemoOptions {
        data_dir: args.data_dir,
        fresh: args.fresh,
        port: args.port,
        image_processing,
        ..DemoOptions::default()
    };
    eprintln!("Starting the igpub demo (simulator, server, worker)…");
    let demo = Demo::start(options).await?;
    println!("{}", demo.welcome());
    let signal = tokio::signal::ctrl_c().await;
    eprintln!("\nStopping: letting in-flight work finish…");
    demo.shutdown().await;
    signal?;
    eprintln!("Stopped. Run `igpub demo` again to continue where you left off.");
    Ok(ExitCode::SUCCESS)
}
