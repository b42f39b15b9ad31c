//! The CatBoost model's own checks: seeds, degenerate data, the automatic
//! learning rate, prediction from the stored trees, importances. Parity with
//! the catboost package is in `tests/parity/models.rs` (fixture
//! `fixtures/models_catboost.py`).

use super::*;
use crate::models::ModelSpec;

fn problem(n_rows: usize, n_features: usize) -> (Matrix, Vec<f64>) {
    let mut state = 7u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
    };
    let columns: Vec<Vec<f64>> = (0..n_features).map(|_| (0..n_rows).map(|_| next() * 4.0).collect()).collect();
    let y = (0..n_rows).map(|i| 3.0 * columns[0][i] + (2.0 * columns[0][i]).sin() + 0.2 * next()).collect();
    (Matrix { n_rows, columns }, y)
}

fn spec(given: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Regression, "catboost", &given, seed).unwrap()
}

fn oblivious(model: FittedModel) -> FittedOblivious {
    match model {
        FittedModel::Oblivious(model) => model,
        other => panic!("not an oblivious model: {other:?}"),
    }
}

fn r2(y: &[f64], p: &[f64]) -> f64 {
    crate::RegressionMetrics::compute(y, p).r2
}

#[test]
fn auto_learning_rate_is_catboosts() {
    // catboost 1.2.10 `get_all_params()['learning_rate']` for 1000 iterations.
    assert_eq!(auto_learning_rate(160, 1000), 0.03065);
    assert_eq!(auto_learning_rate(1000, 1000), 0.040943);
    assert_eq!(auto_learning_rate(20000, 1000), 0.065727);
    assert_eq!(auto_learning_rate(100, 2), 0.5);
}

