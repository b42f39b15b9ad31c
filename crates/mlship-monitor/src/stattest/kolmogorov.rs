//! The Kolmogorov–Smirnov distributions scipy's `ks_2samp` uses for its
//! p-value: the exact two-sample counts (Hodges' lattice paths) and, for
//! large samples, the one-sample two-sided distribution `kstwo.sf(d, n)`
//! computed as scipy's `_ksstats.kolmogn` does (Simard and L'Ecuyer's choice
//! of method by n and n·d²), with the one-sided `smirnov` under it.
//!
//! Ported from scipy 1.17 (`scipy/stats/_stats_py.py`, `_stats_pythran.py`,
//! `_ksstats.py`) and xsf's `cephes/kolmogorov.h`, with two deliberate
//! simplifications, both exact methods giving the same number to ~1e-13:
//! - where scipy uses Pomeranz's recursion (n <= 140, 0.754693 < n·d² <= 4)
//!   this uses the Durbin matrix (Marsaglia–Tsang–Wang) that scipy uses just
//!   below that range;
//! - `smirnov` sums its (positive) terms in log space in f64 where xsf uses
//!   double-double arithmetic; the parity fixtures bound the difference.

/// 2^128 and 2^-128: the rescaling steps of the Durbin matrix powers.
const TWO_POW_128: f64 = 3.402_823_669_209_385e38;
const TWO_POW_MINUS_128: f64 = 2.938_735_877_055_719e-39;
/// Cephes MINLOG: exp() below it underflows.
const MINLOG: f64 = -708.396_418_532_264_1;

/// Two-sided p-value of the two-sample statistic `h / lcm(n1, n2)` by
/// counting lattice paths, as scipy's `_attempt_exact_2kssamp`; `None` when
/// the count is not a probability (scipy then falls back to the asymptotic
/// mode).
pub(crate) fn exact_two_sample_sf(n1: usize, n2: usize, gcd: usize, h: u64) -> Option<f64> {
    if h == 0 {
        return Some(1.0);
    }
    let p = if n1 == n2 {
        prob_outside_square(n1 as i64, h as i64)
    } else {
        outer_prob_inside_method(n1 as i64, n2 as i64, gcd as i64, h as i64)?
    };
    (0.0..=1.0).contains(&p).then_some(p)
}

/// P(D_{n,n} >= h/n) by the alternating sum of binomial ratios, in scipy's
/// Horner-like form (`_compute_prob_outside_square`).
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut total = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        total = p1 * (1.0 - total);
        k -= 1;
    }
    2.0 * total
}

/// 1 - P(paths stay strictly inside |x/m - y/n| < h/lcm), Viehmann's
/// recursion over one sliding column (`_compute_outer_prob_inside_method`).
/// `None` if an index leaves the column (scipy would raise).
fn outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> Option<f64> {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let ceil_div = |a: i64, b: i64| -> i64 { a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0) };
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut column = vec![1.0_f64; len_a];
    for value in column.iter_mut().take(maxj as usize) {
        *value = 0.0;
    }
    for i in 1..=m {
        let lastminj = minj;
        let lastlen = curlen;
        minj = ((ng * i - h).div_euclid(mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return Some(1.0);
        }
        let mut value = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let previous = *column.get((jj + minj - lastminj) as usize)?;
            value = (previous * i as f64 + value * j as f64) / (i + j) as f64;
            *column.get_mut(jj as usize)? = value;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(column.len());
            for value in column.iter_mut().take(end).skip(start) {
                *value = 1.0;
            }
        }
    }
    column.get((maxj - minj - 1) as usize).copied()
}

/// scipy's `kstwo.sf(x, n)`: P(D_n >= x) for the two-sided one-sample statistic.
pub(crate) fn kstwo_sf(x: f64, n: u64) -> f64 {
    // rv_continuous: 1 at or below the support's lower end 0.5/n, 0 at or above 1.
    if x <= 0.5 / n as f64 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n, x).clamp(0.0, 1.0)
}

