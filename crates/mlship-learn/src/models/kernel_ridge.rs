//! `KernelRidge` (PyCaret's `kr`): ridge regression in the feature space of a
//! kernel, as scikit-learn computes it: the dual coefficients solve
//! (K + alpha·I) c = y by Cholesky, falling back to the minimum-norm least
//! squares solution (scipy's `lstsq`, cutoff eps·s_max) when K + alpha·I is
//! not positive definite; a prediction is K(x, X_fit)·c. No intercept (none
//! in scikit-learn either). Kernels as `sklearn.metrics.pairwise`: "linear",
//! "rbf", "poly", "sigmoid", "laplacian", with gamma None meaning
//! 1/n_features, KernelRidge's degree 3 and coef0 1.
//!
//! A linear kernel is stored as its weight vector w = X_fitᵀ·c (a
//! `FittedLinear` with intercept 0): the same predictions up to rounding at
//! one dot product per row. The n×n kernel matrix is refused above
//! `MAX_ROWS` training rows: scikit-learn would try and run out of memory.

use crate::matrix::Matrix;
use crate::models::linear::{numerical, svd_solve, FittedLinear};
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

const CLASS: &str = "KernelRidge";

/// The training rows above which the n×n kernel matrix (and its Cholesky
/// factor, 2·8·n² bytes) is refused: 6.4 GB at 20,000 rows.
pub const MAX_ROWS: usize = 20_000;

/// Rows of the query kernel block computed at once when predicting, so
/// memory stays bounded whatever the number of rows predicted.
const PREDICT_BLOCK_ENTRIES: usize = 1 << 22;

/// A non-linear kernel with its parameters resolved (gamma a number).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum PairwiseKernel {
    /// exp(−γ‖x − y‖²).
    Rbf {
        /// The kernel coefficient γ.
        gamma: f64,
    },
    /// (γ x·y + coef0)^degree.
    Poly {
        /// The kernel coefficient γ.
        gamma: f64,
        /// The power.
        degree: f64,
        /// The constant term.
        coef0: f64,
    },
    /// tanh(γ x·y + coef0).
    Sigmoid {
        /// The kernel coefficient γ.
        gamma: f64,
        /// The constant term.
        coef0: f64,
    },
    /// exp(−γ‖x − y‖₁).
    Laplacian {
        /// The kernel coefficient γ.
        gamma: f64,
    },
}

/// A fitted `KernelRidge` with a non-linear kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKernelRidge {
    /// The kernel, with its parameters resolved.
    pub kernel: PairwiseKernel,
    /// The number of input features, checked when predicting.
    pub n_features: usize,
    /// The training rows, row-major (scikit-learn's `X_fit_`).
    pub x_fit: Vec<f64>,
    /// One dual coefficient per training row.
    pub dual_coef: Vec<f64>,
}

/// Rows `[start, end)` of a column-major matrix as a faer matrix.
fn block(x: &Matrix, start: usize, end: usize) -> Mat<f64> {
    Mat::from_fn(end - start, x.n_cols(), |i, j| x.columns[j][start + i])
}

fn row_major(a: &Mat<f64>) -> Vec<f64> {
    (0..a.nrows()).flat_map(|i| (0..a.ncols()).map(move |j| a[(i, j)])).collect()
}

fn squared_norms(a: &Mat<f64>) -> Vec<f64> {
    (0..a.nrows()).map(|i| (0..a.ncols()).map(|j| a[(i, j)] * a[(i, j)]).sum()).collect()
}

