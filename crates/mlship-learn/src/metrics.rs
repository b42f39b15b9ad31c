//! PyCaret's regression metrics, with PyCaret's definitions: RMSLE on absolute
//! values, MAPE as a fraction skipping rows whose true value is 0.

use serde::{Deserialize, Serialize};

/// PyCaret's regression scores for one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Mean absolute error.
    #[serde(rename = "MAE")]
    pub mae: f64,
    /// Mean squared error.
    #[serde(rename = "MSE")]
    pub mse: f64,
    /// Root mean squared error.
    #[serde(rename = "RMSE")]
    pub rmse: f64,
    /// Coefficient of determination.
    #[serde(rename = "R2")]
    pub r2: f64,
    /// Root mean squared log error, on absolute values as PyCaret computes it.
    #[serde(rename = "RMSLE")]
    pub rmsle: f64,
    /// Mean absolute percentage error, as a fraction.
    #[serde(rename = "MAPE")]
    pub mape: f64,
}

/// The metric names, in PyCaret's column order; `values` and `get` follow it.
pub const METRIC_NAMES: [&str; 6] = ["MAE", "MSE", "RMSE", "R2", "RMSLE", "MAPE"];

impl RegressionMetrics {
    /// Scores `y_pred` against `y_true` as PyCaret's regression metrics do.
    pub fn compute(y_true: &[f64], y_pred: &[f64]) -> Self {
        let n = y_true.len() as f64;
        let mae = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()).sum::<f64>() / n;
        let mse = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).powi(2)).sum::<f64>() / n;
        let mean = y_true.iter().sum::<f64>() / n;
        let total = y_true.iter().map(|t| (t - mean).powi(2)).sum::<f64>();
        // scikit-learn's r2_score: a constant target scores 1 if predicted exactly, else 0.
        let r2 = if total == 0.0 {
            if mse == 0.0 {
                1.0
            } else {
                0.0
            }
        } else {
            1.0 - mse * n / total
        };
        let msle = y_true.iter().zip(y_pred).map(|(t, p)| (t.abs().ln_1p() - p.abs().ln_1p()).powi(2)).sum::<f64>() / n;
        let nonzero: Vec<(f64, f64)> =
            y_true.iter().zip(y_pred).filter(|(t, _)| **t != 0.0).map(|(t, p)| (*t, *p)).collect();
        let mape = if nonzero.is_empty() {
            0.0
        } else {
            nonzero.iter().map(|(t, p)| ((t - p) / t).abs()).sum::<f64>() / nonzero.len() as f64
        };
        RegressionMetrics { mae, mse, rmse: mse.sqrt(), r2, rmsle: msle.sqrt(), mape }
    }

    /// The metrics in `METRIC_NAMES` order.
    pub fn values(&self) -> [f64; 6] {
        [self.mae, self.mse, self.rmse, self.r2, self.rmsle, self.mape]
    }

    fn from_values(values: [f64; 6]) -> Self {
        let [mae, mse, rmse, r2, rmsle, mape] = values;
        RegressionMetrics { mae, mse, rmse, r2, rmsle, mape }
    }

    /// The metric called `name`, case-insensitively, e.g. `r2`.
    pub fn get(&self, name: &str) -> Option<f64> {
        METRIC_NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|idx| self.values()[idx])
    }

    /// Mean and population standard deviation over folds (PyCaret's Mean and Std rows).
    pub fn mean_and_std(folds: &[RegressionMetrics]) -> (Self, Self) {
        let n = folds.len() as f64;
        let mut mean = [0.0; 6];
        let mut std = [0.0; 6];
        for idx in 0..6 {
            mean[idx] = folds.iter().map(|f| f.values()[idx]).sum::<f64>() / n;
            std[idx] = (folds.iter().map(|f| (f.values()[idx] - mean[idx]).powi(2)).sum::<f64>() / n).sqrt();
        }
        (Self::from_values(mean), Self::from_values(std))
    }
}
