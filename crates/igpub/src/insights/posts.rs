//! The per-post table: each post's lifetime metrics, and the top posts by one of them.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::daily::ReportError;
use super::object::MediaKind;
use super::registry::Registry;

/// A post the table lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostInfo {
    /// Meta's media id.
    pub media_id: String,
    /// Its kind, which decides its metric set.
    pub kind: MediaKind,
    /// The day it was published, if known.
    pub published_on: Option<Date>,
    /// Its permalink, if known.
    pub permalink: Option<String>,
}

/// One stored lifetime value of a post, as the pull writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostValue {
    /// Meta's media id.
    pub media_id: String,
    /// The series it belongs to, or a name the registry maps onto one (`saved`, `plays`).
    pub metric: String,
    /// The value; `None` when Meta answered with no data.
    pub value: Option<i64>,
    /// The Graph metric that produced it.
    pub served_by: String,
}

/// One post with one value per column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostRow {
    /// The post.
    #[serde(flatten)]
    pub post: PostInfo,
    /// One value per column; `None` when missing or not a metric of this kind.
    pub values: Vec<Option<i64>>,
    /// The Graph metric behind each value, where it differs from the column name.
    pub served_by: Vec<Option<String>>,
}

/// Posts by lifetime metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostTable {
    /// The column names, in the order asked.
    pub columns: Vec<String>,
    /// One row per post, in the order given.
    pub rows: Vec<PostRow>,
}

impl PostTable {
    /// Builds the table; a value under an alias or a retired name (`saved`, `plays`) fills
    /// the column it continues (`saves`, `views`), and a present value beats a missing one.
    pub fn build(
        registry: &Registry,
        columns: &[&str],
        posts: &[PostInfo],
        values: &[PostValue],
    ) -> Self {
        let mut names: Vec<String> = Vec::new();
        for column in columns {
            if !names.iter().any(|n| n == column) {
                names.push((*column).to_owned());
            }
        }
        let rows = posts
            .iter()
            .map(|post| {
                let mut chosen: Vec<Option<&PostValue>> = vec![None; names.len()];
                if let Some(surface) = post.kind.surface() {
                    for value in values.iter().filter(|v| v.media_id == post.media_id) {
                        let series = registry.series_name(surface, &value.metric);
                        let column = names
                            .iter()
                            .position(|n| registry.series_name(surface, n) == series);
                        if let Some(slot) = column.and_then(|c| chosen.get_mut(c))
                            && slot.is_none_or(|held| held.value.is_none() && value.value.is_some())
                        {
                            *slot = Some(value);
                        }
                    }
                }
                PostRow {
                    post: post.clone(),
                    values: chosen.iter().map(|v| v.and_then(|v| v.value)).collect(),
                    served_by: chosen
                        .iter()
                        .zip(&names)
                        .map(|(v, name)| {
                            v.filter(|v| v.served_by != *name)
                                .map(|v| v.served_by.clone())
                        })
                        .collect(),
                }
            })
            .collect();
        Self {
            columns: names,
            rows,
        }
    }

    /// The `limit` posts with the highest value of `metric`, highest first; posts without a
    /// value are left out rather than ranked as 0, and ties go to the newer post, then the
    /// smaller media id, so the order is stable.
    pub fn top_by(&self, metric: &str, limit: usize) -> Result<Vec<&PostRow>, ReportError> {
        let col = self
            .columns
            .iter()
            .position(|c| c == metric)
            .ok_or_else(|| ReportError::UnknownColumn {
                metric: metric.chars().take(64).collect(),
                columns: self.columns.clone(),
            })?;
        let mut ranked: Vec<(i64, &PostRow)> = self
            .rows
            .iter()
            .filter_map(|row| row.values.get(col).copied().flatten().map(|v| (v, row)))
            .collect();
        ranked.sort_by(|(a, row_a), (b, row_b)| {
            b.cmp(a)
                .then_with(|| row_b.post.published_on.cmp(&row_a.post.published_on))
                .then_with(|| row_a.post.media_id.cmp(&row_b.post.media_id))
        });
        Ok(ranked.into_iter().take(limit).map(|(_, row)| row).collect())
    }
}
