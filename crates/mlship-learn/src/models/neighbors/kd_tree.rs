//! Exact k-nearest-neighbour search: a kd-tree built the way scikit-learn's
//! `KDTree` is (split on the dimension of largest spread at the median, node
//! `i`'s children are `2i+1` and `2i+2`, leaves hold `leaf_size` to
//! `2·leaf_size` rows), kept in flat arrays and walked with an explicit stack
//! so no depth of data can overflow the call stack; and the brute-force scan
//! it must agree with.
//!
//! Both paths rank candidates by (reduced distance, training index) with one
//! distance function, so they return the same neighbours bit for bit, ties in
//! distance going to the lower training index. The tree only prunes a node
//! whose box is strictly farther than the current k-th candidate: a box's
//! lower bound is summed in the same order and with the same rounding as a
//! point's distance, so it never exceeds the distance of a row inside it, and
//! a row at exactly the k-th distance (which may win on index) is never
//! skipped.

use serde::{Deserialize, Serialize};

/// How one coordinate difference adds to a reduced distance: the Minkowski
/// distance without its final root (squared Euclidean for p = 2, Manhattan
/// for p = 1), which orders rows as the distance does.
pub(super) trait Term {
    fn term(&self, difference: f64) -> f64;

    /// The reduced distance between two rows.
    #[inline(always)]
    fn rdist(&self, a: &[f64], b: &[f64]) -> f64 {
        lane_sum(a, b, b, |u, v, _| self.term(u - v))
    }
}

