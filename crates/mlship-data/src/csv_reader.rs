//! CSV reading. `read_csv` loads a whole file for training, inferring column
//! types in one pass; `CsvBatchReader` streams a file in fixed-size batches
//! against a known schema, for prediction in bounded memory whatever the size.
//! Both use the `csv` crate (RFC 4180 quoting, embedded newlines, CRLF, BOM).

use crate::builder::ColumnBuilder;
use crate::infer::ColumnKind;
use crate::parse::{canonical_level, is_missing, parse_number};
use crate::table::{CategoricalBuilder, Column, Table};
use crate::DataError;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// How to split a CSV file into cells.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The byte between cells (`b','` unless the user says otherwise).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',' }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, DataError> {
    let source = path.display().to_string();
    if !path.exists() {
        return Err(DataError::NotFound { path: source });
    }
    let file = File::open(path).map_err(|e| DataError::Io { path: source, source: e })?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

fn csv_reader<R: Read>(input: R, options: &CsvOptions) -> csv::Reader<R> {
    csv::ReaderBuilder::new().delimiter(options.delimiter).has_headers(true).flexible(false).from_reader(input)
}

/// Maps a `csv` error to ours, with the line and the column where it applies.
fn csv_error(path: &str, names: &[String], error: csv::Error) -> DataError {
    let path = path.to_string();
    match error.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            DataError::Ragged { path, line: pos.as_ref().map_or(0, |p| p.line()), expected: *expected_len, found: *len }
        }
        csv::ErrorKind::Utf8 { pos, err } => DataError::InvalidUtf8 {
            path,
            line: pos.as_ref().map_or(0, |p| p.line()),
            column: names.get(err.field()).cloned().unwrap_or_else(|| format!("#{}", err.field() + 1)),
        },
        // Reading (IO errors show as the IO error itself).
        _ => DataError::Csv { path, source: error },
    }
}

/// Column names from the header row: an empty name becomes `Unnamed: i` as in
/// pandas (a CSV saved with its index has one); duplicates are an error.
fn header_names<R: Read>(reader: &mut csv::Reader<R>, path: &str) -> Result<Vec<String>, DataError> {
    let headers = reader.headers().map_err(|e| csv_error(path, &[], e))?;
    if headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty()) {
        return Err(DataError::Empty { path: path.to_string() });
    }
    let names: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(idx, name)| if name.trim().is_empty() { format!("Unnamed: {idx}") } else { name.to_string() })
        .collect();
    for (second, name) in names.iter().enumerate() {
        if let Some(first) = names[..second].iter().position(|n| n == name) {
            return Err(DataError::DuplicateColumn {
                path: path.to_string(),
                name: name.clone(),
                first: first + 1,
                second: second + 1,
            });
        }
    }
    Ok(names)
}

/// Reads a whole CSV file, inferring numeric vs categorical per column.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<Table, DataError> {
    let source = path.display().to_string();
    read_csv_from(open(path)?, &source, options)
}

/// Reads CSV from any reader (the bundled datasets are compiled in).
pub fn read_csv_from<R: Read>(input: R, source: &str, options: &CsvOptions) -> Result<Table, DataError> {
    let mut reader = csv_reader(input, options);
    let names = header_names(&mut reader, source)?;
    let mut builders: Vec<ColumnBuilder> = names.iter().map(|_| ColumnBuilder::default()).collect();
    let mut record = csv::StringRecord::new();
    let mut n_rows = 0usize;
    while reader.read_record(&mut record).map_err(|e| csv_error(source, &names, e))? {
        for (builder, cell) in builders.iter_mut().zip(record.iter()) {
            builder.push_cell(cell);
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(DataError::HeaderOnly { path: source.to_string() });
    }
    Ok(Table { names, columns: builders.into_iter().map(ColumnBuilder::finish).collect() })
}

/// One batch of a streamed file: the raw records (to write back out with the
/// predictions appended) and the schema's columns parsed from them.
pub struct CsvBatch {
    /// The batch's rows as read, written back out with the predictions appended.
    pub records: Vec<csv::StringRecord>,
    /// The schema's columns parsed from those rows.
    pub table: Table,
    /// The file line of the first record, for error messages downstream.
    pub first_line: u64,
}

/// Streams a CSV file against a schema: only the schema's columns are parsed,
/// every other column is carried through untouched.
pub struct CsvBatchReader {
    reader: csv::Reader<BufReader<File>>,
    source: String,
    /// Every column name in the file, in file order, for the output header.
    pub file_names: Vec<String>,
    /// For each schema column: its name, kind and index in the file.
    columns: Vec<(String, ColumnKind, usize)>,
}

impl CsvBatchReader {
    /// Opens `path` and finds each schema column in its header; a missing column is an error naming it.
    pub fn open(path: &Path, options: &CsvOptions, schema: &[(String, ColumnKind)]) -> Result<Self, DataError> {
        let source = path.display().to_string();
        let mut reader = csv_reader(open(path)?, options);
        let file_names = header_names(&mut reader, &source)?;
        let mut columns = Vec::with_capacity(schema.len());
        for (name, kind) in schema {
            let Some(idx) = file_names.iter().position(|n| n == name) else {
                return Err(DataError::MissingColumn {
                    path: source,
                    column: name.clone(),
                    available: file_names.join(", "),
                });
            };
            columns.push((name.clone(), kind.clone(), idx));
        }
        Ok(CsvBatchReader { reader, source, file_names, columns })
    }

    /// The next batch of at most `max_rows` rows, or `None` at the end of the file.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<CsvBatch>, DataError> {
        let mut records = Vec::with_capacity(max_rows.min(1 << 16));
        let mut record = csv::StringRecord::new();
        while records.len() < max_rows
            && self.reader.read_record(&mut record).map_err(|e| csv_error(&self.source, &self.file_names, e))?
        {
            // A clone is sized exactly; reading into fresh records would grow each one by reallocation.
            records.push(record.clone());
        }
        if records.is_empty() {
            return Ok(None);
        }
        let first_line = records[0].position().map_or(0, |p| p.line());
        let mut table = Table::default();
        for (name, kind, file_idx) in &self.columns {
            let column = match kind {
                ColumnKind::Numeric => Column::Numeric(self.parse_numeric(&records, name, *file_idx)?),
                ColumnKind::Categorical | ColumnKind::Date { .. } => {
                    let mut builder = CategoricalBuilder::default();
                    for record in &records {
                        let cell = &record[*file_idx];
                        builder.push((!is_missing(cell)).then(|| canonical_level(cell)).as_deref());
                    }
                    Column::Categorical(builder.finish())
                }
            };
            table.push(name.clone(), column);
        }
        Ok(Some(CsvBatch { records, table, first_line }))
    }

    fn parse_numeric(&self, records: &[csv::StringRecord], name: &str, file_idx: usize) -> Result<Vec<f64>, DataError> {
        records
            .iter()
            .map(|record| {
                let cell = &record[file_idx];
                if let Some(value) = parse_number(cell) {
                    return Ok(value);
                }
                if is_missing(cell) {
                    return Ok(f64::NAN);
                }
                Err(DataError::Cell {
                    path: self.source.clone(),
                    line: record.position().map_or(0, |p| p.line()),
                    column: name.to_string(),
                    message: format!("{cell:?} is not a number"),
                })
            })
            .collect()
    }
}
