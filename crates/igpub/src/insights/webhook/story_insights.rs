//! The `story_insights` webhook value and its mapping onto today's story metrics.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::insights::definition::BreakdownValue;
use crate::insights::object::Surface;
use crate::insights::registry::Registry;

/// A story's final numbers, sent when it expires, under the legacy metric names
/// (graph-api.md §8.2: `impressions`, `taps_forward`, `taps_back`, `exits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryInsightsEvent {
    /// The story's media id.
    pub media_id: String,
    /// Every integer field, by the name Meta sent.
    pub values: BTreeMap<String, i64>,
    /// Fields that were not integers, kept by name so nothing vanishes silently.
    pub ignored: Vec<String>,
}

/// One media metric row made from a `story_insights` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryMetricRow {
    /// The story's media id.
    pub media_id: String,
    /// Today's metric (`views` for `impressions`, `navigation` for the taps).
    pub metric: String,
    /// The breakdown value the legacy name became (`tap_forward`), if any.
    pub breakdown: Option<BreakdownValue>,
    /// The value.
    pub value: i64,
    /// The name Meta sent.
    pub raw_name: String,
}

impl StoryInsightsEvent {
    /// Reads the value object; the error names what is missing.
    pub(super) fn from_value(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| "story_insights value: expected an object".to_owned())?;
        let media_id = match object.get("media_id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            _ => return Err("story_insights value.media_id: expected a string id".to_owned()),
        };
        let mut values = BTreeMap::new();
        let mut ignored = Vec::new();
        for (name, item) in object.iter().filter(|(name, _)| *name != "media_id") {
            match item.as_i64() {
                Some(n) => {
                    values.insert(name.clone(), n);
                }
                None => ignored.push(name.clone()),
            }
        }
        Ok(Self {
            media_id,
            values,
            ignored,
        })
    }

    /// The values as media metric rows under today's names, through the registry's lineage;
    /// a name the registry does not know keeps its own name.
    pub fn metric_rows(&self, registry: &Registry) -> Vec<StoryMetricRow> {
        self.values
            .iter()
            .map(|(raw_name, value)| {
                let (metric, breakdown) = registry
                    .current_name(Surface::Story, raw_name)
                    .map_or_else(|| (raw_name.clone(), None), |(m, b)| (m.to_owned(), b));
                StoryMetricRow {
                    media_id: self.media_id.clone(),
                    metric,
                    breakdown,
                    value: *value,
                    raw_name: raw_name.clone(),
                }
            })
            .collect()
    }
}
