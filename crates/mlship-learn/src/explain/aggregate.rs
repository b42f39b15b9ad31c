//! Explanations on the model's input columns: each engineered feature's
//! values summed back to the input column(s) it was made from. A one-hot
//! level, a date part, a binned or scaled column belong to one column; a
//! feature made from several columns (an interaction, a ratio, a polynomial
//! term `a b`) is split equally between its distinct columns, so the column
//! values still add up to the model's output. After PCA every component
//! mixes every column, so no aggregation is offered (`None`).

use super::Explanation;
use crate::pipeline::{FittedPipeline, FittedStep};

/// For each of the model's input features, the input columns (indices
/// into the schema) it is made from; `None` after a PCA step.
pub fn feature_sources(pipeline: &FittedPipeline) -> Option<Vec<Vec<usize>>> {
    let mut sources: Vec<Vec<usize>> = pipeline
        .encoder
        .columns
        .iter()
        .enumerate()
        .flat_map(|(column, (name, encoder))| std::iter::repeat_n(vec![column], encoder.output_names(name).len()))
        .collect();
    let union = |parts: &[usize], sources: &[Vec<usize>]| {
        let mut all: Vec<usize> = parts.iter().flat_map(|&p| sources.get(p).cloned().unwrap_or_default()).collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    for step in &pipeline.steps {
        match step {
            FittedStep::Generated(step) => {
                let added: Vec<Vec<usize>> = step.sources().iter().map(|parts| union(parts, &sources)).collect();
                sources.extend(added);
            }
            FittedStep::Polynomial(step) => {
                sources = step.terms().iter().map(|parts| union(parts, &sources)).collect();
            }
            FittedStep::Multicollinearity(step) => {
                sources = step.keep.iter().map(|&k| sources.get(k).cloned().unwrap_or_default()).collect();
            }
            FittedStep::Binning(_) | FittedStep::Normalize(_) => {}
            FittedStep::Pca(_) => return None,
        }
    }
    Some(sources)
}

/// The explanation's values summed to `n_columns` input columns by
/// `sources` (one list per feature): row-major, `(i * n_columns + c) *
/// n_outputs + k`.
pub fn column_values(explanation: &Explanation, sources: &[Vec<usize>], n_columns: usize) -> Vec<f64> {
    let n_outputs = explanation.n_outputs();
    let mut out = vec![0.0; explanation.n_rows * n_columns * n_outputs];
    for i in 0..explanation.n_rows {
        for (j, parts) in sources.iter().enumerate().take(explanation.n_features) {
            if parts.is_empty() {
                continue;
            }
            let share = 1.0 / parts.len() as f64;
            for &c in parts.iter().filter(|&&c| c < n_columns) {
                for k in 0..n_outputs {
                    out[(i * n_columns + c) * n_outputs + k] += share * explanation.value(i, j, k);
                }
            }
        }
    }
    out
}
