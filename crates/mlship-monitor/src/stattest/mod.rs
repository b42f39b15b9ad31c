//! Drift tests between a reference and a current sample of one column, as
//! Evidently 0.7.23 runs them: the same tests (`ks`, `chisquare`, `z`,
//! `wasserstein`, `jensenshannon`, `psi`), thresholds, drift rules, default
//! choice per column and dataset rule, checked against Evidently and scipy
//! by `fixtures/evidently_drift.py` (see ARCHITECTURE.md, "Drift tests").
//!
//! Shaped for a bounded reference (a few thousand values) against a large
//! current side (a million): the reference is sorted once, and the current
//! side is never sorted: each value is placed among the reference's values
//! (`buckets.rs`) or in its histogram bin by arithmetic, so nothing is
//! quadratic and nothing allocates per value.

mod buckets;
mod counts;
mod kolmogorov;
mod ks;
mod measures;
mod special;

use std::fmt;

use counts::Counts;

/// One of Evidently's drift tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatTest {
    /// Two-sample Kolmogorov–Smirnov p-value (numeric columns).
    Ks,
    /// Pearson's chi-square p-value of the current counts against the reference's.
    ChiSquare,
    /// Two-proportion z-test p-value (for two values).
    ZTest,
    /// Wasserstein distance normed by the reference's standard deviation (numeric columns).
    Wasserstein,
    /// Jensen–Shannon distance of the shares per value or per bin.
    JensenShannon,
    /// Population stability index of the shares per value or per bin.
    Psi,
}

impl StatTest {
    /// Every test, in the order of the names in error messages.
    pub const ALL: [StatTest; 6] = [
        StatTest::Ks,
        StatTest::ChiSquare,
        StatTest::ZTest,
        StatTest::Wasserstein,
        StatTest::JensenShannon,
        StatTest::Psi,
    ];

    /// Evidently's registered name (what `--stattest` takes).
    pub fn name(self) -> &'static str {
        match self {
            StatTest::Ks => "ks",
            StatTest::ChiSquare => "chisquare",
            StatTest::ZTest => "z",
            StatTest::Wasserstein => "wasserstein",
            StatTest::JensenShannon => "jensenshannon",
            StatTest::Psi => "psi",
        }
    }

    /// The test with Evidently's registered name `name`.
    pub fn from_name(name: &str) -> Result<Self, StatTestError> {
        StatTest::ALL
            .into_iter()
            .find(|test| test.name() == name)
            .ok_or_else(|| StatTestError::UnknownTest { name: name.to_string() })
    }

    /// Evidently's default threshold: 0.05 for the p-values, 0.1 for the distances.
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() {
            0.05
        } else {
            0.1
        }
    }

    /// Whether the score is a p-value (drift when it is below the threshold:
    /// `p <= threshold` for KS, `p < threshold` for chi-square and z, as
    /// Evidently writes them) rather than a distance (drift when
    /// `distance >= threshold`).
    pub fn is_p_value(self) -> bool {
        matches!(self, StatTest::Ks | StatTest::ChiSquare | StatTest::ZTest)
    }

    /// Evidently's display name ("K-S p_value", ...), as its reports show it.
    pub fn display_name(self) -> &'static str {
        match self {
            StatTest::Ks => "K-S p_value",
            StatTest::ChiSquare => "chi-square p_value",
            StatTest::ZTest => "Z-test p_value",
            StatTest::Wasserstein => "Wasserstein distance (normed)",
            StatTest::JensenShannon => "Jensen-Shannon distance",
            StatTest::Psi => "PSI",
        }
    }

    /// Whether Evidently lets a user pick this test for a column of `kind`
    /// (its registry's allowed feature types). `default_test` may still pick
    /// chi-square or z for a numeric column with at most 5 values, as
    /// Evidently's own default does, and `run` accepts that.
    pub fn applies_to(self, kind: ColumnKind) -> bool {
        match self {
            StatTest::Ks | StatTest::Wasserstein => kind == ColumnKind::Numeric,
            StatTest::ChiSquare | StatTest::ZTest => kind == ColumnKind::Categorical,
            StatTest::JensenShannon | StatTest::Psi => true,
        }
    }
}

