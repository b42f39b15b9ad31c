//! The input stage: from a typed table to the numeric matrix. Per input column
//! it imputes (SimpleImputer semantics), expands dates into day/month/year, and
//! encodes categoricals: 2 levels as 0/1 in sorted order, up to
//! `max_encoding_ohe` levels one-hot (`col_level`), more levels by target mean
//! (scikit-learn's `TargetEncoder`, auto smoothing). It also records the input
//! schema that serving and validation are built from.

use crate::matrix::{mean, percentile_sorted, sorted_copy, Matrix};
use crate::options::{CategoricalImputation, NumericImputation, NumericStrategy, SetupOptions};
use crate::LearnError;
use mlship_data::date::DateFormat;
use mlship_data::{CategoricalColumn, Column, ColumnKind, Table, MISSING_CODE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One input column as the model expects it: what serving builds its form and
/// validation from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    /// The column's name in the input.
    pub name: String,
    /// How the column is read.
    #[serde(flatten)]
    pub kind: ColumnKind,
    /// Training levels, sorted (categorical and date columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
    /// The smallest training value (numeric columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest training value (numeric columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Missing cells in the training data.
    pub n_missing: usize,
}

/// How one input column becomes model features, with the fill value for its missing cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "snake_case")]
pub enum ColumnEncoder {
    /// A number, passed through.
    Numeric {
        /// The value a missing cell becomes.
        fill: f64,
    },
    /// A date, split into day, month and year.
    Date {
        /// The layout the dates were parsed with.
        format: DateFormat,
        /// Day, month and year a missing cell becomes.
        fill: [f64; 3],
    },
    /// 0 for the first sorted level, 1 for the second; an unseen level is -1
    /// (category_encoders' `handle_unknown="value"`, as PyCaret).
    Binary {
        /// The two levels, sorted.
        levels: [String; 2],
        /// The level a missing cell becomes.
        fill: String,
    },
    /// One column per level; an unseen level is all zeros.
    OneHot {
        /// The levels, sorted; one output column each.
        levels: Vec<String>,
        /// The level a missing cell becomes.
        fill: String,
    },
    /// The smoothed target mean of each level; an unseen level gets the prior.
    Target {
        /// The levels, sorted.
        levels: Vec<String>,
        /// The smoothed target mean of each level, in `levels` order.
        encodings: Vec<f64>,
        /// The target mean over every training row, for unseen levels.
        prior: f64,
        /// The level a missing cell becomes.
        fill: String,
    },
}

/// The fitted input stage: turns a table's columns into the numeric matrix the steps and model take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedEncoder {
    /// Each input column's name and encoder, in output order.
    pub columns: Vec<(String, ColumnEncoder)>,
}

/// What fitting the input stage gives: the encoder, the schema and any warnings.
pub struct EncoderFit {
    /// The fitted encoder.
    pub encoder: FittedEncoder,
    /// The input columns it expects, for serving's form and validation.
    pub schema: Vec<InputColumn>,
    /// What fitting noticed and the user should know (constant or empty columns, …).
    pub warnings: Vec<String>,
}

/// Fits the input stage on `table`: imputation fills and encoders chosen by kind and PyCaret's rules.
pub fn fit_encoder(
    table: &Table,
    kinds: &[ColumnKind],
    y: &[f64],
    options: &SetupOptions,
) -> Result<EncoderFit, LearnError> {
    let mut columns = Vec::new();
    let mut schema = Vec::new();
    let mut warnings = Vec::new();
    for ((name, column), kind) in table.names.iter().zip(&table.columns).zip(kinds) {
        let n_missing = (0..column.len()).filter(|&i| column.is_missing(i)).count();
        if n_missing == column.len() {
            warnings.push(format!("column \"{name}\" has only missing values; it is dropped"));
            continue;
        }
        let (encoder, input) = match (kind, column) {
            (ColumnKind::Numeric, Column::Numeric(values)) => fit_numeric(name, values, options, n_missing)?,
            (ColumnKind::Date { format }, Column::Categorical(categorical)) => {
                fit_date(name, *format, categorical, options, n_missing)?
            }
            (ColumnKind::Categorical, Column::Categorical(categorical)) => {
                fit_categorical(name, categorical, y, options, n_missing)
            }
            _ => {
                return Err(LearnError::Column {
                    column: name.clone(),
                    message: format!("the data holds a different type than its declared kind {kind:?}"),
                })
            }
        };
        if is_constant(column) {
            warnings.push(format!("column \"{name}\" is constant; it carries no information"));
        }
        columns.push((name.clone(), encoder));
        schema.push(input);
    }
    if columns.is_empty() {
        return Err(LearnError::InvalidOption("no feature columns are left to train on".to_string()));
    }
    Ok(EncoderFit { encoder: FittedEncoder { columns }, schema, warnings })
}

