//! Data drift: each column of the current data against its reference
//! profile, with Evidently's default test per column (or the one asked for),
//! and the data set's verdict as Evidently's `DataDriftTable` gives it: it
//! drifts when the share of drifted columns reaches `drift_share` (0.5).
//! The result's field names are Evidently's, so a script written against
//! Evidently's JSON reads ours.

use crate::profile::{share, ColumnProfile, Distribution};
use crate::stattest::{self, ColumnKind, Sample, StatTest};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Evidently's default share of drifted columns at which the data set drifts.
pub const DEFAULT_DRIFT_SHARE: f64 = 0.5;
/// Bars in a numeric column's histogram in the report.
const HISTOGRAM_BINS: usize = 20;
/// Levels shown for a categorical column in the report (the rest are counted together).
const HISTOGRAM_LEVELS: usize = 20;

/// Which test and threshold each column gets.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    /// The test for every column without its own (Evidently's default choice when `None`).
    pub stattest: Option<StatTest>,
    /// Per-column tests.
    pub per_column_stattest: BTreeMap<String, StatTest>,
    /// The threshold for every column without its own (the test's default when `None`).
    pub threshold: Option<f64>,
    /// Per-column thresholds.
    pub per_column_threshold: BTreeMap<String, f64>,
    /// The share of drifted columns at which the data set drifts.
    pub drift_share: f64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            stattest: None,
            per_column_stattest: BTreeMap::new(),
            threshold: None,
            per_column_threshold: BTreeMap::new(),
            drift_share: DEFAULT_DRIFT_SHARE,
        }
    }
}

/// Rows and missing cells on one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideSummary {
    /// Rows.
    pub number_of_rows: usize,
    /// Missing cells.
    pub number_of_missing_values: usize,
    /// Their share of the rows.
    pub share_of_missing_values: f64,
}

impl SideSummary {
    fn of(profile: &ColumnProfile) -> Self {
        SideSummary {
            number_of_rows: profile.n_rows,
            number_of_missing_values: profile.n_missing,
            share_of_missing_values: profile.missing_share(),
        }
    }
}

/// Two distributions side by side, for the report's plots: shares of each side's non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Histogram {
    /// Equal-width bins over both sides' range: `edges` has one more entry than each share list.
    Numeric {
        /// Bin edges, ascending.
        edges: Vec<f64>,
        /// The reference's share per bin.
        reference: Vec<f64>,
        /// The current data's share per bin.
        current: Vec<f64>,
    },
    /// The most frequent levels of both sides.
    Categorical {
        /// The levels shown.
        levels: Vec<String>,
        /// The reference's share per level.
        reference: Vec<f64>,
        /// The current data's share per level.
        current: Vec<f64>,
    },
}

/// One column's verdict, with Evidently's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column.
    pub column_name: String,
    /// `num`, `cat` or `datetime`, as Evidently names them.
    pub column_type: String,
    /// The test's display name, e.g. `K-S p_value` (absent when no test ran).
    pub stattest_name: Option<String>,
    /// The test's id, e.g. `ks`.
    pub stattest: Option<String>,
    /// The threshold the score was held against.
    pub stattest_threshold: Option<f64>,
    /// The p-value (tests) or the distance (distances) compared with the threshold.
    pub drift_score: Option<f64>,
    /// The test statistic (the KS D, the chi-square sum, the distance).
    pub statistic: Option<f64>,
    /// Whether this column drifted.
    pub drift_detected: bool,
    /// The population stability index, reported alongside whatever the test.
    pub psi: Option<f64>,
    /// The reference side.
    pub reference: SideSummary,
    /// The current side.
    pub current: SideSummary,
    /// Levels in the current data the reference never had.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_categories: Vec<String>,
    /// Levels of the reference absent from the current data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_categories: Vec<String>,
    /// Why no test ran, or what else is wrong (a type change, every value missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The two distributions, for plots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
}

