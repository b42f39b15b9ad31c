//! `mlship train`: load the data, resolve the options, run `create_model`'s
//! evaluation, print PyCaret's table, save the artifact and record the run.

use crate::options::{ModelFlags, OptionFlags};
use crate::report;
use crate::track::RunRecorder;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use mlship_artifact::{artifact_path, utc_now_rfc3339, Artifact, CvMetrics, DataFingerprint, Metrics};
use mlship_data::parse::parse_number;
use mlship_data::{datasets, infer_kinds, Column, ColumnKind, CsvOptions, KindOverrides, LoadedTable, Table};
use mlship_learn::{evaluate, Evaluation, EvaluationInput, LabelEncoding, ModelSpec, PipelineSpec, Task};
use std::path::Path;
use std::time::Instant;

/// The training table: `train` and `compare` read it the same way.
#[derive(Args, Debug, Clone)]
pub struct DataFlags {
    /// A CSV or Parquet file, or the name of a bundled dataset (see `mlship datasets`)
    #[arg(long, value_name = "FILE|NAME")]
    pub data: String,
    /// The column to predict (defaults to the bundled dataset's target)
    #[arg(long)]
    pub target: Option<String>,
    /// CSV field delimiter: one character, or "tab"
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// classification or regression (default: inferred from the target, as PyCaret: text, or whole numbers
    /// with at most 20 distinct values, is classification)
    #[arg(long, value_name = "TASK", value_parser = parse_task)]
    pub task: Option<Task>,
}

/// `--task`: PyCaret's module name.
pub fn parse_task(text: &str) -> Result<Task, String> {
    Task::parse(text).ok_or_else(|| format!("the task is classification or regression, got {text:?}"))
}

impl DataFlags {
    /// The table, its target (`--target`, else the config file's, else the
    /// bundled dataset's) and column kinds.
    pub fn load(&self, config_target: Option<String>, options: &mlship_learn::SetupOptions) -> Result<TrainingData> {
        load_training_data(&self.data, self.target.clone().or(config_target), &self.delimiter, self.task, options)
    }
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    #[command(flatten)]
    pub model: ModelFlags,
    /// Save the fitted pipeline as NAME.mlship
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Refit the saved pipeline on every row, as PyCaret's finalize_model
    #[arg(long)]
    pub finalize: bool,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tracking: TrackingFlags,
}

/// How a `train` is recorded in the store.
#[derive(Args, Debug, Clone)]
pub struct TrackingFlags {
    /// The experiment to record the run in (default: DATA-TARGET, e.g. insurance-charges)
    #[arg(long)]
    pub experiment: Option<String>,
    /// The run's name (default: MODEL-SESSION_ID, e.g. lr-123)
    #[arg(long)]
    pub run_name: Option<String>,
    /// A tag for the run, KEY=VALUE (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = crate::track::parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Do not record a run
    #[arg(long)]
    pub no_track: bool,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

impl TrackingFlags {
    /// `--experiment` is checked before any data is read or model trained,
    /// so a name the store refuses never costs a training run.
    pub fn check_experiment(&self) -> Result<()> {
        if let Some(name) = &self.experiment {
            mlship_track::parse_name("experiment", name)?;
        }
        Ok(())
    }

    pub fn default_store() -> Self {
        TrackingFlags {
            experiment: None,
            run_name: None,
            tags: Vec::new(),
            no_track: false,
            store: crate::track::StoreFlags {
                store: std::env::var("MLSHIP_STORE").unwrap_or_else(|_| mlship_track::DEFAULT_STORE.to_string()),
                artifacts: std::env::var_os("MLSHIP_ARTIFACTS").map(std::path::PathBuf::from),
            },
        }
    }
}

pub fn parse_delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        single if single.len() == 1 => Ok(single.as_bytes()[0]),
        other => bail!("invalid option: --delimiter must be one ASCII character or \"tab\", got \"{other}\""),
    }
}

/// A path when such a file exists, else a bundled dataset's name.
pub fn load_data(data: &str, csv: &CsvOptions) -> Result<LoadedTable> {
    let path = Path::new(data);
    if !path.exists() && datasets::find(data).is_some() {
        return Ok(datasets::load(data)?);
    }
    if !path.exists() && !data.contains(['/', '.']) {
        let bundled: Vec<&str> = datasets::BUNDLED.iter().map(|d| d.name).collect();
        bail!("{data}: no such file, and no bundled dataset of that name (bundled: {})", bundled.join(", "));
    }
    Ok(mlship_data::read_path(path, csv)?)
}

