//! Classification's foundations against scikit-learn (fixtures/classification_basics.py):
//! the stratified split and folds row for row, and PyCaret's seven metrics to 1e-12.

use mlship_learn::split::{stratified_kfold, stratified_train_test_split};
use mlship_learn::{AucScores, ClassificationMetrics, CLASSIFICATION_METRIC_NAMES};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/classification_basics.json.gz");
    mlship_testkit::fixtures::json_gz(std::path::Path::new(path))
}

fn indices(value: &Value) -> Vec<usize> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

#[test]
fn stratified_split_and_folds_match_scikit_learn_row_for_row() {
    let fixture = fixture();
    let cases = fixture["splits"].as_array().unwrap();
    assert!(cases.len() >= 19);
    let mut warned = 0;
    for case in cases {
        let codes = indices(&case["codes"]);
        let seed = case["seed"].as_u64().unwrap() as u32;
        let what = format!("{} rows, seed {seed}", codes.len());
        let split = stratified_train_test_split(&codes, 0.7, seed).unwrap();
        assert_eq!(split.train, indices(&case["train"]), "{what}: train rows");
        assert_eq!(split.test, indices(&case["test"]), "{what}: test rows");
        let train_codes: Vec<usize> = split.train.iter().map(|&row| codes[row]).collect();
        let fold = case["fold"].as_u64().unwrap() as usize;
        let (folds, warning) = stratified_kfold(&train_codes, fold).unwrap();
        let expected: Vec<Vec<usize>> = case["folds"].as_array().unwrap().iter().map(indices).collect();
        assert_eq!(folds, expected, "{what}: folds");
        warned += usize::from(warning.is_some());
    }
    assert!(warned >= 1, "the case with a class smaller than the fold count warns");
}

#[test]
fn classification_metrics_match_pycaret_scorers() {
    let fixture = fixture();
    for case in fixture["metrics"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let y_true = indices(&case["y_true"]);
        let y_pred = indices(&case["y_pred"]);
        let n_classes = case["n_classes"].as_u64().unwrap() as usize;
        let probabilities: Option<Vec<f64>> = case["probabilities"].as_array().map(|rows| {
            rows.iter().flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap())).collect()
        });
        let zero_one = case["zero_one_labels"].as_bool().unwrap();
        let per_row = case["auc_per_row"].as_u64().map_or(n_classes, |n| n as usize);
        let auc_scores = probabilities.as_deref().map(|values| AucScores { values, per_row });
        let scores = ClassificationMetrics::compute(&y_true, &y_pred, auc_scores, n_classes, zero_one);
        for (metric, value) in CLASSIFICATION_METRIC_NAMES.iter().zip(scores.values()) {
            let expected = case["expected"][metric].as_f64().unwrap();
            assert!((value - expected).abs() <= 1e-12, "{name} {metric}: {value} against scikit-learn's {expected}");
        }
    }
}

#[test]
fn too_few_rows_of_a_class_are_errors_that_say_so() {
    let error = stratified_train_test_split(&[0, 0, 0, 1], 0.7, 1).unwrap_err().to_string();
    assert!(error.contains("class 1") && error.contains("at least 2"), "{error}");
    let error = stratified_kfold(&[0, 0, 1, 1, 2, 2], 5).unwrap_err().to_string();
    assert!(error.contains("fold=5"), "{error}");
}
