//! The composer: pick the account and the kind, write the caption (with live counters), add
//! media by URL or upload and order it, add alt text and a reel's options, choose when, and see
//! every broken rule and each media item's pre-flight result while typing.
//!
//! Nothing is checked here: the form becomes the API's post JSON ([`ComposerForm`]) and goes
//! through [`crate::publish::Posts`] and the media pre-flight, exactly like `POST /v1/posts`.

mod counters;
mod form;
mod preflight_view;
mod problems;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::SignedDuration;
use serde::Deserialize;

pub use counters::{Counter, Counters};
pub use form::{ComposerForm, MediaRow, When};
pub use preflight_view::{ItemView, ProblemView};
pub use problems::{FieldProblem, Group, Problems};

use super::error::PageError;
use super::layout::{Chrome, page, render};
use super::local_time::{ZONE_NAMES, Zone};
use super::paths;
use super::session::{Signed, see_other};
use crate::http::media::MAX_UPLOAD_BODY_BYTES;
use crate::http::state::AppState;
use crate::media::preflight::MediaRole;
use crate::media::upload::{Upload, upload};
use crate::publish::service::CreatePost;
use crate::publish::{Posts, PostsError};
use crate::store::{IntegrationId, IntegrationStatus, NewMediaUpload, PostId, TenantScope};

/// The routes of the composer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::COMPOSE, get(new_post_page).post(create_post))
        .route(
            "/app/posts/{id}/edit",
            get(edit_post_page).post(update_post),
        )
        .route("/app/compose/counters", post(counters_fragment))
        .route("/app/compose/validate", post(validate_fragment))
        .route("/app/compose/preflight", post(preflight_fragment))
        .route("/app/compose/media-row", get(media_row_fragment))
        .route(
            "/app/compose/upload",
            post(upload_fragment).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES)),
        )
}

/// How long an upload from the composer is kept before a post extends it (as the API does).
const KEEP_UPLOADS: SignedDuration = SignedDuration::from_hours(24 * 30);

/// An account the composer can publish to.
#[derive(Debug, Clone)]
pub struct AccountOption {
    /// The integration id.
    pub id: String,
    /// `@username`.
    pub username: String,
}

/// A media row with a key that makes its labels' ids unique on the page.
#[derive(Debug, Clone)]
pub struct RowView {
    /// Unique on the page.
    pub key: String,
    /// The row.
    pub row: MediaRow,
}

