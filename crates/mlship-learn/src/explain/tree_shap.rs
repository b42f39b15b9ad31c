//! Exact path-dependent TreeSHAP (Lundberg et al. 2018, "Consistent
//! individualized feature attribution for tree ensembles", Algorithm 2), as
//! `shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")`
//! computes it: a feature left out of a coalition follows both children of a
//! split, weighted by the children's share of the node's cover. The cover
//! is what each library records: scikit-learn's `weighted_n_node_samples`,
//! XGBoost's hessian sums (`cover`), LightGBM's data counts
//! (`internal_count`); shap hands XGBoost and LightGBM models to the
//! libraries' own `pred_contribs`, which run this algorithm on those covers.
//!
//! Each model becomes a list of `ShapTree`s (nodes, cover, per-node values
//! with the internal ones set to the cover-weighted mean of their leaves,
//! scaled as the model adds the tree) and base scores; a row's values are
//! the sum over trees (Shapley values are linear in the model).

use super::{Explanation, Method, OutputKind};
use crate::matrix::Matrix;
use crate::models::hist::FittedBoosting;
use crate::models::tree::{SplitNode, TreeNodes, LEAF};
use crate::models::FittedModel;
use crate::LearnError;

/// The deepest tree explained: the walk recurses once per level and keeps
/// a path per level (memory quadratic in the depth).
const MAX_DEPTH: usize = 512;

/// How a row's value is read before comparing it with thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Inputs {
    /// Rounded to float32 (scikit-learn's trees, XGBoost).
    Float32,
    /// As is (LightGBM).
    Float64,
}

/// One tree ready for TreeSHAP.
struct ShapTree<'a> {
    nodes: &'a [SplitNode],
    /// Each node's cover.
    cover: Vec<f64>,
    /// `n_values` per node: leaf values scaled as the model adds them;
    /// internal nodes hold the cover-weighted mean of their subtree.
    values: Vec<f64>,
    n_values: usize,
    /// The first output the values add to.
    output: usize,
    /// For each node, whether a NaN goes left (scikit-learn: the child with
    /// more training rows; the histogram libraries here: right).
    nan_left: Vec<bool>,
    max_depth: usize,
}

/// The model's trees as TreeSHAP reads them.
struct Ensemble<'a> {
    trees: Vec<ShapTree<'a>>,
    /// The constant each output starts from (init, base score).
    base: Vec<f64>,
    inputs: Inputs,
    kind: OutputKind,
    /// The class code of each output, for a classifier.
    classes: Vec<Option<usize>>,
}

/// Whether TreeSHAP can explain `model` exactly.
pub fn supports(model: &FittedModel) -> bool {
    matches!(
        model,
        FittedModel::Tree(_) | FittedModel::Forest(_) | FittedModel::Boosted(_) | FittedModel::BoostedClassifier(_)
    ) || matches!(model, FittedModel::Boosting(b) if b.classes.as_ref().is_none_or(|c| c.trained.len() >= 2))
}

/// Exact TreeSHAP values of every row of `x` (the model's input matrix).
pub fn explain(model: &FittedModel, x: &Matrix) -> Result<Explanation, LearnError> {
    let ensemble = ensemble(model)?;
    let n_features = model.n_features();
    x.expect_width(n_features, "TreeSHAP")?;
    let depth = ensemble.trees.iter().map(|t| t.max_depth).max().unwrap_or(0);
    if depth > MAX_DEPTH {
        return Err(LearnError::InvalidOption(format!(
            "TreeSHAP: a tree is {depth} levels deep (at most {MAX_DEPTH}: its path memory grows with the \
             square of the depth); use --method permutation"
        )));
    }
    let n_outputs = ensemble.base.len();
    let mut expected_value = ensemble.base.clone();
    for tree in &ensemble.trees {
        for k in 0..tree.n_values {
            expected_value[tree.output + k] += tree.values.get(k).copied().unwrap_or(0.0);
        }
    }
    let mut values = vec![0.0; x.n_rows * n_features * n_outputs];
    let width = (n_features * n_outputs).max(1);
    // Rows are independent: blocks of rows on every core (each its own path buffer).
    let threads = crate::models::hist::n_threads(x.n_rows.div_ceil(64));
    let per_thread = x.n_rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (block, out) in values.chunks_mut(per_thread * width).enumerate() {
            let ensemble = &ensemble;
            scope.spawn(move || explain_rows(ensemble, x, block * per_thread, out, width, n_outputs));
        }
    });
    Ok(Explanation {
        method: Method::Tree,
        kind: ensemble.kind,
        classes: ensemble.classes,
        expected_value,
        n_rows: x.n_rows,
        n_features,
        values,
    })
}

