//! The statistics other than Kolmogorov–Smirnov, each as Evidently 0.7.23's
//! stattest computes it (file names are Evidently's, under
//! `evidently/legacy/calculations/stattests/`).

use super::buckets::{KeyIndex, Placement, ON_KEY};
use super::counts::{distinct_sorted, Counts};
use super::special::{chi_square_sf, normal_sf};

/// `chisquare_stattest.py`: scipy's `chisquare(f_obs, f_exp)` with f_obs the
/// current counts and f_exp the reference counts scaled by n_cur / n_ref,
/// over the union of values. Returns (statistic, p-value).
///
/// A value the reference never held has f_exp = 0, so its term and the
/// statistic are +inf and the p-value 0, as in scipy. With one value only
/// scipy's p-value is NaN (chi2 with 0 degrees of freedom) and Evidently
/// reports no drift; this reports p = 1, the same verdict.
pub(crate) fn chi_square(counts: &Counts) -> (f64, f64) {
    let scale = counts.current_total() as f64 / counts.reference_total() as f64;
    let statistic: f64 = counts
        .reference
        .iter()
        .zip(&counts.current)
        .map(|(&reference, &current)| {
            let expected = reference as f64 * scale;
            let observed = current as f64;
            (observed - expected).powi(2) / expected
        })
        .sum();
    let degrees_of_freedom = counts.reference.len().saturating_sub(1);
    if degrees_of_freedom == 0 {
        return (statistic, 1.0);
    }
    (statistic, chi_square_sf(statistic, degrees_of_freedom as f64))
}

/// `z_stattest.py`: the two-proportion z-test of "not the first value" (in
/// sorted order) between the sides, two-sided p = 2·(1 - Φ(|z|)). When both
/// sides hold one and the same value Evidently returns p = 1 without a
/// statistic; the statistic is then 0.
pub(crate) fn z_test(counts: &Counts) -> (f64, f64) {
    let n1 = counts.reference_total();
    let n2 = counts.current_total();
    // One value in the union: both sides hold that one value only.
    if counts.reference.len() == 1 {
        return (0.0, 1.0);
    }
    let first_reference = counts.reference.first().copied().unwrap_or(0);
    let first_current = counts.current.first().copied().unwrap_or(0);
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let p1 = (n1 - first_reference) as f64 / n1f;
    let p2 = (n2 - first_current) as f64 / n2f;
    let pooled = (p1 * n1f + p2 * n2f) / (n1f + n2f);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    (z, 2.0 * normal_sf(z.abs()))
}

/// `wasserstein_distance_norm.py`: scipy's `wasserstein_distance` (the area
/// between the two ECDFs) divided by max(std(reference), 0.001), the
/// population standard deviation. The reference sorted ascending, the
/// current side in any order; both non-empty.
pub(crate) fn wasserstein_normed(sorted_reference: &[f64], current: &[f64]) -> f64 {
    let n1 = sorted_reference.len() as f64;
    let mean = sorted_reference.iter().sum::<f64>() / n1;
    let variance = sorted_reference.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n1;
    let norm = variance.sqrt().max(0.001);
    let (keys, reference_counts) = distinct_sorted(sorted_reference);
    let index = KeyIndex::new(&keys);
    let (placement, gaps) = Placement::with_gaps(&index, current);
    ecdf_area(&index, &reference_counts, &placement, current, &gaps) / norm
}

