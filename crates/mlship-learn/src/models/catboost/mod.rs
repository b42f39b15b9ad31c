//! CatBoost's algorithm with `CatBoostRegressor`'s defaults on CPU
//! (catboost 1.2.10, `catboost/private/libs/options` and
//! `catboost/libs/train_lib/options_helper.cpp`; `CatBoostClassifier`'s
//! losses and defaults are in `classifier`), built in:
//!
//! - quantization: `GreedyLogSum` with `border_count=254` (`quantize`);
//! - symmetric (oblivious) trees of `depth=6`, `iterations=1000`, the RMSE
//!   loss boosted from the target mean (`boost_from_average=True` for RMSE);
//! - `boosting_type=Plain`: on CPU CatBoost chooses Plain unless asked
//!   otherwise (`get_all_params()` reports Plain for 160 to 20,000 rows);
//!   Ordered boosting is not implemented;
//! - the automatic learning rate of `UpdateLearningRate` (RMSE, CPU, no
//!   eval set, boost from average): `round(min(exp(0.158 ln n - 4.287) *
//!   exp(-0.813 (ln iterations - ln 1000)), 0.5), 6)`; as in CatBoost, only
//!   when `l2_leaf_reg` is unset too (its default None means 3), else 0.03;
//! - `l2_leaf_reg=3`, `random_strength=1`, `score_function=Cosine`, Newton
//!   leaf estimation with one iteration (the same step as Gradient for RMSE),
//!   `model_shrink_rate=0` (no shrinkage);
//! - `bootstrap_type=MVS` with `subsample=0.8` (CatBoost's CPU default
//!   since 0.24; `bagging_temperature` applies to `Bayesian` only), `rsm=1`.
//!
//! The training loop is in `boost`. Parity with CatBoost is statistical
//! (mlship draws its own random numbers): the fixtures' mean 5-fold CV R2.
//! `random_state` is CatBoost's alias of `random_seed` (PyCaret passes it).
//!
//! Feature importances are CatBoost's `PredictionValuesChange`
//! (`catboost/libs/fstr/feature_str.cpp`): per tree and level, over each pair
//! of leaves that differ only in that level's split, the count-weighted
//! squared deviation of the two values from their mean, summed per feature.
//! CatBoost scales them to sum to 100; mlship to 1, like the other models.

mod boost;
mod classifier;
mod leaves;
mod quantize;
mod score;

pub use classifier::FittedObliviousClassifier;

use crate::matrix::Matrix;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use boost::{BoostOptions, Bootstrap, Loss};
use serde::{Deserialize, Serialize};

/// One oblivious tree of a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObliviousTree {
    /// The feature each level splits on, level 0 first.
    pub features: Vec<u32>,
    /// Each level's border index into its feature's borders: a row goes to
    /// the upper side when its value is above that border.
    pub borders: Vec<u8>,
    /// `2^depth` leaf values (the learning rate applied); the leaf of a row
    /// is `sum_d upper_d << d`.
    pub leaf_values: Vec<f64>,
}

/// A fitted CatBoost model: the borders per feature, the trees and the
/// starting value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOblivious {
    /// The number of input features.
    pub n_features: usize,
    /// The starting prediction (the training target's mean).
    pub bias: f64,
    /// Each feature's sorted borders (float32, as CatBoost stores them).
    pub borders: Vec<Vec<f32>>,
    /// The trees, in boosting order.
    pub trees: Vec<ObliviousTree>,
    /// `PredictionValuesChange` importances, normalised to sum to 1.
    pub feature_importances: Vec<f64>,
}

/// Rows predicted together: one block's leaf indices stay in cache.
const PREDICT_BLOCK: usize = 4096;

impl FittedOblivious {
    fn predict_block(&self, bins: &[Vec<u8>], start: usize, out: &mut [f64]) {
        let mut leaf = vec![0u32; out.len()];
        out.fill(self.bias);
        for tree in &self.trees {
            leaf.fill(0);
            for (level, (&feature, &border)) in tree.features.iter().zip(&tree.borders).enumerate() {
                let column = &bins[feature as usize][start..start + out.len()];
                for (index, &bin) in leaf.iter_mut().zip(column) {
                    *index |= u32::from(bin > border) << level;
                }
            }
            for (value, &index) in out.iter_mut().zip(&leaf) {
                *value += tree.leaf_values[index as usize];
            }
        }
    }
}

