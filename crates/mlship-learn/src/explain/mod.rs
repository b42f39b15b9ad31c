//! Explanations of a fitted model's predictions: SHAP values per row and
//! feature, and permutation importance.
//!
//! - `tree_shap`: exact path-dependent TreeSHAP for trees and ensembles of
//!   trees (shap's `TreeExplainer`, `feature_perturbation="tree_path_dependent"`).
//!   CatBoost's symmetric trees are not covered: they do not store leaf
//!   weights (training rows per leaf), so they get permutation SHAP; nor are
//!   AdaBoost's (a weighted median of trees is not a sum of them).
//! - `linear`: exact linear SHAP with independent features (shap's
//!   `LinearExplainer` with an `Independent` masker).
//! - `permutation`: model-agnostic permutation SHAP (shap's
//!   `PermutationExplainer`) and scikit-learn's `permutation_importance`.
//! - `aggregate`: the engineered features summed back to the input columns
//!   they were made from.
//!
//! Values explain the model's raw output on the engineered features: a
//! regressor's prediction (before any target transform is undone), a tree
//! classifier's class probabilities (scikit-learn trees and forests), a
//! boosted or linear classifier's margin (log-odds, one per class for more
//! than two classes).

pub mod aggregate;
pub mod linear;
pub mod permutation;
pub mod tree_shap;

use crate::matrix::Matrix;
use crate::models::FittedModel;
use crate::LearnError;
use serde::Serialize;

/// Which explainer computed the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact path-dependent TreeSHAP.
    Tree,
    /// Exact linear SHAP (independent features).
    Linear,
    /// Permutation SHAP over a background sample.
    Permutation,
}

impl Method {
    /// The method's name, as `--method` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Tree => "tree",
            Method::Linear => "linear",
            Method::Permutation => "permutation",
        }
    }
}

/// What the explained output measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A regressor's prediction.
    Value,
    /// A class probability.
    Probability,
    /// A class's raw score (log-odds for a binary classifier).
    Margin,
}

/// SHAP values of some rows: `expected_value[k] + Σ_j value(i, j, k)` is
/// output `k` of the model for row `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The explainer.
    pub method: Method,
    /// What the outputs measure.
    pub kind: OutputKind,
    /// Each output's class code (`None` for a regressor's single output).
    pub classes: Vec<Option<usize>>,
    /// The model's expected output, one per output.
    pub expected_value: Vec<f64>,
    /// Rows explained.
    pub n_rows: usize,
    /// Features per row.
    pub n_features: usize,
    /// Row-major: `values[(i * n_features + j) * n_outputs + k]`.
    pub values: Vec<f64>,
}

impl Explanation {
    /// The number of outputs explained.
    pub fn n_outputs(&self) -> usize {
        self.expected_value.len()
    }

    /// The value of row `i`, feature `j`, output `k`.
    pub fn value(&self, i: usize, j: usize, k: usize) -> f64 {
        self.values.get((i * self.n_features + j) * self.n_outputs() + k).copied().unwrap_or(0.0)
    }

    /// The mean over rows (and outputs) of each feature's |value|.
    pub fn mean_abs(&self) -> Vec<f64> {
        let n_outputs = self.n_outputs();
        let mut means = vec![0.0; self.n_features];
        for row in self.values.chunks(self.n_features * n_outputs.max(1)) {
            for (j, feature) in row.chunks(n_outputs.max(1)).enumerate() {
                means[j] += feature.iter().map(|v| v.abs()).sum::<f64>();
            }
        }
        let count = (self.n_rows * n_outputs).max(1) as f64;
        means.iter_mut().for_each(|v| *v /= count);
        means
    }
}

/// Which explainer to use: `Auto` picks the exact one the model allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Tree for tree models, linear for linear models, else permutation.
    Auto,
    /// A specific method (an error when the model does not allow it).
    Only(Method),
}

impl std::str::FromStr for Choice {
    type Err = LearnError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "auto" => Choice::Auto,
            "tree" => Choice::Only(Method::Tree),
            "linear" => Choice::Only(Method::Linear),
            "permutation" => Choice::Only(Method::Permutation),
            other => {
                return Err(LearnError::InvalidOption(format!(
                    "unknown explain method \"{other}\" (expected auto, tree, linear or permutation)"
                )))
            }
        })
    }
}

/// The method `choice` resolves to for `model`; asking a model for an exact
/// method it does not allow is an error naming the model family.
pub fn resolve(model: &FittedModel, choice: Choice) -> Result<Method, LearnError> {
    let kind = || crate::pipeline::model_kind(model);
    match choice {
        Choice::Auto if tree_shap::supports(model) => Ok(Method::Tree),
        Choice::Auto if linear::supports(model) => Ok(Method::Linear),
        Choice::Auto => Ok(Method::Permutation),
        Choice::Only(Method::Tree)
            if matches!(model, FittedModel::Oblivious(_) | FittedModel::ObliviousClassifier(_)) =>
        {
            Err(LearnError::InvalidOption(
                "--method tree: this CatBoost model does not store its leaf weights (training rows per leaf), \
                 which TreeSHAP needs; use --method permutation (auto does)"
                    .to_string(),
            ))
        }
        Choice::Only(Method::Tree) if !tree_shap::supports(model) => Err(LearnError::InvalidOption(format!(
            "--method tree needs a tree model (dt, rf, et, gbr, gbc, lightgbm, xgboost); this model is {}",
            kind()
        ))),
        Choice::Only(Method::Linear) if !linear::supports(model) => Err(LearnError::InvalidOption(format!(
            "--method linear needs a linear model (coefficients and an intercept); this model is {}",
            kind()
        ))),
        Choice::Only(method) => Ok(method),
    }
}

/// Explains every row of `x` (the model's input matrix) with `method`;
/// `background` is the matrix the linear and permutation explainers average
/// over (the training data's role in shap's maskers).
pub fn explain(
    model: &FittedModel,
    method: Method,
    x: &Matrix,
    background: &Matrix,
    seed: u32,
) -> Result<Explanation, LearnError> {
    match method {
        Method::Tree => tree_shap::explain(model, x),
        Method::Linear => linear::explain(model, x, background),
        Method::Permutation => permutation::explain(model, x, background, seed),
    }
}

#[cfg(test)]
mod tests;
