//! Parity of `mlship explain` with shap 0.51 and scikit-learn 1.9.1, on the
//! fixture `fixtures/explain_shap.py` writes: TreeSHAP values within 1e-6 of
//! shap's where mlship's refit model predicts what the library's does,
//! linear SHAP within 1e-6 on the library's coefficients,
//! `permutation_importance` with the same seed giving the same importances,
//! and permutation SHAP within 3% of shap's `PermutationExplainer` (both
//! sample feature orders; the draws differ).

#![allow(clippy::unwrap_used)]

use mlship_learn::explain::{linear, permutation, tree_shap};
use mlship_learn::models::linear::FittedLinear;
use mlship_learn::models::logistic::FittedLogistic;
use mlship_learn::{FittedModel, Matrix, ModelSpec, ParamValue, RegressionMetrics, Task};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/explain_shap.json.gz");
    mlship_testkit::fixtures::json_gz(std::path::Path::new(path))
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// Rows `range` of the fixture's `x` as a column-major matrix.
fn rows(fixture: &Value, range: std::ops::Range<usize>) -> Matrix {
    let x: Vec<Vec<f64>> = fixture["x"].as_array().unwrap().iter().map(floats).collect();
    let mut matrix = Matrix::with_rows(range.len());
    for j in 0..x[0].len() {
        matrix.push_column(x[range.clone()].iter().map(|row| row[j]).collect());
    }
    matrix
}

