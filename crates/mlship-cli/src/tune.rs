//! `mlship tune`: PyCaret's `tune_model`. The model's own search space
//! (PyCaret's `tune_grid`, or `--custom-grid`) is searched at random
//! (`RandomizedSearchCV` with PyCaret's seeded draws, so the same
//! `session_id` tries the same candidates in the same order) or whole
//! (`GridSearchCV`; a random search of a grid no larger than `--n-iter` is
//! one, as PyCaret switches). Candidates × folds run as one `compare` on
//! every core with the preprocessing fitted once per fold. The best
//! candidate by `--optimize` (ties: the first tried, as scikit-learn's
//! `best_index_`) is scored on the hold-out and saved; `--choose-better`
//! keeps the untuned model unless tuning beats it strictly on CV, as
//! PyCaret's `choose_better`. The search is one tracked parent run (the
//! chosen model's metrics and artifact, so it registers like a `train` run)
//! with a child run per candidate.
//!
//! `--json` prints one document: `model` {id, name}, `search` {method,
//! n_iter, optimize, n_candidates, grid}, `candidates` [{index, params (the
//! searched ones), mean, std, folds, TT (Sec), error, rank, run_id}],
//! `best_index`, `best_params`, `chosen` ("tuned" or "original"), `params`
//! (every parameter of the chosen model), `cv` {folds, mean, std},
//! `holdout`, `artifact`, `run`, `notices`, `duration_ms`.

use crate::compare::{option_params, progress_bar};
use crate::options::{parse_param, OptionFlags};
use crate::report::{metrics_header, metrics_row, CvReport, RunInfo};
use crate::track::{cv_metrics, flatten_params, RunRecorder};
use crate::train::{build_artifact, session_seed, DataFlags, DataOrigin, TrackingFlags, TrainingData};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use mlship_learn::params::parse_param_text;
use mlship_learn::search::HalvingSchedule;
use mlship_learn::search::{model_params, tune_grid, Candidate, SearchGrid, SearchMethod};
use mlship_learn::{compare, evaluate_holdout, CompareInput, Evaluation, EvaluationInput, ModelScore, ModelSpec};
use mlship_learn::{ParamValue, PipelineSpec, Subsample, Task};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    /// The model id to tune (`mlship algorithms` lists them)
    #[arg(long)]
    pub model: String,
    /// A fixed hyperparameter of the model, NAME=VALUE (repeatable); the search varies the rest
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, ParamValue)>,
    /// Candidates a random search tries (PyCaret's n_iter)
    #[arg(long, default_value_t = 10)]
    pub n_iter: usize,
    /// The metric the search maximises in its own direction (default R2, or Accuracy for classification)
    #[arg(long)]
    pub optimize: Option<String>,
    /// random: --n-iter points of the grid drawn with the session id; grid: every point; halving:
    /// successive halving (HalvingRandomSearchCV: many candidates on few rows, the best third on 3× the rows, …)
    #[arg(long, value_enum, default_value_t = SearchKind::Random)]
    pub search: SearchKind,
    /// A TOML file of lists to search instead of PyCaret's grid, e.g. `n_neighbors = [3, 5, 7]`
    #[arg(long, value_name = "FILE")]
    pub custom_grid: Option<PathBuf>,
    /// Keep the untuned model when no candidate beats it on CV (PyCaret's choose_better)
    #[arg(long)]
    pub choose_better: bool,
    /// Save the chosen model, fitted on the training split, as NAME.mlship
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Print the search and its outcome as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tracking: TrackingFlags,
}

/// `--search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchKind {
    Random,
    Grid,
    Halving,
}

/// A TOML value of a custom grid as a parameter value (`"None"` is None, as in `--param`).
fn grid_value(name: &str, value: &toml::Value) -> Result<ParamValue> {
    Ok(match value {
        toml::Value::Integer(v) => ParamValue::Int(*v),
        toml::Value::Float(v) => ParamValue::Float(*v),
        toml::Value::Boolean(v) => ParamValue::Bool(*v),
        toml::Value::String(v) => parse_param_text(v),
        toml::Value::Array(items) => match items.iter().map(toml::Value::as_integer).collect::<Option<Vec<i64>>>() {
            Some(numbers) if !numbers.is_empty() => ParamValue::IntList(numbers),
            _ => bail!("custom grid: \"{name}\": a list inside the list must hold integers (layer sizes)"),
        },
        other => bail!("custom grid: \"{name}\": unsupported value {other}"),
    })
}

