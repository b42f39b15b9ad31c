//! One set of a task's metrics: the values of `Task::metrics()`, in that
//! order. Everything after scoring (fold means, the train table, `--json`,
//! the artifact, tracking, leaderboards) handles `Scores`, so it works for
//! both tasks without knowing which metrics a task has.
//!
//! Serialised as a map from PyCaret's metric name to value
//! (`{"MAE": …, "R2": …}`, `{"Accuracy": …, "AUC": …}`): the shape format-1
//! artifacts already hold for their regression metrics. Reading a map finds
//! the task whose metric names it holds.

use crate::class_metrics::ClassificationMetrics;
use crate::metrics::RegressionMetrics;
use crate::task::Task;
use serde::de::{Deserializer, Error as _};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A task's metrics for one set of predictions (or a mean or std of them).
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    task: Task,
    values: Vec<f64>,
}

impl Scores {
    /// PyCaret's regression metrics.
    pub fn regression(metrics: &RegressionMetrics) -> Self {
        Scores { task: Task::Regression, values: metrics.values().to_vec() }
    }

    /// PyCaret's classification metrics.
    pub fn classification(metrics: &ClassificationMetrics) -> Self {
        Scores { task: Task::Classification, values: metrics.values().to_vec() }
    }

    /// The task whose metrics these are.
    pub fn task(&self) -> Task {
        self.task
    }

    /// The values in `Task::metrics()` order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// (PyCaret's name, value) pairs in column order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.task.metrics().iter().map(|m| m.name).zip(self.values.iter().copied())
    }

    /// The metric called `name`, case-insensitively (`r2`, `accuracy`).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.task.metrics().iter().position(|m| m.name.eq_ignore_ascii_case(name)).map(|idx| self.values[idx])
    }

    /// Mean and population standard deviation over folds (PyCaret's Mean and
    /// Std rows); `None` for no folds or folds of different tasks.
    pub fn mean_and_std(folds: &[Scores]) -> Option<(Scores, Scores)> {
        let task = folds.first()?.task;
        if folds.iter().any(|f| f.task != task) {
            return None;
        }
        let n = folds.len() as f64;
        let width = task.metrics().len();
        let mean: Vec<f64> = (0..width).map(|i| folds.iter().map(|f| f.values[i]).sum::<f64>() / n).collect();
        let std: Vec<f64> = (0..width)
            .map(|i| (folds.iter().map(|f| (f.values[i] - mean[i]).powi(2)).sum::<f64>() / n).sqrt())
            .collect();
        Some((Scores { task, values: mean }, Scores { task, values: std }))
    }

    /// The first metric that is not a finite number, if any.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        self.iter().find(|(_, value)| !value.is_finite())
    }
}

impl Serialize for Scores {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Scores {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, f64>::deserialize(deserializer)?;
        for task in Task::ALL {
            let names = task.metrics();
            if names.len() == map.len() && names.iter().all(|m| map.contains_key(m.name)) {
                let values = names.iter().map(|m| map[m.name]).collect();
                return Ok(Scores { task, values });
            }
        }
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        Err(D::Error::custom(format!("metrics {keys:?} are neither a regression nor a classification set")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_as_maps_and_average() {
        let regression = Scores::regression(&RegressionMetrics::compute(&[1.0, 2.0, 3.0], &[1.0, 2.5, 2.0]));
        let json = serde_json::to_string(&regression).unwrap();
        assert!(json.starts_with("{\"MAE\":"), "{json}");
        assert_eq!(serde_json::from_str::<Scores>(&json).unwrap(), regression);
        let a = Scores::classification(&ClassificationMetrics::compute(&[0, 1, 1], &[0, 1, 0], None, 2, true));
        let b = Scores::classification(&ClassificationMetrics::compute(&[0, 1, 1], &[0, 1, 1], None, 2, true));
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"Prec.\""), "{json}");
        assert_eq!(serde_json::from_str::<Scores>(&json).unwrap(), a);
        let (mean, std) = Scores::mean_and_std(&[a.clone(), b]).unwrap();
        assert!((mean.get("accuracy").unwrap() - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-15);
        assert!((std.get("Accuracy").unwrap() - (1.0 - 2.0 / 3.0) / 2.0).abs() < 1e-15);
        assert!(Scores::mean_and_std(&[a, regression]).is_none());
        let error = serde_json::from_str::<Scores>("{\"MAE\": 1.0}").unwrap_err().to_string();
        assert!(error.contains("neither"), "{error}");
    }
}
