//! One error shape for every API, and the one place that maps errors to HTTP
//! statuses. The body carries both protocols' keys so MLflow clients
//! (`error_code`, `message`) and KServe V2 clients (`error`) read it as they
//! expect: `{"error": "...", "error_code": "...", "message": "...", "status": 422, "field": "age"}`.
//! Client mistakes are 4xx with the field and the problem; internals are logged,
//! never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
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
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), field: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A 422 about one field of the input.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into(), field: Some(field.to_string()) }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

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
