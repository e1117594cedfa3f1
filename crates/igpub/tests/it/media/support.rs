//! Test helpers: real images made with the `image` crate, and a small HTTP server on loopback
//! that serves them the ways real servers do (ranges or not, lengths or not, redirects, errors).

use std::collections::HashMap;
use std::io::Cursor;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use igpub::media::preflight::{
    ItemReport, MediaCheckRequest, MediaRole, Preflight, PreflightConfig, Rule, Severity,
};
use igpub::media::serve::{RangeRequest, parse_range};
use igpub::media::ssrf::StaticResolver;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use parking_lot::Mutex;

/// A gradient, so encoders have something real to compress.
pub fn rgb(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    })
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(rgb(width, height)),
        ImageFormat::Jpeg,
    )
}

/// A PNG whose left half is fully transparent.
pub fn png_with_transparency(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| {
        let alpha = if x < width / 2 { 0 } else { 255 };
        Rgba([(x % 256) as u8, (y % 256) as u8, 200, alpha])
    });
    encode(DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(rgb(width, height)),
        ImageFormat::Png,
    )
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(rgb(width, height)),
        ImageFormat::WebP,
    )
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// How the test server answers one path.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Honours single ranges with 206; `claimed_total` stands in for a file larger than the
    /// bytes held (the reported total of Content-Range).
    Ranged { claimed_total: Option<u64> },
    /// Ignores Range, answers 200 with Content-Length.
    IgnoreRange,
    /// Ignores Range and sends no Content-Length (chunked).
    Chunked,
    /// Answers this status with no body.
    Status(u16),
    /// Redirects (302) to this location.
    Redirect(String),
    /// Never answers.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub content_type: &'static str,
    pub body: Bytes,
    pub mode: Mode,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct ServerState {
    routes: Mutex<HashMap<String, Route>>,
    seen: Mutex<Vec<Seen>>,
}

/// A loopback server with routes that can be added while it runs.
#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1".parse().unwrap()).await
    }

    pub async fn start_on(ip: IpAddr) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ServerState::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    pub fn route(
        &self,
        path: &str,
        content_type: &'static str,
        body: impl Into<Bytes>,
        mode: Mode,
    ) -> String {
        self.state.routes.lock().insert(
            path.to_owned(),
            Route {
                content_type,
                body: body.into(),
                mode,
            },
        );
        self.url(path)
    }

    /// A ranged route.
    pub fn file(&self, path: &str, content_type: &'static str, body: impl Into<Bytes>) -> String {
        self.route(
            path,
            content_type,
            body,
            Mode::Ranged {
                claimed_total: None,
            },
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().clone()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    state.seen.lock().push(Seen {
        path: path.clone(),
        headers: request.headers().clone(),
    });
    let Some(route) = state.routes.lock().get(&path).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let len = route.body.len() as u64;
    match route.mode {
        Mode::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Mode::Hang => std::future::pending().await,
        Mode::Redirect(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Mode::IgnoreRange => {
            ([(header::CONTENT_TYPE, route.content_type)], route.body).into_response()
        }
        Mode::Chunked => {
            let chunks = futures::stream::iter([Ok::<_, std::io::Error>(route.body)]);
            (
                [(header::CONTENT_TYPE, route.content_type)],
                Body::from_stream(chunks),
            )
                .into_response()
        }
        Mode::Ranged { claimed_total } => {
            let total = claimed_total.unwrap_or(len);
            let range = request
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok());
            match parse_range(range, len) {
                RangeRequest::Partial { start, end } => {
                    let slice = route.body.slice(start as usize..=end as usize);
                    (
                        StatusCode::PARTIAL_CONTENT,
                        [
                            (header::CONTENT_TYPE, route.content_type.to_owned()),
                            (
                                header::CONTENT_RANGE,
                                format!("bytes {start}-{end}/{total}"),
                            ),
                        ],
                        slice,
                    )
                        .into_response()
                }
                RangeRequest::Unsatisfiable => (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{total}"))],
                )
                    .into_response(),
                RangeRequest::Full => {
                    ([(header::CONTENT_TYPE, route.content_type)], route.body).into_response()
                }
            }
        }
    }
}

/// A pre-flight for loopback test servers: private hosts allowed (each item then carries a
/// `PublicHost` warning), no real DNS.
pub fn local_preflight() -> Preflight {
    Preflight::new(
        PreflightConfig {
            allow_private_hosts: true,
            ..PreflightConfig::default()
        },
        Arc::new(StaticResolver::new()),
    )
}

/// A production-like pre-flight (private hosts refused) with a test resolver.
pub fn strict_preflight(resolver: StaticResolver) -> Preflight {
    Preflight::new(PreflightConfig::default(), Arc::new(resolver))
}

pub async fn check(preflight: &Preflight, index: usize, url: &str, role: MediaRole) -> ItemReport {
    preflight
        .check_item(&MediaCheckRequest {
            index,
            url: url.to_owned(),
            role,
        })
        .await
}

/// The rules broken at one severity, ignoring the loopback warning every local test gets.
pub fn rules(report: &ItemReport, severity: Severity) -> Vec<Rule> {
    report
        .problems_of(severity)
        .filter(|p| !(p.rule == Rule::PublicHost && p.severity == Severity::Warning))
        .map(|p| p.rule)
        .collect()
}

pub fn errors(report: &ItemReport) -> Vec<Rule> {
    rules(report, Severity::Error)
}

pub fn warnings(report: &ItemReport) -> Vec<Rule> {
    rules(report, Severity::Warning)
}
