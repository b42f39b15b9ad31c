//! Finding runs: list with MLflow-style filters and sorts (one query, one
//! row per run), and side-by-side comparison.

use crate::filter::{self, Op, Scope, Value};
use crate::names;
use crate::runs::RunRow;
use crate::sql::Sql;
use crate::store::Store;
use crate::summary::{packed_run_columns, unpack_run, PACK_SEPARATOR};
use crate::TrackError;
use serde::Serialize;
use sqlx::Row;

/// Which runs to list, and in what order.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    /// Only runs of this experiment.
    pub experiment: Option<String>,
    /// Only runs matching this filter (MLflow's search syntax).
    pub filter: Option<String>,
    /// The sort key, e.g. `metrics.r2 DESC` or `-metrics.r2`.
    pub sort: Option<String>,
    /// None: every matching run.
    pub limit: Option<usize>,
    /// Only runs of these experiments, by id (MLflow's `experiment_ids`); empty: no such restriction.
    pub experiment_ids: Vec<i64>,
    /// Active runs (the default), deleted ones, or both.
    pub lifecycle: Lifecycle,
    /// Matching runs skipped before the first one returned (MLflow's page tokens).
    pub offset: usize,
}

/// Which runs a list shows by their lifecycle stage (MLflow's `ViewType`):
/// a run deleted through MLflow's protocol is hidden unless asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lifecycle {
    /// Runs not deleted (`ACTIVE_ONLY`).
    #[default]
    ActiveOnly,
    /// Deleted runs only (`DELETED_ONLY`).
    DeletedOnly,
    /// Both (`ALL`).
    All,
}

impl Lifecycle {
    /// MLflow's `run_view_type` / `view_type` names (`ACTIVE_ONLY` when absent).
    pub fn parse(text: Option<&str>) -> Result<Lifecycle, TrackError> {
        match text.map(str::to_ascii_uppercase).as_deref() {
            None | Some("ACTIVE_ONLY") | Some("1") => Ok(Lifecycle::ActiveOnly),
            Some("DELETED_ONLY") | Some("2") => Ok(Lifecycle::DeletedOnly),
            Some("ALL") | Some("3") => Ok(Lifecycle::All),
            Some(other) => {
                Err(TrackError::Invalid(format!("invalid view type {other:?}: ACTIVE_ONLY, DELETED_ONLY or ALL")))
            }
        }
    }

    /// The condition on `alias.lifecycle_stage`, if any.
    pub(crate) fn condition(self, alias: &str) -> Option<String> {
        match self {
            Lifecycle::ActiveOnly => Some(format!("{alias}.lifecycle_stage = 'active'")),
            Lifecycle::DeletedOnly => Some(format!("{alias}.lifecycle_stage = 'deleted'")),
            Lifecycle::All => None,
        }
    }
}

impl Store {
    /// The runs matching `query`, sorted, with their latest metrics, params and tags.
    pub async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRow>, TrackError> {
        let clauses = match &query.filter {
            Some(text) => filter::parse_filter(text)?,
            None => Vec::new(),
        };
        let sort = query.sort.as_deref().map(filter::parse_sort).transpose()?;
        if let (Some(sort), Some(text)) = (&sort, &query.sort) {
            self.check_sort_key(sort, text).await?;
        }
        let mut sql = Sql::default();
        let mut from = "FROM runs r JOIN experiments e ON e.id = r.experiment_id".to_string();
        let mut order = "r.start_time DESC, r.id".to_string();
        if let Some(sort) = &sort {
            let direction = if sort.descending { "DESC" } else { "ASC" };
            match &sort.scope {
                Scope::Metric | Scope::Param | Scope::Tag => {
                    let table = match sort.scope {
                        Scope::Metric => "latest_metrics",
                        Scope::Param => "params",
                        _ => "tags",
                    };
                    let key = sql.text(&sort.key);
                    from.push_str(&format!(" LEFT JOIN {table} s ON s.run_id = r.id AND s.key = {key}"));
                    order = format!("s.value {direction} NULLS LAST, r.start_time DESC, r.id");
                }
                Scope::Attribute(column) => order = format!("r.{column} {direction} NULLS LAST, r.id"),
            }
        }
        let mut conditions = Vec::new();
        if let Some(experiment) = &query.experiment {
            let name = names::parse_name("experiment", experiment)?;
            let id = self
                .find_experiment_id(&name.canonical)
                .await?
                .ok_or_else(|| TrackError::NotFound(format!("no experiment named {experiment:?}")))?;
            conditions.push(format!("r.experiment_id = {}", sql.int(id)));
        }
        if !query.experiment_ids.is_empty() {
            let ids: Vec<String> = query.experiment_ids.iter().map(|id| sql.int(*id)).collect();
            conditions.push(format!("r.experiment_id IN ({})", ids.join(", ")));
        }
        conditions.extend(query.lifecycle.condition("r"));
        for clause in &clauses {
            conditions.push(clause_sql(&mut sql, clause));
        }
        let where_sql =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let mut limit = match query.limit {
            Some(n) => format!(" LIMIT {}", sql.int(n as i64)),
            // SQLite takes OFFSET only after a LIMIT; -1 is its "no limit", PostgreSQL's is ALL.
            None if query.offset > 0 => {
                format!(" LIMIT {}", if self.db.backend == crate::db::Backend::Postgres { "ALL" } else { "-1" })
            }
            None => String::new(),
        };
        if query.offset > 0 {
            limit.push_str(&format!(" OFFSET {}", sql.int(query.offset as i64)));
        }
        let separator = sql.text(PACK_SEPARATOR);
        sql.text = format!(
            "SELECT r.id AS id, {} AS packed {from}{where_sql} ORDER BY {order}{limit}",
            packed_run_columns(&separator)
        );
        let experiments = sqlx::query("SELECT id, name FROM experiments")
            .fetch_all(&self.db.pool)
            .await
            .and_then(|rows| rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("name")?))).collect())
            .map_err(|e| self.db.err(e))?;
        let rows = sql.query().fetch_all(&self.db.pool).await.map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id").map_err(|e| self.db.err(e))?;
                let packed: String = row.try_get("packed").map_err(|e| self.db.err(e))?;
                unpack_run(id, &packed, &experiments).ok_or_else(|| TrackError::Inconsistent {
                    store: self.db.shown.clone(),
                    message: "a run row could not be read back (damaged summary)".to_string(),
                })
            })
            .collect()
    }
}

