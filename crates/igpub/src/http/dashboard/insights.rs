//! The insights page: daily reach, views and interactions of an account as server-side SVG line
//! charts, the summary against the previous period, the top posts, a CSV download, and a
//! button that pulls the latest days from Meta.
//!
//! Reports are built from stored values ([`crate::insights::account_report`]); only the refresh
//! calls Meta, through the same pulls as the scheduled ones.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::chart::LineChart;
use super::error::PageError;
use super::layout::{Chrome, page};
use super::paths;
use super::session::{Signed, see_other};
use crate::http::state::AppState;
use crate::insights::{
    AccountReport, AccountReportRequest, Aggregation, Figure, InsightsContext, InsightsError,
    MediaSelection, Period, PostReportRequest, PullError, PullOutcome, account_report,
    account_report_csv, post_report, pull_account_daily, pull_recent_media,
};
use crate::store::{Integration, IntegrationId, IntegrationStatus, TenantScope};

/// The routes of the insights page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::INSIGHTS, get(insights_page))
        .route("/app/insights/refresh", post(refresh))
        .route("/app/insights/export.csv", get(export_csv))
}

/// The charts, in order: (series, title).
const CHARTS: [(&str, &str); 3] = [
    ("reach", "Reach"),
    ("views", "Views"),
    ("total_interactions", "Interactions"),
];

/// The periods offered, in days.
const PERIODS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// Top posts listed.
const TOP_POSTS: usize = 10;

/// The query of the page and the CSV.
#[derive(Debug, Default, Deserialize)]
struct InsightsQuery {
    integration: Option<String>,
    days: Option<i64>,
    notice: Option<String>,
}

/// One drawn chart.
#[derive(Debug, Clone)]
pub struct ChartView {
    /// Its title.
    pub title: &'static str,
    /// The SVG, made by [`LineChart`] (ours, escaped).
    pub svg: String,
    /// The period figure, e.g. `283,737 in total` or `5,865 a day on average`.
    pub figure: String,
    /// The change against the previous period, when the two compare.
    pub change: Option<String>,
}

/// One top post.
#[derive(Debug, Clone)]
pub struct TopPostView {
    /// Meta's media id.
    pub media_id: String,
    /// Its kind.
    pub kind: String,
    /// The day it went live.
    pub published_on: String,
    /// Its permalink, when known.
    pub permalink: Option<String>,
    /// Reach, views and interactions (blank when missing).
    pub values: Vec<String>,
}

/// An option of the account or period picker.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Its value.
    pub value: String,
    /// Its label.
    pub label: String,
    /// Chosen now.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/insights.html")]
struct InsightsPage {
    chrome: Chrome,
    accounts: Vec<Choice>,
    periods: Vec<Choice>,
    integration_id: String,
    username: String,
    days: i64,
    range: String,
    charts: Vec<ChartView>,
    top_columns: Vec<&'static str>,
    top_posts: Vec<TopPostView>,
    failures: Vec<String>,
    notice: Option<&'static str>,
    csv_href: String,
}

fn context(state: &AppState) -> InsightsContext {
    InsightsContext::new(state.store.clone(), state.graph.clone())
}

/// The account asked for, or the first that can be shown.
async fn chosen(
    state: &AppState,
    signed: &Signed,
    asked: Option<&str>,
) -> Result<(Vec<Integration>, Option<Integration>), PageError> {
    let integrations: Vec<Integration> = state
        .store
        .list_integrations(TenantScope::Tenant(signed.tenant()))
        .await?
        .into_iter()
        .filter(|i| i.status != IntegrationStatus::Disconnected)
        .collect();
    let asked: Option<IntegrationId> = asked.and_then(|text| text.parse().ok());
    let found = match asked {
        Some(id) => integrations.iter().find(|i| i.id == id).cloned(),
        None => integrations.first().cloned(),
    };
    if asked.is_some() && found.is_none() {
        return Err(PageError::NotFound("account"));
    }
    Ok((integrations, found))
}

fn days_of(asked: Option<i64>) -> i64 {
    asked
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(DEFAULT_DAYS)
}

