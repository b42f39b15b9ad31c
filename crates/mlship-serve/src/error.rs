//! One error shape for every API, and the one place that maps errors to HTTP
//! statuses. The body carries both protocols' keys so MLflow clients
//! (`error_code`, `message`) and KServe V2 clients (`error`) read it as they
//! expect: `{"error": "...", "error_code": "...", "message": "...", "status": 422, "field": "age"}`.
//! Client mistakes are 4xx with the field and the problem; internals are logged,
//! never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A failed API request: status, message and, for bad input, the field at fault; rendered as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// What went wrong, for the client.
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_code: &'static str,
    message: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), field: None }
    }

    /// A 400: the request cannot be read.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A 422: the request is read but its values are not acceptable.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A 422 about one field of the input.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into(), field: Some(field.to_string()) }
    }

    /// A 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// A 415 naming the content type received and the one expected.
    pub fn unsupported_media_type(found: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type \"{found}\" is not supported here; send {expected}"),
        )
    }

    /// A server-side failure: the details go to the log, the client gets a plain message.
    pub fn internal(context: &str, details: impl std::fmt::Display) -> Self {
        tracing::error!(context, %details, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error while {context}"))
    }

    fn error_code(&self) -> &'static str {
        match self.status {
            StatusCode::NOT_FOUND => "RESOURCE_DOES_NOT_EXIST",
            StatusCode::PAYLOAD_TOO_LARGE => "REQUEST_LIMIT_EXCEEDED",
            StatusCode::SERVICE_UNAVAILABLE => "TEMPORARILY_UNAVAILABLE",
            status if status.is_server_error() => "INTERNAL_ERROR",
            _ => "BAD_REQUEST",
        }
    }

    /// The JSON body the client receives.
    pub fn to_json(&self) -> String {
        let body = ErrorBody {
            error: &self.message,
            error_code: self.error_code(),
            message: &self.message,
            status: self.status.as_u16(),
            field: self.field.as_deref(),
        };
        serde_json::to_string(&body).unwrap_or_else(|_| "{\"error\":\"error\"}".to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, [(axum::http::header::CONTENT_TYPE, "application/json")], self.to_json()).into_response()
    }
}

/// Maps a pipeline error on user data to a 422 naming the field; anything else is ours.
pub fn from_learn_error(error: mlship_learn::LearnError) -> ApiError {
    use mlship_learn::LearnError;
    match error {
        LearnError::Value { column, row, message } => {
            ApiError::field(&column, format!("row {}: {message}", row.saturating_sub(1)))
        }
        LearnError::Column { column, message } => ApiError::field(&column, message),
        LearnError::MissingColumn(column) => ApiError::field(&column, format!("missing field \"{column}\"")),
        other => ApiError::internal("scoring", other),
    }
}
