//! The robust linear regressors of PyCaret: `ransac` (`RANSACRegressor`
//! around `LinearRegression`), `tr` (`TheilSenRegressor`) and `huber`
//! (`HuberRegressor`, fitted in `models::huber`). All predict with a
//! `FittedLinear`.
//!
//! - RANSAC follows `_ransac.py`: subsets of `min_samples` rows drawn by
//!   scikit-learn's `sample_without_replacement` from numpy's
//!   `RandomState(random_state)` (the same subsets as scikit-learn), a least
//!   squares fit per subset (`linear::lstsq`), inliers within
//!   `residual_threshold` (default: the median absolute deviation of y), the
//!   largest consensus set kept (ties broken by R2 on the inliers), the
//!   dynamic trial count of `stop_probability`, the early stops of
//!   `max_skips` (trials skipped for too few inliers, counted before each
//!   draw) and `stop_n_inliers` (a consensus set this large), and a final
//!   fit on the inliers.
//! - Theil-Sen and Huber are fitted in `models::theil_sen` and
//!   `models::huber`; this module holds their table rows.

use crate::matrix::{percentile_sorted, sorted_copy, Matrix};
use crate::models::huber::{huber, Huber};
use crate::models::linear::{lstsq, FittedLinear};
use crate::models::random::NumpyRandom;
use crate::models::theil_sen::{theil_sen, TheilSen};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

/// RANSAC's `min_samples`.
#[derive(Debug, Clone, Copy)]
pub enum MinSamples {
    /// `None`: the number of features + 1.
    Features,
    /// A row count.
    Count(usize),
    /// A fraction of the rows, rounded up.
    Fraction(f64),
}

/// `RANSACRegressor(LinearRegression())`'s parameters.
#[derive(Debug, Clone, Copy)]
pub struct Ransac {
    /// How many rows each trial fits on.
    pub min_samples: MinSamples,
    /// `None`: the median absolute deviation of y.
    pub residual_threshold: Option<f64>,
    /// The most random subsets tried.
    pub max_trials: usize,
    /// The confidence at which enough trials have been run to stop early.
    pub stop_probability: f64,
    /// Stop once more trials than this were skipped (`None`: never).
    pub max_skips: Option<usize>,
    /// Stop once a consensus set has this many inliers (`None`: never).
    pub stop_n_inliers: Option<usize>,
    /// `loss="squared_error"` instead of `"absolute_error"`.
    pub squared_loss: bool,
    /// The seed for the random subsets.
    pub seed: u32,
}

fn r2_score(truth: &[f64], predicted: &[f64]) -> f64 {
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let numerator: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    let denominator: f64 = truth.iter().map(|t| (t - mean) * (t - mean)).sum();
    match (numerator == 0.0, denominator == 0.0) {
        (true, true) => 1.0,
        (false, true) => 0.0,
        _ => 1.0 - numerator / denominator,
    }
}

/// `_dynamic_max_trials`: enough trials to draw one outlier-free subset
/// with probability `probability`.
fn dynamic_max_trials(n_inliers: usize, n_samples: usize, min_samples: usize, probability: f64) -> f64 {
    let inlier_ratio = n_inliers as f64 / n_samples as f64;
    let nom = (1.0 - probability).max(f64::EPSILON);
    let denom = (1.0 - inlier_ratio.powf(min_samples as f64)).max(f64::EPSILON);
    if nom == 1.0 {
        0.0
    } else if denom == 1.0 {
        f64::INFINITY
    } else {
        (nom.ln() / denom.ln()).ceil().abs()
    }
}

fn take(y: &[f64], rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&i| y[i]).collect()
}

/// The best consensus set so far.
struct Consensus {
    n_inliers: usize,
    score: f64,
    inliers: Option<Vec<usize>>,
}

