//! `mlship blend` and `mlship stack` as a user runs them: train, save,
//! inspect and predict; a saved blend predicts the weighted mean of its
//! members trained alone; `compare` then `blend --from-run`; and every bad
//! input (too few members, wrong weights, unknown ids, options of the other
//! task, a run that is not a compare) exits non-zero with one line naming
//! the value, and writes no artifact.

// Tests fail by panicking with the value; clippy.toml's test allowances do
// not reach helper functions.
#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{failure, json, ok};
use std::path::Path;
use std::process::Output;

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

/// The scored column of `predict --out` (the last), one value per data row.
fn predicted(dir: &Path, model: &str, data: &str) -> Vec<f64> {
    ok(&mlship(dir, &["predict", "--model", model, "--data", data, "--out", "scored.csv"]));
    let text = std::fs::read_to_string(dir.join("scored.csv")).unwrap();
    text.lines().skip(1).map(|line| line.rsplit(',').next().unwrap().parse().unwrap()).collect()
}

#[test]
fn a_saved_blend_predicts_the_weighted_mean_of_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv");
    let common = ["--data", data, "--target", "charges", "--session-id", "123", "--no-track"];
    let blend =
        [&["blend"][..], &common, &["--include", "lr,ridge,knn", "--weights", "1,2,1", "--save", "b", "--json"]];
    let report = json(&mlship(dir.path(), &blend.concat()));
    assert_eq!(report["model"]["id"], "blend");
    assert_eq!(report["model"]["name"], "Voting Regressor");
    assert_eq!(report["cv"]["folds"].as_array().unwrap().len(), 10);
    assert_eq!(report["artifact"], "b.mlship");
    let inspected = json(&mlship(dir.path(), &["inspect", "b.mlship", "--json"]));
    let members: Vec<&str> = inspected["model"]["spec"]["estimators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["lr", "ridge", "knn"]);
    assert_eq!(inspected["model"]["params"]["weights"], serde_json::json!([1.0, 2.0, 1.0]));
    let blended = predicted(dir.path(), "b.mlship", data);
    let mut members = Vec::new();
    for id in ["lr", "ridge", "knn"] {
        ok(&mlship(dir.path(), &[&["train"][..], &common, &["--model", id, "--save", id]].concat()));
        members.push(predicted(dir.path(), &format!("{id}.mlship"), data));
    }
    assert_eq!(blended.len(), 1338);
    for (row, value) in blended.iter().enumerate() {
        let mean = (members[0][row] + 2.0 * members[1][row] + members[2][row]) / 4.0;
        assert!((value - mean).abs() <= 1e-9 * mean.abs(), "row {row}: {value} vs {mean}");
    }
}

#[test]
fn a_stacked_classifier_trains_saves_and_predicts() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["stack", "--data", "iris", "--include", "lr,knn,dt", "--restack", "--session-id", "1", "--save", "s"];
    let report = json(&mlship(dir.path(), &[&args[..], &["--json", "--no-track"]].concat()));
    assert_eq!(report["model"]["name"], "Stacking Classifier");
    assert!(report["holdout"]["Accuracy"].as_f64().unwrap() > 0.9, "{report}");
    std::fs::write(
        dir.path().join("new.csv"),
        "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    )
    .unwrap();
    ok(&mlship(dir.path(), &["predict", "--model", "s.mlship", "--data", "new.csv", "--out", "scored.csv"]));
    let scored = std::fs::read_to_string(dir.path().join("scored.csv")).unwrap();
    let lines: Vec<&str> = scored.lines().collect();
    assert!(lines[0].ends_with("prediction_label,prediction_score"), "{scored}");
    assert!(lines[1].contains(",setosa,") && lines[2].contains(",virginica,"), "{scored}");
    let text = ok(&mlship(dir.path(), &["inspect", "s.mlship"]));
    assert!(text.contains("estimators = Logistic Regression (lr), K Neighbors Classifier (knn)"), "{text}");
    assert!(text.contains("restack = True"), "{text}");
}

