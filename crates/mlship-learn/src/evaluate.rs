//! What `create_model` does: the seeded hold-out split, k-fold cross-validation
//! on the training split with the whole pipeline refitted in every fold, the
//! hold-out score of the pipeline fitted on the training split, and optionally
//! `finalize_model`'s refit on every row. Folds run on scoped threads; results
//! do not depend on the number of threads.

use crate::labels::LabelEncoding;
use crate::pipeline::{FittedPipeline, PipelineSpec};
use crate::predictions::{score_matrix, Predictions};
use crate::scores::Scores;
use crate::split::{kfold, stratified_kfold, stratified_train_test_split, train_test_split, TrainTestIndices};
use crate::LearnError;
use mlship_data::{ColumnKind, Table};

/// What `train` reports: cross-validated and hold-out scores and the fitted pipeline.
pub struct Evaluation {
    /// The scores of each cross-validation fold on the training split.
    pub folds: Vec<Scores>,
    /// Their mean.
    pub mean: Scores,
    /// Their standard deviation.
    pub std: Scores,
    /// The scores on the hold-out split.
    pub holdout: Scores,
    /// Fitted on the training split (or on every row when finalized).
    pub pipeline: FittedPipeline,
    /// What fitting noticed and the user should know.
    pub warnings: Vec<String>,
    /// Which rows were trained on and which held out.
    pub split: TrainTestIndices,
    /// The true target of every hold-out row (class codes for a classifier).
    pub holdout_truth: Vec<f64>,
    /// The pipeline's predictions for those rows, for diagnostic plots.
    pub holdout_predictions: Predictions,
}

impl Evaluation {
    /// (true, predicted) for every hold-out row of a regressor (empty for a classifier).
    pub fn holdout_points(&self) -> Vec<(f64, f64)> {
        match &self.holdout_predictions {
            Predictions::Regression(values) => self.holdout_truth.iter().copied().zip(values.iter().copied()).collect(),
            Predictions::Classification(_) => Vec::new(),
        }
    }
}

struct Scored {
    scores: Scores,
    pipeline: FittedPipeline,
    warnings: Vec<String>,
    truth: Vec<f64>,
    predictions: Predictions,
}

/// What an evaluation runs on: the spec, the data and the seed.
pub struct EvaluationInput<'a> {
    /// The pipeline to fit.
    pub spec: &'a PipelineSpec,
    /// The feature columns.
    pub table: &'a Table,
    /// Each feature column's kind, in column order.
    pub kinds: &'a [ColumnKind],
    /// The target column's name.
    pub target: &'a str,
    /// The target, one value per row (class codes of `labels` for a classifier).
    pub y: &'a [f64],
    /// A classification target's label encoding; `None` for regression.
    pub labels: Option<&'a LabelEncoding>,
    /// The seed for the split, the folds and randomised models.
    pub seed: u32,
    /// Refit on every row at the end (PyCaret's `finalize_model`).
    pub finalize: bool,
}

fn take(values: &[f64], indices: &[usize]) -> Vec<f64> {
    indices.iter().map(|&i| values[i]).collect()
}

fn score(input: &EvaluationInput<'_>, train: &[usize], test: &[usize]) -> Result<Scored, LearnError> {
    let fit = input.spec.fit(
        &input.table.take_rows(train),
        input.kinds,
        input.target,
        &take(input.y, train),
        input.labels,
    )?;
    let x = fit.pipeline.transform(&input.table.take_rows(test))?;
    let truth = take(input.y, test);
    let (scores, predictions) = score_matrix(&fit.pipeline.model, &x, &truth, fit.pipeline.output())?;
    Ok(Scored { scores, pipeline: fit.pipeline, warnings: fit.warnings, truth, predictions })
}

/// The hold-out split: stratified on the classes for a classifier (scikit-learn's
/// `train_test_split(stratify=y)`), shuffled rows otherwise.
pub fn holdout_split(input: &EvaluationInput<'_>) -> Result<TrainTestIndices, LearnError> {
    let options = &input.spec.options;
    match input.labels {
        Some(labels) => stratified_train_test_split(&codes(input.y), options.train_size, input.seed)
            .map_err(|error| name_the_class(error, labels)),
        None => train_test_split(input.table.n_rows(), options.train_size, input.seed),
    }
}

