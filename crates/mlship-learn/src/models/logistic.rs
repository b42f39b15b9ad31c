//! `LogisticRegression` (PyCaret's `lr` for classification: L2, `C` 1,
//! lbfgs, `max_iter` 1000) as scikit-learn 1.4 fits it: the mean log-loss
//! plus `0.5 / (C · n)` times the squared weights (the intercept is not
//! penalised), minimised from zeros by scipy's L-BFGS-B with `gtol = tol`,
//! `ftol = 64 · eps` and at most 50 line-search steps. Two classes fit one
//! weight vector for the encoded class 1 (binomial loss); more fit one per
//! class (multinomial, softmax), the coefficients laid out class-fastest as
//! scikit-learn ravels them in Fortran order, so the minimiser sees the same
//! vector.
//!
//! `class_weight="balanced"` weighs each row by its class's balanced weight
//! in the loss: the weighted sum of the pointwise losses divided by the
//! weights' sum `s`, and the penalty `0.5 / (C · s)` (scikit-learn 1.9.1's
//! `_logistic_regression_path`, where `s` replaces n).

use crate::matrix::Matrix;
use crate::models::class_weight::{self, ClassWeight};
use crate::models::lbfgsb::{minimize, Bounds, LbfgsbOptions, Outcome};
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::{argmax, softmax_rows};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLogistic {
    /// One weight vector for two classes (the encoded class 1), else one per class.
    pub coef: Vec<Vec<f64>>,
    /// One intercept per weight vector.
    pub intercept: Vec<f64>,
    /// The number of classes.
    pub n_classes: usize,
}

/// `log(1 + exp(x))` without overflow.
fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The loss and its gradient at `w` (layout: `n_vectors` weight vectors of
/// `n_dof` = features (+ intercept), class-fastest).
struct Objective<'a> {
    x: &'a Matrix,
    codes: Vec<usize>,
    n_vectors: usize,
    fit_intercept: bool,
    l2: f64,
    raw: Vec<f64>,
    /// Per-row weights (balanced class weights), if any.
    sample_weight: Option<Vec<f64>>,
    /// The weights' sum (`n` without weights).
    sw_sum: f64,
}

impl Objective<'_> {
    fn n_dof(&self) -> usize {
        self.x.n_cols() + usize::from(self.fit_intercept)
    }

    fn weight(&self, w: &[f64], vector: usize, j: usize) -> f64 {
        w[vector + self.n_vectors * j]
    }

    fn evaluate(&mut self, w: &[f64], grad: &mut [f64]) -> f64 {
        let (n, p, k) = (self.x.n_rows, self.x.n_cols(), self.n_vectors);
        // raw[row * k + vector] = X w + b
        for vector in 0..k {
            let b = if self.fit_intercept { self.weight(w, vector, p) } else { 0.0 };
            for row in 0..n {
                self.raw[row * k + vector] = b;
            }
            for (j, column) in self.x.columns.iter().enumerate() {
                let coefficient = self.weight(w, vector, j);
                for (row, value) in column.iter().enumerate() {
                    self.raw[row * k + vector] += coefficient * value;
                }
            }
        }
        let mut loss = 0.0;
        // The pointwise gradient replaces raw in place.
        for row in 0..n {
            let values = &mut self.raw[row * k..(row + 1) * k];
            let weight = self.sample_weight.as_ref().and_then(|w| w.get(row).copied()).unwrap_or(1.0);
            if k == 1 {
                let y = if self.codes[row] == 1 { 1.0 } else { 0.0 };
                loss += weight * (log1p_exp(values[0]) - y * values[0]);
                values[0] = weight * (expit(values[0]) - y);
            } else {
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = values.iter().map(|v| (v - max).exp()).sum();
                loss += weight * (sum.ln() + max - values[self.codes[row]]);
                values.iter_mut().for_each(|v| *v = (*v - max).exp() / sum);
                values[self.codes[row]] -= 1.0;
                values.iter_mut().for_each(|v| *v *= weight);
            }
        }
        let n_f = self.sw_sum;
        let mut penalty = 0.0;
        for vector in 0..k {
            for j in 0..p {
                let weight = self.weight(w, vector, j);
                penalty += weight * weight;
                let mut g = 0.0;
                for (row, value) in self.x.columns[j].iter().enumerate() {
                    g += value * self.raw[row * k + vector];
                }
                grad[vector + k * j] = g / n_f + self.l2 * weight;
            }
            if self.fit_intercept {
                let g: f64 = (0..n).map(|row| self.raw[row * k + vector]).sum();
                grad[vector + k * p] = g / n_f;
            }
        }
        loss / n_f + 0.5 * self.l2 * penalty
    }
}

