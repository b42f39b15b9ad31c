//! AdaBoost.R2 (`ada`): scikit-learn's `AdaBoostRegressor`, reproducing
//! `sklearn/ensemble/_weight_boosting.py` with its default base estimator,
//! `DecisionTreeRegressor(max_depth=3)`.
//!
//! Each boost draws, from one `RandomState(random_state)`, the tree's
//! `random_state` (`randint(2**31 - 1)`), then a weighted bootstrap of the
//! rows (numpy's `choice(n, n, p=sample_weight)`: the cumulative weights,
//! normalised, searched for `n` uniform draws). The tree fits the drawn rows
//! (repeats included, unweighted); its errors on every row, scaled by the
//! largest and passed through the loss (linear, square, exponential), give
//! the weighted error `e`, the tree weight `learning_rate * ln((1 - e) / e)`
//! and the new sample weights. Boosting stops early, as there, on a perfect
//! tree (kept with weight 1) or an error of at least 0.5 (that tree is
//! dropped unless it is the only one). Prediction is the weighted median of
//! the trees' predictions. The draws are numpy's, so the trees are
//! scikit-learn's wherever no tie in split gains decides.

use super::builder::{build_tree, TreeConfig};
use super::criterion::CriterionKind;
use super::node::{self, TreeNodes};
use super::{float32_columns, forest};
use crate::matrix::Matrix;
use crate::models::random::NumpyRandom;
use crate::models::{Fitted, FittedModel, TrainingData};
use crate::numpy::pairwise_sum;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted AdaBoost.R2 ensemble: the weighted median of its trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedAdaBoost {
    /// The number of input features.
    pub n_features: usize,
    /// The trees (scikit-learn's `estimators_`).
    pub trees: Vec<TreeNodes>,
    /// Each tree's weight (`estimator_weights_`, one per tree).
    pub estimator_weights: Vec<f64>,
    /// scikit-learn's `feature_importances_`: the trees' importances
    /// averaged with the estimator weights.
    pub feature_importances: Vec<f64>,
}

/// Rows predicted together: every tree walks a block before the medians.
const BLOCK_ROWS: usize = 256;

impl Fitted for FittedAdaBoost {
    fn validate(&self) -> Result<(), String> {
        crate::models::validate::length("estimator_weights", self.estimator_weights.len(), self.trees.len())?;
        crate::models::validate::finite("estimator_weights", &self.estimator_weights)?;
        crate::models::validate::forest(&self.trees, self.n_features, &self.feature_importances)
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "AdaBoostRegressor")?;
        if self.trees.len() != self.estimator_weights.len() {
            return Err(LearnError::InvalidOption(format!(
                "AdaBoostRegressor: {} trees but {} estimator weights",
                self.trees.len(),
                self.estimator_weights.len()
            )));
        }
        let rows = node::rows_f32(x);
        let n_trees = self.trees.len();
        let mut out = Vec::with_capacity(x.n_rows);
        let mut predictions = vec![0.0; BLOCK_ROWS * n_trees];
        let mut order: Vec<usize> = Vec::with_capacity(n_trees);
        for block in rows.chunks(BLOCK_ROWS * self.n_features.max(1)) {
            let block_rows = block.len() / self.n_features.max(1);
            for (t, tree) in self.trees.iter().enumerate() {
                for (i, row) in block.chunks_exact(self.n_features).enumerate() {
                    predictions[i * n_trees + t] = tree.predict_row(row);
                }
            }
            for i in 0..block_rows {
                let row = &predictions[i * n_trees..(i + 1) * n_trees];
                out.push(weighted_median(row, &self.estimator_weights, &mut order));
            }
        }
        Ok(out)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.estimator_weights.iter().all(|w| w.is_finite()) && self.trees.iter().all(TreeNodes::is_finite)
    }
}

/// scikit-learn's `_get_median_predict` for one row: the prediction at which
/// the cumulative weight, in order of prediction, first reaches half the
/// total (the order among equal predictions does not change the value).
fn weighted_median(predictions: &[f64], weights: &[f64], order: &mut Vec<usize>) -> f64 {
    order.clear();
    order.extend(0..predictions.len());
    order.sort_by(|&a, &b| predictions[a].total_cmp(&predictions[b]));
    let total: f64 = order.iter().map(|&t| weights[t]).sum();
    let mut cdf = 0.0;
    for &t in order.iter() {
        cdf += weights[t];
        if cdf >= 0.5 * total {
            return predictions[t];
        }
    }
    order.first().map_or(f64::NAN, |&t| predictions[t])
}

/// `ada`'s declared parameters (the base estimator is fixed, as PyCaret creates it).
pub(crate) const ADA_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_estimators",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(50),
        help: "the most trees boosted (fewer if boosting stops early)",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(1.0),
        help: "the shrinkage of each tree's weight",
    },
    ParamSpec {
        name: "loss",
        kinds: &[ParamKind::Choice(&["linear", "square", "exponential"])],
        default: DefaultValue::Str("linear"),
        help: "how a row's error, scaled by the largest, updates its weight",
    },
    super::config::RANDOM_STATE,
];

