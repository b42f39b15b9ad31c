//! `xgboost`: XGBoost's `XGBRegressor` (objective `reg:squarederror`) and
//! `XGBClassifier` (`binary:logistic`, or `multi:softprob` for more than two
//! classes), `tree_method="hist"`, with their defaults: depth-wise trees of
//! depth 6, learning rate (eta) 0.3, 100 rounds, `reg_lambda` 1,
//! `min_child_weight` 1, `gamma` 0, `max_bin` 256, the base score estimated
//! as XGBoost 3.2 does (see `objective`). `grow_policy="lossguide"` grows
//! best-first up to `max_leaves`. PyCaret passes `random_state`, `n_jobs`,
//! `tree_method` (`auto`, which is hist) and `verbosity` only.
//! `scale_pos_weight` (PyCaret's tune grid searches it) weighs the rows
//! labelled 1, as XGBoost 3.2's `RegLossObj` does (see `objective`).
//!
//! Bins: a feature with at most 255 distinct values gets XGBoost's exact
//! cuts; more are cut at evenly spaced ranks into at most 255 bins (XGBoost:
//! 256 from its quantile sketch), so large data is statistically at parity.

use super::binning::{BinFinder, BinnedMatrix};
use super::boost::BoostPlan;
use super::grower::{Flavour, Growth, TreeRules};
use super::{boost_task, checked_columns, normalised, FittedBoosting};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

const UNIT_FRACTION: ParamKind = ParamKind::Float { min: 0.0, max: 1.0, open_min: true };

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_estimators",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(100),
        help: "boosting rounds",
    },
    ParamSpec {
        name: "max_depth",
        kinds: &[ParamKind::Int { min: 0, max: i64::MAX }],
        default: DefaultValue::Int(6),
        help: "the deepest a leaf may be (0: no limit, with grow_policy lossguide)",
    },
    ParamSpec {
        name: "max_leaves",
        kinds: &[ParamKind::Int { min: 0, max: i64::MAX }],
        default: DefaultValue::Int(0),
        help: "the most leaves of a tree with grow_policy lossguide (0: no limit)",
    },
    ParamSpec {
        name: "grow_policy",
        kinds: &[ParamKind::Choice(&["depthwise", "lossguide"])],
        default: DefaultValue::Str("depthwise"),
        help: "grow level by level, or best-first by loss change",
    },
    ParamSpec {
        name: "max_bin",
        kinds: &[ParamKind::Int { min: 2, max: 256 }],
        default: DefaultValue::Int(256),
        help: "the most bins a feature is bucketed into (at most 255 are used)",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(0.3),
        help: "eta: shrinkage of every tree's leaf values",
    },
    ParamSpec {
        name: "gamma",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(0.0),
        help: "min_split_loss: the least loss reduction a split must make",
    },
    ParamSpec {
        name: "min_child_weight",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1.0),
        help: "the least hessian sum of a child",
    },
    ParamSpec {
        name: "subsample",
        kinds: &[UNIT_FRACTION],
        default: DefaultValue::Float(1.0),
        help: "the fraction of rows each tree sees",
    },
    ParamSpec {
        name: "colsample_bytree",
        kinds: &[UNIT_FRACTION],
        default: DefaultValue::Float(1.0),
        help: "the fraction of features each tree may split on",
    },
    ParamSpec {
        name: "reg_alpha",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(0.0),
        help: "L1 regularisation of leaf values",
    },
    ParamSpec {
        name: "reg_lambda",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1.0),
        help: "L2 regularisation of leaf values",
    },
    ParamSpec {
        name: "scale_pos_weight",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1.0),
        help: "the weight of rows labelled 1 (binary:logistic's positives; a regression target's exact 1s, \
               as XGBoost applies it; ignored with more than two classes)",
    },
    ParamSpec {
        name: "random_state",
        kinds: &[ParamKind::SEED],
        default: DefaultValue::Seed,
        help: "the seed of row and column subsampling",
    },
];

fn fit(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let model = if data.n_classes == 0 { "XGBRegressor" } else { "XGBClassifier" };
    let columns = checked_columns(data, model)?;
    let max_depth = params.usize("max_depth")?;
    let growth = match params.value("grow_policy")? {
        ParamValue::Str(policy) if policy == "lossguide" => {
            Growth::LeafWise { max_leaves: params.usize("max_leaves")?, max_depth }
        }
        _ => {
            if max_depth == 0 {
                return Err(LearnError::InvalidOption(format!(
                    "{model}: max_depth = 0 (no limit) needs grow_policy \"lossguide\""
                )));
            }
            Growth::DepthWise { max_depth }
        }
    };
    let rules = TreeRules {
        flavour: Flavour::XgBoost,
        learning_rate: params.float("learning_rate")?,
        lambda_l1: params.float("reg_alpha")?,
        lambda_l2: params.float("reg_lambda")?,
        min_sum_hessian: params.float("min_child_weight")?,
        min_data_in_leaf: 0,
        min_split_gain: params.float("gamma")?,
        growth,
    };
    let plan = BoostPlan {
        rules,
        n_estimators: params.usize("n_estimators")?,
        subsample: params.float("subsample")?,
        subsample_freq: 1,
        colsample_bytree: params.float("colsample_bytree")?,
        seed: params.seed("random_state")?,
        scale_pos_weight: params.float("scale_pos_weight")? as f32,
    };
    let binned = BinnedMatrix::new(columns, BinFinder::XgBoost { max_bin: params.usize("max_bin")? });
    let (boosted, classes) = boost_task(&binned, data, &plan);
    let mean_gain: Vec<f64> = boosted
        .total_gain
        .iter()
        .zip(&boosted.split_count)
        .map(|(&gain, &count)| if count > 0 { gain / count as f64 } else { 0.0 })
        .collect();
    Ok(FittedModel::Boosting(FittedBoosting {
        library: "xgboost".to_string(),
        n_features: columns.len(),
        base_score: if classes.is_none() { boosted.base_scores.first().copied().unwrap_or(0.0) } else { 0.0 },
        float32: true,
        trees: boosted.trees,
        classes,
        feature_importances: normalised(mean_gain),
    }))
}

/// The `xgboost` row of the model table.
pub(crate) const ENTRY: ModelEntry = ModelEntry {
    id: "xgboost",
    name: "Extreme Gradient Boosting",
    class: "xgboost.XGBRegressor",
    family: "xgboost",
    task: Task::Regression,
    turbo: true,
    randomised: false,
    params: PARAMS,
    fit,
};

/// The `xgboost` row of the classification table: the same parameters and
/// defaults; `predict_proba`, and no `decision_function` (as the library's
/// classifier: PyCaret's AUC then reads the probabilities).
pub(crate) const CLASSIFIER: ModelEntry = ModelEntry {
    id: "xgboost",
    name: "Extreme Gradient Boosting",
    class: "xgboost.XGBClassifier",
    family: "xgboost",
    task: Task::Classification,
    turbo: true,
    randomised: false,
    params: PARAMS,
    fit,
};
