//! The meta-models' own checks: what they compute from their members, the
//! refusals PyCaret makes (and a few it does not), thread-count independence
//! and the round trip through JSON. Parity with scikit-learn is in
//! tests/parity/ensemble.rs.

use super::*;
use crate::matrix::Matrix;
use crate::models::Fitted;
use crate::params::ParamValue;

fn data(n_rows: usize, classify: bool) -> (Matrix, Vec<f64>) {
    let mut x = Matrix::with_rows(n_rows);
    let a: Vec<f64> = (0..n_rows).map(|i| ((i * 37) % 23) as f64 / 7.0 - 1.5).collect();
    let b: Vec<f64> = (0..n_rows).map(|i| ((i * 11) % 17) as f64 / 5.0 - 1.0).collect();
    let y = a
        .iter()
        .zip(&b)
        .enumerate()
        .map(|(i, (a, b))| {
            let value = 2.0 * a - b + ((i * 7) % 5) as f64 / 10.0;
            if classify {
                f64::from(u8::from(value > 0.5)) + f64::from(u8::from(value > 2.0))
            } else {
                value
            }
        })
        .collect();
    x.push_column(a);
    x.push_column(b);
    (x, y)
}

fn member(task: Task, id: &str) -> ModelSpec {
    ModelSpec::with_defaults(task, id, 0).unwrap()
}

fn given(pairs: &[(&str, &str)]) -> Vec<(String, ParamValue)> {
    pairs.iter().map(|(k, v)| (k.to_string(), crate::params::parse_param_text(v))).collect()
}

#[test]
fn a_regression_blend_is_the_weighted_mean_of_its_members() {
    let (x, y) = data(60, false);
    let members = vec![member(Task::Regression, "lr"), member(Task::Regression, "knn")];
    let plain = ModelSpec::ensemble(Task::Regression, "blend", &[], 0, members.clone()).unwrap();
    let weighted =
        ModelSpec::ensemble(Task::Regression, "blend", &given(&[("weights", "1,3")]), 0, members.clone()).unwrap();
    let lr = members[0].fit(&x, &y).unwrap().predict(&x).unwrap();
    let knn = members[1].fit(&x, &y).unwrap().predict(&x).unwrap();
    let mean = plain.fit(&x, &y).unwrap().predict(&x).unwrap();
    let weighted_mean = weighted.fit(&x, &y).unwrap().predict(&x).unwrap();
    for row in 0..x.n_rows {
        assert!((mean[row] - (lr[row] + knn[row]) / 2.0).abs() < 1e-12);
        assert!((weighted_mean[row] - (lr[row] + 3.0 * knn[row]) / 4.0).abs() < 1e-12);
    }
}

#[test]
fn hard_votes_break_ties_to_the_lowest_class() {
    let (x, y) = data(90, true);
    let members = vec![member(Task::Classification, "ridge"), member(Task::Classification, "knn")];
    let spec = ModelSpec::ensemble(Task::Classification, "blend", &[], 0, members.clone()).unwrap();
    let fitted = spec.fit_task(&x, &y, 3).unwrap();
    let FittedModel::Voting(voting) = &fitted else { panic!("not a voting model") };
    assert_eq!(voting.method, VotingMethod::Hard, "auto falls back to hard: ridge has no probabilities");
    assert!(fitted.predict_proba(&x).is_none());
    let ridge = members[0].fit_task(&x, &y, 3).unwrap().predict(&x).unwrap();
    let knn = members[1].fit_task(&x, &y, 3).unwrap().predict(&x).unwrap();
    let voted = fitted.predict(&x).unwrap();
    for row in 0..x.n_rows {
        assert_eq!(voted[row], ridge[row].min(knn[row]), "row {row}: a 1-1 tie goes to the lower class");
    }
    let soft = ModelSpec::ensemble(Task::Classification, "blend", &given(&[("method", "soft")]), 0, members);
    let error = soft.unwrap().fit_task(&x, &y, 3).unwrap_err().to_string();
    assert!(error.contains("model 1 (\"ridge\") has none"), "{error}");
}

