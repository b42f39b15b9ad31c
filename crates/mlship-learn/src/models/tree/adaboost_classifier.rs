//! AdaBoost for classification (`ada`): scikit-learn 1.4's
//! `AdaBoostClassifier` with its default weak learner,
//! `DecisionTreeClassifier(max_depth=1)`, reproducing
//! `sklearn/ensemble/_weight_boosting.py` (1.4.2).
//!
//! Which algorithm: PyCaret 3.3.2's container creates
//! `AdaBoostClassifier(random_state=session_id)` and nothing else, so the
//! algorithm is scikit-learn's default. PyCaret 3.3.2 pins scikit-learn
//! below 1.5, where that default is `"SAMME.R"` (deprecated in 1.4, removed
//! in 1.6; only PyCaret's tuning grid names `"SAMME"`). The default here is
//! therefore `"SAMME.R"`, so `ada`'s numbers are PyCaret's; `"SAMME"` (the
//! issue's wording, and scikit-learn's only algorithm from 1.6) is offered
//! as `algorithm="SAMME"`. (Checked: under PyCaret 3.3.2 and scikit-learn
//! 1.4.2, `create_model("ada").get_params()["algorithm"]` is `"SAMME.R"`.)
//!
//! Each boost draws the stump's `random_state` (`randint(2**31 - 1)`) from
//! one `RandomState(random_state)` and fits it to every row with the current
//! sample weights (no bootstrap, unlike the regressor). Its weighted error
//! `e` decides: 0 stops boosting (the stump kept with weight 1); SAMME stops
//! on `e >= 1 - 1/K` (dropping that stump), else weighs it
//! `learning_rate * (ln((1 - e) / e) + ln(K - 1))` and multiplies the
//! misclassified rows' weights by `exp` of that (as `exp(log(w) + ...)`).
//! SAMME.R weighs every stump 1 and multiplies each row's weight by
//! `exp(-learning_rate (K - 1) / K * sum_k y_k log p_k)` with the symmetric
//! coding `y_k = 1` or `-1 / (K - 1)`. The weights are renormalised after
//! each boost but the last.
//!
//! The decision function is scikit-learn's: SAMME sums `w` for the predicted
//! class and `-w / (K - 1)` for the others, SAMME.R sums
//! `(K - 1) (log p_k - mean_j log p_j)`; both are divided by the sum of the
//! estimator weights (scikit-learn's array of `n_estimators`, zeros after an
//! early stop), and two classes reduce to the second column minus the first.
//! `predict_proba` is the softmax of the decision over `K - 1` (two classes:
//! of `(-d / 2, d / 2)`). Classes missing from a training fold get
//! probability 0 and decision value minus infinity.

use super::adaboost::ada_importances;
use super::builder::{build_tree, TreeConfig};
use super::criterion::CriterionKind;
use super::node::{self, TreeNodes};
use super::{float32_columns, forest};
use crate::matrix::Matrix;
use crate::models::discriminant::{present_classes, spread, Present};
use crate::models::random::NumpyRandom;
use crate::models::{validate, Fitted, FittedModel, TrainingData};
use crate::numpy::{argmax, pairwise_sum};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;
use serde::{Deserialize, Serialize};

const MODEL: &str = "AdaBoostClassifier";

/// The boosting algorithm of an AdaBoost classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdaAlgorithm {
    /// Discrete SAMME: stumps vote their predicted class with a weight.
    Samme,
    /// Real SAMME.R: stumps add their log-probabilities (weights all 1).
    SammeR,
}

/// A fitted AdaBoost classifier: weighted stumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedAdaBoostClassifier {
    /// The number of input features.
    pub n_features: usize,
    /// The number of classes of the whole target.
    pub n_classes: usize,
    /// The class codes present in training, sorted (the stumps' classes are their positions).
    pub classes: Vec<usize>,
    /// SAMME or SAMME.R.
    pub algorithm: AdaAlgorithm,
    /// The stumps (scikit-learn's `estimators_`).
    pub trees: Vec<TreeNodes>,
    /// scikit-learn's `estimator_weights_`: `n_estimators` long, zeros after an early stop.
    pub estimator_weights: Vec<f64>,
    /// The trees' importances averaged with the estimator weights.
    pub feature_importances: Vec<f64>,
}

