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
struct Random(u64, Option<f64>);

impl Random {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A double in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A standard normal (Box-Muller, both values used).
    fn normal(&mut self) -> f64 {
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

/// The histogram of one feature over the current leaves: for every
/// `(leaf, bin)`, the sums of `weight * der` and of `weight` over the rows
/// with a positive weight. This is the one place the boosting engine
/// accumulates statistics (a candidate for the shared histogram engine).
/// Returned flat, `leaf * n_bins + bin`, as `(sum_weighted_der, sum_weight)`.
pub(crate) fn accumulate_histogram(
    bins: &[u8],
    leaf_of_row: &[u32],
    weighted_der: &[f64],
    weights: &[f64],
    n_leaves: usize,
    n_bins: usize,
) -> Vec<(f64, f64)> {
    let mut histogram = vec![(0.0, 0.0); n_leaves * n_bins];
    for (((&bin, &leaf), &der), &weight) in bins.iter().zip(leaf_of_row).zip(weighted_der).zip(weights) {
        if weight > 0.0 {
            let cell = &mut histogram[leaf as usize * n_bins + usize::from(bin)];
            cell.0 += der;
            cell.1 += weight;
        }
    }
    histogram
}

/// The per-level state every candidate feature shares: the current leaf of
/// each row, the sampled rows' statistics and each leaf's totals.
struct Level<'a> {
    leaf_of_row: &'a [u32],
    weighted_der: &'a [f64],
    weights: &'a [f64],
    n_leaves: usize,
    totals: Vec<(f64, f64)>,
    l2: f64,
}

impl Level<'_> {
    /// One side's contribution to the Cosine numerator and denominator.
    fn side(&self, (sum, weight): (f64, f64)) -> (f64, f64) {
        let avg = if weight > 0.0 { sum / (weight + self.l2) } else { 0.0 };
        (avg * sum, avg * avg * weight)
    }

    /// A leaf's contribution when its left side holds `left`.
    fn contribution(&self, leaf: usize, left: (f64, f64)) -> (f64, f64) {
        let total = self.totals[leaf];
        let (n1, d1) = self.side(left);
        let (n2, d2) = self.side((total.0 - left.0, total.1 - left.1));
        (n1 + n2, d1 + d2)
    }

    /// The Cosine numerator and denominator of every border from the
    /// histogram (many rows per leaf and bin).
    fn parts_from_histogram(&self, bins: &[u8], n_bins: usize) -> Vec<(f64, f64)> {
        let histogram =
            accumulate_histogram(bins, self.leaf_of_row, self.weighted_der, self.weights, self.n_leaves, n_bins);
        let n_borders = n_bins - 1;
        let mut parts = vec![(0.0, 0.0); n_borders];
        for leaf in 0..self.n_leaves {
            let mut left = (0.0, 0.0);
            for (border, cell) in histogram[leaf * n_bins..leaf * n_bins + n_borders].iter().enumerate() {
                left = (left.0 + cell.0, left.1 + cell.1);
                let (n, d) = self.contribution(leaf, left);
                parts[border].0 += n;
                parts[border].1 += d;
            }
        }
        parts
    }

    /// The same parts from the rows in bin order (few rows per leaf): a
    /// leaf's contribution is constant between two of its non-empty bins, so
    /// it is added once per run of borders (a difference array) rather than
    /// once per border.
    fn parts_from_sorted_rows(&self, bins: &[u8], rows_by_bin: &[u32], n_bins: usize) -> Vec<(f64, f64)> {
        let n_borders = n_bins - 1;
        let mut diff = vec![(0.0, 0.0); n_borders + 1];
        let mut add = |from: usize, to: usize, (n, d): (f64, f64)| {
            if from < to {
                diff[from].0 += n;
                diff[from].1 += d;
                diff[to].0 -= n;
                diff[to].1 -= d;
            }
        };
        // Per leaf: the left sums so far and the first border they apply from.
        let mut left = vec![(0.0, 0.0); self.n_leaves];
        let mut from = vec![0usize; self.n_leaves];
        for &row in rows_by_bin {
            let row = row as usize;
            let weight = self.weights[row];
            if weight <= 0.0 {
                continue;
            }
            let (leaf, bin) = (self.leaf_of_row[row] as usize, usize::from(bins[row]));
            if bin > from[leaf] {
                add(from[leaf], bin.min(n_borders), self.contribution(leaf, left[leaf]));
                from[leaf] = bin;
            }
            left[leaf] = (left[leaf].0 + self.weighted_der[row], left[leaf].1 + weight);
        }
        for leaf in 0..self.n_leaves {
            add(from[leaf], n_borders, self.contribution(leaf, left[leaf]));
        }
        let mut running = (0.0, 0.0);
        diff[..n_borders]
            .iter()
            .map(|&(n, d)| {
                running = (running.0 + n, running.1 + d);
                running
            })
            .collect()
    }
}

