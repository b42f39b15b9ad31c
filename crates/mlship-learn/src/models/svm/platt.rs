//! libsvm's probability estimates for C-SVC (svm.cpp as vendored in
//! scikit-learn): Platt's sigmoid fitted by Newton's method with a
//! backtracking line search on decision values from an internal 5-fold
//! cross-validation (`sigmoid_train`, Lin, Lin & Weng's improvement), and the
//! pairwise coupling of the one-vs-one probabilities (`multiclass_probability`,
//! method 2 of Wu, Lin & Weng), which scikit-learn's fork runs for two classes
//! too (upstream libsvm takes the pairwise probability as is there).
//!
//! The fold shuffle draws from scikit-learn's `newrand.h`: a 32-bit
//! `std::mt19937` seeded with `randint(INT_MAX)` of the estimator's
//! `random_state`, bounded by Lemire's multiply-and-reject. Every training
//! call re-seeds it (`svm_train` calls `set_seed` and the cross-validation
//! trains through it), so each pair's shuffle starts from the seed again.

use crate::rng::Mt19937;

/// scikit-learn's libsvm random stream (`newrand.h`).
pub(super) struct LibsvmRandom {
    seed: u32,
    mt: Mt19937,
}

impl LibsvmRandom {
    /// `set_seed(seed)` (`std::mt19937::seed` is `init_genrand`, as numpy's).
    pub(super) fn new(seed: u32) -> Self {
        LibsvmRandom { seed, mt: Mt19937::new(seed) }
    }

    /// What `svm_train` does first: back to the seed.
    pub(super) fn reseed(&mut self) {
        self.mt = Mt19937::new(self.seed);
    }

    /// `bounded_rand_int(range)`: a uniform integer in `0..range` by
    /// Lemire's multiply-shift with rejection (`range` ≥ 1).
    pub(super) fn bounded(&mut self, range: u32) -> u32 {
        let mut m = u64::from(self.mt.next_u32()) * u64::from(range);
        let mut low = m as u32;
        if low < range {
            let mut threshold = range.wrapping_neg();
            if threshold >= range {
                threshold -= range;
                if threshold >= range {
                    threshold %= range;
                }
            }
            while low < threshold {
                m = u64::from(self.mt.next_u32()) * u64::from(range);
                low = m as u32;
            }
        }
        (m >> 32) as u32
    }
}

/// The logistic loss of targets `t` at f = dec·A + B, split at 0 as libsvm
/// splits it so that neither branch overflows.
fn sigmoid_loss(dec_values: &[f64], targets: &[f64], a: f64, b: f64) -> f64 {
    let mut value = 0.0;
    for (dec, t) in dec_values.iter().zip(targets) {
        let f = dec * a + b;
        if f >= 0.0 {
            value += t * f + (1.0 + (-f).exp()).ln();
        } else {
            value += (t - 1.0) * f + (1.0 + f.exp()).ln();
        }
    }
    value
}

