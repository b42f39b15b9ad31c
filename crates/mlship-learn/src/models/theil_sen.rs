//! `TheilSenRegressor` (PyCaret's `tr`), following `_theil_sen.py`: a
//! least-squares solution on every `n_subsamples`-row subset when there are
//! at most `max_subpopulation` of them (in `itertools.combinations` order),
//! else on that many random subsets; then their spatial median by the
//! modified Weiszfeld iteration (Vardi and Zhang), from the mean, until a
//! step moves less than `tol`. Each subset is solved as `gelss` does (the
//! minimum-norm solution, singular values below eps·s_max dropped): square
//! systems, the default, by LU with partial pivoting and the SVD only when
//! a pivot vanishes (a one-hot column that is zero on every row of the
//! subset).
//!
//! One choice differs from scikit-learn: random subsets are drawn by
//! Floyd's algorithm (k draws each, from numpy's MT19937) rather than by
//! `RandomState.choice`, which permutes all n rows for every subset (10⁴·n
//! draws). The subsets therefore differ from scikit-learn's for the same
//! seed and parity is statistical (CV R2 within 0.01 over seeds), but the
//! fit costs O(10⁴·p³) whatever the number of rows.

use crate::matrix::{percentile_sorted, sorted_copy, Matrix};
use crate::models::linear::{svd_solve, FittedLinear};
use crate::models::random::NumpyRandom;
use crate::LearnError;
use faer::Mat;

/// `TheilSenRegressor`'s parameters (PyCaret sets `max_iter` to 1000).
#[derive(Debug, Clone, Copy)]
pub struct TheilSen {
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// The most subsets considered; above it, subsets are drawn at random.
    pub max_subpopulation: f64,
    /// `None`: the number of features (+ 1 with an intercept), at most n.
    pub n_subsamples: Option<usize>,
    /// The most iterations of the spatial median.
    pub max_iter: usize,
    /// The spatial median's tolerance.
    pub tol: f64,
    /// The seed for the random subsets.
    pub seed: u32,
}

fn theil_sen_error(message: String) -> LearnError {
    LearnError::InvalidOption(format!("model \"tr\": {message}"))
}

/// `binom(n, k)` as a float, for the comparison with `max_subpopulation`
/// (large values overflow to infinity, which compares the same).
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (1..=k).fold(1.0, |product, i| product * (n - k + i) as f64 / i as f64)
}

/// `_check_subparams`: the subset size and the number of subsets.
fn subparams(config: &TheilSen, n_samples: usize, n_features: usize) -> Result<(usize, usize), LearnError> {
    let n_dim = n_features + usize::from(config.fit_intercept);
    let n_subsamples = match config.n_subsamples {
        Some(size) if size > n_samples => {
            return Err(theil_sen_error(format!("n_subsamples {size} is larger than the number of rows {n_samples}")))
        }
        Some(size) if n_samples >= n_features && n_dim > size => {
            return Err(theil_sen_error(format!(
                "n_subsamples {size} is smaller than the number of coefficients {n_dim}"
            )))
        }
        Some(size) if n_samples < n_features && size != n_samples => {
            return Err(theil_sen_error(format!(
                "n_subsamples {size} must equal the number of rows {n_samples} when there are fewer rows than features"
            )))
        }
        Some(size) => size,
        None => n_dim.min(n_samples),
    };
    let all = binomial(n_samples, n_subsamples).round().max(1.0);
    Ok((n_subsamples, config.max_subpopulation.min(all) as usize))
}

/// The next subset in `itertools.combinations` order, or false at the end.
fn next_combination(indices: &mut [usize], n: usize) -> bool {
    let k = indices.len();
    let Some(i) = (0..k).rev().find(|&i| indices[i] != i + n - k) else { return false };
    indices[i] += 1;
    for j in i + 1..k {
        indices[j] = indices[j - 1] + 1;
    }
    true
}

/// Floyd's algorithm: k distinct rows of n with k draws; `marked` is
/// all-false on entry and on exit.
fn floyd_subset(rng: &mut NumpyRandom, n: usize, k: usize, marked: &mut [bool], out: &mut Vec<usize>) {
    out.clear();
    for j in n - k..n {
        let t = rng.randint(j + 1);
        let pick = if marked[t] { j } else { t };
        marked[pick] = true;
        out.push(pick);
    }
    out.sort_unstable();
    for &i in out.iter() {
        marked[i] = false;
    }
}

