//! The error paths and the rules that need no reference numbers.

use super::*;

fn levels(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(level, count)| (level.to_string(), *count)).collect()
}

#[test]
fn names_round_trip_and_unknown_names_list_the_known_ones() {
    for test in StatTest::ALL {
        assert_eq!(StatTest::from_name(test.name()), Ok(test));
    }
    let error = StatTest::from_name("anderson").err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        error,
        "unknown stat test \"anderson\": known tests are ks, chisquare, z, wasserstein, jensenshannon, psi"
    );
    // Names are Evidently's, matched exactly.
    assert!(StatTest::from_name("KS").is_err());
}

#[test]
fn thresholds_and_display_names_are_evidentlys() {
    let expected = [
        (StatTest::Ks, 0.05, true, "K-S p_value"),
        (StatTest::ChiSquare, 0.05, true, "chi-square p_value"),
        (StatTest::ZTest, 0.05, true, "Z-test p_value"),
        (StatTest::Wasserstein, 0.1, false, "Wasserstein distance (normed)"),
        (StatTest::JensenShannon, 0.1, false, "Jensen-Shannon distance"),
        (StatTest::Psi, 0.1, false, "PSI"),
    ];
    for (test, threshold, is_p_value, display) in expected {
        assert_eq!(test.default_threshold(), threshold, "{test}");
        assert_eq!(test.is_p_value(), is_p_value, "{test}");
        assert_eq!(test.display_name(), display, "{test}");
    }
}

#[test]
fn ks_and_wasserstein_refuse_categorical_columns() {
    let reference = levels(&[("a", 3), ("b", 2)]);
    for test in [StatTest::Ks, StatTest::Wasserstein] {
        let result = run(
            test,
            None,
            ColumnKind::Categorical,
            &Sample::Categorical(&reference),
            &Sample::Categorical(&reference),
        );
        assert_eq!(result, Err(StatTestError::WrongKind { test, kind: ColumnKind::Categorical }));
        assert!(!test.applies_to(ColumnKind::Categorical));
    }
    // Numbers taken as labels are categorical too.
    let numbers = [1.0, 2.0, 2.0];
    let result =
        run(StatTest::Ks, None, ColumnKind::Categorical, &Sample::Numeric(&numbers), &Sample::Numeric(&numbers));
    assert_eq!(result, Err(StatTestError::WrongKind { test: StatTest::Ks, kind: ColumnKind::Categorical }));
}

#[test]
fn empty_samples_are_errors_not_nan() {
    let values = [1.0, 2.0, 3.0];
    for test in StatTest::ALL {
        let result = run(test, None, ColumnKind::Numeric, &Sample::Numeric(&values), &Sample::Numeric(&[]));
        assert_eq!(result, Err(StatTestError::Empty { side: Side::Current }), "{test}");
        let result = run(test, None, ColumnKind::Numeric, &Sample::Numeric(&[]), &Sample::Numeric(&values));
        assert_eq!(result, Err(StatTestError::Empty { side: Side::Reference }), "{test}");
    }
    let some = levels(&[("a", 2)]);
    let none = levels(&[("a", 0)]);
    let result = run(
        StatTest::ChiSquare,
        None,
        ColumnKind::Categorical,
        &Sample::Categorical(&some),
        &Sample::Categorical(&none),
    );
    assert_eq!(result, Err(StatTestError::Empty { side: Side::Current }));
    let result = psi(ColumnKind::Categorical, &Sample::Categorical(&[]), &Sample::Categorical(&some));
    assert_eq!(result, Err(StatTestError::Empty { side: Side::Reference }));
}

#[test]
fn non_finite_values_are_named_with_their_position() {
    let good = [1.0, 2.0, 3.0];
    let bad = [1.0, f64::INFINITY, 3.0];
    let result = run(StatTest::Ks, None, ColumnKind::Numeric, &Sample::Numeric(&good), &Sample::Numeric(&bad));
    let error = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(error, "the current sample holds inf at position 1: drop missing and infinite values first");
    let with_nan = [f64::NAN];
    let result = psi(ColumnKind::Numeric, &Sample::Numeric(&with_nan), &Sample::Numeric(&good));
    assert!(matches!(result, Err(StatTestError::NotFinite { side: Side::Reference, index: 0, .. })));
}

#[test]
fn mismatched_samples_and_kinds_are_errors() {
    let numbers = [1.0, 2.0];
    let counts = levels(&[("a", 1)]);
    let result = run(
        StatTest::ChiSquare,
        None,
        ColumnKind::Categorical,
        &Sample::Numeric(&numbers),
        &Sample::Categorical(&counts),
    );
    assert_eq!(result, Err(StatTestError::SidesDiffer { reference: "numbers", current: "level counts" }));
    let result =
        run(StatTest::Psi, None, ColumnKind::Numeric, &Sample::Categorical(&counts), &Sample::Categorical(&counts));
    assert_eq!(result, Err(StatTestError::CountsForNumericColumn { side: Side::Reference }));
}

#[test]
fn thresholds_must_be_finite() {
    let values = [1.0, 2.0, 3.0];
    let result =
        run(StatTest::Ks, Some(f64::NAN), ColumnKind::Numeric, &Sample::Numeric(&values), &Sample::Numeric(&values));
    assert!(matches!(result, Err(StatTestError::InvalidThreshold { test: StatTest::Ks, .. })));
}

