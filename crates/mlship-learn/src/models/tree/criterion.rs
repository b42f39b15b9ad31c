//! Split criteria for regression, as scikit-learn's `_criterion.pyx` computes
//! them: running weighted sums over the node's samples, updated from the
//! nearer end when the split position moves, the proxy improvement used to
//! rank candidate splits, and the exact impurity improvement stored on the
//! node. Summation order follows scikit-learn's so that gains agree to the
//! last bit wherever the sample order does. Classification criteria (gini,
//! entropy, log loss) are further variants of `CriterionKind`.
//!
//! Poisson's impurity is the half Poisson deviance; a node whose target sums
//! to zero has infinite impurity and never splits, as there.
//!
//! `friedman_mse` is an alias of `squared_error`, as in scikit-learn 1.9
//! (which deprecated it: "both were always equivalent" for ranking splits).

use serde::{Deserialize, Serialize};

/// The impurity a regression tree minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKind {
    /// Variance of the target (scikit-learn's `MSE`).
    SquaredError,
    /// Half Poisson deviance (a non-negative target with a positive sum).
    Poisson,
}

impl CriterionKind {
    /// The kind from scikit-learn's criterion name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "squared_error" | "friedman_mse" => Some(CriterionKind::SquaredError),
            "poisson" => Some(CriterionKind::Poisson),
            _ => None,
        }
    }
}

/// Running sums of one node (single output).
pub(crate) struct Criterion<'a> {
    kind: CriterionKind,
    y: &'a [f64],
    weights: Option<&'a [f64]>,
    /// The weight of every training sample (the denominator of importances).
    pub weighted_n_samples: f64,
    start: usize,
    end: usize,
    pos: usize,
    sq_sum_total: f64,
    sum_total: f64,
    sum_left: f64,
    sum_right: f64,
    pub weighted_n_node_samples: f64,
    pub weighted_n_left: f64,
    pub weighted_n_right: f64,
}

impl<'a> Criterion<'a> {
    pub fn new(kind: CriterionKind, y: &'a [f64], weights: Option<&'a [f64]>, weighted_n_samples: f64) -> Self {
        Criterion {
            kind,
            y,
            weights,
            weighted_n_samples,
            start: 0,
            end: 0,
            pos: 0,
            sq_sum_total: 0.0,
            sum_total: 0.0,
            sum_left: 0.0,
            sum_right: 0.0,
            weighted_n_node_samples: 0.0,
            weighted_n_left: 0.0,
            weighted_n_right: 0.0,
        }
    }

    #[inline]
    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `init`: the totals of `samples[start..end]`, in that order.
    pub fn init(&mut self, samples: &[usize], start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.sq_sum_total = 0.0;
        self.sum_total = 0.0;
        self.weighted_n_node_samples = 0.0;
        for &i in &samples[start..end] {
            let w = self.weight(i);
            let w_y = w * self.y[i];
            self.sum_total += w_y;
            self.sq_sum_total += w_y * self.y[i];
            self.weighted_n_node_samples += w;
        }
        self.reset();
    }

    /// Every sample on the right.
    pub fn reset(&mut self) {
        self.sum_left = 0.0;
        self.sum_right = self.sum_total;
        self.weighted_n_left = 0.0;
        self.weighted_n_right = self.weighted_n_node_samples;
        self.pos = self.start;
    }

    fn reverse_reset(&mut self) {
        self.sum_right = 0.0;
        self.sum_left = self.sum_total;
        self.weighted_n_right = 0.0;
        self.weighted_n_left = self.weighted_n_node_samples;
        self.pos = self.end;
    }