/// `sigmoid_train`: A and B of P(y = 1 | f) = 1 / (1 + exp(A·f + B)) fitted
/// to `dec_values` and `labels` (±1) with Platt's smoothed targets.
pub(super) fn sigmoid_train(dec_values: &[f64], labels: &[f64]) -> (f64, f64) {
    let prior1 = labels.iter().filter(|&&y| y > 0.0).count() as f64;
    let prior0 = labels.len() as f64 - prior1;
    let (max_iter, min_step, sigma, eps) = (100, 1e-10, 1e-12, 1e-5);
    let hi_target = (prior1 + 1.0) / (prior1 + 2.0);
    let lo_target = 1.0 / (prior0 + 2.0);
    let targets: Vec<f64> = labels.iter().map(|&y| if y > 0.0 { hi_target } else { lo_target }).collect();
    let (mut a, mut b) = (0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let mut fval = sigmoid_loss(dec_values, &targets, a, b);
    for _ in 0..max_iter {
        // The gradient and the Hessian plus sigma·I (strictly positive definite).
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
        for (dec, t) in dec_values.iter().zip(&targets) {
            let f = dec * a + b;
            let (p, q) = if f >= 0.0 {
                ((-f).exp() / (1.0 + (-f).exp()), 1.0 / (1.0 + (-f).exp()))
            } else {
                (1.0 / (1.0 + f.exp()), f.exp() / (1.0 + f.exp()))
            };
            let d2 = p * q;
            h11 += dec * dec * d2;
            h22 += d2;
            h21 += dec * d2;
            let d1 = t - p;
            g1 += dec * d1;
            g2 += d1;
        }
        if g1.abs() < eps && g2.abs() < eps {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= min_step {
            let (new_a, new_b) = (a + step * da, b + step * db);
            let new_f = sigmoid_loss(dec_values, &targets, new_a, new_b);
            if new_f < fval + 0.0001 * step * gd {
                (a, b, fval) = (new_a, new_b, new_f);
                break;
            }
            step /= 2.0;
        }
        if step < min_step {
            // libsvm: "line search fails"; keeps the last A and B.
            break;
        }
    }
    (a, b)
}

/// `sigmoid_predict`: 1 / (1 + exp(dec·A + B)), computed on the side that
/// cannot overflow.
pub(super) fn sigmoid_predict(dec: f64, a: f64, b: f64) -> f64 {
    let f = dec * a + b;
    if f >= 0.0 {
        (-f).exp() / (1.0 + (-f).exp())
    } else {
        1.0 / (1.0 + f.exp())
    }
}

/// `multiclass_probability`: class probabilities from the pairwise ones
/// (`r[i][j]` ≈ P(i | i or j), row-major k × k) by Wu, Lin & Weng's fixed
/// point, stopped at a violation below 0.005 / k or after max(100, k) sweeps.
pub(super) fn multiclass_probability(k: usize, r: &[f64]) -> Vec<f64> {
    let mut p = vec![1.0 / k as f64; k];
    let mut q = vec![0.0; k * k];
    for t in 0..k {
        for j in 0..t {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = q[j * k + t];
        }
        for j in t + 1..k {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    let eps = 0.005 / k as f64;
    let mut qp = vec![0.0; k];
    for _ in 0..k.max(100) {
        // Recomputed every sweep for accuracy, as libsvm does.
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = 0.0;
            for j in 0..k {
                qp[t] += q[t * k + j] * p[j];
            }
            pqp += p[t] * qp[t];
        }
        let max_error = qp.iter().fold(0.0f64, |worst, v| {
            let error = (v - pqp).abs();
            if error > worst {
                error
            } else {
                worst
            }
        });
        if max_error < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t * k + j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_draws_stay_in_range_and_follow_the_mt19937_stream() {
        let mut random = LibsvmRandom::new(5489);
        // std::mt19937's first output for the default seed is 3499211612:
        // (3499211612 · 10) >> 32 = 8.
        assert_eq!(random.bounded(10), 8);
        assert!((0..1000).all(|_| random.bounded(7) < 7));
        random.reseed();
        assert_eq!(random.bounded(10), 8);
    }

    #[test]
    fn the_sigmoid_separates_the_labels_by_the_decision_values() {
        let dec: Vec<f64> = (0..40).map(|i| f64::from(i) / 10.0 - 2.0).collect();
        let labels: Vec<f64> = dec.iter().map(|&d| if d + 0.3 * (d * 7.0).sin() > 0.0 { 1.0 } else { -1.0 }).collect();
        let (a, b) = sigmoid_train(&dec, &labels);
        assert!(a < 0.0, "{a}");
        assert!(sigmoid_predict(2.0, a, b) > 0.9 && sigmoid_predict(-2.0, a, b) < 0.1, "{a} {b}");
    }

    #[test]
    fn coupling_returns_a_distribution_that_agrees_with_consistent_pairs() {
        let truth = [0.5, 0.3, 0.2];
        let mut r = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    r[i * 3 + j] = truth[i] / (truth[i] + truth[j]);
                }
            }
        }
        let p = multiclass_probability(3, &r);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for (got, want) in p.iter().zip(truth) {
            assert!((got - want).abs() < 1e-3, "{p:?}");
        }
    }
}
