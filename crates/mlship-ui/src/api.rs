//! The JSON REST API under `/api/`: what the pages show, for scripts.
//!
//! GET  /api/experiments
//! GET  /api/runs?experiment=&sort=&filter=&limit=      (limit 0: all)
//! GET  /api/runs/{id}                                    (id or unique prefix)
//! GET  /api/runs/{id}/files/{path}                       (checked against its sha256)
//! GET  /api/compare?runs=A&runs=B…                       (2 to 5 runs)
//! GET  /api/models, /api/models/{name}
//! POST /api/models/{name}/versions   {"run_id": "…", "alias": "production"}
//! PUT  /api/models/{name}/aliases/{alias}   {"version": 3}
//! DELETE /api/models/{name}/aliases/{alias}
//!
//! Writes take `Content-Type: application/json` and, when the server has a
//! token, `Authorization: Bearer TOKEN`; the registry records the token's
//! identity as who made the change. Every error is `{"error": …, "status": …}`.

use crate::error::UiError;
use crate::guard::Caller;
use crate::SharedUi;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use mlship_track::{ModelSource, RunQuery, RunRow};
use serde_json::{json, Value};

/// Query pairs, repeated keys kept (`runs=a&runs=b`).
pub fn query_pairs(raw: Option<String>) -> Result<Vec<(String, String)>, UiError> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or(""))
        .map_err(|e| UiError::bad_request(format!("invalid query string: {e}")))
}

pub fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.as_str())
}

/// `experiment`, `sort`, `filter`, `limit` (default `default_limit`, 0 = all).
pub fn run_query(pairs: &[(String, String)], default_limit: usize) -> Result<RunQuery, UiError> {
    let limit = match get(pairs, "limit") {
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| UiError::bad_request(format!("limit must be a whole number (0 for all), got {text:?}")))?,
        None => default_limit,
    };
    Ok(RunQuery {
        experiment: get(pairs, "experiment").map(str::to_string),
        sort: get(pairs, "sort").map(str::to_string),
        filter: get(pairs, "filter").map(str::to_string),
        limit: (limit > 0).then_some(limit),
        ..RunQuery::default()
    })
}

pub async fn experiments(State(ui): State<SharedUi>) -> Result<Json<Value>, UiError> {
    Ok(Json(json!(ui.store.experiments().await?)))
}

pub async fn runs(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Result<Json<Value>, UiError> {
    let query = run_query(&query_pairs(raw)?, 0)?;
    Ok(Json(json!(ui.store.list_runs(&query).await?)))
}

pub async fn run(State(ui): State<SharedUi>, Path(id): Path<String>) -> Result<Json<Value>, UiError> {
    Ok(Json(json!(ui.store.run(&id).await?)))
}

/// A run's file, by its path inside the run (`plots/residuals.svg`, `model.mlship`).
pub async fn run_file(
    State(ui): State<SharedUi>,
    Path((id, path)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let id = ui.store.resolve_run_id(&id).await?;
    mlship_track::paths::check_relative(&path)?;
    let (file, bytes) = ui.store.run_file(&id, &format!("runs/{id}/{path}")).await?;
    let content_type = if file.path.ends_with(".svg") { "image/svg+xml" } else { "application/octet-stream" };
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if !file.path.ends_with(".svg") {
        let name = file.path.rsplit('/').next().unwrap_or("file");
        if let Ok(value) = header::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// The runs named by `runs=` (2 to 5), in the order given.
pub async fn compared_runs(ui: &SharedUi, pairs: &[(String, String)]) -> Result<Vec<RunRow>, UiError> {
    let ids: Vec<&str> = pairs.iter().filter(|(k, v)| k == "runs" && !v.is_empty()).map(|(_, v)| v.as_str()).collect();
    if !(2..=5).contains(&ids.len()) {
        return Err(UiError::bad_request(format!("compare takes 2 to 5 runs (runs=ID&runs=ID…), got {}", ids.len())));
    }
    let mut runs = Vec::new();
    for id in ids {
        runs.push(ui.store.run(id).await?.run);
    }
    Ok(runs)
}

pub async fn compare(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Result<Json<Value>, UiError> {
    let runs = compared_runs(&ui, &query_pairs(raw)?).await?;
    let rows = mlship_track::search::compare(&runs);
    Ok(Json(json!({ "runs": runs, "rows": rows })))
}

pub async fn models(State(ui): State<SharedUi>) -> Result<Json<Value>, UiError> {
    Ok(Json(json!(ui.store.models().await?)))
}

pub async fn model(State(ui): State<SharedUi>, Path(name): Path<String>) -> Result<Json<Value>, UiError> {
    Ok(Json(json!(ui.store.model(&name).await?)))
}

fn json_body(body: &Bytes) -> Result<Value, UiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| UiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(UiError::bad_request("the body must be a JSON object"));
    }
    Ok(value)
}

pub async fn register(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let body = json_body(&body)?;
    let run_id = body.get("run_id").and_then(Value::as_str).ok_or_else(|| {
        UiError::bad_request("give {\"run_id\": \"…\"}: the API registers runs (use the CLI for files)")
    })?;
    let alias = match body.get("alias") {
        None | Some(Value::Null) => None,
        Some(Value::String(alias)) => Some(alias.as_str()),
        Some(_) => return Err(UiError::bad_request("\"alias\" must be a string")),
    };
    let version = ui.store.register_by(&name, &ModelSource::Run(run_id.to_string()), alias, &caller.0).await?;
    Ok((StatusCode::CREATED, Json(json!(version))).into_response())
}

pub async fn set_alias(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    Path((name, alias)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, UiError> {
    let body = json_body(&body)?;
    let version = body
        .get("version")
        .and_then(Value::as_i64)
        .filter(|v| *v >= 1)
        .ok_or_else(|| UiError::bad_request("give {\"version\": N} with N a version number (1, 2, …)"))?;
    let moved = ui.store.set_alias_by(&name, &alias, version, &caller.0).await?;
    Ok(Json(json!({ "model": name, "alias": alias.to_ascii_lowercase(), "version": version, "moved": moved })))
}

pub async fn delete_alias(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    Path((name, alias)): Path<(String, String)>,
) -> Result<StatusCode, UiError> {
    ui.store.delete_alias_by(&name, &alias, &caller.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
