//! Where the CLI meets the store: `--store`, recording a `train` as a run
//! (params, metrics, tags, plots, the artifact), and the `experiments`,
//! `runs` and `models` commands.

use crate::diagnostics;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use mlship_learn::{Evaluation, Scores};
use mlship_track::format_time;
use mlship_track::{MetricPoint, ModelRef, ModelSource, NewRun, RunQuery, Store, StoreLocation};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct StoreFlags {
    /// The tracking store: a folder, a .db file, sqlite://PATH or postgres://USER:PASS@HOST/DB
    #[arg(long, env = "MLSHIP_STORE", default_value = mlship_track::DEFAULT_STORE, value_name = "URL")]
    pub store: String,
    /// Where artifacts are kept (default: `artifacts/` beside a SQLite store, `.mlship/artifacts` for PostgreSQL)
    #[arg(long, env = "MLSHIP_ARTIFACTS", value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
}

impl StoreFlags {
    pub fn location(&self) -> Result<StoreLocation> {
        Ok(StoreLocation::parse(&self.store, self.artifacts.as_deref())?)
    }

    pub fn open(&self, runtime: &tokio::runtime::Runtime) -> Result<Store> {
        let location = self.location()?;
        Ok(runtime.block_on(Store::open(location))?)
    }
}

/// A small runtime for the store's async driver; the CLI itself is synchronous.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the runtime")
}

/// The commit of the working directory's git repository, `-dirty` when it
/// has uncommitted changes; None outside a repository or without git.
pub fn git_commit() -> Option<String> {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = run(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty())?;
    let dirty = run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{commit}-dirty") } else { commit })
}

/// `key=value` for `--tag`.
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("a tag is KEY=VALUE, got {text:?}")),
    }
}

/// Flattens a JSON object into params: nested objects as `a.b`, lists comma-joined, null as "None".
pub fn flatten_params(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten_params(&key, inner, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), "None".to_string())),
        Value::String(text) => out.push((prefix.to_string(), text.clone())),
        Value::Array(items) => out.push((
            prefix.to_string(),
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
        )),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// A metric's key in the store: PyCaret's name in lower case without a
/// trailing dot (`r2`, `accuracy`, `prec`); the store's sort reads the
/// direction back from the task tables.
pub fn metric_key(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

/// `prefix<metric><suffix>` points for one row of metrics (non-finite values skipped).
fn metric_points(points: &mut Vec<MetricPoint>, prefix: &str, step: i64, metrics: &Scores, suffix: &str) {
    for (name, value) in metrics.iter() {
        if value.is_finite() {
            points.push(MetricPoint { key: format!("{prefix}{}{suffix}", metric_key(name)), step, value });
        }
    }
}

/// The cross-validation keys: `cv_<m>` (mean), `cv_<m>_std`, and `fold_<m>`
/// with the fold number as its step.
pub fn cv_metrics(folds: &[Scores], mean: &Scores, std: &Scores) -> Vec<MetricPoint> {
    let mut points = Vec::new();
    metric_points(&mut points, "cv_", 0, mean, "");
    metric_points(&mut points, "cv_", 0, std, "_std");
    for (fold, metrics) in folds.iter().enumerate() {
        metric_points(&mut points, "fold_", fold as i64 + 1, metrics, "");
    }
    points
}

/// The metric keys a run of `train` logs: the cross-validation keys and `holdout_<m>`.
pub fn train_metrics(evaluation: &Evaluation) -> Vec<MetricPoint> {
    let mut points = cv_metrics(&evaluation.folds, &evaluation.mean, &evaluation.std);
    metric_points(&mut points, "holdout_", 0, &evaluation.holdout, "");
    points
}

/// A run being recorded by `train`. Its heartbeat ticks while the process
/// trains, so a run on another machine that dies is failed after 15 minutes.
pub struct RunRecorder {
    runtime: tokio::runtime::Runtime,
    store: std::sync::Arc<Store>,
    pub id: String,
    pub experiment: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl RunRecorder {
    pub fn start(flags: &StoreFlags, new: NewRun) -> Result<RunRecorder> {
        let runtime = runtime()?;
        let store = std::sync::Arc::new(flags.open(&runtime)?);
        let id = runtime.block_on(store.start_run(&new))?;
        let beating = store.clone();
        let run_id = id.clone();
        let heartbeat = runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(30)).await;
                let _ = beating.heartbeat(&run_id).await;
            }
        });
        Ok(RunRecorder { runtime, store, id, experiment: new.experiment, heartbeat })
    }

    pub fn store_shown(&self) -> String {
        self.store.shown().to_string()
    }

    /// Metrics, plots and the artifact, then FINISHED.
    pub fn finish(&self, evaluation: &Evaluation, artifact: &[u8]) -> Result<()> {
        self.runtime.block_on(async {
            self.store.log_metrics(&self.id, &train_metrics(evaluation)).await?;
            for (name, svg) in diagnostics::plots(evaluation) {
                self.store.save_run_file(&self.id, &format!("plots/{name}.svg"), "plot", svg.as_bytes()).await?;
            }
            let file = self.store.save_run_file(&self.id, "model.mlship", "model", artifact).await?;
            self.store.finish_run(&self.id, Some(&file)).await?;
            Ok::<(), mlship_track::TrackError>(())
        })?;
        Ok(())
    }

    /// More store calls made while this run is open (a search's child runs).
    pub fn with_store<'a, T, Fut>(&'a self, calls: impl FnOnce(&'a Store) -> Fut) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T, mlship_track::TrackError>> + 'a,
    {
        Ok(self.runtime.block_on(calls(&self.store))?)
    }

    pub fn fail(&self, error: &anyhow::Error) {
        let _ = self.runtime.block_on(self.store.fail_run(&self.id, &crate::error_line(error)));
    }
}