/// Σ f(aₖ, bₖ, cₖ), summed in four interleaved lanes (coordinate k goes to
/// lane k mod 4; the lanes are then added pairwise) so the additions do not
/// wait on one another and the loop vectorises. Points and boxes are summed
/// by this one function: the same summation tree over termwise smaller terms
/// gives a smaller-or-equal result in floating point, which the tree's
/// pruning relies on.
#[inline(always)]
fn lane_sum(a: &[f64], b: &[f64], c: &[f64], f: impl Fn(f64, f64, f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (a_chunks, a_rest) = a.as_chunks::<4>();
    let (b_chunks, b_rest) = b.as_chunks::<4>();
    let (c_chunks, c_rest) = c.as_chunks::<4>();
    for ((x, y), z) in a_chunks.iter().zip(b_chunks).zip(c_chunks) {
        for lane in 0..4 {
            lanes[lane] += f(x[lane], y[lane], z[lane]);
        }
    }
    for (lane, ((x, y), z)) in a_rest.iter().zip(b_rest).zip(c_rest).enumerate() {
        lanes[lane] += f(*x, *y, *z);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

pub(super) struct Euclidean;
pub(super) struct Manhattan;
pub(super) struct Minkowski(pub f64);

impl Term for Euclidean {
    #[inline]
    fn term(&self, difference: f64) -> f64 {
        difference * difference
    }
}

impl Term for Manhattan {
    #[inline]
    fn term(&self, difference: f64) -> f64 {
        difference.abs()
    }
}

impl Term for Minkowski {
    #[inline]
    fn term(&self, difference: f64) -> f64 {
        difference.abs().powf(self.0)
    }
}

/// One candidate neighbour: its reduced distance, its training index (the
/// tie-break) and where its row is stored.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub rdist: f64,
    pub train_index: u32,
    pub position: u32,
}

impl Candidate {
    fn before(&self, other: &Candidate) -> bool {
        self.rdist.total_cmp(&other.rdist).then(self.train_index.cmp(&other.train_index)).is_lt()
    }
}

/// The k best candidates so far, as a max-heap on (rdist, training index):
/// the root is the one the next better candidate replaces.
pub(super) struct NeighbourHeap {
    k: usize,
    items: Vec<Candidate>,
}

impl NeighbourHeap {
    pub fn new(k: usize) -> Self {
        NeighbourHeap { k, items: Vec::with_capacity(k) }
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    fn is_full(&self) -> bool {
        self.items.len() == self.k
    }

    /// The reduced distance a node must not exceed to hold a better row.
    fn worst(&self) -> f64 {
        if self.is_full() {
            self.items[0].rdist
        } else {
            f64::INFINITY
        }
    }

    /// Whether a row at `rdist` with `train_index` would enter the heap.
    #[inline(always)]
    fn accepts(&self, rdist: f64, train_index: u32) -> bool {
        !self.is_full()
            || (self.k > 0
                && rdist.total_cmp(&self.items[0].rdist).then(train_index.cmp(&self.items[0].train_index)).is_lt())
    }

    #[inline]
    pub fn offer(&mut self, candidate: Candidate) {
        if !self.is_full() {
            self.items.push(candidate);
            let mut child = self.items.len() - 1;
            while child > 0 {
                let parent = (child - 1) / 2;
                if self.items[parent].before(&self.items[child]) {
                    self.items.swap(parent, child);
                    child = parent;
                } else {
                    break;
                }
            }
        } else if self.k > 0 && candidate.before(&self.items[0]) {
            self.items[0] = candidate;
            self.sift_down();
        }
    }

    fn sift_down(&mut self) {
        let n = self.items.len();
        let mut parent = 0;
        loop {
            let (left, right) = (2 * parent + 1, 2 * parent + 2);
            let mut largest = parent;
            if left < n && self.items[largest].before(&self.items[left]) {
                largest = left;
            }
            if right < n && self.items[largest].before(&self.items[right]) {
                largest = right;
            }
            if largest == parent {
                return;
            }
            self.items.swap(parent, largest);
            parent = largest;
        }
    }

    /// The neighbours, nearest first (ties by training index).
    pub fn sorted(&mut self) -> &[Candidate] {
        self.items.sort_unstable_by(|a, b| a.rdist.total_cmp(&b.rdist).then(a.train_index.cmp(&b.train_index)));
        &self.items
    }
}

/// The stored rows and their training indices, row-major, in the order the
/// search reads them.
pub(super) struct Rows<'a> {
    pub values: &'a [f64],
    pub train_index: &'a [u32],
    pub n_features: usize,
}

impl Rows<'_> {
    #[inline]
    fn offer_range<T: Term>(&self, term: &T, query: &[f64], start: usize, end: usize, heap: &mut NeighbourHeap) {
        let d = self.n_features;
        let rows = self.values[start * d..end * d].chunks_exact(d);
        for ((position, row), &train_index) in (start..end).zip(rows).zip(&self.train_index[start..end]) {
            let rdist = term.rdist(query, row);
            if heap.accepts(rdist, train_index) {
                heap.offer(Candidate { rdist, train_index, position: position as u32 });
            }
        }
    }

    /// Every row, in storage order.
    pub fn brute_force<T: Term>(&self, term: &T, query: &[f64], heap: &mut NeighbourHeap) {
        heap.clear();
        self.offer_range(term, query, 0, self.train_index.len(), heap);
    }
}

/// The tree: node ranges over the stored rows (which the build put in leaf
/// order) and each node's bounding box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KdTree {
    /// Levels of the complete binary tree; the last holds the leaves.
    pub n_levels: u32,
    /// Per node, the first stored row.
    pub node_start: Vec<u32>,
    /// Per node, one past the last stored row.
    pub node_end: Vec<u32>,
    /// Per node, per feature: the smallest value in the node (node-major).
    pub lower: Vec<f64>,
    /// Per node, per feature: the largest value in the node (node-major).
    pub upper: Vec<f64>,
}

/// scikit-learn's `n_levels = 1 + floor(log2(max(1, (n - 1) / leaf_size)))`.
fn levels(n_rows: usize, leaf_size: usize) -> u32 {
    let ratio = (n_rows.saturating_sub(1) / leaf_size.max(1)).max(1);
    ratio.ilog2() + 1
}