/// The target as the learners see it.
pub struct TargetValues {
    /// Classification or regression (forced, or inferred as PyCaret's `get_ml_task`).
    pub task: Task,
    /// One value per kept row: the number, or the class code of `labels`.
    pub y: Vec<f64>,
    /// A classification target's label encoding.
    pub labels: Option<LabelEncoding>,
    /// What the user should know (labels differing only in case, …).
    pub warnings: Vec<String>,
}

/// Takes the target out of the table, drops the rows whose target is
/// missing (their count is returned), decides the task (`forced`, else
/// PyCaret's rule) and label-encodes a classification target.
fn extract_target(
    table: &mut Table,
    target: &str,
    source: &str,
    forced: Option<Task>,
) -> Result<(TargetValues, usize)> {
    let column = table
        .remove(target)
        .ok_or_else(|| anyhow!("{source}: no target column \"{target}\" (columns: {})", table.names.join(", ")))?;
    let kept: Vec<usize> = (0..column.len()).filter(|&i| !column.is_missing(i)).collect();
    if kept.is_empty() {
        bail!("{source}: target \"{target}\" has no values");
    }
    let n_dropped = column.len() - kept.len();
    let column = if n_dropped > 0 {
        *table = table.take_rows(&kept);
        column.take(&kept)
    } else {
        column
    };
    let task = match (&column, forced) {
        (_, Some(task)) => task,
        (Column::Categorical(_), None) => Task::Classification,
        (Column::Numeric(values), None) => {
            let whole = values.iter().all(|v| v.fract() == 0.0);
            let mut distinct = values.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            Task::infer(true, whole, distinct.len())
        }
    };
    let values = match (task, column) {
        (Task::Regression, Column::Numeric(values)) => {
            TargetValues { task, y: values, labels: None, warnings: Vec::new() }
        }
        (Task::Regression, Column::Categorical(categorical)) => {
            let row = (0..categorical.codes.len())
                .find(|&i| categorical.value(i).is_some_and(|v| parse_number(v).is_none()))
                .unwrap_or(0);
            bail!(
                "{source}: target \"{target}\" is not numeric (data row {}, line {}, holds {:?}); regression needs a numeric target",
                row + 1,
                row + 2,
                categorical.value(row).unwrap_or("")
            );
        }
        (Task::Classification, column) => {
            let encoded = LabelEncoding::fit(target, &column).with_context(|| source.to_string())?;
            let y = encoded.codes.iter().map(|&code| code as f64).collect();
            TargetValues { task, y, labels: Some(encoded.encoding), warnings: encoded.warnings }
        }
    };
    Ok((values, n_dropped))
}

/// PyCaret draws a random session id when none is given; so do we, and print it.
fn random_session_id() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    150 + (nanos ^ std::process::id()) % 8851
}

/// `insurance-charges`: the data's file stem (or bundled name) and the target,
/// reduced to the characters experiment names allow.
pub fn default_experiment(data: &str, target: &str) -> String {
    let stem = Path::new(data).file_stem().and_then(|s| s.to_str()).unwrap_or(data);
    let name: String = format!("{stem}-{target}")
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    name.trim_start_matches('.').chars().take(mlship_track::names::MAX_NAME_CHARS).collect()
}

fn new_run(args: &TrainArgs, spec: &PipelineSpec, target: &str, data_sha256: &str) -> mlship_track::NewRun {
    let mut params = Vec::new();
    if let Ok(options) = serde_json::to_value(&spec.options) {
        crate::track::flatten_params("", &options, &mut params);
    }
    params.push(("model".to_string(), spec.model.id().to_string()));
    if let Ok(serde_json::Value::Object(model)) = serde_json::to_value(&spec.model) {
        for (key, value) in model.iter().filter(|(k, _)| !matches!(k.as_str(), "id" | "task" | "estimators")) {
            crate::track::flatten_params(&format!("model.{key}"), value, &mut params);
        }
    }
    if !spec.model.estimators.is_empty() {
        let ids: Vec<&str> = spec.model.estimators.iter().map(ModelSpec::id).collect();
        params.push(("model.estimators".to_string(), ids.join(",")));
    }
    params.push(("data".to_string(), args.input.data.clone()));
    params.push(("target".to_string(), target.to_string()));
    params.push(("finalize".to_string(), args.finalize.to_string()));
    params.sort();
    params.dedup_by(|a, b| a.0 == b.0);
    let tracking = &args.tracking;
    mlship_track::NewRun {
        experiment: tracking.experiment.clone().unwrap_or_else(|| default_experiment(&args.input.data, target)),
        name: tracking.run_name.clone().unwrap_or_else(|| {
            format!("{}-{}", spec.model.id(), spec.options.session_id.map_or_else(String::new, |s| s.to_string()))
        }),
        params,
        tags: tracking.tags.clone(),
        git_commit: crate::track::git_commit(),
        data_sha256: Some(data_sha256.to_string()),
    }
}