/// Solves the square system `a·w = b` (row-major, overwritten) by LU with
/// partial pivoting; `None` when a pivot is negligible (rank deficiency).
fn lu_solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let negligible = n as f64 * f64::EPSILON * scale;
    for k in 0..n {
        let pivot_row = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
        if a[pivot_row * n + k].abs() <= negligible {
            return None;
        }
        if pivot_row != k {
            for j in 0..n {
                a.swap(k * n + j, pivot_row * n + j);
            }
            b.swap(k, pivot_row);
        }
        let pivot = a[k * n + k];
        for i in k + 1..n {
            let factor = a[i * n + k] / pivot;
            if factor == 0.0 {
                continue;
            }
            for j in k..n {
                a[i * n + j] -= factor * a[k * n + j];
            }
            b[i] -= factor * b[k];
        }
    }
    let mut w = vec![0.0; n];
    for k in (0..n).rev() {
        let tail: f64 = (k + 1..n).map(|j| a[k * n + j] * w[j]).sum();
        w[k] = (b[k] - tail) / a[k * n + k];
    }
    Some(w)
}

/// The least-squares coefficients ([intercept,] coef) of one subset.
fn subset_solution(
    x: &Matrix,
    y: &[f64],
    rows: &[usize],
    fit_intercept: bool,
    a: &mut Vec<f64>,
    b: &mut Vec<f64>,
) -> Result<Vec<f64>, LearnError> {
    let offset = usize::from(fit_intercept);
    let n_dim = x.n_cols() + offset;
    a.clear();
    b.clear();
    for &row in rows {
        if fit_intercept {
            a.push(1.0);
        }
        a.extend(x.columns.iter().map(|column| column[row]));
        b.push(y[row]);
    }
    if rows.len() == n_dim {
        if let Some(solution) = lu_solve(a, b, n_dim) {
            return Ok(solution);
        }
    }
    subset_svd(x, y, rows, fit_intercept)
}

fn subset_svd(x: &Matrix, y: &[f64], rows: &[usize], fit_intercept: bool) -> Result<Vec<f64>, LearnError> {
    let offset = usize::from(fit_intercept);
    let design =
        Mat::from_fn(
            rows.len(),
            x.n_cols() + offset,
            |i, j| {
                if j < offset {
                    1.0
                } else {
                    x.columns[j - offset][rows[i]]
                }
            },
        );
    let target: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    svd_solve(design.as_ref(), &target, f64::EPSILON)
}

/// One modified Weiszfeld step from `old` over the rows of `points`
/// (`_modified_weiszfeld_step`, including its scalar-one fallback).
fn weiszfeld_step(points: &[f64], n_dim: usize, old: &[f64]) -> Vec<f64> {
    let mut direction_sum = vec![0.0; n_dim];
    let mut weighted_sum = vec![0.0; n_dim];
    let (mut inverse_sum, mut n_far) = (0.0, 0usize);
    let n_points = points.len() / n_dim;
    for point in points.chunks_exact(n_dim) {
        let norm = point.iter().zip(old).map(|(p, o)| (p - o) * (p - o)).sum::<f64>().sqrt();
        if norm < f64::EPSILON {
            continue;
        }
        n_far += 1;
        inverse_sum += 1.0 / norm;
        for k in 0..n_dim {
            direction_sum[k] += (point[k] - old[k]) / norm;
            weighted_sum[k] += point[k] / norm;
        }
    }
    let old_is_a_point = if n_far < n_points { 1.0 } else { 0.0 };
    let mut quotient_norm = direction_sum.iter().map(|v| v * v).sum::<f64>().sqrt();
    let new_direction: Vec<f64> = if quotient_norm > f64::EPSILON {
        weighted_sum.iter().map(|v| v / inverse_sum).collect()
    } else {
        quotient_norm = 1.0;
        vec![1.0; n_dim]
    };
    let keep = (1.0 - old_is_a_point / quotient_norm).max(0.0);
    let pull = (old_is_a_point / quotient_norm).min(1.0);
    new_direction.iter().zip(old).map(|(d, o)| keep * d + pull * o).collect()
}

