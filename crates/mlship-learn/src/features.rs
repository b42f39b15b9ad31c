//! Generated features: PyCaret 2's trigonometry, interaction and ratio
//! features over the numeric inputs, and scikit-learn's `PolynomialFeatures`
//! (degree d, no bias column, its column order) over every column.

use crate::matrix::Matrix;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// The PyCaret 2 generated features, each over the numeric input columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generated {
    /// Sines and cosines of each numeric column.
    Trigonometry,
    /// Products of each pair of numeric columns.
    Interaction,
    /// Ratios of each pair of numeric columns.
    Ratio,
}

/// One fitted family of generated features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGenerated {
    /// Which family.
    pub kind: Generated,
    /// The width of the matrix it was fitted on, checked when transforming.
    pub n_inputs: usize,
    /// Indices of the numeric input columns the features are built from.
    pub numeric: Vec<usize>,
}

impl FittedGenerated {
    /// Appends the generated columns to `x` and their names to `names`.
    pub fn append(&self, x: &mut Matrix, names: &mut Vec<String>) -> Result<(), LearnError> {
        x.expect_width(self.n_inputs, "the generated features")?;
        match self.kind {
            Generated::Trigonometry => trigonometry(x, names, &self.numeric),
            Generated::Interaction => interaction(x, names, &self.numeric),
            Generated::Ratio => ratio(x, names, &self.numeric),
        }
        Ok(())
    }
}

/// Appends sin, cos and tan of every numeric input column.
fn trigonometry(x: &mut Matrix, names: &mut Vec<String>, numeric: &[usize]) {
    for &col in numeric {
        for (label, function) in [("sin", f64::sin as fn(f64) -> f64), ("cos", f64::cos), ("tan", f64::tan)] {
            let column = x.columns[col].iter().map(|&v| function(v)).collect();
            names.push(format!("{label}({})", names[col]));
            x.push_column(column);
        }
    }
}

/// Appends a·b for every pair of numeric input columns (a before b).
fn interaction(x: &mut Matrix, names: &mut Vec<String>, numeric: &[usize]) {
    for (pos, &a) in numeric.iter().enumerate() {
        for &b in &numeric[pos + 1..] {
            let column = x.columns[a].iter().zip(&x.columns[b]).map(|(u, v)| u * v).collect();
            names.push(format!("{}_multiply_{}", names[a], names[b]));
            x.push_column(column);
        }
    }
}

/// Appends a÷b for every pair of numeric input columns (a before b); ÷0 gives 0.
fn ratio(x: &mut Matrix, names: &mut Vec<String>, numeric: &[usize]) {
    for (pos, &a) in numeric.iter().enumerate() {
        for &b in &numeric[pos + 1..] {
            let column =
                x.columns[a].iter().zip(&x.columns[b]).map(|(u, v)| if *v == 0.0 { 0.0 } else { u / v }).collect();
            names.push(format!("{}_divide_{}", names[a], names[b]));
            x.push_column(column);
        }
    }
}

/// Fitted `PolynomialFeatures`: every product of the input columns up to `degree`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPolynomial {
    /// The highest total power of a term.
    pub degree: u32,
    /// The width of the matrix it was fitted on, checked when transforming.
    pub n_inputs: usize,
}

/// The exponent combinations of `PolynomialFeatures`: for each degree, the
/// column-index multisets in lexicographic order (`combinations_with_replacement`).
fn combinations(n_inputs: usize, degree: u32) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    for d in 1..=degree as usize {
        let mut current = vec![0usize; d];
        loop {
            all.push(current.clone());
            // Advance like itertools.combinations_with_replacement.
            let Some(pos) = (0..d).rev().find(|&i| current[i] != n_inputs - 1) else { break };
            let next = current[pos] + 1;
            for slot in &mut current[pos..] {
                *slot = next;
            }
        }
    }
    all
}

impl FittedPolynomial {
    /// The step for `x` and the names of its output columns, built from `names`.
    pub fn fit(x: &Matrix, names: &[String], degree: u32) -> (Self, Vec<String>) {
        let fitted = FittedPolynomial { degree, n_inputs: x.n_cols() };
        let out_names = combinations(x.n_cols(), degree)
            .iter()
            .map(|combo| {
                // scikit-learn's names: "a", "a^2", "a b".
                let mut parts: Vec<String> = Vec::new();
                let mut idx = 0;
                while idx < combo.len() {
                    let run = combo[idx..].iter().take_while(|&&c| c == combo[idx]).count();
                    let name = &names[combo[idx]];
                    parts.push(if run == 1 { name.clone() } else { format!("{name}^{run}") });
                    idx += run;
                }
                parts.join(" ")
            })
            .collect();
        (fitted, out_names)
    }

    /// Adds the polynomial terms to `x`; a matrix of another width is an error.
    pub fn transform(&self, x: Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.n_inputs, "PolynomialFeatures")?;
        let mut out = Matrix::with_rows(x.n_rows);
        for combo in combinations(self.n_inputs, self.degree) {
            let mut column = x.columns[combo[0]].clone();
            for &c in &combo[1..] {
                for (value, factor) in column.iter_mut().zip(&x.columns[c]) {
                    *value *= factor;
                }
            }
            out.push_column(column);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_order_matches_sklearn() {
        let combos = combinations(3, 2);
        let expected: Vec<Vec<usize>> =
            vec![vec![0], vec![1], vec![2], vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2], vec![2, 2]];
        assert_eq!(combos, expected);
        assert_eq!(combinations(9, 2).len(), 54);
    }
}
