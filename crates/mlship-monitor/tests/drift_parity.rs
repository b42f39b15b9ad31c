//! Parity with Evidently 0.7.23 and scipy 1.17.1 (issue 14, item 7): every
//! statistic within 1e-9 (relative where large), every p-value within 1e-6,
//! the same drift verdicts, default test and dataset verdict, on the cases
//! `fixtures/evidently_drift.py` generated.

use std::path::PathBuf;

use mlship_monitor::stattest::{self, ColumnKind, Sample, StatTest};
use serde_json::Value;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidently_drift.json.gz");
    mlship_testkit::fixtures::json_gz(&path)
}

/// A column side as the fixture holds it: numbers, or [level, count] pairs.
enum Column {
    Numbers(Vec<f64>),
    Levels(Vec<(String, u64)>),
}

impl Column {
    fn read(value: &Value, kind: ColumnKind) -> Column {
        let items = value.as_array().cloned().unwrap_or_default();
        match kind {
            ColumnKind::Numeric => Column::Numbers(items.iter().filter_map(Value::as_f64).collect()),
            ColumnKind::Categorical => Column::Levels(
                items
                    .iter()
                    .filter_map(|pair| Some((pair.get(0)?.as_str()?.to_string(), pair.get(1)?.as_u64()?)))
                    .collect(),
            ),
        }
    }

    fn sample(&self) -> Sample<'_> {
        match self {
            Column::Numbers(values) => Sample::Numeric(values),
            Column::Levels(levels) => Sample::Categorical(levels),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Column::Numbers(values) => values.len(),
            Column::Levels(levels) => levels.iter().map(|(_, count)| *count as usize).sum(),
        }
    }
}

fn kind_of(value: &Value) -> ColumnKind {
    match value.as_str() {
        Some("numeric") => ColumnKind::Numeric,
        Some("categorical") => ColumnKind::Categorical,
        other => panic!("fixture kind {other:?}"),
    }
}

/// A fixture number: JSON numbers, or "nan" / "inf" / "-inf" written as strings.
fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        _ => f64::NAN,
    }
}

fn close(actual: f64, expected: f64, tolerance: f64, relative: bool) -> bool {
    if expected.is_infinite() || actual.is_infinite() {
        return actual == expected;
    }
    let scale = if relative { expected.abs().max(1.0) } else { 1.0 };
    (actual - expected).abs() <= tolerance * scale
}

#[test]
fn every_test_matches_evidently_and_scipy() {
    let fixture = fixture();
    let cases = fixture["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() > 90, "the fixture holds {} cases", cases.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    // The largest deviations seen, printed for the record (run with --nocapture).
    let mut worst_statistic = (0.0_f64, String::new());
    let mut worst_p_value = (0.0_f64, String::new());
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let kind = kind_of(&case["kind"]);
        let reference = Column::read(&case["reference"], kind);
        let current = Column::read(&case["current"], kind);
        let default = stattest::default_test(kind, reference.rows(), &reference.sample(), &current.sample());
        if default.name() != case["default_test"].as_str().unwrap_or("?") {
            failures.push(format!("{name}: default test {default}, Evidently {}", case["default_test"]));
        }
        let results = case["results"].as_object().cloned().unwrap_or_default();
        for (test_name, expected) in &results {
            let test = StatTest::from_name(test_name).unwrap_or_else(|e| panic!("{e}"));
            let result = match stattest::run(test, None, kind, &reference.sample(), &current.sample()) {
                Ok(result) => result,
                Err(error) => {
                    failures.push(format!("{name} {test}: {error}"));
                    continue;
                }
            };
            checked += 1;
            let expected_statistic = number(&expected["statistic"]);
            let expected_score = number(&expected["score"]);
            if expected_statistic.is_finite() {
                let deviation = (result.statistic - expected_statistic).abs() / expected_statistic.abs().max(1.0);
                if deviation > worst_statistic.0 {
                    worst_statistic = (deviation, format!("{name} {test}"));
                }
            }
            if test.is_p_value()
                && expected_score.is_finite()
                && (result.score - expected_score).abs() > worst_p_value.0
            {
                worst_p_value = ((result.score - expected_score).abs(), format!("{name} {test}"));
            }
            if !close(result.statistic, expected_statistic, 1e-9, true) {
                failures.push(format!("{name} {test}: statistic {} expected {expected_statistic}", result.statistic));
            }
            if test.is_p_value() {
                // scipy's NaN p-value (chi-square over a single value) is reported as 1: same verdict.
                let expected_p = if expected_score.is_nan() { 1.0 } else { expected_score };
                if !close(result.score, expected_p, 1e-6, false) {
                    failures.push(format!("{name} {test}: p-value {} expected {expected_score}", result.score));
                }
            } else if !close(result.score, expected_score, 1e-9, true) {
                failures.push(format!("{name} {test}: score {} expected {expected_score}", result.score));
            }
            if Some(result.drift) != expected["drift"].as_bool() {
                failures.push(format!("{name} {test}: drift {} expected {}", result.drift, expected["drift"]));
            }
            if result.threshold != number(&expected["threshold"]) {
                failures.push(format!("{name} {test}: threshold {}", result.threshold));
            }
            if test == StatTest::Psi {
                let psi = stattest::psi(kind, &reference.sample(), &current.sample()).unwrap_or(f64::NAN);
                if psi != result.score {
                    failures.push(format!("{name}: psi() {psi} differs from the psi test's {}", result.score));
                }
            }
        }
    }
    eprintln!("{checked} results; largest statistic deviation {worst_statistic:?}, p-value {worst_p_value:?}");
    assert!(failures.is_empty(), "{} of {checked} results differ:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 400, "only {checked} results checked");
}

#[test]
fn dataset_verdicts_match_evidentlys_data_drift_table() {
    let fixture = fixture();
    let dataset = &fixture["dataset"];
    let columns = dataset["columns"].as_array().cloned().unwrap_or_default();
    assert_eq!(columns.len(), 6);
    let mut drifted = 0;
    for column in &columns {
        let name = column["name"].as_str().unwrap_or("?");
        let kind = kind_of(&column["kind"]);
        let reference = Column::read(&column["reference"], kind);
        let current = Column::read(&column["current"], kind);
        let test = stattest::default_test(kind, reference.rows(), &reference.sample(), &current.sample());
        assert_eq!(test.display_name(), column["stattest_display_name"].as_str().unwrap_or("?"), "{name}");
        let result = stattest::run(test, None, kind, &reference.sample(), &current.sample())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_score = number(&column["score"]);
        let tolerance = if test.is_p_value() { 1e-6 } else { 1e-9 };
        assert!(
            close(result.score, expected_score, tolerance, !test.is_p_value()),
            "{name}: {} vs {expected_score}",
            result.score
        );
        assert_eq!(Some(result.drift), column["drift"].as_bool(), "{name}");
        assert_eq!(result.threshold, number(&column["threshold"]), "{name}");
        drifted += usize::from(result.drift);
    }
    assert_eq!(Some(drifted as u64), dataset["number_of_drifted_columns"].as_u64());
    let share = drifted as f64 / columns.len() as f64;
    assert_eq!(share, number(&dataset["share_of_drifted_columns"]));
    let drift_share = number(&dataset["drift_share"]);
    assert_eq!(Some(stattest::dataset_drift(drifted, columns.len(), drift_share)), dataset["dataset_drift"].as_bool());
}
