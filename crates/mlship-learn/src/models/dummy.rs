//! `DummyRegressor`: the baseline every leaderboard needs (PyCaret's `dummy`,
//! strategy "mean" by default), as a constant `FittedLinear` so that it
//! predicts, serves and plots like any linear model; and `DummyClassifier`
//! (strategy "prior" by default: the most frequent class, with the classes'
//! shares as probabilities; "most_frequent", "stratified" and "uniform" as
//! scikit-learn's, the random ones drawing from a fresh
//! `RandomState(random_state)` at each `predict`/`predict_proba` call, so a
//! prediction depends on the rows predicted together, as there).

use crate::matrix::{mean, percentile_sorted, sorted_copy, Matrix};
use crate::models::linear::FittedLinear;
use crate::models::random::NumpyRandom;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::argmax;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// `DummyRegressor(strategy="mean")`, the constant mean of the target.
pub fn dummy(x: &Matrix, y: &[f64]) -> FittedLinear {
    FittedLinear { coef: vec![0.0; x.n_cols()], intercept: mean(y) }
}

fn fit_dummy(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let constant = match params.value("strategy")? {
        ParamValue::Str(strategy) if strategy == "median" => {
            percentile_sorted(&sorted_copy(data.y.iter().copied()), 50.0)
        }
        ParamValue::Str(strategy) if strategy == "quantile" => {
            let quantile =
                match params.value("quantile")? {
                    ParamValue::Null => return Err(LearnError::InvalidOption(
                        "model \"dummy\": strategy \"quantile\" needs the parameter \"quantile\" (a number in [0, 1])"
                            .to_string(),
                    )),
                    _ => params.float("quantile")?,
                };
            percentile_sorted(&sorted_copy(data.y.iter().copied()), quantile * 100.0)
        }
        ParamValue::Str(strategy) if strategy == "constant" => match params.value("constant")? {
            ParamValue::Null => {
                return Err(LearnError::InvalidOption(
                    "model \"dummy\": strategy \"constant\" needs the parameter \"constant\" (a number)".to_string(),
                ))
            }
            _ => params.float("constant")?,
        },
        _ => mean(data.y),
    };
    Ok(FittedModel::Linear(FittedLinear { coef: vec![0.0; data.x.n_cols()], intercept: constant }))
}

/// `DummyClassifier`'s strategies (scikit-learn's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DummyStrategy {
    /// The most frequent class, with probability 1.
    MostFrequent,
    /// The most frequent class, with the classes' shares as probabilities.
    #[default]
    Prior,
    /// A class drawn from the shares for each row (one-hot probabilities).
    Stratified,
    /// A class drawn uniformly for each row; probabilities 1 / classes.
    Uniform,
}

/// `DummyClassifier`: every row gets the training classes' shares (or, by
/// strategy, the most frequent class, or a random one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPrior {
    /// The number of input features (ignored, but checked).
    pub n_features: usize,
    /// Each class's share of the training rows (`class_prior_`); a class
    /// absent from them has share 0 and is never predicted.
    pub class_prior: Vec<f64>,
    /// The strategy (artifacts from before it existed are "prior").
    #[serde(default)]
    pub strategy: DummyStrategy,
    /// The seed of a fresh `RandomState` at each prediction ("stratified", "uniform").
    #[serde(default)]
    pub random_state: u32,
}

impl FittedPrior {
    /// The classes present in the training rows (scikit-learn's `classes_`).
    fn present(&self) -> Vec<usize> {
        (0..self.class_prior.len()).filter(|&c| self.class_prior[c] > 0.0).collect()
    }

    /// The class of each of `n_rows` rows and, for the random strategies,
    /// the draws scikit-learn makes from `RandomState(random_state)` within
    /// one `predict` or `predict_proba` call.
    fn classes(&self, n_rows: usize) -> Vec<usize> {
        let present = self.present();
        let mut rng = NumpyRandom::new(self.random_state);
        match self.strategy {
            DummyStrategy::MostFrequent | DummyStrategy::Prior => vec![argmax(&self.class_prior); n_rows],
            DummyStrategy::Stratified => {
                let shares: Vec<f64> = present.iter().map(|&c| self.class_prior[c]).collect();
                (0..n_rows)
                    .map(|_| present.get(one_draw_multinomial(&mut rng, &shares)).copied().unwrap_or(0))
                    .collect()
            }
            DummyStrategy::Uniform => {
                (0..n_rows).map(|_| present.get(rng.randint(present.len())).copied().unwrap_or(0)).collect()
            }
        }
    }
}