/// The values of the rows from `first` on, one `width` chunk of `out` each.
fn explain_rows(ensemble: &Ensemble<'_>, x: &Matrix, first: usize, out: &mut [f64], width: usize, n_outputs: usize) {
    let mut row = vec![0.0; x.n_cols()];
    let max_depth = ensemble.trees.iter().map(|t| t.max_depth).max().unwrap_or(0);
    let maxd = max_depth + 2;
    // Node paths start at triangular offsets (each level copies its parent's).
    let mut path = vec![PathElement::default(); (maxd + 2) * (maxd + 3) / 2 + maxd + 3];
    for (i, phi) in out.chunks_mut(width).enumerate() {
        for (j, column) in x.columns.iter().enumerate() {
            let value = column.get(first + i).copied().unwrap_or(f64::NAN);
            row[j] = if ensemble.inputs == Inputs::Float32 { f64::from(value as f32) } else { value };
        }
        for tree in &ensemble.trees {
            let mut walk = Walk { tree, row: &row, phi: &mut *phi, n_outputs, path: &mut path };
            walk.recurse(0, 0, 0, 1.0, 1.0, None);
        }
    }
}

/// A model's raw output as TreeSHAP explains it, summed in float64 (the
/// additivity check's reference): row-major, one value per output.
pub fn raw_output(model: &FittedModel, x: &Matrix) -> Result<Vec<f64>, LearnError> {
    let ensemble = ensemble(model)?;
    x.expect_width(model.n_features(), "TreeSHAP")?;
    let n_outputs = ensemble.base.len();
    let mut out = Vec::with_capacity(x.n_rows * n_outputs);
    let mut row = vec![0.0; x.n_cols()];
    for i in 0..x.n_rows {
        for (j, column) in x.columns.iter().enumerate() {
            row[j] = if ensemble.inputs == Inputs::Float32 { f64::from(column[i] as f32) } else { column[i] };
        }
        let mut sums = ensemble.base.clone();
        for tree in &ensemble.trees {
            let leaf = tree.leaf(&row);
            for k in 0..tree.n_values {
                sums[tree.output + k] += tree.values[leaf * tree.n_values + k];
            }
        }
        out.extend(sums);
    }
    Ok(out)
}

fn regression(trees: Vec<ShapTree<'_>>, base: f64) -> Ensemble<'_> {
    Ensemble { trees, base: vec![base], inputs: Inputs::Float32, kind: OutputKind::Value, classes: vec![None] }
}

fn ensemble(model: &FittedModel) -> Result<Ensemble<'_>, LearnError> {
    Ok(match model {
        FittedModel::Tree(fitted) => sklearn_trees(std::slice::from_ref(&fitted.tree), 1.0),
        FittedModel::Forest(fitted) => {
            let scale = 1.0 / fitted.trees.len().max(1) as f64;
            sklearn_trees(&fitted.trees, scale)
        }
        FittedModel::Boosted(fitted) => regression(
            fitted.trees.iter().map(|t| ShapTree::sklearn(t, fitted.learning_rate, 0)).collect(),
            fitted.init,
        ),
        FittedModel::BoostedClassifier(fitted) => {
            let trees = fitted
                .trees
                .iter()
                .enumerate()
                .flat_map(|(k, trees)| trees.iter().map(move |t| ShapTree::sklearn(t, fitted.learning_rate, k)))
                .collect();
            let classes = if fitted.init.len() == 1 {
                vec![fitted.classes.get(1).copied()]
            } else {
                fitted.classes.iter().map(|&c| Some(c)).collect()
            };
            Ensemble { trees, base: fitted.init.clone(), inputs: Inputs::Float32, kind: OutputKind::Margin, classes }
        }
        FittedModel::Boosting(fitted) => boosting(fitted)?,
        _ => {
            return Err(LearnError::InvalidOption(
                "TreeSHAP explains tree models (dt, rf, et, gbr, gbc, lightgbm, xgboost); use --method permutation"
                    .to_string(),
            ))
        }
    })
}

