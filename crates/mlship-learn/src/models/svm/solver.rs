//! libsvm's SMO `Solver` (svm.cpp, as vendored in scikit-learn) for
//! epsilon-SVR and C-SVC, step for step: the dual
//!
//!   min ½ αᵀQα + pᵀα,  yᵀα = 0,  0 ≤ αᵢ ≤ Cᵢ (C, or a class's weighted C),
//!
//! over 2l variables for SVR (αᵢ, i < l, the positive and αᵢ₊ₗ the
//! negative multipliers, pᵢ = ε − yᵢ and pᵢ₊ₗ = ε + yᵢ) and l for C-SVC
//! (Qᵢⱼ = yᵢyⱼK(xᵢ, xⱼ), yᵢ = ±1, p = −1); the working set by maximal violation and
//! second-order gain (Fan, Chen & Lin 2005, with τ = 1e-12 for a
//! non-positive curvature); shrinking every min(l, 1000) iterations with the
//! one-time un-shrink at 10·tol; the gradient rebuilt from `G_bar` before
//! stopping; ρ the mean of yᵢGᵢ over free variables (`calculate_rho`).
//!
//! The kernel matrix is held as libsvm holds it: rows in single precision
//! (`Qfloat` is `float`), computed on demand into an LRU cache bounded by
//! `cache_size` megabytes. Keeping the same precision, order of operations
//! and tie-breaking (`>=` in the selection loops) keeps the iterates those of
//! libsvm, not merely a solution within `tol` of it.

use super::kernel::SvmKernel;
use crate::matrix::Matrix;

/// libsvm's τ: the curvature used when a pair's is not positive.
const TAU: f64 = 1e-12;

/// What the solver needs besides the data and the problem's own constants.
pub(super) struct SmoOptions {
    pub c: f64,
    pub tol: f64,
    pub shrinking: bool,
    /// `None` for libsvm's −1 (no limit).
    pub max_iter: Option<usize>,
    pub cache_bytes: f64,
}

/// The solution: one coefficient per training row (SVR: α⁺ − α⁻; C-SVC:
/// αy) and ρ (the intercept is −ρ).
pub(super) struct SvrSolution {
    pub coef: Vec<f64>,
    pub rho: f64,
}

const NONE: u32 = u32::MAX;

/// Kernel rows by training index, least recently used evicted first.
struct RowCache {
    row_len: usize,
    max_rows: usize,
    data: Vec<f32>,
    slot_of: Vec<u32>,
    owner: Vec<u32>,
    last_used: Vec<u64>,
    clock: u64,
}

impl RowCache {
    fn new(n_rows: usize, bytes: f64) -> Self {
        // libsvm: the budget in floats, less its per-row headers, and never
        // fewer than two rows (a pair must fit).
        let floats = (bytes / 4.0) as usize;
        let budget = floats.saturating_sub(n_rows * 8).max(2 * n_rows);
        let max_rows = (budget / n_rows.max(1)).clamp(2, n_rows.max(2));
        RowCache {
            row_len: n_rows,
            max_rows,
            data: Vec::new(),
            slot_of: vec![NONE; n_rows],
            owner: Vec::new(),
            last_used: Vec::new(),
            clock: 0,
        }
    }

    /// The slot of row `index` and whether it must be (re)computed.
    fn slot(&mut self, index: usize) -> (usize, bool) {
        self.clock += 1;
        let existing = self.slot_of[index];
        if existing != NONE {
            self.last_used[existing as usize] = self.clock;
            return (existing as usize, false);
        }
        let slot = if self.owner.len() < self.max_rows {
            self.data.resize(self.data.len() + self.row_len, 0.0);
            self.owner.push(NONE);
            self.last_used.push(0);
            self.owner.len() - 1
        } else {
            let oldest = (0..self.owner.len()).min_by_key(|&s| self.last_used[s]).unwrap_or(0);
            self.slot_of[self.owner[oldest] as usize] = NONE;
            oldest
        };
        self.owner[slot] = index as u32;
        self.slot_of[index] = slot as u32;
        self.last_used[slot] = self.clock;
        (slot, true)
    }

    fn row(&self, slot: usize) -> &[f32] {
        &self.data[slot * self.row_len..(slot + 1) * self.row_len]
    }
}

