//! Linear models (scikit-learn's `linear_model` least squares, ridge, lasso
//! and elastic net) with scikit-learn's exact semantics. With `fit_intercept`
//! (the default) all fit on centred data and recover the intercept from the
//! means; without it nothing is centred and the intercept is 0, as
//! scikit-learn's `_preprocess_data` does (the means are taken as zeros).
//!
//! - `lstsq`: `LinearRegression`, the minimum-norm least-squares solution with
//!   singular values below max(n, p)·eps·s_max treated as zero (current
//!   scikit-learn through scipy's gelsd). Computed as a tall-skinny QR of the
//!   centred [X | y] followed by an SVD of the small R factor: the same
//!   singular values as X, but the working memory is O(block·p) and the n-row
//!   SVD is avoided on tall data.
//! - `ridge`: `Ridge(solver="cholesky")` on the normal equations (or the
//!   kernel form when p > n).
//! - `elastic_net`: `ElasticNet` / `Lasso` by cyclic coordinate descent with
//!   the duality-gap stopping rule and gap-safe screening, as `cd_fast.pyx`.

use crate::matrix::{mean, Matrix};
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

/// A fitted linear model: `y = x·coef + intercept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLinear {
    /// One coefficient per feature.
    pub coef: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

impl Fitted for FittedLinear {
    fn n_features(&self) -> usize {
        self.coef.len()
    }
    fn is_finite(&self) -> bool {
        self.intercept.is_finite() && self.coef.iter().all(|c| c.is_finite())
    }
    fn validate(&self) -> Result<(), String> {
        if self.coef.is_empty() {
            return Err("coef is empty".to_string());
        }
        super::validate::finite("coef", &self.coef)?;
        super::validate::finite_one("intercept", self.intercept)
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.coef.len(), "the linear model")?;
        let mut out = vec![self.intercept; x.n_rows];
        for (column, coef) in x.columns.iter().zip(&self.coef) {
            for (value, v) in out.iter_mut().zip(column) {
                *value += coef * v;
            }
        }
        Ok(out)
    }
}

/// The design and target centred on their means (`fit_intercept=True`), or
/// as given with zero means (`fit_intercept=False`).
pub(crate) struct Centred {
    pub x: Mat<f64>,
    pub y: Vec<f64>,
    pub x_mean: Vec<f64>,
    pub y_mean: f64,
}

/// The column means of X and the mean of y, or zeros without an intercept:
/// what scikit-learn's `_preprocess_data` subtracts.
pub(crate) fn offsets(x: &Matrix, y: &[f64], fit_intercept: bool) -> (Vec<f64>, f64) {
    if fit_intercept {
        (x.columns.iter().map(|c| mean(c)).collect(), mean(y))
    } else {
        (vec![0.0; x.n_cols()], 0.0)
    }
}

pub(crate) fn centre(x: &Matrix, y: &[f64], fit_intercept: bool) -> Centred {
    let (x_mean, y_mean) = offsets(x, y, fit_intercept);
    Centred {
        x: Mat::from_fn(x.n_rows, x.n_cols(), |i, j| x.columns[j][i] - x_mean[j]),
        y: y.iter().map(|v| v - y_mean).collect(),
        x_mean,
        y_mean,
    }
}

pub(crate) fn with_intercept(coef: Vec<f64>, centred: &Centred) -> FittedLinear {
    let offset: f64 = coef.iter().zip(&centred.x_mean).map(|(c, m)| c * m).sum();
    FittedLinear { intercept: centred.y_mean - offset, coef }
}

pub(crate) fn numerical(step: &str, error: impl std::fmt::Debug) -> LearnError {
    LearnError::Numerical { step: step.to_string(), message: format!("{error:?}") }
}

/// Minimum-norm solution of min ||a·w - b|| through the SVD of `a`, with
/// scipy's `cond` cutoff relative to the largest singular value.
pub(crate) fn svd_solve(a: faer::MatRef<'_, f64>, b: &[f64], cutoff_factor: f64) -> Result<Vec<f64>, LearnError> {
    let svd = a.thin_svd().map_err(|e| numerical("LinearRegression", e))?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let s_max = (0..s.nrows()).map(|i| s[i]).fold(0.0, f64::max);
    let cutoff = cutoff_factor * s_max;
    let mut coef = vec![0.0; a.ncols()];
    for k in 0..s.nrows() {
        if s[k] <= cutoff || s[k] == 0.0 {
            continue;
        }
        let projection: f64 = (0..a.nrows()).map(|i| u[(i, k)] * b[i]).sum::<f64>() / s[k];
        for (j, c) in coef.iter_mut().enumerate() {
            *c += v[(j, k)] * projection;
        }
    }
    Ok(coef)
}

