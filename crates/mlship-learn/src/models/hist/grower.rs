//! Growing one tree on binned features from gradients and hessians.
//!
//! The rows of the tree's sample sit in one array; each leaf owns a
//! contiguous range of it, partitioned stably on a split (so sums run in
//! row order, as the libraries' do). A leaf keeps its histogram until it is
//! split: the smaller child's is built from rows, the larger's is the
//! parent's minus it.
//!
//! Two flavours of split search, each its library's (`Flavour`):
//! - LightGBM (`feature_histogram.hpp`, `FindBestThresholdSequentially`
//!   for a feature without missing values): bins scanned from the right,
//!   `min_data_in_leaf` and `min_sum_hessian_in_leaf` on both sides, gain
//!   `G_l^2/(H_l+l2) + G_r^2/(H_r+l2)` (L1 soft-thresholds G) above the
//!   parent's plus `min_gain_to_split`, its `kEpsilon` hessian offsets; ties
//!   keep the rightmost threshold within a feature and the smaller feature.
//! - XGBoost (`src/tree/hist/evaluate_splits.h`, `split_evaluator.h`):
//!   bins scanned from the left, `min_child_weight` on both sides, gains in
//!   float32 as there, `loss_chg > 1e-6` and `>= gamma`; ties keep the
//!   leftmost threshold and the smaller feature.
//!
//! Growth is leaf-wise (best-first: the leaf whose split gains most, up to
//! `max_leaves`; LightGBM's and XGBoost's `lossguide`) or depth-wise (every
//! leaf with a valid split, up to `max_depth`; XGBoost's default).

use super::binning::BinnedMatrix;
use super::histogram::{self, HistBin, HistLayout};
use crate::models::tree::{SplitNode, TreeNodes, LEAF};
use std::collections::VecDeque;

/// LightGBM's `kEpsilon` (a float constant, widened).
const LGB_EPSILON: f64 = 1e-15f32 as f64;
/// XGBoost's `kRtEps`: a split must gain more than this.
const XGB_RT_EPS: f32 = 1e-6;

/// Whose split search and leaf values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Flavour {
    /// LightGBM's.
    LightGbm,
    /// XGBoost's `hist`.
    XgBoost,
}

/// How the tree grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Growth {
    /// Best-first: at most `max_leaves` leaves (0: unlimited), depth at most `max_depth` (0: unlimited).
    LeafWise {
        /// The most leaves.
        max_leaves: usize,
        /// The deepest leaf (0: unlimited).
        max_depth: usize,
    },
    /// Level by level, every leaf with a valid split, up to `max_depth` (0: unlimited).
    DepthWise {
        /// The deepest leaf (0: unlimited).
        max_depth: usize,
    },
}

/// The controls of one tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeRules {
    /// Whose split search.
    pub flavour: Flavour,
    /// Leaf values are multiplied by this (shrinkage).
    pub learning_rate: f64,
    /// L1 regularisation of leaf values (`reg_alpha`).
    pub lambda_l1: f64,
    /// L2 regularisation of leaf values (`reg_lambda`).
    pub lambda_l2: f64,
    /// The least hessian sum of a child (`min_child_weight`).
    pub min_sum_hessian: f64,
    /// The fewest rows of a child (LightGBM's `min_child_samples`; 0 for XGBoost).
    pub min_data_in_leaf: usize,
    /// The least gain of a split (`min_split_gain`, `gamma`).
    pub min_split_gain: f64,
    /// Leaf-wise or depth-wise.
    pub growth: Growth,
}

/// Gradient statistics of a set of rows.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    grad: f64,
    hess: f64,
    count: usize,
}

/// The best split of a leaf.
#[derive(Debug, Clone, Copy)]
struct Split {
    feature: usize,
    /// Rows with a bin `<= bin` go left.
    bin: usize,
    /// The gain reported (LightGBM: over the parent's; XGBoost: `loss_chg`).
    gain: f64,
    left: Sums,
    right: Sums,
    left_value: f64,
    right_value: f64,
}

struct Leaf {
    /// The features its children may search.
    features: Vec<bool>,
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    sums: Sums,
    hist: Option<Vec<HistBin>>,
    best: Option<Split>,
}