impl FittedAdaBoostClassifier {
    /// scikit-learn's decision over the classes present, row-major (one column per class present).
    fn decision(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, MODEL)?;
        let k = self.classes.len();
        let consistent = k >= 2
            && self.trees.len() <= self.estimator_weights.len()
            && self.trees.iter().all(|tree| tree.n_classes == k);
        if !consistent {
            return Err(LearnError::InvalidOption(format!("the stored {MODEL} is inconsistent (a damaged artifact?)")));
        }
        let rows = node::rows_f32(x);
        let mut pred = vec![0.0; x.n_rows * k];
        let other = -1.0 / (k as f64 - 1.0);
        let mut log_proba = vec![0.0; k];
        for (tree, &w) in self.trees.iter().zip(&self.estimator_weights) {
            for (row, out) in rows.chunks_exact(self.n_features).zip(pred.chunks_exact_mut(k)) {
                let fractions = tree.class_row(tree.apply_row(row));
                match self.algorithm {
                    AdaAlgorithm::Samme => {
                        let predicted = argmax(fractions);
                        for (class, value) in out.iter_mut().enumerate() {
                            *value += if class == predicted { w } else { other * w };
                        }
                    }
                    AdaAlgorithm::SammeR => {
                        // _samme_proba: (K - 1) (log p - (1 / K) sum(log p)), p clipped at eps.
                        for (l, &p) in log_proba.iter_mut().zip(fractions) {
                            *l = p.max(f64::EPSILON).ln();
                        }
                        let mut sum = 0.0;
                        log_proba.iter().for_each(|l| sum += l);
                        let centre = (1.0 / k as f64) * sum;
                        for (value, &l) in out.iter_mut().zip(&log_proba) {
                            *value += (k as f64 - 1.0) * (l - centre);
                        }
                    }
                }
            }
        }
        let total = pairwise_sum(&self.estimator_weights);
        pred.iter_mut().for_each(|v| *v /= total);
        Ok(pred)
    }
}

impl Fitted for FittedAdaBoostClassifier {
    fn validate(&self) -> Result<(), String> {
        let k = self.classes.len();
        if k < 2 || k > self.n_classes {
            return Err(format!("{k} classes present of {} (need 2 at least)", self.n_classes));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        if self.trees.len() > self.estimator_weights.len() {
            return Err(format!("{} trees but {} estimator weights", self.trees.len(), self.estimator_weights.len()));
        }
        if let Some(bad) = self.trees.iter().position(|tree| tree.n_classes != k) {
            return Err(format!("trees[{bad}] has {} classes, not {k}", self.trees[bad].n_classes));
        }
        validate::finite("estimator_weights", &self.estimator_weights)?;
        validate::forest(&self.trees, self.n_features, &self.feature_importances)
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let pred = self.decision(x)?;
        let k = self.classes.len();
        Ok(pred
            .chunks_exact(k)
            .map(|row| {
                let position = if k == 2 { usize::from(row[1] - row[0] > 0.0) } else { argmax(row) };
                self.classes[position] as f64
            })
            .collect())
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.estimator_weights.iter().all(|w| w.is_finite()) && self.trees.iter().all(TreeNodes::is_finite)
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let k = self.classes.len();
        Some(self.decision(x).map(|pred| {
            let mut scores: Vec<f64> = if k == 2 {
                pred.chunks_exact(2)
                    .flat_map(|row| {
                        let d = -row[0] + row[1];
                        [-d / 2.0, d / 2.0]
                    })
                    .collect()
            } else {
                pred.iter().map(|v| v / (k as f64 - 1.0)).collect()
            };
            for row in scores.chunks_mut(k) {
                // scikit-learn's extmath.softmax: exp(s - max) / sum.
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                row.iter_mut().for_each(|v| *v = (*v - max).exp());
                let sum = pairwise_sum(row);
                row.iter_mut().for_each(|v| *v /= sum);
            }
            spread(&scores, &self.classes, self.n_classes, 0.0)
        }))
    }
    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let k = self.classes.len();
        Some(self.decision(x).map(|pred| {
            if k == 2 {
                let d: Vec<f64> = pred.chunks_exact(2).map(|row| -row[0] + row[1]).collect();
                if self.n_classes == 2 {
                    d
                } else {
                    let pairs: Vec<f64> = d.iter().flat_map(|&s| [-s, s]).collect();
                    spread(&pairs, &self.classes, self.n_classes, f64::NEG_INFINITY)
                }
            } else {
                spread(&pred, &self.classes, self.n_classes, f64::NEG_INFINITY)
            }
        }))
    }
}

/// `ada`'s declared parameters (the weak learner is fixed, as PyCaret creates it).
pub(crate) const ADA_CLS_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_estimators",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(50),
        help: "the most stumps boosted (fewer if boosting stops early)",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(1.0),
        help: "the shrinkage of each stump's contribution",
    },
    ParamSpec {
        name: "algorithm",
        kinds: &[ParamKind::Choice(&["SAMME.R", "SAMME"])],
        default: DefaultValue::Str("SAMME.R"),
        help: "SAMME.R (real: stumps add log-probabilities; scikit-learn 1.4's default, which PyCaret 3.3.2 runs) \
               or SAMME (discrete: weighted votes)",
    },
    super::config::RANDOM_STATE,
];

/// `DecisionTreeClassifier(max_depth=1)` on `n_features` features and `n_classes` classes.
fn stump_config(n_features: usize, n_classes: usize) -> TreeConfig {
    TreeConfig {
        criterion: CriterionKind::Gini,
        max_depth: 1,
        min_samples_split: 2,
        min_samples_leaf: 1,
        min_weight_fraction_leaf: 0.0,
        max_features: n_features,
        max_leaf_nodes: None,
        min_impurity_decrease: 0.0,
        ccp_alpha: 0.0,
        random: false,
        n_classes,
    }
}

