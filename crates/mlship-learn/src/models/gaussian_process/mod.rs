//! `GaussianProcessClassifier` (PyCaret's `gpc`) as scikit-learn 1.4's
//! `_gpc.py` fits it with its defaults: the kernel 1.0 · RBF(1.0), the
//! Laplace approximation of the posterior found by Newton's iteration
//! (Rasmussen & Williams, algorithm 3.1: at most `max_iter_predict` steps,
//! stopped when the approximate log marginal likelihood gains less than
//! 1e-10), predictions by algorithm 3.2 with the predictive probability
//! integral approximated by scikit-learn's five-term erf expansion, and one
//! binary classifier per class (one-vs-rest, probabilities normalised) for
//! more than two classes.
//!
//! The default kernel's hyperparameters are fixed (`constant_value_bounds`
//! and `length_scale_bounds` "fixed"), so scikit-learn's L-BFGS-B search of
//! the log marginal likelihood has no free dimension and never runs; mlship
//! exposes no kernel choice, so there is none to run here either, and no
//! random number is drawn (`n_restarts_optimizer` is 0).
//!
//! The fitted state is scikit-learn's: the training rows, and per binary
//! classifier y − π, √W and the Cholesky factor L of B = I + √W K √W
//! (packed lower triangle), which the predictive variance needs. A class
//! missing from the training rows is fitted without (as scikit-learn would
//! be) and gets probability 0.

mod erf;

use crate::matrix::Matrix;
use crate::models::discriminant::{present_classes, spread};
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::pairwise_sum;
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use erf::erf;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

const CLASS: &str = "GaussianProcessClassifier";

/// scikit-learn's `LAMBDAS` and `COEFS`: the probit-like expansion of the
/// logistic used to integrate it against the Gaussian predictive density.
const LAMBDAS: [f64; 5] = [0.41, 0.4, 0.37, 0.44, 0.39];
#[allow(clippy::excessive_precision)]
const COEFS: [f64; 5] = [-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654];

/// One binary Laplace classifier's fitted state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaplaceBinary {
    /// y − π at the posterior mode, one per training row.
    pub y_minus_pi: Vec<f64>,
    /// √W = √(π(1 − π)), one per training row.
    pub w_sr: Vec<f64>,
    /// The lower Cholesky factor of I + √W K √W, packed row by row
    /// (row i holds L[i][0..=i]).
    pub cholesky: Vec<f64>,
}

/// A fitted `GaussianProcessClassifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGpc {
    /// The number of input features, checked when predicting.
    pub n_features: usize,
    /// The training rows, row-major.
    pub x_train: Vec<f64>,
    /// One classifier for two classes, else one per class present.
    pub estimators: Vec<LaplaceBinary>,
    /// The class codes present in training, sorted.
    pub classes: Vec<usize>,
    /// The number of classes of the whole target.
    pub n_classes: usize,
}

