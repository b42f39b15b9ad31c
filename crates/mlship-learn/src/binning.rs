//! `bin_numeric_features`: scikit-learn's `KBinsDiscretizer(n_bins=5,
//! encode="ordinal", strategy="kmeans")`. Bin edges are the midpoints of the
//! centres of a 1-D k-means (Lloyd, initialised at the centres of uniform bins,
//! tolerance scaled by the variance, as `KMeans(init=..., n_init=1)`).
//! Unlike scikit-learn we never subsample above 200,000 rows: all rows are
//! used, so the edges are deterministic.

use crate::matrix::{mean, Matrix};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// Bins per binned column, as PyCaret's `bin_numeric_features` uses.
pub const N_BINS: usize = 5;
const MAX_ITER: usize = 300;
const TOL: f64 = 1e-4;

/// Fitted `KBinsDiscretizer(strategy="kmeans", encode="ordinal")` over some columns: each value becomes its bin's
/// index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBinning {
    /// The width of the matrix it was fitted on, checked when transforming.
    pub n_inputs: usize,
    /// (column index, inner bin edges) for each binned column.
    pub columns: Vec<(usize, Vec<f64>)>,
}

impl FittedBinning {
    /// Finds the bin edges of each of `column_indices` in `x` by one-dimensional k-means.
    pub fn fit(x: &Matrix, column_indices: &[usize]) -> Self {
        let columns = column_indices.iter().map(|&idx| (idx, inner_edges(&x.columns[idx]))).collect();
        FittedBinning { n_inputs: x.n_cols(), columns }
    }

    /// Replaces each binned column by its bin indices; a matrix of another width is an error.
    pub fn transform(&self, mut x: Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.n_inputs, "KBinsDiscretizer")?;
        for (idx, edges) in &self.columns {
            for value in x.columns[*idx].iter_mut() {
                // searchsorted(edges[1:-1], value, side="right")
                *value = edges.partition_point(|edge| *edge <= *value) as f64;
            }
        }
        Ok(x)
    }
}

impl FittedBinning {
    /// Checks a step read from a file against the `width` it receives: column
    /// indices inside it, each column's edges finite and increasing.
    pub fn validate(&self, width: usize) -> Result<usize, String> {
        crate::features::check_width("n_inputs", self.n_inputs, width)?;
        for (at, (column, edges)) in self.columns.iter().enumerate() {
            if *column >= width {
                return Err(format!("columns[{at}] is column {column}, the input has {width} columns"));
            }
            if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!("columns[{at}]: the bin edges are not finite and increasing"));
            }
        }
        Ok(width)
    }
}

/// The inner edges (without min and max) of one column's bins.
fn inner_edges(column: &[f64]) -> Vec<f64> {
    let col_min = column.iter().copied().fold(f64::INFINITY, f64::min);
    let col_max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if col_min == col_max {
        // A constant column: one bin, everything maps to 0.
        return Vec::new();
    }
    let uniform: Vec<f64> = (0..=N_BINS).map(|i| linspace(col_min, col_max, N_BINS + 1, i)).collect();
    let init: Vec<f64> = (0..N_BINS).map(|i| (uniform[i + 1] + uniform[i]) * 0.5).collect();
    let mut centers = kmeans_1d(column, &init);
    centers.sort_by(f64::total_cmp);
    let mut edges = vec![col_min];
    edges.extend((0..N_BINS - 1).map(|i| (centers[i + 1] + centers[i]) * 0.5));
    edges.push(col_max);
    // Bins narrower than 1e-8 are removed, as scikit-learn does.
    let mut kept = vec![edges[0]];
    for window in edges.windows(2) {
        if window[1] - window[0] > 1e-8 {
            kept.push(window[1]);
        }
    }
    kept[1..kept.len() - 1].to_vec()
}

/// numpy's `linspace(start, stop, num)[i]`.
fn linspace(start: f64, stop: f64, num: usize, i: usize) -> f64 {
    if i == num - 1 {
        return stop;
    }
    let step = (stop - start) / (num - 1) as f64;
    start + i as f64 * step
}

