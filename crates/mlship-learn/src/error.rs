//! The learning crate's one error type. Messages are lower-case, name the
//! offending column, row and value, and never expose internals.

use thiserror::Error;

/// Why fitting, predicting or evaluating a pipeline failed.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LearnError {
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("too few rows: {0}")]
    TooFewRows(String),
    #[error("missing column \"{0}\" in the input")]
    MissingColumn(String),
    #[error("column \"{column}\" row {row}: {message}")]
    Value { column: String, row: usize, message: String },
    #[error("column \"{column}\": {message}")]
    Column { column: String, message: String },
    #[error("{0}")]
    Shape(String),
    #[error("numerical failure in {step}: {message}")]
    Numerical { step: String, message: String },
    #[error("{step}: {message}")]
    InvalidPipeline { step: String, message: String },
}