/// Rows times features above which a level's histograms are built on every core.
const PARALLEL_WORK: usize = 200_000;

/// The Cosine score of every border from its parts summed over the
/// approximation's dimensions (CatBoost adds each dimension's leaf terms
/// into one numerator and denominator).
fn cosine(parts: &[(f64, f64)]) -> Vec<f64> {
    parts.iter().map(|&(n, d)| n / (1e-100 + d).sqrt()).collect()
}

/// The scores of every candidate feature's borders at one level; `levels`
/// holds one state per dimension.
fn level_scores(
    candidates: &[usize],
    columns: &[Vec<u8>],
    rows_by_bin: &[Vec<u32>],
    n_bins: &[usize],
    levels: &[Level<'_>],
) -> Vec<Vec<f64>> {
    let (n_rows, n_leaves) = (levels[0].leaf_of_row.len(), levels[0].n_leaves);
    let score_one = |feature: usize| {
        let mut total = vec![(0.0, 0.0); n_bins[feature] - 1];
        for level in levels {
            let parts = if n_rows < 4 * n_leaves * n_bins[feature] {
                level.parts_from_sorted_rows(&columns[feature], &rows_by_bin[feature], n_bins[feature])
            } else {
                level.parts_from_histogram(&columns[feature], n_bins[feature])
            };
            for (sum, part) in total.iter_mut().zip(parts) {
                sum.0 += part.0;
                sum.1 += part.1;
            }
        }
        cosine(&total)
    };
    // `available_parallelism` reads cgroup files: asked only when the work is large.
    let threads = if n_rows * candidates.len() * levels.len() < PARALLEL_WORK {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from).min(candidates.len())
    };
    if threads <= 1 {
        return candidates.iter().map(|&f| score_one(f)).collect();
    }
    let chunk = candidates.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&f| score_one(f)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
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

/// The logistic function, without overflow for large negative inputs.
pub(crate) fn sigmoid(value: f64) -> f64 {
    if value >= 0.0 {
        1.0 / (1.0 + (-value).exp())
    } else {
        let e = value.exp();
        e / (1.0 + e)
    }
}

/// The softmax of `values` written into `out` (max subtracted first).
pub(crate) fn softmax_into(values: impl Iterator<Item = f64> + Clone, out: &mut [f64]) {
    let top = values.clone().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for (o, v) in out.iter_mut().zip(values) {
        *o = (v - top).exp();
        total += *o;
    }
    out.iter_mut().for_each(|o| *o /= total);
}

/// The loss summed over the rows at `approx` plus each row's leaf `delta`
/// (the backtracking objective).
fn total_loss(loss: Loss, y: &[f64], approx: &[Vec<f64>], leaf_of_row: &[u32], delta: &[f64]) -> f64 {
    let dimension = approx.len();
    let mut total = 0.0;
    let mut point = vec![0.0; dimension];
    for (row, (&target, &leaf)) in y.iter().zip(leaf_of_row).enumerate() {
        for (d, p) in point.iter_mut().enumerate() {
            *p = approx[d][row] + delta[leaf as usize * dimension + d];
        }
        total += match loss {
            Loss::Rmse => (target - point[0]).powi(2),
            // -log sigmoid(a) for 1, -log(1 - sigmoid(a)) for 0: log(1 + e^a) - y a.
            Loss::Logloss => softplus(point[0]) - target * point[0],
            Loss::MultiClass { .. } => {
                let top = point.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_sum = top + point.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
                log_sum - point[target as usize]
            }
        };
    }
    total
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// One Newton step per leaf at `approx + delta` (CatBoost's
/// `CalcMethodDelta<Newton>` and, for MultiClass, `CalcDeltaNewtonMulti`):
/// `(sum hess + l2 I)^-1 sum der` over the leaf's rows, every row weighing 1.
fn newton_step(
    loss: Loss,
    y: &[f64],
    approx: &[Vec<f64>],
    leaf_of_row: &[u32],
    delta: &[f64],
    n_leaves: usize,
    l2_leaf_reg: f64,
) -> Vec<f64> {
    let dimension = approx.len();
    let mut gradient = vec![0.0; n_leaves * dimension];
    let mut hessian = vec![0.0; n_leaves * dimension * dimension];
    let mut p = vec![0.0; dimension];
    for (row, (&target, &leaf)) in y.iter().zip(leaf_of_row).enumerate() {
        let leaf = leaf as usize;
        let at = |d: usize| approx[d][row] + delta[leaf * dimension + d];
        match loss {
            Loss::Rmse => {
                gradient[leaf] += target - at(0);
                hessian[leaf] += 1.0;
            }
            Loss::Logloss => {
                let probability = sigmoid(at(0));
                gradient[leaf] += target - probability;
                hessian[leaf] += probability * (1.0 - probability);
            }
            Loss::MultiClass { .. } => {
                softmax_into((0..dimension).map(at), &mut p);
                let block = &mut hessian[leaf * dimension * dimension..(leaf + 1) * dimension * dimension];
                for i in 0..dimension {
                    gradient[leaf * dimension + i] += f64::from(u8::from(target as usize == i)) - p[i];
                    for j in 0..dimension {
                        block[i * dimension + j] += if i == j { p[i] * (1.0 - p[i]) } else { -p[i] * p[j] };
                    }
                }
            }
        }
    }
    let mut step = vec![0.0; n_leaves * dimension];
    for leaf in 0..n_leaves {
        let block = &mut hessian[leaf * dimension * dimension..(leaf + 1) * dimension * dimension];
        for i in 0..dimension {
            block[i * dimension + i] += l2_leaf_reg;
        }
        let solved = solve_symmetric(block, &gradient[leaf * dimension..(leaf + 1) * dimension], dimension);
        step[leaf * dimension..(leaf + 1) * dimension].copy_from_slice(&solved);
    }
    step
}

/// Solves `a x = b` for a small symmetric positive definite `a` (row-major)
/// by Cholesky; `a` is overwritten.
fn solve_symmetric(a: &mut [f64], b: &[f64], n: usize) -> Vec<f64> {
    if n == 1 {
        // The scalar step exactly as `sum(der) / (sum(hess) + l2)`.
        return vec![b[0] / a[0]];
    }
    for j in 0..n {
        let mut diagonal = a[j * n + j];
        for k in 0..j {
            diagonal -= a[j * n + k] * a[j * n + k];
        }
        let diagonal = diagonal.max(1e-300).sqrt();
        a[j * n + j] = diagonal;
        for i in j + 1..n {
            let mut value = a[i * n + j];
            for k in 0..j {
                value -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = value / diagonal;
        }
    }
    let mut x = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            x[i] -= a[i * n + k] * x[k];
        }
        x[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            x[i] -= a[k * n + i] * x[k];
        }
        x[i] /= a[i * n + i];
    }
    x
}

/// The leaf values before the learning rate: `leaf_iterations` Newton steps
/// from 0, each kept only while the loss over the rows improves (CatBoost's
/// `GradientWalker` with `leaf_estimation_backtracking=AnyImprovement`: a
/// step that does not lower the loss is undone and the walk stops). RMSE's
/// single step is the plain `sum(der) / (count + l2)`.
fn leaf_deltas(
    options: &BoostOptions,
    y: &[f64],
    approx: &[Vec<f64>],
    leaf_of_row: &[u32],
    n_leaves: usize,
) -> Vec<f64> {
    let dimension = approx.len();
    let mut delta = vec![0.0; n_leaves * dimension];
    if options.loss == Loss::Rmse {
        return newton_step(options.loss, y, approx, leaf_of_row, &delta, n_leaves, options.l2_leaf_reg);
    }
    let mut loss = total_loss(options.loss, y, approx, leaf_of_row, &delta);
    for _ in 0..options.leaf_iterations {
        let step = newton_step(options.loss, y, approx, leaf_of_row, &delta, n_leaves, options.l2_leaf_reg);
        let trial: Vec<f64> = delta.iter().zip(&step).map(|(d, s)| d + s).collect();
        let trial_loss = total_loss(options.loss, y, approx, leaf_of_row, &trial);
        if trial_loss.is_nan() || trial_loss >= loss {
            break;
        }
        (delta, loss) = (trial, trial_loss);
    }
    delta
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
    // Each feature's rows in bin order (a counting sort, once).
    let rows_by_bin: Vec<Vec<u32>> = columns
        .iter()
        .zip(&n_bins)
        .map(|(column, &bins)| {
            let mut starts = vec![0usize; bins + 1];
            for &bin in column {
                starts[usize::from(bin) + 1] += 1;
            }
            for b in 0..bins {
                starts[b + 1] += starts[b];
            }
            let mut rows = vec![0u32; column.len()];
            for (row, &bin) in column.iter().enumerate() {
                rows[starts[usize::from(bin)]] = row as u32;
                starts[usize::from(bin)] += 1;
            }
            rows
        })
        .collect();
    let mut random = Random(options.seed ^ 0x5DEE_CE66_D1CE_4E5B, None);
    let mut approx = vec![vec![bias; n]; dimension];
    let mut der = vec![vec![0.0; n]; dimension];
    let mut weights = vec![1.0; n];
    let mut weighted_der = vec![vec![0.0; n]; dimension];
    let mut leaf_of_row = vec![0u32; n];
    // MVS samples by each row's gradient norm (the gradient itself in one dimension).
    let mut gradient_norm = vec![0.0; n];
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

        leaf_of_row.fill(0);
        let mut features = Vec::new();
        let mut split_borders = Vec::new();
        for level in 0..options.depth {
            let candidates: Vec<usize> = if options.rsm < 1.0 {
                splittable.iter().copied().filter(|_| random.uniform() <= options.rsm).collect()
            } else {
                splittable.clone()
            };
            if candidates.is_empty() {
                break;
            }
            let n_leaves = 1usize << level;
            let states: Vec<Level<'_>> = weighted_der
                .iter()
                .map(|weighted| {
                    let mut totals = vec![(0.0, 0.0); n_leaves];
                    for ((&leaf, &wd), &w) in leaf_of_row.iter().zip(weighted).zip(&weights) {
                        if w > 0.0 {
                            totals[leaf as usize].0 += wd;
                            totals[leaf as usize].1 += w;
                        }
                    }
                    Level { leaf_of_row: &leaf_of_row, weighted_der: weighted, weights: &weights, n_leaves, totals, l2 }
                })
                .collect();
            let scores = level_scores(&candidates, columns, &rows_by_bin, &n_bins, &states);
            drop(states);
            let mut best: Option<(f64, usize, usize)> = None;
            for (&feature, feature_scores) in candidates.iter().zip(&scores) {
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
            let Some((_, feature, border)) = best else { break };
            let border = u8::try_from(border)
                .map_err(|_| LearnError::InvalidOption("CatBoost: too many borders for one feature".to_string()))?;
            for (leaf, &bin) in leaf_of_row.iter_mut().zip(&columns[feature]) {
                if bin > border {
                    *leaf |= 1 << level;
                }
            }
            features.push(feature as u32);
            split_borders.push(border);
        }

        let n_leaves = 1usize << features.len();
        let mut counts = vec![0.0; n_leaves];
        for &leaf in &leaf_of_row {
            counts[leaf as usize] += 1.0;
        }
        let deltas = leaf_deltas(options, y, &approx, &leaf_of_row, n_leaves);
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

    fn level<'a>(leaf_of_row: &'a [u32], der: &'a [f64], weights: &'a [f64], n_leaves: usize, l2: f64) -> Level<'a> {
        let mut totals = vec![(0.0, 0.0); n_leaves];
        for ((&leaf, &d), &w) in leaf_of_row.iter().zip(der).zip(weights) {
            if w > 0.0 {
                totals[leaf as usize].0 += d;
                totals[leaf as usize].1 += w;
            }
        }
        Level { leaf_of_row, weighted_der: der, weights, n_leaves, totals, l2 }
    }

    #[test]
    fn cosine_score_prefers_the_separating_border() {
        // Bins 0..4 with der -1 on bins 0 and 1, +1 on bins 2 and 3.
        let bins = [0u8, 1, 2, 3];
        let der = [-1.0, -1.0, 1.0, 1.0];
        let state = level(&[0; 4], &der, &[1.0; 4], 1, 0.0);
        let scores = cosine(&state.parts_from_histogram(&bins, 4));
        assert!(scores[1] > scores[0] && scores[1] > scores[2], "{scores:?}");
        assert!((scores[1] - 2.0).abs() < 1e-12, "{scores:?}");
    }

    #[test]
    fn sorted_rows_and_histogram_give_the_same_scores() {
        let mut random = Random(3, None);
        let n = 300;
        let bins: Vec<u8> = (0..n).map(|_| (random.uniform() * 40.0) as u8).collect();
        let leaf_of_row: Vec<u32> = (0..n).map(|_| (random.uniform() * 8.0) as u32).collect();
        let der: Vec<f64> = (0..n).map(|_| random.normal()).collect();
        let weights: Vec<f64> =
            (0..n).map(|_| if random.uniform() < 0.2 { 0.0 } else { random.uniform() * 2.0 }).collect();
        let mut rows: Vec<u32> = (0..n as u32).collect();
        rows.sort_by_key(|&r| bins[r as usize]);
        let state = level(&leaf_of_row, &der, &weights, 8, 1.5);
        let a = cosine(&state.parts_from_histogram(&bins, 41));
        let b = cosine(&state.parts_from_sorted_rows(&bins, &rows, 41));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-9 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
}
