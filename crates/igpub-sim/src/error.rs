//! Meta's error envelope (shared/graph-api.md §6.1), as the simulator answers it.

use serde_json::{Value, json};

/// One Graph API error, rendered as Meta's `{"error":{…}}` envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaError {
    /// HTTP status of the answer: 400 for most, 403 for some permission and spam cases, 500 for codes 1 and 2.
    pub http_status: u16,
    /// `error.message`.
    pub message: String,
    /// `error.type`, e.g. `OAuthException` or `GraphMethodException`. A static name keeps the
    /// value small: it is returned by value on every error path.
    pub error_type: &'static str,
    /// `error.code`.
    pub code: i64,
    /// `error.error_subcode`, when Meta sends one.
    pub subcode: Option<i64>,
    /// `error.is_transient`, when Meta sends it.
    pub is_transient: Option<bool>,
    /// `error.error_user_title`, when Meta sends it.
    pub user_title: Option<String>,
    /// `error.error_user_msg`, when Meta sends it.
    pub user_msg: Option<String>,
}

impl MetaError {
    /// An `OAuthException` with HTTP 400, no subcode and no user texts.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            http_status: 400,
            message: message.into(),
            error_type: "OAuthException",
            code,
            subcode: None,
            is_transient: None,
            user_title: None,
            user_msg: None,
        }
    }

    /// Code 100, "(#100) {message}": Meta's answer to a bad parameter.
    pub fn invalid_parameter(message: impl AsRef<str>) -> Self {
        Self::new(100, format!("(#100) {}", message.as_ref())).transient(false)
    }

    /// Sets the subcode.
    pub fn subcode(mut self, subcode: i64) -> Self {
        self.subcode = Some(subcode);
        self
    }

    /// Sets `is_transient`.
    pub fn transient(mut self, is_transient: bool) -> Self {
        self.is_transient = Some(is_transient);
        self
    }

    /// Sets the user title and message.
    pub fn user(mut self, title: impl Into<String>, msg: impl Into<String>) -> Self {
        self.user_title = Some(title.into());
        self.user_msg = Some(msg.into());
        self
    }

    /// Sets the HTTP status.
    pub fn status(mut self, http_status: u16) -> Self {
        self.http_status = http_status;
        self
    }

    /// Sets `error.type`.
    pub fn error_type(mut self, error_type: &'static str) -> Self {
        self.error_type = error_type;
        self
    }

    /// The JSON envelope, with the given `fbtrace_id`.
    pub fn to_json(&self, fbtrace_id: &str) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        });
        let object = error
            .as_object_mut()
            .expect("a json! object literal is an object");
        if let Some(subcode) = self.subcode {
            object.insert("error_subcode".into(), json!(subcode));
        }
        if let Some(is_transient) = self.is_transient {
            object.insert("is_transient".into(), json!(is_transient));
        }
        if let Some(title) = &self.user_title {
            object.insert("error_user_title".into(), json!(title));
        }
        if let Some(msg) = &self.user_msg {
            object.insert("error_user_msg".into(), json!(msg));
        }
        object.insert("fbtrace_id".into(), json!(fbtrace_id));
        json!({ "error": error })
    }
}

/// The message Meta gives with 100/33 (shared/graph-api.md §6.2).
const UNSUPPORTED_REQUEST_TAIL: &str = "does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api";

impl MetaError {
    /// 100/33 `GraphMethodException`: the object is unknown, not visible to the caller, or does
    /// not support the method (shared/graph-api.md §6.2).
    pub fn unsupported_request(method: &str, id: &str) -> Self {
        Self::new(
            100,
            format!(
                "Unsupported {method} request. Object with ID '{id}' {UNSUPPORTED_REQUEST_TAIL}"
            ),
        )
        .subcode(33)
        .error_type("GraphMethodException")
    }

    /// `(#100) Tried accessing nonexisting field (x) on node type (T)` (shared/graph-api.md §3.3).
    pub fn nonexisting_field(field: &str, node_type: &str) -> Self {
        Self::new(
            100,
            format!(
                "(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"
            ),
        )
    }

    /// `(#100) The parameter x is required` (shared/graph-api.md §6.3 end).
    pub fn missing_parameter(name: &str) -> Self {
        Self::invalid_parameter(format!("The parameter {name} is required"))
    }

    /// An Instagram publishing error: short generic `message`, the human text in the user
    /// fields, never transient (shared/graph-api.md §6.1, §6.3).
    pub fn publishing(
        code: i64,
        subcode: i64,
        message: impl Into<String>,
        title: impl Into<String>,
        user_msg: impl Into<String>,
    ) -> Self {
        Self::new(code, message)
            .subcode(subcode)
            .transient(false)
            .user(title, user_msg)
    }

    /// `(#10) Application does not have permission for this action` (shared/graph-api.md §5.5).
    pub fn permission_denied() -> Self {
        // graph-api.md §6.1: permission cases answer 403.
        Self::new(
            10,
            "(#10) Application does not have permission for this action",
        )
        .status(403)
    }

    /// Code 2500 `Unknown path components: /x` for an edge the node does not have.
    pub fn unknown_path(components: &str) -> Self {
        Self::new(2500, format!("Unknown path components: {components}"))
    }

    /// Code 1, `is_transient: true`: Meta's "unknown error" (shared/graph-api.md §6.2).
    pub fn unknown_error() -> Self {
        Self::new(1, "An unknown error has occurred.")
            .transient(true)
            .status(500)
    }

    /// Code 2, `is_transient: true`: Meta's service error (shared/graph-api.md §6.2).
    pub fn service_error() -> Self {
        Self::new(
            2,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .transient(true)
        .status(500)
    }

    /// `"<code>/<subcode>"` or `"<code>"`: how counters name this result.
    pub fn counter_key(&self) -> String {
        match self.subcode {
            Some(subcode) => format!("{}/{}", self.code, subcode),
            None => self.code.to_string(),
        }
    }
}

impl std::fmt::Display for MetaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.subcode {
            Some(subcode) => write!(f, "Graph error {}/{}: {}", self.code, subcode, self.message),
            None => write!(f, "Graph error {}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for MetaError {}
