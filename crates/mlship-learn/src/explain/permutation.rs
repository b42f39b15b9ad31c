//! Model-agnostic explanations: permutation SHAP (shap's
//! `PermutationExplainer` over an independent background) and
//! scikit-learn's `permutation_importance`.
//!
//! Permutation SHAP: for each explained row, `n_permutations` random feature
//! orders (seeded, numpy's `shuffle`), each walked forward (turning the row's
//! features on one by one over a background row) and backward (turning them
//! off in the same order), the antithetic pair shap uses; a feature's value
//! is the mean change of the model's output when it is turned on. A state's
//! output is the mean over the background rows. The values add up exactly
//! (every walk telescopes from the background mean to the row's output) and
//! are exact for an additive model (each feature's change is the same in
//! every order); otherwise they are a sample estimate of the Shapley values.
//! shap's own random draws (the global numpy generator) are not reproduced,
//! so agreement with shap is statistical.

use super::{Explanation, Method, OutputKind};
use crate::matrix::Matrix;
use crate::models::random::NumpyRandom;
use crate::models::FittedModel;
use crate::LearnError;

/// shap's default `max_evals` for the permutation explainer.
const MAX_EVALS: usize = 500;

/// The model's output that permutation SHAP explains: class probabilities
/// when it has them, else its decision function, else its prediction.
fn outputs(model: &FittedModel, x: &Matrix) -> Result<(Vec<f64>, OutputKind, usize), LearnError> {
    if let Some(proba) = model.predict_proba(x) {
        let proba = proba?;
        let k = proba.len().checked_div(x.n_rows).unwrap_or(0);
        if k > 0 || x.n_rows == 0 {
            return Ok((proba, OutputKind::Probability, k));
        }
    }
    if let Some(decision) = model.decision_function(x) {
        let decision = decision?;
        let k = decision.len().checked_div(x.n_rows).unwrap_or(0);
        if k > 0 {
            return Ok((decision, OutputKind::Margin, k));
        }
    }
    Ok((model.predict(x)?, OutputKind::Value, 1))
}

/// Permutation SHAP values of every row of `x` over the rows of `background`.
pub fn explain(model: &FittedModel, x: &Matrix, background: &Matrix, seed: u32) -> Result<Explanation, LearnError> {
    let n_features = model.n_features();
    x.expect_width(n_features, "permutation SHAP")?;
    background.expect_width(n_features, "permutation SHAP's background")?;
    let n_background = background.n_rows;
    if n_background == 0 {
        return Err(LearnError::InvalidOption("permutation SHAP needs at least one background row".to_string()));
    }
    let (base, kind, n_outputs) = outputs(model, background)?;
    let mut expected_value = vec![0.0; n_outputs];
    for row in base.chunks(n_outputs.max(1)) {
        expected_value.iter_mut().zip(row).for_each(|(e, v)| *e += v / n_background as f64);
    }
    let classes = match kind {
        OutputKind::Value => vec![None],
        _ if n_outputs == 1 => vec![Some(1)],
        _ => (0..n_outputs).map(Some).collect(),
    };
    let n_permutations = (MAX_EVALS / (2 * n_features + 1)).max(1);
    let mut rng = NumpyRandom::new(seed);
    let mut values = vec![0.0; x.n_rows * n_features * n_outputs];
    let mut order: Vec<usize> = (0..n_features).collect();
    for i in 0..x.n_rows {
        // Every state of every walk of this row, over the whole background, in one batch.
        let mut orders = Vec::with_capacity(n_permutations);
        for _ in 0..n_permutations {
            rng.shuffle(&mut order);
            orders.push(order.clone());
        }
        let states = 2 * n_features + 1;
        let mut batch = Matrix::with_rows(n_permutations * states * n_background);
        for (j, (column, row_column)) in background.columns.iter().zip(&x.columns).enumerate() {
            let own = row_column[i];
            let mut out = Vec::with_capacity(batch.n_rows);
            for order in &orders {
                // The step at which feature j is turned on (forward) and off (backward).
                let at = order.iter().position(|&f| f == j).unwrap_or(0);
                for state in 0..states {
                    let on = if state <= n_features { state > at } else { state - n_features <= at };
                    if on {
                        out.extend(std::iter::repeat_n(own, n_background));
                    } else {
                        out.extend_from_slice(column);
                    }
                }
            }
            batch.push_column(out);
        }
        let (predicted, _, k) = outputs(model, &batch)?;
        if k != n_outputs {
            return Err(LearnError::InvalidOption(format!("the model gave {k} outputs per row, not {n_outputs}")));
        }
        // The mean output of each state.
        let means: Vec<f64> = predicted
            .chunks(n_background * n_outputs)
            .flat_map(|state| {
                (0..n_outputs).map(move |o| state.chunks(n_outputs).map(|r| r[o]).sum::<f64>() / n_background as f64)
            })
            .collect();
        let row_values = &mut values[i * n_features * n_outputs..(i + 1) * n_features * n_outputs];
        for (p, order) in orders.iter().enumerate() {
            let mean = |state: usize, o: usize| means[(p * states + state) * n_outputs + o];
            for (step, &feature) in order.iter().enumerate() {
                for o in 0..n_outputs {
                    let forward = mean(step + 1, o) - mean(step, o);
                    let backward = mean(n_features + step, o) - mean(n_features + step + 1, o);
                    row_values[feature * n_outputs + o] += (forward + backward) / (2 * n_permutations) as f64;
                }
            }
        }
    }
    Ok(Explanation { method: Method::Permutation, kind, classes, expected_value, n_rows: x.n_rows, n_features, values })
}

