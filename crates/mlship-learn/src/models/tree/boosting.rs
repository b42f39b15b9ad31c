//! Gradient boosting (`gbr`): scikit-learn's `GradientBoostingRegressor`,
//! reproducing `sklearn/ensemble/_gb.py` and `_gradient_boosting.pyx`.
//!
//! The model starts from the `init` constant (`DummyRegressor`: the mean for
//! squared error, the median for absolute error and Huber, the `alpha`
//! quantile for quantile loss, computed as numpy does) and adds
//! `n_estimators` regression trees, each fitted (squared error, whatever the
//! deprecated `criterion` says, as in scikit-learn 1.9) to the negative
//! gradient of the loss at the current raw predictions. For the losses other
//! than squared error the leaves are then re-valued by a line search on the
//! rows in the bag (`_update_terminal_regions`): the weighted median of the
//! residuals (absolute error), their `alpha` weighted percentile (quantile),
//! or the median plus the mean clipped deviation (Huber, with `delta` the
//! `alpha` weighted percentile of the absolute residuals of the stage).
//! Every stage adds `learning_rate` times its leaf values.
//!
//! Random draws follow scikit-learn: one `RandomState(random_state)` is
//! shared by the stages; with `subsample < 1` each stage first draws
//! `uniform(size=n)` for `_random_sample_mask` (in-bag rows get weight 1,
//! the others 0), then the tree's splitter draws its `rand_r` seed from the
//! same generator. Parity is therefore exact for any `subsample` wherever no
//! tie in split gains is decided by the last bit of a sum (the tie rule is
//! the tree engine's: the first feature visited with the strictly largest
//! gain wins). `validation_fraction`, `n_iter_no_change`, `tol`, `init`
//! other than its default and `warm_start` are not implemented (PyCaret's
//! defaults do not use them) and not declared.

