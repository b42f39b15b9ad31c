//! Bayesian linear regression as scikit-learn 1.9's `_bayes.py` computes
//! it: the same evidence-maximisation updates (MacKay), in the same order,
//! with the same stopping rule (the sum of absolute coefficient changes below
//! `tol`), so the iterates and the iteration at which they stop are the same.
//!
//! - `br`: `BayesianRidge()` (300 iterations, tol 1e-3, Gamma priors 1e-6).
//!   scikit-learn diagonalises X once by an SVD and updates the coefficients
//!   from it; here the whole update is done in that basis: with X = U·S·Vᵀ and
//!   b = Uᵀy, the coefficients are V·(s·b/(s² + λ/α)), their squared norm and
//!   the residual's are sums over the K = min(n, p) singular values, so an
//!   iteration costs O(K) plus O(pK) for the convergence test instead of
//!   scikit-learn's O(np).
//! - `ard`: `ARDRegression(max_iter=1000)` (PyCaret raises scikit-learn's 300
//!   to 1000; threshold_lambda 1e4, tol 1e-3): Σ = pinvh(diag(λ) + α·XᵀX) when
//!   n ≥ p, else by the Woodbury identity with a pinvh of n×n, pruning the
//!   features whose precision passes the threshold.
//!
//! Both centre X and y with `fit_intercept` (the default; without it they
//! work on X and y as given, the intercept is 0, and the initial noise
//! precision is still 1 / var(y), numpy's variance about y's mean, as
//! scikit-learn's). `compute_score` is accepted for PyCaret's tune grids but
//! changes nothing: scikit-learn only records the log marginal likelihood
//! (`scores_`) with it, never uses it. When n > p the centred
//! [X | y] is reduced once to its p+1 square R factor by a blocked
//! (tall-skinny) QR, so XᵀX = RᵀR, Xᵀy = Rᵀz and ‖y − Xw‖² = r² + ‖z − Rw‖²
//! hold exactly and no iteration touches the n rows again.

use crate::matrix::{mean, Matrix};
use crate::models::linear::{FittedLinear, FIT_INTERCEPT};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par, Side};

/// The centred problem in the form the updates read it.
enum Design {
    /// n > p: the R factor of the centred X (p×p), the matching part of
    /// Qᵀy and the squared norm of y's part outside X's column space.
    Reduced { r: Mat<f64>, z: Vec<f64>, outside_sq: f64 },
    /// n ≤ p: the centred X and y themselves.
    Direct { x: Mat<f64>, y: Vec<f64> },
}

/// A centred problem and the means that give the intercept back.
struct Centred {
    design: Design,
    x_mean: Vec<f64>,
    y_mean: f64,
    /// numpy's `y.var()`.
    y_var: f64,
    n_samples: usize,
}

fn numerical(step: &str, what: &str, error: impl std::fmt::Debug) -> LearnError {
    LearnError::Numerical {
        step: step.to_string(),
        message: format!("the {what} did not converge ({error:?}); does the input hold NaN or infinity?"),
    }
}

fn centre(x: &Matrix, y: &[f64], fit_intercept: bool) -> Centred {
    let (n, p) = (x.n_rows, x.n_cols());
    let (x_mean, y_mean) = crate::models::linear::offsets(x, y, fit_intercept);
    // numpy's y.var(): about y's own mean whether or not y is centred.
    let y_centre = mean(y);
    let y_var = y.iter().map(|v| (v - y_centre) * (v - y_centre)).sum::<f64>() / n as f64;
    let design = if n > p {
        let full = crate::models::linear::centred_augmented_r(x, y, &x_mean, y_mean);
        Design::Reduced {
            r: full.submatrix(0, 0, p, p).to_owned(),
            z: (0..p).map(|i| full[(i, p)]).collect(),
            outside_sq: full[(p, p)] * full[(p, p)],
        }
    } else {
        Design::Direct {
            x: Mat::from_fn(n, p, |i, j| x.columns[j][i] - x_mean[j]),
            y: y.iter().map(|v| v - y_mean).collect(),
        }
    };
    Centred { design, x_mean, y_mean, y_var, n_samples: n }
}

impl Design {
    /// XᵀX of the centred design.
    fn gram(&self) -> Mat<f64> {
        let factor = match self {
            Design::Reduced { r, .. } => r,
            Design::Direct { x, .. } => x,
        };
        factor.transpose() * factor
    }