/// `DecisionTreeRegressor(max_depth=3)` on `n_features` features.
fn base_tree_config(n_features: usize) -> TreeConfig {
    TreeConfig {
        criterion: CriterionKind::SquaredError,
        max_depth: 3,
        min_samples_split: 2,
        min_samples_leaf: 1,
        min_weight_fraction_leaf: 0.0,
        max_features: n_features,
        max_leaf_nodes: None,
        min_impurity_decrease: 0.0,
        ccp_alpha: 0.0,
        random: false,
        n_classes: 0,
    }
}

/// numpy's `choice(n, size=n, replace=True, p=weights)`: `n` uniform draws
/// searched (`side="right"`) in the cumulative weights divided by their last.
fn weighted_bootstrap(weights: &[f64], rng: &mut NumpyRandom) -> Vec<usize> {
    let mut cdf = Vec::with_capacity(weights.len());
    let mut total = 0.0;
    for &w in weights {
        total += w;
        cdf.push(total);
    }
    let last = total;
    cdf.iter_mut().for_each(|c| *c /= last);
    (0..weights.len())
        .map(|_| {
            let u = rng.random_sample();
            cdf.partition_point(|&c| c <= u).min(weights.len() - 1)
        })
        .collect()
}

pub(crate) fn fit_ada(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    const MODEL: &str = "AdaBoostRegressor";
    let x = float32_columns(data, MODEL)?;
    let (n, n_features) = (data.x.n_rows, x.len());
    let y = data.y;
    let n_estimators = params.usize("n_estimators")?;
    let learning_rate = params.float("learning_rate")?;
    let loss = match params.value("loss")? {
        ParamValue::Str(name) => name.clone(),
        other => other.to_string(),
    };
    let config = base_tree_config(n_features);
    let rows = node::rows_f32(data.x);
    let mut rng = NumpyRandom::new(params.seed("random_state")?);
    let mut sample_weight = vec![1.0 / n as f64; n];
    let mut trees: Vec<TreeNodes> = Vec::new();
    let mut estimator_weights: Vec<f64> = Vec::new();
    let mut errors = vec![0.0; n];
    for iboost in 0..n_estimators {
        sample_weight.iter_mut().for_each(|w| *w = w.max(f64::EPSILON));
        // _make_estimator draws the tree's random_state before the bootstrap.
        let tree_seed = rng.randint(i32::MAX as usize) as u32;
        let drawn = weighted_bootstrap(&sample_weight, &mut rng);
        let x_drawn: Vec<Vec<f32>> = x.iter().map(|column| drawn.iter().map(|&i| column[i]).collect()).collect();
        let y_drawn: Vec<f64> = drawn.iter().map(|&i| y[i]).collect();
        let tree = build_tree(&x_drawn, &y_drawn, None, &config, forest::splitter_seed(tree_seed));
        for ((error, row), &target) in errors.iter_mut().zip(rows.chunks_exact(n_features)).zip(y) {
            *error = (tree.predict_row(row) - target).abs();
        }
        let error_max = errors.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if error_max != 0.0 {
            errors.iter_mut().for_each(|e| *e /= error_max);
        }
        match loss.as_str() {
            "square" => errors.iter_mut().for_each(|e| *e = *e * *e),
            "exponential" => errors.iter_mut().for_each(|e| *e = 1.0 - (-*e).exp()),
            _ => {}
        }
        let weighted: Vec<f64> = sample_weight.iter().zip(&errors).map(|(w, e)| w * e).collect();
        let estimator_error = pairwise_sum(&weighted);
        trees.push(tree);
        if estimator_error <= 0.0 {
            estimator_weights.push(1.0);
            break;
        }
        if estimator_error >= 0.5 {
            if trees.len() > 1 {
                trees.pop();
            } else {
                estimator_weights.push(0.0);
            }
            break;
        }
        let beta = estimator_error / (1.0 - estimator_error);
        estimator_weights.push(learning_rate * (1.0 / beta).ln());
        if iboost != n_estimators - 1 {
            for (w, e) in sample_weight.iter_mut().zip(&errors) {
                *w *= beta.powf((1.0 - e) * learning_rate);
            }
        }
        let sum = pairwise_sum(&sample_weight);
        if !sum.is_finite() || sum <= 0.0 {
            break;
        }
        if iboost < n_estimators - 1 {
            sample_weight.iter_mut().for_each(|w| *w /= sum);
        }
    }
    let feature_importances = ada_importances(&trees, &estimator_weights, n_features);
    Ok(FittedModel::AdaBoost(FittedAdaBoost { n_features, trees, estimator_weights, feature_importances }))
}

/// `sum(weight * tree importances) / sum(weights)` (zeros when every weight is 0).
pub(super) fn ada_importances(trees: &[TreeNodes], weights: &[f64], n_features: usize) -> Vec<f64> {
    let mut total = vec![0.0; n_features];
    for (tree, &weight) in trees.iter().zip(weights) {
        for (sum, value) in total.iter_mut().zip(tree.feature_importances(n_features)) {
            *sum += weight * value;
        }
    }
    let norm = pairwise_sum(weights);
    if norm > 0.0 {
        total.iter_mut().for_each(|v| *v /= norm);
    }
    total
}
