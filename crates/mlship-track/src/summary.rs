//! How a run is read back: its row's columns, and its latest metrics, params
//! and tags as folded text kept on the run row (rewritten in the transaction
//! that changes them), read in place without building maps.

use crate::runs::{RunRow, RunStatus};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A run's columns (from `runs r JOIN experiments e`), named as `RunRow`'s
/// `FromRow` reads them, then its latest metrics, params and tags as folded
/// text (see `fold`), kept on the run row so listing 10,000 runs reads 10,000 rows.
pub(crate) const RUN_COLUMNS: &str =
    "r.id AS id, r.experiment_id AS experiment_id, e.name AS experiment, r.name AS name, r.status AS status, \
     r.start_time AS start_time, r.end_time AS end_time, r.user_name AS user_name, \
     r.metrics_summary AS metrics_summary, r.params_summary AS params_summary, r.tags_summary AS tags_summary";

/// Lists read each run as its id and one text column (`packed_run_columns`):
/// the drivers' cost is per column value (about a microsecond each through
/// sqlx's Any driver), so 10,000 runs as 2 values each instead of 11 halve
/// the time of a full list. GS (0x1d) separates the fields; no field can hold
/// it (names and values refuse control characters).
pub(crate) const PACK_SEPARATOR: &str = "\u{1d}";

pub(crate) fn packed_run_columns(separator: &str) -> String {
    let fields = [
        "CAST(r.experiment_id AS TEXT)",
        "r.name",
        "r.status",
        "CAST(r.start_time AS TEXT)",
        "COALESCE(CAST(r.end_time AS TEXT), '')",
        "r.user_name",
        "r.metrics_summary",
        "r.params_summary",
        "r.tags_summary",
    ];
    fields.join(&format!(" || {separator} || "))
}

pub(crate) fn unpack_run(
    id: String,
    packed: &str,
    experiments: &std::collections::HashMap<i64, String>,
) -> Option<RunRow> {
    let mut fields = packed.split(PACK_SEPARATOR);
    let mut next = || fields.next();
    let experiment_id: i64 = next()?.parse().ok()?;
    let name = next()?.to_string();
    let status = RunStatus::parse(next()?);
    let start_time = next()?.parse().ok()?;
    let end_time = Some(next()?).filter(|t| !t.is_empty()).and_then(|t| t.parse().ok());
    let user = next()?.to_string();
    let metrics = MetricValues(Pairs(next()?.to_string()));
    let params = Pairs(next()?.to_string());
    let tags = Pairs(next()?.to_string());
    Some(RunRow {
        id,
        experiment_id,
        experiment: experiments.get(&experiment_id).cloned().unwrap_or_default(),
        name,
        status,
        start_time,
        end_time,
        user,
        metrics,
        params,
        tags,
    })
}

/// `key US value RS key US value…` (US = 0x1f, RS = 0x1e): keys hold no
/// control characters and values none but tab and line breaks (checked on
/// the way in), so the separators cannot collide. Floats use Rust's shortest
/// form that parses back to the same f64.
pub(crate) fn fold<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut text = String::new();
    for (key, value) in pairs {
        if !text.is_empty() {
            text.push('\u{1e}');
        }
        text.push_str(key);
        text.push('\u{1f}');
        text.push_str(&value);
    }
    text
}

/// Key-value pairs (params, tags) kept as the folded text the store reads:
/// looked up and iterated in place, so listing 10,000 runs builds no maps.
/// Keys are in order; serialised as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs(pub(crate) String);

impl Pairs {
    /// Each key and value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0.split('\u{1e}').filter_map(|pair| pair.split_once('\u{1f}'))
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Pairs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// A run's latest metric values, folded like `Pairs`; values parse on access.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricValues(pub(crate) Pairs);

impl MetricValues {
    /// Each metric's key and value, in key order; a value that does not parse is skipped.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.0.iter().filter_map(|(k, v)| v.parse().ok().map(|v| (k, v)))
    }

    /// The value of the metric `key`, if present.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).and_then(|v| v.parse().ok())
    }

    /// The metric keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.keys()
    }
}

impl Serialize for MetricValues {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'r> sqlx::FromRow<'r, AnyRow> for RunRow {
    /// A row selected with `RUN_COLUMNS`.
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(RunRow {
            id: row.try_get("id")?,
            experiment_id: row.try_get("experiment_id")?,
            experiment: row.try_get("experiment")?,
            name: row.try_get("name")?,
            status: RunStatus::parse(&row.try_get::<String, _>("status")?),
            start_time: row.try_get("start_time")?,
            end_time: row.try_get("end_time")?,
            user: row.try_get("user_name")?,
            metrics: MetricValues(Pairs(row.try_get("metrics_summary")?)),
            params: Pairs(row.try_get("params_summary")?),
            tags: Pairs(row.try_get("tags_summary")?),
        })
    }
}
