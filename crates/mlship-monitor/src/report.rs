//! A monitoring report: the data set's drift, each column's, the
//! predictions', and the live performance next to the hold-out, as `--json`
//! prints it and as a self-contained HTML page (inline style and SVG, no
//! script, nothing fetched: it opens offline, attached to a ticket or a mail).

use crate::drift::{ColumnDrift, DataDrift, Histogram};
use askama::Template;
use serde::{Deserialize, Serialize};

/// Which model was watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Its name.
    pub name: String,
    /// Its version: the registry's number, or the first 12 hex digits of its digest.
    pub version: String,
    /// The artifact's payload sha256.
    pub digest: String,
    /// `regression` or `classification`.
    pub task: String,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// Where it came from: a file, the model's profile, an inference log folder.
    pub source: String,
    /// Rows compared.
    pub number_of_rows: usize,
    /// The first inference's time, for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The last inference's time, for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// The task's metrics (PyCaret's names) on one set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSet {
    /// Rows scored.
    pub number_of_rows: usize,
    /// PyCaret's name → value, in the task's order.
    pub metrics: Vec<(String, f64)>,
    /// The window's start, for a window of the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The window's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// The model's performance on current rows with known actuals, beside the hold-out it shipped with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// The hold-out metrics recorded at training.
    pub holdout: Vec<(String, f64)>,
    /// All current rows with an actual.
    pub current: MetricSet,
    /// The same, per time window of the logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<MetricSet>,
}

/// Everything `mlship monitor` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// When the report was made, RFC 3339 in UTC.
    pub created_at: String,
    /// The model.
    pub model: ModelInfo,
    /// The reference side.
    pub reference: DataInfo,
    /// The current side.
    pub current: DataInfo,
    /// Evidently's DataDriftTable result over the model's input columns.
    pub data_drift: DataDrift,
    /// The predictions' drift (absent when they could not be computed; `notices` says why).
    pub prediction_drift: Option<ColumnDrift>,
    /// The target's drift, when the current data carries actuals.
    pub target_drift: Option<ColumnDrift>,
    /// Live performance, when the current data carries actuals.
    pub performance: Option<Performance>,
    /// Current columns the model does not read (ignored).
    pub extra_columns: Vec<String>,
    /// What the reader should know (rows skipped, predictions not computed, …).
    pub notices: Vec<String>,
}

/// A bar of a side-by-side chart, geometry precomputed (the template only places it).
struct Bar {
    x: f64,
    y: f64,
    height: f64,
    title: String,
}

/// One column's chart.
struct Chart {
    reference: Vec<Bar>,
    current: Vec<Bar>,
    bar_width: f64,
    /// Labels under the x axis: (x, text).
    ticks: Vec<(f64, String)>,
}

const CHART_WIDTH: f64 = 300.0;
const CHART_HEIGHT: f64 = 120.0;

fn chart(histogram: &Histogram) -> Chart {
    let (labels, reference, current): (Vec<String>, &[f64], &[f64]) = match histogram {
        Histogram::Numeric { edges, reference, current } => {
            let labels = edges.windows(2).map(|w| format!("{} – {}", short(w[0]), short(w[1]))).collect();
            (labels, reference, current)
        }
        Histogram::Categorical { levels, reference, current } => (levels.clone(), reference, current),
    };
    let n = labels.len().max(1) as f64;
    let slot = CHART_WIDTH / n;
    let bar_width = (slot / 2.0 - 1.0).max(1.0);
    let top = reference.iter().chain(current).copied().fold(0.0, f64::max).max(f64::EPSILON);
    let bars = |shares: &[f64], offset: f64, side: &str| {
        shares
            .iter()
            .zip(&labels)
            .enumerate()
            .map(|(i, (share, label))| {
                let height = share / top * CHART_HEIGHT;
                Bar {
                    x: i as f64 * slot + offset,
                    y: CHART_HEIGHT - height,
                    height,
                    title: format!("{side} {label}: {:.1}%", share * 100.0),
                }
            })
            .collect()
    };
    let every = (labels.len() / 5).max(1);
    let ticks = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, label)| (i as f64 * slot + 1.0, truncate(label, 14)))
        .collect();
    Chart {
        reference: bars(reference, 0.5, "reference"),
        current: bars(current, slot / 2.0, "current"),
        bar_width,
        ticks,
    }
}

fn short(value: f64) -> String {
    if value.abs() >= 1e5 || (value != 0.0 && value.abs() < 1e-3) {
        format!("{value:.2e}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.4}"))
}

/// One table row (and chart) of the report.
struct ColumnView<'a> {
    drift: &'a ColumnDrift,
    chart: Option<Chart>,
    score: String,
    threshold: String,
    psi: String,
    missing_reference: String,
    missing_current: String,
}

impl<'a> ColumnView<'a> {
    fn new(drift: &'a ColumnDrift) -> Self {
        ColumnView {
            drift,
            chart: drift.histogram.as_ref().map(chart),
            score: number(drift.drift_score),
            threshold: number(drift.stattest_threshold),
            psi: number(drift.psi),
            missing_reference: format!("{:.1}%", drift.reference.share_of_missing_values * 100.0),
            missing_current: format!("{:.1}%", drift.current.share_of_missing_values * 100.0),
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    report: &'a MonitorReport,
    columns: Vec<ColumnView<'a>>,
    prediction: Option<ColumnView<'a>>,
    target: Option<ColumnView<'a>>,
    share: String,
    chart_width: f64,
    chart_height: f64,
    /// (metric, hold-out, current) rows.
    performance: Vec<(String, String, String)>,
}

impl MonitorReport {
    /// The report as one self-contained HTML page.
    pub fn to_html(&self) -> Result<String, askama::Error> {
        let performance = self
            .performance
            .iter()
            .flat_map(|p| {
                p.current.metrics.iter().map(|(name, value)| {
                    let holdout = p.holdout.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                    (name.clone(), number(holdout), number(Some(*value)))
                })
            })
            .collect();
        ReportPage {
            report: self,
            columns: self.data_drift.drift_by_columns.iter().map(ColumnView::new).collect(),
            prediction: self.prediction_drift.as_ref().map(ColumnView::new),
            target: self.target_drift.as_ref().map(ColumnView::new),
            share: format!("{:.1}%", self.data_drift.share_of_drifted_columns * 100.0),
            chart_width: CHART_WIDTH,
            chart_height: CHART_HEIGHT,
            performance,
        }
        .render()
    }
}
