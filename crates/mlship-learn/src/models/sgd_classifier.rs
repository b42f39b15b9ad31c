//! `SGDClassifier` (PyCaret's classification `svm`, "SVM - Linear Kernel"):
//! a linear SVM learnt by scikit-learn 1.4's `_sgd_fast._plain_sgd` with the
//! hinge loss, sample by sample, as PyCaret 3.3.2 creates it
//! (`SGDClassifier(tol=0.001, loss="hinge", penalty="l2", eta0=0.001,
//! random_state=session_id)`).
//!
//! The update is `_plain_sgd`'s, in its order: the score `w·x * wscale + b`,
//! the step size (`optimal`: `1 / (alpha (t0 + t - 1))` with `t0` from
//! Bottou's typical weight `sqrt(1 / sqrt(alpha))`; or `constant`,
//! `invscaling`, `adaptive` from `eta0`), the hinge loss summed for the
//! stopping rule, the L2 shrinkage as a scale factor on the weight vector
//! (`WeightVector`, folded back below 1e-9), the gradient step on the
//! weights (divided by the scale) and the intercept, then the truncated
//! L1 penalty (`l1`, `elasticnet`). An epoch ends the fit once the summed
//! loss has failed to fall by `tol * n` for `n_iter_no_change` epochs.
//!
//! More than two classes are one-versus-all: `RandomState(random_state)`
//! draws one seed per class, and each binary problem (the class +1, the
//! others -1) draws from `RandomState(seed)` its dataset seed and then its
//! shuffle seed, as `fit_binary` and `make_dataset` do; every problem starts
//! at `t = 1`. Two classes are one problem for the second class, seeded from
//! `random_state` directly. Shuffling is `sgd`'s, so a seed gives
//! scikit-learn's sample orders.
//!
//! The fitted value is a linear classifier without probabilities (the hinge
//! loss has no `predict_proba`). `class_weight`, `average`, early stopping on
//! a validation split and the losses other than hinge are not implemented
//! (PyCaret's defaults use none of them) and not declared.

use crate::models::discriminant::{present_classes, FittedLinearClassifier, Present, Probabilities};
use crate::models::random::NumpyRandom;
use crate::models::sgd::{row_major, shuffle_in_place};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

const CLASS: &str = "SGDClassifier";

/// The step-size schedule (`learning_rate`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Schedule {
    Optimal,
    Constant,
    InvScaling,
    Adaptive,
}

/// The penalty (`penalty`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Penalty {
    None,
    L1,
    L2,
    ElasticNet,
}

/// One binary problem's controls.
#[derive(Debug, Clone, Copy)]
struct Sgd {
    alpha: f64,
    l1_ratio: f64,
    penalty: Penalty,
    fit_intercept: bool,
    max_iter: usize,
    tol: Option<f64>,
    n_iter_no_change: usize,
    shuffle: bool,
    schedule: Schedule,
    eta0: f64,
    power_t: f64,
}

/// scikit-learn's `WeightVector`: `w * wscale`, so that the L2 shrinkage is one multiplication.
struct WeightVector {
    w: Vec<f64>,
    wscale: f64,
}

impl WeightVector {
    fn dot(&self, x: &[f64]) -> f64 {
        let mut inner = 0.0;
        for (w, v) in self.w.iter().zip(x) {
            inner += w * v;
        }
        inner * self.wscale
    }
    fn scale(&mut self, c: f64) {
        self.wscale *= c;
        if self.wscale < 1e-9 {
            self.reset_wscale();
        }
    }
    fn add(&mut self, x: &[f64], c: f64) {
        let step = c / self.wscale;
        for (w, v) in self.w.iter_mut().zip(x) {
            *w += v * step;
        }
    }
    fn reset_wscale(&mut self) {
        let wscale = self.wscale;
        self.w.iter_mut().for_each(|w| *w *= wscale);
        self.wscale = 1.0;
    }
}

/// The truncated-gradient L1 step (`l1penalty`) on every feature of the sample.
fn l1_penalty(weights: &mut WeightVector, q: &mut [f64], u: f64) {
    let wscale = weights.wscale;
    for (w, q) in weights.w.iter_mut().zip(q.iter_mut()) {
        let z = *w;
        if wscale * *w > 0.0 {
            *w = (*w - (u + *q) / wscale).max(0.0);
        } else if wscale * *w < 0.0 {
            *w = (*w + (u - *q) / wscale).min(0.0);
        }
        *q += wscale * (*w - z);
    }
}

