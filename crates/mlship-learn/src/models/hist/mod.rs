//! Histogram gradient boosting: the tree engine's histogram mode, and on it
//! `lightgbm` (LightGBM's `LGBMRegressor` / `LGBMClassifier`: leaf-wise, 31
//! leaves) and `xgboost` (XGBoost's `XGBRegressor` / `XGBClassifier` with
//! `tree_method="hist"`: depth-wise, depth 6), each reproducing its
//! library's algorithm and defaults for squared error, binary logistic and
//! softmax (`objective`).
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
//! - `objective`: initial scores, gradients/hessians and the probability
//!   link of each loss, in each library's arithmetic.
//! - `boost`: the boosting loop (one tree per class and round for softmax),
//!   row and column subsampling.
//!
//! A fitted model is the base score(s) plus trees in the tree engine's flat
//! `TreeNodes` layout (a softmax model's trees interleaved by class) (`x <= threshold` goes left), predicted in blocks of
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
mod objective;
#[cfg(test)]
mod tests;
mod xgboost;

use crate::matrix::Matrix;
use crate::models::tree::{TreeNodes, LEAF};
use crate::models::{Fitted, ModelEntry, TrainingData};
use crate::LearnError;
use objective::Objective;
use serde::{Deserialize, Serialize};

/// PyCaret's `xgboost` and `lightgbm`, regressors then classifiers, in its `models()` order.
pub const MODELS: &[ModelEntry] = &[xgboost::ENTRY, lightgbm::ENTRY, xgboost::CLASSIFIER, lightgbm::CLASSIFIER];

/// A boosted classifier's outputs: which classes were trained and their
/// initial scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedClasses {
    /// The classes of the whole target (probability columns).
    pub n_classes: usize,
    /// The class codes the training rows held, ascending (the library saw
    /// only these: two are fitted as one logistic score, more as one score
    /// per class and round, one as a constant); the others get probability 0.
    pub trained: Vec<usize>,
    /// The initial score of each output: one for two classes, else one per trained class.
    pub base_scores: Vec<f64>,
}

impl BoostedClasses {
    /// The scores per row: 1 for two classes, else one per trained class (none for one class).
    fn n_groups(&self) -> usize {
        match self.trained.len() {
            0 | 1 => 0,
            2 => 1,
            k => k,
        }
    }
}

/// A fitted boosted ensemble: the prediction is the base score plus every
/// tree's leaf value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBoosting {
    /// The library whose algorithm fitted it (`lightgbm`, `xgboost`).
    pub library: String,
    /// The number of input features.
    pub n_features: usize,
    /// A regressor's initial prediction (0 for a classifier, whose initial
    /// scores are in `classes`).
    pub base_score: f64,
    /// Inputs are rounded to float32 and leaf values summed in float32 (XGBoost).
    pub float32: bool,
    /// The trees, learning rate applied.
    pub trees: Vec<TreeNodes>,
    /// Gain importances, normalised.
    pub feature_importances: Vec<f64>,
    /// A classifier's classes (`None` for a regressor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<BoostedClasses>,
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
        if let Some(classes) = &self.classes {
            if classes.trained.is_empty() {
                return Err("classes.trained is empty".to_string());
            }
            if classes.trained.windows(2).any(|w| w[0] >= w[1])
                || classes.trained.iter().any(|&c| c >= classes.n_classes)
            {
                return Err(format!(
                    "classes.trained {:?} is not ascending below n_classes {}",
                    classes.trained, classes.n_classes
                ));
            }
            validate::length("classes.base_scores", classes.base_scores.len(), classes.n_groups())?;
            validate::finite("classes.base_scores", &classes.base_scores)?;
            let groups = classes.n_groups().max(1);
            if !self.trees.len().is_multiple_of(groups) || (classes.n_groups() == 0 && !self.trees.is_empty()) {
                return Err(format!("{} trees do not make whole rounds of {groups}", self.trees.len()));
            }
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, &self.library)?;
        let Some(classes) = &self.classes else { return Ok(predict_rows(self, x, &[self.base_score])) };
        let n_classes = classes.n_classes;
        let probabilities = self.probabilities(classes, x);
        Ok(probabilities.chunks(n_classes).map(|row| crate::numpy::argmax(row) as f64).collect())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let classes = self.classes.as_ref()?;
        Some(x.expect_width(self.n_features, &self.library).map(|()| self.probabilities(classes, x)))
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.base_score.is_finite()
            && self.classes.as_ref().is_none_or(|c| c.base_scores.iter().all(|v| v.is_finite()))
            && self.trees.iter().all(|t| t.value.iter().chain(&t.weighted_n_node_samples).all(|v| v.is_finite()))
    }
}

