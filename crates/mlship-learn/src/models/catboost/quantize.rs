//! CatBoost's float-feature quantization: `feature_border_type=GreedyLogSum`
//! with `border_count` borders (254 by default), as
//! `library/cpp/grid_creator/binarization.cpp` computes them
//! (`TGreedyBinarizer<MaxSumLog>` without weights).
//!
//! The values of a feature (as float32, CatBoost's storage type) are sorted
//! with their repeats; one bin covering them all is split greedily: a bin's
//! candidate split is the lower or upper bound of its middle value (whichever
//! scores higher, the lower one on a tie), scored by
//! `log(left) + log(right) - log(left + right)` of the row counts; the bin
//! with the best candidate is split next, until there are `border_count + 1`
//! bins or no bin can be split. A border is the float32 midpoint
//! `0.5 * a + 0.5 * b` of the values either side. With fewer distinct values
//! than bins every midpoint becomes a border, as in CatBoost.
//!
//! Tie rule: CatBoost keeps the bins in a `std::priority_queue` ordered by
//! score alone, so among bins of equal score (equal row counts) the heap's
//! mechanics decide which is split first; `LibcxxHeap` reproduces libc++'s.
//! CatBoost also builds borders on at most 200,000 sampled rows; mlship uses
//! every row.

/// One bin of the greedy search: sorted positions `start..end` and its best split.
struct Bin {
    start: usize,
    end: usize,
    split: usize,
    score: f64,
}

impl Bin {
    fn new(values: &[f32], start: usize, end: usize) -> Self {
        let mid = start + (end - start) / 2;
        let mid_value = values[mid];
        // lower_bound in [start, mid), upper_bound in [mid, end).
        let lower = start + values[start..mid].partition_point(|v| *v < mid_value);
        let upper = mid + values[mid..end].partition_point(|v| *v <= mid_value);
        let score_lower = split_score(start, end, lower);
        let score_upper = split_score(start, end, upper);
        let (split, score) = if score_lower >= score_upper { (lower, score_lower) } else { (upper, score_upper) };
        Bin { start, end, split, score }
    }

    fn can_split(&self) -> bool {
        self.split != self.start && self.split != self.end
    }
}

/// The gain of splitting `start..end` at `at`: MaxSumLog's penalty `-log(w + 1e-8)`.
fn split_score(start: usize, end: usize, at: usize) -> f64 {
    if at == start || at == end {
        return f64::NEG_INFINITY;
    }
    let log = |w: usize| (w as f64 + 1e-8).ln();
    log(at - start) + log(end - at) - log(end - start)
}

/// `std::priority_queue` as libc++ implements it (CatBoost's build): a
/// binary max-heap on the score alone, `push` sifting up while the parent is
/// strictly smaller, `pop` moving the hole down to a leaf along the larger
/// child (the left one on a tie, Floyd's method) and sifting the last element
/// up from there. Bins of equal score leave in the order this gives, which is
/// what decides between them when they compete for the last borders.
struct LibcxxHeap(Vec<Bin>);

impl LibcxxHeap {
    fn less(&self, a: usize, b: usize) -> bool {
        self.0[a].score < self.0[b].score
    }

    fn sift_up(&mut self, mut index: usize) {
        while index > 0 {
            let parent = (index - 1) / 2;
            if !self.less(parent, index) {
                break;
            }
            self.0.swap(parent, index);
            index = parent;
        }
    }

    fn push(&mut self, bin: Bin) {
        self.0.push(bin);
        self.sift_up(self.0.len() - 1);
    }

    fn top(&self) -> Option<&Bin> {
        self.0.first()
    }

    fn pop(&mut self) -> Option<Bin> {
        let len = self.0.len();
        if len <= 1 {
            return self.0.pop();
        }
        // Floyd: move the hole from the root to a leaf along the larger child.
        let mut hole = 0;
        loop {
            let mut child = 2 * hole + 1;
            if child + 1 < len && self.less(child, child + 1) {
                child += 1;
            }
            self.0.swap(hole, child);
            hole = child;
            if child > (len - 2) / 2 {
                break;
            }
        }
        // The old root now sits at `hole`; the last element takes its place.
        let last = len - 1;
        if hole != last {
            self.0.swap(hole, last);
            self.sift_up(hole);
        }
        self.0.pop()
    }
}

