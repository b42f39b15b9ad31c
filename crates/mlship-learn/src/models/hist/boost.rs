//! The boosting loop: start from the objective's base scores, fit each
//! round's tree (one per class for softmax) to the gradients and hessians
//! (`objective`; squared error's hessians are 1, so histograms count them
//! instead of summing), add it, repeat.
//!
//! As the libraries do, labels are float32 and gradients float32; LightGBM
//! keeps its scores in float64 and stops when a tree cannot split, XGBoost
//! keeps its predictions (and base score) in float32 and keeps every round.
//! Row subsampling (`subsample`, LightGBM's every `subsample_freq` rounds,
//! XGBoost's every round) and per-tree column sampling (`colsample_bytree`)
//! draw from mlship's seeded Mersenne Twister, not the libraries' streams:
//! with them, parity is statistical.

use super::binning::BinnedMatrix;
use super::grower::{Flavour, Grower, GrownTree, TreeInput, TreeRules};
use super::objective::{self, Objective};
use crate::models::tree::TreeNodes;
use crate::rng::Mt19937;

/// How the trees of one model are drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoostPlan {
    /// Each tree's controls.
    pub rules: TreeRules,
    /// Boosting rounds.
    pub n_estimators: usize,
    /// The fraction of rows each tree sees.
    pub subsample: f64,
    /// Redraw the rows every this many rounds (0: never subsample).
    pub subsample_freq: usize,
    /// The fraction of features each tree may split on.
    pub colsample_bytree: f64,
    /// The seed of the row and column draws.
    pub seed: u32,
    /// XGBoost's `scale_pos_weight`: rows labelled exactly 1 weigh this much
    /// (1 for LightGBM; see `objective::scale_pos_weights`).
    pub scale_pos_weight: f32,
}

/// A boosted ensemble.
pub(crate) struct Boosted {
    /// The initial score of each group (one for regression and two classes).
    pub base_scores: Vec<f64>,
    /// The trees, learning rate applied to their leaf values; with several
    /// groups, round by round, group `k`'s tree at `round * groups + k`.
    pub trees: Vec<TreeNodes>,
    /// The summed split gain of each feature.
    pub total_gain: Vec<f64>,
    /// The number of splits on each feature.
    pub split_count: Vec<usize>,
}

/// `k` of `n` indices, sorted, drawn without replacement.
fn draw_sorted(rng: &mut Mt19937, n: usize, k: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = rng.permutation(n).into_iter().take(k).collect();
    chosen.sort_unstable();
    chosen
}

/// Fits `plan.n_estimators` rounds of trees to `y` (class codes for a
/// classifier) for `objective` on `binned`.
pub(crate) fn boost(binned: &BinnedMatrix, y: &[f64], objective: Objective, plan: &BoostPlan) -> Boosted {
    let n = y.len();
    let n_features = binned.n_features();
    let flavour = plan.rules.flavour;
    let groups = objective.n_groups();
    let labels: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let row_weights = objective::scale_pos_weights(objective, flavour, &labels, plan.scale_pos_weight);
    let base_scores = match &row_weights {
        Some(weights) => objective::newton_base_score(objective, &labels, weights),
        None => objective::base_scores(objective, flavour, &labels),
    };
    // LightGBM's scores are float64, XGBoost's predictions float32; class-major.
    let mut scores: Vec<f64> = base_scores.iter().flat_map(|&b| std::iter::repeat_n(b, n)).collect();
    let mut scores32: Vec<f32> = scores.iter().map(|&b| b as f32).collect();
    let mut grad = vec![0.0f32; n * groups];
    let weighted = row_weights.is_some();
    let mut hess = vec![0.0f32; if objective.has_hessians() || weighted { n * groups } else { 0 }];
    let mut grower = Grower::new(binned, plan.rules);
    let mut rng = Mt19937::new(plan.seed);
    let subsampled = plan.subsample < 1.0 && plan.subsample_freq > 0;
    let n_bag = ((plan.subsample * n as f64) as usize).clamp(1, n);
    let n_used = ((n_features as f64 * plan.colsample_bytree + 0.5) as usize).clamp(1, n_features);
    let mut bag: Vec<u32> = (0..n as u32).collect();
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    let mut boosted =
        Boosted { base_scores, trees: Vec::new(), total_gain: vec![0.0; n_features], split_count: vec![0; n_features] };
    for round in 0..plan.n_estimators {
        objective::gradients(objective, flavour, &labels, &scores, &scores32, &mut grad, &mut hess);
        if let Some(weights) = &row_weights {
            objective::apply_weights(objective, weights, &mut grad, &mut hess);
        }
        if subsampled && round % plan.subsample_freq == 0 {
            bag = draw_sorted(&mut rng, n, n_bag).into_iter().map(|i| i as u32).collect();
        }
        let mut round_trees = Vec::with_capacity(groups);
        let mut any_split = false;
        for group in 0..groups {
            let mut used = vec![true; n_features];
            if n_used < n_features {
                used = vec![false; n_features];
                for f in draw_sorted(&mut rng, n_features, n_used) {
                    used[f] = true;
                }
            }
            rows.clear();
            rows.extend_from_slice(&bag);
            let span = group * n..(group + 1) * n;
            let input = TreeInput {
                grad: &grad[span.clone()],
                hess: if hess.is_empty() { None } else { Some(&hess[span.clone()]) },
                used: &used,
            };
            let mut grown = grower.grow(&mut rows, &input);
            if flavour == Flavour::LightGbm && grown.tree.nodes.len() == 1 {
                // LightGBM keeps a tree that cannot split as a leaf of 0 (its scores unchanged).
                grown.tree.value[0] = 0.0;
                round_trees.push(grown.tree);
                continue;
            }
            any_split = true;
            let (scores, scores32) = (&mut scores[span.clone()], &mut scores32[span]);
            add_tree(&grown, binned, &rows, subsampled, flavour, scores, scores32);
            for &(feature, gain) in &grown.gains {
                boosted.total_gain[feature] += gain;
                boosted.split_count[feature] += 1;
            }
            round_trees.push(grown.tree);
        }
        if flavour == Flavour::LightGbm && !any_split {
            // LightGBM stops when no tree of a round can split (a first such round leaves the base scores alone).
            break;
        }
        boosted.trees.extend(round_trees);
    }
    boosted
}

/// Adds a tree's values to the training scores.
fn add_tree(
    grown: &GrownTree,
    binned: &BinnedMatrix,
    rows: &[u32],
    subsampled: bool,
    flavour: Flavour,
    scores: &mut [f64],
    scores32: &mut [f32],
) {
    if subsampled {
        for row in 0..scores.len() {
            let value = grown.binned_value(binned, row);
            scores[row] += value;
            scores32[row] += value as f32;
        }
        return;
    }
    for &(start, end, value) in &grown.leaves {
        for &row in &rows[start..end] {
            match flavour {
                Flavour::LightGbm => scores[row as usize] += value,
                Flavour::XgBoost => scores32[row as usize] += value as f32,
            }
        }
    }
}
