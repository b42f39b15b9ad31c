//! Least-angle regression, ported step for step from scikit-learn 1.9's
//! `_least_angle.py` (`_lars_path_solver`), because the path is greedy and
//! every choice (the next variable, a sign flip, a drop) depends on the
//! previous one: the same result needs the same algorithm, not just the
//! same objective. The centred inner products and Cholesky updates here are
//! shared with `omp` (orthogonal matching pursuit, `models/omp.rs`).
//!
//! - `lar`: `Lars(n_nonzero_coefs=500)`, `lars_path(method="lar")`.
//! - `llar`: `LassoLars(alpha=1.0)`, `lars_path(method="lasso")`: a variable
//!   whose coefficient crosses zero leaves the active set, and the path stops
//!   at `alpha` (interpolating the last step).
//!
//! Both centre X and y with `fit_intercept` (the default; current
//! scikit-learn has no `normalize`, so nothing is scaled); without it they
//! work on X and y as given and the intercept is 0. As with `precompute="auto"`, the
//! Gram matrix is used when there are more rows than features and the
//! centred columns otherwise. scikit-learn permutes its Gram matrix, X and
//! the correlations so the active set comes first; here a permutation
//! (`indices`, position → feature) is kept instead and the Gram matrix is
//! read through it, which gives the same numbers without moving memory.
//! scikit-learn's quirks are kept where they change results (the rounding
//! of correlations to 15 decimals, the sign flip of a LAR coefficient that
//! crosses zero, the "drop for good" of a degenerate regressor that leaves
//! its correlation at another position); where it would corrupt its own
//! state (several lasso variables crossing zero at exactly the same step)
//! each is dropped in turn.

use crate::matrix::Matrix;
use crate::models::linear::{FittedLinear, FIT_INTERCEPT};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

/// Rows per block when the centred Gram matrix is accumulated: the centred
/// copy of X is never built whole.
const GRAM_BLOCK_ROWS: usize = 4096;
/// numpy's `finfo(float32).tiny`, scikit-learn's guard against dividing by 0.
const TINY32: f64 = f32::MIN_POSITIVE as f64;
/// numpy's `finfo(float32).eps`: the path stops within this of `alpha_min`.
const EQUALITY_TOLERANCE: f64 = f32::EPSILON as f64;
/// A Cholesky pivot below this means the new regressor is a combination of
/// the active ones.
const DEGENERATE_PIVOT: f64 = 1e-7;

/// Inner products of the centred design, as the solvers read them.
pub(crate) enum Products {
    /// More rows than features: XᵀX and Xᵀy.
    Gram { gram: Mat<f64>, xty: Vec<f64> },
    /// Otherwise: the centred columns and target.
    Columns { columns: Vec<Vec<f64>>, y: Vec<f64>, xty: Vec<f64> },
}

/// The centred problem: its inner products, the means for the intercept and
/// the centred target's sum of squares.
pub(crate) struct CentredProducts {
    pub products: Products,
    pub x_mean: Vec<f64>,
    pub y_mean: f64,
    pub y_norm_sq: f64,
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

/// Centres X and y (unless `fit_intercept` is false: zero means) and
/// computes the products scikit-learn's `precompute="auto"` would: the Gram
/// matrix when n > p.
pub(crate) fn centred_products(x: &Matrix, y: &[f64], fit_intercept: bool) -> CentredProducts {
    let (n, p) = (x.n_rows, x.n_cols());
    let (x_mean, y_mean) = crate::models::linear::offsets(x, y, fit_intercept);
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let y_norm_sq = dot(&yc, &yc);
    let products = if n > p {
        let mut gram = Mat::<f64>::zeros(p, p);
        let mut xty = vec![0.0; p];
        for start in (0..n).step_by(GRAM_BLOCK_ROWS) {
            let end = (start + GRAM_BLOCK_ROWS).min(n);
            let block = Mat::from_fn(end - start, p, |i, j| x.columns[j][start + i] - x_mean[j]);
            matmul(gram.as_mut(), Accum::Add, block.transpose(), block.as_ref(), 1.0, Par::Seq);
            for (j, total) in xty.iter_mut().enumerate() {
                *total += block.col(j).iter().zip(&yc[start..end]).map(|(u, v)| u * v).sum::<f64>();
            }
        }
        Products::Gram { gram, xty }
    } else {
        let columns: Vec<Vec<f64>> =
            x.columns.iter().zip(&x_mean).map(|(c, m)| c.iter().map(|v| v - m).collect()).collect();
        let xty = columns.iter().map(|c| dot(c, &yc)).collect();
        Products::Columns { columns, y: yc, xty }
    };
    CentredProducts { products, x_mean, y_mean, y_norm_sq }
}

impl Products {
    pub(crate) fn n_features(&self) -> usize {
        self.xty().len()
    }

