//! Features binned once: each column becomes `u8` bin codes (column-major),
//! with the bin boundaries kept in raw feature units so a fitted tree's
//! thresholds need no binning at prediction.
//!
//! A value goes to the first bin `b` with `value <= upper[b]` (the last
//! upper bound is `+inf`). At most [`MAX_VALUE_BINS`] value bins; the code
//! [`MISSING_BIN`] is reserved for a missing value (none reaches a model
//! today: preprocessing imputes, and the fit refuses NaN).
//!
//! The boundaries come from one library's bin finder ([`BinFinder`]):
//! LightGBM's `GreedyFindBin` / `FindBinWithZeroAsOneBin` (`src/io/bin.cpp`)
//! or XGBoost's quantile cuts (`src/common/quantile.cc`, `hist_util.cc`).
//! Another engine (CatBoost's borders) adds a variant and reuses the rest.

/// The most value bins a feature may have (one code is kept for missing).
pub(crate) const MAX_VALUE_BINS: usize = 255;
/// The bin code of a missing value.
#[allow(dead_code)]
pub(crate) const MISSING_BIN: u8 = 255;

/// LightGBM's `kZeroThreshold` (a float constant, widened).
const ZERO_THRESHOLD: f64 = 1e-35f32 as f64;

/// Which library's bin boundaries to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BinFinder {
    /// LightGBM: `max_bin`, `min_data_in_bin`, and the rows sampled to find
    /// bins (`bin_construct_sample_cnt`, 200000).
    LightGbm {
        /// At most this many bins per feature.
        max_bin: usize,
        /// The fewest sampled rows a bin holds (when values allow).
        min_data_in_bin: usize,
        /// Rows sampled (evenly spaced) to find the boundaries.
        sample_rows: usize,
    },
    /// XGBoost's `hist`: cut points from the sorted float32 values, exact
    /// when a feature has at most `max_bin` distinct values, else at evenly
    /// spaced ranks (XGBoost prunes a weighted quantile sketch to the same
    /// ranks, up to its sketch error).
    XgBoost {
        /// At most this many bins per feature (capped at 255 here).
        max_bin: usize,
    },
}

/// The boundaries of one feature's bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureBins {
    /// `upper[b]`: the largest value in bin `b` (the last is `+inf`).
    pub upper: Vec<f64>,
    /// LightGBM's most frequent bin when it is not bin 0: its histogram
    /// entry is set to the node's total minus the other bins
    /// (`Dataset::FixHistogram`), which decides near-ties as LightGBM does.
    pub fix_bin: Option<usize>,
}

impl FeatureBins {
    /// The number of value bins.
    pub fn n_bins(&self) -> usize {
        self.upper.len()
    }

    /// The bin of `value` (first `b` with `value <= upper[b]`).
    #[inline]
    pub fn bin_of(&self, value: f64) -> u8 {
        let index = self.upper.partition_point(|&upper| upper < value);
        index.min(self.upper.len() - 1) as u8
    }
}

/// The training matrix as bin codes, column-major.
#[allow(dead_code)] // `n_rows` and `f32_inputs` are for engines that bin again at prediction (CatBoost's).
#[derive(Debug, Clone)]
pub(crate) struct BinnedMatrix {
    /// Rows.
    pub n_rows: usize,
    /// `codes[feature][row]`.
    pub codes: Vec<Vec<u8>>,
    /// Each feature's boundaries.
    pub bins: Vec<FeatureBins>,
    /// Values are rounded to float32 before binning (XGBoost's `DMatrix`);
    /// prediction must round them the same way.
    pub f32_inputs: bool,
}

