//! What `train` prints: PyCaret's layout (one row per fold, Mean, Std, then the
//! hold-out row, metrics to 4 decimals) for people, or one JSON document keyed
//! by PyCaret's metric names for machines.

use anyhow::Result;
use mlship_learn::{Scores, Task};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CvReport<'a> {
    pub folds: &'a [Scores],
    pub mean: &'a Scores,
    pub std: &'a Scores,
}

#[derive(Debug)]
pub struct TrainReport {
    pub task: Task,
    pub model_id: String,
    pub model_name: String,
    pub session_id: u32,
    pub target: String,
    pub n_train: usize,
    pub n_test: usize,
    pub n_features: usize,
    pub folds: Vec<Scores>,
    pub mean: Scores,
    pub std: Scores,
    pub holdout: Scores,
    pub artifact: Option<String>,
    pub run: Option<RunInfo>,
    pub notices: Vec<String>,
    pub duration_ms: f64,
    /// A classifier's classes, in code order (the label encoding).
    pub classes: Option<Vec<mlship_learn::ClassLabel>>,
}

/// Where `train` recorded its run.
#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub id: String,
    pub experiment: String,
    pub store: String,
}

/// The header of a metrics table: `label` over the row labels, then the task's metric names.
pub fn metrics_header(label: &str, task: Task) -> String {
    let mut header = format!("{label:<9}");
    for name in task.metrics().iter().map(|m| m.name) {
        header.push_str(&format!("{name:>14}"));
    }
    header
}

/// One row of a metrics table, 4 decimals as PyCaret prints them.
pub fn metrics_row(label: &str, metrics: &Scores) -> String {
    let mut row = format!("{label:<9}");
    for value in metrics.values() {
        row.push_str(&format!("{:>14}", format!("{value:.4}")));
    }
    row
}

