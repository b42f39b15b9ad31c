//! A bound-constrained limited-memory BFGS minimiser that follows scipy's
//! `minimize(method="L-BFGS-B")` (L-BFGS-B 3.0, as translated to C in
//! scipy ≥ 1.15) step for step where the bounds are not active: the same
//! first step (the projected gradient, scaled to unit length), the same
//! More-Thuente line search (`dcsrch`, ftol 1e-3, gtol 0.9, xtol 0.1) with
//! the same initial and maximum steps, the same memory (10 pairs, θ = y'y/s'y,
//! pairs skipped when s'y ≤ eps·(-g'd)), the same stopping tests (projected
//! gradient ≤ gtol, relative decrease ≤ ftol, `max_iter` iterations) and the
//! same restarts after a failed line search. HuberRegressor uses it; it is
//! generic, so LogisticRegression and the MLP's lbfgs solver can too.
//!
//! Where a bound is active the generalised Cauchy point and the subspace
//! minimisation of L-BFGS-B are replaced by the projected quasi-Newton step
//! with L-BFGS-B's own safeguard (project; if that is not a descent step,
//! truncate the step at the first bound): the same fixed points, and the
//! same iterates whenever no variable reaches its bound (the usual case,
//! e.g. Huber's scale, bounded only at 10·eps). With no stored pairs the
//! Cauchy point of B = θI is exactly the projected gradient step, so the
//! first iteration matches even with an active bound.

use std::collections::VecDeque;

/// How the minimiser stops: scipy's option names and defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LbfgsbOptions {
    /// `maxiter`: iterations at most.
    pub max_iter: usize,
    /// `gtol`: the projected gradient's infinity norm to reach.
    pub gtol: f64,
    /// `ftol`: the relative decrease of f below which it stops.
    pub ftol: f64,
    /// `maxcor`: stored correction pairs.
    pub memory: usize,
    /// `maxfun`: function evaluations at most.
    pub max_fun: usize,
    /// `maxls`: line-search steps at most.
    pub max_line_search: usize,
}

impl LbfgsbOptions {
    /// scipy's defaults with the caller's `maxiter` and `gtol`.
    pub(crate) fn new(max_iter: usize, gtol: f64) -> Self {
        LbfgsbOptions { max_iter, gtol, ftol: 2.220446049250313e-09, memory: 10, max_fun: 15000, max_line_search: 20 }
    }
}

/// Why the minimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The gradient or the decrease test passed.
    Converged,
    /// `max_iter` or `max_fun` was reached.
    Limit,
    /// The line search failed from a steepest-descent step (scipy's
    /// "ABNORMAL_TERMINATION_IN_LNSRCH").
    Abnormal,
}

/// The last iterate and why it is the last.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub x: Vec<f64>,
    pub outcome: Outcome,
}

/// Box constraints; `-inf`/`inf` where a variable is free.
pub(crate) struct Bounds<'a> {
    pub lower: &'a [f64],
    pub upper: &'a [f64],
}

impl Bounds<'_> {
    fn project(&self, i: usize, value: f64) -> f64 {
        value.max(self.lower[i]).min(self.upper[i])
    }

    fn constrained(&self) -> bool {
        self.lower.iter().chain(self.upper).any(|b| b.is_finite())
    }

    fn boxed(&self) -> bool {
        self.lower.iter().zip(self.upper).all(|(l, u)| l.is_finite() && u.is_finite())
    }

    /// The infinity norm of the projected gradient (`projgr`).
    fn projected_gradient_norm(&self, x: &[f64], g: &[f64]) -> f64 {
        let mut norm: f64 = 0.0;
        for (i, (&xi, &gi)) in x.iter().zip(g).enumerate() {
            if gi.is_nan() {
                return f64::NAN;
            }
            let projected = if gi < 0.0 { gi.max(xi - self.upper[i]) } else { gi.min(xi - self.lower[i]) };
            norm = norm.max(projected.abs());
        }
        norm
    }

    /// The largest step along `d` from `x` that stays feasible (`lnsrlb`).
    fn max_step(&self, x: &[f64], d: &[f64]) -> f64 {
        let mut step_max: f64 = 1e10;
        for i in 0..x.len() {
            if d[i] < 0.0 && self.lower[i].is_finite() {
                let room = self.lower[i] - x[i];
                if room >= 0.0 {
                    step_max = 0.0;
                } else if d[i] * step_max < room {
                    step_max = room / d[i];
                }
            } else if d[i] > 0.0 && self.upper[i].is_finite() {
                let room = self.upper[i] - x[i];
                if room <= 0.0 {
                    step_max = 0.0;
                } else if d[i] * step_max > room {
                    step_max = room / d[i];
                }
            }
        }
        step_max
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

/// The stored pairs (s, y, s'y) and θ of the L-BFGS matrix.
struct Memory {
    pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)>,
    capacity: usize,
    theta: f64,
}

