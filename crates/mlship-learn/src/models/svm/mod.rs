//! `SVR` (PyCaret's regression `svm`; `SVC`, classification's `rbfsvm`, is
//! in `svc`): epsilon-support vector regression by libsvm's
//! SMO solver (`solver`), with scikit-learn's defaults (rbf kernel, C = 1,
//! epsilon = 0.1, gamma "scale" = 1 / (n_features · X.var()), tol = 1e-3,
//! shrinking, no iteration limit, a 200 MB kernel cache).
//!
//! The fitted model keeps only what prediction needs: the support vectors
//! (rows whose coefficient α⁺ − α⁻ is not 0, in training order, as libsvm
//! keeps them), their coefficients, the intercept −ρ and the kernel with
//! gamma resolved. A linear kernel is stored as its weight vector
//! w = Σ coefᵢ svᵢ instead (a `FittedLinear`): the same predictions up to
//! rounding, at the cost of one dot product per row.
//!
//! Parity: the solver stops when the maximal KKT violation is below `tol`,
//! so the fixtures allow `tol` (1e-3) relative; because the iterates are
//! libsvm's (same single-precision kernel rows, same selection and
//! tie-breaking), predictions on the parity data agree to ~1e-12.

mod kernel;
mod platt;
mod solver;
mod svc;

pub use kernel::SvmKernel;
pub use svc::{FittedSvc, CLASSIFIERS};

use crate::matrix::Matrix;
use crate::models::linear::FittedLinear;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::Mat;
use serde::{Deserialize, Serialize};
use solver::{solve_epsilon_svr, SmoOptions};

const CLASS: &str = "SVR";

/// A fitted `SVR` with a non-linear kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSvm {
    /// The kernel, with its parameters resolved.
    pub kernel: SvmKernel,
    /// The number of input features, checked when predicting.
    pub n_features: usize,
    /// The support vectors, row-major.
    pub support_vectors: Vec<f64>,
    /// One coefficient per support vector (scikit-learn's `dual_coef_`).
    pub dual_coef: Vec<f64>,
    /// −ρ (scikit-learn's `intercept_`).
    pub intercept: f64,
}

impl Fitted for FittedSvm {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn is_finite(&self) -> bool {
        self.kernel.is_finite()
            && self.intercept.is_finite()
            && self.dual_coef.iter().all(|v| v.is_finite())
            && self.support_vectors.iter().all(|v| v.is_finite())
    }

    fn validate(&self) -> Result<(), String> {
        use super::validate::{finite, finite_one, length, product};
        if self.n_features == 0 {
            return Err("n_features is 0".to_string());
        }
        let expected = product("support_vectors", self.dual_coef.len(), self.n_features)?;
        length("support_vectors", self.support_vectors.len(), expected)?;
        finite("dual_coef", &self.dual_coef)?;
        finite("support_vectors", &self.support_vectors)?;
        finite_one("intercept", self.intercept)?;
        if self.kernel.is_finite() {
            Ok(())
        } else {
            Err("a kernel parameter is not a finite number".to_string())
        }
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, CLASS)?;
        let (d, n_sv) = (self.n_features, self.dual_coef.len());
        if n_sv.checked_mul(d) != Some(self.support_vectors.len()) {
            return Err(LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent (a damaged artifact?)")));
        }
        let support_vectors = Mat::from_fn(n_sv, d, |i, j| self.support_vectors[i * d + j]);
        let sv_squares = squared_norms(&support_vectors);
        let rows_per_block = (PREDICT_BLOCK_ENTRIES / n_sv.max(1)).max(1);
        let mut predictions = Vec::with_capacity(x.n_rows);
        let mut sums = Vec::with_capacity(rows_per_block.min(x.n_rows));
        for start in (0..x.n_rows).step_by(rows_per_block) {
            let end = (start + rows_per_block).min(x.n_rows);
            let queries = Mat::from_fn(end - start, d, |i, j| x.columns[j][start + i]);
            let query_squares = squared_norms(&queries);
            let dots = &queries * support_vectors.transpose();
            sums.clear();
            sums.resize(end - start, 0.0);
            // Support vector by support vector, as libsvm sums them.
            for (j, (coef, sv_square)) in self.dual_coef.iter().zip(&sv_squares).enumerate() {
                for ((sum, dot), query_square) in sums.iter_mut().zip(dots.col_as_slice(j)).zip(&query_squares) {
                    *sum += coef * self.kernel.predict_value(*dot, *query_square, *sv_square);
                }
            }
            predictions.extend(sums.iter().map(|sum| sum + self.intercept));
        }
        Ok(predictions)
    }
}