impl Drop for RunRecorder {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

#[derive(Subcommand, Debug)]
pub enum ExperimentsCommand {
    /// Every experiment, with its number of runs and its last run
    #[command(after_help = "Example:\n  mlship experiments list")]
    List {
        #[command(flatten)]
        store: StoreFlags,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RunsCommand {
    /// Runs, newest first or sorted by a metric, optionally filtered
    #[command(
        after_help = "Examples:\n  mlship runs list --experiment insurance-charges --sort holdout_r2\n  mlship runs list --filter \"metrics.cv_mae < 3000 and params.model = 'lr'\" --json"
    )]
    List(RunsListArgs),
    /// One run: params, metrics (with every fold), tags, files
    #[command(after_help = "Example:\n  mlship runs show 3f2a9c")]
    Show {
        /// A run id or a unique prefix of one
        run: String,
        #[command(flatten)]
        store: StoreFlags,
        #[arg(long)]
        json: bool,
    },
    /// Runs side by side; rows that differ are marked with *
    #[command(after_help = "Example:\n  mlship runs compare 3f2a9c 81bd07")]
    Compare {
        /// Two to five run ids (or unique prefixes)
        #[arg(num_args = 2..=5, required = true)]
        runs: Vec<String>,
        #[command(flatten)]
        store: StoreFlags,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct RunsListArgs {
    /// Only this experiment's runs
    #[arg(long)]
    pub experiment: Option<String>,
    /// KEY, KEY ASC or KEY DESC (metrics.*, params.*, tags.*, start_time…); metrics default to best first
    #[arg(long)]
    pub sort: Option<String>,
    /// MLflow-style: metrics.holdout_r2 > 0.8 and params.model = 'lr' and status = 'FINISHED'
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// At most this many runs (0: all)
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Metric columns to show (default: cv_r2, cv_mae, holdout_r2, holdout_mae, or for classification runs
    /// cv_accuracy, cv_auc, holdout_accuracy, holdout_auc; and the sort key)
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    #[command(flatten)]
    pub store: StoreFlags,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Register a run's model, or a .mlship file, as the next version of NAME
    #[command(
        after_help = "Examples:\n  mlship models register insurance 3f2a9c --alias production\n  mlship models register insurance deployment_28042020.mlship"
    )]
    Register {
        name: String,
        /// A run id (or unique prefix) or a .mlship file
        #[arg(value_name = "RUN|FILE")]
        source: String,
        /// Point this alias at the new version
        #[arg(long)]
        alias: Option<String>,
        #[command(flatten)]
        store: StoreFlags,
        #[arg(long)]
        json: bool,
    },
    /// Registered models with their latest version and aliases
    #[command(after_help = "Example:\n  mlship models list")]
    List {
        #[command(flatten)]
        store: StoreFlags,
        #[arg(long)]
        json: bool,
    },
    /// A model's versions, aliases and the history of alias moves
    #[command(after_help = "Example:\n  mlship models show insurance")]
    Show {
        name: String,
        #[command(flatten)]
        store: StoreFlags,
        #[arg(long)]
        json: bool,
    },
    /// Point ALIAS at VERSION, or delete it with --delete
    #[command(
        after_help = "Examples:\n  mlship models alias insurance production 3\n  mlship models alias --delete insurance staging"
    )]
    Alias {
        name: String,
        alias: String,
        version: Option<i64>,
        /// Delete the alias instead of moving it
        #[arg(long)]
        delete: bool,
        #[command(flatten)]
        store: StoreFlags,
    },
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn experiments(command: ExperimentsCommand) -> Result<()> {
    let ExperimentsCommand::List { store, json } = command;
    let runtime = runtime()?;
    let store = store.open(&runtime)?;
    let experiments = runtime.block_on(store.experiments())?;
    if json {
        return print_json(&experiments);
    }
    if experiments.is_empty() {
        println!("No experiments in {} yet: `mlship train` records one.", store.shown());
        return Ok(());
    }
    println!("{:>4}  {:<32} {:>6}  {:<19}", "ID", "NAME", "RUNS", "LAST RUN (UTC)");
    for e in experiments {
        println!("{:>4}  {:<32} {:>6}  {}", e.id, e.name, e.n_runs, e.last_run_at.map(format_time).unwrap_or_default());
    }
    Ok(())
}

fn metric_cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

pub fn runs(command: RunsCommand) -> Result<()> {
    let runtime = runtime()?;
    match command {
        RunsCommand::List(args) => {
            let store = args.store.open(&runtime)?;
            let query = RunQuery {
                experiment: args.experiment.clone(),
                filter: args.filter.clone(),
                sort: args.sort.clone(),
                limit: (args.limit > 0).then_some(args.limit),
                ..RunQuery::default()
            };
            let runs = runtime.block_on(store.list_runs(&query))?;
            if args.json {
                return print_json(&runs);
            }
            // By default the headline metrics of the task the listed runs learnt: classification's when
            // no run has a regression score.
            let classifying = !runs.is_empty()
                && runs.iter().all(|run| run.metrics.get("cv_r2").is_none())
                && runs.iter().any(|run| run.metrics.get("cv_accuracy").is_some());
            let defaults = if classifying {
                ["cv_accuracy", "cv_auc", "holdout_accuracy", "holdout_auc"]
            } else {
                ["cv_r2", "cv_mae", "holdout_r2", "holdout_mae"]
            };
            let mut columns = args.columns.clone().unwrap_or_else(|| defaults.map(str::to_string).to_vec());
            if let Some(sort) = &args.sort {
                let key = mlship_track::filter::parse_sort(sort)?;
                if key.scope == mlship_track::filter::Scope::Metric && !columns.contains(&key.key) {
                    columns.push(key.key);
                }
            }
            print!("{:<8}  {:<24} {:<16} {:<8} {:<19}", "RUN", "EXPERIMENT", "NAME", "STATUS", "START (UTC)");
            for column in &columns {
                print!(" {column:>12}");
            }
            println!();
            for run in &runs {
                print!(
                    "{:<8}  {:<24} {:<16} {:<8} {:<19}",
                    &run.id[..8],
                    truncate(&run.experiment, 24),
                    truncate(&run.name, 16),
                    run.status.as_str(),
                    format_time(run.start_time)
                );
                for column in &columns {
                    print!(" {:>12}", metric_cell(run.metrics.get(column)));
                }
                println!();
            }
            if runs.is_empty() {
                println!("(no runs match)");
            }
            Ok(())
        }
        RunsCommand::Show { run, store, json } => {
            let store = store.open(&runtime)?;
            let detail = runtime.block_on(store.run(&run))?;
            if json {
                return print_json(&detail);
            }
            let r = &detail.run;
            println!("Run {} ({})", r.id, r.name);
            println!("  experiment  {}", r.experiment);
            println!(
                "  status      {}{}",
                r.status.as_str(),
                detail.failure.as_ref().map(|f| format!(": {f}")).unwrap_or_default()
            );
            // A run an MLflow client logged has no process here: its client ends it.
            let origin = match detail.host.as_str() {
                "" => "through the MLflow protocol".to_string(),
                host => format!("on {host} (pid {})", detail.pid),
            };
            println!("  started     {} UTC by {} {origin}", format_time(r.start_time), r.user);
            if let Some(end) = r.end_time {
                println!("  ended       {} UTC ({:.1} s)", format_time(end), (end - r.start_time) as f64 / 1000.0);
            }
            println!("  git commit  {}", detail.git_commit.as_deref().unwrap_or("-"));
            println!("  data        sha256 {}", detail.data_sha256.as_deref().unwrap_or("-"));
            if let (Some(path), Some(sha)) = (&detail.artifact_path, &detail.artifact_sha256) {
                println!("  artifact    {path} (sha256 {})", &sha[..16]);
            }
            println!("Params");
            for (key, value) in r.params.iter() {
                println!("  {key:<32} {value}");
            }
            println!("Metrics");
            for (key, points) in &detail.history {
                if points.len() > 1 {
                    let values: Vec<String> = points.iter().map(|(_, v)| format!("{v:.4}")).collect();
                    println!("  {key:<32} steps {}: {}", points.len(), values.join(" "));
                } else {
                    println!("  {key:<32} {}", metric_cell(r.metrics.get(key)));
                }
            }
            if !r.tags.is_empty() {
                println!("Tags");
                for (key, value) in r.tags.iter() {
                    println!("  {key:<32} {value}");
                }
            }
            println!("Files");
            for file in &detail.files {
                println!("  {:<48} {:>9} bytes  {}", file.path, file.size, file.kind);
            }
            Ok(())
        }
        RunsCommand::Compare { runs, store, json } => {
            let store = store.open(&runtime)?;
            let details = runtime.block_on(async {
                let mut out = Vec::new();
                for run in &runs {
                    out.push(store.run(run).await?.run);
                }
                Ok::<_, mlship_track::TrackError>(out)
            })?;
            let table = mlship_track::search::compare(&details);
            if json {
                return print_json(&table);
            }
            print!("  {:<28}", "");
            for run in &details {
                print!(" {:>14}", &run.id[..8]);
            }
            println!();
            for row in &table {
                print!("{} {:<28}", if row.differs { "*" } else { " " }, truncate(&row.key, 28));
                for value in &row.values {
                    print!(" {:>14}", truncate(value.as_deref().unwrap_or("-"), 14));
                }
                println!();
            }
            Ok(())
        }
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(width - 1).collect();
        short.push('…');
        short
    }
}

pub fn models(command: ModelsCommand) -> Result<()> {
    let runtime = runtime()?;
    match command {
        ModelsCommand::Register { name, source, alias, store, json } => {
            let store = store.open(&runtime)?;
            let source = if Path::new(&source).is_file() {
                ModelSource::File(PathBuf::from(&source))
            } else if source.ends_with(".mlship") || source.contains('/') {
                bail!("{source}: no such file (give a run id or an existing .mlship file)");
            } else {
                ModelSource::Run(source)
            };
            let version = runtime.block_on(store.register(&name, &source, alias.as_deref()))?;
            if json {
                return print_json(&version);
            }
            println!(
                "Registered {} version {} from {}{}",
                version.model,
                version.version,
                version.source,
                alias.map(|a| format!("; alias {} → {}", a.to_lowercase(), version.version)).unwrap_or_default()
            );
            Ok(())
        }
        ModelsCommand::List { store, json } => {
            let store = store.open(&runtime)?;
            let models = runtime.block_on(store.models())?;
            if json {
                return print_json(&models);
            }
            if models.is_empty() {
                println!("No registered models in {} yet: `mlship models register NAME RUN`.", store.shown());
                return Ok(());
            }
            println!("{:<32} {:>7}  {:<19}  ALIASES", "NAME", "LATEST", "CREATED (UTC)");
            for m in models {
                let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("{a}→{v}")).collect();
                println!(
                    "{:<32} {:>7}  {:<19}  {}",
                    m.name,
                    m.latest_version.map(|v| v.to_string()).unwrap_or_default(),
                    format_time(m.created_at),
                    aliases.join(", ")
                );
            }
            Ok(())
        }
        ModelsCommand::Show { name, store, json } => {
            let store = store.open(&runtime)?;
            let model = runtime.block_on(store.model(&name))?;
            let drift = runtime.block_on(store.drift_history(&model.name))?;
            if json {
                let mut value = serde_json::to_value(&model)?;
                value["drift"] = serde_json::to_value(&drift)?;
                return print_json(&value);
            }
            println!("{} · created {} UTC by {}", model.name, format_time(model.created_at), model.created_by);
            println!(
                "{:>7}  {:<19}  {:<10} {:<16} {:<16} SOURCE",
                "VERSION", "CREATED (UTC)", "BY", "SHA256", "ALIASES"
            );
            for v in &model.versions {
                println!(
                    "{:>7}  {:<19}  {:<10} {:<16} {:<16} {}",
                    v.version,
                    format_time(v.created_at),
                    truncate(&v.created_by, 10),
                    &v.artifact_sha256[..16],
                    v.aliases.join(","),
                    v.source
                );
            }
            if !model.history.is_empty() {
                println!("Alias history");
                for e in &model.history {
                    let show = |v: Option<i64>| v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
                    println!(
                        "  {} UTC  {:<12} {} → {}  by {}",
                        format_time(e.changed_at),
                        e.alias,
                        show(e.from_version),
                        show(e.to_version),
                        e.changed_by
                    );
                }
            }
            if !drift.is_empty() {
                println!("Drift reports (mlship monitor)");
                for r in &drift {
                    println!(
                        "  {:>4}  {} UTC  version {:<6} {}/{} columns drifted{}  {}",
                        r.id,
                        format_time(r.created_at),
                        r.model_version,
                        r.number_of_drifted_columns,
                        r.number_of_columns,
                        if r.dataset_drift == 1 { "  DATASET DRIFT" } else { "" },
                        r.current_source
                    );
                }
            }
            Ok(())
        }
        ModelsCommand::Alias { name, alias, version, delete, store } => {
            let store = store.open(&runtime)?;
            match (delete, version) {
                (true, Some(_)) => bail!("--delete takes NAME ALIAS without a version"),
                (true, None) => {
                    runtime.block_on(store.delete_alias(&name, &alias))?;
                    println!("Deleted alias {} of {name}", alias.to_lowercase());
                }
                (false, None) => bail!("give the version to point {alias} at (or --delete)"),
                (false, Some(version)) => {
                    let moved = runtime.block_on(store.set_alias(&name, &alias, version))?;
                    if moved {
                        println!("{name}@{} → version {version}", alias.to_lowercase());
                    } else {
                        println!("{name}@{} already points at version {version}", alias.to_lowercase());
                    }
                }
            }
            Ok(())
        }
    }
}

