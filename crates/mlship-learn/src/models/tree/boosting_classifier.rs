//! Gradient boosting for classification (`gbc`): scikit-learn 1.4's
//! `GradientBoostingClassifier` with the log loss, reproducing
//! `sklearn/ensemble/_gb.py` and the half binomial / half multinomial losses
//! of `sklearn/_loss` on the regressor's tree engine.
//!
//! Two classes: one regression tree per stage on the raw log-odds, which
//! start at the prior's `logit` (`DummyClassifier(strategy="prior")`, the
//! prior clipped to `[eps, 1 - eps]` with float32's epsilon, as there).
//! More classes: `K` trees per stage, one per class, on raw scores that
//! start at the symmetric multinomial logit of the priors
//! (`log(p_k / gmean(p))`); probabilities are their softmax. Every tree fits
//! the negative gradient computed once at the start of its stage (the
//! residual `y - p`, with `libm`'s `exp` exactly as the Cython loss writes
//! it), then each leaf takes one Newton step on its in-bag rows,
//! `mean(residual) / mean(p (1 - p))` (times `(K - 1) / K` for more than two
//! classes, Friedman's factor that scikit-learn keeps), and the stage adds
//! `learning_rate` times it.
//!
//! Random draws are the regressor's (`boosting`): one `RandomState` for the
//! whole fit, `_random_sample_mask` once per stage when `subsample < 1`, then
//! one `rand_r` seed per tree. The trees use the criterion named, as
//! scikit-learn 1.4 does: `friedman_mse` (the default) ranks splits by
//! Friedman's improvement, whose rounding differs from the variance proxy's,
//! and on the stage's few distinct residuals the two can pick different
//! splits among near-ties.
//!
//! A training fold that misses classes of the target is fitted on the
//! classes it has, as scikit-learn would be; the missing ones get
//! probability 0 and decision value minus infinity. `loss="exponential"`,
//! `init`, `warm_start` and early stopping (`n_iter_no_change`) are not
//! implemented (PyCaret's defaults use none of them) and not declared.

use super::boosting::{boosted_importances, random_sample_mask};
use super::builder::build_tree;
use super::config::*;
use super::criterion::CriterionKind;
use super::node::{self, TreeNodes};
use super::splitter::RAND_R_MAX;
use super::{float32_columns, forest};
use crate::matrix::Matrix;
use crate::models::discriminant::{present_classes, spread, Present};
use crate::models::random::NumpyRandom;
use crate::models::{validate, Fitted, FittedModel, TrainingData};
use crate::numpy::{argmax, numpy_mean, pairwise_sum};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;
use serde::{Deserialize, Serialize};

const MODEL: &str = "GradientBoostingClassifier";

/// A fitted gradient-boosted classifier: per raw score, `init + learning_rate * sum(trees)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBoostedClassifier {
    /// The number of input features.
    pub n_features: usize,
    /// The number of classes of the whole target.
    pub n_classes: usize,
    /// The class codes present in training, sorted (scikit-learn's `classes_`).
    pub classes: Vec<usize>,
    /// The initial raw score of each tree of a stage: one (the log-odds of
    /// the second class) for two classes, else one per class.
    pub init: Vec<f64>,
    /// The shrinkage applied to every tree's leaf values.
    pub learning_rate: f64,
    /// Per raw score, its trees in stage order (leaf values before shrinkage).
    pub trees: Vec<Vec<TreeNodes>>,
    /// scikit-learn's `feature_importances_`: the mean over every tree that
    /// splits of its un-normalised impurity decreases, normalised.
    pub feature_importances: Vec<f64>,
}

impl FittedBoostedClassifier {
    /// The raw scores (scikit-learn's `_raw_predict`), row-major, one per tree of a stage.
    fn raw(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, MODEL)?;
        let scores = self.init.len();
        if self.trees.len() != scores || scores != if self.classes.len() == 2 { 1 } else { self.classes.len() } {
            return Err(LearnError::InvalidOption(format!("the stored {MODEL} is inconsistent (a damaged artifact?)")));
        }
        let rows = node::rows_f32(x);
        let mut out = vec![0.0; x.n_rows * scores];
        let mut column = vec![0.0; x.n_rows];
        for (k, (trees, &init)) in self.trees.iter().zip(&self.init).enumerate() {
            column.iter_mut().for_each(|v| *v = init);
            // Each score adds its trees in stage order, as `predict_stages` does.
            forest::add_trees(trees, &rows, self.n_features, self.learning_rate, &mut column);
            for (row, &value) in column.iter().enumerate() {
                out[row * scores + k] = value;
            }
        }
        Ok(out)
    }
}

