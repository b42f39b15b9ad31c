//! Meta-models: PyCaret's `blend_models` (scikit-learn's `VotingRegressor` /
//! `VotingClassifier`), `stack_models` (`StackingRegressor` /
//! `StackingClassifier`) and `calibrate_model` (`CalibratedClassifierCV`,
//! one member). An ensemble is a model like any other: a
//! `ModelSpec` whose `estimators` are its members' specs, fitted into a
//! `FittedModel` variant that holds the fitted members, so it saves,
//! predicts, serves and ships unchanged. Members are fitted by their own
//! `ModelSpec::fit_task`, on scoped threads, results in member order (the
//! thread count changes nothing).
//!
//! The meta-models are not rows of the model table (`compare` must not run
//! them without members); `ModelSpec::entry` finds them here.

mod calibration;
mod stacking;
mod voting;

pub use calibration::{CalibratedFold, Calibrator, FittedCalibrated};
pub use stacking::{FittedStacking, StackMethod};
pub use voting::{FittedVoting, VotingMethod};

use super::{FittedModel, ModelEntry, ModelSpec, TrainingData};
use crate::compare::parallel_map;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

/// The `family` of every meta-model entry.
pub const FAMILY: &str = "ensemble";

/// Every model id of either task: what `meta_model` may name (checked
/// against the table for the stack's task when it is fitted).
const MODEL_IDS: &[&str] = &[
    "lr", "lasso", "ridge", "en", "lar", "llar", "omp", "br", "ard", "par", "ransac", "tr", "huber", "kr", "svm",
    "knn", "dt", "rf", "et", "ada", "gbr", "mlp", "xgboost", "lightgbm", "catboost", "dummy", "nb", "rbfsvm", "gpc",
    "qda", "lda", "gbc",
];

const WEIGHTS: ParamSpec = ParamSpec {
    name: "weights",
    kinds: &[ParamKind::Null, ParamKind::FloatList { min: 0.0 }],
    default: DefaultValue::Null,
    help: "one non-negative weight per member (uniform when None), as VotingRegressor/VotingClassifier weigh them",
};

const BLEND_REGRESSION: &[ParamSpec] = &[WEIGHTS];

const BLEND_CLASSIFICATION: &[ParamSpec] = &[
    WEIGHTS,
    ParamSpec {
        name: "method",
        kinds: &[ParamKind::Choice(&["auto", "soft", "hard"])],
        default: DefaultValue::Str("auto"),
        help: "soft (average probabilities), hard (majority of predicted classes) or auto: soft when every member \
               has probabilities, else hard (PyCaret's blend_models)",
    },
];

const META_MODEL: ParamSpec = ParamSpec {
    name: "meta_model",
    kinds: &[ParamKind::Null, ParamKind::Choice(MODEL_IDS)],
    default: DefaultValue::Null,
    help: "the final estimator's model id with its defaults (None: lr, as PyCaret's stack_models)",
};
const META_MODEL_FOLD: ParamSpec = ParamSpec {
    name: "meta_model_fold",
    kinds: &[ParamKind::Int { min: 2, max: 1000 }],
    default: DefaultValue::Int(5),
    help: "folds of the cross_val_predict whose out-of-fold predictions train the final estimator \
           (KFold, or StratifiedKFold for a classifier, unshuffled)",
};
const RESTACK: ParamSpec = ParamSpec {
    name: "restack",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(false),
    help: "also give the final estimator the input features (scikit-learn's passthrough)",
};
const META_SEED: ParamSpec = ParamSpec {
    name: "random_state",
    kinds: &[ParamKind::SEED],
    default: DefaultValue::Seed,
    help: "the final estimator's random_state, when it draws random numbers",
};

const STACK_REGRESSION: &[ParamSpec] = &[META_MODEL, META_MODEL_FOLD, RESTACK, META_SEED];

const STACK_CLASSIFICATION: &[ParamSpec] = &[
    META_MODEL,
    META_MODEL_FOLD,
    RESTACK,
    META_SEED,
    ParamSpec {
        name: "method",
        kinds: &[ParamKind::Choice(&["auto", "predict_proba", "decision_function", "predict"])],
        default: DefaultValue::Str("auto"),
        help: "what each member gives the final estimator; auto: predict_proba, else decision_function, else \
               predict (scikit-learn's stack_method)",
    },
];

const CALIBRATE: &[ParamSpec] = &[
    ParamSpec {
        name: "method",
        kinds: &[ParamKind::Choice(&["sigmoid", "isotonic"])],
        default: DefaultValue::Str("sigmoid"),
        help: "Platt's sigmoid or isotonic regression (CalibratedClassifierCV's method; PyCaret's default sigmoid)",
    },
    ParamSpec {
        name: "calibrate_fold",
        kinds: &[ParamKind::Int { min: 2, max: 1000 }],
        default: DefaultValue::Int(5),
        help: "StratifiedKFold folds: each fits the model on its training rows and a calibrator on the rest",
    },
];

