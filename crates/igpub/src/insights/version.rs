//! Graph API versions and the dated changes Meta makes to them.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

/// A Graph API version such as `v25.0`. Meta only ships `vNN.0`, so the major number is the
/// whole identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphVersion(u16);

impl GraphVersion {
    /// v19.0, the oldest version igpub speaks (graph-api.md §1).
    pub const V19: Self = Self(19);
    /// v20.0: demographics timeframes narrowed.
    pub const V20: Self = Self(20);
    /// v21.0: media `video_views` and several account time series removed.
    pub const V21: Self = Self(21);
    /// v22.0: `views` introduced, `impressions` and `plays` removed.
    pub const V22: Self = Self(22);
    /// v23.0.
    pub const V23: Self = Self(23);
    /// v24.0.
    pub const V24: Self = Self(24);
    /// v25.0, igpub's default version (design.md, Configuration).
    pub const V25: Self = Self(25);
    /// v26.0.
    pub const V26: Self = Self(26);

    /// The version with this major number.
    pub const fn new(major: u16) -> Self {
        Self(major)
    }

    /// The major number: 25 for `v25.0`.
    pub const fn major(self) -> u16 {
        self.0
    }
}

impl serde::Serialize for GraphVersion {
    /// As Meta writes it: `"v25.0"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.0", self.0)
    }
}

/// A version string that is not of the form `vNN.0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("graph API version `{input}` is not valid: expected the form `v25.0`")]
pub struct InvalidGraphVersion {
    input: String,
}

impl FromStr for GraphVersion {
    type Err = InvalidGraphVersion;

    /// Accepts `v25.0`, `25.0`, `v25` and `25`; Meta never ships a minor version other than 0.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidGraphVersion {
            input: s.chars().take(32).collect(),
        };
        let trimmed = s.trim();
        let without_v = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let major = without_v.strip_suffix(".0").unwrap_or(without_v);
        if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        major.parse::<u16>().map(Self).map_err(|_| invalid())
    }
}

/// A change Meta made: first in one version, and often later for every version from a date
/// (graph-api.md §1, "Version-/date-gated IG behaviour").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The first version that has the change, if it came with a version.
    pub in_version: Option<GraphVersion>,
    /// The day from which every version has the change, if Meta rolled it out to all.
    pub for_all_versions_on: Option<Date>,
}

impl Change {
    /// A change made before the oldest version igpub speaks, so every call sees it.
    pub const BEFORE_ALL_SUPPORTED_VERSIONS: Self = Self {
        in_version: Some(GraphVersion(0)),
        for_all_versions_on: None,
    };

    /// A change that came with `version` and later reached every version on `date`.
    pub const fn in_version_then_all_on(version: GraphVersion, date: Date) -> Self {
        Self {
            in_version: Some(version),
            for_all_versions_on: Some(date),
        }
    }

    /// A change that reached every version on one day.
    pub const fn all_versions_on(date: Date) -> Self {
        Self {
            in_version: None,
            for_all_versions_on: Some(date),
        }
    }

    /// Whether a call made with `version` on `today` sees the change.
    pub fn has_happened(&self, version: GraphVersion, today: Date) -> bool {
        let by_version = self.in_version.is_some_and(|v| version >= v);
        let by_date = self.for_all_versions_on.is_some_and(|d| today >= d);
        by_version || by_date
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.in_version, self.for_all_versions_on) {
            (Some(GraphVersion(0)), _) => f.write_str("before v19.0"),
            (Some(v), Some(d)) => write!(f, "in {v}, and for all versions since {d}"),
            (Some(v), None) => write!(f, "in {v}"),
            (None, Some(d)) => write!(f, "for all versions since {d}"),
            (None, None) => f.write_str("at an unknown time"),
        }
    }
}

/// When a metric (or one shape of it) can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Availability {
    /// When it appeared; `None` means before every version igpub speaks.
    pub introduced: Option<Change>,
    /// When it was removed, if it was.
    pub removed: Option<Change>,
}

impl Availability {
    /// Available in every version igpub speaks.
    pub const ALWAYS: Self = Self {
        introduced: None,
        removed: None,
    };

    /// Whether a call made with `version` on `today` may ask for it.
    pub fn is_available(&self, version: GraphVersion, today: Date) -> bool {
        let introduced = self
            .introduced
            .is_none_or(|c| c.has_happened(version, today));
        let removed = self.removed.is_some_and(|c| c.has_happened(version, today));
        introduced && !removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn version_parses_every_spelling_meta_and_users_write() {
        for s in ["v25.0", "25.0", "v25", "25", " v25.0 "] {
            assert_eq!(s.parse::<GraphVersion>(), Ok(GraphVersion::V25), "{s}");
        }
        assert_eq!(GraphVersion::V21.to_string(), "v21.0");
    }

    #[test]
    fn version_rejects_minor_versions_and_garbage() {
        for s in ["", "v", "v25.1", "latest", "v-1.0", "v99999999.0", "v2 5"] {
            assert!(s.parse::<GraphVersion>().is_err(), "{s}");
        }
    }

    #[test]
    fn a_change_reaches_old_versions_on_its_all_versions_date() {
        let change = Change::in_version_then_all_on(GraphVersion::V22, date(2025, 4, 21));
        assert!(!change.has_happened(GraphVersion::V21, date(2025, 4, 20)));
        assert!(change.has_happened(GraphVersion::V21, date(2025, 4, 21)));
        assert!(change.has_happened(GraphVersion::V22, date(2025, 1, 1)));
    }

    #[test]
    fn availability_is_closed_by_removal() {
        let retired = Availability {
            introduced: None,
            removed: Some(Change::in_version_then_all_on(
                GraphVersion::V21,
                date(2025, 1, 8),
            )),
        };
        assert!(retired.is_available(GraphVersion::V20, date(2025, 1, 7)));
        assert!(!retired.is_available(GraphVersion::V20, date(2025, 1, 8)));
        assert!(!retired.is_available(GraphVersion::V21, date(2024, 12, 1)));
    }
}
