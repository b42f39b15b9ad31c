//! `normalize`: zscore (`StandardScaler`), minmax (`MinMaxScaler`), maxabs
//! (`MaxAbsScaler`) and robust (`RobustScaler`), fitted per column. A column
//! whose scale is (numerically) zero keeps scale 1, as scikit-learn does, so
//! nothing is ever divided by zero.

use crate::matrix::{percentile_sorted, sorted_copy, Matrix};
use crate::options::NormalizeMethod;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// A fitted scaler: `(x - offset) / scale` per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedScaler {
    /// The method it was fitted with.
    pub method: NormalizeMethod,
    /// Subtracted first, then divided by `scale`.
    pub offset: Vec<f64>,
    /// Divided by, after the offset.
    pub scale: Vec<f64>,
}

/// scikit-learn's `_handle_zeros_in_scale`: tiny scales become 1.
fn guard_scale(scale: f64) -> f64 {
    if scale < 10.0 * f64::EPSILON {
        1.0
    } else {
        scale
    }
}

fn zscore(column: &[f64]) -> (f64, f64) {
    // `_incremental_mean_and_var` with its correction term.
    let n = column.len() as f64;
    let mean = column.iter().sum::<f64>() / n;
    let correction: f64 = column.iter().map(|v| v - mean).sum();
    let squares: f64 = column.iter().map(|v| (v - mean).powi(2)).sum();
    let variance = (squares - correction * correction / n) / n;
    // `_is_constant_feature`: the variance is within rounding of zero.
    let upper_bound = n * f64::EPSILON * variance + (n * mean * f64::EPSILON).powi(2);
    let scale = if variance <= upper_bound { 1.0 } else { guard_scale(variance.sqrt()) };
    (mean, scale)
}

impl FittedScaler {
    /// Fits `method` on the columns of `x`.
    pub fn fit(x: &Matrix, method: NormalizeMethod) -> Self {
        let (offset, scale) = x
            .columns
            .iter()
            .map(|column| match method {
                NormalizeMethod::Zscore => zscore(column),
                NormalizeMethod::Minmax => {
                    let min = column.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (min, guard_scale(max - min))
                }
                NormalizeMethod::Maxabs => (0.0, guard_scale(column.iter().fold(0.0, |m: f64, v| m.max(v.abs())))),
                NormalizeMethod::Robust => {
                    let sorted = sorted_copy(column.iter().copied());
                    let median = percentile_sorted(&sorted, 50.0);
                    let iqr = percentile_sorted(&sorted, 75.0) - percentile_sorted(&sorted, 25.0);
                    (median, guard_scale(iqr))
                }
            })
            .unzip();
        FittedScaler { method, offset, scale }
    }

    /// Checks a step read from a file against the `width` it receives: one
    /// finite offset and one finite, non-zero scale per column.
    pub fn validate(&self, width: usize) -> Result<usize, String> {
        for (field, values) in [("offset", &self.offset), ("scale", &self.scale)] {
            if values.len() != width {
                return Err(format!("{field} has {} values but the previous step gives {width} columns", values.len()));
            }
            if let Some(at) = values.iter().position(|v| !v.is_finite() || (field == "scale" && *v == 0.0)) {
                return Err(format!("{field}[{at}] is {} (expected a finite, non-zero number)", values[at]));
            }
        }
        Ok(width)
    }

    /// Scales `x`; a matrix of another width is an error.
    pub fn transform(&self, mut x: Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.scale.len(), "the scaler")?;
        for ((column, offset), scale) in x.columns.iter_mut().zip(&self.offset).zip(&self.scale) {
            for value in column.iter_mut() {
                *value = (*value - offset) / scale;
            }
        }
        Ok(x)
    }
}
