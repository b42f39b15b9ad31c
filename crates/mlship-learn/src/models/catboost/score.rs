//! The split search's statistics and scores (CatBoost's `CalcStatsAndScores`
//! in `greedy_tensor_search.cpp` and the Cosine score of `score_calcers.h`):
//! per level, for every candidate feature, the sums of `weight * der` and of
//! `weight` per (leaf, bin), turned into one Cosine score per border.
//!
//! Only rows with a positive bootstrap weight count, so each tree first
//! copies them into a compact `Sample` (their bins per feature, statistics
//! and leaf index): the per-level passes then read short contiguous arrays
//! with no per-row weight test, in the same row order as before, so the sums
//! are unchanged. A level's candidate features are scored on every core.

/// The rows a tree's structure is searched on (positive weight), compacted;
/// kept across trees so its buffers are reused.
#[derive(Default)]
pub(crate) struct Sample {
    /// Per feature, the sampled rows' bins (empty for unsplittable features).
    bins: Vec<Vec<u8>>,
    /// Per feature, the sampled rows' positions in bin order (stable).
    by_bin: Vec<Vec<u32>>,
    /// Per dimension, the sampled rows' `weight * der`.
    weighted_der: Vec<Vec<f64>>,
    /// The sampled rows' weights (all positive).
    weights: Vec<f64>,
    /// The sampled rows' current leaf.
    leaf: Vec<u32>,
    /// The number of rows before sampling: it decides each feature's
    /// scoring path, as it did when every row was scanned.
    n_rows: usize,
}

impl Sample {
    /// Refills the sample from every row's bins, `weight * der` (per
    /// dimension) and weights; the rows all start in leaf 0. The rows in
    /// bin order are sorted only for the features a tree of `max_depth`
    /// levels may score from them.
    pub(crate) fn refill(
        &mut self,
        columns: &[Vec<u8>],
        n_bins: &[usize],
        max_depth: usize,
        weighted_der: &[Vec<f64>],
        weights: &[f64],
    ) {
        self.n_rows = weights.len();
        let sampled: Vec<u32> = (0..weights.len() as u32).filter(|&row| weights[row as usize] > 0.0).collect();
        let gather = |out: &mut Vec<f64>, from: &[f64]| {
            out.clear();
            out.extend(sampled.iter().map(|&row| from[row as usize]));
        };
        gather(&mut self.weights, weights);
        self.weighted_der.resize_with(weighted_der.len(), Vec::new);
        for (out, from) in self.weighted_der.iter_mut().zip(weighted_der) {
            gather(out, from);
        }
        self.leaf.clear();
        self.leaf.resize(sampled.len(), 0);
        self.bins.resize_with(columns.len(), Vec::new);
        self.by_bin.resize_with(columns.len(), Vec::new);
        for (feature, column) in columns.iter().enumerate() {
            let (bins, by_bin) = (&mut self.bins[feature], &mut self.by_bin[feature]);
            bins.clear();
            by_bin.clear();
            if n_bins[feature] <= 1 {
                continue;
            }
            bins.extend(sampled.iter().map(|&row| column[row as usize]));
            if !uses_sorted_rows(self.n_rows, 1 << max_depth.saturating_sub(1), n_bins[feature]) {
                continue;
            }
            // A stable counting sort: within a bin the rows stay in row order.
            let mut starts = vec![0usize; n_bins[feature] + 1];
            for &bin in bins.iter() {
                starts[usize::from(bin) + 1] += 1;
            }
            for b in 0..n_bins[feature] {
                starts[b + 1] += starts[b];
            }
            by_bin.resize(bins.len(), 0);
            for (position, &bin) in bins.iter().enumerate() {
                by_bin[starts[usize::from(bin)]] = position as u32;
                starts[usize::from(bin)] += 1;
            }
        }
    }

    /// Sends the sampled rows above `border` of `feature` to the upper side at `level`.
    pub(crate) fn split(&mut self, feature: usize, border: u8, level: usize) {
        for (leaf, &bin) in self.leaf.iter_mut().zip(&self.bins[feature]) {
            *leaf |= u32::from(bin > border) << level;
        }
    }

    /// The Cosine scores of every candidate feature's borders over
    /// `n_leaves` leaves, with the score's `l2` regulariser.
    pub(crate) fn scores(&self, candidates: &[usize], n_bins: &[usize], n_leaves: usize, l2: f64) -> Vec<Vec<f64>> {
        let states: Vec<Level<'_>> = self
            .weighted_der
            .iter()
            .map(|weighted| {
                let mut totals = vec![(0.0, 0.0); n_leaves];
                for ((&leaf, &wd), &w) in self.leaf.iter().zip(weighted).zip(&self.weights) {
                    totals[leaf as usize].0 += wd;
                    totals[leaf as usize].1 += w;
                }
                Level { leaf_of_row: &self.leaf, weighted_der: weighted, weights: &self.weights, n_leaves, totals, l2 }
            })
            .collect();
        level_scores(candidates, &self.bins, &self.by_bin, n_bins, self.n_rows, &states)
    }
}

