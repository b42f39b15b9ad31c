//! The numpy and scikit-learn reductions the models and metrics need,
//! computed as those libraries compute them so that results follow their
//! arithmetic: numpy's pairwise summation (`np.sum`, `np.mean`),
//! `np.percentile` with linear interpolation, scikit-learn's
//! `_weighted_percentile` (the "inverted_cdf" method), `np.argmax` and a
//! row-wise softmax (`exp(s - logsumexp(s))`).

/// numpy's `pairwise_sum` for float64 (`np.sum` of a contiguous array):
/// blocks of at most 128 values summed in 8 lanes, larger ranges halved.
pub(crate) fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut sum = 0.0;
        for &v in values {
            sum += v;
        }
        sum
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (lane, value) in r.iter_mut().zip(&values[i..i + 8]) {
                *lane += value;
            }
            i += 8;
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &values[i..] {
            sum += v;
        }
        sum
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
    }
}

/// `np.mean(values)`.
pub(crate) fn numpy_mean(values: &[f64]) -> f64 {
    pairwise_sum(values) / values.len() as f64
}

/// `np.percentile(values, q)` (method "linear"): the virtual index
/// `(n - 1) * q / 100` and numpy's `_lerp` between its neighbours.
pub(crate) fn percentile_linear(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let virtual_index = (n - 1) as f64 * (q / 100.0);
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if virtual_index < 0.0 {
        return sorted[0];
    }
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let (a, b) = (sorted[previous as usize], sorted[previous as usize + 1]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// scikit-learn's `_weighted_percentile(values, weights, rank)` with
/// `average=False`: the first value in sorted order whose cumulative weight
/// reaches `rank / 100` of the total (equal values are interchangeable, so
/// the sort's order among them does not matter).
pub(crate) fn weighted_percentile(values: &[f64], weights: &[f64], rank: f64) -> f64 {
    if values.is_empty() || weights.iter().all(|&w| w == 0.0) {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut cdf = Vec::with_capacity(order.len());
    let mut total = 0.0;
    for &i in &order {
        total += weights[i];
        cdf.push(total);
    }
    let mut target = rank / 100.0 * total;
    if target == 0.0 {
        target = f64::from_bits(1); // nextafter(0, 1)
    }
    let index = cdf.partition_point(|&c| c < target).min(order.len() - 1);
    values[order[index]]
}

/// The index of the first largest value (numpy's `argmax`).
pub(crate) fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (index, &value) in values.iter().enumerate() {
        if value > values[best] {
            best = index;
        }
    }
    best
}

/// Rows of scores turned into probabilities: `exp(s - logsumexp(s))`.
pub(crate) fn softmax_rows(scores: &mut [f64], per_row: usize) {
    for row in scores.chunks_mut(per_row) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_sum = row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
        row.iter_mut().for_each(|v| *v = (*v - log_sum).exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values printed by numpy 2.4 and scikit-learn 1.9.
    #[test]
    fn reductions_match_numpy_and_scikit_learn() {
        let values: Vec<f64> = (0..300).map(|i| ((i * 37 % 101) as f64 * 0.1).sin()).collect();
        let sequential: f64 = values.iter().sum();
        assert!((pairwise_sum(&values) - sequential).abs() < 1e-12);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        let v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // np.percentile(v, 50) == 3.5, np.percentile(v, 90) == 6.8999999999999995
        assert_eq!(percentile_linear(&v, 50.0), 3.5);
        assert_eq!(percentile_linear(&v, 90.0), 6.8999999999999995);
        assert_eq!(percentile_linear(&v, 100.0), 9.0);
        // _weighted_percentile(v, ones, 50) == 3.0 (the lower median), 90 -> 9.0
        let ones = [1.0; 8];
        assert_eq!(weighted_percentile(&v, &ones, 50.0), 3.0);
        assert_eq!(weighted_percentile(&v, &ones, 90.0), 9.0);
        assert_eq!(weighted_percentile(&v, &ones, 0.0), 1.0);
        assert_eq!(weighted_percentile(&[1.0, 2.0, 3.0], &[0.0, 0.0, 5.0], 50.0), 3.0);
    }
}
