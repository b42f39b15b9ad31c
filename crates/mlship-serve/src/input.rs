//! From request bodies to the model's input table, validated against the
//! artifact's input schema. Every protocol (records, columns, MLflow's split
//! frame, KServe tensors, CSV, the HTML form) ends in the same `InputBuilder`,
//! so validation and messages are the same everywhere. Unknown categorical
//! levels and values outside the training range are scored (as PyCaret does)
//! and reported as warnings, aggregated per column (`warnings`).

use crate::error::ApiError;
use crate::warnings::{WarningKind, Warnings};
use mlship_data::parse::{
    canonical_level, canonical_number_text, is_missing, is_non_finite_number, non_finite_message, parse_number,
};
use mlship_data::CategoricalBuilder;
use mlship_data::{Column, ColumnKind, Table};
use mlship_learn::InputColumn;
use serde_json::Value;
use std::borrow::Cow;

/// Numbers beyond this magnitude are refused: no column of real data is that
/// large, and it keeps every product the pipeline forms finite.
pub const MAX_ABS_VALUE: f64 = 1e15;

pub struct ParsedInput {
    pub table: Table,
    pub warnings: Warnings,
}

/// One JSON cell, borrowed from the request body where it can be.
pub(crate) enum Cell<'de> {
    Null,
    Number(f64),
    Text(Cow<'de, str>),
    /// Anything else, described for the error message.
    Other(&'static str),
}

enum Cells {
    Numeric(Vec<f64>),
    Text(CategoricalBuilder),
}

/// Collects one column's cells for one request.
struct ColumnInput<'a> {
    spec: &'a InputColumn,
    cells: Cells,
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> ColumnInput<'a> {
    fn new(spec: &'a InputColumn) -> Self {
        let cells = match spec.kind {
            ColumnKind::Numeric => Cells::Numeric(Vec::new()),
            _ => Cells::Text(CategoricalBuilder::default()),
        };
        ColumnInput { spec, cells }
    }

    fn check_number(&self, row: usize, value: f64, warnings: &mut Warnings) -> Result<f64, ApiError> {
        let name = &self.spec.name;
        if !value.is_finite() || value.abs() > MAX_ABS_VALUE {
            return Err(ApiError::field(
                name,
                format!("row {row}: {value} is outside any sane range for a numeric column (|x| ≤ 1e15)"),
            ));
        }
        if let (Some(min), Some(max)) = (self.spec.min, self.spec.max) {
            if value < min || value > max {
                warnings.add(name, WarningKind::OutOfRange, row, &value, || {
                    format!("outside the training range {min} to {max}")
                });
            }
        }
        Ok(value)
    }

    fn push_text(&mut self, row: usize, text: &str, warnings: &mut Warnings) -> Result<(), ApiError> {
        let name = &self.spec.name;
        let level = canonical_level(text);
        match &self.spec.kind {
            ColumnKind::Date { format } => {
                if format.parse(&level).is_none() {
                    return Err(ApiError::field(
                        name,
                        format!("row {row}: {text:?} is not a date in the format {format:?}"),
                    ));
                }
            }
            _ => {
                if self.spec.levels.binary_search_by(|l| l.as_str().cmp(&level)).is_err() {
                    warnings.add(name, WarningKind::UnknownLevel, row, &text, || {
                        "unknown level: scored as PyCaret does (an unseen category)".to_string()
                    });
                }
            }
        }
        if let Cells::Text(builder) = &mut self.cells {
            builder.push(Some(&level));
        }
        Ok(())
    }

    /// A JSON value: numbers for numeric columns, strings (or numbers) for the others, null for missing.
    fn push_json(&mut self, row: usize, value: &Value, warnings: &mut Warnings) -> Result<(), ApiError> {
        let cell = match value {
            Value::Null => Cell::Null,
            Value::Number(number) => Cell::Number(number.as_f64().unwrap_or(f64::INFINITY)),
            Value::String(text) => Cell::Text(Cow::Borrowed(text)),
            other => Cell::Other(describe(other)),
        };
        self.push_cell(row, cell, warnings)
    }

    fn push_cell(&mut self, row: usize, cell: Cell<'_>, warnings: &mut Warnings) -> Result<(), ApiError> {
        match (&mut self.cells, cell) {
            (Cells::Numeric(values), Cell::Null) => values.push(f64::NAN),
            (Cells::Text(builder), Cell::Null) => builder.push(None),
            (Cells::Numeric(_), Cell::Number(number)) => {
                let checked = self.check_number(row, number, warnings)?;
                if let Cells::Numeric(values) = &mut self.cells {
                    values.push(checked);
                }
            }
            (Cells::Text(_), Cell::Number(number)) => self.push_text(row, &canonical_number_text(number), warnings)?,
            (Cells::Text(_), Cell::Text(text)) => self.push_text(row, &text, warnings)?,
            (Cells::Numeric(_), Cell::Text(_)) => {
                return Err(ApiError::field(&self.spec.name, format!("row {row}: expected a number, got a string")))
            }
            (Cells::Numeric(_), Cell::Other(what)) => {
                return Err(ApiError::field(&self.spec.name, format!("row {row}: expected a number, got {what}")))
            }
            (Cells::Text(_), Cell::Other(what)) => {
                return Err(ApiError::field(&self.spec.name, format!("row {row}: expected a string, got {what}")))
            }
        }
        Ok(())
    }

    /// A text cell (CSV, HTML form): numbers are parsed, missing tokens are missing.
    fn push_str(&mut self, row: usize, cell: &str, warnings: &mut Warnings) -> Result<(), ApiError> {
        if is_missing(cell) {
            match &mut self.cells {
                Cells::Numeric(values) => values.push(f64::NAN),
                Cells::Text(builder) => builder.push(None),
            }
            return Ok(());
        }
        if is_non_finite_number(cell) {
            return Err(ApiError::field(&self.spec.name, format!("row {row}: {}", non_finite_message(cell))));
        }
        match &self.cells {
            Cells::Numeric(_) => {
                let Some(value) = parse_number(cell) else {
                    return Err(ApiError::field(&self.spec.name, format!("row {row}: {cell:?} is not a number")));
                };
                let checked = self.check_number(row, value, warnings)?;
                if let Cells::Numeric(values) = &mut self.cells {
                    values.push(checked);
                }
                Ok(())
            }
            Cells::Text(_) => self.push_text(row, cell, warnings),
        }
    }

    fn finish(self) -> Column {
        match self.cells {
            Cells::Numeric(values) => Column::Numeric(values),
            Cells::Text(builder) => Column::Categorical(builder.finish()),
        }
    }
}