impl Memory {
    fn clear(&mut self) {
        self.pairs.clear();
        self.theta = 1.0;
    }

    fn push(&mut self, s: Vec<f64>, y: Vec<f64>, sy: f64, yy: f64) {
        if self.pairs.len() == self.capacity {
            self.pairs.pop_front();
        }
        self.pairs.push_back((s, y, sy));
        self.theta = yy / sy;
    }

    /// -H·g by the two-loop recursion with H0 = I/θ: the same direction as
    /// L-BFGS-B's compact form when every variable is free.
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alphas = Vec::with_capacity(self.pairs.len());
        for (s, y, sy) in self.pairs.iter().rev() {
            let alpha = dot(s, &q) / sy;
            for (qi, yi) in q.iter_mut().zip(y) {
                *qi -= alpha * yi;
            }
            alphas.push(alpha);
        }
        for qi in q.iter_mut() {
            *qi /= self.theta;
        }
        for ((s, y, sy), alpha) in self.pairs.iter().zip(alphas.iter().rev()) {
            let beta = dot(y, &q) / sy;
            for (qi, si) in q.iter_mut().zip(s) {
                *qi += (alpha - beta) * si;
            }
        }
        q.iter().map(|v| -v).collect()
    }
}

/// The point the line search aims at: the Cauchy point of B = θI with no
/// pairs, else the quasi-Newton point safeguarded as `subsm` does.
fn trial_point(x: &[f64], g: &[f64], memory: &Memory, bounds: &Bounds<'_>) -> Vec<f64> {
    if memory.pairs.is_empty() {
        return (0..x.len()).map(|i| bounds.project(i, x[i] - g[i] / memory.theta)).collect();
    }
    let mut d = memory.direction(g);
    let newton: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + di).collect();
    let projected: Vec<f64> = (0..x.len()).map(|i| bounds.project(i, newton[i])).collect();
    let hit = (0..x.len()).any(|i| projected[i] == bounds.lower[i] || projected[i] == bounds.upper[i]);
    if !hit {
        return newton;
    }
    let descent: f64 = (0..x.len()).map(|i| (projected[i] - x[i]) * g[i]).sum();
    if descent <= 0.0 {
        return projected;
    }
    // Truncate the Newton step at the first bound it crosses.
    let (mut alpha, mut limiting) = (1.0, None);
    for i in 0..x.len() {
        let fraction = if d[i] < 0.0 && bounds.lower[i].is_finite() {
            let room = bounds.lower[i] - x[i];
            if room >= 0.0 {
                0.0
            } else {
                room / d[i]
            }
        } else if d[i] > 0.0 && bounds.upper[i].is_finite() {
            let room = bounds.upper[i] - x[i];
            if room <= 0.0 {
                0.0
            } else {
                room / d[i]
            }
        } else {
            continue;
        };
        if fraction < alpha {
            alpha = fraction;
            limiting = Some(i);
        }
    }
    let mut point = x.to_vec();
    if let Some(i) = limiting {
        point[i] = if d[i] > 0.0 { bounds.upper[i] } else { bounds.lower[i] };
        d[i] = 0.0;
    }
    for i in 0..x.len() {
        point[i] += alpha * d[i];
    }
    point
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    Evaluate,
    Done,
}

