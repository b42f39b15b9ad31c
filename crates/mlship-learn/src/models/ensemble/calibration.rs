//! `calibrate`: scikit-learn 1.9's `CalibratedClassifierCV(estimator,
//! method, cv=calibrate_fold)` as PyCaret's `calibrate_model` builds it
//! (sigmoid, 5 folds, `ensemble=True`). On each unshuffled StratifiedKFold
//! fold the member is fitted on the training rows and a calibrator per class
//! (one for two classes) is fitted on its held-out decision function (else
//! its probabilities): Platt's sigmoid (`_sigmoid_calibration`, L-BFGS-B on
//! the half binomial loss with Platt's smoothed targets) or isotonic
//! regression (`IsotonicRegression(out_of_bounds="clip")`: pool adjacent
//! violators, linear interpolation). The probabilities are the mean of the
//! folds' calibrated probabilities.

use super::stacking::StackMethod;
use super::{has_decision_function, member_error, word, FittedModel, ModelSpec, TrainingData};
use crate::compare::parallel_map;
use crate::matrix::Matrix;
use crate::models::lbfgsb::{minimize, Bounds, LbfgsbOptions};
use crate::models::Fitted;
use crate::numpy::{argmax, pairwise_sum};
use crate::params::{Params, ParamsExt};
use crate::split::stratified_kfold;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// One class's map from the member's output to a probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Calibrator {
    /// `1 / (1 + exp(a·f + b))`.
    Sigmoid {
        /// The slope.
        a: f64,
        /// The intercept.
        b: f64,
    },
    /// Linear interpolation between increasing thresholds, clipped at the ends.
    Isotonic {
        /// The thresholds (increasing).
        x: Vec<f64>,
        /// The calibrated value at each threshold (non-decreasing).
        y: Vec<f64>,
    },
}

impl Calibrator {
    fn predict(&self, value: f64) -> f64 {
        match self {
            Calibrator::Sigmoid { a, b } => expit(-(a * value + b)),
            Calibrator::Isotonic { x, y } => interpolate(x, y, value),
        }
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Calibrator::Sigmoid { a, b } if a.is_finite() && b.is_finite() => Ok(()),
            Calibrator::Sigmoid { .. } => Err("a sigmoid calibrator is not finite".to_string()),
            Calibrator::Isotonic { x, y } => {
                let sorted = x.windows(2).all(|pair| pair[0] < pair[1]);
                if x.is_empty() || x.len() != y.len() || !sorted || !x.iter().chain(y).all(|v| v.is_finite()) {
                    return Err(format!("an isotonic calibrator has {} thresholds for {} values", x.len(), y.len()));
                }
                Ok(())
            }
        }
    }
}

/// One fold: the member fitted on its training rows and its calibrators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedFold {
    /// The member fitted on the fold's training rows.
    pub model: FittedModel,
    /// What the calibrators read: the decision function, else probabilities.
    pub response: StackMethod,
    /// One per class (one for two classes: the second).
    pub calibrators: Vec<Calibrator>,
}

/// Every fold's calibrated member (their probabilities are averaged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedCalibrated {
    /// The folds, in fold order.
    pub folds: Vec<CalibratedFold>,
    /// The classes of the whole target.
    pub n_classes: usize,
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// scipy's `interp1d(x, y, kind="linear")` at `value` clipped to `[x_0, x_n]`.
fn interpolate(x: &[f64], y: &[f64], value: f64) -> f64 {
    let (Some(&first), Some(&last)) = (x.first(), x.last()) else { return f64::NAN };
    if x.len() == 1 {
        return y.first().copied().unwrap_or(f64::NAN);
    }
    let value = value.max(first).min(last);
    // searchsorted(x, value, side="left"), clipped to [1, n - 1].
    let hi = x.partition_point(|&t| t < value).clamp(1, x.len() - 1);
    let lo = hi - 1;
    let slope = (y[hi] - y[lo]) / (x[hi] - x[lo]);
    slope * (value - x[lo]) + y[lo]
}

/// The half binomial loss and its gradient in `raw`, as scikit-learn's
/// `closs_grad_half_binomial` computes them.
fn loss_gradient(y: f64, raw: f64) -> (f64, f64) {
    if raw <= -37.0 {
        let e = raw.exp();
        (e - y * raw, e - y)
    } else if raw <= -2.0 {
        let e = raw.exp();
        (e.ln_1p() - y * raw, ((1.0 - y) * e - y) / (1.0 + e))
    } else if raw <= 18.0 {
        let e = (-raw).exp();
        (e.ln_1p() + (1.0 - y) * raw, ((1.0 - y) - y * e) / (1.0 + e))
    } else {
        let e = (-raw).exp();
        (e + (1.0 - y) * raw, ((1.0 - y) - y * e) / (1.0 + e))
    }
}