fn is_constant(column: &Column) -> bool {
    match column {
        Column::Numeric(values) => {
            let mut present = values.iter().filter(|v| !v.is_nan());
            let first = present.next().copied();
            present.all(|v| Some(*v) == first)
        }
        Column::Categorical(categorical) => {
            let mut present = categorical.codes.iter().filter(|&&c| c != MISSING_CODE);
            let first = present.next().copied();
            present.all(|c| Some(*c) == first)
        }
    }
}

/// The most frequent value; ties go to the smallest, as SimpleImputer.
fn most_frequent_number(values: &[f64]) -> f64 {
    let sorted = sorted_copy(values.iter().copied().filter(|v| !v.is_nan()));
    let mut best = (sorted[0], 0usize);
    let mut run_start = 0;
    for idx in 1..=sorted.len() {
        if idx == sorted.len() || sorted[idx] != sorted[run_start] {
            if idx - run_start > best.1 {
                best = (sorted[run_start], idx - run_start);
            }
            run_start = idx;
        }
    }
    best.0
}

fn numeric_fill(values: &[f64], imputation: &NumericImputation) -> f64 {
    let present = || values.iter().copied().filter(|v| !v.is_nan());
    match imputation {
        NumericImputation::Constant(value) => *value,
        NumericImputation::Strategy(NumericStrategy::Zero) => 0.0,
        NumericImputation::Strategy(NumericStrategy::Mean) => mean(&present().collect::<Vec<_>>()),
        NumericImputation::Strategy(NumericStrategy::Median) => percentile_sorted(&sorted_copy(present()), 50.0),
        NumericImputation::Strategy(NumericStrategy::Mode) => most_frequent_number(values),
    }
}

fn fit_numeric(
    name: &str,
    values: &[f64],
    options: &SetupOptions,
    n_missing: usize,
) -> Result<(ColumnEncoder, InputColumn), LearnError> {
    let present = values.iter().copied().filter(|v| !v.is_nan());
    let min = present.clone().fold(f64::INFINITY, f64::min);
    let max = present.fold(f64::NEG_INFINITY, f64::max);
    let fill = numeric_fill(values, &options.numeric_imputation);
    let input = InputColumn {
        name: name.to_string(),
        kind: ColumnKind::Numeric,
        levels: Vec::new(),
        min: Some(min),
        max: Some(max),
        n_missing,
    };
    Ok((ColumnEncoder::Numeric { fill }, input))
}

fn date_parts(format: DateFormat, text: &str) -> Option<[f64; 3]> {
    format.parse(text).map(|d| [f64::from(d.day), f64::from(d.month), f64::from(d.year)])
}

fn fit_date(
    name: &str,
    format: DateFormat,
    categorical: &CategoricalColumn,
    options: &SetupOptions,
    n_missing: usize,
) -> Result<(ColumnEncoder, InputColumn), LearnError> {
    let level_parts: Vec<Option<[f64; 3]>> = categorical.levels.iter().map(|l| date_parts(format, l)).collect();
    let mut fill = [0.0; 3];
    for (part_idx, slot) in fill.iter_mut().enumerate() {
        let values: Vec<f64> =
            categorical
                .codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        f64::NAN
                    } else {
                        level_parts[c as usize].map_or(f64::NAN, |p| p[part_idx])
                    }
                })
                .collect();
        *slot = numeric_fill(&values, &options.numeric_imputation);
    }
    let mut levels = categorical.levels.clone();
    levels.sort();
    let input = InputColumn {
        name: name.to_string(),
        kind: ColumnKind::Date { format },
        levels,
        min: None,
        max: None,
        n_missing,
    };
    Ok((ColumnEncoder::Date { format, fill }, input))
}