/// Builds the input table one row or one column at a time.
pub struct InputBuilder<'a> {
    columns: Vec<ColumnInput<'a>>,
    warnings: Warnings,
}

impl InputBuilder<'_> {
    /// The position of a column by name.
    pub(crate) fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.spec.name == name)
    }

    pub(crate) fn n_columns(&self) -> usize {
        self.columns.len()
    }

    pub(crate) fn column_name(&self, idx: usize) -> &str {
        &self.columns[idx].spec.name
    }

    pub(crate) fn push_cell(&mut self, column_idx: usize, row: usize, cell: Cell<'_>) -> Result<(), ApiError> {
        let warnings = &mut self.warnings;
        self.columns[column_idx].push_cell(row, cell, warnings)
    }
}

impl<'a> InputBuilder<'a> {
    pub fn new(schema: &'a [InputColumn]) -> Self {
        InputBuilder { columns: schema.iter().map(ColumnInput::new).collect(), warnings: Warnings::default() }
    }

    pub(crate) fn finish(self, n_rows: usize) -> Result<ParsedInput, ApiError> {
        if n_rows == 0 {
            return Err(ApiError::unprocessable("empty batch: send at least one row"));
        }
        let mut table = Table::default();
        for column in self.columns {
            let name = column.spec.name.clone();
            table.push(name, column.finish());
        }
        Ok(ParsedInput { table, warnings: self.warnings })
    }
}

fn check_length(name: &str, length: usize, n_rows: &mut Option<usize>) -> Result<(), ApiError> {
    match *n_rows {
        Some(expected) if expected != length => {
            Err(ApiError::field(name, format!("has {length} values but the other columns have {expected}")))
        }
        _ => {
            *n_rows = Some(length);
            Ok(())
        }
    }
}

/// A name given twice in a list of columns is refused (which one would be
/// scored is a guess), as `/predict_api` and the CLI refuse it.
fn refuse_duplicates<'n>(names: impl IntoIterator<Item = &'n str>, place: &str) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(ApiError::field(name, format!("column \"{name}\" appears twice in {place}")));
        }
    }
    Ok(())
}

/// MLflow's `dataframe_split`: column names and rows of values.
pub fn from_split(schema: &[InputColumn], names: &[Value], data: &[Value]) -> Result<ParsedInput, ApiError> {
    let names: Vec<&str> = names
        .iter()
        .map(|n| n.as_str().ok_or_else(|| ApiError::unprocessable("dataframe_split.columns must be strings")))
        .collect::<Result<_, _>>()?;
    refuse_duplicates(names.iter().copied(), "dataframe_split.columns")?;
    let mut builder = InputBuilder::new(schema);
    let positions: Vec<usize> = builder
        .columns
        .iter()
        .map(|c| {
            names.iter().position(|n| *n == c.spec.name).ok_or_else(|| {
                ApiError::field(&c.spec.name, format!("missing column \"{}\" in dataframe_split.columns", c.spec.name))
            })
        })
        .collect::<Result<_, _>>()?;
    for (row, values) in data.iter().enumerate() {
        let Value::Array(values) = values else {
            return Err(ApiError::unprocessable(format!("dataframe_split.data row {row}: expected an array")));
        };
        if values.len() != names.len() {
            return Err(ApiError::unprocessable(format!(
                "dataframe_split.data row {row}: {} values for {} columns",
                values.len(),
                names.len()
            )));
        }
        for (column, &position) in builder.columns.iter_mut().zip(&positions) {
            column.push_json(row, &values[position], &mut builder.warnings)?;
        }
    }
    builder.finish(data.len())
}