/// ∫ |F_ref - F_cur| dx, gap by gap between consecutive reference values k_a.
/// F_ref is flat (level L) on [k_a, k_a+1) and F_cur rises through it; where
/// F_cur stays on one side of L the area is linear in the gap's count and
/// summed offsets, and only the gaps where it crosses L need their values in
/// order (few: F_cur crosses F_ref about sqrt(#gaps) times when nothing drifts).
fn ecdf_area(
    index: &KeyIndex<'_>,
    reference_counts: &[u64],
    placement: &Placement,
    current: &[f64],
    gaps: &[u32],
) -> f64 {
    let keys = index.keys();
    let m = keys.len();
    let n1: f64 = reference_counts.iter().sum::<u64>() as f64;
    let n2 = current.len() as f64;
    // Below k_0 F_ref = 0 and above k_m-1 F_ref = 1: the area is the offsets.
    let mut area = (placement.offsets[0] + placement.offsets[m]) / n2;
    let mut current_seen = placement.between[0];
    let mut reference_seen = 0_u64;
    // (gap, level, current count at its left key) for the gaps where F_cur crosses L.
    let mut crossings: Vec<(usize, f64, u64)> = Vec::new();
    for a in 0..m.saturating_sub(1) {
        reference_seen += reference_counts[a];
        let level = reference_seen as f64 / n1;
        let width = keys[a + 1] - keys[a];
        let start = current_seen + placement.on[a];
        let inside = placement.between[a + 1];
        let end = start + inside;
        // ∫ F_cur over the gap: start·w plus Σ (k_a+1 - y) for the values y inside.
        let integral = (start as f64 * width + (inside as f64 * width - placement.offsets[a + 1])) / n2;
        if start as f64 / n2 >= level {
            area += integral - level * width;
        } else if end as f64 / n2 <= level {
            area += level * width - integral;
        } else {
            crossings.push((a + 1, level, start));
        }
        current_seen = end;
    }
    if crossings.is_empty() {
        return area;
    }
    let mut gap_slot = vec![usize::MAX; m + 1];
    for (slot, &(gap, _, _)) in crossings.iter().enumerate() {
        gap_slot[gap] = slot;
    }
    let mut inside: Vec<Vec<f64>> = vec![Vec::new(); crossings.len()];
    for (&value, &gap) in current.iter().zip(gaps) {
        if gap != ON_KEY && gap_slot[gap as usize] != usize::MAX {
            inside[gap_slot[gap as usize]].push(value);
        }
    }
    for (&(gap, level, start), values) in crossings.iter().zip(inside.iter_mut()) {
        values.sort_unstable_by(f64::total_cmp);
        let mut left = keys[gap - 1];
        let mut seen = start;
        for &value in values.iter() {
            area += (level - seen as f64 / n2).abs() * (value - left);
            left = value;
            seen += 1;
        }
        area += (level - seen as f64 / n2).abs() * (keys[gap] - left);
    }
    area
}

/// `jensenshannon.py`: scipy's `jensenshannon(p, q)` (natural log) on the shares.
pub(crate) fn jensen_shannon(reference: &[f64], current: &[f64]) -> f64 {
    let sum_p: f64 = reference.iter().sum();
    let sum_q: f64 = current.iter().sum();
    let relative_entropy = |x: f64, y: f64| -> f64 {
        if x > 0.0 && y > 0.0 {
            x * (x / y).ln()
        } else if x == 0.0 && y >= 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    };
    let (mut left, mut right) = (0.0, 0.0);
    for (&p, &q) in reference.iter().zip(current) {
        let (p, q) = (p / sum_p, q / sum_q);
        let m = (p + q) / 2.0;
        left += relative_entropy(p, m);
        right += relative_entropy(q, m);
    }
    ((left + right) / 2.0).sqrt()
}

/// `psi.py`: Σ (ref - cur)·ln(ref / cur) over the zero-filled shares.
pub(crate) fn population_stability_index(reference: &[f64], current: &[f64]) -> f64 {
    reference.iter().zip(current).map(|(&r, &c)| (r - c) * (r / c).ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasserstein_of_a_shift_is_the_shift_over_the_std() {
        let reference = [0.0, 1.0, 2.0, 3.0];
        let current = [1.0, 2.0, 3.0, 4.0];
        let std = 1.25_f64.sqrt();
        assert!((wasserstein_normed(&reference, &current) - 1.0 / std).abs() < 1e-15);
    }

    #[test]
    fn jensen_shannon_of_disjoint_shares_is_sqrt_ln2() {
        let d = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]);
        assert!((d - std::f64::consts::LN_2.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn z_test_of_one_shared_value_is_no_drift() {
        let counts = Counts { reference: vec![3], current: vec![5] };
        assert_eq!(z_test(&counts), (0.0, 1.0));
    }
}