    pub(crate) fn xty(&self) -> &[f64] {
        match self {
            Products::Gram { xty, .. } | Products::Columns { xty, .. } => xty,
        }
    }

    /// x_a · x_b.
    pub(crate) fn inner(&self, a: usize, b: usize) -> f64 {
        match self {
            Products::Gram { gram, .. } => gram[(a, b)],
            Products::Columns { columns, .. } => dot(&columns[a], &columns[b]),
        }
    }

    /// `out[t] = x_{targets[t]} · Σ_k weights[k]·x_{active[k]}`.
    pub(crate) fn along(&self, active: &[usize], weights: &[f64], targets: &[usize], out: &mut [f64]) {
        match self {
            Products::Gram { gram, .. } => {
                for (value, &target) in out.iter_mut().zip(targets) {
                    let column = gram.col(target);
                    *value = active.iter().zip(weights).map(|(&a, w)| column[a] * w).sum();
                }
            }
            Products::Columns { columns, y, .. } => {
                let mut direction = vec![0.0; y.len()];
                for (&a, w) in active.iter().zip(weights) {
                    for (d, v) in direction.iter_mut().zip(&columns[a]) {
                        *d += w * v;
                    }
                }
                for (value, &target) in out.iter_mut().zip(targets) {
                    *value = dot(&columns[target], &direction);
                }
            }
        }
    }

    /// The correlation of feature `j` with the residual of `coef`: from the
    /// Gram matrix over every coefficient, or from the columns over the
    /// active ones (as scikit-learn recomputes a dropped variable's).
    fn residual_correlation(&self, j: usize, active: &[usize], coef: &[f64]) -> f64 {
        match self {
            Products::Gram { gram, xty } => xty[j] - gram.col(j).iter().zip(coef).map(|(g, c)| g * c).sum::<f64>(),
            Products::Columns { columns, y, .. } => {
                let mut residual = y.clone();
                for &a in active {
                    for (r, v) in residual.iter_mut().zip(&columns[a]) {
                        *r -= coef[a] * v;
                    }
                }
                dot(&columns[j], &residual)
            }
        }
    }
}

/// scipy's `solve_triangular(L[:m, :m], b, lower=True)`, in place.
pub(crate) fn forward_solve(chol: &Mat<f64>, m: usize, b: &mut [f64]) {
    for i in 0..m {
        let partial: f64 = (0..i).map(|k| chol[(i, k)] * b[k]).sum();
        b[i] = (b[i] - partial) / chol[(i, i)];
    }
}

/// LAPACK's `potrs`: solves L·Lᵀ·x = b with the lower factor, in place.
pub(crate) fn cholesky_solve(chol: &Mat<f64>, m: usize, b: &mut [f64]) {
    forward_solve(chol, m, b);
    for i in (0..m).rev() {
        let partial: f64 = (i + 1..m).map(|k| chol[(k, i)] * b[k]).sum();
        b[i] = (b[i] - partial) / chol[(i, i)];
    }
}

/// Appends row `m` of the Cholesky factor for a new variable whose inner
/// products with the active ones are in `row` and whose squared norm is
/// `norm_sq`; returns the new pivot's square (before any floor).
pub(crate) fn cholesky_append(chol: &mut Mat<f64>, m: usize, row: &mut [f64], norm_sq: f64) -> f64 {
    forward_solve(chol, m, row);
    for (k, value) in row.iter().enumerate().take(m) {
        chol[(m, k)] = *value;
    }
    norm_sq - dot(&row[..m], &row[..m])
}

/// BLAS `rotg` as OpenBLAS computes it: the rotation zeroing `b` against `a`.
fn givens(a: f64, b: f64) -> (f64, f64, f64) {
    if a == 0.0 && b == 0.0 {
        return (0.0, 1.0, 0.0);
    }
    let larger = if a.abs() > b.abs() { a } else { b };
    let r = (a * a + b * b).sqrt().copysign(larger);
    (r, a / r, b / r)
}

/// scikit-learn's `arrayfuncs.cholesky_delete`: removes row and column
/// `go_out` from the n×n lower factor by Givens rotations.
fn cholesky_delete(chol: &mut Mat<f64>, n: usize, go_out: usize) {
    for i in go_out..n.saturating_sub(1) {
        for k in 0..i + 2 {
            chol[(i, k)] = chol[(i + 1, k)];
        }
    }
    for i in go_out..n.saturating_sub(1) {
        let (r, mut c, mut s) = givens(chol[(i, i)], chol[(i, i + 1)]);
        chol[(i, i)] = r;
        if r < 0.0 {
            chol[(i, i)] = r.abs();
            c = -c;
            s = -s;
        }
        chol[(i, i + 1)] = 0.0;
        for row in i + 1..n - 1 {
            let (x, y) = (chol[(row, i)], chol[(row, i + 1)]);
            chol[(row, i)] = c * x + s * y;
            chol[(row, i + 1)] = c * y - s * x;
        }
    }
}

/// numpy's `around(x, 15)` (multiply, round half to even, divide), which
/// scikit-learn applies to the correlations so ties break the same way.
fn round_15(value: f64) -> f64 {
    (value * 1e15).round_ties_even() / 1e15
}

/// scikit-learn's `arrayfuncs.min_pos`: the smallest positive value, or
/// f64::MAX when there is none.
fn min_pos(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::MAX, |m, v| if v > 0.0 && v < m { v } else { m })
}