/// `--custom-grid FILE`: one list of values per parameter.
fn read_custom_grid(path: &Path) -> Result<SearchGrid> {
    let text = std::fs::read_to_string(path).with_context(|| format!("custom grid {}", path.display()))?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        // toml's own message draws the line under the text; one line says where.
        let line = error.span().map_or(1, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        anyhow!("custom grid {}: not TOML (line {line}): {}", path.display(), error.message().trim())
    })?;
    let mut params = Vec::new();
    for (name, values) in &table {
        let toml::Value::Array(values) = values else {
            bail!("custom grid {}: \"{name}\" must be a list of values, e.g. {name} = [1, 2]", path.display());
        };
        let values = values.iter().map(|value| grid_value(name, value)).collect::<Result<Vec<_>>>()?;
        params.push((name.clone(), values));
    }
    SearchGrid::new(params).with_context(|| format!("custom grid {}", path.display()))
}

/// The candidate's parameters on top of the fixed ones.
fn candidate_spec(base: &ModelSpec, candidate: &Candidate, seed: u32) -> Result<ModelSpec, String> {
    let mut merged: BTreeMap<String, ParamValue> = base.params.clone();
    for (name, value) in model_params(&base.id, candidate).map_err(|e| e.to_string())? {
        merged.insert(name, value);
    }
    let given: Vec<(String, ParamValue)> = merged.into_iter().collect();
    ModelSpec::new(base.task, &base.id, &given, seed).map_err(|e| e.to_string())
}

/// One candidate and how it scored (in the last round it reached, for halving).
struct Tried {
    candidate: Candidate,
    score: ModelScore,
    /// The halving round (0 for the other searches).
    round: usize,
    /// The training-split rows of that round.
    n_resources: usize,
}

fn failed_score(base: &ModelSpec, error: String) -> ModelScore {
    ModelScore {
        spec: base.clone(),
        folds: Vec::new(),
        mean: None,
        std: None,
        fit_seconds: 0.0,
        error: Some(error),
        skipped: false,
    }
}

/// Checks every candidate is a valid model before anything is fitted: a
/// custom grid's mistake is the user's and ends the run; a value of PyCaret's
/// own grid that the model refuses (as scikit-learn refuses `C=0`) is that
/// candidate's error, scored last, as PyCaret's `error_score=nan`.
fn candidate_specs(
    base: &ModelSpec,
    drawn: &[Candidate],
    seed: u32,
    custom: bool,
) -> Result<Vec<Result<ModelSpec, String>>> {
    let specs: Vec<Result<ModelSpec, String>> = drawn.iter().map(|c| candidate_spec(base, c, seed)).collect();
    if custom {
        if let Some((candidate, Err(error))) = drawn.iter().zip(&specs).find(|(_, spec)| spec.is_err()) {
            let shown: Vec<String> = candidate.iter().map(|(k, v)| format!("{k}={v}")).collect();
            bail!("custom grid: the candidate {} is invalid: {error}", shown.join(", "));
        }
    }
    Ok(specs)
}

