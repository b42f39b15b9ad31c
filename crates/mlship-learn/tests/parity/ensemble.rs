//! The meta-models against scikit-learn 1.9.1 (`fixtures/ensembles.py` →
//! `tests/fixtures/ensembles.json.gz`): VotingRegressor, VotingClassifier
//! (soft and hard, with weights), StackingRegressor and StackingClassifier
//! (binary and multiclass) over members whose own parity is exact, and
//! CalibratedClassifierCV (sigmoid and isotonic; decision functions and
//! probabilities, tied scores included). Each
//! case's test-row predictions and probabilities, and for a stack its
//! `stack_method_` and the final estimator's training matrix (the members'
//! out-of-fold `cross_val_predict` outputs), within the tolerance the case
//! states.

use super::{assert_close, fixture};
use mlship_learn::models::ensemble::{fit_stack_with_features, FittedStacking};
use mlship_learn::{FittedModel, Matrix, ModelSpec, ParamValue, Task};
use serde_json::Value;
use std::path::PathBuf;

fn read_datasets(task: Task) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models");
    let path =
        if task == Task::Classification { dir.join("classification/datasets.json") } else { dir.join("datasets.json") };
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// The largest relative difference, for the printed parity figures.
fn worst(actual: &[f64], expected: &[f64]) -> f64 {
    actual.iter().zip(expected).map(|(a, e)| (a - e).abs() / e.abs().max(1e-12)).fold(0.0, f64::max)
}

fn given(params: &Value) -> Vec<(String, ParamValue)> {
    params.as_object().unwrap().iter().map(|(k, v)| (k.clone(), serde_json::from_value(v.clone()).unwrap())).collect()
}

#[test]
fn blends_and_stacks_match_scikit_learn() {
    let all = fixture("ensembles.json");
    let n_train = all["n_train"].as_u64().unwrap() as usize;
    let regression = read_datasets(Task::Regression);
    let classification = read_datasets(Task::Classification);
    let cases = all["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "the fixture has every case");
    for (index, case) in cases.iter().enumerate() {
        let task = if case["task"] == "classification" { Task::Classification } else { Task::Regression };
        let kind = case["kind"].as_str().unwrap();
        let name = format!("case {index} ({kind} {} {})", case["dataset"], case["params"]);
        let sets = if task == Task::Classification { &classification } else { &regression };
        let set = &sets["datasets"][case["dataset"].as_str().unwrap()];
        let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
        let x = Matrix { n_rows: columns[0].len(), columns };
        let y = floats(&set["y"]);
        let train: Vec<usize> = (0..n_train).collect();
        let test: Vec<usize> = (n_train..x.n_rows).collect();
        let n_classes =
            if task == Task::Classification { y.iter().fold(0.0f64, |m, v| m.max(*v)) as usize + 1 } else { 0 };
        let members: Vec<ModelSpec> = case["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|member| ModelSpec::new(task, member["id"].as_str().unwrap(), &given(&member["params"]), 0).unwrap())
            .collect();
        let spec = ModelSpec::ensemble(task, kind, &given(&case["params"]), 0, members).unwrap();
        let (x_train, x_test) = (x.take_rows(&train), x.take_rows(&test));
        let rtol = case["rtol"].as_f64().unwrap();
        let fitted = if kind == "stack" {
            let (fitted, meta_x) = fit_stack_with_features(&spec, &x_train, &y[..n_train], n_classes).unwrap();
            let expected = case["meta_x"].as_array().unwrap();
            assert_eq!(meta_x.n_cols(), expected.len(), "{name}: meta features");
            let mut largest = 0.0f64;
            for (column, (actual, expected)) in meta_x.columns.iter().zip(expected).enumerate() {
                assert_close(&format!("{name} out-of-fold column {column}"), actual, &floats(expected), rtol);
                largest = largest.max(worst(actual, &floats(expected)));
            }
            println!("{name}: out-of-fold features within {largest:e}");
            let FittedModel::Stacking(FittedStacking { stack_method, .. }) = &fitted else { panic!("{name}") };
            let methods: Vec<String> =
                stack_method.iter().map(|m| serde_json::to_value(m).unwrap().as_str().unwrap().to_string()).collect();
            let expected: Vec<&str> =
                case["stack_method"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
            assert_eq!(methods, expected, "{name}: stack_method");
            fitted
        } else {
            spec.fit_task(&x_train, &y[..n_train], n_classes).unwrap()
        };
        let predictions = fitted.predict(&x_test).unwrap();
        if task == Task::Classification {
            assert_eq!(predictions, floats(&case["predictions"]), "{name}: classes");
        } else {
            assert_close(&format!("{name} predictions"), &predictions, &floats(&case["predictions"]), rtol);
            println!("{name}: predictions within {:e}", worst(&predictions, &floats(&case["predictions"])));
        }
        match (&case["probabilities"], fitted.predict_proba(&x_test)) {
            (Value::Null, None) | (Value::Null, Some(Err(_))) if task == Task::Regression => {}
            (Value::Null, probabilities) => assert!(probabilities.is_none(), "{name}: no probabilities expected"),
            (expected, Some(Ok(probabilities))) => {
                assert_close(&format!("{name} probabilities"), &probabilities, &floats(expected), rtol);
                println!("{name}: probabilities within {:e}", worst(&probabilities, &floats(expected)));
            }
            (_, other) => panic!("{name}: probabilities expected, got {other:?}"),
        }
    }
}
