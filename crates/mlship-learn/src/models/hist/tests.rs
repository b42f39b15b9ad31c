//! Tests of the histogram engine and its models.

use crate::matrix::Matrix;
use crate::models::{FittedModel, ModelSpec};
use crate::params::ParamValue;
use crate::task::Task;

fn fixture_set(name: &str) -> (Matrix, Vec<f64>, Matrix) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/datasets.json");
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let set = &all["datasets"][name];
    let floats =
        |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
    let y = floats(&set["y"]);
    let x = Matrix { n_rows: columns[0].len(), columns };
    let train: Vec<usize> = (0..200).collect();
    let test: Vec<usize> = (200..300).collect();
    (x.take_rows(&train), y[..200].to_vec(), x.take_rows(&test))
}

fn spec(id: &str, params: &[(&str, ParamValue)], seed: u32) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Regression, id, &given, seed).unwrap()
}

fn boosting(fitted: &FittedModel) -> &super::FittedBoosting {
    match fitted {
        FittedModel::Boosting(model) => model,
        other => panic!("not a boosting model: {other:?}"),
    }
}

const IDS: [&str; 2] = ["lightgbm", "xgboost"];

#[test]
fn the_same_seed_reproduces_and_another_seed_differs_when_subsampling() {
    let (x, y, test) = fixture_set("collinear");
    let sampled = |id: &str, seed| {
        let mut params = vec![("subsample", ParamValue::Float(0.6)), ("colsample_bytree", ParamValue::Float(0.5))];
        if id == "lightgbm" {
            params.push(("subsample_freq", ParamValue::Int(1)));
        }
        spec(id, &params, seed).fit(&x, &y).unwrap().predict(&test).unwrap()
    };
    for id in IDS {
        assert_eq!(sampled(id, 3), sampled(id, 3), "{id}: the same seed gave another model");
        assert_ne!(sampled(id, 3), sampled(id, 4), "{id}: another seed gave the same model");
        // Without subsampling nothing is drawn: the seed changes nothing, as in the libraries.
        let plain = |seed| spec(id, &[], seed).fit(&x, &y).unwrap().predict(&test).unwrap();
        assert_eq!(plain(1), plain(2), "{id}");
    }
}

#[test]
fn a_constant_target_predicts_the_constant() {
    let (x, _, test) = fixture_set("noisy");
    let y = vec![4.25; x.n_rows];
    for id in IDS {
        let fitted = spec(id, &[], 0).fit(&x, &y).unwrap();
        assert!(fitted.predict(&test).unwrap().iter().all(|&p| (p - 4.25).abs() < 1e-6), "{id}");
        let model = boosting(&fitted);
        assert!(model.trees.iter().all(|t| t.nodes.len() == 1), "{id}: a constant target was split");
        assert!(model.feature_importances.iter().all(|&v| v == 0.0), "{id}");
    }
    // LightGBM stops at the first tree that cannot split.
    assert!(boosting(&spec("lightgbm", &[], 0).fit(&x, &y).unwrap()).trees.is_empty());
}

#[test]
fn one_feature_learns_a_step() {
    let n = 200;
    let column: Vec<f64> = (0..n).map(|i| i as f64 / 10.0).collect();
    let y: Vec<f64> = column.iter().map(|&v| if v < 7.0 { 1.0 } else { 5.0 }).collect();
    let x = Matrix { n_rows: n, columns: vec![column] };
    let probe = Matrix { n_rows: 2, columns: vec![vec![3.0, 15.0]] };
    for id in IDS {
        let fitted = spec(id, &[], 0).fit(&x, &y).unwrap();
        let p = fitted.predict(&probe).unwrap();
        assert!((p[0] - 1.0).abs() < 0.05 && (p[1] - 5.0).abs() < 0.05, "{id}: {p:?}");
        assert_eq!(fitted.feature_importances().unwrap(), vec![1.0], "{id}");
    }
}