/// Kernel entries computed per block when predicting: small enough to stay
/// in cache, large enough for the matrix product to run at full speed.
const PREDICT_BLOCK_ENTRIES: usize = 1 << 16;

fn squared_norms(rows: &Mat<f64>) -> Vec<f64> {
    (0..rows.nrows()).map(|i| (0..rows.ncols()).fold(0.0, |sum, j| sum + rows[(i, j)] * rows[(i, j)])).collect()
}

/// scikit-learn's `_gamma`: "scale" is 1 / (n_features · X.var()) over every
/// entry of X (1 when X is constant), "auto" 1 / n_features.
fn resolve_gamma(params: &Params, x: &Matrix) -> Result<f64, LearnError> {
    let n_features = x.n_cols() as f64;
    Ok(match params.value("gamma")? {
        ParamValue::Str(word) if word == "auto" => 1.0 / n_features,
        ParamValue::Str(_) => {
            let count = (x.n_rows * x.n_cols()) as f64;
            let mean = x.columns.iter().flatten().sum::<f64>() / count;
            let variance = x.columns.iter().flatten().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count;
            if variance == 0.0 {
                1.0
            } else {
                1.0 / (n_features * variance)
            }
        }
        _ => params.float("gamma")?,
    })
}

fn kernel(params: &Params, x: &Matrix) -> Result<SvmKernel, LearnError> {
    let name = match params.value("kernel")? {
        ParamValue::Str(name) => name.as_str(),
        _ => "rbf",
    };
    if name == "linear" {
        return Ok(SvmKernel::Linear);
    }
    let gamma = resolve_gamma(params, x)?;
    let coef0 = params.float("coef0")?;
    Ok(match name {
        "poly" => {
            let degree = params.int("degree")?;
            let degree = i32::try_from(degree).map_err(|_| {
                LearnError::InvalidOption(format!("model \"svm\" parameter \"degree\": {degree} is too large"))
            })?;
            SvmKernel::Poly { gamma, degree, coef0 }
        }
        "sigmoid" => SvmKernel::Sigmoid { gamma, coef0 },
        _ => SvmKernel::Rbf { gamma },
    })
}

fn fit_svm(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = data.x;
    let n_features = x.n_cols();
    if x.n_rows == 0 {
        return Err(LearnError::TooFewRows(format!("{CLASS} needs at least one training row")));
    }
    if n_features == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {CLASS} needs at least one")));
    }
    let max_iter = params.int("max_iter")?;
    let options = SmoOptions {
        c: params.float("C")?,
        tol: params.float("tol")?,
        shrinking: params.bool("shrinking")?,
        max_iter: usize::try_from(max_iter).ok(),
        cache_bytes: params.float("cache_size")? * (1u64 << 20) as f64,
    };
    let kernel = kernel(params, x)?;
    let solution = solve_epsilon_svr(x, data.y, kernel, params.float("epsilon")?, &options);
    let intercept = -solution.rho;
    let support: Vec<usize> = (0..x.n_rows).filter(|&i| solution.coef[i].abs() > 0.0).collect();
    if kernel == SvmKernel::Linear {
        let coef = x
            .columns
            .iter()
            .map(|column| support.iter().fold(0.0, |sum, &i| sum + solution.coef[i] * column[i]))
            .collect();
        return Ok(FittedModel::Linear(FittedLinear { coef, intercept }));
    }
    let support_vectors = support.iter().flat_map(|&i| x.columns.iter().map(move |column| column[i])).collect();
    let dual_coef = support.iter().map(|&i| solution.coef[i]).collect();
    Ok(FittedModel::Svm(FittedSvm { kernel, n_features, support_vectors, dual_coef, intercept }))
}

