//! The one error type of the client.
//!
//! It keeps Meta's error envelope whole (graph-api.md §6.1), tells transport failures that may
//! have reached Meta from those that certainly did not, names the JSON path of a decode failure
//! (serde_path_to_error), and carries container outcomes. No variant ever holds a token: every
//! text that came from the wire is scrubbed before it is stored.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

use crate::classify::{ErrorClass, classify};
use crate::container::ContainerStatusCode;
use crate::ids::ContainerId;
use crate::usage::UsageReport;

/// Everything that can go wrong talking to the Graph API. `Clone`, so one failed round trip
/// can answer every call it carried.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error envelope.
    #[error(transparent)]
    Api(Box<GraphApiError>),
    /// Meta (or something in front of it) answered with an error status and no Graph envelope.
    #[error("HTTP {status} from {endpoint} without a Graph error envelope: {body_excerpt}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// `METHOD path` of the request.
        endpoint: String,
        /// The start of the body, scrubbed of secrets.
        body_excerpt: String,
    },
    /// The request failed below HTTP: connect, timeout, reset.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// The response did not have the expected shape.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A container ended in ERROR or EXPIRED, or did not finish before the deadline.
    #[error(transparent)]
    Container(Box<ContainerFailure>),
    /// The caller's input breaks one of Meta's documented rules; nothing was sent.
    #[error("invalid {field}: {rule}")]
    InvalidInput {
        /// The field, as Meta or the caller names it.
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// Meta answered successfully, but not with what the call needs (e.g. another object's id).
    #[error("unexpected answer from {endpoint}: {what}")]
    UnexpectedResponse {
        /// `METHOD path` of the request.
        endpoint: String,
        /// What was wrong.
        what: String,
    },
    /// A batch sub-request got `null`: it timed out at Meta or its dependency failed (§9.1).
    #[error("batch request #{index}{} got no response (timed out at Meta or a dependency failed)", name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default())]
    BatchItemMissing {
        /// Position in the batch.
        index: usize,
        /// The sub-request's `name`, if it had one.
        name: Option<String>,
    },
    /// The client could not be built (bad base URL, version, TLS setup).
    #[error("client configuration: {0}")]
    Config(String),
}

/// Meta's error envelope, field for field (graph-api.md §6.1), plus where and how it arrived.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphApiError {
    /// `message`; often `(#100) …`, or a short generic text for publishing errors.
    pub message: String,
    /// `type`, e.g. `OAuthException`, `GraphMethodException`.
    pub error_type: String,
    /// `code`.
    pub code: i64,
    /// `error_subcode`.
    pub error_subcode: Option<i64>,
    /// `is_transient`.
    pub is_transient: Option<bool>,
    /// `error_user_title` (localized).
    pub error_user_title: Option<String>,
    /// `error_user_msg` (localized).
    pub error_user_msg: Option<String>,
    /// `fbtrace_id`, to quote to Meta.
    pub fbtrace_id: Option<String>,
    /// `error_data`, kept as JSON.
    pub error_data: Option<serde_json::Value>,
    /// HTTP status of the response (200 for a failed batch sub-request's outer call is never used:
    /// this is the sub-request's own code there).
    pub http_status: u16,
    /// `METHOD path` of the request.
    pub endpoint: String,
    /// Usage headers of the error response (the BUC header says when access comes back).
    pub usage: UsageReport,
}

impl fmt::Display for GraphApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph API error {}", self.code)?;
        if let Some(subcode) = self.error_subcode {
            write!(f, "/{subcode}")?;
        }
        write!(
            f,
            " ({}, HTTP {}) from {}: {}",
            self.error_type, self.http_status, self.endpoint, self.message
        )?;
        match (&self.error_user_title, &self.error_user_msg) {
            (Some(title), Some(msg)) => write!(f, " — {title}: {msg}")?,
            (Some(text), None) | (None, Some(text)) => write!(f, " — {text}")?,
            (None, None) => {}
        }
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphApiError {}

/// The wire shape of the envelope: `{"error":{…}}`.
#[derive(Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub(crate) error: RawApiError,
}

#[derive(Deserialize)]
pub(crate) struct RawApiError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    error_type: Option<String>,
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: Option<bool>,
    #[serde(default)]
    error_user_title: Option<String>,
    #[serde(default)]
    error_user_msg: Option<String>,
    #[serde(default)]
    fbtrace_id: Option<String>,
    #[serde(default)]
    error_data: Option<serde_json::Value>,
}