impl PairwiseKernel {
    /// K(a, b) for the rows of `a` against the rows of `b`; `same` marks
    /// a = b, whose squared distances have an exact zero diagonal
    /// (scikit-learn's `euclidean_distances(X)`).
    fn matrix(&self, a: &Mat<f64>, b: &Mat<f64>, same: bool) -> Mat<f64> {
        if let PairwiseKernel::Laplacian { gamma } = *self {
            let (a_rows, b_rows) = (row_major(a), row_major(b));
            let d = a.ncols().max(1);
            return Mat::from_fn(a.nrows(), b.nrows(), |i, j| {
                let distance = a_rows[i * d..(i + 1) * d]
                    .iter()
                    .zip(&b_rows[j * d..(j + 1) * d])
                    .fold(0.0, |sum, (u, v)| sum + (u - v).abs());
                (-gamma * distance).exp()
            });
        }
        let mut k = a * b.transpose();
        let (a_norms, b_norms) = match self {
            PairwiseKernel::Rbf { .. } => (squared_norms(a), squared_norms(b)),
            _ => (Vec::new(), Vec::new()),
        };
        for j in 0..k.ncols() {
            let b_norm = b_norms.get(j).copied().unwrap_or(0.0);
            let column = k.col_as_slice_mut(j);
            match *self {
                // scikit-learn: ‖a‖² − 2a·b + ‖b‖², clipped at 0.
                PairwiseKernel::Rbf { gamma } => {
                    for (i, (value, a_norm)) in column.iter_mut().zip(&a_norms).enumerate() {
                        let distance = if same && i == j { 0.0 } else { (-2.0 * *value + a_norm) + b_norm };
                        *value = (distance.max(0.0) * -gamma).exp();
                    }
                }
                PairwiseKernel::Poly { gamma, degree, coef0 } => {
                    column.iter_mut().for_each(|value| *value = (*value * gamma + coef0).powf(degree));
                }
                PairwiseKernel::Sigmoid { gamma, coef0 } => {
                    column.iter_mut().for_each(|value| *value = (*value * gamma + coef0).tanh());
                }
                PairwiseKernel::Laplacian { .. } => {}
            }
        }
        k
    }

    fn is_finite(&self) -> bool {
        match *self {
            PairwiseKernel::Rbf { gamma } | PairwiseKernel::Laplacian { gamma } => gamma.is_finite(),
            PairwiseKernel::Poly { gamma, degree, coef0 } => {
                gamma.is_finite() && degree.is_finite() && coef0.is_finite()
            }
            PairwiseKernel::Sigmoid { gamma, coef0 } => gamma.is_finite() && coef0.is_finite(),
        }
    }
}

impl Fitted for FittedKernelRidge {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn is_finite(&self) -> bool {
        self.kernel.is_finite() && self.dual_coef.iter().chain(&self.x_fit).all(|v| v.is_finite())
    }

    fn validate(&self) -> Result<(), String> {
        use super::validate::{finite, length, product};
        if self.n_features == 0 || self.dual_coef.is_empty() {
            return Err("n_features and dual_coef must not be empty".to_string());
        }
        length("x_fit", self.x_fit.len(), product("x_fit", self.dual_coef.len(), self.n_features)?)?;
        finite("dual_coef", &self.dual_coef)?;
        finite("x_fit", &self.x_fit)?;
        if self.kernel.is_finite() {
            Ok(())
        } else {
            Err("a kernel parameter is not a finite number".to_string())
        }
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, CLASS)?;
        let n_fit = self.dual_coef.len();
        if n_fit.checked_mul(self.n_features) != Some(self.x_fit.len()) {
            return Err(LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent (a damaged artifact?)")));
        }
        let x_fit = Mat::from_fn(n_fit, self.n_features, |i, j| self.x_fit[i * self.n_features + j]);
        let dual = Mat::from_fn(n_fit, 1, |i, _| self.dual_coef[i]);
        let rows_per_block = (PREDICT_BLOCK_ENTRIES / n_fit.max(1)).max(1);
        let mut predictions = Vec::with_capacity(x.n_rows);
        for start in (0..x.n_rows).step_by(rows_per_block) {
            let end = (start + rows_per_block).min(x.n_rows);
            let kernel = self.kernel.matrix(&block(x, start, end), &x_fit, false);
            let product = &kernel * &dual;
            predictions.extend((0..end - start).map(|i| product[(i, 0)]));
        }
        Ok(predictions)
    }
}

