//! The losses the boosting loop fits, each in its library's arithmetic:
//! the initial scores, the per-row gradients and hessians of a round, and
//! the link from raw scores to probabilities.
//!
//! - squared error: start from the mean, gradient `score - y`, hessian 1.
//! - binary logistic (LightGBM `binary`, XGBoost `binary:logistic`):
//!   LightGBM starts from the log-odds of the positive share (clamped to
//!   `[1e-15, 1 - 1e-15]`) and computes in float64 with labels ±1;
//!   XGBoost starts from the logit of the label mean (float32, clamped to
//!   `[1e-6, 1 - 1e-6]`) and computes in float32.
//! - softmax (LightGBM `multiclass`, XGBoost `multi:softprob`): one score
//!   and one tree per class and round. LightGBM starts each class from
//!   `ln(prior)` and scales the hessian by `k / (k - 1)`; XGBoost 3.2
//!   starts from `ln(prior + 1e-6)` centred on its mean and doubles the
//!   hessian (and seeds its softmax maximum with the smallest positive
//!   float, as it does).
//!
//! Scores are class-major: class `k`'s score of row `i` is `scores[k * n + i]`.

use super::grower::Flavour;

/// LightGBM's `kEpsilon`.
const LGB_EPSILON: f64 = 1e-15f32 as f64;
/// XGBoost's `kRtEps`.
const XGB_RT_EPS: f32 = 1e-6;
/// XGBoost's floor of a hessian.
const XGB_MIN_HESS: f32 = 1e-16;

/// What the trees are fitted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Objective {
    /// Squared error on a numeric target.
    SquaredError,
    /// Two classes (labels 0 and 1): the log-odds of class 1.
    Binary,
    /// `n_classes` > 2 classes (labels `0..n_classes`): one score per class.
    Softmax {
        /// The number of classes (one tree per class and round).
        n_classes: usize,
    },
}

impl Objective {
    /// Scores (and trees per round) per row.
    pub fn n_groups(self) -> usize {
        match self {
            Objective::SquaredError | Objective::Binary => 1,
            Objective::Softmax { n_classes } => n_classes,
        }
    }

    /// Whether hessians vary by row (squared error's are all 1).
    pub fn has_hessians(self) -> bool {
        self != Objective::SquaredError
    }
}

/// The initial score of each group.
pub(crate) fn base_scores(objective: Objective, flavour: Flavour, labels: &[f32]) -> Vec<f64> {
    let n = labels.len();
    match (objective, flavour) {
        (Objective::SquaredError, _) => {
            let mean = labels.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            match flavour {
                Flavour::LightGbm => vec![mean],
                Flavour::XgBoost => vec![f64::from(mean as f32)],
            }
        }
        (Objective::Binary, Flavour::LightGbm) => {
            let positives = labels.iter().filter(|&&v| v > 0.0).count() as f64;
            let share = (positives / n as f64).clamp(LGB_EPSILON, 1.0 - LGB_EPSILON);
            vec![(share / (1.0 - share)).ln()]
        }
        (Objective::Binary, Flavour::XgBoost) => {
            // SampleMean: y / n summed in float64, stored as float32; ProbToMargin clamps and takes the logit.
            let mean = labels.iter().map(|&v| f64::from(v) / n as f64).sum::<f64>() as f32;
            let bounded = mean.clamp(XGB_RT_EPS, 1.0 - XGB_RT_EPS);
            vec![f64::from(-(1.0f32 / bounded - 1.0).ln())]
        }
        (Objective::Softmax { n_classes }, Flavour::LightGbm) => {
            let mut counts = vec![0.0f64; n_classes];
            labels.iter().for_each(|&v| counts[v as usize] += 1.0);
            counts.iter().map(|&c| (c / n as f64).max(LGB_EPSILON).ln()).collect()
        }
        (Objective::Softmax { n_classes }, Flavour::XgBoost) => {
            let mut counts = vec![0.0f32; n_classes];
            labels.iter().for_each(|&v| counts[v as usize] += 1.0);
            let inverse = 1.0 / n as f64;
            let logs: Vec<f32> = counts.iter().map(|&c| ((f64::from(c) * inverse) as f32 + XGB_RT_EPS).ln()).collect();
            let k = n_classes as f32;
            let mean = logs.iter().fold(0.0f32, |sum, &v| sum + v / k);
            logs.iter().map(|&v| f64::from(v - mean)).collect()
        }
    }
}

/// XGBoost's `scale_pos_weight` as its `RegLossObj` applies it: each row
/// labelled exactly 1 weighs `scale_pos_weight` (its gradient and hessian
/// scaled), for the regression losses and `binary:logistic` alike; softmax
/// ignores it. `None` when it changes nothing XGBoost computes: LightGBM,
/// softmax, or a weight of 1 (with another weight XGBoost also estimates the
/// base score by a Newton step, `newton_base_score`, even if no row is
/// labelled 1).
pub(crate) fn scale_pos_weights(
    objective: Objective,
    flavour: Flavour,
    labels: &[f32],
    scale_pos_weight: f32,
) -> Option<Vec<f32>> {
    let applies = flavour == Flavour::XgBoost && !matches!(objective, Objective::Softmax { .. });
    (applies && scale_pos_weight != 1.0)
        .then(|| labels.iter().map(|&label| if label == 1.0 { scale_pos_weight } else { 1.0 }).collect())
}