#[test]
fn bad_ensembles_are_refused_with_what_and_which_value() {
    let reg = |ids: &[&str]| ids.iter().map(|id| member(Task::Regression, id)).collect::<Vec<_>>();
    let refuse = |task, id, pairs: &[(&str, &str)], members| {
        ModelSpec::ensemble(task, id, &given(pairs), 0, members).unwrap_err().to_string()
    };
    let one = refuse(Task::Regression, "blend", &[], reg(&["lr"]));
    assert!(one.contains("blend needs at least two models, got 1"), "{one}");
    let length = refuse(Task::Regression, "blend", &[("weights", "1,2,3")], reg(&["lr", "knn"]));
    assert!(length.contains("3 weights for 2 models"), "{length}");
    let negative = refuse(Task::Regression, "blend", &[("weights", "1,-1")], reg(&["lr", "knn"]));
    assert!(negative.contains("-1") && negative.contains(">= 0"), "{negative}");
    let zero = refuse(Task::Regression, "blend", &[("weights", "0,0")], reg(&["lr", "knn"]));
    assert!(zero.contains("all zero"), "{zero}");
    let mixed = vec![member(Task::Regression, "lr"), member(Task::Classification, "lr")];
    let tasks = refuse(Task::Regression, "stack", &[], mixed);
    assert!(tasks.contains("model 2 (\"lr\") learns classification but the ensemble learns regression"), "{tasks}");
    let method = refuse(Task::Regression, "blend", &[("method", "soft")], reg(&["lr", "knn"]));
    assert!(method.contains("model \"blend\" has no parameter \"method\""), "{method}");
    let meta = refuse(Task::Regression, "stack", &[("meta_model", "nb")], reg(&["lr", "knn"]));
    assert!(meta.contains("meta_model \"nb\" is not a regression model"), "{meta}");
    let unknown = ModelSpec::with_defaults(Task::Regression, "nope", 0).unwrap_err().to_string();
    assert!(unknown.contains("unknown model \"nope\""), "{unknown}");
    // A spec read from a file is checked again when it is resolved.
    let mut edited = ModelSpec::ensemble(Task::Regression, "blend", &[], 0, reg(&["lr", "knn"])).unwrap();
    edited.estimators.pop();
    assert!(edited.resolved_params().unwrap_err().to_string().contains("at least two"));
    let mut stray = member(Task::Regression, "lr");
    stray.estimators = reg(&["lr", "knn"]);
    assert!(stray.resolved_params().unwrap_err().to_string().contains("takes no estimators"));
}

#[test]
fn members_fit_the_same_on_any_number_of_threads() {
    let (x, y) = data(80, true);
    let members: Vec<ModelSpec> = ["lr", "knn", "nb", "dt"].iter().map(|id| member(Task::Classification, id)).collect();
    let spec = ModelSpec::ensemble(Task::Classification, "stack", &[], 0, members).unwrap();
    let params = spec.resolved_params().unwrap();
    let training = TrainingData { x: &x, y: &y, n_classes: 3 };
    let one = stacking::fit(&spec, &params, &training, 1).unwrap();
    let many = stacking::fit(&spec, &params, &training, 4).unwrap();
    assert_eq!(one, many);
}

#[test]
fn fitted_ensembles_round_trip_and_validate() {
    let (x, y) = data(70, true);
    let members: Vec<ModelSpec> = ["lr", "knn", "ridge"].iter().map(|id| member(Task::Classification, id)).collect();
    for (id, pairs) in [("blend", vec![("weights", "1,2,1")]), ("stack", vec![("restack", "true")])] {
        let spec = ModelSpec::ensemble(Task::Classification, id, &given(&pairs), 0, members.clone()).unwrap();
        let text = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<ModelSpec>(&text).unwrap(), spec);
        let fitted = spec.fit_task(&x, &y, 3).unwrap();
        fitted.validate().unwrap();
        let text = serde_json::to_string(&fitted).unwrap();
        let loaded: FittedModel = serde_json::from_str(&text).unwrap();
        assert_eq!(loaded.predict(&x).unwrap(), fitted.predict(&x).unwrap());
        let mut narrow = Matrix::with_rows(2);
        narrow.push_column(vec![0.0, 1.0]);
        assert!(loaded.predict(&narrow).unwrap_err().to_string().contains("X has 1 features"));
    }
    let spec = ModelSpec::ensemble(Task::Classification, "stack", &[], 0, members).unwrap();
    let FittedModel::Stacking(mut stacking) = spec.fit_task(&x, &y, 3).unwrap() else { panic!("not stacking") };
    stacking.stack_method.pop();
    assert!(stacking.validate().unwrap_err().contains("stack_method has 2 values for 3 members"));
}

