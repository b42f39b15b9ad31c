//! Edge cases of the boosting models (`gbr`, `ada`): seeds, a constant
//! target, one feature, leaves larger than half the rows, every loss, bad
//! parameters, and importances against scikit-learn's on a fixture.

use super::*;
use crate::models::ModelSpec;
use crate::params::ParamValue;

fn problem(n_rows: usize) -> (Matrix, Vec<f64>) {
    let mut next = crate::models::tests::uniform_stream(7);
    let a: Vec<f64> = (0..n_rows).map(|_| next() * 4.0).collect();
    let b: Vec<f64> = (0..n_rows).map(|_| next() * 2.0).collect();
    let c: Vec<f64> = (0..n_rows).map(|_| next()).collect();
    let y: Vec<f64> = (0..n_rows).map(|i| 3.0 * a[i] - 2.0 * b[i] * b[i] + 0.5 * next()).collect();
    (Matrix { n_rows, columns: vec![a, b, c] }, y)
}

fn spec(id: &str, given: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Regression, id, &given, seed).unwrap()
}

fn loss(name: &str) -> (&'static str, ParamValue) {
    ("loss", ParamValue::Str(name.to_string()))
}

const GBR_LOSSES: [&str; 4] = ["squared_error", "absolute_error", "huber", "quantile"];

fn boosted(model: &FittedModel) -> &FittedBoosted {
    match model {
        FittedModel::Boosted(fitted) => fitted,
        other => panic!("not gbr: {other:?}"),
    }
}

fn ada(model: &FittedModel) -> &FittedAdaBoost {
    match model {
        FittedModel::AdaBoost(fitted) => fitted,
        other => panic!("not ada: {other:?}"),
    }
}

#[test]
fn seeds_reproduce_and_differ() {
    let (x, y) = problem(120);
    let subsample = [("subsample", ParamValue::Float(0.6))];
    let features = [("max_features", ParamValue::Float(0.5))];
    let cases: [(&str, &[(&str, ParamValue)]); 3] = [("gbr", &subsample), ("gbr", &features), ("ada", &[])];
    for (id, params) in cases {
        let first = spec(id, params, 3).fit(&x, &y).unwrap();
        assert_eq!(spec(id, params, 3).fit(&x, &y).unwrap(), first, "{id} {params:?}");
        assert_ne!(spec(id, params, 4).fit(&x, &y).unwrap(), first, "{id} {params:?}");
    }
}

#[test]
fn a_constant_target_is_predicted_exactly() {
    let (x, _) = problem(50);
    let y = vec![4.25; 50];
    for name in GBR_LOSSES {
        let fitted = spec("gbr", &[loss(name)], 0).fit(&x, &y).unwrap();
        assert_eq!(boosted(&fitted).init, 4.25, "{name}");
        assert!(fitted.predict(&x).unwrap().iter().all(|&p| p == 4.25), "{name}");
        // The quantile gradient is the constant alpha (0.9), whose variance
        // rounds to just above EPSILON: its trees split, as scikit-learn's
        // do (7 nodes each), and the line search sets every leaf to 0.
        if name != "quantile" {
            assert!(boosted(&fitted).trees.iter().all(|t| t.nodes.len() == 1), "{name}");
            assert_eq!(fitted.feature_importances().unwrap(), vec![0.0; 3], "{name}");
        }
    }
    // AdaBoost stops at the first, perfect tree (weight 1), as scikit-learn.
    let fitted = spec("ada", &[], 0).fit(&x, &y).unwrap();
    assert_eq!(ada(&fitted).trees.len(), 1);
    assert_eq!(ada(&fitted).estimator_weights, vec![1.0]);
    assert!(fitted.predict(&x).unwrap().iter().all(|&p| p == 4.25));
    assert_eq!(fitted.feature_importances().unwrap(), vec![0.0; 3]);
}

#[test]
fn one_feature_carries_all_the_importance() {
    let (x, y) = problem(80);
    let x = Matrix { n_rows: 80, columns: vec![x.columns[0].clone()] };
    for id in ["gbr", "ada"] {
        let fitted = spec(id, &[], 0).fit(&x, &y).unwrap();
        let importances = fitted.feature_importances().unwrap();
        assert!(importances.len() == 1 && (importances[0] - 1.0).abs() < 1e-12, "{id}: {importances:?}");
        assert_eq!(fitted.n_features(), 1);
        let wide = Matrix { n_rows: 1, columns: vec![vec![0.0]; 2] };
        assert!(fitted.predict(&wide).is_err(), "{id}: a wrong width is an error");
    }
}

#[test]
fn min_samples_leaf_above_half_the_rows_leaves_stumps_of_one_leaf() {
    let (x, y) = problem(40);
    for name in GBR_LOSSES {
        let fitted = spec("gbr", &[loss(name), ("min_samples_leaf", ParamValue::Int(21))], 0).fit(&x, &y).unwrap();
        let model = boosted(&fitted);
        assert!(model.trees.iter().all(|t| t.nodes.len() == 1), "{name}");
        assert_eq!(fitted.feature_importances().unwrap(), vec![0.0; 3], "{name}");
        // Every row gets the same prediction.
        let predicted = fitted.predict(&x).unwrap();
        assert!(predicted.iter().all(|&p| p == predicted[0]), "{name}");
    }
}

