//! Level counts over the union of both sides' values, and Evidently's
//! `get_binned_data` (the shares per value or per histogram bin that
//! Jensen–Shannon and PSI compare).
//!
//! Built for a bounded reference and a large current side: the reference is
//! sorted once, each current value is found by binary search among the
//! reference's distinct values, and only values the reference never held are
//! sorted, so counting a million current values allocates nothing per value.

use std::collections::BTreeMap;

/// Counts per value on each side, aligned over the union of values in
/// ascending order (numbers by value, levels by code point as Python's
/// `sorted` orders strings), values with no count on either side dropped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counts {
    pub reference: Vec<u64>,
    pub current: Vec<u64>,
}

impl Counts {
    /// The number of values on the reference side (`len(reference)`).
    pub fn reference_total(&self) -> u64 {
        self.reference.iter().sum()
    }

    /// The number of values on the current side.
    pub fn current_total(&self) -> u64 {
        self.current.iter().sum()
    }
}

/// The distinct values of a sorted slice with their counts (-0.0 and 0.0 are one value, as in pandas).
pub(crate) fn distinct_sorted(sorted: &[f64]) -> (Vec<f64>, Vec<u64>) {
    let mut keys: Vec<f64> = Vec::new();
    let mut counts: Vec<u64> = Vec::new();
    for &value in sorted {
        match keys.last() {
            Some(&last) if last == value => {
                if let Some(count) = counts.last_mut() {
                    *count += 1;
                }
            }
            _ => {
                keys.push(value);
                counts.push(1);
            }
        }
    }
    (keys, counts)
}

/// pandas' `value_counts` on both numeric sides, aligned.
pub(crate) fn numeric_counts(sorted_reference: &[f64], current: &[f64]) -> Counts {
    let (keys, reference) = distinct_sorted(sorted_reference);
    let index = super::buckets::KeyIndex::new(&keys);
    let mut current_counts = vec![0_u64; keys.len()];
    let mut unseen: Vec<f64> = Vec::new();
    for &value in current {
        let position = index.count_below(value);
        match keys.get(position) {
            Some(&key) if key == value => current_counts[position] += 1,
            _ => unseen.push(value),
        }
    }
    if unseen.is_empty() {
        return Counts { reference, current: current_counts };
    }
    unseen.sort_unstable_by(f64::total_cmp);
    let (unseen_keys, unseen_counts) = distinct_sorted(&unseen);
    // Merge the two ascending key lists; they share no value.
    let mut merged = Counts { reference: Vec::new(), current: Vec::new() };
    let (mut i, mut j) = (0, 0);
    while i < keys.len() || j < unseen_keys.len() {
        let take_reference = j >= unseen_keys.len() || (i < keys.len() && keys[i] < unseen_keys[j]);
        if take_reference {
            merged.reference.push(reference[i]);
            merged.current.push(current_counts[i]);
            i += 1;
        } else {
            merged.reference.push(0);
            merged.current.push(unseen_counts[j]);
            j += 1;
        }
    }
    merged
}

/// Level counts on both sides, aligned; a level listed twice on one side is summed.
pub(crate) fn categorical_counts(reference: &[(String, u64)], current: &[(String, u64)]) -> Counts {
    let mut levels: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (level, count) in reference {
        levels.entry(level.as_str()).or_default().0 += count;
    }
    for (level, count) in current {
        levels.entry(level.as_str()).or_default().1 += count;
    }
    let mut counts = Counts { reference: Vec::new(), current: Vec::new() };
    for (reference_count, current_count) in levels.into_values() {
        if reference_count + current_count > 0 {
            counts.reference.push(reference_count);
            counts.current.push(current_count);
        }
    }
    counts
}

/// Shares per value: count / side total.
pub(crate) fn shares(counts: &Counts) -> (Vec<f64>, Vec<f64>) {
    let reference_total = counts.reference_total() as f64;
    let current_total = counts.current_total() as f64;
    (
        counts.reference.iter().map(|&c| c as f64 / reference_total).collect(),
        counts.current.iter().map(|&c| c as f64 / current_total).collect(),
    )
}

