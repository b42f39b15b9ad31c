//! CSV reading. `read_csv` loads a whole file for training, inferring column
//! types in one pass; `CsvBatchReader` streams a file in fixed-size batches
//! against a known schema, for prediction in bounded memory whatever the size.
//! Both use the `csv` crate (RFC 4180 quoting, embedded newlines, CRLF, BOM).

use crate::builder::ColumnBuilder;
use crate::infer::ColumnKind;
use crate::parse::{canonical_level, is_missing, is_non_finite_number, non_finite_message, parse_number};
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
        for (column, (builder, cell)) in builders.iter_mut().zip(record.iter()).enumerate() {
            if !builder.push_cell(cell) {
                return Err(DataError::Cell {
                    path: source.to_string(),
                    line: record.position().map_or(0, |p| p.line()),
                    column: names[column].clone(),
                    message: non_finite_message(cell),
                });
            }
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

/// The largest field `CsvBatchReader` accepts unless told otherwise (1 MiB).
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// A record above this many bytes is not reused as the read buffer.
const LARGE_RECORD: usize = 1 << 16;

/// Read-ahead a record may have beyond its own bytes: the `BufReader`'s and
/// the csv parser's buffers.
const READ_AHEAD: u64 = 1 << 18;

/// The file under the csv parser, counting the bytes read since the start of
/// the record being parsed: a record longer than `limit` stops the read with
/// an error, so one hostile line (a 5 GB field with no newline) never has to
/// fit in memory before it is refused.
struct Bounded<R> {
    inner: R,
    read: u64,
    /// Byte offset of the record being parsed (the end of the last one).
    record_start: u64,
    /// Its line, for the error.
    record_line: u64,
    limit: u64,
}

/// The error `Bounded` raises, told apart from other IO errors by type.
#[derive(Debug)]
struct RecordTooLong {
    line: u64,
    limit: u64,
}

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: a record over {} bytes", self.line, self.limit)
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.record_start > self.limit.saturating_add(READ_AHEAD) {
            return Err(std::io::Error::other(RecordTooLong { line: self.record_line, limit: self.limit }));
        }
        Ok(n)
    }
}

/// Streams a CSV file against a schema: only the schema's columns are parsed,
/// every other column is carried through untouched. Batches are bounded in
/// rows and in bytes, and every field in `max_field_bytes`.
pub struct CsvBatchReader {
    reader: csv::Reader<Bounded<BufReader<File>>>,
    max_field_bytes: usize,
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
        let max_field_bytes = DEFAULT_MAX_FIELD_BYTES;
        // The header line is bounded too, before the field limit is known per column.
        let bounded = Bounded { inner: open(path)?, read: 0, record_start: 0, record_line: 1, limit: 64 << 20 };
        let mut reader = csv_reader(bounded, options);
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
        let mut batch_reader = CsvBatchReader { reader, max_field_bytes, source, file_names, columns };
        batch_reader.set_max_field_bytes(max_field_bytes);
        Ok(batch_reader)
    }

    /// Refuses any field over `bytes` (a record over `bytes` × its field
    /// count is refused while it is read), with an error naming the line and column.
    pub fn set_max_field_bytes(&mut self, bytes: usize) {
        self.max_field_bytes = bytes;
        let n_fields = self.file_names.len().max(1) as u64;
        self.reader.get_mut().limit = (bytes as u64).saturating_mul(n_fields).saturating_add(n_fields);
        self.mark_record_start();
    }

    /// The parser's position is the start of the next record: what `Bounded` counts from.
    fn mark_record_start(&mut self) {
        let position = self.reader.position().clone();
        let bounded = self.reader.get_mut();
        bounded.record_start = position.byte();
        bounded.record_line = position.line();
    }

    /// The next batch of at most `max_rows` rows, or `None` at the end of the file.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<CsvBatch>, DataError> {
        self.next_batch_bounded(max_rows, usize::MAX)
    }

    /// The next batch: at most `max_rows` rows, and rows only until their
    /// bytes reach `max_bytes` (at least one row); `None` at the end of the file.
    pub fn next_batch_bounded(&mut self, max_rows: usize, max_bytes: usize) -> Result<Option<CsvBatch>, DataError> {
        let mut records = Vec::with_capacity(max_rows.min(1 << 16));
        let mut record = csv::StringRecord::new();
        let mut bytes = 0usize;
        while records.len() < max_rows && bytes < max_bytes && self.read_one(&mut record)? {
            let used = record.as_byte_record().as_slice().len();
            bytes = bytes.saturating_add(used);
            // Reading into one record and cloning it avoids growing each row by
            // reallocation. But a clone copies the record's whole buffer, which
            // only grows: after one 2 MB field every later row would cost 2 MB
            // (gigabytes per batch). A large record therefore retires the buffer.
            records.push(record.clone());
            if used > LARGE_RECORD {
                record = csv::StringRecord::new();
            }
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
                        if is_non_finite_number(cell) {
                            return Err(DataError::Cell {
                                path: self.source.clone(),
                                line: record.position().map_or(0, |p| p.line()),
                                column: name.clone(),
                                message: non_finite_message(cell),
                            });
                        }
                        builder.push((!is_missing(cell)).then(|| canonical_level(cell)).as_deref());
                    }
                    Column::Categorical(builder.finish())
                }
            };
            table.push(name.clone(), column);
        }
        Ok(Some(CsvBatch { records, table, first_line }))
    }

    /// Reads one record, refusing one over the record bound or with a field over `max_field_bytes`.
    fn read_one(&mut self, record: &mut csv::StringRecord) -> Result<bool, DataError> {
        let read = self.reader.read_record(record);
        let read = match read {
            Ok(read) => read,
            Err(error) => {
                let too_long = match error.kind() {
                    csv::ErrorKind::Io(io) => io.get_ref().and_then(|e| e.downcast_ref::<RecordTooLong>()),
                    _ => None,
                };
                return Err(match too_long {
                    Some(too_long) => DataError::RecordTooLong {
                        path: self.source.clone(),
                        line: too_long.line,
                        limit: too_long.limit,
                        field_limit: self.max_field_bytes,
                    },
                    None => csv_error(&self.source, &self.file_names, error),
                });
            }
        };
        self.mark_record_start();
        if let Some(column) = record.iter().position(|field| field.len() > self.max_field_bytes) {
            return Err(DataError::Cell {
                path: self.source.clone(),
                line: record.position().map_or(0, |p| p.line()),
                column: self.file_names.get(column).cloned().unwrap_or_default(),
                message: format!(
                    "a field of {} bytes is over the limit of {} bytes (--max-field-bytes)",
                    record[column].len(),
                    self.max_field_bytes
                ),
            });
        }
        Ok(read)
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
                let message = if is_non_finite_number(cell) {
                    non_finite_message(cell)
                } else {
                    format!("{cell:?} is not a number")
                };
                Err(DataError::Cell {
                    path: self.source.clone(),
                    line: record.position().map_or(0, |p| p.line()),
                    column: name.to_string(),
                    message,
                })
            })
            .collect()
    }
}
