//! CatBoost's plain boosting of oblivious trees for the RMSE, Logloss and
//! MultiClass losses, as `catboost/private/libs/algo/train.cpp`
//! (`TrainOneIteration`) and `greedy_tensor_search.cpp` run it on CPU:
//!
//! 1. The negative gradients per approximation dimension: `y - approx`
//!    (RMSE; the second derivative is -1, so Newton and gradient leaf steps
//!    coincide), `y - sigmoid(approx)` (Logloss), `[y == k] - softmax_k`
//!    (MultiClass, one dimension per class).
//! 2. Sample weights by the bootstrap (`mvs.cpp` for the default MVS:
//!    per block of rows a threshold `mu` such that the expected sample is
//!    `subsample` of the rows; a row is kept with probability
//!    `min(1, sqrt(der^2 + lambda) / mu)` and then weighs the inverse, with
//!    `lambda` the square of the mean absolute leaf value of the previous
//!    tree, or of the mean absolute gradient for the first).
//! 3. The tree, level by level: the same split (feature, border) for every
//!    leaf, chosen by the Cosine score over the sampled rows
//!    (`score_calcers.h`): per leaf side `avg = sum(w der) / (sum(w) + l2)`,
//!    `score = sum(avg * sum(w der)) / sqrt(sum(avg^2 * sum(w)))`, with
//!    `l2 = l2_leaf_reg * sum(w) / n`. Each border's score gets Gaussian
//!    noise of deviation `random_strength * sqrt(mean(der^2)) * m / (1 + m)`,
//!    `m = n * exp(-iteration * learning_rate)` (`CalcScoreStDev`,
//!    `NormalWithModelSizeDecrease`); a feature's best noisy border then
//!    competes with fresh noise against the other features' (`SelectBestCandidate`).
//!    `rsm` keeps each feature at each level with that probability.
//!    With several dimensions each dimension's numerator and denominator
//!    terms are added before the square root, MVS samples by the gradient's
//!    norm and the score noise's deviation uses all dimensions' squares.
//! 4. Leaf values on every row with its unit weight (the averaging fold):
//!    for RMSE `sum(der) / (count + l2_leaf_reg)`; for the classification
//!    losses `leaf_iterations` Newton steps `(sum hess + l2 I)^-1 sum der`,
//!    each kept only while the training loss falls (`AnyImprovement`
//!    backtracking); times the learning rate, added to the approximations.
//!
//! The random numbers are mlship's own stream (SplitMix64), not CatBoost's
//! `TFastRng64`: a seed reproduces mlship's fit, and parity with CatBoost
//! is statistical (the CV R2, accuracy and AUC of the fixtures).

use super::leaves::{leaf_deltas, sigmoid, softmax_into, LeafScratch};
use super::score::Sample;
use crate::LearnError;

/// The resolved training options.
#[derive(Debug, Clone)]
pub(crate) struct BoostOptions {
    pub iterations: usize,
    pub learning_rate: f64,
    pub depth: usize,
    pub l2_leaf_reg: f64,
    pub random_strength: f64,
    pub bootstrap: Bootstrap,
    pub rsm: f64,
    pub seed: u64,
    pub loss: Loss,
    /// Newton steps per leaf estimation (CatBoost's `leaf_estimation_iterations`).
    pub leaf_iterations: usize,
}

/// The loss the trees descend, and so the approximation's dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Loss {
    /// Squared error on a real target (one dimension).
    Rmse,
    /// Binary log loss on 0/1 targets (one dimension, the log odds of 1).
    Logloss,
    /// Softmax cross-entropy over `classes` dimensions (targets `0..classes`).
    MultiClass { classes: usize },
}

impl Loss {
    /// The number of approximation values per row (and per leaf).
    pub(crate) fn dimension(self) -> usize {
        match self {
            Loss::MultiClass { classes } => classes,
            Loss::Rmse | Loss::Logloss => 1,
        }
    }
}

/// How rows are weighted for one tree's structure search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bootstrap {
    /// Minimal variance sampling keeping `subsample` of the rows on average.
    Mvs { subsample: f64 },
    /// Bayesian bootstrap: weights `(-ln u)^temperature`.
    Bayesian { temperature: f64 },
    /// Bernoulli: each row kept with probability `subsample`, weight 1.
    Bernoulli { subsample: f64 },
    /// Every row with weight 1.
    No,
}

