//! Explainers against their definitions: TreeSHAP against Shapley values
//! enumerated over every coalition (with the path-dependent conditional
//! expectation), additivity on every supported tree model, linear SHAP's
//! formula, permutation SHAP's exactness on a linear model.

use super::tree_shap;
use super::*;
use crate::models::tree::{TreeNodes, LEAF};
use crate::models::ModelSpec;
use crate::task::Task;

/// A small deterministic data set: 5 features, a nonlinear target.
fn data(n: usize) -> (Matrix, Vec<f64>) {
    let mut x = Matrix::with_rows(n);
    let mut state = 12345u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let columns: Vec<Vec<f64>> = (0..5).map(|_| (0..n).map(|_| (next() * 10.0).round() / 2.0).collect()).collect();
    let y = (0..n)
        .map(|i| {
            let c = |j: usize| columns[j][i];
            c(0) * 2.0 + if c(1) > 2.0 { c(2) } else { -c(3) } + c(0) * c(4) * 0.3
        })
        .collect();
    for column in columns {
        x.push_column(column);
    }
    (x, y)
}

fn fit(
    task: Task,
    id: &str,
    x: &Matrix,
    y: &[f64],
    n_classes: usize,
    given: &[(&str, crate::ParamValue)],
) -> FittedModel {
    let given: Vec<(String, crate::ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(task, id, &given, 0).and_then(|spec| spec.fit_task(x, y, n_classes)).unwrap()
}

fn int(value: i64) -> crate::ParamValue {
    crate::ParamValue::Int(value)
}

/// `E[tree(x) | x_S]` with the path-dependent convention: a split on a
/// feature outside `S` averages its children by cover.
fn conditional(tree: &TreeNodes, row: &[f64], set: u32, node: usize) -> f64 {
    let split = tree.nodes[node];
    if split.feature == LEAF {
        return tree.value[node];
    }
    let (l, r) = (split.left as usize, split.right as usize);
    if set & (1 << split.feature) != 0 {
        let next = if f64::from(row[split.feature as usize] as f32) <= split.threshold { l } else { r };
        conditional(tree, row, set, next)
    } else {
        let (wl, wr) = (tree.weighted_n_node_samples[l], tree.weighted_n_node_samples[r]);
        (wl * conditional(tree, row, set, l) + wr * conditional(tree, row, set, r)) / (wl + wr)
    }
}

/// Shapley values of `f(S)` over `m` players, by enumerating coalitions.
fn shapley(m: usize, f: impl Fn(u32) -> f64) -> Vec<f64> {
    let fact = |n: usize| (1..=n).product::<usize>() as f64;
    (0..m)
        .map(|j| {
            (0..1u32 << m)
                .filter(|s| s & (1 << j) == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    fact(size) * fact(m - size - 1) / fact(m) * (f(s | 1 << j) - f(s))
                })
                .sum()
        })
        .collect()
}

fn row_of(x: &Matrix, i: usize) -> Vec<f64> {
    x.columns.iter().map(|c| c[i]).collect()
}

#[test]
fn tree_shap_equals_enumerated_shapley_values_of_a_forest() {
    let (x, y) = data(200);
    let model = fit(Task::Regression, "rf", &x, &y, 0, &[("n_estimators", int(4)), ("max_depth", int(6))]);
    let FittedModel::Forest(forest) = &model else { panic!("not a forest") };
    let explanation = tree_shap::explain(&model, &x).unwrap();
    for i in [0, 7, 99] {
        let row = row_of(&x, i);
        let f = |set: u32| forest.trees.iter().map(|t| conditional(t, &row, set, 0)).sum::<f64>() / 4.0;
        let expected = shapley(5, f);
        for (j, want) in expected.iter().enumerate() {
            let got = explanation.value(i, j, 0);
            assert!((got - want).abs() < 1e-9, "row {i} feature {j}: {got} vs {want}");
        }
        assert!((explanation.expected_value[0] - f(0)).abs() < 1e-9);
    }
}

