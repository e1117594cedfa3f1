//! HTTP plumbing: one fallback handler parses every Graph request (`/{ver?}/{…path}`), runs it
//! under its faults and answers with Meta's headers; `/__sim/` is the control API. The accept
//! loop is our own so a fault can drop a connection without any answer.

use crate::auth::dialog;
use crate::auth::tokens::www_authenticate;
use crate::control;
use crate::error::MetaError;
use crate::faults::{CommitThenFail, Fault};
use crate::graph::faulted::{Delivery, run_faulted};
use crate::graph::request::{GraphCall, Verb, bearer_token, merge_form, merge_json, split_version};
use crate::graph::{Answer, Endpoint, route};
use crate::publishing::upload;
use crate::state::SimState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// The largest Graph request body read (batch bodies can be long; uploads are streamed).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Lets a handler close its own connection without an answer.
#[derive(Clone)]
pub(crate) struct ConnectionKiller(Arc<Notify>);

/// The whole router: control API and Graph surface.
pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .nest("/__sim", control::routes())
        .fallback(graph)
        .with_state(state)
}

/// Accepts connections until `shutdown` changes, serving each on its own task.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shutdown: watch::Receiver<bool>,
) {
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small JSON answers: waiting to fill a segment only adds latency.
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                }
                // Out of file descriptors and the like: back off briefly, as axum::serve does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            _ = stop.changed() => return,
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let killer = ConnectionKiller(Arc::new(Notify::new()));
    let kill = killer.0.clone();
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(killer.clone());
        router.clone().oneshot(request.map(Body::new))
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
        _ = shutdown.changed() => {}
    }
}

/// Every request outside `/__sim/`.
async fn graph(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let killer = parts.extensions.get::<ConnectionKiller>().cloned();
    let path = parts.uri.path().to_owned();
    if path.trim_start_matches('/').starts_with("ig-api-upload/") {
        return upload_request(&state, &path, &parts.headers, body, killer).await;
    }
    let trace = state.next_trace_id();
    let version_and_path = split_version(&path, state.config.default_version);
    let (version, segments) = match version_and_path {
        Ok(split) => split,
        Err(error) => {
            state.counters.round_trip(Endpoint::Unknown.name());
            let answer = Answer::plain(Err(error), None);
            return respond(&state, answer, state.config.default_version, &trace);
        }
    };
    let Some(verb) = Verb::parse(parts.method.as_str()) else {
        state.counters.round_trip(Endpoint::Unknown.name());
        let error = MetaError::unsupported_request(&parts.method.as_str().to_lowercase(), &path);
        return respond(&state, Answer::plain(Err(error), None), version, &trace);
    };
    let params = match read_params(parts.uri.query(), &parts.headers, body).await {
        Ok(params) => params,
        Err(error) => {
            state.counters.round_trip(Endpoint::Unknown.name());
            return respond(&state, Answer::plain(Err(error), None), version, &trace);
        }
    };
    if segments.len() == 2
        && segments.first().is_some_and(|s| s == "dialog")
        && segments.get(1).is_some_and(|s| s == "oauth")
    {
        state.counters.round_trip("dialog.oauth");
        state.counters.call("dialog.oauth", "ok".into());
        return dialog::run(&state, verb, version, &params);
    }
    let token = params.get("access_token").cloned().or_else(|| {
        parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
    });
    let call = GraphCall {
        verb,
        version,
        path: segments,
        params,
        token,
    };
    let routed = route(&state, &call);
    state.counters.round_trip(routed.endpoint.name());
    match run_faulted(&state, &call, &routed, state.config.latency).await {
        Delivery::Answer(answer) => respond(&state, answer, version, &trace),
        Delivery::Nothing { hang } => no_answer(&state, hang, killer).await,
    }
}

