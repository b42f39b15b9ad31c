//! The JSON APIs, all scoring with the one loaded pipeline: the seed's
//! `/predict_api`, MLflow's `/invocations` (+ `/ping`, `/version`) and the
//! Open Inference Protocol (KServe V2) under `/v2`.

use crate::error::{from_learn_error, ApiError};
use crate::input::{self, ParsedInput};
use crate::json_input;
use crate::state::{ServedModel, SharedState};
use crate::warnings::Warnings;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mlship_learn::{ClassLabel, LabelEncoding, Predictions};
use serde_json::{json, Value};
use std::sync::Arc;

/// Rows scored by a request, for the request log line.
#[derive(Clone, Copy, Debug)]
pub struct RowsScored(pub usize);

pub struct Scored {
    pub predictions: Predictions,
    pub warnings: Warnings,
}

/// Scores `parsed` with `model`; with an inference log, the rows go to it
/// under `request_id` (moved, not copied: the table is not needed after scoring).
pub fn score(
    state: &SharedState,
    model: &Arc<ServedModel>,
    parsed: ParsedInput,
    request_id: &str,
) -> Result<Scored, ApiError> {
    let pipeline = &model.artifact.pipeline;
    let predictions = pipeline.predict(&parsed.table).map_err(from_learn_error)?;
    let non_finite = match &predictions {
        Predictions::Regression(values) => values.iter().position(|p| !p.is_finite()),
        Predictions::Classification(classes) => classes
            .probabilities
            .as_ref()
            .and_then(|p| p.iter().position(|v| !v.is_finite()).map(|i| i / classes.n_classes)),
    };
    if let Some(row) = non_finite {
        return Err(ApiError::unprocessable(format!(
            "row {row}: the model cannot score this row (its prediction is not finite); check the inputs against the training ranges"
        )));
    }
    state.metrics.record_predictions(&predictions, pipeline.labels.as_ref());
    state.live.observe(&parsed.table, &predictions);
    if let Some(log) = state.inference_log() {
        log.scored(request_id, model.clone(), parsed.table, &predictions);
    }
    Ok(Scored { predictions, warnings: parsed.warnings })
}

/// A class label as JSON: a whole number as an integer (`1`, not `1.0`),
/// any other number as a number, text as a string.
pub fn label_json(label: &ClassLabel) -> Value {
    match label {
        ClassLabel::Number(value) if value.fract() == 0.0 && value.abs() < 9.0e15 => json!(*value as i64),
        ClassLabel::Number(value) => json!(value),
        ClassLabel::Text(text) => json!(text),
    }
}

/// The label of a class code of the served model, as text.
pub fn class_label(model: &ServedModel, code: usize) -> String {
    model.artifact.pipeline.labels.as_ref().and_then(|l| l.label(code)).map_or_else(String::new, ToString::to_string)
}

/// What every API answers per row: the number, or the original label.
fn prediction_values(model: &ServedModel, predictions: &Predictions, round: bool) -> Vec<Value> {
    match predictions {
        Predictions::Regression(values) => {
            values.iter().map(|&v| if round { json!(round4(v)) } else { json!(v) }).collect()
        }
        Predictions::Classification(classes) => {
            let labels = model.artifact.pipeline.labels.as_ref();
            classes
                .codes
                .iter()
                .map(|&code| labels.and_then(|l| l.label(code)).map_or(Value::Null, label_json))
                .collect()
        }
    }
}

/// A classifier's classes as JSON, in probability-column order.
fn classes_json(model: &ServedModel) -> Vec<Value> {
    model.artifact.pipeline.labels.iter().flat_map(|l| l.classes.iter().map(label_json)).collect()
}

/// Per-row probability lists of a classifier with probabilities.
fn probability_rows(predictions: &Predictions) -> Option<Vec<Vec<f64>>> {
    let classes = predictions.classes()?;
    let probabilities = classes.probabilities.as_ref()?;
    Some(probabilities.chunks(classes.n_classes).map(<[f64]>::to_vec).collect())
}

/// The V2 datatype of a classifier's label tensor: INT64 for whole-number
/// labels, FP64 for other numbers, BYTES for text.
pub fn label_datatype(labels: &LabelEncoding) -> &'static str {
    if labels.classes.iter().all(|c| matches!(c, ClassLabel::Number(v) if v.fract() == 0.0 && v.abs() < 9.0e15)) {
        "INT64"
    } else if labels.classes.iter().all(|c| matches!(c, ClassLabel::Number(_))) {
        "FP64"
    } else {
        "BYTES"
    }
}

/// Whether a query string asks for probabilities (`probabilities=true`).
fn wants_probabilities(query: Option<&str>) -> Result<bool, ApiError> {
    let Some(query) = query else { return Ok(false) };
    for (key, value) in serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?
    {
        if key == "probabilities" {
            return match value.as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(ApiError::bad_request(format!("probabilities must be true or false, got {other:?}"))),
            };
        }
    }
    Ok(false)
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// Parses a JSON body, with a message that says where it is broken.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| json_input::invalid_json(body, &e))
}