fn members_first(_: &Params, _: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    Err(LearnError::InvalidOption("a meta-model is fitted through its spec, with its members".to_string()))
}

/// The meta-models, one row per task, as PyCaret names them.
pub const META_MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "blend",
        name: "Voting Regressor",
        class: "sklearn.ensemble.VotingRegressor",
        family: FAMILY,
        task: Task::Regression,
        turbo: false,
        randomised: false,
        params: BLEND_REGRESSION,
        fit: members_first,
    },
    ModelEntry {
        id: "blend",
        name: "Voting Classifier",
        class: "sklearn.ensemble.VotingClassifier",
        family: FAMILY,
        task: Task::Classification,
        turbo: false,
        randomised: false,
        params: BLEND_CLASSIFICATION,
        fit: members_first,
    },
    ModelEntry {
        id: "stack",
        name: "Stacking Regressor",
        class: "sklearn.ensemble.StackingRegressor",
        family: FAMILY,
        task: Task::Regression,
        turbo: false,
        randomised: false,
        params: STACK_REGRESSION,
        fit: members_first,
    },
    ModelEntry {
        id: "stack",
        name: "Stacking Classifier",
        class: "sklearn.ensemble.StackingClassifier",
        family: FAMILY,
        task: Task::Classification,
        turbo: false,
        randomised: false,
        params: STACK_CLASSIFICATION,
        fit: members_first,
    },
    ModelEntry {
        id: "calibrate",
        name: "Calibrated Classifier CV",
        class: "sklearn.calibration.CalibratedClassifierCV",
        family: FAMILY,
        task: Task::Classification,
        turbo: false,
        randomised: false,
        params: CALIBRATE,
        fit: members_first,
    },
];

/// A meta-model by task and id.
pub fn find_meta(task: Task, id: &str) -> Result<&'static ModelEntry, LearnError> {
    META_MODELS.iter().find(|entry| entry.task == task && entry.id == id).ok_or_else(|| {
        if id == "calibrate" {
            return LearnError::InvalidOption(
                "calibrate: only a classifier's probabilities can be calibrated (this is a regression target)"
                    .to_string(),
            );
        }
        let known = if task == Task::Classification { "blend, stack, calibrate" } else { "blend, stack" };
        LearnError::InvalidOption(format!("unknown meta-model \"{id}\" for {} (available: {known})", task.as_str()))
    })
}

/// A meta-model's members agree with it: at least two, every one of its
/// task, and `weights` (when given) one per member, not all zero. Any other
/// model has no members.
pub fn check_members(spec: &ModelSpec) -> Result<(), LearnError> {
    let invalid = |message: String| Err(LearnError::InvalidOption(message));
    if find_meta(spec.task, &spec.id).is_err() {
        if spec.estimators.is_empty() {
            return Ok(());
        }
        return invalid(format!("model \"{}\" is not a meta-model and takes no estimators", spec.id));
    }
    let id = &spec.id;
    if id == "calibrate" && spec.estimators.len() != 1 {
        return invalid(format!("calibrate takes one model, got {}", spec.estimators.len()));
    }
    if id != "calibrate" && spec.estimators.len() < 2 {
        return invalid(format!("{id} needs at least two models, got {}", spec.estimators.len()));
    }
    for (index, member) in spec.estimators.iter().enumerate() {
        if member.task != spec.task {
            return invalid(format!(
                "{id}: model {} (\"{}\") learns {} but the ensemble learns {}: every member must be of one task",
                index + 1,
                member.id,
                member.task.as_str(),
                spec.task.as_str()
            ));
        }
    }
    if let Some(ParamValue::FloatList(weights)) = spec.params.get("weights") {
        if weights.len() != spec.estimators.len() {
            return invalid(format!(
                "{id}: {} weights for {} models (weights must have one value per model)",
                weights.len(),
                spec.estimators.len()
            ));
        }
        if let Some(bad) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return invalid(format!("{id}: weight {bad} is not allowed (weights must be >= 0)"));
        }
        if weights.iter().all(|w| *w == 0.0) {
            return invalid(format!("{id}: the weights are all zero (at least one must be positive)"));
        }
    }
    if let Some(ParamValue::Str(meta)) = spec.params.get("meta_model") {
        super::find_model(spec.task, meta).map_err(|_| {
            LearnError::InvalidOption(format!("{id}: meta_model \"{meta}\" is not a {} model", spec.task.as_str()))
        })?;
    }
    Ok(())
}