/// The first index of the largest |value| (numpy's `argmax(abs(...))`).
pub(crate) fn argmax_abs(values: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.iter().enumerate() {
        if best.is_none_or(|(_, b)| v.abs() > b) {
            best = Some((i, v.abs()));
        }
    }
    best.map(|(i, _)| i)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Lar,
    Lasso,
}

/// Where the path stops: `max_iter` steps, `alpha_min`, and the Cholesky
/// floor `eps`.
#[derive(Debug, Clone, Copy)]
struct PathStop {
    max_iter: usize,
    alpha_min: f64,
    eps: f64,
}

/// The LARS path's state, in scikit-learn's position space: positions
/// `0..n_active` are the active variables in the order they entered.
struct LarsPath<'a> {
    products: &'a Products,
    method: Method,
    eps: f64,
    indices: Vec<usize>,
    cov: Vec<f64>,
    sign: Vec<f64>,
    chol: Mat<f64>,
    n_active: usize,
    coef: Vec<f64>,
    prev_coef: Vec<f64>,
    direction: Vec<f64>,
    corr: Vec<f64>,
}

impl<'a> LarsPath<'a> {
    fn new(products: &'a Products, method: Method, stop: PathStop) -> Self {
        let p = products.n_features();
        let max_features = stop.max_iter.min(p);
        LarsPath {
            products,
            method,
            eps: stop.eps,
            indices: (0..p).collect(),
            cov: products.xty().to_vec(),
            sign: vec![0.0; max_features],
            chol: Mat::zeros(max_features, max_features),
            n_active: 0,
            coef: vec![0.0; p],
            prev_coef: vec![0.0; p],
            direction: Vec::with_capacity(max_features),
            corr: vec![0.0; p],
        }
    }