/// Cross-validates the valid candidates (and the untuned model last, for
/// `--choose-better`) in one `compare`; results come back in input order.
fn score_candidates(
    data: &TrainingData,
    options: &mlship_learn::SetupOptions,
    seed: u32,
    specs: Vec<Result<ModelSpec, String>>,
    base: Option<&ModelSpec>,
    show_progress: bool,
    subsample: Option<Subsample>,
) -> Result<(Vec<ModelScore>, Option<ModelScore>, Vec<String>)> {
    let mut models: Vec<ModelSpec> = specs.iter().filter_map(|s| s.as_ref().ok().cloned()).collect();
    models.extend(base.cloned());
    let bar = progress_bar(models.len() * options.fold, show_progress);
    let on_cell = |_: &str| {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let input = CompareInput {
        options,
        table: &data.loaded.table,
        kinds: &data.kinds,
        y: &data.y,
        labels: data.labels.as_ref(),
        seed,
        models: &models,
        budget: None,
        n_threads: None,
        on_cell_done: Some(&on_cell),
        subsample,
    };
    let comparison = compare(&input).with_context(|| data.source.clone())?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut scored = comparison.scores.into_iter();
    let mut scores = Vec::with_capacity(specs.len());
    for spec in specs {
        match spec {
            Ok(_) => scores.push(scored.next().ok_or_else(|| anyhow!("compare returned fewer scores than models"))?),
            Err(error) => scores.push(failed_score(base.unwrap_or(&models[0]), error)),
        }
    }
    let original = base.and_then(|_| scored.next());
    Ok((scores, original, comparison.warnings))
}

/// The mean of `metric`, NaN without a score.
fn mean_of(score: &ModelScore, metric: &str) -> f64 {
    score.mean.as_ref().and_then(|m| m.get(metric)).unwrap_or(f64::NAN)
}

/// Ranks 1.. best first (equal scores share the better rank, as scipy's
/// `rankdata(method="min")` in scikit-learn's `rank_test_score`); failed candidates have none.
fn ranks(tried: &[Tried], task: Task, metric: &str) -> Vec<Option<usize>> {
    let info = task.metric(metric);
    tried
        .iter()
        .map(|t| {
            let value = mean_of(&t.score, metric);
            if value.is_nan() {
                return None;
            }
            // A candidate that reached a later halving round ranks above every one left behind.
            let better = tried
                .iter()
                .filter(|other| {
                    let v = mean_of(&other.score, metric);
                    !v.is_nan()
                        && (other.round > t.round
                            || (other.round == t.round
                                && info.is_some_and(|i| i.best_first(v, value) == std::cmp::Ordering::Less)))
                })
                .count();
            Some(better + 1)
        })
        .collect()
}

/// The rows of the training split (scikit-learn's `n_samples` for the search).
fn split_rows(data: &TrainingData, options: &mlship_learn::SetupOptions) -> usize {
    ((options.train_size * data.y.len() as f64).floor() as usize).min(data.y.len())
}

/// `--search halving`: `HalvingRandomSearchCV`'s rounds — candidates drawn as
/// the random search draws them, scored on a seeded share of every fold's
/// rows, the best third (rounded up) going on to 3× the rows.
fn halving_search(
    args: &TuneArgs,
    data: &TrainingData,
    options: &mlship_learn::SetupOptions,
    seed: u32,
    base: &ModelSpec,
    grid: &SearchGrid,
    optimize: &str,
) -> Result<(Vec<Tried>, Vec<String>, HalvingSchedule)> {
    let n_samples = split_rows(data, options);
    let n_classes = data.labels.as_ref().map_or(0, |labels| labels.classes.len());
    let schedule = HalvingSchedule::new(n_samples, options.fold, n_classes)?;
    let drawn = grid.candidates(SearchMethod::Random, schedule.n_candidates, seed)?;
    let specs = candidate_specs(base, &drawn.candidates, seed, args.custom_grid.is_some())?;
    let mut tried: Vec<Tried> = drawn
        .candidates
        .into_iter()
        .zip(&specs)
        .map(|(candidate, spec)| {
            let error = spec.as_ref().err().cloned().unwrap_or_else(|| "not scored".to_string());
            Tried { candidate, score: failed_score(base, error), round: 0, n_resources: 0 }
        })
        .collect();
    let mut alive: Vec<usize> = (0..tried.len()).filter(|&i| specs[i].is_ok()).collect();
    let mut warnings = Vec::new();
    for round in 0..schedule.n_rounds(tried.len()) {
        let n_resources = schedule.resources(round);
        let subsample = Subsample { fraction: n_resources as f64 / n_samples as f64, seed };
        let round_specs: Vec<Result<ModelSpec, String>> = alive.iter().map(|&i| specs[i].clone()).collect();
        let (scores, _, round_warnings) =
            score_candidates(data, options, seed, round_specs, None, !args.json, Some(subsample))?;
        if round == 0 {
            warnings = round_warnings;
        }
        for (&i, score) in alive.iter().zip(scores) {
            tried[i].score = score;
            tried[i].round = round;
            tried[i].n_resources = n_resources;
        }
        let info = data.task.metric(optimize);
        let mut order = alive.clone();
        order.sort_by(|&a, &b| {
            let (va, vb) = (mean_of(&tried[a].score, optimize), mean_of(&tried[b].score, optimize));
            info.map_or(std::cmp::Ordering::Equal, |i| i.best_first(va, vb))
        });
        order.truncate(schedule.keep(order.len()));
        order.sort_unstable();
        alive = order;
    }
    Ok((tried, warnings, schedule))
}

pub fn run(args: TuneArgs) -> Result<()> {
    let started = Instant::now();
    args.tracking.check_experiment()?;
    let (mut options, extras) = args.options.resolve()?;
    if extras.model.is_some() {
        bail!("tune takes the model from --model and fixed parameters from --param, not from a [model] table");
    }
    let seed = session_seed(&mut options);
    let data = args.input.load(extras.target, &options)?;
    let task = data.task;
    let optimize = args.optimize.clone().unwrap_or_else(|| task.default_sort_metric().to_string());
    let optimize = task.metric(&optimize).map(|m| m.name).ok_or_else(|| {
        let names: Vec<&str> = task.metrics().iter().map(|m| m.name).collect();
        anyhow!("invalid option: --optimize \"{optimize}\" is not a metric (available: {})", names.join(", "))
    })?;
    let base = ModelSpec::new(task, &args.model, &args.params, seed)?;
    let grid = match &args.custom_grid {
        Some(path) => read_custom_grid(path)?,
        None => tune_grid(task, &base.id)?,
    };
    let (tried, method, warnings, schedule) = match args.search {
        SearchKind::Halving => {
            let (tried, warnings, schedule) = halving_search(&args, &data, &options, seed, &base, &grid, optimize)?;
            (tried, SearchMethod::Random, warnings, Some(schedule))
        }
        kind => {
            let method = if kind == SearchKind::Grid { SearchMethod::Grid } else { SearchMethod::Random };
            let drawn = grid.candidates(method, args.n_iter, seed)?;
            let specs = candidate_specs(&base, &drawn.candidates, seed, args.custom_grid.is_some())?;
            let (scores, _, warnings) = score_candidates(&data, &options, seed, specs, None, !args.json, None)?;
            let n_resources = split_rows(&data, &options);
            let tried = drawn
                .candidates
                .into_iter()
                .zip(scores)
                .map(|(candidate, score)| Tried { candidate, score, round: 0, n_resources })
                .collect();
            (tried, drawn.method, warnings, None)
        }
    };
    let rank = ranks(&tried, task, optimize);
    let best_index =
        rank.iter().enumerate().filter_map(|(idx, r)| r.map(|r| (r, idx))).min().map(|(_, idx)| idx).ok_or_else(
            || {
                let error = tried.iter().find_map(|t| t.score.error.clone()).unwrap_or_default();
                anyhow!("every candidate failed; the first error: {error}")
            },
        )?;
    // A halving winner was last scored on a share of the rows: its CV on whole folds, and the
    // untuned model's beside it for --choose-better, in one compare on the same folds. A random
    // or grid winner already has its whole-fold CV.
    let rescore = schedule.is_some();
    let best_spec: Vec<Result<ModelSpec, String>> =
        if rescore { vec![Ok(tried[best_index].score.spec.clone())] } else { Vec::new() };
    let base_spec = args.choose_better.then_some(&base);
    let (mut best, original) = if rescore || base_spec.is_some() {
        let (scores, original, _) = score_candidates(&data, &options, seed, best_spec, base_spec, !args.json, None)?;
        (scores, original)
    } else {
        (Vec::new(), None)
    };
    if !rescore {
        best.push(tried[best_index].score.clone());
    }
    let best = best.pop().ok_or_else(|| anyhow!("the winner was not scored"))?;
    if best.mean.is_none() {
        bail!("the best candidate failed on the whole folds: {}", best.error.as_deref().unwrap_or("no score"));
    }
    // PyCaret's choose_better: the original first, replaced only by a strictly better score.
    let keep_original = original.as_ref().is_some_and(|o| {
        let info = task.metric(optimize);
        let (tuned, untuned) = (mean_of(&best, optimize), mean_of(o, optimize));
        !untuned.is_nan() && info.is_some_and(|i| i.best_first(tuned, untuned) != std::cmp::Ordering::Less)
    });
    let chosen = match (&original, keep_original) {
        (Some(original), true) => original,
        _ => &best,
    };
    let spec = PipelineSpec { options: options.clone(), model: chosen.spec.clone() };
    let input = EvaluationInput {
        spec: &spec,
        table: &data.loaded.table,
        kinds: &data.kinds,
        target: &data.target,
        y: &data.y,
        labels: data.labels.as_ref(),
        seed,
        finalize: false,
    };
    let evaluation = evaluate_holdout(&input, chosen.folds.clone()).with_context(|| data.source.clone())?;
    let outcome = Outcome {
        args: &args,
        task,
        optimize,
        method,
        schedule: schedule.as_ref(),
        grid: &grid,
        tried: &tried,
        rank: &rank,
        best_index,
        chosen_original: keep_original,
        evaluation: &evaluation,
        spec: &spec,
        data: &data,
        seed,
    };
    let (artifact, run) = save_and_record(&outcome)?;
    let notices: Vec<String> = data.notices.iter().chain(&warnings).chain(&evaluation.warnings).cloned().collect();
    print(&outcome, artifact, run, notices, started.elapsed().as_secs_f64() * 1000.0)
}

/// Everything the search decided, for saving, recording and printing.
struct Outcome<'a> {
    args: &'a TuneArgs,
    task: Task,
    optimize: &'static str,
    method: SearchMethod,
    schedule: Option<&'a HalvingSchedule>,
    grid: &'a SearchGrid,
    tried: &'a [Tried],
    rank: &'a [Option<usize>],
    best_index: usize,
    chosen_original: bool,
    evaluation: &'a Evaluation,
    spec: &'a PipelineSpec,
    data: &'a TrainingData,
    seed: u32,
}