impl RawApiError {
    pub(crate) fn into_api_error(
        self,
        http_status: u16,
        endpoint: &str,
        usage: UsageReport,
        secrets: &[&str],
    ) -> GraphApiError {
        let clean = |text: Option<String>| text.map(|t| crate::secret::scrub(&t, secrets));
        GraphApiError {
            message: clean(self.message).unwrap_or_default(),
            error_type: self.error_type.unwrap_or_default(),
            code: self.code,
            error_subcode: self.error_subcode,
            is_transient: self.is_transient,
            error_user_title: clean(self.error_user_title),
            error_user_msg: clean(self.error_user_msg),
            fbtrace_id: self.fbtrace_id,
            error_data: self.error_data.map(|data| {
                serde_json::from_str(&crate::secret::scrub(&data.to_string(), secrets))
                    .unwrap_or(data)
            }),
            http_status,
            endpoint: endpoint.to_owned(),
            usage,
        }
    }
}

/// Parses Meta's error envelope out of a body, if it is one.
pub(crate) fn parse_envelope(
    body: &[u8],
    http_status: u16,
    endpoint: &str,
    usage: UsageReport,
    secrets: &[&str],
) -> Option<GraphApiError> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|envelope| {
            envelope
                .error
                .into_api_error(http_status, endpoint, usage, secrets)
        })
}

/// How a request failed below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TransportErrorKind {
    /// No connection was made: the request was certainly not sent.
    Connect,
    /// No complete answer in time: the request may have reached Meta.
    Timeout,
    /// The connection broke mid-request or mid-response: the request may have reached Meta.
    Reset,
    /// Anything else after the connection was made: treated as possibly sent.
    Other,
}

/// A failure below HTTP.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// `METHOD path` of the request.
    pub endpoint: String,
    /// The underlying error chain, without the URL.
    pub detail: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect (request not sent)",
            TransportErrorKind::Timeout => "timed out (request may have reached Meta)",
            TransportErrorKind::Reset => "connection broke (request may have reached Meta)",
            TransportErrorKind::Other => "transport failure (request may have reached Meta)",
        };
        write!(f, "{} {what}: {}", self.endpoint, self.detail)
    }
}

impl std::error::Error for TransportError {}

/// A response that did not decode, with the JSON path where it broke.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodeError {
    /// `METHOD path` of the request.
    pub endpoint: String,
    /// HTTP status of the response.
    pub http_status: u16,
    /// JSON path, e.g. `data[0].values[3].value`.
    pub path: String,
    /// What serde said, scrubbed of secrets.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode the answer of {} (HTTP {}) at {}: {}",
            self.endpoint, self.http_status, self.path, self.message
        )
    }
}

impl std::error::Error for DecodeError {}

/// A container that will not become publishable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ContainerFailure {
    /// `status_code` ERROR, with Meta's `status` text and the subcode parsed from it.
    Error {
        /// The container.
        container_id: ContainerId,
        /// Meta's `status`, e.g. `Error: Media upload has failed with error code 2207026`.
        status_text: Option<String>,
        /// The subcode in that text (2207026 above).
        subcode: Option<i64>,
    },
    /// `status_code` EXPIRED: not published within 24 h.
    Expired {
        /// The container.
        container_id: ContainerId,
        /// Meta's `status`, if any.
        status_text: Option<String>,
    },
    /// Still not FINISHED when the poll deadline passed.
    DeadlinePassed {
        /// The container.
        container_id: ContainerId,
        /// How long the client waited.
        #[serde(with = "crate::time::duration_secs")]
        waited: Duration,
        /// The last status seen.
        last_status: ContainerStatusCode,
    },
}

