//! The reference profile a new artifact carries: the training split's input
//! columns and target, and the model's predictions on the hold-out split
//! (out-of-sample, as in production), each bounded in size.

use mlship_data::{ColumnKind, Table};
use mlship_learn::{FittedPipeline, LabelEncoding, Predictions};
use mlship_monitor::profile::{
    categorical_profile, numeric_profile, profile_table, ColumnProfile, ColumnRole, ReferenceProfile, SAMPLE_CAP,
};
use std::collections::BTreeMap;

/// The name of the prediction in profiles and reports (PyCaret's `predict_model` column).
pub const PREDICTION: &str = "prediction_label";

/// How each input column of `pipeline` is profiled.
pub fn roles(pipeline: &FittedPipeline) -> Vec<(String, ColumnRole)> {
    pipeline
        .schema
        .iter()
        .map(|column| {
            let role = match column.kind {
                ColumnKind::Numeric => ColumnRole::Numeric,
                ColumnKind::Categorical => ColumnRole::Categorical,
                ColumnKind::Date { .. } => ColumnRole::Datetime,
            };
            (column.name.clone(), role)
        })
        .collect()
}

/// The profile of predictions: numbers, or the predicted labels' counts.
pub fn prediction_profile(predictions: &Predictions, labels: Option<&LabelEncoding>, cap: usize) -> ColumnProfile {
    match predictions {
        Predictions::Regression(values) => {
            let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            numeric_profile(PREDICTION, values.len(), present, cap)
        }
        Predictions::Classification(classes) => {
            label_profile(PREDICTION, classes.codes.iter().copied(), classes.codes.len(), labels, cap)
        }
    }
}

/// Counts of class codes, by their original labels.
fn label_profile(
    name: &str,
    codes: impl Iterator<Item = usize>,
    n_rows: usize,
    labels: Option<&LabelEncoding>,
    cap: usize,
) -> ColumnProfile {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for code in codes {
        let label = labels.and_then(|l| l.label(code)).map_or_else(|| code.to_string(), ToString::to_string);
        *counts.entry(label).or_default() += 1;
    }
    categorical_profile(name, n_rows, 0, counts.into_iter().collect(), cap)
}

/// The artifact's profile: `table` is the training data (target removed),
/// `train` the training split's rows, `y` the target (class codes for a classifier).
pub fn reference_profile(
    pipeline: &FittedPipeline,
    table: &Table,
    train: &[usize],
    y: &[f64],
    holdout_predictions: &Predictions,
) -> Result<ReferenceProfile, String> {
    let columns = profile_table(table, &roles(pipeline), Some(train), SAMPLE_CAP)?;
    let labels = pipeline.labels.as_ref();
    let target = match labels {
        // Codes are whole numbers below the class count: the cast is exact.
        Some(_) => {
            label_profile(&pipeline.target, train.iter().map(|&i| y[i] as usize), train.len(), labels, SAMPLE_CAP)
        }
        None => numeric_profile(&pipeline.target, train.len(), train.iter().map(|&i| y[i]).collect(), SAMPLE_CAP),
    };
    Ok(ReferenceProfile {
        source: "training split".to_string(),
        n_rows: train.len(),
        columns,
        prediction: Some(prediction_profile(holdout_predictions, labels, SAMPLE_CAP)),
        target: Some(target),
    })
}

/// The profile of predictions as `serve` logged them: numbers, or labels.
pub fn served_prediction_profile(values: &[serde_json::Value], pipeline: &FittedPipeline) -> ColumnProfile {
    if pipeline.labels.is_none() {
        let present: Vec<f64> = values.iter().filter_map(serde_json::Value::as_f64).filter(|v| v.is_finite()).collect();
        return numeric_profile(PREDICTION, values.len(), present, usize::MAX);
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut n_missing = 0;
    for value in values {
        match label_text(value) {
            Some(text) => *counts.entry(text).or_default() += 1,
            None => n_missing += 1,
        }
    }
    categorical_profile(PREDICTION, values.len(), n_missing, counts.into_iter().collect(), usize::MAX)
}

/// A logged label or actual as text: the string, or a number in canonical form.
fn label_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(n) => n.as_f64().map(mlship_data::parse::canonical_number_text),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An actual as the metrics read it: the number, or the class code of a known label.
pub fn truth_of(value: &serde_json::Value, pipeline: &FittedPipeline) -> Option<f64> {
    match &pipeline.labels {
        None => match value {
            serde_json::Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
            serde_json::Value::String(text) => mlship_data::parse::parse_number(text),
            _ => None,
        },
        // Codes are class positions: far below 2^53, exact as f64.
        Some(labels) => labels.code_of_text(&label_text(value)?).ok().map(|code| code as f64),
    }
}