/// The table a metric, param or tag key lives in; `None` for an attribute.
fn key_table(scope: &Scope) -> Option<&'static str> {
    match scope {
        Scope::Metric => Some("latest_metrics"),
        Scope::Param => Some("params"),
        Scope::Tag => Some("tags"),
        Scope::Attribute(_) => None,
    }
}

/// How many known keys of each kind an unknown sort key's error lists.
const KNOWN_KEYS_SHOWN: i64 = 40;

impl Store {
    /// A metric, param or tag sort key that no run in the store has is a
    /// mistake (a typo would otherwise sort nothing, silently): the error
    /// lists the keys that exist.
    async fn check_sort_key(&self, sort: &filter::SortKey, text: &str) -> Result<(), TrackError> {
        let Some(table) = key_table(&sort.scope) else { return Ok(()) };
        let found: Option<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT key FROM {table} WHERE key = $1 LIMIT 1")))
                .bind(&sort.key)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        if found.is_some() {
            return Ok(());
        }
        let mut known: Vec<String> = filter::ATTRIBUTES
            .iter()
            .filter(|(name, _)| !matches!(*name, "name" | "id"))
            .map(|(name, _)| format!("attributes.{name}"))
            .collect();
        for (scope, table) in [("metrics", "latest_metrics"), ("params", "params"), ("tags", "tags")] {
            let keys: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT key FROM {table} ORDER BY key LIMIT {KNOWN_KEYS_SHOWN}"
            )))
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
            known.extend(keys.into_iter().map(|key| format!("{scope}.{key}")));
        }
        let scope = match sort.scope {
            Scope::Metric => "metric",
            Scope::Param => "param",
            _ => "tag",
        };
        Err(TrackError::InvalidFilter {
            expression: text.to_string(),
            position: 1,
            reason: format!(
                "unknown sort key: no run has the {scope} {:?}; known keys: {}",
                sort.key,
                known.join(", ")
            ),
        })
    }
}

fn clause_sql(sql: &mut Sql, clause: &filter::Clause) -> String {
    let op = clause.op.sql();
    match &clause.scope {
        Scope::Metric | Scope::Param | Scope::Tag => {
            let table = match clause.scope {
                Scope::Metric => "latest_metrics",
                Scope::Param => "params",
                _ => "tags",
            };
            let key = sql.text(&clause.key);
            let (column, value) = match (&clause.value, clause.op) {
                (Value::Number(n), _) => ("f.value".to_string(), sql.float(*n)),
                (Value::Text(t), Op::ILike) => ("LOWER(f.value)".to_string(), format!("LOWER({})", sql.text(t))),
                (Value::Text(t), _) => ("f.value".to_string(), sql.text(t)),
            };
            format!(
                "EXISTS (SELECT 1 FROM {table} f WHERE f.run_id = r.id AND f.key = {key} AND {column} {op} {value})"
            )
        }
        Scope::Attribute(column) => {
            let value = match &clause.value {
                Value::Number(n) => sql.int(*n as i64),
                Value::Text(t) if *column == "status" => sql.text(&t.to_ascii_uppercase()),
                Value::Text(t) => sql.text(t),
            };
            if clause.op == Op::ILike {
                format!("LOWER(r.{column}) LIKE LOWER({value})")
            } else {
                format!("r.{column} {op} {value}")
            }
        }
    }
}

/// One param or metric across compared runs.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRow {
    /// The param or metric name.
    pub key: String,
    /// Its value in each run, in the runs' order; `None` where a run lacks it.
    pub values: Vec<Option<String>>,
    /// Whether the runs disagree, so the page can highlight the row.
    pub differs: bool,
}

/// Params then summary metrics (not per-fold), one row per key across the runs.
pub fn compare(runs: &[RunRow]) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    let params: std::collections::BTreeSet<&str> = runs.iter().flat_map(|r| r.params.keys()).collect();
    for key in params {
        let values: Vec<Option<String>> = runs.iter().map(|r| r.params.get(key).map(str::to_string)).collect();
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        rows.push(ComparisonRow { key: format!("params.{key}"), values, differs });
    }
    let metrics: std::collections::BTreeSet<&str> =
        runs.iter().flat_map(|r| r.metrics.keys()).filter(|k| !k.starts_with("fold_")).collect();
    for key in metrics {
        let values: Vec<Option<String>> = runs.iter().map(|r| r.metrics.get(key).map(|v| format!("{v:.4}"))).collect();
        let differs = values.windows(2).any(|w| w[0] != w[1]);
        rows.push(ComparisonRow { key: format!("metrics.{key}"), values, differs });
    }
    rows
}