impl fmt::Display for StatTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a column is treated: Evidently's numerical or categorical column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Numbers.
    Numeric,
    /// Levels (strings, or numbers taken as labels).
    Categorical,
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
        })
    }
}

/// A column's non-missing values on one side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample<'a> {
    /// The values, finite (drop missing and infinite values first, as Evidently does).
    Numeric(&'a [f64]),
    /// Level counts; a level listed twice is summed, a zero count ignored.
    Categorical(&'a [(String, u64)]),
}

/// Which side of the comparison a value or an error is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The data the model was trained on.
    Reference,
    /// The data it sees now.
    Current,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Reference => "reference",
            Side::Current => "current",
        })
    }
}

/// Why a drift test could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatTestError {
    /// No test has this name.
    #[error("unknown stat test {name:?}: known tests are ks, chisquare, z, wasserstein, jensenshannon, psi")]
    UnknownTest {
        /// The name asked for.
        name: String,
    },
    /// The test needs numbers and the column is categorical.
    #[error("stat test {test} applies to numeric columns only, not to a {kind} column")]
    WrongKind {
        /// The test asked for.
        test: StatTest,
        /// The column's kind.
        kind: ColumnKind,
    },
    /// A numeric column was given level counts.
    #[error("a numeric column needs numeric values, but the {side} sample holds level counts")]
    CountsForNumericColumn {
        /// The side holding counts.
        side: Side,
    },
    /// One side holds numbers and the other level counts.
    #[error("the reference sample holds {reference} and the current sample holds {current}")]
    SidesDiffer {
        /// What the reference holds ("numbers" or "level counts").
        reference: &'static str,
        /// What the current side holds.
        current: &'static str,
    },
    /// A side has no values.
    #[error("the {side} sample is empty")]
    Empty {
        /// The empty side.
        side: Side,
    },
    /// A side holds NaN or an infinity.
    #[error("the {side} sample holds {value} at position {index}: drop missing and infinite values first")]
    NotFinite {
        /// The side.
        side: Side,
        /// The value's position in the slice.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The threshold is not a finite number.
    #[error("threshold {threshold} for stat test {test} is not a finite number")]
    InvalidThreshold {
        /// The test.
        test: StatTest,
        /// The threshold given.
        threshold: f64,
    },
    /// The computation gave no number (a bug: the inputs were checked).
    #[error("stat test {test} gave no number on these samples")]
    NotANumber {
        /// The test.
        test: StatTest,
    },
}

/// One test's outcome on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// The test run.
    pub test: StatTest,
    /// The test statistic: KS's D, the chi-square statistic (+inf when the
    /// current side holds a value the reference never did), z, or the distance.
    pub statistic: f64,
    /// The p-value, for the tests that have one.
    pub p_value: Option<f64>,
    /// Evidently's `drift_score`: the p-value or the distance.
    pub score: f64,
    /// The threshold applied.
    pub threshold: f64,
    /// Evidently's verdict (see `StatTest::is_p_value` for the rule).
    pub drift: bool,
}

/// Evidently's default test for a column (`_get_default_stattest`): with a
/// reference of at most 1,000 rows, KS for a numeric column with more than 5
/// distinct values in reference and current together, else chi-square, or z
/// when there are at most 2 values; with a larger reference, normed
/// Wasserstein for such a numeric column and Jensen–Shannon otherwise.
/// `reference_rows` is the reference's count of non-missing values (the
/// sample may be a bounded subset of it).
pub fn default_test(kind: ColumnKind, reference_rows: usize, reference: &Sample<'_>, current: &Sample<'_>) -> StatTest {
    let n_values = distinct_values_up_to(reference, current, 6);
    let many_numbers = kind == ColumnKind::Numeric && n_values > 5;
    if reference_rows <= 1_000 {
        if many_numbers {
            StatTest::Ks
        } else if n_values > 2 {
            StatTest::ChiSquare
        } else {
            StatTest::ZTest
        }
    } else if many_numbers {
        StatTest::Wasserstein
    } else {
        StatTest::JensenShannon
    }
}