/// A CSV body with a header row (MLflow's `text/csv`).
pub fn from_csv(schema: &[InputColumn], body: &[u8]) -> Result<ParsedInput, ApiError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
    let headers = reader.headers().map_err(|e| ApiError::bad_request(format!("invalid CSV header: {e}")))?.clone();
    refuse_duplicates(headers.iter(), "the CSV header")?;
    let mut builder = InputBuilder::new(schema);
    let positions: Vec<usize> = builder
        .columns
        .iter()
        .map(|c| {
            headers.iter().position(|h| h == c.spec.name).ok_or_else(|| {
                ApiError::field(&c.spec.name, format!("missing column \"{}\" in the CSV header", c.spec.name))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut n_rows = 0;
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ApiError::bad_request(format!("invalid CSV at row {row}: {e}")))?;
        if let Some(column) = record.iter().position(|field| field.len() > mlship_data::DEFAULT_MAX_FIELD_BYTES) {
            let name = headers.get(column).unwrap_or("");
            return Err(ApiError::field(
                name,
                format!(
                    "row {row}: a field of {} bytes is over the limit of {} bytes",
                    record[column].len(),
                    mlship_data::DEFAULT_MAX_FIELD_BYTES
                ),
            ));
        }
        for (column, &position) in builder.columns.iter_mut().zip(&positions) {
            column.push_str(row, &record[position], &mut builder.warnings)?;
        }
        n_rows += 1;
    }
    builder.finish(n_rows)
}

/// One row of text fields (the HTML form); returns every field's error, not just the first.
pub fn from_form(schema: &[InputColumn], fields: &[(String, String)]) -> Result<ParsedInput, Vec<ApiError>> {
    let mut builder = InputBuilder::new(schema);
    let mut errors = Vec::new();
    for column in &mut builder.columns {
        let name = column.spec.name.clone();
        let mut given = fields.iter().filter(|(k, _)| *k == name);
        let value = given.next().map(|(_, v)| v.trim());
        if given.next().is_some() {
            errors.push(ApiError::field(&name, format!("field \"{name}\" is given twice")));
            continue;
        }
        match value {
            None | Some("") => errors.push(ApiError::field(&name, "required")),
            Some(text) => {
                if let Err(error) = column.push_str(0, text, &mut builder.warnings) {
                    errors.push(error);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    builder.finish(1).map_err(|e| vec![e])
}

/// KServe V2 tensors: one input per column, BYTES for text, numeric datatypes for numbers.
pub fn from_tensors(schema: &[InputColumn], inputs: &[Value]) -> Result<ParsedInput, ApiError> {
    refuse_duplicates(inputs.iter().filter_map(|t| t.get("name").and_then(Value::as_str)), "the input tensors")?;
    let mut builder = InputBuilder::new(schema);
    let mut n_rows = None;
    for column in &mut builder.columns {
        let name = column.spec.name.clone();
        let tensor = inputs
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .ok_or_else(|| ApiError::field(&name, format!("missing input tensor \"{name}\"")))?;
        let datatype = tensor.get("datatype").and_then(Value::as_str).unwrap_or("");
        let numeric_type = matches!(
            datatype,
            "FP64" | "FP32" | "FP16" | "INT64" | "INT32" | "INT16" | "INT8" | "UINT64" | "UINT32" | "UINT16" | "UINT8"
        );
        match (&column.spec.kind, datatype) {
            (ColumnKind::Numeric, _) if numeric_type => {}
            (ColumnKind::Numeric, other) => {
                return Err(ApiError::field(
                    &name,
                    format!("datatype {other:?} given; this column needs FP64, FP32 or INT64"),
                ))
            }
            (_, "BYTES") => {}
            (_, other) => {
                return Err(ApiError::field(&name, format!("datatype {other:?} given; this column needs BYTES")))
            }
        }
        let data = flatten_tensor(&name, tensor)?;
        check_length(&name, data.len(), &mut n_rows)?;
        for (row, value) in data.iter().enumerate() {
            column.push_json(row, value, &mut builder.warnings)?;
        }
    }
    builder.finish(n_rows.unwrap_or(0))
}

/// A tensor's data, flat, checked against its shape ([n] or [n, 1]).
fn flatten_tensor<'v>(name: &str, tensor: &'v Value) -> Result<Vec<&'v Value>, ApiError> {
    let Some(Value::Array(data)) = tensor.get("data") else {
        return Err(ApiError::field(name, "tensor needs a \"data\" array"));
    };
    let flat: Vec<&Value> =
        data.iter().flat_map(|v| if let Value::Array(inner) = v { inner.iter().collect() } else { vec![v] }).collect();
    let shape: Vec<u64> = tensor
        .get("shape")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_u64).collect())
        .ok_or_else(|| ApiError::field(name, "tensor needs a \"shape\" array of integers"))?;
    let valid_shape = match shape.as_slice() {
        [n] => *n as usize == flat.len(),
        [n, 1] => *n as usize == flat.len(),
        _ => false,
    };
    if !valid_shape {
        return Err(ApiError::field(
            name,
            format!("shape {shape:?} does not describe {} values as [n] or [n, 1]", flat.len()),
        ));
    }
    Ok(flat)
}
