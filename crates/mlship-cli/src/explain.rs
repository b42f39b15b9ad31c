//! `mlship explain MODEL --data FILE`: SHAP values of a saved model's
//! predictions on the first `--rows` rows of a file (1000; 100 with
//! permutation SHAP), per engineered feature
//! and summed back to the model's input columns, and scikit-learn's
//! permutation importance when the file carries the target.
//!
//! `--method auto` picks exact TreeSHAP for tree models (dt, rf, et, gbr,
//! gbc, lightgbm, xgboost), exact linear SHAP for linear models (independent
//! features: `coef_j (x_j − mean_j)` over the background) and permutation
//! SHAP for the rest. The background (linear and permutation SHAP) is 100
//! rows spread evenly over `--background FILE`, or over the data.
//!
//! `--json` prints one document:
//! - `method`: "tree", "linear" or "permutation"; `output`: what is explained
//!   ("value" a regressor's prediction before any target transform is undone,
//!   "probability" a class probability, "margin" a class's raw score: log-odds);
//! - `classes`: the class label of each output (`[null]` for a regressor);
//! - `expected_value`: one per output (`Σ shap + expected_value` = the output);
//! - `feature_names`: the engineered features; `columns`: the input columns;
//! - `shap_values`: rows × features (× outputs when there are several);
//! - `column_shap_values`: rows × columns (× outputs), a feature made from
//!   several columns split equally between them; `null` after PCA;
//! - `mean_abs_shap`: {column: mean |SHAP|} (features after PCA), and
//!   `mean_abs_shap_features`: {feature: mean |SHAP|};
//! - `permutation_importance`: {`columns`, `importances_mean`,
//!   `importances_std`, `importances`, `scoring`} (scikit-learn's names,
//!   `n_repeats` 5, seeded), or `null` when the file has no target column.

