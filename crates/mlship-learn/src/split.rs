//! The hold-out split and the cross-validation folds, as scikit-learn makes
//! them: `train_test_split(shuffle=True, random_state=seed)` and
//! `KFold(n_splits, shuffle=False)` for regression; for classification
//! `train_test_split(stratify=y, random_state=seed)` (scikit-learn's
//! `StratifiedShuffleSplit`, draw for draw) and
//! `StratifiedKFold(n_splits, shuffle=False)`, PyCaret's defaults.

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

/// The training rows of `n_rows` as PyCaret 3's `setup` asks scikit-learn for
/// them, `train_test_split(train_size=train_size)`: `floor(n * train_size)`, the
/// rest held out. (Not `ceil(n * (1 - train_size))` held out: with n = 150,
/// `1 - 0.7` is 0.30000000000000004 and that would hold out 46, not 45.)
fn split_sizes(n_rows: usize, train_size: f64) -> (usize, usize) {
    let n_train = ((train_size * n_rows as f64).floor() as usize).min(n_rows);
    (n_train, n_rows - n_train)
}

/// scikit-learn's `train_test_split(train_size=train_size)`: the test rows
/// are the first `n - floor(n * train_size)` of the seeded permutation.
pub fn train_test_split(n_rows: usize, train_size: f64, seed: u32) -> Result<TrainTestIndices, LearnError> {
    if !(train_size > 0.0 && train_size < 1.0) {
        return Err(LearnError::InvalidOption(format!("train_size must be between 0 and 1, got {train_size}")));
    }
    let (n_train, n_test) = split_sizes(n_rows, train_size);
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

/// The rows' class codes (`0..n_classes`, the sorted label encoding) grouped
/// by class, each in row order: `np.split(np.argsort(codes, kind="mergesort"), …)`.
fn rows_by_class(codes: &[usize]) -> Vec<Vec<usize>> {
    let n_classes = codes.iter().max().map_or(0, |&max| max + 1);
    let mut rows = vec![Vec::new(); n_classes];
    for (row, &code) in codes.iter().enumerate() {
        rows[code].push(row);
    }
    rows
}

/// scikit-learn's `_approximate_mode`: how many of `n_draws` each class gets,
/// proportional to its count, with the remainders' ties broken by `rng`.
fn approximate_mode(class_counts: &[usize], n_draws: usize, rng: &mut Mt19937) -> Vec<usize> {
    let total: usize = class_counts.iter().sum();
    let continuous: Vec<f64> = class_counts.iter().map(|&count| count as f64 / total as f64 * n_draws as f64).collect();
    let mut floored: Vec<usize> = continuous.iter().map(|value| value.floor() as usize).collect();
    let mut need_to_add = n_draws.saturating_sub(floored.iter().sum());
    if need_to_add > 0 {
        let remainder: Vec<f64> = continuous.iter().map(|value| value - value.floor()).collect();
        let mut values = remainder.clone();
        values.sort_by(|a, b| b.total_cmp(a));
        values.dedup();
        for value in values {
            let classes: Vec<usize> = (0..remainder.len()).filter(|&i| remainder[i] == value).collect();
            let add_now = classes.len().min(need_to_add);
            // `rng.choice(classes, add_now, replace=False)` is `permutation(len)[:add_now]`.
            for &pick in &rng.permutation(classes.len())[..add_now] {
                floored[classes[pick]] += 1;
            }
            need_to_add -= add_now;
            if need_to_add == 0 {
                break;
            }
        }
    }
    floored
}

/// `train_test_split(train_size=train_size, stratify=y, random_state=seed)`:
/// each class keeps its share of the rows on both sides, row for row as
/// scikit-learn draws them. `codes` are the rows' class codes.
pub fn stratified_train_test_split(
    codes: &[usize],
    train_size: f64,
    seed: u32,
) -> Result<TrainTestIndices, LearnError> {
    if !(train_size > 0.0 && train_size < 1.0) {
        return Err(LearnError::InvalidOption(format!("train_size must be between 0 and 1, got {train_size}")));
    }
    let n_rows = codes.len();
    let (n_train, n_test) = split_sizes(n_rows, train_size);
    let by_class = rows_by_class(codes);
    let class_counts: Vec<usize> = by_class.iter().map(Vec::len).collect();
    if let Some(class) = class_counts.iter().position(|&count| count < 2) {
        return Err(LearnError::TooFewRows(format!(
            "class {class} of the target has {} row(s): a stratified split needs at least 2 rows of every class",
            class_counts[class]
        )));
    }
    let n_classes = class_counts.len();
    if n_train < n_classes || n_test < n_classes {
        return Err(LearnError::TooFewRows(format!(
            "{n_rows} rows split with train_size={train_size} give {n_train} training and {n_test} test rows, \
             fewer than the {n_classes} classes (a stratified split needs one of each on both sides)"
        )));
    }
    let mut rng = Mt19937::new(seed);
    let train_counts = approximate_mode(&class_counts, n_train, &mut rng);
    let remaining: Vec<usize> = class_counts.iter().zip(&train_counts).map(|(count, taken)| count - taken).collect();
    let test_counts = approximate_mode(&remaining, n_test, &mut rng);
    let (mut train, mut test) = (Vec::with_capacity(n_train), Vec::with_capacity(n_test));
    for (class_rows, (&n_i, &t_i)) in by_class.iter().zip(train_counts.iter().zip(&test_counts)) {
        let permuted: Vec<usize> = rng.permutation(class_rows.len()).into_iter().map(|i| class_rows[i]).collect();
        train.extend_from_slice(&permuted[..n_i]);
        test.extend_from_slice(&permuted[n_i..n_i + t_i]);
    }
    let train = rng.permutation(train.len()).into_iter().map(|i| train[i]).collect();
    let test = rng.permutation(test.len()).into_iter().map(|i| test[i]).collect();
    Ok(TrainTestIndices { train, test })
}

/// Stratified folds, as `StratifiedKFold(n_folds, shuffle=False)` assigns
/// them: each fold's test rows (ascending positions into `codes`), and a
/// warning when the least populated class has fewer rows than folds (as
/// scikit-learn warns). Every class smaller than the fold count is an error.
pub fn stratified_kfold(codes: &[usize], n_folds: usize) -> Result<(Vec<Vec<usize>>, Option<String>), LearnError> {
    if n_folds < 2 {
        return Err(LearnError::InvalidOption(format!("fold must be at least 2, got {n_folds}")));
    }
    if codes.len() < n_folds {
        return Err(LearnError::TooFewRows(format!(
            "the training split has {} rows, too few for {n_folds} folds",
            codes.len()
        )));
    }
    // scikit-learn numbers the classes by first appearance here.
    let mut order_of = vec![usize::MAX; codes.iter().max().map_or(0, |&max| max + 1)];
    let mut n_classes = 0;
    let encoded: Vec<usize> = codes
        .iter()
        .map(|&code| {
            if order_of[code] == usize::MAX {
                order_of[code] = n_classes;
                n_classes += 1;
            }
            order_of[code]
        })
        .collect();
    let mut counts = vec![0usize; n_classes];
    encoded.iter().for_each(|&class| counts[class] += 1);
    let smallest = counts.iter().copied().min().unwrap_or(0);
    if counts.iter().all(|&count| count < n_folds) {
        return Err(LearnError::TooFewRows(format!(
            "fold={n_folds} is greater than the number of rows of every class in the training split \
             (the largest class has {}): lower --fold",
            counts.iter().max().copied().unwrap_or(0)
        )));
    }
    let warning = (smallest < n_folds).then(|| {
        format!("the least populated class in the training split has only {smallest} rows, fewer than fold={n_folds}")
    });
    // allocation[fold][class] = bincount(sorted(encoded)[fold::n_folds]).
    let mut sorted = encoded.clone();
    sorted.sort_unstable();
    let mut allocation = vec![vec![0usize; n_classes]; n_folds];
    for (position, &class) in sorted.iter().enumerate() {
        allocation[position % n_folds][class] += 1;
    }
    // The class's rows, in row order, take the folds `0, 0, …, 1, 1, …` by allocation.
    let mut next_fold_of_class: Vec<std::vec::IntoIter<usize>> = (0..n_classes)
        .map(|class| {
            let folds: Vec<usize> =
                (0..n_folds).flat_map(|fold| std::iter::repeat_n(fold, allocation[fold][class])).collect();
            folds.into_iter()
        })
        .collect();
    let mut test_folds = vec![Vec::new(); n_folds];
    for (row, &class) in encoded.iter().enumerate() {
        if let Some(fold) = next_fold_of_class[class].next() {
            test_folds[fold].push(row);
        }
    }
    Ok((test_folds, warning))
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