impl Fitted for FittedOblivious {
    fn validate(&self) -> Result<(), String> {
        use crate::models::validate;
        if self.n_features == 0 {
            return Err("n_features is 0".to_string());
        }
        validate::finite_one("bias", self.bias)?;
        validate::length("borders", self.borders.len(), self.n_features)?;
        validate::length("feature_importances", self.feature_importances.len(), self.n_features)?;
        validate::finite("feature_importances", &self.feature_importances)?;
        for (feature, borders) in self.borders.iter().enumerate() {
            if borders.len() > 255 || borders.iter().any(|b| !b.is_finite()) || borders.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(format!("borders[{feature}] must be at most 255 finite values in increasing order"));
            }
        }
        for (index, tree) in self.trees.iter().enumerate() {
            let depth = tree.features.len();
            if depth > 16 {
                return Err(format!("trees[{index}] has depth {depth} (at most 16)"));
            }
            validate::length(&format!("trees[{index}].borders"), tree.borders.len(), depth)?;
            validate::length(&format!("trees[{index}].leaf_values"), tree.leaf_values.len(), 1 << depth)?;
            validate::finite(&format!("trees[{index}].leaf_values"), &tree.leaf_values)?;
            for (level, (&feature, &border)) in tree.features.iter().zip(&tree.borders).enumerate() {
                let known = self.borders.get(feature as usize).map(Vec::len);
                if known.is_none_or(|n| usize::from(border) >= n) {
                    return Err(format!(
                        "trees[{index}] level {level} splits feature {feature} at border {border}, which the model does not have"
                    ));
                }
            }
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "CatBoostRegressor")?;
        let bins: Vec<Vec<u8>> = x
            .columns
            .iter()
            .zip(&self.borders)
            .map(|(column, borders)| column.iter().map(|&v| quantize::bin_of(borders, v as f32)).collect())
            .collect();
        let mut predictions = vec![0.0; x.n_rows];
        let threads =
            if x.n_rows < 4 * PREDICT_BLOCK { 1 } else { std::thread::available_parallelism().map_or(1, usize::from) };
        if threads <= 1 {
            for (block, out) in predictions.chunks_mut(PREDICT_BLOCK).enumerate() {
                self.predict_block(&bins, block * PREDICT_BLOCK, out);
            }
            return Ok(predictions);
        }
        let per_thread = x.n_rows.div_ceil(threads).div_ceil(PREDICT_BLOCK) * PREDICT_BLOCK;
        std::thread::scope(|scope| {
            for (part, chunk) in predictions.chunks_mut(per_thread).enumerate() {
                let bins = &bins;
                scope.spawn(move || {
                    for (block, out) in chunk.chunks_mut(PREDICT_BLOCK).enumerate() {
                        self.predict_block(bins, part * per_thread + block * PREDICT_BLOCK, out);
                    }
                });
            }
        });
        Ok(predictions)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.bias.is_finite()
            && self.trees.iter().all(|tree| tree.leaf_values.iter().all(|v| v.is_finite()))
            && self.borders.iter().flatten().all(|b| b.is_finite())
    }
}

/// CatBoost's automatic learning rate for RMSE on CPU without an eval set
/// (`TAutoLRParamsGuesser`, boost from average).
pub fn auto_learning_rate(n_rows: usize, iterations: usize) -> f64 {
    auto_rate_with((0.158, -4.287, -0.813), n_rows, iterations)
}

/// `TAutoLRParamsGuesser`'s formula with one loss's coefficients
/// `(size_coeff, size_const, iter_coeff)`: `round(min(exp(size_coeff ln n +
/// size_const) * exp(iter_coeff (ln iterations - ln 1000)), 0.5), 6)`.
fn auto_rate_with((size_coeff, size_const, iter_coeff): (f64, f64, f64), n_rows: usize, iterations: usize) -> f64 {
    let default_rate = (size_coeff * (n_rows as f64).ln() + size_const).exp();
    let iteration_factor = (iter_coeff * ((iterations as f64).ln() - 1000f64.ln())).exp();
    ((default_rate * iteration_factor).min(0.5) * 1e6).round() / 1e6
}

