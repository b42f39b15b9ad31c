//! What `train` prints: PyCaret's layout (one row per fold, Mean, Std, then the
//! hold-out row, metrics to 4 decimals) for people, or one JSON document keyed
//! by PyCaret's metric names for machines.

use anyhow::Result;
use mlship_learn::{RegressionMetrics, METRIC_NAMES};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CvReport<'a> {
    pub folds: &'a [RegressionMetrics],
    pub mean: &'a RegressionMetrics,
    pub std: &'a RegressionMetrics,
}

#[derive(Debug)]
pub struct TrainReport {
    pub model_id: String,
    pub model_name: String,
    pub session_id: u32,
    pub target: String,
    pub n_train: usize,
    pub n_test: usize,
    pub n_features: usize,
    pub folds: Vec<RegressionMetrics>,
    pub mean: RegressionMetrics,
    pub std: RegressionMetrics,
    pub holdout: RegressionMetrics,
    pub artifact: Option<String>,
    pub run: Option<RunInfo>,
    pub notices: Vec<String>,
    pub duration_ms: f64,
}

/// Where `train` recorded its run.
#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub id: String,
    pub experiment: String,
    pub store: String,
}

/// The header of a metrics table: `label` over the row labels, then PyCaret's metric names.
pub fn metrics_header(label: &str) -> String {
    let mut header = format!("{label:<9}");
    for name in METRIC_NAMES {
        header.push_str(&format!("{name:>14}"));
    }
    header
}

/// One row of a metrics table, 4 decimals as PyCaret prints them.
pub fn metrics_row(label: &str, metrics: &RegressionMetrics) -> String {
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
            "model": {"id": report.model_id, "name": report.model_name},
            "target": report.target,
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
    println!("{}", metrics_header("Fold"));
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