/// The data set's verdict, Evidently's `DataDriftTable` fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataDrift {
    /// Columns tested (date columns are not).
    pub number_of_columns: usize,
    /// Columns that drifted.
    pub number_of_drifted_columns: usize,
    /// Their share.
    pub share_of_drifted_columns: f64,
    /// Whether the share reached `drift_share`.
    pub dataset_drift: bool,
    /// The share at which the data set drifts.
    pub drift_share: f64,
    /// Every input column's verdict, in the model's input order.
    pub drift_by_columns: Vec<ColumnDrift>,
}

/// Compares every reference column with the current column of the same name.
/// `current` must hold one profile per reference column (the caller reports
/// missing columns before this).
pub fn data_drift(
    reference_rows: usize,
    reference: &[ColumnProfile],
    current: &[ColumnProfile],
    options: &DriftOptions,
) -> Result<DataDrift, String> {
    let mut columns = Vec::with_capacity(reference.len());
    for reference_column in reference {
        let current_column = current
            .iter()
            .find(|c| c.name == reference_column.name)
            .ok_or_else(|| format!("the current data has no column \"{}\"", reference_column.name))?;
        columns.push(column_drift(reference_rows, reference_column, current_column, options)?);
    }
    let tested: Vec<&ColumnDrift> = columns.iter().filter(|c| c.column_type != "datetime").collect();
    let number_of_columns = tested.len();
    let number_of_drifted_columns = tested.iter().filter(|c| c.drift_detected).count();
    let share_of_drifted_columns = share(number_of_drifted_columns, number_of_columns);
    Ok(DataDrift {
        number_of_columns,
        number_of_drifted_columns,
        share_of_drifted_columns,
        dataset_drift: stattest::dataset_drift(number_of_drifted_columns, number_of_columns, options.drift_share),
        drift_share: options.drift_share,
        drift_by_columns: columns,
    })
}

/// One column's verdict. A numeric column whose current values are text
/// (its type changed) and a column whose current values are all missing
/// count as drifted, with the reason in `problem`.
pub fn column_drift(
    reference_rows: usize,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    options: &DriftOptions,
) -> Result<ColumnDrift, String> {
    let name = &reference.name;
    let mut drift = ColumnDrift {
        column_name: name.clone(),
        column_type: column_type(&reference.distribution).to_string(),
        stattest_name: None,
        stattest: None,
        stattest_threshold: None,
        drift_score: None,
        statistic: None,
        drift_detected: false,
        psi: None,
        reference: SideSummary::of(reference),
        current: SideSummary::of(current),
        new_categories: Vec::new(),
        missing_categories: Vec::new(),
        problem: None,
        histogram: None,
    };
    let (kind, reference_sample, current_sample) = match (&reference.distribution, &current.distribution) {
        (Distribution::Datetime, _) => {
            drift.problem = Some("date column: its drift is not tested".to_string());
            return Ok(drift);
        }
        (Distribution::Numeric { sample: r, .. }, Distribution::Numeric { sample: c, .. }) => {
            (ColumnKind::Numeric, Sample::Numeric(r), Sample::Numeric(c))
        }
        (Distribution::Categorical { counts: r, .. }, Distribution::Categorical { counts: c, .. }) => {
            let known: BTreeSet<&str> = r.iter().map(|(level, _)| level.as_str()).collect();
            let seen: BTreeSet<&str> = c.iter().map(|(level, _)| level.as_str()).collect();
            drift.new_categories = seen.difference(&known).map(|l| (*l).to_string()).collect();
            drift.missing_categories = known.difference(&seen).map(|l| (*l).to_string()).collect();
            (ColumnKind::Categorical, Sample::Categorical(r), Sample::Categorical(c))
        }
        (Distribution::Numeric { .. }, Distribution::Categorical { counts, .. }) => {
            let example = counts.first().map_or_else(String::new, |(level, _)| format!(" (e.g. {level:?})"));
            drift.problem = Some(format!("type changed: numeric in the reference, text in the current data{example}"));
            drift.drift_detected = true;
            return Ok(drift);
        }
        (Distribution::Categorical { .. }, Distribution::Numeric { sample, .. }) => {
            // Labels that happen to be numbers now: compare them as labels.
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for value in sample {
                *counts.entry(value.to_string()).or_default() += 1;
            }
            let converted = ColumnProfile {
                distribution: Distribution::Categorical { counts: counts.into_iter().collect(), other: 0 },
                ..current.clone()
            };
            return column_drift(reference_rows, reference, &converted, options);
        }
        (_, Distribution::Datetime) => {
            return Err(format!("column \"{name}\": the current data holds dates where the reference does not"));
        }
    };
    if current.n_rows > 0 && current.n_missing == current.n_rows {
        drift.problem = Some("every current value is missing".to_string());
        drift.drift_detected = true;
        return Ok(drift);
    }
    if is_empty(&reference_sample) {
        drift.problem = Some("every reference value is missing: nothing to compare with".to_string());
        return Ok(drift);
    }
    let test = options
        .per_column_stattest
        .get(name)
        .copied()
        .or(options.stattest)
        .unwrap_or_else(|| stattest::default_test(kind, reference_rows, &reference_sample, &current_sample));
    let threshold = options.per_column_threshold.get(name).copied().or(options.threshold);
    let result = stattest::run(test, threshold, kind, &reference_sample, &current_sample)
        .map_err(|e| format!("column \"{name}\": {e}"))?;
    drift.stattest_name = Some(test.display_name().to_string());
    drift.stattest = Some(test.name().to_string());
    drift.stattest_threshold = Some(result.threshold);
    drift.drift_score = Some(result.score);
    drift.statistic = Some(result.statistic);
    drift.drift_detected = result.drift;
    drift.psi = stattest::psi(kind, &reference_sample, &current_sample).ok();
    drift.histogram = Some(histogram(&reference_sample, &current_sample));
    Ok(drift)
}