/// libsvm's `SVR_Q` and `SVC_Q`: Q over the variables, Qᵢⱼ = sᵢsⱼK(idxᵢ, idxⱼ)
/// (SVR: 2l variables on l rows, s = ±1 by half; SVC: l variables, s = y),
/// with the permutation that shrinking applies. Both round ±K to `float`,
/// and the kernel rows are cached by training row here (libsvm's SVC_Q
/// caches Q's rows by position instead: the same numbers, cached differently).
struct KernelQ<'a> {
    x: &'a Matrix,
    kernel: SvmKernel,
    x_square: Vec<f64>,
    sign: Vec<i8>,
    index: Vec<u32>,
    qd: Vec<f64>,
    cache: RowCache,
    dots: Vec<f64>,
}

impl<'a> KernelQ<'a> {
    /// Q for variables whose row is `index[k]` and sign `sign[k]`.
    fn new(x: &'a Matrix, kernel: SvmKernel, cache_bytes: f64, sign: Vec<i8>, index: Vec<u32>) -> Self {
        let l = x.n_rows;
        let x_square: Vec<f64> = (0..l).map(|i| x.columns.iter().map(|c| c[i] * c[i]).sum()).collect();
        let qd = index
            .iter()
            .map(|&row| {
                let square = x_square[row as usize];
                kernel.training_value(square, square, square)
            })
            .collect();
        KernelQ { x, kernel, x_square, sign, index, qd, cache: RowCache::new(l, cache_bytes), dots: vec![0.0; l] }
    }

    /// Column `i` of Q over the first `len` variables, into `out`.
    fn get_q(&mut self, i: usize, len: usize, out: &mut [f32]) {
        let real_i = self.index[i] as usize;
        let (slot, fresh) = self.cache.slot(real_i);
        if fresh {
            // K(real_i, ·) through the dot products, accumulated feature by
            // feature as a sequential BLAS ddot would.
            self.dots.fill(0.0);
            for column in &self.x.columns {
                let a = column[real_i];
                for (dot, v) in self.dots.iter_mut().zip(column) {
                    *dot += a * v;
                }
            }
            let row_len = self.cache.row_len;
            let row = &mut self.cache.data[slot * row_len..(slot + 1) * row_len];
            let square_i = self.x_square[real_i];
            for ((value, dot), square_j) in row.iter_mut().zip(&self.dots).zip(&self.x_square) {
                *value = self.kernel.training_value(*dot, square_i, *square_j) as f32;
            }
        }
        let data = self.cache.row(slot);
        let sign_i = f32::from(self.sign[i]);
        for ((value, sign), index) in out[..len].iter_mut().zip(&self.sign).zip(&self.index) {
            *value = sign_i * f32::from(*sign) * data[*index as usize];
        }
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.sign.swap(i, j);
        self.index.swap(i, j);
        self.qd.swap(i, j);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Lower,
    Upper,
    Free,
}

struct Solver<'a> {
    q: KernelQ<'a>,
    l: usize,
    active_size: usize,
    y: Vec<i8>,
    gradient: Vec<f64>,
    gradient_bar: Vec<f64>,
    status: Vec<Status>,
    alpha: Vec<f64>,
    p: Vec<f64>,
    active_set: Vec<u32>,
    /// Each variable's upper bound (libsvm's `C[i]`: Cp or Cn by its label).
    c: Vec<f64>,
    eps: f64,
    unshrink: bool,
    q_i: Vec<f32>,
    q_j: Vec<f32>,
}

impl<'a> Solver<'a> {
    /// Every multiplier at 0 (at its lower bound): the gradient starts at p
    /// and G_bar at 0.
    fn new(q: KernelQ<'a>, p: Vec<f64>, y: Vec<i8>, c: Vec<f64>, options: &SmoOptions) -> Self {
        let l = p.len();
        Solver {
            q,
            l,
            active_size: l,
            y,
            gradient: p.clone(),
            gradient_bar: vec![0.0; l],
            status: vec![Status::Lower; l],
            alpha: vec![0.0; l],
            p,
            active_set: (0..l as u32).collect(),
            c,
            eps: options.tol,
            unshrink: false,
            q_i: vec![0.0; l],
            q_j: vec![0.0; l],
        }
    }

    /// Solves, then the multipliers in the original variable order and ρ.
    fn run(mut self, options: &SmoOptions) -> (Vec<f64>, f64) {
        self.solve(options.shrinking, options.max_iter);
        let rho = self.calculate_rho();
        let mut alpha = vec![0.0; self.l];
        for (position, original) in self.active_set.iter().enumerate() {
            alpha[*original as usize] = self.alpha[position];
        }
        (alpha, rho)
    }
}

