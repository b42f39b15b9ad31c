//! Split criteria for regression, as scikit-learn's `_criterion.pyx` computes
//! them: running weighted sums over the node's samples, updated from the
//! nearer end when the split position moves, the proxy improvement used to
//! rank candidate splits, and the exact impurity improvement stored on the
//! node. Summation order follows scikit-learn's so that gains agree to the
//! last bit wherever the sample order does. Classification criteria (gini,
//! entropy, log loss) are further variants of `CriterionKind`: they keep
//! weighted class counts per node (`ClassSums`) instead of target sums, as
//! scikit-learn's `ClassificationCriterion` (`sum_total`, `sum_left`,
//! `sum_right`), and rank splits by the base class's proxy (minus the
//! children's weighted impurities). Entropy is in bits (scikit-learn's
//! `log` is `ln(x) / ln(2)`); `log_loss` is its alias.
//!
//! Poisson's impurity is the half Poisson deviance; a node whose target sums
//! to zero has infinite impurity and never splits, as there.
//!
//! `friedman_mse` is an alias of `squared_error`, as in scikit-learn 1.9
//! (which deprecated it: "both were always equivalent" for ranking splits).
//!
//! `absolute_error` is scikit-learn 1.9's `MAE`: on each reset it ranks the
//! node's targets and, with a weighted Fenwick tree, computes the weighted
//! median and absolute error of every prefix (forward pass) and suffix
//! (backward pass) of the current sample order; a split reads them at its
//! position, and a node's value is its weighted median (the mid-point when
//! the cumulative weight hits exactly half).

use serde::{Deserialize, Serialize};

/// The impurity a tree minimises (regression or classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKind {
    /// Variance of the target (scikit-learn's `MSE`).
    SquaredError,
    /// The variance, splits ranked by Friedman's improvement
    /// `(n_r s_l - n_l s_r)^2 / (n_l n_r)` (scikit-learn 1.4's `FriedmanMSE`,
    /// which its gradient boosting uses; from_name keeps mapping the name to
    /// `SquaredError` for the other trees, as scikit-learn 1.9 does).
    FriedmanMse,
    /// Half Poisson deviance (a non-negative target with a positive sum).
    Poisson,
    /// Mean absolute deviation from the weighted median (scikit-learn's `MAE`).
    AbsoluteError,
    /// Gini impurity of the class distribution (classification).
    Gini,
    /// Shannon entropy of the class distribution, in bits (`entropy`, `log_loss`).
    Entropy,
}

impl CriterionKind {
    /// The kind from scikit-learn's criterion name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "squared_error" | "friedman_mse" => Some(CriterionKind::SquaredError),
            "poisson" => Some(CriterionKind::Poisson),
            "absolute_error" => Some(CriterionKind::AbsoluteError),
            "gini" => Some(CriterionKind::Gini),
            "entropy" | "log_loss" => Some(CriterionKind::Entropy),
            _ => None,
        }
    }

    /// A classification criterion (the target holds class codes).
    pub fn is_classification(self) -> bool {
        matches!(self, CriterionKind::Gini | CriterionKind::Entropy)
    }
}

/// Weighted class counts of a node and of its two sides at the current position.
struct ClassSums {
    total: Vec<f64>,
    left: Vec<f64>,
    right: Vec<f64>,
}

/// The Gini impurity or entropy (bits) of weighted class `counts` of total weight `weight`.
fn class_impurity(kind: CriterionKind, counts: &[f64], weight: f64) -> f64 {
    if kind == CriterionKind::Gini {
        let mut sq_count = 0.0;
        for &count in counts {
            sq_count += count * count;
        }
        1.0 - sq_count / (weight * weight)
    } else {
        let mut entropy = 0.0;
        for &count in counts {
            if count > 0.0 {
                let fraction = count / weight;
                entropy -= fraction * (fraction.ln() / std::f64::consts::LN_2);
            }
        }
        entropy
    }
}

/// Running sums of one node (single output).
pub(crate) struct Criterion<'a> {
    kind: CriterionKind,
    y: &'a [f64],
    weights: Option<&'a [f64]>,
    /// The weight of every training sample (the denominator of importances).
    pub weighted_n_samples: f64,
    start: usize,
    end: usize,
    pos: usize,
    sq_sum_total: f64,
    sum_total: f64,
    sum_left: f64,
    sum_right: f64,
    pub weighted_n_node_samples: f64,
    pub weighted_n_left: f64,
    pub weighted_n_right: f64,
    /// The absolute-error criterion's precomputed prefixes and suffixes.
    mae: Option<Box<MaeState>>,
    /// A classification criterion's class counts.
    classes: Option<ClassSums>,
}

