//! Edge cases of the tree engine (a constant target, one feature, leaves
//! larger than half the rows, seeds, pruning controls) and importances
//! against scikit-learn's `feature_importances_` on a fixture.

use super::*;
use crate::models::ModelSpec;
use crate::params::ParamValue;

fn problem(n_rows: usize) -> (Matrix, Vec<f64>) {
    let mut next = crate::models::tests::uniform_stream(11);
    let a: Vec<f64> = (0..n_rows).map(|_| next() * 4.0).collect();
    let b: Vec<f64> = (0..n_rows).map(|_| next() * 2.0).collect();
    let y: Vec<f64> = (0..n_rows).map(|i| 3.0 * a[i] - 2.0 * b[i] * b[i] + 0.3 * next()).collect();
    (Matrix { n_rows, columns: vec![a, b] }, y)
}

fn spec(id: &str, given: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Regression, id, &given, seed).unwrap()
}

fn tree_of(model: &FittedModel) -> &TreeNodes {
    match model {
        FittedModel::Tree(fitted) => &fitted.tree,
        FittedModel::Forest(fitted) => &fitted.trees[0],
        other => panic!("not a tree: {other:?}"),
    }
}

#[test]
fn a_constant_target_is_a_single_leaf() {
    let (x, _) = problem(50);
    let y = vec![4.25; 50];
    for id in ["dt", "rf", "et"] {
        let fitted = spec(id, &[], 0).fit(&x, &y).unwrap();
        assert_eq!(tree_of(&fitted).nodes.len(), 1, "{id}");
        assert!(fitted.predict(&x).unwrap().iter().all(|&p| p == 4.25), "{id}");
        assert_eq!(fitted.feature_importances().unwrap(), vec![0.0, 0.0], "{id}");
    }
}

#[test]
fn one_feature_grows_to_pure_leaves() {
    let (x, y) = problem(60);
    let x = Matrix { n_rows: 60, columns: vec![x.columns[0].clone()] };
    let fitted = spec("dt", &[], 0).fit(&x, &y).unwrap();
    // Distinct values: every training row is its own leaf, predicted exactly.
    assert_eq!(tree_of(&fitted).n_leaves(), 60);
    assert_eq!(fitted.predict(&x).unwrap(), y);
    assert_eq!(fitted.feature_importances().unwrap(), vec![1.0]);
}

#[test]
fn min_samples_leaf_above_half_the_rows_leaves_one_leaf() {
    let (x, y) = problem(40);
    for id in ["dt", "rf", "et"] {
        let fitted = spec(id, &[("min_samples_leaf", ParamValue::Int(21))], 0).fit(&x, &y).unwrap();
        assert_eq!(tree_of(&fitted).nodes.len(), 1, "{id}");
    }
    let fitted = spec("dt", &[("min_samples_leaf", ParamValue::Int(20))], 0).fit(&x, &y).unwrap();
    let tree = tree_of(&fitted);
    assert_eq!(tree.nodes.len(), 3);
    assert_eq!(tree.n_node_samples, vec![40, 20, 20]);
}

#[test]
fn seeds_reproduce_and_differ() {
    let (x, y) = problem(80);
    for id in ["dt", "rf", "et"] {
        // All features in every node leave dt's seed only the order of ties.
        let half = [("max_features", ParamValue::Float(0.5))];
        let params: &[(&str, ParamValue)] = if id == "dt" { &half } else { &[] };
        let first = spec(id, params, 3).fit(&x, &y).unwrap();
        assert_eq!(spec(id, params, 3).fit(&x, &y).unwrap(), first, "{id}");
        assert_ne!(spec(id, params, 4).fit(&x, &y).unwrap(), first, "{id}");
    }
}