/// scikit-learn trees whose values add `scale` times: a regressor's one
/// value, a classifier's class fractions (one output per class).
fn sklearn_trees(trees: &[TreeNodes], scale: f64) -> Ensemble<'_> {
    let n_classes = trees.first().map_or(0, |t| t.n_classes);
    let shap_trees = trees.iter().map(|t| ShapTree::sklearn(t, scale, 0)).collect();
    if n_classes == 0 {
        Ensemble {
            trees: shap_trees,
            base: vec![0.0],
            inputs: Inputs::Float32,
            kind: OutputKind::Value,
            classes: vec![None],
        }
    } else {
        Ensemble {
            trees: shap_trees,
            base: vec![0.0; n_classes],
            inputs: Inputs::Float32,
            kind: OutputKind::Probability,
            classes: (0..n_classes).map(Some).collect(),
        }
    }
}

/// LightGBM/XGBoost: trees on the raw margin, tree `t` adding to output `t % groups`.
fn boosting(fitted: &FittedBoosting) -> Result<Ensemble<'_>, LearnError> {
    let inputs = if fitted.float32 { Inputs::Float32 } else { Inputs::Float64 };
    // XGBoost's cover is the hessian sum; LightGBM's the data count.
    let xgboost = fitted.library == "xgboost";
    let (base, kind, classes) = match &fitted.classes {
        None => (vec![fitted.base_score], OutputKind::Value, vec![None]),
        Some(classes) if classes.trained.len() == 2 => {
            (classes.base_scores.clone(), OutputKind::Margin, vec![classes.trained.get(1).copied()])
        }
        Some(classes) if classes.trained.len() > 2 => {
            (classes.base_scores.clone(), OutputKind::Margin, classes.trained.iter().map(|&c| Some(c)).collect())
        }
        Some(_) => {
            return Err(LearnError::InvalidOption(
                "the boosted classifier saw one class only: it has no trees to explain".to_string(),
            ))
        }
    };
    let groups = base.len().max(1);
    let trees = fitted
        .trees
        .iter()
        .enumerate()
        .map(|(t, tree)| {
            let cover: Vec<f64> = if xgboost {
                tree.weighted_n_node_samples.clone()
            } else {
                tree.n_node_samples.iter().map(|&n| n as f64).collect()
            };
            let values = tree.value.clone();
            ShapTree::new(&tree.nodes, cover, values, 1, t % groups, vec![false; tree.nodes.len()])
        })
        .collect();
    Ok(Ensemble { trees, base, inputs, kind, classes })
}

impl<'a> ShapTree<'a> {
    /// A scikit-learn tree: cover `weighted_n_node_samples`, leaf values
    /// (class fractions for a classifier) times `scale`.
    fn sklearn(tree: &'a TreeNodes, scale: f64, output: usize) -> Self {
        let (values, n_values) = if tree.n_classes > 0 {
            (tree.class_value.iter().map(|v| v * scale).collect(), tree.n_classes)
        } else {
            (tree.value.iter().map(|v| v * scale).collect(), 1)
        };
        let nan_left = tree
            .nodes
            .iter()
            .map(|node| {
                node.feature != LEAF
                    && tree.n_node_samples.get(node.left as usize) > tree.n_node_samples.get(node.right as usize)
            })
            .collect();
        ShapTree::new(&tree.nodes, tree.weighted_n_node_samples.clone(), values, n_values, output, nan_left)
    }

    fn new(
        nodes: &'a [SplitNode],
        cover: Vec<f64>,
        values: Vec<f64>,
        n_values: usize,
        output: usize,
        nan_left: Vec<bool>,
    ) -> Self {
        let mut tree = ShapTree { nodes, cover, values, n_values, output, nan_left, max_depth: 0 };
        if !tree.nodes.is_empty() {
            tree.max_depth = tree.expectations(0, 0);
        }
        tree
    }

    /// shap's `compute_expectations`: each internal node's values become the
    /// cover-weighted mean of its children's; returns the subtree's depth.
    fn expectations(&mut self, node: usize, depth: usize) -> usize {
        let split = self.nodes[node];
        if split.feature == LEAF {
            return 0;
        }
        if depth > MAX_DEPTH {
            // Too deep to explain (refused by `explain`): stop recursing here.
            return MAX_DEPTH + 1;
        }
        let (left, right) = (split.left as usize, split.right as usize);
        let depth_left = self.expectations(left, depth + 1);
        let depth_right = self.expectations(right, depth + 1);
        let (wl, wr) = (self.cover[left], self.cover[right]);
        let k = self.n_values;
        for j in 0..k {
            self.values[node * k + j] = if wl == 0.0 && wr == 0.0 {
                0.0
            } else {
                (wl * self.values[left * k + j] + wr * self.values[right * k + j]) / (wl + wr)
            };
        }
        depth_left.max(depth_right) + 1
    }

