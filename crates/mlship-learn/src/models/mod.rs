//! The model layer: one table of every model mlship knows (PyCaret's id, the
//! library class whose algorithm and defaults it reproduces, its task, whether
//! `compare` runs it by default, its declared parameters and its `fit`), a
//! `ModelSpec` that names a row and holds resolved hyperparameters, and the
//! `FittedModel` it fits into. `compare`, `tune`, the CLI help and the docs
//! all read the table; adding a model is a family module and a row.
//!
//! The estimator contract, as scikit-learn's: a spec is plain data that is
//! never mutated; `fit` returns a separate fitted value; `predict` returns a
//! `Result` and checks the width it was fitted on. The fitted value is a
//! tagged enum, so loading an artifact parses data and never runs code, and a
//! tag this binary does not know is reported as "made by a newer mlship".

pub mod bayes;
pub mod catboost;
pub(crate) mod class_weight;
pub mod discriminant;
pub mod dummy;
pub mod ensemble;
pub mod gaussian_process;
pub mod hist;
pub mod huber;
pub mod kernel_ridge;
pub mod lars;
mod lbfgsb;
pub mod lda_solvers;
pub mod linear;
pub mod logistic;
pub mod mlp;
pub mod mlp_classifier;
pub mod naive_bayes;
pub mod neighbors;
pub mod omp;
pub mod passive_aggressive;
pub(crate) mod random;
pub mod ridge_classifier;
pub mod robust;
mod sgd;
pub mod sgd_classifier;
pub mod svm;
pub mod theil_sen;
pub mod tree;
mod validate;

use crate::matrix::Matrix;
use crate::params::{resolve_params, ParamSpec, ParamValue, Params};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// What a family's `fit` receives: the transformed training matrix
/// (column-major) and the (possibly transformed) target.
pub struct TrainingData<'a> {
    /// The model's input features, after every pipeline step.
    pub x: &'a Matrix,
    /// The target, one value per row of `x`; for a classifier the class
    /// codes `0..n_classes` (the sorted label encoding) as numbers.
    pub y: &'a [f64],
    /// The number of classes of the whole target (a training fold may miss
    /// some); 0 for regression.
    pub n_classes: usize,
}

impl TrainingData<'_> {
    /// The class codes of a classifier's target.
    pub fn class_codes(&self) -> Vec<usize> {
        self.y.iter().map(|&code| code as usize).collect()
    }
}

/// One row of the model table.
#[derive(Debug, Clone, Copy)]
pub struct ModelEntry {
    /// PyCaret's id (`lr`, `knn`, …).
    pub id: &'static str,
    /// PyCaret's display name (`Linear Regression`).
    pub name: &'static str,
    /// The library class whose algorithm and defaults are reproduced.
    pub class: &'static str,
    /// The family module (scikit-learn's module name).
    pub family: &'static str,
    /// The task the model learns.
    pub task: Task,
    /// In PyCaret's turbo set: `compare` runs it unless `--no-turbo` adds the rest.
    pub turbo: bool,
    /// Draws random numbers (seeded from `random_state`): parity is statistical.
    pub randomised: bool,
    /// The declared hyperparameters, scikit-learn's names and defaults.
    pub params: &'static [ParamSpec],
    /// Fits resolved parameters to data.
    pub fit: fn(&Params, &TrainingData<'_>) -> Result<FittedModel, LearnError>,
}

impl PartialEq for ModelEntry {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.task == other.task
    }
}

/// Every family's rows, in PyCaret's `models()` order.
/// PyCaret's order: lr lasso ridge en lar llar omp br ard par ransac tr huber kr svm knn (trees) mlp
/// (xgboost lightgbm) catboost dummy.
/// Classification's order: lr knn nb dt svm rbfsvm gpc mlp ridge rf qda ada gbc lda et xgboost lightgbm catboost dummy.
const FAMILIES: &[&[ModelEntry]] = &[
    logistic::MODELS,
    linear::MODELS,
    lars::MODELS,
    omp::MODELS,
    bayes::MODELS,
    passive_aggressive::MODELS,
    sgd_classifier::MODELS,
    robust::MODELS,
    kernel_ridge::MODELS,
    svm::MODELS,
    svm::CLASSIFIERS,
    gaussian_process::CLASSIFIERS,
    neighbors::MODELS,
    naive_bayes::MODELS,
    tree::MODELS,
    tree::CLASSIFIERS,
    mlp::MODELS,
    mlp_classifier::CLASSIFIERS,
    hist::MODELS,
    ridge_classifier::MODELS,
    discriminant::MODELS,
    catboost::MODELS,
    dummy::MODELS,
];

