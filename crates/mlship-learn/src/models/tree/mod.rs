//! Decision trees and forests of them, on one engine: scikit-learn's
//! `DecisionTreeRegressor` (`dt`), `RandomForestRegressor` (`rf`) and
//! `ExtraTreesRegressor` (`et`), reproducing `sklearn/tree/_tree.pyx`,
//! `_splitter.pyx` and `_criterion.pyx` (exact split search on the sorted
//! values of each drawn feature; extra trees draw one threshold per feature).
//!
//! The engine is split by concern: `criterion` (impurity sums), `splitter`
//! (split search and scikit-learn's feature draws), `builder` (depth-first
//! and best-first growth), `prune` (`ccp_alpha`), `node` (the flat fitted layout), `forest`
//! (parallel fitting and batched prediction) and `config` (parameters).
//!
//! Parity: given `random_state`, `dt` draws features in scikit-learn's order
//! with scikit-learn's generator, so its splits are scikit-learn's. Where two
//! candidate splits have exactly the same proxy gain the first one visited
//! wins (strictly greater replaces), as there; gains that are equal in exact
//! arithmetic but differ in the last bit (a different summation order over
//! rows of equal feature value) may be ranked differently, so parity is
//! exact where no such tie decides. Forests draw their bootstrap samples and
//! tree seeds as scikit-learn does; their parity is statistical (CV R2).
//!
//! Semantics chosen: inputs are rounded to float32 as scikit-learn's trees
//! do; a NaN at prediction goes to the larger child; `max_features=1` means all features
//! (see `config`).
//!
//! Classification: `DecisionTreeClassifier`, `RandomForestClassifier` and
//! `ExtraTreesClassifier` share the regressors' fit functions; a target with
//! classes selects Gini or entropy (`criterion`), nodes keep their class
//! fractions (`TreeNodes::class_value`), `predict_proba` is the leaf's
//! fractions (a forest: their mean over trees) and `predict` their first
//! argmax. Columns are the whole target's classes (a fold missing one gives it
//! probability 0). The forests take `class_weight` (None, "balanced",
//! "balanced_subsample", as PyCaret's tune grid searches them; see `forest`).
//! Their parity fixtures agree with scikit-learn 1.4.2 and 1.9.1 to 1e-9,
//! forests included (same bootstrap and `rand_r` streams).
//!
//! Boosting runs on the same trees: `gbr` (`boosting`, scikit-learn's
//! `GradientBoostingRegressor`) and `ada` (`adaboost`, `AdaBoostRegressor`),
//! with scikit-learn's random draws, so their predictions agree too; for
//! classification `gbc` (`boosting_classifier`, `GradientBoostingClassifier`
//! on `friedman_mse` trees) and `ada` (`adaboost_classifier`,
//! `AdaBoostClassifier`'s SAMME.R and SAMME on stumps), whose fixtures from
//! PyCaret's scikit-learn 1.4.2 agree to 1e-12.

mod adaboost;
mod adaboost_classifier;
mod boosting;
mod boosting_classifier;
mod builder;
mod config;
mod criterion;
mod forest;
mod node;
mod prune;
mod splitter;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_boosting;
#[cfg(test)]
mod tests_boosting_classifier;
#[cfg(test)]
mod tests_classifier;

pub use adaboost::FittedAdaBoost;
pub use adaboost_classifier::{AdaAlgorithm, FittedAdaBoostClassifier};
pub use boosting::FittedBoosted;
pub use boosting_classifier::FittedBoostedClassifier;
pub use criterion::CriterionKind;
pub use node::{SplitNode, TreeNodes, LEAF};

use crate::matrix::Matrix;
use crate::models::class_weight::{self, ClassWeight};
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use builder::TreeConfig;
use config::*;
use serde::{Deserialize, Serialize};

/// A fitted single tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedTree {
    /// The number of input features.
    pub n_features: usize,
    /// The nodes.
    pub tree: TreeNodes,
    /// Impurity-based importances (scikit-learn's `feature_importances_`).
    pub feature_importances: Vec<f64>,
}

