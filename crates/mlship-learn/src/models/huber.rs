//! `HuberRegressor` (PyCaret's `huber`): scikit-learn's joint minimisation
//! of the Huber loss with a concomitant scale (Owen 2006) in (w, intercept,
//! σ), with σ bounded below by 10·eps, by L-BFGS-B (`models::lbfgsb`, scipy's
//! algorithm and stopping rules) from w = 0, intercept = 0, σ = 1. The
//! objective and gradient are `_huber_loss_and_gradient`'s, evaluated with
//! column-major passes over X (one for the residuals, one for the gradient).
//! A line search that fails from a steepest-descent step is an error, as
//! scikit-learn raises; reaching `max_iter` keeps the last iterate, as
//! scikit-learn does (with a warning there).

use crate::matrix::Matrix;
use crate::models::lbfgsb::{minimize, Bounds, LbfgsbOptions, Outcome};
use crate::models::linear::FittedLinear;
use crate::LearnError;

/// scikit-learn's `HuberRegressor` parameters.
#[derive(Debug, Clone, Copy)]
pub struct Huber {
    /// Residuals beyond `epsilon`·σ count linearly (≥ 1).
    pub epsilon: f64,
    /// The squared L2 penalty `alpha`·||w||².
    pub alpha: f64,
    /// L-BFGS-B iterations at most.
    pub max_iter: usize,
    /// The projected gradient's infinity norm to reach.
    pub tol: f64,
    /// Learn an intercept.
    pub fit_intercept: bool,
}

/// The objective's data and scratch space, so that each evaluation
/// allocates nothing.
struct Objective<'a> {
    x: &'a Matrix,
    y: &'a [f64],
    config: Huber,
    residual: Vec<f64>,
    row_weight: Vec<f64>,
}

impl Objective<'_> {
    /// `_huber_loss_and_gradient`: writes the gradient, returns the loss.
    fn evaluate(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        let n_features = self.x.n_cols();
        let (epsilon, alpha) = (self.config.epsilon, self.config.alpha);
        let sigma = params[params.len() - 1];
        let intercept = if self.config.fit_intercept { params[n_features] } else { 0.0 };
        let w = &params[..n_features];
        for (r, yi) in self.residual.iter_mut().zip(self.y) {
            *r = yi - intercept;
        }
        for (column, wj) in self.x.columns.iter().zip(w) {
            for (r, v) in self.residual.iter_mut().zip(column) {
                *r -= wj * v;
            }
        }
        let (mut n_outliers, mut outlier_abs_sum, mut outlier_sign_sum) = (0usize, 0.0, 0.0);
        let (mut squared_sum, mut inlier_sum) = (0.0, 0.0);
        for (r, weight) in self.residual.iter().zip(self.row_weight.iter_mut()) {
            if r.abs() > epsilon * sigma {
                let sign = if *r < 0.0 { -1.0 } else { 1.0 };
                n_outliers += 1;
                outlier_abs_sum += r.abs();
                outlier_sign_sum += sign;
                *weight = -2.0 * epsilon * sign;
            } else {
                squared_sum += r * r;
                inlier_sum += r;
                *weight = -2.0 * r / sigma;
            }
        }
        for ((g, column), wj) in grad.iter_mut().zip(&self.x.columns).zip(w) {
            let projection: f64 = column.iter().zip(&self.row_weight).map(|(v, weight)| v * weight).sum();
            *g = projection + 2.0 * alpha * wj;
        }
        let n_samples = self.y.len() as f64;
        let n_outliers = n_outliers as f64;
        let squared_loss = squared_sum / sigma;
        if self.config.fit_intercept {
            grad[n_features] = -2.0 * inlier_sum / sigma - 2.0 * epsilon * outlier_sign_sum;
        }
        grad[params.len() - 1] = n_samples - n_outliers * epsilon * epsilon - squared_loss / sigma;
        let outlier_loss = 2.0 * epsilon * outlier_abs_sum - sigma * n_outliers * epsilon * epsilon;
        let penalty: f64 = alpha * w.iter().map(|v| v * v).sum::<f64>();
        n_samples * sigma + squared_loss + outlier_loss + penalty
    }
}

/// Fits `HuberRegressor`; the scale σ is not kept (prediction does not use it).
pub fn huber(x: &Matrix, y: &[f64], config: Huber) -> Result<FittedLinear, LearnError> {
    if x.n_rows == 0 {
        return Err(LearnError::TooFewRows("HuberRegressor needs at least 1 row, got 0".to_string()));
    }
    let n_features = x.n_cols();
    let n_params = n_features + usize::from(config.fit_intercept) + 1;
    let mut start = vec![0.0; n_params];
    start[n_params - 1] = 1.0;
    let mut lower = vec![f64::NEG_INFINITY; n_params];
    lower[n_params - 1] = 10.0 * f64::EPSILON;
    let upper = vec![f64::INFINITY; n_params];
    let mut objective = Objective { x, y, config, residual: vec![0.0; x.n_rows], row_weight: vec![0.0; x.n_rows] };
    let options = LbfgsbOptions::new(config.max_iter, config.tol);
    let bounds = Bounds { lower: &lower, upper: &upper };
    let minimum = minimize(|params, grad| objective.evaluate(params, grad), &start, &bounds, &options);
    if minimum.outcome == Outcome::Abnormal {
        return Err(LearnError::Numerical {
            step: "HuberRegressor".to_string(),
            message: "convergence failed: the L-BFGS-B line search could not decrease the loss".to_string(),
        });
    }
    let intercept = if config.fit_intercept { minimum.x[n_features] } else { 0.0 };
    Ok(FittedLinear { coef: minimum.x[..n_features].to_vec(), intercept })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let x = Matrix { n_rows: 5, columns: vec![vec![1.0, 2.0, -1.0, 0.5, 3.0], vec![0.2, -0.4, 1.5, 2.0, -1.0]] };
        let y = [1.0, 3.0, -2.0, 10.0, 0.5];
        let config = Huber { epsilon: 1.35, alpha: 0.1, max_iter: 100, tol: 1e-5, fit_intercept: true };
        let mut objective = Objective { x: &x, y: &y, config, residual: vec![0.0; 5], row_weight: vec![0.0; 5] };
        let params = [0.3, -0.2, 0.5, 1.7];
        let mut grad = [0.0; 4];
        objective.evaluate(&params, &mut grad);
        for k in 0..4 {
            let (mut up, mut down) = (params, params);
            up[k] += 1e-6;
            down[k] -= 1e-6;
            let mut scratch = [0.0; 4];
            let numeric = (objective.evaluate(&up, &mut scratch) - objective.evaluate(&down, &mut scratch)) / 2e-6;
            assert!((numeric - grad[k]).abs() < 1e-5 * (1.0 + numeric.abs()), "{k}: {numeric} vs {}", grad[k]);
        }
    }
}
