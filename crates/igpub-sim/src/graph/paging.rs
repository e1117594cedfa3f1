//! Cursor paging: `limit`, `after`, `before`, and `paging.cursors` / `paging.next` in the
//! answer (shared/graph-api.md §3.1, §3.4).

use crate::error::MetaError;
use crate::ids::{cursor, cursor_position};
use serde_json::{Map, Value, json};
use std::ops::Range;
use url::Url;

/// Graph's default page size (shared/graph-api.md §3.1).
pub const DEFAULT_LIMIT: usize = 25;
/// The largest page the simulator hands out.
pub const MAX_LIMIT: usize = 100;

/// Which slice of a list the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<usize>,
    pub before: Option<usize>,
}

impl PageRequest {
    /// Reads `limit`, `after` and `before` through `get`, so parameters and `.limit()` modifiers
    /// work alike.
    pub fn read<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, MetaError> {
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(limit) if limit > 0 => limit.min(MAX_LIMIT),
                _ => {
                    return Err(MetaError::invalid_parameter(
                        "Param limit must be a positive integer",
                    ));
                }
            },
        };
        let position = |name: &str| -> Result<Option<usize>, MetaError> {
            match get(name) {
                None => Ok(None),
                Some(text) => cursor_position(text).map(Some).ok_or_else(|| {
                    MetaError::invalid_parameter(format!("The {name} cursor is not valid"))
                }),
            }
        };
        Ok(Self {
            limit,
            after: position("after")?,
            before: position("before")?,
        })
    }

    /// The positions of a list of `len` items this request covers.
    pub fn range(&self, len: usize) -> Range<usize> {
        if let Some(before) = self.before {
            let end = before.min(len);
            return end.saturating_sub(self.limit)..end;
        }
        let start = self
            .after
            .map_or(0, |after| after.saturating_add(1))
            .min(len);
        start..start.saturating_add(self.limit).min(len)
    }
}

/// The `paging` object for `range` of a list of `len` items. `link` turns a cursor parameter
/// (`after=…` / `before=…`) into the URL of that page.
pub fn paging(range: &Range<usize>, len: usize, link: impl Fn(&str, &str) -> Url) -> Option<Value> {
    if range.is_empty() {
        return None;
    }
    let before = cursor(range.start);
    let after = cursor(range.end - 1);
    let mut paging = Map::new();
    paging.insert("cursors".into(), json!({"before": before, "after": after}));
    if range.start > 0 {
        paging.insert("previous".into(), json!(link("before", &before).as_str()));
    }
    // graph-api.md §3.1: `next` only when more items exist.
    if range.end < len {
        paging.insert("next".into(), json!(link("after", &after).as_str()));
    }
    Some(Value::Object(paging))
}

/// `{"data": items, "paging": …}`, with `paging` left out for an empty page.
pub fn list(items: Vec<Value>, paging: Option<Value>) -> Value {
    let mut body = Map::new();
    body.insert("data".into(), Value::Array(items));
    if let Some(paging) = paging {
        body.insert("paging".into(), paging);
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(limit: usize, after: Option<usize>, before: Option<usize>) -> PageRequest {
        PageRequest {
            limit,
            after,
            before,
        }
    }

    #[test]
    fn after_starts_just_past_its_cursor() {
        assert_eq!(request(2, Some(1), None).range(5), 2..4);
        assert_eq!(request(2, None, None).range(5), 0..2);
        assert_eq!(request(10, Some(3), None).range(5), 4..5);
    }

    #[test]
    fn before_ends_at_its_cursor() {
        assert_eq!(request(2, None, Some(4)).range(5), 2..4);
    }

    #[test]
    fn next_appears_only_when_more_items_remain() {
        let Ok(base) = Url::parse("http://127.0.0.1/x") else {
            return;
        };
        let link = |_: &str, _: &str| base.clone();
        let first = paging(&(0..2), 3, link).unwrap_or_default();
        assert!(first.get("next").is_some());
        let last = paging(&(2..3), 3, link).unwrap_or_default();
        assert!(last.get("next").is_none());
        assert!(last.get("previous").is_some());
    }

    #[test]
    fn a_zero_limit_is_refused() {
        let refused = PageRequest::read(|name| (name == "limit").then_some("0"));
        assert_eq!(refused.err().map(|e| e.code), Some(100));
    }
}