/// Solves epsilon-SVR on `x`, `y` (libsvm's `solve_epsilon_svr`).
pub(super) fn solve_epsilon_svr(
    x: &Matrix,
    y: &[f64],
    kernel: SvmKernel,
    epsilon: f64,
    options: &SmoOptions,
) -> SvrSolution {
    let l = x.n_rows;
    let mut p = vec![0.0; 2 * l];
    let mut signs = vec![1i8; 2 * l];
    for (i, target) in y.iter().enumerate() {
        p[i] = epsilon - target;
        p[i + l] = epsilon + target;
        signs[i + l] = -1;
    }
    let index = (0..2 * l).map(|k| (k % l.max(1)) as u32).collect();
    let q = KernelQ::new(x, kernel, options.cache_bytes, signs.clone(), index);
    let c = vec![options.c; 2 * l];
    let (alpha, rho) = Solver::new(q, p, signs, c, options).run(options);
    SvrSolution { coef: (0..l).map(|i| alpha[i] - alpha[i + l]).collect(), rho }
}

/// Solves C-SVC on `x` with labels `y` (±1) (libsvm's `solve_c_svc`): rows
/// labelled +1 bounded by `c_pos`, −1 by `c_neg` (libsvm's Cp and Cn, the
/// class-weighted C); one coefficient αᵢyᵢ per row and ρ.
pub(super) fn solve_c_svc(
    x: &Matrix,
    y: &[i8],
    kernel: SvmKernel,
    options: &SmoOptions,
    (c_pos, c_neg): (f64, f64),
) -> SvrSolution {
    let l = x.n_rows;
    let q = KernelQ::new(x, kernel, options.cache_bytes, y.to_vec(), (0..l as u32).collect());
    let c = y.iter().map(|&s| if s > 0 { c_pos } else { c_neg }).collect();
    let (alpha, rho) = Solver::new(q, vec![-1.0; l], y.to_vec(), c, options).run(options);
    SvrSolution { coef: alpha.iter().zip(y).map(|(a, &s)| a * f64::from(s)).collect(), rho }
}

/// libsvm's `quad_coef`, replaced by τ when not positive.
fn curvature(quad_coef: f64) -> f64 {
    if quad_coef <= 0.0 {
        TAU
    } else {
        quad_coef
    }
}

/// Back into the box for yᵢ ≠ yⱼ, keeping αᵢ − αⱼ = `diff` (libsvm's clipping).
fn clip_opposite_signs(mut alpha_i: f64, mut alpha_j: f64, diff: f64, (c_i, c_j): (f64, f64)) -> (f64, f64) {
    if diff > 0.0 {
        if alpha_j < 0.0 {
            alpha_j = 0.0;
            alpha_i = diff;
        }
    } else if alpha_i < 0.0 {
        alpha_i = 0.0;
        alpha_j = -diff;
    }
    if diff > c_i - c_j {
        if alpha_i > c_i {
            alpha_i = c_i;
            alpha_j = c_i - diff;
        }
    } else if alpha_j > c_j {
        alpha_j = c_j;
        alpha_i = c_j + diff;
    }
    (alpha_i, alpha_j)
}

/// Back into the box for yᵢ = yⱼ, keeping αᵢ + αⱼ = `sum` (libsvm's clipping).
fn clip_same_signs(mut alpha_i: f64, mut alpha_j: f64, sum: f64, (c_i, c_j): (f64, f64)) -> (f64, f64) {
    if sum > c_i {
        if alpha_i > c_i {
            alpha_i = c_i;
            alpha_j = sum - c_i;
        }
    } else if alpha_j < 0.0 {
        alpha_j = 0.0;
        alpha_i = sum;
    }
    if sum > c_j {
        if alpha_j > c_j {
            alpha_j = c_j;
            alpha_i = sum - c_j;
        }
    } else if alpha_i < 0.0 {
        alpha_i = 0.0;
        alpha_j = sum;
    }
    (alpha_i, alpha_j)
}

