//! `DummyRegressor`: the baseline every leaderboard needs (PyCaret's `dummy`,
//! strategy "mean" by default), as a constant `FittedLinear` so that it
//! predicts, serves and plots like any linear model.

use crate::matrix::{mean, percentile_sorted, sorted_copy, Matrix};
use crate::models::linear::FittedLinear;
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

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

/// PyCaret's `dummy`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
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
}];