#[test]
fn depth_leaf_count_and_impurity_controls_hold() {
    let (x, y) = problem(100);
    let depth = spec("dt", &[("max_depth", ParamValue::Int(2))], 0).fit(&x, &y).unwrap();
    assert_eq!(tree_of(&depth).n_leaves(), 4);
    let leaves = spec("dt", &[("max_leaf_nodes", ParamValue::Int(5))], 0).fit(&x, &y).unwrap();
    assert_eq!(tree_of(&leaves).n_leaves(), 5);
    let stump = spec("dt", &[("min_impurity_decrease", ParamValue::Float(1e6))], 0).fit(&x, &y).unwrap();
    assert_eq!(tree_of(&stump).nodes.len(), 1);
    let error = spec("dt", &[("max_features", ParamValue::Int(3))], 0).fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("max_features = 3"), "{error}");
}

#[test]
fn the_forest_is_the_same_on_one_thread_or_many() {
    let (x, y) = problem(60);
    let columns: Vec<Vec<f32>> = x.columns.iter().map(|c| c.iter().map(|&v| v as f32).collect()).collect();
    let params = spec("rf", &[("n_estimators", ParamValue::Int(8))], 5).resolved_params().unwrap();
    let config = tree_config(&params, 60, 2, false).unwrap();
    let plan = forest::ForestPlan {
        config: &config,
        n_estimators: 8,
        bootstrap: Some(60),
        random_state: 5,
        sample_weight: None,
        subsample_balance: None,
    };
    let parallel = forest::fit_forest(&columns, &y, &plan);
    let serial: Vec<TreeNodes> = (0..8)
        .map(|i| {
            let single = forest::ForestPlan { n_estimators: i + 1, ..plan };
            forest::fit_forest(&columns, &y, &single).pop().unwrap()
        })
        .collect();
    assert_eq!(parallel, serial);
}

/// The "collinear" fixture data set: its 200 training rows and 100 test rows.
fn collinear() -> (Matrix, Vec<f64>, Matrix) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/datasets.json");
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let set = &all["datasets"]["collinear"];
    let floats =
        |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
    let x = Matrix { n_rows: 300, columns };
    let y = floats(&set["y"]);
    (x.take_rows(&(0..200).collect::<Vec<_>>()), y[..200].to_vec(), x.take_rows(&(200..210).collect::<Vec<_>>()))
}

/// scikit-learn 1.9.1 on the "collinear" training rows with `y + 1` (Poisson
/// needs a non-negative target, which the shared fixture sets do not have),
/// predictions for test rows 200..210 (`fixtures/models_tree.py --poisson`
/// prints them). A 5-tree Poisson forest agrees tree for tree except one
/// tree with one split chosen differently (not yet explained: a tie in the
/// last bit of the log gains is the suspect), so only dt is pinned here.
#[test]
fn poisson_matches_scikit_learn() {
    let (x, y, test) = collinear();
    let y: Vec<f64> = y.iter().map(|v| v + 1.0).collect();
    let poisson = ("criterion", ParamValue::Str("poisson".into()));
    let cases = [(Some(4), POISSON_DT_DEPTH4), (None, POISSON_DT)];
    for (max_depth, expected) in cases {
        let depth = max_depth.map_or(ParamValue::Null, ParamValue::Int);
        let (id, params) = ("dt", [poisson.clone(), ("max_depth", depth)]);
        let predicted = spec(id, &params, 0).fit(&x, &y).unwrap().predict(&test).unwrap();
        for (ours, theirs) in predicted.iter().zip(expected) {
            assert!((ours - theirs).abs() <= 1e-9 * theirs.abs(), "{id} {params:?}: {ours} vs {theirs}");
        }
    }
    let negative = spec("dt", &[poisson], 0).fit(&x, &y.iter().map(|v| v - 100.0).collect::<Vec<_>>()).unwrap_err();
    assert!(negative.to_string().contains("non-negative"), "{negative}");
}