impl Solver<'_> {
    fn update_status(&mut self, i: usize) {
        self.status[i] = if self.alpha[i] >= self.c[i] {
            Status::Upper
        } else if self.alpha[i] <= 0.0 {
            Status::Lower
        } else {
            Status::Free
        };
    }

    fn solve(&mut self, shrinking: bool, max_iter: Option<usize>) {
        let mut iter = 0usize;
        let mut counter = self.l.min(1000) + 1;
        loop {
            if max_iter.is_some_and(|limit| iter >= limit) {
                break;
            }
            counter -= 1;
            if counter == 0 {
                counter = self.l.min(1000);
                if shrinking {
                    self.do_shrinking();
                }
            }
            let (i, j) = match self.select_working_set() {
                Some(pair) => pair,
                None => {
                    self.reconstruct_gradient();
                    self.active_size = self.l;
                    match self.select_working_set() {
                        Some(pair) => {
                            counter = 1;
                            pair
                        }
                        None => break,
                    }
                }
            };
            iter += 1;
            self.take_step(i, j);
        }
    }

    /// Moves αᵢ and αⱼ to the box-clipped optimum of their pair (libsvm's
    /// update, clipping included) and updates G and G_bar. `q_i` already
    /// holds column i over the active set (from the selection).
    fn take_step(&mut self, i: usize, j: usize) {
        let active_size = self.active_size;
        self.q.get_q(j, active_size, &mut self.q_j);
        let c = (self.c[i], self.c[j]);
        let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
        let qd = (self.q.qd[i], self.q.qd[j]);
        let q_ij = f64::from(self.q_i[j]);
        let (alpha_i, alpha_j) = if self.y[i] != self.y[j] {
            let delta = (-self.gradient[i] - self.gradient[j]) / curvature(qd.0 + qd.1 + 2.0 * q_ij);
            clip_opposite_signs(old_i + delta, old_j + delta, old_i - old_j, c)
        } else {
            let delta = (self.gradient[i] - self.gradient[j]) / curvature(qd.0 + qd.1 - 2.0 * q_ij);
            clip_same_signs(old_i - delta, old_j + delta, old_i + old_j, c)
        };
        self.alpha[i] = alpha_i;
        self.alpha[j] = alpha_j;
        let (delta_i, delta_j) = (alpha_i - old_i, alpha_j - old_j);
        for ((g, qi), qj) in self.gradient[..active_size].iter_mut().zip(&self.q_i).zip(&self.q_j) {
            *g += f64::from(*qi) * delta_i + f64::from(*qj) * delta_j;
        }
        let (was_upper_i, was_upper_j) = (self.status[i] == Status::Upper, self.status[j] == Status::Upper);
        self.update_status(i);
        self.update_status(j);
        if was_upper_i != (self.status[i] == Status::Upper) {
            self.shift_gradient_bar(i, if was_upper_i { -c.0 } else { c.0 });
        }
        if was_upper_j != (self.status[j] == Status::Upper) {
            self.shift_gradient_bar(j, if was_upper_j { -c.1 } else { c.1 });
        }
    }

    /// G_bar += amount · Q_i over every variable.
    fn shift_gradient_bar(&mut self, i: usize, amount: f64) {
        let l = self.l;
        self.q.get_q(i, l, &mut self.q_i);
        for (g, qi) in self.gradient_bar.iter_mut().zip(&self.q_i) {
            *g += amount * f64::from(*qi);
        }
    }

    /// The maximal-violation i and the second-order best j, or `None` when
    /// the violation is below `eps` (optimal). Leaves column i in `q_i`.
    fn select_working_set(&mut self) -> Option<(usize, usize)> {
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax_idx = None;
        for t in 0..self.active_size {
            if self.y[t] == 1 {
                if self.status[t] != Status::Upper && -self.gradient[t] >= gmax {
                    gmax = -self.gradient[t];
                    gmax_idx = Some(t);
                }
            } else if self.status[t] != Status::Lower && self.gradient[t] >= gmax {
                gmax = self.gradient[t];
                gmax_idx = Some(t);
            }
        }
        // With no i, no j has a positive gain either: optimal.
        let i = gmax_idx?;
        let active_size = self.active_size;
        self.q.get_q(i, active_size, &mut self.q_i);
        let y_i = f64::from(self.y[i]);
        let qd_i = self.q.qd[i];
        let mut gmax2 = f64::NEG_INFINITY;
        let mut gmin_idx = None;
        let mut obj_diff_min = f64::INFINITY;
        for j in 0..active_size {
            let (grad_diff, quad_coef) = if self.y[j] == 1 {
                if self.status[j] == Status::Lower {
                    continue;
                }
                if self.gradient[j] >= gmax2 {
                    gmax2 = self.gradient[j];
                }
                (gmax + self.gradient[j], qd_i + self.q.qd[j] - 2.0 * y_i * f64::from(self.q_i[j]))
            } else {
                if self.status[j] == Status::Upper {
                    continue;
                }
                if -self.gradient[j] >= gmax2 {
                    gmax2 = -self.gradient[j];
                }
                (gmax - self.gradient[j], qd_i + self.q.qd[j] + 2.0 * y_i * f64::from(self.q_i[j]))
            };
            if grad_diff > 0.0 {
                let curvature = if quad_coef > 0.0 { quad_coef } else { TAU };
                let obj_diff = -(grad_diff * grad_diff) / curvature;
                if obj_diff <= obj_diff_min {
                    gmin_idx = Some(j);
                    obj_diff_min = obj_diff;
                }
            }
        }
        if gmax + gmax2 < self.eps {
            return None;
        }
        gmin_idx.map(|j| (i, j))
    }

    fn be_shrunk(&self, i: usize, gmax1: f64, gmax2: f64) -> bool {
        match (self.status[i], self.y[i] == 1) {
            (Status::Upper, true) => -self.gradient[i] > gmax1,
            (Status::Upper, false) => -self.gradient[i] > gmax2,
            (Status::Lower, true) => self.gradient[i] > gmax2,
            (Status::Lower, false) => self.gradient[i] > gmax1,
            (Status::Free, _) => false,
        }
    }

    fn do_shrinking(&mut self) {
        let mut gmax1 = f64::NEG_INFINITY;
        let mut gmax2 = f64::NEG_INFINITY;
        for i in 0..self.active_size {
            let g = self.gradient[i];
            let (not_upper, not_lower) = (self.status[i] != Status::Upper, self.status[i] != Status::Lower);
            if self.y[i] == 1 {
                if not_upper && -g >= gmax1 {
                    gmax1 = -g;
                }
                if not_lower && g >= gmax2 {
                    gmax2 = g;
                }
            } else {
                if not_upper && -g >= gmax2 {
                    gmax2 = -g;
                }
                if not_lower && g >= gmax1 {
                    gmax1 = g;
                }
            }
        }
        if !self.unshrink && gmax1 + gmax2 <= self.eps * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active_size = self.l;
        }
        let mut i = 0;
        while i < self.active_size {
            if self.be_shrunk(i, gmax1, gmax2) {
                self.active_size -= 1;
                while self.active_size > i {
                    if !self.be_shrunk(self.active_size, gmax1, gmax2) {
                        self.swap_index(i, self.active_size);
                        break;
                    }
                    self.active_size -= 1;
                }
            }
            i += 1;
        }
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.q.swap_index(i, j);
        self.y.swap(i, j);
        self.gradient.swap(i, j);
        self.status.swap(i, j);
        self.alpha.swap(i, j);
        self.p.swap(i, j);
        self.active_set.swap(i, j);
        self.gradient_bar.swap(i, j);
        self.c.swap(i, j);
    }

    /// Rebuilds G of the shrunk variables from G_bar and the free ones.
    fn reconstruct_gradient(&mut self) {
        let (l, active_size) = (self.l, self.active_size);
        if active_size == l {
            return;
        }
        for j in active_size..l {
            self.gradient[j] = self.gradient_bar[j] + self.p[j];
        }
        let n_free = (0..active_size).filter(|&j| self.status[j] == Status::Free).count();
        if n_free * l > 2 * active_size * (l - active_size) {
            for i in active_size..l {
                self.q.get_q(i, active_size, &mut self.q_i);
                let mut sum = self.gradient[i];
                for j in 0..active_size {
                    if self.status[j] == Status::Free {
                        sum += self.alpha[j] * f64::from(self.q_i[j]);
                    }
                }
                self.gradient[i] = sum;
            }
        } else {
            for i in 0..active_size {
                if self.status[i] == Status::Free {
                    self.q.get_q(i, l, &mut self.q_i);
                    let alpha_i = self.alpha[i];
                    for j in active_size..l {
                        self.gradient[j] += alpha_i * f64::from(self.q_i[j]);
                    }
                }
            }
        }
    }

    /// ρ: the mean of yᵢGᵢ over free variables, else the middle of the
    /// feasible interval.
    fn calculate_rho(&self) -> f64 {
        let (mut n_free, mut sum_free) = (0usize, 0.0);
        let (mut upper, mut lower) = (f64::INFINITY, f64::NEG_INFINITY);
        for i in 0..self.active_size {
            let y_g = f64::from(self.y[i]) * self.gradient[i];
            match (self.status[i], self.y[i] == 1) {
                (Status::Upper, false) | (Status::Lower, true) => upper = upper.min(y_g),
                (Status::Upper, true) | (Status::Lower, false) => lower = lower.max(y_g),
                (Status::Free, _) => {
                    n_free += 1;
                    sum_free += y_g;
                }
            }
        }
        if n_free > 0 {
            sum_free / n_free as f64
        } else {
            (upper + lower) / 2.0
        }
    }
}
