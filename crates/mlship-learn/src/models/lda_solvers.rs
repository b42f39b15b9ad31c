//! `LinearDiscriminantAnalysis`'s "lsqr" and "eigen" solvers with their
//! `shrinkage`, as `sklearn/discriminant_analysis.py` computes them
//! (`_class_cov`, `_cov`, `_solve_lstsq`, `_solve_eigen`; the same code in
//! scikit-learn 1.4, which PyCaret runs, and 1.9).
//!
//! Both read the within-class covariance Sw = Σ_k prior_k·cov_k, each class's
//! covariance being the empirical one (1/n_k), shrunk towards a multiple of
//! the identity by a fixed `shrinkage` in [0, 1], or by the Ledoit-Wolf
//! estimate ("auto", on the class's standardised rows, rescaled after).
//!
//! - lsqr: the class weights are `scipy.linalg.lstsq(Sw, meansᵀ)` (gelsd:
//!   the minimum-norm solution, singular values ≤ eps·s_max dropped).
//! - eigen: scikit-learn solves the generalised problem Sb·v = λ·Sw·v with
//!   `eigh` and sets the weights to means·V·Vᵀ with every eigenvector kept.
//!   As eigh normalises Vᵀ·Sw·V = I, V·Vᵀ is Sw⁻¹ exactly, so the weights are
//!   means·Sw⁻¹, computed here from the Cholesky factor of Sw; the
//!   eigenvalues (explained_variance_ratio_, transform) are not needed to
//!   classify. A Sw that is not positive definite is refused, as eigh's
//!   Cholesky step refuses it.
//!
//! The intercepts are −½·means_k·w_k + log(prior_k) for both.

use crate::matrix::Matrix;
use crate::models::linear::svd_solve;
use crate::LearnError;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// `shrinkage` of `LinearDiscriminantAnalysis`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shrinkage {
    /// `None`: the empirical covariance.
    None,
    /// `"auto"`: the Ledoit-Wolf shrinkage of the standardised rows.
    Auto,
    /// A fixed shrinkage in [0, 1].
    Fixed(f64),
}

/// The solvers besides "svd".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// Least squares on the within-class covariance.
    Lsqr,
    /// The generalised eigenproblem of between and within scatter.
    Eigen,
}

const LDA: &str = "LinearDiscriminantAnalysis";

/// The empirical covariance (1/n) of the given rows.
fn empirical(x: &Matrix, rows: &[usize]) -> Mat<f64> {
    let p = x.n_cols();
    let n = rows.len().max(1) as f64;
    let centred: Vec<Vec<f64>> = x
        .columns
        .iter()
        .map(|column| {
            let mean = rows.iter().map(|&r| column[r]).sum::<f64>() / n;
            rows.iter().map(|&r| column[r] - mean).collect()
        })
        .collect();
    covariance_of_centred(&centred, p, n)
}

/// XᵀX/n of centred columns.
fn covariance_of_centred(centred: &[Vec<f64>], p: usize, n: f64) -> Mat<f64> {
    let mut cov = Mat::<f64>::zeros(p, p);
    for i in 0..p {
        for j in 0..=i {
            let value = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum::<f64>() / n;
            cov[(i, j)] = value;
            cov[(j, i)] = value;
        }
    }
    cov
}

/// `shrunk_covariance`: (1 − s)·cov + s·(trace/p)·I.
fn shrink(cov: &mut Mat<f64>, shrinkage: f64) {
    let p = cov.nrows();
    let mu = (0..p).map(|i| cov[(i, i)]).sum::<f64>() / p as f64;
    for i in 0..p {
        for j in 0..p {
            cov[(i, j)] *= 1.0 - shrinkage;
        }
        cov[(i, i)] += shrinkage * mu;
    }
}

/// `_cov(X, "auto")`: StandardScaler, then `ledoit_wolf`, then the scales
/// put back.
fn ledoit_wolf(x: &Matrix, rows: &[usize]) -> Mat<f64> {
    let p = x.n_cols();
    let n = rows.len().max(1) as f64;
    // StandardScaler: a feature whose variance is within the rounding of
    // the two-pass formula (`_is_constant_feature`) keeps scale 1.
    let mut scales = Vec::with_capacity(p);
    let standardised: Vec<Vec<f64>> = x
        .columns
        .iter()
        .map(|column| {
            let mean = rows.iter().map(|&r| column[r]).sum::<f64>() / n;
            let var = rows.iter().map(|&r| (column[r] - mean).powi(2)).sum::<f64>() / n;
            let bound = n * f64::EPSILON * var + (n * mean * f64::EPSILON).powi(2);
            let scale = if var <= bound { 1.0 } else { var.sqrt() };
            scales.push(scale);
            rows.iter().map(|&r| (column[r] - mean) / scale).collect()
        })
        .collect();
    // LedoitWolf.fit centres once more (location_), then assumes centred data.
    let centred: Vec<Vec<f64>> = standardised
        .iter()
        .map(|column| {
            let mean = column.iter().sum::<f64>() / n;
            column.iter().map(|v| v - mean).collect()
        })
        .collect();
    let mut cov = covariance_of_centred(&centred, p, n);
    if p > 1 {
        let shrinkage = ledoit_wolf_shrinkage(&centred, &cov, n);
        shrink(&mut cov, shrinkage);
    }
    for i in 0..p {
        for j in 0..p {
            cov[(i, j)] *= scales[i] * scales[j];
        }
    }
    cov
}

