//! Exact linear SHAP: shap's `LinearExplainer` with an `Independent`
//! masker. Feature-dependence convention: features are treated as
//! independent (interventional), so a feature's value is its coefficient
//! times its distance from the background mean, `phi_j = coef_j (x_j −
//! mean_j)`, and the expected value is the model at the mean, `intercept +
//! coef · mean`. Correlated features are not shared out (shap's
//! `Impute`/correlation-dependent variant is not offered). Classifiers are
//! explained on the margin (log-odds for two classes; one score per class
//! otherwise), where the model is linear.

use super::{Explanation, Method, OutputKind};
use crate::matrix::Matrix;
use crate::models::FittedModel;
use crate::numpy::numpy_mean;
use crate::LearnError;

/// The coefficient rows, intercepts, output kind and class of each score.
type LinearParts<'a> = (Vec<&'a [f64]>, Vec<f64>, OutputKind, Vec<Option<usize>>);

fn parts(model: &FittedModel) -> Option<LinearParts<'_>> {
    match model {
        FittedModel::Linear(m) => Some((vec![&m.coef[..]], vec![m.intercept], OutputKind::Value, vec![None])),
        FittedModel::Logistic(m) => {
            let classes =
                if m.coef.len() == 1 { vec![Some(1)] } else { (0..m.coef.len()).map(Some).collect::<Vec<_>>() };
            Some((m.coef.iter().map(|c| &c[..]).collect(), m.intercept.clone(), OutputKind::Margin, classes))
        }
        FittedModel::LinearClassifier(m) => {
            let classes = if m.coef.len() == 1 {
                vec![m.classes.get(1).copied()]
            } else {
                m.classes.iter().map(|&c| Some(c)).collect()
            };
            Some((m.coef.iter().map(|c| &c[..]).collect(), m.intercept.clone(), OutputKind::Margin, classes))
        }
        _ => None,
    }
}

/// Whether the model is linear in its features (coefficients and intercepts).
pub fn supports(model: &FittedModel) -> bool {
    parts(model).is_some()
}

/// Linear SHAP values of every row of `x` against the means of `background`.
pub fn explain(model: &FittedModel, x: &Matrix, background: &Matrix) -> Result<Explanation, LearnError> {
    let (coef, intercept, kind, classes) = parts(model).ok_or_else(|| {
        LearnError::InvalidOption("linear SHAP needs a linear model (coefficients and an intercept)".to_string())
    })?;
    let n_features = model.n_features();
    x.expect_width(n_features, "linear SHAP")?;
    background.expect_width(n_features, "linear SHAP's background")?;
    if background.n_rows == 0 {
        return Err(LearnError::InvalidOption("linear SHAP needs at least one background row".to_string()));
    }
    if coef.iter().any(|c| c.len() != n_features) || intercept.len() != coef.len() {
        return Err(LearnError::InvalidOption("the stored linear model is inconsistent".to_string()));
    }
    let mean: Vec<f64> = background.columns.iter().map(|c| numpy_mean(c)).collect();
    let expected_value: Vec<f64> =
        coef.iter().zip(&intercept).map(|(c, b)| c.iter().zip(&mean).map(|(c, m)| c * m).sum::<f64>() + b).collect();
    let n_outputs = coef.len();
    let mut values = vec![0.0; x.n_rows * n_features * n_outputs];
    for (j, column) in x.columns.iter().enumerate() {
        for (i, &value) in column.iter().enumerate() {
            for (k, c) in coef.iter().enumerate() {
                values[(i * n_features + j) * n_outputs + k] = (value - mean[j]) * c[j];
            }
        }
    }
    Ok(Explanation { method: Method::Linear, kind, classes, expected_value, n_rows: x.n_rows, n_features, values })
}