/// 1.0 · RBF(1.0) from the squared distance summed feature by feature
/// (scipy's `cdist`/`pdist` "sqeuclidean").
fn rbf(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (u, v) in a.iter().zip(b) {
        let d = u - v;
        sum += d * d;
    }
    (-0.5 * sum).exp()
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The posterior mode's temporaries that the fitted model keeps.
struct Mode {
    f: Vec<f64>,
    pi: Vec<f64>,
    w_sr: Vec<f64>,
    l: Mat<f64>,
}

/// `_posterior_mode`: Newton's iteration for the mode of p(f | X, y) from
/// `f`, returning the last iteration's π, √W and L.
fn posterior_mode(k: &Mat<f64>, y: &[f64], mut f: Vec<f64>, max_iter: usize) -> Result<Mode, LearnError> {
    let n = y.len();
    let mut previous = f64::NEG_INFINITY;
    let mut last = None;
    for _ in 0..max_iter {
        let pi: Vec<f64> = f.iter().map(|&v| expit(v)).collect();
        let w: Vec<f64> = pi.iter().map(|p| p * (1.0 - p)).collect();
        let w_sr: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
        let b_matrix = Mat::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) + w_sr[i] * k[(i, j)] * w_sr[j]);
        let llt = b_matrix
            .llt(Side::Lower)
            .map_err(|e| LearnError::Numerical { step: CLASS.to_string(), message: format!("{e:?}") })?;
        let b: Vec<f64> = (0..n).map(|i| w[i] * f[i] + (y[i] - pi[i])).collect();
        let w_sr_k_b = Mat::from_fn(n, 1, |i, _| (0..n).fold(0.0, |sum, j| sum + w_sr[i] * k[(i, j)] * b[j]));
        let solved = llt.solve(&w_sr_k_b);
        let a: Vec<f64> = (0..n).map(|i| b[i] - w_sr[i] * solved[(i, 0)]).collect();
        f = (0..n).map(|i| (0..n).fold(0.0, |sum, j| sum + k[(i, j)] * a[j])).collect();
        let af = a.iter().zip(&f).fold(0.0, |sum, (a, f)| sum + a * f);
        let losses: Vec<f64> = (0..n).map(|i| (-(y[i] * 2.0 - 1.0) * f[i]).exp().ln_1p()).collect();
        let l = llt.L().to_owned();
        let log_det: Vec<f64> = (0..n).map(|i| l[(i, i)].ln()).collect();
        let lml = -0.5 * af - pairwise_sum(&losses) - pairwise_sum(&log_det);
        let converged = lml - previous < 1e-10;
        last = Some(Mode { f: f.clone(), pi, w_sr, l });
        if converged {
            break;
        }
        previous = lml;
    }
    last.ok_or_else(|| LearnError::InvalidOption(format!("{CLASS}: max_iter_predict must be at least 1")))
}

/// A binary classifier on targets `y` (0/1) with kernel matrix `k`.
fn fit_binary(k: &Mat<f64>, y: &[f64], max_iter: usize, warm_start: bool) -> Result<LaplaceBinary, LearnError> {
    let zeros = vec![0.0; y.len()];
    // fit() evaluates the log marginal likelihood at the fixed θ first (a
    // posterior mode it discards), then finds the mode it keeps: from the
    // first one's f under warm_start, else from zero again (the same mode).
    let start = if warm_start { posterior_mode(k, y, zeros, max_iter)?.f } else { zeros };
    let mode = posterior_mode(k, y, start, max_iter)?;
    let n = y.len();
    let mut cholesky = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        cholesky.extend((0..=i).map(|j| mode.l[(i, j)]));
    }
    Ok(LaplaceBinary { y_minus_pi: y.iter().zip(&mode.pi).map(|(y, p)| y - p).collect(), w_sr: mode.w_sr, cholesky })
}

impl LaplaceBinary {
    /// `predict_proba(X)[:, 1]` for one row with kernel values `k_star`
    /// against the training rows; `v` is scratch of the same length.
    fn probability(&self, k_star: &[f64], v: &mut [f64]) -> f64 {
        let f_star = k_star.iter().zip(&self.y_minus_pi).fold(0.0, |sum, (k, d)| sum + k * d);
        // v = L⁻¹ (√W ∘ k*), by forward substitution on the packed factor.
        let mut start = 0;
        for i in 0..v.len() {
            let row = &self.cholesky[start..start + i + 1];
            let mut sum = self.w_sr[i] * k_star[i];
            for j in 0..i {
                sum -= row[j] * v[j];
            }
            v[i] = sum / row[i];
            start += i + 1;
        }
        let var_f_star = 1.0 - v.iter().fold(0.0, |sum, x| sum + x * x);
        let alpha = 1.0 / (2.0 * var_f_star);
        let mut pi_star = 0.0;
        for (lambda, coef) in LAMBDAS.iter().zip(COEFS) {
            let gamma = lambda * f_star;
            let integral = (std::f64::consts::PI / alpha).sqrt()
                * erf(gamma * (alpha / (alpha + lambda * lambda)).sqrt())
                / (2.0 * (var_f_star * 2.0 * std::f64::consts::PI).sqrt());
            pi_star += coef * integral;
        }
        pi_star + 0.5 * COEFS.iter().sum::<f64>()
    }

    /// f* > 0, scikit-learn's binary `predict`.
    fn positive(&self, k_star: &[f64]) -> bool {
        k_star.iter().zip(&self.y_minus_pi).fold(0.0, |sum, (k, d)| sum + k * d) > 0.0
    }
}