/// Whether a data set drifts: Evidently's rule, the share of drifted columns
/// at least `drift_share` (0.5 by default). No columns is no drift.
pub fn dataset_drift(drifted_columns: usize, columns: usize, drift_share: f64) -> bool {
    columns > 0 && drifted_columns as f64 / columns as f64 >= drift_share
}

/// Runs `test` on one column; `threshold` None takes the test's default.
pub fn run(
    test: StatTest,
    threshold: Option<f64>,
    kind: ColumnKind,
    reference: &Sample<'_>,
    current: &Sample<'_>,
) -> Result<TestResult, StatTestError> {
    let threshold = threshold.unwrap_or(test.default_threshold());
    if !threshold.is_finite() {
        return Err(StatTestError::InvalidThreshold { test, threshold });
    }
    if matches!(test, StatTest::Ks | StatTest::Wasserstein) && kind != ColumnKind::Numeric {
        return Err(StatTestError::WrongKind { test, kind });
    }
    let data = Data::checked(kind, reference, current)?;
    let (statistic, p_value) = match test {
        StatTest::Ks => {
            let (sorted_reference, current) = data.numbers(test, kind)?;
            let (d, p) = ks::ks_two_sample(sorted_reference, current);
            (d, Some(p))
        }
        StatTest::Wasserstein => {
            let (sorted_reference, current) = data.numbers(test, kind)?;
            (measures::wasserstein_normed(sorted_reference, current), None)
        }
        StatTest::ChiSquare => {
            let (statistic, p) = measures::chi_square(&data.counts());
            (statistic, Some(p))
        }
        StatTest::ZTest => {
            let (statistic, p) = measures::z_test(&data.counts());
            (statistic, Some(p))
        }
        StatTest::JensenShannon => {
            let (reference_shares, current_shares) = data.binned_shares(kind);
            (measures::jensen_shannon(&reference_shares, &current_shares), None)
        }
        StatTest::Psi => {
            let (mut reference_shares, mut current_shares) = data.binned_shares(kind);
            counts::fill_zero_shares(&mut reference_shares);
            counts::fill_zero_shares(&mut current_shares);
            (measures::population_stability_index(&reference_shares, &current_shares), None)
        }
    };
    let score = p_value.unwrap_or(statistic);
    if score.is_nan() || statistic.is_nan() {
        return Err(StatTestError::NotANumber { test });
    }
    let drift = match test {
        StatTest::Ks => score <= threshold,
        StatTest::ChiSquare | StatTest::ZTest => score < threshold,
        StatTest::Wasserstein | StatTest::JensenShannon | StatTest::Psi => score >= threshold,
    };
    Ok(TestResult { test, statistic, p_value, score, threshold, drift })
}

/// The population stability index of a column, reported next to its drift test.
pub fn psi(kind: ColumnKind, reference: &Sample<'_>, current: &Sample<'_>) -> Result<f64, StatTestError> {
    run(StatTest::Psi, None, kind, reference, current).map(|result| result.score)
}

/// Both sides, checked: numbers (the reference sorted) or level counts.
enum Data<'a> {
    Numbers { sorted_reference: Vec<f64>, current: &'a [f64] },
    Levels { reference: &'a [(String, u64)], current: &'a [(String, u64)] },
}

