//! A Graph request as plain data, apart from the transport (async-stripe's habit): the same value
//! can be sent, asserted in a test, or put in a batch.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The HTTP methods the Graph API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Method {
    /// Read.
    Get,
    /// Create or act.
    Post,
    /// Delete.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    pub(crate) fn to_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Delete => http::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter value: plain, or a secret that `Debug` never shows.
#[derive(Clone)]
pub enum ParamValue {
    /// An ordinary value.
    Plain(String),
    /// A secret (an app secret, a code, a token under inspection).
    Secret(SecretString),
}

impl ParamValue {
    pub(crate) fn expose(&self) -> &str {
        match self {
            ParamValue::Plain(value) => value,
            ParamValue::Secret(secret) => secret.expose_secret(),
        }
    }
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Plain(value) => fmt::Debug::fmt(value, f),
            ParamValue::Secret(_) => f.write_str("[redacted]"),
        }
    }
}

/// How a POST carries its parameters. graph-api.md §2.1: as a form body, or as a JSON body
/// (`Content-Type: application/json`) whose members are the same parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PostBody {
    /// `application/x-www-form-urlencoded`, the default.
    #[default]
    Form,
    /// `application/json`: one object, each parameter a string member. For a parameter that is
    /// itself JSON text (a batch's `batch`) this is cheaper to write than percent-encoding
    /// every quote, brace and comma of it.
    Json,
}

/// One Graph API request. The access token is never part of it: the client adds it as the
/// `Authorization` header when it sends the request.
#[derive(Clone, Debug)]
pub struct GraphRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path below the version, already percent-encoded, without a leading slash
    /// (`17841400008460056/media`; empty for the root, as in `?ids=` multi-gets and batches).
    pub path: String,
    /// The parameters, in order. GET and DELETE send them as the query, POST as its body.
    pub params: Vec<(String, ParamValue)>,
    /// How a POST's body carries the parameters (GET and DELETE ignore it).
    pub post_body: PostBody,
}

/// Characters escaped in a path segment: everything that would end or split it.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'&')
    .add(b'\\');

/// Joins path segments, escaping each, so an id can never change which endpoint is called.
pub fn encode_path(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

impl GraphRequest {
    /// A request with a path used verbatim (it must already be encoded). Batch JSONPath
    /// references such as `{result=publish:$.id}` go through here.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            params: Vec::new(),
            post_body: PostBody::Form,
        }
    }

    /// A request to a node or edge given as segments (`[ig_user_id, "media"]`), each escaped.
    pub fn to_node(method: Method, segments: &[&str]) -> Self {
        let path = encode_path(segments);
        // A lone empty id must not become the root path; "/" is caught as an empty segment.
        let path = if path.is_empty() && !segments.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        Self::new(method, path)
    }

    /// `GET` on a node or edge.
    pub fn get(segments: &[&str]) -> Self {
        Self::to_node(Method::Get, segments)
    }

    /// `POST` on a node or edge.
    pub fn post(segments: &[&str]) -> Self {
        Self::to_node(Method::Post, segments)
    }

    /// `DELETE` on a node.
    pub fn delete(segments: &[&str]) -> Self {
        Self::to_node(Method::Delete, segments)
    }

    /// Sends a POST's parameters as a JSON body instead of a form.
    #[must_use]
    pub fn json_body(mut self) -> Self {
        self.post_body = PostBody::Json;
        self
    }

    /// Adds a parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params
            .push((name.into(), ParamValue::Plain(value.into())));
        self
    }

    /// Adds a parameter when there is a value.
    pub fn param_opt(self, name: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.param(name, value),
            None => self,
        }
    }

    /// Adds a secret parameter: sent, never shown by `Debug`.
    pub fn secret_param(mut self, name: impl Into<String>, value: SecretString) -> Self {
        self.params.push((name.into(), ParamValue::Secret(value)));
        self
    }

    /// The value of a plain parameter (secrets answer `None`).
    pub fn param_value(&self, name: &str) -> Option<&str> {
        self.params.iter().find_map(|(key, value)| match value {
            ParamValue::Plain(text) if key == name => Some(text.as_str()),
            _ => None,
        })
    }

    /// `METHOD path`: what logs and errors name. Holds ids, never parameters.
    pub fn endpoint(&self) -> String {
        format!(
            "{} {}",
            self.method,
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            }
        )
    }

    /// The parameters form-encoded (`a=1&b=2`), secrets included: for the wire only.
    pub(crate) fn encoded_params(&self) -> String {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.params {
            serializer.append_pair(name, value.expose());
        }
        serializer.finish()
    }

    /// The parameters as one JSON object of strings, secrets included, and the
    /// `appsecret_proof` last when there is one: for the wire only.
    pub(crate) fn json_params(
        &self,
        appsecret_proof: Option<&str>,
    ) -> Result<String, serde_json::Error> {
        serde_json::to_string(&JsonParams {
            params: &self.params,
            appsecret_proof,
        })
    }

    /// True when the path has an empty segment (an empty id), which would call another endpoint.
    pub(crate) fn has_empty_segment(&self) -> bool {
        !self.path.is_empty() && self.path.split('/').any(str::is_empty)
    }
}

/// A request's parameters as a JSON object, written without building a map first.
struct JsonParams<'a> {
    params: &'a [(String, ParamValue)],
    appsecret_proof: Option<&'a str>,
}

impl serde::Serialize for JsonParams<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let members = self.params.len() + usize::from(self.appsecret_proof.is_some());
        let mut map = serializer.serialize_map(Some(members))?;
        for (name, value) in self.params {
            map.serialize_entry(name, value.expose())?;
        }
        if let Some(proof) = self.appsecret_proof {
            map.serialize_entry("appsecret_proof", proof)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_change_the_endpoint() {
        assert_eq!(
            encode_path(&["1/media_publish?x", "media"]),
            "1%2Fmedia_publish%3Fx/media"
        );
        assert_eq!(
            encode_path(&["17841400008460056", "media"]),
            "17841400008460056/media"
        );
    }

    #[test]
    fn params_keep_their_order_and_are_form_encoded() {
        let request = GraphRequest::post(&["1", "media"])
            .param("caption", "#Bronzed Fonzes!")
            .param("image_url", "https://e.x/a.jpg");
        assert_eq!(
            request.encoded_params(),
            "caption=%23Bronzed+Fonzes%21&image_url=https%3A%2F%2Fe.x%2Fa.jpg"
        );
        assert_eq!(request.param_value("caption"), Some("#Bronzed Fonzes!"));
        assert_eq!(request.endpoint(), "POST 1/media");
    }

    #[test]
    fn secret_params_are_sent_but_never_shown() {
        let request = GraphRequest::get(&["debug_token"])
            .secret_param("input_token", SecretString::from("EAAGsecret"));
        assert!(request.encoded_params().contains("EAAGsecret"));
        assert!(!format!("{request:?}").contains("EAAGsecret"));
        assert_eq!(request.param_value("input_token"), None);
    }

    #[test]
    fn empty_segments_are_detected() {
        assert!(GraphRequest::get(&["", "media"]).has_empty_segment());
        assert!(GraphRequest::get(&[""]).has_empty_segment());
        assert!(!GraphRequest::get(&[]).has_empty_segment());
        assert!(!GraphRequest::get(&["1", "media"]).has_empty_segment());
    }
}
