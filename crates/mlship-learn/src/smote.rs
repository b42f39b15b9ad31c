//! imbalanced-learn's `SMOTE` with PyCaret's defaults (`sampling_strategy=
//! "auto"`, `k_neighbors=5`, `random_state=session_id`), row for row: the
//! same synthetic rows, in the same order, from the same seed. PyCaret's
//! `fix_imbalance=True` resamples the training rows with it, so matching the
//! draws is what makes a resampled fit reproduce PyCaret's.
//!
//! How imblearn draws them (`SMOTE._fit_resample`, `BaseSMOTE._make_samples`,
//! the same from 0.12 to 0.14):
//! - "auto" over-samples every class but the majority (the first of the
//!   largest classes in label order) up to the majority's count; a class as
//!   large as the majority draws nothing.
//! - For each such class, in label order: a `NearestNeighbors(k_neighbors +
//!   1)` fitted on that class's rows alone gives each row's neighbours, the
//!   first column dropped (the row itself, unless it has an exact duplicate).
//! - `check_random_state(random_state)` with an integer seed builds a fresh
//!   `RandomState(seed)` for every class, so each class's draws start from the
//!   same stream: `randint(0, n_class_rows * k, size=n)` picks (row,
//!   neighbour) pairs, then `uniform(size=n)` the steps.
//! - A synthetic row is `x[row] + step * (x[neighbour] - x[row])`.
//!
//! Ties in distance go to the lower row index (the neighbours module's rule,
//! which scikit-learn's brute force shares and its kd-tree may not); they
//! only arise between equidistant rows, such as exact duplicates.

use crate::matrix::Matrix;
use crate::models::neighbors::kneighbors_of_own_rows;
use crate::models::random::NumpyRandom;
use crate::LearnError;

/// The resampled training data: the original rows followed by the synthetic
/// ones, class by class in label order, as imblearn's `fit_resample` returns
/// them, with each row's class code. `codes` holds class codes below
/// `n_classes` (labels sorted as `np.unique` sorts them); `seed` is the
/// `random_state`.
pub fn smote(
    x: &Matrix,
    codes: &[usize],
    n_classes: usize,
    k_neighbors: usize,
    seed: u32,
) -> Result<(Matrix, Vec<usize>), LearnError> {
    check_input(x, codes, n_classes, k_neighbors)?;
    let counts = class_counts(codes, n_classes);
    let present = counts.iter().filter(|&&count| count > 0).count();
    if present < 2 {
        return Err(LearnError::InvalidOption(format!(
            "SMOTE needs a target with more than 1 class, got {present} class{}",
            if present == 1 { "" } else { "es" }
        )));
    }
    let majority = first_largest(&counts);
    let mut resampled = x.clone();
    let mut resampled_codes = codes.to_vec();
    for (class, &count) in counts.iter().enumerate() {
        let n_new = counts[majority] - count;
        if class == majority || count == 0 || n_new == 0 {
            continue;
        }
        let class_rows: Vec<usize> = (0..codes.len()).filter(|&row| codes[row] == class).collect();
        if count <= k_neighbors {
            // scikit-learn's NearestNeighbors.kneighbors refuses this with these numbers.
            return Err(LearnError::TooFewRows(format!(
                "SMOTE with k_neighbors = {k_neighbors} needs at least {} rows in every class it over-samples, \
                 but class {class} has {count} (Expected n_neighbors <= n_samples_fit, but n_neighbors = {}, \
                 n_samples_fit = {count}, n_samples = {count}); lower k_neighbors or add rows of that class",
                k_neighbors + 1,
                k_neighbors + 1
            )));
        }
        let x_class = x.take_rows(&class_rows);
        let synthetic = class_samples(&x_class, k_neighbors, n_new, seed)?;
        for (column, new_values) in resampled.columns.iter_mut().zip(synthetic.columns) {
            column.extend(new_values);
        }
        resampled.n_rows += n_new;
        resampled_codes.extend(std::iter::repeat_n(class, n_new));
    }
    Ok((resampled, resampled_codes))
}

/// imblearn's input checks, with their numbers in the message.
fn check_input(x: &Matrix, codes: &[usize], n_classes: usize, k_neighbors: usize) -> Result<(), LearnError> {
    if codes.len() != x.n_rows {
        return Err(LearnError::Shape(format!(
            "SMOTE: X has {} rows but the target has {} values",
            x.n_rows,
            codes.len()
        )));
    }
    if x.columns.iter().any(|column| column.len() != x.n_rows) {
        return Err(LearnError::Shape(format!("SMOTE: a column of X does not have its {} rows", x.n_rows)));
    }
    if x.n_cols() == 0 {
        return Err(LearnError::Shape("SMOTE: X has 0 features, but SMOTE needs at least one".into()));
    }
    if k_neighbors == 0 {
        return Err(LearnError::InvalidOption("SMOTE: k_neighbors must be an int in the range [1, inf), got 0".into()));
    }
    if let Some(row) = codes.iter().position(|&code| code >= n_classes) {
        return Err(LearnError::Value {
            column: "target".into(),
            row,
            message: format!("class code {} is not below n_classes {n_classes}", codes[row]),
        });
    }
    for (feature, column) in x.columns.iter().enumerate() {
        if let Some(row) = column.iter().position(|value| !value.is_finite()) {
            return Err(LearnError::Value {
                column: format!("feature {feature}"),
                row,
                message: format!("{} is not a finite number (SMOTE needs finite features)", column[row]),
            });
        }
    }
    Ok(())
}

/// Rows per class code.
fn class_counts(codes: &[usize], n_classes: usize) -> Vec<usize> {
    let mut counts = vec![0; n_classes];
    for &code in codes {
        counts[code] += 1;
    }
    counts
}

