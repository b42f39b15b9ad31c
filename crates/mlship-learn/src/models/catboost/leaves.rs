//! Leaf estimation: the values of one tree's leaves by Newton steps with
//! `AnyImprovement` backtracking (CatBoost's `GradientWalker` in
//! `approx_calcer.cpp`, `CalcMethodDelta<Newton>` and, for MultiClass,
//! `CalcDeltaNewtonMulti`).
//!
//! Every step needs, at the current leaf deltas, the loss summed over the
//! rows (to accept or undo the previous step) and each leaf's sums of the
//! derivatives (for the next step). They are taken in one pass: for Logloss
//! one `exp(-|a|)` per row gives both the sigmoid and the softplus, so a
//! step costs one transcendental pair per row rather than a pass for the
//! loss and another for the derivatives. On large sets the per-row values
//! are computed on every core into buffers and then summed in row order on
//! one, so the sums (and the fit) are the same whatever the thread count.

use super::boost::{BoostOptions, Loss};

/// The per-row buffers of the Logloss pass, kept across trees.
#[derive(Default)]
pub(crate) struct LeafScratch {
    loss: Vec<f64>,
    der: Vec<f64>,
    hess: Vec<f64>,
}

/// The loss summed over the rows and, per leaf, the summed negative
/// gradient (`leaf * dimension + d`) and Hessian (`dimension x dimension`
/// blocks, leaf-major) at one point.
struct Evaluation {
    loss: f64,
    gradient: Vec<f64>,
    hessian: Vec<f64>,
}

/// The logistic function, without overflow for large negative inputs.
pub(crate) fn sigmoid(value: f64) -> f64 {
    if value >= 0.0 {
        1.0 / (1.0 + (-value).exp())
    } else {
        let e = value.exp();
        e / (1.0 + e)
    }
}

/// The softmax of `values` written into `out` (max subtracted first).
pub(crate) fn softmax_into(values: impl Iterator<Item = f64> + Clone, out: &mut [f64]) {
    let top = values.clone().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for (o, v) in out.iter_mut().zip(values) {
        *o = (v - top).exp();
        total += *o;
    }
    out.iter_mut().for_each(|o| *o /= total);
}

/// Logloss at `a` for the 0/1 `target`: `(loss, der, hess)` with the loss
/// `ln(1 + e^a) - target a`, `der = target - sigmoid(a)` and `hess =
/// sigmoid(a) (1 - sigmoid(a))`. `e = exp(-|a|)` serves both branches of
/// `sigmoid` and of the overflow-free softplus, so the values are exactly
/// those of `sigmoid(a)` and `softplus(a)` computed apart.
#[inline]
fn logloss_at(a: f64, target: f64) -> (f64, f64, f64) {
    let e = (-a.abs()).exp();
    let (probability, softplus) = if a >= 0.0 { (1.0 / (1.0 + e), a + e.ln_1p()) } else { (e / (1.0 + e), e.ln_1p()) };
    // At a = 0 both softplus branches give ln_1p(1).
    (softplus - target * a, target - probability, probability * (1.0 - probability))
}

/// Rows from which a Logloss pass runs on every core. Below, the pass (some
/// 0.5 ms for 20,000 rows) is too short for a fork and join per Newton
/// step to pay: on a shared 2-core machine a 19,000-row fit spent more CPU
/// and more wall time on two threads than on one, every pass waiting for
/// the slower thread; and `compare` already fits folds in parallel.
const PARALLEL_ROWS: usize = 65_536;

/// The Logloss evaluation at `approx + delta[leaf]`, the sums in row order.
/// On one core in one pass; on several, the per-row values are computed on
/// every core into `scratch` and then summed on one (the same sums).
fn evaluate_logloss(
    y: &[f64],
    approx: &[f64],
    leaf_of_row: &[u32],
    delta: &[f64],
    n_leaves: usize,
    scratch: &mut LeafScratch,
) -> Evaluation {
    let n = y.len();
    let mut evaluation = Evaluation { loss: 0.0, gradient: vec![0.0; n_leaves], hessian: vec![0.0; n_leaves] };
    let threads = if n < PARALLEL_ROWS { 1 } else { crate::models::hist::n_threads(2) };
    if threads <= 1 {
        for ((&a, &target), &leaf) in approx.iter().zip(y).zip(leaf_of_row) {
            let (l, d, h) = logloss_at(a + delta[leaf as usize], target);
            evaluation.loss += l;
            evaluation.gradient[leaf as usize] += d;
            evaluation.hessian[leaf as usize] += h;
        }
        return evaluation;
    }
    for buffer in [&mut scratch.loss, &mut scratch.der, &mut scratch.hess] {
        buffer.resize(n, 0.0);
    }
    let rows = |start: usize, loss: &mut [f64], der: &mut [f64], hess: &mut [f64]| {
        for (offset, ((l, d), h)) in loss.iter_mut().zip(der.iter_mut()).zip(hess.iter_mut()).enumerate() {
            let row = start + offset;
            (*l, *d, *h) = logloss_at(approx[row] + delta[leaf_of_row[row] as usize], y[row]);
        }
    };
    let per_thread = n.div_ceil(threads);
    let rows = &rows;
    std::thread::scope(|scope| {
        let parts = scratch
            .loss
            .chunks_mut(per_thread)
            .zip(scratch.der.chunks_mut(per_thread))
            .zip(scratch.hess.chunks_mut(per_thread));
        for (part, ((loss, der), hess)) in parts.enumerate() {
            scope.spawn(move || rows(part * per_thread, loss, der, hess));
        }
    });
    for (((&leaf, &l), &d), &h) in leaf_of_row.iter().zip(&scratch.loss).zip(&scratch.der).zip(&scratch.hess) {
        evaluation.loss += l;
        evaluation.gradient[leaf as usize] += d;
        evaluation.hessian[leaf as usize] += h;
    }
    evaluation
}

