//! `mlship monitor`: compares what a model sees now (a data file, or the
//! inference logs `serve` wrote) with what it was trained on (the profile in
//! its artifact, or a reference file), column by column with Evidently's
//! tests, and writes a self-contained HTML report and `--json`.
//! `--fail-on-drift` makes drift an exit status for CI.

pub mod current;
pub mod logs;
pub mod profile;

use crate::train::{load_data, parse_delimiter};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use mlship_artifact::Artifact;
use mlship_data::{Column, CsvOptions};
use mlship_learn::{FittedPipeline, Predictions};
use mlship_monitor::drift::{column_drift, data_drift, ColumnDrift, DriftOptions, DEFAULT_DRIFT_SHARE};
use mlship_monitor::profile::{numeric_profile, profile_table, ColumnProfile, ReferenceProfile};
use mlship_monitor::report::{DataInfo, MetricSet, ModelInfo, MonitorReport, Performance};
use mlship_monitor::stattest::StatTest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The exit status of `--fail-on-drift` when the data set drifted (1 is any other failure).
pub const DRIFT_EXIT_CODE: u8 = 3;

#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// The model (NAME.mlship), or a registry reference (NAME@ALIAS, NAME/VERSION)
    #[arg(long, value_name = "FILE|REF")]
    pub model: String,
    /// The current data: a CSV or Parquet file with the model's input columns (and the target, for performance)
    #[arg(long, value_name = "FILE", required_unless_present = "logs", conflicts_with = "logs")]
    pub data: Option<PathBuf>,
    /// The current data: the inference logs `serve --log-inferences DIR` wrote (this model version's rows)
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
    /// With --logs: rows scored at or after this time (RFC 3339 in UTC, or 24h / 30m / 7d ago)
    #[arg(long, value_name = "TIME", requires = "logs")]
    pub since: Option<String>,
    /// With --logs: rows scored before this time (RFC 3339 in UTC, or 24h / 30m / 7d ago)
    #[arg(long, value_name = "TIME", requires = "logs")]
    pub until: Option<String>,
    /// With --logs: a CSV of actuals (request_id, actual, optional row) joined to the logged rows, beside POST /feedback's
    #[arg(long, value_name = "FILE", requires = "logs")]
    pub actuals: Option<PathBuf>,
    /// With --logs: the live performance also per window of this size
    #[arg(long, value_name = "hour|day", requires = "logs", value_parser = ["hour", "day"])]
    pub window: Option<String>,
    /// Compare with this file instead of the model's profile (every row, exactly as Evidently would)
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// The test for every column (ks, chisquare, z, wasserstein, jensenshannon, psi), or COLUMN=TEST for one; repeatable
    #[arg(long, value_name = "[COLUMN=]TEST")]
    pub stattest: Vec<String>,
    /// The drift threshold for every column, or COLUMN=VALUE for one; repeatable
    #[arg(long, value_name = "[COLUMN=]VALUE")]
    pub threshold: Vec<String>,
    /// The share of drifted columns at which the data set drifts (Evidently's drift_share)
    #[arg(long, default_value_t = DEFAULT_DRIFT_SHARE)]
    pub drift_share: f64,
    /// Where to write the HTML report
    #[arg(long, value_name = "FILE", default_value = "monitor_report.html")]
    pub report: PathBuf,
    /// Exit with status 3 when the data set drifted (for CI)
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Print the report as JSON (Evidently's field names) instead of a table
    #[arg(long)]
    pub json: bool,
    /// CSV field delimiter: one character, or "tab"
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Do not record the report in the tracking store
    #[arg(long)]
    pub no_track: bool,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

/// `COLUMN=VALUE` entries and at most one bare `VALUE`.
fn split_overrides<T>(
    entries: &[String],
    flag: &str,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<(Option<T>, BTreeMap<String, T>)> {
    let mut all = None;
    let mut per_column = BTreeMap::new();
    for entry in entries {
        match entry.split_once('=') {
            Some((column, value)) => {
                let parsed = parse(value).with_context(|| format!("--{flag} {entry}"))?;
                per_column.insert(column.to_string(), parsed);
            }
            None if all.is_some() => bail!("--{flag} {entry}: a value for every column was already given"),
            None => all = Some(parse(entry).with_context(|| format!("--{flag} {entry}"))?),
        }
    }
    Ok((all, per_column))
}

impl MonitorArgs {
    fn drift_options(&self, pipeline: &FittedPipeline) -> Result<DriftOptions> {
        let (stattest, per_column_stattest) =
            split_overrides(&self.stattest, "stattest", |name| StatTest::from_name(name).map_err(|e| anyhow!("{e}")))?;
        let (threshold, per_column_threshold) = split_overrides(&self.threshold, "threshold", |text| {
            let value: f64 = text.trim().parse().map_err(|_| anyhow!("\"{text}\" is not a number"))?;
            if !value.is_finite() || value < 0.0 {
                bail!("a threshold is a finite number ≥ 0, not {value}");
            }
            Ok(value)
        })?;
        for column in per_column_stattest.keys().chain(per_column_threshold.keys()) {
            if !pipeline.schema.iter().any(|c| &c.name == column) {
                let known: Vec<&str> = pipeline.schema.iter().map(|c| c.name.as_str()).collect();
                bail!("no input column \"{column}\" in the model (its columns: {})", known.join(", "));
            }
        }
        if !(self.drift_share > 0.0 && self.drift_share <= 1.0) {
            bail!("--drift-share {}: a share in (0, 1]", self.drift_share);
        }
        Ok(DriftOptions {
            stattest,
            per_column_stattest,
            threshold,
            per_column_threshold,
            drift_share: self.drift_share,
        })
    }
}

/// The rows of one side whose actual is known.
struct Scored {
    /// The actual of each row (a number, or a class code).
    truth: Vec<f64>,
    /// The rows' inputs.
    table: mlship_data::Table,
    /// Each row's time (logs only; empty for a file).
    times: Vec<String>,
}

/// One side's data: its columns' profiles, predictions and actuals.
struct Side {
    info: DataInfo,
    columns: Vec<ColumnProfile>,
    prediction: Option<ColumnProfile>,
    target: Option<ColumnProfile>,
    /// The rows with an actual: truth (numbers, or class codes) and inputs.
    scored: Option<Scored>,
    extra: Vec<String>,
    notices: Vec<String>,
}

/// Rows the model scores at once: the transformed matrix of a batch (the
/// one-hot and polynomial features) is what would otherwise grow with the file.
const PREDICT_BATCH_ROWS: usize = 16_384;

/// The pipeline's predictions for every row of `table`, `batch` rows at a time.
fn predict_in_batches(pipeline: &FittedPipeline, table: &mlship_data::Table, batch: usize) -> Result<Predictions> {
    let n = table.n_rows();
    if n <= batch {
        return Ok(pipeline.predict(table)?);
    }
    let mut all: Option<Predictions> = None;
    for start in (0..n).step_by(batch) {
        let rows: Vec<usize> = (start..(start + batch).min(n)).collect();
        let part = pipeline.predict(&table.take_rows(&rows))?;
        all = Some(match (all, part) {
            (None, part) => part,
            (Some(Predictions::Regression(mut values)), Predictions::Regression(more)) => {
                values.extend(more);
                Predictions::Regression(values)
            }
            (Some(Predictions::Classification(mut classes)), Predictions::Classification(more)) => {
                classes.codes.extend(more.codes);
                classes.probabilities = match (classes.probabilities, more.probabilities) {
                    (Some(mut p), Some(q)) => {
                        p.extend(q);
                        Some(p)
                    }
                    _ => None,
                };
                Predictions::Classification(classes)
            }
            _ => bail!("the model changed task between two batches"),
        });
    }
    all.ok_or_else(|| anyhow!("no rows to predict"))
}

/// Reads a data file and profiles it whole (no sketch: current data and a
/// reference file are compared exactly), with the model's predictions.
fn profile_file(path: &Path, pipeline: &FittedPipeline, delimiter: &str) -> Result<Side> {
    let shown = path.display().to_string();
    let loaded = load_data(&shown, &CsvOptions { delimiter: parse_delimiter(delimiter)? })?;
    let data = current::conform(loaded.table, pipeline, &shown)?;
    let n_rows = data.table.n_rows();
    if n_rows == 0 {
        bail!("{shown}: no rows to monitor");
    }
    let columns = profile_table(&data.table, &profile::roles(pipeline), None, usize::MAX).map_err(|e| anyhow!(e))?;
    let mut notices = Vec::new();
    let predictions = if data.changed_type.is_empty() {
        match predict_in_batches(pipeline, &data.table, PREDICT_BATCH_ROWS) {
            Ok(predictions) => Some(predictions),
            Err(error) => {
                notices.push(format!("predictions not computed: {error}"));
                None
            }
        }
    } else {
        notices.push(format!(
            "predictions not computed: column{} {} no longer hold{} numbers",
            if data.changed_type.len() == 1 { "" } else { "s" },
            data.changed_type.join(", "),
            if data.changed_type.len() == 1 { "s" } else { "" }
        ));
        None
    };
    let prediction = predictions.as_ref().map(|p| profile::prediction_profile(p, pipeline.labels.as_ref(), usize::MAX));
    let (target, scored) = match (&data.actuals, predictions) {
        (Some(actuals), Some(_)) => {
            let (target, scored) = actual_rows(actuals, pipeline, &data.table, &shown, &mut notices);
            (Some(target), scored)
        }
        (Some(actuals), None) => (Some(actuals_profile(actuals, pipeline)), None),
        (None, _) => (None, None),
    };
    Ok(Side {
        info: DataInfo { source: shown, number_of_rows: n_rows, since: None, until: None },
        columns,
        prediction,
        target,
        scored,
        extra: data.extra,
        notices,
    })
}

fn actuals_profile(actuals: &Column, pipeline: &FittedPipeline) -> ColumnProfile {
    match actuals {
        Column::Numeric(values) if pipeline.labels.is_none() => numeric_profile(
            &pipeline.target,
            values.len(),
            values.iter().copied().filter(|v| !v.is_nan()).collect(),
            usize::MAX,
        ),
        other => mlship_monitor::profile::profile_column(
            &pipeline.target,
            &current::as_labels(other),
            mlship_monitor::profile::ColumnRole::Categorical,
            None,
            usize::MAX,
        ),
    }
}

/// The target's profile and the rows whose actual is known (and, for a classifier, a known class).
fn actual_rows(
    actuals: &Column,
    pipeline: &FittedPipeline,
    table: &mlship_data::Table,
    shown: &str,
    notices: &mut Vec<String>,
) -> (ColumnProfile, Option<Scored>) {
    let target = actuals_profile(actuals, pipeline);
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    let mut unknown = BTreeMap::<String, usize>::new();
    for row in 0..actuals.len() {
        let value = match (&pipeline.labels, actuals) {
            (None, Column::Numeric(values)) => Some(values[row]).filter(|v| !v.is_nan()),
            (None, Column::Categorical(c)) => c.value(row).and_then(mlship_data::parse::parse_number),
            (Some(labels), column) => {
                let text = match column {
                    Column::Numeric(values) => {
                        (!values[row].is_nan()).then(|| mlship_data::parse::canonical_number_text(values[row]))
                    }
                    Column::Categorical(c) => c.value(row).map(str::to_string),
                };
                text.and_then(|text| match labels.code_of_text(&text) {
                    Ok(code) => Some(code as f64),
                    Err(_) => {
                        *unknown.entry(text).or_default() += 1;
                        None
                    }
                })
            }
        };
        if let Some(value) = value {
            rows.push(row);
            truth.push(value);
        }
    }
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().take(5).map(|(l, n)| format!("{l:?} ({n} rows)")).collect();
        notices.push(format!(
            "{shown}: target \"{}\" holds labels never seen in training, left out of the performance: {}",
            pipeline.target,
            listed.join(", ")
        ));
    }
    if rows.is_empty() {
        notices.push(format!("{shown}: no row has a usable actual in \"{}\"", pipeline.target));
        return (target, None);
    }
    (target, Some(Scored { truth, table: table.take_rows(&rows), times: Vec::new() }))
}

fn pairs(scores: &mlship_learn::Scores) -> Vec<(String, f64)> {
    scores.iter().map(|(n, v)| (n.to_string(), v)).collect()
}

/// The task's metrics on some rows, the way training scored the hold-out
/// (the model scores them again: the same digest gives the served predictions,
/// with the probabilities AUC needs).
fn metric_set(pipeline: &FittedPipeline, truth: &[f64], table: &mlship_data::Table) -> Result<MetricSet> {
    let x = pipeline.transform(table)?;
    let (scores, _) = mlship_learn::predictions::score_matrix(&pipeline.model, &x, truth, pipeline.output())?;
    Ok(MetricSet { number_of_rows: truth.len(), metrics: pairs(&scores), start: None, end: None })
}

/// Live performance on the rows with actuals, overall and per window, beside the hold-out.
fn performance(artifact: &Artifact, scored: &Scored, window: Option<&str>) -> Result<Performance> {
    let pipeline = &artifact.pipeline;
    let mut windows = Vec::new();
    if let Some(window) = window {
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (row, time) in scored.times.iter().enumerate() {
            groups.entry(logs::window_key(time, window)).or_default().push(row);
        }
        for rows in groups.values() {
            let truth: Vec<f64> = rows.iter().map(|&r| scored.truth[r]).collect();
            let mut set = metric_set(pipeline, &truth, &scored.table.take_rows(rows))?;
            set.start = rows.first().map(|&r| scored.times[r].clone());
            set.end = rows.last().map(|&r| scored.times[r].clone());
            windows.push(set);
        }
    }
    Ok(Performance {
        holdout: pairs(&artifact.metrics.holdout),
        current: metric_set(pipeline, &scored.truth, &scored.table)?,
        windows,
    })
}

/// The current side from inference logs.
fn profile_logs(args: &MonitorArgs, dir: &Path, pipeline: &FittedPipeline, digest: &str) -> Result<Side> {
    let since = args.since.as_deref().map(logs::resolve_time).transpose().context("--since")?;
    let until = args.until.as_deref().map(logs::resolve_time).transpose().context("--until")?;
    let logged = logs::read(dir, since.as_deref(), until.as_deref(), pipeline, digest, args.actuals.as_deref())?;
    let columns = profile_table(&logged.table, &profile::roles(pipeline), None, usize::MAX).map_err(|e| anyhow!(e))?;
    let prediction = Some(profile::served_prediction_profile(&logged.predictions, pipeline));
    let mut notices = logged.notices;
    let known: Vec<usize> = (0..logged.actuals.len()).filter(|&r| logged.actuals[r].is_some()).collect();
    let (target, scored) = if known.is_empty() {
        (None, None)
    } else {
        let values: Vec<serde_json::Value> = known.iter().filter_map(|&r| logged.actuals[r].clone()).collect();
        let target = profile::served_prediction_profile(&values, pipeline);
        let target = ColumnProfile { name: pipeline.target.clone(), ..target };
        let mut rows = Vec::new();
        let mut truth = Vec::new();
        let mut unusable = 0usize;
        for &row in &known {
            match logged.actuals[row].as_ref().and_then(|value| profile::truth_of(value, pipeline)) {
                Some(value) => {
                    rows.push(row);
                    truth.push(value);
                }
                None => unusable += 1,
            }
        }
        if unusable > 0 {
            notices.push(format!(
                "{unusable} actuals are not a {} of this model and were left out of the performance",
                if pipeline.labels.is_some() { "known class" } else { "number" }
            ));
        }
        let times = rows.iter().map(|&r| logged.times[r].clone()).collect();
        let scored = (!rows.is_empty()).then(|| Scored { truth, table: logged.table.take_rows(&rows), times });
        (Some(target), scored)
    };
    let n_rows = logged.table.n_rows();
    Ok(Side {
        info: DataInfo {
            source: format!("inference logs in {}", dir.display()),
            number_of_rows: n_rows,
            since: Some(logged.range.0),
            until: Some(logged.range.1),
        },
        columns,
        prediction,
        target,
        scored,
        extra: Vec::new(),
        notices,
    })
}

fn reference_side(args: &MonitorArgs, artifact: &Artifact, model_shown: &str) -> Result<(usize, Side)> {
    if let Some(path) = &args.reference {
        let side = profile_file(path, &artifact.pipeline, &args.delimiter)?;
        return Ok((side.info.number_of_rows, side));
    }
    let Some(profile) = &artifact.profile else {
        bail!(
            "{model_shown}: this model was trained before mlship kept a reference profile in its artifact; \
             pass the training data (or any reference) with --reference FILE"
        );
    };
    let ReferenceProfile { source, n_rows, columns, prediction, target } = profile.clone();
    let side = Side {
        info: DataInfo {
            source: format!("the model's profile: {source}"),
            number_of_rows: n_rows,
            since: None,
            until: None,
        },
        columns,
        prediction,
        target,
        scored: None,
        extra: Vec::new(),
        notices: Vec::new(),
    };
    Ok((n_rows, side))
}

/// The report and the registered version it watched, if the model is registered.
pub struct Monitored {
    /// What was found.
    pub report: MonitorReport,
    /// The sha256 of the model file's bytes (what the registry records).
    pub file_sha256: String,
}

/// Builds the report; the caller prints, writes and records it.
pub fn monitor(args: &MonitorArgs) -> Result<Monitored> {
    let resolved = crate::track::resolve_model_arg(&args.model, &args.store)?;
    let bytes = std::fs::read(resolved.path()).with_context(|| format!("{}: cannot read", args.model))?;
    let file_sha256 = mlship_track::paths::sha256_hex(&bytes);
    let (artifact, digest) = Artifact::load_with_digest(resolved.path())?;
    let pipeline = &artifact.pipeline;
    let options = args.drift_options(pipeline)?;
    let (reference_rows, reference) = reference_side(args, &artifact, &args.model)?;
    let current = match (&args.data, &args.logs) {
        (Some(data), _) => profile_file(data, pipeline, &args.delimiter)?,
        (None, Some(dir)) => profile_logs(args, dir, pipeline, &digest)?,
        (None, None) => bail!("--data FILE or --logs DIR: what to monitor"),
    };
    let data = data_drift(reference_rows, &reference.columns, &current.columns, &options).map_err(|e| anyhow!(e))?;
    let single = |reference: &Option<ColumnProfile>, current: &Option<ColumnProfile>| -> Result<Option<ColumnDrift>> {
        match (reference, current) {
            (Some(r), Some(c)) => {
                // Per-column overrides name input columns; these two take the global choice only.
                let global = DriftOptions {
                    per_column_stattest: BTreeMap::new(),
                    per_column_threshold: BTreeMap::new(),
                    ..options.clone()
                };
                column_drift(r.n_rows, r, c, &global).map(Some).map_err(|e| anyhow!(e))
            }
            _ => Ok(None),
        }
    };
    let prediction_drift = single(&reference.prediction, &current.prediction)?;
    let target_drift = single(&reference.target, &current.target)?;
    let performance = match &current.scored {
        Some(scored) => Some(performance(&artifact, scored, args.window.as_deref())?),
        None => None,
    };
    let mut notices = reference.notices;
    notices.extend(current.notices);
    let version = match &resolved.identity {
        Some(identity) => identity.version.to_string(),
        None => digest.chars().take(12).collect(),
    };
    let name = resolved.identity.as_ref().map_or_else(|| artifact.name.clone(), |identity| identity.name.clone());
    let report = MonitorReport {
        created_at: mlship_artifact::utc_now_rfc3339(),
        model: ModelInfo { name, version, digest, task: artifact.task.clone() },
        reference: reference.info,
        current: current.info,
        data_drift: data,
        prediction_drift,
        target_drift,
        performance,
        extra_columns: current.extra,
        notices,
    };
    Ok(Monitored { report, file_sha256 })
}

/// Records the report against the model version it watched (the registry's,
/// when the model file is a registered version); returns the report's id.
fn record(args: &MonitorArgs, monitored: &Monitored) -> Result<i64> {
    let runtime = crate::track::runtime()?;
    let store = args.store.open(&runtime)?;
    let report = &monitored.report;
    let (model_name, model_version) = match runtime.block_on(store.version_by_file_sha256(&monitored.file_sha256))? {
        Some((name, version)) => (name, version.to_string()),
        None => (report.model.name.clone(), report.model.version.clone()),
    };
    let drift = &report.data_drift;
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let new = mlship_track::NewDriftReport {
        model_name,
        model_version,
        model_digest: report.model.digest.clone(),
        current_source: report.current.source.clone(),
        number_of_rows: count(report.current.number_of_rows),
        number_of_columns: count(drift.number_of_columns),
        number_of_drifted_columns: count(drift.number_of_drifted_columns),
        share_of_drifted_columns: drift.share_of_drifted_columns,
        dataset_drift: drift.dataset_drift,
        prediction_drift_score: report.prediction_drift.as_ref().and_then(|p| p.drift_score),
        report_json: serde_json::to_string(report)?,
    };
    Ok(runtime.block_on(store.record_drift(&new))?)
}

fn print_table(report: &MonitorReport, report_path: &Path) {
    let drift = &report.data_drift;
    println!(
        "{}: {} of {} columns drifted ({:.1}%, the data set drifts at {:.0}%)",
        if drift.dataset_drift { "DATASET DRIFT" } else { "no dataset drift" },
        drift.number_of_drifted_columns,
        drift.number_of_columns,
        drift.share_of_drifted_columns * 100.0,
        drift.drift_share * 100.0
    );
    println!("{:<24} {:<5} {:<32} {:>10} {:>10}  drift", "column", "type", "test", "threshold", "score");
    let rows = drift.drift_by_columns.iter().chain(&report.prediction_drift);
    for column in rows {
        let score = column.drift_score.map_or_else(|| "—".to_string(), |s| format!("{s:.4}"));
        let threshold = column.stattest_threshold.map_or_else(|| "—".to_string(), |s| format!("{s}"));
        println!(
            "{:<24} {:<5} {:<32} {:>10} {:>10}  {}{}",
            column.column_name,
            column.column_type,
            column.stattest_name.as_deref().unwrap_or("—"),
            threshold,
            score,
            if column.drift_detected { "DRIFT" } else { "-" },
            column.problem.as_ref().map_or_else(String::new, |p| format!(" ({p})")),
        );
    }
    if let Some(performance) = &report.performance {
        println!("performance on {} rows with actuals (hold-out at training):", performance.current.number_of_rows);
        for (name, value) in &performance.current.metrics {
            let holdout = performance.holdout.iter().find(|(n, _)| n == name).map_or(f64::NAN, |(_, v)| *v);
            println!("  {name:<8} {value:.4} ({holdout:.4})");
        }
    }
    for notice in &report.notices {
        println!("note: {notice}");
    }
    println!("report: {}", report_path.display());
}

/// Writes the HTML report atomically (a temporary file beside it, renamed).
fn write_report(report: &MonitorReport, path: &Path) -> Result<()> {
    let html = report.to_html().context("cannot render the report")?;
    mlship_artifact::save_bytes(path, html.as_bytes())
        .with_context(|| format!("{}: cannot write the report", path.display()))
}

pub fn run(args: MonitorArgs) -> Result<bool> {
    let monitored = monitor(&args)?;
    if !args.no_track {
        let id = record(&args, &monitored)?;
        eprintln!("recorded as drift report {id} in {}", args.store.location()?.shown);
    }
    let report = monitored.report;
    write_report(&report, &args.report)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report, &args.report);
    }
    Ok(args.fail_on_drift && report.data_drift.dataset_drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_predictions_are_the_whole_tables() {
        let data = mlship_testkit::seed::insurance();
        let spec = mlship_testkit::seed::spec();
        let fit = spec.fit(&data.table, &data.kinds, "charges", &data.y, None).expect("the seed pipeline fits");
        let whole = fit.pipeline.predict(&data.table).expect("predicts");
        let batched = predict_in_batches(&fit.pipeline, &data.table, 100).expect("predicts in batches");
        assert_eq!(batched, whole);
    }
}