/// Rows per block of the tall-skinny QR: big enough for faer's blocked kernels,
/// small enough that the working set stays a few MB whatever n is.
const QR_BLOCK_ROWS: usize = 8192;

/// The R factor of the centred [X | y], by tall-skinny QR: each block of rows
/// is stacked under the running R and factored again. R is that of the whole
/// matrix (up to row signs, which the solution does not depend on), and
/// the centred design is never materialised.
pub(crate) fn centred_augmented_r(x: &Matrix, y: &[f64], x_mean: &[f64], y_mean: f64) -> Mat<f64> {
    let p = x.n_cols();
    let mut r = Mat::<f64>::zeros(0, p + 1);
    for start in (0..x.n_rows).step_by(QR_BLOCK_ROWS) {
        let end = (start + QR_BLOCK_ROWS).min(x.n_rows);
        let r_rows = r.nrows();
        let stacked = Mat::from_fn(r_rows + end - start, p + 1, |i, j| {
            if i < r_rows {
                r[(i, j)]
            } else if j < p {
                x.columns[j][start + i - r_rows] - x_mean[j]
            } else {
                y[start + i - r_rows] - y_mean
            }
        });
        r = stacked.qr().thin_R().to_owned();
    }
    r
}

/// Ordinary least squares with an intercept (`LinearRegression`).
pub fn lstsq(x: &Matrix, y: &[f64]) -> Result<FittedLinear, LearnError> {
    least_squares(x, y, true)
}

/// `LinearRegression(fit_intercept=fit_intercept)`.
pub fn least_squares(x: &Matrix, y: &[f64], fit_intercept: bool) -> Result<FittedLinear, LearnError> {
    let (n, p) = (x.n_rows, x.n_cols());
    let (x_mean, y_mean) = offsets(x, y, fit_intercept);
    let cutoff_factor = n.max(p) as f64 * f64::EPSILON;
    let coef = if n > p {
        let r = centred_augmented_r(x, y, &x_mean, y_mean);
        let z: Vec<f64> = (0..p).map(|i| r[(i, p)]).collect();
        svd_solve(r.submatrix(0, 0, p, p), &z, cutoff_factor)?
    } else {
        let centred = centre(x, y, fit_intercept);
        svd_solve(centred.x.as_ref(), &centred.y, cutoff_factor)?
    };
    let offset: f64 = coef.iter().zip(&x_mean).map(|(c, m)| c * m).sum();
    Ok(FittedLinear { intercept: y_mean - offset, coef })
}

/// Least squares with an L2 penalty `alpha` and an intercept (`Ridge`).
pub fn ridge(x: &Matrix, y: &[f64], alpha: f64) -> Result<FittedLinear, LearnError> {
    ridge_fit(x, y, alpha, true)
}

/// `Ridge(alpha, fit_intercept=fit_intercept, solver="cholesky")`.
pub fn ridge_fit(x: &Matrix, y: &[f64], alpha: f64, fit_intercept: bool) -> Result<FittedLinear, LearnError> {
    let centred = centre(x, y, fit_intercept);
    let (n, p) = (x.n_rows, x.n_cols());
    let yc = Mat::from_fn(n, 1, |i, _| centred.y[i]);
    let coef_mat = if p <= n {
        let mut gram = centred.x.transpose() * &centred.x;
        for j in 0..p {
            gram[(j, j)] += alpha;
        }
        let rhs = centred.x.transpose() * &yc;
        gram.llt(Side::Lower).map_err(|e| numerical("Ridge", e))?.solve(&rhs)
    } else {
        let mut kernel = &centred.x * centred.x.transpose();
        for i in 0..n {
            kernel[(i, i)] += alpha;
        }
        let dual = kernel.llt(Side::Lower).map_err(|e| numerical("Ridge", e))?.solve(&yc);
        centred.x.transpose() * &dual
    };
    let coef = (0..p).map(|j| coef_mat[(j, 0)]).collect();
    Ok(with_intercept(coef, &centred))
}

/// scikit-learn's coordinate-descent defaults (`max_iter`, `tol`).
pub const CD_MAX_ITER: usize = 1000;
/// See `CD_MAX_ITER`.
pub const CD_TOL: f64 = 1e-4;

