//! Live drift: `serve` keeps the last N scored rows (per input column and
//! for the predictions) and, when `/metrics` is scraped, compares that window
//! with the artifact's reference profile using the same default tests as
//! `mlship monitor` ([`crate::drift::column_drift`]).
//!
//! The request path only appends to ring buffers behind one mutex: a
//! numeric cell is a `f64` store, a label is a code looked up in a per-column
//! dictionary (one hash lookup per distinct level in the request, not per
//! cell). No statistic runs on the request path; [`LiveMonitor::snapshot`]
//! copies the window out under the lock and tests it outside it, and caches
//! the result for [`SNAPSHOT_TTL`] so several scrapers share one computation.
//!
//! Live performance: [`LiveMonitor::record_actual`] takes (prediction, actual)
//! pairs from feedback into a window of the same length, scored with
//! mlship-learn's metric code (PyCaret's metrics) on scrape.

use crate::drift::{column_drift, ColumnDrift, DriftOptions};
use crate::profile::{categorical_profile, numeric_profile, ColumnProfile, Distribution, ReferenceProfile};
use crate::stattest;
use mlship_data::{Column, Table, MISSING_CODE};
use mlship_learn::{ClassificationMetrics, LabelEncoding, Predictions, RegressionMetrics, Scores};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Rows kept in the window unless `--drift-window` says otherwise.
pub const DEFAULT_WINDOW: usize = 1_000;
/// How long a snapshot is reused: scrapes within this share one computation.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(1);
/// Distinct labels remembered per column; later new labels share one code,
/// so a column of ids cannot grow the dictionary without bound.
pub const LEVEL_LIMIT: usize = 4_096;
/// What the labels beyond [`LEVEL_LIMIT`] are counted as.
pub const OTHER_LEVEL: &str = "(other levels)";

/// A fixed-size ring: pushing past the capacity overwrites the oldest value.
#[derive(Debug, Clone)]
struct Ring<T> {
    values: Vec<T>,
    next: usize,
    capacity: usize,
}

impl<T: Copy> Ring<T> {
    fn new(capacity: usize) -> Self {
        Ring { values: Vec::with_capacity(capacity), next: 0, capacity }
    }

    fn push(&mut self, value: T) {
        if self.values.len() < self.capacity {
            self.values.push(value);
        } else if let Some(slot) = self.values.get_mut(self.next) {
            *slot = value;
        }
        self.next = (self.next + 1) % self.capacity.max(1);
    }

    fn clear(&mut self) {
        self.values.clear();
        self.next = 0;
    }
}

/// One column's window.
#[derive(Debug, Clone)]
enum ColumnWindow {
    /// Numbers, `NaN` for missing.
    Numeric(Ring<f64>),
    /// Label codes into `levels` (`u32::MAX` for missing).
    Categorical { ring: Ring<u32>, levels: Vec<String>, index: HashMap<String, u32> },
    /// A date column (not tested, as in `monitor`), or a column the request never carries.
    Untested,
}

const MISSING: u32 = u32::MAX;

impl ColumnWindow {
    fn for_reference(reference: &ColumnProfile, capacity: usize) -> Self {
        match reference.distribution {
            Distribution::Numeric { .. } => ColumnWindow::Numeric(Ring::new(capacity)),
            Distribution::Categorical { .. } => {
                ColumnWindow::Categorical { ring: Ring::new(capacity), levels: Vec::new(), index: HashMap::new() }
            }
            Distribution::Datetime => ColumnWindow::Untested,
        }
    }

    fn push_column(&mut self, column: &Column) {
        match (self, column) {
            (ColumnWindow::Numeric(ring), Column::Numeric(values)) => values.iter().for_each(|&v| ring.push(v)),
            (ColumnWindow::Categorical { ring, levels, index }, Column::Categorical(categorical)) => {
                // The request's own level codes, translated once per level.
                let map: Vec<u32> =
                    categorical.levels.iter().map(|level| intern(levels, index, level.as_str())).collect();
                for &code in &categorical.codes {
                    let code =
                        if code == MISSING_CODE { MISSING } else { map.get(code as usize).copied().unwrap_or(MISSING) };
                    ring.push(code);
                }
            }
            (ColumnWindow::Numeric(ring), Column::Categorical(categorical)) => {
                // The parser follows the model's schema, so this is not expected; count the rows as missing.
                (0..categorical.codes.len()).for_each(|_| ring.push(f64::NAN));
            }
            (ColumnWindow::Categorical { ring, levels, index }, Column::Numeric(values)) => {
                for value in values {
                    let code = if value.is_nan() { MISSING } else { intern(levels, index, &value.to_string()) };
                    ring.push(code);
                }
            }
            (ColumnWindow::Untested, _) => {}
        }
    }