fn fit_lr(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let c = params.float("C")?;
    let codes = data.class_codes();
    let sample_weight = match ClassWeight::from_params(params)? {
        ClassWeight::Uniform => None,
        _ => Some(class_weight::balanced_rows(&codes, data.n_classes)),
    };
    let sw_sum = sample_weight.as_deref().map_or(data.x.n_rows as f64, crate::numpy::pairwise_sum);
    let l2 = match params.value("penalty")? {
        ParamValue::Null => 0.0,
        _ => 1.0 / (c * sw_sum),
    };
    let fit_intercept = params.bool("fit_intercept")?;
    let n_vectors = if data.n_classes == 2 { 1 } else { data.n_classes };
    let mut objective = Objective {
        x: data.x,
        codes,
        n_vectors,
        fit_intercept,
        l2,
        raw: vec![0.0; data.x.n_rows * n_vectors],
        sample_weight,
        sw_sum,
    };
    let n_params = n_vectors * objective.n_dof();
    let mut options = LbfgsbOptions::new(params.usize("max_iter")?, params.float("tol")?);
    options.ftol = 64.0 * f64::EPSILON;
    options.max_line_search = 50;
    let free = (vec![f64::NEG_INFINITY; n_params], vec![f64::INFINITY; n_params]);
    let bounds = Bounds { lower: &free.0, upper: &free.1 };
    let minimum = minimize(|w, grad| objective.evaluate(w, grad), &vec![0.0; n_params], &bounds, &options);
    if minimum.outcome == Outcome::Abnormal && !minimum.x.iter().all(|v| v.is_finite()) {
        return Err(LearnError::Numerical {
            step: "LogisticRegression".to_string(),
            message: "the L-BFGS-B line search could not decrease the loss".to_string(),
        });
    }
    let p = data.x.n_cols();
    let coef = (0..n_vectors).map(|v| (0..p).map(|j| minimum.x[v + n_vectors * j]).collect()).collect();
    let intercept = (0..n_vectors).map(|v| if fit_intercept { minimum.x[v + n_vectors * p] } else { 0.0 }).collect();
    Ok(FittedModel::Logistic(FittedLogistic { coef, intercept, n_classes: data.n_classes }))
}

impl FittedLogistic {
    /// `X wᵀ + b`, row-major.
    fn decision(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), "LogisticRegression")?;
        let k = self.coef.len();
        let mut out = vec![0.0; x.n_rows * k];
        for (vector, (coef, b)) in self.coef.iter().zip(&self.intercept).enumerate() {
            for row in 0..x.n_rows {
                let dot: f64 = x.columns.iter().zip(coef).map(|(column, w)| column[row] * w).sum();
                out[row * k + vector] = dot + b;
            }
        }
        Ok(out)
    }
}

impl Fitted for FittedLogistic {
    fn validate(&self) -> Result<(), String> {
        let vectors = if self.n_classes == 2 { 1 } else { self.n_classes };
        if self.n_classes < 2 || self.n_features() == 0 {
            return Err(format!(
                "{} classes and {} features (need 2 and 1 at least)",
                self.n_classes,
                self.n_features()
            ));
        }
        validate::length("coef", self.coef.len(), vectors)?;
        validate::length("intercept", self.intercept.len(), vectors)?;
        validate::finite("intercept", &self.intercept)?;
        for (index, coef) in self.coef.iter().enumerate() {
            validate::length(&format!("coef[{index}]"), coef.len(), self.n_features())?;
            validate::finite(&format!("coef[{index}]"), coef)?;
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let decision = self.decision(x)?;
        Ok(match self.coef.len() {
            1 => decision.iter().map(|&d| if d > 0.0 { 1.0 } else { 0.0 }).collect(),
            k => decision.chunks(k).map(|row| argmax(row) as f64).collect(),
        })
    }
    fn n_features(&self) -> usize {
        self.coef.first().map_or(0, Vec::len)
    }
    fn is_finite(&self) -> bool {
        self.coef.iter().flatten().chain(&self.intercept).all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.decision(x).map(|mut decision| {
            match self.coef.len() {
                1 => decision
                    .iter()
                    .flat_map(|&d| {
                        let p = expit(d);
                        [1.0 - p, p]
                    })
                    .collect(),
                k => {
                    softmax_rows(&mut decision, k);
                    decision
                }
            }
        }))
    }
    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.decision(x))
    }
}

/// PyCaret's `lr` for classification (PyCaret sets `max_iter=1000`).
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "lr",
    name: "Logistic Regression",
    class: "sklearn.linear_model.LogisticRegression",
    family: "linear_model",
    task: Task::Classification,
    turbo: true,
    randomised: false,
    params: &[
        ParamSpec {
            name: "penalty",
            kinds: &[ParamKind::Choice(&["l2"]), ParamKind::Null],
            default: DefaultValue::Str("l2"),
            help: "the weights' penalty: l2, or None for none",
        },
        ParamSpec {
            name: "C",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(1.0),
            help: "inverse of the penalty's strength",
        },
        ParamSpec {
            name: "fit_intercept",
            kinds: &[ParamKind::Bool],
            default: DefaultValue::Bool(true),
            help: "whether to fit an intercept",
        },
        ParamSpec {
            name: "max_iter",
            kinds: &[ParamKind::COUNT],
            default: DefaultValue::Int(1000),
            help: "L-BFGS iterations at most",
        },
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(1e-4),
            help: "the gradient's infinity norm at which the solver stops",
        },
        class_weight::CLASS_WEIGHT,
    ],
    fit: fit_lr,
}];