/// scikit-learn's `permutation_importance` result (its names).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PermutationImportance {
    /// The mean decrease of the score over the repeats, per column.
    pub importances_mean: Vec<f64>,
    /// Its standard deviation (numpy's `std`, ddof 0).
    pub importances_std: Vec<f64>,
    /// Every repeat's decrease, per column.
    pub importances: Vec<Vec<f64>>,
}

/// scikit-learn's `permutation_importance(..., n_repeats, random_state=seed)`
/// with its random draws: one seed `randint(2**31)` from `RandomState(seed)`,
/// then for each column a fresh `RandomState(that seed)` shuffling an index
/// `n_repeats` times, each shuffle applied to the already permuted column
/// (scikit-learn's `X_permuted[:, col] = X_permuted[idx, col]`).
/// `score(column, rows)` scores the data with `column`'s row `r` replaced
/// by the original row `rows[r]`; `baseline` is the unpermuted score.
pub fn permutation_importance(
    n_columns: usize,
    n_rows: usize,
    n_repeats: usize,
    seed: u32,
    baseline: f64,
    mut score: impl FnMut(usize, &[usize]) -> Result<f64, LearnError>,
) -> Result<PermutationImportance, LearnError> {
    if n_repeats == 0 || n_rows == 0 {
        return Err(LearnError::InvalidOption("permutation importance needs rows and at least one repeat".to_string()));
    }
    let column_seed = NumpyRandom::new(seed).randint(1 << 31) as u32;
    let mut importances = Vec::with_capacity(n_columns);
    for column in 0..n_columns {
        let mut rng = NumpyRandom::new(column_seed);
        let mut shuffle: Vec<usize> = (0..n_rows).collect();
        let mut current: Vec<usize> = (0..n_rows).collect();
        let mut decreases = Vec::with_capacity(n_repeats);
        for _ in 0..n_repeats {
            rng.shuffle(&mut shuffle);
            current = shuffle.iter().map(|&s| current[s]).collect();
            decreases.push(baseline - score(column, &current)?);
        }
        importances.push(decreases);
    }
    let importances_mean: Vec<f64> = importances.iter().map(|d| crate::numpy::numpy_mean(d)).collect();
    let importances_std = importances
        .iter()
        .zip(&importances_mean)
        .map(|(d, m)| {
            let squares: Vec<f64> = d.iter().map(|v| (v - m).abs().powi(2)).collect();
            crate::numpy::numpy_mean(&squares).sqrt()
        })
        .collect();
    Ok(PermutationImportance { importances_mean, importances_std, importances })
}
