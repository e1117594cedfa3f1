//! CSV and JSON renderings of the reports, for the API and the CLI.

use serde::Serialize;

use super::daily::{ColumnTotal, DailyTable, DailyValue, ReportError};
use super::dates::DateRange;
use super::posts::PostTable;
use super::registry::Registry;
use super::summary::Summary;

/// A rendering that failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The CSV writer failed.
    #[error("CSV rendering failed: {0}")]
    Csv(#[from] csv::Error),
    /// The JSON serializer failed.
    #[error("JSON rendering failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The CSV bytes could not be taken back from the writer.
    #[error("CSV rendering failed: {0}")]
    Buffer(String),
}

/// The per-account report: the daily table, its totals, and the summary against the
/// previous period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReport {
    /// The daily table.
    pub table: DailyTable,
    /// Each column over the whole range.
    pub totals: Vec<ColumnTotal>,
    /// The comparison with the previous period of equal length.
    pub summary: Summary,
}

impl DailyReport {
    /// Builds the report; `values` should cover the previous period too.
    pub fn build(
        registry: &Registry,
        columns: &[&str],
        range: DateRange,
        values: &[DailyValue],
    ) -> Result<Self, ReportError> {
        let table = DailyTable::build(registry, columns, range, values)?;
        Ok(Self {
            totals: table.totals(),
            summary: Summary::build(registry, columns, range, values)?,
            table,
        })
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String, RenderError> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

/// The daily table as CSV: a `date` column, then one column per metric; a missing day is an
/// empty cell, never 0.
pub fn daily_table_csv(table: &DailyTable) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once("date").chain(table.columns.iter().map(|c| c.name.as_str()));
    writer.write_record(header)?;
    for row in &table.rows {
        let cells = std::iter::once(row.date.to_string()).chain(row.values.iter().map(cell));
        writer.write_record(cells)?;
    }
    finish(writer)
}

/// The per-post table as CSV: `media_id,kind,published_on,permalink`, then one column per
/// metric.
pub fn post_table_csv(table: &PostTable) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fixed = ["media_id", "kind", "published_on", "permalink"];
    writer.write_record(
        fixed
            .into_iter()
            .chain(table.columns.iter().map(String::as_str)),
    )?;
    for row in &table.rows {
        let post = &row.post;
        let fixed = [
            text_cell(&post.media_id),
            post.kind.to_string(),
            post.published_on.map(|d| d.to_string()).unwrap_or_default(),
            post.permalink.as_deref().map(text_cell).unwrap_or_default(),
        ];
        writer.write_record(fixed.into_iter().chain(row.values.iter().map(cell)))?;
    }
    finish(writer)
}

/// The per-post table as pretty JSON.
pub fn post_table_json(table: &PostTable) -> Result<String, RenderError> {
    Ok(serde_json::to_string_pretty(table)?)
}

fn cell(value: &Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Text from outside (ids, permalinks) that a spreadsheet would run as a formula gets a
/// leading `'` (OWASP "CSV injection"); numbers are written as numbers and never start so.
fn text_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, RenderError> {
    let bytes = writer
        .into_inner()
        .map_err(|e| RenderError::Buffer(e.error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| RenderError::Buffer(e.to_string()))
}
