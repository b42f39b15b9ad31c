//! Every model against its scikit-learn fixture (`fixtures/models_*.py`
//! writes one `tests/fixtures/models/ID.json` per model): deterministic models
//! must reproduce the reference predictions on the test rows of both data
//! sets within the tolerance the fixture states (1e-6 relative for closed
//! forms, the solver's tolerance for iterative ones); randomised ones must
//! reproduce the mean 5-fold CV R2 over five seeds within the stated margin.
//! A model in the table without a fixture fails, so parity cannot be skipped.

use mlship_learn::{all_models, Matrix, ModelSpec, ParamValue, Task};
use serde_json::Value;
use std::path::PathBuf;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models")
}

fn read(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Dataset {
    x: Matrix,
    y: Vec<f64>,
    n_train: usize,
}

impl Dataset {
    fn train(&self) -> (Matrix, Vec<f64>) {
        let rows: Vec<usize> = (0..self.n_train).collect();
        (self.x.take_rows(&rows), self.y[..self.n_train].to_vec())
    }
    fn test_x(&self) -> Matrix {
        let rows: Vec<usize> = (self.n_train..self.x.n_rows).collect();
        self.x.take_rows(&rows)
    }
}

fn dataset(all: &Value, name: &str) -> Dataset {
    let set = &all["datasets"][name];
    let floats = |v: &Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
    let n_rows = columns[0].len();
    Dataset { x: Matrix { n_rows, columns }, y: floats(&set["y"]), n_train: all["n_train"].as_u64().unwrap() as usize }
}

fn spec(id: &str, params: &Value, seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = params
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
        .collect();
    ModelSpec::new(Task::Regression, id, &given, seed).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    mlship_learn::RegressionMetrics::compute(truth, predicted).r2
}

/// Mean R2 of `KFold(5)` (contiguous folds) on the training rows.
fn cv_r2(spec: &ModelSpec, data: &Dataset) -> f64 {
    let (x, y) = data.train();
    let n = x.n_rows;
    let mut scores = Vec::new();
    for fold in 0..5 {
        let (start, end) = (fold * n / 5, (fold + 1) * n / 5);
        let train: Vec<usize> = (0..n).filter(|i| *i < start || *i >= end).collect();
        let test: Vec<usize> = (start..end).collect();
        let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
        let y_test: Vec<f64> = test.iter().map(|&i| y[i]).collect();
        let fitted = spec.fit(&x.take_rows(&train), &y_train).unwrap_or_else(|e| panic!("{}: {e}", spec.id));
        scores.push(r2(&y_test, &fitted.predict(&x.take_rows(&test)).unwrap()));
    }
    scores.iter().sum::<f64>() / 5.0
}

fn check_deterministic(id: &str, case: &Value, data: &Dataset) {
    let (x, y) = data.train();
    let fitted = spec(id, &case["params"], 0).fit(&x, &y).unwrap_or_else(|e| panic!("{id}: {e}"));
    let predicted = fitted.predict(&data.test_x()).unwrap();
    let expected: Vec<f64> = case["predictions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (rtol, atol) = (case["rtol"].as_f64().unwrap(), case["atol"].as_f64().unwrap_or(1e-9));
    let what = format!("{id} on {} with {}", case["dataset"], case["params"]);
    assert_eq!(predicted.len(), expected.len(), "{what}");
    for (row, (p, e)) in predicted.iter().zip(&expected).enumerate() {
        assert!((p - e).abs() <= atol + rtol * e.abs(), "{what}: test row {row}: got {p}, scikit-learn {e}");
    }
}

fn check_randomised(id: &str, case: &Value, data: &Dataset) {
    let seeds: Vec<u32> = case["seeds"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap() as u32).collect();
    let reference: f64 =
        case["cv_r2"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum::<f64>() / seeds.len() as f64;
    let ours: f64 =
        seeds.iter().map(|&seed| cv_r2(&spec(id, &case["params"], seed), data)).sum::<f64>() / seeds.len() as f64;
    let tolerance = case["tolerance"].as_f64().unwrap();
    assert!(
        (ours - reference).abs() <= tolerance,
        "{id} on {} with {}: mean CV R2 over seeds {ours:.5}, scikit-learn {reference:.5} (tolerance {tolerance})",
        case["dataset"],
        case["params"]
    );
}

/// A classifier's predicted classes, probabilities and decision function
/// on the test rows (a fixture with null probabilities is a model without
/// `predict_proba`, which must then have none and a decision function). A
/// class may differ only where scikit-learn's two best classes are within
/// the tolerance of each other (a tie the solver's tolerance decides).
fn check_classifier(id: &str, case: &Value, data: &Dataset) {
    let (x, y) = data.train();
    let n_classes = case["n_classes"].as_u64().unwrap() as usize;
    let given: Vec<(String, ParamValue)> = case["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
        .collect();
    let spec = ModelSpec::new(Task::Classification, id, &given, 0).unwrap_or_else(|e| panic!("{id}: {e}"));
    let fitted = spec.fit_task(&x, &y, n_classes).unwrap_or_else(|e| panic!("{id}: {e}"));
    let test = data.test_x();
    let predicted = fitted.predict(&test).unwrap();
    let floats = |v: &Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let rtol = case["rtol"].as_f64().unwrap();
    let what = format!("{id} on {} with {}", case["dataset"], case["params"]);
    let compare = |name: &str, got: &[f64], expected: &[f64]| {
        assert_eq!(got.len(), expected.len(), "{what}: {name}");
        for (i, (p, e)) in got.iter().zip(expected).enumerate() {
            let scale = e.abs().max(1.0);
            assert!((p - e).abs() <= rtol * scale, "{what}: {name} {i}: got {p}, scikit-learn {e}");
        }
    };
    // The scores the class is the argmax of: probabilities, else the decision function.
    let mut expected_scores = None;
    if let Some(expected) = case.get("decision_function") {
        let expected = floats(expected);
        if let Some(got) = fitted.decision_function(&test) {
            compare("decision function", &got.unwrap(), &expected);
        } else {
            assert!(!case["probabilities"].is_null(), "{what}: no probabilities and no decision function");
        }
        if n_classes == 2 {
            expected_scores = Some(expected.iter().flat_map(|&d| [-d, d]).collect::<Vec<f64>>());
        } else {
            expected_scores = Some(expected);
        }
    }
    if case["probabilities"].is_null() {
        assert!(fitted.predict_proba(&test).is_none(), "{what}: scikit-learn's model has no predict_proba");
    } else {
        let expected = floats(&case["probabilities"]);
        let probabilities = fitted.predict_proba(&test).expect("the classifier has predict_proba").unwrap();
        compare("probability", &probabilities, &expected);
        expected_scores = Some(expected);
    }
    let expected_scores = expected_scores.expect("a fixture has probabilities or a decision function");
    let expected_classes = floats(&case["predictions"]);
    for (row, (p, e)) in predicted.iter().zip(&expected_classes).enumerate() {
        let mut sorted = expected_scores[row * n_classes..(row + 1) * n_classes].to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        assert!(p == e || sorted[0] - sorted[1] <= 2.0 * rtol, "{what}: test row {row}: class {p}, scikit-learn {e}");
    }
}

/// Mean accuracy and AUC of `StratifiedKFold(5)` without shuffling on the
/// training rows (mlship's `stratified_kfold`, scikit-learn's assignment).
fn cv_classifier(spec: &ModelSpec, data: &Dataset, n_classes: usize) -> (f64, f64) {
    let (x, y) = data.train();
    let n = x.n_rows;
    let codes: Vec<usize> = y.iter().map(|&v| v as usize).collect();
    let (folds, _) = mlship_learn::split::stratified_kfold(&codes, 5).unwrap();
    let (mut accuracy, mut auc) = (0.0, 0.0);
    for test in &folds {
        let train: Vec<usize> = (0..n).filter(|i| !test.contains(i)).collect();
        let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
        let truth: Vec<usize> = test.iter().map(|&i| y[i] as usize).collect();
        let fitted =
            spec.fit_task(&x.take_rows(&train), &y_train, n_classes).unwrap_or_else(|e| panic!("{}: {e}", spec.id));
        let test_x = x.take_rows(test);
        let predicted: Vec<usize> = fitted.predict(&test_x).unwrap().iter().map(|&p| p as usize).collect();
        let probabilities = fitted.predict_proba(&test_x).expect("the classifier has predict_proba").unwrap();
        let scores = mlship_learn::AucScores { values: &probabilities, per_row: n_classes };
        let metrics = mlship_learn::ClassificationMetrics::compute(&truth, &predicted, Some(scores), n_classes, false);
        accuracy += metrics.accuracy / 5.0;
        auc += metrics.auc / 5.0;
    }
    (accuracy, auc)
}

/// A randomised classifier: its mean CV accuracy and AUC over the fixture's
/// seeds within the tolerance of the reference library's.
fn check_randomised_classifier(id: &str, case: &Value, data: &Dataset) {
    let n_classes = case["n_classes"].as_u64().unwrap() as usize;
    let seeds: Vec<u32> = case["seeds"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap() as u32).collect();
    let mean = |key: &str| -> f64 {
        let values = case[key].as_array().unwrap();
        values.iter().map(|v| v.as_f64().unwrap()).sum::<f64>() / values.len() as f64
    };
    let given: Vec<(String, ParamValue)> = case["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap()))
        .collect();
    let (mut accuracy, mut auc) = (0.0, 0.0);
    for &seed in &seeds {
        let spec = ModelSpec::new(Task::Classification, id, &given, seed).unwrap_or_else(|e| panic!("{id}: {e}"));
        let (a, u) = cv_classifier(&spec, data, n_classes);
        accuracy += a / seeds.len() as f64;
        auc += u / seeds.len() as f64;
    }
    let tolerance = case["tolerance"].as_f64().unwrap();
    let what = format!("{id} on {} with {}", case["dataset"], case["params"]);
    let (reference_accuracy, reference_auc) = (mean("cv_accuracy"), mean("cv_auc"));
    assert!(
        (accuracy - reference_accuracy).abs() <= tolerance,
        "{what}: mean CV accuracy {accuracy:.4}, reference {reference_accuracy:.4} (tolerance {tolerance})"
    );
    assert!(
        (auc - reference_auc).abs() <= tolerance,
        "{what}: mean CV AUC {auc:.4}, reference {reference_auc:.4} (tolerance {tolerance})"
    );
}

#[test]
fn every_classifier_matches_its_reference_library() {
    let dir = models_dir().join("classification");
    let all = read(&dir.join("datasets.json"));
    let mut checked = 0;
    for entry in all_models().filter(|entry| entry.task == Task::Classification) {
        let path = dir.join(format!("{}.json", entry.id));
        assert!(path.exists(), "{} has no parity fixture ({})", entry.id, path.display());
        let fixture = read(&path);
        for case in fixture["cases"].as_array().unwrap() {
            let data = dataset(&all, case["dataset"].as_str().unwrap());
            if case.get("seeds").is_some() {
                check_randomised_classifier(entry.id, case, &data);
            } else {
                check_classifier(entry.id, case, &data);
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} classifier cases");
}

#[test]
fn every_model_matches_its_reference_library() {
    let all = read(&models_dir().join("datasets.json"));
    for entry in all_models().filter(|entry| entry.task == Task::Regression) {
        let path = models_dir().join(format!("{}.json", entry.id));
        assert!(
            path.exists(),
            "{} has no parity fixture ({}); add it to fixtures/models_*.py",
            entry.id,
            path.display()
        );
        let fixture = read(&path);
        let cases = fixture["cases"].as_array().unwrap();
        assert!(!cases.is_empty(), "{}: empty fixture", entry.id);
        for case in cases {
            let data = dataset(&all, case["dataset"].as_str().unwrap());
            if case.get("predictions").is_some() {
                check_deterministic(entry.id, case, &data);
            } else {
                check_randomised(entry.id, case, &data);
            }
        }
    }
}