/// `_sigmoid_calibration`: Platt's targets, L-BFGS-B from Platt's start.
fn fit_sigmoid(predictions: &[f64], positive: &[bool]) -> Calibrator {
    let max = predictions.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if max >= 30.0 { max } else { 1.0 };
    let f: Vec<f64> = predictions.iter().map(|v| if scale != 1.0 { v / scale } else { *v }).collect();
    let prior0 = positive.iter().filter(|p| !**p).count() as f64;
    let prior1 = positive.len() as f64 - prior0;
    let targets: Vec<f64> =
        positive.iter().map(|&p| if p { (prior1 + 1.0) / (prior1 + 2.0) } else { 1.0 / (prior0 + 2.0) }).collect();
    let mut losses = vec![0.0; f.len()];
    let mut gradients = vec![0.0; f.len()];
    let objective = |ab: &[f64], grad: &mut [f64]| -> f64 {
        for i in 0..f.len() {
            let (loss, gradient) = loss_gradient(targets[i], -(ab[0] * f[i] + ab[1]));
            losses[i] = loss;
            gradients[i] = gradient;
        }
        grad[0] = -gradients.iter().zip(&f).map(|(g, v)| g * v).sum::<f64>();
        grad[1] = -pairwise_sum(&gradients);
        pairwise_sum(&losses)
    };
    let mut options = LbfgsbOptions::new(15000, 1e-6);
    options.ftol = 64.0 * f64::EPSILON;
    let free = ([f64::NEG_INFINITY; 2], [f64::INFINITY; 2]);
    let start = [0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln()];
    let minimum = minimize(objective, &start, &Bounds { lower: &free.0, upper: &free.1 }, &options);
    let a = minimum.x.first().copied().unwrap_or(f64::NAN);
    let b = minimum.x.get(1).copied().unwrap_or(f64::NAN);
    Calibrator::Sigmoid { a: a / scale, b }
}

/// `IsotonicRegression(out_of_bounds="clip").fit`: sorted by (x, y),
/// duplicates of x averaged, pool adjacent violators, then only the first and
/// last point of each flat run kept.
fn fit_isotonic(predictions: &[f64], positive: &[bool]) -> Calibrator {
    let mut order: Vec<usize> = (0..predictions.len()).collect();
    let target = |i: usize| f64::from(u8::from(positive[i]));
    order.sort_by(|&i, &j| predictions[i].total_cmp(&predictions[j]).then(target(i).total_cmp(&target(j))));
    let eps = 1e-15; // np.finfo(float64).resolution
    let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
    let (mut current_x, mut current_y, mut current_w) = (f64::NAN, 0.0, 0.0);
    for &i in &order {
        let x = predictions[i];
        if current_w == 0.0 {
            current_x = x;
        } else if x - current_x >= eps {
            xs.push(current_x);
            ys.push(current_y / current_w);
            ws.push(current_w);
            current_x = x;
            current_y = 0.0;
            current_w = 0.0;
        }
        current_y += target(i);
        current_w += 1.0;
    }
    if current_w > 0.0 {
        xs.push(current_x);
        ys.push(current_y / current_w);
        ws.push(current_w);
    }
    pool_adjacent_violators(&mut ys, &mut ws);
    let n = ys.len();
    let keep: Vec<bool> = (0..n).map(|i| i == 0 || i + 1 == n || ys[i] != ys[i - 1] || ys[i] != ys[i + 1]).collect();
    let x = xs.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
    let y = ys.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
    Calibrator::Isotonic { x, y }
}

/// scikit-learn's `_inplace_contiguous_isotonic_regression` (increasing).
fn pool_adjacent_violators(y: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    let mut target: Vec<usize> = (0..n).collect();
    let mut i = 0;
    while i < n {
        let mut k = target[i] + 1;
        if k == n {
            break;
        }
        if y[i] < y[k] {
            i = k;
            continue;
        }
        let mut sum_wy = w[i] * y[i];
        let mut sum_w = w[i];
        loop {
            let prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = target[k] + 1;
            if k == n || prev_y < y[k] {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                target[i] = k - 1;
                target[k - 1] = i;
                if i > 0 {
                    i = target[i - 1];
                }
                break;
            }
        }
    }
    let mut i = 0;
    while i < n {
        let k = target[i] + 1;
        let value = y[i];
        y[i + 1..k].iter_mut().for_each(|v| *v = value);
        i = k;
    }
}

