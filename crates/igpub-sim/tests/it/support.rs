//! A typed driver for a simulator under test, a media server for the crawler, and shape checks
//! for Meta's envelopes.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use igpub_sim::{SeededAccount, Sim, SimConfig, SimHandle};
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::io::Cursor;
use std::net::SocketAddr;
use url::Url;

/// One account's credentials, exposed for the test.
#[derive(Clone)]
pub struct Account {
    pub ig: String,
    pub username: String,
    pub page_id: String,
    pub page_token: String,
    pub user_token: String,
    pub app_id: String,
    pub app_secret: String,
}

impl From<SeededAccount> for Account {
    fn from(account: SeededAccount) -> Self {
        Self {
            ig: account.ig_user_id,
            username: account.username,
            page_id: account.page_id,
            page_token: account.page_token.expose_secret().to_owned(),
            user_token: account.user_token.expose_secret().to_owned(),
            app_id: account.app_id,
            app_secret: account.app_secret.expose_secret().to_owned(),
        }
    }
}

/// An HTTP answer: status, headers and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// `error.code`.
    pub fn code(&self) -> Option<i64> {
        self.body["error"]["code"].as_i64()
    }

    /// `error.error_subcode`.
    pub fn subcode(&self) -> Option<i64> {
        self.body["error"]["error_subcode"].as_i64()
    }

    /// `error.message`.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts Meta's error envelope (shared/graph-api.md §6.1) with this code and subcode.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: i64, subcode: Option<i64>) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_error_shape(&self.body);
        assert_eq!(self.code(), Some(code), "code of {}", self.text);
        assert_eq!(self.subcode(), subcode, "subcode of {}", self.text);
    }

    /// The `id` of a success body.
    #[track_caller]
    pub fn id(&self) -> String {
        assert_eq!(self.status, 200, "expected success: {}", self.text);
        self.body["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no id in {}", self.text))
    }
}

/// The keys and JSON types of Meta's error envelope.
#[track_caller]
pub fn assert_error_shape(body: &Value) {
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error object in {body}"));
    assert!(error["message"].is_string(), "message: {body}");
    assert!(error["type"].is_string(), "type: {body}");
    assert!(error["code"].is_i64(), "code: {body}");
    assert!(error["fbtrace_id"].is_string(), "fbtrace_id: {body}");
    let allowed = [
        "message",
        "type",
        "code",
        "error_subcode",
        "is_transient",
        "error_user_title",
        "error_user_msg",
        "fbtrace_id",
        "error_data",
    ];
    for key in error.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "unexpected key {key} in {body}"
        );
    }
    if let Some(subcode) = error.get("error_subcode") {
        assert!(subcode.is_i64(), "error_subcode: {body}");
    }
    if let Some(transient) = error.get("is_transient") {
        assert!(transient.is_boolean(), "is_transient: {body}");
    }
    for key in ["error_user_title", "error_user_msg"] {
        if let Some(text) = error.get(key) {
            assert!(text.is_string(), "{key}: {body}");
        }
    }
}

/// A simulator under test with a client and its first seeded account.
pub struct TestSim {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub account: Account,
}

impl TestSim {
    /// Starts a simulator with `config` on port 0.
    pub async fn start(config: SimConfig) -> Self {
        let sim = Sim::start(config).await.expect("the simulator starts");
        let account = sim
            .accounts()
            .into_iter()
            .next()
            .map(Account::from)
            .expect("an account is seeded");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client builds");
        Self { sim, http, account }
    }

    /// Instant processing, no crawling: for tests that are not about either.
    pub async fn quick() -> Self {
        Self::start(SimConfig {
            fetch_media: false,
            ..SimConfig::instant()
        })
        .await
    }

    /// Every seeded account.
    pub fn accounts(&self) -> Vec<Account> {
        self.sim.accounts().into_iter().map(Account::from).collect()
    }

    /// An absolute URL on the simulator.
    pub fn url(&self, path: &str) -> Url {
        self.sim
            .base_url()
            .join(path.trim_start_matches('/'))
            .expect("a valid path")
    }

