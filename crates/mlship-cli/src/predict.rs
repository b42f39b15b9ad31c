//! `mlship predict` streams a CSV file through a saved pipeline in fixed-size
//! batches (memory bounded whatever the file size), writing every input column
//! back with PyCaret's `predict_model` columns appended: `prediction_label`
//! (the number, or the original class label), and for a classifier with
//! probabilities `prediction_score` (the probability of the predicted class)
//! and, with `--raw-score`, one `prediction_score_<class>` per class.

use anyhow::{Context, Result};
use clap::Args;
use mlship_artifact::Artifact;
use mlship_data::{Column, ColumnKind, CsvBatchReader, CsvOptions};
use mlship_learn::{FittedPipeline, LearnError, Predictions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The predicted value or label; an input column of an output's name is replaced, not repeated.
const PREDICTION_COLUMN: &str = "prediction_label";
/// The probability of the predicted class.
const SCORE_COLUMN: &str = "prediction_score";

/// The columns `predict` appends for this pipeline, in order.
fn output_columns(pipeline: &FittedPipeline, raw_score: bool) -> Vec<String> {
    let mut columns = vec![PREDICTION_COLUMN.to_string()];
    if let Some(labels) = &pipeline.labels {
        if pipeline.model.has_probabilities() {
            if raw_score {
                columns.extend(labels.classes.iter().map(|class| format!("{SCORE_COLUMN}_{class}")));
            } else {
                columns.push(SCORE_COLUMN.to_string());
            }
        }
    }
    columns
}

/// One row's output fields, in `output_columns` order.
fn output_fields(
    pipeline: &FittedPipeline,
    predictions: &Predictions,
    row: usize,
    raw_score: bool,
    out: &mut Vec<String>,
) {
    out.clear();
    match predictions {
        Predictions::Regression(values) => out.push(values[row].to_string()),
        Predictions::Classification(classes) => {
            let label = pipeline.labels.as_ref().and_then(|l| l.label(classes.codes[row]));
            out.push(label.map_or_else(String::new, ToString::to_string));
            if raw_score {
                out.extend(classes.row_probabilities(row).unwrap_or_default().iter().map(ToString::to_string));
            } else if let Some(score) = classes.score(row) {
                out.push(score.to_string());
            }
        }
    }
}

/// Labels in the data's copy of the target that training never saw: each
/// label once with its row count (the scores of those rows cannot be right).
struct UnseenLabels {
    column: Option<usize>,
    found: std::collections::BTreeMap<String, usize>,
}

impl UnseenLabels {
    fn new(pipeline: &FittedPipeline, file_names: &[String]) -> Self {
        let column = pipeline.labels.as_ref().and_then(|_| file_names.iter().position(|n| *n == pipeline.target));
        UnseenLabels { column, found: std::collections::BTreeMap::new() }
    }

    fn check(&mut self, pipeline: &FittedPipeline, field: Option<&str>) {
        let (Some(labels), Some(text)) = (&pipeline.labels, field) else { return };
        if !text.is_empty() && labels.code_of_text(text).is_err() {
            *self.found.entry(text.to_string()).or_default() += 1;
        }
    }

    fn warn(&self, pipeline: &FittedPipeline, data: &Path) {
        if self.found.is_empty() {
            return;
        }
        let listed: Vec<String> = self.found.iter().take(5).map(|(label, n)| format!("{label:?} ({n} rows)")).collect();
        let known: Vec<String> =
            pipeline.labels.iter().flat_map(|l| l.classes.iter().map(ToString::to_string)).collect();
        eprintln!(
            "warning: {}: target column \"{}\" holds labels never seen in training: {}{} (classes: {}); \
             those rows can never be predicted right",
            data.display(),
            pipeline.target,
            listed.join(", "),
            if self.found.len() > 5 { format!(" and {} more", self.found.len() - 5) } else { String::new() },
            known.join(", ")
        );
    }
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The saved model (NAME.mlship), or a registry reference (NAME@ALIAS, NAME/VERSION)
    #[arg(long, value_name = "FILE|REF")]
    pub model: String,
    /// The CSV (streamed) or Parquet file to score; it needs the model's input columns, others are passed through
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Where to write the scored CSV (standard output when absent)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// CSV field delimiter: one character, or "tab"
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Rows read, scored and written per batch (memory grows with it)
    #[arg(long, default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_rows: u32,
    /// Bytes of input read per batch at most, whatever the row count (memory grows with it)
    #[arg(long, default_value_t = 64 << 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_bytes: u64,
    /// The largest field accepted, in bytes; a longer one is an error naming its line and column
    #[arg(long, default_value_t = mlship_data::DEFAULT_MAX_FIELD_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_field_bytes: u64,
    /// Classifiers: one prediction_score_<class> column per class instead of prediction_score (PyCaret's raw_score)
    #[arg(long)]
    pub raw_score: bool,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

/// Turns a batch-relative row error into one naming the file and its line.
fn locate(error: LearnError, data: &Path, records: &[csv::StringRecord]) -> anyhow::Error {
    match error {
        LearnError::Value { column, row, message } => {
            let line = records.get(row.saturating_sub(1)).and_then(|r| r.position()).map_or(0, |p| p.line());
            anyhow::anyhow!("{}: line {line}, column \"{column}\": {message}", data.display())
        }
        other => anyhow::anyhow!("{}: {other}", data.display()),
    }
}

/// Reading and parsing run on one thread, scoring and writing on another, with
/// at most two batches in flight: both cores busy, memory still bounded.
fn score<W: Write>(artifact: &Artifact, args: &PredictArgs, output: W) -> Result<u64> {
    let csv = CsvOptions { delimiter: crate::train::parse_delimiter(&args.delimiter)? };
    let schema: Vec<_> = artifact.pipeline.schema.iter().map(|c| (c.name.clone(), c.kind.clone())).collect();
    let mut reader = CsvBatchReader::open(&args.data, &csv, &schema)?;
    reader.set_max_field_bytes(usize::try_from(args.max_field_bytes).unwrap_or(usize::MAX));
    let batch_bytes = usize::try_from(args.batch_bytes).unwrap_or(usize::MAX);
    let mut writer = csv::WriterBuilder::new().delimiter(csv.delimiter).from_writer(output);
    let pipeline = &artifact.pipeline;
    let outputs = output_columns(pipeline, args.raw_score);
    let replaced: Vec<usize> =
        (0..reader.file_names.len()).filter(|&i| outputs.contains(&reader.file_names[i])).collect();
    let kept = |idx: &usize| !replaced.contains(idx);
    let mut header: Vec<&str> =
        reader.file_names.iter().enumerate().filter(|(i, _)| kept(i)).map(|(_, n)| n.as_str()).collect();
    header.extend(outputs.iter().map(String::as_str));
    writer.write_record(&header)?;
    let mut unseen = UnseenLabels::new(pipeline, &reader.file_names);
    let batch_rows = args.batch_rows as usize;
    let (sender, batches) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
            let batch = reader.next_batch_bounded(batch_rows, batch_bytes);
            let done = !matches!(batch, Ok(Some(_)));
            if sender.send(batch).is_err() || done {
                break;
            }
        });
        let mut n_rows = 0u64;
        let mut formatted = Vec::new();
        // Dropping `batches` on an early error stops the reader thread.
        for batch in batches {
            let Some(batch) = batch? else { break };
            let predictions = pipeline.predict(&batch.table).map_err(|e| locate(e, &args.data, &batch.records))?;
            for (row, record) in batch.records.iter().enumerate() {
                output_fields(pipeline, &predictions, row, args.raw_score, &mut formatted);
                if let Some(column) = unseen.column {
                    unseen.check(pipeline, record.get(column));
                }
                let fields = record.iter().enumerate().filter(|(i, _)| kept(i)).map(|(_, f)| f);
                writer.write_record(fields.chain(formatted.iter().map(String::as_str)))?;
            }
            n_rows += predictions.len() as u64;
        }
        writer.flush()?;
        unseen.warn(pipeline, &args.data);
        Ok(n_rows)
    })
}

