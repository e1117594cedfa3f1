//! Meta's error envelope (shared/graph-api.md §6.1), as the simulator answers it.

use serde_json::{Value, json};

/// One Graph API error, rendered as Meta's `{"error":{…}}` envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaError {
    /// HTTP status of the answer: 400 for most, 403 for some permission and spam cases, 500 for codes 1 and 2.
    pub http_status: u16,
    /// `error.message`.
    pub message: String,
    /// `error.type`, e.g. `OAuthException` or `GraphMethodException`.
    pub error_type: String,
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
            error_type: "OAuthException".to_owned(),
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
    pub fn error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = error_type.into();
        self
    }

    /// The JSON envelope, with the given `fbtrace_id`.
    pub fn to_json(&self, fbtrace_id: &str) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        });
        let object = error.as_object_mut().expect("a json! object literal is an object");
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
