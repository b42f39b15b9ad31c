//! Run tracking and the model registry.
//!
//! A store is a database (SQLite by default, PostgreSQL for teams) and an
//! artifact folder. Rows hold relative artifact paths and their sha256; files
//! are written (fsynced) before the row that points at them commits, and
//! checked against the recorded digest when read back.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

pub mod db;
pub mod drift;
pub mod filter;
pub mod migrate;
pub mod mlflow;
pub mod names;
pub mod paths;
pub mod plots;
mod process;
pub mod registry;
pub mod runs;
pub mod search;
mod sql;
mod store;
mod summary;

pub use db::Backend;
pub use drift::{DriftSummary, NewDriftReport};
pub use names::{parse_alias, parse_name, Name};
pub use paths::ArtifactRoot;
pub use registry::{AliasEvent, ModelDetail, ModelRef, ModelSource, ModelSummary, ModelVersion};
pub use runs::{Experiment, MetricPoint, NewRun, RunDetail, RunFile, RunRow, RunStatus};
pub use search::{ComparisonRow, Lifecycle, RunQuery};
pub use store::{Store, StoreLocation, DEFAULT_STORE};
pub use summary::{MetricValues, Pairs};

use thiserror::Error;

/// Every variant that wraps another error keeps it as its `source`; the
/// message also shows it, so a caller that prints only this error (the UI's
/// JSON, a test) still says what went wrong.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum TrackError {
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName { kind: String, name: String, reason: String },
    #[error("refused artifact path {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },
    #[error("invalid store {url:?}: {reason}")]
    InvalidStore { url: String, reason: String },
    #[error("invalid store {url:?}: {source}")]
    StoreUrl { url: String, source: sqlx::Error },
    #[error("invalid store {url:?}: cannot create {dir}: {source}")]
    StoreFolder { url: String, dir: String, source: std::io::Error },
    #[error("invalid store {url:?}: {source}")]
    StorePath { url: String, source: std::io::Error },
    #[error("store {store}: {source}")]
    Database { store: String, source: sqlx::Error },
    #[error("store {store}: migration {version} ({description}) failed: {source}")]
    Migration { store: String, version: i64, description: String, source: sqlx::Error },
    /// The store is readable but not as this mlship expects it (a newer
    /// schema, changed migrations, a damaged row).
    #[error("store {store}: {message}")]
    Inconsistent { store: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Creating what already exists (an experiment or model of that name).
    #[error("{0}")]
    AlreadyExists(String),
    /// A file given (or stored) as a model is not a readable one.
    #[error(transparent)]
    Model(#[from] mlship_artifact::ArtifactError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: sha256 is {actual}, but the store recorded {expected}; the artifact was changed or damaged")]
    Integrity { path: String, expected: String, actual: String },
    /// A new model name that reads like an existing model's (UTS #39 skeleton).
    #[error("model name {name:?} reads like the existing model {existing:?} (same Unicode skeleton); use {existing:?} or a name that reads differently")]
    ConfusableName { name: String, existing: String },
    #[error("invalid filter {expression:?} at character {position}: {reason}")]
    InvalidFilter { expression: String, position: usize, reason: String },
    #[error("cannot draw a random run id: {0}")]
    RunId(#[source] getrandom::Error),
}

impl TrackError {
    /// True for mistakes in what the caller asked for (HTTP 4xx), false for
    /// failures of the store itself.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            TrackError::InvalidName { .. }
                | TrackError::UnsafePath { .. }
                | TrackError::NotFound(_)
                | TrackError::Invalid(_)
                | TrackError::AlreadyExists(_)
                | TrackError::Model(_)
                | TrackError::InvalidFilter { .. }
                | TrackError::ConfusableName { .. }
        )
    }
}

/// Milliseconds since the Unix epoch: every time in the store.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The OS user, as recorded for runs, versions and alias moves.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(process::user_from_uid)
}

/// UTC, to the second: `2026-11-26 17:20:03`.
pub fn format_time(ms: i64) -> String {
    let t = mlship_data::date::UtcTime::from_unix_seconds(ms.div_euclid(1000));
    format!("{} {:02}:{:02}:{:02}", t.date.iso(), t.hour, t.minute, t.second)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_show_in_utc_to_the_second() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_time(1_795_713_603_999), "2026-11-26 17:20:03");
        assert_eq!(super::format_time(-1), "1969-12-31 23:59:59");
        assert_eq!(super::format_time(951_782_400_000), "2000-02-29 00:00:00");
    }
}
