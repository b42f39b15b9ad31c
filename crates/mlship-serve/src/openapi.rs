//! The OpenAPI 3.1 document, built from the served model's input schema so the
//! record shape (fields, types, levels, ranges) is the model's own. Written by
//! hand rather than derived: the interesting schemas are only known at run time.

use crate::input::MAX_ABS_VALUE;
use crate::state::ServedModel;
use mlship_data::ColumnKind;
use serde_json::{json, Map, Value};

fn field_schema(column: &mlship_learn::InputColumn) -> Value {
    match &column.kind {
        ColumnKind::Numeric => {
            let mut description = "a number; null for missing (imputed)".to_string();
            if let (Some(min), Some(max)) = (column.min, column.max) {
                description = format!("a number (training range {min} to {max}); null for missing (imputed)");
            }
            json!({ "type": ["number", "null"], "minimum": -MAX_ABS_VALUE, "maximum": MAX_ABS_VALUE, "description": description })
        }
        ColumnKind::Categorical => json!({
            "type": ["string", "number", "null"],
            "examples": column.levels,
            "description": format!("one of the training levels ({}); other values are scored as unseen and flagged", column.levels.join(", ")),
        }),
        ColumnKind::Date { .. } => json!({
            "type": ["string", "null"],
            "format": "date",
            "description": "a date in the training format",
        }),
    }
}

fn example_record(model: &ServedModel) -> Value {
    let mut record = Map::new();
    for column in &model.artifact.pipeline.schema {
        let value = match &column.kind {
            ColumnKind::Numeric => json!(column.min.zip(column.max).map_or(0.0, |(a, b)| ((a + b) / 2.0).round())),
            _ => json!(column.levels.first().cloned().unwrap_or_default()),
        };
        record.insert(column.name.clone(), value);
    }
    Value::Object(record)
}

fn error_responses(codes: &[&str]) -> Map<String, Value> {
    let descriptions = [
        ("400", "malformed body (invalid JSON or CSV)"),
        ("404", "no such model"),
        ("413", "body over the size limit"),
        ("415", "unsupported content type"),
        ("422", "the input does not fit the model's schema (the field is named)"),
        ("503", "not ready, or the request timed out"),
    ];
    descriptions
        .iter()
        .filter(|(code, _)| codes.contains(code))
        .map(|(code, description)| {
            (
                code.to_string(),
                json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
            )
        })
        .collect()
}

fn json_body(schema: Value, example: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema, "example": example } } })
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn operation(summary: &str, request: Option<Value>, ok: Value, errors: &[&str]) -> Value {
    let mut responses = error_responses(errors);
    responses.insert("200".to_string(), ok);
    let mut op = json!({ "summary": summary, "responses": responses });
    if let Some(body) = request {
        op["requestBody"] = body;
    }
    op
}

fn model_name_parameter(name: &str) -> Value {
    json!([{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "example": name }])
}

/// The `x-request-id` answer header every prediction route documents.
fn with_request_id(mut ok: Value, where_else: &str) -> Value {
    ok["headers"] = json!({ "x-request-id": { "$ref": "#/components/headers/RequestId" } });
    if !where_else.is_empty() {
        let description = ok["description"].as_str().unwrap_or_default().to_string();
        ok["description"] = json!(format!("{description}; {where_else}"));
    }
    ok
}

/// `POST /feedback`: the body shapes and every answer (`logging`: whether
/// this server was started with --log-inferences).
fn feedback_operation(logging: bool) -> Value {
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let item = json!({ "$ref": "#/components/schemas/Feedback" });
    let list = json!({ "type": "array", "items": item, "minItems": 1 });
    let state = if logging {
        "This server logs inferences."
    } else {
        "This server was started without --log-inferences, so it answers 409."
    };
    json!({
        "summary": "Actual values for earlier predictions, by request id (the x-request-id answered with the prediction)",
        "description": format!("One item, a list of them, or {{\"feedback\": [...]}}; all or nothing. The actual is a number for a regressor, one of the classes for a classifier. Accepted items are written to the inference log's feedback files. {state}"),
        "requestBody": { "required": true, "content": { "application/json": {
            "schema": { "oneOf": [item, list, { "type": "object", "required": ["feedback"], "additionalProperties": false, "properties": { "feedback": list } }] },
            "example": { "request_id": "0123456789abcdef0123456789abcdef", "actual": 1 }
        } } },
        "responses": {
            "200": ok_json("every item was accepted", json!({ "type": "object", "required": ["accepted"], "properties": { "accepted": { "type": "integer", "minimum": 1 } } })),
            "400": error("malformed JSON"),
            "404": error("a request id this server did not give or no longer remembers (each is named); nothing was recorded"),
            "409": error("the server was started without --log-inferences"),
            "410": error("a request id older than --feedback-max-age; nothing was recorded"),
            "413": error("body over the size limit"),
            "415": error("unsupported content type"),
            "422": error("an item is not {request_id, actual, row?}, its actual is not of the model's task or class, or its row is out of range"),
            "503": error("the log's queue is full or the server is stopping; nothing was recorded, retry")
        }
    })
}

