//! PyCaret 3.3.2's own classification `compare_models` (default setup,
//! session 123, every model; `fixtures/pycaret_compare_classification.py`)
//! on a yes/no churn table with missing cells and text features, and on
//! scikit-learn's three-class wine data: the whole classification path
//! (label encoding, stratified split, StratifiedKFold, imputation, one-hot
//! encoding, the models, PyCaret's seven metrics and its AUC rules) must
//! land on PyCaret's Mean row.

use mlship_data::{infer_kinds, CsvOptions, KindOverrides};
use mlship_learn::{compare, CompareInput, LabelEncoding, ModelSpec, SetupOptions, Task};
use serde_json::Value;
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classification")
}

/// The margin each model's Mean row is held to on `metric`.
fn margin(id: &str, metric: &str) -> Option<f64> {
    let randomised =
        |accuracy_auc: f64, rest: f64| Some(if matches!(metric, "Accuracy" | "AUC") { accuracy_auc } else { rest });
    match id {
        // Closed-form or exact fits (lr to L-BFGS-B's tolerance, rbfsvm with libsvm's own CV
        // shuffles, gpc's Laplace fit, ada's and lightgbm's boosting) on PyCaret's float32 copy of
        // the features: at most one row of one fold moves (Accuracy by 1/49 / 10 folds = 0.002;
        // AUC by one swapped pair, 0.0002).
        "lr" | "knn" | "nb" | "ridge" | "lda" | "qda" | "dummy" | "rbfsvm" | "gpc" | "ada" | "lightgbm" => Some(2.5e-3),
        // scikit-learn's trees and random streams, reproduced (exact on wine), but on churn PyCaret's
        // one-hot columns come in first-appearance order where mlship sorts them, so
        // `max_features="sqrt"` draws other columns and near-equal gains rank otherwise: the
        // issue's margin for randomised models, Accuracy and AUC within 0.01 (Kappa and MCC,
        // which amplify one row, within 0.02). svm's SGD epochs and mlp's 500 Adam epochs
        // amplify the float32 copy the same way.
        "dt" | "rf" | "et" | "gbc" | "svm" => randomised(1e-2, 2e-2),
        "mlp" => randomised(1.5e-2, 2e-2),
        // XGBoost's quantile sketch is not reproduced for features of more than 255 distinct
        // values (churn's monthly charges), as for the regressor.
        "xgboost" => randomised(1.5e-2, 2e-2),
        // CatBoost's algorithm at statistical parity (its own fixture); Ordered boosting and the
        // exact score noise are not reproduced.
        "catboost" => randomised(2e-2, 3e-2),
        _ => None,
    }
}

/// Where PyCaret's own figure is not the score: PyCaret 3.3.2 shows AUC 0 for LightGBM on
/// more than two classes (its AUC scorer fails on LGBMClassifier there); mlship scores it.
fn pycaret_shows_no_score(name: &str, id: &str, metric: &str) -> bool {
    (name, id, metric) == ("wine", "lightgbm", "AUC")
}

#[test]
fn classification_leaderboards_match_pycaret_compare_models() {
    let text = std::fs::read_to_string(fixture_dir().join("pycaret_compare_classification.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for (name, case) in fixture["datasets"].as_object().unwrap() {
        let path = fixture_dir().join(case["csv"].as_str().unwrap());
        let mut loaded = mlship_data::read_path(&path, &CsvOptions::default()).unwrap();
        let target = case["target"].as_str().unwrap();
        let column = loaded.table.remove(target).unwrap();
        let encoded = LabelEncoding::fit(target, &column).unwrap();
        let kinds = infer_kinds(&mut loaded.table, &KindOverrides::default()).unwrap();
        let y: Vec<f64> = encoded.codes.iter().map(|&c| c as f64).collect();
        let options = SetupOptions { session_id: Some(123), ..SetupOptions::default() };
        let board = case["board"].as_object().unwrap();
        let models: Vec<ModelSpec> = mlship_learn::models_for(Task::Classification)
            .filter(|entry| margin(entry.id, "Accuracy").is_some() && board.contains_key(entry.id))
            .map(|entry| ModelSpec::with_defaults(Task::Classification, entry.id, 123).unwrap())
            .collect();
        let input = CompareInput {
            options: &options,
            table: &loaded.table,
            kinds: &kinds,
            y: &y,
            labels: Some(&encoded.encoding),
            seed: 123,
            models: &models,
            budget: None,
            n_threads: None,
            on_cell_done: None,
            subsample: None,
        };
        for score in compare(&input).unwrap().scores {
            let id = score.spec.id.as_str();
            if (name.as_str(), id) == ("churn", "qda") {
                // churn's one-hot group makes every class covariance singular: scikit-learn 1.4
                // divides by a singular value of 1e-16 (its scores are rounding noise, near the
                // dummy's), faer computes exactly 0 and mlship refuses to divide by it.
                let error = score.error.unwrap_or_default();
                assert!(error.contains("singular") && error.contains("reg_param"), "{error}");
                continue;
            }
            let mean = score.mean.unwrap_or_else(|| panic!("{name} {id}: {:?}", score.error));
            for (metric, value) in mean.iter() {
                let margin = margin(id, metric).unwrap();
                if pycaret_shows_no_score(name, id, metric) {
                    assert!(value > 0.9, "{name} {id}: {metric} {value}");
                    continue;
                }
                let expected = board[id][metric].as_f64().unwrap();
                assert!(
                    (value - expected).abs() <= margin,
                    "{name} {id}: CV {metric} {value:.6} against PyCaret's {expected:.6} (margin {margin})"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 33, "{checked} model rows checked");
}
