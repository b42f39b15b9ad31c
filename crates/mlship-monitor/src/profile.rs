//! The reference profile: what a model's training data looked like, kept in
//! the artifact so `monitor` (and `serve`'s live drift) can compare what the
//! model sees now against it without the training file.
//!
//! Bounded whatever the training data: a numeric column keeps every value up
//! to [`SAMPLE_CAP`] rows (so Evidently's small-reference tests, KS and
//! chi-square, run on exactly the data Evidently would use) and above that a
//! quantile sketch of [`SAMPLE_CAP`] points (the value at the middle of each
//! of `SAMPLE_CAP` equal-count blocks of the sorted column), which keeps the
//! distribution's shape for the large-reference distances (Wasserstein,
//! Jensen–Shannon, PSI) to within one block. A categorical column keeps the
//! counts of its [`LEVEL_CAP`] most frequent levels and the count of the rest.

use mlship_data::{Column, Table};
use serde::{Deserialize, Serialize};

/// Numeric values kept per column: every value up to this many rows, a sketch above.
pub const SAMPLE_CAP: usize = 1_000;
/// Categorical levels kept per column, the most frequent first.
pub const LEVEL_CAP: usize = 1_000;

/// What the model was trained on, per input column, and what it predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// What the reference is, e.g. "training split".
    pub source: String,
    /// Rows in the reference.
    pub n_rows: usize,
    /// One profile per input column, in the pipeline's input order.
    pub columns: Vec<ColumnProfile>,
    /// The model's predictions on reference data (the hold-out split: out-of-sample, like production).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<ColumnProfile>,
    /// The target on the reference rows, for target drift once actuals arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ColumnProfile>,
}

impl ReferenceProfile {
    /// The profile of the input column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One column's distribution on the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// The column's name.
    pub name: String,
    /// Rows profiled, missing cells included.
    pub n_rows: usize,
    /// Missing cells.
    pub n_missing: usize,
    /// The non-missing values.
    #[serde(flatten)]
    pub distribution: Distribution,
}

impl ColumnProfile {
    /// The share of missing cells (0 for an empty column).
    pub fn missing_share(&self) -> f64 {
        share(self.n_missing, self.n_rows)
    }
}

/// `part / whole`, 0 when `whole` is 0.
pub fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The non-missing values of a column, bounded in size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Numbers.
    Numeric {
        /// Every value (up to [`SAMPLE_CAP`] rows) or a quantile sketch, sorted ascending.
        sample: Vec<f64>,
        /// Distinct values in the whole column.
        n_unique: usize,
        /// Mean of the whole column.
        mean: f64,
        /// Population standard deviation of the whole column.
        std: f64,
    },
    /// Labels.
    Categorical {
        /// Level → rows, the most frequent first (ties by name), at most [`LEVEL_CAP`] levels.
        counts: Vec<(String, u64)>,
        /// Rows whose level is not among `counts` (beyond the cap).
        #[serde(default)]
        other: u64,
    },
    /// Dates: profiled for missing cells only (their drift is not tested, as in Evidently).
    Datetime,
}

/// Profiles every named column of `table` on the rows `rows` (all rows when `None`).
/// `cap` bounds each numeric sample and level list ([`SAMPLE_CAP`] for an
/// artifact's profile, `usize::MAX` to keep everything, as for current data).
pub fn profile_table(
    table: &Table,
    names: &[(String, ColumnRole)],
    rows: Option<&[usize]>,
    cap: usize,
) -> Result<Vec<ColumnProfile>, String> {
    names
        .iter()
        .map(|(name, role)| {
            let column = table.column(name).ok_or_else(|| format!("no column \"{name}\" to profile"))?;
            Ok(profile_column(name, column, *role, rows, cap))
        })
        .collect()
}

/// How a column is read by the model: what its profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    /// Numbers.
    Numeric,
    /// Labels.
    Categorical,
    /// Dates.
    Datetime,
}

/// Profiles one column on the rows `rows` (all rows when `None`), numbers sketched to `cap` values.
pub fn profile_column(
    name: &str,
    column: &Column,
    role: ColumnRole,
    rows: Option<&[usize]>,
    cap: usize,
) -> ColumnProfile {
    let n_rows = rows.map_or(column.len(), <[usize]>::len);
    let row_at = |i: usize| rows.map_or(i, |r| r[i]);
    match (column, role) {
        (_, ColumnRole::Datetime) => {
            let n_missing = (0..n_rows).filter(|&i| column.is_missing(row_at(i))).count();
            ColumnProfile { name: name.to_string(), n_rows, n_missing, distribution: Distribution::Datetime }
        }
        (Column::Numeric(values), _) => {
            let present: Vec<f64> = (0..n_rows).map(|i| values[row_at(i)]).filter(|v| !v.is_nan()).collect();
            numeric_profile(name, n_rows, present, cap)
        }
        (Column::Categorical(categorical), _) => {
            let mut counts = vec![0u64; categorical.levels.len()];
            let mut n_missing = 0;
            for i in 0..n_rows {
                match categorical.codes[row_at(i)] {
                    mlship_data::MISSING_CODE => n_missing += 1,
                    code => counts[code as usize] += 1,
                }
            }
            let pairs = categorical.levels.iter().cloned().zip(counts).filter(|(_, n)| *n > 0).collect();
            categorical_profile(name, n_rows, n_missing, pairs, cap)
        }
    }
}