#[test]
fn tiny_data_fits_fewer_rows_than_min_child_samples() {
    let x = Matrix { n_rows: 5, columns: vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![0.0, 1.0, 0.0, 1.0, 0.0]] };
    let y = [1.0, 2.0, 3.0, 4.0, 10.0];
    // LightGBM: 5 rows < 2 * min_child_samples: no split, the mean.
    let fitted = spec("lightgbm", &[], 0).fit(&x, &y).unwrap();
    assert!(fitted.predict(&x).unwrap().iter().all(|&p| (p - 4.0).abs() < 1e-6));
    // XGBoost's min_child_weight 1 lets single rows be leaves.
    let fitted = spec("xgboost", &[], 0).fit(&x, &y).unwrap();
    let p = fitted.predict(&x).unwrap();
    assert!((p[4] - 10.0).abs() < 0.1 && (p[0] - 1.0).abs() < 0.5, "{p:?}");
    let one_row = Matrix { n_rows: 1, columns: vec![vec![1.0]] };
    for id in IDS {
        let p = spec(id, &[], 0).fit(&one_row, &[7.0]).unwrap().predict(&one_row).unwrap();
        assert!((p[0] - 7.0).abs() < 1e-5, "{id}: {p:?}");
    }
}

#[test]
fn missing_values_never_reach_a_model_and_bad_input_is_an_error() {
    // Preprocessing imputes every missing value before the model; a NaN
    // that got here anyway is refused with a clear error, never a panic.
    let x = Matrix { n_rows: 3, columns: vec![vec![1.0, f64::NAN, 3.0]] };
    let empty = Matrix { n_rows: 0, columns: vec![vec![]] };
    for id in IDS {
        let error = spec(id, &[], 0).fit(&x, &[1.0, 2.0, 3.0]).unwrap_err().to_string();
        assert!(error.contains("NaN or infinite"), "{id}: {error}");
        let error = spec(id, &[], 0).fit(&empty, &[]).unwrap_err().to_string();
        assert!(error.contains("at least one row"), "{id}: {error}");
    }
    let error = spec("xgboost", &[("max_depth", ParamValue::Int(0))], 0)
        .fit(&Matrix { n_rows: 1, columns: vec![vec![1.0]] }, &[1.0])
        .unwrap_err()
        .to_string();
    assert!(error.contains("lossguide"), "{error}");
}

#[test]
fn gain_importances_are_normalised_and_find_the_signal() {
    let (x, _, _) = fixture_set("noisy");
    // The noisy set's signal without its noise and outliers.
    let y: Vec<f64> =
        (0..x.n_rows).map(|i| 4.0 * x.columns[0][i] - 3.0 * x.columns[1][i] + 2.0 * x.columns[2][i]).collect();
    for id in IDS {
        let importances = spec(id, &[], 0).fit(&x, &y).unwrap().feature_importances().unwrap();
        assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{id}");
        // Only features 0, 1, 2 carry signal (4, -3, 2 times the feature).
        let signal: f64 = importances[..3].iter().sum();
        assert!(signal > 0.6, "{id}: {importances:?}");
        assert!(importances[0] > importances[3..].iter().copied().fold(0.0, f64::max), "{id}: {importances:?}");
    }
}

#[test]
fn a_histogram_minus_a_child_is_the_sibling() {
    use super::binning::{BinFinder, BinnedMatrix};
    use super::histogram::{build, subtract, HistBin, HistLayout};
    let (x, y, _) = fixture_set("collinear");
    let binned =
        BinnedMatrix::new(&x.columns, BinFinder::LightGbm { max_bin: 255, min_data_in_bin: 3, sample_rows: 200_000 });
    let layout = HistLayout::new(&binned);
    let grad: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let hess = vec![1.0f32; y.len()];
    let used = vec![true; binned.n_features()];
    let all: Vec<u32> = (0..y.len() as u32).collect();
    let (left, right): (Vec<u32>, Vec<u32>) = all.iter().partition(|&&r| binned.codes[0][r as usize] < 40);
    let hist = |rows: &[u32]| {
        let mut out = vec![HistBin::default(); layout.len()];
        build(&binned, &layout, rows, &grad, Some(&hess), &used, &mut out);
        out
    };
    let mut parent = hist(&all);
    subtract(&mut parent, &hist(&left));
    for (a, b) in parent.iter().zip(hist(&right)) {
        assert_eq!(a.count, b.count);
        assert!((a.grad - b.grad).abs() < 1e-9 && (a.hess - b.hess).abs() < 1e-9);
    }
    // Unit hessians are counted, and equal the summed ones exactly.
    let ones = |rows: &[u32], out: &mut Vec<HistBin>| build(&binned, &layout, rows, &grad, None, &used, out);
    let mut counted = Vec::new();
    counted.resize(layout.len(), HistBin::default());
    ones(&all, &mut counted);
    assert_eq!(counted, hist(&all));
}