impl KdTree {
    /// Builds the tree over `rows` (row-major, `n_features` wide) and
    /// returns it with the permutation that puts the rows in leaf order.
    pub fn build(rows: &[f64], n_features: usize, leaf_size: usize) -> (KdTree, Vec<u32>) {
        let n_rows = rows.len().checked_div(n_features).unwrap_or(0);
        let n_levels = levels(n_rows, leaf_size);
        let n_nodes = (1usize << n_levels) - 1;
        let n_internal = (1usize << (n_levels - 1)) - 1;
        let mut order: Vec<u32> = (0..n_rows as u32).collect();
        let mut tree = KdTree {
            n_levels,
            node_start: vec![0; n_nodes],
            node_end: vec![0; n_nodes],
            lower: vec![0.0; n_nodes * n_features],
            upper: vec![0.0; n_nodes * n_features],
        };
        tree.node_end[0] = n_rows as u32;
        // Parents come before children in index order, so one pass builds
        // the whole tree without recursion.
        for node in 0..n_nodes {
            let (start, end) = (tree.node_start[node] as usize, tree.node_end[node] as usize);
            let (lower, upper) = bounding_box(rows, n_features, &order[start..end]);
            tree.lower[node * n_features..(node + 1) * n_features].copy_from_slice(&lower);
            tree.upper[node * n_features..(node + 1) * n_features].copy_from_slice(&upper);
            if node >= n_internal {
                continue;
            }
            let split = widest_dimension(&lower, &upper);
            let middle = start + (end - start) / 2;
            if end - start >= 2 {
                let key = |row: u32| rows[row as usize * n_features + split];
                order[start..end]
                    .select_nth_unstable_by(middle - start, |&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
            }
            let (left, right) = (2 * node + 1, 2 * node + 2);
            tree.node_start[left] = start as u32;
            tree.node_end[left] = middle as u32;
            tree.node_start[right] = middle as u32;
            tree.node_end[right] = end as u32;
        }
        (tree, order)
    }

    fn n_internal(&self) -> usize {
        (1usize << (self.n_levels - 1)) - 1
    }

    /// Structural consistency for `n_rows` stored rows of `n_features`: a
    /// tree read from a file is checked once before it is walked.
    pub fn is_consistent(&self, n_rows: usize, n_features: usize) -> bool {
        if self.n_levels == 0 || self.n_levels > 40 {
            return false;
        }
        let n_nodes = (1usize << self.n_levels) - 1;
        let n_bounds = n_nodes.checked_mul(n_features);
        self.node_start.len() == n_nodes
            && self.node_end.len() == n_nodes
            && n_bounds == Some(self.lower.len())
            && n_bounds == Some(self.upper.len())
            && self.node_start.iter().zip(&self.node_end).all(|(s, e)| s <= e && *e as usize <= n_rows)
    }

    /// The smallest reduced distance from `query` to any point of `node`'s box.
    #[inline]
    fn min_rdist<T: Term>(&self, term: &T, node: usize, query: &[f64]) -> f64 {
        let d = query.len();
        let (lower, upper) = (&self.lower[node * d..(node + 1) * d], &self.upper[node * d..(node + 1) * d]);
        lane_sum(query, lower, upper, |q, lo, hi| {
            let excess = if q < lo {
                lo - q
            } else if q > hi {
                q - hi
            } else {
                0.0
            };
            term.term(excess)
        })
    }

    /// The k nearest stored rows to `query` into `heap`; `stack` is reused
    /// between queries.
    pub(super) fn query<T: Term>(
        &self,
        term: &T,
        rows: &Rows<'_>,
        query: &[f64],
        heap: &mut NeighbourHeap,
        stack: &mut Vec<(usize, f64)>,
    ) {
        heap.clear();
        stack.clear();
        stack.push((0, self.min_rdist(term, 0, query)));
        let n_internal = self.n_internal();
        while let Some((node, bound)) = stack.pop() {
            if bound > heap.worst() {
                continue;
            }
            if node >= n_internal {
                let (start, end) = (self.node_start[node] as usize, self.node_end[node] as usize);
                rows.offer_range(term, query, start, end, heap);
                continue;
            }
            let (left, right) = (2 * node + 1, 2 * node + 2);
            let (left_bound, right_bound) = (self.min_rdist(term, left, query), self.min_rdist(term, right, query));
            // The nearer child is popped first, so the heap tightens early.
            if left_bound <= right_bound {
                stack.push((right, right_bound));
                stack.push((left, left_bound));
            } else {
                stack.push((left, left_bound));
                stack.push((right, right_bound));
            }
        }
    }
}

fn bounding_box(rows: &[f64], n_features: usize, members: &[u32]) -> (Vec<f64>, Vec<f64>) {
    let mut lower = vec![f64::INFINITY; n_features];
    let mut upper = vec![f64::NEG_INFINITY; n_features];
    for &row in members {
        let values = &rows[row as usize * n_features..(row as usize + 1) * n_features];
        for ((lo, hi), v) in lower.iter_mut().zip(upper.iter_mut()).zip(values) {
            *lo = lo.min(*v);
            *hi = hi.max(*v);
        }
    }
    (lower, upper)
}

/// The first dimension of largest spread (scikit-learn's `find_node_split_dim`).
fn widest_dimension(lower: &[f64], upper: &[f64]) -> usize {
    let mut best = 0;
    let mut best_spread = f64::NEG_INFINITY;
    for (dimension, (lo, hi)) in lower.iter().zip(upper).enumerate() {
        let spread = hi - lo;
        if spread > best_spread {
            best_spread = spread;
            best = dimension;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_rows(n_rows: usize, n_features: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n_rows * n_features)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Coarse values, so many exact ties in distance.
                ((state >> 40) % 7) as f64
            })
            .collect()
    }

