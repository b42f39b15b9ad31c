//! Placing a large current side among the reference's distinct values
//! without sorting it.
//!
//! Between two consecutive reference values the reference's ECDF is flat, so
//! KS needs only how many current values fall in each gap (and on each
//! reference value), and Wasserstein only their count and summed offset,
//! except in the few gaps where the current ECDF crosses the reference's
//! level. Sorting a million values (~60 ms) would cost more than every test
//! on the column together; placing them costs one lookup each.

/// The sorted distinct reference values with a coarse slot table over
/// their range, so that finding a value's place is a lookup and a short
/// search rather than a full binary search.
pub(crate) struct KeyIndex<'a> {
    keys: &'a [f64],
    min: f64,
    scale: f64,
    /// starts[s] = how many keys fall in slots before s; slots.len() + 1 entries.
    starts: Vec<usize>,
}

impl<'a> KeyIndex<'a> {
    /// `keys`: sorted, distinct, finite, non-empty.
    pub fn new(keys: &'a [f64]) -> Self {
        let min = keys.first().copied().unwrap_or(0.0);
        let max = keys.last().copied().unwrap_or(0.0);
        let n_slots = (keys.len() * 2).next_power_of_two().clamp(1, 1 << 16);
        let scale = if max > min { n_slots as f64 / (max - min) } else { 0.0 };
        let mut index = KeyIndex { keys, min, scale, starts: vec![0; n_slots + 1] };
        for &key in keys {
            let slot = index.slot(key);
            index.starts[slot + 1] += 1;
        }
        for s in 1..index.starts.len() {
            index.starts[s] += index.starts[s - 1];
        }
        index
    }

    /// The slot is monotone in the value (IEEE subtraction and multiplication
    /// by constants are), so a key in an earlier slot is smaller than any
    /// value in a later one.
    fn slot(&self, value: f64) -> usize {
        let n_slots = self.starts.len() - 1;
        let position = (value - self.min) * self.scale;
        if position <= 0.0 {
            0
        } else {
            (position as usize).min(n_slots - 1)
        }
    }

    /// How many keys are below `value` (`partition_point(|k| k < value)`).
    pub fn count_below(&self, value: f64) -> usize {
        let slot = self.slot(value);
        let (start, end) = (self.starts[slot], self.starts[slot + 1]);
        start + self.keys[start..end].partition_point(|key| *key < value)
    }

    /// The keys.
    pub fn keys(&self) -> &'a [f64] {
        self.keys
    }
}

/// Where the current values fall among the reference keys k_0 < ... < k_{m-1}:
/// `on[a]` values equal k_a; `between[a]` values lie strictly between
/// k_{a-1} and k_a (below k_0 for a = 0, above k_{m-1} for a = m).
pub(crate) struct Placement {
    pub on: Vec<u64>,
    pub between: Vec<u64>,
    /// Σ (k_a - x) for the values below k_0 in `offsets[0]`, Σ (x - k_{a-1})
    /// for the values in gap a >= 1 (above k_{m-1} for a = m): offsets from
    /// the gap's left key keep the sums exact enough for values far from 0.
    pub offsets: Vec<f64>,
}

/// `Placement::with_gaps`'s mark for a value equal to a reference key.
pub(crate) const ON_KEY: u32 = u32::MAX;

impl Placement {
    pub fn new(index: &KeyIndex<'_>, current: &[f64]) -> Self {
        let mut placement = Placement::empty(index.keys().len());
        for &value in current {
            placement.place(index, value);
        }
        placement
    }

    /// Also each current value's gap (or `ON_KEY`), so that a second look at
    /// some gaps' values costs a scan rather than a second lookup per value.
    pub fn with_gaps(index: &KeyIndex<'_>, current: &[f64]) -> (Self, Vec<u32>) {
        let mut placement = Placement::empty(index.keys().len());
        let gaps = current.iter().map(|&value| placement.place(index, value)).collect();
        (placement, gaps)
    }

    fn empty(m: usize) -> Self {
        Placement { on: vec![0; m], between: vec![0; m + 1], offsets: vec![0.0; m + 1] }
    }

    fn place(&mut self, index: &KeyIndex<'_>, value: f64) -> u32 {
        let keys = index.keys();
        let below = index.count_below(value);
        if below < keys.len() && keys[below] == value {
            self.on[below] += 1;
            ON_KEY
        } else {
            self.between[below] += 1;
            self.offsets[below] += if below == 0 { keys[0] - value } else { value - keys[below - 1] };
            below as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_below_is_partition_point() {
        let keys: Vec<f64> = (0..300).map(|i| ((i * i) as f64).sqrt() * 1.5 - 40.0).collect();
        let index = KeyIndex::new(&keys);
        for i in -1_000..1_000 {
            let value = i as f64 * 0.37;
            assert_eq!(index.count_below(value), keys.partition_point(|k| *k < value), "{value}");
        }
        for &key in &keys {
            assert_eq!(index.count_below(key), keys.partition_point(|k| *k < key), "{key}");
        }
    }

    #[test]
    fn a_single_key_splits_below_on_and_above() {
        let keys = [2.0];
        let index = KeyIndex::new(&keys);
        let placement = Placement::new(&index, &[1.0, 2.0, 2.0, 5.0]);
        assert_eq!(placement.on, vec![2]);
        assert_eq!(placement.between, vec![1, 1]);
        assert_eq!(placement.offsets, vec![1.0, 3.0]);
    }
}