/// Query, then the body: JSON or form, by its content type (shared/graph-api.md §2.1, §11.3).
async fn read_params(
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<BTreeMap<String, String>, MetaError> {
    let mut params = BTreeMap::new();
    if let Some(query) = query {
        merge_form(&mut params, query.as_bytes());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        MetaError::invalid_parameter("The request body is too large or was cut short")
    })?;
    if bytes.is_empty() {
        return Ok(params);
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        merge_json(&mut params, &bytes)?;
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.starts_with("text/plain")
    {
        merge_form(&mut params, &bytes);
    }
    Ok(params)
}

/// A Graph answer with Meta's headers (shared/graph-api.md §7, §11.8).
fn respond(state: &SimState, answer: Answer, version: u32, trace: &str) -> Response {
    let (status, body, www) = match answer.result {
        Ok(body) => (200, body, None),
        Err(error) => {
            let www = (error.code == 190).then(|| www_authenticate(&error.message));
            (error.http_status, error.to_json(trace), www)
        }
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        bytes,
    )
        .into_response();
    let now_ms = state.clock.now_ms();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("content-type", "application/json; charset=UTF-8".to_owned());
    set("facebook-api-version", format!("v{version}.0"));
    set("x-fb-trace-id", trace.to_owned());
    set("x-fb-request-id", state.next_trace_id());
    set("x-fb-rev", "1029385172".to_owned());
    set("x-app-usage", state.usage.app_header(now_ms, answer.app));
    set(
        "x-business-use-case-usage",
        state.usage.buc_header(now_ms, answer.app, &answer.igs),
    );
    set("access-control-allow-origin", "*".to_owned());
    if let Some(www) = www {
        set("www-authenticate", www);
    }
    response
}

/// Closes the connection without an answer, after hanging past any client timeout if asked.
async fn no_answer(state: &SimState, hang: bool, killer: Option<ConnectionKiller>) -> Response {
    if hang {
        tokio::time::sleep(state.config.hang_duration).await;
    }
    match killer {
        Some(killer) => {
            killer.0.notify_one();
            // The connection task drops this future with the connection.
            std::future::pending::<()>().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Served by someone else's server: a bare 502 is the nearest to no answer.
        None => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// `POST /ig-api-upload/{ver}/{container-id}` (shared/graph-api.md §2.5, §11.1).
async fn upload_request(
    state: &SimState,
    path: &str,
    headers: &HeaderMap,
    body: Body,
    killer: Option<ConnectionKiller>,
) -> Response {
    const ENDPOINT: &str = "upload";
    state.counters.round_trip(ENDPOINT);
    let container = path
        .rsplit('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or_default()
        .to_owned();
    let plan = state.faults.plan(ENDPOINT);
    let latency = state.config.latency + plan.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let outcome = match plan.fault {
        Fault::Hang => None,
        Fault::Error5xx | Fault::Transient(_) => Some((
            500,
            MetaError::service_error().to_json(&state.next_trace_id()),
        )),
        Fault::None => Some(upload::run(state, &container, headers, body).await),
        Fault::CommitThenFail(mode) => {
            upload::run(state, &container, headers, body).await;
            match mode {
                CommitThenFail::Error | CommitThenFail::SpamBlock => Some((
                    500,
                    MetaError::service_error().to_json(&state.next_trace_id()),
                )),
                CommitThenFail::Drop | CommitThenFail::Hang => None,
            }
        }
    };
    let key = match (plan.fault.counter_key(), &outcome) {
        (Some(fault), _) => fault,
        (None, Some((200, _))) => "ok",
        (None, _) => "upload_failed",
    };
    state.counters.call(ENDPOINT, key.into());
    match outcome {
        Some((status, body)) => json_response(status, &body),
        None => {
            no_answer(
                state,
                plan.fault == Fault::Hang
                    || matches!(plan.fault, Fault::CommitThenFail(CommitThenFail::Hang)),
                killer,
            )
            .await
        }
    }
}

/// A plain JSON answer (upload host, control API).
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        [(CONTENT_TYPE, "application/json; charset=UTF-8")],
        bytes,
    )
        .into_response()
}