/// Every model mlship knows, in PyCaret's order.
pub fn all_models() -> impl Iterator<Item = &'static ModelEntry> {
    FAMILIES.iter().flat_map(|family| family.iter())
}

/// PyCaret's `models()` order for classification (the families' order is
/// regression's).
const CLASSIFICATION_ORDER: &[&str] = &[
    "lr", "knn", "nb", "dt", "svm", "rbfsvm", "gpc", "mlp", "ridge", "rf", "qda", "ada", "gbc", "lda", "et", "xgboost",
    "lightgbm", "catboost", "dummy",
];

/// The models of one task, in PyCaret's order.
pub fn models_for(task: Task) -> impl Iterator<Item = &'static ModelEntry> {
    let mut entries: Vec<&'static ModelEntry> = all_models().filter(|entry| entry.task == task).collect();
    if task == Task::Classification {
        let rank = |id: &str| CLASSIFICATION_ORDER.iter().position(|known| *known == id).unwrap_or(usize::MAX);
        entries.sort_by_key(|entry| rank(entry.id));
    }
    entries.into_iter()
}

/// A model by task and id; an unknown id lists the known ones.
pub fn find_model(task: Task, id: &str) -> Result<&'static ModelEntry, LearnError> {
    models_for(task).find(|entry| entry.id == id).ok_or_else(|| {
        let known: Vec<&str> = models_for(task).map(|entry| entry.id).collect();
        LearnError::InvalidOption(format!("unknown model \"{id}\" (available: {})", known.join(", ")))
    })
}

fn default_task() -> Task {
    Task::Regression
}

/// A model and its resolved hyperparameters. Serialised flat, as
/// scikit-learn's `get_params()` reads: `{"id": "ridge", "alpha": 1.0}` (the
/// shape format-1 artifacts already have, so they still load).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// PyCaret's id.
    pub id: String,
    /// The task the model learns (format-1 artifacts are all regression).
    #[serde(default = "default_task")]
    pub task: Task,
    /// The members of a meta-model (`blend`, `stack`, `calibrate`): models of the same
    /// task, each fitted by its own spec. Empty (and absent from the JSON,
    /// so older artifacts load unchanged) for every other model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimators: Vec<ModelSpec>,
    /// Every declared parameter, resolved (defaults filled).
    #[serde(flatten)]
    pub params: Params,
}

impl ModelSpec {
    /// The model `id` of `task` with the library's defaults, overridden by
    /// `given` (validated); `seed` is the default `random_state`, as PyCaret
    /// passes `session_id` to every model that takes one.
    pub fn new(task: Task, id: &str, given: &[(String, ParamValue)], seed: u32) -> Result<Self, LearnError> {
        let entry = find_model(task, id)?;
        let params = resolve_params(id, entry.params, given, seed)?;
        Ok(ModelSpec { id: id.to_string(), task, estimators: Vec::new(), params })
    }

    /// A meta-model (`blend`, `stack`: see `ensemble::META_MODELS`) of
    /// `task` over `estimators`, its own parameters `given` (validated, and
    /// checked against the members: two or more, all of `task`, one weight each).
    pub fn ensemble(
        task: Task,
        id: &str,
        given: &[(String, ParamValue)],
        seed: u32,
        estimators: Vec<ModelSpec>,
    ) -> Result<Self, LearnError> {
        let entry = ensemble::find_meta(task, id)?;
        let params = resolve_params(id, entry.params, given, seed)?;
        let spec = ModelSpec { id: id.to_string(), task, estimators, params };
        ensemble::check_members(&spec)?;
        Ok(spec)
    }

    /// The spec with the library's defaults.
    pub fn with_defaults(task: Task, id: &str, seed: u32) -> Result<Self, LearnError> {
        Self::new(task, id, &[], seed)
    }