#[test]
fn drift_rules_follow_evidently_at_the_threshold() {
    // Identical samples: KS p = 1, so drift only when the threshold is 1 (p <= threshold).
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let sample = Sample::Numeric(&values);
    let at_one = run(StatTest::Ks, Some(1.0), ColumnKind::Numeric, &sample, &sample);
    assert_eq!(at_one.map(|r| r.drift), Ok(true));
    // z: p < threshold, so p = 1 at threshold 1 is no drift.
    let z = run(StatTest::ZTest, Some(1.0), ColumnKind::Numeric, &sample, &sample);
    assert_eq!(z.map(|r| (r.p_value, r.drift)), Ok((Some(1.0), false)));
    // Distances: distance >= threshold, so 0 at threshold 0 is drift.
    let js = run(StatTest::JensenShannon, Some(0.0), ColumnKind::Numeric, &sample, &sample);
    assert_eq!(js.map(|r| (r.score, r.drift)), Ok((0.0, true)));
}

#[test]
fn default_test_counts_distinct_values_over_both_sides() {
    let few = [1.0, 2.0, 1.0];
    let more = [3.0, 4.0, 5.0, 6.0];
    let numeric = ColumnKind::Numeric;
    assert_eq!(default_test(numeric, 3, &Sample::Numeric(&few), &Sample::Numeric(&few)), StatTest::ZTest);
    assert_eq!(default_test(numeric, 3, &Sample::Numeric(&few), &Sample::Numeric(&more[..1])), StatTest::ChiSquare);
    assert_eq!(default_test(numeric, 3, &Sample::Numeric(&few), &Sample::Numeric(&more)), StatTest::Ks);
    assert_eq!(default_test(numeric, 1_001, &Sample::Numeric(&few), &Sample::Numeric(&more)), StatTest::Wasserstein);
    assert_eq!(default_test(numeric, 1_001, &Sample::Numeric(&few), &Sample::Numeric(&few)), StatTest::JensenShannon);
    let two = levels(&[("a", 5), ("b", 1), ("c", 0)]);
    let three = levels(&[("c", 2)]);
    let categorical = ColumnKind::Categorical;
    assert_eq!(default_test(categorical, 6, &Sample::Categorical(&two), &Sample::Categorical(&two)), StatTest::ZTest);
    assert_eq!(
        default_test(categorical, 6, &Sample::Categorical(&two), &Sample::Categorical(&three)),
        StatTest::ChiSquare
    );
    assert_eq!(
        default_test(categorical, 1_001, &Sample::Categorical(&two), &Sample::Categorical(&three)),
        StatTest::JensenShannon
    );
}

#[test]
fn dataset_drift_is_a_share_of_at_least_drift_share() {
    assert!(dataset_drift(3, 6, 0.5));
    assert!(!dataset_drift(2, 6, 0.5));
    assert!(!dataset_drift(0, 0, 0.5));
}

#[test]
fn a_new_level_in_current_makes_chi_square_infinite_with_p_zero() {
    let reference = levels(&[("a", 10), ("b", 10)]);
    let current = levels(&[("a", 10), ("b", 10), ("c", 1)]);
    let result = run(
        StatTest::ChiSquare,
        None,
        ColumnKind::Categorical,
        &Sample::Categorical(&reference),
        &Sample::Categorical(&current),
    );
    assert_eq!(result.map(|r| (r.statistic, r.p_value, r.drift)), Ok((f64::INFINITY, Some(0.0), true)));
}

/// scipy's kstwo.sf, chi2.sf and norm.sf on the grids in the parity fixture,
/// reaching every branch of the Kolmogorov distribution (see
/// `fixtures/evidently_drift.py`).
#[test]
fn special_functions_match_scipy() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidently_drift.json.gz");
    let fixture = mlship_testkit::fixtures::json_gz(&path);
    let special = &fixture["special"];
    let rows = |name: &str| special[name].as_array().cloned().unwrap_or_default();
    let numbers = |row: &serde_json::Value| -> Vec<f64> {
        row.as_array().map(|r| r.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default()
    };
    let mut failures = Vec::new();
    let mut worst = 0.0_f64;
    let kstwo_rows = rows("kstwo_sf");
    assert!(kstwo_rows.len() > 300, "{} kstwo rows", kstwo_rows.len());
    for row in &kstwo_rows {
        let [n, x, expected] = numbers(row)[..] else { panic!("kstwo row {row}") };
        let actual = kolmogorov::kstwo_sf(x, n as u64);
        worst = worst.max((actual - expected).abs());
        if (actual - expected).abs() > 1e-9 {
            failures.push(format!("kstwo.sf({x}, {n}) = {actual}, scipy {expected}"));
        }
    }
    for row in &rows("chi2_sf") {
        let [df, x, expected] = numbers(row)[..] else { panic!("chi2 row {row}") };
        let actual = special::chi_square_sf(x, df);
        worst = worst.max((actual - expected).abs());
        if (actual - expected).abs() > 1e-12 {
            failures.push(format!("chi2.sf({x}, {df}) = {actual}, scipy {expected}"));
        }
    }
    for row in &rows("norm_sf") {
        let [z, expected] = numbers(row)[..] else { panic!("norm row {row}") };
        let actual = special::normal_sf(z);
        worst = worst.max((actual - expected).abs());
        if (actual - expected).abs() > 1e-14 + 1e-12 * expected {
            failures.push(format!("norm.sf({z}) = {actual}, scipy {expected}"));
        }
    }
    eprintln!("largest absolute deviation from scipy: {worst:e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