impl BinnedMatrix {
    /// Bins every column (finite values) with `finder`, a column per thread.
    pub fn new(columns: &[Vec<f64>], finder: BinFinder) -> Self {
        let n_rows = columns.first().map_or(0, Vec::len);
        let f32_inputs = matches!(finder, BinFinder::XgBoost { .. });
        let bin_one = |column: &Vec<f64>| -> (FeatureBins, Vec<u8>) {
            let bins = match finder {
                BinFinder::LightGbm { max_bin, min_data_in_bin, sample_rows } => {
                    lightgbm_bins(column, max_bin.min(MAX_VALUE_BINS), min_data_in_bin, sample_rows)
                }
                BinFinder::XgBoost { max_bin } => xgboost_bins(column, max_bin.min(MAX_VALUE_BINS)),
            };
            let codes = if f32_inputs {
                column.iter().map(|&v| bins.bin_of(f64::from(v as f32))).collect()
            } else {
                column.iter().map(|&v| bins.bin_of(v)).collect()
            };
            (bins, codes)
        };
        let results = super::parallel_map(columns, n_rows, bin_one);
        let (bins, codes) = results.into_iter().unzip();
        BinnedMatrix { n_rows, codes, bins, f32_inputs }
    }

    /// The number of features.
    pub fn n_features(&self) -> usize {
        self.codes.len()
    }
}