    /// Sends a request and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the simulator answers");
        reply(response).await
    }

    /// `GET path?params&access_token=<page token>`.
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        self.get_as(&self.account.page_token.clone(), path, params)
            .await
    }

    /// `GET path?params` with a given token.
    pub async fn get_as(&self, token: &str, path: &str, params: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("access_token", token));
        self.send(self.http.get(self.url(path)).query(&all)).await
    }

    /// `POST path` with a form body and the page token.
    pub async fn post(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        self.post_as(&self.account.page_token.clone(), path, params)
            .await
    }

    /// `POST path` with a form body and a given token.
    pub async fn post_as(&self, token: &str, path: &str, params: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("access_token", token));
        self.send(self.http.post(self.url(path)).form(&all)).await
    }

    /// `POST /__sim/{path}` with a JSON body.
    pub async fn control(&self, path: &str, body: Value) -> Reply {
        self.send(
            self.http
                .post(self.url(&format!("__sim/{path}")))
                .json(&body),
        )
        .await
    }

    /// `GET /__sim/{path}`.
    pub async fn control_get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(&format!("__sim/{path}"))))
            .await
    }

    /// Creates an image container (no crawl expected) and returns its id.
    pub async fn image_container(&self, extra: &[(&str, &str)]) -> String {
        let mut params = vec![
            ("image_url", "http://127.0.0.1:9/photo.jpg"),
            ("caption", "Hello #sim"),
        ];
        params.extend_from_slice(extra);
        self.post(&format!("v25.0/{}/media", self.account.ig), &params)
            .await
            .id()
    }

    /// Publishes a container of the first account.
    pub async fn publish(&self, container: &str) -> Reply {
        self.post(
            &format!("v25.0/{}/media_publish", self.account.ig),
            &[("creation_id", container)],
        )
        .await
    }

    /// Creates and publishes an image post; returns the media id.
    pub async fn post_image(&self, caption: &str) -> String {
        let container = self.image_container(&[("caption", caption)]).await;
        self.publish(&container).await.id()
    }
}

/// Reads a reqwest answer into a [`Reply`].
pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// A real JPEG of the given size.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Jpeg)
}

/// A real PNG of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Png)
}

fn encode(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut bytes = Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, format)
        .expect("the image encodes");
    bytes.into_inner()
}

/// The first bytes of an MP4: an `ftyp` box, then filler.
pub fn mp4() -> Vec<u8> {
    let mut bytes = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    bytes
}

/// A media server on loopback port 0, serving what the crawler tests need.
pub struct MediaServer {
    pub addr: SocketAddr,
}

impl MediaServer {
    /// Starts it on the current runtime.
    pub async fn start() -> Self {
        let square = jpeg(400, 400);
        let portrait = jpeg(400, 500);
        let tall = jpeg(400, 712);
        let wide = jpeg(600, 300);
        let picture_png = png(400, 400);
        let mut huge = jpeg(400, 400);
        huge.resize(8 * 1024 * 1024 + 1024, 0);
        let video = mp4();
        let serve = |bytes: Vec<u8>, mime: &'static str| {
            get(move || {
                let bytes = bytes.clone();
                async move { ([(header::CONTENT_TYPE, mime)], bytes) }
            })
        };
        let app = Router::new()
            .route("/square.jpg", serve(square, "image/jpeg"))
            .route("/portrait.jpg", serve(portrait, "image/jpeg"))
            .route("/story.jpg", serve(tall, "image/jpeg"))
            .route("/wide.jpg", serve(wide, "image/jpeg"))
            .route("/picture.png", serve(picture_png, "image/png"))
            .route("/huge.jpg", serve(huge, "image/jpeg"))
            .route("/clip.mp4", serve(video, "video/mp4"))
            .route(
                "/clip.avi",
                serve(
                    b"RIFF\x00\x00\x00\x00AVI LIST".repeat(64),
                    "video/x-msvideo",
                ),
            )
            .route("/empty.jpg", serve(Vec::new(), "image/jpeg"))
            .route(
                "/moved.jpg",
                get(|| async {
                    (StatusCode::FOUND, [(header::LOCATION, "/square.jpg")]).into_response()
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr }
    }

    /// The URL of one of its files.
    pub fn url(&self, file: &str) -> String {
        format!("http://{}/{file}", self.addr)
    }
}

/// A JSON object with `data` as an array: Graph's list shape.
#[track_caller]
pub fn assert_list(body: &Value) -> &Vec<Value> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array in {body}"))
}