/// The classification fixtures' data set `name`: training rows, codes, test rows.
fn class_set(name: &str) -> (Matrix, Vec<f64>, Matrix) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/classification/datasets.json");
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let set = &all["datasets"][name];
    let floats =
        |v: &serde_json::Value| -> Vec<f64> { v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect() };
    let columns: Vec<Vec<f64>> = set["x"].as_array().unwrap().iter().map(floats).collect();
    let y = floats(&set["y"]);
    let x = Matrix { n_rows: columns[0].len(), columns };
    let train: Vec<usize> = (0..200).collect();
    let test: Vec<usize> = (200..300).collect();
    (x.take_rows(&train), y[..200].to_vec(), x.take_rows(&test))
}

fn classifier(id: &str, params: &[(&str, ParamValue)]) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Classification, id, &given, 0).unwrap()
}

#[test]
fn a_class_missing_from_the_training_rows_gets_probability_zero() {
    let (x, y, test) = class_set("multiclass");
    let kept: Vec<usize> = (0..y.len()).filter(|&i| y[i] != 1.0).collect();
    let (x2, y2) = (x.take_rows(&kept), kept.iter().map(|&i| y[i]).collect::<Vec<_>>());
    for id in IDS {
        // Classes 0 and 2 only: a binary fit, spread over three columns.
        let fitted = classifier(id, &[]).fit_task(&x2, &y2, 3).unwrap();
        let p = fitted.predict_proba(&test).unwrap().unwrap();
        assert_eq!(p.len(), test.n_rows * 3, "{id}");
        for row in p.chunks(3) {
            assert_eq!(row[1], 0.0, "{id}: {row:?}");
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-6 && row[0] > 0.0 && row[2] > 0.0, "{id}: {row:?}");
        }
        let classes = fitted.predict(&test).unwrap();
        assert!(classes.iter().all(|&c| c == 0.0 || c == 2.0), "{id}");
        assert!(classes.contains(&0.0) && classes.contains(&2.0), "{id}: one class predicted everywhere");
        assert!(fitted.decision_function(&test).is_none(), "{id}: the library class has no decision_function");
        assert_eq!(boosting(&fitted).classes.as_ref().unwrap().trained, vec![0, 2], "{id}");
    }
}

#[test]
fn one_class_is_certain_and_several_grow_a_tree_per_class_and_round() {
    let (x, y, test) = class_set("multiclass");
    for id in IDS {
        let fitted = classifier(id, &[]).fit_task(&x, &vec![2.0; x.n_rows], 3).unwrap();
        let p = fitted.predict_proba(&test).unwrap().unwrap();
        assert!(p.chunks(3).all(|row| row == [0.0, 0.0, 1.0]), "{id}");
        assert!(fitted.predict(&test).unwrap().iter().all(|&c| c == 2.0), "{id}");
        assert!(boosting(&fitted).trees.is_empty(), "{id}");

        let rounds = 7;
        let fitted = classifier(id, &[("n_estimators", ParamValue::Int(rounds))]).fit_task(&x, &y, 3).unwrap();
        let model = boosting(&fitted);
        assert_eq!(model.trees.len(), 3 * rounds as usize, "{id}");
        assert_eq!(model.classes.as_ref().unwrap().base_scores.len(), 3, "{id}");
        // Trees of one round are fitted to different classes' gradients.
        assert_ne!(model.trees[0], model.trees[1], "{id}");
        let p = fitted.predict_proba(&test).unwrap().unwrap();
        assert!(p.chunks(3).all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-6), "{id}");
        // Better than the majority class on the held-out rows.
        let (_, all_y, _) = {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/classification/datasets.json");
            let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let y: Vec<f64> =
                all["datasets"]["multiclass"]["y"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            ((), y, ())
        };
        let truth = &all_y[200..300];
        let predicted = fitted.predict(&test).unwrap();
        let right = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
        let majority = (0..3).map(|c| truth.iter().filter(|&&t| t == c as f64).count()).max().unwrap();
        assert!(right > majority, "{id}: {right} right, the majority class has {majority}");
    }
}

