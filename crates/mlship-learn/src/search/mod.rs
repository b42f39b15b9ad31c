//! What `tune_model` searches and in which order: PyCaret's search spaces
//! (`spaces`) and the candidates scikit-learn's searches draw from a grid
//! (`grid`, with CPython's set order in `pyset`). The CLI cross-validates the
//! candidates with `compare`'s shared folds.

pub mod grid;
pub mod halving;
mod pyset;
pub mod spaces;

pub use grid::{Candidate, Drawn, SearchGrid, SearchMethod};
pub use halving::HalvingSchedule;
pub use spaces::{model_params, search_space, tune_grid, Distribution, SearchSpace};