/// scikit-learn's `MAE` buffers, indexed by absolute position in `samples`.
struct MaeState {
    left_abs_errors: Vec<f64>,
    right_abs_errors: Vec<f64>,
    left_medians: Vec<f64>,
    right_medians: Vec<f64>,
    ranks: Vec<usize>,
    sorted_y: Vec<f64>,
    order: Vec<usize>,
    tree: FenwickTree,
    node_median: f64,
}

/// scikit-learn's `WeightedFenwickTree`: prefix sums of `w` and `w * y` by rank.
struct FenwickTree {
    tree_w: Vec<f64>,
    tree_wy: Vec<f64>,
    size: usize,
    max_pow2: usize,
    total_w: f64,
    total_wy: f64,
}

impl FenwickTree {
    fn new(capacity: usize) -> Self {
        FenwickTree {
            tree_w: vec![0.0; capacity + 1],
            tree_wy: vec![0.0; capacity + 1],
            size: 0,
            max_pow2: 0,
            total_w: 0.0,
            total_wy: 0.0,
        }
    }

    fn reset(&mut self, size: usize) {
        self.size = size;
        self.tree_w[..=size].iter_mut().for_each(|v| *v = 0.0);
        self.tree_wy[..=size].iter_mut().for_each(|v| *v = 0.0);
        self.total_w = 0.0;
        self.total_wy = 0.0;
        let mut p = 1;
        while p <= size {
            p <<= 1;
        }
        self.max_pow2 = p >> 1;
    }

    fn add(&mut self, rank: usize, y: f64, weight: f64) {
        let weighted_y = weight * y;
        let mut index = rank + 1;
        while index <= self.size {
            self.tree_w[index] += weight;
            self.tree_wy[index] += weighted_y;
            index += index & index.wrapping_neg();
        }
        self.total_w += weight;
        self.total_wy += weighted_y;
    }

    /// `search(target)`: (rank, previous rank, weight and weighted sum before rank).
    fn search(&self, target: f64) -> (usize, usize, f64, f64) {
        let (mut target, mut current, mut cumul_w, mut cumul_wy) = (target, 0usize, 0.0, 0.0);
        let mut bit = self.max_pow2;
        let mut equal = None;
        while bit != 0 {
            let next = current + bit;
            if next <= self.size {
                let node_weight = self.tree_w[next];
                if target == node_weight {
                    equal = Some((target, bit));
                    break;
                } else if target > node_weight {
                    target -= node_weight;
                    current = next;
                    cumul_w += node_weight;
                    cumul_wy += self.tree_wy[next];
                }
            }
            bit >>= 1;
        }
        let Some((equal_target, equal_bit)) = equal else {
            return (current, current, cumul_w, cumul_wy);
        };
        let mut previous = current;
        while bit != 0 {
            let next = previous + bit;
            if next <= self.size {
                let node_weight = self.tree_w[next];
                if target > node_weight {
                    target -= node_weight;
                    previous = next;
                }
            }
            bit >>= 1;
        }
        let (mut bit, mut target) = (equal_bit, equal_target);
        while bit != 0 {
            let next = current + bit;
            if next <= self.size {
                let node_weight = self.tree_w[next];
                if target >= node_weight {
                    target -= node_weight;
                    current = next;
                    cumul_w += node_weight;
                    cumul_wy += self.tree_wy[next];
                }
            }
            bit >>= 1;
        }
        (current, previous, cumul_w, cumul_wy)
    }
}

impl<'a> Criterion<'a> {
    /// A criterion over `y` (class codes `0..n_classes` for a classification kind).
    pub fn new(
        kind: CriterionKind,
        y: &'a [f64],
        weights: Option<&'a [f64]>,
        weighted_n_samples: f64,
        n_classes: usize,
    ) -> Self {
        Criterion {
            kind,
            y,
            weights,
            weighted_n_samples,
            start: 0,
            end: 0,
            pos: 0,
            sq_sum_total: 0.0,
            sum_total: 0.0,
            sum_left: 0.0,
            sum_right: 0.0,
            weighted_n_node_samples: 0.0,
            weighted_n_left: 0.0,
            weighted_n_right: 0.0,
            mae: (kind == CriterionKind::AbsoluteError).then(|| {
                let n = y.len();
                Box::new(MaeState {
                    left_abs_errors: vec![0.0; n],
                    right_abs_errors: vec![0.0; n],
                    left_medians: vec![0.0; n],
                    right_medians: vec![0.0; n],
                    ranks: vec![0; n],
                    sorted_y: vec![0.0; n],
                    order: Vec::with_capacity(n),
                    tree: FenwickTree::new(n),
                    node_median: 0.0,
                })
            }),
            classes: kind.is_classification().then(|| ClassSums {
                total: vec![0.0; n_classes],
                left: vec![0.0; n_classes],
                right: vec![0.0; n_classes],
            }),
        }
    }

