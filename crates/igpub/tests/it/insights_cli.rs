//! `igpub insights`: the flags parse as documented, a backfill pulls in 30-day windows and says
//! what it did, and the report comes out as CSV and JSON.

use clap::Parser as _;
use igpub::cli::insights::{InsightsCommand, PullArgs, ReportArgs, ReportFormat, pull, report};
use igpub::cli::{Cli, Command};
use igpub::store::testing::for_each_backend;
use igpub_sim::SimConfig;
use std::process::ExitCode;

use crate::insights_pull::env;

#[test]
fn pull_and_report_take_the_documented_flags() {
    let cli =
        Cli::try_parse_from(["igpub", "insights", "pull", "--backfill", "730"]).expect("parses");
    let Command::Insights(args) = cli.command else {
        panic!("an insights command")
    };
    assert!(matches!(
        args.command,
        InsightsCommand::Pull(PullArgs {
            backfill: Some(730),
            integration: None,
            ..
        })
    ));
    let cli = Cli::try_parse_from([
        "igpub",
        "insights",
        "report",
        "--integration",
        "0193c1d2-0000-7000-8000-000000000000",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-28",
        "--format",
        "json",
    ])
    .expect("parses");
    let Command::Insights(args) = cli.command else {
        panic!("an insights command")
    };
    let InsightsCommand::Report(report) = args.command else {
        panic!("a report")
    };
    assert_eq!(report.format, ReportFormat::Json);
    assert_eq!(report.since.to_string(), "2026-11-01");
    let bad = Cli::try_parse_from(["igpub", "insights", "report", "--since", "yesterday"]);
    assert!(bad.is_err());
}

#[tokio::test]
async fn a_backfill_pulls_every_day_and_the_report_prints_them_as_csv_and_json() {
    for_each_backend(|backend| async move {
        let env = env(backend, SimConfig::instant()).await;
        let ctx = env.context("v25.0");
        let mut printed = Vec::new();
        let code = pull(
            &ctx,
            PullArgs {
                integration: Some(env.integration.id.to_string()),
                backfill: Some(40),
                account_only: true,
            },
            &mut printed,
        )
        .await
        .expect("the pull runs");
        assert_eq!(code, ExitCode::SUCCESS);
        let printed = String::from_utf8(printed).expect("text");
        assert!(printed.contains("account"), "{printed}");
        assert!(printed.contains(": done;"), "{printed}");
        // follower_count only exists for the last 30 days (graph-api.md §4.1).
        assert!(printed.contains("note: follower_count"), "{printed}");

        let range = ctx.last_complete_days(40).expect("a range");
        let report_of = |format| ReportArgs {
            integration: env.integration.id.to_string(),
            since: range.first(),
            until: range.last(),
            format,
            metrics: vec!["likes".into(), "reach".into()],
            posts: false,
            top_by: None,
            limit: 10,
        };
        let mut csv = Vec::new();
        report(&ctx, report_of(ReportFormat::Csv), &mut csv)
            .await
            .expect("a report");
        let csv = String::from_utf8(csv).expect("text");
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("date,likes,reach,served_by"));
        let first = lines.next().expect("a first day");
        let likes = env.truth("likes", range.first());
        assert!(
            first.starts_with(&format!("{},{likes},", range.first())),
            "{first}"
        );
        assert_eq!(csv.lines().count(), 41);

        let mut json = Vec::new();
        report(&ctx, report_of(ReportFormat::Json), &mut json)
            .await
            .expect("a report");
        let json: serde_json::Value = serde_json::from_slice(&json).expect("json");
        assert_eq!(json["table"]["rows"].as_array().map(Vec::len), Some(40));
        assert_eq!(json["ig_user_id"], env.account.ig_user_id.as_str());
    })
    .await;
}