pub(crate) fn fit_ada_classifier(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = float32_columns(data, MODEL)?;
    let (n, n_features) = (data.x.n_rows, x.len());
    let Present { classes, index, .. } = present_classes(data, MODEL)?;
    let k = classes.len();
    let kf = k as f64;
    let n_estimators = params.usize("n_estimators")?;
    let learning_rate = params.float("learning_rate")?;
    let algorithm = match params.value("algorithm")? {
        ParamValue::Str(name) if name == "SAMME" => AdaAlgorithm::Samme,
        _ => AdaAlgorithm::SammeR,
    };
    // The stumps learn the positions of the classes present, as scikit-learn's see only those.
    let y: Vec<f64> = index.iter().map(|&c| c as f64).collect();
    let config = stump_config(n_features, k);
    let rows = node::rows_f32(data.x);
    let mut rng = NumpyRandom::new(params.seed("random_state")?);
    let mut sample_weight = vec![1.0; n];
    let total = pairwise_sum(&sample_weight);
    sample_weight.iter_mut().for_each(|w| *w /= total);
    let mut trees: Vec<TreeNodes> = Vec::new();
    let mut estimator_weights = Vec::with_capacity(n_estimators);
    let mut incorrect = vec![0.0; n];
    let mut weighted = vec![0.0; n];
    let mut boost_weight = vec![0.0; n];
    let coding_other = -1.0 / (kf - 1.0);
    for iboost in 0..n_estimators {
        sample_weight.iter_mut().for_each(|w| *w = w.max(f64::EPSILON));
        let tree_seed = rng.randint(i32::MAX as usize) as u32;
        let tree = build_tree(&x, &y, Some(&sample_weight), &config, forest::splitter_seed(tree_seed));
        let last = iboost == n_estimators - 1;
        for (i, row) in rows.chunks_exact(n_features).enumerate() {
            let fractions = tree.class_row(tree.apply_row(row));
            let predicted = argmax(fractions);
            incorrect[i] = if predicted == index[i] { 0.0 } else { 1.0 };
            if algorithm == AdaAlgorithm::SammeR {
                // -lr (K - 1) / K * sum_k coding_k log(max(p_k, eps)), summed over classes in order.
                let mut sum = 0.0;
                for (class, &p) in fractions.iter().enumerate() {
                    let coding = if class == index[i] { 1.0 } else { coding_other };
                    sum += coding * p.max(f64::EPSILON).ln();
                }
                boost_weight[i] = -learning_rate * ((kf - 1.0) / kf) * sum;
            }
        }
        for ((out, &wrong), &w) in weighted.iter_mut().zip(&incorrect).zip(&sample_weight) {
            *out = wrong * w;
        }
        let estimator_error = pairwise_sum(&weighted) / pairwise_sum(&sample_weight);
        trees.push(tree);
        if estimator_error <= 0.0 {
            estimator_weights.push(1.0);
            break;
        }
        match algorithm {
            AdaAlgorithm::SammeR => {
                estimator_weights.push(1.0);
                if !last {
                    for (w, &b) in sample_weight.iter_mut().zip(&boost_weight) {
                        if *w > 0.0 || b < 0.0 {
                            *w *= b.exp();
                        }
                    }
                }
            }
            AdaAlgorithm::Samme => {
                if estimator_error >= 1.0 - 1.0 / kf {
                    trees.pop();
                    if trees.is_empty() {
                        return Err(LearnError::InvalidOption(format!(
                            "{MODEL}: the first stump is worse than random, the ensemble cannot be fitted"
                        )));
                    }
                    break;
                }
                let weight = learning_rate * (((1.0 - estimator_error) / estimator_error).ln() + (kf - 1.0).ln());
                estimator_weights.push(weight);
                if !last {
                    for (w, &wrong) in sample_weight.iter_mut().zip(&incorrect) {
                        let positive = if *w > 0.0 { 1.0 } else { 0.0 };
                        *w = (w.ln() + weight * wrong * positive).exp();
                    }
                }
            }
        }
        let sum = pairwise_sum(&sample_weight);
        if !sum.is_finite() || sum <= 0.0 {
            break;
        }
        if !last {
            sample_weight.iter_mut().for_each(|w| *w /= sum);
        }
    }
    // scikit-learn's estimator_weights_ has n_estimators entries, zeros after an early stop.
    estimator_weights.resize(n_estimators, 0.0);
    let feature_importances = ada_importances(&trees, &estimator_weights, n_features);
    Ok(FittedModel::AdaBoostClassifier(FittedAdaBoostClassifier {
        n_features,
        n_classes: data.n_classes,
        classes,
        algorithm,
        trees,
        estimator_weights,
        feature_importances,
    }))
}