#[test]
fn every_model_id_may_be_a_meta_model() {
    for entry in crate::models::all_models() {
        assert!(MODEL_IDS.contains(&entry.id), "{} is missing from MODEL_IDS", entry.id);
    }
}

/// rf and et are scikit-learn's `ensemble` module too: a meta-model is told
/// by its id, never by its family (they were once sent to the meta-model fit).
#[test]
fn a_forest_is_not_fitted_as_a_meta_model() {
    let (x, y) = data(40, false);
    let forest = member(Task::Regression, "rf");
    assert!(!forest.is_ensemble());
    assert!(matches!(forest.fit(&x, &y).unwrap(), FittedModel::Forest(_)));
}

/// Members trained on different columns cannot be one model: a file whose
/// members disagree on the width is refused at load, naming the member.
#[test]
fn members_of_different_widths_are_refused_at_load() {
    let (x, y) = data(50, false);
    let narrow = Matrix { n_rows: x.n_rows, columns: x.columns[..1].to_vec() };
    let wide = member(Task::Regression, "lr").fit(&x, &y).unwrap();
    let thin = member(Task::Regression, "ridge").fit(&narrow, &y).unwrap();
    let voting = FittedVoting { members: vec![wide, thin], weights: None, method: VotingMethod::Mean, n_classes: 0 };
    let error = voting.validate().unwrap_err();
    assert_eq!(error, "member 2 has n_features 1 but member 1 has 2");
    let one = FittedVoting { members: voting.members[..1].to_vec(), ..voting.clone() };
    assert!(one.validate().unwrap_err().contains("1 models (at least 2)"));
    let soft_regressor = FittedVoting { method: VotingMethod::Soft, ..voting };
    assert!(soft_regressor.validate().is_err());
}

#[test]
fn calibrate_takes_one_classifier_and_refuses_a_regressor() {
    let two = vec![member(Task::Classification, "nb"), member(Task::Classification, "lr")];
    let error = ModelSpec::ensemble(Task::Classification, "calibrate", &[], 0, two).unwrap_err().to_string();
    assert!(error.contains("calibrate takes one model, got 2"), "{error}");
    let regressor = vec![member(Task::Regression, "lr")];
    let error = ModelSpec::ensemble(Task::Regression, "calibrate", &[], 0, regressor).unwrap_err().to_string();
    assert!(error.contains("only a classifier's probabilities can be calibrated"), "{error}");
    let method = given(&[("method", "beta")]);
    let error =
        ModelSpec::ensemble(Task::Classification, "calibrate", &method, 0, vec![member(Task::Classification, "nb")]);
    assert!(error.unwrap_err().to_string().contains("one of \"sigmoid\", \"isotonic\""));
}

#[test]
fn calibrated_probabilities_sum_to_one_and_round_trip() {
    let (x, y) = data(90, true);
    for method in ["sigmoid", "isotonic"] {
        let spec = ModelSpec::ensemble(
            Task::Classification,
            "calibrate",
            &given(&[("method", method)]),
            0,
            vec![member(Task::Classification, "ridge")],
        )
        .unwrap();
        let fitted = spec.fit_task(&x, &y, 3).unwrap();
        fitted.validate().unwrap();
        let probabilities = fitted.predict_proba(&x).unwrap().unwrap();
        for row in probabilities.chunks(3) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{method}: {row:?}");
        }
        let loaded: FittedModel = serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
        assert_eq!(loaded.predict_proba(&x).unwrap().unwrap(), probabilities);
        let FittedModel::Calibrated(mut calibrated) = loaded else { panic!("not calibrated") };
        calibrated.folds[0].calibrators.pop();
        assert!(calibrated.validate().unwrap_err().contains("fold 1: 2 calibrators for 3 classes"));
    }
}

/// A file whose ensemble claims other classes than its members learnt is refused.
#[test]
fn members_of_other_classes_are_refused_at_load() {
    let (x, y) = data(60, true);
    let members = vec![member(Task::Classification, "nb"), member(Task::Classification, "knn")];
    let spec = ModelSpec::ensemble(Task::Classification, "blend", &[], 0, members).unwrap();
    let FittedModel::Voting(mut voting) = spec.fit_task(&x, &y, 3).unwrap() else { panic!("not voting") };
    voting.n_classes = 4;
    assert_eq!(voting.validate().unwrap_err(), "member 1 gives 3 class probabilities but the ensemble has 4 classes");
}