#[test]
fn blend_from_a_compare_run_takes_its_best_models() {
    let dir = tempfile::tempdir().unwrap();
    let compare = ["compare", "--data", "iris", "--include", "ridge,nb,knn,dt", "--param", "knn.n_neighbors=3"];
    let compared = json(&mlship(dir.path(), &[&compare[..], &["--session-id", "1", "--json"]].concat()));
    let best: Vec<&str> =
        compared["models"].as_array().unwrap().iter().take(3).map(|m| m["id"].as_str().unwrap()).collect();
    let run = compared["run"]["id"].as_str().unwrap();
    let args =
        ["blend", "--data", "iris", "--from-run", &run[..8], "--n-select", "3", "--session-id", "1", "--save", "top"];
    ok(&mlship(dir.path(), &args));
    let inspected = json(&mlship(dir.path(), &["inspect", "top.mlship", "--json"]));
    let estimators = inspected["model"]["spec"]["estimators"].as_array().unwrap();
    let members: Vec<&str> = estimators.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(members, best);
    // Each member keeps the parameters the compare ran it with.
    let knn = estimators.iter().find(|m| m["id"] == "knn").expect("knn is among the best three");
    assert_eq!(knn["n_neighbors"], 3, "{knn}");
    // A train run has no leaderboard.
    let trained = json(&mlship(dir.path(), &["train", "--data", "iris", "--model", "nb", "--json"]));
    let train_run = trained["run"]["id"].as_str().unwrap();
    let error = failure(&mlship(dir.path(), &["blend", "--data", "iris", "--from-run", train_run]));
    assert!(error.contains("not a compare run (no leaderboard.json)"), "{error}");
}

#[test]
fn a_calibrated_classifier_trains_saves_and_predicts() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["calibrate", "--data", "breast_cancer", "--model", "nb", "--method", "isotonic", "--session-id", "1"];
    let report = json(&mlship(dir.path(), &[&args[..], &["--save", "c", "--json", "--no-track"]].concat()));
    assert_eq!(report["model"]["name"], "Calibrated Classifier CV");
    assert!(report["holdout"]["AUC"].as_f64().unwrap() > 0.9, "{report}");
    let text = ok(&mlship(dir.path(), &["inspect", "c.mlship"]));
    assert!(text.contains("method = isotonic") && text.contains("estimators = Naive Bayes (nb)"), "{text}");
    let regressor = ["calibrate", "--data", "insurance", "--model", "lr", "--save", "bad", "--no-track"];
    let error = failure(&mlship(dir.path(), &regressor));
    assert!(error.contains("only a classifier's probabilities can be calibrated"), "{error}");
    assert!(!dir.path().join("bad.mlship").exists());
}

#[test]
fn bad_ensembles_exit_with_one_line_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["blend", "--include", "lr"], "blend needs at least two models, got 1"),
        (&["blend", "--include", "lr,ridge", "--weights", "1,2,3"], "3 weights for 2 models"),
        (
            &["blend", "--include", "lr,ridge", "--weights", "1,-1"],
            "\"weights\": [1,-1] is not allowed (expected None or a list of numbers >= 0",
        ),
        (&["blend", "--include", "lr,ridge", "--weights", "0,0"], "the weights are all zero"),
        (&["blend", "--include", "lr,ridge", "--weights", "1,x"], "--weights must be numbers separated by commas"),
        (&["blend", "--include", "lr,nope"], "unknown model \"nope\""),
        (&["blend", "--include", "lr,ridge", "--method", "soft"], "model \"blend\" has no parameter \"method\""),
        (
            &["stack", "--include", "lr,ridge", "--method", "predict_proba"],
            "model \"stack\" has no parameter \"method\"",
        ),
        (&["stack", "--include", "lr,ridge", "--meta-model", "nb"], "meta_model \"nb\" is not a regression model"),
        (
            &["stack", "--include", "lr,ridge", "--meta-model-fold", "1"],
            "parameter \"meta_model_fold\": 1 is not allowed",
        ),
        (&["blend"], "name the members: --include"),
        (&["blend", "--include", "lr,ridge", "--param", "knn.n_neighbors=7"], "\"knn\" is not in --include"),
        (&["blend", "--include", "lr,knn", "--param", "knn.k=7"], "model \"knn\" has no parameter \"k\""),
    ];
    for (args, expected) in cases {
        let full = [*args, &["--data", "insurance", "--save", "bad", "--no-track"]].concat();
        let error = failure(&mlship(dir.path(), &full));
        assert!(error.contains(expected), "{args:?}: {error}");
        assert_eq!(error.lines().count(), 1, "{args:?}: {error}");
        assert!(!dir.path().join("bad.mlship").exists(), "{args:?} wrote an artifact");
    }
    let soft = ["blend", "--data", "iris", "--include", "nb,ridge", "--method", "soft", "--no-track"];
    let error = failure(&mlship(dir.path(), &soft));
    assert!(error.contains("method \"soft\" needs probabilities but model 2 (\"ridge\") has none"), "{error}");
}
