//! The pieces of scikit-learn's `_sgd_fast._plain_sgd` that its online
//! linear models share: the `rand_r`-style xorshift (`our_rand_r`), the
//! per-epoch shuffle of `SequentialDataset` and the row-major sample layout
//! the epochs walk. `passive_aggressive` (PassiveAggressiveRegressor) and
//! `sgd_classifier` (SGDClassifier) both shuffle with them, so a seed gives
//! the same sample orders as scikit-learn's.

use crate::matrix::Matrix;
use crate::params::{DefaultValue, ParamKind, ParamSpec};

/// `fit_intercept`, as every `_plain_sgd` model declares it.
pub(crate) const FIT_INTERCEPT: ParamSpec = ParamSpec {
    name: "fit_intercept",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(true),
    help: "learn an intercept",
};

/// `max_iter`: epochs at most.
pub(crate) const MAX_ITER: ParamSpec = ParamSpec {
    name: "max_iter",
    kinds: &[ParamKind::COUNT],
    default: DefaultValue::Int(1000),
    help: "passes over the data at most",
};

/// `shuffle`: a new sample order every epoch.
pub(crate) const SHUFFLE: ParamSpec = ParamSpec {
    name: "shuffle",
    kinds: &[ParamKind::Bool],
    default: DefaultValue::Bool(true),
    help: "shuffle the samples every epoch",
};

/// scikit-learn's `our_rand_r` (utils/_random.pxd): a 32-bit xorshift
/// reduced to 31 bits.
pub(crate) fn our_rand_r(state: &mut u32) -> u32 {
    if *state == 0 {
        *state = 1;
    }
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    *state % (1u32 << 31)
}

/// `SequentialDataset.shuffle(seed)`: a forward Fisher-Yates on the current
/// order (the seed is passed by value, so every epoch replays the same draws
/// on the order the previous epoch left).
pub(crate) fn shuffle_in_place(order: &mut [usize], seed: u32) {
    let mut state = seed;
    let n = order.len();
    for i in 0..n.saturating_sub(1) {
        let j = i + (our_rand_r(&mut state) as usize) % (n - i);
        order.swap(i, j);
    }
}

/// The rows of `x`, row-major (an `ArrayDataset`'s layout).
pub(crate) fn row_major(x: &Matrix) -> Vec<f64> {
    let n_cols = x.n_cols();
    let mut rows = vec![0.0; x.n_rows * n_cols];
    for (j, column) in x.columns.iter().enumerate() {
        for (i, value) in column.iter().enumerate() {
            rows[i * n_cols + j] = *value;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xorshift_matches_scikit_learn() {
        // sklearn.utils._random._our_rand_r_py(1) and (123456789).
        assert_eq!(our_rand_r(&mut 1), 270369);
        assert_eq!(our_rand_r(&mut 123456789), 567484233);
    }
}
