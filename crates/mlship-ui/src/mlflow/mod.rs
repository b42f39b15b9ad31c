//! MLflow's REST protocol on mlship's tracking server, so that the `mlflow`
//! client (`MLFLOW_TRACKING_URI=http://this-server`) works unchanged: the
//! tracking calls under `/api/2.0/mlflow/` (`tracking`), the model registry's
//! (`registry`) and the artifact proxy under `/api/2.0/mlflow-artifacts/`
//! (`artifacts`). Every answer's shape and every error's
//! `{"error_code", "message"}` follow MLflow's server (mlflow/server/handlers.py);
//! the request fields are its protobuf messages as JSON (int64 fields are
//! accepted as numbers or as strings, as protobuf's JSON mapping writes them).
//!
//! The same guard as the rest of the server runs first: Host and Origin
//! checks, and with `--auth-token` a token for every write (the client's
//! `MLFLOW_TRACKING_TOKEN` is sent as `Authorization: Bearer`).

mod artifacts;
mod registry;
mod tracking;

use crate::SharedUi;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mlship_track::TrackError;
use serde_json::{json, Map, Value};

/// The largest JSON request the protocol's routes read: a full `log-batch`
/// (1,000 metrics, 100 params of 6,000 characters, 100 tags) fits many times.
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// Every MLflow route, on the UI's state.
pub fn routes() -> Router<SharedUi> {
    let api = "/api/2.0/mlflow";
    Router::new()
        .route(&format!("{api}/experiments/get-by-name"), get(tracking::get_experiment_by_name))
        .route(&format!("{api}/experiments/get"), get(tracking::get_experiment))
        .route(&format!("{api}/experiments/create"), post(tracking::create_experiment))
        .route(
            &format!("{api}/experiments/search"),
            post(tracking::search_experiments).get(tracking::search_experiments_get),
        )
        .route(&format!("{api}/experiments/delete"), post(tracking::delete_experiment))
        .route(&format!("{api}/experiments/restore"), post(tracking::restore_experiment))
        .route(&format!("{api}/experiments/set-experiment-tag"), post(tracking::set_experiment_tag))
        .route(&format!("{api}/runs/create"), post(tracking::create_run))
        .route(&format!("{api}/runs/update"), post(tracking::update_run))
        .route(&format!("{api}/runs/get"), get(tracking::get_run))
        .route(&format!("{api}/runs/delete"), post(tracking::delete_run))
        .route(&format!("{api}/runs/restore"), post(tracking::restore_run))
        .route(&format!("{api}/runs/log-metric"), post(tracking::log_metric))
        .route(&format!("{api}/runs/log-parameter"), post(tracking::log_param))
        .route(&format!("{api}/runs/set-tag"), post(tracking::set_tag))
        .route(&format!("{api}/runs/delete-tag"), post(tracking::delete_tag))
        .route(&format!("{api}/runs/log-batch"), post(tracking::log_batch))
        .route(&format!("{api}/runs/log-inputs"), post(tracking::log_inputs))
        .route(&format!("{api}/runs/search"), post(tracking::search_runs))
        .route(&format!("{api}/metrics/get-history"), get(tracking::get_metric_history))
        .route(&format!("{api}/logged-models/search"), post(tracking::search_logged_models))
        .route(&format!("{api}/artifacts/list"), get(artifacts::list_run_artifacts))
        .route(&format!("{api}/registered-models/create"), post(registry::create_registered_model))
        .route(&format!("{api}/registered-models/get"), get(registry::get_registered_model))
        .route(
            &format!("{api}/registered-models/alias"),
            post(registry::set_alias).get(registry::get_by_alias).delete(registry::delete_alias),
        )
        .route(&format!("{api}/model-versions/create"), post(registry::create_model_version))
        .route(&format!("{api}/model-versions/get"), get(registry::get_model_version))
        .route(&format!("{api}/model-versions/search"), get(registry::search_model_versions))
        .route(&format!("{api}/model-versions/get-download-uri"), get(registry::get_download_uri))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(artifacts::routes())
}