pub fn document(model: &ServedModel, body_limit: usize, logging: bool) -> Value {
    let schema = &model.artifact.pipeline.schema;
    let properties: Map<String, Value> = schema.iter().map(|c| (c.name.clone(), field_schema(c))).collect();
    let required: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
    let record =
        json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": true });
    let example = example_record(model);
    let records = json!({ "type": "array", "items": { "$ref": "#/components/schemas/Record" }, "minItems": 1 });
    let columnar_properties: Map<String, Value> = schema
        .iter()
        .map(|c| (c.name.clone(), json!({ "type": "array", "items": field_schema(c), "minItems": 1 })))
        .collect();
    let columnar = json!({ "type": "object", "properties": columnar_properties, "required": required, "additionalProperties": true });
    let one_key = |key: &str, value: Value| json!({ "type": "object", "properties": { key: value }, "required": [key], "additionalProperties": false });
    let mlflow = json!({ "oneOf": [
        one_key("dataframe_records", records.clone()),
        one_key("dataframe_split", json!({
            "type": "object",
            "properties": {
                "columns": { "type": "array", "items": { "type": "string" } },
                "data": { "type": "array", "items": { "type": "array" }, "minItems": 1 },
                "index": { "type": "array" }
            },
            "required": ["columns", "data"]
        })),
        one_key("instances", json!({ "oneOf": [records.clone(), columnar.clone()] })),
        one_key("inputs", json!({ "oneOf": [records, columnar] })),
    ]});
    let tensor = json!({
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": { "type": "string", "enum": required },
            "shape": { "type": "array", "items": { "type": "integer", "minimum": 0 }, "minItems": 1, "maxItems": 2 },
            "datatype": { "type": "string", "enum": ["BYTES", "FP64", "FP32", "INT64", "INT32"] },
            "data": { "type": "array" },
            "parameters": { "type": "object" }
        }
    });
    let v2_example = json!({ "inputs": schema.iter().map(|c| json!({
        "name": c.name,
        "shape": [1],
        "datatype": if c.kind == ColumnKind::Numeric { "FP64" } else { "BYTES" },
        "data": [example[&c.name]],
    })).collect::<Vec<_>>() });
    let html = |description: &str| json!({ "description": description, "content": { "text/html": { "schema": { "type": "string" } } } });
    let form_properties: Map<String, Value> =
        schema.iter().map(|c| (c.name.clone(), json!({ "type": "string", "minLength": 1 }))).collect();
    let mut form_post = operation(
        "The web form's submission: answers the page with the prediction",
        None,
        html("the page with the prediction"),
        &["413", "415"],
    );
    form_post["requestBody"] = json!({ "required": true, "content": { "application/x-www-form-urlencoded": { "schema": {
        "type": "object", "properties": form_properties, "required": required } } } });
    form_post["responses"]["422"] = html("the page with a message next to each invalid field");
    let warnings = json!({ "type": "array", "items": { "$ref": "#/components/schemas/Warning" } });
    let pipeline = &model.artifact.pipeline;
    // What one prediction is: a number, or one of the classifier's labels.
    let (prediction, prediction_text, v2_text) = match &pipeline.labels {
        None => (json!({ "type": "number" }), "the predicted number", "one FP64 tensor `predict`".to_string()),
        Some(labels) => {
            let classes: Vec<Value> = labels.classes.iter().map(crate::api::label_json).collect();
            let datatype = crate::api::label_datatype(labels);
            let proba = if pipeline.model.has_probabilities() {
                format!(
                    " and an FP64 tensor `predict_proba` of shape [rows, {}] (columns in the order of the classes {})",
                    labels.n_classes(),
                    serde_json::to_string(&classes).unwrap_or_default()
                )
            } else {
                String::new()
            };
            (
                json!({ "enum": classes }),
                "the predicted class label",
                format!("a {datatype} tensor `predict` of class labels{proba}"),
            )
        }
    };
    let probabilities_parameter = json!([{ "name": "probabilities", "in": "query", "required": false,
        "description": "A classifier with probabilities also answers `probabilities` (one list per row, in `classes` order) and `classes`",
        "schema": { "type": "boolean", "default": false } }]);
    let invocations_ok = json!({
        "type": "object", "required": ["predictions"],
        "properties": {
            "predictions": { "type": "array", "items": prediction.clone() },
            "probabilities": { "type": "array", "items": { "type": "array", "items": { "type": "number", "minimum": 0, "maximum": 1 } } },
            "classes": { "type": "array" },
            "warnings": warnings
        }
    });
    let ready = json!({ "type": "object", "required": ["ready"], "properties": { "ready": { "type": "boolean" }, "name": { "type": "string" } } });

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("mlship: {}", model.name),
            "version": model.version,
            "description": format!(
                "Predicts \"{}\" with {} (mlship {}). Every API scores the same pipeline. Bodies over {} bytes are refused with 413. Every error, also a 405 (wrong method), 414 (URL too long), 431 (headers too large), a malformed request's 400 and an internal 500, has the Error shape. Every answer carries an x-request-id header (the one sent, when sane, else a new one).",
                model.artifact.pipeline.target, model.artifact.model_name, env!("CARGO_PKG_VERSION"), body_limit
            ),
        },
        "paths": {
            "/": { "get": operation("The web form", None, html("the form page"), &[]) },
            "/predict": { "post": form_post },
            "/predict_api": { "post": operation(
                "The seed's contract: one JSON record in, one JSON value out (a number rounded to 4 decimals as PyCaret's predict_model, or a class label)",
                Some(json_body(json!({ "$ref": "#/components/schemas/Record" }), example.clone())),
                with_request_id(ok_json(prediction_text, prediction), "the body is the bare value the seed answers, so the request id is only in the x-request-id header"),
                &["400", "413", "415", "422"],
            ) },
            "/invocations": { "post": {
                "summary": "MLflow's scoring protocol: dataframe_split, dataframe_records, instances, inputs, or a CSV body",
                "parameters": probabilities_parameter,
                "requestBody": { "required": true, "content": {
                    "application/json": { "schema": mlflow, "example": { "dataframe_records": [example] } },
                    "text/csv": { "schema": { "type": "string" } }
                } },
                "responses": {
                    "200": with_request_id(ok_json("one prediction per row", invocations_ok), "MLflow's body shape is kept, so the request id is only in the x-request-id header"),
                    "400": error_responses(&["400"])["400"], "413": error_responses(&["413"])["413"],
                    "415": error_responses(&["415"])["415"], "422": error_responses(&["422"])["422"]
                }
            } },
            "/ping": { "get": { "summary": "MLflow's health check", "responses": { "200": { "description": "serving" } } } },
            "/version": { "get": { "summary": "The server's version", "responses": { "200": {
                "description": "version", "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/v2": { "get": operation("Open Inference Protocol: server metadata", None, ok_json("metadata", json!({
                "type": "object", "required": ["name", "version", "extensions"],
                "properties": { "name": { "type": "string" }, "version": { "type": "string" }, "extensions": { "type": "array", "items": { "type": "string" } } }
            })), &[]) },
            "/v2/health/live": { "get": operation("Open Inference Protocol: liveness", None, ok_json("live", json!({
                "type": "object", "properties": { "live": { "type": "boolean" } } })), &[]) },
            "/v2/health/ready": { "get": {
                "summary": "Open Inference Protocol: readiness",
                "responses": { "200": ok_json("ready", ready.clone()), "503": ok_json("not ready (shutting down)", ready.clone()) }
            } },
            "/v2/models/{name}": { "get": {
                "summary": "Open Inference Protocol: model metadata",
                "parameters": model_name_parameter(&model.name),
                "responses": { "200": ok_json("metadata", json!({ "type": "object", "required": ["name", "versions", "platform", "inputs", "outputs"] })),
                               "404": error_responses(&["404"])["404"] }
            } },
            "/v2/models/{name}/ready": { "get": {
                "summary": "Open Inference Protocol: model readiness",
                "parameters": model_name_parameter(&model.name),
                "responses": { "200": ok_json("ready", ready.clone()), "404": error_responses(&["404"])["404"],
                               "503": ok_json("not ready (shutting down)", ready.clone()) }
            } },
            "/v2/models/{name}/infer": { "post": {
                "summary": "Open Inference Protocol: inference, one tensor per input column (BYTES for text, FP64/INT64 for numbers)",
                "parameters": model_name_parameter(&model.name),
                "requestBody": json_body(json!({
                    "type": "object", "required": ["inputs"],
                    "properties": { "id": { "type": "string" }, "parameters": { "type": "object" },
                                    "inputs": { "type": "array", "items": tensor, "minItems": 1 }, "outputs": { "type": "array" } }
                }), v2_example),
                "responses": {
                    "200": with_request_id(ok_json(&format!("the predictions as {v2_text}; `id` is the request's `id` when it sent one, else the request id (x-request-id)"), json!({
                        "type": "object", "required": ["model_name", "outputs"],
                        "properties": { "model_name": { "type": "string" }, "model_version": { "type": "string" }, "id": { "type": "string" },
                                        "outputs": { "type": "array" }, "parameters": { "type": "object" } }
                    })), ""),
                    "400": error_responses(&["400"])["400"], "404": error_responses(&["404"])["404"], "413": error_responses(&["413"])["413"],
                    "415": error_responses(&["415"])["415"], "422": error_responses(&["422"])["422"]
                }
            } },
            "/feedback": { "post": feedback_operation(logging) },
            "/openapi.json": { "get": operation("This document", None, ok_json("OpenAPI 3.1", json!({ "type": "object" })), &[]) },
            "/docs": { "get": operation("API documentation (works offline)", None, html("the documentation page"), &[]) },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": { "200": { "description": "OpenMetrics text",
                "content": { "application/openmetrics-text": { "schema": { "type": "string" } } } } } } },
            "/healthz": { "get": operation("Liveness", None, ok_json("alive", json!({ "type": "object", "properties": { "status": { "type": "string" } } })), &[]) },
            "/readyz": { "get": {
                "summary": "Readiness (false from the moment shutdown starts)",
                "responses": { "200": ok_json("ready", ready.clone()), "503": ok_json("not ready (shutting down)", ready) }
            } },
        },
        "components": {
          "headers": { "RequestId": { "description": "The request's id: the x-request-id sent when it is 1 to 128 visible ASCII characters, else a new one (32 hex digits). Inference log lines and POST /feedback use it.", "schema": { "type": "string" } } },
          "schemas": {
            "Feedback": { "type": "object", "required": ["request_id", "actual"], "properties": {
                "request_id": { "type": "string", "minLength": 1, "maxLength": 128 },
                "actual": { "description": "a number (regression) or one of the classes (classification)" },
                "row": { "type": "integer", "minimum": 0, "default": 0, "description": "the row of that request, from 0" } } },
            "Record": record,
            "Warning": { "type": "object", "required": ["field", "message", "count", "examples"],
                "description": "Every value of one column with the same problem: a count and the first few values (truncated)",
                "properties": {
                "field": { "type": "string" }, "message": { "type": "string" }, "count": { "type": "integer" },
                "examples": { "type": "array", "maxItems": crate::warnings::MAX_EXAMPLES, "items": { "type": "object",
                    "required": ["row", "value"], "properties": { "row": { "type": "integer" }, "value": { "type": "string" } } } } } },
            "Error": { "type": "object", "required": ["error", "error_code", "message", "status"], "properties": {
                "error": { "type": "string" }, "error_code": { "type": "string" }, "message": { "type": "string" },
                "status": { "type": "integer" }, "field": { "type": "string" } } },
        } },
    })
}
