//! Exact split search, as scikit-learn's `_splitter.pyx`: `BestSplitter`
//! sorts the node's values of each drawn feature and scans every position
//! between distinct values; `RandomSplitter` (extra trees) draws one uniform
//! threshold per feature between the node's minimum and maximum. Features are
//! drawn with scikit-learn's own generator (`rand_r`) and its bookkeeping of
//! features found constant in an ancestor, so that the same `random_state`
//! visits features in the same order and a tie in split gains is broken the
//! same way: the first feature visited with the strictly largest proxy gain
//! wins.

use super::criterion::Criterion;

/// Values closer than this are one value (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// scikit-learn's `RAND_R_MAX`.
pub(crate) const RAND_R_MAX: u32 = 0x7FFF_FFFF;

/// scikit-learn's `our_rand_r`: xorshift32, folded below 2^31.
#[inline]
fn rand_r(state: &mut u32) -> u32 {
    if *state == 0 {
        *state = 1;
    }
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    *state % (RAND_R_MAX + 1)
}

/// scikit-learn's `rand_int(low, high)`: an integer in `low..high`.
#[inline]
fn rand_int(low: usize, high: usize, state: &mut u32) -> usize {
    low + rand_r(state) as usize % (high - low)
}

/// scikit-learn's `rand_uniform(low, high)`.
#[inline]
fn rand_uniform(low: f64, high: f64, state: &mut u32) -> f64 {
    (high - low) * f64::from(rand_r(state)) / f64::from(RAND_R_MAX) + low
}

/// The best split found for a node (`pos == end` when there is none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitRecord {
    pub feature: usize,
    pub pos: usize,
    pub threshold: f64,
    pub improvement: f64,
    pub impurity_left: f64,
    pub impurity_right: f64,
}

/// The controls the splitter enforces.
pub(crate) struct SplitterConfig {
    pub max_features: usize,
    pub min_samples_leaf: usize,
    pub min_weight_leaf: f64,
    /// Extra trees' random thresholds instead of the best one.
    pub random: bool,
}

/// The splitter's state, shared by every node of one tree.
pub(crate) struct Splitter<'a> {
    /// The features, column-major, as float32 (scikit-learn's `DTYPE`).
    x: &'a [Vec<f32>],
    pub criterion: Criterion<'a>,
    config: SplitterConfig,
    /// The rows with a non-zero weight, partitioned node by node.
    pub samples: Vec<usize>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    feature_values: Vec<f32>,
    /// A reusable buffer for sorting one feature's values with their rows.
    pairs: Vec<(f32, usize)>,
    rand_state: u32,
    start: usize,
    end: usize,
}

impl<'a> Splitter<'a> {
    pub fn new(
        x: &'a [Vec<f32>],
        criterion: Criterion<'a>,
        config: SplitterConfig,
        weights: Option<&[f64]>,
        rand_state: u32,
    ) -> Self {
        let n_rows = x.first().map_or(0, Vec::len);
        let samples: Vec<usize> = (0..n_rows).filter(|&i| weights.is_none_or(|w| w[i] != 0.0)).collect();
        let n_features = x.len();
        Splitter {
            x,
            criterion,
            config,
            feature_values: vec![0.0; samples.len()],
            pairs: Vec::with_capacity(samples.len()),
            samples,
            features: (0..n_features).collect(),
            constant_features: vec![0; n_features],
            rand_state,
            start: 0,
            end: 0,
        }
    }

    /// `node_reset`: the criterion over `samples[start..end]`.
    pub fn node_reset(&mut self, start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.criterion.init(&self.samples, start, end);
    }

    fn no_split(&self) -> SplitRecord {
        SplitRecord {
            feature: 0,
            pos: self.end,
            threshold: 0.0,
            improvement: f64::NEG_INFINITY,
            impurity_left: f64::INFINITY,
            impurity_right: f64::INFINITY,
        }
    }