/// A grown tree, and where its leaves' rows sit in the row array.
pub(crate) struct GrownTree {
    /// The tree, thresholds in raw feature units.
    pub tree: TreeNodes,
    /// The bin threshold of each split node (0 on leaves).
    pub split_bins: Vec<u8>,
    /// `(feature, gain)` of every split.
    pub gains: Vec<(usize, f64)>,
    /// `(start, end, value)` of each leaf's rows in the row array.
    pub leaves: Vec<(usize, usize, f64)>,
}

impl GrownTree {
    /// The leaf value of row `row` of the binned training matrix.
    pub fn binned_value(&self, binned: &BinnedMatrix, row: usize) -> f64 {
        let mut index = 0;
        loop {
            let node = &self.tree.nodes[index];
            if node.feature == LEAF {
                return self.tree.value[index];
            }
            let code = binned.codes[node.feature as usize][row];
            index = if code <= self.split_bins[index] { node.left } else { node.right } as usize;
        }
    }
}

fn threshold_l1(s: f64, l1: f64) -> f64 {
    let reg = (s.abs() - l1).max(0.0);
    if s > 0.0 {
        reg
    } else if s < 0.0 {
        -reg
    } else {
        0.0
    }
}

/// Grows trees with one set of rules over one binned matrix.
pub(crate) struct Grower<'a> {
    binned: &'a BinnedMatrix,
    layout: HistLayout,
    rules: TreeRules,
    scratch: Vec<u32>,
    pool: Vec<Vec<HistBin>>,
    /// The tree being grown has every hessian 1 (its bins' counts are exact).
    constant_hessian: bool,
}

/// One tree's inputs.
pub(crate) struct TreeInput<'a> {
    /// Each row's gradient.
    pub grad: &'a [f32],
    /// Each row's hessian (`None`: all 1, as for squared error).
    pub hess: Option<&'a [f32]>,
    /// The features this tree may split on.
    pub used: &'a [bool],
}

impl<'a> Grower<'a> {
    /// A grower for `binned` with `rules`.
    pub fn new(binned: &'a BinnedMatrix, rules: TreeRules) -> Self {
        Grower {
            binned,
            layout: HistLayout::new(binned),
            rules,
            scratch: Vec::new(),
            pool: Vec::new(),
            constant_hessian: true,
        }
    }

    fn lgb_leaf_gain(&self, g: f64, h: f64) -> f64 {
        let t = threshold_l1(g, self.rules.lambda_l1);
        t * t / (h + self.rules.lambda_l2)
    }

    fn lgb_output(&self, g: f64, h: f64) -> f64 {
        -threshold_l1(g, self.rules.lambda_l1) / (h + self.rules.lambda_l2)
    }

    /// XGBoost's `CalcGainGivenWeight` without constraints (float32).
    fn xgb_gain(&self, g: f64, h: f64) -> f32 {
        if h <= 0.0 {
            return 0.0;
        }
        let t = threshold_l1(g, self.rules.lambda_l1);
        (t * t / (h + self.rules.lambda_l2)) as f32
    }

    /// XGBoost's leaf value: `CalcWeight` (float32) times `eta` in float32.
    fn xgb_value(&self, g: f64, h: f64) -> f64 {
        let weight = if h < self.rules.min_sum_hessian || h <= 0.0 {
            0.0
        } else {
            -threshold_l1(g, self.rules.lambda_l1) / (h + self.rules.lambda_l2)
        };
        f64::from(weight as f32 * self.rules.learning_rate as f32)
    }

    fn root_value(&self, sums: Sums) -> f64 {
        match self.rules.flavour {
            Flavour::LightGbm => self.lgb_output(sums.grad, sums.hess) * self.rules.learning_rate,
            Flavour::XgBoost => self.xgb_value(sums.grad, sums.hess),
        }
    }