impl FittedGpc {
    fn n_train(&self) -> usize {
        self.x_train.len().checked_div(self.n_features).unwrap_or(0)
    }

    /// Calls `each(row, k*)` for every row of `x`.
    fn for_each_row(&self, x: &Matrix, mut each: impl FnMut(&[f64])) -> Result<(), LearnError> {
        x.expect_width(self.n_features, CLASS)?;
        self.shape().map_err(|e| LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent: {e}")))?;
        let (d, n) = (self.n_features, self.n_train());
        let mut row = vec![0.0; d];
        let mut k_star = vec![0.0; n];
        for r in 0..x.n_rows {
            row.iter_mut().zip(&x.columns).for_each(|(v, column)| *v = column[r]);
            for (i, k) in k_star.iter_mut().enumerate() {
                *k = rbf(&self.x_train[i * d..(i + 1) * d], &row);
            }
            each(&k_star);
        }
        Ok(())
    }

    /// The classes, the training rows and every estimator's lengths agree
    /// (what indexing relies on; finiteness is `validate`'s, at loading).
    fn shape(&self) -> Result<(), String> {
        let k = self.classes.len();
        if k < 2 || k > self.n_classes || self.n_features == 0 {
            return Err(format!(
                "{k} classes present of {} and {} features (need 2 classes and 1 feature at least)",
                self.n_classes, self.n_features
            ));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        if !self.x_train.len().is_multiple_of(self.n_features) {
            return Err(format!("x_train has {} values, not rows of {}", self.x_train.len(), self.n_features));
        }
        let n = self.n_train();
        validate::length("estimators", self.estimators.len(), if k == 2 { 1 } else { k })?;
        let packed = validate::product("cholesky", n, n + 1)? / 2;
        for (index, estimator) in self.estimators.iter().enumerate() {
            validate::length(&format!("estimators[{index}].y_minus_pi"), estimator.y_minus_pi.len(), n)?;
            validate::length(&format!("estimators[{index}].w_sr"), estimator.w_sr.len(), n)?;
            validate::length(&format!("estimators[{index}].cholesky"), estimator.cholesky.len(), packed)?;
        }
        Ok(())
    }

    /// Each estimator's probability of its positive class, row-major.
    fn estimator_probabilities(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let mut out = Vec::with_capacity(x.n_rows * self.estimators.len());
        let mut v = vec![0.0; self.n_train()];
        self.for_each_row(x, |k_star| out.extend(self.estimators.iter().map(|e| e.probability(k_star, &mut v))))?;
        Ok(out)
    }
}

impl Fitted for FittedGpc {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn is_finite(&self) -> bool {
        self.x_train.iter().all(|v| v.is_finite())
            && self
                .estimators
                .iter()
                .all(|e| e.y_minus_pi.iter().chain(&e.w_sr).chain(&e.cholesky).all(|v| v.is_finite()))
    }

    fn validate(&self) -> Result<(), String> {
        self.shape()?;
        validate::finite("x_train", &self.x_train)?;
        for (index, estimator) in self.estimators.iter().enumerate() {
            validate::finite(&format!("estimators[{index}].y_minus_pi"), &estimator.y_minus_pi)?;
            validate::finite(&format!("estimators[{index}].w_sr"), &estimator.w_sr)?;
            validate::finite(&format!("estimators[{index}].cholesky"), &estimator.cholesky)?;
        }
        Ok(())
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        if self.classes.len() == 2 {
            let mut out = Vec::with_capacity(x.n_rows);
            let estimator = &self.estimators[0];
            self.for_each_row(x, |k_star| out.push(self.classes[usize::from(estimator.positive(k_star))] as f64))?;
            return Ok(out);
        }
        // OneVsRestClassifier.predict: the largest positive-class
        // probability, the last estimator on a tie.
        let k = self.classes.len();
        let probabilities = self.estimator_probabilities(x)?;
        Ok(probabilities
            .chunks(k)
            .map(|row| {
                let mut best = 0;
                for (c, &p) in row.iter().enumerate() {
                    if p >= row[best] {
                        best = c;
                    }
                }
                self.classes[best] as f64
            })
            .collect())
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.estimator_probabilities(x).map(|probabilities| {
            if self.classes.len() == 2 {
                let both: Vec<f64> = probabilities.iter().flat_map(|&p| [1.0 - p, p]).collect();
                spread(&both, &self.classes, self.n_classes, 0.0)
            } else {
                let k = self.classes.len();
                let mut normalised = probabilities;
                for row in normalised.chunks_mut(k) {
                    let sum: f64 = row.iter().sum();
                    row.iter_mut().for_each(|p| *p /= sum);
                }
                spread(&normalised, &self.classes, self.n_classes, 0.0)
            }
        }))
    }
}

fn fit_gpc(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = data.x;
    let (n, d) = (x.n_rows, x.n_cols());
    if d == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {CLASS} needs at least one")));
    }
    let present = present_classes(data, CLASS)?;
    let max_iter = params.usize("max_iter_predict")?;
    let warm_start = params.bool("warm_start")?;
    let x_train: Vec<f64> = (0..n).flat_map(|i| x.columns.iter().map(move |column| column[i])).collect();
    // pdist + squareform with the diagonal set to 1, as the RBF kernel builds K(X).
    let k =
        Mat::from_fn(
            n,
            n,
            |i, j| if i == j { 1.0 } else { rbf(&x_train[i * d..(i + 1) * d], &x_train[j * d..(j + 1) * d]) },
        );
    let targets =
        |class: usize| -> Vec<f64> { present.index.iter().map(|&c| f64::from(u8::from(c == class))).collect() };
    let estimators = if present.classes.len() == 2 {
        vec![fit_binary(&k, &targets(1), max_iter, warm_start)?]
    } else {
        (0..present.classes.len())
            .map(|c| fit_binary(&k, &targets(c), max_iter, warm_start))
            .collect::<Result<_, _>>()?
    };
    Ok(FittedModel::Gpc(FittedGpc {
        n_features: d,
        x_train,
        estimators,
        classes: present.classes,
        n_classes: data.n_classes,
    }))
}

