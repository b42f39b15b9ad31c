//! `CatBoostClassifier` with its defaults on CPU (catboost 1.2.10,
//! `get_all_params()` and `options_helper.cpp`), on the regressor's
//! quantization and tree search:
//!
//! - two classes: the `Logloss` loss on the log odds of the second class,
//!   Newton leaf steps with `leaf_estimation_iterations=10` and
//!   `leaf_estimation_backtracking=AnyImprovement`, the MVS bootstrap with
//!   `subsample=0.8`; the automatic learning rate with the coefficients
//!   `(0.427, -7.525, -0.917)` (0.004711 for 160 rows and 1000 iterations);
//! - more classes: `MultiClass` (softmax, one value per class and leaf),
//!   Newton with one iteration, the Bayesian bootstrap with
//!   `bagging_temperature=1`; the rate coefficients `(0.051, -2.889, -0.845)`
//!   (0.072066 for 160 rows and 1000 iterations);
//! - `boost_from_average=False`: the raw scores start at 0.
//!
//! `predict_proba` is the sigmoid (two classes) or softmax of the raw
//! scores; `predict` their most probable class (probability >= 0.5 for the
//! second of two). CatBoostClassifier has no `decision_function`, so
//! PyCaret's AUC reads the probabilities.
//!
//! A training fold that misses some classes of the whole target is fitted
//! on the classes it has (as CatBoost, which only knows the labels it saw),
//! and the missing ones get probability 0. One class only is an error, as
//! in CatBoost.

use super::boost::{self, Loss};
use super::leaves::{sigmoid, softmax_into};
use super::{bin_columns, bootstrap, check_input, options, prediction_values_change, quantize_columns};
use super::{ObliviousTree, PARAMS};
use crate::matrix::Matrix;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::argmax;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted `CatBoostClassifier`: the borders, the trees with one value per
/// leaf and dimension, and the classes the dimensions stand for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedObliviousClassifier {
    /// The number of input features.
    pub n_features: usize,
    /// The classes of the whole target (the probability columns).
    pub n_classes: usize,
    /// The class codes the training target held, sorted: two mean one
    /// dimension (the log odds of the second), more one dimension each.
    pub classes: Vec<u32>,
    /// Each feature's sorted borders (float32, as CatBoost stores them).
    pub borders: Vec<Vec<f32>>,
    /// The trees, in boosting order; `leaf_values` holds `2^depth *
    /// dimension` values, leaf-major.
    pub trees: Vec<ObliviousTree>,
    /// `PredictionValuesChange` importances, normalised to sum to 1.
    pub feature_importances: Vec<f64>,
}

impl FittedObliviousClassifier {
    /// The approximation's dimension: 1 for two classes, else one per class.
    fn dimension(&self) -> usize {
        if self.classes.len() == 2 {
            1
        } else {
            self.classes.len()
        }
    }

    /// The raw scores, row-major `n_rows x dimension`.
    fn raw_scores(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "CatBoostClassifier")?;
        let bins = bin_columns(x, &self.borders);
        let dimension = self.dimension();
        let mut scores = vec![0.0; x.n_rows * dimension];
        let mut leaf = vec![0usize; x.n_rows];
        for tree in &self.trees {
            leaf.fill(0);
            for (level, (&feature, &border)) in tree.features.iter().zip(&tree.borders).enumerate() {
                for (index, &bin) in leaf.iter_mut().zip(&bins[feature as usize]) {
                    *index |= usize::from(bin > border) << level;
                }
            }
            for (row, &index) in scores.chunks_mut(dimension).zip(&leaf) {
                for (value, &add) in row.iter_mut().zip(&tree.leaf_values[index * dimension..(index + 1) * dimension]) {
                    *value += add;
                }
            }
        }
        Ok(scores)
    }

    /// Probabilities over the fitted classes, row-major `n_rows x classes.len()`.
    fn fitted_probabilities(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let scores = self.raw_scores(x)?;
        if self.classes.len() == 2 {
            return Ok(scores
                .iter()
                .flat_map(|&s| {
                    let p = sigmoid(s);
                    [1.0 - p, p]
                })
                .collect());
        }
        let k = self.classes.len();
        let mut out = vec![0.0; scores.len()];
        for (row, probabilities) in scores.chunks(k).zip(out.chunks_mut(k)) {
            softmax_into(row.iter().copied(), probabilities);
        }
        Ok(out)
    }
}