/// numpy's legacy `multinomial(1, pvals)` for one row: the index of the one
/// trial's outcome. Each class but the last takes a binomial draw with
/// `pvals[j] / remaining` (numpy's `random_multinomial`); the last takes
/// what is left.
fn one_draw_multinomial(rng: &mut NumpyRandom, pvals: &[f64]) -> usize {
    let mut remaining = 1.0;
    for (j, &p) in pvals.iter().enumerate().take(pvals.len().saturating_sub(1)) {
        if binomial_one(rng, p / remaining) == 1 {
            return j;
        }
        remaining -= p;
    }
    pvals.len().saturating_sub(1)
}

/// numpy's `random_binomial(p, n=1)`: 0 without a draw for p = 0, else the
/// inversion algorithm (on `1 - p` and complemented when p > 0.5).
fn binomial_one(rng: &mut NumpyRandom, p: f64) -> u32 {
    if p == 0.0 {
        return 0;
    }
    if p <= 0.5 {
        binomial_inversion_one(rng, p)
    } else {
        1 - binomial_inversion_one(rng, 1.0 - p)
    }
}

/// numpy's `random_binomial_inversion` with n = 1, step for step (its bound
/// is `min(1, np + 10·sqrt(np·q + 1))` = 1: a walk past 1 restarts).
fn binomial_inversion_one(rng: &mut NumpyRandom, p: f64) -> u32 {
    let q = 1.0 - p;
    let qn = (q.ln()).exp();
    let bound = 1;
    let mut x = 0u32;
    let mut px = qn;
    let mut u = rng.random_sample();
    // At most a few restarts in practice; the cap only guards NaN inputs.
    for _ in 0..10_000 {
        if u <= px {
            return x;
        }
        x += 1;
        if x > bound {
            x = 0;
            px = qn;
            u = rng.random_sample();
        } else {
            u -= px;
            px = (f64::from(1 - x + 1) * p * px) / (f64::from(x) * q);
        }
    }
    x.min(1)
}

impl Fitted for FittedPrior {
    fn validate(&self) -> Result<(), String> {
        if self.class_prior.len() < 2 {
            return Err(format!("class_prior has {} values (need 2 classes at least)", self.class_prior.len()));
        }
        crate::models::validate::finite("class_prior", &self.class_prior)?;
        if !self.class_prior.iter().any(|&share| share > 0.0) || self.class_prior.iter().any(|&share| share < 0.0) {
            return Err("class_prior has no positive share, or a negative one".to_string());
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "DummyClassifier")?;
        Ok(self.classes(x.n_rows).into_iter().map(|c| c as f64).collect())
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.class_prior.iter().all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(x.expect_width(self.n_features, "DummyClassifier").map(|()| {
            let k = self.class_prior.len();
            match self.strategy {
                DummyStrategy::Prior => self.class_prior.iter().copied().cycle().take(x.n_rows * k).collect(),
                DummyStrategy::Uniform => {
                    let present = self.present();
                    let share = 1.0 / present.len().max(1) as f64;
                    let mut row = vec![0.0; k];
                    present.iter().for_each(|&c| row[c] = share);
                    row.iter().copied().cycle().take(x.n_rows * k).collect()
                }
                DummyStrategy::MostFrequent | DummyStrategy::Stratified => {
                    let mut out = vec![0.0; x.n_rows * k];
                    for (row, class) in out.chunks_mut(k).zip(self.classes(x.n_rows)) {
                        if let Some(cell) = row.get_mut(class) {
                            *cell = 1.0;
                        }
                    }
                    out
                }
            }
        }))
    }
}

