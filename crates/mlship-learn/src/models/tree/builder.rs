//! Growing one tree, as scikit-learn's `_tree.pyx` does: depth-first with an
//! explicit stack (`DepthFirstTreeBuilder`; left child first, so node ids are
//! in pre-order), or best-first by impurity improvement when
//! `max_leaf_nodes` is set (`BestFirstTreeBuilder`). Stopping rules, their
//! order and the `EPSILON` tolerances are scikit-learn's.

use super::criterion::{Criterion, CriterionKind};
use super::node::{SplitNode, TreeNodes, LEAF};
use super::splitter::{SplitRecord, Splitter, SplitterConfig};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// scikit-learn's `EPSILON` (`np.finfo('double').eps`).
const EPSILON: f64 = f64::EPSILON;

/// Resolved controls of one tree (counts already derived from fractions).
#[derive(Debug, Clone)]
pub(crate) struct TreeConfig {
    pub criterion: CriterionKind,
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_weight_fraction_leaf: f64,
    pub max_features: usize,
    pub max_leaf_nodes: Option<usize>,
    pub min_impurity_decrease: f64,
    /// Minimal cost-complexity pruning after growth (0: none).
    pub ccp_alpha: f64,
    /// Extra trees' random thresholds.
    pub random: bool,
    /// The classes of a classifier's target (0: regression).
    pub n_classes: usize,
}

/// Fits one tree on float32 columns `x`, target `y` and optional sample
/// weights (a bootstrap's counts); `rand_state` seeds scikit-learn's `rand_r`.
pub(crate) fn build_tree(
    x: &[Vec<f32>],
    y: &[f64],
    weights: Option<&[f64]>,
    config: &TreeConfig,
    rand_state: u32,
) -> TreeNodes {
    let weighted_n_samples = weights.map_or(y.len() as f64, |w| w.iter().sum());
    let min_weight_leaf = config.min_weight_fraction_leaf * weighted_n_samples;
    let criterion = Criterion::new(config.criterion, y, weights, weighted_n_samples, config.n_classes);
    let splitter_config = SplitterConfig {
        max_features: config.max_features,
        min_samples_leaf: config.min_samples_leaf,
        min_weight_leaf,
        random: config.random,
    };
    let mut builder = Builder {
        splitter: Splitter::new(x, criterion, splitter_config, weights, rand_state),
        config,
        min_weight_leaf,
        tree: TreeNodes { n_classes: config.n_classes, ..TreeNodes::default() },
    };
    match config.max_leaf_nodes {
        Some(max_leaf_nodes) => builder.best_first(max_leaf_nodes),
        None => builder.depth_first(),
    }
    if config.ccp_alpha > 0.0 {
        super::prune::prune(builder.tree, config.ccp_alpha)
    } else {
        builder.tree
    }
}

struct Builder<'a, 'b> {
    splitter: Splitter<'a>,
    config: &'b TreeConfig,
    min_weight_leaf: f64,
    tree: TreeNodes,
}

/// A node waiting on the depth-first stack.
struct StackRecord {
    start: usize,
    end: usize,
    depth: usize,
    parent: Option<(usize, bool)>,
    impurity: f64,
    n_constant_features: usize,
}

/// A node added by best-first growth, waiting to be expanded.
struct FrontierRecord {
    node: usize,
    start: usize,
    end: usize,
    pos: usize,
    depth: usize,
    is_leaf: bool,
    improvement: f64,
    impurity_left: f64,
    impurity_right: f64,
    order: usize,
}

impl PartialEq for FrontierRecord {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for FrontierRecord {}
impl PartialOrd for FrontierRecord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for FrontierRecord {
    /// The largest improvement first; equal ones in the order they were added.
    fn cmp(&self, other: &Self) -> Ordering {
        self.improvement.total_cmp(&other.improvement).then_with(|| other.order.cmp(&self.order))
    }
}

impl Builder<'_, '_> {
    /// Whether a node of `n_node` rows and weight `weighted` may not split.
    fn too_small(&self, depth: usize, n_node: usize, weighted: f64) -> bool {
        depth >= self.config.max_depth
            || n_node < self.config.min_samples_split
            || n_node < 2 * self.config.min_samples_leaf
            || weighted < 2.0 * self.min_weight_leaf
    }