/// A fitted forest: the prediction is the mean of its trees'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedForest {
    /// The number of input features.
    pub n_features: usize,
    /// The trees, in scikit-learn's `estimators_` order.
    pub trees: Vec<TreeNodes>,
    /// The mean of the trees' importances, normalised.
    pub feature_importances: Vec<f64>,
}

impl Fitted for FittedTree {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "DecisionTreeRegressor")?;
        let rows = node::rows_f32(x);
        Ok(forest::sum_trees(std::slice::from_ref(&self.tree), &rows, self.n_features))
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.tree.is_finite()
    }
    fn validate(&self) -> Result<(), String> {
        crate::models::validate::tree(&self.tree, self.n_features, &self.feature_importances)
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        (self.tree.n_classes > 0).then(|| {
            x.expect_width(self.n_features, "DecisionTreeClassifier")?;
            let rows = node::rows_f32(x);
            Ok(forest::mean_class_fractions(std::slice::from_ref(&self.tree), &rows, self.n_features))
        })
    }
}

impl Fitted for FittedForest {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "the forest")?;
        let rows = node::rows_f32(x);
        if let Some(n_classes) = self.n_classes() {
            let proba = forest::mean_class_fractions(&self.trees, &rows, self.n_features);
            return Ok(proba.chunks(n_classes).map(crate::numpy::argmax).map(|c| c as f64).collect());
        }
        let mut sums = forest::sum_trees(&self.trees, &rows, self.n_features);
        let n_trees = self.trees.len() as f64;
        sums.iter_mut().for_each(|v| *v /= n_trees);
        Ok(sums)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.trees.iter().all(TreeNodes::is_finite)
    }
    fn validate(&self) -> Result<(), String> {
        crate::models::validate::forest(&self.trees, self.n_features, &self.feature_importances)
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        self.n_classes().map(|_| {
            x.expect_width(self.n_features, "the forest")?;
            let rows = node::rows_f32(x);
            Ok(forest::mean_class_fractions(&self.trees, &rows, self.n_features))
        })
    }
}

impl FittedForest {
    /// A classifier forest's number of classes (`None` for regression).
    fn n_classes(&self) -> Option<usize> {
        self.trees.first().map(|tree| tree.n_classes).filter(|&n| n > 0)
    }
}

/// The features as float32 columns, after checking the data can be fitted.
fn float32_columns(data: &TrainingData<'_>, model: &str) -> Result<Vec<Vec<f32>>, LearnError> {
    if data.x.n_rows == 0 || data.x.n_cols() == 0 {
        return Err(LearnError::InvalidOption(format!(
            "{model} needs at least one row and one feature (got {} rows, {} features)",
            data.x.n_rows,
            data.x.n_cols()
        )));
    }
    if data.x.columns.iter().flatten().chain(data.y).any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidOption(format!("{model}: the input has NaN or infinite values")));
    }
    Ok(data.x.columns.iter().map(|column| column.iter().map(|&v| v as f32).collect()).collect())
}

/// The task's tree config: regression's, or with the classes of a classifier's target.
fn task_config(
    params: &Params,
    data: &TrainingData<'_>,
    n_features: usize,
    random: bool,
) -> Result<TreeConfig, LearnError> {
    let mut config = tree_config(params, data.x.n_rows, n_features, random)?;
    config.n_classes = data.n_classes;
    check_classes(&config, data.y, data.n_classes)?;
    check_target(&config, data.y)?;
    Ok(config)
}

fn fit_dt(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let name = if data.n_classes > 0 { "DecisionTreeClassifier" } else { "DecisionTreeRegressor" };
    let x = float32_columns(data, name)?;
    let config = task_config(params, data, x.len(), false)?;
    let seed = forest::splitter_seed(params.seed("random_state")?);
    let tree = builder::build_tree(&x, data.y, None, &config, seed);
    let feature_importances = tree.feature_importances(x.len());
    Ok(FittedModel::Tree(FittedTree { n_features: x.len(), tree, feature_importances }))
}

