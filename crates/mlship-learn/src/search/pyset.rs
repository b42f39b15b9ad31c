//! The order in which CPython 3 iterates a `set` of non-negative integers.
//!
//! PyCaret's random search draws its candidates' grid indices into a Python
//! `set` and returns `[int(x) for x in selected]`, so the candidates are tried
//! (and ties between equal scores are broken) in the set's iteration order,
//! not the order they were drawn. Reproducing that order is what makes
//! `tune --search random` try PyCaret's candidates in PyCaret's order. This is
//! CPython's `Objects/setobject.c` (3.7 and later): open addressing with nine
//! linear probes then perturbed probing, a table that starts at 8 slots and
//! grows to the smallest power of two above 4 × the used count once 60 % full,
//! and iteration in slot order.

const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
/// Python hashes an int as its value modulo the Mersenne prime 2^61 - 1.
const HASH_MODULUS: u64 = (1 << 61) - 1;

/// A set of integers laid out as CPython lays out `set()` with `add`.
pub(crate) struct PySet {
    table: Vec<Option<u64>>,
    fill: usize,
}

fn hash(key: u64) -> u64 {
    key % HASH_MODULUS
}

impl PySet {
    pub(crate) fn new() -> Self {
        PySet { table: vec![None; MIN_SIZE], fill: 0 }
    }

    /// The slot CPython's probe sequence (`set_add_entry`, `set_insert_clean`)
    /// stops at for `key`: the slot holding it, or the first free one.
    fn find_slot(&self, key: u64) -> usize {
        let mask = self.table.len() - 1;
        let hashed = hash(key);
        let mut slot = (hashed as usize) & mask;
        let mut perturb = hashed;
        loop {
            let probes = if slot + LINEAR_PROBES <= mask { LINEAR_PROBES } else { 0 };
            for probe in slot..=slot + probes {
                if self.table[probe].is_none_or(|existing| existing == key) {
                    return probe;
                }
            }
            perturb >>= PERTURB_SHIFT;
            slot = (slot.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb as usize)) & mask;
        }
    }

    /// Whether `key` is in the set.
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.table[self.find_slot(key)] == Some(key)
    }

    /// `set.add(key)`; a key already present changes nothing.
    pub(crate) fn add(&mut self, key: u64) {
        let slot = self.find_slot(key);
        if self.table[slot].is_some() {
            return;
        }
        self.table[slot] = Some(key);
        self.fill += 1;
        let mask = self.table.len() - 1;
        if self.fill * 5 >= mask * 3 {
            // No deletions here, so `used` equals `fill`.
            let used = self.fill;
            self.resize(if used > 50_000 { used * 2 } else { used * 4 });
        }
    }

    /// `set_table_resize`: the smallest power of two above `min_used`, the
    /// old entries reinserted in slot order.
    fn resize(&mut self, min_used: usize) {
        let mut size = MIN_SIZE;
        while size <= min_used {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![None; size]);
        // `set_insert_clean`: each key goes to the first free slot of its probe sequence.
        for key in old.into_iter().flatten() {
            let slot = self.find_slot(key);
            self.table[slot] = Some(key);
        }
    }

    /// The keys in iteration order (`list(s)`).
    pub(crate) fn to_vec(&self) -> Vec<u64> {
        self.table.iter().flatten().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::PySet;

    fn order(keys: &[u64]) -> Vec<u64> {
        let mut set = PySet::new();
        for &key in keys {
            set.add(key);
        }
        set.to_vec()
    }

    #[test]
    fn small_keys_iterate_by_slot_and_collisions_probe_linearly() {
        // Orders printed by CPython 3.11 for the same `add` calls.
        assert_eq!(order(&[3, 1, 2]), vec![1, 2, 3]);
        assert_eq!(order(&[10, 2]), vec![10, 2]); // 10 & 7 = 2 first; 2 collides and moves on
        let many: Vec<u64> = (0..20).rev().collect();
        assert_eq!(order(&many), (0..20).collect::<Vec<u64>>()); // resized to 128 slots: identity
    }

    #[test]
    fn large_keys_follow_the_perturbed_probe_sequence() {
        let keys = [1_000_003, 77, 5, 123_456_789, 13, 21, 29, 37];
        assert_eq!(order(&keys), vec![1_000_003, 5, 37, 13, 77, 123_456_789, 21, 29]);
    }

    #[test]
    fn duplicates_are_ignored() {
        assert_eq!(order(&[5, 5, 5]), vec![5]);
    }
}
