//! Gradient/hessian histograms: for one node, per feature and bin, the sums
//! of the rows' gradients and hessians and their count. One flat array per
//! node, features one after another ([`HistLayout`]); a child's histogram is
//! its parent's minus its sibling's ([`subtract`]), so each split builds
//! only the smaller child's from rows.

use super::binning::BinnedMatrix;

/// The sums of one bin.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HistBin {
    /// The sum of the gradients.
    pub grad: f64,
    /// The sum of the hessians.
    pub hess: f64,
    /// The number of rows.
    pub count: u32,
}

/// Where each feature's bins sit in a node's flat histogram.
#[derive(Debug, Clone)]
pub(crate) struct HistLayout {
    /// `offsets[f]..offsets[f + 1]` are feature `f`'s bins.
    pub offsets: Vec<usize>,
}

impl HistLayout {
    /// The layout of `binned`'s features.
    pub fn new(binned: &BinnedMatrix) -> Self {
        let mut offsets = vec![0];
        for bins in &binned.bins {
            offsets.push(offsets.last().copied().unwrap_or(0) + bins.n_bins());
        }
        HistLayout { offsets }
    }

    /// The length of one node's histogram.
    pub fn len(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Feature `f`'s bins of `hist`.
    pub fn feature<'a>(&self, hist: &'a [HistBin], f: usize) -> &'a [HistBin] {
        &hist[self.offsets[f]..self.offsets[f + 1]]
    }
}

/// Below this many row-features a histogram is built on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// Builds the histogram of `rows` (in order) into `out` (zeroed here), for
/// the features with `used[f]`; `hess: None` means every hessian is 1 (the
/// hessian sums are then the counts, exactly). The node's gradients are
/// first gathered in row order (LightGBM's ordered gradients), so each
/// feature's pass reads them sequentially; features are spread over the
/// cores when the node is large.
pub(crate) fn build(
    binned: &BinnedMatrix,
    layout: &HistLayout,
    rows: &[u32],
    grad: &[f32],
    hess: Option<&[f32]>,
    used: &[bool],
    out: &mut [HistBin],
) {
    out.iter_mut().for_each(|b| *b = HistBin::default());
    let mut slices: Vec<(usize, &mut [HistBin])> = Vec::with_capacity(binned.n_features());
    let mut rest = out;
    for (f, &use_feature) in used.iter().enumerate().take(binned.n_features()) {
        let (head, tail) = rest.split_at_mut(layout.offsets[f + 1] - layout.offsets[f]);
        if use_feature {
            slices.push((f, head));
        }
        rest = tail;
    }
    if slices.is_empty() {
        return;
    }
    let ordered_grad: Vec<f32> = rows.iter().map(|&row| grad[row as usize]).collect();
    let ordered_hess: Option<Vec<f32>> = hess.map(|hess| rows.iter().map(|&row| hess[row as usize]).collect());
    let fill = |f: usize, bins: &mut [HistBin]| {
        let codes = &binned.codes[f];
        match &ordered_hess {
            Some(ordered_hess) => {
                for ((&row, &g), &h) in rows.iter().zip(&ordered_grad).zip(ordered_hess) {
                    let bin = &mut bins[codes[row as usize] as usize];
                    bin.grad += f64::from(g);
                    bin.hess += f64::from(h);
                    bin.count += 1;
                }
            }
            None => {
                for (&row, &g) in rows.iter().zip(&ordered_grad) {
                    let bin = &mut bins[codes[row as usize] as usize];
                    bin.grad += f64::from(g);
                    bin.count += 1;
                }
                for bin in bins.iter_mut() {
                    bin.hess = f64::from(bin.count);
                }
            }
        }
    };
    let threads = if rows.len() * slices.len() < PARALLEL_WORK { 1 } else { super::n_threads(slices.len()) };
    if threads <= 1 {
        for (f, bins) in slices {
            fill(f, bins);
        }
        return;
    }
    let per_thread = slices.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for group in slices.chunks_mut(per_thread) {
            scope.spawn(|| {
                for (f, bins) in group.iter_mut() {
                    fill(*f, bins);
                }
            });
        }
    });
}

/// `parent -= child`: the parent's histogram becomes the sibling's.
pub(crate) fn subtract(parent: &mut [HistBin], child: &[HistBin]) {
    for (p, c) in parent.iter_mut().zip(child) {
        p.grad -= c.grad;
        p.hess -= c.hess;
        p.count -= c.count;
    }
}