/// Lloyd's algorithm in one dimension. In 1-D with sorted centres every
/// cluster is a contiguous run of the sorted data, so an iteration is a few
/// binary searches and prefix-sum differences instead of a pass over all rows:
/// the same labels and centres (up to summation order) at O(k log n) per
/// iteration. Any iteration that would leave a cluster empty, or centres out of
/// order, falls back to the row-by-row algorithm, which relocates empty
/// clusters as scikit-learn does.
fn kmeans_1d(column: &[f64], init: &[f64]) -> Vec<f64> {
    let x_mean = mean(column);
    let mut sorted: Vec<f64> = column.iter().map(|v| v - x_mean).collect();
    let variance = sorted.iter().map(|v| v * v).sum::<f64>() / sorted.len() as f64 - mean(&sorted).powi(2);
    let tol = variance * TOL;
    sorted.sort_by(f64::total_cmp);
    let mut prefix = Vec::with_capacity(sorted.len() + 1);
    prefix.push(0.0);
    for value in &sorted {
        prefix.push(prefix[prefix.len() - 1] + value);
    }
    let mut centers: Vec<f64> = init.iter().map(|c| c - x_mean).collect();
    let mut bounds_old: Vec<usize> = Vec::new();
    for _ in 0..MAX_ITER {
        if centers.windows(2).any(|w| w[0] >= w[1]) {
            return kmeans_1d_rows(column, init);
        }
        // bounds[i]: the first sorted row whose nearest centre is above i (ties go to the lower centre).
        let mut bounds = vec![0usize];
        for i in 0..centers.len() - 1 {
            let (low, high) = (centers[i], centers[i + 1]);
            bounds.push(sorted.partition_point(|&v| (v - high).powi(2) >= (v - low).powi(2)));
        }
        bounds.push(sorted.len());
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return kmeans_1d_rows(column, init);
        }
        let new_centers: Vec<f64> =
            bounds.windows(2).map(|w| (prefix[w[1]] - prefix[w[0]]) / (w[1] - w[0]) as f64).collect();
        let shift: f64 = new_centers.iter().zip(&centers).map(|(a, b)| (a - b).powi(2)).sum();
        centers = new_centers;
        if bounds == bounds_old || shift <= tol {
            break;
        }
        bounds_old = bounds;
    }
    centers.iter().map(|c| c + x_mean).collect()
}

/// Lloyd's algorithm row by row, following scikit-learn's `_kmeans_single_lloyd`
/// (data centred first, empty clusters relocated to the points farthest from
/// their centres, strict convergence on unchanged labels).
fn kmeans_1d_rows(column: &[f64], init: &[f64]) -> Vec<f64> {
    let x_mean = mean(column);
    let x: Vec<f64> = column.iter().map(|v| v - x_mean).collect();
    let variance = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64 - mean(&x).powi(2);
    let tol = variance * TOL;
    let k = init.len();
    let mut centers: Vec<f64> = init.iter().map(|c| c - x_mean).collect();
    let mut labels = vec![usize::MAX; x.len()];
    for _ in 0..MAX_ITER {
        let labels_old = labels.clone();
        for (label, value) in labels.iter_mut().zip(&x) {
            *label = nearest(&centers, *value);
        }
        let mut sums = vec![0.0; k];
        let mut counts = vec![0.0; k];
        for (label, value) in labels.iter().zip(&x) {
            sums[*label] += value;
            counts[*label] += 1.0;
        }
        relocate_empty_clusters(&x, &centers, &mut labels, &mut sums, &mut counts);
        let new_centers: Vec<f64> =
            (0..k).map(|c| if counts[c] > 0.0 { sums[c] / counts[c] } else { centers[c] }).collect();
        let shift: f64 = new_centers.iter().zip(&centers).map(|(a, b)| (a - b).powi(2)).sum();
        centers = new_centers;
        if labels == labels_old || shift <= tol {
            break;
        }
    }
    centers.iter().map(|c| c + x_mean).collect()
}

fn nearest(centers: &[f64], value: f64) -> usize {
    let mut best = 0;
    for (idx, center) in centers.iter().enumerate().skip(1) {
        if (value - center).powi(2) < (value - centers[best]).powi(2) {
            best = idx;
        }
    }
    best
}

fn relocate_empty_clusters(x: &[f64], centers: &[f64], labels: &mut [usize], sums: &mut [f64], counts: &mut [f64]) {
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let mut by_distance: Vec<usize> = (0..x.len()).collect();
    by_distance.sort_by(|&a, &b| {
        let da = (x[a] - centers[labels[a]]).powi(2);
        let db = (x[b] - centers[labels[b]]).powi(2);
        db.total_cmp(&da)
    });
    for (&cluster, &far_idx) in empty.iter().zip(&by_distance) {
        let old = labels[far_idx];
        sums[old] -= x[far_idx];
        counts[old] -= 1.0;
        sums[cluster] = x[far_idx];
        counts[cluster] = 1.0;
        labels[far_idx] = cluster;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Mt19937;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    fn init_for(column: &[f64]) -> Vec<f64> {
        let min = column.iter().copied().fold(f64::INFINITY, f64::min);
        let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let edges: Vec<f64> = (0..=N_BINS).map(|i| linspace(min, max, N_BINS + 1, i)).collect();
        (0..N_BINS).map(|i| (edges[i] + edges[i + 1]) * 0.5).collect()
    }

    #[test]
    fn sorted_fast_path_agrees_with_row_by_row_lloyd() {
        let mut rng = Mt19937::new(9);
        let column: Vec<f64> = (0..5000).map(|_| 15.0 + (rng.next_u32() % 4000) as f64 / 100.0).collect();
        let init = init_for(&column);
        assert!(close(&kmeans_1d(&column, &init), &kmeans_1d_rows(&column, &init)));
    }

    #[test]
    fn skewed_data_with_an_empty_initial_bin_falls_back_and_agrees() {
        let mut column = vec![0.0; 500];
        column.extend([1.0, 2.0, 100.0, 100.0, 99.0]);
        let init = init_for(&column);
        let fast = kmeans_1d(&column, &init);
        assert!(close(&fast, &kmeans_1d_rows(&column, &init)));
        let fitted = FittedBinning::fit(&Matrix { n_rows: column.len(), columns: vec![column] }, &[0]);
        assert!(!fitted.columns[0].1.is_empty());
    }
}
