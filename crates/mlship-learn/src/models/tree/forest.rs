//! Ensembles of trees: fitting on every core and batched prediction.
//!
//! Seeds follow scikit-learn's forests: tree `i` gets the `i`-th
//! `randint(2**31 - 1)` of `RandomState(random_state)`; its bootstrap sample
//! is `RandomState(seed_i).randint(0, n, n_bootstrap)` turned into integer
//! sample weights, and its splitter is seeded by the first draw of a fresh
//! `RandomState(seed_i)`. Each tree depends only on its own seed, so the
//! forest is the same whatever the number of threads.
//!
//! `class_weight` as scikit-learn 1.9.1's forests apply it: "balanced"
//! weights (from the whole target) are fit-level sample weights, so a
//! bootstrap draws its rows with probability proportional to them
//! (`RandomState(seed_i).choice(n, n_bootstrap, p=w / w.sum())`) and the tree
//! weighs each row by its count; without bootstrap the tree weighs rows by
//! them. "balanced_subsample" draws as without weights and multiplies the
//! counts by the balanced weights of the sample drawn.

use super::builder::{build_tree, TreeConfig};
use super::node::TreeNodes;
use super::splitter::RAND_R_MAX;
use crate::models::class_weight;
use crate::models::random::NumpyRandom;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How the trees of one ensemble are drawn.
pub(crate) struct ForestPlan<'a> {
    pub config: &'a TreeConfig,
    pub n_estimators: usize,
    /// `Some(n)`: each tree fits on a bootstrap sample of `n` rows.
    pub bootstrap: Option<usize>,
    pub random_state: u32,
    /// Fit-level sample weights (balanced class weights), if any.
    pub sample_weight: Option<&'a [f64]>,
    /// `Some(codes, n_classes)`: balanced weights recomputed on each bootstrap sample.
    pub subsample_balance: Option<(&'a [usize], usize)>,
}

/// The seed scikit-learn's splitter draws from `RandomState(seed)`.
pub(crate) fn splitter_seed(seed: u32) -> u32 {
    NumpyRandom::new(seed).randint(RAND_R_MAX as usize) as u32
}

/// The threads to use: every core, at most one per tree.
pub(crate) fn n_threads(n_tasks: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(n_tasks).max(1)
}

fn fit_one(x: &[Vec<f32>], y: &[f64], plan: &ForestPlan<'_>, seed: u32) -> TreeNodes {
    let weights = match plan.bootstrap {
        Some(n_bootstrap) => {
            let mut rng = NumpyRandom::new(seed);
            let mut counts = vec![0.0; y.len()];
            match plan.sample_weight {
                None => {
                    for _ in 0..n_bootstrap {
                        counts[rng.randint(y.len())] += 1.0;
                    }
                }
                Some(weights) => {
                    let cdf = choice_cdf(weights);
                    for _ in 0..n_bootstrap {
                        let u = rng.random_sample();
                        // searchsorted(cdf, u, side="right"); cdf ends at 1 > u.
                        let index = cdf.partition_point(|&edge| edge <= u).min(y.len() - 1);
                        counts[index] += 1.0;
                    }
                }
            }
            if let Some((codes, n_classes)) = plan.subsample_balance {
                let per_class = class_weight::balanced(codes, Some(&counts), n_classes);
                for (count, &code) in counts.iter_mut().zip(codes) {
                    *count *= per_class.get(code).copied().unwrap_or(0.0);
                }
            }
            Some(counts)
        }
        None => plan.sample_weight.map(<[f64]>::to_vec),
    };
    build_tree(x, y, weights.as_deref(), plan.config, splitter_seed(seed))
}

/// numpy's `RandomState.choice(p=w / w.sum())` cumulative distribution:
/// `p` from numpy's pairwise sum, `cdf = p.cumsum()`, `cdf /= cdf[-1]`.
fn choice_cdf(weights: &[f64]) -> Vec<f64> {
    let total = crate::numpy::pairwise_sum(weights);
    let mut running = 0.0;
    let mut cdf: Vec<f64> = weights
        .iter()
        .map(|w| {
            running += w / total;
            running
        })
        .collect();
    let last = cdf.last().copied().unwrap_or(1.0);
    cdf.iter_mut().for_each(|edge| *edge /= last);
    cdf
}

