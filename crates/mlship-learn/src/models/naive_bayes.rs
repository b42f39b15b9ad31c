//! `GaussianNB` (PyCaret's `nb`): per class, the mean and variance of every
//! feature and the class's share of the rows; a row's class is the one of
//! greatest joint log-likelihood, as `sklearn/naive_bayes.py` computes it
//! (variances widened by `var_smoothing` times the largest feature variance).

use crate::matrix::Matrix;
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::{argmax, softmax_rows};
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted Gaussian naive Bayes classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGaussianNb {
    /// Per class (every class of the target), the feature means (`theta_`).
    pub theta: Vec<Vec<f64>>,
    /// Per class, the feature variances plus `epsilon_` (`var_`).
    pub var: Vec<Vec<f64>>,
    /// Each class's share of the training rows (`class_prior_`); 0 for a
    /// class the training rows miss, which is then never predicted.
    pub class_prior: Vec<f64>,
}

/// `np.var` of one column: the mean, then the mean squared deviation.
fn mean_and_variance(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (sum, n) = values.clone().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    let mean = sum / n as f64;
    let squares = values.fold(0.0, |s, v| s + (v - mean) * (v - mean));
    (mean, squares / n as f64)
}

fn fit_nb(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let var_smoothing = params.float("var_smoothing")?;
    let codes = data.class_codes();
    let largest_variance =
        data.x.columns.iter().map(|column| mean_and_variance(column.iter().copied()).1).fold(0.0f64, f64::max);
    let epsilon = var_smoothing * largest_variance;
    let mut theta = Vec::with_capacity(data.n_classes);
    let mut var = Vec::with_capacity(data.n_classes);
    let mut counts = vec![0usize; data.n_classes];
    codes.iter().for_each(|&code| counts[code] += 1);
    for class in 0..data.n_classes {
        let rows: Vec<usize> = (0..codes.len()).filter(|&row| codes[row] == class).collect();
        let (means, variances): (Vec<f64>, Vec<f64>) = data
            .x
            .columns
            .iter()
            .map(|column| match rows.is_empty() {
                true => (0.0, 0.0),
                false => mean_and_variance(rows.iter().map(|&row| column[row])),
            })
            .map(|(mean, variance)| (mean, variance + epsilon))
            .unzip();
        theta.push(means);
        var.push(variances);
    }
    let total = codes.len() as f64;
    let class_prior = counts.iter().map(|&count| count as f64 / total).collect();
    if var.iter().flatten().any(|&v| v <= 0.0) {
        return Err(LearnError::Numerical {
            step: "GaussianNB".to_string(),
            message: "every feature is constant, so no variance can be estimated (raise var_smoothing?)".to_string(),
        });
    }
    Ok(FittedModel::NaiveBayes(FittedGaussianNb { theta, var, class_prior }))
}

impl FittedGaussianNb {
    /// Joint log-likelihood per row and class, row-major.
    fn joint_log_likelihood(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), "GaussianNB")?;
        let n_classes = self.class_prior.len();
        let mut jll = vec![0.0; x.n_rows * n_classes];
        for class in 0..n_classes {
            let prior = self.class_prior[class].ln();
            let normaliser = -0.5 * self.var[class].iter().map(|v| (2.0 * std::f64::consts::PI * v).ln()).sum::<f64>();
            for row in 0..x.n_rows {
                let distance: f64 = x
                    .columns
                    .iter()
                    .zip(self.theta[class].iter().zip(&self.var[class]))
                    .map(|(column, (mean, variance))| (column[row] - mean).powi(2) / variance)
                    .sum();
                jll[row * n_classes + class] = prior + (normaliser - 0.5 * distance);
            }
        }
        Ok(jll)
    }
}

impl Fitted for FittedGaussianNb {
    fn validate(&self) -> Result<(), String> {
        let (n_classes, n_features) = (self.class_prior.len(), self.n_features());
        if n_classes < 2 || n_features == 0 {
            return Err(format!("{n_classes} classes and {n_features} features (need 2 and 1 at least)"));
        }
        validate::length("theta", self.theta.len(), n_classes)?;
        validate::length("var", self.var.len(), n_classes)?;
        validate::finite("class_prior", &self.class_prior)?;
        for (class, (theta, var)) in self.theta.iter().zip(&self.var).enumerate() {
            validate::length(&format!("theta[{class}]"), theta.len(), n_features)?;
            validate::length(&format!("var[{class}]"), var.len(), n_features)?;
            validate::finite(&format!("theta[{class}]"), theta)?;
            validate::finite(&format!("var[{class}]"), var)?;
            if let Some(at) = var.iter().position(|&v| v <= 0.0) {
                return Err(format!("var[{class}][{at}] is {} (a variance must be positive)", var[at]));
            }
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let jll = self.joint_log_likelihood(x)?;
        Ok(jll.chunks(self.class_prior.len()).map(|row| argmax(row) as f64).collect())
    }
    fn n_features(&self) -> usize {
        self.theta.first().map_or(0, Vec::len)
    }
    fn is_finite(&self) -> bool {
        self.theta.iter().chain(&self.var).flatten().chain(&self.class_prior).all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.joint_log_likelihood(x).map(|mut jll| {
            softmax_rows(&mut jll, self.class_prior.len());
            jll
        }))
    }
}

/// PyCaret's `nb`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "nb",
    name: "Naive Bayes",
    class: "sklearn.naive_bayes.GaussianNB",
    family: "naive_bayes",
    task: Task::Classification,
    turbo: true,
    randomised: false,
    params: &[ParamSpec {
        name: "var_smoothing",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1e-9),
        help: "share of the largest feature variance added to every variance, for stability",
    }],
    fit: fit_nb,
}];