async fn report(
    state: &AppState,
    signed: &Signed,
    integration: &Integration,
    days: i64,
) -> Result<AccountReport, PageError> {
    let ctx = context(state);
    let range = ctx.last_complete_days(days).map_err(pull_error)?;
    let version = ctx.version().map_err(pull_error)?;
    account_report(
        &ctx.store,
        &ctx.registry,
        version,
        ctx.now(),
        signed.tenant(),
        integration.id,
        &AccountReportRequest {
            range,
            columns: Vec::new(),
            period: Period::Day,
        },
    )
    .await
    .map_err(insights_error)
}

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "refreshed" => Some("The latest days were pulled from Meta."),
        "paused" => Some("Meta asked us to slow down; the pull resumes by itself later."),
        "reconnect" => Some("Meta refused the token: reconnect the account to pull insights."),
        _ => None,
    }
}

async fn insights_page(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    let days = days_of(query.days);
    let (integrations, integration) = chosen(&state, &signed, query.integration.as_deref()).await?;
    let accounts = integrations
        .iter()
        .map(|i| Choice {
            value: i.id.to_string(),
            label: format!("@{}", i.metadata.ig_username),
            selected: integration.as_ref().is_some_and(|chosen| chosen.id == i.id),
        })
        .collect();
    let periods = PERIODS
        .iter()
        .map(|d| Choice {
            value: d.to_string(),
            label: format!("Last {d} days"),
            selected: *d == days,
        })
        .collect();
    let notice = query.notice.as_deref().and_then(notice_text);
    let mut page_view = InsightsPage {
        chrome: Chrome::signed_in("Insights", "insights", &signed),
        accounts,
        periods,
        integration_id: String::new(),
        username: String::new(),
        days,
        range: String::new(),
        charts: Vec::new(),
        top_columns: CHARTS.iter().map(|(_, title)| *title).collect(),
        top_posts: Vec::new(),
        failures: Vec::new(),
        notice,
        csv_href: String::new(),
    };
    let Some(integration) = integration else {
        return Ok(page(&page_view));
    };
    let report = report(&state, &signed, &integration, days).await?;
    page_view.integration_id = integration.id.to_string();
    page_view.username = integration.metadata.ig_username.clone();
    page_view.range = format!(
        "{} to {}",
        report.report.table.range.first(),
        report.report.table.range.last()
    );
    page_view.csv_href = format!(
        "/app/insights/export.csv?integration={}&days={days}",
        integration.id
    );
    page_view.charts = charts(&report);
    page_view.failures = report
        .failures
        .iter()
        .map(|f| format!("{}: {}", f.metric, f.message))
        .collect();
    page_view.top_posts = top_posts(&state, &signed, &integration).await?;
    Ok(page(&page_view))
}

fn charts(report: &AccountReport) -> Vec<ChartView> {
    CHARTS
        .iter()
        .map(|(metric, title)| {
            let points = report
                .series
                .iter()
                .find(|series| series.metric == *metric)
                .map(|series| series.points.clone())
                .unwrap_or_default();
            let summary = report
                .report
                .summary
                .metrics
                .iter()
                .find(|m| m.metric == *metric);
            let figure = summary
                .and_then(|m| {
                    let value = m.current.value?;
                    Some(match (m.aggregation, value) {
                        (Aggregation::MeanPerDay, value) => {
                            format!(
                                "{} a day on average",
                                grouped(value.as_f64().round() as i64)
                            )
                        }
                        (_, Figure::Count(n)) => format!("{} in total", grouped(n)),
                        (_, Figure::Mean(x)) => grouped(x.round() as i64),
                    })
                })
                .unwrap_or_else(|| "no data yet".to_owned());
            let change = summary.and_then(|m| {
                let change = m.change?;
                let percent = m.percent_change?;
                let sign = if change.as_f64() >= 0.0 { "+" } else { "−" };
                let amount = grouped(change.as_f64().abs().round() as i64);
                Some(format!(
                    "{sign}{amount} ({percent:+.1}%) against the {days} days before",
                    days = report.report.table.range.len_days()
                ))
            });
            ChartView {
                title,
                svg: LineChart {
                    id: metric,
                    title: &format!("{title} per day"),
                    points: &points,
                }
                .to_svg(),
                figure,
                change,
            }
        })
        .collect()
}