fn fit_categorical(
    name: &str,
    categorical: &CategoricalColumn,
    y: &[f64],
    options: &SetupOptions,
    n_missing: usize,
) -> (ColumnEncoder, InputColumn) {
    let mut counts = vec![0usize; categorical.levels.len()];
    for &code in categorical.codes.iter().filter(|&&c| c != MISSING_CODE) {
        counts[code as usize] += 1;
    }
    let fill = match &options.categorical_imputation {
        CategoricalImputation::Constant(text) => text.clone(),
        CategoricalImputation::Mode => {
            let best = (0..counts.len())
                .filter(|&i| counts[i] > 0)
                .max_by(|&a, &b| {
                    counts[a].cmp(&counts[b]).then_with(|| categorical.levels[b].cmp(&categorical.levels[a]))
                })
                .unwrap_or(0);
            categorical.levels[best].clone()
        }
    };
    // Levels after imputation: the constant fill is a level of its own when rows were missing.
    let mut levels: Vec<String> =
        categorical.levels.iter().zip(&counts).filter(|(_, &n)| n > 0).map(|(l, _)| l.clone()).collect();
    if n_missing > 0 && !levels.contains(&fill) {
        levels.push(fill.clone());
    }
    levels.sort();
    let input = InputColumn {
        name: name.to_string(),
        kind: ColumnKind::Categorical,
        levels: levels.clone(),
        min: None,
        max: None,
        n_missing,
    };
    let encoder = if levels.len() == 2 {
        ColumnEncoder::Binary { levels: [levels[0].clone(), levels[1].clone()], fill }
    } else if levels.len() <= options.max_encoding_ohe {
        ColumnEncoder::OneHot { levels, fill }
    } else {
        let imputed: Vec<&str> = (0..categorical.codes.len()).map(|i| categorical.value(i).unwrap_or(&fill)).collect();
        let (encodings, prior) = target_encodings(&levels, &imputed, y);
        ColumnEncoder::Target { levels, encodings, prior, fill }
    };
    (encoder, input)
}

/// scikit-learn's `TargetEncoder(smooth="auto")` fitted on the whole column:
/// each level's mean shrunk toward the global mean by its within-level variance.
fn target_encodings(levels: &[String], values: &[&str], y: &[f64]) -> (Vec<f64>, f64) {
    let index: HashMap<&str, usize> = levels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
    let y_mean = mean(y);
    let y_variance = y.iter().map(|v| (v - y_mean).powi(2)).sum::<f64>() / y.len() as f64;
    let mut sums = vec![0.0; levels.len()];
    let mut counts = vec![0usize; levels.len()];
    for (value, target) in values.iter().zip(y) {
        let idx = index[value];
        sums[idx] += target;
        counts[idx] += 1;
    }
    let means: Vec<f64> = sums.iter().zip(&counts).map(|(s, &n)| s / n as f64).collect();
    let mut squared_diffs = vec![0.0; levels.len()];
    for (value, target) in values.iter().zip(y) {
        let idx = index[value];
        squared_diffs[idx] += (target - means[idx]).powi(2);
    }
    let encodings = (0..levels.len())
        .map(|idx| {
            let n = counts[idx] as f64;
            let lambda = y_variance * n / (y_variance * n + squared_diffs[idx] / n);
            if lambda.is_nan() {
                y_mean
            } else {
                lambda * means[idx] + (1.0 - lambda) * y_mean
            }
        })
        .collect();
    (encodings, y_mean)
}

impl ColumnEncoder {
    /// The names of the output columns this encoder makes from the input column `name`.
    pub fn output_names(&self, name: &str) -> Vec<String> {
        match self {
            ColumnEncoder::Numeric { .. } | ColumnEncoder::Binary { .. } | ColumnEncoder::Target { .. } => {
                vec![name.to_string()]
            }
            ColumnEncoder::Date { .. } => ["day", "month", "year"].iter().map(|p| format!("{name}_{p}")).collect(),
            ColumnEncoder::OneHot { levels, .. } => levels.iter().map(|l| format!("{name}_{l}")).collect(),
        }
    }