impl FittedBoosting {
    /// Probabilities, row-major with one column per class of the whole
    /// target, from the raw scores through the library's link: its sigmoid
    /// for two classes (`[1 - p, p]`), its softmax for more; LightGBM's in
    /// float64, XGBoost's in float32.
    fn probabilities(&self, classes: &BoostedClasses, x: &Matrix) -> Vec<f64> {
        let n_classes = classes.n_classes;
        let mut out = vec![0.0; x.n_rows * n_classes];
        let trained = &classes.trained;
        let groups = classes.n_groups();
        if groups == 0 {
            // One class seen: it is certain.
            out.chunks_mut(n_classes).for_each(|row| row[trained[0]] = 1.0);
            return out;
        }
        let scores = predict_rows(self, x, &classes.base_scores);
        for (row, raw) in out.chunks_mut(n_classes).zip(scores.chunks(groups)) {
            if groups == 1 {
                let p = if self.float32 {
                    let p = objective::xgb_sigmoid(raw[0] as f32);
                    [f64::from(1.0 - p), f64::from(p)]
                } else {
                    let p = 1.0 / (1.0 + (-raw[0]).exp());
                    [1.0 - p, p]
                };
                row[trained[0]] = p[0];
                row[trained[1]] = p[1];
            } else if self.float32 {
                let mut p: Vec<f32> = raw.iter().map(|&v| v as f32).collect();
                objective::xgb_softmax(&mut p);
                trained.iter().zip(p).for_each(|(&class, p)| row[class] = f64::from(p));
            } else {
                let mut p = raw.to_vec();
                objective::lgb_softmax(&mut p);
                trained.iter().zip(p).for_each(|(&class, p)| row[class] = p);
            }
        }
        out
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

/// The raw scores of every row, row-major with one per group (`bases`
/// holds each group's initial score; tree `t` belongs to group `t % groups`).
fn predict_rows(model: &FittedBoosting, x: &Matrix, bases: &[f64]) -> Vec<f64> {
    let n_cols = x.n_cols();
    let n_rows = x.n_rows;
    let groups = bases.len().max(1);
    let mut out: Vec<f64> = (0..n_rows).flat_map(|_| bases.iter().copied()).collect();
    if n_rows == 0 {
        return out;
    }
    let block = |first_row: usize, out: &mut [f64]| {
        let block_rows = out.len() / groups;
        let mut rows = vec![0.0f64; block_rows * n_cols];
        for (j, column) in x.columns.iter().enumerate() {
            for (i, &value) in column[first_row..first_row + block_rows].iter().enumerate() {
                rows[i * n_cols + j] = if model.float32 { f64::from(value as f32) } else { value };
            }
        }
        if model.float32 {
            let mut sums: Vec<f32> = out.iter().map(|&v| v as f32).collect();
            for (t, tree) in model.trees.iter().enumerate() {
                let group = t % groups;
                for (row, sum) in rows.chunks_exact(n_cols).zip(sums.chunks_exact_mut(groups)) {
                    sum[group] += leaf_value(tree, row) as f32;
                }
            }
            out.iter_mut().zip(sums).for_each(|(o, s)| *o = f64::from(s));
        } else {
            for (t, tree) in model.trees.iter().enumerate() {
                let group = t % groups;
                for (row, sum) in rows.chunks_exact(n_cols).zip(out.chunks_exact_mut(groups)) {
                    sum[group] += leaf_value(tree, row);
                }
            }
        }
    };
    let run = |first_row: usize, out: &mut [f64]| {
        for (k, chunk) in out.chunks_mut(BLOCK_ROWS * groups).enumerate() {
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
        for (k, chunk) in out.chunks_mut(per_thread * groups).enumerate() {
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

/// A classifier's target as the library sees it.
struct ClassTarget {
    /// The classes the rows hold, ascending.
    trained: Vec<usize>,
    /// Each row's position among `trained`.
    codes: Vec<f64>,
    /// The objective (`None` when one class is all there is: nothing to fit).
    objective: Option<Objective>,
}

impl ClassTarget {
    fn new(data: &TrainingData<'_>) -> Self {
        let labels = data.class_codes();
        let n_classes = data.n_classes.max(labels.iter().map(|&c| c + 1).max().unwrap_or(0));
        let mut position = vec![usize::MAX; n_classes];
        labels.iter().for_each(|&c| position[c] = 0);
        let trained: Vec<usize> = (0..n_classes).filter(|&c| position[c] == 0).collect();
        trained.iter().enumerate().for_each(|(k, &c)| position[c] = k);
        let codes = labels.iter().map(|&c| position[c] as f64).collect();
        let objective = match trained.len() {
            0 | 1 => None,
            2 => Some(Objective::Binary),
            k => Some(Objective::Softmax { n_classes: k }),
        };
        ClassTarget { trained, codes, objective }
    }
}

/// Boosts `data` with `plan`: squared error for a regressor, the class
/// objective for a classifier; returns the model's parts.
fn boost_task(
    binned: &binning::BinnedMatrix,
    data: &TrainingData<'_>,
    plan: &boost::BoostPlan,
) -> (boost::Boosted, Option<BoostedClasses>) {
    if data.n_classes == 0 {
        return (boost::boost(binned, data.y, Objective::SquaredError, plan), None);
    }
    let ClassTarget { trained, codes, objective } = ClassTarget::new(data);
    let boosted = match objective {
        Some(objective) => boost::boost(binned, &codes, objective, plan),
        None => boost::Boosted {
            base_scores: Vec::new(),
            trees: Vec::new(),
            total_gain: vec![0.0; binned.n_features()],
            split_count: vec![0; binned.n_features()],
        },
    };
    let classes = BoostedClasses { n_classes: data.n_classes, trained, base_scores: boosted.base_scores.clone() };
    (boosted, Some(classes))
}

/// Importances normalised to sum to one (all zero when nothing split).
fn normalised(mut values: Vec<f64>) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    if total > 0.0 {
        values.iter_mut().for_each(|v| *v /= total);
    }
    values
}
