//! Live signals on `/metrics`: the drift of the last `--drift-window` scored
//! rows against the served artifact's reference profile (mlship-monitor's
//! `LiveMonitor`), the hold-out metrics the model shipped with, and the live
//! metrics from feedback, so Prometheus alert rules can compare them.
//!
//! The request path calls [`LiveSignals::observe`] after scoring (an append to
//! ring buffers); the statistics run when `/metrics` is scraped, through a
//! prometheus-client `Collector`, at most once a second. Gauges:
//!
//! - `mlship_drift_score{column}`: Evidently's `drift_score` (a p-value for
//!   KS, chi-square and z; a distance for Wasserstein and Jensen–Shannon);
//! - `mlship_drift_detected{column}`: 1 when the column drifted;
//! - `mlship_prediction_drift_score`, `mlship_prediction_drift_detected`;
//! - `mlship_dataset_drift_share`, `mlship_dataset_drift` (Evidently's
//!   data-set verdict: at least half the columns drifted);
//! - `mlship_drift_window_rows`: rows in the window (0 before traffic);
//! - `mlship_holdout_metric{metric}`: the artifact's hold-out metrics, keyed
//!   as the tracking store keys them (`r2`, `mae`, `accuracy`, `prec`);
//! - `mlship_live_metric{metric}` and `mlship_feedback_window_rows`: the same
//!   metrics on the last (prediction, actual) pairs that feedback passed to
//!   [`LiveSignals::record_actual`].

use crate::state::ServedModel;
use arc_swap::{ArcSwap, ArcSwapOption};
use mlship_data::Table;
use mlship_learn::Predictions;
use mlship_monitor::live::{metric_key, LiveMonitor, LiveSnapshot};
pub use mlship_monitor::live::{Outcome, DEFAULT_WINDOW};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The largest `--drift-window`: a window's memory is 8 bytes × rows × columns.
pub const MAX_WINDOW: usize = 1_000_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ColumnLabels {
    column: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MetricLabels {
    metric: String,
}

/// The live windows of the model now served (none when live drift is off).
pub struct LiveSignals {
    monitor: ArcSwapOption<LiveMonitor>,
    holdout: ArcSwap<Vec<(String, f64)>>,
    window: AtomicUsize,
}

impl std::fmt::Debug for LiveSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSignals").field("window", &self.window.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

fn holdout_metrics(model: &ServedModel) -> Vec<(String, f64)> {
    model
        .artifact
        .metrics
        .holdout
        .iter()
        .filter(|(_, value)| value.is_finite())
        .map(|(name, value)| (metric_key(name), value))
        .collect()
}

impl LiveSignals {
    /// Signals for `model`, live drift off until [`LiveSignals::configure`].
    pub fn new(model: &ServedModel) -> Self {
        LiveSignals {
            monitor: ArcSwapOption::empty(),
            holdout: ArcSwap::from_pointee(holdout_metrics(model)),
            window: AtomicUsize::new(0),
        }
    }

    /// Keeps a window of `window` rows for `model` (0: live drift off); says at start-up when it is off.
    pub fn configure(&self, model: &ServedModel, window: usize) {
        self.window.store(window.min(MAX_WINDOW), Ordering::Relaxed);
        self.set_model(model);
        if window == 0 {
            tracing::info!(target: "mlship::serve", "live drift off (--drift-window 0)");
        } else if model.artifact.profile.is_none() {
            tracing::warn!(target: "mlship::serve", model = %model.name, "live drift off: the model has no reference profile (trained before monitoring existed); retrain it to get one");
        } else {
            tracing::info!(target: "mlship::serve", window_rows = window, "live drift on: /metrics reports drift of the last rows scored");
        }
    }

    /// A new model is served: fresh windows against its profile, its hold-out metrics.
    pub fn set_model(&self, model: &ServedModel) {
        self.holdout.store(Arc::new(holdout_metrics(model)));
        let window = self.window.load(Ordering::Relaxed);
        let monitor = model.artifact.profile.clone().and_then(|profile| {
            LiveMonitor::new(profile, model.artifact.pipeline.labels.clone(), window).map(Arc::new)
        });
        self.monitor.store(monitor);
    }

    /// Appends scored rows to the window (a no-op when live drift is off).
    pub fn observe(&self, inputs: &Table, predictions: &Predictions) {
        if let Some(monitor) = self.monitor.load().as_ref() {
            monitor.observe(inputs, predictions);
        }
    }

    /// For feedback: one (prediction, actual) pair, as class codes for a classifier.
    /// Scored with the task's metrics as `mlship_live_metric{metric}` on the next scrape.
    pub fn record_actual(&self, prediction: Outcome, actual: Outcome) {
        if let Some(monitor) = self.monitor.load().as_ref() {
            monitor.record_actual(prediction, actual);
        }
    }

    /// The current snapshot, `None` when live drift is off.
    pub fn snapshot(&self) -> Option<Arc<LiveSnapshot>> {
        self.monitor.load().as_ref().map(|monitor| monitor.snapshot())
    }

    /// The collector to register with the metrics registry.
    pub fn collector(self: &Arc<Self>) -> Box<dyn Collector> {
        Box::new(LiveCollector(self.clone()))
    }
}

#[derive(Debug)]
struct LiveCollector(Arc<LiveSignals>);

fn gauge(encoder: &mut DescriptorEncoder<'_>, name: &str, help: &str, value: f64) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
    gauge.encode(metric)
}

fn family<L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (L, f64)>,
) -> Result<(), std::fmt::Error> {
    let family = Family::<L, Gauge<f64, AtomicU64>>::default();
    for (labels, value) in values {
        family.get_or_create(&labels).set(value);
    }
    let metric = encoder.encode_descriptor(name, help, None, family.metric_type())?;
    family.encode(metric)
}

