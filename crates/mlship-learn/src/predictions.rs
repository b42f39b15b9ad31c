//! What a fitted pipeline predicts, by task: numbers for a regressor; class
//! codes (positions in the sorted label encoding) with, where the model has
//! them, per-class probabilities for a classifier. `score` turns predictions
//! into the task's `Scores` as PyCaret's scorers do, and is the one place
//! that reads a model's AUC scores (decision function first) and applies
//! `probability_threshold`.

use crate::class_metrics::{AucScores, ClassificationMetrics};
use crate::labels::LabelEncoding;
use crate::matrix::Matrix;
use crate::metrics::RegressionMetrics;
use crate::models::FittedModel;
use crate::scores::Scores;
use crate::target::FittedYeoJohnson;
use crate::LearnError;

/// A classifier's predictions for some rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPredictions {
    /// Each row's predicted class code.
    pub codes: Vec<usize>,
    /// Per-class probabilities, row-major (`n_classes` per row); `None` for
    /// a model without `predict_proba` (`svm`, `ridge`).
    pub probabilities: Option<Vec<f64>>,
    /// The number of classes (the label encoding's).
    pub n_classes: usize,
}

impl ClassPredictions {
    /// The probability of the predicted class of `row` (PyCaret's
    /// `prediction_score`), when the model has probabilities.
    pub fn score(&self, row: usize) -> Option<f64> {
        let probabilities = self.probabilities.as_ref()?;
        probabilities.get(row * self.n_classes + self.codes[row]).copied()
    }

    /// The probabilities of `row`, one per class.
    pub fn row_probabilities(&self, row: usize) -> Option<&[f64]> {
        let probabilities = self.probabilities.as_ref()?;
        probabilities.get(row * self.n_classes..(row + 1) * self.n_classes)
    }
}

/// A pipeline's predictions, by task.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Numbers, on the target's original scale.
    Regression(Vec<f64>),
    /// Classes (and probabilities).
    Classification(ClassPredictions),
}

impl Predictions {
    /// The number of rows predicted.
    pub fn len(&self) -> usize {
        match self {
            Predictions::Regression(values) => values.len(),
            Predictions::Classification(classes) => classes.codes.len(),
        }
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Regression values, or class codes as numbers (what a model's
    /// `predict` returns): for callers that handle both tasks as numbers.
    pub fn numbers(&self) -> Vec<f64> {
        match self {
            Predictions::Regression(values) => values.clone(),
            Predictions::Classification(classes) => classes.codes.iter().map(|&c| c as f64).collect(),
        }
    }

    /// The classifier's predictions, `None` for a regressor.
    pub fn classes(&self) -> Option<&ClassPredictions> {
        match self {
            Predictions::Classification(classes) => Some(classes),
            Predictions::Regression(_) => None,
        }
    }
}

/// How a fitted model's output becomes predictions: what the pipeline holds
/// besides the model.
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    /// The label encoding of a classifier's target (`None` for regression).
    pub labels: Option<&'a LabelEncoding>,
    /// The probability of class 1 at or above which a binary classifier
    /// predicts class 1 (PyCaret's `probability_threshold`); `None` keeps the
    /// model's own `predict`.
    pub probability_threshold: Option<f64>,
    /// The target transform to invert on regression predictions.
    pub target_transform: Option<&'a FittedYeoJohnson>,
}

/// The model's predictions for `x`, on the target's scale or as classes.
pub fn predict_matrix(model: &FittedModel, x: &Matrix, output: Output<'_>) -> Result<Predictions, LearnError> {
    let Some(labels) = output.labels else {
        let mut values = model.predict(x)?;
        if let Some(transform) = output.target_transform {
            transform.inverse(&mut values);
        }
        return Ok(Predictions::Regression(values));
    };
    let n_classes = labels.n_classes();
    let probabilities = model.predict_proba(x).transpose()?;
    if let Some(probabilities) = &probabilities {
        if probabilities.len() != x.n_rows * n_classes {
            return Err(LearnError::Shape(format!(
                "the model gave {} probabilities for {} rows of {n_classes} classes",
                probabilities.len(),
                x.n_rows
            )));
        }
    }
    let codes = match (output.probability_threshold, &probabilities) {
        (Some(threshold), Some(probabilities)) if n_classes == 2 => {
            probabilities.chunks(2).map(|row| usize::from(row[1] >= threshold)).collect()
        }
        (Some(_), _) => {
            return Err(LearnError::InvalidOption(
                "probability_threshold needs a binary target and a model with probabilities".to_string(),
            ))
        }
        (None, _) => {
            let numbers = model.predict(x)?;
            numbers
                .iter()
                .map(|&code| {
                    if code >= 0.0 && (code as usize) < n_classes && code.fract() == 0.0 {
                        Ok(code as usize)
                    } else {
                        Err(LearnError::Shape(format!("the model predicted class {code} of {n_classes}")))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(Predictions::Classification(ClassPredictions { codes, probabilities, n_classes }))
}

/// The scores PyCaret's AUC reads for a model: its decision function when it
/// has one, else its probabilities (owned, with values per row).
fn auc_scores(model: &FittedModel, x: &Matrix, predictions: &ClassPredictions) -> Result<Option<(Vec<f64>, usize)>, LearnError> {
    if let Some(decision) = model.decision_function(x).transpose()? {
        let per_row = decision.len().checked_div(x.n_rows).unwrap_or(1);
        return Ok(Some((decision, per_row.max(1))));
    }
    Ok(predictions.probabilities.clone().map(|p| (p, predictions.n_classes)))
}

/// Predicts `x` and scores the predictions against `y_true` (numbers for
/// regression, class codes for classification) with the task's metrics.
pub fn score_matrix(
    model: &FittedModel,
    x: &Matrix,
    y_true: &[f64],
    output: Output<'_>,
) -> Result<(Scores, Predictions), LearnError> {
    let predictions = predict_matrix(model, x, output)?;
    let scores = match (&predictions, output.labels) {
        (Predictions::Regression(values), _) => Scores::regression(&RegressionMetrics::compute(y_true, values)),
        (Predictions::Classification(classes), Some(labels)) => {
            let truth: Vec<usize> = y_true.iter().map(|&code| code as usize).collect();
            let auc = auc_scores(model, x, classes)?;
            let auc = auc.as_ref().map(|(values, per_row)| AucScores { values, per_row: *per_row });
            let metrics =
                ClassificationMetrics::compute(&truth, &classes.codes, auc, classes.n_classes, labels.zero_one_labels());
            Scores::classification(&metrics)
        }
        (Predictions::Classification(_), None) => {
            return Err(LearnError::Shape("class predictions without a label encoding".to_string()))
        }
    };
    Ok((scores, predictions))
}
