//! The boosted classifiers (`gbc`, `ada`): the initial scores are the
//! priors, probabilities follow from the decision function as scikit-learn
//! derives them, a fold missing a class keeps its column, a perfect stump
//! stops AdaBoost, and a tampered artifact is refused by `validate`.

use super::*;
use crate::models::ModelSpec;
use crate::params::ParamValue;

/// Two noisy features and a third, three classes (codes 0..3) from thresholds on a score.
fn problem(n_rows: usize) -> (Matrix, Vec<f64>) {
    let mut next = crate::models::tests::uniform_stream(41);
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

fn spec(id: &str, given: &[(&str, ParamValue)]) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Classification, id, &given, 0).unwrap()
}

fn samme() -> (&'static str, ParamValue) {
    ("algorithm", ParamValue::Str("SAMME".to_string()))
}

#[test]
fn gbc_without_learning_starts_from_the_priors() {
    let (x, y) = problem(60);
    let still = [("learning_rate", ParamValue::Float(0.0)), ("n_estimators", ParamValue::Int(3))];
    for n_classes in [2, 3] {
        let y: Vec<f64> = y.iter().map(|&c| c.min(n_classes as f64 - 1.0)).collect();
        let fitted = spec("gbc", &still).fit_task(&x, &y, n_classes).unwrap();
        let proba = fitted.predict_proba(&x).unwrap().unwrap();
        for class in 0..n_classes {
            let prior = y.iter().filter(|&&c| c == class as f64).count() as f64 / 60.0;
            assert!((proba[class] - prior).abs() < 1e-12, "{n_classes} classes: {proba:?} vs {prior}");
        }
    }
}

#[test]
fn probabilities_follow_the_decision_function_as_scikit_learn_derives_them() {
    let (x, y) = problem(80);
    let binary: Vec<f64> = y.iter().map(|&c| c.min(1.0)).collect();
    for (id, given) in [("gbc", vec![]), ("ada", vec![]), ("ada", vec![samme()])] {
        let fitted = spec(id, &given).fit_task(&x, &binary, 2).unwrap();
        let decision = fitted.decision_function(&x).unwrap().unwrap();
        let proba = fitted.predict_proba(&x).unwrap().unwrap();
        let predicted = fitted.predict(&x).unwrap();
        for ((d, row), p) in decision.iter().zip(proba.chunks(2)).zip(&predicted) {
            // gbc: expit of the log-odds; ada: the softmax of (-d/2, d/2), which is expit(d) too.
            let expected = 1.0 / (1.0 + (-d).exp());
            assert!((row[1] - expected).abs() < 1e-12 && (row[0] + row[1] - 1.0).abs() < 1e-12, "{id}: {d} {row:?}");
            assert_eq!(*p, if *d > 0.0 { 1.0 } else { 0.0 }, "{id}: {d}");
        }
        assert!(predicted.iter().zip(&binary).filter(|(p, t)| p == t).count() > 60, "{id} learns little");
    }
}

#[test]
fn a_fold_missing_a_class_keeps_a_column_for_it() {
    let (x, y) = problem(90);
    // Class 2 is absent from this training fold of a three-class target; 3 of a four-class one.
    let two: Vec<f64> = y.iter().map(|&c| c.min(1.0)).collect();
    for (y, n_classes, missing) in [(&two, 3, 2), (&y, 4, 3)] {
        for (id, given) in [("gbc", vec![]), ("ada", vec![]), ("ada", vec![samme()])] {
            let fitted = spec(id, &given).fit_task(&x, y, n_classes).unwrap();
            let proba = fitted.predict_proba(&x).unwrap().unwrap();
            let decision = fitted.decision_function(&x).unwrap().unwrap();
            assert_eq!(proba.len(), 90 * n_classes, "{id}");
            assert!(proba.chunks(n_classes).all(|row| row[missing] == 0.0), "{id}");
            assert!(proba.chunks(n_classes).all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-12), "{id}");
            assert!(decision.chunks(n_classes).all(|row| row[missing] == f64::NEG_INFINITY), "{id}");
            assert!(fitted.predict(&x).unwrap().iter().all(|&p| p < missing as f64), "{id}");
        }
    }
}

#[test]
fn a_perfect_stump_ends_adaboost_with_weight_one() {
    let x = Matrix { n_rows: 6, columns: vec![vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]] };
    let y = vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    for given in [vec![], vec![samme()]] {
        let FittedModel::AdaBoostClassifier(fitted) = spec("ada", &given).fit_task(&x, &y, 2).unwrap() else {
            panic!("not an AdaBoost classifier")
        };
        assert_eq!(fitted.trees.len(), 1);
        assert_eq!(fitted.estimator_weights[0], 1.0);
        assert!(fitted.estimator_weights[1..].iter().all(|&w| w == 0.0));
        assert_eq!(fitted.feature_importances, vec![1.0, 0.0]);
    }
}

#[test]
fn validate_refuses_tampered_boosted_classifiers() {
    let (x, y) = problem(50);
    let FittedModel::BoostedClassifier(mut gbc) = spec("gbc", &[]).fit_task(&x, &y, 3).unwrap() else { panic!() };
    assert!(gbc.validate().is_ok());
    gbc.init.pop();
    assert!(gbc.validate().unwrap_err().contains("init"));
    assert!(gbc.predict(&x).is_err());
    let FittedModel::AdaBoostClassifier(mut ada) = spec("ada", &[]).fit_task(&x, &y, 3).unwrap() else { panic!() };
    assert!(ada.validate().is_ok());
    ada.trees[0].n_classes = 2;
    assert!(ada.validate().unwrap_err().contains("classes"));
    assert!(ada.predict(&x).is_err());
}