fn flag(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

impl Collector for LiveCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let holdout = self.0.holdout.load();
        let metric = |(name, value): &(String, f64)| (MetricLabels { metric: name.clone() }, *value);
        family(
            &mut encoder,
            "holdout_metric",
            "The served model's hold-out metrics, by tracking key",
            holdout.iter().map(metric),
        )?;
        let Some(snapshot) = self.0.snapshot() else { return Ok(()) };
        gauge(&mut encoder, "drift_window_rows", "Rows in the live drift window", snapshot.window_rows as f64)?;
        let scored = snapshot.columns.iter().filter_map(|c| c.drift_score.map(|s| (c, s)));
        family(
            &mut encoder,
            "drift_score",
            "Evidently's drift_score of each input column on the window against the reference (p-value or distance)",
            scored.map(|(c, score)| (ColumnLabels { column: c.column_name.clone() }, score)),
        )?;
        family(
            &mut encoder,
            "drift_detected",
            "1 when the input column drifted on the window",
            snapshot.columns.iter().map(|c| (ColumnLabels { column: c.column_name.clone() }, flag(c.drift_detected))),
        )?;
        if let Some(prediction) = &snapshot.prediction {
            if let Some(score) = prediction.drift_score {
                gauge(&mut encoder, "prediction_drift_score", "drift_score of the predictions on the window", score)?;
            }
            gauge(
                &mut encoder,
                "prediction_drift_detected",
                "1 when the predictions drifted on the window",
                flag(prediction.drift_detected),
            )?;
        }
        gauge(
            &mut encoder,
            "dataset_drift_share",
            "Share of input columns that drifted on the window",
            snapshot.drift_share,
        )?;
        gauge(
            &mut encoder,
            "dataset_drift",
            "1 when at least half the input columns drifted (Evidently's data-set verdict)",
            flag(snapshot.dataset_drift),
        )?;
        gauge(
            &mut encoder,
            "feedback_window_rows",
            "(prediction, actual) pairs in the live performance window",
            snapshot.feedback_rows as f64,
        )?;
        family(
            &mut encoder,
            "live_metric",
            "The task's metrics on the feedback window, by tracking key",
            snapshot.live_metrics.iter().map(metric),
        )
    }
}