/// The mean of the importances of the trees that split, normalised (scikit-learn's forests).
fn forest_importances(trees: &[TreeNodes], n_features: usize) -> Vec<f64> {
    let mut mean = vec![0.0; n_features];
    let split_trees: Vec<&TreeNodes> = trees.iter().filter(|t| t.nodes.len() > 1).collect();
    for tree in &split_trees {
        for (total, value) in mean.iter_mut().zip(tree.feature_importances(n_features)) {
            *total += value;
        }
    }
    let count = split_trees.len().max(1) as f64;
    mean.iter_mut().for_each(|v| *v /= count);
    let total: f64 = mean.iter().sum();
    if total > 0.0 {
        mean.iter_mut().for_each(|v| *v /= total);
    }
    mean
}

fn fit_forest(params: &Params, data: &TrainingData<'_>, random: bool, model: &str) -> Result<FittedModel, LearnError> {
    let x = float32_columns(data, model)?;
    let codes = data.class_codes();
    let class_weight = ClassWeight::from_params(params)?;
    let bootstrapped = params.bool("bootstrap")?;
    // "balanced_subsample" without bootstrap is "balanced" (scikit-learn's forests).
    let sample_weight = match class_weight {
        ClassWeight::Balanced => Some(class_weight::balanced_rows(&codes, data.n_classes)),
        ClassWeight::BalancedSubsample if !bootstrapped => Some(class_weight::balanced_rows(&codes, data.n_classes)),
        _ => None,
    };
    let bootstrap = if bootstrapped {
        Some(n_samples_bootstrap_weighted(params, data.x.n_rows, sample_weight.as_deref())?)
    } else {
        None
    };
    // Fractions count the training rows, as scikit-learn's trees see them (weighted).
    let config = task_config(params, data, x.len(), random)?;
    let plan = forest::ForestPlan {
        config: &config,
        n_estimators: params.usize("n_estimators")?,
        bootstrap,
        random_state: params.seed("random_state")?,
        sample_weight: sample_weight.as_deref(),
        subsample_balance: (class_weight == ClassWeight::BalancedSubsample && bootstrapped)
            .then_some((codes.as_slice(), data.n_classes)),
    };
    let trees = forest::fit_forest(&x, data.y, &plan);
    let feature_importances = forest_importances(&trees, x.len());
    Ok(FittedModel::Forest(FittedForest { n_features: x.len(), trees, feature_importances }))
}

/// Rows per bootstrap sample; with fit-level sample weights a fraction
/// counts their sum, truncated (scikit-learn 1.9.1's `_get_n_samples_bootstrap`).
fn n_samples_bootstrap_weighted(params: &Params, n_rows: usize, weights: Option<&[f64]>) -> Result<usize, LearnError> {
    match (weights, params.value("max_samples")?) {
        (Some(weights), crate::params::ParamValue::Float(fraction)) => {
            Ok(((fraction * crate::numpy::pairwise_sum(weights)) as usize).max(1))
        }
        _ => n_samples_bootstrap(params, n_rows),
    }
}

fn fit_rf(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let name = if data.n_classes > 0 { "RandomForestClassifier" } else { "RandomForestRegressor" };
    fit_forest(params, data, false, name)
}

fn fit_et(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let name = if data.n_classes > 0 { "ExtraTreesClassifier" } else { "ExtraTreesRegressor" };
    fit_forest(params, data, true, name)
}

/// PyCaret's `dt`, `rf`, `et`, `ada` and `gbr`, with the classes' defaults
/// (PyCaret passes `random_state` and `n_jobs` only; mlship always uses every core).
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "dt",
        name: "Decision Tree Regressor",
        class: "sklearn.tree.DecisionTreeRegressor",
        family: "tree",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: &DT_PARAMS,
        fit: fit_dt,
    },
    ModelEntry {
        id: "rf",
        name: "Random Forest Regressor",
        class: "sklearn.ensemble.RandomForestRegressor",
        family: "ensemble",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: &FOREST_PARAMS_RF,
        fit: fit_rf,
    },
    ModelEntry {
        id: "et",
        name: "Extra Trees Regressor",
        class: "sklearn.ensemble.ExtraTreesRegressor",
        family: "ensemble",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: &FOREST_PARAMS_ET,
        fit: fit_et,
    },
    ModelEntry {
        id: "ada",
        name: "AdaBoost Regressor",
        class: "sklearn.ensemble.AdaBoostRegressor",
        family: "ensemble",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: adaboost::ADA_PARAMS,
        fit: adaboost::fit_ada,
    },
    ModelEntry {
        id: "gbr",
        name: "Gradient Boosting Regressor",
        class: "sklearn.ensemble.GradientBoostingRegressor",
        family: "ensemble",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: boosting::GBR_PARAMS,
        fit: boosting::fit_gbr,
    },
];