#[test]
fn every_loss_fits_what_it_promises() {
    let (x, y) = problem(300);
    let mse = |p: &[f64]| p.iter().zip(&y).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / y.len() as f64;
    let variance = mse(&vec![crate::matrix::mean(&y); y.len()]);
    for name in GBR_LOSSES {
        let predicted = spec("gbr", &[loss(name)], 0).fit(&x, &y).unwrap().predict(&x).unwrap();
        assert!(mse(&predicted) < 0.2 * variance, "{name}: training MSE {} vs variance {variance}", mse(&predicted));
    }
    for alpha in [0.1, 0.9] {
        let predicted =
            spec("gbr", &[loss("quantile"), ("alpha", ParamValue::Float(alpha))], 0).fit(&x, &y).unwrap().predict(&x);
        let below = predicted.unwrap().iter().zip(&y).filter(|(p, t)| t <= p).count() as f64 / y.len() as f64;
        assert!((below - alpha).abs() < 0.06, "quantile {alpha}: {below} of the rows at or below");
    }
    for name in ["linear", "square", "exponential"] {
        let predicted = spec("ada", &[loss(name)], 0).fit(&x, &y).unwrap().predict(&x).unwrap();
        assert!(mse(&predicted) < 0.3 * variance, "ada {name}: training MSE {}", mse(&predicted));
    }
    // No shrinkage: every row is predicted the init constant.
    let still = spec("gbr", &[("learning_rate", ParamValue::Float(0.0))], 0).fit(&x, &y).unwrap();
    assert!(still.predict(&x).unwrap().iter().all(|&p| p == boosted(&still).init));
}

#[test]
fn bad_parameters_are_clear_errors() {
    let (x, y) = problem(30);
    let error = spec("gbr", &[loss("quantile"), ("alpha", ParamValue::Float(1.0))], 0).fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("alpha must be below 1"), "{error}");
    let given = [("loss".to_string(), ParamValue::Str("poisson".into()))];
    assert!(ModelSpec::new(Task::Regression, "gbr", &given, 0).is_err());
    let given = [("loss".to_string(), ParamValue::Str("huber".into()))];
    assert!(ModelSpec::new(Task::Regression, "ada", &given, 0).is_err());
    let given = [("subsample".to_string(), ParamValue::Float(0.0))];
    assert!(ModelSpec::new(Task::Regression, "gbr", &given, 0).is_err());
    let one_row = Matrix { n_rows: 1, columns: vec![vec![1.0]] };
    for id in ["gbr", "ada"] {
        let fitted = spec(id, &[], 0).fit(&one_row, &[2.0]).unwrap();
        assert_eq!(fitted.predict(&one_row).unwrap(), vec![2.0], "{id}");
        let empty = Matrix { n_rows: 0, columns: vec![vec![]] };
        assert!(spec(id, &[], 0).fit(&empty, &[]).is_err(), "{id}");
    }
}

/// The "collinear" fixture's 200 training rows.
fn collinear() -> (Matrix, Vec<f64>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/datasets.json");
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let set = &all["datasets"]["collinear"];
    let floats =
        |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
    let x = Matrix { n_rows: 300, columns };
    (x.take_rows(&(0..200).collect::<Vec<_>>()), floats(&set["y"])[..200].to_vec())
}

/// A model id, its parameters and the importances expected.
type Case<'a> = (&'a str, Vec<(&'a str, ParamValue)>, [f64; 6]);

/// scikit-learn 1.9.1's `feature_importances_` on the "collinear" training
/// rows: `GradientBoostingRegressor(random_state=0)`, the same with
/// `loss="huber"`, and `AdaBoostRegressor(random_state=0)` (50 trees).
#[test]
fn importances_match_scikit_learn() {
    let (x, y) = collinear();
    let cases: [Case<'_>; 3] = [
        ("gbr", vec![], GBR_IMPORTANCES),
        ("gbr", vec![loss("huber")], GBR_HUBER_IMPORTANCES),
        ("ada", vec![], ADA_IMPORTANCES),
    ];
    for (id, params, expected) in cases {
        let fitted = spec(id, &params, 0).fit(&x, &y).unwrap();
        for (ours, theirs) in fitted.feature_importances().unwrap().iter().zip(expected) {
            assert!((ours - theirs).abs() < 1e-12, "{id} {params:?}: {ours} vs {theirs}");
        }
    }
    assert_eq!(ada(&spec("ada", &[], 0).fit(&x, &y).unwrap()).trees.len(), 50);
}

const GBR_IMPORTANCES: [f64; 6] = [
    0.6534043366885035,
    0.23102108734250681,
    0.031109543357266796,
    0.03969016934579188,
    0.015996433766890035,
    0.028778429499040907,
];
const GBR_HUBER_IMPORTANCES: [f64; 6] = [
    0.6955251952498059,
    0.2176494478199266,
    0.031210022100861316,
    0.020824267045091546,
    0.007195005419413887,
    0.027596062364900885,
];
const ADA_IMPORTANCES: [f64; 6] = [
    0.5860228973763071,
    0.2384187040917258,
    0.07033274291471796,
    0.032255628794548546,
    0.03000128571437622,
    0.042968741108324555,
];