    /// `node_split`: the best split of the current node; `n_constant_features`
    /// (the features known constant here) is updated for the children.
    pub fn node_split(&mut self, impurity: f64, n_constant_features: &mut usize) -> SplitRecord {
        let n_features = self.features.len();
        let mut best = self.no_split();
        let mut best_proxy = f64::NEG_INFINITY;
        let (mut n_visited, mut n_found_constants, mut n_drawn_constants) = (0, 0, 0);
        let n_known_constants = *n_constant_features;
        let mut n_total_constants = n_known_constants;
        let mut f_i = n_features;
        let mut last_feature = usize::MAX;
        while f_i > n_total_constants
            && (n_visited < self.config.max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            let mut f_j = rand_int(n_drawn_constants, f_i - n_found_constants, &mut self.rand_state);
            if f_j < n_known_constants {
                self.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = self.features[f_j];
            last_feature = feature;
            let found = if self.config.random {
                self.random_candidate(feature, &mut best, &mut best_proxy)
            } else {
                self.best_candidate(feature, &mut best, &mut best_proxy)
            };
            if !found {
                self.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        if best.pos < self.end {
            // Extra trees' samples are already partitioned by the last feature tried.
            if !self.config.random || last_feature != best.feature {
                self.partition_final(&best);
            }
            self.criterion.reset(&self.samples);
            self.criterion.update(&self.samples, best.pos);
            let (left, right) = self.criterion.children_impurity(&self.samples);
            best.impurity_left = left;
            best.impurity_right = right;
            best.improvement = self.criterion.impurity_improvement(impurity, left, right);
        }
        // Constant features keep their order for siblings and children.
        self.features[..n_known_constants].copy_from_slice(&self.constant_features[..n_known_constants]);
        self.constant_features[n_known_constants..n_total_constants]
            .copy_from_slice(&self.features[n_known_constants..n_total_constants]);
        *n_constant_features = n_total_constants;
        best
    }

    /// Sorts the node by `feature` and scans its split positions; false when
    /// the feature is constant in the node.
    fn best_candidate(&mut self, feature: usize, best: &mut SplitRecord, best_proxy: &mut f64) -> bool {
        let (start, end) = (self.start, self.end);
        let column = &self.x[feature];
        self.pairs.clear();
        self.pairs.extend(self.samples[start..end].iter().map(|&i| (column[i], i)));
        self.pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (offset, &(value, sample)) in self.pairs.iter().enumerate() {
            self.feature_values[start + offset] = value;
            self.samples[start + offset] = sample;
        }
        let values = &self.feature_values;
        if f64::from(values[end - 1]) <= f64::from(values[start]) + FEATURE_THRESHOLD {
            return false;
        }
        self.criterion.reset(&self.samples);
        let mut p = start;
        while p < end {
            while p + 1 < end && f64::from(values[p + 1]) <= f64::from(values[p]) + FEATURE_THRESHOLD {
                p += 1;
            }
            let p_prev = p;
            p += 1;
            if p >= end {
                continue;
            }
            if p - start < self.config.min_samples_leaf || end - p < self.config.min_samples_leaf {
                continue;
            }
            self.criterion.update(&self.samples, p);
            if self.criterion.weighted_n_left < self.config.min_weight_leaf
                || self.criterion.weighted_n_right < self.config.min_weight_leaf
            {
                continue;
            }
            let proxy = self.criterion.proxy_impurity_improvement();
            if proxy > *best_proxy {
                *best_proxy = proxy;
                // Sum of halves: never infinite (scikit-learn 1.9 keeps it as is).
                let threshold = f64::from(values[p_prev]) / 2.0 + f64::from(values[p]) / 2.0;
                *best = SplitRecord { feature, pos: p, threshold, ..*best };
            }
        }
        true
    }

    /// Draws one threshold for `feature` and evaluates it; false when the
    /// feature is constant in the node.
    fn random_candidate(&mut self, feature: usize, best: &mut SplitRecord, best_proxy: &mut f64) -> bool {
        let (start, end) = (self.start, self.end);
        let column = &self.x[feature];
        let mut min = column[self.samples[start]];
        let mut max = min;
        for p in start..end {
            let value = column[self.samples[p]];
            self.feature_values[p] = value;
            min = min.min(value);
            max = max.max(value);
        }
        let (min, max) = (f64::from(min), f64::from(max));
        if max <= min + FEATURE_THRESHOLD {
            return false;
        }
        let mut threshold = rand_uniform(min, max, &mut self.rand_state);
        if threshold == max {
            threshold = min;
        }
        // Partition samples and values around the threshold, as scikit-learn swaps.
        let (mut p, mut partition_end) = (start, end);
        while p < partition_end {
            if f64::from(self.feature_values[p]) <= threshold {
                p += 1;
            } else {
                partition_end -= 1;
                self.feature_values.swap(p, partition_end);
                self.samples.swap(p, partition_end);
            }
        }
        let pos = partition_end;
        if pos - start < self.config.min_samples_leaf || end - pos < self.config.min_samples_leaf {
            return true;
        }
        self.criterion.reset(&self.samples);
        self.criterion.update(&self.samples, pos);
        if self.criterion.weighted_n_left < self.config.min_weight_leaf
            || self.criterion.weighted_n_right < self.config.min_weight_leaf
        {
            return true;
        }
        let proxy = self.criterion.proxy_impurity_improvement();
        if proxy > *best_proxy {
            *best_proxy = proxy;
            *best = SplitRecord { feature, pos, threshold, ..*best };
        }
        true
    }

    /// Puts `samples[start..pos]` on the left of the best split.
    fn partition_final(&mut self, best: &SplitRecord) {
        let column = &self.x[best.feature];
        let (mut p, mut partition_end) = (self.start, self.end);
        while p < partition_end {
            if f64::from(column[self.samples[p]]) <= best.threshold {
                p += 1;
            } else {
                partition_end -= 1;
                self.samples.swap(p, partition_end);
            }
        }
    }
}
