//! The diagnostic plots a run keeps, as PyCaret's `plot_model` offers them:
//! residuals and prediction error on the hold-out, the model's coefficients,
//! and the cross-validation score of every fold.

use mlship_learn::{Evaluation, Task};
use mlship_track::plots;

/// At most this many coefficients are drawn, the largest by magnitude.
const MAX_COEFFICIENTS: usize = 25;

/// (file stem, SVG) for every plot of a run.
pub fn plots(evaluation: &Evaluation) -> Vec<(&'static str, String)> {
    let task = evaluation.holdout.task();
    let mut out = match task {
        Task::Regression => regression_plots(evaluation),
        Task::Classification => crate::class_plots::plots(evaluation),
    };
    if let Some(coef) = evaluation.pipeline.model.coefficients() {
        out.push(coefficient_plot(&evaluation.pipeline.feature_names, coef, "coefficients", "Coefficients"));
    }
    if let Some(importances) = evaluation.pipeline.model.feature_importances() {
        let plot = coefficient_plot(&evaluation.pipeline.feature_names, &importances, "importances", "Importances");
        out.push(plot);
    }
    let metric = task.default_sort_metric();
    let fold_value = |scores: &mlship_learn::Scores| scores.get(metric).unwrap_or(f64::NAN);
    let folds: Vec<(String, f64)> =
        evaluation.folds.iter().enumerate().map(|(i, m)| (format!("fold {}", i + 1), fold_value(m))).collect();
    let title = format!("{metric} per fold (mean {:.4})", fold_value(&evaluation.mean));
    out.push(("cv_folds", plots::bars(&title, metric, &folds)));
    out
}

/// Residuals and prediction error on the hold-out rows.
fn regression_plots(evaluation: &Evaluation) -> Vec<(&'static str, String)> {
    let points = evaluation.holdout_points();
    let residuals: Vec<(f64, f64)> = points.iter().map(|(truth, predicted)| (*predicted, truth - predicted)).collect();
    let prediction_error: Vec<(f64, f64)> = points.iter().map(|(truth, predicted)| (*truth, *predicted)).collect();
    let target = &evaluation.pipeline.target;
    vec![
        (
            "residuals",
            plots::scatter(
                "Residuals (hold-out)",
                &format!("Predicted {target}"),
                "Residual (true − predicted)",
                &residuals,
                false,
                true,
            ),
        ),
        (
            "prediction_error",
            plots::scatter(
                &format!("Prediction error (hold-out R2 {:.4})", evaluation.holdout.get("R2").unwrap_or(f64::NAN)),
                &format!("True {target}"),
                &format!("Predicted {target}"),
                &prediction_error,
                true,
                false,
            ),
        ),
    ]
}

/// The largest coefficients (or impurity importances) by magnitude, for models that have them.
fn coefficient_plot(feature_names: &[String], coef: &[f64], name: &'static str, label: &str) -> (&'static str, String) {
    let mut coefficients: Vec<(String, f64)> = feature_names.iter().cloned().zip(coef.iter().copied()).collect();
    coefficients.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let shown = coefficients.len().min(MAX_COEFFICIENTS);
    let title = if coefficients.len() > shown {
        format!("{label} (largest {shown} of {})", coefficients.len())
    } else {
        label.to_string()
    };
    coefficients.truncate(shown);
    (name, plots::bars(&title, &label.to_lowercase(), &coefficients))
}
