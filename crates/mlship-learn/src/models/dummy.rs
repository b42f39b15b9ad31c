//! `DummyRegressor`: the baseline every leaderboard needs (PyCaret's `dummy`,
//! strategy "mean" by default), as a constant `FittedLinear` so that it
//! predicts, serves and plots like any linear model; and `DummyClassifier`
//! (strategy "prior"): the most frequent class, with the classes' shares as
//! probabilities.

use crate::matrix::{mean, percentile_sorted, sorted_copy, Matrix};
use crate::models::linear::FittedLinear;
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

/// `DummyClassifier(strategy="prior")`: every row gets the training classes' shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPrior {
    /// The number of input features (ignored, but checked).
    pub n_features: usize,
    /// Each class's share of the training rows (`class_prior_`).
    pub class_prior: Vec<f64>,
}

impl Fitted for FittedPrior {
    fn validate(&self) -> Result<(), String> {
        if self.class_prior.len() < 2 {
            return Err(format!("class_prior has {} values (need 2 classes at least)", self.class_prior.len()));
        }
        crate::models::validate::finite("class_prior", &self.class_prior)
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features, "DummyClassifier")?;
        Ok(vec![argmax(&self.class_prior) as f64; x.n_rows])
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn is_finite(&self) -> bool {
        self.class_prior.iter().all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(
            x.expect_width(self.n_features, "DummyClassifier")
                .map(|()| self.class_prior.iter().copied().cycle().take(x.n_rows * self.class_prior.len()).collect()),
        )
    }
}

fn fit_prior(_params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let mut counts = vec![0.0; data.n_classes];
    data.class_codes().iter().for_each(|&code| counts[code] += 1.0);
    let total = data.y.len() as f64;
    let class_prior = counts.iter().map(|count| count / total).collect();
    Ok(FittedModel::Prior(FittedPrior { n_features: data.x.n_cols(), class_prior }))
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
        params: &[ParamSpec {
            name: "strategy",
            kinds: &[ParamKind::Choice(&["prior"])],
            default: DefaultValue::Str("prior"),
            help: "the classes' shares as probabilities, the most frequent class as the prediction",
        }],
        fit: fit_prior,
    },
];