/// Fits every tree of the plan, in parallel, in a fixed order.
pub(crate) fn fit_forest(x: &[Vec<f32>], y: &[f64], plan: &ForestPlan<'_>) -> Vec<TreeNodes> {
    let mut rng = NumpyRandom::new(plan.random_state);
    let seeds: Vec<u32> = (0..plan.n_estimators).map(|_| rng.randint(i32::MAX as usize) as u32).collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, TreeNodes)>> = Mutex::new(Vec::with_capacity(seeds.len()));
    std::thread::scope(|scope| {
        for _ in 0..n_threads(seeds.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(&seed) = seeds.get(index) else { break };
                let tree = fit_one(x, y, plan, seed);
                // A poisoned lock only means another tree panicked; keep its data.
                done.lock().unwrap_or_else(|e| e.into_inner()).push((index, tree));
            });
        }
    });
    let mut trees = done.into_inner().unwrap_or_else(|e| e.into_inner());
    trees.sort_by_key(|(index, _)| *index);
    trees.into_iter().map(|(_, tree)| tree).collect()
}

/// Rows per block: a block's rows stay in cache while every tree walks them.
const BLOCK_ROWS: usize = 256;

/// The sum over `trees` of each row's leaf value, for row-major float32
/// `rows` of `n_cols` columns; blocks of rows are spread over the cores when
/// the work is large.
pub(crate) fn sum_trees(trees: &[TreeNodes], rows: &[f32], n_cols: usize) -> Vec<f64> {
    let n_rows = rows.len().checked_div(n_cols).unwrap_or(0);
    let mut sums = vec![0.0; n_rows];
    add_trees(trees, rows, n_cols, 1.0, &mut sums);
    sums
}

/// Adds `scale` times each tree's leaf value to each row's `out`, tree after
/// tree in order (scikit-learn's `predict_stages`: `out += scale * value`).
pub(crate) fn add_trees(trees: &[TreeNodes], rows: &[f32], n_cols: usize, scale: f64, out: &mut [f64]) {
    let n_rows = out.len();
    if n_rows == 0 || n_cols == 0 {
        return;
    }
    let block = |rows: &[f32], out: &mut [f64]| {
        for tree in trees {
            for (row, sum) in rows.chunks_exact(n_cols).zip(out.iter_mut()) {
                *sum += scale * tree.predict_row(row);
            }
        }
    };
    let threads = if n_rows * trees.len() < 200_000 { 1 } else { n_threads(n_rows.div_ceil(BLOCK_ROWS)) };
    if threads <= 1 {
        for (rows, out) in rows.chunks(BLOCK_ROWS * n_cols).zip(out.chunks_mut(BLOCK_ROWS)) {
            block(rows, out);
        }
        return;
    }
    let per_thread = n_rows.div_ceil(threads);
    std::thread::scope(|scope| {
        for (rows, out) in rows.chunks(per_thread * n_cols).zip(out.chunks_mut(per_thread)) {
            scope.spawn(move || {
                for (rows, out) in rows.chunks(BLOCK_ROWS * n_cols).zip(out.chunks_mut(BLOCK_ROWS)) {
                    block(rows, out);
                }
            });
        }
    });
}

/// A classifier ensemble's probabilities, row-major: the mean over `trees`
/// of each row's leaf class fractions (scikit-learn's forests add the trees'
/// `predict_proba` in order and divide by their number).
pub(crate) fn mean_class_fractions(trees: &[TreeNodes], rows: &[f32], n_cols: usize) -> Vec<f64> {
    let n_classes = trees.first().map_or(0, |tree| tree.n_classes);
    let n_rows = rows.len().checked_div(n_cols).unwrap_or(0);
    let mut out = vec![0.0; n_rows * n_classes];
    if n_rows == 0 || n_classes == 0 {
        return out;
    }
    let block = |rows: &[f32], out: &mut [f64]| {
        for tree in trees {
            for (row, sums) in rows.chunks_exact(n_cols).zip(out.chunks_exact_mut(n_classes)) {
                for (sum, &fraction) in sums.iter_mut().zip(tree.class_row(tree.apply_row(row))) {
                    *sum += fraction;
                }
            }
        }
    };
    let threads = if n_rows * trees.len() < 200_000 { 1 } else { n_threads(n_rows.div_ceil(BLOCK_ROWS)) };
    let per_thread = n_rows.div_ceil(threads);
    std::thread::scope(|scope| {
        for (rows, out) in rows.chunks(per_thread * n_cols).zip(out.chunks_mut(per_thread * n_classes)) {
            scope.spawn(move || {
                for (rows, out) in rows.chunks(BLOCK_ROWS * n_cols).zip(out.chunks_mut(BLOCK_ROWS * n_classes)) {
                    block(rows, out);
                }
            });
        }
    });
    if trees.len() > 1 {
        let n_trees = trees.len() as f64;
        out.iter_mut().for_each(|v| *v /= n_trees);
    }
    out
}