/// Solves (K + alpha·I) c = y: Cholesky, or scipy's least squares when the
/// matrix is not positive definite (scikit-learn warns and does the same).
fn solve_dual(mut kernel: Mat<f64>, y: &[f64], alpha: f64) -> Result<Vec<f64>, LearnError> {
    let n = y.len();
    for i in 0..n {
        kernel[(i, i)] += alpha;
    }
    if let Ok(factor) = kernel.llt(Side::Lower) {
        let rhs = Mat::from_fn(n, 1, |i, _| y[i]);
        let dual = factor.solve(&rhs);
        if (0..n).all(|i| dual[(i, 0)].is_finite()) {
            return Ok((0..n).map(|i| dual[(i, 0)]).collect());
        }
    }
    svd_solve(kernel.as_ref(), y, f64::EPSILON).map_err(|e| numerical(CLASS, e))
}

fn gamma(params: &Params, n_features: usize) -> Result<f64, LearnError> {
    match params.value("gamma")? {
        ParamValue::Null => Ok(1.0 / n_features as f64),
        _ => params.float("gamma"),
    }
}

fn fit_kr(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = data.x;
    let (n_rows, n_features) = (x.n_rows, x.n_cols());
    if n_rows == 0 {
        return Err(LearnError::TooFewRows(format!("{CLASS} needs at least one training row")));
    }
    if n_features == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {CLASS} needs at least one")));
    }
    if n_rows > MAX_ROWS {
        return Err(LearnError::Shape(format!(
            "{CLASS} keeps an n×n kernel matrix: {n_rows} training rows would need {:.1} GB (at most {MAX_ROWS} rows)",
            2.0 * 8.0 * (n_rows as f64).powi(2) / 1e9
        )));
    }
    let alpha = params.float("alpha")?;
    let x_fit = block(x, 0, n_rows);
    let name = match params.value("kernel")? {
        ParamValue::Str(name) => name.as_str(),
        _ => "linear",
    };
    if name == "linear" {
        let dual = solve_dual(&x_fit * x_fit.transpose(), data.y, alpha)?;
        let coef = x.columns.iter().map(|column| column.iter().zip(&dual).map(|(v, c)| v * c).sum()).collect();
        return Ok(FittedModel::Linear(FittedLinear { coef, intercept: 0.0 }));
    }
    let gamma = gamma(params, n_features)?;
    let kernel = match name {
        "rbf" => PairwiseKernel::Rbf { gamma },
        "poly" => PairwiseKernel::Poly { gamma, degree: params.float("degree")?, coef0: params.float("coef0")? },
        "sigmoid" => PairwiseKernel::Sigmoid { gamma, coef0: params.float("coef0")? },
        _ if gamma == 0.0 => {
            return Err(LearnError::InvalidOption(
                "model \"kr\": the laplacian kernel needs gamma > 0 (or None for 1/n_features)".to_string(),
            ))
        }
        _ => PairwiseKernel::Laplacian { gamma },
    };
    let dual_coef = solve_dual(kernel.matrix(&x_fit, &x_fit, true), data.y, alpha)?;
    let x_fit = (0..n_rows).flat_map(|i| x.columns.iter().map(move |column| column[i])).collect();
    Ok(FittedModel::KernelRidge(FittedKernelRidge { kernel, n_features, x_fit, dual_coef }))
}