/// Fits RANSAC around least squares.
pub fn ransac(x: &Matrix, y: &[f64], config: &Ransac) -> Result<FittedLinear, LearnError> {
    let n_rows = x.n_rows;
    let min_samples = match config.min_samples {
        MinSamples::Features => x.n_cols() + 1,
        MinSamples::Count(count) => count,
        MinSamples::Fraction(fraction) => (fraction * n_rows as f64).ceil() as usize,
    };
    if min_samples > n_rows || n_rows == 0 {
        return Err(LearnError::TooFewRows(format!(
            "RANSACRegressor: min_samples {min_samples} may not be larger than the number of rows ({n_rows})"
        )));
    }
    let threshold = config.residual_threshold.unwrap_or_else(|| {
        let median = percentile_sorted(&sorted_copy(y.iter().copied()), 50.0);
        percentile_sorted(&sorted_copy(y.iter().map(|v| (v - median).abs())), 50.0)
    });
    let mut rng = NumpyRandom::new(config.seed);
    let mut best = Consensus { n_inliers: 1, score: f64::NEG_INFINITY, inliers: None };
    let (mut n_trials, mut max_trials) = (0usize, config.max_trials as f64);
    let mut predicted = vec![0.0; n_rows];
    // scikit-learn's n_skips_no_inliers_ (the only kind of skip without
    // is_data_valid / is_model_valid).
    let mut n_skips = 0usize;
    let too_many_skips = |n_skips: usize| config.max_skips.is_some_and(|max| n_skips > max);
    while (n_trials as f64) < max_trials {
        n_trials += 1;
        if too_many_skips(n_skips) {
            break;
        }
        let subset = rng.sample_without_replacement(n_rows, min_samples);
        let model = lstsq(&x.take_rows(&subset), &take(y, &subset))?;
        predict_into(&model, x, &mut predicted);
        let inliers: Vec<usize> = (0..n_rows)
            .filter(|&i| {
                let residual = y[i] - predicted[i];
                let loss = if config.squared_loss { residual * residual } else { residual.abs() };
                loss <= threshold
            })
            .collect();
        if inliers.len() < best.n_inliers {
            n_skips += 1;
            continue;
        }
        let score = r2_score(&take(y, &inliers), &take(&predicted, &inliers));
        if inliers.len() == best.n_inliers && score < best.score {
            continue;
        }
        best = Consensus { n_inliers: inliers.len(), score, inliers: Some(inliers) };
        max_trials = max_trials.min(dynamic_max_trials(best.n_inliers, n_rows, min_samples, config.stop_probability));
        if config.stop_n_inliers.is_some_and(|stop| best.n_inliers >= stop) {
            break;
        }
    }
    let inliers = best.inliers.ok_or_else(|| LearnError::Numerical {
        step: "RANSACRegressor".to_string(),
        message: if too_many_skips(n_skips) {
            format!(
                "no consensus set: {n_skips} trials were skipped (more than max_skips {}) before any had a row \
                 within residual_threshold {threshold}",
                config.max_skips.unwrap_or(0)
            )
        } else {
            format!("no consensus set: none of the {n_trials} trials had a row within residual_threshold {threshold}")
        },
    })?;
    lstsq(&x.take_rows(&inliers), &take(y, &inliers))
}

fn predict_into(model: &FittedLinear, x: &Matrix, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = model.intercept);
    for (column, coef) in x.columns.iter().zip(&model.coef) {
        for (value, v) in out.iter_mut().zip(column) {
            *value += coef * v;
        }
    }
}

fn fit_ransac(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let min_samples = match params.value("min_samples")? {
        ParamValue::Null => MinSamples::Features,
        ParamValue::Int(_) => MinSamples::Count(params.usize("min_samples")?),
        _ => MinSamples::Fraction(params.float("min_samples")?),
    };
    let residual_threshold = match params.value("residual_threshold")? {
        ParamValue::Null => None,
        _ => Some(params.float("residual_threshold")?),
    };
    let config = Ransac {
        min_samples,
        residual_threshold,
        max_trials: params.usize("max_trials")?,
        stop_probability: params.float("stop_probability")?,
        max_skips: optional_count(params, "max_skips")?,
        stop_n_inliers: optional_count(params, "stop_n_inliers")?,
        squared_loss: matches!(params.value("loss")?, ParamValue::Str(loss) if loss == "squared_error"),
        seed: params.seed("random_state")?,
    };
    ransac(data.x, data.y, &config).map(FittedModel::Linear)
}

/// A count or `None` (scikit-learn's `np.inf`: no limit).
fn optional_count(params: &Params, name: &str) -> Result<Option<usize>, LearnError> {
    match params.value(name)? {
        ParamValue::Null => Ok(None),
        _ => params.usize(name).map(Some),
    }
}

