//! `mlship compare`: PyCaret's `compare_models`. Every model of the turbo set
//! (or `--include`/`--exclude`/`--no-turbo`) is cross-validated on the same
//! folds with the preprocessing shared per fold, ranked by `--sort` in the
//! metric's own direction, printed as PyCaret's leaderboard (or `--json`),
//! recorded as one parent run with a child run per model, and the best
//! (`--n-select` best) refitted as `create_model` would and saved.

use crate::options::{parse_param, OptionFlags};
use crate::report;
use crate::train::{build_artifact, session_seed, DataFlags, DataOrigin, TrackingFlags, TrainingData};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use mlship_learn::{compare, evaluate_holdout, models_for, rank, CompareInput, EvaluationInput, ModelScore};
use mlship_learn::{ModelSpec, ParamValue, PipelineSpec, SetupOptions, Task};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    /// Only these model ids (comma-separated), in this order
    #[arg(long, value_delimiter = ',')]
    pub include: Vec<String>,
    /// Leave these model ids out (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Also run the slow models PyCaret leaves out by default (its turbo=False)
    #[arg(long)]
    pub no_turbo: bool,
    /// A hyperparameter for one model, ID.NAME=VALUE (repeatable), e.g. --param knn.n_neighbors=7
    #[arg(long = "param", value_name = "ID.NAME=VALUE", value_parser = parse_model_param)]
    pub params: Vec<(String, String, ParamValue)>,
    /// The metric to rank by, best first in its own direction (default R2)
    #[arg(long)]
    pub sort: Option<String>,
    /// How many of the best models to keep (saved as NAME_1, NAME_2, … with --save)
    #[arg(long, default_value_t = 1)]
    pub n_select: usize,
    /// Stop starting new models after this many minutes (PyCaret's budget_time)
    #[arg(long, value_name = "MINUTES")]
    pub budget_time: Option<f64>,
    /// What a model that fails does: a row with its error (ignore), or the end of the run (raise)
    #[arg(long, value_enum, default_value_t = ErrorPolicy::Ignore)]
    pub errors: ErrorPolicy,
    /// Save the best model (the --n-select best) refitted on the training split, as NAME.mlship
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Print the leaderboard as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tracking: TrackingFlags,
}

/// PyCaret's `errors` argument of `compare_models`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorPolicy {
    Ignore,
    Raise,
}

/// `knn.n_neighbors=7` → ("knn", "n_neighbors", 7).
pub(crate) fn parse_model_param(text: &str) -> std::result::Result<(String, String, ParamValue), String> {
    let (name, value) = parse_param(text)?;
    match name.split_once('.') {
        Some((id, param)) if !id.is_empty() && !param.is_empty() => Ok((id.to_string(), param.to_string(), value)),
        _ => Err(format!("expected ID.NAME=VALUE (e.g. knn.n_neighbors=7), got \"{text}\"")),
    }
}

/// The models to compare, in PyCaret's order (or `--include`'s), with their parameters.
fn selected_models(args: &CompareArgs, seed: u32, task: Task) -> Result<Vec<ModelSpec>> {
    for id in args.include.iter().chain(&args.exclude).chain(args.params.iter().map(|(id, _, _)| id)) {
        mlship_learn::find_model(task, id)?;
    }
    let ids: Vec<&str> = if args.include.is_empty() {
        models_for(task).filter(|entry| entry.turbo || args.no_turbo).map(|entry| entry.id).collect()
    } else {
        args.include.iter().map(String::as_str).collect()
    };
    let ids: Vec<&str> = ids.into_iter().filter(|id| !args.exclude.iter().any(|x| x == id)).collect();
    if ids.is_empty() {
        bail!("no model left to compare (--include/--exclude removed every one)");
    }
    let mut seen = std::collections::BTreeSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(*id))
        .map(|id| {
            let given: Vec<(String, ParamValue)> =
                args.params.iter().filter(|(m, _, _)| m == id).map(|(_, n, v)| (n.clone(), v.clone())).collect();
            Ok(ModelSpec::new(task, id, &given, seed)?)
        })
        .collect()
}

pub(crate) fn progress_bar(total: usize, show: bool) -> Option<indicatif::ProgressBar> {
    if !show || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    let style = indicatif::ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} fits · {msg} · {elapsed}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

