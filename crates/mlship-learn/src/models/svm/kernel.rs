//! libsvm's kernels, with its arithmetic while training: the integer power
//! `powi` by squaring, the RBF through ‖x‖² + ‖y‖² − 2x·y (`kernel_rbf`), dot
//! products summed feature by feature. Prediction uses the same formulas on
//! dot products computed by a matrix product (libsvm's `k_function` sums
//! (x − y)² for the RBF instead; the two differ by rounding, ~1e-15 relative,
//! and the distance is clipped at 0 here).

use serde::{Deserialize, Serialize};

/// A kernel and its resolved parameters (`gamma` is a number here: "scale"
/// and "auto" are resolved against the training data when fitting).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum SvmKernel {
    /// x·y.
    Linear,
    /// (γ x·y + coef0)^degree.
    Poly {
        /// The kernel coefficient γ.
        gamma: f64,
        /// The power.
        degree: i32,
        /// The constant term.
        coef0: f64,
    },
    /// exp(−γ‖x − y‖²).
    Rbf {
        /// The kernel coefficient γ.
        gamma: f64,
    },
    /// tanh(γ x·y + coef0).
    Sigmoid {
        /// The kernel coefficient γ.
        gamma: f64,
        /// The constant term.
        coef0: f64,
    },
}

/// libsvm's `powi`: exponentiation by squaring (not `f64::powi`, whose
/// rounding is the platform's).
pub fn powi(base: f64, times: i32) -> f64 {
    let (mut tmp, mut result) = (base, 1.0);
    let mut t = times;
    while t > 0 {
        if t % 2 == 1 {
            result *= tmp;
        }
        tmp *= tmp;
        t /= 2;
    }
    result
}

/// The dot product, summed in feature order.
#[cfg(test)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (u, v) in a.iter().zip(b) {
        sum += u * v;
    }
    sum
}

impl SvmKernel {
    /// K(xᵢ, xⱼ) while training, from x·y and the squared norms.
    #[inline]
    pub fn training_value(&self, dot: f64, square_i: f64, square_j: f64) -> f64 {
        match *self {
            SvmKernel::Linear => dot,
            SvmKernel::Poly { gamma, degree, coef0 } => powi(gamma * dot + coef0, degree),
            SvmKernel::Rbf { gamma } => (-gamma * (square_i + square_j - 2.0 * dot)).exp(),
            SvmKernel::Sigmoid { gamma, coef0 } => (gamma * dot + coef0).tanh(),
        }
    }

    /// K(x, sv) when predicting, from x·sv and the squared norms.
    #[inline]
    pub fn predict_value(&self, dot: f64, square_x: f64, square_sv: f64) -> f64 {
        match *self {
            SvmKernel::Rbf { gamma } => (-gamma * (square_x + square_sv - 2.0 * dot).max(0.0)).exp(),
            _ => self.training_value(dot, square_x, square_sv),
        }
    }

    /// Every parameter is finite.
    pub fn is_finite(&self) -> bool {
        match *self {
            SvmKernel::Linear => true,
            SvmKernel::Poly { gamma, coef0, .. } | SvmKernel::Sigmoid { gamma, coef0 } => {
                gamma.is_finite() && coef0.is_finite()
            }
            SvmKernel::Rbf { gamma } => gamma.is_finite(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_is_exponentiation_by_squaring() {
        assert_eq!(powi(1.5, 0), 1.0);
        assert_eq!(powi(-2.0, 3), -8.0);
        assert_eq!(powi(3.0, 5), 243.0);
    }

    #[test]
    fn the_rbf_is_exp_of_minus_gamma_squared_distance() {
        let (a, b) = ([0.3, -1.2, 2.0], [1.1, 0.4, -0.7]);
        let squared: f64 = a.iter().zip(&b).map(|(u, v)| (u - v) * (u - v)).sum();
        let kernel = SvmKernel::Rbf { gamma: 0.4 };
        let value = kernel.predict_value(dot(&a, &b), dot(&a, &a), dot(&b, &b));
        assert!((value - (-0.4 * squared).exp()).abs() < 1e-15);
    }

    #[test]
    fn training_and_prediction_kernels_agree() {
        let (a, b) = ([0.3, -1.2, 2.0], [1.1, 0.4, -0.7]);
        for kernel in [
            SvmKernel::Linear,
            SvmKernel::Rbf { gamma: 0.4 },
            SvmKernel::Poly { gamma: 0.5, degree: 3, coef0: 1.0 },
            SvmKernel::Sigmoid { gamma: 0.1, coef0: -0.5 },
        ] {
            let (ab, aa, bb) = (dot(&a, &b), dot(&a, &a), dot(&b, &b));
            assert!((kernel.training_value(ab, aa, bb) - kernel.predict_value(ab, aa, bb)).abs() < 1e-14, "{kernel:?}");
        }
    }
}