impl<'a> Data<'a> {
    fn checked(kind: ColumnKind, reference: &Sample<'a>, current: &Sample<'a>) -> Result<Self, StatTestError> {
        match (*reference, *current) {
            (Sample::Numeric(reference), Sample::Numeric(current)) => {
                check_numbers(Side::Reference, reference)?;
                check_numbers(Side::Current, current)?;
                let mut sorted_reference = reference.to_vec();
                sorted_reference.sort_unstable_by(f64::total_cmp);
                Ok(Data::Numbers { sorted_reference, current })
            }
            (Sample::Categorical(reference), Sample::Categorical(current)) => {
                if kind == ColumnKind::Numeric {
                    return Err(StatTestError::CountsForNumericColumn { side: Side::Reference });
                }
                for (side, levels) in [(Side::Reference, reference), (Side::Current, current)] {
                    if levels.iter().all(|(_, count)| *count == 0) {
                        return Err(StatTestError::Empty { side });
                    }
                }
                Ok(Data::Levels { reference, current })
            }
            (reference, current) => {
                let holds = |sample: Sample<'_>| match sample {
                    Sample::Numeric(_) => "numbers",
                    Sample::Categorical(_) => "level counts",
                };
                Err(StatTestError::SidesDiffer { reference: holds(reference), current: holds(current) })
            }
        }
    }

    /// The reference (sorted) and the current numbers.
    fn numbers(&self, test: StatTest, kind: ColumnKind) -> Result<(&[f64], &[f64]), StatTestError> {
        match self {
            Data::Numbers { sorted_reference, current } => Ok((sorted_reference, current)),
            Data::Levels { .. } => Err(StatTestError::WrongKind { test, kind }),
        }
    }

    fn counts(&self) -> Counts {
        match self {
            Data::Numbers { sorted_reference, current } => counts::numeric_counts(sorted_reference, current),
            Data::Levels { reference, current } => counts::categorical_counts(reference, current),
        }
    }

    /// Evidently's `get_binned_data` without the zero filling: shares per
    /// Sturges bin over both sides for a numeric column whose reference has
    /// more than 20 distinct values, else shares per value.
    fn binned_shares(&self, kind: ColumnKind) -> (Vec<f64>, Vec<f64>) {
        if let (ColumnKind::Numeric, Data::Numbers { sorted_reference, current }) = (kind, self) {
            let (keys, _) = counts::distinct_sorted(sorted_reference);
            if keys.len() > 20 {
                return histogram_shares(sorted_reference, current);
            }
        }
        counts::shares(&self.counts())
    }
}

fn histogram_shares(sorted_reference: &[f64], current: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut min = sorted_reference.first().copied().unwrap_or(0.0);
    let mut max = sorted_reference.last().copied().unwrap_or(0.0);
    for &value in current {
        min = min.min(value);
        max = max.max(value);
    }
    let edges = counts::sturges_edges(min, max, sorted_reference.len() + current.len());
    let reference_counts = counts::histogram(sorted_reference, &edges);
    let current_counts = counts::histogram(current, &edges);
    let n_reference = sorted_reference.len() as f64;
    let n_current = current.len() as f64;
    (
        reference_counts.iter().map(|&c| c as f64 / n_reference).collect(),
        current_counts.iter().map(|&c| c as f64 / n_current).collect(),
    )
}

fn check_numbers(side: Side, values: &[f64]) -> Result<(), StatTestError> {
    if values.is_empty() {
        return Err(StatTestError::Empty { side });
    }
    match values.iter().position(|value| !value.is_finite()) {
        Some(index) => Err(StatTestError::NotFinite { side, index, value: values[index] }),
        None => Ok(()),
    }
}

/// The number of distinct values over both sides, counted up to `cap`
/// (the default rule only asks whether it is above 2 and above 5), so a
/// million current values with many distinct ones stop the scan early.
fn distinct_values_up_to(reference: &Sample<'_>, current: &Sample<'_>, cap: usize) -> usize {
    match (reference, current) {
        (Sample::Categorical(reference), Sample::Categorical(current)) => {
            let mut seen: Vec<&str> = Vec::new();
            for (level, count) in reference.iter().chain(current.iter()) {
                if *count > 0 && !seen.contains(&level.as_str()) {
                    seen.push(level);
                    if seen.len() >= cap {
                        break;
                    }
                }
            }
            seen.len()
        }
        _ => {
            let mut seen: Vec<f64> = Vec::new();
            let numbers = [reference, current].into_iter().filter_map(|sample| match sample {
                Sample::Numeric(values) => Some(values.iter()),
                Sample::Categorical(_) => None,
            });
            for value in numbers.flatten() {
                if value.is_finite() && !seen.contains(value) {
                    seen.push(*value);
                    if seen.len() >= cap {
                        break;
                    }
                }
            }
            seen.len()
        }
    }
}

#[cfg(test)]
mod tests;