    /// Adds the inactive variable at offset `c_idx` (from `n_active`) to the
    /// Cholesky factor; false when it is degenerate and was set aside.
    fn add(&mut self, c_idx: usize, c_signed: f64) -> bool {
        let (m, n) = (self.n_active, self.n_active + c_idx);
        self.sign[m] = if c_signed > 0.0 {
            1.0
        } else if c_signed < 0.0 {
            -1.0
        } else {
            0.0
        };
        self.cov.swap(n, m);
        self.indices.swap(n, m);
        let new = self.indices[m];
        let mut row: Vec<f64> = self.indices[..m].iter().map(|&a| self.products.inner(new, a)).collect();
        let pivot_sq = cholesky_append(&mut self.chol, m, &mut row, self.products.inner(new, new));
        let diag = pivot_sq.abs().sqrt().max(self.eps);
        self.chol[(m, m)] = diag;
        if diag < DEGENERATE_PIVOT {
            // scikit-learn's "drop for good": the correlation is zeroed and
            // swapped back while the permutation stays swapped, so another
            // variable's correlation now sits at position m. Kept as is:
            // it decides which variable enters next.
            self.cov[m] = 0.0;
            self.cov.swap(n, m);
            return false;
        }
        self.n_active += 1;
        true
    }

    /// The equiangular direction's weights (scaled least squares of the
    /// signs) into `direction`; returns `AA`.
    fn equiangular(&mut self) -> Result<f64, LearnError> {
        let m = self.n_active;
        self.direction.clear();
        self.direction.extend_from_slice(&self.sign[..m]);
        cholesky_solve(&self.chol, m, &mut self.direction);
        if m == 1 && self.direction[0] == 0.0 {
            self.direction[0] = 1.0;
            return Ok(1.0);
        }
        let mut aa = 1.0 / dot(&self.direction, &self.sign[..m]).sqrt();
        if !aa.is_finite() {
            aa = self.regularised_direction()?;
        }
        self.direction.iter_mut().for_each(|d| *d *= aa);
        Ok(aa)
    }

    /// scikit-learn's fallback when L is too ill-conditioned: a growing
    /// multiple of eps on the diagonal until the direction is finite.
    fn regularised_direction(&mut self) -> Result<f64, LearnError> {
        let m = self.n_active;
        let mut chol = self.chol.clone();
        for attempt in 0..1100 {
            for i in 0..m {
                chol[(i, i)] += 2f64.powi(attempt) * self.eps;
            }
            self.direction.clear();
            self.direction.extend_from_slice(&self.sign[..m]);
            cholesky_solve(&chol, m, &mut self.direction);
            // Python's max(nan, eps) is nan: a NaN sum tries again.
            let total = dot(&self.direction, &self.sign[..m]);
            let aa = if total.is_nan() { f64::NAN } else { 1.0 / total.max(self.eps).sqrt() };
            if aa.is_finite() {
                return Ok(aa);
            }
        }
        Err(LearnError::Numerical {
            step: "Lars".to_string(),
            message: "the active set is too ill-conditioned (increase eps)".to_string(),
        })
    }

    /// The step length along the direction, and the active positions whose
    /// coefficient would cross zero first (descending), if before it.
    fn step(&mut self, c: f64, aa: f64) -> (f64, Vec<usize>) {
        let m = self.n_active;
        let p = self.indices.len();
        let (active, inactive) = self.indices.split_at(m);
        self.products.along(active, &self.direction, inactive, &mut self.corr[m..p]);
        self.corr[m..p].iter_mut().for_each(|v| *v = round_15(*v));
        let pairs = || self.cov[m..p].iter().zip(&self.corr[m..p]);
        let g1 = min_pos(pairs().map(|(cov, corr)| (c - cov) / (aa - corr + TINY32)));
        let g2 = min_pos(pairs().map(|(cov, corr)| (c + cov) / (aa + corr + TINY32)));
        let mut gamma = g1.min(g2).min(c / aa);
        let z: Vec<f64> = (0..m).map(|k| -self.coef[self.indices[k]] / (self.direction[k] + TINY32)).collect();
        let z_pos = min_pos(z.iter().copied());
        if z_pos >= gamma {
            return (gamma, Vec::new());
        }
        let crossing: Vec<usize> = (0..m).rev().filter(|&k| z[k] == z_pos).collect();
        for &k in &crossing {
            self.sign[k] = -self.sign[k];
        }
        if self.method == Method::Lasso {
            gamma = z_pos;
        }
        (gamma, crossing)
    }

    /// Moves the coefficients by `gamma` along the direction and updates the
    /// inactive correlations.
    fn advance(&mut self, gamma: f64) {
        std::mem::swap(&mut self.coef, &mut self.prev_coef);
        self.coef.fill(0.0);
        for (k, d) in self.direction.iter().enumerate() {
            let feature = self.indices[k];
            self.coef[feature] = self.prev_coef[feature] + gamma * d;
        }
        for (cov, corr) in self.cov[self.n_active..].iter_mut().zip(&self.corr[self.n_active..]) {
            *cov -= gamma * corr;
        }
    }