pub struct TrainOutcome {
    pub report: report::TrainReport,
    pub artifact: Option<String>,
}

/// The training data as `train` and `compare` read it: the table without its
/// target, the target, each column's kind, and what was dropped on the way.
pub struct TrainingData {
    pub loaded: LoadedTable,
    pub task: Task,
    pub y: Vec<f64>,
    pub labels: Option<LabelEncoding>,
    pub kinds: Vec<ColumnKind>,
    pub target: String,
    pub source: String,
    pub notices: Vec<String>,
    /// Rows and columns of the file as read (before the target was taken out).
    pub shape_read: (usize, usize),
}

/// Reads `data` (a file or a bundled dataset), takes the target out (the
/// bundled dataset's default when none is named) and infers column kinds
/// with the options' overrides.
pub fn load_training_data(
    data: &str,
    target: Option<String>,
    delimiter: &str,
    task: Option<Task>,
    options: &mlship_learn::SetupOptions,
) -> Result<TrainingData> {
    let csv = CsvOptions { delimiter: parse_delimiter(delimiter)? };
    let mut loaded = load_data(data, &csv)?;
    let shape_read = (loaded.table.n_rows(), loaded.table.n_cols());
    let target = match target {
        Some(target) => target,
        None => datasets::find(data)
            .filter(|_| !Path::new(data).exists())
            .map(|d| d.default_target.to_string())
            .ok_or_else(|| anyhow!("--target is required: name the column to predict"))?,
    };
    let source = loaded.source.clone();
    let (values, n_dropped) = extract_target(&mut loaded.table, &target, &source, task)?;
    let mut notices = values.warnings;
    if n_dropped > 0 {
        notices.push(format!("dropped {n_dropped} rows whose target \"{target}\" is missing"));
    }
    let overrides = KindOverrides {
        numeric: options.numeric_features.clone(),
        categorical: options.categorical_features.clone(),
        date: options.date_features.clone(),
        ignore: options.ignore_features.clone(),
    };
    let kinds = infer_kinds(&mut loaded.table, &overrides).with_context(|| source.clone())?;
    Ok(TrainingData {
        loaded,
        task: values.task,
        y: values.y,
        labels: values.labels,
        kinds,
        target,
        source,
        notices,
        shape_read,
    })
}

/// The session id given, or a random one (PyCaret draws one too), recorded in the options.
pub fn session_seed(options: &mut mlship_learn::SetupOptions) -> u32 {
    *options.session_id.get_or_insert_with(random_session_id)
}

pub fn train(args: &TrainArgs) -> Result<TrainOutcome> {
    train_with(args, |extras, seed, task| args.model.resolve(extras, seed, task))
}

/// `train` with the model built by `resolve_model` from the config file's
/// extras, the session seed and the target's task (`blend` and `stack`
/// build a meta-model from their own flags).
pub fn train_with(
    args: &TrainArgs,
    resolve_model: impl FnOnce(&crate::options::ConfigExtras, u32, Task) -> Result<ModelSpec>,
) -> Result<TrainOutcome> {
    let started = Instant::now();
    args.tracking.check_experiment()?;
    let (mut options, extras) = args.options.resolve()?;
    let seed = session_seed(&mut options);
    let TrainingData { loaded, task, y, labels, kinds, target, source, mut notices, shape_read } =
        args.input.load(extras.target.clone(), &options)?;
    let model = resolve_model(&extras, seed, task)?;
    let (n_rows_read, n_cols_read) = shape_read;
    let spec = PipelineSpec { options, model };
    let input = EvaluationInput {
        spec: &spec,
        table: &loaded.table,
        kinds: &kinds,
        target: &target,
        y: &y,
        labels: labels.as_ref(),
        seed,
        finalize: args.finalize,
    };
    // The run is recorded from here: a failure while fitting leaves a FAILED run saying why.
    let recorder = match args.tracking.no_track {
        true => None,
        false => {
            Some(RunRecorder::start(&args.tracking.store, new_run(args, &spec, &target, &loaded.fingerprint.sha256))?)
        }
    };
    let result = fit_and_save(args, &spec, &input, &loaded, &source, (n_rows_read, n_cols_read), recorder.as_ref());
    let (evaluation, artifact_file) = match result {
        Ok(done) => done,
        Err(error) => {
            if let Some(recorder) = &recorder {
                recorder.fail(&error);
            }
            return Err(error);
        }
    };
    notices.extend(evaluation.warnings.iter().cloned());
    let report = report::TrainReport {
        task,
        classes: labels.map(|l| l.classes),
        model_id: spec.model.id().to_string(),
        model_name: spec.model.display_name().to_string(),
        session_id: seed,
        target,
        n_train: evaluation.split.train.len(),
        n_test: evaluation.split.test.len(),
        n_features: evaluation.pipeline.feature_names.len(),
        folds: evaluation.folds,
        mean: evaluation.mean,
        std: evaluation.std,
        holdout: evaluation.holdout,
        artifact: artifact_file.clone(),
        run: recorder.as_ref().map(|r| report::RunInfo {
            id: r.id.clone(),
            experiment: r.experiment.clone(),
            store: r.store_shown(),
        }),
        notices,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    Ok(TrainOutcome { report, artifact: artifact_file })
}

/// Where the training data came from, for the artifact's fingerprint and reference profile.
pub struct DataOrigin<'a> {
    pub source: &'a str,
    pub loaded: &'a LoadedTable,
    pub shape_read: (usize, usize),
    /// The target of every row of `loaded.table` (class codes for a classifier).
    pub y: &'a [f64],
}

