//! The numeric design matrix the steps pass along: column-major, one `Vec` per
//! column, because every step works column by column (append, replace, drop)
//! and faer wants column-major data.

use crate::LearnError;

/// A dense matrix stored column by column, as features are built one column at a time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    /// The number of rows.
    pub n_rows: usize,
    /// The columns, each `n_rows` long.
    pub columns: Vec<Vec<f64>>,
}

impl Matrix {
    /// An empty matrix (no columns yet) of `n_rows` rows.
    pub fn with_rows(n_rows: usize) -> Self {
        Matrix { n_rows, columns: Vec::new() }
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// Appends a column of `n_rows` values.
    pub fn push_column(&mut self, column: Vec<f64>) {
        debug_assert_eq!(column.len(), self.n_rows);
        self.columns.push(column);
    }

    /// A new matrix holding the given rows, in the given order.
    pub fn take_rows(&self, row_indices: &[usize]) -> Matrix {
        Matrix {
            n_rows: row_indices.len(),
            columns: self.columns.iter().map(|c| row_indices.iter().map(|&i| c[i]).collect()).collect(),
        }
    }

    /// The same values as a faer matrix, for the linear algebra.
    pub fn to_faer(&self) -> faer::Mat<f64> {
        faer::Mat::from_fn(self.n_rows, self.n_cols(), |i, j| self.columns[j][i])
    }

    /// Fails with scikit-learn's message when a fitted step gets the wrong width.
    pub fn expect_width(&self, expected: usize, step: &str) -> Result<(), LearnError> {
        if self.n_cols() != expected {
            return Err(LearnError::Shape(format!(
                "X has {} features, but {step} is expecting {expected}",
                self.n_cols()
            )));
        }
        Ok(())
    }
}

/// Mean of a slice (NaN for an empty one).
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// numpy's `percentile(values, q)` with linear interpolation, on sorted input.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// The values, sorted ascending by `f64::total_cmp`.
pub fn sorted_copy(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}
