//! Meta's time formats.
//!
//! Timestamps come as `2019-09-26T22:36:43+0000` (ISO 8601 with a colon-less offset, graph-api.md
//! §3.3, §4.1); they are read into `jiff::Timestamp` and written back as RFC 3339.

use jiff::Timestamp;

/// Parses `2019-09-26T22:36:43+0000`, and RFC 3339 for good measure.
pub fn parse_meta_timestamp(text: &str) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", text)
        .ok()
        .and_then(|parsed| parsed.to_timestamp().ok())
}

/// Serde for `Option<Timestamp>` fields in Meta's format.
pub(crate) mod option_meta_timestamp {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => parse_meta_timestamp(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}"))),
        }
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(timestamp) => serializer.serialize_str(&timestamp.to_string()),
            None => serializer.serialize_none(),
        }
    }
}

/// Serde for `Duration` as (fractional) seconds, for JSON output.
pub(crate) mod duration_secs {
    use serde::Serializer;
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_timestamps_with_colonless_offsets_parse() {
        let parsed = parse_meta_timestamp("2019-09-26T22:36:43+0000");
        assert_eq!(parsed.map(|t| t.as_second()), Some(1_569_537_403));
        let end_time = parse_meta_timestamp("2017-05-04T07:00:00+0000");
        assert_eq!(
            end_time.map(|t| t.to_string()).as_deref(),
            Some("2017-05-04T07:00:00Z")
        );
    }

    #[test]
    fn rfc3339_timestamps_parse_too() {
        assert!(parse_meta_timestamp("2026-07-14T07:00:00Z").is_some());
        assert!(parse_meta_timestamp("yesterday").is_none());
    }
}