/// Where the search was recorded: the parent and one child per candidate.
#[derive(serde::Serialize)]
struct TuneRunInfo {
    #[serde(flatten)]
    run: RunInfo,
    children: Vec<String>,
}

fn candidate_json(candidate: &Candidate) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> =
        candidate.iter().map(|(name, value)| (name.clone(), serde_json::to_value(value).unwrap_or_default())).collect();
    serde_json::Value::Object(map)
}

/// Saves `--save` and records the parent run (the chosen model, like a
/// `train` run) with one child run per candidate.
fn save_and_record(outcome: &Outcome<'_>) -> Result<(Option<String>, Option<TuneRunInfo>)> {
    let args = outcome.args;
    let data = outcome.data;
    if args.save.is_none() && args.tracking.no_track {
        return Ok((None, None));
    }
    let name = args.save.clone().unwrap_or_else(|| format!("{}-tuned", args.model));
    let path = mlship_artifact::artifact_path(&name);
    let origin = DataOrigin { source: &data.source, loaded: &data.loaded, shape_read: data.shape_read, y: &data.y };
    let artifact = build_artifact(&path, outcome.spec, outcome.evaluation, outcome.seed, false, &origin)?;
    let bytes = artifact.to_bytes()?;
    let saved = match &args.save {
        Some(_) => {
            mlship_artifact::save_bytes(&path, &bytes)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    if args.tracking.no_track {
        return Ok((saved, None));
    }
    let mut params = option_params(&outcome.spec.options);
    params.push(("data".to_string(), args.input.data.clone()));
    params.push(("target".to_string(), data.target.clone()));
    params.push(("model".to_string(), outcome.spec.model.id.clone()));
    params.push(("search".to_string(), search_name(outcome).to_string()));
    params.push(("n_iter".to_string(), args.n_iter.to_string()));
    params.push(("optimize".to_string(), outcome.optimize.to_string()));
    params.push(("choose_better".to_string(), args.choose_better.to_string()));
    let model_params = serde_json::to_value(&outcome.spec.model.params).unwrap_or_default();
    flatten_params("model", &model_params, &mut params);
    let mut tags = args.tracking.tags.clone();
    tags.push(("mlship.command".to_string(), "tune".to_string()));
    let experiment = args
        .tracking
        .experiment
        .clone()
        .unwrap_or_else(|| crate::train::default_experiment(&args.input.data, &data.target));
    let new_run = |name: String, params: Vec<(String, String)>, tags: Vec<(String, String)>| mlship_track::NewRun {
        experiment: experiment.clone(),
        name,
        params,
        tags,
        git_commit: crate::track::git_commit(),
        data_sha256: Some(data.loaded.fingerprint.sha256.clone()),
    };
    let run_name = args.tracking.run_name.clone().unwrap_or_else(|| format!("tune-{}-{}", args.model, outcome.seed));
    let recorder = RunRecorder::start(&args.tracking.store, new_run(run_name, params, tags.clone()))?;
    let parent = recorder.id.clone();
    let children = recorder.with_store(|store| async move {
        let mut children = Vec::new();
        for (idx, tried) in outcome.tried.iter().enumerate() {
            let mut params = vec![("model".to_string(), tried.score.spec.id.clone())];
            flatten_params("candidate", &candidate_json(&tried.candidate), &mut params);
            let mut child_tags = tags.clone();
            child_tags.push(("mlflow.parentRunId".to_string(), parent.clone()));
            let child_name = format!("{}-candidate-{idx}", tried.score.spec.id);
            let child = store.start_run(&new_run(child_name, params, child_tags)).await?;
            match (&tried.score.mean, &tried.score.std) {
                (Some(mean), Some(std)) => {
                    store.log_metrics(&child, &cv_metrics(&tried.score.folds, mean, std)).await?;
                    store.finish_run(&child, None).await?;
                }
                _ => store.fail_run(&child, tried.score.error.as_deref().unwrap_or("no score")).await?,
            }
            children.push(child);
        }
        let search = search_json(outcome, &children);
        store.save_run_file(&parent, "search.json", "search", search.to_string().as_bytes()).await?;
        Ok::<_, mlship_track::TrackError>(children)
    })?;
    recorder.finish(outcome.evaluation, &bytes)?;
    let run = RunInfo { id: recorder.id.clone(), experiment, store: recorder.store_shown() };
    Ok((saved, Some(TuneRunInfo { run, children })))
}

/// The candidates as `--json` and the run's `search.json` list them.
fn candidates_json(outcome: &Outcome<'_>, children: &[String]) -> Vec<serde_json::Value> {
    outcome
        .tried
        .iter()
        .enumerate()
        .map(|(idx, tried)| {
            serde_json::json!({
                "index": idx,
                "params": candidate_json(&tried.candidate),
                "mean": tried.score.mean,
                "std": tried.score.std,
                "folds": tried.score.folds,
                "TT (Sec)": tried.score.mean.is_some().then_some(tried.score.fit_seconds),
                "error": tried.score.error,
                "rank": outcome.rank[idx],
                "iter": tried.round,
                "n_resources": tried.n_resources,
                "run_id": children.get(idx),
            })
        })
        .collect()
}

/// "grid", "random" or "halving".
fn search_name(outcome: &Outcome<'_>) -> &'static str {
    if outcome.schedule.is_some() {
        "halving"
    } else {
        outcome.method.as_str()
    }
}

fn search_json(outcome: &Outcome<'_>, children: &[String]) -> serde_json::Value {
    let grid: serde_json::Map<String, serde_json::Value> = outcome
        .grid
        .params()
        .iter()
        .map(|(name, values)| (name.clone(), serde_json::to_value(values).unwrap_or_default()))
        .collect();
    serde_json::json!({
        "method": search_name(outcome),
        "halving": outcome.schedule.map(|s| serde_json::json!({
            "factor": s.factor, "min_resources": s.min_resources, "max_resources": s.max_resources,
            "n_candidates": s.n_candidates, "n_possible_iterations": s.n_possible_rounds,
        })),
        "n_iter": outcome.args.n_iter,
        "optimize": outcome.optimize,
        "n_candidates": outcome.tried.len(),
        "grid": grid,
        "candidates": candidates_json(outcome, children),
        "best_index": outcome.best_index,
        "best_params": candidate_json(&outcome.tried[outcome.best_index].candidate),
        "chosen": if outcome.chosen_original { "original" } else { "tuned" },
    })
}

fn print(
    outcome: &Outcome<'_>,
    artifact: Option<String>,
    run: Option<TuneRunInfo>,
    notices: Vec<String>,
    duration_ms: f64,
) -> Result<()> {
    for notice in &notices {
        eprintln!("notice: {notice}");
    }
    let evaluation = outcome.evaluation;
    let model = &outcome.spec.model;
    if outcome.args.json {
        let children = run.as_ref().map(|r| r.children.clone()).unwrap_or_default();
        let document = serde_json::json!({
            "task": outcome.task.as_str(),
            "model": {"id": model.id, "name": model.display_name()},
            "target": outcome.data.target,
            "session_id": outcome.seed,
            "search": search_json(outcome, &children),
            "params": model.params,
            "rows": {"train": evaluation.split.train.len(), "holdout": evaluation.split.test.len()},
            "cv": CvReport { folds: &evaluation.folds, mean: &evaluation.mean, std: &evaluation.std },
            "holdout": evaluation.holdout,
            "artifact": artifact,
            "run": run,
            "notices": notices,
            "duration_ms": duration_ms,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    let failed = outcome.tried.iter().filter(|t| t.score.mean.is_none()).count();
    println!(
        "{} ({}) · {} search of {} candidates × {} folds · optimizing {} · session_id {}{}",
        model.display_name(),
        model.id,
        search_name(outcome),
        outcome.tried.len(),
        outcome.spec.options.fold,
        outcome.optimize,
        outcome.seed,
        if failed > 0 { format!(" · {failed} failed") } else { String::new() }
    );
    let mut order: Vec<usize> = (0..outcome.tried.len()).collect();
    order.sort_by_key(|&idx| (outcome.rank[idx].unwrap_or(usize::MAX), idx));
    println!("{:>5} {:>12} {:>10}  params", "rank", format!("{} mean", outcome.optimize), "std");
    for &idx in order.iter().take(10) {
        let tried = &outcome.tried[idx];
        let params: Vec<String> = tried.candidate.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match (outcome.rank[idx], &tried.score.mean, &tried.score.std) {
            (Some(rank), Some(mean), Some(std)) => println!(
                "{rank:>5} {:>12.4} {:>10.4}  {}",
                mean.get(outcome.optimize).unwrap_or(f64::NAN),
                std.get(outcome.optimize).unwrap_or(f64::NAN),
                params.join(" ")
            ),
            _ => println!(
                "{:>5} {:>12} {:>10}  {} ({})",
                "-",
                "failed",
                "",
                params.join(" "),
                tried.score.error.as_deref().unwrap_or("no score")
            ),
        }
    }
    if outcome.tried.len() > 10 {
        println!("      … {} more (--json lists every candidate)", outcome.tried.len() - 10);
    }
    if outcome.chosen_original {
        println!("The untuned model scored at least as well on CV: it is kept (--choose-better).");
    } else {
        let best = &outcome.tried[outcome.best_index].candidate;
        let params: Vec<String> = best.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("Best params: {}", params.join(" "));
    }
    println!("{}", metrics_header("Fold", outcome.task));
    for (fold_idx, fold) in evaluation.folds.iter().enumerate() {
        println!("{}", metrics_row(&fold_idx.to_string(), fold));
    }
    println!("{}", metrics_row("Mean", &evaluation.mean));
    println!("{}", metrics_row("Std", &evaluation.std));
    println!("{}", metrics_row("Hold-out", &evaluation.holdout));
    if let Some(path) = &artifact {
        println!("Saved {path}");
    }
    if let Some(run) = &run {
        println!(
            "Recorded run {} with {} candidate runs in experiment {} ({})",
            run.run.id,
            run.children.len(),
            run.run.experiment,
            run.run.store
        );
    }
    println!("Done in {duration_ms:.0} ms");
    Ok(())
}