    fn neighbours<T: Term>(term: &T, rows: &Rows<'_>, tree: Option<&KdTree>, query: &[f64], k: usize) -> Vec<u32> {
        let mut heap = NeighbourHeap::new(k);
        let mut stack = Vec::new();
        match tree {
            Some(tree) => tree.query(term, rows, query, &mut heap, &mut stack),
            None => rows.brute_force(term, query, &mut heap),
        }
        heap.sorted().iter().map(|c| c.train_index).collect()
    }

    #[test]
    fn tree_and_brute_force_agree_even_with_ties() {
        let (n_rows, n_features) = (500, 3);
        let values = lcg_rows(n_rows, n_features, 9);
        let identity: Vec<u32> = (0..n_rows as u32).collect();
        let brute = Rows { values: &values, train_index: &identity, n_features };
        let (tree, order) = KdTree::build(&values, n_features, 4);
        assert!(tree.is_consistent(n_rows, n_features));
        let sorted: Vec<f64> = order
            .iter()
            .flat_map(|&r| values[r as usize * n_features..(r as usize + 1) * n_features].to_vec())
            .collect();
        let in_tree = Rows { values: &sorted, train_index: &order, n_features };
        let queries = lcg_rows(40, n_features, 77);
        for query in queries.chunks(n_features) {
            for k in [1, 5, 37, 500] {
                let expected = neighbours(&Euclidean, &brute, None, query, k);
                assert_eq!(neighbours(&Euclidean, &in_tree, Some(&tree), query, k), expected);
                assert_eq!(
                    neighbours(&Manhattan, &in_tree, Some(&tree), query, k),
                    neighbours(&Manhattan, &brute, None, query, k)
                );
                assert_eq!(
                    neighbours(&Minkowski(3.0), &in_tree, Some(&tree), query, k),
                    neighbours(&Minkowski(3.0), &brute, None, query, k)
                );
            }
        }
    }

    #[test]
    fn ties_go_to_the_lower_training_index() {
        // Rows 0..4 are all at distance 1 from the query.
        let values = vec![1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0, 5.0, 5.0];
        let identity: Vec<u32> = (0..5).collect();
        let rows = Rows { values: &values, train_index: &identity, n_features: 2 };
        assert_eq!(neighbours(&Euclidean, &rows, None, &[0.0, 0.0], 2), vec![0, 1]);
        let (tree, order) = KdTree::build(&values, 2, 1);
        let sorted: Vec<f64> =
            order.iter().flat_map(|&r| values[r as usize * 2..r as usize * 2 + 2].to_vec()).collect();
        let in_tree = Rows { values: &sorted, train_index: &order, n_features: 2 };
        assert_eq!(neighbours(&Euclidean, &in_tree, Some(&tree), &[0.0, 0.0], 2), vec![0, 1]);
    }

    #[test]
    fn a_deep_tree_of_identical_rows_builds_and_answers() {
        let values = vec![2.5; 100_000];
        let (tree, order) = KdTree::build(&values, 1, 1);
        assert!(tree.n_levels > 15);
        let in_tree = Rows { values: &values, train_index: &order, n_features: 1 };
        assert_eq!(neighbours(&Euclidean, &in_tree, Some(&tree), &[0.0], 3), vec![0, 1, 2]);
    }
}