impl fmt::Display for ContainerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerFailure::Error {
                container_id,
                status_text,
                subcode,
            } => {
                write!(f, "container {container_id} failed")?;
                if let Some(subcode) = subcode {
                    write!(f, " with error code {subcode}")?;
                }
                if let Some(text) = status_text {
                    write!(f, ": {text}")?;
                }
                Ok(())
            }
            ContainerFailure::Expired { container_id, .. } => {
                write!(
                    f,
                    "container {container_id} expired (not published within 24 h)"
                )
            }
            ContainerFailure::DeadlinePassed {
                container_id,
                waited,
                last_status,
            } => write!(
                f,
                "container {container_id} still {last_status} after waiting {:.1} s",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for ContainerFailure {}

impl GraphError {
    /// An input error naming the field and the rule it breaks.
    pub fn invalid_input(field: impl Into<String>, rule: impl Into<String>) -> Self {
        GraphError::InvalidInput {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// Meta's envelope, if this is an API error.
    pub fn api(&self) -> Option<&GraphApiError> {
        match self {
            GraphError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Meta's `code`, if this is an API error.
    pub fn code(&self) -> Option<i64> {
        self.api().map(|api| api.code)
    }

    /// Meta's `error_subcode` (or a failed container's subcode).
    pub fn subcode(&self) -> Option<i64> {
        match self {
            GraphError::Api(api) => api.error_subcode,
            GraphError::Container(failure) => match failure.as_ref() {
                ContainerFailure::Error { subcode, .. } => *subcode,
                _ => None,
            },
            _ => None,
        }
    }

    /// Meta's `fbtrace_id`, if this is an API error.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.api().and_then(|api| api.fbtrace_id.as_deref())
    }

    /// The HTTP status Meta answered with, if it answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            GraphError::Api(api) => Some(api.http_status),
            GraphError::Http { status, .. } => Some(*status),
            GraphError::Decode(decode) => Some(decode.http_status),
            _ => None,
        }
    }

    /// What to do about this error on the given attempt (0 = the first try failed).
    pub fn classify(&self, attempt: u32) -> ErrorClass {
        classify(self, attempt)
    }

    /// True when a non-idempotent write (above all `media_publish`) may have taken effect even
    /// though it failed: a timeout, a broken connection, a 5xx, an unknown error (codes 1, 2,
    /// -1/2207001), 4/2207051, a batch item without answer, or a success whose body did not
    /// decode. Such a write must never be re-sent blindly: read the container first.
    // graph-api.md §6.3 (4/2207051 note) and §10 "Duplicate risk"; shared/design.md exactly-once rules.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            GraphError::Transport(transport) => transport.kind != TransportErrorKind::Connect,
            GraphError::Http { status, .. } => *status >= 500,
            GraphError::Api(api) => {
                api.http_status >= 500
                    || matches!(api.code, 1 | 2)
                    || matches!(
                        (api.code, api.error_subcode),
                        (4, Some(2207051)) | (-1, Some(2207001))
                    )
            }
            GraphError::Decode(decode) => (200..300).contains(&decode.http_status),
            GraphError::BatchItemMissing { .. } => true,
            GraphError::Container(_)
            | GraphError::InvalidInput { .. }
            | GraphError::UnexpectedResponse { .. }
            | GraphError::Config(_) => false,
        }
    }
}