/// The profile of numbers (`present` holds the non-missing ones; `n_rows` counts the missing too).
pub fn numeric_profile(name: &str, n_rows: usize, mut present: Vec<f64>, cap: usize) -> ColumnProfile {
    present.sort_unstable_by(f64::total_cmp);
    let n = present.len();
    let mean = if n == 0 { 0.0 } else { present.iter().sum::<f64>() / n as f64 };
    let std = if n == 0 { 0.0 } else { (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt() };
    let n_unique = count_sorted_unique(&present);
    let sample = sketch(&present, cap);
    ColumnProfile {
        name: name.to_string(),
        n_rows,
        n_missing: n_rows - n,
        distribution: Distribution::Numeric { sample, n_unique, mean, std },
    }
}

/// The profile of labels from their counts (`n_rows` counts the missing too).
/// Keeps the `cap` most frequent levels ([`LEVEL_CAP`] for an artifact's profile).
pub fn categorical_profile(
    name: &str,
    n_rows: usize,
    n_missing: usize,
    mut pairs: Vec<(String, u64)>,
    cap: usize,
) -> ColumnProfile {
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let other = pairs.iter().skip(cap).map(|(_, n)| n).sum();
    pairs.truncate(cap);
    ColumnProfile {
        name: name.to_string(),
        n_rows,
        n_missing,
        distribution: Distribution::Categorical { counts: pairs, other },
    }
}

fn count_sorted_unique(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Every value when there are at most `cap`; else the value in the middle of
/// each of `cap` equal-count blocks of the sorted values.
fn sketch(sorted: &[f64], cap: usize) -> Vec<f64> {
    let n = sorted.len();
    if n <= cap {
        return sorted.to_vec();
    }
    // n > cap here, so each block holds at least one value.
    (0..cap).map(|i| sorted[((2 * i + 1) * n) / (2 * cap)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlship_data::CategoricalColumn;

    #[test]
    fn a_small_column_is_kept_whole_and_a_large_one_sketched_by_quantiles() {
        let small = numeric_profile("x", 12, (0..10).map(f64::from).rev().collect(), SAMPLE_CAP);
        let Distribution::Numeric { sample, n_unique, mean, .. } = &small.distribution else { panic!("numeric") };
        assert_eq!(sample, &(0..10).map(f64::from).collect::<Vec<_>>());
        assert_eq!((*n_unique, small.n_missing, *mean), (10, 2, 4.5));

        let large = numeric_profile("x", 100_000, (0..100_000).map(f64::from).collect(), SAMPLE_CAP);
        let Distribution::Numeric { sample, n_unique, .. } = &large.distribution else { panic!("numeric") };
        assert_eq!(sample.len(), SAMPLE_CAP);
        assert_eq!(*n_unique, 100_000);
        // Block i of 100 values: its middle value, 100 i + 50.
        assert_eq!(sample[0], 50.0);
        assert_eq!(sample[SAMPLE_CAP - 1], 99_950.0);
    }

    #[test]
    fn categories_are_counted_on_the_chosen_rows_most_frequent_first() {
        let column =
            Column::Categorical(CategoricalColumn::from_values([Some("b"), Some("a"), None, Some("a"), Some("c")]));
        let profile = profile_column("c", &column, ColumnRole::Categorical, Some(&[0, 1, 2, 3]), SAMPLE_CAP);
        assert_eq!((profile.n_rows, profile.n_missing), (4, 1));
        let Distribution::Categorical { counts, other } = profile.distribution else { panic!("categorical") };
        assert_eq!(counts, vec![("a".to_string(), 2), ("b".to_string(), 1)]);
        assert_eq!(other, 0);
    }

    #[test]
    fn levels_beyond_the_cap_are_counted_together() {
        let pairs = (0..LEVEL_CAP + 5).map(|i| (format!("l{i:05}"), 1)).collect();
        let profile = categorical_profile("c", LEVEL_CAP + 5, 0, pairs, LEVEL_CAP);
        let Distribution::Categorical { counts, other } = profile.distribution else { panic!("categorical") };
        assert_eq!((counts.len(), other), (LEVEL_CAP, 5));
    }
}
