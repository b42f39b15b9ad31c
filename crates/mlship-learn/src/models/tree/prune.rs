//! Minimal cost-complexity pruning (`ccp_alpha`), as scikit-learn's
//! `_cost_complexity_prune` and `_build_pruned_tree_ccp`: repeatedly
//! collapse the internal node with the smallest effective alpha
//! `(R(node) - R(branch)) / (leaves - 1)` while it is at most `ccp_alpha`,
//! then copy the kept nodes into a new tree (pre-order, left first).

use super::node::{SplitNode, TreeNodes, LEAF};

/// The tree pruned at `ccp_alpha` (unchanged when nothing is pruned).
pub(crate) fn prune(tree: TreeNodes, ccp_alpha: f64) -> TreeNodes {
    if tree.nodes.len() <= 1 {
        return tree;
    }
    let mut state = Pruning::new(&tree);
    while state.candidate[0] {
        let (weakest, effective_alpha) = state.weakest_link();
        if ccp_alpha < effective_alpha {
            break;
        }
        state.collapse(&tree, weakest);
    }
    copy_kept(&tree, &state.is_leaf_now)
}

/// scikit-learn's bookkeeping: each node's cost `R(node)`, its branch's
/// cost and leaf count, and which nodes are still in the subtree.
struct Pruning {
    r_node: Vec<f64>,
    r_branch: Vec<f64>,
    n_leaves: Vec<usize>,
    parent: Vec<usize>,
    is_leaf_now: Vec<bool>,
    candidate: Vec<bool>,
    in_subtree: Vec<bool>,
}

impl Pruning {
    fn new(tree: &TreeNodes) -> Self {
        let n_nodes = tree.nodes.len();
        let total = tree.weighted_n_node_samples[0];
        let r_node: Vec<f64> =
            (0..n_nodes).map(|i| tree.weighted_n_node_samples[i] * tree.impurity[i] / total).collect();
        let mut parent = vec![usize::MAX; n_nodes];
        let mut is_leaf_now = vec![false; n_nodes];
        let mut stack = vec![0usize];
        while let Some(node) = stack.pop() {
            if tree.nodes[node].feature == LEAF {
                is_leaf_now[node] = true;
                continue;
            }
            let (left, right) = (tree.nodes[node].left as usize, tree.nodes[node].right as usize);
            parent[left] = node;
            parent[right] = node;
            stack.push(left);
            stack.push(right);
        }
        let mut r_branch = vec![0.0; n_nodes];
        let mut n_leaves = vec![0usize; n_nodes];
        for leaf in (0..n_nodes).filter(|&i| is_leaf_now[i]) {
            r_branch[leaf] = r_node[leaf];
            let mut node = leaf;
            while node != 0 {
                node = parent[node];
                r_branch[node] += r_node[leaf];
                n_leaves[node] += 1;
            }
        }
        let candidate = is_leaf_now.iter().map(|leaf| !leaf).collect();
        Pruning { r_node, r_branch, n_leaves, parent, is_leaf_now, candidate, in_subtree: vec![true; n_nodes] }
    }

    /// The internal node with the smallest effective alpha (the first on ties).
    fn weakest_link(&self) -> (usize, f64) {
        let mut effective_alpha = f64::MAX;
        let mut weakest = 0;
        for i in (0..self.r_node.len()).filter(|&i| self.candidate[i]) {
            let alpha = (self.r_node[i] - self.r_branch[i]) / (self.n_leaves[i] - 1) as f64;
            if alpha < effective_alpha {
                effective_alpha = alpha;
                weakest = i;
            }
        }
        (weakest, effective_alpha)
    }

    /// Makes `weakest` a leaf and updates its ancestors' costs and leaf counts.
    fn collapse(&mut self, tree: &TreeNodes, weakest: usize) {
        let mut stack = vec![weakest];
        while let Some(node) = stack.pop() {
            if !self.in_subtree[node] {
                continue;
            }
            self.candidate[node] = false;
            self.is_leaf_now[node] = false;
            self.in_subtree[node] = false;
            if tree.nodes[node].feature != LEAF {
                stack.push(tree.nodes[node].left as usize);
                stack.push(tree.nodes[node].right as usize);
            }
        }
        self.is_leaf_now[weakest] = true;
        self.in_subtree[weakest] = true;
        let n_pruned = self.n_leaves[weakest] - 1;
        self.n_leaves[weakest] = 0;
        let r_diff = self.r_node[weakest] - self.r_branch[weakest];
        self.r_branch[weakest] = self.r_node[weakest];
        let mut node = self.parent[weakest];
        while node != usize::MAX {
            self.n_leaves[node] -= n_pruned;
            self.r_branch[node] += r_diff;
            node = self.parent[node];
        }
    }
}

/// The nodes reachable from the root, stopping at the new leaves.
fn copy_kept(tree: &TreeNodes, is_leaf_now: &[bool]) -> TreeNodes {
    let mut pruned = TreeNodes { n_classes: tree.n_classes, ..TreeNodes::default() };
    // (original node, new parent and side)
    let mut stack: Vec<(usize, Option<(usize, bool)>)> = vec![(0, None)];
    while let Some((node, parent)) = stack.pop() {
        let split = if is_leaf_now[node] {
            SplitNode { feature: LEAF, left: LEAF, right: LEAF, threshold: -2.0 }
        } else {
            tree.nodes[node]
        };
        let id = pruned.add(
            split,
            tree.impurity[node],
            tree.n_node_samples[node] as usize,
            tree.weighted_n_node_samples[node],
        );
        pruned.value[id] = tree.value[node];
        pruned.class_value.extend_from_slice(tree.class_row(node));
        if let Some((parent, is_left)) = parent {
            if is_left {
                pruned.nodes[parent].left = id as u32;
            } else {
                pruned.nodes[parent].right = id as u32;
            }
        }
        if !is_leaf_now[node] {
            stack.push((tree.nodes[node].right as usize, Some((id, false))));
            stack.push((tree.nodes[node].left as usize, Some((id, true))));
        }
    }
    pruned
}