use crate::monitor::current;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use mlship_artifact::Artifact;
use mlship_data::{Column, CsvOptions, Table};
use mlship_learn::explain::{aggregate, permutation, Choice, Explanation, Method, OutputKind};
use mlship_learn::predictions::predict_matrix;
use mlship_learn::{FittedPipeline, Matrix, Predictions, RegressionMetrics};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// shap's maskers keep at most 100 background rows.
const BACKGROUND_ROWS: usize = 100;
/// Rows explained by default.
const ROWS: usize = 1000;
/// Rows explained by default with permutation SHAP (each costs `2·features + 1`
/// states × up to 25 orders × 100 background rows of predictions).
const PERMUTATION_ROWS: usize = 100;
/// scikit-learn's `permutation_importance` default.
const N_REPEATS: usize = 5;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The saved model (NAME.mlship), or a registry reference (NAME@ALIAS, NAME/VERSION)
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// The CSV or Parquet file whose rows to explain (the model's input columns; the target, if present, gives permutation importance)
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Explain the first N rows (default 1000; 100 for permutation SHAP, which runs the model ~50,000 times a row)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub rows: Option<u64>,
    /// Rows the linear and permutation explainers average over (default: the data)
    #[arg(long, value_name = "FILE")]
    pub background: Option<PathBuf>,
    /// auto, tree, linear or permutation
    #[arg(long, default_value = "auto")]
    pub method: String,
    /// Seed of the permutation explainer and of permutation importance
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// Write bar.svg, summary.svg and dependence.svg into DIR
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// CSV field delimiter: one character, or "tab"
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Print the whole explanation as JSON (its keys: the README's "Explain" section)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

/// A file's rows conformed to the model's schema, and its target column if any.
fn read(path: &Path, pipeline: &FittedPipeline, delimiter: &str, limit: usize) -> Result<(Table, Option<Column>)> {
    let shown = path.display().to_string();
    let loaded = crate::train::load_data(&shown, &CsvOptions { delimiter: crate::train::parse_delimiter(delimiter)? })?;
    let data = current::conform(loaded.table, pipeline, &shown)?;
    if !data.changed_type.is_empty() {
        bail!("{shown}: column(s) {} no longer hold numbers as the model expects", data.changed_type.join(", "));
    }
    let n = data.table.n_rows().min(limit);
    if n == 0 {
        bail!("{shown}: no rows to explain");
    }
    let rows: Vec<usize> = (0..n).collect();
    let actuals = data.actuals.map(|column| column.take(&rows));
    Ok((data.table.take_rows(&rows), actuals))
}

/// At most `BACKGROUND_ROWS` rows spread evenly over `x`.
fn spread_rows(x: &Matrix) -> Matrix {
    if x.n_rows <= BACKGROUND_ROWS {
        return x.clone();
    }
    let rows: Vec<usize> = (0..BACKGROUND_ROWS).map(|i| i * x.n_rows / BACKGROUND_ROWS).collect();
    x.take_rows(&rows)
}

/// The pipeline's score of `table` against `actuals`: R2 (original scale) or Accuracy.
fn score(pipeline: &FittedPipeline, table: &Table, actuals: &Column) -> Result<f64> {
    let x = pipeline.transform(table)?;
    match predict_matrix(&pipeline.model, &x, pipeline.output())? {
        Predictions::Regression(values) => {
            let Column::Numeric(truth) = actuals else {
                bail!("the target column \"{}\" is not numeric", pipeline.target)
            };
            let pairs: (Vec<f64>, Vec<f64>) =
                truth.iter().zip(&values).filter(|(t, _)| !t.is_nan()).map(|(t, p)| (*t, *p)).unzip();
            if pairs.0.is_empty() {
                bail!("the target column \"{}\" has no values", pipeline.target);
            }
            Ok(RegressionMetrics::compute(&pairs.0, &pairs.1).r2)
        }
        Predictions::Classification(classes) => {
            let labels = pipeline.labels.as_ref().ok_or_else(|| anyhow!("a classifier without labels"))?;
            let Column::Categorical(truth) = current::as_labels(actuals) else { bail!("the target is not labels") };
            let right = (0..truth.codes.len())
                .filter(|&i| truth.value(i).and_then(|t| labels.code_of_text(t).ok()) == classes.codes.get(i).copied())
                .count();
            Ok(right as f64 / truth.codes.len().max(1) as f64)
        }
    }
}

/// Values as nested arrays: rows × items, each a number or (several outputs) an array.
fn nested(values: &[f64], n_rows: usize, n_items: usize, n_outputs: usize) -> Value {
    let rows: Vec<Value> = (0..n_rows)
        .map(|i| {
            let items: Vec<Value> = (0..n_items)
                .map(|j| {
                    let at = (i * n_items + j) * n_outputs;
                    if n_outputs == 1 {
                        json!(values.get(at).copied().unwrap_or(0.0))
                    } else {
                        json!(values.get(at..at + n_outputs).unwrap_or(&[]))
                    }
                })
                .collect();
            Value::Array(items)
        })
        .collect();
    Value::Array(rows)
}

/// The mean |value| of each item over rows and outputs.
fn mean_abs(values: &[f64], n_rows: usize, n_items: usize, n_outputs: usize) -> Vec<f64> {
    let mut means = vec![0.0; n_items];
    for (at, value) in values.iter().enumerate() {
        means[(at / n_outputs) % n_items] += value.abs();
    }
    let count = (n_rows * n_outputs).max(1) as f64;
    means.iter_mut().for_each(|m| *m /= count);
    means
}

pub fn run(args: ExplainArgs) -> Result<()> {
    let choice: Choice = args.method.parse()?;
    let resolved = crate::track::resolve_model_arg(&args.model, &args.store)?;
    let artifact = Artifact::load(resolved.path())?;
    let pipeline = &artifact.pipeline;
    let method = mlship_learn::explain::resolve(&pipeline.model, choice)?;
    let default_rows = if method == Method::Permutation { PERMUTATION_ROWS } else { ROWS };
    let limit = args.rows.map_or(default_rows, |rows| usize::try_from(rows).unwrap_or(usize::MAX));
    let (table, actuals) = read(&args.data, pipeline, &args.delimiter, limit)?;
    let x = pipeline.transform(&table).with_context(|| format!("{}: transforming the rows", args.data.display()))?;
    let background = match &args.background {
        Some(path) => {
            let (table, _) = read(path, pipeline, &args.delimiter, usize::MAX)?;
            pipeline.transform(&table)?
        }
        None => x.clone(),
    };
    let background = spread_rows(&background);
    let explanation = mlship_learn::explain::explain(&pipeline.model, method, &x, &background, args.seed)?;
    let columns: Vec<String> = pipeline.schema.iter().map(|c| c.name.clone()).collect();
    let sources = aggregate::feature_sources(pipeline);
    let column_values = sources.as_ref().map(|s| aggregate::column_values(&explanation, s, columns.len()));
    let importance = match &actuals {
        Some(actuals) => Some(importance(pipeline, &table, actuals, args.seed)?),
        None => None,
    };
    let report = Report { pipeline, explanation: &explanation, columns: &columns, column_values, importance };
    if let Some(dir) = &args.plots {
        crate::explain_plots::write(dir, &report, &x, &table)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        report.print();
    }
    Ok(())
}

/// scikit-learn's `permutation_importance` on the input columns of `table`.
fn importance(
    pipeline: &FittedPipeline,
    table: &Table,
    actuals: &Column,
    seed: u32,
) -> Result<permutation::PermutationImportance> {
    let baseline = score(pipeline, table, actuals)?;
    let mut failure = None;
    let result =
        permutation::permutation_importance(table.n_cols(), table.n_rows(), N_REPEATS, seed, baseline, |c, rows| {
            let mut permuted = table.clone();
            permuted.columns[c] = table.columns[c].take(rows);
            score(pipeline, &permuted, actuals).map_err(|error| {
                let message = error.to_string();
                failure = Some(error);
                mlship_learn::LearnError::InvalidOption(message)
            })
        });
    match (result, failure) {
        (Ok(result), _) => Ok(result),
        (Err(_), Some(error)) => Err(error),
        (Err(error), None) => Err(error.into()),
    }
}

/// Everything `explain` reports.
pub(crate) struct Report<'a> {
    pub pipeline: &'a FittedPipeline,
    pub explanation: &'a Explanation,
    pub columns: &'a [String],
    /// Rows × columns × outputs; `None` after PCA.
    pub column_values: Option<Vec<f64>>,
    pub importance: Option<permutation::PermutationImportance>,
}

