//! Tables for mlship: reading CSV and Parquet into typed columns, inferring
//! column kinds the way PyCaret does, parsing dates, the bundled datasets and
//! the dataset fingerprint. No machine learning lives here: the learning crate
//! receives a [`Table`] and never touches a file.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

mod builder;
mod csv_reader;
pub mod datasets;
pub mod date;
mod error;
mod fingerprint;
mod infer;
mod parquet_reader;
pub mod parse;
mod table;

pub use csv_reader::{read_csv, read_csv_from, CsvBatch, CsvBatchReader, CsvOptions, DEFAULT_MAX_FIELD_BYTES};
pub use error::DataError;
pub use fingerprint::Fingerprint;
pub use infer::{infer_kinds, ColumnKind, KindOverrides};
pub use parquet_reader::{read_parquet, ParquetBatchReader};
pub use table::{CategoricalBuilder, CategoricalColumn, Column, Table, MISSING_CODE};

use std::path::Path;

/// A table read from disk together with the fingerprint of the bytes it came from.
#[derive(Debug)]
pub struct LoadedTable {
    /// The parsed table.
    pub table: Table,
    /// The fingerprint of the bytes it was parsed from.
    pub fingerprint: Fingerprint,
    /// Where the table came from, for messages and run records.
    pub source: String,
}

/// Reads a CSV or Parquet file (chosen by extension, `.parquet`/`.pq` is Parquet).
pub fn read_path(path: &Path, options: &CsvOptions) -> Result<LoadedTable, DataError> {
    let source = path.display().to_string();
    if !path.exists() {
        return Err(DataError::NotFound { path: source });
    }
    let fingerprint = Fingerprint::of_file(path)?;
    let is_parquet = matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("parquet") | Some("pq")
    );
    let table = if is_parquet { read_parquet(path)? } else { read_csv(path, options)? };
    Ok(LoadedTable { table, fingerprint, source })
}
