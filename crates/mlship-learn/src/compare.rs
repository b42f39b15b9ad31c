//! What `compare_models` does, faster: every model cross-validated on the
//! same folds of the same training split, ranked by one metric.
//!
//! PyCaret refits the whole preprocessing for every model in every fold. The
//! preprocessing does not depend on the model, so here each fold's
//! preprocessing is fitted once and its transformed train and test matrices
//! are shared by every model (the numbers are the same; the work is divided
//! by the number of models). Then models × folds run as independent work
//! items on every core, pulled from one queue; results are put back in
//! (model, fold) order, so the outcome never depends on the thread count.

use crate::evaluate::fold_rows;
use crate::labels::LabelEncoding;
use crate::models::ModelSpec;
use crate::options::SetupOptions;
use crate::pipeline::{fit_model, fit_preprocessing, FittedPreprocessing};
use crate::predictions::{score_matrix, Output};
use crate::scores::Scores;
use crate::split::{stratified_train_test_split, train_test_split, TrainTestIndices};
use crate::task::Task;
use crate::{LearnError, Matrix};
use mlship_data::{ColumnKind, Table};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to compare, on which data.
pub struct CompareInput<'a> {
    /// The setup options (the same for every model).
    pub options: &'a SetupOptions,
    /// The feature columns.
    pub table: &'a Table,
    /// Each column's kind.
    pub kinds: &'a [ColumnKind],
    /// The target, one value per row (class codes of `labels` for a classifier).
    pub y: &'a [f64],
    /// A classification target's label encoding; `None` for regression.
    pub labels: Option<&'a LabelEncoding>,
    /// The session id: the split and folds.
    pub seed: u32,
    /// The models, in the order they are tried.
    pub models: &'a [ModelSpec],
    /// Stop starting new models after this long (PyCaret's `budget_time`).
    pub budget: Option<Duration>,
    /// Worker threads (defaults to every core).
    pub n_threads: Option<usize>,
    /// Called after each (model, fold) with the model's id: a progress bar.
    pub on_cell_done: Option<&'a (dyn Fn(&str) + Sync)>,
    /// Score on a seeded share of each fold's rows (successive halving's resource).
    pub subsample: Option<Subsample>,
}

/// scikit-learn's `_SubsampleMetaSplitter(subsample_test=True)`: every fold's
/// training and test rows cut to `fraction` of themselves, drawn without
/// replacement with one `RandomState(seed)` across the folds, as
/// `sklearn.utils.resample` draws them (a shuffle, then the first rows).
#[derive(Debug, Clone, Copy)]
pub struct Subsample {
    /// The share of each fold's rows kept, in (0, 1].
    pub fraction: f64,
    /// The seed of the draws.
    pub seed: u32,
}

impl Subsample {
    fn apply(&self, rows: Vec<(Vec<usize>, Vec<usize>)>) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut rng = crate::rng::Mt19937::new(self.seed);
        let mut cut = |indices: Vec<usize>| -> Vec<usize> {
            let keep = (self.fraction * indices.len() as f64) as usize;
            let order = rng.permutation(indices.len());
            order.into_iter().take(keep).map(|i| indices[i]).collect()
        };
        rows.into_iter().map(|(train, test)| (cut(train), cut(test))).collect()
    }
}

/// One model's cross-validation, or why it has none.
#[derive(Debug, Clone)]
pub struct ModelScore {
    /// The model compared.
    pub spec: ModelSpec,
    /// Per-fold metrics (empty when the model failed or was not run).
    pub folds: Vec<Scores>,
    /// Mean over folds.
    pub mean: Option<Scores>,
    /// Population standard deviation over folds.
    pub std: Option<Scores>,
    /// Mean fit time per fold, in seconds (PyCaret's `TT (Sec)`).
    pub fit_seconds: f64,
    /// Why the model has no score: its error, or that the time budget ran out.
    pub error: Option<String>,
    /// Not run because `budget` was spent.
    pub skipped: bool,
}

/// The comparison: the split, the per-model scores in the order given, and
/// the preprocessing warnings of the first fold.
pub struct Comparison {
    /// The hold-out split the folds were cut from.
    pub split: TrainTestIndices,
    /// One score per model, in input order (the caller sorts).
    pub scores: Vec<ModelScore>,
    /// Warnings raised while fitting the preprocessing.
    pub warnings: Vec<String>,
    /// The number of features the models saw (first fold).
    pub n_features: usize,
}

struct PreparedFold {
    preprocessing: FittedPreprocessing,
    x_train: Matrix,
    y_train: Vec<f64>,
    x_test: Matrix,
    y_test: Vec<f64>,
}

fn take(values: &[f64], indices: &[usize]) -> Vec<f64> {
    indices.iter().map(|&i| values[i]).collect()
}

fn prepare_fold(input: &CompareInput<'_>, train: &[usize], test: &[usize]) -> Result<PreparedFold, LearnError> {
    let prepared = fit_preprocessing(input.options, &input.table.take_rows(train), input.kinds, &take(input.y, train))?;
    let x_test = prepared.preprocessing.transform(&input.table.take_rows(test))?;
    Ok(PreparedFold {
        preprocessing: prepared.preprocessing,
        x_train: prepared.x,
        y_train: prepared.y_model,
        x_test,
        y_test: take(input.y, test),
    })
}