    /// Moves `samples[pos..new_pos]` to the left, from whichever end is nearer.
    pub fn update(&mut self, samples: &[usize], new_pos: usize) {
        if new_pos - self.pos <= self.end - new_pos {
            for &i in &samples[self.pos..new_pos] {
                let w = self.weight(i);
                self.sum_left += w * self.y[i];
                self.weighted_n_left += w;
            }
        } else {
            self.reverse_reset();
            for &i in samples[new_pos..self.end].iter().rev() {
                let w = self.weight(i);
                self.sum_left -= w * self.y[i];
                self.weighted_n_left -= w;
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        self.sum_right = self.sum_total - self.sum_left;
        self.pos = new_pos;
    }

    /// The impurity of the node.
    pub fn node_impurity(&self, samples: &[usize]) -> f64 {
        match self.kind {
            CriterionKind::SquaredError => {
                let mean = self.sum_total / self.weighted_n_node_samples;
                self.sq_sum_total / self.weighted_n_node_samples - mean.powi(2)
            }
            CriterionKind::Poisson => {
                self.poisson_loss(&samples[self.start..self.end], self.sum_total, self.weighted_n_node_samples)
            }
        }
    }

    /// `sum(w * xlogy(y, y / mean)) / sum(w)` (infinite for a sum at or below `EPSILON`).
    fn poisson_loss(&self, samples: &[usize], y_sum: f64, weight_sum: f64) -> f64 {
        if y_sum <= f64::EPSILON {
            return f64::INFINITY;
        }
        let y_mean = y_sum / weight_sum;
        let mut loss = 0.0;
        for &i in samples {
            let y = self.y[i];
            // scipy's xlogy: 0 where y is 0.
            let term = if y == 0.0 { 0.0 } else { y * (y / y_mean).ln() };
            loss += self.weight(i) * term;
        }
        loss / weight_sum
    }

    /// The node's prediction: the weighted mean.
    pub fn node_value(&self) -> f64 {
        self.sum_total / self.weighted_n_node_samples
    }

    /// A score that ranks splits as the impurity improvement does, cheaper.
    #[inline]
    pub fn proxy_impurity_improvement(&self) -> f64 {
        match self.kind {
            CriterionKind::SquaredError => {
                self.sum_left * self.sum_left / self.weighted_n_left
                    + self.sum_right * self.sum_right / self.weighted_n_right
            }
            CriterionKind::Poisson => {
                if self.sum_left <= f64::EPSILON || self.sum_right <= f64::EPSILON {
                    return f64::NEG_INFINITY;
                }
                let left = self.sum_left * (self.sum_left / self.weighted_n_left).ln();
                let right = self.sum_right * (self.sum_right / self.weighted_n_right).ln();
                // scikit-learn's -(0 - left) - (0 - right), exactly.
                left + right
            }
        }
    }

    /// The impurities of the two children at the current position.
    pub fn children_impurity(&self, samples: &[usize]) -> (f64, f64) {
        if self.kind == CriterionKind::Poisson {
            return (
                self.poisson_loss(&samples[self.start..self.pos], self.sum_left, self.weighted_n_left),
                self.poisson_loss(&samples[self.pos..self.end], self.sum_right, self.weighted_n_right),
            );
        }
        let mut sq_sum_left = 0.0;
        for &i in &samples[self.start..self.pos] {
            let y = self.y[i];
            sq_sum_left += self.weight(i) * y * y;
        }
        let sq_sum_right = self.sq_sum_total - sq_sum_left;
        let left = sq_sum_left / self.weighted_n_left - (self.sum_left / self.weighted_n_left).powi(2);
        let right = sq_sum_right / self.weighted_n_right - (self.sum_right / self.weighted_n_right).powi(2);
        (left, right)
    }

    /// The weighted impurity decrease stored on the node (`min_impurity_decrease` reads it).
    pub fn impurity_improvement(&self, parent: f64, left: f64, right: f64) -> f64 {
        (self.weighted_n_node_samples / self.weighted_n_samples)
            * (parent
                - self.weighted_n_right / self.weighted_n_node_samples * right
                - self.weighted_n_left / self.weighted_n_node_samples * left)
    }
}