/// `_kolmogn(n, x, cdf=False)`.
fn kolmogn_sf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: 1/2n <= x <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |prod, i| prod * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0)))
        } else {
            (log_factorial_over_power(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return 1.0 - cdf;
    }
    if t >= nf - 1.0 {
        return 2.0 * (1.0 - x).powf(nf);
    }
    if x >= 0.5 {
        return 2.0 * smirnov_sf(n, x);
    }
    let n_x_squared = t * x;
    if n <= 140 {
        if n_x_squared <= 4.0 {
            // scipy: Durbin up to 0.754693, Pomeranz up to 4; both exact.
            return 1.0 - durbin_cdf(n, x);
        }
        return 2.0 * smirnov_sf(n, x);
    }
    if n_x_squared >= 370.0 {
        return 0.0;
    }
    if n_x_squared >= 2.2 {
        return 2.0 * smirnov_sf(n, x);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 { durbin_cdf(n, x) } else { pelz_good_cdf(nf, x) };
    1.0 - cdf
}

/// log(n!/n^n) by Stirling's series (`_log_nfactorial_div_n_pow_n`).
fn log_factorial_over_power(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -2.955_065_359_477_124e-2,
        6.410_256_410_256_41e-3,
        -1.917_526_917_526_917_6e-3,
        8.417_508_417_508_417e-4,
        -5.952_380_952_380_952e-4,
        7.936_507_936_507_937e-4,
        -2.777_777_777_777_778e-3,
        8.333_333_333_333_333e-2,
    ];
    let rn = 1.0 / n;
    let y = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, c| acc * y + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

/// Multiplies `p` by 2^exponent in steps that neither overflow nor flush early.
fn scale_by_power_of_two(mut p: f64, mut exponent: i64) -> f64 {
    while exponent > 0 {
        let step = exponent.min(1_000);
        p *= 2f64.powi(step as i32);
        exponent -= step;
    }
    while exponent < 0 {
        let step = (-exponent).min(1_000);
        p *= 2f64.powi(-(step as i32));
        exponent += step;
    }
    p
}

/// Square matrix product of two row-major m×m matrices.
fn matrix_product(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let a_ik = a[i * m + k];
            if a_ik == 0.0 {
                continue;
            }
            let row_b = &b[k * m..(k + 1) * m];
            let row_out = &mut out[i * m..(i + 1) * m];
            for (o, b_kj) in row_out.iter_mut().zip(row_b) {
                *o += a_ik * b_kj;
            }
        }
    }
    out
}

/// P(D_n <= d) by Durbin's matrix, the Marsaglia–Tsang–Wang way (`_kolmogn_DMTW`).
fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    let mut matrix = vec![0.0; m * m];
    for i in 1..m {
        for (offset, row) in ((i - 1)..m).enumerate() {
            matrix[row * m + i] = w[offset];
        }
    }
    for row in 0..m {
        matrix[row * m] = v[row];
    }
    for col in 0..m {
        matrix[(m - 1) * m + col] = v[m - 1 - col];
    }
    let mut power = vec![0.0; m * m];
    for i in 0..m {
        power[i * m + i] = 1.0;
    }
    let mut exponent: i64 = 0;
    let mut matrix_exponent: i64 = 0;
    let mut remaining = n;
    while remaining > 0 {
        if remaining % 2 == 1 {
            power = matrix_product(&power, &matrix, m);
            exponent += matrix_exponent;
        }
        matrix = matrix_product(&matrix, &matrix, m);
        matrix_exponent *= 2;
        if matrix[(k - 1) * m + (k - 1)].abs() > TWO_POW_128 {
            for value in &mut matrix {
                *value /= TWO_POW_128;
            }
            matrix_exponent += 128;
        }
        remaining /= 2;
    }
    let mut p = power[(k - 1) * m + (k - 1)];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < TWO_POW_MINUS_128 {
            p *= TWO_POW_128;
            exponent -= 128;
        }
    }
    scale_by_power_of_two(p, exponent).clamp(0.0, 1.0)
}