/// MINPACK-2's `dcsrch` (More and Thuente), the state kept between calls.
struct LineSearch {
    brackt: bool,
    stage: u8,
    ginit: f64,
    gtest: f64,
    finit: f64,
    stx: f64,
    fx: f64,
    gx: f64,
    sty: f64,
    fy: f64,
    gy: f64,
    stmin: f64,
    stmax: f64,
    width: f64,
    width1: f64,
    stpmax: f64,
}

const LS_FTOL: f64 = 1e-3;
const LS_GTOL: f64 = 0.9;
const LS_XTOL: f64 = 0.1;

impl LineSearch {
    fn start(f: f64, g: f64, stp: f64, stpmax: f64) -> Option<Self> {
        if stp < 0.0 || stp > stpmax || g >= 0.0 {
            return None;
        }
        let gtest = LS_FTOL * g;
        Some(LineSearch {
            brackt: false,
            stage: 1,
            ginit: g,
            gtest,
            finit: f,
            stx: 0.0,
            fx: f,
            gx: g,
            sty: 0.0,
            fy: f,
            gy: g,
            stmin: 0.0,
            stmax: stp + 4.0 * stp,
            width: stpmax,
            width1: stpmax / 0.5,
            stpmax,
        })
    }

    /// One call with f and g at `stp`: a new `stp` to evaluate, or done.
    fn next(&mut self, f: f64, g: f64, stp: &mut f64) -> Search {
        let ftest = self.finit + *stp * self.gtest;
        if self.stage == 1 && f <= ftest && g >= 0.0 {
            self.stage = 2;
        }
        let stalled = self.brackt
            && (*stp <= self.stmin || *stp >= self.stmax || self.stmax - self.stmin <= LS_XTOL * self.stmax);
        let warning = stalled
            || (*stp == self.stpmax && f <= ftest && g <= self.gtest)
            || (*stp == 0.0 && (f > ftest || g >= self.gtest));
        if warning || (f <= ftest && g.abs() <= LS_GTOL * (-self.ginit)) {
            return Search::Done;
        }
        if self.stage == 1 && f <= self.fx && f > ftest {
            let gtest = self.gtest;
            let mut fxm = self.fx - self.stx * gtest;
            let mut fym = self.fy - self.sty * gtest;
            let mut gxm = self.gx - gtest;
            let mut gym = self.gy - gtest;
            let (fm, gm) = (f - *stp * gtest, g - gtest);
            let mut interval = Interval { stx: self.stx, fx: fxm, dx: gxm, sty: self.sty, fy: fym, dy: gym };
            dcstep(&mut interval, stp, fm, gm, &mut self.brackt, self.stmin, self.stmax);
            (self.stx, fxm, gxm, self.sty, fym, gym) =
                (interval.stx, interval.fx, interval.dx, interval.sty, interval.fy, interval.dy);
            self.fx = fxm + self.stx * gtest;
            self.fy = fym + self.sty * gtest;
            self.gx = gxm + gtest;
            self.gy = gym + gtest;
        } else {
            let mut interval =
                Interval { stx: self.stx, fx: self.fx, dx: self.gx, sty: self.sty, fy: self.fy, dy: self.gy };
            dcstep(&mut interval, stp, f, g, &mut self.brackt, self.stmin, self.stmax);
            (self.stx, self.fx, self.gx, self.sty, self.fy, self.gy) =
                (interval.stx, interval.fx, interval.dx, interval.sty, interval.fy, interval.dy);
        }
        if self.brackt {
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                *stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = *stp + 1.1 * (*stp - self.stx);
            self.stmax = *stp + 4.0 * (*stp - self.stx);
        }
        *stp = stp.max(0.0).min(self.stpmax);
        if self.brackt && (*stp <= self.stmin || *stp >= self.stmax || self.stmax - self.stmin <= LS_XTOL * self.stmax)
        {
            *stp = self.stx;
        }
        Search::Evaluate
    }
}