/// PyCaret's `kr`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "kr",
    name: "Kernel Ridge",
    class: "sklearn.kernel_ridge.KernelRidge",
    family: "kernel_ridge",
    task: Task::Regression,
    turbo: false,
    randomised: false,
    params: &[
        ParamSpec {
            name: "alpha",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(1.0),
            help: "regularisation strength",
        },
        ParamSpec {
            name: "kernel",
            kinds: &[ParamKind::Choice(&["linear", "rbf", "poly", "sigmoid", "laplacian"])],
            default: DefaultValue::Str("linear"),
            help: "the kernel",
        },
        ParamSpec {
            name: "gamma",
            kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
            default: DefaultValue::Null,
            help: "the rbf, poly, sigmoid and laplacian coefficient (None: 1/n_features)",
        },
        ParamSpec {
            name: "degree",
            kinds: &[ParamKind::Float { min: 1.0, max: f64::MAX, open_min: false }],
            default: DefaultValue::Float(3.0),
            help: "the degree of the \"poly\" kernel",
        },
        ParamSpec {
            name: "coef0",
            kinds: &[ParamKind::Float { min: f64::MIN, max: f64::MAX, open_min: false }],
            default: DefaultValue::Float(1.0),
            help: "the constant of the \"poly\" and \"sigmoid\" kernels",
        },
    ],
    fit: fit_kr,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;

    #[test]
    fn a_singular_system_falls_back_to_least_squares() {
        // alpha = 0 and two identical rows: K is singular, Cholesky fails.
        let x = Matrix { n_rows: 3, columns: vec![vec![1.0, 1.0, 2.0]] };
        let y = [1.0, 3.0, 4.0];
        let given =
            vec![("alpha".to_string(), ParamValue::Float(0.0)), ("kernel".to_string(), ParamValue::Str("rbf".into()))];
        let fitted = ModelSpec::new(Task::Regression, "kr", &given, 0).unwrap().fit(&x, &y).unwrap();
        let predicted = fitted.predict(&x).unwrap();
        // The least-squares fit averages the duplicated rows and interpolates the third.
        assert!((predicted[0] - 2.0).abs() < 1e-9 && (predicted[2] - 4.0).abs() < 1e-9, "{predicted:?}");
    }

    #[test]
    fn too_many_rows_is_a_clear_error() {
        let n = MAX_ROWS + 1;
        let x = Matrix { n_rows: n, columns: vec![vec![0.0; n]] };
        let error = ModelSpec::with_defaults(Task::Regression, "kr", 0).unwrap().fit(&x, &vec![0.0; n]).unwrap_err();
        assert!(error.to_string().contains("at most 20000 rows"), "{error}");
    }

    fn matrix_from(columns: &serde_json::Value) -> Matrix {
        let columns: Vec<Vec<f64>> = columns
            .as_array()
            .unwrap()
            .iter()
            .map(|column| column.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
            .collect();
        Matrix { n_rows: columns[0].len(), columns }
    }

    /// The `edge_cases` fixtures/models_kernel_neighbors.py stores beside
    /// the parity cases of kr, svm and knn: a constant target, one feature,
    /// more features than rows, a zero column, queries that are training rows.
    #[test]
    fn kr_svm_and_knn_match_scikit_learn_on_edge_cases() {
        for id in ["kr", "svm", "knn"] {
            let path = format!("{}/tests/fixtures/models/{id}.json", env!("CARGO_MANIFEST_DIR"));
            let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for case in fixture["edge_cases"].as_array().unwrap() {
                let given: Vec<(String, ParamValue)> = case["params"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
                    .collect();
                let y: Vec<f64> = case["y"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
                let what = format!("{id} {} on {}", case["params"], case["name"]);
                let fitted = ModelSpec::new(Task::Regression, id, &given, 0)
                    .unwrap()
                    .fit(&matrix_from(&case["x"]), &y)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let predicted = fitted.predict(&matrix_from(&case["queries"])).unwrap();
                let rtol = case["rtol"].as_f64().unwrap();
                for (p, e) in predicted.iter().zip(case["predictions"].as_array().unwrap()) {
                    let e = e.as_f64().unwrap();
                    assert!((p - e).abs() <= 1e-9 + rtol * e.abs(), "{what}: got {p}, scikit-learn {e}");
                }
            }
        }
    }
}
