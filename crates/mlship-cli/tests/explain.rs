//! `mlship explain` as a user runs it: the table, the `--json` document
//! (values that add up to the model's output, columns that add up to the
//! features), the plots, and every bad input answered with one clear line.

#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{failure, json, ok};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

fn train(dir: &Path, model: &str, extra: &[&str]) {
    let mut args = vec!["train", "--data", "insurance", "--target", "charges", "--session-id", "123", "--model", model];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--save", model, "--no-track"]);
    ok(&mlship(dir, &args));
}

/// The first `rows` data rows of the bundled insurance CSV (with its header).
fn write_insurance(dir: &Path, rows: usize, drop_column: Option<usize>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .take(rows + 1)
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            if let Some(c) = drop_column {
                fields.remove(c);
            }
            fields.join(",")
        })
        .collect();
    std::fs::write(dir.join("data.csv"), lines.join("\n") + "\n").unwrap();
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[test]
fn linear_explanation_adds_up_per_feature_and_per_column() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), "lr", &["--polynomial-features"]);
    write_insurance(dir.path(), 50, None);
    let document = json(&mlship(dir.path(), &["explain", "lr.mlship", "--data", "data.csv", "--json"]));
    assert_eq!(document["method"], "linear");
    assert_eq!(document["output"], "value");
    let columns: Vec<&str> = document["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(columns, ["age", "sex", "bmi", "children", "smoker", "region"]);
    let features = document["feature_names"].as_array().unwrap().len();
    assert!(features > 6, "polynomial features: {features}");
    let rows = document["shap_values"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    for (row, column_row) in rows.iter().zip(document["column_shap_values"].as_array().unwrap()) {
        let by_feature: f64 = numbers(row).iter().sum();
        let by_column: f64 = numbers(column_row).iter().sum();
        assert_eq!(numbers(row).len(), features);
        assert!((by_feature - by_column).abs() < 1e-6 * (1.0 + by_feature.abs()), "{by_feature} vs {by_column}");
    }
    let mean_abs = document["mean_abs_shap"].as_object().unwrap();
    assert_eq!(mean_abs.len(), 6);
    let importance = &document["permutation_importance"];
    assert_eq!(importance["scoring"], "r2");
    assert_eq!(numbers(&importance["importances_mean"]).len(), 6);
    // Smoking matters most to the insurance charges.
    let smoker = importance["importances_mean"][4].as_f64().unwrap();
    assert!(numbers(&importance["importances_mean"]).iter().all(|&v| v <= smoker));
}

#[test]
fn generated_features_are_shared_between_their_columns_and_pca_is_not_aggregated() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), "lr", &["--feature-interaction"]);
    write_insurance(dir.path(), 20, None);
    let document = json(&mlship(dir.path(), &["explain", "lr.mlship", "--data", "data.csv", "--json"]));
    let features: Vec<&str> =
        document["feature_names"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let interaction = features.iter().position(|f| *f == "age_multiply_bmi").unwrap();
    let age = features.iter().position(|f| *f == "age").unwrap();
    let bmi = features.iter().position(|f| *f == "bmi").unwrap();
    let smoker = features.iter().position(|f| f.starts_with("smoker")).unwrap();
    let row = numbers(&document["shap_values"][0]);
    let columns = numbers(&document["column_shap_values"][0]);
    // age's column: its own feature, half of age·bmi, and its share of age·children.
    let age_children = features.iter().position(|f| *f == "age_multiply_children").unwrap();
    let bmi_children = features.iter().position(|f| *f == "bmi_multiply_children").unwrap();
    let want_age = row[age] + row[interaction] / 2.0 + row[age_children] / 2.0;
    let want_bmi = row[bmi] + row[interaction] / 2.0 + row[bmi_children] / 2.0;
    assert!((columns[0] - want_age).abs() < 1e-9 * (1.0 + want_age.abs()), "{} vs {want_age}", columns[0]);
    assert!((columns[2] - want_bmi).abs() < 1e-9 * (1.0 + want_bmi.abs()), "{} vs {want_bmi}", columns[2]);
    assert!((columns[4] - row[smoker]).abs() < 1e-9 * (1.0 + row[smoker].abs()));

    train(dir.path(), "ridge", &["--pca"]);
    let document = json(&mlship(dir.path(), &["explain", "ridge.mlship", "--data", "data.csv", "--json"]));
    assert!(document["column_shap_values"].is_null());
    let names: Vec<&str> = document["feature_names"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let ranked: Vec<&str> = document["mean_abs_shap"].as_object().unwrap().keys().map(String::as_str).collect();
    assert!(ranked.iter().all(|r| names.contains(r)), "{ranked:?} vs {names:?}");
}

#[test]
fn tree_explanation_sums_to_the_prediction_and_writes_plots() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), "dt", &[]);
    write_insurance(dir.path(), 30, None);
    let document =
        json(&mlship(dir.path(), &["explain", "dt.mlship", "--data", "data.csv", "--plots", "plots", "--json"]));
    assert_eq!(document["method"], "tree");
    let scored = ok(&mlship(dir.path(), &["predict", "--model", "dt.mlship", "--data", "data.csv"]));
    let predictions: Vec<f64> =
        scored.lines().skip(1).map(|line| line.rsplit(',').next().unwrap().parse().unwrap()).collect();
    let expected = document["expected_value"][0].as_f64().unwrap();
    for (row, prediction) in document["shap_values"].as_array().unwrap().iter().zip(&predictions) {
        let total = numbers(row).iter().sum::<f64>() + expected;
        assert!((total - prediction).abs() < 1e-6 * prediction.abs(), "{total} vs {prediction}");
    }
    for plot in ["bar.svg", "summary.svg", "dependence.svg"] {
        let svg = std::fs::read_to_string(dir.path().join("plots").join(plot)).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{plot}");
    }
    let table = ok(&mlship(dir.path(), &["explain", "dt.mlship", "--data", "data.csv", "--rows", "10"]));
    assert!(table.starts_with("tree SHAP of the model's value on 10 rows"), "{table}");
    assert!(table.contains("smoker"));
}