/// Σ values + expected value equals the raw output, for every row and output.
fn assert_additive(model: &FittedModel, x: &Matrix) -> Explanation {
    let explanation = tree_shap::explain(model, x).unwrap();
    let raw = tree_shap::raw_output(model, x).unwrap();
    let k = explanation.n_outputs();
    for i in 0..x.n_rows {
        for o in 0..k {
            let sum: f64 =
                (0..x.n_cols()).map(|j| explanation.value(i, j, o)).sum::<f64>() + explanation.expected_value[o];
            assert!((sum - raw[i * k + o]).abs() < 1e-9, "row {i} output {o}: {sum} vs {}", raw[i * k + o]);
        }
    }
    explanation
}

#[test]
fn tree_shap_adds_up_for_every_tree_model() {
    let (x, y) = data(150);
    for id in ["dt", "rf", "et", "gbr", "lightgbm", "xgboost"] {
        let model = fit(Task::Regression, id, &x, &y, 0, &[]);
        let explanation = assert_additive(&model, &x);
        // The raw output is the prediction (XGBoost's is summed in float32).
        let predicted = model.predict(&x).unwrap();
        let raw = tree_shap::raw_output(&model, &x).unwrap();
        for (p, r) in predicted.iter().zip(&raw) {
            assert!((p - r).abs() < 1e-4 * (1.0 + r.abs()), "{id}: {p} vs {r}");
        }
        assert_eq!(explanation.method, Method::Tree);
    }
    let binary: Vec<f64> = y.iter().map(|&v| f64::from(v > 10.0)).collect();
    let three: Vec<f64> = y
        .iter()
        .map(|&v| {
            if v < 6.0 {
                0.0
            } else if v < 14.0 {
                1.0
            } else {
                2.0
            }
        })
        .collect();
    for (target, n_classes) in [(&binary, 2), (&three, 3)] {
        for id in ["dt", "rf", "gbc", "lightgbm", "xgboost"] {
            let model = fit(Task::Classification, id, &x, target, n_classes, &[]);
            let explanation = assert_additive(&model, &x);
            let outputs = if matches!(id, "dt" | "rf") {
                n_classes
            } else if n_classes == 2 {
                1
            } else {
                3
            };
            assert_eq!(explanation.n_outputs(), outputs, "{id} with {n_classes} classes");
        }
    }
}

#[test]
fn tree_shap_probabilities_of_a_tree_classifier_are_the_predicted_ones() {
    let (x, y) = data(120);
    let three: Vec<f64> = y
        .iter()
        .map(|&v| {
            if v < 6.0 {
                0.0
            } else if v < 14.0 {
                1.0
            } else {
                2.0
            }
        })
        .collect();
    let model = fit(Task::Classification, "rf", &x, &three, 3, &[("n_estimators", int(5))]);
    let raw = tree_shap::raw_output(&model, &x).unwrap();
    let proba = model.predict_proba(&x).unwrap().unwrap();
    for (r, p) in raw.iter().zip(&proba) {
        assert!((r - p).abs() < 1e-12);
    }
}

#[test]
fn linear_shap_is_coefficient_times_distance_from_the_mean() {
    let (x, y) = data(80);
    let model = fit(Task::Regression, "lr", &x, &y, 0, &[]);
    let explanation = linear::explain(&model, &x, &x).unwrap();
    let FittedModel::Linear(linear) = &model else { panic!("not linear") };
    let predicted = model.predict(&x).unwrap();
    for i in [0, 40] {
        for j in 0..5 {
            let mean = x.columns[j].iter().sum::<f64>() / 80.0;
            let want = linear.coef[j] * (x.columns[j][i] - mean);
            assert!((explanation.value(i, j, 0) - want).abs() < 1e-9);
        }
        let sum: f64 = (0..5).map(|j| explanation.value(i, j, 0)).sum::<f64>() + explanation.expected_value[0];
        assert!((sum - predicted[i]).abs() < 1e-9);
    }
}