/// The interval `dcstep` updates: the best step and the other end.
struct Interval {
    stx: f64,
    fx: f64,
    dx: f64,
    sty: f64,
    fy: f64,
    dy: f64,
}

/// `dcstep`'s gamma, the root term of the interpolating cubic's minimiser;
/// `clamp` takes the root of max(0, ·) as its third case does.
fn cubic_gamma(theta: f64, da: f64, db: f64, clamp: bool) -> f64 {
    let s = theta.abs().max(da.abs()).max(db.abs());
    let radicand = (theta / s).powi(2) - (da / s) * (db / s);
    s * if clamp { radicand.max(0.0) } else { radicand }.sqrt()
}

/// `dcstep`'s first case: a higher function value brackets the minimum;
/// the cubic step if nearer stx than the quadratic one, else their mean.
fn higher_value_step(iv: &Interval, stp: f64, fp: f64, dp: f64) -> f64 {
    let theta = 3.0 * (iv.fx - fp) / (stp - iv.stx) + iv.dx + dp;
    let mut gamma = cubic_gamma(theta, iv.dx, dp, false);
    if stp < iv.stx {
        gamma = -gamma;
    }
    let p = (gamma - iv.dx) + theta;
    let q = ((gamma - iv.dx) + gamma) + dp;
    let stpc = iv.stx + (p / q) * (stp - iv.stx);
    let stpq = iv.stx + ((iv.dx / ((iv.fx - fp) / (stp - iv.stx) + iv.dx)) / 2.0) * (stp - iv.stx);
    if (stpc - iv.stx).abs() < (stpq - iv.stx).abs() {
        stpc
    } else {
        stpc + (stpq - stpc) / 2.0
    }
}

/// The second case: derivatives of opposite sign bracket the minimum; the
/// cubic step if farther from stp than the secant step, else the secant.
fn opposite_slopes_step(iv: &Interval, stp: f64, fp: f64, dp: f64) -> f64 {
    let theta = 3.0 * (iv.fx - fp) / (stp - iv.stx) + iv.dx + dp;
    let mut gamma = cubic_gamma(theta, iv.dx, dp, false);
    if stp > iv.stx {
        gamma = -gamma;
    }
    let p = (gamma - dp) + theta;
    let q = ((gamma - dp) + gamma) + iv.dx;
    let stpc = stp + (p / q) * (iv.stx - stp);
    let stpq = stp + (dp / (dp - iv.dx)) * (iv.stx - stp);
    if (stpc - stp).abs() > (stpq - stp).abs() {
        stpc
    } else {
        stpq
    }
}

/// The third case: a lower value, same-sign derivatives, shrinking slope.
fn shrinking_slope_step(iv: &Interval, stp: f64, dp: f64, fp: f64, brackt: bool, bounds: (f64, f64)) -> f64 {
    let (stpmin, stpmax) = bounds;
    let theta = 3.0 * (iv.fx - fp) / (stp - iv.stx) + iv.dx + dp;
    let mut gamma = cubic_gamma(theta, iv.dx, dp, true);
    if stp > iv.stx {
        gamma = -gamma;
    }
    let p = (gamma - dp) + theta;
    let q = (gamma + (iv.dx - dp)) + gamma;
    let r = p / q;
    let stpc = if r < 0.0 && gamma != 0.0 {
        stp + r * (iv.stx - stp)
    } else if stp > iv.stx {
        stpmax
    } else {
        stpmin
    };
    let stpq = stp + (dp / (dp - iv.dx)) * (iv.stx - stp);
    if brackt {
        let nearer = if (stpc - stp).abs() < (stpq - stp).abs() { stpc } else { stpq };
        let limit = stp + 0.66 * (iv.sty - stp);
        if stp > iv.stx {
            limit.min(nearer)
        } else {
            limit.max(nearer)
        }
    } else {
        let farther = if (stpc - stp).abs() > (stpq - stp).abs() { stpc } else { stpq };
        farther.min(stpmax).max(stpmin)
    }
}

