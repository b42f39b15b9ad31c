//! `pca`: scikit-learn's `PCA(svd_solver="full")`: an exact thin SVD of the
//! centred data, signs fixed by `svd_flip` (largest loading of each component
//! positive), keeping a count of components or enough to explain a variance
//! fraction. scikit-learn's "auto" solver may pick a randomized SVD on large
//! data; we always compute the exact one.

use crate::matrix::{mean, Matrix};
use crate::options::PcaComponents;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// Fitted `PCA`: projects centred features onto their leading principal components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPca {
    /// The training mean of each input column, subtracted first.
    pub mean: Vec<f64>,
    /// One row of loadings per kept component.
    pub components: Vec<Vec<f64>>,
    /// The fraction of the variance each kept component explains.
    pub explained_variance_ratio: Vec<f64>,
}

impl FittedPca {
    /// Fits on `x`, keeping `n_components` (all when `None`).
    pub fn fit(x: &Matrix, n_components: Option<PcaComponents>) -> Result<Self, LearnError> {
        let means: Vec<f64> = x.columns.iter().map(|c| mean(c)).collect();
        let centred = faer::Mat::from_fn(x.n_rows, x.n_cols(), |i, j| x.columns[j][i] - means[j]);
        let svd =
            centred.thin_svd().map_err(|e| LearnError::Numerical { step: "PCA".into(), message: format!("{e:?}") })?;
        let singular: Vec<f64> = (0..svd.S().dim()).map(|i| svd.S().column_vector()[i]).collect();
        let variances: Vec<f64> = singular.iter().map(|s| s * s / (x.n_rows as f64 - 1.0)).collect();
        let total: f64 = variances.iter().sum();
        let ratios: Vec<f64> = variances.iter().map(|v| v / total).collect();
        let max_components = singular.len();
        let n_keep = match n_components {
            None => max_components,
            Some(PcaComponents::Count(n)) if n > max_components => {
                return Err(LearnError::InvalidOption(format!(
                    "pca_components={n} but only {max_components} components exist"
                )))
            }
            Some(PcaComponents::Count(n)) => n,
            Some(PcaComponents::VarianceFraction(fraction)) => {
                // searchsorted(cumsum(ratio), fraction, side="right") + 1
                let mut cumulative = 0.0;
                let below = ratios
                    .iter()
                    .take_while(|r| {
                        cumulative += **r;
                        cumulative <= fraction
                    })
                    .count();
                (below + 1).min(max_components)
            }
        };
        let v = svd.V();
        let mut components = Vec::with_capacity(n_keep);
        for k in 0..n_keep {
            let mut row: Vec<f64> = (0..x.n_cols()).map(|j| v[(j, k)]).collect();
            let largest =
                row.iter().copied().fold(0.0f64, |best, value| if value.abs() > best.abs() { value } else { best });
            if largest < 0.0 {
                row.iter_mut().for_each(|value| *value = -*value);
            }
            components.push(row);
        }
        Ok(FittedPca { mean: means, components, explained_variance_ratio: ratios[..n_keep].to_vec() })
    }

    /// Projects `x` onto the kept components; a matrix of another width is an error.
    pub fn transform(&self, x: Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.mean.len(), "PCA")?;
        let mut out = Matrix::with_rows(x.n_rows);
        for component in &self.components {
            let mut column = vec![0.0; x.n_rows];
            for ((input, loading), offset) in x.columns.iter().zip(component).zip(&self.mean) {
                for (value, v) in column.iter_mut().zip(input) {
                    *value += (v - offset) * loading;
                }
            }
            out.push_column(column);
        }
        Ok(out)
    }

    /// Checks a step read from a file against the `width` it receives: a mean
    /// and a loading per column, one ratio per component, all finite.
    pub fn validate(&self, width: usize) -> Result<usize, String> {
        let finite = |field: &str, values: &[f64]| match values.iter().position(|v| !v.is_finite()) {
            Some(at) => Err(format!("{field}[{at}] is {} (not a finite number)", values[at])),
            None => Ok(()),
        };
        crate::features::check_width("mean", self.mean.len(), width)?;
        finite("mean", &self.mean)?;
        if self.components.is_empty() {
            return Err("components is empty".to_string());
        }
        for (k, component) in self.components.iter().enumerate() {
            crate::features::check_width(&format!("components[{k}]"), component.len(), width)?;
            finite(&format!("components[{k}]"), component)?;
        }
        if self.explained_variance_ratio.len() != self.components.len() {
            return Err(format!(
                "explained_variance_ratio has {} values for {} components",
                self.explained_variance_ratio.len(),
                self.components.len()
            ));
        }
        Ok(self.components.len())
    }

    /// The output column names, `pca0` onwards.
    pub fn names(&self) -> Vec<String> {
        (0..self.components.len()).map(|k| format!("pca{k}")).collect()
    }
}
