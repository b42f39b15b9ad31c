//! The declared parameters of the tree models (scikit-learn's names and
//! defaults) and their resolution into a `TreeConfig` for a given training
//! size: fractions become counts as scikit-learn's `BaseDecisionTree._fit`
//! computes them.
//!
//! `max_features` and `max_samples` accept a fraction or a count; the
//! parameter layer reads `1` and `1.0` alike, so the fraction is tried
//! first and `max_features=1` means every feature (scikit-learn: one). Ask
//! for one feature with a fraction below `1/n_features`.

use super::builder::TreeConfig;
use super::criterion::CriterionKind;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::LearnError;

const OPEN_FRACTION: ParamKind = ParamKind::Float { min: 0.0, max: 1.0, open_min: true };

pub(crate) const CRITERION: ParamSpec = ParamSpec {
    name: "criterion",
    kinds: &[ParamKind::Choice(&["squared_error", "friedman_mse", "poisson", "absolute_error"])],
    default: DefaultValue::Str("squared_error"),
    help: "the impurity a split minimises: variance (friedman_mse: the same, as in scikit-learn 1.9), Poisson \
           deviance or absolute error (leaves predict the weighted median)",
};
pub(crate) const CRITERION_CLS: ParamSpec = ParamSpec {
    name: "criterion",
    kinds: &[ParamKind::Choice(&["gini", "entropy", "log_loss"])],
    default: DefaultValue::Str("gini"),
    help: "the impurity a split minimises: Gini impurity or Shannon entropy (log_loss: the same as entropy)",
};
pub(crate) const MAX_DEPTH: ParamSpec = ParamSpec {
    name: "max_depth",
    kinds: &[ParamKind::COUNT, ParamKind::Null],
    default: DefaultValue::Null,
    help: "the deepest a tree grows (None: until leaves are pure or too small)",
};
pub(crate) const MIN_SAMPLES_SPLIT: ParamSpec = ParamSpec {
    name: "min_samples_split",
    kinds: &[ParamKind::Int { min: 2, max: i64::MAX }, OPEN_FRACTION],
    default: DefaultValue::Int(2),
    help: "the fewest rows a node needs to split (a fraction: of the training rows)",
};
pub(crate) const MIN_SAMPLES_LEAF: ParamSpec = ParamSpec {
    name: "min_samples_leaf",
    kinds: &[ParamKind::COUNT, OPEN_FRACTION],
    default: DefaultValue::Int(1),
    help: "the fewest rows a leaf may hold (a fraction: of the training rows)",
};
pub(crate) const MIN_WEIGHT_FRACTION_LEAF: ParamSpec = ParamSpec {
    name: "min_weight_fraction_leaf",
    kinds: &[ParamKind::Float { min: 0.0, max: 0.5, open_min: false }],
    default: DefaultValue::Float(0.0),
    help: "the smallest fraction of the total sample weight a leaf may hold",
};
const MAX_FEATURES_KINDS: &[ParamKind] =
    &[ParamKind::Null, ParamKind::Choice(&["sqrt", "log2"]), OPEN_FRACTION, ParamKind::COUNT];
pub(crate) const MAX_FEATURES_ALL: ParamSpec = ParamSpec {
    name: "max_features",
    kinds: MAX_FEATURES_KINDS,
    default: DefaultValue::Null,
    help: "features drawn per split: None (all), \"sqrt\", \"log2\", a fraction or a count",
};
pub(crate) const MAX_FEATURES_ONE: ParamSpec = ParamSpec { default: DefaultValue::Float(1.0), ..MAX_FEATURES_ALL };
pub(crate) const MAX_FEATURES_SQRT: ParamSpec = ParamSpec { default: DefaultValue::Str("sqrt"), ..MAX_FEATURES_ALL };
pub(crate) const MAX_LEAF_NODES: ParamSpec = ParamSpec {
    name: "max_leaf_nodes",
    kinds: &[ParamKind::Int { min: 2, max: i64::MAX }, ParamKind::Null],
    default: DefaultValue::Null,
    help: "grow best-first up to this many leaves (None: depth-first, unlimited)",
};
pub(crate) const MIN_IMPURITY_DECREASE: ParamSpec = ParamSpec {
    name: "min_impurity_decrease",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(0.0),
    help: "a node splits only if the weighted impurity decreases by at least this",
};
pub(crate) const CCP_ALPHA: ParamSpec = ParamSpec {
    name: "ccp_alpha",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(0.0),
    help: "minimal cost-complexity pruning: the subtree with the largest cost complexity below this is kept",
};
pub(crate) const RANDOM_STATE: ParamSpec = ParamSpec {
    name: "random_state",
    kinds: &[ParamKind::SEED],
    default: DefaultValue::Seed,
    help: "the seed of the feature draws (and bootstrap samples, thresholds)",
};
pub(crate) const N_ESTIMATORS: ParamSpec = ParamSpec {
    name: "n_estimators",
    kinds: &[ParamKind::COUNT],
    default: DefaultValue::Int(100),
    help: "the number of trees",
};
pub(crate) const BOOTSTRAP_TRUE: ParamSpec = ParamSpec {
    name: "bootstrap",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(true),
    help: "fit each tree on a bootstrap sample (rows drawn with replacement) instead of every row",
};
pub(crate) const BOOTSTRAP_FALSE: ParamSpec = ParamSpec { default: DefaultValue::Bool(false), ..BOOTSTRAP_TRUE };
pub(crate) const MAX_SAMPLES: ParamSpec = ParamSpec {
    name: "max_samples",
    kinds: &[ParamKind::Null, OPEN_FRACTION, ParamKind::COUNT],
    default: DefaultValue::Null,
    help: "rows drawn per bootstrap sample: None (as many as training rows), a fraction or a count",
};