#[test]
fn permutation_shap_is_exact_for_a_linear_model_and_adds_up_for_a_tree() {
    let (x, y) = data(60);
    let model = fit(Task::Regression, "lr", &x, &y, 0, &[]);
    let background = x.take_rows(&(0..20).collect::<Vec<_>>());
    let exact = linear::explain(&model, &x, &background).unwrap();
    let sampled = permutation::explain(&model, &x, &background, 7).unwrap();
    for (a, b) in exact.values.iter().zip(&sampled.values) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    let tree = fit(Task::Regression, "dt", &x, &y, 0, &[("max_depth", int(4))]);
    let sampled = permutation::explain(&tree, &x, &background, 7).unwrap();
    let predicted = tree.predict(&x).unwrap();
    for (i, p) in predicted.iter().enumerate() {
        let sum: f64 = (0..5).map(|j| sampled.value(i, j, 0)).sum::<f64>() + sampled.expected_value[0];
        assert!((sum - p).abs() < 1e-9);
    }
    // Seeded: the same seed gives the same values.
    assert_eq!(sampled, permutation::explain(&tree, &x, &background, 7).unwrap());
}

#[test]
fn methods_resolve_by_model_and_refuse_what_the_model_cannot_do() {
    let (x, y) = data(40);
    let knn = fit(Task::Regression, "knn", &x, &y, 0, &[]);
    let lr = fit(Task::Regression, "lr", &x, &y, 0, &[]);
    let dt = fit(Task::Regression, "dt", &x, &y, 0, &[]);
    assert_eq!(resolve(&knn, Choice::Auto).unwrap(), Method::Permutation);
    assert_eq!(resolve(&lr, Choice::Auto).unwrap(), Method::Linear);
    assert_eq!(resolve(&dt, Choice::Auto).unwrap(), Method::Tree);
    let error = resolve(&knn, Choice::Only(Method::Tree)).unwrap_err().to_string();
    assert!(error.contains("--method tree needs a tree model") && error.contains("neighbors"), "{error}");
    assert!(resolve(&dt, Choice::Only(Method::Linear)).is_err());
    let catboost = fit(Task::Regression, "catboost", &x, &y, 0, &[("iterations", int(5))]);
    assert_eq!(resolve(&catboost, Choice::Auto).unwrap(), Method::Permutation);
    let error = resolve(&catboost, Choice::Only(Method::Tree)).unwrap_err().to_string();
    assert!(error.contains("does not store its leaf weights"), "{error}");
    assert!("shapley".parse::<Choice>().unwrap_err().to_string().contains("unknown explain method \"shapley\""));
}

#[test]
fn permutation_importance_follows_scikit_learns_draws() {
    // Scores are the sum of the permuted row indices: deterministic in the draws.
    let result = permutation::permutation_importance(2, 6, 3, 0, 0.0, |column, rows| {
        Ok(rows.iter().enumerate().map(|(i, &r)| (i * r) as f64).sum::<f64>() + column as f64)
    })
    .unwrap();
    // Both columns see the same shuffles (one seed per column, as scikit-learn).
    assert_eq!(result.importances[0].len(), 3);
    assert_eq!(result.importances[1][0], result.importances[0][0] - 1.0);
}

#[test]
fn permutation_shap_estimates_the_interventional_shapley_values() {
    let (x, y) = data(120);
    let model = fit(Task::Regression, "rf", &x, &y, 0, &[("n_estimators", int(10))]);
    let background = x.take_rows(&(0..20).collect::<Vec<_>>());
    let rows = x.take_rows(&[30, 31, 32, 33]);
    let sampled = permutation::explain(&model, &rows, &background, 3).unwrap();
    let mut worst = 0.0f64;
    let mut scale = 0.0f64;
    for i in 0..rows.n_rows {
        // f(S): the mean prediction with S's features from the row, the rest from each background row.
        let f = |set: u32| {
            let mut batch = Matrix::with_rows(background.n_rows);
            for (j, column) in background.columns.iter().enumerate() {
                let own = rows.columns[j][i];
                batch.push_column(if set & (1 << j) != 0 { vec![own; background.n_rows] } else { column.clone() });
            }
            model.predict(&batch).unwrap().iter().sum::<f64>() / background.n_rows as f64
        };
        for (j, exact) in shapley(5, f).iter().enumerate() {
            worst = worst.max((sampled.value(i, j, 0) - exact).abs());
            scale = scale.max(exact.abs());
        }
    }
    eprintln!("permutation SHAP: worst error {worst:.3} for values up to {scale:.3}");
    assert!(worst < 0.02 * scale, "worst error {worst} against values up to {scale}");
}