    /// Xᵀy of the centred design.
    fn xty(&self) -> Vec<f64> {
        let (factor, rhs) = match self {
            Design::Reduced { r, z, .. } => (r, z),
            Design::Direct { x, y } => (x, y),
        };
        (0..factor.ncols()).map(|j| factor.col(j).iter().zip(rhs).map(|(a, b)| a * b).sum()).collect()
    }

    /// ‖y − Xw‖² of the centred problem.
    fn sse(&self, coef: &[f64]) -> f64 {
        let (factor, rhs, outside_sq) = match self {
            Design::Reduced { r, z, outside_sq } => (r, z, *outside_sq),
            Design::Direct { x, y } => (x, y, 0.0),
        };
        let mut residual = rhs.clone();
        for (j, c) in coef.iter().enumerate() {
            if *c != 0.0 {
                for (value, a) in residual.iter_mut().zip(factor.col(j).iter()) {
                    *value -= c * a;
                }
            }
        }
        outside_sq + residual.iter().map(|v| v * v).sum::<f64>()
    }
}

/// The fitted linear model from centred coefficients.
fn with_intercept(coef: Vec<f64>, centred: &Centred) -> FittedModel {
    let offset: f64 = coef.iter().zip(&centred.x_mean).map(|(c, m)| c * m).sum();
    FittedModel::Linear(FittedLinear { intercept: centred.y_mean - offset, coef })
}

/// The Gamma priors' shape and rate of the noise (alpha) and weight
/// (lambda) precisions.
#[derive(Debug, Clone, Copy)]
struct Priors {
    alpha_1: f64,
    alpha_2: f64,
    lambda_1: f64,
    lambda_2: f64,
}

fn priors(params: &Params) -> Result<Priors, LearnError> {
    Ok(Priors {
        alpha_1: params.float("alpha_1")?,
        alpha_2: params.float("alpha_2")?,
        lambda_1: params.float("lambda_1")?,
        lambda_2: params.float("lambda_2")?,
    })
}

/// X in its singular basis: X = U·diag(s)·Vᵀ with K = min(n, p) values,
/// b = Uᵀy and the squared norm of the centred y outside X's column space.
struct Spectrum {
    s: Vec<f64>,
    v: Mat<f64>,
    b: Vec<f64>,
    outside_sq: f64,
}

fn spectrum(design: &Design) -> Result<Spectrum, LearnError> {
    let (factor, rhs, outside_sq) = match design {
        Design::Reduced { r, z, outside_sq } => (r, z, *outside_sq),
        Design::Direct { x, y } => (x, y, 0.0),
    };
    let svd = factor.thin_svd().map_err(|e| numerical("BayesianRidge", "SVD of the centred design", e))?;
    let (u, s) = (svd.U(), svd.S().column_vector());
    let k = s.nrows();
    let b: Vec<f64> = (0..k).map(|c| u.col(c).iter().zip(rhs).map(|(a, y)| a * y).sum()).collect();
    // U is square either way (n×n when n ≤ p; p×p for R when n > p), so the
    // only part of y outside its span is the one R's last row recorded.
    Ok(Spectrum { s: (0..k).map(|i| s[i]).collect(), v: svd.V().to_owned(), b, outside_sq })
}

impl Spectrum {
    /// The posterior mean's coordinates in V's basis for λ/α = `ratio`.
    fn weights(&self, ratio: f64, out: &mut [f64]) {
        for ((w, s), b) in out.iter_mut().zip(&self.s).zip(&self.b) {
            *w = s * b / (s * s + ratio);
        }
    }

    fn coef(&self, weights: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for (k, w) in weights.iter().enumerate() {
            for (c, v) in out.iter_mut().zip(self.v.col(k).iter()) {
                *c += w * v;
            }
        }
    }

    fn sse(&self, ratio: f64) -> f64 {
        let inside: f64 = self.s.iter().zip(&self.b).map(|(s, b)| (b * ratio / (s * s + ratio)).powi(2)).sum();
        self.outside_sq + inside
    }
}

/// How the evidence iterations stop.
#[derive(Debug, Clone, Copy)]
struct Stop {
    max_iter: usize,
    tol: f64,
}