/// XGBoost's base score under row weights (`FitIntercept::InitEstimation`):
/// one unregularised Newton step from margin 0, `-Σg / Σh` over the
/// weighted float32 gradients summed in float64, stored as a float32
/// prediction (the sigmoid of the step for logistic) and turned back into a
/// margin as `base_scores` does.
pub(crate) fn newton_base_score(objective: Objective, labels: &[f32], weights: &[f32]) -> Vec<f64> {
    let (mut sum_grad, mut sum_hess) = (0.0f64, 0.0f64);
    for (&label, &weight) in labels.iter().zip(weights) {
        let (grad, hess) = match objective {
            Objective::Binary => {
                let p = xgb_sigmoid(0.0);
                ((p - label) * weight, (p * (1.0 - p)).max(XGB_MIN_HESS) * weight)
            }
            _ => ((0.0 - label) * weight, weight),
        };
        sum_grad += f64::from(grad);
        sum_hess += f64::from(hess);
    }
    let step = if sum_hess > 0.0 { (-sum_grad / sum_hess) as f32 } else { 0.0 };
    match objective {
        Objective::Binary => {
            let bounded = xgb_sigmoid(step).clamp(XGB_RT_EPS, 1.0 - XGB_RT_EPS);
            vec![f64::from(-(1.0f32 / bounded - 1.0).ln())]
        }
        _ => vec![f64::from(step)],
    }
}

/// Scales each row's gradient and hessian by its weight (squared error's
/// hessians, otherwise all 1, become the weights).
pub(crate) fn apply_weights(objective: Objective, weights: &[f32], grad: &mut [f32], hess: &mut [f32]) {
    for (g, &w) in grad.iter_mut().zip(weights) {
        *g *= w;
    }
    if objective == Objective::SquaredError {
        hess.iter_mut().zip(weights).for_each(|(h, &w)| *h = w);
    } else {
        hess.iter_mut().zip(weights).for_each(|(h, &w)| *h *= w);
    }
}

/// XGBoost's `common::Sigmoid` (float32).
pub(crate) fn xgb_sigmoid(x: f32) -> f32 {
    let x = (-x).min(88.7);
    1.0 / (x.exp() + 1.0 + 1e-16)
}

/// The gradients (and hessians, when they vary) of every row and group.
/// `scores` are LightGBM's float64 scores, `scores32` XGBoost's float32 ones.
pub(crate) fn gradients(
    objective: Objective,
    flavour: Flavour,
    labels: &[f32],
    scores: &[f64],
    scores32: &[f32],
    grad: &mut [f32],
    hess: &mut [f32],
) {
    let n = labels.len();
    match (objective, flavour) {
        (Objective::SquaredError, Flavour::LightGbm) => {
            for ((g, &s), &label) in grad.iter_mut().zip(scores).zip(labels) {
                *g = (s - f64::from(label)) as f32;
            }
        }
        (Objective::SquaredError, Flavour::XgBoost) => {
            for ((g, &s), &label) in grad.iter_mut().zip(scores32).zip(labels) {
                *g = s - label;
            }
        }
        (Objective::Binary, Flavour::LightGbm) => {
            for (i, &label) in labels.iter().enumerate() {
                let sign = if label > 0.0 { 1.0 } else { -1.0 };
                let response = -sign / (1.0 + (sign * scores[i]).exp());
                let magnitude = response.abs();
                grad[i] = response as f32;
                hess[i] = (magnitude * (1.0 - magnitude)) as f32;
            }
        }
        (Objective::Binary, Flavour::XgBoost) => {
            for (i, &label) in labels.iter().enumerate() {
                let p = xgb_sigmoid(scores32[i]);
                grad[i] = p - label;
                hess[i] = (p * (1.0 - p)).max(XGB_MIN_HESS);
            }
        }
        (Objective::Softmax { n_classes }, Flavour::LightGbm) => {
            let factor = n_classes as f64 / (n_classes as f64 - 1.0);
            let mut row = vec![0.0f64; n_classes];
            for (i, &label) in labels.iter().enumerate() {
                row.iter_mut().enumerate().for_each(|(k, r)| *r = scores[k * n + i]);
                lgb_softmax(&mut row);
                for (k, &p) in row.iter().enumerate() {
                    grad[k * n + i] = (if label as usize == k { p - 1.0 } else { p }) as f32;
                    hess[k * n + i] = (factor * p * (1.0 - p)) as f32;
                }
            }
        }
        (Objective::Softmax { n_classes }, Flavour::XgBoost) => {
            for (i, &label) in labels.iter().enumerate() {
                let point = |k: usize| scores32[k * n + i];
                let wmax = (0..n_classes).fold(f32::MIN_POSITIVE, |m, k| point(k).max(m));
                let wsum: f64 = (0..n_classes).map(|k| f64::from((point(k) - wmax).exp())).sum();
                for k in 0..n_classes {
                    let p = (point(k) - wmax).exp() / wsum as f32;
                    hess[k * n + i] = (2.0 * p * (1.0 - p)).max(XGB_MIN_HESS);
                    grad[k * n + i] = if label as usize == k { p - 1.0 } else { p };
                }
            }
        }
    }
}

/// LightGBM's `Common::Softmax` (float64), in place.
pub(crate) fn lgb_softmax(row: &mut [f64]) {
    let wmax = row.iter().copied().fold(row.first().copied().unwrap_or(0.0), f64::max);
    let mut wsum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - wmax).exp();
        wsum += *v;
    }
    row.iter_mut().for_each(|v| *v /= wsum);
}

/// XGBoost's `common::Softmax` (float32 values, float64 sum), in place.
pub(crate) fn xgb_softmax(row: &mut [f32]) {
    let wmax = row.iter().copied().fold(row.first().copied().unwrap_or(0.0), f32::max);
    let mut wsum = 0.0f64;
    for v in row.iter_mut() {
        *v = (*v - wmax).exp();
        wsum += f64::from(*v);
    }
    row.iter_mut().for_each(|v| *v /= wsum as f32);
}