/// The MultiClass evaluation (softmax cross-entropy) at `approx + delta`,
/// in one pass on one core (the exponentials shared by loss and softmax).
fn evaluate_multiclass(
    y: &[f64],
    approx: &[Vec<f64>],
    leaf_of_row: &[u32],
    delta: &[f64],
    n_leaves: usize,
) -> Evaluation {
    let dimension = approx.len();
    let mut evaluation = Evaluation {
        loss: 0.0,
        gradient: vec![0.0; n_leaves * dimension],
        hessian: vec![0.0; n_leaves * dimension * dimension],
    };
    let (mut point, mut p) = (vec![0.0; dimension], vec![0.0; dimension]);
    for (row, (&target, &leaf)) in y.iter().zip(leaf_of_row).enumerate() {
        let leaf = leaf as usize;
        for (d, value) in point.iter_mut().enumerate() {
            *value = approx[d][row] + delta[leaf * dimension + d];
        }
        let top = point.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for (e, &value) in p.iter_mut().zip(&point) {
            *e = (value - top).exp();
            total += *e;
        }
        evaluation.loss += top + total.ln() - point[target as usize];
        p.iter_mut().for_each(|e| *e /= total);
        let block = &mut evaluation.hessian[leaf * dimension * dimension..(leaf + 1) * dimension * dimension];
        for i in 0..dimension {
            evaluation.gradient[leaf * dimension + i] += f64::from(u8::from(target as usize == i)) - p[i];
            for j in 0..dimension {
                block[i * dimension + j] += if i == j { p[i] * (1.0 - p[i]) } else { -p[i] * p[j] };
            }
        }
    }
    evaluation
}

/// The Newton step `(sum hess + l2 I)^-1 sum der` of every leaf.
fn newton_step(evaluation: &Evaluation, n_leaves: usize, dimension: usize, l2_leaf_reg: f64) -> Vec<f64> {
    let mut step = vec![0.0; n_leaves * dimension];
    let mut block = vec![0.0; dimension * dimension];
    for leaf in 0..n_leaves {
        block.copy_from_slice(&evaluation.hessian[leaf * dimension * dimension..(leaf + 1) * dimension * dimension]);
        for i in 0..dimension {
            block[i * dimension + i] += l2_leaf_reg;
        }
        let solved =
            solve_symmetric(&mut block, &evaluation.gradient[leaf * dimension..(leaf + 1) * dimension], dimension);
        step[leaf * dimension..(leaf + 1) * dimension].copy_from_slice(&solved);
    }
    step
}

/// RMSE's single step `sum(y - approx) / (count + l2)` per leaf (its
/// Hessian is the row count, so Newton and gradient steps coincide).
fn rmse_step(y: &[f64], approx: &[f64], leaf_of_row: &[u32], n_leaves: usize, l2_leaf_reg: f64) -> Vec<f64> {
    let (mut gradient, mut count) = (vec![0.0; n_leaves], vec![0.0; n_leaves]);
    for ((&target, &a), &leaf) in y.iter().zip(approx).zip(leaf_of_row) {
        gradient[leaf as usize] += target - a;
        count[leaf as usize] += 1.0;
    }
    gradient.iter().zip(&count).map(|(g, c)| g / (c + l2_leaf_reg)).collect()
}