    /// The table row this spec names.
    pub fn entry(&self) -> Result<&'static ModelEntry, LearnError> {
        find_model(self.task, &self.id).or_else(|_| ensemble::find_meta(self.task, &self.id)).map_err(|_| {
            LearnError::InvalidOption(format!(
                "model \"{}\" is not known to this mlship {} (made by a newer mlship?)",
                self.id,
                env!("CARGO_PKG_VERSION")
            ))
        })
    }

    /// PyCaret's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// PyCaret's display name, or the id for an unknown model.
    pub fn display_name(&self) -> &str {
        self.entry().map_or(self.id.as_str(), |entry| entry.name)
    }

    /// The parameters checked again against the declaration (a spec read
    /// from a file is not trusted) with defaults filled for any missing.
    pub fn resolved_params(&self) -> Result<Params, LearnError> {
        let entry = self.entry()?;
        let given: Vec<(String, ParamValue)> = self.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let params = resolve_params(&self.id, entry.params, &given, 0)?;
        // A meta-model's members are specs too, checked the same way.
        if self.is_ensemble() || !self.estimators.is_empty() {
            ensemble::check_members(self)?;
            for member in &self.estimators {
                member.resolved_params()?;
            }
        }
        Ok(params)
    }

    /// Whether the spec is a meta-model (`blend`, `stack`) over `estimators`.
    pub fn is_ensemble(&self) -> bool {
        ensemble::find_meta(self.task, &self.id).is_ok()
    }

    /// Fits a regressor; the spec is not changed.
    pub fn fit(&self, x: &Matrix, y: &[f64]) -> Result<FittedModel, LearnError> {
        self.fit_task(x, y, 0)
    }

    /// Fits the model; `y` holds class codes and `n_classes` counts the
    /// classes of the whole target when the model classifies (0 for regression).
    pub fn fit_task(&self, x: &Matrix, y: &[f64], n_classes: usize) -> Result<FittedModel, LearnError> {
        if x.n_rows != y.len() {
            return Err(LearnError::Shape(format!("X has {} rows but y has {}", x.n_rows, y.len())));
        }
        let entry = self.entry()?;
        if (entry.task == Task::Classification) != (n_classes > 0) {
            return Err(LearnError::InvalidOption(format!(
                "model \"{}\" learns {} but the target was prepared for {}",
                self.id,
                entry.task.as_str(),
                if n_classes > 0 { "classification" } else { "regression" }
            )));
        }
        let params = self.resolved_params()?;
        // By id, not family: rf and et are scikit-learn's `ensemble` module too.
        if self.is_ensemble() {
            return ensemble::fit(self, &params, &TrainingData { x, y, n_classes });
        }
        let fitted = (entry.fit)(&params, &TrainingData { x, y, n_classes })?;
        fitted.check_finite(entry.name)?;
        Ok(fitted)
    }
}

/// What every family's fitted value can do. `FittedModel` dispatches to it,
/// so a new family adds a variant and one line in `as_fitted`.
pub trait Fitted {
    /// Predictions for every row of `x`; a wrong width is an error, never a panic.
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError>;
    /// The number of input features the model was fitted on.
    fn n_features(&self) -> usize;
    /// Every stored number is finite (a fit that overflowed is refused).
    fn is_finite(&self) -> bool;
    /// A model read from a file is not trusted: every stored length and index
    /// agrees with the others and with `n_features` (a tree's children point
    /// forward, so walks end), and every number is finite. Called once when
    /// an artifact is loaded, so `predict` may then index without panicking.
    /// The message names the field, e.g. `"coef has 3 values, intercept …"`;
    /// a new family implements it over every field it stores.
    fn validate(&self) -> Result<(), String>;
    /// A classifier's per-class probabilities (scikit-learn's
    /// `predict_proba`), row-major with one column per class of the whole
    /// target; `None` for a model without them.
    fn predict_proba(&self, _x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        None
    }
    /// A classifier's `decision_function`: one value per row for two
    /// classes, else one per class (row-major); `None` for a model without one.
    fn decision_function(&self, _x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        None
    }
}