#[test]
fn the_initial_scores_are_the_libraries() {
    use super::grower::Flavour;
    use super::objective::{base_scores, Objective};
    // 3 of 8 positive: LightGBM's log-odds in float64, XGBoost's logit of the float32 mean.
    let labels = [1.0f32, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    let lgb = base_scores(Objective::Binary, Flavour::LightGbm, &labels)[0];
    assert!((lgb - (0.375f64 / 0.625).ln()).abs() < 1e-15, "{lgb}");
    let xgb = base_scores(Objective::Binary, Flavour::XgBoost, &labels)[0];
    assert_eq!(xgb, f64::from(-(1.0f32 / 0.375 - 1.0).ln()));
    // Softmax: LightGBM ln(prior); XGBoost ln(prior + 1e-6) centred (0.5, 0.3, 0.2 of 10 rows).
    let labels = [0.0f32, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0];
    let lgb = base_scores(Objective::Softmax { n_classes: 3 }, Flavour::LightGbm, &labels);
    assert!(lgb.iter().zip([0.5f64, 0.3, 0.2]).all(|(b, p)| (b - p.ln()).abs() < 1e-15), "{lgb:?}");
    let xgb = base_scores(Objective::Softmax { n_classes: 3 }, Flavour::XgBoost, &labels);
    let logs = [0.5f64, 0.3, 0.2].map(|p| (p + 1e-6).ln());
    let mean = logs.iter().sum::<f64>() / 3.0;
    assert!(xgb.iter().zip(logs).all(|(b, l)| (b - (l - mean)).abs() < 1e-6), "{xgb:?}");
    assert!(xgb.iter().sum::<f64>().abs() < 1e-6);
}

/// XGBoost 3.2 weighs a regression target's exact 1s by `scale_pos_weight`
/// (its `RegLossObj`): half the rows at 1 and half at 3 with weight 5 start
/// from (5·1 + 3) / 6 = 4/3, the base score XGBRegressor reports for such
/// data (1.3333334); a target without exact 1s is left alone.
#[test]
fn scale_pos_weight_weighs_a_regression_targets_ones_as_xgboost_does() {
    let n = 200;
    let column: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let x = Matrix { n_rows: n, columns: vec![column.clone()] };
    let y: Vec<f64> = column.iter().map(|&v| if v > 0.0 { 1.0 } else { 3.0 }).collect();
    let ones = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let fit = |y: &[f64], weight: f64| {
        spec("xgboost", &[("scale_pos_weight", ParamValue::Float(weight)), ("n_estimators", ParamValue::Int(5))], 0)
            .fit(&x, y)
            .unwrap()
    };
    let expected = (5.0 * ones + 3.0 * (n as f64 - ones)) / (5.0 * ones + (n as f64 - ones));
    let base = boosting(&fit(&y, 5.0)).base_score;
    assert!((base - expected).abs() < 1e-6, "base score {base}, expected {expected}");
    let plain = boosting(&fit(&y, 1.0)).base_score;
    assert!((plain - y.iter().sum::<f64>() / n as f64).abs() < 1e-6, "{plain}");
    let shifted: Vec<f64> = y.iter().map(|v| v + 0.5).collect();
    assert_eq!(fit(&shifted, 5.0).predict(&x).unwrap(), fit(&shifted, 1.0).predict(&x).unwrap());
}