#[test]
fn same_seed_reproduces_another_differs_and_it_learns() {
    let (x, y) = problem(200, 3);
    let short = [("iterations", ParamValue::Int(200))];
    let first = spec(&short, 1).fit(&x, &y).unwrap();
    assert_eq!(spec(&short, 1).fit(&x, &y).unwrap(), first);
    assert_ne!(spec(&short, 2).fit(&x, &y).unwrap(), first);
    let predictions = first.predict(&x).unwrap();
    assert!(r2(&y, &predictions) > 0.95, "train R2 {}", r2(&y, &predictions));
    let model = oblivious(first);
    assert_eq!(model.trees.len(), 200);
    assert!(model.trees.iter().all(|t| t.features.len() == 6 && t.leaf_values.len() == 64));
    // The signal is in feature 0 only.
    assert!(model.feature_importances[0] > 0.9, "{:?}", model.feature_importances);
    assert!((model.feature_importances.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn predictions_follow_the_stored_trees() {
    let (x, y) = problem(120, 2);
    let model =
        oblivious(spec(&[("iterations", ParamValue::Int(30)), ("depth", ParamValue::Int(3))], 0).fit(&x, &y).unwrap());
    let predictions = model.predict(&x).unwrap();
    for (row, prediction) in predictions.iter().enumerate() {
        let mut expected = model.bias;
        for tree in &model.trees {
            let mut leaf = 0usize;
            for (level, (&f, &b)) in tree.features.iter().zip(&tree.borders).enumerate() {
                let value = x.columns[f as usize][row] as f32;
                if value > model.borders[f as usize][b as usize] {
                    leaf |= 1 << level;
                }
            }
            expected += tree.leaf_values[leaf];
        }
        assert!((prediction - expected).abs() < 1e-12, "row {row}");
    }
    // Large inputs take the parallel, blocked path: the same values.
    let rows: Vec<usize> = (0..40_000).map(|i| i % x.n_rows).collect();
    let big = model.predict(&x.take_rows(&rows)).unwrap();
    assert!(rows.iter().zip(&big).all(|(&r, &p)| p == predictions[r]));
}

#[test]
fn a_constant_target_predicts_the_constant() {
    let (x, _) = problem(50, 2);
    let y = vec![4.25; 50];
    let model = oblivious(spec(&[("iterations", ParamValue::Int(20))], 0).fit(&x, &y).unwrap());
    assert!(model.predict(&x).unwrap().iter().all(|&p| p == 4.25));
    assert!(model.feature_importances.iter().all(|&v| v == 0.0));
}

#[test]
fn one_feature_tiny_data_and_constant_features_fit() {
    let (x, y) = problem(3, 1);
    let fitted = spec(&[("iterations", ParamValue::Int(50))], 0).fit(&x, &y).unwrap();
    assert_eq!(fitted.predict(&x).unwrap().len(), 3);
    let one = Matrix { n_rows: 1, columns: vec![vec![2.0]] };
    let single = spec(&[("iterations", ParamValue::Int(5))], 0).fit(&one, &[3.0]).unwrap();
    assert_eq!(single.predict(&one).unwrap(), vec![3.0]);
    // Constant features have no borders: no split, the mean.
    let flat = Matrix { n_rows: 4, columns: vec![vec![1.0; 4], vec![2.0; 4]] };
    let model = oblivious(spec(&[("iterations", ParamValue::Int(5))], 0).fit(&flat, &[1.0, 2.0, 3.0, 4.0]).unwrap());
    assert!(model.trees.iter().all(|t| t.features.is_empty()));
    assert!(model.predict(&flat).unwrap().iter().all(|&p| (p - 2.5).abs() < 1e-12));
}

#[test]
fn bad_input_and_options_are_errors() {
    let (x, mut y) = problem(20, 2);
    let empty = Matrix { n_rows: 0, columns: vec![vec![], vec![]] };
    assert!(spec(&[], 0).fit(&empty, &[]).unwrap_err().to_string().contains("at least one row"));
    y[3] = f64::NAN;
    assert!(spec(&[], 0).fit(&x, &y).unwrap_err().to_string().contains("NaN"));
    y[3] = 1e300;
    assert!(spec(&[], 0).fit(&x, &y).unwrap_err().to_string().contains("float32"));
    let given = vec![
        ("bootstrap_type".to_string(), ParamValue::Str("Bayesian".into())),
        ("subsample".to_string(), ParamValue::Float(0.5)),
    ];
    y[3] = 1.0;
    let error = ModelSpec::new(Task::Regression, "catboost", &given, 0).unwrap().fit(&x, &y).unwrap_err();
    assert!(error.to_string().contains("subsample"), "{error}");
    let depth = ModelSpec::new(Task::Regression, "catboost", &[("depth".to_string(), ParamValue::Int(17))], 0);
    assert!(depth.is_err());
}

#[test]
fn every_bootstrap_and_rsm_fit() {
    let (x, y) = problem(150, 4);
    for bootstrap in ["MVS", "Bayesian", "Bernoulli", "No"] {
        let fitted = spec(
            &[
                ("iterations", ParamValue::Int(100)),
                ("bootstrap_type", ParamValue::Str(bootstrap.into())),
                ("rsm", ParamValue::Float(0.5)),
            ],
            3,
        )
        .fit(&x, &y)
        .unwrap();
        let score = r2(&y, &fitted.predict(&x).unwrap());
        assert!(score > 0.9, "{bootstrap}: train R2 {score}");
    }
}

#[test]
fn importances_are_prediction_values_change() {
    // One tree of depth 2: level 0 on feature 1, level 1 on feature 0.
    let tree = boost::GrownTree {
        features: vec![1, 0],
        borders: vec![0, 0],
        leaf_values: vec![0.0, 1.0, 0.0, 3.0],
        leaf_weights: vec![1.0, 1.0, 2.0, 2.0],
    };
    // Level 0 pairs (0,1): 0.5, (2,3): 2*1.5^2*2/... = w1 w2 /(w1+w2) * d^2 = 1*9 = 9.
    // Level 1 pairs (0,2): 0, (1,3): 1*2/3 * 4 = 8/3.
    let importances = prediction_values_change(&[tree], 2, 1);
    let (f1, f0) = (0.5 + 9.0, 8.0 / 3.0);
    assert!((importances[1] - f1 / (f0 + f1)).abs() < 1e-12, "{importances:?}");
    assert!((importances[0] - f0 / (f0 + f1)).abs() < 1e-12, "{importances:?}");
}

fn classifier(given: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Classification, "catboost", &given, seed).unwrap()
}

/// Classes from the problem's first feature: below -1, -1..1, above 1
/// (`three`), or below/above 0.3.
fn class_problem(three: bool) -> (Matrix, Vec<f64>) {
    let (x, _) = problem(240, 3);
    let y = x.columns[0]
        .iter()
        .map(|&v| if three { f64::from(u8::from(v > -0.6) + u8::from(v > 0.6)) } else { f64::from(u8::from(v > 0.3)) })
        .collect();
    (x, y)
}

#[test]
fn classifier_auto_learning_rates_are_catboosts() {
    // catboost 1.2.10 `get_all_params()['learning_rate']` for 160 rows.
    assert_eq!(auto_rate_with((0.427, -7.525, -0.917), 160, 1000), 0.004711);
    assert_eq!(auto_rate_with((0.427, -7.525, -0.917), 160, 200), 0.020609);
    assert_eq!(auto_rate_with((0.051, -2.889, -0.845), 160, 1000), 0.072066);
    assert_eq!(auto_rate_with((0.051, -2.889, -0.845), 160, 200), 0.280778);
}

#[test]
fn classifier_learns_two_and_three_classes() {
    for three in [false, true] {
        let (x, y) = class_problem(three);
        let n_classes = if three { 3 } else { 2 };
        let fitted = classifier(&[("iterations", ParamValue::Int(200))], 3).fit_task(&x, &y, n_classes).unwrap();
        let predicted = fitted.predict(&x).unwrap();
        let accuracy = predicted.iter().zip(&y).filter(|(p, t)| p == t).count() as f64 / y.len() as f64;
        assert!(accuracy > 0.9, "three classes {three}: training accuracy {accuracy}");
        let probabilities = fitted.predict_proba(&x).unwrap().unwrap();
        for (row, p) in probabilities.chunks(n_classes).zip(&predicted) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{row:?}");
            assert_eq!(crate::numpy::argmax(row) as f64, *p, "{row:?}");
        }
        assert!(fitted.decision_function(&x).is_none(), "CatBoostClassifier has no decision_function");
        let FittedModel::ObliviousClassifier(model) = &fitted else { panic!("not a catboost classifier") };
        assert_eq!(model.trees.len(), 200);
        assert!(model.feature_importances[0] > 0.8, "{:?}", model.feature_importances);
        assert!(model.validate().is_ok());
    }
}

#[test]
fn classifier_defaults_follow_the_class_count() {
    // Two classes: MVS and ten Newton steps; three: Bayesian and one. An
    // explicit choice is honoured either way.
    let (x, y) = class_problem(false);
    let fit = |given: &[(&str, ParamValue)]| classifier(given, 1).fit_task(&x, &y, 2).unwrap();
    let short = [("iterations", ParamValue::Int(20))];
    let default = fit(&short);
    let explicit = fit(&[
        short[0].clone(),
        ("bootstrap_type", ParamValue::Str("MVS".into())),
        ("leaf_estimation_iterations", ParamValue::Int(10)),
    ]);
    assert_eq!(default, explicit);
    let one_step = fit(&[short[0].clone(), ("leaf_estimation_iterations", ParamValue::Int(1))]);
    assert_ne!(default, one_step);
    let (x3, y3) = class_problem(true);
    let fit3 = |given: &[(&str, ParamValue)]| classifier(given, 1).fit_task(&x3, &y3, 3).unwrap();
    assert_eq!(
        fit3(&short),
        fit3(&[
            short[0].clone(),
            ("bootstrap_type", ParamValue::Str("Bayesian".into())),
            ("leaf_estimation_iterations", ParamValue::Int(1)),
        ])
    );
}

#[test]
fn a_fold_missing_a_class_gives_it_probability_zero_and_one_class_is_an_error() {
    let (x, y) = class_problem(false);
    // Codes 0 and 2 of three classes: a binary fit whose second class is 2.
    let y02: Vec<f64> = y.iter().map(|&c| 2.0 * c).collect();
    let fitted = classifier(&[("iterations", ParamValue::Int(50))], 0).fit_task(&x, &y02, 3).unwrap();
    let probabilities = fitted.predict_proba(&x).unwrap().unwrap();
    assert!(probabilities.chunks(3).all(|row| row[1] == 0.0 && (row[0] + row[2] - 1.0).abs() < 1e-12));
    assert!(fitted.predict(&x).unwrap().iter().all(|&p| p == 0.0 || p == 2.0));
    let error = classifier(&[], 0).fit_task(&x, &vec![1.0; x.n_rows], 2).unwrap_err().to_string();
    assert!(error.contains("one class only"), "{error}");
}

#[test]
fn classifier_leaves_never_raise_the_training_loss() {
    // AnyImprovement backtracking: each tree's Newton walk keeps only steps
    // that lower the loss, so the training log loss falls tree by tree
    // before the learning rate (here 1, so the walk's result is the step).
    let (x, y) = class_problem(false);
    let given = [("iterations", ParamValue::Int(15)), ("learning_rate", ParamValue::Float(1.0))];
    let FittedModel::ObliviousClassifier(model) = classifier(&given, 2).fit_task(&x, &y, 2).unwrap() else {
        panic!("not a catboost classifier")
    };
    let mut losses = Vec::new();
    for count in 0..=model.trees.len() {
        let partial = FittedObliviousClassifier { trees: model.trees[..count].to_vec(), ..model.clone() };
        let p = partial.predict_proba(&x).unwrap().unwrap();
        let loss: f64 = p.chunks(2).zip(&y).map(|(row, &t)| -row[t as usize].ln()).sum();
        losses.push(loss);
    }
    assert!(losses.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{losses:?}");
}
