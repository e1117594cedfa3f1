//! `igpub insights`: pull insights now (with a backfill of up to 2 years and a progress bar),
//! print an account's report as CSV or JSON, or run the scheduler.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;

use super::GlobalArgs;
use crate::insights::{
    AccountReportRequest, DateRange, InsightsContext, MediaSelection, Period, PostReportRequest,
    PullOutcome, PullProgress, PullReport, account_report, account_report_csv, backfill_range,
    graph_client_with_pauses, post_report, post_report_csv, pull_account_daily, pull_recent_media,
    schedule,
};
use crate::store::{Integration, IntegrationId, IntegrationStatus, SharedStore, TenantScope};

/// `igpub insights …`.
#[derive(Debug, Args)]
pub struct InsightsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: InsightsCommand,
}

/// The insights commands.
#[derive(Debug, Subcommand)]
pub enum InsightsCommand {
    /// Pull account metrics (and recent posts' and stories' lifetime metrics) from Meta now.
    Pull(PullArgs),
    /// Print an account's daily report (or its posts' report) from what was pulled.
    Report(ReportArgs),
    /// Run the insights scheduler until Ctrl-C (`igpub serve` and `igpub worker` can run it
    /// too).
    Schedule,
}

/// `igpub insights pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Only this integration (default: every active one).
    #[arg(long, value_name = "ID")]
    pub integration: Option<String>,
    /// Fetch this many days back (at most 2 years, in 30-day windows) instead of the last few.
    #[arg(long, value_name = "DAYS")]
    pub backfill: Option<u32>,
    /// Account metrics only: skip posts and stories.
    #[arg(long)]
    pub account_only: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Comma-separated values; an empty cell is a day without data.
    Csv,
    /// The whole report: table, totals, summary, series, sources and failures.
    Json,
}

/// `igpub insights report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The integration.
    #[arg(long, value_name = "ID")]
    pub integration: String,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub since: Date,
    /// Last day, included, YYYY-MM-DD.
    #[arg(long)]
    pub until: Date,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
    /// Comma-separated metrics (default: the daily report's ten).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// Report the posts' lifetime metrics instead of the account's days.
    #[arg(long)]
    pub posts: bool,
    /// With --posts: rank the posts by this metric.
    #[arg(long, value_name = "METRIC")]
    pub top_by: Option<String>,
    /// With --top-by: how many posts.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

