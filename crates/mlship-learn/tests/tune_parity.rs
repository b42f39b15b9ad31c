//! `tune`'s search spaces and candidates against PyCaret 3.3.2 itself
//! (`fixtures/pycaret_tune_grids.py`): the same seed draws the same
//! candidates in the same order, and every value PyCaret's grids propose is
//! one mlship's models accept.

#![allow(clippy::unwrap_used)]

use mlship_learn::search::{model_params, search_space, tune_grid, SearchMethod};
use mlship_learn::{ModelSpec, ParamValue, Task};
use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pycaret_tune_candidates.json.gz");
    mlship_testkit::fixtures::json_gz(&path)
}

fn value(json: &Value) -> ParamValue {
    match json {
        Value::Null => ParamValue::Null,
        Value::Bool(flag) => ParamValue::Bool(*flag),
        Value::Number(n) => n.as_i64().map_or_else(|| ParamValue::Float(n.as_f64().unwrap()), ParamValue::Int),
        Value::String(text) => ParamValue::Str(text.clone()),
        Value::Object(map) if map.is_empty() => ParamValue::Null,
        other => panic!("unexpected fixture value {other}"),
    }
}

#[test]
fn random_and_grid_searches_draw_pycarets_candidates_in_pycarets_order() {
    let document = fixture();
    let cases = document["cases"].as_array().unwrap();
    assert!(cases.len() > 100, "the fixture lost its cases");
    for case in cases {
        let task = Task::parse(case["task"].as_str().unwrap()).unwrap();
        let id = case["id"].as_str().unwrap();
        let seed = case["seed"].as_u64().unwrap() as u32;
        let n_iter = case["n_iter"].as_u64().unwrap() as usize;
        let drawn = tune_grid(task, id).unwrap().candidates(SearchMethod::Random, n_iter, seed).unwrap();
        let label = format!("{} {id} seed {seed} n_iter {n_iter}", task.as_str());
        assert_eq!(drawn.method.as_str(), case["method"].as_str().unwrap(), "{label}");
        let expected: Vec<Vec<(String, ParamValue)>> = case["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|candidate| {
                let mut pairs: Vec<(String, ParamValue)> =
                    candidate.as_object().unwrap().iter().map(|(k, v)| (k.clone(), value(v))).collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                pairs
            })
            .collect();
        assert_eq!(drawn.candidates, expected, "{label}");
    }
}

/// Values of PyCaret's grids that scikit-learn 1.9.1 refuses too (checked with
/// it): PyCaret scores such a candidate `nan` and ranks it last; so does `tune`.
const REFUSED_BY_SCIKIT_LEARN: &[(&str, &str, &str)] = &[
    ("regression", "par", "C=0"),
    ("regression", "svm", "C=0"),
    ("classification", "rbfsvm", "C=0"),
    ("regression", "ransac", "min_samples=0"),
    // A string scikit-learn's LinearDiscriminantAnalysis refuses in 1.4.2 and 1.9.1 alike.
    ("classification", "lda", "shrinkage=empirical"),
];

#[test]
fn every_value_of_pycarets_grids_is_a_valid_parameter() {
    let mut refused = Vec::new();
    for task in [Task::Regression, Task::Classification] {
        for entry in mlship_learn::models_for(task) {
            let Ok(space) = search_space(task, entry.id) else { continue };
            for (name, values) in &space.grid {
                for value in values {
                    let shown = format!("{name}={value}");
                    if REFUSED_BY_SCIKIT_LEARN.contains(&(task.as_str(), entry.id, shown.as_str())) {
                        assert!(
                            ModelSpec::new(task, entry.id, &[(name.clone(), value.clone())], 123).is_err(),
                            "{shown}"
                        );
                        continue;
                    }
                    let mut candidate = vec![(name.clone(), value.clone())];
                    if name.starts_with("hidden_layer_size_") && name != "hidden_layer_size_0" {
                        // PyCaret's grid always draws a first layer (50 or 100) with the others.
                        candidate.push(("hidden_layer_size_0".to_string(), ParamValue::Int(100)));
                    }
                    let outcome = model_params(entry.id, &candidate)
                        .and_then(|given| ModelSpec::new(task, entry.id, &given, 123));
                    if let Err(error) = outcome {
                        refused.push(format!("{} {} {name}={value}: {error}", task.as_str(), entry.id));
                    }
                }
            }
        }
    }
    assert!(refused.is_empty(), "{} grid values refused:\n{}", refused.len(), refused.join("\n"));
}
