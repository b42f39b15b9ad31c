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

impl FittedGenerated {
    /// The input columns each appended feature is made from, in the order
    /// `append` adds them (explanations sum features back to their sources).
    pub fn sources(&self) -> Vec<Vec<usize>> {
        match self.kind {
            Generated::Trigonometry => self.numeric.iter().flat_map(|&c| [vec![c], vec![c], vec![c]]).collect(),
            Generated::Interaction | Generated::Ratio => self
                .numeric
                .iter()
                .enumerate()
                .flat_map(|(pos, &a)| self.numeric[pos + 1..].iter().map(move |&b| vec![a, b]))
                .collect(),
        }
    }
}

impl FittedGenerated {
    /// Checks a step read from a file against the `width` it receives: the
    /// fitted width, numeric indices inside it; returns the output width.
    pub fn validate(&self, width: usize) -> Result<usize, String> {
        check_width("n_inputs", self.n_inputs, width)?;
        if let Some(at) = self.numeric.iter().position(|&c| c >= width) {
            return Err(format!("numeric[{at}] is {}, the input has {width} columns", self.numeric[at]));
        }
        let k = self.numeric.len();
        let added = match self.kind {
            Generated::Trigonometry => k.checked_mul(3),
            Generated::Interaction | Generated::Ratio => k.checked_mul(k.saturating_sub(1)).map(|p| p / 2),
        };
        added
            .and_then(|a| a.checked_add(width))
            .ok_or_else(|| format!("{k} numeric columns generate too many features"))
    }
}

/// `field` (the width a step was fitted on) equals the width it receives.
pub(crate) fn check_width(field: &str, fitted: usize, width: usize) -> Result<(), String> {
    if fitted == width {
        Ok(())
    } else {
        Err(format!("{field} is {fitted} but the previous step gives {width} columns"))
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

/// The highest polynomial degree a pipeline may hold (as `SetupOptions` allows).
pub const MAX_POLYNOMIAL_DEGREE: u32 = 5;

/// How many terms `PolynomialFeatures` makes from `n_inputs` columns up to
/// `degree` (no bias): C(n + d, d) − 1, or `None` above `limit`.
pub fn polynomial_width(n_inputs: usize, degree: u32, limit: usize) -> Option<usize> {
    let mut total: u128 = 0;
    let mut count: u128 = 1;
    for d in 1..=u128::from(degree) {
        // C(n+d-1, d) = C(n+d-2, d-1) · (n+d-1) / d, exact at every step.
        count = count.checked_mul(n_inputs as u128 + d - 1)? / d;
        total += count;
        if total > limit as u128 {
            return None;
        }
    }
    usize::try_from(total).ok()
}

impl FittedPolynomial {
    /// Checks a step read from a file against the `width` it receives and the
    /// pipeline's `limit` on a row's width; returns the output width.
    pub fn validate(&self, width: usize, limit: usize) -> Result<usize, String> {
        check_width("n_inputs", self.n_inputs, width)?;
        if self.degree < 1 || self.degree > MAX_POLYNOMIAL_DEGREE {
            return Err(format!("degree is {}, expected 1 to {MAX_POLYNOMIAL_DEGREE}", self.degree));
        }
        polynomial_width(width, self.degree, limit)
            .ok_or_else(|| format!("degree {} over {width} columns makes more than {limit} features", self.degree))
    }

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

    /// The input columns each output term multiplies (with repeats for
    /// powers), in output order.
    pub fn terms(&self) -> Vec<Vec<usize>> {
        combinations(self.n_inputs, self.degree)
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

#[cfg(test)]
mod validate_tests {
    use super::*;

    /// The width is C(n + d, d) − 1, and anything past the limit is refused
    /// before a single term is built (degree 40 never allocates).
    #[test]
    fn polynomial_width_is_counted_and_bounded() {
        assert_eq!(polynomial_width(9, 2, 1_000_000), Some(54));
        assert_eq!(polynomial_width(3, 3, 1_000_000), Some(combinations(3, 3).len()));
        assert_eq!(polynomial_width(1_000, 2, 1_000_000), Some(1_000 + 1_000 * 1_001 / 2));
        assert_eq!(polynomial_width(2_000, 2, 1_000_000), None);
        assert_eq!(polynomial_width(usize::MAX, 5, 1_000_000), None);
        let step = FittedPolynomial { degree: 5, n_inputs: 100 };
        let error = step.validate(100, 1_000_000).unwrap_err();
        assert!(error.contains("degree 5 over 100 columns makes more than 1000000 features"), "{error}");
        let step = FittedPolynomial { degree: 40, n_inputs: 9 };
        assert!(step.validate(9, 1_000_000).unwrap_err().contains("degree is 40"));
    }
}
