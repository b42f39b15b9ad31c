//! `OrthogonalMatchingPursuit` (PyCaret's `omp`), ported step for step from
//! scikit-learn 1.9's `_omp.py`: `_gram_omp` when there are more rows than
//! features (`precompute="auto"`), `_cholesky_omp` otherwise. Greedy: each
//! step adds the atom most correlated with the residual and refits the
//! active ones by an updated Cholesky factor, so the same result needs the
//! same choices, ties and early stops. Defaults as PyCaret creates it:
//! `n_nonzero_coefs=None` (max(⌊0.1·p⌋, 1) atoms), `tol=None`; X and y are
//! centred (`fit_intercept=True`; with false they are used as given and the
//! intercept is 0). The inner products and Cholesky helpers
//! are the LARS module's.

use crate::matrix::mean;
use crate::models::lars::{
    argmax_abs, centred_products, check_rows, cholesky_append, cholesky_solve, dot, with_intercept, CentredProducts,
    Products,
};
use crate::models::linear::{FittedLinear, FIT_INTERCEPT};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::Mat;

/// Appends atom `new` to the Cholesky factor of the active atoms' Gram
/// matrix; false when it depends on them (scikit-learn stops there).
fn omp_append(products: &Products, chol: &mut Mat<f64>, active: &[usize], new: usize) -> bool {
    let norm_sq = products.inner(new, new);
    let m = active.len();
    if m == 0 {
        chol[(0, 0)] = norm_sq.sqrt();
        return true;
    }
    let mut row: Vec<f64> = active.iter().map(|&a| products.inner(a, new)).collect();
    let pivot_sq = cholesky_append(chol, m, &mut row, norm_sq);
    if pivot_sq <= f64::EPSILON {
        return false;
    }
    chol[(m, m)] = pivot_sq.sqrt();
    true
}

/// The least-squares coefficients of the active atoms (`potrs` on Xᵀy).
fn omp_solve(products: &Products, chol: &Mat<f64>, active: &[usize]) -> Vec<f64> {
    let mut gamma: Vec<f64> = active.iter().map(|&a| products.xty()[a]).collect();
    cholesky_solve(chol, active.len(), &mut gamma);
    gamma
}

/// `_gram_omp`: the correlations are updated from the Gram matrix; with a
/// `tol` the residual's squared norm is tracked from `y_norm_sq`.
fn omp_gram(products: &Products, max_atoms: usize, tol: Option<f64>, y_norm_sq: f64) -> (Vec<usize>, Vec<f64>) {
    let p = products.n_features();
    let max_features = if tol.is_some() { p } else { max_atoms };
    let mut indices: Vec<usize> = (0..p).collect();
    let mut chol = Mat::<f64>::zeros(max_features, max_features);
    let mut alpha = products.xty().to_vec();
    let mut beta = vec![0.0; p];
    let (mut gamma, mut n_active) = (Vec::new(), 0);
    let (mut tol_curr, mut delta) = (y_norm_sq, 0.0);
    while let Some(lam) = argmax_abs(&alpha) {
        if lam < n_active || alpha[lam] * alpha[lam] < f64::EPSILON {
            break;
        }
        if !omp_append(products, &mut chol, &indices[..n_active], indices[lam]) {
            break;
        }
        indices.swap(n_active, lam);
        n_active += 1;
        gamma = omp_solve(products, &chol, &indices[..n_active]);
        products.along(&indices[..n_active], &gamma, &indices, &mut beta);
        for (position, value) in alpha.iter_mut().enumerate() {
            *value = products.xty()[indices[position]] - beta[position];
        }
        if let Some(tol) = tol {
            tol_curr += delta;
            delta = dot(&gamma, &beta[..n_active]);
            tol_curr -= delta;
            if tol_curr.abs() <= tol {
                break;
            }
        } else if n_active == max_features {
            break;
        }
    }
    indices.truncate(n_active);
    (indices, gamma)
}

/// `_cholesky_omp`: the correlations are recomputed from the residual; the
/// "too small" test reads the selected atom's initial correlation, as
/// scikit-learn's does.
fn omp_columns(
    columns: &[Vec<f64>],
    y: &[f64],
    products: &Products,
    max_atoms: usize,
    tol: Option<f64>,
) -> (Vec<usize>, Vec<f64>) {
    let p = columns.len();
    let max_features = if tol.is_some() { p } else { max_atoms };
    let mut indices: Vec<usize> = (0..p).collect();
    let mut chol = Mat::<f64>::zeros(max_features, max_features);
    let mut residual = y.to_vec();
    let (mut gamma, mut n_active) = (Vec::new(), 0);
    loop {
        let correlation: Vec<f64> = indices.iter().map(|&j| dot(&columns[j], &residual)).collect();
        let Some(lam) = argmax_abs(&correlation) else { break };
        let initial = products.xty()[indices[lam]];
        if lam < n_active || initial * initial < f64::EPSILON {
            break;
        }
        if !omp_append(products, &mut chol, &indices[..n_active], indices[lam]) {
            break;
        }
        indices.swap(n_active, lam);
        n_active += 1;
        gamma = omp_solve(products, &chol, &indices[..n_active]);
        residual.copy_from_slice(y);
        for (&a, g) in indices[..n_active].iter().zip(&gamma) {
            for (r, v) in residual.iter_mut().zip(&columns[a]) {
                *r -= g * v;
            }
        }
        if tol.is_some_and(|tol| dot(&residual, &residual) <= tol) || n_active == max_features {
            break;
        }
    }
    indices.truncate(n_active);
    (indices, gamma)
}