/// `_plain_sgd` with the hinge loss on `rows` (row-major) and targets ±1;
/// returns the weights and the intercept.
fn plain_sgd(rows: &[f64], y: &[f64], config: &Sgd, seed: u32) -> Result<(Vec<f64>, f64), LearnError> {
    let n = y.len();
    let n_features = rows.len() / n.max(1);
    let mut weights = WeightVector { w: vec![0.0; n_features], wscale: 1.0 };
    let mut intercept = 0.0;
    let l1_ratio = match config.penalty {
        Penalty::L2 => 0.0,
        Penalty::L1 => 1.0,
        _ => config.l1_ratio,
    };
    let mut q = vec![0.0; n_features];
    let mut u = 0.0;
    let alpha = config.alpha;
    let mut eta = config.eta0;
    let mut optimal_init = 0.0;
    if config.schedule == Schedule::Optimal {
        let typw = (1.0 / alpha.sqrt()).sqrt();
        // The hinge's dloss at (y = 1, p = -typw) is -1, so max(1, dloss) is 1.
        let initial_eta0 = typw / 1.0;
        optimal_init = 1.0 / (initial_eta0 * alpha);
    }
    let tol = config.tol.unwrap_or(f64::NEG_INFINITY);
    let mut best_loss = f64::INFINITY;
    let mut no_improvement = 0;
    let mut t = 1.0;
    let mut order: Vec<usize> = (0..n).collect();
    for epoch in 0..config.max_iter {
        let mut sumloss = 0.0;
        if config.shuffle {
            shuffle_in_place(&mut order, seed);
        }
        for &sample in &order {
            let x = &rows[sample * n_features..(sample + 1) * n_features];
            let target = y[sample];
            let p = weights.dot(x) + intercept;
            match config.schedule {
                Schedule::Optimal => eta = 1.0 / (alpha * (optimal_init + t - 1.0)),
                Schedule::InvScaling => eta = config.eta0 / t.powf(config.power_t),
                Schedule::Constant | Schedule::Adaptive => {}
            }
            let z = p * target;
            if z <= 1.0 {
                sumloss += 1.0 - z;
            }
            let dloss = if z <= 1.0 { -target } else { 0.0 };
            let update = -eta * dloss.clamp(-1e12, 1e12);
            if matches!(config.penalty, Penalty::L2 | Penalty::ElasticNet) {
                // Not below zero when eta or alpha are too large: the weights become 0.
                weights.scale((1.0 - ((1.0 - l1_ratio) * eta * alpha)).max(0.0));
            }
            if update != 0.0 {
                weights.add(x, update);
                if config.fit_intercept {
                    intercept += update;
                }
            }
            if matches!(config.penalty, Penalty::L1 | Penalty::ElasticNet) {
                u += l1_ratio * eta * alpha;
                l1_penalty(&mut weights, &mut q, u);
            }
            t += 1.0;
        }
        if !intercept.is_finite() || weights.w.iter().any(|w| !w.is_finite()) {
            return Err(LearnError::Numerical {
                step: CLASS.to_string(),
                message: format!(
                    "floating-point under-/overflow at epoch {} (scaling the features may help)",
                    epoch + 1
                ),
            });
        }
        if tol > f64::NEG_INFINITY && sumloss > best_loss - tol * n as f64 {
            no_improvement += 1;
        } else {
            no_improvement = 0;
        }
        if sumloss < best_loss {
            best_loss = sumloss;
        }
        if no_improvement >= config.n_iter_no_change {
            if config.schedule == Schedule::Adaptive && eta > 1e-6 {
                eta /= 5.0;
                no_improvement = 0;
            } else {
                break;
            }
        }
    }
    weights.reset_wscale();
    Ok((weights.w, intercept))
}

/// One binary problem as `fit_binary` seeds it: `make_dataset` draws
/// `randint(1, 2**31 - 1)` for the dataset, then the shuffle seed is `randint(2**31 - 1)`.
fn fit_binary(rows: &[f64], y: &[f64], config: &Sgd, random_state: u32) -> Result<(Vec<f64>, f64), LearnError> {
    let mut rng = NumpyRandom::new(random_state);
    let _dataset_seed = rng.interval(i32::MAX as u32 - 2);
    let seed = rng.randint(i32::MAX as usize) as u32;
    plain_sgd(rows, y, config, seed)
}