/// Finds the subcode in a container's ERROR `status` text, e.g.
/// `"Error: Media upload has failed with error code 2207026"` → 2207026 (graph-api.md §2.6).
pub fn parse_status_subcode(status_text: &str) -> Option<i64> {
    let lower = status_text.to_ascii_lowercase();
    let after = lower
        .find("error code")
        .map(|at| &status_text[at + "error code".len()..])?;
    let digits: String = after
        .trim_start_matches([' ', ':', '#'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64, subcode: Option<i64>, http_status: u16) -> GraphError {
        GraphError::Api(Box::new(GraphApiError {
            message: "m".into(),
            error_type: "OAuthException".into(),
            code,
            error_subcode: subcode,
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: Some("AxJzkjRmOWJOr-O9eJ2PljM".into()),
            error_data: None,
            http_status,
            endpoint: "POST 1/media_publish".into(),
            usage: UsageReport::default(),
        }))
    }

    fn transport(kind: TransportErrorKind) -> GraphError {
        GraphError::Transport(Box::new(TransportError {
            kind,
            endpoint: "POST 1/media_publish".into(),
            detail: "x".into(),
        }))
    }

    #[test]
    fn status_subcode_is_parsed_from_the_error_text() {
        assert_eq!(
            parse_status_subcode("Error: Media upload has failed with error code 2207026"),
            Some(2207026)
        );
        assert_eq!(parse_status_subcode("Error: something else"), None);
        assert_eq!(
            parse_status_subcode("Error: Media upload has failed with error code "),
            None
        );
        assert_eq!(parse_status_subcode(""), None);
    }

    #[test]
    fn envelope_is_kept_whole() {
        let body = br#"{"error":{"message":"The image size is too large.","type":"OAuthException","code":36000,"error_subcode":2207004,"is_transient":false,"error_user_title":"Image size too large","error_user_msg":"The image is too large to download. It should be less than 8 MiB.","fbtrace_id":"A6LJylpZRKw2xKLFsAP-cJh"}}"#;
        let parsed = parse_envelope(body, 400, "POST 1/media", UsageReport::default(), &[]);
        let parsed = parsed.expect("the §6.1 sample is an envelope");
        assert_eq!(parsed.code, 36000);
        assert_eq!(parsed.error_subcode, Some(2207004));
        assert_eq!(parsed.is_transient, Some(false));
        assert_eq!(
            parsed.error_user_title.as_deref(),
            Some("Image size too large")
        );
        assert_eq!(
            parsed.fbtrace_id.as_deref(),
            Some("A6LJylpZRKw2xKLFsAP-cJh")
        );
        let shown = parsed.to_string();
        assert!(shown.contains("36000/2207004"), "{shown}");
        assert!(shown.contains("Image size too large"), "{shown}");
        assert!(shown.contains("A6LJylpZRKw2xKLFsAP-cJh"), "{shown}");
    }

    #[test]
    fn envelope_text_is_scrubbed_of_the_token() {
        let body = br#"{"error":{"message":"bad token EAAGsecrettoken123","type":"OAuthException","code":190,"fbtrace_id":"x"}}"#;
        let parsed = parse_envelope(
            body,
            400,
            "GET me",
            UsageReport::default(),
            &["EAAGsecrettoken123"],
        );
        let shown = parsed.map(|p| p.to_string()).unwrap_or_default();
        assert!(!shown.contains("EAAGsecrettoken123"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn non_envelope_bodies_are_not_mistaken_for_one() {
        assert!(
            parse_envelope(
                b"<html>502</html>",
                502,
                "GET x",
                UsageReport::default(),
                &[]
            )
            .is_none()
        );
        assert!(
            parse_envelope(br#"{"id":"1"}"#, 200, "GET x", UsageReport::default(), &[]).is_none()
        );
    }

    #[test]
    fn timeouts_resets_and_5xx_are_ambiguous_but_connect_failures_are_not() {
        assert!(transport(TransportErrorKind::Timeout).is_ambiguous());
        assert!(transport(TransportErrorKind::Reset).is_ambiguous());
        assert!(transport(TransportErrorKind::Other).is_ambiguous());
        assert!(!transport(TransportErrorKind::Connect).is_ambiguous());
        assert!(api(2, None, 500).is_ambiguous());
        assert!(
            GraphError::Http {
                status: 502,
                endpoint: "x".into(),
                body_excerpt: String::new()
            }
            .is_ambiguous()
        );
        assert!(
            !GraphError::Http {
                status: 404,
                endpoint: "x".into(),
                body_excerpt: String::new()
            }
            .is_ambiguous()
        );
    }

    #[test]
    fn spam_block_on_publish_is_ambiguous() {
        // graph-api.md §6.3: several reports say the post was actually published despite 4/2207051.
        assert!(api(4, Some(2207051), 403).is_ambiguous());
        assert!(!api(4, None, 400).is_ambiguous());
    }

    #[test]
    fn definite_rejections_are_not_ambiguous() {
        assert!(!api(9007, Some(2207027), 400).is_ambiguous());
        assert!(!api(9, Some(2207042), 400).is_ambiguous());
        assert!(!api(100, None, 400).is_ambiguous());
        assert!(!GraphError::invalid_input("children", "2 to 10").is_ambiguous());
    }

    #[test]
    fn a_success_that_did_not_decode_is_ambiguous_but_a_failed_one_is_not() {
        let decode = |http_status| {
            GraphError::Decode(Box::new(DecodeError {
                endpoint: "POST 1/media_publish".into(),
                http_status,
                path: "id".into(),
                message: "missing field".into(),
            }))
        };
        assert!(decode(200).is_ambiguous());
        assert!(!decode(400).is_ambiguous());
    }

    #[test]
    fn accessors_expose_code_subcode_and_trace() {
        let error = api(9007, Some(2207027), 400);
        assert_eq!(error.code(), Some(9007));
        assert_eq!(error.subcode(), Some(2207027));
        assert_eq!(error.fbtrace_id(), Some("AxJzkjRmOWJOr-O9eJ2PljM"));
        assert_eq!(error.http_status(), Some(400));
    }

    #[test]
    fn container_failure_subcode_is_exposed() {
        let error = GraphError::Container(Box::new(ContainerFailure::Error {
            container_id: ContainerId::new("1"),
            status_text: Some("Error: Media upload has failed with error code 2207026".into()),
            subcode: Some(2207026),
        }));
        assert_eq!(error.subcode(), Some(2207026));
        assert!(error.to_string().contains("2207026"));
    }
}