fn fit_theil_sen(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let n_subsamples = match params.value("n_subsamples")? {
        ParamValue::Null => None,
        _ => Some(params.usize("n_subsamples")?),
    };
    let config = TheilSen {
        fit_intercept: params.bool("fit_intercept")?,
        max_subpopulation: params.float("max_subpopulation")?,
        n_subsamples,
        max_iter: params.usize("max_iter")?,
        tol: params.float("tol")?,
        seed: params.seed("random_state")?,
    };
    theil_sen(data.x, data.y, &config).map(FittedModel::Linear)
}

fn fit_huber(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let config = Huber {
        epsilon: params.float("epsilon")?,
        alpha: params.float("alpha")?,
        max_iter: params.usize("max_iter")?,
        tol: params.float("tol")?,
        fit_intercept: params.bool("fit_intercept")?,
    };
    huber(data.x, data.y, config).map(FittedModel::Linear)
}

const RANDOM_STATE: ParamSpec = ParamSpec {
    name: "random_state",
    kinds: &[ParamKind::SEED],
    default: DefaultValue::Seed,
    help: "seed of the random subsets",
};
const FIT_INTERCEPT: ParamSpec = ParamSpec {
    name: "fit_intercept",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(true),
    help: "learn an intercept",
};
const WHOLE: ParamKind = ParamKind::Int { min: 0, max: i64::MAX };

/// PyCaret's `ransac`, `tr` and `huber`, in its order.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "ransac",
        name: "Random Sample Consensus",
        class: "sklearn.linear_model.RANSACRegressor",
        family: "linear_model",
        task: Task::Regression,
        turbo: false,
        randomised: true,
        params: &[
            ParamSpec {
                name: "min_samples",
                kinds: &[ParamKind::Null, ParamKind::COUNT, ParamKind::Float { min: 0.0, max: 1.0, open_min: true }],
                default: DefaultValue::Null,
                help: "rows per random subset: a count, a fraction of the rows, or None for the features + 1",
            },
            ParamSpec {
                name: "residual_threshold",
                kinds: &[ParamKind::Null, ParamKind::NON_NEGATIVE],
                default: DefaultValue::Null,
                help: "largest loss of an inlier (None: the median absolute deviation of the target)",
            },
            ParamSpec {
                name: "max_trials",
                kinds: &[WHOLE],
                default: DefaultValue::Int(100),
                help: "random subsets at most",
            },
            ParamSpec {
                name: "stop_probability",
                kinds: &[ParamKind::FRACTION],
                default: DefaultValue::Float(0.99),
                help: "stop once an outlier-free subset was drawn with this probability",
            },
            ParamSpec {
                name: "max_skips",
                kinds: &[ParamKind::Null, WHOLE],
                default: DefaultValue::Null,
                help: "stop once more than this many trials were skipped for too few inliers (None: no limit)",
            },
            ParamSpec {
                name: "stop_n_inliers",
                kinds: &[ParamKind::Null, WHOLE],
                default: DefaultValue::Null,
                help: "stop once a consensus set has at least this many inliers (None: no limit)",
            },
            ParamSpec {
                name: "loss",
                kinds: &[ParamKind::Choice(&["absolute_error", "squared_error"])],
                default: DefaultValue::Str("absolute_error"),
                help: "the per-row loss compared with residual_threshold",
            },
            RANDOM_STATE,
        ],
        fit: fit_ransac,
    },
    ModelEntry {
        id: "tr",
        name: "TheilSen Regressor",
        class: "sklearn.linear_model.TheilSenRegressor",
        family: "linear_model",
        task: Task::Regression,
        turbo: false,
        randomised: true,
        params: &[
            FIT_INTERCEPT,
            ParamSpec {
                name: "max_subpopulation",
                kinds: &[ParamKind::Float { min: 1.0, max: f64::INFINITY, open_min: false }],
                default: DefaultValue::Float(1e4),
                help: "subsets at most (all of them when there are fewer)",
            },
            ParamSpec {
                name: "n_subsamples",
                kinds: &[ParamKind::Null, ParamKind::COUNT],
                default: DefaultValue::Null,
                help: "rows per subset (None: the number of coefficients)",
            },
            ParamSpec {
                name: "max_iter",
                kinds: &[WHOLE],
                default: DefaultValue::Int(1000),
                help: "spatial-median iterations at most (PyCaret sets 1000)",
            },
            ParamSpec {
                name: "tol",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1e-3),
                help: "spatial-median step length to stop at",
            },
            RANDOM_STATE,
        ],
        fit: fit_theil_sen,
    },
    ModelEntry {
        id: "huber",
        name: "Huber Regressor",
        class: "sklearn.linear_model.HuberRegressor",
        family: "linear_model",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "epsilon",
                kinds: &[ParamKind::Float { min: 1.0, max: f64::INFINITY, open_min: false }],
                default: DefaultValue::Float(1.35),
                help: "residuals beyond epsilon times the scale count linearly",
            },
            ParamSpec {
                name: "max_iter",
                kinds: &[WHOLE],
                default: DefaultValue::Int(100),
                help: "L-BFGS-B iterations at most",
            },
            ParamSpec {
                name: "alpha",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1e-4),
                help: "squared L2 penalty",
            },
            FIT_INTERCEPT,
            ParamSpec {
                name: "tol",
                kinds: &[ParamKind::NON_NEGATIVE],
                default: DefaultValue::Float(1e-5),
                help: "projected-gradient tolerance",
            },
        ],
        fit: fit_huber,
    },
];

