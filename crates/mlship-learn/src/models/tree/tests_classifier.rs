//! The classification trees (`dt`, `rf`, `et` with Gini and entropy): exact
//! impurities on a small case, probabilities as leaf fractions, seeds, a
//! fold missing a class, bad class codes, and artifacts (regression ones
//! carry no class fields; a tampered classifier is refused by `validate`).

use super::*;
use crate::models::ModelSpec;
use crate::params::ParamValue;

/// Two noisy features, three classes (codes 0..3) from thresholds on a score.
fn problem(n_rows: usize) -> (Matrix, Vec<f64>) {
    let mut next = crate::models::tests::uniform_stream(29);
    let a: Vec<f64> = (0..n_rows).map(|_| next() * 4.0).collect();
    let b: Vec<f64> = (0..n_rows).map(|_| next() * 2.0).collect();
    let c: Vec<f64> = (0..n_rows).map(|_| next()).collect();
    let y = (0..n_rows)
        .map(|i| {
            let score = a[i] - b[i] + 0.8 * c[i];
            if score < -0.7 {
                0.0
            } else if score < 0.7 {
                1.0
            } else {
                2.0
            }
        })
        .collect();
    (Matrix { n_rows, columns: vec![a, b, c] }, y)
}

fn spec(id: &str, given: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Classification, id, &given, seed).unwrap()
}

fn trees_of(model: &FittedModel) -> Vec<&TreeNodes> {
    match model {
        FittedModel::Tree(fitted) => vec![&fitted.tree],
        FittedModel::Forest(fitted) => fitted.trees.iter().collect(),
        other => panic!("not a tree: {other:?}"),
    }
}

#[test]
fn gini_and_entropy_of_a_two_class_split_are_exact() {
    let x = Matrix { n_rows: 4, columns: vec![vec![0.0, 1.0, 2.0, 3.0]] };
    let y = vec![0.0, 0.0, 1.0, 1.0];
    for (criterion, root_impurity) in [("gini", 0.5), ("entropy", 1.0), ("log_loss", 1.0)] {
        let fitted =
            spec("dt", &[("criterion", ParamValue::Str(criterion.to_string()))], 0).fit_task(&x, &y, 2).unwrap();
        let tree = trees_of(&fitted)[0];
        assert_eq!(tree.nodes.len(), 3, "{criterion}");
        assert_eq!(tree.impurity, vec![root_impurity, 0.0, 0.0], "{criterion}");
        assert_eq!(tree.nodes[0].threshold, 1.5, "{criterion}");
        assert_eq!(tree.class_value, vec![0.5, 0.5, 1.0, 0.0, 0.0, 1.0], "{criterion}");
        assert_eq!(fitted.predict_proba(&x).unwrap().unwrap(), vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
        assert_eq!(fitted.predict(&x).unwrap(), y);
        assert_eq!(fitted.feature_importances().unwrap(), vec![1.0]);
    }
}

#[test]
fn probabilities_sum_to_one_and_predictions_are_their_argmax() {
    let (x, y) = problem(150);
    for id in ["dt", "rf", "et"] {
        let given = [("max_depth", ParamValue::Int(3))];
        let fitted = spec(id, &given, 4).fit_task(&x, &y, 3).unwrap();
        let proba = fitted.predict_proba(&x).unwrap().unwrap();
        let predicted = fitted.predict(&x).unwrap();
        assert_eq!(proba.len(), 150 * 3, "{id}");
        for (row, p) in proba.chunks(3).zip(&predicted) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{id}: {row:?}");
            assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)), "{id}: {row:?}");
            assert_eq!(*p as usize, crate::numpy::argmax(row), "{id}: {row:?}");
        }
        let accuracy = predicted.iter().zip(&y).filter(|(p, t)| p == t).count() as f64 / 150.0;
        assert!(accuracy > 0.7, "{id}: training accuracy {accuracy}");
        assert!(fitted.validate().is_ok(), "{id}");
    }
}