    /// Adds a node (a split or a leaf) under `parent` and returns its id.
    fn add_node(
        &mut self,
        parent: Option<(usize, bool)>,
        split: Option<&SplitRecord>,
        impurity: f64,
        n_node: usize,
    ) -> usize {
        let split_node = match split {
            Some(split) => SplitNode { feature: split.feature as u32, left: 0, right: 0, threshold: split.threshold },
            None => SplitNode { feature: LEAF, left: LEAF, right: LEAF, threshold: -2.0 },
        };
        let weighted = self.splitter.criterion.weighted_n_node_samples;
        let id = self.tree.add(split_node, impurity, n_node, weighted);
        self.tree.value[id] = self.splitter.criterion.node_value();
        if let Some(fractions) = self.splitter.criterion.class_fractions() {
            self.tree.class_value.extend(fractions);
        }
        if let Some((parent, is_left)) = parent {
            let node = &mut self.tree.nodes[parent];
            if is_left {
                node.left = id as u32;
            } else {
                node.right = id as u32;
            }
        }
        id
    }

    fn depth_first(&mut self) {
        let n_samples = self.splitter.samples.len();
        let mut stack = vec![StackRecord {
            start: 0,
            end: n_samples,
            depth: 0,
            parent: None,
            impurity: f64::INFINITY,
            n_constant_features: 0,
        }];
        let mut first = true;
        while let Some(record) = stack.pop() {
            let n_node = record.end - record.start;
            self.splitter.node_reset(record.start, record.end);
            let mut is_leaf = self.too_small(record.depth, n_node, self.splitter.criterion.weighted_n_node_samples);
            let mut impurity = record.impurity;
            if first {
                impurity = self.splitter.criterion.node_impurity(&self.splitter.samples);
                first = false;
            }
            is_leaf = is_leaf || impurity <= EPSILON;
            let mut n_constant_features = record.n_constant_features;
            let mut split = None;
            if !is_leaf {
                let found = self.splitter.node_split(impurity, &mut n_constant_features);
                is_leaf = found.pos >= record.end || found.improvement + EPSILON < self.config.min_impurity_decrease;
                split = Some(found);
            }
            let split = split.filter(|_| !is_leaf);
            let node = self.add_node(record.parent, split.as_ref(), impurity, n_node);
            if let Some(split) = split {
                let child = |start, end, is_left, impurity| StackRecord {
                    start,
                    end,
                    depth: record.depth + 1,
                    parent: Some((node, is_left)),
                    impurity,
                    n_constant_features,
                };
                stack.push(child(split.pos, record.end, false, split.impurity_right));
                stack.push(child(record.start, split.pos, true, split.impurity_left));
            }
        }
    }

    /// scikit-learn's `_add_split_node`: adds the node and finds its split
    /// (with no memory of constant features, as there).
    #[allow(clippy::too_many_arguments)]
    fn add_split_node(
        &mut self,
        start: usize,
        end: usize,
        impurity: f64,
        is_first: bool,
        parent: Option<(usize, bool)>,
        depth: usize,
        order: usize,
    ) -> FrontierRecord {
        self.splitter.node_reset(start, end);
        let impurity = if is_first { self.splitter.criterion.node_impurity(&self.splitter.samples) } else { impurity };
        let n_node = end - start;
        let mut is_leaf =
            self.too_small(depth, n_node, self.splitter.criterion.weighted_n_node_samples) || impurity <= EPSILON;
        let mut split = None;
        if !is_leaf {
            let mut n_constant_features = 0;
            let found = self.splitter.node_split(impurity, &mut n_constant_features);
            is_leaf = found.pos >= end || found.improvement + EPSILON < self.config.min_impurity_decrease;
            split = Some(found);
        }
        let split = split.filter(|_| !is_leaf);
        let node = self.add_node(parent, split.as_ref(), impurity, n_node);
        FrontierRecord {
            node,
            start,
            end,
            pos: split.map_or(end, |s| s.pos),
            depth,
            is_leaf,
            improvement: split.map_or(0.0, |s| s.improvement),
            impurity_left: split.map_or(impurity, |s| s.impurity_left),
            impurity_right: split.map_or(impurity, |s| s.impurity_right),
            order,
        }
    }

    fn best_first(&mut self, max_leaf_nodes: usize) {
        let mut max_split_nodes = max_leaf_nodes.saturating_sub(1);
        let n_samples = self.splitter.samples.len();
        let mut order = 0;
        let mut frontier = BinaryHeap::new();
        frontier.push(self.add_split_node(0, n_samples, f64::INFINITY, true, None, 0, order));
        while let Some(record) = frontier.pop() {
            if record.is_leaf || max_split_nodes == 0 {
                self.tree.make_leaf(record.node);
                continue;
            }
            max_split_nodes -= 1;
            let depth = record.depth + 1;
            order += 1;
            let left = self.add_split_node(
                record.start,
                record.pos,
                record.impurity_left,
                false,
                Some((record.node, true)),
                depth,
                order,
            );
            order += 1;
            let right = self.add_split_node(
                record.pos,
                record.end,
                record.impurity_right,
                false,
                Some((record.node, false)),
                depth,
                order,
            );
            frontier.push(left);
            frontier.push(right);
        }
    }
}