/// An MLflow error: its HTTP status, `error_code` and message.
#[derive(Debug)]
pub struct MlflowError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl MlflowError {
    /// `INVALID_PARAMETER_VALUE` (400).
    pub fn invalid(message: impl Into<String>) -> Self {
        MlflowError { status: StatusCode::BAD_REQUEST, code: "INVALID_PARAMETER_VALUE", message: message.into() }
    }

    /// `RESOURCE_DOES_NOT_EXIST` (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        MlflowError { status: StatusCode::NOT_FOUND, code: "RESOURCE_DOES_NOT_EXIST", message: message.into() }
    }

    /// `INTERNAL_ERROR` (500): logged with its detail, the client sees a short message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(target: "mlship::ui", "mlflow route: {detail}");
        MlflowError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "INTERNAL_ERROR",
            message: "internal error (the server's log has the details)".to_string(),
        }
    }
}

impl From<TrackError> for MlflowError {
    fn from(error: TrackError) -> Self {
        let (status, code) = match &error {
            TrackError::NotFound(_) => (StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST"),
            TrackError::AlreadyExists(_) | TrackError::ConfusableName { .. } => {
                (StatusCode::BAD_REQUEST, "RESOURCE_ALREADY_EXISTS")
            }
            e if e.is_client_error() => (StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE"),
            _ => return MlflowError::internal(format!("store error: {error}")),
        };
        MlflowError { status, code, message: error.to_string() }
    }
}

impl IntoResponse for MlflowError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error_code": self.code, "message": self.message }))).into_response()
    }
}

/// What every handler answers.
pub type Answer = Result<Json<Value>, MlflowError>;

/// A request's fields: a POST's JSON body, or a GET's query string (repeated
/// keys become lists, as the client sends `order_by` and `experiment_ids`).
pub struct Fields(Map<String, Value>);

impl Fields {
    /// A JSON body; an empty body is no fields.
    pub fn from_body(body: &[u8]) -> Result<Fields, MlflowError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(_) => Err(MlflowError::invalid("the request body must be a JSON object")),
            Err(e) => Err(MlflowError::invalid(format!("the request body is not valid JSON: {e}"))),
        }
    }

    /// A query string.
    pub fn from_query(raw: Option<&str>) -> Result<Fields, MlflowError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| MlflowError::invalid(format!("invalid query string: {e}")))?;
        let mut map = Map::new();
        for (key, value) in pairs {
            match map.get_mut(&key) {
                Some(Value::Array(list)) => list.push(Value::String(value)),
                Some(first) => {
                    let first = first.take();
                    map.insert(key, Value::Array(vec![first, Value::String(value)]));
                }
                None => {
                    map.insert(key, Value::String(value));
                }
            }
        }
        Ok(Fields(map))
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A text field, if present.
    pub fn text(&self, key: &str) -> Result<Option<&str>, MlflowError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(MlflowError::invalid(format!("Invalid value {other} for parameter '{key}': a string"))),
        }
    }

    /// A scalar field as text (a string, number or boolean), if present.
    pub fn value_text(&self, key: &str) -> Option<String> {
        match self.value(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A text field that must be there (MLflow's "Missing value for required parameter").
    pub fn required(&self, key: &str) -> Result<&str, MlflowError> {
        match self.text(key)? {
            Some(text) if !text.is_empty() => Ok(text),
            _ => Err(MlflowError::invalid(format!("Missing value for required parameter '{key}'."))),
        }
    }

    /// An int64 field (a number or a numeric string), if present.
    pub fn int(&self, key: &str) -> Result<Option<i64>, MlflowError> {
        int_value(self.value(key), key)
    }

    /// A double field (a number, or a numeric string such as `"NaN"`), if present.
    pub fn float(&self, key: &str) -> Result<Option<f64>, MlflowError> {
        float_value(self.value(key), key)
    }

    /// A repeated field: a list, or one value.
    pub fn list(&self, key: &str) -> Vec<&Value> {
        match self.value(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one) => vec![one],
        }
    }

    /// `[{key, value}]` pairs (tags, params).
    pub fn pairs(&self, key: &str) -> Result<Vec<(String, String)>, MlflowError> {
        self.list(key).into_iter().map(|item| pair(item, key)).collect()
    }
}

fn int_value(value: Option<&Value>, key: &str) -> Result<Option<i64>, MlflowError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| MlflowError::invalid(format!("Invalid value {n} for parameter '{key}': a whole number"))),
        Some(Value::String(text)) => {
            text.trim().parse::<i64>().map(Some).map_err(|_| {
                MlflowError::invalid(format!("Invalid value {text:?} for parameter '{key}': a whole number"))
            })
        }
        Some(other) => {
            Err(MlflowError::invalid(format!("Invalid value {other} for parameter '{key}': a whole number")))
        }
    }
}