pub fn print_train(report: &TrainReport, json: bool) -> Result<()> {
    for notice in &report.notices {
        eprintln!("notice: {notice}");
    }
    if json {
        let document = serde_json::json!({
            "task": report.task.as_str(),
            "model": {"id": report.model_id, "name": report.model_name},
            "target": report.target,
            "classes": report.classes,
            "session_id": report.session_id,
            "rows": {"train": report.n_train, "holdout": report.n_test},
            "n_features": report.n_features,
            "cv": CvReport { folds: &report.folds, mean: &report.mean, std: &report.std },
            "holdout": report.holdout,
            "artifact": report.artifact,
            "run": report.run,
            "notices": report.notices,
            "duration_ms": report.duration_ms,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    println!(
        "{} ({}) predicting \"{}\" · session_id {} · {} training rows in {} folds, {} hold-out rows, {} features",
        report.model_name,
        report.model_id,
        report.target,
        report.session_id,
        report.n_train,
        report.folds.len(),
        report.n_test,
        report.n_features
    );
    println!("{}", metrics_header("Fold", report.task));
    for (fold_idx, fold) in report.folds.iter().enumerate() {
        println!("{}", metrics_row(&fold_idx.to_string(), fold));
    }
    println!("{}", metrics_row("Mean", &report.mean));
    println!("{}", metrics_row("Std", &report.std));
    println!("{}", metrics_row("Hold-out", &report.holdout));
    if let Some(path) = &report.artifact {
        println!("Saved {path}");
    }
    if let Some(run) = &report.run {
        println!("Recorded run {} in experiment {} ({})", run.id, run.experiment, run.store);
    }
    println!("Done in {:.0} ms", report.duration_ms);
    Ok(())
}

/// A model `compare --save` kept.
#[derive(Debug, Serialize)]
pub struct SavedModel {
    pub id: String,
    pub path: String,
    pub holdout: Scores,
}

/// Where `compare` recorded its runs: the parent and one child per model.
#[derive(Debug, Serialize)]
pub struct CompareRunInfo {
    pub id: String,
    pub experiment: String,
    pub store: String,
    /// Model id → its child run (in leaderboard order).
    pub children: Vec<(String, String)>,
}

/// What `compare` prints.
pub struct Leaderboard<'a> {
    pub task: Task,
    pub sort: &'a str,
    pub session_id: u32,
    pub target: &'a str,
    pub n_train: usize,
    pub n_test: usize,
    pub n_folds: usize,
    pub n_features: usize,
    pub scores: &'a [mlship_learn::ModelScore],
    pub saved: &'a [SavedModel],
    pub run: Option<&'a CompareRunInfo>,
    pub notices: Vec<String>,
    pub duration_ms: f64,
}

/// One leaderboard row for `--json`: PyCaret's column names, plus the folds,
/// the std row, the parameters and the child run.
fn leaderboard_row(board: &Leaderboard<'_>, idx: usize) -> serde_json::Value {
    let score = &board.scores[idx];
    let mut row = serde_json::Map::new();
    row.insert("id".into(), score.spec.id.clone().into());
    row.insert("Model".into(), score.spec.display_name().into());
    for (pos, name) in board.task.metrics().iter().map(|m| m.name).enumerate() {
        let value = score.mean.as_ref().map(|m| m.values()[pos]).filter(|v| v.is_finite());
        row.insert((*name).into(), value.map_or(serde_json::Value::Null, serde_json::Value::from));
    }
    row.insert("TT (Sec)".into(), (score.mean.is_some().then_some(score.fit_seconds)).into());
    row.insert("std".into(), serde_json::to_value(&score.std).unwrap_or_default());
    row.insert("folds".into(), serde_json::to_value(&score.folds).unwrap_or_default());
    row.insert("params".into(), serde_json::to_value(&score.spec.params).unwrap_or_default());
    row.insert("error".into(), score.error.clone().into());
    row.insert("skipped".into(), score.skipped.into());
    let child = board.run.and_then(|run| run.children.iter().find(|(id, _)| *id == score.spec.id));
    row.insert("run_id".into(), child.map(|(_, run)| run.clone()).into());
    serde_json::Value::Object(row)
}

pub fn print_leaderboard(board: &Leaderboard<'_>, json: bool) -> Result<()> {
    for notice in &board.notices {
        eprintln!("notice: {notice}");
    }
    if json {
        let document = serde_json::json!({
            "task": board.task.as_str(),
            "sort": board.sort,
            "target": board.target,
            "session_id": board.session_id,
            "rows": {"train": board.n_train, "holdout": board.n_test},
            "fold": board.n_folds,
            "n_features": board.n_features,
            "models": (0..board.scores.len()).map(|idx| leaderboard_row(board, idx)).collect::<Vec<_>>(),
            "saved": board.saved,
            "run": board.run,
            "notices": board.notices,
            "duration_ms": board.duration_ms,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    println!(
        "{} models predicting \"{}\" · session_id {} · {} training rows in {} folds, {} hold-out rows, {} features · sorted by {}",
        board.scores.len(),
        board.target,
        board.session_id,
        board.n_train,
        board.n_folds,
        board.n_test,
        board.n_features,
        board.sort
    );
    // Columns as wide as their widest value: MSE on a money target runs to 12+ digits.
    let cells: Vec<Vec<String>> = board
        .scores
        .iter()
        .map(|score| match &score.mean {
            Some(mean) => mean
                .values()
                .iter()
                .map(|value| format!("{value:.4}"))
                .chain([format!("{:.4}", score.fit_seconds)])
                .collect(),
            None => Vec::new(),
        })
        .collect();
    let names: Vec<&str> = board.task.metrics().iter().map(|m| m.name).chain(["TT (Sec)"]).collect();
    let widths: Vec<usize> = (0..names.len())
        .map(|col| {
            cells.iter().filter_map(|row| row.get(col)).map(String::len).chain([names[col].len()]).max().unwrap_or(8)
                + 2
        })
        .collect();
    let id_width = board.scores.iter().map(|s| s.spec.id.len()).max().unwrap_or(2).max(2) + 2;
    let name_width = board.scores.iter().map(|s| s.spec.display_name().len()).max().unwrap_or(5).max(5) + 2;
    let mut header = format!("{:<id_width$}{:<name_width$}", "", "Model");
    for (name, width) in names.iter().zip(&widths) {
        header.push_str(&format!("{name:>width$}"));
    }
    println!("{}", header.trim_end());
    for (score, row_cells) in board.scores.iter().zip(&cells) {
        let mut row = format!("{:<id_width$}{:<name_width$}", score.spec.id, score.spec.display_name());
        if row_cells.is_empty() {
            row.push_str(score.error.as_deref().unwrap_or("no score"));
        }
        for (cell, width) in row_cells.iter().zip(&widths) {
            row.push_str(&format!("{cell:>width$}"));
        }
        println!("{row}");
    }
    for saved in board.saved {
        let sort =
            saved.holdout.get(board.sort).map_or_else(String::new, |v| format!(", hold-out {} {v:.4}", board.sort));
        println!("Saved {} ({}{sort})", saved.path, saved.id);
    }
    if let Some(run) = board.run {
        println!(
            "Recorded run {} with {} model runs in experiment {} ({})",
            run.id,
            run.children.len(),
            run.experiment,
            run.store
        );
    }
    println!("Done in {:.0} ms", board.duration_ms);
    Ok(())
}
