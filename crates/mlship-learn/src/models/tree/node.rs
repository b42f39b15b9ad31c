//! A fitted tree as scikit-learn's `Tree` stores it, flat: node `i` has its
//! split (feature, threshold, children) in one compact array walked by
//! prediction, and its statistics (value, impurity, sample counts) in
//! parallel arrays read by importances and inspection. Inputs are compared
//! as float32 (scikit-learn's `DTYPE`), so thresholds fall where they do
//! there. A NaN goes to the child that held more training rows, as
//! scikit-learn 1.9 sends it for a feature without missing values at fit
//! (none reaches a model here: preprocessing imputes).

use serde::{Deserialize, Serialize};

/// The `feature` of a leaf.
pub const LEAF: u32 = u32::MAX;

/// What prediction reads of one node: 24 bytes, children by index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitNode {
    /// The feature compared, or `LEAF`.
    pub feature: u32,
    /// The child for `x[feature] <= threshold`.
    pub left: u32,
    /// The child for the rest.
    pub right: u32,
    /// The split point (scikit-learn's `-2` on a leaf).
    pub threshold: f64,
}

/// One fitted tree, nodes in the order scikit-learn's builder adds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TreeNodes {
    /// The split of each node.
    pub nodes: Vec<SplitNode>,
    /// The prediction at each node (the weighted mean of its target; a
    /// classifier's: the code of its heaviest class).
    pub value: Vec<f64>,
    /// A classifier's number of classes (0 for regression, which stores no class values).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub n_classes: usize,
    /// A classifier's class fractions, `n_classes` per node (scikit-learn
    /// 1.4's `tree_.value`); empty for regression.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_value: Vec<f64>,
    /// The criterion's impurity of each node.
    pub impurity: Vec<f64>,
    /// Training rows (with non-zero weight) that reached each node.
    pub n_node_samples: Vec<u64>,
    /// Their total weight.
    pub weighted_n_node_samples: Vec<f64>,
}

impl TreeNodes {
    /// Appends a node and returns its index; its parent is linked by the builder.
    pub(crate) fn add(&mut self, split: SplitNode, impurity: f64, n_node_samples: usize, weighted: f64) -> usize {
        self.nodes.push(split);
        self.value.push(0.0);
        self.impurity.push(impurity);
        self.n_node_samples.push(n_node_samples as u64);
        self.weighted_n_node_samples.push(weighted);
        self.nodes.len() - 1
    }

    /// Makes `node` a leaf (best-first growth stops expanding it).
    pub(crate) fn make_leaf(&mut self, node: usize) {
        self.nodes[node] = SplitNode { feature: LEAF, left: LEAF, right: LEAF, threshold: -2.0 };
    }

    /// The class fractions of `node` (empty for regression).
    #[inline]
    pub fn class_row(&self, node: usize) -> &[f64] {
        self.class_value.get(node * self.n_classes..(node + 1) * self.n_classes).unwrap_or(&[])
    }

    /// The value of the leaf `row` falls in (`row` has the fitted width).
    #[inline]
    pub fn predict_row(&self, row: &[f32]) -> f64 {
        self.value[self.apply_row(row)]
    }

    /// The index of the leaf `row` falls in (scikit-learn's `apply`).
    #[inline]
    pub fn apply_row(&self, row: &[f32]) -> usize {
        let mut index = 0usize;
        loop {
            let node = &self.nodes[index];
            if node.feature == LEAF {
                return index;
            }
            let value = f64::from(row[node.feature as usize]);
            index = if value <= node.threshold { node.left } else { node.right } as usize;
            if value.is_nan() && self.n_node_samples[node.left as usize] > self.n_node_samples[node.right as usize] {
                index = node.left as usize;
            }
        }
    }

    /// Impurity-based importances (scikit-learn's `compute_feature_importances`,
    /// normalised to sum to one unless the tree is a single leaf).
    pub fn feature_importances(&self, n_features: usize) -> Vec<f64> {
        let mut importances = self.impurity_decreases(n_features);
        let total: f64 = importances.iter().sum();
        if total > 0.0 {
            importances.iter_mut().for_each(|v| *v /= total);
        }
        importances
    }

    /// The weighted impurity decrease of each feature over the root's weight
    /// (`compute_feature_importances(normalize=False)`).
    pub fn impurity_decreases(&self, n_features: usize) -> Vec<f64> {
        let mut importances = vec![0.0; n_features];
        for (index, node) in self.nodes.iter().enumerate() {
            if node.feature == LEAF {
                continue;
            }
            let (left, right) = (node.left as usize, node.right as usize);
            importances[node.feature as usize] += self.weighted_n_node_samples[index] * self.impurity[index]
                - self.weighted_n_node_samples[left] * self.impurity[left]
                - self.weighted_n_node_samples[right] * self.impurity[right];
        }
        let root = self.weighted_n_node_samples.first().copied().unwrap_or(1.0);
        importances.iter_mut().for_each(|v| *v /= root);
        importances
    }

    /// Every stored number is finite.
    pub fn is_finite(&self) -> bool {
        self.value.iter().chain(&self.impurity).chain(&self.class_value).all(|v| v.is_finite())
            && self.nodes.iter().all(|n| n.threshold.is_finite())
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.feature == LEAF).count()
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The rows of `x` as row-major float32, the layout tree walks want.
pub(crate) fn rows_f32(x: &crate::matrix::Matrix) -> Vec<f32> {
    let n_cols = x.n_cols();
    let mut rows = vec![0.0f32; x.n_rows * n_cols];
    for (j, column) in x.columns.iter().enumerate() {
        for (i, &value) in column.iter().enumerate() {
            rows[i * n_cols + j] = value as f32;
        }
    }
    rows
}