/// `nextafter(a, +inf)`.
fn next_up(a: f64) -> f64 {
    if a.is_nan() || a == f64::INFINITY {
        return a;
    }
    if a == 0.0 {
        return f64::from_bits(1);
    }
    let bits = a.to_bits();
    if a > 0.0 {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

/// LightGBM's `CheckDoubleEqualOrdered(a, b)`: `b <= nextafter(a, inf)`.
fn equal_ordered(a: f64, b: f64) -> bool {
    b <= next_up(a)
}

/// LightGBM's `GreedyFindBin`.
fn greedy_find_bin(
    distinct: &[f64],
    counts: &[usize],
    max_bin: usize,
    total_cnt: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let n = distinct.len();
    let mut upper_bounds_out = Vec::new();
    if n <= max_bin {
        let mut cur = 0;
        for i in 0..n.saturating_sub(1) {
            cur += counts[i];
            if cur >= min_data_in_bin {
                let value = next_up((distinct[i] + distinct[i + 1]) / 2.0);
                if upper_bounds_out.last().is_none_or(|&last| !equal_ordered(last, value)) {
                    upper_bounds_out.push(value);
                    cur = 0;
                }
            }
        }
        upper_bounds_out.push(f64::INFINITY);
        return upper_bounds_out;
    }
    let mut max_bin = max_bin;
    if let Some(most) = total_cnt.checked_div(min_data_in_bin) {
        max_bin = max_bin.min(most).max(1);
    }
    let mut mean_bin_size = total_cnt as f64 / max_bin as f64;
    let mut rest_bin_cnt = max_bin as i64;
    let mut rest_sample_cnt = total_cnt as i64;
    let is_big: Vec<bool> = counts.iter().map(|&c| c as f64 >= mean_bin_size).collect();
    for (i, &big) in is_big.iter().enumerate() {
        if big {
            rest_bin_cnt -= 1;
            rest_sample_cnt -= counts[i] as i64;
        }
    }
    mean_bin_size = rest_sample_cnt as f64 / rest_bin_cnt as f64;
    let mut upper_bounds = vec![f64::INFINITY; max_bin];
    let mut lower_bounds = vec![f64::INFINITY; max_bin];
    let mut bin_cnt = 0;
    lower_bounds[0] = distinct[0];
    let mut cur = 0usize;
    for i in 0..n - 1 {
        if !is_big[i] {
            rest_sample_cnt -= counts[i] as i64;
        }
        cur += counts[i];
        let half = (mean_bin_size * f64::from(0.5f32)).max(1.0);
        if is_big[i] || cur as f64 >= mean_bin_size || (is_big[i + 1] && cur as f64 >= half) {
            upper_bounds[bin_cnt] = distinct[i];
            bin_cnt += 1;
            lower_bounds[bin_cnt] = distinct[i + 1];
            if bin_cnt >= max_bin - 1 {
                break;
            }
            cur = 0;
            if !is_big[i] {
                rest_bin_cnt -= 1;
                mean_bin_size = rest_sample_cnt as f64 / rest_bin_cnt as f64;
            }
        }
    }
    bin_cnt += 1;
    for i in 0..bin_cnt - 1 {
        let value = next_up((upper_bounds[i] + lower_bounds[i + 1]) / 2.0);
        if upper_bounds_out.last().is_none_or(|&last| !equal_ordered(last, value)) {
            upper_bounds_out.push(value);
        }
    }
    upper_bounds_out.push(f64::INFINITY);
    upper_bounds_out
}

/// LightGBM's `FindBinWithZeroAsOneBin`: negative values, a bin for zero,
/// positive values.
fn find_bin_zero_as_one_bin(
    distinct: &[f64],
    counts: &[usize],
    max_bin: usize,
    total_sample_cnt: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let n = distinct.len();
    let (mut left_cnt_data, mut cnt_zero, mut right_cnt_data) = (0, 0, 0);
    for (&value, &count) in distinct.iter().zip(counts) {
        if value <= -ZERO_THRESHOLD {
            left_cnt_data += count;
        } else if value > ZERO_THRESHOLD {
            right_cnt_data += count;
        } else {
            cnt_zero += count;
        }
    }
    let left_cnt = distinct.iter().position(|&v| v > -ZERO_THRESHOLD).unwrap_or(n);
    let mut bounds = Vec::new();
    if left_cnt > 0 && max_bin > 1 {
        let left_max_bin =
            ((left_cnt_data as f64 / (total_sample_cnt - cnt_zero) as f64 * (max_bin - 1) as f64) as usize).max(1);
        bounds =
            greedy_find_bin(&distinct[..left_cnt], &counts[..left_cnt], left_max_bin, left_cnt_data, min_data_in_bin);
        if let Some(last) = bounds.last_mut() {
            *last = -ZERO_THRESHOLD;
        }
    }
    let right_start = (left_cnt..n).find(|&i| distinct[i] > ZERO_THRESHOLD);
    let right_max_bin = max_bin as i64 - 1 - bounds.len() as i64;
    match right_start {
        Some(start) if right_max_bin > 0 => {
            let right = greedy_find_bin(
                &distinct[start..],
                &counts[start..],
                right_max_bin as usize,
                right_cnt_data,
                min_data_in_bin,
            );
            bounds.push(ZERO_THRESHOLD);
            bounds.extend(right);
        }
        _ => bounds.push(f64::INFINITY),
    }
    bounds
}

/// LightGBM's `BinMapper::FindBin` for a numerical feature without missing
/// values, on the sampled rows.
fn lightgbm_bins(column: &[f64], max_bin: usize, min_data_in_bin: usize, sample_rows: usize) -> FeatureBins {
    let n = column.len();
    let sample: Vec<f64> = if n > sample_rows && sample_rows > 0 {
        (0..sample_rows).map(|i| column[i * n / sample_rows]).collect()
    } else {
        column.to_vec()
    };
    let total = sample.len();
    // LightGBM samples the non-zero values; zeros are counted apart.
    let mut values: Vec<f64> = sample.into_iter().filter(|v| v.abs() > ZERO_THRESHOLD).collect();
    let zero_cnt = total - values.len();
    values.sort_by(f64::total_cmp);
    let mut distinct: Vec<f64> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    if values.is_empty() || (values[0] > 0.0 && zero_cnt > 0) {
        distinct.push(0.0);
        counts.push(zero_cnt);
    }
    if let Some(&first) = values.first() {
        distinct.push(first);
        counts.push(1);
    }
    for i in 1..values.len() {
        if !equal_ordered(values[i - 1], values[i]) {
            if values[i - 1] < 0.0 && values[i] > 0.0 {
                distinct.push(0.0);
                counts.push(zero_cnt);
            }
            distinct.push(values[i]);
            counts.push(1);
        } else if let (Some(last), Some(count)) = (distinct.last_mut(), counts.last_mut()) {
            *last = values[i];
            *count += 1;
        }
    }
    if values.last().is_some_and(|&v| v < 0.0) && zero_cnt > 0 {
        distinct.push(0.0);
        counts.push(zero_cnt);
    }
    let upper = find_bin_zero_as_one_bin(&distinct, &counts, max_bin, total, min_data_in_bin);
    let mut bins = FeatureBins { upper, fix_bin: None };
    // LightGBM's `most_freq_bin_`: the fullest bin, or the bin of zero unless the fullest holds 70%.
    let mut cnt_in_bin = vec![0usize; bins.n_bins()];
    for (&value, &count) in distinct.iter().zip(&counts) {
        cnt_in_bin[bins.bin_of(value) as usize] += count;
    }
    let mut most_freq = 0;
    for (b, &count) in cnt_in_bin.iter().enumerate() {
        if count > cnt_in_bin[most_freq] {
            most_freq = b;
        }
    }
    let default_bin = bins.bin_of(0.0) as usize;
    if most_freq != default_bin && (cnt_in_bin[most_freq] as f64 / total as f64) < 0.7 {
        most_freq = default_bin;
    }
    bins.fix_bin = (most_freq > 0 && bins.n_bins() > 1).then_some(most_freq);
    bins
}

/// The largest float32 below `value` (so `v <= result` iff `v < value` for float32 `v`).
fn prev_f32(value: f32) -> f32 {
    if value.is_nan() || value == f32::NEG_INFINITY {
        return value;
    }
    if value == 0.0 {
        return -f32::from_bits(1);
    }
    let bits = value.to_bits();
    if value > 0.0 {
        f32::from_bits(bits - 1)
    } else {
        f32::from_bits(bits + 1)
    }
}

/// XGBoost's cut points for one feature: the distinct float32 values after
/// the smallest (all of them when at most `max_bin`, else those at evenly
/// spaced ranks), then `max + |max| + 1e-5`. XGBoost sends `v < cut[b]` to
/// bins up to `b`; the bounds kept are the float32 just below each cut.
fn xgboost_bins(column: &[f64], max_bin: usize) -> FeatureBins {
    let mut values: Vec<f32> = column.iter().map(|&v| v as f32).collect();
    values.sort_by(f32::total_cmp);
    values.dedup();
    let mut cuts: Vec<f32> = Vec::new();
    if values.len() <= max_bin {
        cuts.extend_from_slice(values.get(1..).unwrap_or(&[]));
    } else {
        let last_index = values.len() - 1;
        for i in 1..max_bin {
            let value = values[(i * last_index).div_ceil(max_bin)];
            if cuts.last().is_none_or(|&last| value > last) {
                cuts.push(value);
            }
        }
    }
    let mut upper: Vec<f64> = cuts.iter().map(|&cut| f64::from(prev_f32(cut))).collect();
    upper.truncate(MAX_VALUE_BINS - 1);
    upper.push(f64::INFINITY);
    FeatureBins { upper, fix_bin: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lightgbm_bins_merge_to_min_data_in_bin_and_split_at_zero() {
        let column: Vec<f64> = (1..=10).map(f64::from).collect();
        let bins = lightgbm_bins(&column, 255, 3, 200_000);
        // 3 values per bin: bounds between 3|4, 6|7, 9|10, then +inf (after the zero bin's bound).
        assert_eq!(bins.upper.len(), 5);
        assert_eq!(bins.upper[0], ZERO_THRESHOLD);
        assert!((bins.upper[1] - 3.5).abs() < 1e-12 && (bins.upper[3] - 9.5).abs() < 1e-12);
        let mixed = [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0];
        let bins = lightgbm_bins(&mixed, 255, 1, 200_000);
        assert_eq!(bins.bin_of(0.0), bins.bin_of(1e-40));
        assert!(bins.bin_of(-1.0) < bins.bin_of(0.0) && bins.bin_of(0.0) < bins.bin_of(1.0));
    }

    #[test]
    fn xgboost_bins_hold_one_distinct_value_each_when_few() {
        let column = [3.0, 1.0, 2.0, 2.0, 5.0];
        let bins = xgboost_bins(&column, 256);
        assert_eq!(bins.n_bins(), 4);
        let codes: Vec<u8> = column.iter().map(|&v| bins.bin_of(v)).collect();
        assert_eq!(codes, [2, 0, 1, 1, 3]);
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        let bins = xgboost_bins(&many, 256);
        assert!(bins.n_bins() <= MAX_VALUE_BINS && bins.n_bins() > 200);
    }
}
