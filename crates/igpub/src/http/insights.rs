//! The insights API: an account's daily report, a post's lifetime metrics and the top posts,
//! as JSON or CSV, from what the pulls stored. Tenant-scoped: another tenant's integration or
//! post is a 404.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::AuthTenant;
use super::state::AppState;
use crate::insights::{
    AccountReportRequest, DateRange, GraphVersion, InsightsError, Period, PostInfo,
    PostReportRequest, Registry, account_report, account_report_csv, media_kind_of_post,
    meta_today, post_report, post_report_csv, post_report_listing,
};
use crate::store::{IntegrationId, PostId, StoreError};

/// Days an account report covers when `since` is not given.
const DEFAULT_REPORT_DAYS: i64 = 30;
/// Top posts listed when `limit` is not given.
const DEFAULT_TOP_POSTS: usize = 10;
/// The most top posts one request lists.
const MAX_TOP_POSTS: usize = 100;

/// The insights routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/integrations/{id}/insights", get(account_insights))
        .route("/v1/integrations/{id}/posts/insights", get(top_posts))
        .route("/v1/posts/{id}/insights", get(post_insights))
}

/// The OpenAPI description of this module, for the service's document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(account_insights, top_posts, post_insights),
    components(schemas(Format))
)]
pub struct InsightsApi;

/// `json` (default) or `csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The report as JSON, with the series, totals, summary and sources.
    Json,
    /// The table as CSV.
    Csv,
}

/// The account report's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountInsightsQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days before `until`).
    pub since: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (default: yesterday, the last complete day).
    pub until: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
    /// Comma-separated metrics (default: reach, views, accounts_engaged, total_interactions,
    /// likes, comments, saves, shares, profile_views, follower_count). Retired names are served
    /// by their successors.
    pub metrics: Option<String>,
    /// The period of the values: `day` (default), `week` or `days_28` for reach.
    pub period: Option<String>,
}

/// The per-post reports' query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostInsightsQuery {
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
    /// Comma-separated metrics (default: the lifetime metrics of the post's kind).
    pub metrics: Option<String>,
    /// Rank the posts by this metric (top posts only).
    pub top_by: Option<String>,
    /// How many top posts (default 10, at most 100).
    pub limit: Option<usize>,
}

fn invalid(field: &str, rule: &str, message: String) -> ApiError {
    ApiError::validation(
        message.clone(),
        vec![ErrorDetail {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message,
        }],
    )
}

fn date_param(field: &str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    text.map(|text| {
        text.parse::<Date>().map_err(|_| {
            invalid(
                field,
                "date",
                format!("`{field}` must be a day as YYYY-MM-DD, not {text:?}"),
            )
        })
    })
    .transpose()
}

