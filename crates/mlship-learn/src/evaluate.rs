//! What `create_model` does: the seeded hold-out split, k-fold cross-validation
//! on the training split with the whole pipeline refitted in every fold, the
//! hold-out score of the pipeline fitted on the training split, and optionally
//! `finalize_model`'s refit on every row. Folds run on scoped threads; results
//! do not depend on the number of threads.

use crate::metrics::RegressionMetrics;
use crate::pipeline::{FittedPipeline, PipelineSpec};
use crate::split::{kfold, train_test_split, TrainTestIndices};
use crate::LearnError;
use mlship_data::{ColumnKind, Table};

/// What `train` reports: cross-validated and hold-out scores and the fitted pipeline.
pub struct Evaluation {
    /// The scores of each cross-validation fold on the training split.
    pub folds: Vec<RegressionMetrics>,
    /// Their mean.
    pub mean: RegressionMetrics,
    /// Their standard deviation.
    pub std: RegressionMetrics,
    /// The scores on the hold-out split.
    pub holdout: RegressionMetrics,
    /// Fitted on the training split (or on every row when finalized).
    pub pipeline: FittedPipeline,
    /// What fitting noticed and the user should know.
    pub warnings: Vec<String>,
    /// Which rows were trained on and which held out.
    pub split: TrainTestIndices,
    /// (true, predicted) for every hold-out row, for diagnostic plots.
    pub holdout_points: Vec<(f64, f64)>,
}

struct Scored {
    metrics: RegressionMetrics,
    pipeline: FittedPipeline,
    warnings: Vec<String>,
    points: Vec<(f64, f64)>,
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
    /// The target, one value per row.
    pub y: &'a [f64],
    /// The seed for the split, the folds and randomised models.
    pub seed: u32,
    /// Refit on every row at the end (PyCaret's `finalize_model`).
    pub finalize: bool,
}

fn take(values: &[f64], indices: &[usize]) -> Vec<f64> {
    indices.iter().map(|&i| values[i]).collect()
}

fn score(input: &EvaluationInput<'_>, train: &[usize], test: &[usize]) -> Result<Scored, LearnError> {
    let fit = input.spec.fit(&input.table.take_rows(train), input.kinds, input.target, &take(input.y, train))?;
    let predictions = fit.pipeline.predict(&input.table.take_rows(test))?;
    let truth = take(input.y, test);
    Ok(Scored {
        metrics: RegressionMetrics::compute(&truth, &predictions),
        pipeline: fit.pipeline,
        warnings: fit.warnings,
        points: truth.into_iter().zip(predictions).collect(),
    })
}

/// The (train, test) row indices of each fold.
pub type FoldRows = Vec<(Vec<usize>, Vec<usize>)>;

/// The (train, test) row indices of every fold: `KFold(fold)` without
/// shuffling over the training split's rows, in their split order.
pub fn fold_rows(split: &TrainTestIndices, n_folds: usize) -> Result<FoldRows, LearnError> {
    let folds = kfold(split.train.len(), n_folds)?;
    Ok(folds
        .iter()
        .map(|range| {
            let test = split.train[range.clone()].to_vec();
            let train = split.train[..range.start].iter().chain(&split.train[range.end..]).copied().collect();
            (train, test)
        })
        .collect())
}

/// Cross-validation, then the hold-out score (and the final fit).
pub fn evaluate(input: &EvaluationInput<'_>) -> Result<Evaluation, LearnError> {
    let options = &input.spec.options;
    options.validate()?;
    let split = train_test_split(input.table.n_rows(), options.train_size, input.seed)?;
    let fold_rows = fold_rows(&split, options.fold)?;
    let n_threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(fold_rows.len());
    let fold_scores: Vec<Result<RegressionMetrics, LearnError>> = std::thread::scope(|scope| {
        let chunks: Vec<_> = (0..n_threads)
            .map(|thread_idx| {
                let fold_rows = &fold_rows;
                scope.spawn(move || {
                    (thread_idx..fold_rows.len())
                        .step_by(n_threads)
                        .map(|f| (f, score(input, &fold_rows[f].0, &fold_rows[f].1).map(|s| s.metrics)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut indexed: Vec<(usize, Result<RegressionMetrics, LearnError>)> =
            chunks.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect();
        indexed.sort_by_key(|(f, _)| *f);
        indexed.into_iter().map(|(_, s)| s).collect()
    });
    if fold_scores.len() != fold_rows.len() {
        return Err(LearnError::Numerical { step: "cross-validation".into(), message: "a fold worker stopped".into() });
    }
    let folds = fold_scores.into_iter().collect::<Result<Vec<_>, _>>()?;
    evaluate_holdout(input, folds)
}

/// The hold-out half of `evaluate`, for fold scores computed elsewhere (by
/// `compare`, on the same split and folds): fits on the training split,
/// scores the hold-out rows, and refits on every row when finalizing.
pub fn evaluate_holdout(input: &EvaluationInput<'_>, folds: Vec<RegressionMetrics>) -> Result<Evaluation, LearnError> {
    let split = train_test_split(input.table.n_rows(), input.spec.options.train_size, input.seed)?;
    let (mean, std) = RegressionMetrics::mean_and_std(&folds);
    let Scored { metrics: holdout, mut pipeline, mut warnings, points: holdout_points } =
        score(input, &split.train, &split.test)?;
    if input.finalize {
        let all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        let fit = input.spec.fit(&input.table.take_rows(&all), input.kinds, input.target, &take(input.y, &all))?;
        pipeline = fit.pipeline;
        warnings = fit.warnings;
    }
    check_finite_metrics(&folds, &mean, &std, &holdout)?;
    Ok(Evaluation { folds, mean, std, holdout, pipeline, warnings, split, holdout_points })
}

/// A score that overflowed (a target of 1e308 squares to infinity) means the
/// model cannot be trusted or saved: an error naming the metric, never a
/// run marked finished with NaN scores and an artifact no command can load.
fn check_finite_metrics(
    folds: &[RegressionMetrics],
    mean: &RegressionMetrics,
    std: &RegressionMetrics,
    holdout: &RegressionMetrics,
) -> Result<(), LearnError> {
    let named = folds
        .iter()
        .enumerate()
        .map(|(f, m)| (format!("fold {}", f + 1), m))
        .chain([("the cross-validation mean".to_string(), mean), ("the cross-validation std".to_string(), std)])
        .chain([("the hold-out set".to_string(), holdout)]);
    for (which, metrics) in named {
        if let Some(idx) = metrics.values().iter().position(|v| !v.is_finite()) {
            return Err(LearnError::Numerical {
                step: "evaluation".to_string(),
                message: format!(
                    "the {} on {which} is {} (not a finite number); is the target or a feature too large?",
                    crate::metrics::METRIC_NAMES[idx],
                    metrics.values()[idx]
                ),
            });
        }
    }
    Ok(())
}
