//! The current data, made comparable with the reference: the model's input
//! columns in the model's types where the values allow, the rest reported
//! (missing columns are an error, extra ones are listed and ignored, a
//! numeric column that now holds text is a drifted column, not a failure).

use anyhow::{bail, Result};
use mlship_data::parse::{canonical_number_text, is_missing, parse_number};
use mlship_data::{CategoricalColumn, Column, ColumnKind, Table};
use mlship_learn::FittedPipeline;

/// The current data, conformed to the model's schema.
pub struct CurrentData {
    /// The model's input columns, in the schema's order.
    pub table: Table,
    /// Input columns whose values no longer have the model's type.
    pub changed_type: Vec<String>,
    /// Columns the model does not read (the target excepted).
    pub extra: Vec<String>,
    /// The target column, when the data carries actuals.
    pub actuals: Option<Column>,
}

/// Conforms `raw` (as read, kinds inferred from its own cells) to `pipeline`'s schema.
pub fn conform(mut raw: Table, pipeline: &FittedPipeline, source: &str) -> Result<CurrentData> {
    let missing: Vec<&str> =
        pipeline.schema.iter().map(|c| c.name.as_str()).filter(|name| raw.position(name).is_none()).collect();
    if !missing.is_empty() {
        bail!(
            "{source}: missing column{} {} that the model reads (the file has: {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", "),
            raw.names.join(", ")
        );
    }
    let actuals = raw.remove(&pipeline.target);
    let mut table = Table::default();
    let mut changed_type = Vec::new();
    for input in &pipeline.schema {
        let Some(column) = raw.remove(&input.name) else { continue };
        let column = match (&input.kind, column) {
            (ColumnKind::Numeric, Column::Categorical(categorical)) => match numbers(&categorical) {
                Some(values) => Column::Numeric(values),
                None => {
                    changed_type.push(input.name.clone());
                    Column::Categorical(categorical)
                }
            },
            (ColumnKind::Categorical | ColumnKind::Date { .. }, column @ Column::Numeric(_)) => as_labels(&column),
            (_, column) => column,
        };
        table.push(input.name.clone(), column);
    }
    Ok(CurrentData { table, changed_type, extra: raw.names, actuals })
}

/// The column as numbers, when every label reads as one (a CSV column that a
/// stray text cell made categorical elsewhere, or a Parquet string column).
fn numbers(column: &CategoricalColumn) -> Option<Vec<f64>> {
    let levels: Vec<f64> = column
        .levels
        .iter()
        .map(|level| if is_missing(level) { Some(f64::NAN) } else { parse_number(level) })
        .collect::<Option<_>>()?;
    Some(
        column
            .codes
            .iter()
            .map(|&code| if code == mlship_data::MISSING_CODE { f64::NAN } else { levels[code as usize] })
            .collect(),
    )
}

/// The column as labels: numbers become their canonical text (as training
/// reads a number in a categorical column), missing cells stay missing.
pub fn as_labels(column: &Column) -> Column {
    match column {
        Column::Categorical(_) => column.clone(),
        Column::Numeric(values) => Column::Categorical(CategoricalColumn::from_values(
            values
                .iter()
                .map(|v| (!v.is_nan()).then(|| canonical_number_text(*v)))
                .collect::<Vec<_>>()
                .iter()
                .map(Option::as_deref),
        )),
    }
}