impl Fitted for FittedObliviousClassifier {
    fn validate(&self) -> Result<(), String> {
        use crate::models::validate;
        if self.n_features == 0 {
            return Err("n_features is 0".to_string());
        }
        if self.classes.len() < 2
            || self.classes.windows(2).any(|w| w[0] >= w[1])
            || self.classes.iter().any(|&c| c as usize >= self.n_classes)
        {
            return Err(format!(
                "classes must be at least two increasing codes below n_classes {} (got {:?})",
                self.n_classes, self.classes
            ));
        }
        validate::length("borders", self.borders.len(), self.n_features)?;
        validate::length("feature_importances", self.feature_importances.len(), self.n_features)?;
        validate::finite("feature_importances", &self.feature_importances)?;
        for (feature, borders) in self.borders.iter().enumerate() {
            if borders.len() > 255 || borders.iter().any(|b| !b.is_finite()) || borders.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(format!("borders[{feature}] must be at most 255 finite values in increasing order"));
            }
        }
        let dimension = self.dimension();
        for (index, tree) in self.trees.iter().enumerate() {
            let depth = tree.features.len();
            if depth > 16 {
                return Err(format!("trees[{index}] has depth {depth} (at most 16)"));
            }
            validate::length(&format!("trees[{index}].borders"), tree.borders.len(), depth)?;
            validate::length(&format!("trees[{index}].leaf_values"), tree.leaf_values.len(), (1 << depth) * dimension)?;
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
        let probabilities = self.fitted_probabilities(x)?;
        let k = self.classes.len();
        Ok(probabilities
            .chunks(k)
            .map(|row| {
                // Two classes: the second from probability 0.5 up; more: numpy's argmax (first best).
                let best = if k == 2 { usize::from(row[1] >= 0.5) } else { argmax(row) };
                f64::from(self.classes[best])
            })
            .collect())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.fitted_probabilities(x).map(|fitted| {
            let k = self.classes.len();
            let mut out = vec![0.0; x.n_rows * self.n_classes];
            for (row, probabilities) in out.chunks_mut(self.n_classes).zip(fitted.chunks(k)) {
                for (&class, &p) in self.classes.iter().zip(probabilities) {
                    row[class as usize] = p;
                }
            }
            out
        }))
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.trees.iter().all(|tree| tree.leaf_values.iter().all(|v| v.is_finite()))
            && self.borders.iter().flatten().all(|b| b.is_finite())
    }
}

const MODEL_NAME: &str = "CatBoostClassifier";

fn fit_classifier(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let (n_rows, n_features) = (data.x.n_rows, data.x.n_cols());
    check_input(data, MODEL_NAME)?;
    let codes = data.class_codes();
    let mut seen = vec![false; data.n_classes.max(codes.iter().max().map_or(0, |&c| c + 1))];
    codes.iter().for_each(|&c| seen[c] = true);
    let classes: Vec<u32> = (0..seen.len()).filter(|&c| seen[c]).map(|c| c as u32).collect();
    if classes.len() < 2 {
        return Err(LearnError::InvalidOption(format!(
            "{MODEL_NAME}: the training target has one class only (CatBoost needs two or more)"
        )));
    }
    // Each row's index among the fitted classes: the Logloss target (0/1) or MultiClass label.
    let mut position = vec![0usize; seen.len()];
    for (index, &class) in classes.iter().enumerate() {
        position[class as usize] = index;
    }
    let y: Vec<f64> = codes.iter().map(|&c| position[c] as f64).collect();
    let leaf_iterations = match params.value("leaf_estimation_iterations")? {
        ParamValue::Null => None,
        _ => Some(params.usize("leaf_estimation_iterations")?),
    };
    let options = if classes.len() == 2 {
        let bootstrap = bootstrap(params, MODEL_NAME, "MVS")?;
        options(params, n_rows, Loss::Logloss, (0.427, -7.525, -0.917), bootstrap, leaf_iterations.unwrap_or(10))?
    } else {
        let bootstrap = bootstrap(params, MODEL_NAME, "Bayesian")?;
        let loss = Loss::MultiClass { classes: classes.len() };
        options(params, n_rows, loss, (0.051, -2.889, -0.845), bootstrap, leaf_iterations.unwrap_or(1))?
    };
    let (borders, columns) = quantize_columns(data.x, params.usize("border_count")?);
    let grown = boost::boost(&columns, &borders, &y, 0.0, &options)?;
    let feature_importances = prediction_values_change(&grown, n_features, options.loss.dimension());
    let trees = grown
        .into_iter()
        .map(|tree| ObliviousTree { features: tree.features, borders: tree.borders, leaf_values: tree.leaf_values })
        .collect();
    Ok(FittedModel::ObliviousClassifier(FittedObliviousClassifier {
        n_features,
        n_classes: data.n_classes.max(seen.len()),
        classes,
        borders,
        trees,
        feature_importances,
    }))
}

/// The regressor's parameters, with the bootstrap's default left to the
/// loss and the Newton step count added.
const CLASSIFIER_PARAMS: &[ParamSpec] = &[
    PARAMS[0],
    PARAMS[1],
    PARAMS[2],
    PARAMS[3],
    PARAMS[4],
    ParamSpec {
        name: "bootstrap_type",
        kinds: &[ParamKind::Null, ParamKind::Choice(&["MVS", "Bayesian", "Bernoulli", "No"])],
        default: DefaultValue::Null,
        help: "how rows are weighted for each tree's structure (None: MVS for two classes, Bayesian for more)",
    },
    PARAMS[6],
    PARAMS[7],
    ParamSpec {
        name: "leaf_estimation_iterations",
        kinds: &[ParamKind::Null, ParamKind::COUNT],
        default: DefaultValue::Null,
        help: "Newton steps per leaf estimation (None: 10 for two classes, 1 for more)",
    },
    PARAMS[8],
    PARAMS[9],
    PARAMS[10],
];

/// PyCaret's `catboost` classifier: `CatBoostClassifier(random_state=session_id,
/// thread_count=n_jobs, verbose=False)`.
pub(super) const MODEL: ModelEntry = ModelEntry {
    id: "catboost",
    name: "CatBoost Classifier",
    class: "catboost.CatBoostClassifier",
    family: "catboost",
    task: Task::Classification,
    turbo: true,
    randomised: true,
    params: CLASSIFIER_PARAMS,
    fit: fit_classifier,
};