/// The split names a class by its code; the user knows it by its label.
pub(crate) fn name_the_class(error: LearnError, labels: &LabelEncoding) -> LearnError {
    let LearnError::TooFewRows(message) = &error else { return error };
    let Some(rest) = message.strip_prefix("class ") else { return error };
    let (code, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    match code.parse::<usize>().ok().and_then(|code| labels.label(code)) {
        Some(label) => LearnError::TooFewRows(format!("class \"{label}\" {tail}")),
        None => error,
    }
}

fn codes(y: &[f64]) -> Vec<usize> {
    y.iter().map(|&code| code as usize).collect()
}

/// The (train, test) row indices of each fold.
pub type FoldRows = Vec<(Vec<usize>, Vec<usize>)>;

/// The (train, test) row indices of every fold over the training split's
/// rows, in their split order: `KFold(fold)` without shuffling, or for a
/// classifier (`classes` = every row's class code) `StratifiedKFold(fold)`
/// without shuffling, as PyCaret's defaults; with scikit-learn's warning when
/// a class has fewer rows than folds.
pub fn fold_rows(
    split: &TrainTestIndices,
    n_folds: usize,
    classes: Option<&[f64]>,
) -> Result<(FoldRows, Option<String>), LearnError> {
    let Some(classes) = classes else {
        let folds = kfold(split.train.len(), n_folds)?;
        let rows = folds
            .iter()
            .map(|range| {
                let test = split.train[range.clone()].to_vec();
                let train = split.train[..range.start].iter().chain(&split.train[range.end..]).copied().collect();
                (train, test)
            })
            .collect();
        return Ok((rows, None));
    };
    let train_codes: Vec<usize> = split.train.iter().map(|&row| classes[row] as usize).collect();
    let (test_folds, warning) = stratified_kfold(&train_codes, n_folds)?;
    let mut in_test = vec![false; split.train.len()];
    let rows = test_folds
        .iter()
        .map(|test_positions| {
            in_test.iter_mut().for_each(|flag| *flag = false);
            test_positions.iter().for_each(|&p| in_test[p] = true);
            let test = test_positions.iter().map(|&p| split.train[p]).collect();
            let train = (0..split.train.len()).filter(|&p| !in_test[p]).map(|p| split.train[p]).collect();
            (train, test)
        })
        .collect();
    Ok((rows, warning))
}

/// Cross-validation, then the hold-out score (and the final fit).
pub fn evaluate(input: &EvaluationInput<'_>) -> Result<Evaluation, LearnError> {
    let options = &input.spec.options;
    input.spec.check_target(input.labels)?;
    let split = holdout_split(input)?;
    let (fold_rows, fold_warning) = fold_rows(&split, options.fold, input.labels.map(|_| input.y))?;
    let n_threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(fold_rows.len());
    let fold_scores: Vec<Result<Scores, LearnError>> = std::thread::scope(|scope| {
        let chunks: Vec<_> = (0..n_threads)
            .map(|thread_idx| {
                let fold_rows = &fold_rows;
                scope.spawn(move || {
                    (thread_idx..fold_rows.len())
                        .step_by(n_threads)
                        .map(|f| (f, score(input, &fold_rows[f].0, &fold_rows[f].1).map(|s| s.scores)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut indexed: Vec<(usize, Result<Scores, LearnError>)> =
            chunks.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect();
        indexed.sort_by_key(|(f, _)| *f);
        indexed.into_iter().map(|(_, s)| s).collect()
    });
    if fold_scores.len() != fold_rows.len() {
        return Err(LearnError::Numerical { step: "cross-validation".into(), message: "a fold worker stopped".into() });
    }
    let folds = fold_scores.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut evaluation = evaluate_holdout(input, folds)?;
    evaluation.warnings.extend(fold_warning);
    Ok(evaluation)
}

/// The hold-out half of `evaluate`, for fold scores computed elsewhere (by
/// `compare`, on the same split and folds): fits on the training split,
/// scores the hold-out rows, and refits on every row when finalizing.
pub fn evaluate_holdout(input: &EvaluationInput<'_>, folds: Vec<Scores>) -> Result<Evaluation, LearnError> {
    input.spec.check_target(input.labels)?;
    let split = holdout_split(input)?;
    let (mean, std) = Scores::mean_and_std(&folds).ok_or_else(|| LearnError::Numerical {
        step: "cross-validation".into(),
        message: "no fold scores of one task".into(),
    })?;
    let Scored { scores: holdout, mut pipeline, mut warnings, truth, predictions } =
        score(input, &split.train, &split.test)?;
    if input.finalize {
        let all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        let y_all = take(input.y, &all);
        let fit = input.spec.fit(&input.table.take_rows(&all), input.kinds, input.target, &y_all, input.labels)?;
        pipeline = fit.pipeline;
        warnings = fit.warnings;
    }
    check_finite_metrics(&folds, &mean, &std, &holdout)?;
    Ok(Evaluation {
        folds,
        mean,
        std,
        holdout,
        pipeline,
        warnings,
        split,
        holdout_truth: truth,
        holdout_predictions: predictions,
    })
}

/// A score that overflowed (a target of 1e308 squares to infinity) means the
/// model cannot be trusted or saved: an error naming the metric, never a
/// run marked finished with NaN scores and an artifact no command can load.
fn check_finite_metrics(folds: &[Scores], mean: &Scores, std: &Scores, holdout: &Scores) -> Result<(), LearnError> {
    let named = folds
        .iter()
        .enumerate()
        .map(|(f, m)| (format!("fold {}", f + 1), m))
        .chain([("the cross-validation mean".to_string(), mean), ("the cross-validation std".to_string(), std)])
        .chain([("the hold-out set".to_string(), holdout)]);
    for (which, metrics) in named {
        if let Some((name, value)) = metrics.first_non_finite() {
            return Err(LearnError::Numerical {
                step: "evaluation".to_string(),
                message: format!(
                    "the {name} on {which} is {value} (not a finite number); is the target or a feature too large?"
                ),
            });
        }
    }
    Ok(())
}
