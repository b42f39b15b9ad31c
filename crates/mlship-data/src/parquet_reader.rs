//! Parquet reading through the `parquet` crate's row API (no Arrow: it would
//! triple the build for no gain at our sizes). Numbers become numeric cells,
//! strings and booleans text cells, dates and timestamps ISO date text, so
//! the rest of mlship sees the same table a CSV of that data would give.

use crate::builder::ColumnBuilder;
use crate::date::Date;
use crate::table::Table;
use crate::DataError;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::fs::File;
use std::path::Path;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Reads a whole Parquet file into a table; nested and binary columns are errors naming the column.
pub fn read_parquet(path: &Path) -> Result<Table, DataError> {
    let mut reader = ParquetBatchReader::open(path)?;
    match reader.next_batch(usize::MAX)? {
        Some(table) => Ok(table),
        None => Err(DataError::HeaderOnly { path: path.display().to_string() }),
    }
}

/// Streams a Parquet file's rows in batches (the row iterator reads one row
/// group at a time), each batch a table with every column of the file.
pub struct ParquetBatchReader {
    rows: parquet::record::reader::RowIter<'static>,
    names: Vec<String>,
    source: String,
    rows_read: usize,
}

impl ParquetBatchReader {
    /// Opens `path` and reads its schema; no rows are read yet.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let source = path.display().to_string();
        let parquet_error = |e| DataError::Parquet { path: source.clone(), source: e };
        let file = File::open(path).map_err(|e| DataError::Io { path: source.clone(), source: e })?;
        let reader = SerializedFileReader::new(file).map_err(parquet_error)?;
        let names: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .root_schema()
            .get_fields()
            .iter()
            .map(|field| field.name().to_string())
            .collect();
        if names.is_empty() {
            return Err(DataError::Empty { path: source });
        }
        Ok(ParquetBatchReader { rows: reader.into_iter(), names, source, rows_read: 0 })
    }

    /// The file's column names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The next batch of at most `max_rows` rows, or `None` at the end.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Table>, DataError> {
        let mut builders: Vec<ColumnBuilder> = self.names.iter().map(|_| ColumnBuilder::default()).collect();
        let mut n_rows = 0usize;
        while n_rows < max_rows {
            let Some(row) = self.rows.next() else { break };
            let row = row.map_err(|e| DataError::Parquet { path: self.source.clone(), source: e })?;
            for (col_idx, (_, field)) in row.get_column_iter().enumerate() {
                push_field(&mut builders[col_idx], field).map_err(|message| DataError::Cell {
                    path: self.source.clone(),
                    line: (self.rows_read + n_rows) as u64 + 1,
                    column: self.names[col_idx].clone(),
                    message,
                })?;
            }
            n_rows += 1;
        }
        self.rows_read += n_rows;
        if n_rows == 0 {
            return Ok(None);
        }
        let columns = builders.into_iter().map(ColumnBuilder::finish).collect();
        Ok(Some(Table { names: self.names.clone(), columns }))
    }
}

/// A NaN is Parquet's missing float; an infinity is refused, as in CSV.
fn push_number(builder: &mut ColumnBuilder, value: f64) -> Result<(), String> {
    if value.is_finite() {
        builder.push_number(value)
    } else if value.is_nan() {
        builder.push_missing()
    } else {
        return Err(crate::parse::non_finite_message(&value.to_string()));
    }
    Ok(())
}

/// A text cell, refused when it spells a non-finite number.
fn push_text_cell(builder: &mut ColumnBuilder, text: &str) -> Result<(), String> {
    if builder.push_cell(text) {
        Ok(())
    } else {
        Err(crate::parse::non_finite_message(text))
    }
}

fn push_field(builder: &mut ColumnBuilder, field: &Field) -> Result<(), String> {
    match field {
        Field::Null => builder.push_missing(),
        Field::Bool(value) => builder.push_text(if *value { "True" } else { "False" }),
        Field::Byte(v) => builder.push_number(f64::from(*v)),
        Field::Short(v) => builder.push_number(f64::from(*v)),
        Field::Int(v) => builder.push_number(f64::from(*v)),
        Field::Long(v) => builder.push_number(*v as f64),
        Field::UByte(v) => builder.push_number(f64::from(*v)),
        Field::UShort(v) => builder.push_number(f64::from(*v)),
        Field::UInt(v) => builder.push_number(f64::from(*v)),
        Field::ULong(v) => builder.push_number(*v as f64),
        Field::Float(v) => push_number(builder, f64::from(*v))?,
        Field::Double(v) => push_number(builder, *v)?,
        Field::Str(text) => push_text_cell(builder, text)?,
        Field::Date(days) => builder.push_text(&Date::from_days_since_epoch(i64::from(*days)).iso()),
        Field::TimestampMillis(ms) => {
            builder.push_text(&Date::from_days_since_epoch(ms.div_euclid(MILLIS_PER_DAY)).iso())
        }
        Field::TimestampMicros(us) => {
            builder.push_text(&Date::from_days_since_epoch(us.div_euclid(MILLIS_PER_DAY * 1000)).iso())
        }
        Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) | Field::Bytes(_) => {
            return Err("nested or binary Parquet values are not supported".to_string())
        }
        other => push_text_cell(builder, &other.to_string())?,
    }
    Ok(())
}