impl RowView {
    fn new(row: MediaRow) -> Self {
        Self {
            key: uuid::Uuid::new_v4().simple().to_string(),
            row,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/composer.html")]
struct ComposerPage {
    chrome: Chrome,
    heading: &'static str,
    action: String,
    submit_label: &'static str,
    form: ComposerForm,
    rows: Vec<RowView>,
    accounts: Vec<AccountOption>,
    counters: Counters,
    problems: Problems,
    checked: bool,
    zones: &'static [String],
    zone: String,
    browser_zone_default: bool,
    private_hosts_allowed: bool,
}

impl ComposerPage {
    fn kinds(&self) -> [(&'static str, &'static str); 4] {
        [
            ("image", "Image"),
            ("carousel", "Carousel"),
            ("reel", "Reel"),
            ("story", "Story"),
        ]
    }

    fn schedule_options(&self) -> [(When, &'static str); 3] {
        [
            (When::Now, "Publish now"),
            (When::Schedule, "Schedule"),
            (When::Draft, "Save as draft"),
        ]
    }

    fn errors_of(&self, group: &str) -> Vec<&FieldProblem> {
        let group = Group::ALL
            .into_iter()
            .find(|g| g.error_id() == group)
            .unwrap_or(Group::Other);
        self.problems.of(group)
    }
}

/// `?integration=` (preselect an account) and `?from=` (start from a copy of a post).
#[derive(Debug, Default, Deserialize)]
struct NewPostQuery {
    integration: Option<String>,
    from: Option<String>,
}

async fn new_post_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    query: Result<Query<NewPostQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let mut form = match query.from.as_deref().map(str::parse::<PostId>) {
        Some(Ok(id)) => {
            let original = Posts::new(state.store.clone())
                .get(signed.tenant(), id)
                .await?;
            let mut copy =
                ComposerForm::from_post(original.integration_id.to_string(), &original.post);
            // A copy is a new post: its old time has most likely passed.
            copy.when = When::Now;
            copy
        }
        _ => ComposerForm {
            kind: "image".to_owned(),
            share_to_feed: true,
            ..ComposerForm::default()
        },
    };
    if let Some(integration) = query.integration {
        form.integration_id = integration;
    }
    form.idempotency_key = uuid::Uuid::new_v4().to_string();
    composer_page(
        &state,
        &signed,
        &headers,
        Mode::Create,
        form,
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// Whether the composer makes a post or edits one.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Create,
    Edit(PostId),
}

async fn composer_page(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    mode: Mode,
    form: ComposerForm,
    problems: Problems,
    status: StatusCode,
) -> Result<Response, PageError> {
    let integrations = state
        .store
        .list_integrations(TenantScope::Tenant(signed.tenant()))
        .await?;
    let accounts = integrations
        .iter()
        .filter(|i| {
            i.status == IntegrationStatus::Active || i.id.to_string() == form.integration_id
        })
        .map(|i| AccountOption {
            id: i.id.to_string(),
            username: i.metadata.ig_username.clone(),
        })
        .collect();
    let viewer = Zone::of_viewer(headers);
    let browser_zone_default = form.time_zone.trim().is_empty();
    let zone = if browser_zone_default {
        viewer.name
    } else {
        form.time_zone.clone()
    };
    let (heading, action, submit_label) = match mode {
        Mode::Create => ("Compose a post", paths::COMPOSE.to_owned(), "Create post"),
        Mode::Edit(id) => (
            "Edit the post",
            format!("/app/posts/{id}/edit"),
            "Save changes",
        ),
    };
    let mut rows: Vec<RowView> = form.media.iter().cloned().map(RowView::new).collect();
    if rows.is_empty() {
        rows.push(RowView::new(MediaRow::default()));
    }
    let page_template = ComposerPage {
        chrome: Chrome::signed_in(heading, "compose", signed),
        heading,
        action,
        submit_label,
        counters: Counters::of(&form.caption, &form.hashtag_entries()),
        rows,
        form,
        accounts,
        checked: status != StatusCode::OK,
        problems,
        zones: &ZONE_NAMES,
        zone,
        browser_zone_default,
        private_hosts_allowed: state.settings.media.allow_private_hosts,
    };
    Ok(render(status, &page_template))
}

/// The integration the form names, or the problem to show on the account picker.
fn integration_of(form: &ComposerForm) -> Result<IntegrationId, Problems> {
    form.integration_id.trim().parse().map_err(|_| {
        Problems::one(
            "integration_id",
            "required",
            "choose the Instagram account to publish to",
        )
    })
}

fn create_request(form: &ComposerForm, integration: IntegrationId) -> CreatePost {
    CreatePost {
        auto_fix: None,
        integration_id: integration,
        post: form.to_post_json(),
    }
}

/// `POST /app/compose`: creates the post, or shows the form again with every problem.
async fn create_post(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = ComposerForm::from_urlencoded(&body);
    let integration = match integration_of(&form) {
        Ok(integration) => integration,
        Err(problems) => {
            return invalid(&state, &signed, &headers, Mode::Create, form, problems).await;
        }
    };
    let key = Some(form.idempotency_key.trim().to_owned()).filter(|key| !key.is_empty());
    let created = Posts::new(state.store.clone())
        .create(signed.tenant(), create_request(&form, integration), key)
        .await;
    match created {
        Ok((post, _)) => Ok(see_other(&paths::post(post.id))),
        Err(PostsError::Invalid(errors)) => {
            let problems = Problems::of_violations(&errors);
            invalid(&state, &signed, &headers, Mode::Create, form, problems).await
        }
        Err(PostsError::NotFound(_)) => {
            let problems = Problems::one(
                "integration_id",
                "not_found",
                "this account is not connected to your workspace",
            );
            invalid(&state, &signed, &headers, Mode::Create, form, problems).await
        }
        Err(PostsError::Conflict(_)) => Err(PageError::Conflict(
            "This form already created a post, with other content. Open the composer again to \
             write a new one."
                .to_owned(),
        )),
        Err(other) => Err(other.into()),
    }
}

async fn invalid(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    mode: Mode,
    form: ComposerForm,
    problems: Problems,
) -> Result<Response, PageError> {
    composer_page(
        state,
        signed,
        headers,
        mode,
        form,
        problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

fn post_id(text: &str) -> Result<PostId, PageError> {
    text.parse().map_err(|_| PageError::NotFound("post"))
}

/// `GET /app/posts/{id}/edit`.
async fn edit_post_page(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    let post = Posts::new(state.store.clone())
        .get(signed.tenant(), id)
        .await?;
    let form = ComposerForm::from_post(post.integration_id.to_string(), &post.post);
    composer_page(
        &state,
        &signed,
        &headers,
        Mode::Edit(id),
        form,
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /app/posts/{id}/edit`: edits or reschedules a post before work on it starts.
async fn update_post(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = post_id(&id)?;
    let form = ComposerForm::from_urlencoded(&body);
    let updated = Posts::new(state.store.clone())
        .update(signed.tenant(), id, form.to_post_json())
        .await;
    match updated {
        Ok(post) => Ok(see_other(&paths::post(post.id))),
        Err(PostsError::Invalid(errors)) => {
            let problems = Problems::of_violations(&errors);
            invalid(&state, &signed, &headers, Mode::Edit(id), form, problems).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/counters.html")]
struct CountersFragment {
    counters: Counters,
}

/// `POST /app/compose/counters`: the live counters for the caption as typed.
async fn counters_fragment(_signed: Signed, body: Bytes) -> Response {
    let form = ComposerForm::from_urlencoded(&body);
    page(&CountersFragment {
        counters: Counters::of(&form.caption, &form.hashtag_entries()),
    })
}

#[derive(Template)]
#[template(path = "dashboard/problems.html")]
struct ProblemsFragment {
    problems: Problems,
    checked: bool,
}

/// `POST /app/compose/validate`: every broken rule, by field, as the API would answer.
async fn validate_fragment(
    State(state): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = ComposerForm::from_urlencoded(&body);
    let problems = match integration_of(&form) {
        Err(mut missing) => {
            // The account is missing, but the post's own rules are still worth showing.
            let probe = IntegrationId::generate();
            let report = Posts::new(state.store.clone())
                .validate(signed.tenant(), create_request(&form, probe))
                .await?;
            let rest = Problems::of_report(&report.problems);
            missing
                .items
                .extend(rest.items.into_iter().filter(|p| p.group != Group::Account));
            missing
        }
        Ok(integration) => {
            let report = Posts::new(state.store.clone())
                .validate(signed.tenant(), create_request(&form, integration))
                .await?;
            Problems::of_report(&report.problems)
        }
    };
    Ok(page(&ProblemsFragment {
        problems,
        checked: true,
    }))
}

#[derive(Template)]
#[template(path = "dashboard/preflight.html")]
struct PreflightFragment {
    items: Vec<ItemView>,
}

/// `POST /app/compose/preflight`: fetches each media URL as Meta's crawler will and reports.
async fn preflight_fragment(
    State(state): State<AppState>,
    _signed: Signed,
    body: Bytes,
) -> Response {
    let form = ComposerForm::from_urlencoded(&body);
    let requests = form.preflight_requests();
    let items = if requests.is_empty() {
        Vec::new()
    } else {
        crate::background::preflight(&state.settings)
            .check_post(&requests)
            .await
            .items
            .iter()
            .map(ItemView::of)
            .collect()
    };
    page(&PreflightFragment { items })
}

#[derive(Template)]
#[template(path = "dashboard/media_rows.html")]
struct MediaRowsFragment {
    rows: Vec<RowView>,
    failures: Vec<String>,
}

/// `GET /app/compose/media-row`: one more empty row, for a URL.
async fn media_row_fragment(_signed: Signed) -> Response {
    page(&MediaRowsFragment {
        rows: vec![RowView::new(MediaRow::default())],
        failures: Vec::new(),
    })
}

/// `POST /app/compose/upload`: hosts each file in the built-in media store and answers a row
/// per file, with its public URL (and a row saying why, for a file that was refused).
async fn upload_fragment(
    State(state): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Response {
    let mut files = Vec::new();
    let mut auto_fix = false;
    let mut failures = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().unwrap_or("the file").to_owned();
                match field.bytes().await {
                    Ok(bytes) if name == "file" && !bytes.is_empty() => {
                        files.push((file_name, bytes));
                    }
                    Ok(bytes) if name == "auto_fix" => {
                        auto_fix = matches!(&bytes[..], b"on" | b"true");
                    }
                    Ok(_) => {}
                    Err(error) => failures.push(format!("{file_name}: {}", error.body_text())),
                }
            }
            Ok(None) => break,
            Err(error) => {
                failures.push(error.body_text());
                break;
            }
        }
    }
    let mut rows = Vec::new();
    for (file_name, content) in files {
        match host(&state, &signed, content, auto_fix).await {
            Ok(row) => rows.push(RowView::new(row)),
            Err(reason) => failures.push(format!("{file_name}: {reason}")),
        }
    }
    page(&MediaRowsFragment { rows, failures })
}

/// Hosts one file and records it as the tenant's upload.
async fn host(
    state: &AppState,
    signed: &Signed,
    content: Bytes,
    auto_fix: bool,
) -> Result<MediaRow, String> {
    let kind = crate::media::hosting::MediaKind::detect(&content)
        .ok_or_else(|| "not a JPEG, PNG, WebP, MP4 or MOV file".to_owned())?;
    let role = if kind.is_video() {
        MediaRole::Reel
    } else {
        MediaRole::FeedImage
    };
    let fix = auto_fix.then(crate::media::fix::FixOptions::default);
    let now = state.store.now();
    let keep_until = now.saturating_add(KEEP_UPLOADS).unwrap_or(now);
    let hosted: Upload = upload(
        state.media.as_ref(),
        content,
        role,
        fix.as_ref(),
        keep_until,
    )
    .await
    .map_err(|error| error.to_string())?;
    state
        .store
        .insert_media_upload(
            signed.tenant(),
            NewMediaUpload {
                media_id: hosted.hosted.id.to_string(),
                kind: hosted.hosted.kind.extension().to_owned(),
                size: hosted.hosted.size,
                url: hosted.hosted_url.to_string(),
                original_media_id: hosted.original.id.to_string(),
                original_url: hosted.original_url.to_string(),
                changes: serde_json::to_value(&hosted.changes).unwrap_or_default(),
            },
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "recording a dashboard upload failed");
            "the file was stored but could not be recorded; try again".to_owned()
        })?;
    Ok(MediaRow {
        url: hosted.hosted_url.to_string(),
        media_type: if hosted.hosted.kind.is_video() {
            "video".to_owned()
        } else {
            "image".to_owned()
        },
        alt_text: String::new(),
    })
}