/// `OrthogonalMatchingPursuit`'s coefficients on the centred problem.
fn omp(centred: &CentredProducts, max_atoms: usize, tol: Option<f64>) -> Vec<f64> {
    let products = &centred.products;
    let (active, gamma) = match products {
        Products::Gram { .. } => omp_gram(products, max_atoms, tol, centred.y_norm_sq),
        Products::Columns { columns, y, .. } => omp_columns(columns, y, products, max_atoms, tol),
    };
    let mut coef = vec![0.0; products.n_features()];
    for (&feature, g) in active.iter().zip(&gamma) {
        coef[feature] = *g;
    }
    coef
}

fn fit_omp(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    check_rows(data, "OrthogonalMatchingPursuit")?;
    let n_features = data.x.n_cols();
    let tol = match params.value("tol")? {
        ParamValue::Null => None,
        _ => Some(params.float("tol")?),
    };
    let max_atoms = match params.value("n_nonzero_coefs")? {
        // scikit-learn's default: a tenth of the features, at least one.
        ParamValue::Null => ((0.1 * n_features as f64) as usize).max(1),
        _ => params.usize("n_nonzero_coefs")?,
    };
    let fit_intercept = params.bool("fit_intercept")?;
    if n_features == 0 {
        let intercept = if fit_intercept { mean(data.y) } else { 0.0 };
        return Ok(FittedModel::Linear(FittedLinear { coef: Vec::new(), intercept }));
    }
    if tol.is_none() && max_atoms > n_features {
        return Err(LearnError::InvalidOption(format!(
            "model \"omp\": n_nonzero_coefs {max_atoms} is more than the {n_features} features"
        )));
    }
    let centred = centred_products(data.x, data.y, fit_intercept);
    let coef = omp(&centred, max_atoms, tol);
    Ok(with_intercept(coef, &centred))
}

/// PyCaret's `omp`.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "omp",
    name: "Orthogonal Matching Pursuit",
    class: "sklearn.linear_model.OrthogonalMatchingPursuit",
    family: "linear_model",
    task: Task::Regression,
    turbo: true,
    randomised: false,
    params: &[
        ParamSpec {
            name: "n_nonzero_coefs",
            kinds: &[ParamKind::COUNT, ParamKind::Null],
            default: DefaultValue::Null,
            help: "the number of non-zero coefficients (None: a tenth of the features, at least 1)",
        },
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::NON_NEGATIVE, ParamKind::Null],
            default: DefaultValue::Null,
            help: "stop when the residual's squared norm is this small (overrides n_nonzero_coefs)",
        },
        FIT_INTERCEPT,
    ],
    fit: fit_omp,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;
    use crate::models::lars::tests::{both_forms, check_edge_cases, collinear};
    use crate::models::ModelSpec;

    #[test]
    fn edge_cases_match_scikit_learn() {
        check_edge_cases(&["omp"]);
    }

    /// The column form (scikit-learn's for p ≥ n) picks the same atoms and
    /// coefficients as the Gram form, checked on tall data.
    #[test]
    fn column_and_gram_forms_agree() {
        let (gram_form, column_form) = both_forms();
        for atoms in 1..=6 {
            let (a, b) = (omp(&gram_form, atoms, None), omp(&column_form, atoms, None));
            assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() <= 1e-9 * (1.0 + v.abs())), "{atoms}: {a:?} {b:?}");
        }
    }

    #[test]
    fn too_many_atoms_and_no_rows_are_errors() {
        let (x, y) = collinear();
        let given = [("n_nonzero_coefs".to_string(), ParamValue::Int(7))];
        let error = ModelSpec::new(Task::Regression, "omp", &given, 0).unwrap().fit(&x, &y).unwrap_err();
        assert!(error.to_string().contains("n_nonzero_coefs 7 is more than the 6 features"), "{error}");
        let empty = Matrix { n_rows: 0, columns: vec![Vec::new(); 6] };
        let error = ModelSpec::with_defaults(Task::Regression, "omp", 0).unwrap().fit(&empty, &[]).unwrap_err();
        assert!(matches!(error, LearnError::TooFewRows(_)), "{error}");
    }
}
