//! Experiments, runs, params, metrics and tags: MLflow's `MlflowService`
//! calls, answered from mlship's store.

use super::{
    empty, experiment_id, max_results, page_offset, page_token, pairs_json, run_artifact_uri, run_id, Answer, Fields,
    MlflowError,
};
use crate::SharedUi;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::Json;
use mlship_track::mlflow::{MlflowExperiment, MlflowMetric, MlflowNewRun, MlflowRun, MlflowRunInfo};
use mlship_track::{Lifecycle, RunQuery};
use serde_json::{json, Value};

fn experiment_json(experiment: &MlflowExperiment) -> Value {
    json!({
        "experiment_id": experiment.id.to_string(),
        "name": experiment.name,
        "artifact_location": format!("mlflow-artifacts:/{}", experiment.id),
        "lifecycle_stage": experiment.lifecycle_stage,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": pairs_json(&experiment.tags),
    })
}

fn run_info_json(info: &MlflowRunInfo) -> Value {
    let mut value = json!({
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id.to_string(),
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "artifact_uri": run_artifact_uri(info.experiment_id, &info.run_id),
        "lifecycle_stage": info.lifecycle_stage,
    });
    if let Some(end) = info.end_time {
        value["end_time"] = json!(end);
    }
    value
}

fn metric_json(metric: &MlflowMetric) -> Value {
    json!({ "key": metric.key, "value": metric.value, "timestamp": metric.timestamp, "step": metric.step })
}

fn run_json(run: &MlflowRun) -> Value {
    json!({
        "info": run_info_json(&run.info),
        "data": {
            "metrics": run.metrics.iter().map(metric_json).collect::<Vec<_>>(),
            "params": pairs_json(&run.params),
            "tags": pairs_json(&run.tags),
        },
        "inputs": {},
    })
}

pub async fn get_experiment_by_name(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let experiment = ui.store.mlflow_experiment_by_name(fields.required("experiment_name")?).await?;
    Ok(Json(json!({ "experiment": experiment_json(&experiment) })))
}

pub async fn get_experiment(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let id = experiment_id(fields.required("experiment_id")?)?;
    let experiment = ui.store.mlflow_experiment(id).await?;
    Ok(Json(json!({ "experiment": experiment_json(&experiment) })))
}

pub async fn create_experiment(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let name = fields.required("name")?;
    // Artifacts live under this server's own root (or bucket), so no client
    // can point an experiment at a path of its choosing (MLflow's
    // `artifact_location` path-traversal CVEs).
    if let Some(location) = fields.text("artifact_location")?.filter(|l| !l.is_empty()) {
        return Err(MlflowError::invalid(format!(
            "Invalid value {location:?} for parameter 'artifact_location': this server keeps every artifact under its own root; leave artifact_location out"
        )));
    }
    let id = ui.store.mlflow_create_experiment(name, &fields.pairs("tags")?).await?;
    Ok(Json(json!({ "experiment_id": id.to_string() })))
}

fn view_type(fields: &Fields, key: &str) -> Result<Lifecycle, MlflowError> {
    Lifecycle::parse(fields.value_text(key).as_deref()).map_err(MlflowError::from)
}

async fn search_experiments_with(ui: SharedUi, fields: Fields) -> Answer {
    let max = max_results(&fields, 1000, 50_000)?;
    let offset = page_offset(fields.text("page_token")?)?;
    let lifecycle = view_type(&fields, "view_type")?;
    let (experiments, next) =
        ui.store.mlflow_search_experiments(lifecycle, fields.text("filter")?, max, offset).await?;
    let mut answer = json!({ "experiments": experiments.iter().map(experiment_json).collect::<Vec<_>>() });
    if let Some(token) = page_token(next) {
        answer["next_page_token"] = json!(token);
    }
    Ok(Json(answer))
}

pub async fn search_experiments(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    search_experiments_with(ui, Fields::from_body(&body)?).await
}

pub async fn search_experiments_get(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    search_experiments_with(ui, Fields::from_query(raw.as_deref())?).await
}

pub async fn delete_experiment(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_set_experiment_lifecycle(experiment_id(fields.required("experiment_id")?)?, true).await?;
    empty()
}

pub async fn restore_experiment(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_set_experiment_lifecycle(experiment_id(fields.required("experiment_id")?)?, false).await?;
    empty()
}

pub async fn set_experiment_tag(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = experiment_id(fields.required("experiment_id")?)?;
    ui.store.mlflow_set_experiment_tag(id, fields.required("key")?, fields.text("value")?.unwrap_or("")).await?;
    empty()
}

pub async fn create_run(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let experiment = match fields.text("experiment_id")? {
        Some(text) if !text.is_empty() => experiment_id(text)?,
        _ => mlship_track::mlflow::DEFAULT_EXPERIMENT_ID,
    };
    let new = MlflowNewRun {
        experiment_id: experiment,
        user_id: fields.text("user_id")?.unwrap_or("").to_string(),
        start_time: fields.int("start_time")?,
        run_name: fields.text("run_name")?.map(str::to_string),
        tags: fields.pairs("tags")?,
    };
    let run = ui.store.mlflow_create_run(&new).await?;
    Ok(Json(json!({ "run": run_json(&run) })))
}

/// The run a request names by `run_id` (or the older `run_uuid`).
fn named_run(fields: &Fields) -> Result<String, MlflowError> {
    let text = match fields.text("run_id")? {
        Some(id) if !id.is_empty() => id,
        _ => fields
            .required("run_uuid")
            .map_err(|_| MlflowError::invalid("Missing value for required parameter 'run_id'."))?,
    };
    run_id(text)
}