/// PyCaret's `gpc`.
pub const CLASSIFIERS: &[ModelEntry] = &[ModelEntry {
    id: "gpc",
    name: "Gaussian Process Classifier",
    class: "sklearn.gaussian_process.GaussianProcessClassifier",
    family: "gaussian_process",
    task: Task::Classification,
    turbo: false,
    randomised: false,
    params: &[
        ParamSpec {
            name: "max_iter_predict",
            kinds: &[ParamKind::COUNT],
            default: DefaultValue::Int(100),
            help: "Newton steps at most for the posterior mode",
        },
        ParamSpec {
            name: "warm_start",
            kinds: &[ParamKind::Bool],
            default: DefaultValue::Bool(false),
            help: "start the kept posterior mode from the one found while evaluating the likelihood",
        },
        ParamSpec {
            name: "multi_class",
            kinds: &[ParamKind::Choice(&["one_vs_rest"])],
            default: DefaultValue::Str("one_vs_rest"),
            help: "one binary classifier per class (the only mode with predict_proba)",
        },
    ],
    fit: fit_gpc,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;

    #[test]
    fn separated_classes_get_confident_probabilities() {
        let n = 45;
        let y: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        let a: Vec<f64> = (0..n).map(|i| 3.0 * y[i] + 0.2 * (i as f64).sin()).collect();
        let b: Vec<f64> = (0..n).map(|i| 0.3 * (i as f64 * 0.7).cos()).collect();
        let x = Matrix { n_rows: n, columns: vec![a, b] };
        let fitted = ModelSpec::with_defaults(Task::Classification, "gpc", 0).unwrap().fit_task(&x, &y, 3).unwrap();
        assert_eq!(fitted.predict(&x).unwrap(), y);
        let probabilities = fitted.predict_proba(&x).unwrap().unwrap();
        for (row, class) in probabilities.chunks(3).zip(&y) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(row[*class as usize] > 0.5, "{row:?}");
        }
        assert!(fitted.decision_function(&x).is_none());

        let FittedModel::Gpc(mut gpc) = fitted else { panic!("{fitted:?}") };
        gpc.estimators[1].cholesky.pop();
        assert!(gpc.validate().unwrap_err().contains("estimators[1].cholesky"));
        assert!(gpc.predict(&x).unwrap_err().to_string().contains("inconsistent"));
    }
}
