//! The hold-out split and the cross-validation folds, as scikit-learn makes
//! them: `train_test_split(shuffle=True, random_state=seed)` and
//! `KFold(n_splits, shuffle=False)`.

use crate::rng::Mt19937;
use crate::LearnError;

/// Which rows are trained on and which are held out for the final score.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainTestIndices {
    /// Rows trained on.
    pub train: Vec<usize>,
    /// Rows held out.
    pub test: Vec<usize>,
}

/// scikit-learn's `train_test_split(test_size=1 - train_size)`: the test rows
/// are the first `ceil(n * test_size)` of the seeded permutation.
pub fn train_test_split(n_rows: usize, train_size: f64, seed: u32) -> Result<TrainTestIndices, LearnError> {
    if !(train_size > 0.0 && train_size < 1.0) {
        return Err(LearnError::InvalidOption(format!("train_size must be between 0 and 1, got {train_size}")));
    }
    let test_size = 1.0 - train_size;
    let n_test = (test_size * n_rows as f64).ceil() as usize;
    let n_train = n_rows.saturating_sub(n_test);
    if n_test == 0 || n_train == 0 {
        return Err(LearnError::TooFewRows(format!(
            "{n_rows} rows cannot be split with train_size={train_size} (train {n_train}, test {n_test})"
        )));
    }
    let permutation = Mt19937::new(seed).permutation(n_rows);
    Ok(TrainTestIndices { test: permutation[..n_test].to_vec(), train: permutation[n_test..].to_vec() })
}

/// Contiguous folds over `0..n_rows`: the first `n_rows % n_folds` folds hold
/// one row more, as `KFold(shuffle=False)`. Returns the test range of each fold.
pub fn kfold(n_rows: usize, n_folds: usize) -> Result<Vec<std::ops::Range<usize>>, LearnError> {
    if n_folds < 2 {
        return Err(LearnError::InvalidOption(format!("fold must be at least 2, got {n_folds}")));
    }
    if n_rows < n_folds * 2 {
        return Err(LearnError::TooFewRows(format!(
            "the training split has {n_rows} rows, too few for {n_folds} folds (need at least {})",
            n_folds * 2
        )));
    }
    let mut folds = Vec::with_capacity(n_folds);
    let mut start = 0;
    for fold_idx in 0..n_folds {
        let size = n_rows / n_folds + usize::from(fold_idx < n_rows % n_folds);
        folds.push(start..start + size);
        start += size;
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_sizes_follow_sklearn() {
        let folds = kfold(938, 10).unwrap();
        assert_eq!(folds[0], 0..94);
        assert_eq!(folds[7], 658..752);
        assert_eq!(folds[8], 752..845);
        assert_eq!(folds[9].end, 938);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(matches!(train_test_split(1, 0.7, 1), Err(LearnError::TooFewRows(_))));
        assert!(matches!(train_test_split(10, 1.5, 1), Err(LearnError::InvalidOption(_))));
        assert!(matches!(kfold(5, 10), Err(LearnError::TooFewRows(_))));
    }
}