pub fn run(args: CompareArgs) -> Result<()> {
    let started = Instant::now();
    args.tracking.check_experiment()?;
    let (mut options, extras) = args.options.resolve()?;
    if extras.model.is_some() || !extras.model_params.is_empty() {
        bail!("compare runs many models: use --include and --param ID.NAME=VALUE instead of a [model] table");
    }
    let seed = session_seed(&mut options);
    let data = args.input.load(extras.target, &options)?;
    let task = data.task;
    let sort = args.sort.clone().unwrap_or_else(|| task.default_sort_metric().to_string());
    let sort_metric = task.metric(&sort).map(|m| m.name).ok_or_else(|| {
        let names: Vec<&str> = task.metrics().iter().map(|m| m.name).collect();
        anyhow::anyhow!("invalid option: --sort \"{sort}\" is not a metric (available: {})", names.join(", "))
    })?;
    if args.n_select == 0 {
        bail!("invalid option: --n-select must be at least 1");
    }
    let budget = match args.budget_time {
        Some(minutes) if minutes.is_finite() && minutes > 0.0 => Some(Duration::from_secs_f64(minutes * 60.0)),
        Some(minutes) => bail!("invalid option: --budget-time must be a positive number of minutes, got {minutes}"),
        None => None,
    };
    let models = selected_models(&args, seed, task)?;
    let bar = progress_bar(models.len() * options.fold, !args.json);
    let on_cell = |id: &str| {
        if let Some(bar) = &bar {
            bar.set_message(id.to_string());
            bar.inc(1);
        }
    };
    let input = CompareInput {
        options: &options,
        table: &data.loaded.table,
        kinds: &data.kinds,
        y: &data.y,
        labels: data.labels.as_ref(),
        seed,
        models: &models,
        budget,
        n_threads: None,
        on_cell_done: Some(&on_cell),
        subsample: None,
    };
    let comparison = compare(&input).with_context(|| data.source.clone())?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut scores = comparison.scores;
    if args.errors == ErrorPolicy::Raise {
        if let Some(failed) = scores.iter().find(|s| s.error.is_some() && !s.skipped) {
            bail!("model \"{}\" failed: {}", failed.spec.id, failed.error.as_deref().unwrap_or(""));
        }
    }
    rank(&mut scores, task, sort_metric)?;
    let selected: Vec<&ModelScore> = scores.iter().filter(|s| s.mean.is_some()).take(args.n_select).collect();
    let saved = save_selected(&args, &options, &data, seed, &selected)?;
    let tracked = match args.tracking.no_track {
        true => None,
        false => Some(record_compare(&args.tracking, &args.input.data, &data, &options, &scores, sort_metric)?),
    };
    let leaderboard = report::Leaderboard {
        task,
        sort: sort_metric,
        session_id: seed,
        target: &data.target,
        n_train: comparison.split.train.len(),
        n_test: comparison.split.test.len(),
        n_folds: options.fold,
        n_features: comparison.n_features,
        scores: &scores,
        saved: &saved,
        run: tracked.as_ref(),
        notices: data.notices.iter().chain(&comparison.warnings).cloned().collect(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    report::print_leaderboard(&leaderboard, args.json)
}

/// Refits the selected models on the training split (scoring the hold-out)
/// and saves each as an ordinary artifact: NAME, or NAME_1… for several.
fn save_selected(
    args: &CompareArgs,
    options: &SetupOptions,
    data: &TrainingData,
    seed: u32,
    selected: &[&ModelScore],
) -> Result<Vec<report::SavedModel>> {
    let Some(name) = &args.save else { return Ok(Vec::new()) };
    let mut saved = Vec::new();
    for (rank_idx, score) in selected.iter().enumerate() {
        let spec = PipelineSpec { options: options.clone(), model: score.spec.clone() };
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
        let evaluation = evaluate_holdout(&input, score.folds.clone()).with_context(|| data.source.clone())?;
        let file_name = if selected.len() == 1 { name.clone() } else { format!("{name}_{}", rank_idx + 1) };
        let path = mlship_artifact::artifact_path(&file_name);
        let origin = DataOrigin { source: &data.source, loaded: &data.loaded, shape_read: data.shape_read, y: &data.y };
        let artifact = build_artifact(&path, &spec, &evaluation, seed, false, &origin)?;
        mlship_artifact::save_bytes(&path, &artifact.to_bytes()?)?;
        saved.push(report::SavedModel {
            id: score.spec.id.clone(),
            path: path.display().to_string(),
            holdout: evaluation.holdout,
        });
    }
    Ok(saved)
}

/// The options as run params (`normalize`, `fold`, …), as `train` records them.
pub(crate) fn option_params(options: &SetupOptions) -> Vec<(String, String)> {
    let mut params = Vec::new();
    if let Ok(value) = serde_json::to_value(options) {
        crate::track::flatten_params("", &value, &mut params);
    }
    params
}

/// One parent run (the leaderboard as a file) and one child run per model,
/// tagged `mlflow.parentRunId` as MLflow's clients nest runs; a failed model's
/// run is FAILED with its error.
pub fn record_compare(
    tracking: &TrackingFlags,
    data_arg: &str,
    data: &TrainingData,
    options: &SetupOptions,
    scores: &[ModelScore],
    sort: &str,
) -> Result<report::CompareRunInfo> {
    let runtime = crate::track::runtime()?;
    let store = tracking.store.open(&runtime)?;
    let experiment =
        tracking.experiment.clone().unwrap_or_else(|| crate::train::default_experiment(data_arg, &data.target));
    let seed = options.session_id.map_or_else(String::new, |s| s.to_string());
    let mut base = option_params(options);
    base.push(("data".to_string(), data_arg.to_string()));
    base.push(("target".to_string(), data.target.clone()));
    let mut parent_params = base.clone();
    parent_params.push(("sort".to_string(), sort.to_string()));
    let ids: Vec<&str> = scores.iter().map(|s| s.spec.id.as_str()).collect();
    parent_params.push(("models".to_string(), ids.join(",")));
    let mut tags = tracking.tags.clone();
    tags.push(("mlship.command".to_string(), "compare".to_string()));
    let new_run = |name: String, params: Vec<(String, String)>, tags: Vec<(String, String)>| mlship_track::NewRun {
        experiment: experiment.clone(),
        name,
        params,
        tags,
        git_commit: crate::track::git_commit(),
        data_sha256: Some(data.loaded.fingerprint.sha256.clone()),
    };
    let parent_name = tracking.run_name.clone().unwrap_or_else(|| format!("compare-{seed}"));
    let children = runtime.block_on(async {
        let parent = store.start_run(&new_run(parent_name, parent_params, tags.clone())).await?;
        let mut children = Vec::new();
        for score in scores {
            let mut params = base.clone();
            params.push(("model".to_string(), score.spec.id.clone()));
            if let Ok(serde_json::Value::Object(model)) = serde_json::to_value(&score.spec.params) {
                for (key, value) in &model {
                    crate::track::flatten_params(&format!("model.{key}"), value, &mut params);
                }
            }
            let mut child_tags = tags.clone();
            child_tags.push(("mlflow.parentRunId".to_string(), parent.clone()));
            let child = store.start_run(&new_run(format!("{}-{seed}", score.spec.id), params, child_tags)).await?;
            match (&score.mean, &score.std, &score.error) {
                (Some(mean), Some(std), _) => {
                    store.log_metrics(&child, &crate::track::cv_metrics(&score.folds, mean, std)).await?;
                    store.finish_run(&child, None).await?;
                }
                (_, _, error) => store.fail_run(&child, error.as_deref().unwrap_or("no score")).await?,
            }
            children.push((score.spec.id.clone(), child));
        }
        Ok::<_, mlship_track::TrackError>((parent, children))
    });
    let (parent, children) = children?;
    let board: Vec<serde_json::Value> = scores
        .iter()
        .zip(&children)
        .map(|(score, (_, run))| {
            serde_json::json!({"id": score.spec.id, "Model": score.spec.display_name(), "run_id": run,
                "mean": score.mean, "std": score.std, "TT (Sec)": score.fit_seconds, "error": score.error})
        })
        .collect();
    let document = serde_json::json!({"task": data.task.as_str(), "sort": sort, "models": board});
    runtime.block_on(async {
        store.save_run_file(&parent, "leaderboard.json", "leaderboard", document.to_string().as_bytes()).await?;
        store.finish_run(&parent, None).await
    })?;
    Ok(report::CompareRunInfo { id: parent, experiment, store: store.shown().to_string(), children })
}
