//! The random numbers the randomised models draw, as numpy's legacy
//! `RandomState(seed)` draws them (on the crate's MT19937, `crate::rng`):
//! `randint(high)`, `uniform(low, high)`, `shuffle` and scikit-learn's
//! `sample_without_replacement`. Reproducing numpy's streams rather than
//! using a faster generator costs little (a few draws per sample and epoch)
//! and buys exact parity of the random choices with scikit-learn for the same
//! `random_state`, so that a seed means the same subsets, shuffles and
//! initial weights here as in PyCaret.

use crate::rng::Mt19937;

/// numpy's `RandomState(seed)`, for the calls the models make.
pub(crate) struct NumpyRandom {
    mt: Mt19937,
}

impl NumpyRandom {
    /// `np.random.RandomState(seed)` (scikit-learn's `check_random_state(int)`).
    pub(crate) fn new(seed: u32) -> Self {
        NumpyRandom { mt: Mt19937::new(seed) }
    }

    /// A uniform integer in `0..=max` by masked rejection, numpy's
    /// `random_interval` and the legacy bounded `randint` path (both draw
    /// 32-bit words for a range below 2^32, which is every range here).
    pub(crate) fn interval(&mut self, max: u32) -> u32 {
        self.mt.interval(max)
    }

    /// `randint(high)`: a uniform integer in `0..high` (`high` ≥ 1 and below
    /// 2^32; callers pass row counts).
    pub(crate) fn randint(&mut self, high: usize) -> usize {
        self.interval(high.saturating_sub(1).min(u32::MAX as usize) as u32) as usize
    }

    /// `random_sample()`: a double in [0, 1) from two 32-bit words (53 bits).
    pub(crate) fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.mt.next_u32() >> 5);
        let b = f64::from(self.mt.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `uniform(low, high)`: `low + (high - low) * random_sample()`.
    pub(crate) fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// `shuffle(values)` on a 1-d array: Fisher-Yates from the end.
    pub(crate) fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            let j = self.interval(i as u32) as usize;
            values.swap(i, j);
        }
    }

    /// `permutation(n)`.
    pub(crate) fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut values: Vec<usize> = (0..n).collect();
        self.shuffle(&mut values);
        values
    }

    /// scikit-learn's `sample_without_replacement(n_population, n_samples)`
    /// with `method="auto"`: a permutation prefix for a ratio in (0.01, 0.99),
    /// otherwise tracking selection (ratio below 0.2) or reservoir sampling.
    pub(crate) fn sample_without_replacement(&mut self, n_population: usize, n_samples: usize) -> Vec<usize> {
        let ratio = if n_population == 0 { 1.0 } else { n_samples as f64 / n_population as f64 };
        if ratio > 0.01 && ratio < 0.99 {
            let mut permutation = self.permutation(n_population);
            permutation.truncate(n_samples);
            return permutation;
        }
        if ratio < 0.2 {
            self.tracking_selection(n_population, n_samples)
        } else {
            self.reservoir_sampling(n_population, n_samples)
        }
    }

    fn tracking_selection(&mut self, n_population: usize, n_samples: usize) -> Vec<usize> {
        let mut selected = std::collections::HashSet::with_capacity(n_samples);
        let mut out = Vec::with_capacity(n_samples);
        for _ in 0..n_samples {
            let mut j = self.randint(n_population);
            while selected.contains(&j) {
                j = self.randint(n_population);
            }
            selected.insert(j);
            out.push(j);
        }
        out
    }

    fn reservoir_sampling(&mut self, n_population: usize, n_samples: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n_samples).collect();
        for i in n_samples..n_population {
            let j = self.randint(i + 1);
            if j < n_samples {
                out[j] = i;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values printed by numpy 2 (`np.random.RandomState(0)`).
    #[test]
    fn draws_match_numpy_legacy_random_state() {
        let mut rng = NumpyRandom::new(0);
        let uniform: Vec<f64> = (0..3).map(|_| rng.random_sample()).collect();
        assert_eq!(uniform, vec![0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
        assert_eq!(NumpyRandom::new(0).permutation(10), vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        let mut rng = NumpyRandom::new(42);
        let ints: Vec<usize> = (0..5).map(|_| rng.randint(100)).collect();
        assert_eq!(ints, vec![51, 92, 14, 71, 60]);
        assert_eq!(NumpyRandom::new(42).sample_without_replacement(10, 5), vec![8, 1, 5, 0, 7]);
        assert_eq!(NumpyRandom::new(3).sample_without_replacement(1000, 5), vec![874, 664, 249, 643, 952]);
        let reservoir = NumpyRandom::new(3).sample_without_replacement(100, 99);
        assert_eq!((reservoir[23], reservoir[24], reservoir[25]), (23, 99, 25));
        assert_eq!(NumpyRandom::new(7).uniform(-0.3, 0.3), -0.2542150263756257);
    }
}