/// `BayesianRidge.fit`: alpha and lambda re-estimated until the
/// coefficients move less than `tol` (in sum of absolute changes).
fn bayesian_ridge(
    centred: &Centred,
    priors: Priors,
    stop: Stop,
    init: (Option<f64>, Option<f64>),
) -> Result<Vec<f64>, LearnError> {
    let spectrum = spectrum(&centred.design)?;
    let n_samples = centred.n_samples as f64;
    let p = centred.x_mean.len();
    let mut alpha = init.0.unwrap_or(1.0 / (centred.y_var + f64::EPSILON));
    let mut lambda = init.1.unwrap_or(1.0);
    let mut weights = vec![0.0; spectrum.s.len()];
    let (mut coef, mut coef_old) = (vec![0.0; p], vec![0.0; p]);
    for iteration in 0..stop.max_iter {
        let ratio = lambda / alpha;
        spectrum.weights(ratio, &mut weights);
        spectrum.coef(&weights, &mut coef);
        let sse = spectrum.sse(ratio);
        let gamma: f64 = spectrum.s.iter().map(|s| alpha * s * s / (lambda + alpha * s * s)).sum();
        let coef_sq: f64 = weights.iter().map(|w| w * w).sum();
        lambda = (gamma + 2.0 * priors.lambda_1) / (coef_sq + 2.0 * priors.lambda_2);
        alpha = (n_samples - gamma + 2.0 * priors.alpha_1) / (sse + 2.0 * priors.alpha_2);
        if iteration != 0 && coef_old.iter().zip(&coef).map(|(a, b)| (a - b).abs()).sum::<f64>() < stop.tol {
            break;
        }
        coef_old.copy_from_slice(&coef);
    }
    spectrum.weights(lambda / alpha, &mut weights);
    spectrum.coef(&weights, &mut coef);
    Ok(coef)
}

/// scipy's `pinvh`: the pseudo-inverse of a symmetric matrix from its
/// eigendecomposition, eigenvalues within dim·eps of the largest dropped.
fn pinvh(a: &Mat<f64>) -> Result<Mat<f64>, LearnError> {
    if a.nrows() == 0 {
        // faer's eigensolver does not take an empty matrix (no features).
        return Ok(Mat::zeros(0, 0));
    }
    let eigen = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| numerical("ARDRegression", "eigendecomposition of the posterior precision", e))?;
    let (u, s) = (eigen.U(), eigen.S().column_vector());
    let dim = a.nrows();
    let largest = (0..dim).map(|i| s[i].abs()).fold(0.0, f64::max);
    let cutoff = largest * dim as f64 * f64::EPSILON;
    let kept: Vec<usize> = (0..dim).filter(|&i| s[i].abs() > cutoff).collect();
    let scaled = Mat::from_fn(dim, kept.len(), |i, k| u[(i, kept[k])] / s[kept[k]]);
    let basis = Mat::from_fn(dim, kept.len(), |i, k| u[(i, kept[k])]);
    Ok(&scaled * basis.transpose())
}

/// ARD's posterior covariance of the kept weights.
fn ard_sigma(
    centred: &Centred,
    gram: &Mat<f64>,
    alpha: f64,
    lambda: &[f64],
    kept: &[usize],
) -> Result<Mat<f64>, LearnError> {
    match &centred.design {
        Design::Direct { x, .. } if centred.n_samples < x.ncols() => {
            // Woodbury: Σ = Λ⁻¹ − Λ⁻¹Xᵀ(I/α + XΛ⁻¹Xᵀ)⁺XΛ⁻¹, inverting n×n.
            let n = centred.n_samples;
            let scaled = Mat::from_fn(n, kept.len(), |i, k| x[(i, kept[k])] / lambda[kept[k]]);
            let original = Mat::from_fn(n, kept.len(), |i, k| x[(i, kept[k])]);
            let mut inner = &scaled * original.transpose();
            for i in 0..n {
                inner[(i, i)] += 1.0 / alpha;
            }
            let solved = pinvh(&inner)? * &scaled;
            let mut sigma = Mat::<f64>::zeros(kept.len(), kept.len());
            matmul(sigma.as_mut(), Accum::Replace, scaled.transpose(), solved.as_ref(), -1.0, Par::Seq);
            for (k, &j) in kept.iter().enumerate() {
                sigma[(k, k)] += 1.0 / lambda[j];
            }
            Ok(sigma)
        }
        _ => {
            let precision = Mat::from_fn(kept.len(), kept.len(), |a, b| {
                let diagonal = if a == b { lambda[kept[a]] } else { 0.0 };
                diagonal + alpha * gram[(kept[a], kept[b])]
            });
            pinvh(&precision)
        }
    }
}

/// coef[kept] = α·Σ·Xᵀy[kept].
fn ard_coef(sigma: &Mat<f64>, xty: &[f64], alpha: f64, kept: &[usize], coef: &mut [f64]) {
    for (a, &j) in kept.iter().enumerate() {
        coef[j] = alpha * kept.iter().enumerate().map(|(b, &l)| sigma[(a, b)] * xty[l]).sum::<f64>();
    }
}