fn is_parquet(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("parquet" | "pq"))
}

/// Parquet input is streamed too: batches of rows, typed against the model's
/// schema, written out as CSV like the CSV path.
fn score_parquet<W: Write>(artifact: &Artifact, args: &PredictArgs, output: W) -> Result<u64> {
    let mut reader = mlship_data::ParquetBatchReader::open(&args.data)?;
    let schema = &artifact.pipeline.schema;
    let names = reader.names().to_vec();
    if let Some(missing) = schema.iter().find(|c| !names.contains(&c.name)) {
        anyhow::bail!(
            "{}: missing column \"{}\" (the file has: {})",
            args.data.display(),
            missing.name,
            names.join(", ")
        );
    }
    let overrides = mlship_data::KindOverrides {
        numeric: schema.iter().filter(|c| c.kind == ColumnKind::Numeric).map(|c| c.name.clone()).collect(),
        categorical: schema.iter().filter(|c| c.kind != ColumnKind::Numeric).map(|c| c.name.clone()).collect(),
        ..Default::default()
    };
    let mut writer = csv::Writer::from_writer(output);
    let pipeline = &artifact.pipeline;
    let outputs = output_columns(pipeline, args.raw_score);
    let kept: Vec<usize> = (0..names.len()).filter(|&i| !outputs.contains(&names[i])).collect();
    let mut header: Vec<&str> = kept.iter().map(|&i| names[i].as_str()).collect();
    header.extend(outputs.iter().map(String::as_str));
    writer.write_record(&header)?;
    let mut unseen = UnseenLabels::new(pipeline, &names);
    let mut formatted = Vec::new();
    let mut n_rows = 0u64;
    while let Some(mut table) = reader.next_batch(args.batch_rows as usize)? {
        let raw = table.clone();
        mlship_data::infer_kinds(&mut table, &overrides).with_context(|| args.data.display().to_string())?;
        let predictions = pipeline.predict(&table).map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?;
        for row_idx in 0..predictions.len() {
            let cell = |col: usize| match &raw.columns[col] {
                Column::Numeric(values) if values[row_idx].is_nan() => String::new(),
                Column::Numeric(values) => values[row_idx].to_string(),
                Column::Categorical(c) => c.value(row_idx).unwrap_or("").to_string(),
            };
            if let Some(column) = unseen.column {
                unseen.check(pipeline, Some(&cell(column)));
            }
            let mut record: Vec<String> = kept.iter().map(|&col| cell(col)).collect();
            output_fields(pipeline, &predictions, row_idx, args.raw_score, &mut formatted);
            record.append(&mut formatted);
            writer.write_record(&record)?;
        }
        n_rows += predictions.len() as u64;
    }
    writer.flush()?;
    unseen.warn(pipeline, &args.data);
    Ok(n_rows)
}

fn score_any<W: Write>(artifact: &Artifact, args: &PredictArgs, output: W) -> Result<u64> {
    if is_parquet(&args.data) {
        score_parquet(artifact, args, output)
    } else {
        score(artifact, args, output)
    }
}

pub fn run(args: PredictArgs) -> Result<()> {
    let resolved = crate::track::resolve_model_arg(&args.model, &args.store)?;
    let artifact = Artifact::load(resolved.path())?;
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            score_any(&artifact, &args, std::io::BufWriter::new(stdout.lock()))?;
        }
        Some(out) => {
            // Write beside the target and rename, so a failure never leaves half a file.
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let temporary =
                tempfile::NamedTempFile::new_in(dir).with_context(|| format!("{}: cannot write", out.display()))?;
            let n_rows = score_any(&artifact, &args, std::io::BufWriter::with_capacity(1 << 16, temporary.as_file()))?;
            mlship_artifact::make_readable(temporary.as_file())
                .with_context(|| format!("{}: cannot write", out.display()))?;
            temporary.persist(out).with_context(|| format!("{}: cannot write", out.display()))?;
            eprintln!("scored {n_rows} rows into {}", out.display());
        }
    }
    Ok(())
}