/// Solves `a x = b` for a small symmetric positive definite `a` (row-major)
/// by Cholesky; `a` is overwritten.
fn solve_symmetric(a: &mut [f64], b: &[f64], n: usize) -> Vec<f64> {
    if n == 1 {
        // The scalar step exactly as `sum(der) / (sum(hess) + l2)`.
        return vec![b[0] / a[0]];
    }
    for j in 0..n {
        let mut diagonal = a[j * n + j];
        for k in 0..j {
            diagonal -= a[j * n + k] * a[j * n + k];
        }
        let diagonal = diagonal.max(1e-300).sqrt();
        a[j * n + j] = diagonal;
        for i in j + 1..n {
            let mut value = a[i * n + j];
            for k in 0..j {
                value -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = value / diagonal;
        }
    }
    let mut x = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            x[i] -= a[i * n + k] * x[k];
        }
        x[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            x[i] -= a[k * n + i] * x[k];
        }
        x[i] /= a[i * n + i];
    }
    x
}

/// The leaf values before the learning rate: `leaf_iterations` Newton steps
/// from 0, each kept only while the loss over the rows improves (CatBoost's
/// `GradientWalker` with `leaf_estimation_backtracking=AnyImprovement`: a
/// step that does not lower the loss is undone and the walk stops). RMSE's
/// single step is the plain `sum(der) / (count + l2)`. Every row weighs 1.
pub(crate) fn leaf_deltas(
    options: &BoostOptions,
    y: &[f64],
    approx: &[Vec<f64>],
    leaf_of_row: &[u32],
    n_leaves: usize,
    scratch: &mut LeafScratch,
) -> Vec<f64> {
    if options.loss == Loss::Rmse {
        return rmse_step(y, &approx[0], leaf_of_row, n_leaves, options.l2_leaf_reg);
    }
    let dimension = approx.len();
    let mut evaluate = |delta: &[f64]| match options.loss {
        Loss::MultiClass { .. } => evaluate_multiclass(y, approx, leaf_of_row, delta, n_leaves),
        Loss::Logloss | Loss::Rmse => evaluate_logloss(y, &approx[0], leaf_of_row, delta, n_leaves, scratch),
    };
    let mut delta = vec![0.0; n_leaves * dimension];
    let mut current = evaluate(&delta);
    for _ in 0..options.leaf_iterations {
        let step = newton_step(&current, n_leaves, dimension, options.l2_leaf_reg);
        let trial: Vec<f64> = delta.iter().zip(&step).map(|(d, s)| d + s).collect();
        let at_trial = evaluate(&trial);
        if at_trial.loss.is_nan() || at_trial.loss >= current.loss {
            break;
        }
        (delta, current) = (trial, at_trial);
    }
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared `exp(-|a|)` gives exactly the separate sigmoid and
    /// overflow-free softplus (the fit stays bit for bit what it was).
    #[test]
    fn one_exponential_gives_the_separate_sigmoid_and_softplus() {
        let softplus = |x: f64| if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() };
        for a in [-800.0, -40.0, -1.5, -1e-300, -0.0, 0.0, 1e-300, 0.3, 2.0, 37.0, 800.0] {
            for target in [0.0, 1.0] {
                let (loss, der, hess) = logloss_at(a, target);
                let p = sigmoid(a);
                assert_eq!(loss.to_bits(), (softplus(a) - target * a).to_bits(), "loss at {a}");
                assert_eq!(der.to_bits(), (target - p).to_bits(), "der at {a}");
                assert_eq!(hess.to_bits(), (p * (1.0 - p)).to_bits(), "hess at {a}");
            }
        }
    }

    /// A Logloss pass, on one core (few rows) or on several, gives the
    /// sums of a plain loop in row order.
    #[test]
    fn the_logloss_pass_sums_in_row_order_on_any_thread_count() {
        for n in [1000, PARALLEL_ROWS + 1000] {
            let y: Vec<f64> = (0..n).map(|row| f64::from(u8::from(row % 3 == 0))).collect();
            let approx: Vec<f64> = (0..n).map(|row| ((row * 7919) % 1000) as f64 / 100.0 - 5.0).collect();
            let leaf_of_row: Vec<u32> = (0..n).map(|row| ((row * 31) % 4) as u32).collect();
            let delta = [0.1, -0.2, 0.3, 0.0];
            let ours = evaluate_logloss(&y, &approx, &leaf_of_row, &delta, 4, &mut LeafScratch::default());
            let (mut loss, mut gradient, mut hessian) = (0.0, vec![0.0; 4], vec![0.0; 4]);
            for row in 0..n {
                let leaf = leaf_of_row[row] as usize;
                let (l, d, h) = logloss_at(approx[row] + delta[leaf], y[row]);
                loss += l;
                gradient[leaf] += d;
                hessian[leaf] += h;
            }
            assert_eq!(ours.loss.to_bits(), loss.to_bits(), "{n} rows");
            assert_eq!((ours.gradient, ours.hessian), (gradient, hessian), "{n} rows");
        }
    }
}
