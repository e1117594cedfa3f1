//! One Graph call as plain data: verb, answering version, path, merged parameters and token.
//! The same value comes from an HTTP request, a batch sub-request or one id of a multi-get.

use crate::config::{NEWEST_VERSION, OLDEST_ACCEPTED_VERSION, OLDEST_AVAILABLE_VERSION};
use crate::error::MetaError;
use std::collections::BTreeMap;

/// The HTTP verbs Graph answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    /// Parses an HTTP method name, in any case.
    pub fn parse(method: &str) -> Option<Self> {
        match method.to_ascii_uppercase().as_str() {
            "GET" => Some(Verb::Get),
            "POST" => Some(Verb::Post),
            "DELETE" => Some(Verb::Delete),
            _ => None,
        }
    }

    /// The lower-case word Meta uses in "Unsupported get request".
    pub fn word(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Delete => "delete",
        }
    }
}

/// A parsed Graph call.
#[derive(Debug, Clone)]
pub struct GraphCall {
    pub verb: Verb,
    /// The version that answers, e.g. 25 (after upgrading expired versions).
    pub version: u32,
    /// Path segments after the version.
    pub path: Vec<String>,
    /// Query, form body and JSON body, merged; later sources win.
    pub params: BTreeMap<String, String>,
    /// From `access_token` or `Authorization: Bearer|OAuth` (shared/graph-api.md §2.1).
    pub token: Option<String>,
}

impl GraphCall {
    /// A parameter, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A parameter that is present and not blank.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.param(name).filter(|value| !value.trim().is_empty())
    }
}

/// Splits a path into its version (if the first segment is one) and the remaining segments.
/// Expired versions are answered by the oldest available one; unknown future versions are an
/// error (shared/graph-api.md §1).
pub fn split_version(path: &str, default_version: u32) -> Result<(u32, Vec<String>), MetaError> {
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(percent_decode)
        .collect();
    let version = match segments.first().and_then(|first| parse_version(first)) {
        None => default_version,
        Some(Ok(version)) => {
            segments.remove(0);
            version
        }
        Some(Err(error)) => return Err(error),
    };
    Ok((version, segments))
}

fn percent_decode(segment: &str) -> String {
    // Ids and edge names are plain ASCII: skip the decoder on the hot path.
    if !segment.contains(['%', '+']) {
        return segment.to_owned();
    }
    url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| segment.to_owned())
}

/// `Some` when the segment looks like `vNN.N`; then the answering version or an error.
fn parse_version(segment: &str) -> Option<Result<u32, MetaError>> {
    let rest = segment.strip_prefix('v')?;
    let (major, minor) = rest.split_once('.')?;
    let major: u32 = major.parse().ok()?;
    let _minor: u32 = minor.parse().ok()?;
    Some(if major > NEWEST_VERSION {
        Err(MetaError::unknown_path(&format!("/{segment}/")))
    } else if major < OLDEST_ACCEPTED_VERSION {
        Ok(OLDEST_AVAILABLE_VERSION)
    } else {
        Ok(major.max(OLDEST_AVAILABLE_VERSION))
    })
}

/// Merges `name=value` pairs from a query string or a form body.
pub fn merge_form(params: &mut BTreeMap<String, String>, form: &[u8]) {
    for (name, value) in url::form_urlencoded::parse(form) {
        params.insert(name.into_owned(), value.into_owned());
    }
}

/// Merges a JSON object body: strings as they are, anything else as its JSON text, which is how
/// Graph reads list parameters such as `children` (shared/graph-api.md §2.1, §11.3).
pub fn merge_json(params: &mut BTreeMap<String, String>, body: &[u8]) -> Result<(), MetaError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| MetaError::invalid_parameter("The request body is not valid JSON"))?;
    let serde_json::Value::Object(object) = value else {
        return Err(MetaError::invalid_parameter(
            "The request body must be a JSON object",
        ));
    };
    for (name, value) in object {
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        params.insert(name, text);
    }
    Ok(())
}

/// The token of an `Authorization: Bearer …` or `Authorization: OAuth …` header.
pub fn bearer_token(authorization: &str) -> Option<String> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth");
    (known && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versioned_path_loses_its_version_segment() {
        let (version, path) = split_version("/v23.0/17841/media", 25).unwrap_or_default();
        assert_eq!(version, 23);
        assert_eq!(path, vec!["17841", "media"]);
    }

    #[test]
    fn an_unversioned_path_gets_the_default_version() {
        let (version, _) = split_version("/me/accounts", 25).unwrap_or_default();
        assert_eq!(version, 25);
    }

    #[test]
    fn an_expired_version_is_answered_by_the_oldest_available() {
        let (version, _) = split_version("/v19.0/me", 25).unwrap_or_default();
        assert_eq!(version, OLDEST_AVAILABLE_VERSION);
    }

    #[test]
    fn a_future_version_is_an_unknown_path() {
        let code = split_version("/v99.0/me", 25).err().map(|error| error.code);
        assert_eq!(code, Some(2500));
    }

    #[test]
    fn json_lists_become_their_json_text() {
        let mut params = BTreeMap::new();
        let merged = merge_json(&mut params, br#"{"children":["1","2"],"caption":"hi"}"#);
        assert!(merged.is_ok());
        assert_eq!(
            params.get("children").map(String::as_str),
            Some(r#"["1","2"]"#)
        );
        assert_eq!(params.get("caption").map(String::as_str), Some("hi"));
    }

    #[test]
    fn bearer_and_oauth_schemes_both_carry_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc".to_owned()));
        assert_eq!(bearer_token("OAuth abc"), Some("abc".to_owned()));
        assert_eq!(bearer_token("Basic abc"), None);
    }
}