    #[inline]
    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `init`: the totals of `samples[start..end]`, in that order.
    pub fn init(&mut self, samples: &[usize], start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.sq_sum_total = 0.0;
        self.sum_total = 0.0;
        self.weighted_n_node_samples = 0.0;
        if let Some(classes) = self.classes.as_mut() {
            classes.total.iter_mut().for_each(|v| *v = 0.0);
            for &i in &samples[start..end] {
                let w = self.weights.map_or(1.0, |w| w[i]);
                classes.total[self.y[i] as usize] += w;
                self.weighted_n_node_samples += w;
            }
            self.reset(samples);
            return;
        }
        for &i in &samples[start..end] {
            let w = self.weight(i);
            let w_y = w * self.y[i];
            self.sum_total += w_y;
            self.sq_sum_total += w_y * self.y[i];
            self.weighted_n_node_samples += w;
        }
        self.reset(samples);
    }

    /// Every sample on the right (the absolute-error criterion recomputes
    /// its prefixes and suffixes for the current order of `samples`).
    pub fn reset(&mut self, samples: &[usize]) {
        if self.mae.is_some() {
            self.mae_reset(samples);
        }
        if let Some(classes) = self.classes.as_mut() {
            classes.left.iter_mut().for_each(|v| *v = 0.0);
            classes.right.copy_from_slice(&classes.total);
        }
        self.sum_left = 0.0;
        self.sum_right = self.sum_total;
        self.weighted_n_left = 0.0;
        self.weighted_n_right = self.weighted_n_node_samples;
        self.pos = self.start;
    }

    fn reverse_reset(&mut self) {
        if let Some(classes) = self.classes.as_mut() {
            classes.right.iter_mut().for_each(|v| *v = 0.0);
            classes.left.copy_from_slice(&classes.total);
        }
        self.sum_right = 0.0;
        self.sum_left = self.sum_total;
        self.weighted_n_right = 0.0;
        self.weighted_n_left = self.weighted_n_node_samples;
        self.pos = self.end;
    }

    /// scikit-learn's `MAE.reset`: ranks, then the forward and backward passes.
    fn mae_reset(&mut self, samples: &[usize]) {
        let (start, end) = (self.start, self.end);
        let (y, weights) = (self.y, self.weights);
        let Some(mae) = self.mae.as_deref_mut() else { return };
        let n = end - start;
        mae.order.clear();
        mae.order.extend(0..n);
        mae.order.sort_unstable_by(|&a, &b| y[samples[start + a]].total_cmp(&y[samples[start + b]]));
        for (rank, &offset) in mae.order.iter().enumerate() {
            mae.sorted_y[rank] = y[samples[start + offset]];
            mae.ranks[start + offset] = rank;
        }
        mae.left_abs_errors[start..end].iter_mut().for_each(|v| *v = 0.0);
        mae.right_abs_errors[start..end].iter_mut().for_each(|v| *v = 0.0);
        let positions_forward = start..end;
        mae.precompute(samples, weights, positions_forward.clone(), true);
        mae.precompute(samples, weights, positions_forward, false);
        mae.node_median = mae.right_medians[start];
    }

