//! `compare` shares each fold's preprocessing between models: its fold
//! scores must be exactly those of `evaluate` (which refits everything per
//! model, as PyCaret does), whatever the thread count; a failing model is a
//! row with its error; a spent budget skips whole models.

use mlship_data::ColumnKind;
use mlship_data::Table;
use mlship_learn::{compare, evaluate, rank, CompareInput, EvaluationInput, ModelSpec, ParamValue, PipelineSpec};
use mlship_learn::{SetupOptions, Task};

fn insurance() -> (Table, Vec<ColumnKind>, Vec<f64>) {
    let data = mlship_testkit::seed::insurance();
    (data.table, data.kinds, data.y)
}

fn spec(id: &str, params: &[(&str, ParamValue)]) -> ModelSpec {
    let given: Vec<(String, ParamValue)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    ModelSpec::new(Task::Regression, id, &given, 123).unwrap()
}

#[test]
fn compare_scores_equal_evaluate_scores_for_any_thread_count() {
    let (table, kinds, y) = insurance();
    let options =
        SetupOptions { session_id: Some(123), normalize: true, transform_target: true, ..SetupOptions::default() };
    let models = vec![spec("lr", &[]), spec("ridge", &[("alpha", ParamValue::Float(3.0))]), spec("dummy", &[])];
    let run = |n_threads| {
        let input = CompareInput {
            options: &options,
            table: &table,
            kinds: &kinds,
            y: &y,
            seed: 123,
            models: &models,
            budget: None,
            n_threads: Some(n_threads),
            on_cell_done: None,
        };
        compare(&input).unwrap()
    };
    let (one, two) = (run(1), run(3));
    for (model, (a, b)) in models.iter().zip(one.scores.iter().zip(&two.scores)) {
        assert_eq!(a.folds, b.folds, "{}: thread count changed the scores", model.id);
        let pipeline = PipelineSpec { options: options.clone(), model: model.clone() };
        let evaluation = evaluate(&EvaluationInput {
            spec: &pipeline,
            table: &table,
            kinds: &kinds,
            target: "charges",
            y: &y,
            seed: 123,
            finalize: false,
        })
        .unwrap();
        assert_eq!(a.folds, evaluation.folds, "{}: shared preprocessing changed the scores", model.id);
        assert!(a.error.is_none() && a.fit_seconds >= 0.0);
    }
}

#[test]
fn failures_are_rows_and_ranking_follows_the_metric_direction() {
    let (table, kinds, y) = insurance();
    let options = SetupOptions { session_id: Some(1), fold: 3, ..SetupOptions::default() };
    let broken = spec("dummy", &[("strategy", ParamValue::Str("quantile".into()))]);
    let models = vec![broken, spec("dummy", &[]), spec("lr", &[])];
    let input = CompareInput {
        options: &options,
        table: &table,
        kinds: &kinds,
        y: &y,
        seed: 1,
        models: &models,
        budget: None,
        n_threads: None,
        on_cell_done: None,
    };
    let mut scores = compare(&input).unwrap().scores;
    assert!(scores[0].error.as_deref().unwrap_or("").contains("needs the parameter \"quantile\""));
    rank(&mut scores, Task::Regression, "R2").unwrap();
    let order: Vec<&str> = scores.iter().map(|s| s.spec.id.as_str()).collect();
    assert_eq!(order, ["lr", "dummy", "dummy"]);
    assert!(scores[2].error.is_some(), "the failed model sorts last");
    rank(&mut scores, Task::Regression, "mae").unwrap();
    assert_eq!(scores[0].spec.id, "lr", "smaller MAE is better");
    assert!(rank(&mut scores, Task::Regression, "AUC").unwrap_err().to_string().contains("unknown metric \"AUC\""));

    let spent = CompareInput { budget: Some(std::time::Duration::ZERO), ..input };
    std::thread::sleep(std::time::Duration::from_millis(2));
    let skipped = compare(&spent).unwrap().scores;
    assert!(skipped.iter().all(|s| s.skipped && s.folds.is_empty()), "a spent budget runs no model");
}