/// PyCaret's classification `dt`, `rf` and `et` (same fit functions: the
/// target's classes select the criterion's kind), `ada` and `gbc`.
pub const CLASSIFIERS: &[ModelEntry] = &[
    ModelEntry {
        id: "dt",
        name: "Decision Tree Classifier",
        class: "sklearn.tree.DecisionTreeClassifier",
        family: "tree",
        task: Task::Classification,
        turbo: true,
        randomised: true,
        params: &DT_PARAMS_CLS,
        fit: fit_dt,
    },
    ModelEntry {
        id: "rf",
        name: "Random Forest Classifier",
        class: "sklearn.ensemble.RandomForestClassifier",
        family: "ensemble",
        task: Task::Classification,
        turbo: true,
        randomised: true,
        params: &FOREST_PARAMS_RFC,
        fit: fit_rf,
    },
    ModelEntry {
        id: "et",
        name: "Extra Trees Classifier",
        class: "sklearn.ensemble.ExtraTreesClassifier",
        family: "ensemble",
        task: Task::Classification,
        turbo: true,
        randomised: true,
        params: &FOREST_PARAMS_ETC,
        fit: fit_et,
    },
    ModelEntry {
        id: "ada",
        name: "Ada Boost Classifier",
        class: "sklearn.ensemble.AdaBoostClassifier",
        family: "ensemble",
        task: Task::Classification,
        turbo: true,
        randomised: true,
        params: adaboost_classifier::ADA_CLS_PARAMS,
        fit: adaboost_classifier::fit_ada_classifier,
    },
    ModelEntry {
        id: "gbc",
        name: "Gradient Boosting Classifier",
        class: "sklearn.ensemble.GradientBoostingClassifier",
        family: "ensemble",
        task: Task::Classification,
        turbo: true,
        randomised: true,
        params: boosting_classifier::GBC_PARAMS,
        fit: boosting_classifier::fit_gbc,
    },
];

const DT_PARAMS: [crate::params::ParamSpec; 10] = [
    CRITERION,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_FEATURES_ALL,
    MAX_LEAF_NODES,
    MIN_IMPURITY_DECREASE,
    CCP_ALPHA,
    RANDOM_STATE,
];
const DT_PARAMS_CLS: [crate::params::ParamSpec; 10] = {
    let mut params = DT_PARAMS;
    params[0] = CRITERION_CLS;
    params
};
const FOREST_PARAMS_RFC: [crate::params::ParamSpec; 14] = {
    let mut params = [class_weight::FOREST_CLASS_WEIGHT; 14];
    let mut i = 0;
    while i < FOREST_PARAMS_RF.len() {
        params[i] = FOREST_PARAMS_RF[i];
        i += 1;
    }
    params[1] = CRITERION_CLS;
    params[6] = MAX_FEATURES_SQRT;
    params
};
const FOREST_PARAMS_ETC: [crate::params::ParamSpec; 14] = {
    let mut params = FOREST_PARAMS_RFC;
    params[9] = BOOTSTRAP_FALSE;
    params
};

const FOREST_PARAMS_RF: [crate::params::ParamSpec; 13] = [
    N_ESTIMATORS,
    CRITERION,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_FEATURES_ONE,
    MAX_LEAF_NODES,
    MIN_IMPURITY_DECREASE,
    BOOTSTRAP_TRUE,
    MAX_SAMPLES,
    CCP_ALPHA,
    RANDOM_STATE,
];
const FOREST_PARAMS_ET: [crate::params::ParamSpec; 13] = {
    let mut params = FOREST_PARAMS_RF;
    params[9] = BOOTSTRAP_FALSE;
    params
};
