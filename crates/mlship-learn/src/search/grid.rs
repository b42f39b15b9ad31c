//! A grid of hyperparameter values and the candidates scikit-learn's searches
//! draw from it, as PyCaret runs them: `GridSearchCV` walks
//! `ParameterGrid` (names sorted, the last name varying fastest);
//! `RandomizedSearchCV` with lists only draws `n_iter` distinct grid indices
//! with numpy's legacy `RandomState(session_id).randint` (PyCaret's patched
//! `sample_without_replacement`, returned in Python `set` order) and reads
//! each with `ParameterGrid[index]`. The same seed gives the same candidates,
//! in the same order, as PyCaret's `tune_model`.

use super::pyset::PySet;
use crate::params::ParamValue;
use crate::rng::Mt19937;
use crate::LearnError;

/// One candidate: parameter names (as the grid names them) and values.
pub type Candidate = Vec<(String, ParamValue)>;

/// Named lists of values to search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchGrid {
    /// Sorted by name (scikit-learn's `ParameterGrid` sorts them).
    params: Vec<(String, Vec<ParamValue>)>,
}

/// How candidates are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMethod {
    /// Every point of the grid (`GridSearchCV`).
    Grid,
    /// `n_iter` distinct points drawn at random (`RandomizedSearchCV`).
    Random,
}

impl SearchMethod {
    /// scikit-learn's name for the search.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMethod::Grid => "grid",
            SearchMethod::Random => "random",
        }
    }
}

impl SearchGrid {
    /// A grid; an empty grid, a name without values or a name given twice is an error.
    pub fn new(params: Vec<(String, Vec<ParamValue>)>) -> Result<Self, LearnError> {
        if params.is_empty() {
            return Err(LearnError::InvalidOption("the search grid is empty: give at least one parameter".into()));
        }
        if let Some((name, _)) = params.iter().find(|(_, values)| values.is_empty()) {
            return Err(LearnError::InvalidOption(format!("the search grid gives \"{name}\" no values")));
        }
        let mut params = params;
        params.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = params.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(LearnError::InvalidOption(format!("the search grid names \"{}\" twice", pair[0].0)));
        }
        let grid = SearchGrid { params };
        grid.size()?;
        Ok(grid)
    }

    /// The parameters and their values, sorted by name.
    pub fn params(&self) -> &[(String, Vec<ParamValue>)] {
        &self.params
    }

    /// The number of points (the product of the list lengths).
    pub fn size(&self) -> Result<u64, LearnError> {
        self.params.iter().try_fold(1u64, |total, (_, values)| {
            total.checked_mul(values.len() as u64).ok_or_else(|| {
                LearnError::InvalidOption("the search grid has more than 2^64 points: give fewer values".into())
            })
        })
    }

    /// `ParameterGrid[index]`: the last name (in sorted order) varies fastest.
    pub fn point(&self, index: u64) -> Candidate {
        let mut rest = index;
        let mut point: Candidate = Vec::with_capacity(self.params.len());
        for (name, values) in self.params.iter().rev() {
            let n = values.len() as u64;
            let offset = (rest % n) as usize;
            rest /= n;
            point.push((name.clone(), values[offset].clone()));
        }
        point.reverse();
        point
    }

    /// The candidates a search tries. PyCaret switches a random search to the
    /// whole grid when the grid has no more points than `n_iter`.
    pub fn candidates(&self, method: SearchMethod, n_iter: usize, seed: u32) -> Result<Drawn, LearnError> {
        let size = self.size()?;
        let method = if method == SearchMethod::Random && size <= n_iter as u64 { SearchMethod::Grid } else { method };
        let indices: Vec<u64> = match method {
            SearchMethod::Grid => {
                const MOST: u64 = 100_000;
                if size > MOST {
                    return Err(LearnError::InvalidOption(format!(
                        "a grid search would try {size} candidates (more than {MOST}): use --search random with --n-iter"
                    )));
                }
                (0..size).collect()
            }
            SearchMethod::Random => {
                if n_iter == 0 {
                    return Err(LearnError::InvalidOption("--n-iter must be at least 1".into()));
                }
                sample_without_replacement(size, n_iter, seed)
            }
        };
        Ok(Drawn { method, candidates: indices.into_iter().map(|index| self.point(index)).collect() })
    }
}