/// `PredictionValuesChange`, normalised to sum to 1 (all zero when no tree
/// splits); for several dimensions the effects of each are added.
fn prediction_values_change(trees: &[boost::GrownTree], n_features: usize, dimension: usize) -> Vec<f64> {
    let mut effect = vec![0.0; n_features];
    for tree in trees {
        for (level, &feature) in tree.features.iter().enumerate() {
            for leaf in 0..tree.leaf_weights.len() {
                let other = leaf ^ (1 << level);
                if other < leaf {
                    continue;
                }
                let (count1, count2) = (tree.leaf_weights[leaf], tree.leaf_weights[other]);
                if count1 == 0.0 || count2 == 0.0 {
                    continue;
                }
                for d in 0..dimension {
                    let (value1, value2) =
                        (tree.leaf_values[leaf * dimension + d], tree.leaf_values[other * dimension + d]);
                    let mean = (value1 * count1 + value2 * count2) / (count1 + count2);
                    effect[feature as usize] += (value1 - mean).powi(2) * count1 + (value2 - mean).powi(2) * count2;
                }
            }
        }
    }
    let total: f64 = effect.iter().sum();
    if total > 0.0 {
        effect.iter_mut().for_each(|v| *v /= total);
    }
    effect
}

/// The bootstrap the parameters ask for; `default_kind` when
/// `bootstrap_type` is None (the classifier's loss-dependent default).
fn bootstrap(params: &Params, model: &str, default_kind: &str) -> Result<Bootstrap, LearnError> {
    let kind = match params.value("bootstrap_type")? {
        ParamValue::Str(kind) => kind.clone(),
        ParamValue::Null => default_kind.to_string(),
        other => return Err(LearnError::InvalidOption(format!("bootstrap_type: {other} is not a bootstrap type"))),
    };
    let subsample = match params.value("subsample")? {
        ParamValue::Null => None,
        _ => Some(params.float("subsample")?),
    };
    match kind.as_str() {
        "MVS" => Ok(Bootstrap::Mvs { subsample: subsample.unwrap_or(0.8) }),
        "Bernoulli" => Ok(Bootstrap::Bernoulli { subsample: subsample.unwrap_or(0.8) }),
        "Bayesian" | "No" if subsample.is_some() => Err(LearnError::InvalidOption(format!(
            "{model}: subsample applies to bootstrap_type MVS or Bernoulli, not {kind}"
        ))),
        "Bayesian" => Ok(Bootstrap::Bayesian { temperature: params.float("bagging_temperature")? }),
        _ => Ok(Bootstrap::No),
    }
}

/// Refuses empty or non-finite input (`model` names the estimator).
fn check_input(data: &TrainingData<'_>, model: &str) -> Result<(), LearnError> {
    let (n_rows, n_features) = (data.x.n_rows, data.x.n_cols());
    if n_rows == 0 || n_features == 0 {
        return Err(LearnError::InvalidOption(format!(
            "{model} needs at least one row and one feature (got {n_rows} rows, {n_features} features)"
        )));
    }
    if data.x.columns.iter().flatten().chain(data.y).any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidOption(format!("{model}: the input has NaN or infinite values")));
    }
    Ok(())
}

/// The options shared by both estimators; `rate_coefficients` are the
/// loss's automatic learning rate coefficients.
fn options(
    params: &Params,
    n_rows: usize,
    loss: Loss,
    rate_coefficients: (f64, f64, f64),
    bootstrap: Bootstrap,
    leaf_iterations: usize,
) -> Result<BoostOptions, LearnError> {
    let iterations = params.usize("iterations")?;
    // CatBoost guesses the rate only when l2_leaf_reg is unset too; else its default 0.03.
    let l2_unset = matches!(params.value("l2_leaf_reg")?, ParamValue::Null);
    let learning_rate = match params.value("learning_rate")? {
        ParamValue::Null if l2_unset => auto_rate_with(rate_coefficients, n_rows, iterations),
        ParamValue::Null => 0.03,
        _ => params.float("learning_rate")?,
    };
    let l2_leaf_reg = if l2_unset { 3.0 } else { params.float("l2_leaf_reg")? };
    Ok(BoostOptions {
        iterations,
        learning_rate,
        depth: params.usize("depth")?,
        l2_leaf_reg,
        random_strength: params.float("random_strength")?,
        bootstrap,
        rsm: params.float("rsm")?,
        seed: u64::from(params.seed("random_state")?),
        loss,
        leaf_iterations,
    })
}

/// Each feature's GreedyLogSum borders and its binned column.
fn quantize_columns(x: &Matrix, border_count: usize) -> (Vec<Vec<f32>>, Vec<Vec<u8>>) {
    let borders: Vec<Vec<f32>> =
        x.columns.iter().map(|column| quantize::greedy_log_sum_borders(column, border_count)).collect();
    let columns = bin_columns(x, &borders);
    (borders, columns)
}