/// One oblivious tree: the split of each level and `2^depth` leaf values
/// per dimension (leaf-major: `leaf * dimension + d`; the learning rate
/// applied). Row `r` falls in leaf `sum_d (bin(x[features[d]]) > borders[d]) << d`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GrownTree {
    pub features: Vec<u32>,
    pub borders: Vec<u8>,
    pub leaf_values: Vec<f64>,
    pub leaf_weights: Vec<f64>,
}

/// SplitMix64: small, fast, and the same on every platform.
pub(crate) struct Random(pub(crate) u64, pub(crate) Option<f64>);

impl Random {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A double in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A standard normal (Box-Muller, both values used).
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(value) = self.1.take() {
            return value;
        }
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        let (radius, angle) = ((-2.0 * u.ln()).sqrt(), std::f64::consts::TAU * v);
        self.1 = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

/// CatBoost's MVS block: each block of rows gets its own threshold.
const MVS_BLOCK: usize = 8192;

/// The threshold `mu` such that `sum_i min(1, c_i / mu) = sample_size`,
/// by CatBoost's partition search (`TMvsSampler::CalculateThreshold`, the
/// first candidate as pivot; expected linear time, the candidates reordered).
fn mvs_threshold(candidates: &mut [f64], sample_size: f64) -> f64 {
    let (mut lo, mut hi) = (0, candidates.len());
    let (mut sum_small, mut n_large) = (0.0, 0usize);
    while lo < hi {
        let part = &mut candidates[lo..hi];
        let pivot = part[0];
        // Three-way partition: [< pivot][== pivot][> pivot].
        let (mut less, mut index, mut greater) = (0, 0, part.len());
        while index < greater {
            if part[index] < pivot {
                part.swap(less, index);
                less += 1;
                index += 1;
            } else if part[index] > pivot {
                greater -= 1;
                part.swap(index, greater);
            } else {
                index += 1;
            }
        }
        let sum_less: f64 = part[..less].iter().sum();
        let (n_middle, n_greater) = (greater - less, part.len() - greater);
        let sum_middle = n_middle as f64 * pivot;
        let estimated = (sum_small + sum_less) / pivot + (n_large + n_greater + n_middle) as f64;
        if estimated > sample_size {
            if greater != part.len() {
                sum_small += sum_middle + sum_less;
                lo += greater;
            } else {
                return (sum_small + sum_less + sum_middle) / (sample_size - n_large as f64);
            }
        } else if less != 0 {
            n_large += n_greater + n_middle;
            hi = lo + less;
        } else {
            return sum_small / (sample_size - (n_large + n_middle + n_greater) as f64);
        }
    }
    // Not reached for a sample size below the count; keep every row then.
    f64::MIN_POSITIVE
}

fn sample_weights(
    bootstrap: Bootstrap,
    der: &[f64],
    previous_leaves: Option<&[f64]>,
    random: &mut Random,
    weights: &mut [f64],
) {
    match bootstrap {
        Bootstrap::No => weights.fill(1.0),
        Bootstrap::Bernoulli { subsample } => {
            for w in weights.iter_mut() {
                *w = if random.uniform() < subsample { 1.0 } else { 0.0 };
            }
        }
        Bootstrap::Bayesian { temperature } => {
            for w in weights.iter_mut() {
                let u = 1.0 - random.uniform();
                *w = if temperature == 0.0 { 1.0 } else { (-u.ln()).powf(temperature) };
            }
        }
        Bootstrap::Mvs { subsample } => {
            if subsample >= 1.0 {
                weights.fill(1.0);
                return;
            }
            let mean = match previous_leaves {
                Some(leaves) if !leaves.is_empty() => leaves.iter().map(|v| v.abs()).sum::<f64>() / leaves.len() as f64,
                _ => der.iter().map(|d| d.abs()).sum::<f64>() / der.len().max(1) as f64,
            };
            let lambda = mean * mean;
            for (block_der, block_w) in der.chunks(MVS_BLOCK).zip(weights.chunks_mut(MVS_BLOCK)) {
                let mut candidates: Vec<f64> = block_der.iter().map(|d| (d * d + lambda).sqrt()).collect();
                let threshold = mvs_threshold(&mut candidates, subsample * block_der.len() as f64);
                for (d, w) in block_der.iter().zip(block_w.iter_mut()) {
                    let value = (d * d + lambda).sqrt();
                    let probability = if value > threshold { 1.0 } else { value / threshold };
                    *w = if probability > f64::EPSILON && random.uniform() < probability {
                        1.0 / probability
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}
/// The loss's negative gradients at `approx` (dimension-major, `der[d][row]`).
fn derivatives(loss: Loss, y: &[f64], approx: &[Vec<f64>], der: &mut [Vec<f64>]) {
    match loss {
        Loss::Rmse => {
            for ((d, &target), &a) in der[0].iter_mut().zip(y).zip(&approx[0]) {
                *d = target - a;
            }
        }
        Loss::Logloss => {
            for ((d, &target), &a) in der[0].iter_mut().zip(y).zip(&approx[0]) {
                *d = target - sigmoid(a);
            }
        }
        Loss::MultiClass { classes } => {
            let mut p = vec![0.0; classes];
            for (row, &target) in y.iter().enumerate() {
                softmax_into(approx.iter().map(|column| column[row]), &mut p);
                for (class, column) in der.iter_mut().enumerate() {
                    column[row] = f64::from(u8::from(target as usize == class)) - p[class];
                }
            }
        }
    }
}

/// Fits `options.iterations` trees to `y` from the starting value `bias`
/// (every dimension). `columns` are the binned features, `borders` their
/// borders; `y` is the target (RMSE), 0/1 (Logloss) or the class index.
pub(crate) fn boost(
    columns: &[Vec<u8>],
    borders: &[Vec<f32>],
    y: &[f64],
    bias: f64,
    options: &BoostOptions,
) -> Result<Vec<GrownTree>, LearnError> {
    let n = y.len();
    let dimension = options.loss.dimension();
    let n_bins: Vec<usize> = borders.iter().map(|b| b.len() + 1).collect();
    let splittable: Vec<usize> = (0..columns.len()).filter(|&f| n_bins[f] > 1).collect();
    let mut random = Random(options.seed ^ 0x5DEE_CE66_D1CE_4E5B, None);
    let mut approx = vec![vec![bias; n]; dimension];
    let mut der = vec![vec![0.0; n]; dimension];
    let mut weights = vec![1.0; n];
    let mut weighted_der = vec![vec![0.0; n]; dimension];
    let mut leaf_of_row = vec![0u32; n];
    // MVS samples by each row's gradient norm (the gradient itself in one dimension).
    let mut gradient_norm = vec![0.0; n];
    let (mut sample, mut leaf_scratch) = (Sample::default(), LeafScratch::default());
    let mut trees: Vec<GrownTree> = Vec::with_capacity(options.iterations);
    for iteration in 0..options.iterations {
        derivatives(options.loss, y, &approx, &mut der);
        if dimension == 1 {
            gradient_norm.copy_from_slice(&der[0]);
        } else {
            for (row, norm) in gradient_norm.iter_mut().enumerate() {
                *norm = der.iter().map(|column| column[row] * column[row]).sum::<f64>().sqrt();
            }
        }
        sample_weights(
            options.bootstrap,
            &gradient_norm,
            trees.last().map(|t| t.leaf_values.as_slice()),
            &mut random,
            &mut weights,
        );
        for (weighted, column) in weighted_der.iter_mut().zip(&der) {
            for ((wd, &d), &w) in weighted.iter_mut().zip(column).zip(&weights) {
                *wd = d * w;
            }
        }
        let sum_weights: f64 = weights.iter().sum();
        let l2 = options.l2_leaf_reg * sum_weights / n as f64;
        let sum_squares: f64 = der.iter().flatten().map(|d| d * d).sum();
        let derivative_deviation = (sum_squares / n as f64).sqrt();
        let model_left = ((n as f64).ln() - iteration as f64 * options.learning_rate).exp();
        let score_deviation = options.random_strength * derivative_deviation * model_left / (1.0 + model_left);

        sample.refill(columns, &n_bins, options.depth, &weighted_der, &weights);
        let (features, split_borders) =
            grow_structure(options, &splittable, &n_bins, &mut sample, &mut random, l2, score_deviation)?;
        // Every row's leaf, from the chosen splits (leaf estimation uses all rows).
        leaf_of_row.fill(0);
        for (level, (&feature, &border)) in features.iter().zip(&split_borders).enumerate() {
            for (leaf, &bin) in leaf_of_row.iter_mut().zip(&columns[feature as usize]) {
                *leaf |= u32::from(bin > border) << level;
            }
        }

        let n_leaves = 1usize << features.len();
        let mut counts = vec![0.0; n_leaves];
        for &leaf in &leaf_of_row {
            counts[leaf as usize] += 1.0;
        }
        let deltas = leaf_deltas(options, y, &approx, &leaf_of_row, n_leaves, &mut leaf_scratch);
        let leaf_values: Vec<f64> = deltas
            .iter()
            .enumerate()
            .map(|(index, &v)| if counts[index / dimension] > 0.0 { options.learning_rate * v } else { 0.0 })
            .collect();
        for (d, column) in approx.iter_mut().enumerate() {
            for (a, &leaf) in column.iter_mut().zip(&leaf_of_row) {
                *a += leaf_values[leaf as usize * dimension + d];
            }
        }
        trees.push(GrownTree { features, borders: split_borders, leaf_values, leaf_weights: counts });
    }
    Ok(trees)
}

/// One tree's splits, level by level: each level's best noisy Cosine score
/// over the candidate features (`rsm` draws them) and their borders.
fn grow_structure(
    options: &BoostOptions,
    splittable: &[usize],
    n_bins: &[usize],
    sample: &mut Sample,
    random: &mut Random,
    l2: f64,
    score_deviation: f64,
) -> Result<(Vec<u32>, Vec<u8>), LearnError> {
    let mut features = Vec::new();
    let mut split_borders = Vec::new();
    for level in 0..options.depth {
        let candidates: Vec<usize> = if options.rsm < 1.0 {
            splittable.iter().copied().filter(|_| random.uniform() <= options.rsm).collect()
        } else {
            splittable.to_vec()
        };
        if candidates.is_empty() {
            break;
        }
        let scores = sample.scores(&candidates, n_bins, 1usize << level, l2);
        let Some((feature, border)) = best_split(&candidates, &scores, random, score_deviation) else { break };
        let border = u8::try_from(border)
            .map_err(|_| LearnError::InvalidOption("CatBoost: too many borders for one feature".to_string()))?;
        sample.split(feature, border, level);
        features.push(feature as u32);
        split_borders.push(border);
    }
    Ok((features, split_borders))
}

/// The winning `(feature, border)`: each feature's best noisy border, then
/// the best of those with fresh noise (`SelectBestCandidate`).
fn best_split(
    candidates: &[usize],
    scores: &[Vec<f64>],
    random: &mut Random,
    score_deviation: f64,
) -> Option<(usize, usize)> {
    let mut best: Option<(f64, usize, usize)> = None;
    for (&feature, feature_scores) in candidates.iter().zip(scores) {
        let mut feature_best: Option<(f64, usize)> = None;
        // A border more than 16 deviations below the best cannot win
        // (a chance below 1e-50): its noise is not drawn.
        let top = feature_scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let floor = top - 16.0 * score_deviation;
        for (border, &score) in feature_scores.iter().enumerate() {
            if score_deviation > 0.0 && score < floor {
                continue;
            }
            let noisy = if score_deviation > 0.0 { score + score_deviation * random.normal() } else { score };
            if feature_best.is_none_or(|(s, _)| noisy > s) {
                feature_best = Some((noisy, border));
            }
        }
        let Some((_, border)) = feature_best else { continue };
        let raw = feature_scores[border];
        let noisy = if score_deviation > 0.0 { raw + score_deviation * random.normal() } else { raw };
        if best.is_none_or(|(s, _, _)| noisy > s) {
            best = Some((noisy, feature, border));
        }
    }
    best.map(|(_, feature, border)| (feature, border))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mvs_threshold_keeps_the_expected_sample_size() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let mut candidates = values.clone();
        let mu = mvs_threshold(&mut candidates, 80.0);
        let expected: f64 = values.iter().map(|v| (v / mu).min(1.0)).sum();
        assert!((expected - 80.0).abs() < 1e-9, "{mu}: {expected}");
        let mut equal = vec![2.0; 10];
        let mu = mvs_threshold(&mut equal, 5.0);
        assert!((mu - 4.0).abs() < 1e-12, "{mu}");
    }
}