/// A fitted model: the state `predict` needs, tagged by family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedModel {
    /// Coefficients and an intercept (every linear model, the dummy, and kr
    /// and svm with a linear kernel).
    Linear(linear::FittedLinear),
    /// The training rows of a nearest-neighbour model.
    Neighbors(neighbors::FittedNeighbors),
    /// Training rows and dual coefficients of a kernel ridge.
    KernelRidge(kernel_ridge::FittedKernelRidge),
    /// Support vectors, dual coefficients and intercept of an SVR.
    Svm(svm::FittedSvm),
    /// libsvm's one-vs-one C-SVCs and Platt sigmoids (SVC).
    Svc(svm::FittedSvc),
    /// A multi-layer perceptron's layers.
    Mlp(mlp::FittedMlp),
    /// A multi-layer perceptron classifier's layers and classes.
    MlpClassifier(mlp_classifier::FittedMlpClassifier),
    /// A single decision tree.
    Tree(tree::FittedTree),
    /// A forest of decision trees (random forest, extra trees).
    Forest(tree::FittedForest),
    /// Gradient-boosted trees (`gbr`): an initial constant plus shrunk trees.
    Boosted(tree::FittedBoosted),
    /// AdaBoost.R2 trees (`ada`) and their weights: a weighted median.
    AdaBoost(tree::FittedAdaBoost),
    /// Gradient-boosted classification trees (`gbc`): per raw score an
    /// initial constant plus shrunk trees.
    BoostedClassifier(tree::FittedBoostedClassifier),
    /// AdaBoost classification stumps (`ada`, SAMME or SAMME.R) and their weights.
    AdaBoostClassifier(tree::FittedAdaBoostClassifier),
    /// Per-class feature means and variances (Gaussian naive Bayes).
    NaiveBayes(naive_bayes::FittedGaussianNb),
    /// Logistic regression's weight vectors.
    Logistic(logistic::FittedLogistic),
    /// The classes' shares (the dummy classifier).
    Prior(dummy::FittedPrior),
    /// CatBoost's symmetric (oblivious) trees.
    Oblivious(catboost::FittedOblivious),
    /// CatBoost's symmetric trees for classes (Logloss or MultiClass).
    ObliviousClassifier(catboost::FittedObliviousClassifier),
    /// Gradient-boosted trees on histograms (lightgbm, xgboost).
    Boosting(hist::FittedBoosting),
    /// Per-class linear scores (RidgeClassifier, LinearDiscriminantAnalysis).
    LinearClassifier(discriminant::FittedLinearClassifier),
    /// Per-class Gaussians (QuadraticDiscriminantAnalysis).
    Qda(discriminant::FittedQda),
    /// Laplace-approximated Gaussian process classifiers (one-vs-rest).
    Gpc(gaussian_process::FittedGpc),
    /// Fitted members whose predictions are averaged or voted (`blend`).
    Voting(ensemble::FittedVoting),
    /// Fitted members and a final estimator on their predictions (`stack`).
    Stacking(ensemble::FittedStacking),
    /// A classifier fitted per fold with calibrators on its outputs (`calibrate`).
    Calibrated(ensemble::FittedCalibrated),
}

/// The `kind` tags this binary reads; an artifact naming another was made by
/// a newer mlship.
pub const FITTED_KINDS: &[&str] = &[
    "linear",
    "neighbors",
    "kernel_ridge",
    "svm",
    "svc",
    "mlp",
    "mlp_classifier",
    "tree",
    "forest",
    "boosted",
    "ada_boost",
    "boosted_classifier",
    "ada_boost_classifier",
    "naive_bayes",
    "logistic",
    "prior",
    "oblivious",
    "oblivious_classifier",
    "boosting",
    "linear_classifier",
    "qda",
    "gpc",
    "voting",
    "stacking",
    "calibrated",
];