    /// LightGBM's reverse scan of one feature: its best split, and whether
    /// any threshold gained more than the parent (`is_splittable`). With
    /// varying hessians LightGBM does not count rows per bin: it estimates
    /// a bin's count as `round(hess * n / sum_hess)`, and so does this.
    fn lightgbm_feature(&self, feature: usize, bins: &[HistBin], sums: Sums) -> (Option<Split>, bool) {
        let rules = &self.rules;
        let sum_g = sums.grad;
        let sum_h = sums.hess + 2.0 * LGB_EPSILON;
        let n = sums.count;
        let min_gain_shift = self.lgb_leaf_gain(sum_g, sum_h) + rules.min_split_gain;
        let (mut rg, mut rh, mut rc) = (0.0, LGB_EPSILON, 0usize);
        let mut best_gain = f64::NEG_INFINITY;
        let mut best: Option<(usize, f64, f64, usize)> = None;
        let mut splittable = false;
        let count_factor = n as f64 / sum_h;
        for t in (1..bins.len()).rev() {
            rg += bins[t].grad;
            rh += bins[t].hess;
            rc += if self.constant_hessian {
                bins[t].count as usize
            } else {
                // Common::RoundInt: truncation of x + 0.5 (the estimate is never negative here).
                (bins[t].hess * count_factor + 0.5) as usize
            };
            if rc < rules.min_data_in_leaf || rh < rules.min_sum_hessian {
                continue;
            }
            let lc = n.saturating_sub(rc);
            if lc < rules.min_data_in_leaf {
                break;
            }
            let lh = sum_h - rh;
            if lh < rules.min_sum_hessian {
                break;
            }
            let lg = sum_g - rg;
            let gain = self.lgb_leaf_gain(lg, lh) + self.lgb_leaf_gain(rg, rh);
            if gain <= min_gain_shift {
                continue;
            }
            splittable = true;
            if gain > best_gain {
                best_gain = gain;
                best = Some((t - 1, lg, lh, lc));
            }
        }
        let Some((bin, lg, lh, lc)) = best else { return (None, splittable) };
        let lr = rules.learning_rate;
        let split = Split {
            feature,
            bin,
            gain: best_gain - min_gain_shift,
            left: Sums { grad: lg, hess: lh - LGB_EPSILON, count: lc },
            right: Sums { grad: sum_g - lg, hess: sum_h - lh - LGB_EPSILON, count: n - lc },
            left_value: self.lgb_output(lg, lh) * lr,
            right_value: self.lgb_output(sum_g - lg, sum_h - lh) * lr,
        };
        (Some(split), splittable)
    }

    /// XGBoost's forward scan of one feature, replacing `best` on a strictly larger `loss_chg`.
    fn xgboost_feature(
        &self,
        feature: usize,
        bins: &[HistBin],
        sums: Sums,
        best: &mut Option<Split>,
        best_loss: &mut f32,
    ) {
        let mcw = self.rules.min_sum_hessian;
        let root_gain = self.xgb_gain(sums.grad, sums.hess);
        let (mut lg, mut lh, mut lc) = (0.0, 0.0, 0usize);
        for (i, bin) in bins.iter().enumerate() {
            lg += bin.grad;
            lh += bin.hess;
            lc += bin.count as usize;
            let (rg, rh) = (sums.grad - lg, sums.hess - lh);
            if lh >= mcw && rh >= mcw {
                let gain = self.xgb_gain(lg, lh) + self.xgb_gain(rg, rh);
                let loss_chg = gain - root_gain;
                if loss_chg > *best_loss {
                    *best_loss = loss_chg;
                    *best = Some(Split {
                        feature,
                        bin: i,
                        gain: f64::from(loss_chg),
                        left: Sums { grad: lg, hess: lh, count: lc },
                        right: Sums { grad: rg, hess: rh, count: sums.count - lc },
                        left_value: self.xgb_value(lg, lh),
                        right_value: self.xgb_value(rg, rh),
                    });
                }
            }
        }
    }

    /// The best valid split of a leaf, over the features it may use.
    /// LightGBM's children search only the features that could split their
    /// parent (`is_splittable`), so a LightGBM search narrows `used`.
    fn find_split(&self, hist: &[HistBin], sums: Sums, used: &mut [bool]) -> Option<Split> {
        match self.rules.flavour {
            Flavour::LightGbm => {
                let mut best: Option<Split> = None;
                for (feature, use_feature) in used.iter_mut().enumerate() {
                    if !*use_feature {
                        continue;
                    }
                    let (found, splittable) = self.lightgbm_feature(feature, self.layout.feature(hist, feature), sums);
                    *use_feature = splittable;
                    if let Some(split) = found {
                        if best.is_none_or(|b| split.gain > b.gain) {
                            best = Some(split);
                        }
                    }
                }
                best.filter(|split| split.gain > 0.0)
            }
            Flavour::XgBoost => {
                let (mut best, mut best_loss) = (None, 0.0f32);
                for feature in (0..used.len()).filter(|&f| used[f]) {
                    self.xgboost_feature(feature, self.layout.feature(hist, feature), sums, &mut best, &mut best_loss);
                }
                best.filter(|split| {
                    best_loss > XGB_RT_EPS
                        && f64::from(best_loss) >= self.rules.min_split_gain
                        && split.left.hess != 0.0
                        && split.right.hess != 0.0
                })
            }
        }
    }

