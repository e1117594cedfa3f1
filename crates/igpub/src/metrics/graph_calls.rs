//! Graph API calls by endpoint and result, counted from the events the Graph client emits
//! for every response (`graph call`, `graph error`, `graph error without envelope`,
//! `graph transport failure`). A tracing layer is the seam: the client stays free of any
//! metrics dependency, and every caller (worker, connect, insights) is counted alike.

use std::fmt;
use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The labels of one Graph call.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GraphCallLabels {
    /// `METHOD path` with every id replaced by `{id}`, e.g. `POST {id}/media_publish`.
    pub endpoint: String,
    /// `ok`, `meta_error`, `http_error` or `transport_error`.
    pub result: &'static str,
    /// Meta's error code for a `meta_error` (e.g. `190`), else empty.
    pub code: String,
}

/// The process-wide counter of Graph calls (the layer writes it, every registry reads it).
pub fn graph_calls() -> &'static Family<GraphCallLabels, Counter> {
    static CALLS: OnceLock<Family<GraphCallLabels, Counter>> = OnceLock::new();
    CALLS.get_or_init(Family::default)
}

/// `POST 17841400008460056/media` → `POST {id}/media`: ids would make one series per object.
///
/// A segment counts as an id when it is all digits (optionally `_`-joined, like Meta's
/// `<page>_<post>` ids) or a batch reference such as `{result=publish3:$.id}`; names such as
/// `me`, `media` or `debug_token` stay.
pub fn endpoint_label(endpoint: &str) -> String {
    let (method, path) = endpoint.split_once(' ').unwrap_or(("", endpoint));
    let path = path.split('?').next().unwrap_or_default();
    let normalised: Vec<&str> = path
        .split('/')
        .map(|segment| if is_id(segment) { "{id}" } else { segment })
        .collect();
    let path = normalised.join("/");
    if method.is_empty() {
        path
    } else {
        format!("{method} {path}")
    }
}

fn is_id(segment: &str) -> bool {
    // A batch part's reference to an earlier part's result stands for an id too (§9.1).
    if segment.starts_with("{result=") {
        return true;
    }
    !segment.is_empty()
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Counts the Graph client's per-call events into [`graph_calls`]. Install it with a filter
/// that lets `igpub_graph` debug events through (telemetry does), whatever the log level.
#[derive(Debug, Clone, Copy, Default)]
pub struct GraphCallLayer;

impl<S: Subscriber> Layer<S> for GraphCallLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !event.metadata().target().starts_with("igpub_graph") {
            return;
        }
        let mut fields = CallFields::default();
        event.record(&mut fields);
        let Some(labels) = fields.labels() else {
            return;
        };
        graph_calls().get_or_create(&labels).inc();
    }
}

#[derive(Default)]
struct CallFields {
    message: Option<String>,
    endpoint: Option<String>,
    code: Option<String>,
}

impl CallFields {
    fn labels(self) -> Option<GraphCallLabels> {
        let result = match self.message.as_deref()? {
            "graph call" => "ok",
            "graph error" => "meta_error",
            "graph error without envelope" => "http_error",
            "graph transport failure" => "transport_error",
            _ => return None,
        };
        Some(GraphCallLabels {
            endpoint: endpoint_label(&self.endpoint?),
            result,
            code: if result == "meta_error" {
                self.code.unwrap_or_default()
            } else {
                String::new()
            },
        })
    }
}

impl Visit for CallFields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "code" {
            self.code = Some(value.to_string());
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "code" {
            self.code = Some(value.to_string());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }
}

impl CallFields {
    fn record_text(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = Some(value),
            // `%endpoint` arrives through `record_debug` as its Display text.
            "endpoint" => self.endpoint = Some(value),
            "code" => self.code = Some(value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn ids_in_endpoints_become_placeholders_and_names_stay() {
        assert_eq!(
            endpoint_label("POST 17841400008460056/media"),
            "POST {id}/media"
        );
        assert_eq!(
            endpoint_label("POST 17841400008460056/media_publish"),
            "POST {id}/media_publish"
        );
        assert_eq!(endpoint_label("GET 123_456"), "GET {id}");
        assert_eq!(endpoint_label("GET me/accounts"), "GET me/accounts");
        assert_eq!(endpoint_label("GET debug_token"), "GET debug_token");
        assert_eq!(endpoint_label("GET {result=publish7:$.id}"), "GET {id}");
        assert_eq!(endpoint_label("POST "), "POST ");
        assert_eq!(endpoint_label("GET 1/insights?x=2"), "GET {id}/insights");
    }

    #[test]
    fn the_layer_counts_each_kind_of_graph_event_under_its_result() {
        let subscriber = tracing_subscriber::registry().with(GraphCallLayer);
        let endpoint = "GET 99887766/comments_probe_for_layer_test";
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "igpub_graph::client", %endpoint, status = 200u16, "graph call");
            tracing::debug!(target: "igpub_graph::client", %endpoint, status = 200u16, "graph call");
            tracing::info!(target: "igpub_graph::client", %endpoint, status = 400u16, code = 190i64, "graph error");
            tracing::info!(target: "igpub_graph::client", %endpoint, kind = "timeout", "graph transport failure");
            // Other crates' events with the same words are not Graph calls.
            tracing::info!(target: "igpub::publish", %endpoint, "graph call");
        });
        let count = |result: &'static str, code: &str| {
            graph_calls()
                .get_or_create(&GraphCallLabels {
                    endpoint: "GET {id}/comments_probe_for_layer_test".into(),
                    result,
                    code: code.into(),
                })
                .get()
        };
        assert_eq!(count("ok", ""), 2);
        assert_eq!(count("meta_error", "190"), 1);
        assert_eq!(count("transport_error", ""), 1);
    }
}