    /// The lasso modification: variables whose coefficient crossed zero
    /// leave the active set (positions in descending order).
    fn drop_crossing(&mut self, crossing: &[usize]) {
        for &k in crossing {
            cholesky_delete(&mut self.chol, self.n_active, k);
            self.n_active -= 1;
            self.indices[k..=self.n_active].rotate_left(1);
            self.sign[k..].rotate_left(1);
            if let Some(last) = self.sign.last_mut() {
                *last = 0.0;
            }
        }
        let first_dropped = self.n_active;
        for position in first_dropped..first_dropped + crossing.len() {
            let feature = self.indices[position];
            self.cov[position] =
                self.products.residual_correlation(feature, &self.indices[..self.n_active], &self.coef);
        }
    }

    /// The path's last coefficients.
    fn run(mut self, n_samples: usize, stop: PathStop) -> Result<Vec<f64>, LearnError> {
        let (mut n_iter, mut drop, mut prev_alpha) = (0usize, false, 0.0f64);
        loop {
            let strongest = argmax_abs(&self.cov[self.n_active..]);
            let c_signed = strongest.map_or(0.0, |i| self.cov[self.n_active + i]);
            let c = c_signed.abs();
            let alpha = c / n_samples as f64;
            if alpha <= stop.alpha_min + EQUALITY_TOLERANCE {
                if (alpha - stop.alpha_min).abs() > EQUALITY_TOLERANCE && n_iter > 0 {
                    let ss = (prev_alpha - stop.alpha_min) / (prev_alpha - alpha);
                    for (now, before) in self.coef.iter_mut().zip(&self.prev_coef) {
                        *now = before + ss * (*now - before);
                    }
                }
                break;
            }
            if n_iter >= stop.max_iter || self.n_active >= self.indices.len() {
                break;
            }
            if !drop && !self.add(strongest.unwrap_or(0), c_signed) {
                continue;
            }
            if self.method == Method::Lasso && n_iter > 0 && prev_alpha < alpha {
                // Rounding now outweighs the remaining correlation.
                break;
            }
            let aa = self.equiangular()?;
            let (gamma, crossing) = self.step(c, aa);
            drop = !crossing.is_empty();
            n_iter += 1;
            self.advance(gamma);
            if drop && self.method == Method::Lasso {
                self.drop_crossing(&crossing);
            }
            prev_alpha = alpha;
        }
        Ok(self.coef)
    }
}

/// The fitted linear model from centred coefficients.
pub(crate) fn with_intercept(coef: Vec<f64>, centred: &CentredProducts) -> FittedModel {
    let offset: f64 = coef.iter().zip(&centred.x_mean).map(|(c, m)| c * m).sum();
    FittedModel::Linear(FittedLinear { intercept: centred.y_mean - offset, coef })
}

pub(crate) fn check_rows(data: &TrainingData<'_>, class: &str) -> Result<(), LearnError> {
    if data.x.n_rows == 0 {
        return Err(LearnError::TooFewRows(format!("{class} needs at least 1 row, got 0")));
    }
    Ok(())
}

fn fit_path(
    params: &Params,
    data: &TrainingData<'_>,
    method: Method,
    stop: PathStop,
) -> Result<FittedModel, LearnError> {
    let centred = centred_products(data.x, data.y, params.bool("fit_intercept")?);
    let coef = LarsPath::new(&centred.products, method, stop).run(data.x.n_rows, stop)?;
    Ok(with_intercept(coef, &centred))
}

fn fit_lar(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    check_rows(data, "Lars")?;
    let stop = PathStop { max_iter: params.usize("n_nonzero_coefs")?, alpha_min: 0.0, eps: params.float("eps")? };
    fit_path(params, data, Method::Lar, stop)
}

fn fit_llar(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    check_rows(data, "LassoLars")?;
    let stop =
        PathStop { max_iter: params.usize("max_iter")?, alpha_min: params.float("alpha")?, eps: params.float("eps")? };
    fit_path(params, data, Method::Lasso, stop)
}