async fn top_posts(
    state: &AppState,
    signed: &Signed,
    integration: &Integration,
) -> Result<Vec<TopPostView>, PageError> {
    let columns: Vec<String> = CHARTS.iter().map(|(m, _)| (*m).to_owned()).collect();
    let report = post_report(
        &state.store,
        &crate::insights::Registry::standard(),
        signed.tenant(),
        integration.id,
        &PostReportRequest {
            media_ids: None,
            columns,
            top_by: Some("reach".to_owned()),
            limit: TOP_POSTS,
        },
    )
    .await
    .map_err(insights_error)?;
    Ok(report
        .top
        .map(|top| top.rows)
        .unwrap_or_default()
        .into_iter()
        .map(|row| TopPostView {
            media_id: row.post.media_id,
            kind: serde_json::to_value(row.post.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
                .to_lowercase()
                .replace('_', " "),
            published_on: row
                .post
                .published_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            permalink: row.post.permalink,
            values: row
                .values
                .iter()
                .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
                .collect(),
        })
        .collect())
}

/// The refresh form.
#[derive(Debug, Deserialize)]
struct RefreshForm {
    integration: String,
    days: Option<i64>,
}

/// `POST /app/insights/refresh`: pulls the account's days and its recent posts from Meta.
async fn refresh(
    State(state): State<AppState>,
    signed: Signed,
    form: Result<Form<RefreshForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    let days = days_of(form.days);
    let (_, integration) = chosen(&state, &signed, Some(&form.integration)).await?;
    let integration = integration.ok_or(PageError::NotFound("account"))?;
    let ctx = context(&state);
    let range = ctx.last_complete_days(days).map_err(pull_error)?;
    let account = pull_account_daily(&ctx, &integration, range, None)
        .await
        .map_err(pull_error)?;
    let mut notice = outcome_notice(&account.outcome);
    if notice == "refreshed" {
        let media = pull_recent_media(&ctx, &integration, MediaSelection::Posts, None)
            .await
            .map_err(pull_error)?;
        notice = outcome_notice(&media.outcome);
    }
    Ok(see_other(&format!(
        "{}?integration={}&days={days}&notice={notice}",
        paths::INSIGHTS,
        integration.id
    )))
}

/// `1234567` → `1,234,567`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    if n < 0 {
        out.push('−');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn outcome_notice(outcome: &PullOutcome) -> &'static str {
    match outcome {
        PullOutcome::Completed => "refreshed",
        PullOutcome::Paused { .. } => "paused",
        PullOutcome::NeedsReconnect { .. } => "reconnect",
    }
}

/// `GET /app/insights/export.csv`: the daily table as CSV (an empty cell is a day without data).
async fn export_csv(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.map_err(|rejection| PageError::BadRequest(rejection.body_text()))?;
    let days = days_of(query.days);
    let (_, integration) = chosen(&state, &signed, query.integration.as_deref()).await?;
    let integration = integration.ok_or(PageError::NotFound("account"))?;
    let report = report(&state, &signed, &integration, days).await?;
    let csv =
        account_report_csv(&report).map_err(|error| PageError::Internal(error.to_string()))?;
    let range = &report.report.table.range;
    let file = format!(
        "attachment; filename=\"insights-{}-{}-{}.csv\"",
        safe_file_part(&integration.metadata.ig_username),
        range.first(),
        range.last()
    );
    let disposition = HeaderValue::from_str(&file)
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"insights.csv\""));
    Ok((
        StatusCode::OK,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv,
    )
        .into_response())
}

/// A username reduced to what is safe inside a quoted file name.
fn safe_file_part(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(30)
        .collect()
}

fn pull_error(error: PullError) -> PageError {
    match error {
        PullError::Store(store) => store.into(),
        PullError::NotActive { .. } => PageError::Conflict(error.to_string()),
        other => PageError::Internal(other.to_string()),
    }
}

fn insights_error(error: InsightsError) -> PageError {
    match error {
        InsightsError::Store(store) => store.into(),
        InsightsError::Pull(pull) => pull_error(pull),
        other => PageError::Internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_periods_are_taken() {
        assert_eq!(days_of(Some(7)), 7);
        assert_eq!(days_of(Some(3650)), DEFAULT_DAYS);
        assert_eq!(days_of(None), DEFAULT_DAYS);
    }

    #[test]
    fn figures_read_with_thousands_separators() {
        assert_eq!(grouped(283_737), "283,737");
        assert_eq!(grouped(12), "12");
        assert_eq!(grouped(-1_500), "−1,500");
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(safe_file_part("anna.k\"; x=1"), "anna.kx1");
    }

    #[test]
    fn only_known_notices_are_shown() {
        assert!(notice_text("refreshed").is_some());
        assert!(notice_text("<b>").is_none());
    }
}