#[cfg(test)]
mod tests {
    use crate::models::ModelSpec;
    use crate::{Matrix, Task};

    /// n rows of p pseudo-random features and a linear target.
    fn design(n_rows: usize, n_cols: usize) -> (Matrix, Vec<f64>) {
        let mut state = 7u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
        };
        let columns: Vec<Vec<f64>> = (0..n_cols).map(|_| (0..n_rows).map(|_| next() * 4.0).collect()).collect();
        let y = (0..n_rows)
            .map(|i| columns.iter().enumerate().map(|(j, c)| (j + 1) as f64 * c[i]).sum::<f64>() + 0.1 * next())
            .collect();
        (Matrix { n_rows, columns }, y)
    }

    fn fit(id: &str, x: &Matrix, y: &[f64]) -> Result<Vec<f64>, crate::LearnError> {
        let fitted = ModelSpec::with_defaults(Task::Regression, id, 0)?.fit(x, y)?;
        fitted.predict(x)
    }

    /// With every row an inlier, stop_n_inliers = n ends the search at the
    /// first trial with every row kept; max_skips 0 still returns a model
    /// (the trials before the first skip). Parity with scikit-learn's
    /// stopping points is in the ransac fixture.
    #[test]
    fn ransac_early_stops_return_a_model() {
        use crate::params::ParamValue;
        let (x, y) = design(40, 2);
        let spec = |given: &[(&str, ParamValue)]| {
            let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            ModelSpec::new(Task::Regression, "ransac", &given, 0).unwrap()
        };
        for given in [("stop_n_inliers", ParamValue::Int(40)), ("max_skips", ParamValue::Int(0))] {
            let fitted = spec(&[given.clone(), ("residual_threshold", ParamValue::Float(1.0))]).fit(&x, &y).unwrap();
            let close = fitted.predict(&x).unwrap().iter().zip(&y).all(|(p, t)| (p - t).abs() < 0.2);
            assert!(close, "{given:?}");
        }
    }

    #[test]
    fn robust_models_handle_degenerate_data_as_scikit_learn_does() {
        for id in ["ransac", "tr", "huber"] {
            let (x, _) = design(30, 3);
            let constant = fit(id, &x, &[5.0; 30]).unwrap();
            assert!(constant.iter().all(|p| (p - 5.0).abs() < 1e-6), "{id}: {constant:?}");
            let (one, y) = design(30, 1);
            assert!(fit(id, &one, &y).unwrap().iter().all(|p| p.is_finite()), "{id}");
            let (mut zero, y) = design(30, 3);
            zero.columns[1] = vec![0.0; 30];
            assert!(fit(id, &zero, &y).unwrap().iter().all(|p| p.is_finite()), "{id}");
            let no_features = Matrix { n_rows: 30, columns: Vec::new() };
            let intercept_only = fit(id, &no_features, &y).unwrap();
            assert!(intercept_only.iter().all(|p| p.is_finite()), "{id}");
            let (wide, y) = design(5, 8);
            match (id, fit(id, &wide, &y)) {
                ("ransac", Err(error)) => assert!(error.to_string().contains("min_samples 9"), "{error}"),
                (_, result) => assert!(result.unwrap().iter().all(|p| p.is_finite()), "{id}"),
            }
        }
    }
}