const EPS: ParamSpec = ParamSpec {
    name: "eps",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(f64::EPSILON),
    help: "the floor of the Cholesky pivots (raise it for ill-conditioned data)",
};

/// PyCaret's `lar` and `llar`.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "lar",
        name: "Least Angle Regression",
        class: "sklearn.linear_model.Lars",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "n_nonzero_coefs",
                kinds: &[ParamKind::COUNT],
                default: DefaultValue::Int(500),
                help: "the number of variables the path adds at most",
            },
            EPS,
            FIT_INTERCEPT,
        ],
        fit: fit_lar,
    },
    ModelEntry {
        id: "llar",
        name: "Lasso Least Angle Regression",
        class: "sklearn.linear_model.LassoLars",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "alpha",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1.0),
                help: "the L1 penalty at which the lasso path stops",
            },
            ParamSpec {
                name: "max_iter",
                // scikit-learn allows 0 (the intercept-only model).
                kinds: &[ParamKind::Int { min: 0, max: i64::MAX }],
                default: DefaultValue::Int(500),
                help: "path steps at most",
            },
            EPS,
            FIT_INTERCEPT,
        ],
        fit: fit_llar,
    },
];

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::models::ModelSpec;
    use crate::params::ParamValue;
    use serde_json::Value;

    fn floats(value: &Value) -> Vec<f64> {
        value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    }

    fn matrix(value: &Value) -> Matrix {
        let columns: Vec<Vec<f64>> = value.as_array().unwrap().iter().map(floats).collect();
        Matrix { n_rows: columns[0].len(), columns }
    }

    /// Every case of `fixtures/models_edge_a.py` for the models `ids`: the
    /// predictions of scikit-learn on small edge problems, within the
    /// tolerance each case states.
    pub(crate) fn check_edge_cases(ids: &[&str]) {
        let fixture: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/models_edge/models_a.json")).unwrap();
        let mut checked = 0;
        for case in fixture["cases"].as_array().unwrap() {
            let id = case["id"].as_str().unwrap();
            if !ids.contains(&id) {
                continue;
            }
            let set = &fixture["datasets"][case["dataset"].as_str().unwrap()];
            let given: Vec<(String, ParamValue)> = case["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
                .collect();
            let what = format!("{id} on {} with {}", case["dataset"], case["params"]);
            let spec = ModelSpec::new(Task::Regression, id, &given, 0).unwrap();
            let fitted =
                spec.fit(&matrix(&set["x_train"]), &floats(&set["y_train"])).unwrap_or_else(|e| panic!("{what}: {e}"));
            let predicted = fitted.predict(&matrix(&set["x_test"])).unwrap();
            let rtol = case["rtol"].as_f64().unwrap();
            for (p, e) in predicted.iter().zip(floats(&case["predictions"])) {
                assert!((p - e).abs() <= 1e-9 + rtol * e.abs(), "{what}: got {p}, scikit-learn {e}");
            }
            checked += 1;
        }
        assert!(checked >= 2 * ids.len(), "only {checked} edge cases for {ids:?}");
    }

    #[test]
    fn edge_cases_match_scikit_learn() {
        check_edge_cases(&["lar", "llar"]);
    }

    /// The collinear training rows of the parity data set.
    pub(crate) fn collinear() -> (Matrix, Vec<f64>) {
        let all: Value = serde_json::from_str(include_str!("../../tests/fixtures/models/datasets.json")).unwrap();
        let set = &all["datasets"]["collinear"];
        let rows: Vec<usize> = (0..all["n_train"].as_u64().unwrap() as usize).collect();
        (matrix(&set["x"]).take_rows(&rows), floats(&set["y"])[..rows.len()].to_vec())
    }

    /// The collinear training rows in the Gram form (as scikit-learn reads
    /// them, n > p) and in the column form it uses only when p ≥ n.
    pub(crate) fn both_forms() -> (CentredProducts, CentredProducts) {
        let (x, y) = collinear();
        let gram_form = centred_products(&x, &y, true);
        let Products::Gram { xty, .. } = &gram_form.products else { panic!("expected the Gram form") };
        let columns: Vec<Vec<f64>> =
            x.columns.iter().zip(&gram_form.x_mean).map(|(c, m)| c.iter().map(|v| v - m).collect()).collect();
        let yc: Vec<f64> = y.iter().map(|v| v - gram_form.y_mean).collect();
        let column_form = CentredProducts {
            products: Products::Columns { columns, y: yc, xty: xty.clone() },
            x_mean: gram_form.x_mean.clone(),
            y_mean: gram_form.y_mean,
            y_norm_sq: gram_form.y_norm_sq,
        };
        (gram_form, column_form)
    }

    /// The column form must walk the same path as the Gram form: checked on
    /// tall data, through a lasso drop (alpha 1e-4 on the collinear set).
    #[test]
    fn column_and_gram_forms_agree() {
        let (gram_form, column_form) = both_forms();
        let n_rows = 200;
        for (method, alpha_min) in [(Method::Lar, 0.0), (Method::Lasso, 1e-4), (Method::Lasso, 0.5)] {
            let stop = PathStop { max_iter: 500, alpha_min, eps: f64::EPSILON };
            let a = LarsPath::new(&gram_form.products, method, stop).run(n_rows, stop).unwrap();
            let b = LarsPath::new(&column_form.products, method, stop).run(n_rows, stop).unwrap();
            let close = a.iter().zip(&b).all(|(u, v)| (u - v).abs() <= 1e-9 * (1.0 + v.abs()));
            assert!(close, "{method:?} {alpha_min}: {a:?} vs {b:?}");
        }
    }

    /// Deleting a variable from the Cholesky factor by rotations gives the
    /// factor of the Gram matrix without it.
    #[test]
    fn cholesky_delete_matches_a_fresh_factor() {
        let (x, y) = collinear();
        let Products::Gram { gram, .. } = centred_products(&x, &y, true).products else {
            panic!("expected the Gram form")
        };
        let factor = |keep: &[usize]| -> Mat<f64> {
            let sub = Mat::from_fn(keep.len(), keep.len(), |i, j| gram[(keep[i], keep[j])]);
            sub.llt(faer::Side::Lower).unwrap().L().to_owned()
        };
        let full = factor(&[0, 1, 2, 3, 4, 5]);
        let mut chol = Mat::<f64>::zeros(6, 6);
        for i in 0..6 {
            for j in 0..=i {
                chol[(i, j)] = full[(i, j)];
            }
        }
        cholesky_delete(&mut chol, 6, 2);
        let expected = factor(&[0, 1, 3, 4, 5]);
        for i in 0..5 {
            for j in 0..=i {
                assert!((chol[(i, j)] - expected[(i, j)]).abs() < 1e-9, "L[{i},{j}]");
            }
        }
    }

    /// Past the rank of a wide design the LARS pivots are rounding noise and
    /// scikit-learn's own coefficients reach 1e16 (so there is no fixture):
    /// the path must still end, through the "degenerate regressor" branch,
    /// without panicking, and never with a non-finite model.
    #[test]
    fn lars_past_the_rank_of_a_wide_design_ends() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/models_edge/models_a.json")).unwrap();
        let set = &fixture["datasets"]["wide"];
        let (x, y) = (matrix(&set["x_train"]), floats(&set["y_train"]));
        for id in ["lar", "llar"] {
            let given = [("alpha".to_string(), ParamValue::Float(0.0))];
            let given = if id == "llar" { &given[..] } else { &[] };
            match ModelSpec::new(Task::Regression, id, given, 0).unwrap().fit(&x, &y) {
                Ok(fitted) => assert!(fitted.predict(&matrix(&set["x_test"])).is_ok(), "{id}"),
                Err(error) => assert!(matches!(error, LearnError::Numerical { .. }), "{id}: {error}"),
            }
        }
    }

    #[test]
    fn no_rows_is_an_error() {
        let empty = Matrix { n_rows: 0, columns: vec![Vec::new(); 6] };
        for id in ["lar", "llar"] {
            let error = ModelSpec::with_defaults(Task::Regression, id, 0).unwrap().fit(&empty, &[]).unwrap_err();
            assert!(matches!(error, LearnError::TooFewRows(_)), "{id}: {error}");
        }
    }
}