/// A count, or a fraction of `n` (`ceil(fraction * n)`).
fn count_or_fraction(params: &Params, name: &str, n: usize) -> Result<usize, LearnError> {
    match params.value(name)? {
        ParamValue::Float(fraction) => Ok((fraction * n as f64).ceil() as usize),
        _ => params.usize(name),
    }
}

/// scikit-learn's `max_features_` for `n_features`.
fn max_features(params: &Params, n_features: usize) -> Result<usize, LearnError> {
    let count = match params.value("max_features")? {
        ParamValue::Null => n_features,
        ParamValue::Str(word) if word == "sqrt" => ((n_features as f64).sqrt() as usize).max(1),
        ParamValue::Str(_) => ((n_features as f64).log2() as usize).max(1),
        ParamValue::Float(fraction) => ((fraction * n_features as f64) as usize).max(1),
        _ => params.usize("max_features")?,
    };
    if count > n_features {
        return Err(LearnError::InvalidOption(format!(
            "max_features = {count} is more than the {n_features} features"
        )));
    }
    Ok(count)
}

/// The tree controls for `n_samples` rows of `n_features` features.
pub(crate) fn tree_config(
    params: &Params,
    n_samples: usize,
    n_features: usize,
    random: bool,
) -> Result<TreeConfig, LearnError> {
    let criterion_name = match params.value("criterion")? {
        ParamValue::Str(name) => name.clone(),
        other => other.to_string(),
    };
    let criterion = CriterionKind::from_name(&criterion_name)
        .ok_or_else(|| LearnError::InvalidOption(format!("unknown criterion \"{criterion_name}\"")))?;
    let max_depth = match params.value("max_depth")? {
        ParamValue::Null => i32::MAX as usize,
        _ => params.usize("max_depth")?,
    };
    let min_samples_leaf = count_or_fraction(params, "min_samples_leaf", n_samples)?;
    let min_samples_split = count_or_fraction(params, "min_samples_split", n_samples)?.max(2);
    let max_leaf_nodes = match params.value("max_leaf_nodes")? {
        ParamValue::Null => None,
        _ => Some(params.usize("max_leaf_nodes")?),
    };
    Ok(TreeConfig {
        criterion,
        max_depth,
        min_samples_split: min_samples_split.max(2 * min_samples_leaf),
        min_samples_leaf,
        min_weight_fraction_leaf: params.float("min_weight_fraction_leaf")?,
        max_features: max_features(params, n_features)?,
        max_leaf_nodes,
        min_impurity_decrease: params.float("min_impurity_decrease")?,
        ccp_alpha: params.float("ccp_alpha")?,
        random,
        n_classes: 0,
    })
}

/// Rows per bootstrap sample (scikit-learn's `_get_n_samples_bootstrap`).
pub(crate) fn n_samples_bootstrap(params: &Params, n_samples: usize) -> Result<usize, LearnError> {
    match params.value("max_samples")? {
        ParamValue::Null => Ok(n_samples),
        ParamValue::Float(fraction) => Ok(((fraction * n_samples as f64).round_ties_even() as usize).max(1)),
        _ => {
            let count = params.usize("max_samples")?;
            if count > n_samples {
                return Err(LearnError::InvalidOption(format!(
                    "max_samples = {count} is more than the {n_samples} training rows"
                )));
            }
            Ok(count)
        }
    }
}

/// A classifier's target: class codes below `n_classes`, and a criterion of
/// the same task as the target (a regressor's target has `n_classes` 0).
pub(crate) fn check_classes(config: &TreeConfig, y: &[f64], n_classes: usize) -> Result<(), LearnError> {
    if config.criterion.is_classification() != (n_classes > 0) {
        return Err(LearnError::InvalidOption(format!(
            "criterion {:?} does not fit a {} target",
            config.criterion,
            if n_classes > 0 { "classification" } else { "regression" }
        )));
    }
    if let Some(bad) = y.iter().find(|&&c| n_classes > 0 && (c < 0.0 || c.fract() != 0.0 || c >= n_classes as f64)) {
        return Err(LearnError::InvalidOption(format!("the target holds {bad}, not a class code below {n_classes}")));
    }
    Ok(())
}

/// scikit-learn's check for the Poisson criterion: no negative target and a positive sum.
pub(crate) fn check_target(config: &TreeConfig, y: &[f64]) -> Result<(), LearnError> {
    if config.criterion != CriterionKind::Poisson {
        return Ok(());
    }
    if y.iter().any(|&v| v < 0.0) {
        return Err(LearnError::InvalidOption(
            "criterion \"poisson\" needs a non-negative target (some values are negative)".to_string(),
        ));
    }
    if y.iter().sum::<f64>() <= 0.0 {
        return Err(LearnError::InvalidOption("criterion \"poisson\" needs a target with a positive sum".to_string()));
    }
    Ok(())
}
