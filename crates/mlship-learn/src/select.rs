//! `remove_multicollinearity`: PyCaret 3's `RemoveMulticollinearity`. For each
//! feature in order, the features whose Pearson correlation with it is at
//! least the threshold form a group; all of the group but the one most
//! correlated with the target are dropped.

use crate::matrix::{mean, Matrix};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// Keeps some columns and drops the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedColumnDrop {
    /// The width of the matrix it was fitted on, checked when transforming.
    pub n_inputs: usize,
    /// Indices of the columns kept, in order.
    pub keep: Vec<usize>,
}

/// Pearson correlation as pandas computes it (NaN when either side is constant).
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (mean_a, mean_b) = (mean(a), mean(b));
    let mut cross = 0.0;
    let mut ss_a = 0.0;
    let mut ss_b = 0.0;
    for (u, v) in a.iter().zip(b) {
        let (du, dv) = (u - mean_a, v - mean_b);
        cross += du * dv;
        ss_a += du * du;
        ss_b += dv * dv;
    }
    let value = cross / (ss_a * ss_b).sqrt();
    if value.is_finite() {
        value.clamp(-1.0, 1.0)
    } else {
        f64::NAN
    }
}

impl FittedColumnDrop {
    /// PyCaret's `remove_multicollinearity`: of each group correlated at `threshold` or above, keeps the one most
    /// correlated with `y`.
    pub fn fit_multicollinearity(x: &Matrix, y: &[f64], threshold: f64) -> Self {
        let n = x.n_cols();
        let target_corr: Vec<f64> = x.columns.iter().map(|c| correlation(c, y)).collect();
        let mut dropped = vec![false; n];
        for col in 0..n {
            let group: Vec<usize> =
                (0..n).filter(|&other| correlation(&x.columns[col], &x.columns[other]) >= threshold).collect();
            if group.len() > 1 {
                // pandas' idxmax: the first maximum, NaN skipped.
                let keep = group
                    .iter()
                    .copied()
                    .filter(|&g| !target_corr[g].is_nan())
                    .fold(None, |best: Option<usize>, g| match best {
                        Some(b) if target_corr[b] >= target_corr[g] => Some(b),
                        _ => Some(g),
                    })
                    .unwrap_or(group[0]);
                for g in group.into_iter().filter(|&g| g != keep) {
                    dropped[g] = true;
                }
            }
        }
        FittedColumnDrop { n_inputs: n, keep: (0..n).filter(|&c| !dropped[c]).collect() }
    }

    /// Keeps the kept columns of `x`; a matrix of another width is an error.
    pub fn transform(&self, mut x: Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.n_inputs, "RemoveMulticollinearity")?;
        let mut columns = std::mem::take(&mut x.columns);
        let mut kept = Vec::with_capacity(self.keep.len());
        for &idx in &self.keep {
            kept.push(std::mem::take(&mut columns[idx]));
        }
        x.columns = kept;
        Ok(x)
    }

    /// Checks a step read from a file against the `width` it receives: kept
    /// indices inside it and strictly increasing; returns the output width.
    pub fn validate(&self, width: usize) -> Result<usize, String> {
        crate::features::check_width("n_inputs", self.n_inputs, width)?;
        if let Some(at) = self.keep.iter().position(|&c| c >= width) {
            return Err(format!("keep[{at}] is {}, the input has {width} columns", self.keep[at]));
        }
        if let Some(at) = self.keep.windows(2).position(|w| w[0] >= w[1]) {
            return Err(format!("keep[{}] is not above keep[{at}] (indices must increase)", at + 1));
        }
        if self.keep.is_empty() {
            return Err("keep is empty".to_string());
        }
        Ok(self.keep.len())
    }

    /// The names of the kept columns, from all the input `names`.
    pub fn kept_names(&self, names: &[String]) -> Vec<String> {
        self.keep.iter().map(|&i| names[i].clone()).collect()
    }
}