/// numpy's `histogram_bin_edges(reference ∪ current, bins="sturges")`:
/// ceil(ptp / (ptp / (log2(n) + 1))) equal bins over [min, max], edges as
/// `np.linspace` makes them (i·step + min, the last edge exactly max).
pub(crate) fn sturges_edges(min: f64, max: f64, n_values: usize) -> Vec<f64> {
    let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
    let width = (max - min) / ((n_values as f64).log2() + 1.0);
    let n_bins = if width != 0.0 { ((last - first) / width).ceil() as usize } else { 1 };
    let step = (last - first) / n_bins as f64;
    let mut edges: Vec<f64> = (0..=n_bins).map(|i| i as f64 * step + first).collect();
    if let Some(edge) = edges.last_mut() {
        *edge = last;
    }
    edges
}

/// Counts per bin as `np.histogram(values, edges)` on equal-width edges from
/// `sturges_edges`: [e_i, e_i+1) except the last bin, which is closed.
/// Values outside the edges are not counted.
pub(crate) fn histogram(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let n_bins = edges.len().saturating_sub(1);
    let mut counts = vec![0_u64; n_bins];
    let (Some(&first), Some(&last)) = (edges.first(), edges.last()) else {
        return counts;
    };
    // The bins are equal, so (value - first) / step lands on the bin or next
    // to it; stepping to the edges themselves keeps numpy's exact boundaries.
    let step = (last - first) / n_bins as f64;
    for &value in values {
        if value < first || value > last {
            continue;
        }
        let mut bin = (((value - first) / step) as usize).min(n_bins - 1);
        while bin > 0 && value < edges[bin] {
            bin -= 1;
        }
        while bin + 1 < n_bins && value >= edges[bin + 1] {
            bin += 1;
        }
        counts[bin] += 1;
    }
    counts
}

/// Evidently's zero filling for PSI (`feel_zeroes`): a zero share becomes
/// the side's smallest non-zero share / 10^6 if that is <= 0.0001, else 0.0001.
pub(crate) fn fill_zero_shares(shares: &mut [f64]) {
    let smallest = shares.iter().copied().filter(|s| *s != 0.0).fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return;
    }
    let fill = if smallest <= 0.0001 { smallest / 1e6 } else { 0.0001 };
    for share in shares.iter_mut().filter(|s| **s == 0.0) {
        *share = fill;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_counts_align_new_values_in_order() {
        let counts = numeric_counts(&[1.0, 1.0, 3.0], &[0.0, 3.0, 5.0, 5.0, -0.0]);
        assert_eq!(counts.reference, vec![0, 2, 1, 0]);
        assert_eq!(counts.current, vec![2, 0, 1, 2]);
    }

    #[test]
    fn categorical_counts_sum_repeats_and_drop_empty_levels() {
        let reference = vec![("b".to_string(), 2), ("a".to_string(), 1), ("b".to_string(), 1)];
        let current = vec![("c".to_string(), 4), ("z".to_string(), 0)];
        let counts = categorical_counts(&reference, &current);
        assert_eq!(counts.reference, vec![1, 3, 0]);
        assert_eq!(counts.current, vec![0, 0, 4]);
    }

    #[test]
    fn histogram_closes_the_last_bin() {
        let edges = sturges_edges(0.0, 4.0, 8);
        assert_eq!(edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(histogram(&[0.0, 0.5, 1.0, 3.999, 4.0], &edges), vec![2, 1, 0, 2]);
    }

    #[test]
    fn zero_shares_are_filled_as_evidently_does() {
        let mut shares = vec![0.5, 0.0, 0.5];
        fill_zero_shares(&mut shares);
        assert_eq!(shares, vec![0.5, 0.0001, 0.5]);
        let mut tiny = vec![0.99995, 0.00005, 0.0];
        fill_zero_shares(&mut tiny);
        assert_eq!(tiny[2], 0.00005 / 1e6);
    }
}