use super::builder::{build_tree, TreeConfig};
use super::config::*;
use super::criterion::CriterionKind;
use super::node::{self, TreeNodes};
use super::splitter::RAND_R_MAX;
use super::{float32_columns, forest};
use crate::matrix::Matrix;
use crate::models::random::NumpyRandom;
use crate::models::{Fitted, FittedModel, TrainingData};
use crate::numpy::{numpy_mean, pairwise_sum, percentile_linear, weighted_percentile};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted gradient-boosted ensemble: `init + learning_rate * sum(trees)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBoosted {
    /// The number of input features.
    pub n_features: usize,
    /// The initial raw prediction (the `init` estimator's constant).
    pub init: f64,
    /// The shrinkage applied to every tree's leaf values.
    pub learning_rate: f64,
    /// The stages' trees, in order (leaf values before shrinkage).
    pub trees: Vec<TreeNodes>,
    /// scikit-learn's `feature_importances_`: the mean over the trees that
    /// split of their un-normalised impurity decreases, normalised.
    pub feature_importances: Vec<f64>,
}

impl Fitted for FittedBoosted {
    fn validate(&self) -> Result<(), String> {
        crate::models::validate::finite_one("init", self.init)?;
        crate::models::validate::finite_one("learning_rate", self.learning_rate)?;
        crate::models::validate::forest(&self.trees, self.n_features, &self.feature_importances)
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "GradientBoostingRegressor")?;
        let rows = node::rows_f32(x);
        let mut out = vec![self.init; x.n_rows];
        forest::add_trees(&self.trees, &rows, self.n_features, self.learning_rate, &mut out);
        Ok(out)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.init.is_finite() && self.learning_rate.is_finite() && self.trees.iter().all(TreeNodes::is_finite)
    }
}

/// The loss a `gbr` minimises.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Loss {
    SquaredError,
    AbsoluteError,
    Huber,
    Quantile,
}

const ALPHA_RANGE: ParamKind = ParamKind::Float { min: 0.0, max: 1.0, open_min: true };

/// `gbr`'s declared parameters, in scikit-learn's signature order.
pub(crate) const GBR_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "loss",
        kinds: &[ParamKind::Choice(&["squared_error", "absolute_error", "huber", "quantile"])],
        default: DefaultValue::Str("squared_error"),
        help: "the loss whose negative gradient each tree fits",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(0.1),
        help: "the shrinkage of each tree's contribution",
    },
    N_ESTIMATORS,
    ParamSpec {
        name: "subsample",
        kinds: &[ParamKind::Float { min: 0.0, max: 1.0, open_min: true }],
        default: DefaultValue::Float(1.0),
        help: "the fraction of rows each tree fits on (below 1: stochastic gradient boosting)",
    },
    ParamSpec {
        name: "criterion",
        kinds: &[ParamKind::Choice(&["friedman_mse", "squared_error"])],
        default: DefaultValue::Str("friedman_mse"),
        help: "no effect, as in scikit-learn 1.9 (deprecated there): both rank splits alike",
    },
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    ParamSpec { default: DefaultValue::Int(3), ..MAX_DEPTH },
    MIN_IMPURITY_DECREASE,
    RANDOM_STATE,
    MAX_FEATURES_ALL,
    ParamSpec {
        name: "alpha",
        kinds: &[ALPHA_RANGE],
        default: DefaultValue::Float(0.9),
        help: "the quantile of the quantile loss and of Huber's delta (strictly between 0 and 1)",
    },
    MAX_LEAF_NODES,
    CCP_ALPHA,
];

fn loss_of(params: &Params) -> Result<Loss, LearnError> {
    match params.value("loss")? {
        ParamValue::Str(name) => match name.as_str() {
            "squared_error" => Ok(Loss::SquaredError),
            "absolute_error" => Ok(Loss::AbsoluteError),
            "huber" => Ok(Loss::Huber),
            "quantile" => Ok(Loss::Quantile),
            other => Err(LearnError::InvalidOption(format!("gbr: unknown loss \"{other}\""))),
        },
        other => Err(LearnError::InvalidOption(format!("gbr: unknown loss {other}"))),
    }
}

/// scikit-learn's `_random_sample_mask`: `n_in_bag` of `n` rows, drawn from
/// `uniform(size=n)` by selection sampling.
pub(super) fn random_sample_mask(n: usize, n_in_bag: usize, rng: &mut NumpyRandom) -> Vec<bool> {
    let uniform: Vec<f64> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let mut bagged = 0usize;
    uniform
        .iter()
        .enumerate()
        .map(|(i, &u)| {
            let take = u * ((n - i) as f64) < (n_in_bag - bagged) as f64;
            bagged += usize::from(take);
            take
        })
        .collect()
}

/// The new value of a leaf holding the in-bag `rows` (scikit-learn's
/// `loss.fit_intercept_only` on their residuals, with unit weights).
fn leaf_update(loss: Loss, residuals: &[f64], alpha: f64, delta: f64) -> f64 {
    let ones = vec![1.0; residuals.len()];
    match loss {
        Loss::SquaredError => f64::NAN,
        Loss::AbsoluteError => weighted_percentile(residuals, &ones, 50.0),
        Loss::Quantile => weighted_percentile(residuals, &ones, 100.0 * alpha),
        Loss::Huber => {
            let median = weighted_percentile(residuals, &ones, 50.0);
            let terms: Vec<f64> = residuals
                .iter()
                .map(|&r| {
                    let diff = r - median;
                    let clipped = delta.min(diff.abs());
                    if diff > 0.0 {
                        clipped
                    } else if diff < 0.0 {
                        -clipped
                    } else {
                        0.0
                    }
                })
                .collect();
            // np.average(term, weights=ones): sum(term * 1) / sum(ones).
            median + pairwise_sum(&terms) / pairwise_sum(&ones)
        }
    }
}

pub(crate) fn fit_gbr(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    const MODEL: &str = "GradientBoostingRegressor";
    let x = float32_columns(data, MODEL)?;
    let (n, n_features) = (data.x.n_rows, x.len());
    let y = data.y;
    let loss = loss_of(params)?;
    let alpha = params.float("alpha")?;
    if alpha >= 1.0 {
        return Err(LearnError::InvalidOption(format!("gbr: alpha must be below 1 (got {alpha})")));
    }
    let learning_rate = params.float("learning_rate")?;
    let subsample = params.float("subsample")?;
    let n_estimators = params.usize("n_estimators")?;
    let mut config: TreeConfig = tree_config(params, n, n_features, false)?;
    config.criterion = CriterionKind::SquaredError;

    let init = match loss {
        Loss::SquaredError => numpy_mean(y),
        Loss::AbsoluteError | Loss::Huber => percentile_linear(y, 50.0),
        Loss::Quantile => percentile_linear(y, alpha * 100.0),
    };
    let rows = node::rows_f32(data.x);
    let mut raw = vec![init; n];
    let mut rng = NumpyRandom::new(params.seed("random_state")?);
    let n_in_bag = ((subsample * n as f64) as usize).max(1);
    let mut trees = Vec::with_capacity(n_estimators);
    let mut gradient = vec![0.0; n];
    let mut residuals = Vec::new();
    for _ in 0..n_estimators {
        let mask = if subsample < 1.0 { Some(random_sample_mask(n, n_in_bag, &mut rng)) } else { None };
        let delta = if loss == Loss::Huber {
            let abs_errors: Vec<f64> = y.iter().zip(&raw).map(|(t, r)| (t - r).abs()).collect();
            weighted_percentile(&abs_errors, &vec![1.0; n], 100.0 * alpha)
        } else {
            0.0
        };
        for ((g, &t), &r) in gradient.iter_mut().zip(y).zip(&raw) {
            // The negative gradient of each loss (scikit-learn's `-loss.gradient`).
            *g = match loss {
                Loss::SquaredError => -(r - t),
                Loss::AbsoluteError => -(if r > t { 1.0 } else { -1.0 }),
                Loss::Quantile => -(if t >= r { -alpha } else { 1.0 - alpha }),
                Loss::Huber => {
                    let res = r - t;
                    -(if res.abs() <= delta {
                        res
                    } else if res >= 0.0 {
                        delta
                    } else {
                        -delta
                    })
                }
            };
        }
        let weights: Option<Vec<f64>> = mask.as_ref().map(|m| m.iter().map(|&b| f64::from(u8::from(b))).collect());
        let seed = rng.randint(RAND_R_MAX as usize) as u32;
        let mut tree = build_tree(&x, &gradient, weights.as_deref(), &config, seed);
        let leaves: Vec<usize> = rows.chunks_exact(n_features).map(|row| tree.apply_row(row)).collect();
        if loss != Loss::SquaredError {
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); tree.nodes.len()];
            for (i, &leaf) in leaves.iter().enumerate() {
                if mask.as_ref().is_none_or(|m| m[i]) {
                    members[leaf].push(i);
                }
            }
            for (leaf, rows_in_leaf) in members.iter().enumerate() {
                if tree.nodes[leaf].feature != super::LEAF {
                    continue;
                }
                residuals.clear();
                residuals.extend(rows_in_leaf.iter().map(|&i| y[i] - raw[i]));
                // A leaf without in-bag rows (none: the tree fits only them) would be NaN there.
                tree.value[leaf] = leaf_update(loss, &residuals, alpha, delta);
            }
        }
        for (r, &leaf) in raw.iter_mut().zip(&leaves) {
            *r += learning_rate * tree.value[leaf];
        }
        trees.push(tree);
    }
    let feature_importances = boosted_importances(&trees, n_features);
    Ok(FittedModel::Boosted(FittedBoosted { n_features, init, learning_rate, trees, feature_importances }))
}

/// scikit-learn's `BaseGradientBoosting.feature_importances_`.
pub(super) fn boosted_importances<'a>(trees: impl IntoIterator<Item = &'a TreeNodes>, n_features: usize) -> Vec<f64> {
    let relevant: Vec<&TreeNodes> = trees.into_iter().filter(|t| t.nodes.len() > 1).collect();
    let mut mean = vec![0.0; n_features];
    if relevant.is_empty() {
        return mean;
    }
    for tree in &relevant {
        for (total, value) in mean.iter_mut().zip(tree.impurity_decreases(n_features)) {
            *total += value;
        }
    }
    mean.iter_mut().for_each(|v| *v /= relevant.len() as f64);
    let total: f64 = mean.iter().sum();
    if total > 0.0 {
        mean.iter_mut().for_each(|v| *v /= total);
    }
    mean
}
