//! `PassiveAggressiveRegressor` (PyCaret's `par`): scikit-learn's online
//! passive-aggressive regression, the PA-I update of `_sgd_fast.plain_sgd`
//! (PA-II with `loss="squared_epsilon_insensitive"`), sample by sample, with
//! the epoch stopping rule on the mean epsilon-insensitive loss.
//!
//! The random choices are scikit-learn's own: `RandomState(random_state)`
//! draws one 31-bit seed, and every epoch re-shuffles the current sample
//! order with the same `rand_r`-style xorshift sequence from that seed (as
//! `SequentialDataset.shuffle(seed)` does, the seed being passed by value;
//! the shuffle is `sgd`'s, shared with SGDClassifier).
//! The arithmetic follows `WeightVector` in the same order, so the fitted
//! coefficients agree with scikit-learn's to rounding.

use crate::matrix::Matrix;
use crate::models::linear::FittedLinear;
use crate::models::random::NumpyRandom;
use crate::models::sgd::{row_major, shuffle_in_place};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

/// How the passive-aggressive regressor learns (scikit-learn's parameters).
#[derive(Debug, Clone, Copy)]
pub struct PassiveAggressive {
    /// The step cap (PA-I) or the regularisation (PA-II).
    pub c: f64,
    /// Residuals within `epsilon` cost nothing.
    pub epsilon: f64,
    /// PA-II (`squared_epsilon_insensitive`) instead of PA-I.
    pub squared: bool,
    /// Learn an intercept.
    pub fit_intercept: bool,
    /// Epochs at most.
    pub max_iter: usize,
    /// Minimum improvement of the mean loss per epoch (`None`: never stop early).
    pub tol: Option<f64>,
    /// Epochs without improvement before stopping.
    pub n_iter_no_change: usize,
    /// Re-shuffle the samples every epoch.
    pub shuffle: bool,
    /// `random_state`.
    pub seed: u32,
}

/// One pass over the samples in `order`; returns the summed loss, measured
/// before each sample's update (as `plain_sgd` does).
fn epoch(
    config: &PassiveAggressive,
    rows: &[f64],
    y: &[f64],
    order: &[usize],
    w: &mut [f64],
    intercept: &mut f64,
) -> f64 {
    let n_features = w.len();
    let mut objective_sum = 0.0;
    for &sample in order {
        let row = &rows[sample * n_features..(sample + 1) * n_features];
        let mut inner = 0.0;
        for (weight, value) in w.iter().zip(row) {
            inner += weight * value;
        }
        let prediction = inner + *intercept;
        let loss = ((y[sample] - prediction).abs() - config.epsilon).max(0.0);
        objective_sum += loss;
        let squared_norm: f64 = row.iter().fold(0.0, |sum, value| sum + value * value);
        let mut update = if config.squared {
            loss / (squared_norm + 0.5 / config.c)
        } else {
            if squared_norm == 0.0 {
                continue;
            }
            config.c.min(loss / squared_norm)
        };
        if y[sample] - prediction < 0.0 {
            update = -update;
        }
        if update != 0.0 {
            for (weight, value) in w.iter_mut().zip(row) {
                *weight += value * update;
            }
            if config.fit_intercept {
                *intercept += update;
            }
        }
    }
    objective_sum
}

/// Fits the regressor; an overflow is an error, as scikit-learn raises.
pub fn passive_aggressive(x: &Matrix, y: &[f64], config: &PassiveAggressive) -> Result<FittedLinear, LearnError> {
    let n_rows = x.n_rows;
    if n_rows == 0 {
        return Err(LearnError::TooFewRows("PassiveAggressiveRegressor needs at least 1 row, got 0".to_string()));
    }
    // `randint(0, 2**31 - 1)`: the epoch shuffles' seed.
    let seed = NumpyRandom::new(config.seed).randint(i32::MAX as usize) as u32;
    let rows = row_major(x);
    let mut order: Vec<usize> = (0..n_rows).collect();
    let mut w = vec![0.0; x.n_cols()];
    let mut intercept = 0.0;
    let tol = config.tol.unwrap_or(f64::NEG_INFINITY);
    let mut best_objective = f64::INFINITY;
    let mut no_improvement = 0;
    for epoch_index in 0..config.max_iter {
        if config.shuffle {
            shuffle_in_place(&mut order, seed);
        }
        let objective = epoch(config, &rows, y, &order, &mut w, &mut intercept) / n_rows as f64;
        if !intercept.is_finite() || w.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::Numerical {
                step: "PassiveAggressiveRegressor".to_string(),
                message: format!(
                    "floating-point overflow at epoch {} (scaling the features may help)",
                    epoch_index + 1
                ),
            });
        }
        if tol > f64::NEG_INFINITY && objective > best_objective - tol {
            no_improvement += 1;
        } else {
            no_improvement = 0;
        }
        best_objective = best_objective.min(objective);
        if no_improvement >= config.n_iter_no_change {
            break;
        }
    }
    Ok(FittedLinear { coef: w, intercept })
}

