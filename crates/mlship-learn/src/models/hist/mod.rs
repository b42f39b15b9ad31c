//! Histogram gradient boosting: the tree engine's histogram mode, and on it
//! `lightgbm` (LightGBM's `LGBMRegressor`: leaf-wise, 31 leaves) and
//! `xgboost` (XGBoost's `XGBRegressor` with `tree_method="hist"`:
//! depth-wise, depth 6), each reproducing its library's algorithm and
//! defaults for squared error.
//!
//! The engine, by concern:
//! - `binning`: every feature binned once into at most 255 bins (`u8` codes,
//!   column-major, a code kept for missing) by one library's bin finder;
//!   boundaries stay in raw units, so fitted thresholds need no binning.
//! - `histogram`: per-node gradient/hessian/count histograms, built on every
//!   core over features, and histogram subtraction (the larger child is its
//!   parent minus the smaller).
//! - `grower`: split search (L1/L2 regularisation, `min_child_weight`,
//!   `min_child_samples`, `min_split_gain`/`gamma`) and leaf-wise or
//!   depth-wise growth, in each library's flavour.
//! - `boost`: the boosting loop, row and column subsampling.
//!
//! A fitted model is the base score plus trees in the tree engine's flat
//! `TreeNodes` layout (`x <= threshold` goes left), predicted in blocks of
//! rows on every core. XGBoost's trees compare float32 inputs (`x < cut`
//! there, stored as the float32 below the cut) and sum in float32, as
//! XGBoost predicts; LightGBM's compare and sum float64. A NaN goes right
//! (none reaches a model: preprocessing imputes, and fitting refuses NaN).
//!
//! Importances are split gains (`importance_type="gain"`), normalised to
//! sum to one: LightGBM's total gain per feature, XGBoost's mean gain per
//! split (what XGBoost's `gain` reports).

pub(crate) mod binning;
mod boost;
pub(crate) mod grower;
pub(crate) mod histogram;
mod lightgbm;
#[cfg(test)]
mod tests;
mod xgboost;

use crate::matrix::Matrix;
use crate::models::tree::{TreeNodes, LEAF};
use crate::models::{Fitted, ModelEntry, TrainingData};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// PyCaret's `xgboost` and `lightgbm`, in its `models()` order.
pub const MODELS: &[ModelEntry] = &[xgboost::ENTRY, lightgbm::ENTRY];

/// A fitted boosted ensemble: the prediction is the base score plus every
/// tree's leaf value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBoosting {
    /// The library whose algorithm fitted it (`lightgbm`, `xgboost`).
    pub library: String,
    /// The number of input features.
    pub n_features: usize,
    /// The initial prediction.
    pub base_score: f64,
    /// Inputs are rounded to float32 and leaf values summed in float32 (XGBoost).
    pub float32: bool,
    /// The trees, learning rate applied.
    pub trees: Vec<TreeNodes>,
    /// Gain importances, normalised.
    pub feature_importances: Vec<f64>,
}

impl Fitted for FittedBoosting {
    fn validate(&self) -> Result<(), String> {
        use crate::models::validate;
        if self.n_features == 0 {
            return Err("n_features is 0".to_string());
        }
        validate::finite_one("base_score", self.base_score)?;
        validate::length("feature_importances", self.feature_importances.len(), self.n_features)?;
        validate::finite("feature_importances", &self.feature_importances)?;
        // No trees is a valid model: boosting stops when the first tree cannot split.
        for (index, tree) in self.trees.iter().enumerate() {
            validate::tree_nodes(&format!("trees[{index}]"), tree, self.n_features)?;
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, &self.library)?;
        Ok(predict_rows(self, x))
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.base_score.is_finite()
            && self.trees.iter().all(|t| t.value.iter().chain(&t.weighted_n_node_samples).all(|v| v.is_finite()))
    }
}

/// The threads to use: every core, at most one per task.
pub(crate) fn n_threads(n_tasks: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(n_tasks).max(1)
}

/// `f` over `items`, in order, on every core when the work (`items × rows`) is large.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], rows: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = if items.len() * rows < 1 << 16 { 1 } else { n_threads(items.len()) };
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

#[inline]
fn leaf_value(tree: &TreeNodes, row: &[f64]) -> f64 {
    let mut index = 0usize;
    loop {
        let node = &tree.nodes[index];
        if node.feature == LEAF {
            return tree.value[index];
        }
        index = if row[node.feature as usize] <= node.threshold { node.left } else { node.right } as usize;
    }
}

/// Rows per block: a block's rows stay in cache while every tree walks them.
const BLOCK_ROWS: usize = 256;

fn predict_rows(model: &FittedBoosting, x: &Matrix) -> Vec<f64> {
    let n_cols = x.n_cols();
    let n_rows = x.n_rows;
    let mut out = vec![model.base_score; n_rows];
    if n_rows == 0 {
        return out;
    }
    let block = |first_row: usize, out: &mut [f64]| {
        let mut rows = vec![0.0f64; out.len() * n_cols];
        for (j, column) in x.columns.iter().enumerate() {
            for (i, &value) in column[first_row..first_row + out.len()].iter().enumerate() {
                rows[i * n_cols + j] = if model.float32 { f64::from(value as f32) } else { value };
            }
        }
        if model.float32 {
            let mut sums: Vec<f32> = out.iter().map(|&v| v as f32).collect();
            for tree in &model.trees {
                for (row, sum) in rows.chunks_exact(n_cols).zip(sums.iter_mut()) {
                    *sum += leaf_value(tree, row) as f32;
                }
            }
            out.iter_mut().zip(sums).for_each(|(o, s)| *o = f64::from(s));
        } else {
            for tree in &model.trees {
                for (row, sum) in rows.chunks_exact(n_cols).zip(out.iter_mut()) {
                    *sum += leaf_value(tree, row);
                }
            }
        }
    };
    let run = |first_row: usize, out: &mut [f64]| {
        for (k, chunk) in out.chunks_mut(BLOCK_ROWS).enumerate() {
            block(first_row + k * BLOCK_ROWS, chunk);
        }
    };
    let threads = if n_rows * model.trees.len() < 200_000 { 1 } else { n_threads(n_rows.div_ceil(BLOCK_ROWS)) };
    if threads <= 1 {
        run(0, &mut out);
        return out;
    }
    let per_thread = n_rows.div_ceil(threads);
    std::thread::scope(|scope| {
        for (k, chunk) in out.chunks_mut(per_thread).enumerate() {
            let run = &run;
            scope.spawn(move || run(k * per_thread, chunk));
        }
    });
    out
}

/// The feature columns, after checking the data can be fitted.
fn checked_columns<'a>(data: &TrainingData<'a>, model: &str) -> Result<&'a [Vec<f64>], LearnError> {
    if data.x.n_rows == 0 || data.x.n_cols() == 0 {
        return Err(LearnError::InvalidOption(format!(
            "{model} needs at least one row and one feature (got {} rows, {} features)",
            data.x.n_rows,
            data.x.n_cols()
        )));
    }
    if data.x.n_rows > u32::MAX as usize {
        return Err(LearnError::InvalidOption(format!("{model}: more than {} rows", u32::MAX)));
    }
    if data.x.columns.iter().flatten().chain(data.y).any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidOption(format!("{model}: the input has NaN or infinite values")));
    }
    Ok(&data.x.columns)
}

/// Importances normalised to sum to one (all zero when nothing split).
fn normalised(mut values: Vec<f64>) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    if total > 0.0 {
        values.iter_mut().for_each(|v| *v /= total);
    }
    values
}