/// A `--model` value: an existing file, else a registry reference.
pub enum ModelArg {
    File(PathBuf),
    Registry(ModelRef),
}

pub fn parse_model_arg(text: &str) -> Result<ModelArg> {
    let path = Path::new(text);
    if path.is_file() {
        return Ok(ModelArg::File(path.to_path_buf()));
    }
    if text.contains('@') || (text.contains('/') && !text.ends_with(".mlship")) {
        if let Ok(reference) = ModelRef::parse(text) {
            return Ok(ModelArg::Registry(reference));
        }
    }
    if text.ends_with(".mlship") {
        bail!("{text}: no such model file");
    }
    bail!("{text}: no such model file, and not a registry reference (NAME@ALIAS or NAME/VERSION)")
}

/// A model for commands that need a file: the file itself, or a registry
/// version's verified bytes in a private temporary folder.
pub struct ResolvedModel {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
    pub identity: Option<mlship_ship::image::RegistryIdentity>,
}

impl ResolvedModel {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub fn resolve_model_arg(text: &str, flags: &StoreFlags) -> Result<ResolvedModel> {
    match parse_model_arg(text)? {
        ModelArg::File(path) => Ok(ResolvedModel { path, _temp: None, identity: None }),
        ModelArg::Registry(reference) => {
            let runtime = runtime()?;
            let store = flags.open(&runtime)?;
            let version = runtime.block_on(store.resolve(&reference))?;
            let bytes = store.version_bytes(&version)?;
            let temp = tempfile::tempdir().context("cannot create a temporary folder")?;
            let path = temp.path().join("model.mlship");
            std::fs::write(&path, &bytes).with_context(|| format!("{}: cannot write", path.display()))?;
            Ok(ResolvedModel {
                path,
                _temp: Some(temp),
                identity: Some(mlship_ship::image::RegistryIdentity {
                    name: version.model.clone(),
                    version: version.version,
                    reference: reference.to_string(),
                }),
            })
        }
    }
}