/// `ledoit_wolf_shrinkage(X, assume_centered=True)` (one block: scikit-learn
/// splits into blocks of 1000 features only to bound memory).
fn ledoit_wolf_shrinkage(centred: &[Vec<f64>], cov: &Mat<f64>, n: f64) -> f64 {
    let p = centred.len();
    let trace: Vec<f64> = (0..p).map(|j| cov[(j, j)]).collect();
    let trace_sum: f64 = trace.iter().sum();
    let mu = trace_sum / p as f64;
    let squares: Vec<Vec<f64>> = centred.iter().map(|c| c.iter().map(|v| v * v).collect()).collect();
    let (mut beta_, mut delta_) = (0.0, 0.0);
    for i in 0..p {
        for j in 0..p {
            beta_ += squares[i].iter().zip(&squares[j]).map(|(a, b)| a * b).sum::<f64>();
            // (XᵀX)_ij = n·cov_ij
            delta_ += (n * cov[(i, j)]).powi(2);
        }
    }
    delta_ /= n * n;
    let beta = (beta_ / n - delta_) / (p as f64 * n);
    let delta = (delta_ - 2.0 * mu * trace_sum + p as f64 * mu * mu) / p as f64;
    let beta = beta.min(delta);
    if beta == 0.0 {
        0.0
    } else {
        beta / delta
    }
}

/// `_cov(Xg, shrinkage)` of the rows of one class.
fn class_covariance(x: &Matrix, rows: &[usize], shrinkage: Shrinkage) -> Mat<f64> {
    match shrinkage {
        Shrinkage::None => empirical(x, rows),
        Shrinkage::Auto => ledoit_wolf(x, rows),
        Shrinkage::Fixed(s) => {
            let mut cov = empirical(x, rows);
            shrink(&mut cov, s);
            cov
        }
    }
}

/// Per class present, the weights and intercept of its discriminant
/// function (before the binary case is reduced to one score).
pub(crate) fn fit(
    x: &Matrix,
    index: &[usize],
    means: &[Vec<f64>],
    priors: &[f64],
    solver: Solver,
    shrinkage: Shrinkage,
) -> Result<(Vec<Vec<f64>>, Vec<f64>), LearnError> {
    let p = x.n_cols();
    let mut within = Mat::<f64>::zeros(p, p);
    for (class, prior) in priors.iter().enumerate() {
        let rows: Vec<usize> = (0..x.n_rows).filter(|&r| index[r] == class).collect();
        within += class_covariance(x, &rows, shrinkage) * faer::Scale(*prior);
    }
    let coef: Vec<Vec<f64>> = match solver {
        Solver::Lsqr => {
            means.iter().map(|mean| svd_solve(within.as_ref(), mean, f64::EPSILON)).collect::<Result<_, _>>()?
        }
        Solver::Eigen => {
            let llt = within.llt(Side::Lower).map_err(|_| LearnError::Numerical {
                step: LDA.to_string(),
                message: "solver \"eigen\": the within-class covariance is not positive definite (a constant or \
                          collinear feature?); use solver \"lsqr\" or a shrinkage"
                    .to_string(),
            })?;
            means
                .iter()
                .map(|mean| {
                    let rhs = Mat::from_fn(p, 1, |i, _| mean[i]);
                    let solved = llt.solve(&rhs);
                    (0..p).map(|i| solved[(i, 0)]).collect()
                })
                .collect()
        }
    };
    let intercept = coef
        .iter()
        .zip(means)
        .zip(priors)
        .map(|((w, m), prior)| -0.5 * w.iter().zip(m).map(|(a, b)| a * b).sum::<f64>() + prior.ln())
        .collect();
    Ok((coef, intercept))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the standardised rows every variance is 1, so Ledoit-Wolf leaves
    /// the diagonal alone and scales every covariance by the same 1 − s,
    /// with s strictly between 0 and 1 on correlated data.
    #[test]
    fn ledoit_wolf_scales_the_covariances_alike() {
        let columns = vec![
            vec![1.0, 2.0, 0.5, 3.0, 2.5, 1.5, 0.0, 4.0],
            vec![2.0, 1.0, 0.0, 2.5, 3.5, 1.0, 1.0, 3.0],
            vec![0.3, 0.1, 0.9, 0.4, 0.2, 0.8, 0.5, 0.6],
        ];
        let x = Matrix { n_rows: 8, columns };
        let rows: Vec<usize> = (0..8).collect();
        let (empirical, shrunk) = (empirical(&x, &rows), ledoit_wolf(&x, &rows));
        for i in 0..3 {
            assert!((empirical[(i, i)] - shrunk[(i, i)]).abs() < 1e-12, "variance {i}");
        }
        let ratios = [(0, 1), (0, 2), (1, 2)].map(|(i, j)| shrunk[(i, j)] / empirical[(i, j)]);
        assert!(ratios[0] > 0.0 && ratios[0] < 1.0, "{ratios:?}");
        assert!(ratios.iter().all(|r| (r - ratios[0]).abs() < 1e-12), "{ratios:?}");
    }

    /// One class's rows: shrinkage 1 is the identity times the mean variance.
    #[test]
    fn full_fixed_shrinkage_is_a_scaled_identity() {
        let x = Matrix { n_rows: 4, columns: vec![vec![0.0, 1.0, 2.0, 3.0], vec![1.0, 0.0, 3.0, 2.0]] };
        let cov = class_covariance(&x, &[0, 1, 2, 3], Shrinkage::Fixed(1.0));
        assert_eq!((cov[(0, 0)], cov[(1, 1)], cov[(0, 1)], cov[(1, 0)]), (1.25, 1.25, 0.0, 0.0));
    }
}