impl Fitted for FittedBoostedClassifier {
    fn validate(&self) -> Result<(), String> {
        let k = self.classes.len();
        if k < 2 || k > self.n_classes {
            return Err(format!("{k} classes present of {} (need 2 at least)", self.n_classes));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        let scores = if k == 2 { 1 } else { k };
        validate::length("init", self.init.len(), scores)?;
        validate::length("trees", self.trees.len(), scores)?;
        validate::finite("init", &self.init)?;
        validate::finite_one("learning_rate", self.learning_rate)?;
        let stages = self.trees[0].len();
        for (i, trees) in self.trees.iter().enumerate() {
            validate::length(&format!("trees[{i}]"), trees.len(), stages)?;
            validate::forest(trees, self.n_features, &self.feature_importances)?;
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let raw = self.raw(x)?;
        Ok(if self.init.len() == 1 {
            raw.iter().map(|&s| self.classes[usize::from(s >= 0.0)] as f64).collect()
        } else {
            raw.chunks(self.init.len()).map(|row| self.classes[argmax(row)] as f64).collect()
        })
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.init.iter().all(|v| v.is_finite())
            && self.learning_rate.is_finite()
            && self.trees.iter().flatten().all(TreeNodes::is_finite)
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.raw(x).map(|mut raw| {
            if self.init.len() == 1 {
                let pairs: Vec<f64> = raw
                    .iter()
                    .flat_map(|&s| {
                        let p = expit(s);
                        [1.0 - p, p]
                    })
                    .collect();
                spread(&pairs, &self.classes, self.n_classes, 0.0)
            } else {
                softmax(&mut raw, self.init.len());
                spread(&raw, &self.classes, self.n_classes, 0.0)
            }
        }))
    }
    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.raw(x).map(|raw| {
            if self.n_classes == 2 {
                raw
            } else if self.init.len() == 1 {
                // Two classes present of more: the second's score and its negation.
                let pairs: Vec<f64> = raw.iter().flat_map(|&s| [-s, s]).collect();
                spread(&pairs, &self.classes, self.n_classes, f64::NEG_INFINITY)
            } else {
                spread(&raw, &self.classes, self.n_classes, f64::NEG_INFINITY)
            }
        }))
    }
}

/// scipy's `expit`: `1 / (1 + exp(-x))`.
fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// scikit-learn's `extmath.softmax` on rows of `per_row` scores: `exp(s - max) / sum`.
fn softmax(scores: &mut [f64], per_row: usize) {
    for row in scores.chunks_mut(per_row) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.iter_mut().for_each(|v| *v = (*v - max).exp());
        let sum = pairwise_sum(row);
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

/// `gbc`'s declared parameters, in scikit-learn's signature order.
pub(crate) const GBC_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "loss",
        kinds: &[ParamKind::Choice(&["log_loss"])],
        default: DefaultValue::Str("log_loss"),
        help: "the loss whose negative gradient each tree fits (the binomial or multinomial log loss)",
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
        help: "the fraction of rows each stage fits on (below 1: stochastic gradient boosting)",
    },
    ParamSpec {
        name: "criterion",
        kinds: &[ParamKind::Choice(&["friedman_mse", "squared_error"])],
        default: DefaultValue::Str("friedman_mse"),
        help: "the split criterion of the regression trees: Friedman's improvement or the variance's",
    },
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    ParamSpec { default: DefaultValue::Int(3), ..MAX_DEPTH },
    MIN_IMPURITY_DECREASE,
    RANDOM_STATE,
    MAX_FEATURES_ALL,
    MAX_LEAF_NODES,
    CCP_ALPHA,
];

/// The initial raw scores: the prior's log-odds (two classes) or the
/// symmetric multinomial logit of the priors (`_init_raw_predictions`).
fn init_scores(counts: &[usize], n: usize) -> Vec<f64> {
    let eps = f64::from(f32::EPSILON);
    let priors: Vec<f64> = counts.iter().map(|&c| (c as f64 / n as f64).clamp(eps, 1.0 - eps)).collect();
    if priors.len() == 2 {
        let p = priors[1];
        return vec![(p / (1.0 - p)).ln()];
    }
    // scipy's gmean: exp(mean(log p)).
    let logs: Vec<f64> = priors.iter().map(|p| p.ln()).collect();
    let gmean = numpy_mean(&logs).exp();
    priors.iter().map(|p| (p / gmean).ln()).collect()
}

/// The negative gradient of the log loss at `raw` (row-major, `scores` per
/// row) for rows of class position `index`, column-major (one column per score).
fn negative_gradient(raw: &[f64], index: &[usize], scores: usize, out: &mut [Vec<f64>]) {
    let mut p = vec![0.0; scores];
    for (i, (row, &class)) in raw.chunks_exact(scores).zip(index).enumerate() {
        if scores == 1 {
            // cgradient_half_binomial: ((1 - y) - y exp(-raw)) / (1 + exp(-raw)).
            let y = if class == 1 { 1.0 } else { 0.0 };
            let e = (-row[0]).exp();
            out[0][i] = -(((1.0 - y) - y * e) / (1.0 + e));
            continue;
        }
        // The multinomial gradient: exp(raw_k - max) / sum - [y == k], summed in order.
        let max = row[1..].iter().fold(row[0], |m, &v| if m < v { v } else { m });
        let mut sum = 0.0;
        for (pk, &r) in p.iter_mut().zip(row) {
            *pk = (r - max).exp();
            sum += *pk;
        }
        for (k, column) in out.iter_mut().enumerate() {
            column[i] = -(p[k] / sum - if class == k { 1.0 } else { 0.0 });
        }
    }
}