/// The ARD settings besides the priors.
#[derive(Debug, Clone, Copy)]
struct ArdOptions {
    stop: Stop,
    threshold_lambda: f64,
}

/// `ARDRegression.fit`.
fn ard(centred: &Centred, priors: Priors, options: ArdOptions) -> Result<Vec<f64>, LearnError> {
    let p = centred.x_mean.len();
    let gram = match &centred.design {
        Design::Direct { x, .. } if centred.n_samples < x.ncols() => Mat::zeros(0, 0),
        design => design.gram(),
    };
    let xty = centred.design.xty();
    let n_samples = centred.n_samples as f64;
    let mut alpha = 1.0 / (centred.y_var + f64::EPSILON);
    let mut lambda = vec![1.0; p];
    let mut kept: Vec<usize> = (0..p).collect();
    let (mut coef, mut coef_old) = (vec![0.0; p], vec![0.0; p]);
    for iteration in 0..options.stop.max_iter {
        let sigma = ard_sigma(centred, &gram, alpha, &lambda, &kept)?;
        ard_coef(&sigma, &xty, alpha, &kept, &mut coef);
        let sse = centred.design.sse(&coef);
        let mut gamma_sum = 0.0;
        for (k, &j) in kept.iter().enumerate() {
            let gamma = 1.0 - lambda[j] * sigma[(k, k)];
            gamma_sum += gamma;
            lambda[j] = (gamma + 2.0 * priors.lambda_1) / (coef[j] * coef[j] + 2.0 * priors.lambda_2);
        }
        alpha = (n_samples - gamma_sum + 2.0 * priors.alpha_1) / (sse + 2.0 * priors.alpha_2);
        kept = (0..p).filter(|&j| lambda[j] < options.threshold_lambda).collect();
        for (j, c) in coef.iter_mut().enumerate() {
            if lambda[j] >= options.threshold_lambda {
                *c = 0.0;
            }
        }
        if iteration > 0 && coef_old.iter().zip(&coef).map(|(a, b)| (a - b).abs()).sum::<f64>() < options.stop.tol {
            break;
        }
        coef_old.copy_from_slice(&coef);
        if kept.is_empty() {
            break;
        }
    }
    if !kept.is_empty() {
        let sigma = ard_sigma(centred, &gram, alpha, &lambda, &kept)?;
        ard_coef(&sigma, &xty, alpha, &kept, &mut coef);
    }
    Ok(coef)
}

fn optional_float(params: &Params, name: &str) -> Result<Option<f64>, LearnError> {
    match params.value(name)? {
        ParamValue::Null => Ok(None),
        _ => params.float(name).map(Some),
    }
}

fn stop(params: &Params) -> Result<Stop, LearnError> {
    Ok(Stop { max_iter: params.usize("max_iter")?, tol: params.float("tol")? })
}

fn fit_br(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    if data.x.n_rows == 0 {
        return Err(LearnError::TooFewRows("BayesianRidge needs at least 1 row, got 0".to_string()));
    }
    let init = (optional_float(params, "alpha_init")?, optional_float(params, "lambda_init")?);
    let centred = centre(data.x, data.y, params.bool("fit_intercept")?);
    let coef = bayesian_ridge(&centred, priors(params)?, stop(params)?, init)?;
    Ok(with_intercept(coef, &centred))
}

fn fit_ard(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    if data.x.n_rows < 2 {
        return Err(LearnError::TooFewRows(format!("ARDRegression needs at least 2 rows, got {}", data.x.n_rows)));
    }
    let options = ArdOptions { stop: stop(params)?, threshold_lambda: params.float("threshold_lambda")? };
    let centred = centre(data.x, data.y, params.bool("fit_intercept")?);
    let coef = ard(&centred, priors(params)?, options)?;
    Ok(with_intercept(coef, &centred))
}

const fn prior(name: &'static str, help: &'static str) -> ParamSpec {
    ParamSpec { name, kinds: &[ParamKind::NON_NEGATIVE], default: DefaultValue::Float(1e-6), help }
}

const COMPUTE_SCORE: ParamSpec = ParamSpec {
    name: "compute_score",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(false),
    help: "accepted for scikit-learn compatibility; only records scores_ there, so the fit is the same either way",
};

const PRIORS: [ParamSpec; 4] = [
    prior("alpha_1", "shape of the Gamma prior over the noise precision alpha"),
    prior("alpha_2", "rate of the Gamma prior over the noise precision alpha"),
    prior("lambda_1", "shape of the Gamma prior over the weight precision lambda"),
    prior("lambda_2", "rate of the Gamma prior over the weight precision lambda"),
];