/// Runs `job(i)` for i in 0..n on `n_threads` scoped threads, pulling from
/// one counter; results come back in index order.
pub(crate) fn parallel_map<T: Send>(n: usize, n_threads: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|scope| {
        for _ in 0..n_threads.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let idx = next.fetch_add(1, Ordering::Relaxed);
                if idx >= n {
                    break;
                }
                let value = job(idx);
                if let Ok(mut guard) = results.lock() {
                    guard.push((idx, value));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(idx, _)| *idx);
    results.into_iter().map(|(_, value)| value).collect()
}

enum Cell {
    Scored(Scores, f64),
    Failed(String),
    Skipped,
}

fn score_cell(input: &CompareInput<'_>, spec: &ModelSpec, fold: &PreparedFold) -> Cell {
    let started = Instant::now();
    let fitted = match fit_model(spec, &fold.x_train, &fold.y_train, input.labels) {
        Ok(fitted) => fitted,
        Err(error) => return Cell::Failed(error.to_string()),
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = Output {
        labels: input.labels,
        probability_threshold: input.options.probability_threshold,
        target_transform: fold.preprocessing.target_transform.as_ref(),
    };
    match score_matrix(&fitted, &fold.x_test, &fold.y_test, output) {
        Ok((scores, _)) => Cell::Scored(scores, seconds),
        Err(error) => Cell::Failed(error.to_string()),
    }
}

fn summarise(spec: &ModelSpec, cells: Vec<Cell>) -> ModelScore {
    let mut score = ModelScore {
        spec: spec.clone(),
        folds: Vec::new(),
        mean: None,
        std: None,
        fit_seconds: 0.0,
        error: None,
        skipped: false,
    };
    let mut seconds = 0.0;
    for cell in cells {
        match cell {
            Cell::Scored(metrics, fit_seconds) => {
                score.folds.push(metrics);
                seconds += fit_seconds;
            }
            Cell::Failed(error) => {
                score.error.get_or_insert(error);
            }
            Cell::Skipped => score.skipped = true,
        }
    }
    if score.skipped {
        score.error.get_or_insert_with(|| "not run: the time budget was spent".to_string());
    }
    let summary = if score.error.is_none() { Scores::mean_and_std(&score.folds) } else { None };
    if let Some((mean, std)) = summary {
        score.mean = Some(mean);
        score.std = Some(std);
        score.fit_seconds = seconds / score.folds.len() as f64;
    } else {
        score.folds.clear();
    }
    score
}

/// Cross-validates every model on shared folds; a model that fails is a
/// score with its error, never the end of the comparison.
pub fn compare(input: &CompareInput<'_>) -> Result<Comparison, LearnError> {
    let task = if input.labels.is_some() { Task::Classification } else { Task::Regression };
    input.options.validate_for(task)?;
    for spec in input.models {
        if spec.task != task {
            return Err(LearnError::InvalidOption(format!(
                "model \"{}\" is a {} model but the target is a {} target",
                spec.id,
                spec.task.as_str(),
                task.as_str()
            )));
        }
    }
    let started = Instant::now();
    let n_threads = input.n_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let split = match input.labels {
        Some(labels) => {
            let codes: Vec<usize> = input.y.iter().map(|&code| code as usize).collect();
            stratified_train_test_split(&codes, input.options.train_size, input.seed)
                .map_err(|error| crate::evaluate::name_the_class(error, labels))?
        }
        None => train_test_split(input.table.n_rows(), input.options.train_size, input.seed)?,
    };
    let (rows, fold_warning) = fold_rows(&split, input.options.fold, input.labels.map(|_| input.y))?;
    let rows = match &input.subsample {
        Some(subsample) => subsample.apply(rows),
        None => rows,
    };
    let prepared: Vec<Result<PreparedFold, LearnError>> =
        parallel_map(rows.len(), n_threads, |f| prepare_fold(input, &rows[f].0, &rows[f].1));
    let folds = prepared.into_iter().collect::<Result<Vec<_>, _>>()?;
    let n_folds = folds.len();
    let over_budget = || input.budget.is_some_and(|budget| started.elapsed() > budget);
    // A model's first fold decides whether it starts: a model is run whole or not at all.
    let started_models: Vec<AtomicUsize> = input.models.iter().map(|_| AtomicUsize::new(0)).collect();
    let cells = parallel_map(input.models.len() * n_folds, n_threads, |idx| {
        let (model_idx, fold_idx) = (idx / n_folds, idx % n_folds);
        if fold_idx == 0 {
            let state = if over_budget() { 2 } else { 1 };
            started_models[model_idx].store(state, Ordering::SeqCst);
        }
        while started_models[model_idx].load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let cell = if started_models[model_idx].load(Ordering::SeqCst) == 2 {
            Cell::Skipped
        } else {
            score_cell(input, &input.models[model_idx], &folds[fold_idx])
        };
        if let Some(callback) = input.on_cell_done {
            callback(&input.models[model_idx].id);
        }
        cell
    });
    let mut cells = cells.into_iter();
    let scores = input.models.iter().map(|spec| summarise(spec, cells.by_ref().take(n_folds).collect())).collect();
    let first = &folds[0].preprocessing;
    let warnings = first.warnings.iter().cloned().chain(fold_warning).collect();
    Ok(Comparison { split, scores, warnings, n_features: first.feature_names.len() })
}

/// Scores sorted best first by `metric` (failed and skipped models last, in
/// their input order).
pub fn rank(scores: &mut [ModelScore], task: Task, metric: &str) -> Result<(), LearnError> {
    let info = task.metric(metric).ok_or_else(|| {
        let names: Vec<&str> = task.metrics().iter().map(|m| m.name).collect();
        LearnError::InvalidOption(format!("unknown metric \"{metric}\" to sort by (available: {})", names.join(", ")))
    })?;
    let value = |score: &ModelScore| score.mean.as_ref().and_then(|m| m.get(info.name)).unwrap_or(f64::NAN);
    scores.sort_by(|a, b| info.best_first(value(a), value(b)));
    Ok(())
}