/// The Pelz–Good approximation to P(D_n <= x) (`_kolmogn_PelzGood`).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let sqrt_2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut terms = [0.0_f64; 4];
    let max_k = (16.0 * z / PI).ceil() as i64;
    for k in (1..=max_k).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let q_power = q.powf(8.0 * k as f64);
        let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
        for (term, c) in terms.iter_mut().zip(coefficients) {
            *term = *term * q_power + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6_480.0 * z.powi(10)];
    for (term, divisor) in terms.iter_mut().zip(divisors) {
        *term = *term * q * sqrt_2pi / divisor;
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for k in (1..=max_k).rev() {
        let kf = k as f64;
        let k2 = kf * kf;
        let q_power = q.powf(k2);
        let kpi = PI * kf;
        k2extra += k2 * q_power;
        k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * q_power;
    }
    terms[2] += k2extra * pi2 * sqrt_2pi / (-36.0 * z3);
    terms[3] += k3extra * pi2 * sqrt_2pi / (216.0 * z6);
    for (i, term) in terms.iter_mut().enumerate() {
        *term /= n.powf(i as f64 / 2.0);
    }
    terms.iter().sum()
}

/// The one-sided Smirnov survival P(D_n^+ >= x) (xsf `_smirnov`), by the
/// Birnbaum–Tingey lower sum of positive terms, each taken in log space.
pub(crate) fn smirnov_sf(n: u64, x: f64) -> f64 {
    if !(0.0..=1.0).contains(&x) || n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let nx = nf * x;
    let nx_floor = nx.floor();
    let alpha = nx - nx_floor;
    let nx_floor = nx_floor as u64;
    if nx_floor == 0 || (nx_floor == 1 && alpha == 0.0) {
        return 1.0 - x * (1.0 + x).powf(nf - 1.0);
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nx_floor >= n - 1 {
        return (1.0 - x).powf(nf);
    }
    if n > 1_000_000 {
        let log_p = -(6.0 * nx + 1.0).powi(2) / 18.0 / nf;
        return if log_p < -std::f64::consts::LN_2 { log_p.exp() } else { 1.0 + log_p.exp_m1() };
    }
    // Terms v = 0 ..= ceil(n(1-x)) - 1 (xsf's n1mxfl, whether or not n·x is
    // an integer): C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v).
    let last = n - nx_floor - 1;
    let mut log_binomial = 0.0_f64;
    let mut sum = 0.0_f64;
    for v in 0..=last {
        let vf = v as f64;
        let upper = (nf - vf) / nf - x;
        if upper > 0.0 {
            let log_term = log_binomial + (vf - 1.0) * (vf / nf + x).ln() + (nf - vf) * upper.ln();
            let term = log_term.exp();
            sum += term;
            // Stop once the remaining terms cannot move the sum (xsf's rule).
            if term != 0.0 && 4.0 * (last - v) as f64 * term < f64::EPSILON * sum && v != last {
                break;
            }
        }
        log_binomial += ((nf - vf) / (vf + 1.0)).ln();
    }
    (x * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_exact_matches_small_enumeration() {
        // n = 2: the 6 interleavings of two 2-samples; D = 1 in 2 of them.
        let p = exact_two_sample_sf(2, 2, 2, 2).unwrap_or(f64::NAN);
        assert!((p - 1.0 / 3.0).abs() < 1e-15, "{p}");
    }

    #[test]
    fn unequal_exact_is_a_probability() {
        let p = exact_two_sample_sf(3, 5, 1, 9).unwrap_or(f64::NAN);
        assert!((0.0..=1.0).contains(&p), "{p}");
        assert_eq!(exact_two_sample_sf(3, 5, 1, 0), Some(1.0));
    }

    #[test]
    fn kstwo_sf_edges() {
        assert_eq!(kstwo_sf(0.001, 10), 1.0);
        assert_eq!(kstwo_sf(1.0, 10), 0.0);
        // n = 1: D = max(U, 1 - U), so P(D >= 0.99) = 0.02.
        assert!((kstwo_sf(0.99, 1) - 0.02).abs() < 1e-12);
    }
}