    fn clear(&mut self) {
        match self {
            ColumnWindow::Numeric(ring) => ring.clear(),
            ColumnWindow::Categorical { ring, .. } => ring.clear(),
            ColumnWindow::Untested => {}
        }
    }

    /// The window's profile, every value kept (as `monitor` keeps current data whole).
    fn profile(&self, name: &str) -> Option<ColumnProfile> {
        match self {
            ColumnWindow::Numeric(ring) => {
                let present: Vec<f64> = ring.values.iter().copied().filter(|v| !v.is_nan()).collect();
                Some(numeric_profile(name, ring.values.len(), present, usize::MAX))
            }
            ColumnWindow::Categorical { ring, levels, .. } => {
                let mut counts = vec![0u64; levels.len()];
                let mut n_missing = 0;
                for &code in &ring.values {
                    match counts.get_mut(code as usize) {
                        Some(count) => *count += 1,
                        None => n_missing += 1,
                    }
                }
                let pairs = levels.iter().cloned().zip(counts).filter(|(_, n)| *n > 0).collect();
                Some(categorical_profile(name, ring.values.len(), n_missing, pairs, usize::MAX))
            }
            ColumnWindow::Untested => None,
        }
    }
}

fn intern(levels: &mut Vec<String>, index: &mut HashMap<String, u32>, level: &str) -> u32 {
    if let Some(&code) = index.get(level) {
        return code;
    }
    let key = if levels.len() < LEVEL_LIMIT { level } else { OTHER_LEVEL };
    if let Some(&code) = index.get(key) {
        return code;
    }
    // Bounded by LEVEL_LIMIT + 1, far below u32::MAX.
    let code = u32::try_from(levels.len()).unwrap_or(MISSING - 1);
    levels.push(key.to_string());
    index.insert(key.to_string(), code);
    code
}

/// A prediction or an actual value, for [`LiveMonitor::record_actual`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// A regressor's number.
    Number(f64),
    /// A classifier's class code (its position in the model's label encoding).
    Class(usize),
}

/// Everything the request path writes, behind one lock.
#[derive(Debug)]
struct Window {
    /// Rows in the window now (at most the capacity).
    rows: usize,
    columns: Vec<ColumnWindow>,
    prediction: Option<ColumnWindow>,
}

/// The verdicts of one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSnapshot {
    /// Rows in the window.
    pub window_rows: usize,
    /// Per input column (date columns left out): its verdict, or `None` while the window is empty.
    pub columns: Vec<ColumnDrift>,
    /// The predictions' verdict, when the profile holds the hold-out predictions and the window is not empty.
    pub prediction: Option<ColumnDrift>,
    /// Share of the tested columns that drifted (0 for an empty window).
    pub drift_share: f64,
    /// Evidently's data-set verdict: the share reached [`crate::drift::DEFAULT_DRIFT_SHARE`].
    pub dataset_drift: bool,
    /// Columns that could not be tested, with why (e.g. a statistic that failed).
    pub problems: Vec<(String, String)>,
    /// The task's metrics on the feedback window: (metric key, value); empty without feedback.
    pub live_metrics: Vec<(String, f64)>,
    /// (prediction, actual) pairs in the feedback window.
    pub feedback_rows: usize,
}

