//! Run tracking and the model registry.
//!
//! A store is a database (SQLite by default, PostgreSQL for teams) and an
//! artifact folder. Rows hold relative artifact paths and their sha256; files
//! are written (fsynced) before the row that points at them commits, and
//! checked against the recorded digest when read back.

pub mod db;
pub mod filter;
pub mod migrate;
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
pub use names::{parse_alias, parse_name, Name};
pub use paths::ArtifactRoot;
pub use registry::{AliasEvent, ModelDetail, ModelRef, ModelSource, ModelSummary, ModelVersion};
pub use runs::{Experiment, MetricPoint, NewRun, RunDetail, RunFile, RunRow, RunStatus};
pub use search::{ComparisonRow, RunQuery};
pub use store::{Store, StoreLocation, DEFAULT_STORE};
pub use summary::{MetricValues, Pairs};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TrackError {
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName { kind: String, name: String, reason: String },
    #[error("refused artifact path {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },
    #[error("invalid store {url:?}: {reason}")]
    InvalidStore { url: String, reason: String },
    #[error("store {store}: {message}")]
    Database { store: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: sha256 is {actual}, but the store recorded {expected}; the artifact was changed or damaged")]
    Integrity { path: String, expected: String, actual: String },
    #[error("invalid filter {expression:?} at character {position}: {reason}")]
    InvalidFilter { expression: String, position: usize, reason: String },
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
                | TrackError::InvalidFilter { .. }
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
    let seconds = ms.div_euclid(1000);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}