fn fit_prior(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let mut counts = vec![0.0; data.n_classes];
    for code in data.class_codes() {
        let count = counts.get_mut(code).ok_or_else(|| {
            LearnError::InvalidOption(format!(
                "DummyClassifier: class code {code} is outside the {} classes",
                data.n_classes
            ))
        })?;
        *count += 1.0;
    }
    if data.y.is_empty() {
        return Err(LearnError::InvalidOption("DummyClassifier needs at least one training row".to_string()));
    }
    let total = data.y.len() as f64;
    let class_prior = counts.iter().map(|count| count / total).collect();
    let strategy = match params.value("strategy")? {
        ParamValue::Str(word) if word == "most_frequent" => DummyStrategy::MostFrequent,
        ParamValue::Str(word) if word == "stratified" => DummyStrategy::Stratified,
        ParamValue::Str(word) if word == "uniform" => DummyStrategy::Uniform,
        _ => DummyStrategy::Prior,
    };
    let random_state = params.seed("random_state")?;
    Ok(FittedModel::Prior(FittedPrior { n_features: data.x.n_cols(), class_prior, strategy, random_state }))
}

/// PyCaret's `dummy`, for each task.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "dummy",
        name: "Dummy Regressor",
        class: "sklearn.dummy.DummyRegressor",
        family: "dummy",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "strategy",
                kinds: &[ParamKind::Choice(&["mean", "median", "quantile", "constant"])],
                default: DefaultValue::Str("mean"),
                help: "the constant predicted: the target's mean, median, a quantile or a given constant",
            },
            ParamSpec {
                name: "quantile",
                kinds: &[ParamKind::FRACTION, ParamKind::Null],
                default: DefaultValue::Null,
                help: "the quantile predicted with strategy \"quantile\"",
            },
            ParamSpec {
                name: "constant",
                kinds: &[ParamKind::Float { min: f64::MIN, max: f64::MAX, open_min: false }, ParamKind::Null],
                default: DefaultValue::Null,
                help: "the value predicted with strategy \"constant\"",
            },
        ],
        fit: fit_dummy,
    },
    ModelEntry {
        id: "dummy",
        name: "Dummy Classifier",
        class: "sklearn.dummy.DummyClassifier",
        family: "dummy",
        task: Task::Classification,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "strategy",
                kinds: &[ParamKind::Choice(&["most_frequent", "prior", "stratified", "uniform"])],
                default: DefaultValue::Str("prior"),
                help: "prior: the classes' shares as probabilities and the most frequent class; most_frequent: \
                       that class with probability 1; stratified: a class drawn by the shares per row; uniform: a \
                       class drawn uniformly per row",
            },
            ParamSpec {
                name: "random_state",
                kinds: &[ParamKind::SEED],
                default: DefaultValue::Seed,
                help: "seed of the draws of \"stratified\" and \"uniform\" (the same at every prediction)",
            },
        ],
        fit: fit_prior,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_from_before_the_strategies_reads_as_prior() {
        let old: FittedPrior = serde_json::from_str(r#"{"n_features": 2, "class_prior": [0.25, 0.75]}"#).unwrap();
        assert_eq!(old.strategy, DummyStrategy::Prior);
        let x = Matrix { n_rows: 2, columns: vec![vec![0.0; 2], vec![0.0; 2]] };
        assert_eq!(old.predict(&x).unwrap(), vec![1.0, 1.0]);
        assert_eq!(old.predict_proba(&x).unwrap().unwrap(), vec![0.25, 0.75, 0.25, 0.75]);
    }

    #[test]
    fn random_strategies_never_pick_a_class_absent_from_training() {
        let x = Matrix { n_rows: 500, columns: vec![vec![0.0; 500]] };
        for strategy in [DummyStrategy::Stratified, DummyStrategy::Uniform] {
            let model = FittedPrior { n_features: 1, class_prior: vec![0.5, 0.0, 0.5], strategy, random_state: 4 };
            let predicted = model.predict(&x).unwrap();
            assert!(predicted.iter().all(|&c| c == 0.0 || c == 2.0), "{strategy:?}");
            assert!(predicted.contains(&0.0) && predicted.contains(&2.0), "{strategy:?}");
            assert_eq!(predicted, model.predict(&x).unwrap(), "{strategy:?}: the same draws at every call");
        }
    }
}