    fn transform(&self, name: &str, column: &Column, out: &mut Matrix) -> Result<(), LearnError> {
        let wrong_type = |expected: &str| LearnError::Column {
            column: name.to_string(),
            message: format!("expected {expected} values"),
        };
        match (self, column) {
            (ColumnEncoder::Numeric { fill }, Column::Numeric(values)) => {
                out.push_column(values.iter().map(|v| if v.is_nan() { *fill } else { *v }).collect());
            }
            (ColumnEncoder::Numeric { .. }, _) => return Err(wrong_type("numeric")),
            (ColumnEncoder::Date { format, fill }, Column::Categorical(categorical)) => {
                transform_date(name, *format, fill, categorical, out)?
            }
            (_, Column::Categorical(categorical)) => self.transform_categorical(categorical, out),
            (_, Column::Numeric(_)) => return Err(wrong_type("text")),
        }
        Ok(())
    }

    fn transform_categorical(&self, categorical: &CategoricalColumn, out: &mut Matrix) {
        // Map each of this batch's levels once, then every row by its code.
        let level_text = |code: u32, fill: &str| -> String {
            if code == MISSING_CODE {
                fill.to_string()
            } else {
                categorical.levels[code as usize].clone()
            }
        };
        match self {
            ColumnEncoder::Binary { levels, fill } => {
                let code_value = |code: u32| {
                    let text = level_text(code, fill);
                    if text == levels[0] {
                        0.0
                    } else if text == levels[1] {
                        1.0
                    } else {
                        -1.0
                    }
                };
                out.push_column(map_codes(categorical, code_value));
            }
            ColumnEncoder::OneHot { levels, fill } => {
                let position = |code: u32| levels.iter().position(|l| *l == level_text(code, fill));
                let level_of_code: Vec<Option<usize>> = (0..categorical.levels.len() as u32).map(position).collect();
                let missing_level = position(MISSING_CODE);
                for level_idx in 0..levels.len() {
                    let column = categorical
                        .codes
                        .iter()
                        .map(|&c| {
                            let level = if c == MISSING_CODE { missing_level } else { level_of_code[c as usize] };
                            if level == Some(level_idx) {
                                1.0
                            } else {
                                0.0
                            }
                        })
                        .collect();
                    out.push_column(column);
                }
            }
            ColumnEncoder::Target { levels, encodings, prior, fill } => {
                let code_value = |code: u32| {
                    let text = level_text(code, fill);
                    levels.iter().position(|l| *l == text).map_or(*prior, |idx| encodings[idx])
                };
                out.push_column(map_codes(categorical, code_value));
            }
            ColumnEncoder::Numeric { .. } | ColumnEncoder::Date { .. } => unreachable!("handled by the caller"),
        }
    }
}

/// Evaluates `code_value` once per distinct level, then maps the rows.
fn map_codes(categorical: &CategoricalColumn, code_value: impl Fn(u32) -> f64) -> Vec<f64> {
    let per_level: Vec<f64> = (0..categorical.levels.len() as u32).map(&code_value).collect();
    let missing = code_value(MISSING_CODE);
    categorical.codes.iter().map(|&c| if c == MISSING_CODE { missing } else { per_level[c as usize] }).collect()
}

fn transform_date(
    name: &str,
    format: DateFormat,
    fill: &[f64; 3],
    categorical: &CategoricalColumn,
    out: &mut Matrix,
) -> Result<(), LearnError> {
    let level_parts: Vec<Option<[f64; 3]>> = categorical.levels.iter().map(|l| date_parts(format, l)).collect();
    if let Some(row) = categorical.codes.iter().position(|&c| c != MISSING_CODE && level_parts[c as usize].is_none()) {
        return Err(LearnError::Value {
            column: name.to_string(),
            row: row + 1,
            message: format!(
                "{:?} is not a date in the training format ({format:?})",
                categorical.value(row).unwrap_or("")
            ),
        });
    }
    for part_idx in 0..3 {
        let column = categorical
            .codes
            .iter()
            .map(|&c| {
                if c == MISSING_CODE {
                    fill[part_idx]
                } else {
                    level_parts[c as usize].map_or(fill[part_idx], |p| p[part_idx])
                }
            })
            .collect();
        out.push_column(column);
    }
    Ok(())
}