fn require_json(headers: &HeaderMap, allow_missing: bool) -> Result<(), ApiError> {
    match content_type(headers).as_deref() {
        Some("application/json") => Ok(()),
        None if allow_missing => Ok(()),
        Some(other) => Err(ApiError::unsupported_media_type(other, "application/json")),
        None => Err(ApiError::unsupported_media_type("(none)", "application/json")),
    }
}

fn with_rows(mut response: Response, rows: usize) -> Response {
    response.extensions_mut().insert(RowsScored(rows));
    response
}

/// Warnings travel in a header where the body's shape is fixed by a protocol;
/// the header is aggregated and bounded like the bodies' warnings.
fn warning_header(response: &mut Response, warnings: &Warnings) {
    if warnings.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&warnings.header_text()) {
        response.headers_mut().insert("x-mlship-warnings", value);
    }
}

/// PyCaret's `predict_model` rounds `prediction_label` to 4 decimals by default; the seed returns that.
fn round4(value: f64) -> f64 {
    (value * 1e4).round_ties_even() / 1e4
}

/// `POST /predict_api`: one JSON record in, one JSON number out (the seed's
/// contract; like Flask's `get_json(force=True)` a missing content type is read as JSON).
pub async fn predict_api(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers, true)?;
    let model = state.model();
    let request_id = crate::request_id::of(&headers);
    let scored =
        score(&state, &model, json_input::single_record(&model.artifact.pipeline.schema, &body)?, &request_id)?;
    let value = prediction_values(&model, &scored.predictions, true).into_iter().next().unwrap_or(Value::Null);
    let mut response = Json(value).into_response();
    warning_header(&mut response, &scored.warnings);
    Ok(with_rows(response, 1))
}

/// `POST /invocations`: MLflow's scoring protocol. A classifier answers its
/// labels; with `?probabilities=true` also `probabilities` (one list per row,
/// in `classes` order) and `classes`.
pub async fn invocations(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let with_probabilities = wants_probabilities(query.as_deref())?;
    let model = state.model();
    let schema = &model.artifact.pipeline.schema;
    let parsed = match content_type(&headers).as_deref() {
        Some("text/csv") => input::from_csv(schema, &body)?,
        Some("application/json") => json_input::invocations(schema, &body)?,
        Some(other) => return Err(ApiError::unsupported_media_type(other, "application/json or text/csv")),
        None => return Err(ApiError::unsupported_media_type("(none)", "application/json or text/csv")),
    };
    let scored = score(&state, &model, parsed, &crate::request_id::of(&headers))?;
    let rows = scored.predictions.len();
    let mut body = json!({ "predictions": prediction_values(&model, &scored.predictions, false) });
    if with_probabilities {
        let Some(probabilities) = probability_rows(&scored.predictions) else {
            return Err(ApiError::bad_request(format!(
                "probabilities=true: model \"{}\" ({}) gives no probabilities",
                model.name, model.artifact.model_name
            )));
        };
        body["probabilities"] = json!(probabilities);
        body["classes"] = json!(classes_json(&model));
    }
    if !scored.warnings.is_empty() {
        body["warnings"] = json!(scored.warnings);
    }
    Ok(with_rows(Json(body).into_response(), rows))
}

/// `GET /ping`: MLflow's health check.
pub async fn ping() -> StatusCode {
    StatusCode::OK
}

/// `GET /version`: the server version, as MLflow's scoring server answers.
pub async fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

fn check_model_name(model: &ServedModel, name: &str) -> Result<(), ApiError> {
    if name == model.name {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("model \"{name}\" is not served here (this server serves \"{}\")", model.name)))
    }
}

fn v2_datatype(kind: &mlship_data::ColumnKind) -> &'static str {
    match kind {
        mlship_data::ColumnKind::Numeric => "FP64",
        _ => "BYTES",
    }
}

/// `GET /v2`: server metadata.
pub async fn v2_server() -> Json<Value> {
    Json(json!({ "name": "mlship", "version": env!("CARGO_PKG_VERSION"), "extensions": [] }))
}

pub async fn v2_live() -> Json<Value> {
    Json(json!({ "live": true }))
}

pub async fn v2_ready(State(state): State<SharedState>) -> Response {
    let ready = state.is_ready();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready }))).into_response()
}

/// `GET /v2/models/{name}`: model metadata, one input tensor per column.
pub async fn v2_model(State(state): State<SharedState>, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let model = state.model();
    check_model_name(&model, &name)?;
    let inputs: Vec<Value> = model
        .artifact
        .pipeline
        .schema
        .iter()
        .map(|c| json!({ "name": c.name, "datatype": v2_datatype(&c.kind), "shape": [-1] }))
        .collect();
    Ok(Json(json!({
        "name": model.name,
        "versions": [model.version],
        "platform": "mlship",
        "inputs": inputs,
        "outputs": v2_outputs_metadata(&model),
    })))
}

