//! The checks every model in the table must pass (scikit-learn's
//! `check_estimator` idea): it fits and predicts one value per row, refuses
//! a matrix of the wrong width, repeats itself with the same seed, survives
//! an artifact round trip bit for bit, and its fitted kind is one this
//! binary reads.

use super::*;
use crate::params::ParamsExt;

/// Uniform draws in [-0.5, 0.5) from a 64-bit LCG seeded with `seed`: the
/// model tests' reproducible data.
pub(crate) fn uniform_stream(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
    }
}

/// A small, noisy, slightly collinear regression problem.
fn problem(n_rows: usize) -> (Matrix, Vec<f64>) {
    let mut next = uniform_stream(42);
    let a: Vec<f64> = (0..n_rows).map(|_| next() * 4.0).collect();
    let b: Vec<f64> = (0..n_rows).map(|_| next() * 2.0).collect();
    let c: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + 0.5 * b + 0.01 * next()).collect();
    let y: Vec<f64> = (0..n_rows).map(|i| 3.0 * a[i] - 2.0 * b[i] + 0.5 * a[i] * a[i] + 0.3 * next()).collect();
    (Matrix { n_rows, columns: vec![a, b, c] }, y)
}

/// The problem's target cut into three classes (codes 0, 1, 2) for classifiers.
fn classes(y: &[f64]) -> Vec<f64> {
    y.iter()
        .map(|&v| {
            if v < -1.0 {
                0.0
            } else if v < 2.0 {
                1.0
            } else {
                2.0
            }
        })
        .collect()
}

/// The target for `entry`'s task, and the class count to fit with.
fn target_for(entry: &ModelEntry, y: &[f64]) -> (Vec<f64>, usize) {
    match entry.task {
        Task::Regression => (y.to_vec(), 0),
        Task::Classification => (classes(y), 3),
    }
}

#[test]
fn every_model_passes_the_estimator_checks() {
    let (x, y_regression) = problem(120);
    for entry in all_models() {
        let (y, n_classes) = target_for(entry, &y_regression);
        let spec = ModelSpec::with_defaults(entry.task, entry.id, 7).unwrap();
        let fitted = spec.fit_task(&x, &y, n_classes).unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        let predictions = fitted.predict(&x).unwrap();
        assert_eq!(predictions.len(), x.n_rows, "{}", entry.id);
        assert!(predictions.iter().all(|p| p.is_finite()), "{}", entry.id);
        assert_eq!(fitted.n_features(), 3, "{}", entry.id);
        if entry.task == Task::Classification {
            assert!(predictions.iter().all(|&p| p == 0.0 || p == 1.0 || p == 2.0), "{}: not a class code", entry.id);
            if let Some(probabilities) = fitted.predict_proba(&x) {
                let probabilities = probabilities.unwrap();
                assert_eq!(probabilities.len(), x.n_rows * 3, "{}", entry.id);
                // XGBoost's probabilities are float32, as the library's are.
                let tolerance = if entry.id == "xgboost" { 1e-6 } else { 1e-9 };
                for row in probabilities.chunks(3) {
                    assert!((row.iter().sum::<f64>() - 1.0).abs() < tolerance, "{}: {row:?}", entry.id);
                }
            }
        }

        let narrow = Matrix { n_rows: x.n_rows, columns: x.columns[..2].to_vec() };
        let error = fitted.predict(&narrow).unwrap_err().to_string();
        assert!(error.contains("X has 2 features"), "{}: {error}", entry.id);

        let again = spec.fit_task(&x, &y, n_classes).unwrap();
        assert_eq!(again, fitted, "{}: the same seed gave another model", entry.id);

        let json = serde_json::to_string(&fitted).unwrap();
        let loaded: FittedModel = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded.predict(&x).unwrap(), predictions, "{}: round trip changed predictions", entry.id);
        let kind: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(
            FITTED_KINDS.contains(&kind["kind"].as_str().unwrap()),
            "{}: kind {} not listed",
            entry.id,
            kind["kind"]
        );

        let spec_json = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<ModelSpec>(&spec_json).unwrap(), spec, "{}", entry.id);
    }
}

/// Some seed must change a randomised model. Not necessarily the next one:
/// RANSAC that finds every row an inlier early refits plain least squares on
/// all rows, whatever the seed (scikit-learn does the same).
#[test]
fn randomised_models_differ_with_another_seed() {
    let (x, y_regression) = problem(120);
    for entry in all_models().filter(|entry| entry.randomised) {
        let (y, n_classes) = target_for(entry, &y_regression);
        let fit =
            |seed| ModelSpec::with_defaults(entry.task, entry.id, seed).unwrap().fit_task(&x, &y, n_classes).unwrap();
        let first = fit(1);
        let differs = (2..=6).any(|seed| fit(seed) != first);
        assert!(differs, "{}: no seed in 2..=6 changed the model", entry.id);
    }
}

#[test]
fn ids_are_unique_per_task_and_params_have_valid_defaults() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in all_models() {
        assert!(seen.insert((entry.task.as_str(), entry.id)), "duplicate id {}", entry.id);
        let spec = ModelSpec::with_defaults(entry.task, entry.id, 0).unwrap();
        assert_eq!(spec.params.len(), entry.params.len(), "{}", entry.id);
        if entry.randomised {
            assert!(
                spec.params.seed("random_state").is_ok(),
                "{} draws random numbers but has no random_state",
                entry.id
            );
        }
    }
}

#[test]
fn format_one_specs_still_load_and_unknown_models_say_newer() {
    let old: ModelSpec = serde_json::from_str(r#"{"id":"ridge","alpha":0.5}"#).unwrap();
    assert_eq!(old.task, Task::Regression);
    assert_eq!(old.resolved_params().unwrap()["alpha"], ParamValue::Float(0.5));
    let future: ModelSpec = serde_json::from_str(r#"{"id":"quantum_forest"}"#).unwrap();
    let error = future.resolved_params().unwrap_err().to_string();
    assert!(error.contains("newer mlship"), "{error}");
}

#[test]
fn a_classifier_is_never_fitted_to_a_regression_target() {
    let (x, y) = problem(30);
    let error = ModelSpec::with_defaults(Task::Classification, "nb", 0).unwrap().fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("learns classification"), "{error}");
    let error = ModelSpec::with_defaults(Task::Regression, "lr", 0).unwrap().fit_task(&x, &classes(&y), 3).unwrap_err();
    assert!(error.to_string().contains("learns regression"), "{error}");
}

#[test]
fn an_overflowing_fit_is_an_error() {
    let (x, mut y) = problem(40);
    y[3] = 1e308;
    y[4] = 1e308;
    let error = ModelSpec::with_defaults(Task::Regression, "lr", 0).unwrap().fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("non-finite"), "{error}");
}