impl FittedEncoder {
    /// The names of every output column, in order.
    pub fn output_names(&self) -> Vec<String> {
        self.columns.iter().flat_map(|(name, encoder)| encoder.output_names(name)).collect()
    }

    /// Checks an encoder read from a file against the `schema` it was fitted
    /// with: one encoder per schema column, in order, of a matching kind, each
    /// one's levels and numbers consistent and finite; returns the output
    /// width, or an error naming the column and field.
    pub fn validate(&self, schema: &[InputColumn]) -> Result<usize, (String, String)> {
        if self.columns.len() != schema.len() {
            return Err((
                "columns".to_string(),
                format!("{} encoded columns for {} schema columns", self.columns.len(), schema.len()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut width = 0usize;
        for ((name, encoder), input) in self.columns.iter().zip(schema) {
            let fail = |message: String| Err((format!("column \"{name}\""), message));
            if *name != input.name {
                return fail(format!("the schema has \"{}\" in its place", input.name));
            }
            if !seen.insert(name.as_str()) {
                return fail("appears twice".to_string());
            }
            let kind_matches = matches!(
                (encoder, &input.kind),
                (ColumnEncoder::Numeric { .. }, ColumnKind::Numeric)
                    | (ColumnEncoder::Date { .. }, ColumnKind::Date { .. })
                    | (
                        ColumnEncoder::Binary { .. } | ColumnEncoder::OneHot { .. } | ColumnEncoder::Target { .. },
                        ColumnKind::Categorical
                    )
            );
            if !kind_matches {
                return fail(format!("its encoding does not fit the schema's kind {:?}", input.kind));
            }
            let finite = match encoder {
                ColumnEncoder::Numeric { fill } => fill.is_finite(),
                ColumnEncoder::Date { fill, .. } => fill.iter().all(|v| v.is_finite()),
                ColumnEncoder::Target { levels, encodings, prior, .. } => {
                    if encodings.len() != levels.len() {
                        return fail(format!("encodings has {} values for {} levels", encodings.len(), levels.len()));
                    }
                    prior.is_finite() && encodings.iter().all(|v| v.is_finite())
                }
                ColumnEncoder::OneHot { levels, .. } if levels.is_empty() => {
                    return fail("levels is empty".to_string())
                }
                ColumnEncoder::Binary { .. } | ColumnEncoder::OneHot { .. } => true,
            };
            if !finite {
                return fail("a fill or encoding is not a finite number".to_string());
            }
            let n_out = match encoder {
                ColumnEncoder::Date { .. } => 3,
                ColumnEncoder::OneHot { levels, .. } => levels.len(),
                _ => 1,
            };
            width = width.checked_add(n_out).ok_or_else(|| (format!("column \"{name}\""), "too wide".to_string()))?;
        }
        Ok(width)
    }

    /// Output indices of the columns that came from numeric inputs (the inputs
    /// of the trigonometry, interaction and ratio features).
    pub fn numeric_output_indices(&self) -> Vec<usize> {
        let mut indices = Vec::new();
        let mut offset = 0;
        for (name, encoder) in &self.columns {
            if matches!(encoder, ColumnEncoder::Numeric { .. }) {
                indices.push(offset);
            }
            offset += encoder.output_names(name).len();
        }
        indices
    }

    /// Encodes `table` into the model's input matrix; a missing column or a cell of the wrong type is an error naming
    /// it.
    pub fn transform(&self, table: &Table) -> Result<Matrix, LearnError> {
        let mut out = Matrix::with_rows(table.n_rows());
        for (name, encoder) in &self.columns {
            let column = table.column(name).ok_or_else(|| LearnError::MissingColumn(name.clone()))?;
            encoder.transform(name, column, &mut out)?;
        }
        Ok(out)
    }
}