/// The output tensors a model answers: `predict` (FP64 numbers, or the
/// labels: INT64 or BYTES) and, for a classifier with probabilities,
/// `predict_proba` (FP64, `[rows, classes]`, in the classes' sorted order).
fn v2_outputs_metadata(model: &ServedModel) -> Vec<Value> {
    let pipeline = &model.artifact.pipeline;
    match &pipeline.labels {
        None => vec![json!({ "name": "predict", "datatype": "FP64", "shape": [-1] })],
        Some(labels) => {
            let mut outputs = vec![json!({ "name": "predict", "datatype": label_datatype(labels), "shape": [-1] })];
            if pipeline.model.has_probabilities() {
                outputs.push(json!({ "name": "predict_proba", "datatype": "FP64", "shape": [-1, labels.n_classes()] }));
            }
            outputs
        }
    }
}

pub async fn v2_model_ready(State(state): State<SharedState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    check_model_name(&state.model(), &name)?;
    let ready = state.is_ready();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((status, Json(json!({ "name": name, "ready": ready }))).into_response())
}

/// The optional members of an inference request must have the protocol's types.
fn check_v2_request(request: &Value) -> Result<(), ApiError> {
    let Value::Object(fields) = request else {
        return Err(ApiError::unprocessable("the request must be a JSON object with an \"inputs\" array"));
    };
    let wrong = |member: &str, expected: &str| Err(ApiError::unprocessable(format!("\"{member}\" must be {expected}")));
    match fields.get("id") {
        None | Some(Value::String(_)) => {}
        Some(_) => return wrong("id", "a string"),
    }
    match fields.get("parameters") {
        None | Some(Value::Object(_)) => {}
        Some(_) => return wrong("parameters", "an object"),
    }
    match fields.get("outputs") {
        None | Some(Value::Array(_)) => {}
        Some(_) => return wrong("outputs", "an array"),
    }
    if let Some(Value::Array(inputs)) = fields.get("inputs") {
        for (idx, tensor) in inputs.iter().enumerate() {
            match tensor.get("parameters") {
                None | Some(Value::Object(_)) => {}
                Some(_) => return wrong(&format!("inputs[{idx}].parameters"), "an object"),
            }
        }
    }
    Ok(())
}

/// The output names a V2 request asks for (`outputs: [{"name": …}]`), or
/// `None` for every output.
fn requested_outputs(request: &Value) -> Result<Option<Vec<String>>, ApiError> {
    let Some(Value::Array(outputs)) = request.get("outputs") else { return Ok(None) };
    outputs
        .iter()
        .enumerate()
        .map(|(idx, output)| {
            output.get("name").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                ApiError::unprocessable(format!("\"outputs[{idx}]\" must be an object with a string \"name\""))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `POST /v2/models/{name}/infer`: a batch of any size as one tensor per column.
pub async fn v2_infer(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let model = state.model();
    check_model_name(&model, &name)?;
    require_json(&headers, false)?;
    let request = parse_json(&body)?;
    check_v2_request(&request)?;
    let Some(Value::Array(inputs)) = request.get("inputs") else {
        return Err(ApiError::unprocessable("the request needs an \"inputs\" array of tensors"));
    };
    let requested = requested_outputs(&request)?;
    let request_id = crate::request_id::of(&headers);
    let scored = score(&state, &model, input::from_tensors(&model.artifact.pipeline.schema, inputs)?, &request_id)?;
    let rows = scored.predictions.len();
    let mut outputs = Vec::new();
    let labels = model.artifact.pipeline.labels.as_ref();
    let datatype = labels.map_or("FP64", label_datatype);
    outputs.push(json!({
        "name": "predict",
        "datatype": datatype,
        "shape": [rows],
        "data": prediction_values(&model, &scored.predictions, false),
    }));
    if let (Some(labels), Some(probabilities)) =
        (labels, scored.predictions.classes().and_then(|c| c.probabilities.as_ref()))
    {
        outputs.push(json!({
            "name": "predict_proba",
            "datatype": "FP64",
            "shape": [rows, labels.n_classes()],
            "data": probabilities,
        }));
    }
    if let Some(requested) = requested {
        let known: Vec<String> = outputs.iter().filter_map(|o| o["name"].as_str().map(str::to_string)).collect();
        if let Some(unknown) = requested.iter().find(|name| !known.contains(name)) {
            return Err(ApiError::bad_request(format!(
                "unknown output \"{unknown}\" (this model answers: {})",
                known.join(", ")
            )));
        }
        outputs.retain(|o| o["name"].as_str().is_some_and(|name| requested.iter().any(|r| r == name)));
    }
    let mut response = json!({
        "model_name": model.name,
        "model_version": model.version,
        "outputs": outputs,
    });
    // KServe: a request's `id` must come back; without one, the request id
    // (the x-request-id header) is the id, so a V2 client sees it in the body too.
    response["id"] = json!(request.get("id").and_then(Value::as_str).unwrap_or(&request_id));
    if !scored.warnings.is_empty() {
        response["parameters"] = json!({ "warnings": scored.warnings });
    }
    Ok(with_rows(Json(response).into_response(), rows))
}