/// `_spatial_median`: the plain median in one dimension, else Weiszfeld
/// from the mean until a step's squared length is below `tol`².
fn spatial_median(points: &[f64], n_dim: usize, max_iter: usize, tol: f64) -> Vec<f64> {
    if n_dim == 1 {
        return vec![percentile_sorted(&sorted_copy(points.iter().copied()), 50.0)];
    }
    let n_points = (points.len() / n_dim) as f64;
    let mut current = vec![0.0; n_dim];
    for point in points.chunks_exact(n_dim) {
        for (c, p) in current.iter_mut().zip(point) {
            *c += p;
        }
    }
    current.iter_mut().for_each(|c| *c /= n_points);
    for _ in 0..max_iter {
        let next = weiszfeld_step(points, n_dim, &current);
        let moved: f64 = next.iter().zip(&current).map(|(a, b)| (a - b) * (a - b)).sum();
        current = next;
        if moved < tol * tol {
            break;
        }
    }
    current
}

/// The least-squares solutions of every subset, row after row.
fn subset_solutions(x: &Matrix, y: &[f64], config: &TheilSen) -> Result<Vec<f64>, LearnError> {
    let (n_samples, n_features) = (x.n_rows, x.n_cols());
    let (n_subsamples, n_subpopulation) = subparams(config, n_samples, n_features)?;
    let mut solutions = Vec::with_capacity(n_subpopulation * (n_features + 1));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    if binomial(n_samples, n_subsamples).round() <= config.max_subpopulation {
        let mut subset: Vec<usize> = (0..n_subsamples).collect();
        loop {
            solutions.extend(subset_solution(x, y, &subset, config.fit_intercept, &mut a, &mut b)?);
            if !next_combination(&mut subset, n_samples) {
                break;
            }
        }
    } else {
        let mut rng = NumpyRandom::new(config.seed);
        let mut marked = vec![false; n_samples];
        let mut subset = Vec::with_capacity(n_subsamples);
        for _ in 0..n_subpopulation {
            floyd_subset(&mut rng, n_samples, n_subsamples, &mut marked, &mut subset);
            solutions.extend(subset_solution(x, y, &subset, config.fit_intercept, &mut a, &mut b)?);
        }
    }
    Ok(solutions)
}

/// Fits `TheilSenRegressor`.
pub fn theil_sen(x: &Matrix, y: &[f64], config: &TheilSen) -> Result<FittedLinear, LearnError> {
    if x.n_rows == 0 {
        return Err(LearnError::TooFewRows("TheilSenRegressor needs at least 1 row, got 0".to_string()));
    }
    let n_dim = x.n_cols() + usize::from(config.fit_intercept);
    if n_dim == 0 {
        return Ok(FittedLinear { coef: Vec::new(), intercept: 0.0 });
    }
    let solutions = subset_solutions(x, y, config)?;
    let median = spatial_median(&solutions, n_dim, config.max_iter, config.tol);
    Ok(if config.fit_intercept {
        FittedLinear { intercept: median[0], coef: median[1..].to_vec() }
    } else {
        FittedLinear { intercept: 0.0, coef: median }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_follow_itertools_order() {
        let mut subset = vec![0, 1];
        let mut seen = vec![subset.clone()];
        while next_combination(&mut subset, 4) {
            seen.push(subset.clone());
        }
        assert_eq!(seen, vec![vec![0, 1], vec![0, 2], vec![0, 3], vec![1, 2], vec![1, 3], vec![2, 3]]);
    }

    #[test]
    fn floyd_draws_distinct_rows() {
        let mut rng = NumpyRandom::new(3);
        let (mut marked, mut out) = (vec![false; 10], Vec::new());
        for _ in 0..100 {
            floyd_subset(&mut rng, 10, 4, &mut marked, &mut out);
            let mut unique = out.clone();
            unique.dedup();
            assert_eq!(unique.len(), 4);
            assert!(out.iter().all(|&i| i < 10) && marked.iter().all(|m| !m));
        }
    }
}