fn float_value(value: Option<&Value>, key: &str) -> Result<Option<f64>, MlflowError> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| MlflowError::invalid(format!("Invalid value {text:?} for parameter '{key}': a number"))),
        Some(other) => Err(MlflowError::invalid(format!("Invalid value {other} for parameter '{key}': a number"))),
    }
}

fn pair(item: &Value, field: &str) -> Result<(String, String), MlflowError> {
    let key = item.get("key").and_then(Value::as_str);
    let value = match item.get("value") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        None | Some(Value::Null) => Some(String::new()),
        Some(_) => None,
    };
    match (key, value) {
        (Some(key), Some(value)) if !key.is_empty() => Ok((key.to_string(), value)),
        _ => Err(MlflowError::invalid(format!(
            "Invalid value {item} in '{field}': each item is {{\"key\": …, \"value\": …}}"
        ))),
    }
}

/// `[{key, value}]` as MLflow answers tags and params.
pub fn pairs_json(pairs: &[(String, String)]) -> Value {
    Value::Array(pairs.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect())
}

/// An experiment id: MLflow's are strings of digits.
pub fn experiment_id(text: &str) -> Result<i64, MlflowError> {
    text.trim().parse::<i64>().ok().filter(|id| *id >= 0).ok_or_else(|| {
        MlflowError::invalid(format!("Invalid experiment id {text:?}: a whole number such as \"0\" or \"12\""))
    })
}

/// A run id: 32 lower-case hex digits (MLflow's uuid4 hex), nothing else.
pub fn run_id(text: &str) -> Result<String, MlflowError> {
    let id = text.trim().to_ascii_lowercase();
    if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(MlflowError::invalid(format!("Invalid run id {text:?}: 32 hex digits")))
    }
}

/// `page_token`: the offset of the page, as this server wrote it.
pub fn page_offset(token: Option<&str>) -> Result<usize, MlflowError> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(token) => token
            .strip_prefix("offset:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| MlflowError::invalid(format!("Invalid page token {token:?}"))),
    }
}

/// The token of the page after one that ended at `offset`.
pub fn page_token(offset: Option<usize>) -> Option<String> {
    offset.map(|n| format!("offset:{n}"))
}

/// `max_results` with MLflow's default and bound.
pub fn max_results(fields: &Fields, default: i64, most: i64) -> Result<usize, MlflowError> {
    let n = fields.int("max_results")?.unwrap_or(default);
    if n < 1 || n > most {
        return Err(MlflowError::invalid(format!(
            "Invalid value {n} for parameter 'max_results' supplied. It must be between 1 and {most}."
        )));
    }
    Ok(n as usize)
}

/// The artifact URI a client writes a run's files to: proxied by this server.
pub fn run_artifact_uri(experiment_id: i64, run_id: &str) -> String {
    format!("mlflow-artifacts:/{experiment_id}/{run_id}/artifacts")
}

/// Where a status code lands when the protocol's own shape is not JSON (never for these routes).
pub fn empty() -> Answer {
    Ok(Json(json!({})))
}