fn metric_list(text: Option<&str>) -> Vec<String> {
    text.map(|text| {
        text.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn version(state: &AppState) -> GraphVersion {
    state
        .settings
        .meta
        .api_version
        .parse()
        .unwrap_or(GraphVersion::V25)
}

fn store_error(what: &str, error: StoreError) -> ApiError {
    if error.is_not_found() {
        ApiError::not_found(what)
    } else {
        ApiError::internal(error)
    }
}

fn insights_error(what: &str, error: InsightsError) -> ApiError {
    match error {
        InsightsError::Store(error) => store_error(what, error),
        InsightsError::UnknownMetric(unknown) => {
            invalid("metrics", "unknown_metric", unknown.to_string())
        }
        InsightsError::Range(error) => invalid("until", "after_since", error.to_string()),
        InsightsError::Report(error) => invalid("metrics", "report", error.to_string()),
        InsightsError::NotPublished(post) => ApiError::conflict(format!(
            "post {post} is not published yet, so it has no insights"
        )),
        other => ApiError::internal(other),
    }
}

fn rendered(
    format: Format,
    json: Result<String, String>,
    csv: impl FnOnce() -> Result<String, String>,
) -> Result<Response, ApiError> {
    let (content_type, body) = match format {
        Format::Json => ("application/json", json),
        Format::Csv => ("text/csv; charset=utf-8", csv()),
    };
    let body = body.map_err(ApiError::internal)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// An account's daily report: one row per day, one column per metric (a day without data is
/// `null` in JSON and empty in CSV, never 0), totals, the change against the previous period,
/// the series to draw, which Graph metric served each number, and the metrics Meta refused.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}/insights",
    tag = "insights",
    params(("id" = String, Path, description = "The integration"), AccountInsightsQuery),
    responses(
        (status = 200, description = "The report (JSON, or CSV with `format=csv`)", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv")
        )),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
        (status = 422, description = "A bad date, range or metric (the message lists the valid metrics)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn account_insights(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
    query: Result<Query<AccountInsightsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // A malformed query answers in the API's error shape, like every other error.
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let integration: IntegrationId = id.parse().map_err(|_| ApiError::not_found("integration"))?;
    let now = state.store.now();
    let yesterday = meta_today(now)
        .yesterday()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let until = date_param("until", query.until.as_deref())?.unwrap_or(yesterday);
    let since = match date_param("since", query.since.as_deref())? {
        Some(since) => since,
        None => until
            .checked_sub(jiff::Span::new().days(DEFAULT_REPORT_DAYS - 1))
            .map_err(|e| ApiError::internal(e.to_string()))?,
    };
    let range =
        DateRange::new(since, until).map_err(|e| invalid("until", "after_since", e.to_string()))?;
    let period = match query.period.as_deref() {
        None => Period::Day,
        Some(text) => text
            .parse()
            .map_err(|e: crate::insights::InvalidParameterValue| {
                invalid("period", "one_of", e.to_string())
            })?,
    };
    let request = AccountReportRequest {
        range,
        columns: metric_list(query.metrics.as_deref()),
        period,
    };
    let report = account_report(
        &state.store,
        &Registry::standard(),
        version(&state),
        now,
        tenant.id,
        integration,
        &request,
    )
    .await
    .map_err(|e| insights_error("integration", e))?;
    rendered(
        query.format.unwrap_or(Format::Json),
        serde_json::to_string(&report).map_err(|e| e.to_string()),
        || account_report_csv(&report).map_err(|e| e.to_string()),
    )
}

/// The lifetime metrics of the integration's posts, and the top posts by one metric.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}/posts/insights",
    tag = "insights",
    params(("id" = String, Path, description = "The integration"), PostInsightsQuery),
    responses(
        (status = 200, description = "The per-post report (JSON, or CSV with `format=csv`)", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv")
        )),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such integration for this tenant", body = ErrorBody),
        (status = 422, description = "`top_by` is not one of the columns", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn top_posts(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
    query: Result<Query<PostInsightsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // A malformed query answers in the API's error shape, like every other error.
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let integration: IntegrationId = id.parse().map_err(|_| ApiError::not_found("integration"))?;
    let request = PostReportRequest {
        media_ids: None,
        columns: metric_list(query.metrics.as_deref()),
        top_by: query.top_by.clone(),
        limit: query
            .limit
            .unwrap_or(DEFAULT_TOP_POSTS)
            .clamp(1, MAX_TOP_POSTS),
    };
    let report = post_report(
        &state.store,
        &Registry::standard(),
        tenant.id,
        integration,
        &request,
    )
    .await
    .map_err(|e| insights_error("integration", e))?;
    rendered(
        query.format.unwrap_or(Format::Json),
        serde_json::to_string(&report).map_err(|e| e.to_string()),
        || post_report_csv(&report).map_err(|e| e.to_string()),
    )
}

/// One post's lifetime metrics, read by the media id the publisher stored for it.
#[utoipa::path(
    get,
    path = "/v1/posts/{id}/insights",
    tag = "insights",
    params(("id" = String, Path, description = "The post"), PostInsightsQuery),
    responses(
        (status = 200, description = "The post's metrics (JSON, or CSV with `format=csv`)", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv")
        )),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 404, description = "No such post for this tenant", body = ErrorBody),
        (status = 409, description = "The post is not published yet", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn post_insights(
    State(state): State<AppState>,
    AuthTenant(tenant): AuthTenant,
    Path(id): Path<String>,
    query: Result<Query<PostInsightsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    // A malformed query answers in the API's error shape, like every other error.
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let post_id: PostId = id.parse().map_err(|_| ApiError::not_found("post"))?;
    let post = state
        .store
        .get_post(tenant.id, post_id)
        .await
        .map_err(|e| store_error("post", e))?;
    let Some(media_id) = post.media_id.clone() else {
        return Err(insights_error(
            "post",
            InsightsError::NotPublished(post_id.to_string()),
        ));
    };
    let known = media_kind_of_post(post.kind.as_str()).map(|kind| PostInfo {
        media_id: media_id.clone(),
        kind,
        published_on: post.published_at.map(meta_today),
        permalink: post.permalink.clone(),
    });
    let request = PostReportRequest {
        media_ids: Some(vec![media_id]),
        columns: metric_list(query.metrics.as_deref()),
        top_by: None,
        limit: 1,
    };
    let report = post_report_listing(
        &state.store,
        &Registry::standard(),
        tenant.id,
        post.integration_id,
        &request,
        known.into_iter().collect(),
    )
    .await
    .map_err(|e| insights_error("post", e))?;
    rendered(
        query.format.unwrap_or(Format::Json),
        serde_json::to_string(&report).map_err(|e| e.to_string()),
        || post_report_csv(&report).map_err(|e| e.to_string()),
    )
}
