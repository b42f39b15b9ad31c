//! One error shape for the API and the pages: a status and a message, as JSON
//! (`{"error": …, "status": …}`) under `/api/`, as a small page elsewhere.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mlship_track::TrackError;

/// A failed request: the status and the message the client sees.
#[derive(Debug)]
pub struct UiError {
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// What went wrong, shown to the client.
    pub message: String,
}

impl UiError {
    /// A 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        UiError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// A 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        UiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// Our fault: logged with its detail; the client sees a short message.
    pub fn internal(detail: impl Into<String>) -> Self {
        tracing::error!(target: "mlship::ui", "{}", detail.into());
        UiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error (the server's log has the details)".to_string(),
        }
    }
}

impl From<TrackError> for UiError {
    fn from(error: TrackError) -> Self {
        let status = match &error {
            TrackError::NotFound(_) => StatusCode::NOT_FOUND,
            TrackError::ConfusableName { .. } => StatusCode::CONFLICT,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            // The store's own failures name its path or URL: logged, never shown.
            _ => return UiError::internal(format!("store error: {error}")),
        };
        UiError { status, message: error.to_string() }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message, "status": self.status.as_u16() })))
            .into_response()
    }
}

/// The same error as a page, for the HTML routes.
pub struct PageError(pub UiError);

impl From<UiError> for PageError {
    fn from(error: UiError) -> Self {
        PageError(error)
    }
}

impl From<TrackError> for PageError {
    fn from(error: TrackError) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        use askama::Template;
        let page = crate::pages::ErrorPage { status: self.0.status.as_u16(), message: &self.0.message };
        match page.render() {
            Ok(html) => (self.0.status, axum::response::Html(html)).into_response(),
            // Only a failing `Display` can fail a render; the client still gets a page, never plain text.
            Err(error) => {
                tracing::error!(target: "mlship::ui", "cannot render the error page ({}): {error}", self.0.message);
                let status = self.0.status.as_u16();
                let page = format!("<!doctype html><title>Error {status} · mlship</title><h1>Error {status}</h1>");
                (self.0.status, axum::response::Html(page)).into_response()
            }
        }
    }
}
