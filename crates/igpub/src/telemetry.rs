//! Logging: human-readable by default, JSON lines with `--log-format json`.

use crate::metrics::GraphCallLayer;
use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, with span fields (request id, post id) included.
    Json,
}

/// Installs the global subscriber. `RUST_LOG` overrides the default filter (`info`, with
/// noisy dependencies at `warn`). Calling it twice is harmless: the second call does nothing.
///
/// Beside the log output it installs [`GraphCallLayer`], which counts the Graph client's
/// per-call events for `/metrics` whatever the log level (hence its own filter).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,hyper=warn,reqwest=warn,tower_http=warn")
    });
    let graph_calls =
        GraphCallLayer.with_filter(Targets::new().with_target("igpub_graph", Level::DEBUG));
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    let registry = tracing_subscriber::registry().with(graph_calls);
    let _already_installed = match format {
        LogFormat::Human => registry.with(output.with_filter(filter)).try_init(),
        LogFormat::Json => registry
            .with(
                output
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_filter(filter),
            )
            .try_init(),
    };
}