#[test]
fn a_tree_classifier_explains_each_class_probability() {
    let dir = tempfile::tempdir().unwrap();
    ok(&mlship(
        dir.path(),
        &[
            "train",
            "--data",
            "iris",
            "--target",
            "species",
            "--session-id",
            "1",
            "--model",
            "rf",
            "--save",
            "iris",
            "--no-track",
        ],
    ));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv")).unwrap();
    std::fs::write(dir.path().join("iris.csv"), text).unwrap();
    let document =
        json(&mlship(dir.path(), &["explain", "iris.mlship", "--data", "iris.csv", "--rows", "20", "--json"]));
    assert_eq!(document["output"], "probability");
    assert_eq!(document["classes"], serde_json::json!(["setosa", "versicolor", "virginica"]));
    let expected = numbers(&document["expected_value"]);
    assert!((expected.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{expected:?}");
    // Each row's probabilities add up to one: its values per class sum to zero over the classes.
    for row in document["shap_values"].as_array().unwrap() {
        let total: f64 = row.as_array().unwrap().iter().flat_map(numbers).sum();
        assert!(total.abs() < 1e-9, "{total}");
    }
    assert_eq!(document["permutation_importance"]["scoring"], "accuracy");
}

#[test]
fn other_models_get_permutation_shap() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), "knn", &[]);
    write_insurance(dir.path(), 8, Some(6));
    let document = json(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv", "--json"]));
    assert_eq!(document["method"], "permutation");
    // No target column: no permutation importance.
    assert!(document["permutation_importance"].is_null());
    assert_eq!(document["shap_values"].as_array().unwrap().len(), 8);
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), "knn", &[]);
    write_insurance(dir.path(), 5, None);
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv", "--method", "shapley"]));
    assert!(error.contains("unknown explain method \"shapley\""), "{error}");
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv", "--method", "tree"]));
    assert!(error.contains("--method tree needs a tree model") && error.contains("neighbors"), "{error}");
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv", "--method", "linear"]));
    assert!(error.contains("--method linear needs a linear model"), "{error}");
    write_insurance(dir.path(), 5, Some(2));
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv"]));
    assert!(error.contains("missing column \"bmi\""), "{error}");
    write_insurance(dir.path(), 0, None);
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv"]));
    assert!(error.contains("data.csv") && error.contains("no data rows"), "{error}");
    let error = failure(&mlship(dir.path(), &["explain", "knn.mlship", "--data", "data.csv", "--rows", "0"]));
    assert!(error.contains("--rows"), "{error}");
    let error = failure(&mlship(dir.path(), &["explain", "absent.mlship", "--data", "data.csv"]));
    assert!(error.contains("absent.mlship"), "{error}");
}