const POISSON_DT_DEPTH4: [f64; 10] = [
    10.048838510910858,
    15.913331438314344,
    13.702014396526904,
    15.913331438314344,
    4.698999160008417,
    13.54696315898288,
    4.698999160008417,
    11.825030328366601,
    2.0547109477358845,
    6.831289980118432,
];
const POISSON_DT: [f64; 10] = [
    11.384289752202516,
    14.411726841523713,
    14.485644245759833,
    15.593022930187253,
    7.818453597015768,
    11.621915644715752,
    5.203203841042816,
    10.722720741411104,
    0.6216769241835998,
    8.229617915739382,
];

/// scikit-learn 1.9.1: `DecisionTreeRegressor(max_depth=4, random_state=0)`
/// on the "collinear" fixture's training rows, `feature_importances_`.
#[test]
fn importances_match_scikit_learn() {
    let (x, y, _) = collinear();
    let fitted = spec("dt", &[("max_depth", ParamValue::Int(4))], 0).fit(&x, &y).unwrap();
    let expected = SKLEARN_IMPORTANCES;
    for (ours, theirs) in fitted.feature_importances().unwrap().iter().zip(expected) {
        assert!((ours - theirs).abs() < 1e-12, "{ours} vs {theirs}");
    }
}

const SKLEARN_IMPORTANCES: [f64; 6] =
    [0.7510279618289284, 0.20599709736307495, 0.015955203266577827, 0.0017590481789926849, 0.02526068936242607, 0.0];

/// Preprocessing imputes, so no NaN reaches a model's fit (it is refused
/// here, never learnt from); a NaN at prediction does not panic and goes to
/// the child that held more training rows, as scikit-learn 1.9 sends it.
#[test]
fn missing_values_never_reach_the_fit_and_predict_as_scikit_learn() {
    let (mut x, y) = problem(30);
    let fitted = spec("dt", &[("max_depth", ParamValue::Int(1))], 0).fit(&x, &y).unwrap();
    let FittedModel::Tree(tree) = &fitted else { panic!("not a tree") };
    let root = tree.tree.nodes[0];
    let larger = if tree.tree.n_node_samples[root.left as usize] > tree.tree.n_node_samples[root.right as usize] {
        root.left
    } else {
        root.right
    };
    let row = Matrix { n_rows: 1, columns: vec![vec![f64::NAN]; 2] };
    assert_eq!(fitted.predict(&row).unwrap(), vec![tree.tree.value[larger as usize]]);
    x.columns[1][4] = f64::NAN;
    let error = spec("rf", &[], 0).fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("NaN"), "{error}");
}

/// absolute_error: a leaf predicts the weighted median (the mid-point of
/// the two middle values for an even count, as scikit-learn's MAE), a
/// constant target is one leaf, and a bootstrap's repeated rows weigh in.
#[test]
fn absolute_error_leaves_hold_the_weighted_median() {
    let (x, y) = problem(40);
    let mae = ("criterion", ParamValue::Str("absolute_error".into()));
    let stump = spec("dt", &[mae.clone(), ("min_samples_leaf", ParamValue::Int(21))], 0).fit(&x, &y).unwrap();
    let mut sorted = y.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(tree_of(&stump).value, vec![(sorted[19] + sorted[20]) / 2.0]);
    let constant = spec("dt", std::slice::from_ref(&mae), 0).fit(&x, &[2.5; 40]).unwrap();
    assert_eq!(tree_of(&constant).nodes.len(), 1);
    let odd: Vec<usize> = (0..39).collect();
    let fitted =
        spec("dt", &[mae.clone(), ("max_depth", ParamValue::Int(2))], 0).fit(&x.take_rows(&odd), &y[..39]).unwrap();
    let tree = tree_of(&fitted);
    let mut sorted = y[..39].to_vec();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(tree.value[0], sorted[19], "the root's value is the median");
    for id in ["rf", "et"] {
        let forest = spec(id, &[mae.clone(), ("n_estimators", ParamValue::Int(3))], 1).fit(&x, &y).unwrap();
        assert!(forest.predict(&x).unwrap().iter().all(|p| p.is_finite()), "{id}");
    }
}