fn fit(case: &Value, x: &Matrix) -> FittedModel {
    let task = if case["task"] == "regression" { Task::Regression } else { Task::Classification };
    let given: Vec<(String, ParamValue)> = case["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().map_or_else(|| ParamValue::Float(v.as_f64().unwrap()), ParamValue::Int)))
        .collect();
    let spec = ModelSpec::new(task, case["id"].as_str().unwrap(), &given, 0).unwrap();
    spec.fit_task(x, &floats(&case["target"]), case["n_classes"].as_u64().unwrap() as usize).unwrap()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn tree_shap_matches_shap_where_the_models_agree() {
    let fixture = fixture();
    let train = rows(&fixture, 0..200);
    let explained = rows(&fixture, 200..240);
    let mut matched = Vec::new();
    for case in fixture["tree"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let model = fit(case, &train);
        let raw = tree_shap::raw_output(&model, &explained).unwrap();
        let reference_raw: Vec<f64> = case["raw"].as_array().unwrap().iter().flat_map(floats).collect();
        // The same model: the same raw outputs on the training and explained rows.
        let raw_train = tree_shap::raw_output(&model, &train).unwrap();
        let reference_train: Vec<f64> = case["raw_train"].as_array().unwrap().iter().flat_map(floats).collect();
        let prediction_diff = max_diff(&raw, &reference_raw).max(max_diff(&raw_train, &reference_train));
        // XGBoost sums (and shap's values come back) in float32.
        let float32 = case["id"] == "xgboost";
        let (same_model, tolerance) = if float32 { (1e-5, 2e-6) } else { (1e-9, 1e-6) };
        let explanation = tree_shap::explain(&model, &explained).unwrap();
        let reference: Vec<f64> = case["shap_values"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().flat_map(floats).collect::<Vec<_>>())
            .collect();
        let shap_diff = max_diff(&explanation.values, &reference);
        let expected_diff = max_diff(&explanation.expected_value, &floats(&case["expected_value"]));
        eprintln!("{name}: prediction diff {prediction_diff:.1e}, SHAP diff {shap_diff:.1e}, expected value diff {expected_diff:.1e}");
        if prediction_diff < same_model {
            assert!(shap_diff < tolerance, "{name}: SHAP values differ by {shap_diff}");
            assert!(expected_diff < tolerance, "{name}: expected values differ by {expected_diff}");
            matched.push(name.to_string());
        }
    }
    // The deterministic scikit-learn models must be the same trees here.
    for name in [
        "dt",
        "rf",
        "gbr",
        "dt_classifier_3",
        "rf_classifier_2",
        "gbc_2",
        "lightgbm",
        "lightgbm_classifier_2",
        "xgboost",
        "xgboost_classifier_2",
    ] {
        assert!(
            matched.iter().any(|m| m == name),
            "{name} did not refit to the library's model (matched: {matched:?})"
        );
    }
}

#[test]
fn linear_shap_matches_shap_on_the_librarys_coefficients() {
    let fixture = fixture();
    let background = rows(&fixture, 0..100);
    let explained = rows(&fixture, 200..240);
    for case in fixture["linear"].as_array().unwrap() {
        let coef: Vec<Vec<f64>> = case["coef"].as_array().unwrap().iter().map(floats).collect();
        let intercept = floats(&case["intercept"]);
        let model = if case["name"] == "lr" {
            FittedModel::Linear(FittedLinear { coef: coef[0].clone(), intercept: intercept[0] })
        } else {
            FittedModel::Logistic(FittedLogistic { coef, intercept, n_classes: 2 })
        };
        let explanation = linear::explain(&model, &explained, &background).unwrap();
        let reference: Vec<f64> = case["shap_values"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().flat_map(floats).collect::<Vec<_>>())
            .collect();
        let diff = max_diff(&explanation.values, &reference);
        let expected_diff = max_diff(&explanation.expected_value, &floats(&case["expected_value"]));
        eprintln!("{}: SHAP diff {diff:.1e}, expected value diff {expected_diff:.1e}", case["name"]);
        assert!(diff < 1e-6 && expected_diff < 1e-6, "{}: {diff} / {expected_diff}", case["name"]);
    }
}

#[test]
fn permutation_importance_matches_scikit_learn_with_the_same_seed() {
    let fixture = fixture();
    let train = rows(&fixture, 0..200);
    let explained = rows(&fixture, 200..240);
    let cases: Vec<&Value> = fixture["tree"].as_array().unwrap().iter().collect();
    for reference in fixture["permutation_importance"].as_array().unwrap() {
        let name = reference["name"].as_str().unwrap();
        let case = cases.iter().find(|c| c["name"] == name).unwrap();
        let model = fit(case, &train);
        let classify = case["task"] == "classification";
        let target = floats(&reference["target"]);
        let score = |x: &Matrix| {
            let predicted = model.predict(x).unwrap();
            if classify {
                predicted.iter().zip(&target).filter(|(p, t)| p == t).count() as f64 / target.len() as f64
            } else {
                RegressionMetrics::compute(&target, &predicted).r2
            }
        };
        let baseline = score(&explained);
        let seed = reference["seed"].as_u64().unwrap() as u32;
        let result = permutation::permutation_importance(5, 40, 5, seed, baseline, |column, order| {
            let mut permuted = explained.clone();
            permuted.columns[column] = order.iter().map(|&r| explained.columns[column][r]).collect();
            Ok(score(&permuted))
        })
        .unwrap();
        let mean_diff = max_diff(&result.importances_mean, &floats(&reference["importances_mean"]));
        let std_diff = max_diff(&result.importances_std, &floats(&reference["importances_std"]));
        eprintln!("{name}: importances_mean diff {mean_diff:.1e}, importances_std diff {std_diff:.1e}");
        assert!(mean_diff < 1e-9 && std_diff < 1e-9, "{name}: {mean_diff} / {std_diff}");
    }
}

#[test]
fn permutation_shap_agrees_with_shaps_permutation_explainer() {
    let fixture = fixture();
    let train = rows(&fixture, 0..200);
    let background = rows(&fixture, 0..100);
    let explained = rows(&fixture, 200..210);
    let case = fixture["tree"].as_array().unwrap().iter().find(|c| c["name"] == "rf").unwrap();
    let model = fit(case, &train);
    let ours = permutation::explain(&model, &explained, &background, 0).unwrap();
    let reference: Vec<f64> =
        fixture["permutation_shap"]["shap_values"].as_array().unwrap().iter().flat_map(floats).collect();
    // Both sample orders (differently seeded) to estimate the same interventional values.
    let worst = max_diff(&ours.values, &reference);
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    eprintln!(
        "permutation SHAP against shap's PermutationExplainer: worst diff {worst:.3} for values up to {scale:.3}"
    );
    assert!(worst < 0.03 * scale, "{worst} against values up to {scale}");
}