/// The candidates of a search and the search that chose them.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// Grid or random (a random search of a small grid is a grid search).
    pub method: SearchMethod,
    /// In the order they are tried.
    pub candidates: Vec<Candidate>,
}

/// numpy's legacy `RandomState.randint(n, dtype=np.uint64)`: masked
/// rejection on 32-bit draws when `n - 1` fits in 32 bits, on 64-bit draws
/// (two 32-bit draws, high word first) otherwise.
fn randint(rng: &mut Mt19937, n: u64) -> u64 {
    let max = n.saturating_sub(1);
    if max == 0 {
        return 0;
    }
    if max <= u64::from(u32::MAX) {
        return u64::from(rng.interval(max as u32));
    }
    let mask = u64::MAX >> max.leading_zeros();
    loop {
        let high = u64::from(rng.next_u32());
        let value = ((high << 32) | u64::from(rng.next_u32())) & mask;
        if value <= max {
            return value;
        }
    }
}

/// PyCaret's `_mp_sample_without_replacement`: draw until `n_samples`
/// distinct indices are in a Python set, then list the set.
fn sample_without_replacement(n_population: u64, n_samples: usize, seed: u32) -> Vec<u64> {
    let mut rng = Mt19937::new(seed);
    let mut selected = PySet::new();
    let n_samples = (n_samples as u64).min(n_population) as usize;
    for _ in 0..n_samples {
        let mut index = randint(&mut rng, n_population);
        while selected.contains(index) {
            index = randint(&mut rng, n_population);
        }
        selected.add(index);
    }
    selected.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(name: &str, values: &[i64]) -> (String, Vec<ParamValue>) {
        (name.to_string(), values.iter().map(|&v| ParamValue::Int(v)).collect())
    }

    #[test]
    fn points_follow_parameter_grid_order() {
        let grid = SearchGrid::new(vec![ints("b", &[1, 2, 3]), ints("a", &[10, 20])]).unwrap();
        assert_eq!(grid.size().unwrap(), 6);
        let all: Vec<Candidate> = (0..6).map(|i| grid.point(i)).collect();
        // list(ParameterGrid({"b": [1, 2, 3], "a": [10, 20]}))
        let expected = [(10, 1), (10, 2), (10, 3), (20, 1), (20, 2), (20, 3)];
        for (point, (a, b)) in all.iter().zip(expected) {
            assert_eq!(point, &vec![("a".to_string(), ParamValue::Int(a)), ("b".to_string(), ParamValue::Int(b))]);
        }
    }

    #[test]
    fn a_small_grid_is_searched_whole() {
        let grid = SearchGrid::new(vec![ints("a", &[1, 2])]).unwrap();
        let drawn = grid.candidates(SearchMethod::Random, 10, 123).unwrap();
        assert_eq!(drawn.method, SearchMethod::Grid);
        assert_eq!(drawn.candidates.len(), 2);
    }

    #[test]
    fn bad_grids_are_refused_with_the_reason() {
        assert!(SearchGrid::new(vec![]).unwrap_err().to_string().contains("empty"));
        assert!(SearchGrid::new(vec![ints("a", &[])]).unwrap_err().to_string().contains("\"a\" no values"));
        let twice = SearchGrid::new(vec![ints("a", &[1]), ints("a", &[2])]).unwrap_err();
        assert!(twice.to_string().contains("twice"));
    }

    #[test]
    fn random_draws_are_distinct_and_seeded() {
        let grid = SearchGrid::new(vec![ints("a", &(0..50).collect::<Vec<_>>())]).unwrap();
        let first = grid.candidates(SearchMethod::Random, 10, 7).unwrap();
        assert_eq!(first, grid.candidates(SearchMethod::Random, 10, 7).unwrap());
        assert_ne!(first, grid.candidates(SearchMethod::Random, 10, 8).unwrap());
        let mut values: Vec<String> = first.candidates.iter().map(|c| c[0].1.to_string()).collect();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), 10);
    }
}