impl Report<'_> {
    /// (name, mean |SHAP|) of the input columns (the features after PCA), largest first.
    pub fn ranking(&self) -> Vec<(String, f64)> {
        let e = self.explanation;
        let mut ranking: Vec<(String, f64)> = match &self.column_values {
            Some(values) => {
                let means = mean_abs(values, e.n_rows, self.columns.len(), e.n_outputs());
                self.columns.iter().cloned().zip(means).collect()
            }
            None => self.pipeline.feature_names.iter().cloned().zip(e.mean_abs()).collect(),
        };
        ranking.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranking
    }

    fn output_name(&self) -> &'static str {
        match self.explanation.kind {
            OutputKind::Value => "value",
            OutputKind::Probability => "probability",
            OutputKind::Margin => "margin",
        }
    }

    fn class_labels(&self) -> Vec<Value> {
        let labels = self.pipeline.labels.as_ref();
        self.explanation
            .classes
            .iter()
            .map(|c| match (c, labels) {
                (Some(code), Some(labels)) => labels.label(*code).map_or(Value::Null, |l| json!(l.to_string())),
                _ => Value::Null,
            })
            .collect()
    }

    fn json(&self) -> Value {
        let e = self.explanation;
        let k = e.n_outputs();
        let features = &self.pipeline.feature_names;
        let to_map = |pairs: Vec<(String, f64)>| -> Value {
            Value::Object(pairs.into_iter().map(|(n, v)| (n, json!(v))).collect::<Map<String, Value>>())
        };
        let feature_means: Vec<(String, f64)> = features.iter().cloned().zip(e.mean_abs()).collect();
        json!({
            "method": e.method.as_str(),
            "output": self.output_name(),
            "classes": self.class_labels(),
            "expected_value": e.expected_value,
            "feature_names": features,
            "columns": self.columns,
            "shap_values": nested(&e.values, e.n_rows, e.n_features, k),
            "column_shap_values": self.column_values.as_ref().map(|v| nested(v, e.n_rows, self.columns.len(), k)),
            "mean_abs_shap": to_map(self.ranking()),
            "mean_abs_shap_features": to_map(feature_means),
            "permutation_importance": self.importance.as_ref().map(|i| json!({
                "columns": self.columns,
                "importances_mean": i.importances_mean,
                "importances_std": i.importances_std,
                "importances": i.importances,
                "scoring": if self.pipeline.labels.is_some() { "accuracy" } else { "r2" },
            })),
        })
    }

    fn print(&self) {
        let e = self.explanation;
        let classes: Vec<String> = self.class_labels().iter().filter_map(|c| c.as_str().map(String::from)).collect();
        let of = match classes.len() {
            0 => String::new(),
            1 => format!(" (class {})", classes[0]),
            _ => format!(" (classes {}; mean |SHAP| over them)", classes.join(", ")),
        };
        println!(
            "{} SHAP of the model's {}{of} on {} rows ({} features, {} input columns)",
            e.method.as_str(),
            self.output_name(),
            e.n_rows,
            e.n_features,
            self.columns.len()
        );
        let expected: Vec<String> = e.expected_value.iter().map(|v| format!("{v:.6}")).collect();
        println!("expected value: {}", expected.join(", "));
        if self.column_values.is_none() {
            println!("(after PCA the components mix every column: values are per component)");
        }
        let importance: Option<Vec<(String, f64, f64)>> = self.importance.as_ref().map(|i| {
            self.columns
                .iter()
                .cloned()
                .zip(i.importances_mean.iter().zip(&i.importances_std))
                .map(|(c, (m, s))| (c, *m, *s))
                .collect()
        });
        let width = self.ranking().iter().map(|(n, _)| n.len()).max().unwrap_or(6).max(6);
        match &importance {
            Some(_) => println!("{:<width$}  {:>14}  {:>22}", "column", "mean |SHAP|", "permutation importance"),
            None => println!("{:<width$}  {:>14}", "column", "mean |SHAP|"),
        }
        for (name, value) in self.ranking() {
            match importance.as_ref().and_then(|i| i.iter().find(|(c, _, _)| *c == name)) {
                Some((_, mean, std)) => {
                    println!("{name:<width$}  {value:>14.6}  {:>22}", format!("{mean:.4} ± {std:.4}"))
                }
                None => println!("{name:<width$}  {value:>14.6}"),
            }
        }
    }
}