/// The columns of `x` as bin indices under `borders`.
fn bin_columns(x: &Matrix, borders: &[Vec<f32>]) -> Vec<Vec<u8>> {
    x.columns
        .iter()
        .zip(borders)
        .map(|(column, borders)| column.iter().map(|&v| quantize::bin_of(borders, v as f32)).collect())
        .collect()
}

fn fit_catboost(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let (n_rows, n_features) = (data.x.n_rows, data.x.n_cols());
    check_input(data, "CatBoostRegressor")?;
    if data.y.iter().any(|v| !(*v as f32).is_finite()) {
        return Err(LearnError::InvalidOption(
            "CatBoostRegressor: the target does not fit in float32 (CatBoost's target type)".to_string(),
        ));
    }
    let bootstrap = bootstrap(params, "CatBoostRegressor", "MVS")?;
    let options = options(params, n_rows, Loss::Rmse, (0.158, -4.287, -0.813), bootstrap, 1)?;
    let (borders, columns) = quantize_columns(data.x, params.usize("border_count")?);
    // CatBoost stores the target as float32.
    let y: Vec<f64> = data.y.iter().map(|&v| f64::from(v as f32)).collect();
    let bias = y.iter().sum::<f64>() / n_rows as f64;
    let grown = boost::boost(&columns, &borders, &y, bias, &options)?;
    let feature_importances = prediction_values_change(&grown, n_features, 1);
    let trees = grown
        .into_iter()
        .map(|tree| ObliviousTree { features: tree.features, borders: tree.borders, leaf_values: tree.leaf_values })
        .collect();
    Ok(FittedModel::Oblivious(FittedOblivious { n_features, bias, borders, trees, feature_importances }))
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "iterations",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(1000),
        help: "the number of trees",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::Null, ParamKind::POSITIVE],
        default: DefaultValue::Null,
        help: "the shrinkage of each tree (None: CatBoost's automatic rate from the rows and iterations, or 0.03 when l2_leaf_reg is set)",
    },
    ParamSpec {
        name: "depth",
        kinds: &[ParamKind::Int { min: 1, max: 16 }],
        default: DefaultValue::Int(6),
        help: "the depth of every symmetric tree (2^depth leaves)",
    },
    ParamSpec {
        name: "l2_leaf_reg",
        kinds: &[ParamKind::Null, ParamKind::NON_NEGATIVE],
        default: DefaultValue::Null,
        help: "the L2 regularisation of the leaf values (None: 3, and the automatic learning rate applies)",
    },
    ParamSpec {
        name: "random_strength",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1.0),
        help: "the deviation of the noise added to split scores (shrinking as the model grows)",
    },
    ParamSpec {
        name: "bootstrap_type",
        kinds: &[ParamKind::Choice(&["MVS", "Bayesian", "Bernoulli", "No"])],
        default: DefaultValue::Str("MVS"),
        help: "how rows are weighted for each tree's structure",
    },
    ParamSpec {
        name: "subsample",
        kinds: &[ParamKind::Null, ParamKind::Float { min: 0.0, max: 1.0, open_min: true }],
        default: DefaultValue::Null,
        help: "the sampled fraction of rows for MVS and Bernoulli (None: 0.8)",
    },
    ParamSpec {
        name: "bagging_temperature",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1.0),
        help: "the Bayesian bootstrap's temperature (weights (-ln u)^t; bootstrap_type=Bayesian only)",
    },
    ParamSpec {
        name: "border_count",
        kinds: &[ParamKind::Int { min: 1, max: 255 }],
        default: DefaultValue::Int(254),
        help: "the most borders per feature (GreedyLogSum quantization)",
    },
    ParamSpec {
        name: "rsm",
        kinds: &[ParamKind::Float { min: 0.0, max: 1.0, open_min: true }],
        default: DefaultValue::Float(1.0),
        help: "the fraction of features considered at each tree level",
    },
    ParamSpec {
        name: "random_state",
        kinds: &[ParamKind::SEED],
        default: DefaultValue::Seed,
        help: "the seed (CatBoost's random_seed) of the bootstrap, score noise and rsm draws",
    },
];

/// PyCaret's `catboost`: `CatBoostRegressor(random_state=session_id,
/// thread_count=n_jobs, verbose=False)` and `CatBoostClassifier` with the
/// same arguments; mlship uses every core.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "catboost",
        name: "CatBoost Regressor",
        class: "catboost.CatBoostRegressor",
        family: "catboost",
        task: Task::Regression,
        turbo: true,
        randomised: true,
        params: PARAMS,
        fit: fit_catboost,
    },
    classifier::MODEL,
];

#[cfg(test)]
mod tests;