/// The sliding windows and the reference they are compared with.
#[derive(Debug)]
pub struct LiveMonitor {
    capacity: usize,
    reference: Arc<ReferenceProfile>,
    labels: Option<LabelEncoding>,
    window: Mutex<Window>,
    actuals: Mutex<Ring<(Outcome, Outcome)>>,
    cache: Mutex<Option<(Instant, Arc<LiveSnapshot>)>>,
    options: DriftOptions,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain ring data, still valid to read and overwrite.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LiveMonitor {
    /// A window of `capacity` rows against `reference`; `labels` is a classifier's label
    /// encoding (predictions and actuals arrive as class codes). `None` when `capacity` is 0.
    pub fn new(reference: ReferenceProfile, labels: Option<LabelEncoding>, capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let columns = reference.columns.iter().map(|c| ColumnWindow::for_reference(c, capacity)).collect();
        let prediction = reference.prediction.as_ref().map(|p| match (&p.distribution, &labels) {
            // Predicted classes arrive as codes: their levels are the label encoding's, in code order.
            (Distribution::Categorical { .. }, Some(encoding)) => {
                let levels: Vec<String> = encoding.classes.iter().map(ToString::to_string).collect();
                let index = levels.iter().enumerate().map(|(i, l)| (l.clone(), i as u32)).collect();
                ColumnWindow::Categorical { ring: Ring::new(capacity), levels, index }
            }
            _ => ColumnWindow::for_reference(p, capacity),
        });
        Some(LiveMonitor {
            capacity,
            reference: Arc::new(reference),
            labels,
            window: Mutex::new(Window { rows: 0, columns, prediction }),
            actuals: Mutex::new(Ring::new(capacity)),
            cache: Mutex::new(None),
            options: DriftOptions::default(),
        })
    }

    /// Rows the window holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends scored rows: the parsed inputs (columns found by name) and their predictions.
    /// O(1) per cell; no statistic is computed here.
    pub fn observe(&self, inputs: &Table, predictions: &Predictions) {
        let mut window = lock(&self.window);
        let Window { rows, columns, prediction } = &mut *window;
        for (reference, column_window) in self.reference.columns.iter().zip(columns.iter_mut()) {
            if let Some(column) = inputs.column(&reference.name) {
                column_window.push_column(column);
            }
        }
        if let Some(prediction) = prediction {
            match (prediction, predictions) {
                (ColumnWindow::Numeric(ring), Predictions::Regression(values)) => {
                    values.iter().for_each(|&v| ring.push(v));
                }
                (ColumnWindow::Categorical { ring, .. }, Predictions::Classification(classes)) => {
                    for &code in &classes.codes {
                        ring.push(u32::try_from(code).unwrap_or(MISSING));
                    }
                }
                _ => {}
            }
        }
        *rows = (*rows + inputs.n_rows()).min(self.capacity);
    }

    /// Appends one (prediction, actual) pair from feedback to the performance window.
    pub fn record_actual(&self, prediction: Outcome, actual: Outcome) {
        lock(&self.actuals).push((prediction, actual));
    }

    /// Empties both windows (e.g. after a new model version is served).
    pub fn clear(&self) {
        let mut window = lock(&self.window);
        window.rows = 0;
        window.columns.iter_mut().for_each(ColumnWindow::clear);
        if let Some(p) = window.prediction.as_mut() {
            p.clear();
        }
        lock(&self.actuals).clear();
        *lock(&self.cache) = None;
    }

    /// The drift verdicts now, reused for [`SNAPSHOT_TTL`].
    pub fn snapshot(&self) -> Arc<LiveSnapshot> {
        if let Some((at, snapshot)) = lock(&self.cache).as_ref() {
            if at.elapsed() < SNAPSHOT_TTL {
                return snapshot.clone();
            }
        }
        let snapshot = Arc::new(self.compute());
        *lock(&self.cache) = Some((Instant::now(), snapshot.clone()));
        snapshot
    }

    /// Computes a snapshot without the cache.
    pub fn compute(&self) -> LiveSnapshot {
        // Copy the window out so the request path waits only for the copy, not the tests.
        let (window_rows, columns, prediction) = {
            let window = lock(&self.window);
            (window.rows, window.columns.clone(), window.prediction.clone())
        };
        let actuals = lock(&self.actuals).values.clone();
        let mut drifts = Vec::new();
        let mut problems = Vec::new();
        if window_rows > 0 {
            for (reference, window) in self.reference.columns.iter().zip(&columns) {
                let Some(current) = window.profile(&reference.name) else { continue };
                match column_drift(self.reference.n_rows, reference, &current, &self.options) {
                    Ok(drift) => drifts.push(drift),
                    Err(error) => problems.push((reference.name.clone(), error)),
                }
            }
        }
        let prediction = match (&self.reference.prediction, prediction) {
            (Some(reference), Some(window)) if window_rows > 0 => window
                .profile(&reference.name)
                .and_then(|current| column_drift(reference.n_rows, reference, &current, &self.options).ok()),
            _ => None,
        };
        let drifted = drifts.iter().filter(|d| d.drift_detected).count();
        let tested = drifts.len() + problems.len();
        LiveSnapshot {
            window_rows,
            drift_share: crate::profile::share(drifted, tested),
            dataset_drift: tested > 0 && stattest::dataset_drift(drifted, tested, self.options.drift_share),
            columns: drifts,
            prediction,
            problems,
            live_metrics: self.live_metrics(&actuals),
            feedback_rows: actuals.len(),
        }
    }

    fn live_metrics(&self, pairs: &[(Outcome, Outcome)]) -> Vec<(String, f64)> {
        let scores = match &self.labels {
            None => {
                let (predicted, actual): (Vec<f64>, Vec<f64>) = pairs
                    .iter()
                    .filter_map(|pair| match pair {
                        (Outcome::Number(p), Outcome::Number(a)) if p.is_finite() && a.is_finite() => Some((*p, *a)),
                        _ => None,
                    })
                    .unzip();
                if actual.is_empty() {
                    return Vec::new();
                }
                Scores::regression(&RegressionMetrics::compute(&actual, &predicted))
            }
            Some(labels) => {
                let n_classes = labels.n_classes();
                let (predicted, actual): (Vec<usize>, Vec<usize>) = pairs
                    .iter()
                    .filter_map(|pair| match pair {
                        (Outcome::Class(p), Outcome::Class(a)) if *p < n_classes && *a < n_classes => Some((*p, *a)),
                        _ => None,
                    })
                    .unzip();
                if actual.is_empty() {
                    return Vec::new();
                }
                Scores::classification(&ClassificationMetrics::compute(
                    &actual,
                    &predicted,
                    None,
                    n_classes,
                    labels.zero_one_labels(),
                ))
            }
        };
        scores
            .iter()
            // Feedback carries no class scores, so AUC cannot be measured live (it would read 0).
            .filter(|(name, value)| value.is_finite() && *name != "AUC")
            .map(|(name, value)| (metric_key(name), value))
            .collect()
    }
}

/// A metric's key, as the tracking store writes it: PyCaret's name in lower
/// case without a trailing dot (`r2`, `accuracy`, `prec`).
pub fn metric_key(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{profile_column, ColumnRole, SAMPLE_CAP};
    use mlship_data::CategoricalColumn;

    fn reference(n: usize) -> ReferenceProfile {
        let x: Vec<f64> = (0..n).map(|i| (i % 100) as f64).collect();
        let colour = Column::Categorical(CategoricalColumn::from_values(
            (0..n).map(|i| Some(if i % 3 == 0 { "red" } else { "blue" })),
        ));
        let prediction = numeric_profile("prediction_label", n, x.iter().map(|v| v * 2.0).collect(), SAMPLE_CAP);
        ReferenceProfile {
            source: "test".to_string(),
            n_rows: n,
            columns: vec![
                profile_column("x", &Column::Numeric(x), ColumnRole::Numeric, None, SAMPLE_CAP),
                profile_column("colour", &colour, ColumnRole::Categorical, None, SAMPLE_CAP),
            ],
            prediction: Some(prediction),
            target: None,
        }
    }

    fn table(rows: std::ops::Range<usize>, shift: f64, colour: &str) -> (Table, Predictions) {
        let x: Vec<f64> = rows.clone().map(|i| (i % 100) as f64 + shift).collect();
        let colours: Vec<Option<&str>> = rows.clone().map(|i| Some(if i % 3 == 0 { "red" } else { colour })).collect();
        let predictions = Predictions::Regression(x.iter().map(|v| v * 2.0).collect());
        let table = Table {
            names: vec!["x".to_string(), "colour".to_string()],
            columns: vec![Column::Numeric(x), Column::Categorical(CategoricalColumn::from_values(colours))],
        };
        (table, predictions)
    }

    #[test]
    fn an_empty_window_reports_no_drift_and_no_columns() {
        let monitor = LiveMonitor::new(reference(500), None, 100).expect("window on");
        let snapshot = monitor.compute();
        assert_eq!((snapshot.window_rows, snapshot.columns.len(), snapshot.dataset_drift), (0, 0, false));
        assert!(snapshot.prediction.is_none());
    }

    #[test]
    fn a_zero_window_turns_live_drift_off() {
        assert!(LiveMonitor::new(reference(10), None, 0).is_none());
    }

    #[test]
    fn unshifted_traffic_does_not_drift_and_shifted_traffic_does() {
        let monitor = LiveMonitor::new(reference(500), None, 300).expect("window on");
        for start in (0..300).step_by(30) {
            let (inputs, predictions) = table(start..start + 30, 0.0, "blue");
            monitor.observe(&inputs, &predictions);
        }
        let calm = monitor.compute();
        assert_eq!(calm.window_rows, 300);
        assert_eq!(calm.columns.len(), 2);
        assert!(!calm.dataset_drift, "{calm:?}");
        assert_eq!(calm.columns[0].stattest.as_deref(), Some("ks"));
        // The window slides: 300 shifted rows push every unshifted one out.
        for start in (0..300).step_by(30) {
            let (inputs, predictions) = table(start..start + 30, 60.0, "green");
            monitor.observe(&inputs, &predictions);
        }
        let shifted = monitor.compute();
        assert_eq!(shifted.window_rows, 300);
        assert!(shifted.dataset_drift);
        assert_eq!(shifted.drift_share, 1.0);
        assert_eq!(shifted.columns[1].new_categories, vec!["green".to_string()]);
        assert!(shifted.prediction.as_ref().is_some_and(|p| p.drift_detected));
    }

    #[test]
    fn the_window_drift_equals_monitor_on_the_same_rows() {
        // The live verdict is column_drift on the window's profile: the same numbers `monitor` reports.
        let profile = reference(500);
        let monitor = LiveMonitor::new(profile.clone(), None, 50).expect("window on");
        let (inputs, predictions) = table(0..120, 7.5, "blue");
        monitor.observe(&inputs, &predictions);
        let (last, _) = table(70..120, 7.5, "blue");
        let current = profile_column("x", last.column("x").expect("x"), ColumnRole::Numeric, None, usize::MAX);
        let expected = column_drift(500, &profile.columns[0], &current, &DriftOptions::default()).expect("drift");
        assert_eq!(monitor.compute().columns[0], expected);
    }

    #[test]
    fn snapshots_are_cached_for_a_second() {
        let monitor = LiveMonitor::new(reference(100), None, 10).expect("window on");
        let first = monitor.snapshot();
        let (inputs, predictions) = table(0..10, 0.0, "blue");
        monitor.observe(&inputs, &predictions);
        assert!(Arc::ptr_eq(&first, &monitor.snapshot()));
    }

    #[test]
    fn labels_beyond_the_limit_share_one_level() {
        let mut levels = Vec::new();
        let mut index = HashMap::new();
        for i in 0..LEVEL_LIMIT + 10 {
            intern(&mut levels, &mut index, &format!("id{i}"));
        }
        assert_eq!(levels.len(), LEVEL_LIMIT + 1);
        assert_eq!(levels.last().map(String::as_str), Some(OTHER_LEVEL));
    }

    #[test]
    fn feedback_is_scored_with_the_tasks_metrics() {
        let monitor = LiveMonitor::new(reference(100), None, 10).expect("window on");
        assert!(monitor.compute().live_metrics.is_empty());
        for (p, a) in [(1.0, 1.0), (2.0, 3.0), (3.0, 3.0), (4.0, 5.0)] {
            monitor.record_actual(Outcome::Number(p), Outcome::Number(a));
        }
        let snapshot = monitor.compute();
        let mae = snapshot.live_metrics.iter().find(|(k, _)| k == "mae").map(|(_, v)| *v);
        assert_eq!(mae, Some(0.5));
        assert_eq!(snapshot.feedback_rows, 4);
    }
}