/// The sorted borders of one feature column (NaN values are ignored, as
/// CatBoost's `nan_mode=Min` does when building borders). A constant column
/// has none.
pub(crate) fn greedy_log_sum_borders(column: &[f64], border_count: usize) -> Vec<f32> {
    let mut values: Vec<f32> = column.iter().filter(|v| !v.is_nan()).map(|&v| v as f32).collect();
    if values.is_empty() || border_count == 0 {
        return Vec::new();
    }
    values.sort_by(f32::total_cmp);
    let mut heap = LibcxxHeap(Vec::with_capacity(border_count + 2));
    heap.push(Bin::new(&values, 0, values.len()));
    while heap.0.len() <= border_count && heap.top().is_some_and(Bin::can_split) {
        let Some(top) = heap.pop() else { break };
        heap.push(Bin::new(&values, top.start, top.split));
        heap.push(Bin::new(&values, top.split, top.end));
    }
    let mut borders: Vec<f32> = heap
        .0
        .into_iter()
        .filter(|bin| bin.start != 0)
        .map(|bin| {
            let border = 0.5f32 * values[bin.start - 1] + 0.5f32 * values[bin.start];
            // CatBoost replaces a negative zero by zero.
            if border == 0.0 {
                0.0
            } else {
                border
            }
        })
        .collect();
    borders.sort_by(f32::total_cmp);
    borders.dedup();
    borders
}

/// The bin of a value: the number of borders strictly below it (so
/// `value > borders[k]` exactly when the bin is above `k`; NaN is bin 0,
/// CatBoost's `nan_mode=Min`).
#[inline]
pub(crate) fn bin_of(borders: &[f32], value: f32) -> u8 {
    borders.partition_point(|&border| value > border) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_give_every_midpoint() {
        let column = [3.0, 1.0, 2.0, 2.0, 5.0];
        assert_eq!(greedy_log_sum_borders(&column, 254), vec![1.5, 2.5, 4.0]);
        assert!(greedy_log_sum_borders(&[7.0; 5], 254).is_empty());
        assert_eq!(bin_of(&[1.5, 2.5, 4.0], 2.5), 1);
        assert_eq!(bin_of(&[1.5, 2.5, 4.0], 9.0), 3);
        assert_eq!(bin_of(&[1.5, 2.5, 4.0], f32::NAN), 0);
    }

    /// CatBoost's own borders (`fixtures/models_catboost.py --borders`,
    /// catboost 1.2.10): the same float32 values, including columns with
    /// repeated values and bins of equal score that compete for the last borders.
    #[test]
    fn borders_are_catboosts() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catboost_borders.json.gz");
        let fixture = mlship_testkit::fixtures::json_gz(&path);
        let floats =
            |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
        for (name, case) in fixture["cases"].as_object().unwrap() {
            let expected: Vec<f32> = floats(&case["borders"]).iter().map(|&v| v as f32).collect();
            let ours =
                greedy_log_sum_borders(&floats(&case["values"]), case["border_count"].as_u64().unwrap() as usize);
            assert_eq!(ours, expected, "{name}");
        }
    }

    #[test]
    fn many_values_are_cut_into_border_count_bins_of_similar_size() {
        let column: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.5).collect();
        let borders = greedy_log_sum_borders(&column, 15);
        assert_eq!(borders.len(), 15);
        let bins: Vec<u8> = column.iter().map(|&v| bin_of(&borders, v as f32)).collect();
        for bin in 0..=15u8 {
            let count = bins.iter().filter(|&&b| b == bin).count();
            assert!((31..=125).contains(&count), "bin {bin} holds {count} rows");
        }
    }
}