/// How coordinate descent stops: scikit-learn's `max_iter` and `tol`.
#[derive(Debug, Clone, Copy)]
pub struct CdStop {
    /// Passes over the features at most.
    pub max_iter: usize,
    /// Relative tolerance on the duality gap (times ||y||²).
    pub tol: f64,
}

impl Default for CdStop {
    fn default() -> Self {
        CdStop { max_iter: CD_MAX_ITER, tol: CD_TOL }
    }
}

/// `ElasticNet(alpha, l1_ratio)`; `Lasso` is `l1_ratio = 1`.
pub fn elastic_net(x: &Matrix, y: &[f64], alpha: f64, l1_ratio: f64) -> Result<FittedLinear, LearnError> {
    elastic_net_with(x, y, alpha, l1_ratio, CdStop::default())
}

/// `elastic_net` with explicit stopping rules.
pub fn elastic_net_with(
    x: &Matrix,
    y: &[f64],
    alpha: f64,
    l1_ratio: f64,
    stop: CdStop,
) -> Result<FittedLinear, LearnError> {
    elastic_net_fit(x, y, alpha, l1_ratio, stop, true)
}

/// `elastic_net_with` and `fit_intercept`: without it X and y are not
/// centred, so the duality-gap tolerance is relative to the raw ||y||², as
/// scikit-learn's.
pub fn elastic_net_fit(
    x: &Matrix,
    y: &[f64],
    alpha: f64,
    l1_ratio: f64,
    stop: CdStop,
    fit_intercept: bool,
) -> Result<FittedLinear, LearnError> {
    let centred = centre(x, y, fit_intercept);
    let n = x.n_rows as f64;
    let columns: Vec<Vec<f64>> = (0..x.n_cols()).map(|j| centred.x.col(j).iter().copied().collect()).collect();
    let coef = coordinate_descent(&columns, &centred.y, alpha * l1_ratio * n, alpha * (1.0 - l1_ratio) * n, stop);
    Ok(with_intercept(coef, &centred))
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// The duality gap of formulation A and the dual norm of Xᵀr − βw.
fn duality_gap(
    x: &[Vec<f64>],
    y: &[f64],
    w: &[f64],
    residual: &[f64],
    l1: f64,
    l2: f64,
    xta: &mut [f64],
) -> (f64, f64) {
    let w_l2 = if l2 > 0.0 { dot(w, w) } else { 0.0 };
    let r_norm2 = dot(residual, residual);
    let ry = dot(residual, y);
    for (j, column) in x.iter().enumerate() {
        xta[j] = dot(column, residual) - l2 * w[j];
    }
    let dual_norm = xta.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
    let w_l1: f64 = w.iter().map(|v| v.abs()).sum();
    let primal = 0.5 * (r_norm2 + l2 * w_l2) + l1 * w_l1;
    let scale = if dual_norm > l1 { l1 / dual_norm } else { 1.0 };
    let dual = -0.5 * scale * scale * (r_norm2 + l2 * w_l2) + scale * ry;
    (primal - dual, dual_norm)
}

#[allow(clippy::too_many_arguments)]
fn screen(
    x: &[Vec<f64>],
    norms: &[f64],
    xta: &[f64],
    dual_norm: f64,
    gap: f64,
    l1: f64,
    l2: f64,
    w: &mut [f64],
    residual: &mut [f64],
    excluded: &mut [bool],
) -> Vec<usize> {
    let mut active = Vec::new();
    for j in 0..x.len() {
        if excluded[j] {
            continue;
        }
        let xj_theta = xta[j] / l1.max(dual_norm);
        let d_j = (1.0 - xj_theta.abs()) / (norms[j] + l2).sqrt();
        if d_j <= (2.0 * gap).sqrt() / l1 {
            active.push(j);
        } else {
            if w[j] != 0.0 {
                axpy(w[j], &x[j], residual);
                w[j] = 0.0;
            }
            excluded[j] = true;
        }
    }
    active
}

fn coordinate_descent(x: &[Vec<f64>], y: &[f64], l1: f64, l2: f64, stop: CdStop) -> Vec<f64> {
    let n_features = x.len();
    let norms: Vec<f64> = x.iter().map(|c| dot(c, c)).collect();
    let mut w = vec![0.0; n_features];
    let mut residual = y.to_vec();
    let mut xta = vec![0.0; n_features];
    let tol = stop.tol * dot(y, y);
    let screening = l1 > 0.0;
    let (gap, dual_norm) = duality_gap(x, y, &w, &residual, l1, l2, &mut xta);
    if gap <= tol {
        return w;
    }
    let mut excluded: Vec<bool> = norms.iter().map(|&n| n == 0.0).collect();
    let mut active: Vec<usize> = if screening {
        screen(x, &norms, &xta, dual_norm, gap, l1, l2, &mut w, &mut residual, &mut excluded)
    } else {
        (0..n_features).collect()
    };
    for iteration in 0..stop.max_iter {
        let mut w_max: f64 = 0.0;
        let mut d_w_max: f64 = 0.0;
        for &j in &active {
            if norms[j] == 0.0 {
                continue;
            }
            let w_j = w[j];
            let tmp = dot(&x[j], &residual) + w_j * norms[j];
            w[j] = tmp.signum() * (tmp.abs() - l1).max(0.0) / (norms[j] + l2);
            if w[j] != w_j {
                axpy(w_j - w[j], &x[j], &mut residual);
            }
            d_w_max = d_w_max.max((w[j] - w_j).abs());
            w_max = w_max.max(w[j].abs());
        }
        if w_max == 0.0 || d_w_max / w_max <= stop.tol || iteration + 1 == stop.max_iter {
            let (gap, dual_norm) = duality_gap(x, y, &w, &residual, l1, l2, &mut xta);
            if gap <= tol {
                break;
            }
            if screening {
                active = screen(x, &norms, &xta, dual_norm, gap, l1, l2, &mut w, &mut residual, &mut excluded);
            }
        }
    }
    w
}

const ALPHA: ParamSpec = ParamSpec {
    name: "alpha",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(1.0),
    help: "regularisation strength",
};
const MAX_ITER: ParamSpec = ParamSpec {
    name: "max_iter",
    kinds: &[ParamKind::COUNT],
    default: DefaultValue::Int(CD_MAX_ITER as i64),
    help: "coordinate-descent passes at most",
};
const TOL: ParamSpec = ParamSpec {
    name: "tol",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(CD_TOL),
    help: "duality-gap tolerance",
};
/// `fit_intercept`, shared with the other linear models (lars, omp, bayes,
/// ridge_classifier).
pub(crate) const FIT_INTERCEPT: ParamSpec = ParamSpec {
    name: "fit_intercept",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(true),
    help: "learn an intercept (false: X and y are not centred and the intercept is 0)",
};
const L1_RATIO: ParamSpec = ParamSpec {
    name: "l1_ratio",
    kinds: &[ParamKind::FRACTION],
    default: DefaultValue::Float(0.5),
    help: "the L1 share of the penalty (0 ridge, 1 lasso)",
};

fn cd_stop(params: &Params) -> Result<CdStop, LearnError> {
    Ok(CdStop { max_iter: params.usize("max_iter")?, tol: params.float("tol")? })
}

fn fit_lr(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    least_squares(data.x, data.y, params.bool("fit_intercept")?).map(FittedModel::Linear)
}

fn fit_ridge(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    ridge_fit(data.x, data.y, params.float("alpha")?, params.bool("fit_intercept")?).map(FittedModel::Linear)
}

fn fit_lasso(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let (alpha, fit_intercept) = (params.float("alpha")?, params.bool("fit_intercept")?);
    elastic_net_fit(data.x, data.y, alpha, 1.0, cd_stop(params)?, fit_intercept).map(FittedModel::Linear)
}

fn fit_en(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let (alpha, l1_ratio) = (params.float("alpha")?, params.float("l1_ratio")?);
    let fit_intercept = params.bool("fit_intercept")?;
    elastic_net_fit(data.x, data.y, alpha, l1_ratio, cd_stop(params)?, fit_intercept).map(FittedModel::Linear)
}

/// PyCaret's first four regressors, in its order.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "lr",
        name: "Linear Regression",
        class: "sklearn.linear_model.LinearRegression",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[FIT_INTERCEPT],
        fit: fit_lr,
    },
    ModelEntry {
        id: "lasso",
        name: "Lasso Regression",
        class: "sklearn.linear_model.Lasso",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[ALPHA, FIT_INTERCEPT, MAX_ITER, TOL],
        fit: fit_lasso,
    },
    ModelEntry {
        id: "ridge",
        name: "Ridge Regression",
        class: "sklearn.linear_model.Ridge",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[ALPHA, FIT_INTERCEPT],
        fit: fit_ridge,
    },
    ModelEntry {
        id: "en",
        name: "Elastic Net",
        class: "sklearn.linear_model.ElasticNet",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[ALPHA, L1_RATIO, FIT_INTERCEPT, MAX_ITER, TOL],
        fit: fit_en,
    },
];
