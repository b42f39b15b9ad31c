//! `lightgbm`: LightGBM's `LGBMRegressor` (objective `regression`, gbdt) and
//! `LGBMClassifier` (objective `binary`, or `multiclass` for more than two
//! classes) with their defaults: 31 leaves grown leaf-wise, no depth limit,
//! learning rate 0.1, 100 rounds, `min_child_samples` 20, `min_child_weight`
//! 1e-3, bins from `max_bin` 255 and `min_data_in_bin` 3,
//! `boost_from_average`. PyCaret passes `random_state` and `n_jobs` only.

use super::binning::{BinFinder, BinnedMatrix};
use super::boost::BoostPlan;
use super::grower::{Flavour, Growth, TreeRules};
use super::{boost_task, checked_columns, normalised, FittedBoosting};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

const UNIT_FRACTION: ParamKind = ParamKind::Float { min: 0.0, max: 1.0, open_min: true };
/// LightGBM's `bin_construct_sample_cnt`.
const BIN_SAMPLE_ROWS: usize = 200_000;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "num_leaves",
        kinds: &[ParamKind::Int { min: 2, max: 131_072 }],
        default: DefaultValue::Int(31),
        help: "the most leaves of a tree (grown best-first)",
    },
    ParamSpec {
        name: "max_depth",
        kinds: &[ParamKind::Int { min: -1, max: i64::MAX }],
        default: DefaultValue::Int(-1),
        help: "the deepest a leaf may be (-1 or 0: no limit)",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(0.1),
        help: "shrinkage of every tree's leaf values",
    },
    ParamSpec {
        name: "n_estimators",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(100),
        help: "boosting rounds",
    },
    ParamSpec {
        name: "min_split_gain",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(0.0),
        help: "the least gain a split must make",
    },
    ParamSpec {
        name: "min_child_weight",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1e-3),
        help: "the least hessian sum of a leaf",
    },
    ParamSpec {
        name: "min_child_samples",
        kinds: &[ParamKind::Int { min: 0, max: i64::MAX }],
        default: DefaultValue::Int(20),
        help: "the fewest rows of a leaf",
    },
    ParamSpec {
        name: "subsample",
        kinds: &[UNIT_FRACTION],
        default: DefaultValue::Float(1.0),
        help: "the fraction of rows each tree sees (with subsample_freq > 0)",
    },
    ParamSpec {
        name: "subsample_freq",
        kinds: &[ParamKind::Int { min: 0, max: i64::MAX }],
        default: DefaultValue::Int(0),
        help: "redraw the subsample every this many rounds (0: no subsampling)",
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
        default: DefaultValue::Float(0.0),
        help: "L2 regularisation of leaf values",
    },
    ParamSpec {
        name: "max_bin",
        kinds: &[ParamKind::Int { min: 2, max: 255 }],
        default: DefaultValue::Int(255),
        help: "the most bins a feature is bucketed into",
    },
    ParamSpec {
        name: "min_data_in_bin",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(3),
        help: "the fewest rows of a bin (when the values allow)",
    },
    ParamSpec {
        name: "random_state",
        kinds: &[ParamKind::SEED],
        default: DefaultValue::Seed,
        help: "the seed of row and column subsampling",
    },
];

fn fit(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let model = if data.n_classes == 0 { "LGBMRegressor" } else { "LGBMClassifier" };
    let columns = checked_columns(data, model)?;
    let max_depth = match params.value("max_depth")? {
        ParamValue::Int(depth) if *depth > 0 => *depth as usize,
        _ => 0,
    };
    let rules = TreeRules {
        flavour: Flavour::LightGbm,
        learning_rate: params.float("learning_rate")?,
        lambda_l1: params.float("reg_alpha")?,
        lambda_l2: params.float("reg_lambda")?,
        min_sum_hessian: params.float("min_child_weight")?,
        min_data_in_leaf: params.usize("min_child_samples")?,
        min_split_gain: params.float("min_split_gain")?,
        growth: Growth::LeafWise { max_leaves: params.usize("num_leaves")?, max_depth },
    };
    let plan = BoostPlan {
        rules,
        n_estimators: params.usize("n_estimators")?,
        subsample: params.float("subsample")?,
        subsample_freq: params.usize("subsample_freq")?,
        colsample_bytree: params.float("colsample_bytree")?,
        seed: params.seed("random_state")?,
        scale_pos_weight: 1.0,
    };
    let finder = BinFinder::LightGbm {
        max_bin: params.usize("max_bin")?,
        min_data_in_bin: params.usize("min_data_in_bin")?,
        sample_rows: BIN_SAMPLE_ROWS,
    };
    let binned = BinnedMatrix::new(columns, finder);
    let (boosted, classes) = boost_task(&binned, data, &plan);
    Ok(FittedModel::Boosting(FittedBoosting {
        library: "lightgbm".to_string(),
        n_features: columns.len(),
        base_score: if classes.is_none() { boosted.base_scores.first().copied().unwrap_or(0.0) } else { 0.0 },
        float32: false,
        trees: boosted.trees,
        classes,
        feature_importances: normalised(boosted.total_gain),
    }))
}

/// The `lightgbm` row of the model table.
pub(crate) const ENTRY: ModelEntry = ModelEntry {
    id: "lightgbm",
    name: "Light Gradient Boosting Machine",
    class: "lightgbm.LGBMRegressor",
    family: "lightgbm",
    task: Task::Regression,
    turbo: true,
    randomised: false,
    params: PARAMS,
    fit,
};

/// The `lightgbm` row of the classification table: the same parameters and
/// defaults; `predict_proba`, and no `decision_function` (as the library's
/// classifier: PyCaret's AUC then reads the probabilities).
pub(crate) const CLASSIFIER: ModelEntry = ModelEntry {
    id: "lightgbm",
    name: "Light Gradient Boosting Machine",
    class: "lightgbm.LGBMClassifier",
    family: "lightgbm",
    task: Task::Classification,
    turbo: true,
    randomised: false,
    params: PARAMS,
    fit,
};