    /// Whether a leaf at `depth` with `count` rows may be searched for a split.
    fn may_split(&self, depth: usize, count: usize) -> bool {
        let max_depth = match self.rules.growth {
            Growth::LeafWise { max_depth, .. } | Growth::DepthWise { max_depth } => max_depth,
        };
        (max_depth == 0 || depth < max_depth) && count >= (2 * self.rules.min_data_in_leaf).max(2)
    }

    /// LightGBM's `FixHistogram`: the most frequent bin's entry is the
    /// leaf's total minus the other bins (only for a histogram built from rows).
    fn fix_histogram(&self, hist: &mut [HistBin], sums: Sums, used: &[bool]) {
        if self.rules.flavour != Flavour::LightGbm {
            return;
        }
        for (f, bins) in self.binned.bins.iter().enumerate() {
            let Some(fix) = bins.fix_bin.filter(|_| used[f]) else { continue };
            let range = self.layout.offsets[f]..self.layout.offsets[f + 1];
            let feature = &mut hist[range];
            let mut fixed = HistBin { grad: sums.grad, hess: sums.hess, count: sums.count as u32 };
            for (b, bin) in feature.iter().enumerate() {
                if b != fix {
                    fixed.grad -= bin.grad;
                    fixed.hess -= bin.hess;
                    fixed.count -= bin.count;
                }
            }
            feature[fix] = fixed;
        }
    }

    fn take_buffer(&mut self) -> Vec<HistBin> {
        self.pool.pop().unwrap_or_else(|| vec![HistBin::default(); self.layout.len()])
    }

    /// Grows one tree on `rows` (reordered in place: each leaf's rows end contiguous).
    pub fn grow(&mut self, rows: &mut [u32], input: &TreeInput<'_>) -> GrownTree {
        self.constant_hessian = input.hess.is_none();
        let mut sums = Sums::default();
        for &row in rows.iter() {
            sums.grad += f64::from(input.grad[row as usize]);
            sums.hess += input.hess.map_or(1.0, |hess| f64::from(hess[row as usize]));
        }
        sums.count = rows.len();
        let mut tree = TreeNodes::default();
        let root =
            tree.add(SplitNode { feature: LEAF, left: LEAF, right: LEAF, threshold: -2.0 }, 0.0, rows.len(), sums.hess);
        tree.value[root] = self.root_value(sums);
        let mut split_bins = vec![0u8];
        let mut gains = Vec::new();
        let features = input.used.to_vec();
        let mut leaves =
            vec![Leaf { features, node: root, start: 0, end: rows.len(), depth: 0, sums, hist: None, best: None }];
        if self.may_split(0, rows.len()) {
            let mut hist = self.take_buffer();
            histogram::build(self.binned, &self.layout, rows, input.grad, input.hess, input.used, &mut hist);
            self.fix_histogram(&mut hist, sums, input.used);
            let root = &mut leaves[0];
            root.best = self.find_split(&hist, sums, &mut root.features);
            root.hist = Some(hist);
        }
        let mut queue: VecDeque<usize> = VecDeque::from([0]);
        loop {
            let chosen = match self.rules.growth {
                Growth::LeafWise { max_leaves, .. } => {
                    if max_leaves > 0 && leaves.len() >= max_leaves {
                        break;
                    }
                    let mut chosen: Option<usize> = None;
                    for (i, leaf) in leaves.iter().enumerate() {
                        if let Some(split) = &leaf.best {
                            if chosen.is_none_or(|c| leaves[c].best.is_some_and(|b| split.gain > b.gain)) {
                                chosen = Some(i);
                            }
                        }
                    }
                    match chosen {
                        Some(i) => i,
                        None => break,
                    }
                }
                Growth::DepthWise { .. } => match queue.pop_front() {
                    Some(i) if leaves[i].best.is_some() => i,
                    Some(i) => {
                        if let Some(hist) = leaves[i].hist.take() {
                            self.pool.push(hist);
                        }
                        continue;
                    }
                    None => break,
                },
            };
            let right = self.split_leaf(chosen, &mut leaves, rows, input, &mut tree, &mut split_bins, &mut gains);
            queue.push_back(chosen);
            queue.push_back(right);
        }
        for leaf in &mut leaves {
            if let Some(hist) = leaf.hist.take() {
                self.pool.push(hist);
            }
        }
        let leaves = leaves.iter().map(|leaf| (leaf.start, leaf.end, tree.value[leaf.node])).collect();
        GrownTree { tree, split_bins, gains, leaves }
    }