#[test]
fn seeds_reproduce_and_differ() {
    let (x, y) = problem(120);
    for id in ["dt", "rf", "et"] {
        // dt draws features only when it may not see them all.
        let given = if id == "dt" { vec![("max_features", ParamValue::Str("sqrt".to_string()))] } else { vec![] };
        let fit = |seed| spec(id, &given, seed).fit_task(&x, &y, 3).unwrap();
        assert_eq!(fit(3), fit(3), "{id}");
        assert_ne!(fit(3), fit(4), "{id}");
    }
}

#[test]
fn a_fold_missing_a_class_keeps_a_column_for_it() {
    let (x, y) = problem(90);
    // Class 2 is absent from this training fold; the target has three classes.
    let y: Vec<f64> = y.iter().map(|&c| if c == 2.0 { 1.0 } else { c }).collect();
    for id in ["dt", "rf", "et"] {
        let fitted = spec(id, &[], 0).fit_task(&x, &y, 3).unwrap();
        let proba = fitted.predict_proba(&x).unwrap().unwrap();
        assert_eq!(proba.len(), 90 * 3, "{id}");
        assert!(proba.chunks(3).all(|row| row[2] == 0.0), "{id}");
        assert!(fitted.predict(&x).unwrap().iter().all(|&p| p < 2.0), "{id}");
    }
}

#[test]
fn a_single_class_is_one_leaf_with_certainty() {
    let (x, _) = problem(30);
    let y = vec![1.0; 30];
    for id in ["dt", "rf", "et"] {
        let fitted = spec(id, &[], 0).fit_task(&x, &y, 2).unwrap();
        assert!(trees_of(&fitted).iter().all(|tree| tree.nodes.len() == 1), "{id}");
        assert!(fitted.predict_proba(&x).unwrap().unwrap().chunks(2).all(|row| row == [0.0, 1.0]), "{id}");
        assert_eq!(fitted.feature_importances().unwrap(), vec![0.0; 3], "{id}");
    }
}

#[test]
fn bad_class_codes_are_errors() {
    let (x, y) = problem(20);
    for bad in [3.0, -1.0, 0.5] {
        let mut y = y.clone();
        y[7] = bad;
        for id in ["dt", "rf", "et"] {
            let error = spec(id, &[], 0).fit_task(&x, &y, 3).unwrap_err().to_string();
            assert!(error.contains("class code below 3"), "{id}: {error}");
        }
    }
}

#[test]
fn regression_artifacts_carry_no_class_fields() {
    let (x, y) = problem(40);
    let regression = ModelSpec::with_defaults(Task::Regression, "dt", 0).unwrap().fit(&x, &y).unwrap();
    let text = serde_json::to_string(&regression).unwrap();
    assert!(!text.contains("class_value") && !text.contains("n_classes"), "{text}");
    let classifier = spec("dt", &[], 0).fit_task(&x, &y, 3).unwrap();
    let text = serde_json::to_string(&classifier).unwrap();
    assert!(text.contains("class_value"));
    let back: FittedModel = serde_json::from_str(&text).unwrap();
    assert_eq!(back, classifier);
    assert!(back.predict_proba(&x).is_some());
    assert!(regression.predict_proba(&x).is_none());
}

#[test]
fn validate_refuses_tampered_class_values() {
    let (x, y) = problem(40);
    let FittedModel::Tree(mut tree) = spec("dt", &[], 0).fit_task(&x, &y, 3).unwrap() else { panic!() };
    tree.tree.class_value.pop();
    assert!(tree.validate().unwrap_err().contains("class_value"));
    tree.tree.class_value.push(f64::NAN);
    assert!(tree.validate().unwrap_err().contains("class_value"));
    let FittedModel::Forest(mut forest) =
        spec("rf", &[("n_estimators", ParamValue::Int(3))], 0).fit_task(&x, &y, 3).unwrap()
    else {
        panic!()
    };
    assert!(forest.validate().is_ok());
    forest.trees[2].n_classes = 4;
    assert!(forest.validate().is_err());
}