pub async fn update_run(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = named_run(&fields)?;
    let info = ui
        .store
        .mlflow_update_run(&id, fields.text("status")?, fields.int("end_time")?, fields.text("run_name")?)
        .await?;
    Ok(Json(json!({ "run_info": run_info_json(&info) })))
}

pub async fn get_run(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let run = ui.store.mlflow_run(&named_run(&fields)?).await?;
    Ok(Json(json!({ "run": run_json(&run) })))
}

pub async fn delete_run(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_set_run_lifecycle(&named_run(&fields)?, true).await?;
    empty()
}

pub async fn restore_run(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_set_run_lifecycle(&named_run(&fields)?, false).await?;
    empty()
}

fn metric_from(item: &Value, now: i64) -> Result<MlflowMetric, MlflowError> {
    let fields =
        Fields(item.as_object().cloned().ok_or_else(|| MlflowError::invalid(format!("Invalid metric {item}")))?);
    metric_fields(&fields, now)
}

fn metric_fields(fields: &Fields, now: i64) -> Result<MlflowMetric, MlflowError> {
    let key = fields.required("key")?.to_string();
    let value =
        fields.float("value")?.ok_or_else(|| MlflowError::invalid("Missing value for required parameter 'value'."))?;
    Ok(MlflowMetric {
        key,
        value,
        timestamp: fields.int("timestamp")?.unwrap_or(now),
        step: fields.int("step")?.unwrap_or(0),
    })
}

pub async fn log_metric(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = named_run(&fields)?;
    let metric = metric_fields(&fields, mlship_track::now_ms())?;
    ui.store.mlflow_log_batch(&id, &[metric], &[], &[]).await?;
    empty()
}

pub async fn log_param(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = named_run(&fields)?;
    let param = (fields.required("key")?.to_string(), fields.value_text("value").unwrap_or_default());
    ui.store.mlflow_log_batch(&id, &[], &[param], &[]).await?;
    empty()
}

pub async fn set_tag(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = named_run(&fields)?;
    let tag = (fields.required("key")?.to_string(), fields.value_text("value").unwrap_or_default());
    ui.store.mlflow_log_batch(&id, &[], &[], &[tag]).await?;
    empty()
}

pub async fn delete_tag(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_delete_tag(&named_run(&fields)?, fields.required("key")?).await?;
    empty()
}

pub async fn log_batch(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let id = named_run(&fields)?;
    let now = mlship_track::now_ms();
    let metrics: Vec<MlflowMetric> =
        fields.list("metrics").into_iter().map(|item| metric_from(item, now)).collect::<Result<_, _>>()?;
    ui.store.mlflow_log_batch(&id, &metrics, &fields.pairs("params")?, &fields.pairs("tags")?).await?;
    empty()
}

/// `log-inputs` (datasets): accepted and not kept; the run must exist.
pub async fn log_inputs(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    ui.store.mlflow_run(&named_run(&fields)?).await?;
    empty()
}

pub async fn search_runs(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let max = max_results(&fields, 1000, 50_000)?;
    let experiment_ids: Vec<i64> = fields
        .list("experiment_ids")
        .into_iter()
        .map(|v| match v {
            Value::String(text) => experiment_id(text),
            Value::Number(n) => n
                .as_i64()
                .filter(|id| *id >= 0)
                .ok_or_else(|| MlflowError::invalid(format!("Invalid experiment id {n}"))),
            other => Err(MlflowError::invalid(format!("Invalid experiment id {other}"))),
        })
        .collect::<Result<_, _>>()?;
    let order_by: Vec<&str> = fields.list("order_by").into_iter().filter_map(Value::as_str).collect();
    if order_by.len() > 1 {
        return Err(MlflowError::invalid(format!(
            "Invalid order_by {order_by:?}: this server sorts by one key (e.g. \"metrics.rmse ASC\")"
        )));
    }
    let query = RunQuery {
        experiment: None,
        filter: fields.text("filter")?.filter(|f| !f.trim().is_empty()).map(str::to_string),
        sort: order_by.first().map(|s| s.to_string()),
        limit: None,
        experiment_ids,
        lifecycle: view_type(&fields, "run_view_type")?,
        offset: page_offset(fields.text("page_token")?)?,
    };
    let (runs, next) = ui.store.mlflow_search_runs(&query, max).await?;
    let mut answer = json!({ "runs": runs.iter().map(run_json).collect::<Vec<_>>() });
    if let Some(token) = page_token(next) {
        answer["next_page_token"] = json!(token);
    }
    Ok(Json(answer))
}

pub async fn get_metric_history(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let id = named_run(&fields)?;
    let history = ui.store.mlflow_metric_history(&id, fields.required("metric_key")?).await?;
    let max = max_results(&fields, 25_000, 25_000)?;
    let offset = page_offset(fields.text("page_token")?)?;
    let page: Vec<Value> = history.iter().skip(offset).take(max).map(metric_json).collect();
    let mut answer = json!({ "metrics": page });
    if history.len() > offset + max {
        answer["next_page_token"] = json!(page_token(Some(offset + max)));
    }
    Ok(Json(answer))
}

/// MLflow 3's logged models are not kept by this server: a search finds none
/// (the client asks while listing a run's folders, and then lists the run's own files).
pub async fn search_logged_models(State(ui): State<SharedUi>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    for id in fields.list("experiment_ids") {
        if let Value::String(text) = id {
            ui.store.mlflow_experiment(experiment_id(text)?).await?;
        }
    }
    Ok(Json(json!({ "models": [] })))
}