/// Fits a meta-model (`ModelSpec::fit_task` sends `blend` and `stack` here).
pub(super) fn fit(spec: &ModelSpec, params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    check_members(spec)?;
    let n_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    match spec.id.as_str() {
        "blend" => voting::fit(spec, params, data, n_threads).map(FittedModel::Voting),
        "stack" => stacking::fit(spec, params, data, n_threads).map(FittedModel::Stacking),
        "calibrate" => calibration::fit(spec, params, data, n_threads).map(FittedModel::Calibrated),
        other => Err(LearnError::InvalidOption(format!("unknown meta-model \"{other}\""))),
    }
}

/// Fits a `stack` spec and also returns its final estimator's training
/// matrix: the members' out-of-fold outputs, then the inputs with `restack`
/// (what the parity tests compare with scikit-learn's).
pub fn fit_stack_with_features(
    spec: &ModelSpec,
    x: &crate::Matrix,
    y: &[f64],
    n_classes: usize,
) -> Result<(FittedModel, crate::Matrix), LearnError> {
    if spec.id != "stack" {
        return Err(LearnError::InvalidOption(format!("model \"{}\" is not a stack", spec.id)));
    }
    check_members(spec)?;
    let params = spec.resolved_params()?;
    let n_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let data = TrainingData { x, y, n_classes };
    stacking::fit_with_features(spec, &params, &data, n_threads)
        .map(|(fitted, meta)| (FittedModel::Stacking(fitted), meta))
}

/// Fits every member on all of `data`, in parallel; results in member order.
/// A member's failure names it.
fn fit_members(spec: &ModelSpec, data: &TrainingData<'_>, n_threads: usize) -> Result<Vec<FittedModel>, LearnError> {
    let fits = parallel_map(spec.estimators.len(), n_threads, |index| {
        spec.estimators.get(index).map(|member| member.fit_task(data.x, data.y, data.n_classes))
    });
    fits.into_iter()
        .enumerate()
        .map(|(index, fit)| match fit {
            Some(Ok(model)) => Ok(model),
            Some(Err(error)) => Err(member_error(spec, index, &error)),
            None => Err(LearnError::InvalidOption(format!("{}: no model {}", spec.id, index + 1))),
        })
        .collect()
}

/// A member's error, naming the ensemble, the member's position and id.
fn member_error(spec: &ModelSpec, index: usize, error: &LearnError) -> LearnError {
    let id = spec.estimators.get(index).map_or("?", |member| member.id.as_str());
    LearnError::InvalidOption(format!("{}: model {} (\"{id}\"): {error}", spec.id, index + 1))
}

/// Whether a fitted model has a decision function (asked of an empty matrix).
fn has_decision_function(model: &FittedModel) -> bool {
    model.decision_function(&empty(model.n_features())).is_some_and(|result| result.is_ok())
}

fn empty(n_features: usize) -> crate::Matrix {
    let mut matrix = crate::Matrix::with_rows(0);
    for _ in 0..n_features {
        matrix.push_column(Vec::new());
    }
    matrix
}

/// Members agree with each other: at least two, each valid, one width.
fn validate_members(members: &[FittedModel]) -> Result<usize, String> {
    if members.len() < 2 {
        return Err(format!("members: {} models (at least 2)", members.len()));
    }
    let width = members.first().map_or(0, FittedModel::n_features);
    for (index, member) in members.iter().enumerate() {
        member.validate().map_err(|message| format!("member {}: {message}", index + 1))?;
        if member.n_features() != width {
            return Err(format!(
                "member {} has n_features {} but member 1 has {width}",
                index + 1,
                member.n_features()
            ));
        }
    }
    Ok(width)
}

/// A classifier member's per-class output for one row of zeros has
/// `n_classes` values: members trained on other classes are refused at load.
fn check_member_classes<'a>(
    members: impl IntoIterator<Item = &'a FittedModel>,
    n_classes: usize,
) -> Result<(), String> {
    for (index, member) in members.into_iter().enumerate() {
        let mut row = crate::Matrix::with_rows(1);
        for _ in 0..member.n_features() {
            row.push_column(vec![0.0]);
        }
        if let Some(Ok(probabilities)) = member.predict_proba(&row) {
            if probabilities.len() != n_classes {
                return Err(format!(
                    "member {} gives {} class probabilities but the ensemble has {n_classes} classes",
                    index + 1,
                    probabilities.len()
                ));
            }
        }
    }
    Ok(())
}

/// The ensemble's own parameter `name` as text (`method`).
fn word<'a>(params: &'a Params, name: &str) -> Result<&'a str, LearnError> {
    match params.value(name)? {
        ParamValue::Str(word) => Ok(word),
        other => Err(LearnError::InvalidOption(format!("parameter \"{name}\": {other} is not a word"))),
    }
}

#[cfg(test)]
mod tests;