fn column_type(distribution: &Distribution) -> &'static str {
    match distribution {
        Distribution::Numeric { .. } => "num",
        Distribution::Categorical { .. } => "cat",
        Distribution::Datetime => "datetime",
    }
}

fn is_empty(sample: &Sample<'_>) -> bool {
    match sample {
        Sample::Numeric(values) => values.is_empty(),
        Sample::Categorical(counts) => counts.iter().all(|(_, n)| *n == 0),
    }
}

fn histogram(reference: &Sample<'_>, current: &Sample<'_>) -> Histogram {
    match (reference, current) {
        (Sample::Numeric(r), Sample::Numeric(c)) => {
            let (lo, hi) = r
                .iter()
                .chain(c.iter())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let width = if hi > lo { (hi - lo) / HISTOGRAM_BINS as f64 } else { 1.0 };
            let edges = (0..=HISTOGRAM_BINS).map(|i| lo + width * i as f64).collect();
            let shares = |values: &[f64]| {
                let mut counts = vec![0usize; HISTOGRAM_BINS];
                for v in values {
                    // Truncation picks the bin; the maximum goes in the last one.
                    let bin = (((v - lo) / width) as usize).min(HISTOGRAM_BINS - 1);
                    counts[bin] += 1;
                }
                counts.into_iter().map(|n| share(n, values.len())).collect()
            };
            Histogram::Numeric { edges, reference: shares(r), current: shares(c) }
        }
        (Sample::Categorical(r), Sample::Categorical(c)) => {
            let total = |counts: &[(String, u64)]| counts.iter().map(|(_, n)| *n as f64).sum::<f64>().max(1.0);
            let (rt, ct) = (total(r), total(c));
            let mut both: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
            for (level, n) in r.iter() {
                both.entry(level).or_default().0 = *n as f64 / rt;
            }
            for (level, n) in c.iter() {
                both.entry(level).or_default().1 = *n as f64 / ct;
            }
            let mut levels: Vec<(&str, (f64, f64))> = both.into_iter().collect();
            levels.sort_by(|a, b| (b.1 .0 + b.1 .1).total_cmp(&(a.1 .0 + a.1 .1)).then_with(|| a.0.cmp(b.0)));
            levels.truncate(HISTOGRAM_LEVELS);
            Histogram::Categorical {
                levels: levels.iter().map(|(l, _)| (*l).to_string()).collect(),
                reference: levels.iter().map(|(_, (r, _))| *r).collect(),
                current: levels.iter().map(|(_, (_, c))| *c).collect(),
            }
        }
        // A type change never reaches the plots (no test ran).
        _ => Histogram::Categorical { levels: Vec::new(), reference: Vec::new(), current: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{categorical_profile, numeric_profile};

    fn numbers(name: &str, values: impl Iterator<Item = f64>) -> ColumnProfile {
        let values: Vec<f64> = values.collect();
        numeric_profile(name, values.len(), values, usize::MAX)
    }

    #[test]
    fn a_shifted_column_drifts_and_the_data_set_follows_the_share() {
        let reference = vec![
            numbers("same", (0..500).map(|i| f64::from(i % 97))),
            numbers("moved", (0..500).map(|i| f64::from(i % 97))),
        ];
        let current = vec![
            numbers("same", (0..400).map(|i| f64::from((i * 7) % 97))),
            numbers("moved", (0..400).map(|i| f64::from(i % 97) + 60.0)),
        ];
        let drift = data_drift(500, &reference, &current, &DriftOptions::default()).expect("drift");
        assert_eq!(drift.drift_by_columns[0].stattest.as_deref(), Some("ks"));
        assert!(!drift.drift_by_columns[0].drift_detected);
        assert!(drift.drift_by_columns[1].drift_detected);
        assert_eq!((drift.number_of_drifted_columns, drift.share_of_drifted_columns), (1, 0.5));
        assert!(drift.dataset_drift, "half the columns drifted: Evidently's 0.5 share is reached");
        let strict = DriftOptions { drift_share: 0.6, ..DriftOptions::default() };
        assert!(!data_drift(500, &reference, &current, &strict).expect("drift").dataset_drift);
    }

    #[test]
    fn new_categories_type_changes_and_empty_columns_are_said() {
        let pairs = |p: &[(&str, u64)]| p.iter().map(|(l, n)| ((*l).to_string(), *n)).collect::<Vec<_>>();
        let reference = categorical_profile("c", 100, 0, pairs(&[("a", 60), ("b", 40)]), usize::MAX);
        let current = categorical_profile("c", 100, 0, pairs(&[("a", 50), ("z", 50)]), usize::MAX);
        let drift = column_drift(100, &reference, &current, &DriftOptions::default()).expect("drift");
        assert_eq!(drift.new_categories, vec!["z"]);
        assert_eq!(drift.missing_categories, vec!["b"]);

        let was_numeric = numbers("x", (0..50).map(f64::from));
        let now_text = categorical_profile("x", 3, 0, pairs(&[("abc", 3)]), usize::MAX);
        let drift = column_drift(50, &was_numeric, &now_text, &DriftOptions::default()).expect("drift");
        assert!(drift.drift_detected);
        assert!(drift.problem.as_deref().is_some_and(|p| p.contains("type changed") && p.contains("abc")));

        let all_missing = numeric_profile("x", 7, Vec::new(), usize::MAX);
        let drift = column_drift(50, &was_numeric, &all_missing, &DriftOptions::default()).expect("drift");
        assert!(drift.drift_detected);
        assert_eq!(drift.current.share_of_missing_values, 1.0);
    }

    #[test]
    fn a_chosen_test_and_threshold_override_the_defaults_per_column() {
        let reference = vec![numbers("x", (0..200).map(f64::from))];
        let current = vec![numbers("x", (0..200).map(|i| f64::from(i) + 5.0))];
        let options = DriftOptions {
            per_column_stattest: BTreeMap::from([("x".to_string(), StatTest::Wasserstein)]),
            per_column_threshold: BTreeMap::from([("x".to_string(), 0.5)]),
            ..DriftOptions::default()
        };
        let drift = data_drift(200, &reference, &current, &options).expect("drift");
        let column = &drift.drift_by_columns[0];
        assert_eq!((column.stattest.as_deref(), column.stattest_threshold), (Some("wasserstein"), Some(0.5)));
        assert!(!column.drift_detected, "a shift of 5 on a spread of 58 is below a 0.5 normed distance");
    }
}