/// libsvm's kernel choice, shared by SVR (`svm`) and SVC (`rbfsvm`).
pub(crate) const KERNEL: ParamSpec = ParamSpec {
    name: "kernel",
    kinds: &[ParamKind::Choice(&["rbf", "linear", "poly", "sigmoid"])],
    default: DefaultValue::Str("rbf"),
    help: "the kernel",
};

/// The degree of libsvm's polynomial kernel.
pub(crate) const DEGREE: ParamSpec = ParamSpec {
    name: "degree",
    kinds: &[ParamKind::Int { min: 0, max: i32::MAX as i64 }],
    default: DefaultValue::Int(3),
    help: "the degree of the \"poly\" kernel",
};

/// The constant of libsvm's polynomial and sigmoid kernels.
pub(crate) const COEF0: ParamSpec = ParamSpec {
    name: "coef0",
    kinds: &[ParamKind::Float { min: f64::MIN, max: f64::MAX, open_min: false }],
    default: DefaultValue::Float(0.0),
    help: "the constant of the \"poly\" and \"sigmoid\" kernels",
};

/// PyCaret's `svm`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "svm",
    name: "Support Vector Regression",
    class: "sklearn.svm.SVR",
    family: "svm",
    task: Task::Regression,
    turbo: false,
    randomised: false,
    params: &[
        KERNEL,
        DEGREE,
        ParamSpec {
            name: "gamma",
            kinds: &[ParamKind::Choice(&["scale", "auto"]), ParamKind::NON_NEGATIVE],
            default: DefaultValue::Str("scale"),
            help: "the kernel coefficient: \"scale\" 1/(n_features·X.var()), \"auto\" 1/n_features, or a number",
        },
        COEF0,
        ParamSpec { name: "C", kinds: &[ParamKind::POSITIVE], default: DefaultValue::Float(1.0), help: "the penalty" },
        ParamSpec {
            name: "epsilon",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(0.1),
            help: "the width of the tube within which errors cost nothing",
        },
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(1e-3),
            help: "the stopping tolerance on the KKT violation",
        },
        ParamSpec {
            name: "shrinking",
            kinds: &[ParamKind::Bool],
            default: DefaultValue::Bool(true),
            help: "use libsvm's shrinking heuristic (speed only)",
        },
        ParamSpec {
            name: "max_iter",
            kinds: &[ParamKind::Int { min: -1, max: i64::MAX }],
            default: DefaultValue::Int(-1),
            help: "solver iterations at most (-1: no limit)",
        },
        ParamSpec {
            name: "cache_size",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(200.0),
            help: "the kernel cache in megabytes (speed only)",
        },
    ],
    fit: fit_svm,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;

    #[test]
    fn a_target_inside_the_tube_has_no_support_vectors() {
        let x = Matrix { n_rows: 5, columns: vec![vec![0.0, 1.0, 2.0, 3.0, 4.0]] };
        let y = [2.0, 2.05, 1.95, 2.0, 2.0];
        let fitted = ModelSpec::with_defaults(Task::Regression, "svm", 0).unwrap().fit(&x, &y).unwrap();
        let FittedModel::Svm(svm) = &fitted else { panic!("{fitted:?}") };
        assert!(svm.dual_coef.is_empty());
        // No free multiplier: ρ is the middle of [max yG over lower, min over upper].
        let predicted = fitted.predict(&x).unwrap();
        assert!(predicted.iter().all(|p| (p - 2.0).abs() <= 0.1), "{predicted:?}");
    }

    #[test]
    fn the_solver_reaches_the_kkt_tolerance_without_shrinking_too() {
        let n = 60;
        let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 2.0).collect();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
        let y: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a * a - b + 0.1 * a * b).collect();
        let x = Matrix { n_rows: n, columns: vec![a, b] };
        let fit = |shrinking: bool| {
            let given = vec![("shrinking".to_string(), ParamValue::Bool(shrinking))];
            ModelSpec::new(Task::Regression, "svm", &given, 0).unwrap().fit(&x, &y).unwrap().predict(&x).unwrap()
        };
        let (with, without) = (fit(true), fit(false));
        for (p, q) in with.iter().zip(&without) {
            assert!((p - q).abs() < 1e-2, "{p} vs {q}");
        }
    }
}