/// The artifact of an evaluated pipeline, named after the file it goes to.
pub fn build_artifact(
    path: &Path,
    spec: &PipelineSpec,
    evaluation: &Evaluation,
    seed: u32,
    finalized: bool,
    origin: &DataOrigin<'_>,
) -> Result<Artifact> {
    let shown = path.display().to_string();
    let profile = crate::monitor::profile::reference_profile(
        &evaluation.pipeline,
        &origin.loaded.table,
        &evaluation.split.train,
        origin.y,
        &evaluation.holdout_predictions,
    )
    .map_err(|e| anyhow!("{}: reference profile: {e}", origin.source))?;
    Ok(Artifact {
        name: path.file_stem().and_then(|s| s.to_str()).unwrap_or(&shown).to_string(),
        created_at: utc_now_rfc3339(),
        mlship_version: env!("CARGO_PKG_VERSION").to_string(),
        task: spec.model.task.as_str().to_string(),
        model_name: spec.model.display_name().to_string(),
        session_id: seed,
        finalized,
        spec: spec.clone(),
        pipeline: evaluation.pipeline.clone(),
        metrics: Metrics {
            cv: CvMetrics {
                folds: evaluation.folds.clone(),
                mean: evaluation.mean.clone(),
                std: evaluation.std.clone(),
            },
            holdout: evaluation.holdout.clone(),
        },
        data: DataFingerprint {
            source: origin.source.to_string(),
            sha256: origin.loaded.fingerprint.sha256.clone(),
            n_bytes: origin.loaded.fingerprint.n_bytes,
            n_rows: origin.shape_read.0,
            n_cols: origin.shape_read.1,
        },
        profile: Some(profile),
    })
}

/// Cross-validates, fits, saves `--save` and, when tracking, the run's metrics, plots and artifact.
fn fit_and_save(
    args: &TrainArgs,
    spec: &PipelineSpec,
    input: &EvaluationInput<'_>,
    loaded: &LoadedTable,
    source: &str,
    (n_rows_read, n_cols_read): (usize, usize),
    recorder: Option<&RunRecorder>,
) -> Result<(Evaluation, Option<String>)> {
    let evaluation = evaluate(input).with_context(|| source.to_string())?;
    if args.save.is_none() && recorder.is_none() {
        return Ok((evaluation, None));
    }
    let name = args.save.clone().unwrap_or_else(|| default_experiment(&args.input.data, input.target));
    let path = artifact_path(&name);
    let artifact = build_artifact(
        &path,
        spec,
        &evaluation,
        input.seed,
        args.finalize,
        &DataOrigin { source, loaded, shape_read: (n_rows_read, n_cols_read), y: input.y },
    )?;
    // Serialised once: the same bytes go to --save and to the run.
    let bytes = artifact.to_bytes()?;
    let saved = match &args.save {
        Some(_) => {
            mlship_artifact::save_bytes(&path, &bytes)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    if let Some(recorder) = recorder {
        recorder.finish(&evaluation, &bytes)?;
    }
    Ok((evaluation, saved))
}

pub fn run(args: TrainArgs) -> Result<()> {
    let outcome = train(&args)?;
    report::print_train(&outcome.report, args.json)
}