/// PyCaret's `br` and `ard`.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "br",
        name: "Bayesian Ridge",
        class: "sklearn.linear_model.BayesianRidge",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "max_iter",
                kinds: &[ParamKind::COUNT],
                default: DefaultValue::Int(300),
                help: "evidence updates at most",
            },
            ParamSpec {
                name: "tol",
                kinds: &[ParamKind::POSITIVE],
                default: DefaultValue::Float(1e-3),
                help: "stop when the coefficients move less than this (sum of absolute changes)",
            },
            PRIORS[0],
            PRIORS[1],
            PRIORS[2],
            PRIORS[3],
            ParamSpec {
                name: "alpha_init",
                kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
                default: DefaultValue::Null,
                help: "initial noise precision (None: 1 / var(y))",
            },
            ParamSpec {
                name: "lambda_init",
                kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
                default: DefaultValue::Null,
                help: "initial weight precision (None: 1)",
            },
            COMPUTE_SCORE,
            FIT_INTERCEPT,
        ],
        fit: fit_br,
    },
    ModelEntry {
        id: "ard",
        name: "Automatic Relevance Determination",
        class: "sklearn.linear_model.ARDRegression",
        family: "linear_model",
        task: Task::Regression,
        turbo: false,
        randomised: false,
        params: &[
            ParamSpec {
                name: "max_iter",
                kinds: &[ParamKind::COUNT],
                // PyCaret's container sets 1000 (scikit-learn's default is 300).
                default: DefaultValue::Int(1000),
                help: "evidence updates at most",
            },
            ParamSpec {
                name: "tol",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1e-3),
                help: "stop when the coefficients move less than this (sum of absolute changes)",
            },
            PRIORS[0],
            PRIORS[1],
            PRIORS[2],
            PRIORS[3],
            ParamSpec {
                name: "threshold_lambda",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1e4),
                help: "features whose weight precision exceeds this are pruned",
            },
            COMPUTE_SCORE,
            FIT_INTERCEPT,
        ],
        fit: fit_ard,
    },
];

#[cfg(test)]
mod tests {
    use crate::matrix::Matrix;
    use crate::models::lars::tests::check_edge_cases;
    use crate::models::ModelSpec;
    use crate::task::Task;
    use crate::LearnError;

    #[test]
    fn edge_cases_match_scikit_learn() {
        check_edge_cases(&["br", "ard"]);
    }

    /// No features, a NaN, an infinite target: every model of this change
    /// returns a model (the mean, for no features) or an error, never a panic.
    #[test]
    fn degenerate_inputs_give_a_model_or_an_error() {
        let a: Vec<f64> = (0..30).map(|i| (f64::from(i) * 0.37).sin()).collect();
        let y: Vec<f64> = a.iter().map(|v| 2.0 * v + 1.0).collect();
        let mut with_nan = a.clone();
        with_nan[3] = f64::NAN;
        let mut infinite = y.clone();
        infinite[2] = f64::INFINITY;
        for id in ["lar", "llar", "omp", "br", "ard"] {
            let spec = ModelSpec::with_defaults(Task::Regression, id, 0).unwrap();
            let none = spec.fit(&Matrix { n_rows: 30, columns: vec![] }, &y).unwrap();
            assert_eq!(none.predict(&Matrix { n_rows: 1, columns: vec![] }).unwrap(), vec![crate::matrix::mean(&y)]);
            assert!(spec.fit(&Matrix { n_rows: 30, columns: vec![with_nan.clone()] }, &y).is_err(), "{id}");
            assert!(spec.fit(&Matrix { n_rows: 30, columns: vec![a.clone()] }, &infinite).is_err(), "{id}");
        }
    }

    #[test]
    fn ard_needs_two_rows() {
        let one = Matrix { n_rows: 1, columns: vec![vec![1.0], vec![2.0]] };
        let error = ModelSpec::with_defaults(Task::Regression, "ard", 0).unwrap().fit(&one, &[3.0]).unwrap_err();
        assert!(matches!(error, LearnError::TooFewRows(_)), "{error}");
        let empty = Matrix { n_rows: 0, columns: vec![Vec::new()] };
        let error = ModelSpec::with_defaults(Task::Regression, "br", 0).unwrap().fit(&empty, &[]).unwrap_err();
        assert!(matches!(error, LearnError::TooFewRows(_)), "{error}");
    }
}