/// The fourth case: a lower value, same-sign derivatives, a slope that does
/// not shrink: the cubic step through sty if bracketed, else a bound.
fn steady_slope_step(iv: &Interval, stp: f64, dp: f64, fp: f64, brackt: bool, bounds: (f64, f64)) -> f64 {
    if brackt {
        let theta = 3.0 * (fp - iv.fy) / (iv.sty - stp) + iv.dy + dp;
        let mut gamma = cubic_gamma(theta, iv.dy, dp, false);
        if stp > iv.sty {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + iv.dy;
        stp + (p / q) * (iv.sty - stp)
    } else if stp > iv.stx {
        bounds.1
    } else {
        bounds.0
    }
}

/// MINPACK-2's `dcstep`: a safeguarded cubic/quadratic/secant step, and
/// the update of the interval that brackets the minimum.
fn dcstep(iv: &mut Interval, stp: &mut f64, fp: f64, dp: f64, brackt: &mut bool, stpmin: f64, stpmax: f64) {
    let sgnd = dp * (iv.dx / iv.dx.abs());
    let stpf = if fp > iv.fx {
        *brackt = true;
        higher_value_step(iv, *stp, fp, dp)
    } else if sgnd < 0.0 {
        *brackt = true;
        opposite_slopes_step(iv, *stp, fp, dp)
    } else if dp.abs() < iv.dx.abs() {
        shrinking_slope_step(iv, *stp, dp, fp, *brackt, (stpmin, stpmax))
    } else {
        steady_slope_step(iv, *stp, dp, fp, *brackt, (stpmin, stpmax))
    };
    if fp > iv.fx {
        iv.sty = *stp;
        iv.fy = fp;
        iv.dy = dp;
    } else {
        if sgnd < 0.0 {
            iv.sty = iv.stx;
            iv.fy = iv.fx;
            iv.dy = iv.dx;
        }
        iv.stx = *stp;
        iv.fx = fp;
        iv.dx = dp;
    }
    *stp = stpf;
}

/// An iterate: x, the gradient there and f.
#[derive(Clone)]
struct Point {
    x: Vec<f64>,
    g: Vec<f64>,
    f: f64,
}

/// The trial step's direction and limits for one line search.
struct Direction<'a> {
    /// The point aimed at (taken exactly when the step is 1, as `lnsrlb`).
    target: &'a [f64],
    d: &'a [f64],
    step: f64,
    step_max: f64,
}

/// `lnsrlb` with `dcsrch` from `start` along `direction`: the accepted
/// point in `current` and (step, g'd there), or `None` when the search
/// fails (`current` is then undefined). Counts evaluations in `n_fun`.
fn line_search<F>(
    fg: &mut F,
    start: &Point,
    direction: &Direction<'_>,
    bounds: &Bounds<'_>,
    max_evaluations: usize,
    current: &mut Point,
    n_fun: &mut usize,
) -> Option<(f64, f64)>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut stp = direction.step;
    // `dcsrch` answers its first call with "evaluate at stp": start there.
    let mut search = LineSearch::start(start.f, dot(&start.g, direction.d), stp, direction.step_max)?;
    for _ in 0..max_evaluations {
        for i in 0..current.x.len() {
            current.x[i] =
                if stp == 1.0 { direction.target[i] } else { bounds.project(i, stp * direction.d[i] + start.x[i]) };
        }
        current.f = fg(&current.x, &mut current.g);
        *n_fun += 1;
        let gd = dot(&current.g, direction.d);
        let tried = stp;
        if search.next(current.f, gd, &mut stp) == Search::Done {
            return Some((tried, gd));
        }
    }
    None
}

