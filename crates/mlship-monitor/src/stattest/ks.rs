//! The two-sample Kolmogorov–Smirnov test as scipy's `ks_2samp(reference,
//! current)` runs it for Evidently (two-sided, method 'auto'): exact
//! lattice-path counts when both samples have at most 10,000 values, else the
//! asymptotic p-value `kstwo.sf(D, round(n1·n2/(n1+n2)))`.

use super::buckets::{KeyIndex, Placement};
use super::counts::distinct_sorted;
use super::kolmogorov::{exact_two_sample_sf, kstwo_sf};

/// scipy's `MAX_AUTO_N`: 'auto' is exact while both sides are at most this long.
const MAX_EXACT_N: usize = 10_000;

/// The statistic and two-sided p-value. The reference sorted ascending,
/// the current side in any order; both non-empty.
pub(crate) fn ks_two_sample(sorted_reference: &[f64], current: &[f64]) -> (f64, f64) {
    let n1 = sorted_reference.len();
    let n2 = current.len();
    let (keys, reference_counts) = distinct_sorted(sorted_reference);
    let placement = Placement::new(&KeyIndex::new(&keys), current);
    let d = max_cdf_difference(&reference_counts, &placement, n1 as f64, n2 as f64);
    let g = gcd(n1, n2);
    if n1.max(n2) <= MAX_EXACT_N {
        // scipy reports the statistic rounded to the lattice: h / lcm(n1, n2).
        let lcm = (n1 / g) as f64 * n2 as f64;
        let h = (d * lcm).round_ties_even();
        let d_lattice = h / lcm;
        if let Some(p) = exact_two_sample_sf(n1, n2, g, h as u64) {
            return (d_lattice, p.clamp(0.0, 1.0));
        }
        return (d_lattice, asymptotic_p(d_lattice, n1, n2));
    }
    (d, asymptotic_p(d, n1, n2))
}

fn asymptotic_p(d: f64, n1: usize, n2: usize) -> f64 {
    let (m, n) = if n1 >= n2 { (n1 as f64, n2 as f64) } else { (n2 as f64, n1 as f64) };
    let en = m * n / (m + n);
    // np.round rounds halves to even; en is at least 1/2, so n >= 1 after the max.
    let n_effective = en.round_ties_even().max(1.0) as u64;
    kstwo_sf(d, n_effective).clamp(0.0, 1.0)
}

/// max |F_ref(x) - F_cur(x)| as scipy takes it: the ECDFs (values <= x)
/// at every pooled value, the largest positive and the largest negative
/// difference, the larger one reported. Between two reference values F_ref
/// is flat and F_cur rises, so the extremes are at the reference values and
/// at the last current value of each gap: the same (i/n1 - j/n2) numbers
/// scipy computes, taken from counts.
fn max_cdf_difference(reference_counts: &[u64], placement: &Placement, n1: f64, n2: f64) -> f64 {
    let mut max_positive = f64::NEG_INFINITY;
    let mut max_negative = f64::NEG_INFINITY;
    let mut track = |reference_seen: u64, current_seen: u64| {
        let difference = reference_seen as f64 / n1 - current_seen as f64 / n2;
        max_positive = max_positive.max(difference);
        max_negative = max_negative.max(-difference);
    };
    let (mut reference_seen, mut current_seen) = (0_u64, 0_u64);
    for (gap, &between) in placement.between.iter().enumerate() {
        if between > 0 {
            current_seen += between;
            track(reference_seen, current_seen);
        }
        if let (Some(&on_reference), Some(&on_current)) = (reference_counts.get(gap), placement.on.get(gap)) {
            reference_seen += on_reference;
            current_seen += on_current;
            track(reference_seen, current_seen);
        }
    }
    let min_s = max_negative.clamp(0.0, 1.0);
    if min_s > max_positive {
        min_s
    } else {
        max_positive
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_have_no_difference() {
        let sample = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(ks_two_sample(&sample, &sample), (0.0, 1.0));
    }

    #[test]
    fn disjoint_samples_have_difference_one() {
        let (d, p) = ks_two_sample(&[1.0, 2.0], &[3.0, 4.0]);
        assert_eq!(d, 1.0);
        assert!((p - 1.0 / 3.0).abs() < 1e-15, "{p}");
    }
}
