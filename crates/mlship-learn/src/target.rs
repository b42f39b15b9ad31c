//! `transform_target`: Yeo-Johnson on the target (scikit-learn's
//! `PowerTransformer(method="yeo-johnson", standardize=False)`), inverted on
//! the model's predictions. Lambda maximises the Yeo-Johnson log-likelihood,
//! found by Brent's method as scipy does (we search to a tighter tolerance, so
//! lambda agrees with scipy's to about 1e-8, not to the last bit).

use crate::matrix::mean;
use serde::{Deserialize, Serialize};

/// A fitted Yeo-Johnson transform of the target (PyCaret's `transform_target`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedYeoJohnson {
    /// The power, fitted by maximum likelihood.
    pub lambda: f64,
}

impl FittedYeoJohnson {
    /// Checks a transform read from a file: lambda is finite.
    pub fn validate(&self) -> Result<(), String> {
        if self.lambda.is_finite() {
            Ok(())
        } else {
            Err(format!("lambda is {} (not a finite number)", self.lambda))
        }
    }
}

fn transform_one(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < f64::EPSILON {
            x.ln_1p()
        } else {
            ((x + 1.0).powf(lambda) - 1.0) / lambda
        }
    } else if (lambda - 2.0).abs() > f64::EPSILON {
        -((-x + 1.0).powf(2.0 - lambda) - 1.0) / (2.0 - lambda)
    } else {
        -(-x).ln_1p()
    }
}

fn inverse_one(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < f64::EPSILON {
            x.exp() - 1.0
        } else {
            (x * lambda + 1.0).powf(1.0 / lambda) - 1.0
        }
    } else if (lambda - 2.0).abs() > f64::EPSILON {
        1.0 - (-(2.0 - lambda) * x + 1.0).powf(1.0 / (2.0 - lambda))
    } else {
        1.0 - (-x).exp()
    }
}

fn negative_log_likelihood(y: &[f64], lambda: f64) -> f64 {
    let transformed: Vec<f64> = y.iter().map(|&v| transform_one(v, lambda)).collect();
    let m = mean(&transformed);
    let variance = transformed.iter().map(|t| (t - m).powi(2)).sum::<f64>() / y.len() as f64;
    if variance <= f64::MIN_POSITIVE {
        return f64::INFINITY;
    }
    let log_jacobian: f64 = y.iter().map(|&v| v.signum() * v.abs().ln_1p()).sum();
    -(-(y.len() as f64) / 2.0 * variance.ln() + (lambda - 1.0) * log_jacobian)
}

impl FittedYeoJohnson {
    /// Fits the power on `y`, searching [-2, 2] as scikit-learn does.
    pub fn fit(y: &[f64]) -> Self {
        FittedYeoJohnson { lambda: brent_minimize(|l| negative_log_likelihood(y, l), -2.0, 2.0) }
    }

    /// The transformed values of `y`.
    pub fn transform(&self, y: &[f64]) -> Vec<f64> {
        y.iter().map(|&v| transform_one(v, self.lambda)).collect()
    }

    /// Turns transformed values back into the target's scale, in place.
    pub fn inverse(&self, y: &mut [f64]) {
        for value in y.iter_mut() {
            *value = inverse_one(*value, self.lambda);
        }
    }
}

/// Brent's minimisation after bracketing downhill from (a, b), as
/// `scipy.optimize.brent(brack=(a, b))` but to a tolerance of 1e-12.
fn brent_minimize(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const GOLD: f64 = 1.618_033_988_749_895;
    const CGOLD: f64 = 0.381_966_011_250_105;
    let (mut xa, mut xb) = (a, b);
    let (mut fa, mut fb) = (f(xa), f(xb));
    if fa < fb {
        std::mem::swap(&mut xa, &mut xb);
        std::mem::swap(&mut fa, &mut fb);
    }
    let mut xc = xb + GOLD * (xb - xa);
    let mut fc = f(xc);
    let mut expansions = 0;
    while fc < fb && expansions < 100 {
        xa = xb;
        xb = xc;
        fb = fc;
        xc = xb + GOLD * (xb - xa);
        fc = f(xc);
        expansions += 1;
    }
    let (mut lo, mut hi) = if xa < xc { (xa, xc) } else { (xc, xa) };
    let (mut x, mut w, mut v) = (xb, xb, xb);
    let (mut fx, mut fw, mut fv) = (fb, fb, fb);
    let mut d: f64 = 0.0;
    let mut e: f64 = 0.0;
    for _ in 0..500 {
        let mid = 0.5 * (lo + hi);
        let tol1 = 1e-12 * x.abs() + 1e-15;
        let tol2 = 2.0 * tol1;
        if (x - mid).abs() <= tol2 - 0.5 * (hi - lo) {
            break;
        }
        let mut use_golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            if p.abs() < (0.5 * q * e).abs() && p > q * (lo - x) && p < q * (hi - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - lo < tol2 || hi - u < tol2 {
                    d = if mid >= x { tol1 } else { -tol1 };
                }
                use_golden = false;
            }
        }
        if use_golden {
            e = if x >= mid { lo - x } else { hi - x };
            d = CGOLD * e;
        }
        let u = if d.abs() >= tol1 { x + d } else { x + tol1.copysign(d) };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                lo = x
            } else {
                hi = x
            }
            v = w;
            fv = fw;
            w = x;
            fw = fx;
            x = u;
            fx = fu;
        } else {
            if u < x {
                lo = u
            } else {
                hi = u
            }
            if fu <= fw || w == x {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_transform() {
        let fitted = FittedYeoJohnson { lambda: 0.3 };
        let y = [-3.0, -0.5, 0.0, 2.0, 1e4];
        let mut transformed = fitted.transform(&y);
        fitted.inverse(&mut transformed);
        for (a, b) in y.iter().zip(&transformed) {
            assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn brent_finds_a_parabola_minimum_outside_the_bracket() {
        let x = brent_minimize(|x| (x - 3.7).powi(2), -2.0, 2.0);
        assert!((x - 3.7).abs() < 1e-9, "{x}");
    }
}