/// The histogram of one feature over the current leaves into `histogram`:
/// for every `(leaf, bin)`, the sums of `weight * der` and of `weight` over
/// the rows with a positive weight, flat (`leaf * n_bins + bin`) as
/// `(sum_weighted_der, sum_weight)`.
fn accumulate_histogram(bins: &[u8], level: &Level<'_>, n_bins: usize, histogram: &mut Vec<(f64, f64)>) {
    histogram.clear();
    histogram.resize(level.n_leaves * n_bins, (0.0, 0.0));
    for (((&bin, &leaf), &der), &weight) in
        bins.iter().zip(level.leaf_of_row).zip(level.weighted_der).zip(level.weights)
    {
        if weight > 0.0 {
            let cell = &mut histogram[leaf as usize * n_bins + usize::from(bin)];
            cell.0 += der;
            cell.1 += weight;
        }
    }
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
    fn parts_from_histogram(&self, bins: &[u8], n_bins: usize, histogram: &mut Vec<(f64, f64)>) -> Vec<(f64, f64)> {
        accumulate_histogram(bins, self, n_bins, histogram);
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

/// Sampled rows times candidate features times dimensions from which a
/// level's features are scored on every core: below (a 19,000-row fit's
/// 300,000), a fork and join per level cost more than they saved on a
/// shared 2-core machine (see `leaves::PARALLEL_ROWS`).
const PARALLEL_WORK: usize = 2_000_000;

/// The Cosine score of every border from its parts summed over the
/// approximation's dimensions (CatBoost adds each dimension's leaf terms
/// into one numerator and denominator).
fn cosine(parts: &[(f64, f64)]) -> Vec<f64> {
    parts.iter().map(|&(n, d)| n / (1e-100 + d).sqrt()).collect()
}

/// Whether a feature of `n_bins` bins is scored over `n_leaves` leaves from
/// its rows in bin order (their leaves and bins outnumber a quarter of
/// `n_rows`, the rows before sampling) rather than from its histogram.
fn uses_sorted_rows(n_rows: usize, n_leaves: usize, n_bins: usize) -> bool {
    n_rows < 4 * n_leaves * n_bins
}

/// The scores of every candidate feature's borders at one level; `levels`
/// holds one state per dimension.
fn level_scores(
    candidates: &[usize],
    columns: &[Vec<u8>],
    rows_by_bin: &[Vec<u32>],
    n_bins: &[usize],
    n_rows: usize,
    levels: &[Level<'_>],
) -> Vec<Vec<f64>> {
    let n_leaves = levels[0].n_leaves;
    let score_one = |feature: usize, histogram: &mut Vec<(f64, f64)>| {
        let mut total = vec![(0.0, 0.0); n_bins[feature] - 1];
        for level in levels {
            let parts = if uses_sorted_rows(n_rows, n_leaves, n_bins[feature]) {
                level.parts_from_sorted_rows(&columns[feature], &rows_by_bin[feature], n_bins[feature])
            } else {
                level.parts_from_histogram(&columns[feature], n_bins[feature], histogram)
            };
            for (sum, part) in total.iter_mut().zip(parts) {
                sum.0 += part.0;
                sum.1 += part.1;
            }
        }
        cosine(&total)
    };
    // One histogram buffer per thread, reused across its features.
    let score_part = |part: &[usize]| {
        let mut histogram = Vec::new();
        part.iter().map(|&f| score_one(f, &mut histogram)).collect::<Vec<_>>()
    };
    // `available_parallelism` reads cgroup files: asked only when the work is large.
    let sampled_rows = levels[0].leaf_of_row.len();
    let threads = if sampled_rows * candidates.len() * levels.len() < PARALLEL_WORK {
        1
    } else {
        crate::models::hist::n_threads(candidates.len())
    };
    if threads <= 1 {
        return score_part(candidates);
    }
    let chunk = candidates.len().div_ceil(threads);
    let score_part = &score_part;
    std::thread::scope(|scope| {
        let handles: Vec<_> = candidates.chunks(chunk).map(|part| scope.spawn(move || score_part(part))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::catboost::boost::Random;

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
        let scores = cosine(&state.parts_from_histogram(&bins, 4, &mut Vec::new()));
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
        let a = cosine(&state.parts_from_histogram(&bins, 41, &mut Vec::new()));
        let b = cosine(&state.parts_from_sorted_rows(&bins, &rows, 41));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-9 * x.abs().max(1.0), "{x} vs {y}");
        }
    }

    /// The compacted sample's scores are bit for bit those of a scan of
    /// every row that skips the zero weights, on both scoring paths.
    #[test]
    fn the_compacted_sample_scores_as_every_row_does() {
        let mut random = Random(11, None);
        for n in [200usize, 2000] {
            let n_bins = [41usize, 4];
            let columns: Vec<Vec<u8>> =
                n_bins.iter().map(|&b| (0..n).map(|_| (random.uniform() * b as f64) as u8).collect()).collect();
            let der: Vec<f64> = (0..n).map(|_| random.normal()).collect();
            let weights: Vec<f64> =
                (0..n).map(|_| if random.uniform() < 0.2 { 0.0 } else { random.uniform() * 2.0 }).collect();
            let mut sample = Sample::default();
            sample.refill(&columns, &n_bins, 3, std::slice::from_ref(&der), &weights);
            sample.split(0, 10, 0);
            let scores = sample.scores(&[0, 1], &n_bins, 2, 1.5);
            let leaf_of_row: Vec<u32> = columns[0].iter().map(|&bin| u32::from(bin > 10)).collect();
            let state = level(&leaf_of_row, &der, &weights, 2, 1.5);
            for (feature, ours) in scores.iter().enumerate() {
                let expected = if uses_sorted_rows(n, 2, n_bins[feature]) {
                    let mut rows: Vec<u32> = (0..n as u32).collect();
                    rows.sort_by_key(|&r| columns[feature][r as usize]);
                    cosine(&state.parts_from_sorted_rows(&columns[feature], &rows, n_bins[feature]))
                } else {
                    cosine(&state.parts_from_histogram(&columns[feature], n_bins[feature], &mut Vec::new()))
                };
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(ours), bits(&expected), "{n} rows, feature {feature}");
            }
        }
    }
}