/// Runs an insights command.
pub async fn run(global: &GlobalArgs, args: InsightsArgs) -> anyhow::Result<ExitCode> {
    let settings = global.settings()?;
    let store = global.open_store_with(&settings).await?;
    let graph = graph_client_with_pauses(
        crate::startup::graph_client_builder(&settings),
        std::sync::Arc::clone(&store),
    )
    .context("cannot build the Graph client (meta.graph_url / meta.api_version)")?;
    let ctx = InsightsContext::from_settings(store, graph, &settings);
    let mut out = std::io::stdout();
    match args.command {
        InsightsCommand::Pull(args) => pull(&ctx, args, &mut out).await,
        InsightsCommand::Report(args) => report(&ctx, args, &mut out).await,
        InsightsCommand::Schedule => {
            // The scheduler runs for days: its warnings (refused metrics, pauses) must be seen.
            crate::telemetry::init(global.log_format);
            schedule::run(ctx, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The integration with this id, of whichever tenant (the operator's CLI spans tenants).
async fn find_integration(store: &SharedStore, id: &str) -> anyhow::Result<Integration> {
    let wanted: IntegrationId = id
        .parse()
        .with_context(|| format!("--integration {id:?} is not an integration id"))?;
    store
        .list_integrations(TenantScope::AllTenants)
        .await?
        .into_iter()
        .find(|integration| integration.id == wanted)
        .with_context(|| format!("no integration {id}"))
}

/// `igpub insights pull`: pulls, with a progress bar on stderr, and writes what each pull did
/// to `out`. Fails when a pull could not finish.
pub async fn pull(
    ctx: &InsightsContext,
    args: PullArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<ExitCode> {
    let integrations = match &args.integration {
        Some(id) => vec![find_integration(&ctx.store, id).await?],
        None => ctx
            .store
            .list_integrations(TenantScope::AllTenants)
            .await?
            .into_iter()
            .filter(|i| i.status == IntegrationStatus::Active)
            .collect(),
    };
    if integrations.is_empty() {
        writeln!(out, "no active integration to pull")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = false;
    for integration in &integrations {
        let range = match args.backfill {
            Some(days) => backfill_range(ctx, days)?,
            None => ctx.last_complete_days(ctx.settings.account_lookback_days)?,
        };
        let label = format!("@{} account", integration.metadata.ig_username);
        let bar = progress_bar(&label);
        let shown = bar.clone();
        let progress = move |p: PullProgress| {
            shown.set_length(u64::try_from(p.total).unwrap_or(u64::MAX));
            shown.set_position(u64::try_from(p.done).unwrap_or(u64::MAX));
        };
        let account = pull_account_daily(ctx, integration, range, Some(&progress)).await;
        bar.finish_and_clear();
        failed |= print_pull(out, &label, range, account)?;
        if args.account_only {
            continue;
        }
        for (selection, what) in [
            (MediaSelection::Posts, "posts"),
            (MediaSelection::Stories, "stories"),
        ] {
            let label = format!("@{} {what}", integration.metadata.ig_username);
            let media = pull_recent_media(ctx, integration, selection, None).await;
            failed |= print_pull(out, &label, range, media)?;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar on stderr for one pull.
fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} requests ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}

/// Writes one pull's outcome; true when it failed.
fn print_pull(
    out: &mut (dyn Write + Send),
    label: &str,
    range: DateRange,
    result: Result<PullReport, crate::insights::PullError>,
) -> std::io::Result<bool> {
    match result {
        Err(error) => {
            writeln!(out, "{label}: {error}")?;
            Ok(true)
        }
        Ok(report) => {
            let outcome = match &report.outcome {
                PullOutcome::Completed => "done".to_owned(),
                PullOutcome::Paused { scope, until } => {
                    format!("paused by a rate limit ({scope} until {until})")
                }
                PullOutcome::NeedsReconnect { message } => {
                    format!("stopped: the account needs reconnecting ({message})")
                }
            };
            writeln!(
                out,
                "{label} {range} on {}: {outcome}; {} rows from {} requests in {} round trips",
                report.version, report.rows_written, report.requests, report.round_trips
            )?;
            for served in report.served.iter().filter(|s| s.asked != s.served_by) {
                writeln!(out, "  {} served by {}", served.asked, served.served_by)?;
            }
            for note in &report.notes {
                writeln!(out, "  note: {note}")?;
            }
            for failure in &report.failures {
                writeln!(
                    out,
                    "  {} of {} failed: {} (code {})",
                    failure.metric,
                    failure.object_id,
                    failure.message,
                    failure
                        .code
                        .map_or_else(|| "none".to_owned(), |c| c.to_string())
                )?;
            }
            Ok(!matches!(report.outcome, PullOutcome::Completed))
        }
    }
}

/// `igpub insights report`: writes the report to `out`.
pub async fn report(
    ctx: &InsightsContext,
    args: ReportArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<ExitCode> {
    let integration = find_integration(&ctx.store, &args.integration).await?;
    let text = if args.posts {
        let report = post_report(
            &ctx.store,
            &ctx.registry,
            integration.tenant_id,
            integration.id,
            &PostReportRequest {
                media_ids: None,
                columns: args.metrics,
                top_by: args.top_by,
                limit: args.limit,
            },
        )
        .await?;
        match args.format {
            ReportFormat::Csv => post_report_csv(&report)?,
            ReportFormat::Json => serde_json::to_string_pretty(&report)?,
        }
    } else {
        let range = DateRange::new(args.since, args.until).context("--since/--until")?;
        let report = account_report(
            &ctx.store,
            &ctx.registry,
            ctx.version()?,
            ctx.now(),
            integration.tenant_id,
            integration.id,
            &AccountReportRequest {
                range,
                columns: args.metrics,
                period: Period::Day,
            },
        )
        .await?;
        match args.format {
            ReportFormat::Csv => account_report_csv(&report)?,
            ReportFormat::Json => serde_json::to_string_pretty(&report)?,
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