fn text(params: &Params, name: &str) -> Result<String, LearnError> {
    Ok(match params.value(name)? {
        ParamValue::Str(value) => value.clone(),
        other => other.to_string(),
    })
}

fn fit_svm(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    if data.x.n_rows == 0 || data.x.n_cols() == 0 {
        return Err(LearnError::InvalidOption(format!("{CLASS} needs at least one row and one feature")));
    }
    let Present { classes, index, .. } = present_classes(data, CLASS)?;
    let penalty = match text(params, "penalty")?.as_str() {
        "l1" => Penalty::L1,
        "elasticnet" => Penalty::ElasticNet,
        "l2" => Penalty::L2,
        _ => Penalty::None,
    };
    let schedule = match text(params, "learning_rate")?.as_str() {
        "constant" => Schedule::Constant,
        "invscaling" => Schedule::InvScaling,
        "adaptive" => Schedule::Adaptive,
        _ => Schedule::Optimal,
    };
    let config = Sgd {
        alpha: params.float("alpha")?,
        l1_ratio: params.float("l1_ratio")?,
        penalty,
        fit_intercept: params.bool("fit_intercept")?,
        max_iter: params.usize("max_iter")?,
        tol: match params.value("tol")? {
            ParamValue::Null => None,
            _ => Some(params.float("tol")?),
        },
        n_iter_no_change: params.usize("n_iter_no_change")?,
        shuffle: params.bool("shuffle")?,
        schedule,
        eta0: params.float("eta0")?,
        power_t: params.float("power_t")?,
    };
    if schedule != Schedule::Optimal && config.eta0 <= 0.0 {
        return Err(LearnError::InvalidOption(format!("{CLASS}: eta0 must be > 0 with learning_rate {schedule:?}")));
    }
    if schedule == Schedule::Optimal && config.alpha == 0.0 {
        return Err(LearnError::InvalidOption(format!("{CLASS}: alpha must be > 0 with learning_rate \"optimal\"")));
    }
    let rows = row_major(data.x);
    let seed = params.seed("random_state")?;
    let targets =
        |positive: usize| -> Vec<f64> { index.iter().map(|&c| if c == positive { 1.0 } else { -1.0 }).collect() };
    let problems: Vec<(Vec<f64>, f64)> = if classes.len() == 2 {
        vec![fit_binary(&rows, &targets(1), &config, seed)?]
    } else {
        let mut rng = NumpyRandom::new(seed);
        let seeds: Vec<u32> = classes.iter().map(|_| rng.randint(i32::MAX as usize) as u32).collect();
        seeds.iter().enumerate().map(|(k, &s)| fit_binary(&rows, &targets(k), &config, s)).collect::<Result<_, _>>()?
    };
    let (coef, intercept) = problems.into_iter().unzip();
    Ok(FittedModel::LinearClassifier(FittedLinearClassifier {
        class: CLASS.to_string(),
        coef,
        intercept,
        classes,
        n_classes: data.n_classes,
        probabilities: Probabilities::None,
    }))
}