    /// Splits leaf `index`: it keeps the left child, the right one is
    /// appended; returns the right child's index.
    #[allow(clippy::too_many_arguments)]
    fn split_leaf(
        &mut self,
        index: usize,
        leaves: &mut Vec<Leaf>,
        rows: &mut [u32],
        input: &TreeInput<'_>,
        tree: &mut TreeNodes,
        split_bins: &mut Vec<u8>,
        gains: &mut Vec<(usize, f64)>,
    ) -> usize {
        let leaf = &mut leaves[index];
        let Some(mut split) = leaf.best.take() else { return index };
        let (start, end, depth, parent_node) = (leaf.start, leaf.end, leaf.depth, leaf.node);
        let parent_hist = leaf.hist.take();
        let features = std::mem::take(&mut leaf.features);
        // Stable partition: left rows compacted in place, right rows via scratch.
        let codes = &self.binned.codes[split.feature];
        let bin = split.bin as u8;
        self.scratch.clear();
        let mut write = start;
        for read in start..end {
            let row = rows[read];
            if codes[row as usize] <= bin {
                rows[write] = row;
                write += 1;
            } else {
                self.scratch.push(row);
            }
        }
        rows[write..end].copy_from_slice(&self.scratch);
        let mid = write;
        // The children's true row counts (a LightGBM search with varying
        // hessians only estimated them); the libraries' partitions count them too.
        split.left.count = mid - start;
        split.right.count = end - mid;
        let leaf_node = |tree: &mut TreeNodes, sums: Sums, value: f64| {
            let id = tree.add(
                SplitNode { feature: LEAF, left: LEAF, right: LEAF, threshold: -2.0 },
                0.0,
                sums.count,
                sums.hess,
            );
            tree.value[id] = value;
            id
        };
        let left_node = leaf_node(tree, split.left, split.left_value);
        let right_node = leaf_node(tree, split.right, split.right_value);
        split_bins.extend([0, 0]);
        tree.nodes[parent_node] = SplitNode {
            feature: split.feature as u32,
            left: left_node as u32,
            right: right_node as u32,
            threshold: self.binned.bins[split.feature].upper[split.bin],
        };
        split_bins[parent_node] = bin;
        gains.push((split.feature, split.gain));
        let mut left = Leaf {
            features: features.clone(),
            node: left_node,
            start,
            end: mid,
            depth: depth + 1,
            sums: split.left,
            hist: None,
            best: None,
        };
        let mut right = Leaf {
            features,
            node: right_node,
            start: mid,
            end,
            depth: depth + 1,
            sums: split.right,
            hist: None,
            best: None,
        };
        let search_left = self.may_split(depth + 1, split.left.count);
        let search_right = self.may_split(depth + 1, split.right.count);
        match parent_hist {
            Some(mut parent) if search_left || search_right => {
                let left_smaller = split.left.count < split.right.count;
                let (small, large) = if left_smaller { (&mut left, &mut right) } else { (&mut right, &mut left) };
                let mut small_hist = self.take_buffer();
                histogram::build(
                    self.binned,
                    &self.layout,
                    &rows[small.start..small.end],
                    input.grad,
                    input.hess,
                    &small.features,
                    &mut small_hist,
                );
                self.fix_histogram(&mut small_hist, small.sums, &small.features);
                histogram::subtract(&mut parent, &small_hist);
                small.hist = Some(small_hist);
                large.hist = Some(parent);
                for (child, search) in [(&mut left, search_left), (&mut right, search_right)] {
                    if search {
                        if let Some(hist) = &child.hist {
                            child.best = self.find_split(hist, child.sums, &mut child.features);
                        }
                    }
                }
            }
            Some(parent) => self.pool.push(parent),
            None => {}
        }
        leaves[index] = left;
        leaves.push(right);
        leaves.len() - 1
    }
}