impl FittedModel {
    fn as_fitted(&self) -> &dyn Fitted {
        match self {
            FittedModel::Linear(model) => model,
            FittedModel::Neighbors(model) => model,
            FittedModel::KernelRidge(model) => model,
            FittedModel::Svm(model) => model,
            FittedModel::Svc(model) => model,
            FittedModel::Mlp(model) => model,
            FittedModel::MlpClassifier(model) => model,
            FittedModel::Tree(model) => model,
            FittedModel::Forest(model) => model,
            FittedModel::Boosted(model) => model,
            FittedModel::AdaBoost(model) => model,
            FittedModel::BoostedClassifier(model) => model,
            FittedModel::AdaBoostClassifier(model) => model,
            FittedModel::NaiveBayes(model) => model,
            FittedModel::Logistic(model) => model,
            FittedModel::Prior(model) => model,
            FittedModel::Oblivious(model) => model,
            FittedModel::ObliviousClassifier(model) => model,
            FittedModel::Boosting(model) => model,
            FittedModel::LinearClassifier(model) => model,
            FittedModel::Qda(model) => model,
            FittedModel::Gpc(model) => model,
            FittedModel::Voting(model) => model,
            FittedModel::Stacking(model) => model,
            FittedModel::Calibrated(model) => model,
        }
    }

    /// Predictions for every row of `x`, which must have the fitted width.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        self.as_fitted().predict(x)
    }

    /// The number of input features the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.as_fitted().n_features()
    }

    /// A classifier's per-class probabilities (row-major), if it has them.
    pub fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        self.as_fitted().predict_proba(x)
    }

    /// Whether the model gives per-class probabilities (scikit-learn's
    /// `predict_proba` exists): asked of an empty matrix, so it costs nothing.
    pub fn has_probabilities(&self) -> bool {
        let mut empty = Matrix::with_rows(0);
        for _ in 0..self.n_features() {
            empty.push_column(Vec::new());
        }
        self.predict_proba(&empty).is_some_and(|result| result.is_ok())
    }

    /// A classifier's decision function, if it has one (see `Fitted`).
    pub fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        self.as_fitted().decision_function(x)
    }

    /// The model read from a file is consistent (`Fitted::validate`).
    pub fn validate(&self) -> Result<(), String> {
        self.as_fitted().validate()
    }

    /// Linear coefficients, for the coefficient plot (`None` for other families).
    pub fn coefficients(&self) -> Option<&[f64]> {
        match self {
            FittedModel::Linear(model) => Some(&model.coef),
            _ => None,
        }
    }

    /// Feature importances of a tree model: impurity-based for trees and
    /// forests, gain-based for LightGBM/XGBoost, CatBoost's `PredictionValuesChange`
    /// (`None` for other families).
    pub fn feature_importances(&self) -> Option<Vec<f64>> {
        match self {
            FittedModel::Tree(model) => Some(model.feature_importances.clone()),
            FittedModel::Forest(model) => Some(model.feature_importances.clone()),
            FittedModel::Boosted(model) => Some(model.feature_importances.clone()),
            FittedModel::AdaBoost(model) => Some(model.feature_importances.clone()),
            FittedModel::BoostedClassifier(model) => Some(model.feature_importances.clone()),
            FittedModel::AdaBoostClassifier(model) => Some(model.feature_importances.clone()),
            FittedModel::Oblivious(model) => Some(model.feature_importances.clone()),
            FittedModel::ObliviousClassifier(model) => Some(model.feature_importances.clone()),
            FittedModel::Boosting(model) => Some(model.feature_importances.clone()),
            _ => None,
        }
    }

    /// What `feature_importances` measures: "impurity-based" (trees and
    /// forests) or "gain" (boosting); `None` for other families.
    pub fn importance_kind(&self) -> Option<&'static str> {
        match self {
            FittedModel::Tree(_)
            | FittedModel::Forest(_)
            | FittedModel::Boosted(_)
            | FittedModel::AdaBoost(_)
            | FittedModel::BoostedClassifier(_)
            | FittedModel::AdaBoostClassifier(_) => Some("impurity-based"),
            FittedModel::Oblivious(_) | FittedModel::ObliviousClassifier(_) => {
                Some("CatBoost's PredictionValuesChange")
            }
            FittedModel::Boosting(_) => Some("gain"),
            _ => None,
        }
    }

    /// A fit that overflowed (a target of 1e308, a divergent solver) is an
    /// error, never a saved model that predicts NaN.
    fn check_finite(&self, model_name: &str) -> Result<(), LearnError> {
        if self.as_fitted().is_finite() {
            Ok(())
        } else {
            Err(LearnError::Numerical {
                step: model_name.to_string(),
                message: "the fitted model has non-finite values (is the target or a feature too large?)".to_string(),
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