/// PyCaret's classification `svm`: SGDClassifier with PyCaret's arguments as defaults.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "svm",
    name: "SVM - Linear Kernel",
    class: "sklearn.linear_model.SGDClassifier",
    family: "linear_model",
    task: Task::Classification,
    turbo: true,
    randomised: true,
    params: &[
        ParamSpec {
            name: "loss",
            kinds: &[ParamKind::Choice(&["hinge"])],
            default: DefaultValue::Str("hinge"),
            help: "the loss: hinge (a linear SVM)",
        },
        ParamSpec {
            name: "penalty",
            kinds: &[ParamKind::Choice(&["l2", "l1", "elasticnet"]), ParamKind::Null],
            default: DefaultValue::Str("l2"),
            help: "the regularisation: l2, l1, elasticnet (l1_ratio of L1) or None",
        },
        ParamSpec {
            name: "alpha",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(1e-4),
            help: "the regularisation strength (also sets the optimal step size)",
        },
        ParamSpec {
            name: "l1_ratio",
            kinds: &[ParamKind::FRACTION],
            default: DefaultValue::Float(0.15),
            help: "the share of L1 in the elasticnet penalty",
        },
        super::sgd::FIT_INTERCEPT,
        super::sgd::MAX_ITER,
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
            default: DefaultValue::Float(1e-3),
            help: "stop when the summed loss falls by less than tol * rows (None: never)",
        },
        super::sgd::SHUFFLE,
        ParamSpec {
            name: "random_state",
            kinds: &[ParamKind::SEED],
            default: DefaultValue::Seed,
            help: "seed of the per-class seeds and the epoch shuffles",
        },
        ParamSpec {
            name: "learning_rate",
            kinds: &[ParamKind::Choice(&["optimal", "constant", "invscaling", "adaptive"])],
            default: DefaultValue::Str("optimal"),
            help: "the step-size schedule",
        },
        ParamSpec {
            name: "eta0",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(0.001),
            help: "the initial step size of the constant, invscaling and adaptive schedules",
        },
        ParamSpec {
            name: "power_t",
            kinds: &[ParamKind::Float { min: f64::NEG_INFINITY, max: f64::INFINITY, open_min: false }],
            default: DefaultValue::Float(0.5),
            help: "the exponent of the invscaling schedule",
        },
        ParamSpec {
            name: "n_iter_no_change",
            kinds: &[ParamKind::COUNT],
            default: DefaultValue::Int(5),
            help: "epochs without improvement before stopping",
        },
    ],
    fit: fit_svm,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;
    use crate::models::ModelSpec;

    /// Two features; the class is the band of `a - b` (0, 1, 2), separable with margins.
    fn bands(n_rows: usize) -> (Matrix, Vec<f64>) {
        let mut next = crate::models::tests::uniform_stream(5);
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        while a.len() < n_rows {
            let (u, v) = (next() * 6.0 - 3.0, next() * 6.0 - 3.0);
            let score = u - v;
            if (score.abs() - 1.0).abs() < 0.3 {
                continue;
            }
            a.push(u);
            b.push(v);
            y.push(if score < -1.0 {
                0.0
            } else if score < 1.0 {
                1.0
            } else {
                2.0
            });
        }
        (Matrix { n_rows, columns: vec![a, b] }, y)
    }

    #[test]
    fn a_separable_binary_problem_is_learnt_without_probabilities() {
        let (x, y) = bands(80);
        let y: Vec<f64> = y.iter().map(|&c| if c == 2.0 { 1.0 } else { 0.0 }).collect();
        let fitted = ModelSpec::with_defaults(Task::Classification, "svm", 0).unwrap().fit_task(&x, &y, 2).unwrap();
        assert!(fitted.predict_proba(&x).is_none());
        let decision = fitted.decision_function(&x).unwrap().unwrap();
        assert_eq!(decision.len(), 80);
        let predicted = fitted.predict(&x).unwrap();
        assert_eq!(predicted, y);
        assert!(decision.iter().zip(&y).all(|(d, &c)| (*d > 0.0) == (c == 1.0)));
    }

    #[test]
    fn one_versus_all_gives_one_score_per_class_and_minus_infinity_for_a_missing_one() {
        let (x, y) = bands(90);
        let spec = ModelSpec::with_defaults(Task::Classification, "svm", 3).unwrap();
        let fitted = spec.fit_task(&x, &y, 3).unwrap();
        let decision = fitted.decision_function(&x).unwrap().unwrap();
        assert_eq!(decision.len(), 90 * 3);
        let correct = fitted.predict(&x).unwrap().iter().zip(&y).filter(|(p, t)| p == t).count();
        assert!(correct >= 70, "{correct} of 90");
        let fitted = spec.fit_task(&x, &y, 4).unwrap();
        let decision = fitted.decision_function(&x).unwrap().unwrap();
        assert!(decision.chunks(4).all(|row| row[3] == f64::NEG_INFINITY && row[..3].iter().all(|d| d.is_finite())));
    }

    #[test]
    fn the_weight_scale_folds_back_below_its_threshold() {
        let mut w = WeightVector { w: vec![2.0, -4.0], wscale: 1.0 };
        w.scale(0.5);
        assert_eq!((w.w.clone(), w.wscale), (vec![2.0, -4.0], 0.5));
        assert_eq!(w.dot(&[1.0, 1.0]), -1.0);
        w.add(&[1.0, 0.0], 1.0);
        assert_eq!(w.w, vec![4.0, -4.0]);
        w.scale(1e-10);
        assert_eq!(w.wscale, 1.0);
        assert!((w.w[0] - 2e-10).abs() < 1e-24);
    }
}