fn fit_par(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let tol = match params.value("tol")? {
        ParamValue::Null => None,
        _ => Some(params.float("tol")?),
    };
    let config = PassiveAggressive {
        c: params.float("C")?,
        epsilon: params.float("epsilon")?,
        squared: matches!(params.value("loss")?, ParamValue::Str(loss) if loss == "squared_epsilon_insensitive"),
        fit_intercept: params.bool("fit_intercept")?,
        max_iter: params.usize("max_iter")?,
        tol,
        n_iter_no_change: params.usize("n_iter_no_change")?,
        shuffle: params.bool("shuffle")?,
        seed: params.seed("random_state")?,
    };
    passive_aggressive(data.x, data.y, &config).map(FittedModel::Linear)
}

/// PyCaret's `par`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "par",
    name: "Passive Aggressive Regressor",
    class: "sklearn.linear_model.PassiveAggressiveRegressor",
    family: "linear_model",
    task: Task::Regression,
    turbo: true,
    randomised: true,
    params: &[
        ParamSpec {
            name: "C",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(1.0),
            help: "the largest step (PA-I) or the inverse regularisation (PA-II)",
        },
        super::sgd::FIT_INTERCEPT,
        super::sgd::MAX_ITER,
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
            default: DefaultValue::Float(1e-3),
            help: "stop when the mean loss improves by less than this (None: never)",
        },
        ParamSpec {
            name: "n_iter_no_change",
            kinds: &[ParamKind::COUNT],
            default: DefaultValue::Int(5),
            help: "epochs without improvement before stopping",
        },
        super::sgd::SHUFFLE,
        ParamSpec {
            name: "loss",
            kinds: &[ParamKind::Choice(&["epsilon_insensitive", "squared_epsilon_insensitive"])],
            default: DefaultValue::Str("epsilon_insensitive"),
            help: "PA-I (epsilon_insensitive) or PA-II (squared_epsilon_insensitive)",
        },
        ParamSpec {
            name: "epsilon",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(0.1),
            help: "residuals smaller than this are not corrected",
        },
        ParamSpec {
            name: "random_state",
            kinds: &[ParamKind::SEED],
            default: DefaultValue::Seed,
            help: "seed of the epoch shuffles",
        },
    ],
    fit: fit_par,
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_target_is_learnt_and_zero_rows_are_skipped() {
        let x = Matrix { n_rows: 4, columns: vec![vec![0.0, 1.0, 2.0, 3.0], vec![0.0, 0.0, 0.0, 0.0]] };
        let config = PassiveAggressive {
            c: 1.0,
            epsilon: 0.0,
            squared: false,
            fit_intercept: true,
            max_iter: 200,
            tol: None,
            n_iter_no_change: 5,
            shuffle: true,
            seed: 3,
        };
        let fitted = passive_aggressive(&x, &[2.0; 4], &config).unwrap();
        assert_eq!(fitted.coef[1], 0.0);
        assert!((fitted.intercept + fitted.coef[0] * 2.0 - 2.0).abs() < 1e-3, "{fitted:?}");
        let no_features = Matrix { n_rows: 4, columns: Vec::new() };
        assert_eq!(passive_aggressive(&no_features, &[2.0; 4], &config).unwrap().intercept, 0.0);
        let empty = Matrix { n_rows: 0, columns: vec![vec![]] };
        assert!(passive_aggressive(&empty, &[], &config).is_err());
    }
}
