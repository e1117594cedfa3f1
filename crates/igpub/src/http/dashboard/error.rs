//! What a dashboard request answers when it cannot do what was asked: a page in the
//! dashboard's layout with the right status, or a trip to the sign-in form. Internal details
//! are logged, never shown.

use askama::Template;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::layout::{Chrome, render};
use super::paths;
use crate::connect::ConnectError;
use crate::publish::PostsError;
use crate::store::StoreError;

/// Why a dashboard request failed.
#[derive(Debug)]
pub enum PageError {
    /// No live session: sign in (htmx requests are told to load the sign-in page).
    SignedOut {
        /// The request came from htmx.
        htmx: bool,
    },
    /// The form's CSRF token is missing or wrong (an old page, or another site).
    StaleForm,
    /// The request cannot be understood; the sentence says what to fix.
    BadRequest(String),
    /// The thing does not exist for this tenant.
    NotFound(&'static str),
    /// The thing is in a state that does not allow the change.
    Conflict(String),
    /// Meta (or the simulator) did not answer as needed.
    Upstream(String),
    /// Something broke inside; the detail is logged only.
    Internal(String),
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::SignedOut { .. } => StatusCode::SEE_OTHER,
            Self::StaleForm => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn page(self) -> ErrorPage {
        let (heading, message) = match self {
            Self::SignedOut { .. } => ("Signed out", "Sign in again to continue.".to_owned()),
            Self::StaleForm => (
                "This form has expired",
                "The form did not carry this session's security token: it is from an older \
                 page or from another site. Reload the page and try again."
                    .to_owned(),
            ),
            Self::BadRequest(message) => ("That did not work", message),
            Self::NotFound(what) => ("Not found", format!("No such {what} in your workspace.")),
            Self::Conflict(message) => ("Not possible right now", message),
            Self::Upstream(message) => ("Meta did not answer as expected", message),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "a dashboard request failed");
                (
                    "Something went wrong on our side",
                    "The request id in the x-request-id header helps us find what happened."
                        .to_owned(),
                )
            }
        };
        ErrorPage {
            chrome: Chrome::signed_out(heading),
            heading,
            message,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Self::SignedOut { htmx } = self {
            return if htmx {
                // htmx follows HX-Redirect with a full page load.
                let mut response = StatusCode::OK.into_response();
                response
                    .headers_mut()
                    .insert("hx-redirect", HeaderValue::from_static(paths::SIGN_IN));
                response
            } else {
                let mut response = StatusCode::SEE_OTHER.into_response();
                response
                    .headers_mut()
                    .insert(LOCATION, HeaderValue::from_static(paths::SIGN_IN));
                response
            };
        }
        let status = self.status();
        render(status, &self.page())
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity, .. } => Self::NotFound(entity),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::InvalidInput { field, rule } => Self::BadRequest(format!("{field} {rule}")),
            StoreError::Disconnected(_) => Self::Conflict(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<PostsError> for PageError {
    fn from(error: PostsError) -> Self {
        match error {
            PostsError::Invalid(errors) => Self::BadRequest(errors.to_string()),
            PostsError::NotFound(what) => Self::NotFound(what),
            PostsError::Conflict(message) => Self::Conflict(message),
            PostsError::Graph(error) => Self::Upstream(format!(
                "Meta could not answer: {}",
                error
                    .api()
                    .map(|api| api.message.as_str())
                    .unwrap_or("no answer")
            )),
            PostsError::Store(error) => error.into(),
        }
    }
}

impl From<ConnectError> for PageError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::NotConfigured { .. } => Self::Internal(error.to_string()),
            ConnectError::Graph { .. } => Self::Upstream(error.to_string()),
            ConnectError::Store(store) => store.into(),
            // Every other message is written for the person connecting and says what to do.
            other => Self::BadRequest(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_out_page_request_is_sent_to_the_sign_in_form() {
        let response = PageError::SignedOut { htmx: false }.into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(paths::SIGN_IN)
        );
    }

    #[test]
    fn a_signed_out_htmx_request_is_told_to_load_the_sign_in_form() {
        let response = PageError::SignedOut { htmx: true }.into_response();
        assert_eq!(
            response
                .headers()
                .get("hx-redirect")
                .and_then(|v| v.to_str().ok()),
            Some(paths::SIGN_IN)
        );
    }

    #[test]
    fn internal_details_never_reach_the_page() {
        let page = PageError::Internal("password=hunter2".to_owned()).page();
        let html = page.render().unwrap_or_default();
        assert!(!html.contains("hunter2"), "{html}");
        assert!(html.contains("Something went wrong"), "{html}");
    }
}