    /// Moves `samples[pos..new_pos]` to the left, from whichever end is nearer
    /// (the absolute-error criterion only counts the weights, forward).
    pub fn update(&mut self, samples: &[usize], new_pos: usize) {
        if self.mae.is_some() {
            for &i in &samples[self.pos..new_pos] {
                self.weighted_n_left += self.weight(i);
            }
            self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
            self.pos = new_pos;
            return;
        }
        if self.classes.is_some() {
            self.update_classes(samples, new_pos);
            return;
        }
        if new_pos - self.pos <= self.end - new_pos {
            for &i in &samples[self.pos..new_pos] {
                let w = self.weight(i);
                self.sum_left += w * self.y[i];
                self.weighted_n_left += w;
            }
        } else {
            self.reverse_reset();
            for &i in samples[new_pos..self.end].iter().rev() {
                let w = self.weight(i);
                self.sum_left -= w * self.y[i];
                self.weighted_n_left -= w;
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        self.sum_right = self.sum_total - self.sum_left;
        self.pos = new_pos;
    }

    /// `ClassificationCriterion.update`: class counts moved from the nearer end.
    fn update_classes(&mut self, samples: &[usize], new_pos: usize) {
        let forward = new_pos - self.pos <= self.end - new_pos;
        if !forward {
            self.reverse_reset();
        }
        let (y, weights, pos, end) = (self.y, self.weights, self.pos, self.end);
        let Some(classes) = self.classes.as_mut() else { return };
        if forward {
            for &i in &samples[pos..new_pos] {
                let w = weights.map_or(1.0, |w| w[i]);
                classes.left[y[i] as usize] += w;
                self.weighted_n_left += w;
            }
        } else {
            for &i in samples[new_pos..end].iter().rev() {
                let w = weights.map_or(1.0, |w| w[i]);
                classes.left[y[i] as usize] -= w;
                self.weighted_n_left -= w;
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        for ((right, &total), &left) in classes.right.iter_mut().zip(&classes.total).zip(&classes.left) {
            *right = total - left;
        }
        self.pos = new_pos;
    }

    /// A classification node's class fractions (scikit-learn 1.4's `node_value`:
    /// the counts over the node's weight); `None` for regression.
    pub fn class_fractions(&self) -> Option<impl Iterator<Item = f64> + '_> {
        let weight = self.weighted_n_node_samples;
        self.classes.as_ref().map(|classes| classes.total.iter().map(move |&count| count / weight))
    }

    /// The impurity of the node.
    pub fn node_impurity(&self, samples: &[usize]) -> f64 {
        match self.kind {
            CriterionKind::Gini | CriterionKind::Entropy => self
                .classes
                .as_ref()
                .map_or(f64::NAN, |c| class_impurity(self.kind, &c.total, self.weighted_n_node_samples)),
            CriterionKind::SquaredError | CriterionKind::FriedmanMse => {
                let mean = self.sum_total / self.weighted_n_node_samples;
                self.sq_sum_total / self.weighted_n_node_samples - mean.powi(2)
            }
            CriterionKind::Poisson => {
                self.poisson_loss(&samples[self.start..self.end], self.sum_total, self.weighted_n_node_samples)
            }
            CriterionKind::AbsoluteError => self
                .mae
                .as_ref()
                .map_or(f64::NAN, |mae| mae.right_abs_errors[self.start] / self.weighted_n_node_samples),
        }
    }

    /// `sum(w * xlogy(y, y / mean)) / sum(w)` (infinite for a sum at or below `EPSILON`).
    fn poisson_loss(&self, samples: &[usize], y_sum: f64, weight_sum: f64) -> f64 {
        if y_sum <= f64::EPSILON {
            return f64::INFINITY;
        }
        let y_mean = y_sum / weight_sum;
        let mut loss = 0.0;
        for &i in samples {
            let y = self.y[i];
            // scipy's xlogy: 0 where y is 0.
            let term = if y == 0.0 { 0.0 } else { y * (y / y_mean).ln() };
            loss += self.weight(i) * term;
        }
        loss / weight_sum
    }

    /// The node's prediction: the weighted mean (absolute error: the weighted
    /// median; classification: the code of the heaviest class, the first on a tie).
    pub fn node_value(&self) -> f64 {
        if let Some(classes) = &self.classes {
            let mut best = 0;
            for (code, &count) in classes.total.iter().enumerate() {
                if count > classes.total[best] {
                    best = code;
                }
            }
            return best as f64;
        }
        match &self.mae {
            Some(mae) => mae.node_median,
            None => self.sum_total / self.weighted_n_node_samples,
        }
    }

    /// A score that ranks splits as the impurity improvement does, cheaper.
    #[inline]
    pub fn proxy_impurity_improvement(&self) -> f64 {
        match self.kind {
            CriterionKind::SquaredError => {
                self.sum_left * self.sum_left / self.weighted_n_left
                    + self.sum_right * self.sum_right / self.weighted_n_right
            }
            CriterionKind::FriedmanMse => {
                let diff = self.weighted_n_right * self.sum_left - self.weighted_n_left * self.sum_right;
                diff * diff / (self.weighted_n_left * self.weighted_n_right)
            }
            CriterionKind::Poisson => {
                if self.sum_left <= f64::EPSILON || self.sum_right <= f64::EPSILON {
                    return f64::NEG_INFINITY;
                }
                let left = self.sum_left * (self.sum_left / self.weighted_n_left).ln();
                let right = self.sum_right * (self.sum_right / self.weighted_n_right).ln();
                // scikit-learn's -(0 - left) - (0 - right), exactly.
                left + right
            }
            CriterionKind::AbsoluteError => {
                // The base class's proxy: minus the children's weighted impurities.
                let (left, right) = self.mae_children_impurity();
                -self.weighted_n_right * right - self.weighted_n_left * left
            }
            CriterionKind::Gini | CriterionKind::Entropy => {
                let (left, right) = self.class_children_impurity();
                -self.weighted_n_right * right - self.weighted_n_left * left
            }
        }
    }

    /// `MAE.children_impurity`: the precomputed prefix and suffix errors at `pos`.
    fn mae_children_impurity(&self) -> (f64, f64) {
        let Some(mae) = self.mae.as_ref() else { return (f64::NAN, f64::NAN) };
        let left = if self.pos > self.start { mae.left_abs_errors[self.pos - 1] } else { 0.0 };
        let right = if self.pos < self.end { mae.right_abs_errors[self.pos] } else { 0.0 };
        (left / self.weighted_n_left, right / self.weighted_n_right)
    }

    /// The class impurities of the two sides at the current position.
    fn class_children_impurity(&self) -> (f64, f64) {
        let Some(classes) = self.classes.as_ref() else { return (f64::NAN, f64::NAN) };
        (
            class_impurity(self.kind, &classes.left, self.weighted_n_left),
            class_impurity(self.kind, &classes.right, self.weighted_n_right),
        )
    }

    /// The impurities of the two children at the current position.
    pub fn children_impurity(&self, samples: &[usize]) -> (f64, f64) {
        if self.kind.is_classification() {
            return self.class_children_impurity();
        }
        if self.kind == CriterionKind::AbsoluteError {
            return self.mae_children_impurity();
        }
        if self.kind == CriterionKind::Poisson {
            return (
                self.poisson_loss(&samples[self.start..self.pos], self.sum_left, self.weighted_n_left),
                self.poisson_loss(&samples[self.pos..self.end], self.sum_right, self.weighted_n_right),
            );
        }
        let mut sq_sum_left = 0.0;
        for &i in &samples[self.start..self.pos] {
            let y = self.y[i];
            sq_sum_left += self.weight(i) * y * y;
        }
        let sq_sum_right = self.sq_sum_total - sq_sum_left;
        let left = sq_sum_left / self.weighted_n_left - (self.sum_left / self.weighted_n_left).powi(2);
        let right = sq_sum_right / self.weighted_n_right - (self.sum_right / self.weighted_n_right).powi(2);
        (left, right)
    }

    /// The weighted impurity decrease stored on the node (`min_impurity_decrease` reads it).
    pub fn impurity_improvement(&self, parent: f64, left: f64, right: f64) -> f64 {
        if self.kind == CriterionKind::FriedmanMse {
            // FriedmanMSE ignores the impurities: its own improvement over the node's weight.
            let diff = self.weighted_n_right * self.sum_left - self.weighted_n_left * self.sum_right;
            return diff * diff / (self.weighted_n_left * self.weighted_n_right * self.weighted_n_node_samples);
        }
        (self.weighted_n_node_samples / self.weighted_n_samples)
            * (parent
                - self.weighted_n_right / self.weighted_n_node_samples * right
                - self.weighted_n_left / self.weighted_n_node_samples * left)
    }
}

impl MaeState {
    /// scikit-learn's `precompute_absolute_errors` over `positions`, forward
    /// (prefixes, into the left buffers) or backward (suffixes, into the right).
    fn precompute(
        &mut self,
        samples: &[usize],
        weights: Option<&[f64]>,
        positions: std::ops::Range<usize>,
        forward: bool,
    ) {
        self.tree.reset(positions.len());
        let visit = |p: usize, tree: &mut FenwickTree, sorted_y: &[f64], ranks: &[usize]| {
            let w = weights.map_or(1.0, |w| w[samples[p]]);
            let rank = ranks[p];
            tree.add(rank, sorted_y[rank], w);
            let half_weight = 0.5 * tree.total_w;
            let (median_rank, previous_rank, w_left, wy_left) = tree.search(half_weight);
            let median = if median_rank != previous_rank {
                (sorted_y[previous_rank] + sorted_y[median_rank]) / 2.0
            } else {
                sorted_y[median_rank]
            };
            let w_right = tree.total_w - w_left;
            let wy_right = tree.total_wy - wy_left;
            ((wy_right - median * w_right) + (median * w_left - wy_left), median)
        };
        if forward {
            for p in positions {
                let (error, median) = visit(p, &mut self.tree, &self.sorted_y, &self.ranks);
                self.left_abs_errors[p] += error;
                self.left_medians[p] = median;
            }
        } else {
            for p in positions.rev() {
                let (error, median) = visit(p, &mut self.tree, &self.sorted_y, &self.ranks);
                self.right_abs_errors[p] += error;
                self.right_medians[p] = median;
            }
        }
    }
}