/// Python's `max(target_stats, key=target_stats.get)`: the first class, in
/// label order, with the largest count.
fn first_largest(counts: &[usize]) -> usize {
    let mut best = 0;
    for (class, &count) in counts.iter().enumerate() {
        if count > counts[best] {
            best = class;
        }
    }
    best
}

/// `_make_samples` for one class: `n_new` synthetic rows from the class's
/// own rows and their `k` nearest neighbours, drawn from a fresh
/// `RandomState(seed)`.
fn class_samples(x_class: &Matrix, k: usize, n_new: usize, seed: u32) -> Result<Matrix, LearnError> {
    let n_rows = x_class.n_rows;
    let n_pairs = n_rows.checked_mul(k).filter(|&pairs| u32::try_from(pairs - 1).is_ok()).ok_or_else(|| {
        LearnError::Shape(format!("SMOTE: {n_rows} rows × {k} neighbours is more (row, neighbour) pairs than 2^32"))
    })?;
    // Column 0 is each row's nearest, itself: imblearn's `[:, 1:]`.
    let with_self = kneighbors_of_own_rows(x_class, k + 1)?;
    let neighbour = |row: usize, col: usize| with_self[row * (k + 1) + 1 + col];
    let mut random = NumpyRandom::new(seed);
    let pairs: Vec<usize> = (0..n_new).map(|_| random.randint(n_pairs)).collect();
    // `uniform(size=n)` is 0 + (1 - 0) * random_sample(), the sample itself.
    let steps: Vec<f64> = (0..n_new).map(|_| random.uniform(0.0, 1.0)).collect();
    let mut synthetic = Matrix::with_rows(n_new);
    for column in &x_class.columns {
        let values = pairs
            .iter()
            .zip(&steps)
            .map(|(&pair, &step)| {
                let (row, col) = (pair / k, pair % k);
                let base = column[row];
                base + step * (column[neighbour(row, col)] - base)
            })
            .collect();
        synthetic.push_column(values);
    }
    Ok(synthetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[[f64; 2]]) -> Matrix {
        Matrix { n_rows: rows.len(), columns: (0..2).map(|j| rows.iter().map(|r| r[j]).collect()).collect() }
    }

    #[test]
    fn the_minority_grows_to_the_majority_and_synthetic_rows_lie_between_neighbours() {
        let rows: Vec<[f64; 2]> = (0..20).map(|i| [f64::from(i), f64::from(i * i % 7)]).collect();
        let codes: Vec<usize> = (0..20).map(|i| usize::from(i % 4 == 0)).collect();
        let (x, y) = smote(&matrix(&rows), &codes, 2, 3, 7).unwrap();
        assert_eq!((x.n_rows, y.len()), (30, 30));
        assert_eq!(&y[..20], &codes[..]);
        assert!(y[20..].iter().all(|&c| c == 1));
        // Class 1 holds rows 0, 4, 8, 12, 16: every synthetic x lies in [0, 16].
        assert!(x.columns[0][20..].iter().all(|&v| (0.0..=16.0).contains(&v)));
        assert_eq!(&x.columns[0][..20], &matrix(&rows).columns[0][..]);
    }

    #[test]
    fn balanced_classes_are_left_alone() {
        let rows = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]];
        let (x, y) = smote(&matrix(&rows), &[0, 1, 0, 1], 2, 1, 0).unwrap();
        assert_eq!((x.n_rows, y), (4, vec![0, 1, 0, 1]));
    }

    #[test]
    fn a_class_too_small_for_k_neighbors_says_so() {
        let rows: Vec<[f64; 2]> = (0..12).map(|i| [f64::from(i), 0.0]).collect();
        let codes: Vec<usize> = (0..12).map(|i| usize::from(i < 3)).collect();
        let error = smote(&matrix(&rows), &codes, 2, 5, 0).unwrap_err().to_string();
        assert!(error.contains("class 1 has 3"), "{error}");
        assert!(error.contains("n_neighbors = 6, n_samples_fit = 3"), "{error}");
    }

    #[test]
    fn bad_input_is_refused() {
        let rows = [[0.0, 0.0], [1.0, f64::NAN], [2.0, 2.0]];
        let error = smote(&matrix(&rows), &[0, 0, 1], 2, 1, 0).unwrap_err().to_string();
        assert!(error.contains("\"feature 1\" row 1"), "{error}");
        let rows = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        assert!(smote(&matrix(&rows), &[0, 0], 2, 1, 0).unwrap_err().to_string().contains("3 rows"));
        assert!(smote(&matrix(&rows), &[0, 0, 2], 2, 1, 0).unwrap_err().to_string().contains("class code 2"));
        assert!(smote(&matrix(&rows), &[1, 1, 1], 2, 1, 0).unwrap_err().to_string().contains("got 1 class"));
        assert!(smote(&matrix(&rows), &[0, 0, 1], 2, 0, 0).unwrap_err().to_string().contains("k_neighbors"));
    }

    #[test]
    fn duplicates_keep_the_lower_index_as_nearest() {
        // Rows 1 and 2 of class 1 coincide: row 2's first neighbour is row 1
        // (dropped as "itself"), so row 2 may pair with itself, as imblearn's
        // brute-force search would have it.
        let rows = [[0.0, 0.0], [5.0, 5.0], [5.0, 5.0], [9.0, 9.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]];
        let x = matrix(&rows);
        let class: Vec<usize> = (0..4).collect();
        let neighbours = kneighbors_of_own_rows(&x.take_rows(&class), 2).unwrap();
        assert_eq!(neighbours, vec![0, 1, 1, 2, 1, 2, 3, 1]);
    }
}
