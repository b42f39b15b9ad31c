//! The leaderboard of a `compare` run (`/runs/{id}/leaderboard`): one row per
//! model with PyCaret's columns, sortable by any metric (best first in the
//! metric's own direction, from the task's metric table), each row linking
//! to the model's child run. Read from the `leaderboard.json` file the
//! compare run saved, so the page shows exactly what the command printed.

use crate::api::{get, query_pairs};
use crate::error::{PageError, UiError};
use crate::pages::{filters, render};
use crate::SharedUi;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use mlship_learn::Task;
use serde::Deserialize;

/// The file a compare run saves its leaderboard in.
pub const LEADERBOARD_FILE: &str = "leaderboard.json";

#[derive(Deserialize)]
struct Stored {
    task: Task,
    sort: String,
    models: Vec<StoredRow>,
}

#[derive(Deserialize)]
struct StoredRow {
    id: String,
    #[serde(rename = "Model")]
    model: String,
    run_id: String,
    mean: Option<std::collections::BTreeMap<String, f64>>,
    #[serde(rename = "TT (Sec)")]
    seconds: f64,
    error: Option<String>,
}

struct Header {
    name: &'static str,
    hint: &'static str,
    current: bool,
}

struct Row {
    id: String,
    model: String,
    run_id: String,
    values: Vec<String>,
    seconds: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "leaderboard.html")]
struct LeaderboardPage {
    run_id: String,
    run_name: String,
    sort: &'static str,
    headers: Vec<Header>,
    rows: Vec<Row>,
}

fn value(row: &StoredRow, metric: &str) -> f64 {
    row.mean.as_ref().and_then(|m| m.get(metric)).copied().unwrap_or(f64::NAN)
}

pub async fn leaderboard(
    State(ui): State<SharedUi>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, PageError> {
    let pairs = query_pairs(raw)?;
    let detail = ui.store.run(&id).await?;
    let path = format!("runs/{}/{LEADERBOARD_FILE}", detail.run.id);
    if !detail.files.iter().any(|f| f.path == path) {
        return Err(
            UiError::not_found(format!("run {} is not a compare run (it has no leaderboard)", detail.run.id)).into()
        );
    }
    let (_, bytes) = ui.store.run_file(&detail.run.id, &path).await?;
    let mut stored: Stored = serde_json::from_slice(&bytes)
        .map_err(|e| UiError::internal(format!("{path}: unreadable leaderboard: {e}")))?;
    let asked = get(&pairs, "sort").unwrap_or(&stored.sort).to_string();
    let metric = stored.task.metric(&asked).ok_or_else(|| {
        let names: Vec<&str> = stored.task.metrics().iter().map(|m| m.name).collect();
        UiError::bad_request(format!("cannot sort by \"{asked}\" (metrics: {})", names.join(", ")))
    })?;
    stored.models.sort_by(|a, b| metric.best_first(value(a, metric.name), value(b, metric.name)));
    let metrics = stored.task.metrics();
    let headers = metrics
        .iter()
        .map(|m| Header {
            name: m.name,
            hint: if m.greater_is_better { "higher is better" } else { "lower is better" },
            current: m.name == metric.name,
        })
        .collect();
    let rows = stored
        .models
        .into_iter()
        .map(|row| Row {
            values: metrics
                .iter()
                .map(|m| match value(&row, m.name) {
                    v if v.is_finite() => format!("{v:.4}"),
                    _ => String::new(),
                })
                .collect(),
            seconds: if row.mean.is_some() { format!("{:.4}", row.seconds) } else { String::new() },
            id: row.id,
            model: row.model,
            run_id: row.run_id,
            error: row.error,
        })
        .collect();
    render(&LeaderboardPage {
        run_id: detail.run.id.clone(),
        run_name: detail.run.name.clone(),
        sort: metric.name,
        headers,
        rows,
    })
}
