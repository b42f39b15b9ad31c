//! Column kinds as PyCaret infers them: numbers are numeric, text is
//! categorical, text where every value is a date is a date column. The user
//! overrides with `numeric_features`, `categorical_features`, `date_features`,
//! and drops columns with `ignore_features`.

use crate::date::{detect_format, DateFormat};
use crate::parse::{canonical_number_text, parse_number};
use crate::table::{CategoricalColumn, Column, Table, MISSING_CODE};
use crate::DataError;
use serde::{Deserialize, Serialize};

/// How a column is read and transformed: decided by inference or by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// Read as numbers.
    Numeric,
    /// Read as labels.
    Categorical,
    /// Read as dates in the given layout.
    Date {
        /// The layout its cells are written in.
        format: DateFormat,
    },
}

/// The user's corrections to inference, each a list of column names.
#[derive(Debug, Clone, Default)]
pub struct KindOverrides {
    /// Columns to read as numbers whatever they look like.
    pub numeric: Vec<String>,
    /// Columns to read as labels even when every cell is a number.
    pub categorical: Vec<String>,
    /// Columns to read as dates.
    pub date: Vec<String>,
    /// Columns to leave out of the features.
    pub ignore: Vec<String>,
}

impl KindOverrides {
    /// Every column an override names must exist in the table.
    fn check_names(&self, table: &Table) -> Result<(), DataError> {
        let lists = [&self.numeric, &self.categorical, &self.date, &self.ignore];
        for name in lists.into_iter().flatten() {
            if table.position(name).is_none() {
                return Err(DataError::Column {
                    column: name.clone(),
                    message: format!("named in an option but not in the data (columns: {})", table.names.join(", ")),
                });
            }
        }
        Ok(())
    }
}

/// Applies the overrides to `table` (converting columns where asked, dropping
/// ignored ones) and returns the kind of every remaining column.
pub fn infer_kinds(table: &mut Table, overrides: &KindOverrides) -> Result<Vec<ColumnKind>, DataError> {
    overrides.check_names(table)?;
    for name in &overrides.ignore {
        table.remove(name);
    }
    let mut kinds = Vec::with_capacity(table.n_cols());
    for (name, column) in table.names.iter().zip(table.columns.iter_mut()) {
        let kind = if overrides.numeric.contains(name) {
            *column = to_numeric(name, column)?;
            ColumnKind::Numeric
        } else if overrides.categorical.contains(name) {
            *column = to_categorical(column);
            ColumnKind::Categorical
        } else if overrides.date.contains(name) {
            *column = to_categorical(column);
            let Column::Categorical(categorical) = &*column else { unreachable!("converted above") };
            let format =
                detect_format(categorical.levels.iter().map(String::as_str)).ok_or_else(|| DataError::Column {
                    column: name.clone(),
                    message: "declared a date feature but its values are not all dates in one format".to_string(),
                })?;
            ColumnKind::Date { format }
        } else {
            match column {
                Column::Numeric(_) => ColumnKind::Numeric,
                Column::Categorical(categorical) => {
                    match detect_format(categorical.levels.iter().map(String::as_str)) {
                        Some(format) => ColumnKind::Date { format },
                        None => ColumnKind::Categorical,
                    }
                }
            }
        };
        kinds.push(kind);
    }
    Ok(kinds)
}

fn to_numeric(name: &str, column: &Column) -> Result<Column, DataError> {
    match column {
        Column::Numeric(values) => Ok(Column::Numeric(values.clone())),
        Column::Categorical(categorical) => {
            let level_values: Vec<Option<f64>> = categorical.levels.iter().map(|l| parse_number(l)).collect();
            let mut values = Vec::with_capacity(categorical.codes.len());
            for (row_idx, &code) in categorical.codes.iter().enumerate() {
                if code == MISSING_CODE {
                    values.push(f64::NAN);
                    continue;
                }
                let value = level_values[code as usize].ok_or_else(|| DataError::Column {
                    column: name.to_string(),
                    message: format!(
                        "declared numeric but row {} holds {:?}, which is not a number",
                        row_idx + 1,
                        categorical.levels[code as usize]
                    ),
                })?;
                values.push(value);
            }
            Ok(Column::Numeric(values))
        }
    }
}

fn to_categorical(column: &Column) -> Column {
    match column {
        Column::Categorical(categorical) => Column::Categorical(categorical.clone()),
        Column::Numeric(values) => {
            let texts: Vec<Option<String>> =
                values.iter().map(|v| (!v.is_nan()).then(|| canonical_number_text(*v))).collect();
            Column::Categorical(CategoricalColumn::from_values(texts.iter().map(|t| t.as_deref())))
        }
    }
}