    /// The child `row` follows at the internal `node`.
    #[inline]
    fn hot_child(&self, node: usize, row: &[f64]) -> usize {
        let split = &self.nodes[node];
        let value = row[split.feature as usize];
        if value.is_nan() {
            return if self.nan_left[node] { split.left } else { split.right } as usize;
        }
        (if value <= split.threshold { split.left } else { split.right }) as usize
    }

    fn leaf(&self, row: &[f64]) -> usize {
        let mut node = 0;
        while self.nodes[node].feature != LEAF {
            node = self.hot_child(node, row);
        }
        node
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: Option<u32>,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

/// One row's walk of one tree.
struct Walk<'t, 'a> {
    tree: &'t ShapTree<'a>,
    row: &'t [f64],
    /// The row's values, `n_outputs` per feature.
    phi: &'t mut [f64],
    n_outputs: usize,
    /// Room for the unique paths of every depth (each level copies its parent's).
    path: &'t mut [PathElement],
}

impl Walk<'_, '_> {
    /// Algorithm 2's `RECURSE`, laid out as shap's `tree_shap_recursive`:
    /// the parent's unique path starts at `parent` in `path` and holds
    /// `depth` elements; this node's path is a copy just after it, extended.
    fn recurse(
        &mut self,
        node: usize,
        parent: usize,
        depth: usize,
        zero_fraction: f64,
        one_fraction: f64,
        feature: Option<u32>,
    ) {
        let start = parent + depth + 1;
        self.path.copy_within(parent..parent + depth + 1, start);
        extend(&mut self.path[start..], depth, zero_fraction, one_fraction, feature);
        let tree = self.tree;
        let split = tree.nodes[node];
        if split.feature == LEAF {
            let k = tree.n_values;
            for i in 1..=depth {
                let w = unwound_sum(&self.path[start..], depth, i);
                let element = self.path[start + i];
                let Some(f) = element.feature else { continue };
                let scale = w * (element.one_fraction - element.zero_fraction);
                let at = f as usize * self.n_outputs + tree.output;
                for j in 0..k {
                    self.phi[at + j] += scale * tree.values[node * k + j];
                }
            }
            return;
        }
        let hot = tree.hot_child(node, self.row);
        let cold = if hot == split.left as usize { split.right as usize } else { split.left as usize };
        let w = tree.cover[node];
        let (hot_zero, cold_zero) = if w > 0.0 { (tree.cover[hot] / w, tree.cover[cold] / w) } else { (0.0, 0.0) };
        let mut incoming_zero = 1.0;
        let mut incoming_one = 1.0;
        let mut depth = depth;
        // A feature split on before: undo its extension and redo it here.
        if let Some(index) = (0..=depth).find(|&i| self.path[start + i].feature == Some(split.feature)) {
            incoming_zero = self.path[start + index].zero_fraction;
            incoming_one = self.path[start + index].one_fraction;
            unwind(&mut self.path[start..], depth, index);
            depth -= 1;
        }
        self.recurse(hot, start, depth + 1, hot_zero * incoming_zero, incoming_one, Some(split.feature));
        // A cold child without cover adds nothing (every weight below it is
        // a multiple of its zero fraction); skipping it avoids 0/0.
        if cold_zero * incoming_zero != 0.0 {
            self.recurse(cold, start, depth + 1, cold_zero * incoming_zero, 0.0, Some(split.feature));
        }
    }
}

/// `EXTEND`: grows the path (elements `0..=depth`) by one feature.
fn extend(path: &mut [PathElement], depth: usize, zero_fraction: f64, one_fraction: f64, feature: Option<u32>) {
    path[depth] = PathElement { feature, zero_fraction, one_fraction, pweight: if depth == 0 { 1.0 } else { 0.0 } };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one_fraction * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero_fraction * path[i].pweight * (depth - i) as f64 / d1;
    }
}

/// `UNWIND`: removes element `index` from the path (elements `0..=depth`).
fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one_portion * d1 / ((i + 1) as f64 * one);
            next_one_portion = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].pweight = path[i].pweight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

/// `UNWOUND-SUM`: the path's total weight were element `index` unwound.
fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let mut total = 0.0;
    if one != 0.0 {
        for i in (0..depth).rev() {
            let tmp = next_one_portion / ((i + 1) as f64 * one);
            total += tmp;
            next_one_portion = path[i].pweight - tmp * zero * (depth - i) as f64;
        }
    } else {
        for i in (0..depth).rev() {
            total += path[i].pweight / (zero * (depth - i) as f64);
        }
    }
    total * (depth + 1) as f64
}