pub(super) fn fit(
    spec: &ModelSpec,
    params: &Params,
    data: &TrainingData<'_>,
    n_threads: usize,
) -> Result<FittedCalibrated, LearnError> {
    let method = word(params, "method")?;
    let (folds, _) = stratified_kfold(&data.class_codes(), params.usize("calibrate_fold")?)?;
    let member =
        spec.estimators.first().ok_or_else(|| LearnError::InvalidOption("calibrate needs one model".to_string()))?;
    let n_rows = data.x.n_rows;
    let fits = parallel_map(folds.len(), n_threads, |fold| {
        let test = folds.get(fold).map(Vec::as_slice).unwrap_or_default();
        let mut in_test = vec![false; n_rows];
        test.iter().for_each(|&row| in_test[row] = true);
        let train: Vec<usize> = (0..n_rows).filter(|&row| !in_test[row]).collect();
        let y_train: Vec<f64> = train.iter().map(|&row| data.y[row]).collect();
        let model = member.fit_task(&data.x.take_rows(&train), &y_train, data.n_classes)?;
        let response = if has_decision_function(&model) {
            StackMethod::DecisionFunction
        } else if model.has_probabilities() {
            StackMethod::PredictProba
        } else {
            return Err(LearnError::InvalidOption(
                "the model has neither decision_function nor predict_proba to calibrate".to_string(),
            ));
        };
        let columns = response.columns(&model, &data.x.take_rows(test), data.n_classes)?;
        let calibrators = columns
            .iter()
            .enumerate()
            .map(|(column, values)| {
                let class = if data.n_classes == 2 { 1.0 } else { column as f64 };
                let positive: Vec<bool> = test.iter().map(|&row| data.y[row] == class).collect();
                if method == "isotonic" {
                    fit_isotonic(values, &positive)
                } else {
                    fit_sigmoid(values, &positive)
                }
            })
            .collect();
        Ok(CalibratedFold { model, response, calibrators })
    });
    let folds = fits.into_iter().collect::<Result<Vec<_>, _>>().map_err(|error| member_error(spec, 0, &error))?;
    Ok(FittedCalibrated { folds, n_classes: data.n_classes })
}

impl CalibratedFold {
    /// `_CalibratedClassifier.predict_proba`, row-major.
    fn predict_proba(&self, x: &Matrix, n_classes: usize) -> Result<Vec<f64>, LearnError> {
        let columns = self.response.columns(&self.model, x, n_classes)?;
        if columns.len() != self.calibrators.len() {
            return Err(LearnError::Shape(format!(
                "calibrate: {} outputs for {} calibrators",
                columns.len(),
                self.calibrators.len()
            )));
        }
        let mut proba = vec![0.0; x.n_rows * n_classes];
        for (column, (values, calibrator)) in columns.iter().zip(&self.calibrators).enumerate() {
            let class = if n_classes == 2 { 1 } else { column };
            for (row, value) in values.iter().enumerate() {
                proba[row * n_classes + class] = calibrator.predict(*value);
            }
        }
        for row in proba.chunks_mut(n_classes) {
            if n_classes == 2 {
                row[0] = 1.0 - row[1];
            } else {
                let denominator: f64 = row.iter().sum();
                row.iter_mut()
                    .for_each(|p| *p = if denominator != 0.0 { *p / denominator } else { 1.0 / n_classes as f64 });
            }
            row.iter_mut().filter(|p| **p > 1.0 && **p <= 1.0 + 1e-5).for_each(|p| *p = 1.0);
        }
        Ok(proba)
    }
}

impl FittedCalibrated {
    fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), "CalibratedClassifierCV")?;
        let mut mean = vec![0.0; x.n_rows * self.n_classes];
        for fold in &self.folds {
            for (total, p) in mean.iter_mut().zip(fold.predict_proba(x, self.n_classes)?) {
                *total += p;
            }
        }
        let n_folds = self.folds.len() as f64;
        mean.iter_mut().for_each(|p| *p /= n_folds);
        Ok(mean)
    }
}

impl Fitted for FittedCalibrated {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let proba = self.probabilities(x)?;
        Ok(proba.chunks(self.n_classes.max(1)).map(|row| argmax(row) as f64).collect())
    }

    fn n_features(&self) -> usize {
        self.folds.first().map_or(0, |fold| fold.model.n_features())
    }

    fn is_finite(&self) -> bool {
        self.folds
            .iter()
            .all(|fold| fold.model.as_fitted().is_finite() && fold.calibrators.iter().all(|c| c.validate().is_ok()))
    }

    fn validate(&self) -> Result<(), String> {
        if self.folds.is_empty() || self.n_classes < 2 {
            return Err(format!("{} folds of {} classes (at least 1 and 2)", self.folds.len(), self.n_classes));
        }
        let width = self.n_features();
        for (index, fold) in self.folds.iter().enumerate() {
            fold.model.validate().map_err(|message| format!("fold {}: {message}", index + 1))?;
            if fold.model.n_features() != width {
                return Err(format!(
                    "fold {} has n_features {} but fold 1 has {width}",
                    index + 1,
                    fold.model.n_features()
                ));
            }
            let expected = if self.n_classes == 2 { 1 } else { self.n_classes };
            if fold.calibrators.len() != expected || fold.response == StackMethod::Predict {
                return Err(format!(
                    "fold {}: {} calibrators for {} classes",
                    index + 1,
                    fold.calibrators.len(),
                    self.n_classes
                ));
            }
            for calibrator in &fold.calibrators {
                calibrator.validate().map_err(|message| format!("fold {}: {message}", index + 1))?;
            }
        }
        super::check_member_classes(self.folds.iter().map(|fold| &fold.model), self.n_classes)
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.probabilities(x))
    }
}