/// One Newton step for a leaf's in-bag rows (`_update_terminal_regions`):
/// `mean(residual) * factor / mean(p (1 - p))`, 0 where the hessian vanishes.
fn newton_step(residuals: &[f64], targets: &[f64], factor: f64) -> f64 {
    let m = residuals.len() as f64;
    let hessians: Vec<f64> = residuals
        .iter()
        .zip(targets)
        .map(|(&r, &y)| {
            let prob = y - r;
            prob * (1.0 - prob)
        })
        .collect();
    let mut numerator = pairwise_sum(residuals) / m;
    if factor != 1.0 {
        numerator *= factor;
    }
    let denominator = pairwise_sum(&hessians) / m;
    if denominator.abs() < 1e-150 || m == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

pub(crate) fn fit_gbc(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = float32_columns(data, MODEL)?;
    let (n, n_features) = (data.x.n_rows, x.len());
    let Present { classes, index, counts } = present_classes(data, MODEL)?;
    let scores = if classes.len() == 2 { 1 } else { classes.len() };
    let learning_rate = params.float("learning_rate")?;
    let subsample = params.float("subsample")?;
    let n_estimators = params.usize("n_estimators")?;
    let mut config = tree_config(params, n, n_features, false)?;
    // scikit-learn 1.4 grows the trees with the criterion named (friedman_mse by default).
    config.criterion = match params.value("criterion")? {
        ParamValue::Str(name) if name == "squared_error" => CriterionKind::SquaredError,
        _ => CriterionKind::FriedmanMse,
    };

    let init = init_scores(&counts, n);
    let mut raw: Vec<f64> = (0..n).flat_map(|_| init.iter().copied()).collect();
    // The targets each score's leaves step towards: 1 for the rows of its class.
    let targets: Vec<Vec<f64>> = (0..scores)
        .map(|k| {
            let class = if scores == 1 { 1 } else { k };
            index.iter().map(|&c| if c == class { 1.0 } else { 0.0 }).collect()
        })
        .collect();
    let factor = if scores == 1 { 1.0 } else { (classes.len() - 1) as f64 / classes.len() as f64 };
    let rows = node::rows_f32(data.x);
    let mut rng = NumpyRandom::new(params.seed("random_state")?);
    let n_in_bag = ((subsample * n as f64) as usize).max(1);
    let mut trees: Vec<Vec<TreeNodes>> = vec![Vec::with_capacity(n_estimators); scores];
    let mut gradient = vec![vec![0.0; n]; scores];
    let (mut residuals, mut leaf_targets) = (Vec::new(), Vec::new());
    for _ in 0..n_estimators {
        let mask = if subsample < 1.0 { Some(random_sample_mask(n, n_in_bag, &mut rng)) } else { None };
        let weights: Option<Vec<f64>> = mask.as_ref().map(|m| m.iter().map(|&b| f64::from(u8::from(b))).collect());
        negative_gradient(&raw, &index, scores, &mut gradient);
        for k in 0..scores {
            let seed = rng.randint(RAND_R_MAX as usize) as u32;
            let mut tree = build_tree(&x, &gradient[k], weights.as_deref(), &config, seed);
            let leaves: Vec<usize> = rows.chunks_exact(n_features).map(|row| tree.apply_row(row)).collect();
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
                residuals.extend(rows_in_leaf.iter().map(|&i| gradient[k][i]));
                leaf_targets.clear();
                leaf_targets.extend(rows_in_leaf.iter().map(|&i| targets[k][i]));
                tree.value[leaf] = newton_step(&residuals, &leaf_targets, factor);
            }
            for (i, &leaf) in leaves.iter().enumerate() {
                raw[i * scores + k] += learning_rate * tree.value[leaf];
            }
            trees[k].push(tree);
        }
    }
    // scikit-learn averages over the trees stage by stage.
    let stage_major = (0..n_estimators).flat_map(|stage| trees.iter().map(move |per_score| &per_score[stage]));
    let feature_importances = boosted_importances(stage_major, n_features);
    Ok(FittedModel::BoostedClassifier(FittedBoostedClassifier {
        n_features,
        n_classes: data.n_classes,
        classes,
        init,
        learning_rate,
        trees,
        feature_importances,
    }))
}
