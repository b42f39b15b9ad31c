//! One error type for everything that can go wrong reading a table. Every
//! variant names the file, and the line and column where it applies, so the CLI
//! can print one specific line. An error from below (IO, the csv or parquet
//! crate) is kept as the variant's `source` and shown in its message.

use thiserror::Error;

/// Why a table could not be read.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{path}: no such file")]
    NotFound { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error("{path}: the file is empty (no header row)")]
    Empty { path: String },
    #[error("{path}: the file has a header but no data rows")]
    HeaderOnly { path: String },
    #[error("{path}: duplicate column name \"{name}\" (columns {first} and {second})")]
    DuplicateColumn { path: String, name: String, first: usize, second: usize },
    #[error("{path}: line {line}: expected {expected} fields like the header, found {found}")]
    Ragged { path: String, line: u64, expected: u64, found: u64 },
    #[error("{path}: line {line}, column {column}: invalid UTF-8")]
    InvalidUtf8 { path: String, line: u64, column: String },
    #[error("{path}: line {line}, column \"{column}\": {message}")]
    Cell { path: String, line: u64, column: String, message: String },
    #[error("{path}: line {line}: the record is over {limit} bytes, so a field is over the limit of {field_limit} bytes (--max-field-bytes)")]
    RecordTooLong { path: String, line: u64, limit: u64, field_limit: usize },
    #[error("{path}: missing column \"{column}\" (the file has: {available})")]
    MissingColumn { path: String, column: String, available: String },
    #[error("{path}: not a readable Parquet file: {source}")]
    Parquet { path: String, source: parquet::errors::ParquetError },
    #[error("column \"{column}\": {message}")]
    Column { column: String, message: String },
    #[error("unknown dataset \"{name}\" (bundled: {available})")]
    UnknownDataset { name: String, available: String },
}
