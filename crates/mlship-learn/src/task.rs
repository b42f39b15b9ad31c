//! The task a pipeline learns, and the one table of its metrics: each metric's
//! PyCaret name and whether greater is better (scikit-learn's
//! `greater_is_better`), so that sorting a leaderboard, a runs list or a
//! registry gate reads a direction from here and never guesses it from a
//! metric's name.

use serde::{Deserialize, Serialize};

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// A number (PyCaret's `pycaret.regression`).
    Regression,
    /// A class label (PyCaret's `pycaret.classification`).
    Classification,
}

/// One metric a task reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// PyCaret's column name (`R2`, `MAE`, …).
    pub name: &'static str,
    /// scikit-learn's `greater_is_better`.
    pub greater_is_better: bool,
}

const REGRESSION_METRICS: &[MetricInfo] = &[
    MetricInfo { name: "MAE", greater_is_better: false },
    MetricInfo { name: "MSE", greater_is_better: false },
    MetricInfo { name: "RMSE", greater_is_better: false },
    MetricInfo { name: "R2", greater_is_better: true },
    MetricInfo { name: "RMSLE", greater_is_better: false },
    MetricInfo { name: "MAPE", greater_is_better: false },
];

const CLASSIFICATION_METRICS: &[MetricInfo] = &[
    MetricInfo { name: "Accuracy", greater_is_better: true },
    MetricInfo { name: "AUC", greater_is_better: true },
    MetricInfo { name: "Recall", greater_is_better: true },
    MetricInfo { name: "Prec.", greater_is_better: true },
    MetricInfo { name: "F1", greater_is_better: true },
    MetricInfo { name: "Kappa", greater_is_better: true },
    MetricInfo { name: "MCC", greater_is_better: true },
];

/// PyCaret's `get_ml_task`: an integer target with at most this many distinct
/// values is a classification target.
pub const MAX_INTEGER_CLASSES: usize = 20;

impl Task {
    /// Every task, in the order help texts list them.
    pub const ALL: [Task; 2] = [Task::Regression, Task::Classification];

    /// The metrics this task reports, in PyCaret's column order.
    pub fn metrics(self) -> &'static [MetricInfo] {
        match self {
            Task::Regression => REGRESSION_METRICS,
            Task::Classification => CLASSIFICATION_METRICS,
        }
    }

    /// The metric `compare` and `tune` sort by unless told otherwise.
    pub fn default_sort_metric(self) -> &'static str {
        match self {
            Task::Regression => "R2",
            Task::Classification => "Accuracy",
        }
    }

    /// A task by PyCaret's module name (`--task`).
    pub fn parse(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|task| task.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The task PyCaret's `get_ml_task` picks for a target: classification for
    /// labels (text, booleans, categories) and for an integer column (every
    /// value whole, none missing) with at most 20 distinct values; regression
    /// otherwise. `distinct` counts the distinct non-missing values.
    pub fn infer(is_numeric: bool, all_whole_and_present: bool, distinct: usize) -> Task {
        if !is_numeric || (all_whole_and_present && distinct <= MAX_INTEGER_CLASSES) {
            Task::Classification
        } else {
            Task::Regression
        }
    }

    /// A metric by name, case-insensitively.
    pub fn metric(self, name: &str) -> Option<&'static MetricInfo> {
        self.metrics().iter().find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// PyCaret's module name, as the artifact's `task` field records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
        }
    }
}

impl MetricInfo {
    /// Orders two scores best first; NaN (a failed model) always sorts last.
    pub fn best_first(&self, a: f64, b: f64) -> std::cmp::Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ if self.greater_is_better => b.total_cmp(&a),
            _ => a.total_cmp(&b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_come_from_the_table() {
        let r2 = Task::Regression.metric("r2").unwrap();
        let mae = Task::Regression.metric("MAE").unwrap();
        let mut scores = [0.5, f64::NAN, 0.9, 0.1];
        scores.sort_by(|a, b| r2.best_first(*a, *b));
        assert_eq!(&scores[..3], &[0.9, 0.5, 0.1]);
        assert!(scores[3].is_nan());
        scores.sort_by(|a, b| mae.best_first(*a, *b));
        assert_eq!(&scores[..3], &[0.1, 0.5, 0.9]);
        assert!(Task::Regression.metric("AUC").is_none());
        let accuracy = Task::Classification.metric("accuracy").unwrap();
        scores.sort_by(|a, b| accuracy.best_first(*a, *b));
        assert_eq!(&scores[..3], &[0.9, 0.5, 0.1]);
        assert!(Task::Classification.metrics().iter().all(|m| m.greater_is_better));
    }

    #[test]
    fn tasks_parse_and_infer_as_pycaret() {
        assert_eq!(Task::parse(" Classification"), Some(Task::Classification));
        assert_eq!(Task::parse("regression"), Some(Task::Regression));
        assert_eq!(Task::parse("clustering"), None);
        assert_eq!(Task::infer(false, false, 2), Task::Classification);
        assert_eq!(Task::infer(true, true, 2), Task::Classification);
        assert_eq!(Task::infer(true, true, 20), Task::Classification);
        assert_eq!(Task::infer(true, true, 21), Task::Regression);
        assert_eq!(Task::infer(true, false, 2), Task::Regression);
    }
}