/// Minimises `fg` (which writes the gradient and returns f) from `x0`
/// within `bounds`.
pub(crate) fn minimize<F>(mut fg: F, x0: &[f64], bounds: &Bounds<'_>, options: &LbfgsbOptions) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let x: Vec<f64> = (0..n).map(|i| bounds.project(i, x0[i])).collect();
    let mut g = vec![0.0; n];
    let f = fg(&x, &mut g);
    let mut current = Point { x, g, f };
    let mut n_fun = 1;
    let mut memory = Memory { pairs: VecDeque::new(), capacity: options.memory.max(1), theta: 1.0 };
    let (constrained, boxed) = (bounds.constrained(), bounds.boxed());
    let mut iter = 0;
    if bounds.projected_gradient_norm(&current.x, &current.g) <= options.gtol {
        return Minimum { x: current.x, outcome: Outcome::Converged };
    }
    loop {
        let start = current.clone();
        let target = trial_point(&start.x, &start.g, &memory, bounds);
        let mut d: Vec<f64> = target.iter().zip(&start.x).map(|(zi, xi)| zi - xi).collect();
        let step_max = match (constrained, iter) {
            (false, _) => 1e10,
            (true, 0) => 1.0,
            (true, _) => bounds.max_step(&start.x, &d),
        };
        let step = if iter == 0 && !boxed { (1.0 / dot(&d, &d).sqrt()).min(step_max) } else { 1.0 };
        let direction = Direction { target: &target, d: &d, step, step_max };
        let searched =
            line_search(&mut fg, &start, &direction, bounds, options.max_line_search, &mut current, &mut n_fun);
        let Some((stp, gd)) = searched else {
            current = start;
            if memory.pairs.is_empty() {
                return Minimum { x: current.x, outcome: Outcome::Abnormal };
            }
            memory.clear();
            continue;
        };
        iter += 1;
        if iter >= options.max_iter || n_fun > options.max_fun {
            return Minimum { x: current.x, outcome: Outcome::Limit };
        }
        let decrease = start.f - current.f;
        if bounds.projected_gradient_norm(&current.x, &current.g) <= options.gtol
            || decrease <= options.ftol * start.f.abs().max(current.f.abs()).max(1.0)
        {
            return Minimum { x: current.x, outcome: Outcome::Converged };
        }
        // The pair (s, y) with s'y from the directional derivatives, as
        // `mainlb` forms it; skipped when the curvature is not positive enough.
        let gdold = dot(&start.g, &d);
        let y: Vec<f64> = current.g.iter().zip(&start.g).map(|(new, old)| new - old).collect();
        let yy = dot(&y, &y);
        if stp != 1.0 {
            d.iter_mut().for_each(|di| *di *= stp);
        }
        let (sy, threshold) = ((gd - gdold) * stp, -gdold * stp);
        if sy > f64::EPSILON * threshold {
            memory.push(d, y, sy, yy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    const SCIPY_FREE: [f64; 2] = [0.9999989453492792, 0.9999980209057279];
    const SCIPY_FLOOR_LEFT: [f64; 2] = [-1.221026242274603, 1.5];
    const SCIPY_FLOOR_RIGHT: [f64; 2] = [1.2243707487135298, 1.5];

    /// scipy 1.17's `minimize(rosenbrock, x0, jac=True, method="L-BFGS-B",
    /// bounds, options={"gtol": 1e-8, "maxiter": 200}).x`.
    #[test]
    fn follows_scipy_on_rosenbrock_with_and_without_a_bound() {
        let free = [f64::NEG_INFINITY; 2];
        let up = [f64::INFINITY; 2];
        let floor = [f64::NEG_INFINITY, 1.5];
        let options = LbfgsbOptions::new(200, 1e-8);
        let cases: [(&[f64], [f64; 2], [f64; 2]); 3] = [
            (&free, [-1.2, 1.0], SCIPY_FREE),
            (&floor, [-1.2, 2.0], SCIPY_FLOOR_LEFT),
            (&floor, [1.2, 2.0], SCIPY_FLOOR_RIGHT),
        ];
        for (lower, start, expected) in cases {
            let result = minimize(rosenbrock, &start, &Bounds { lower, upper: &up }, &options);
            assert_eq!(result.outcome, Outcome::Converged);
            for k in 0..2 {
                assert!((result.x[k] - expected[k]).abs() < 1e-7, "{start:?}: {:?} vs {expected:?}", result.x);
            }
        }
    }
}
