//! The store in MLflow's terms: what `mlship ui`'s MLflow REST routes need
//! beyond mlship's own records (the HTTP shapes live in mlship-ui).
//!
//! One store, two vocabularies: a run logged by the `mlflow` client is a row
//! of `runs` like one logged by `mlship train` (so `mlship runs list` and the
//! UI show it), and `mlship train`'s runs answer MLflow's `runs/get` with
//! their params, metrics and tags. Where MLflow and mlship differ, this module
//! decides and says so:
//!
//! - A run created through the protocol records no host or pid (host `''`):
//!   its client, not a process on this machine, decides when it ends.
//! - MLflow's `KILLED` is stored as FAILED with the reason [`KILLED`] and
//!   answered as `KILLED`; `SCHEDULED` is RUNNING.
//! - Metric values must be finite (MLflow stores NaN with a flag; mlship's
//!   lists sort on them). A second value at the same step replaces the first.
//! - Experiment 0 is MLflow's `Default`, created the first time a client asks
//!   for it.

use crate::db::Transaction;
use crate::runs::MetricPoint;
use crate::search::{Lifecycle, RunQuery};
use crate::sql::Sql;
use crate::store::Store;
use crate::summary::fold;
use crate::{names, now_ms, TrackError};
use sqlx::Row;
use std::collections::BTreeMap;

/// The id MLflow's clients use when no experiment was set.
pub const DEFAULT_EXPERIMENT_ID: i64 = 0;
/// The `failure` of a run a client ended as `KILLED`.
pub const KILLED: &str = "KILLED by its MLflow client";
/// MLflow's limits on one `log-batch` request.
pub const MAX_BATCH_METRICS: usize = 1000;
/// MLflow's limit on params in one `log-batch` request.
pub const MAX_BATCH_PARAMS: usize = 100;
/// MLflow's limit on tags in one `log-batch` request.
pub const MAX_BATCH_TAGS: usize = 100;
/// MLflow's limit on params, tags and metrics together in one `log-batch` request.
pub const MAX_BATCH_ENTITIES: usize = 1000;

/// An experiment as MLflow describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowExperiment {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// `active` or `deleted`.
    pub lifecycle_stage: String,
    /// Milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Milliseconds since the Unix epoch.
    pub last_update_time: i64,
    /// Its tags, by key.
    pub tags: Vec<(String, String)>,
}

/// One metric value as MLflow sends and answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowMetric {
    /// The metric's name.
    pub key: String,
    /// The value.
    pub value: f64,
    /// When the client logged it, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The step.
    pub step: i64,
}

/// A run's attributes as MLflow's `RunInfo` has them.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowRunInfo {
    /// 32 hex digits.
    pub run_id: String,
    /// Its name.
    pub run_name: String,
    /// Its experiment.
    pub experiment_id: i64,
    /// Who ran it.
    pub user_id: String,
    /// RUNNING, FINISHED, FAILED or KILLED.
    pub status: String,
    /// Milliseconds since the Unix epoch.
    pub start_time: i64,
    /// Milliseconds since the Unix epoch, once ended.
    pub end_time: Option<i64>,
    /// `active` or `deleted`.
    pub lifecycle_stage: String,
}

/// A run with its data: the latest value of each metric, params and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowRun {
    /// Its attributes.
    pub info: MlflowRunInfo,
    /// The latest value of each metric.
    pub metrics: Vec<MlflowMetric>,
    /// Its params, by key.
    pub params: Vec<(String, String)>,
    /// Its tags, by key.
    pub tags: Vec<(String, String)>,
}

/// What `runs/create` takes.
#[derive(Debug, Clone, Default)]
pub struct MlflowNewRun {
    /// The experiment (0 is `Default`).
    pub experiment_id: i64,
    /// Who runs it.
    pub user_id: String,
    /// When it started (now when absent).
    pub start_time: Option<i64>,
    /// Its name (generated when absent, or taken from the `mlflow.runName` tag).
    pub run_name: Option<String>,
    /// Its first tags.
    pub tags: Vec<(String, String)>,
}

/// A page of results and the offset of the next page, if there is one.
pub type Page<T> = (Vec<T>, Option<usize>);

fn stored_status(status: &str) -> Result<(&'static str, Option<&'static str>), TrackError> {
    match status.to_ascii_uppercase().as_str() {
        "RUNNING" | "SCHEDULED" => Ok(("RUNNING", None)),
        "FINISHED" => Ok(("FINISHED", None)),
        "FAILED" => Ok(("FAILED", None)),
        "KILLED" => Ok(("FAILED", Some(KILLED))),
        other => Err(TrackError::Invalid(format!(
            "invalid run status {other:?}: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED"
        ))),
    }
}

fn shown_status(status: &str, failure: Option<&str>) -> String {
    if status == "FAILED" && failure == Some(KILLED) {
        "KILLED".to_string()
    } else {
        status.to_string()
    }
}

fn check_experiment_name(name: &str) -> Result<names::Name, TrackError> {
    if name.trim().is_empty() {
        return Err(TrackError::Invalid("an experiment name must not be empty".to_string()));
    }
    names::parse_name("experiment", name)
}

impl Store {
    /// Experiment `id`; asking for 0 creates MLflow's `Default` experiment when missing.
    pub async fn mlflow_experiment(&self, id: i64) -> Result<MlflowExperiment, TrackError> {
        if id == DEFAULT_EXPERIMENT_ID {
            self.ensure_default_experiment().await?;
        }
        let row = sqlx::query(
            "SELECT id, name, lifecycle_stage, created_at, last_update_time FROM experiments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?
        .ok_or_else(|| TrackError::NotFound(format!("No Experiment with id={id} exists")))?;
        let read = || -> Result<(i64, String, String, i64, Option<i64>), sqlx::Error> {
            Ok((
                row.try_get("id")?,
                row.try_get("name")?,
                row.try_get("lifecycle_stage")?,
                row.try_get("created_at")?,
                row.try_get("last_update_time")?,
            ))
        };
        let (id, name, lifecycle_stage, creation_time, last_update) = read().map_err(|e| self.db.err(e))?;
        let tags: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM experiment_tags WHERE experiment_id = $1 ORDER BY key")
                .bind(id)
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        Ok(MlflowExperiment {
            id,
            name,
            lifecycle_stage,
            creation_time,
            last_update_time: last_update.unwrap_or(creation_time),
            tags,
        })
    }

    async fn ensure_default_experiment(&self) -> Result<(), TrackError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM experiments WHERE id = $1")
            .bind(DEFAULT_EXPERIMENT_ID)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
        if exists.is_some() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM experiments WHERE id = $1 OR canonical_name = $2")
            .bind(DEFAULT_EXPERIMENT_ID)
            .bind("default")
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        match taken {
            Some(DEFAULT_EXPERIMENT_ID) => return Ok(()),
            Some(other) => {
                return Err(TrackError::Invalid(format!(
                    "MLflow's Default experiment (id 0) cannot be created: experiment {other} is already named \"Default\"; set an experiment in the client"
                )))
            }
            None => {}
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO experiments (id, name, canonical_name, created_at, last_update_time) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(DEFAULT_EXPERIMENT_ID)
        .bind("Default")
        .bind("default")
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// The experiment named `name` (any case or Unicode form).
    pub async fn mlflow_experiment_by_name(&self, name: &str) -> Result<MlflowExperiment, TrackError> {
        let parsed = check_experiment_name(name)?;
        if parsed.canonical == "default" {
            // MLflow's clients look `Default` up by name before using id 0.
            if let Ok(experiment) = self.mlflow_experiment(DEFAULT_EXPERIMENT_ID).await {
                if experiment.name.eq_ignore_ascii_case("default") {
                    return Ok(experiment);
                }
            }
        }
        match self.find_experiment_id(&parsed.canonical).await? {
            Some(id) => self.mlflow_experiment(id).await,
            None => Err(TrackError::NotFound(format!("Could not find experiment with name '{name}'"))),
        }
    }

    /// A new experiment; an existing name (deleted ones included) is `AlreadyExists`.
    pub async fn mlflow_create_experiment(&self, name: &str, tags: &[(String, String)]) -> Result<i64, TrackError> {
        let parsed = check_experiment_name(name)?;
        for (key, value) in tags {
            crate::runs::check_key_value("tag", key, value)?;
        }
        let mut tx = self.db.begin_write().await?;
        let existing: Option<(i64, String)> =
            sqlx::query_as("SELECT id, lifecycle_stage FROM experiments WHERE canonical_name = $1")
                .bind(&parsed.canonical)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        if let Some((id, stage)) = existing {
            return Err(TrackError::AlreadyExists(format!(
                "Experiment '{}' already exists (id {id}{})",
                parsed.display,
                if stage == "deleted" { ", deleted: restore it or choose another name" } else { "" }
            )));
        }
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM experiments")
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO experiments (id, name, canonical_name, created_at, last_update_time) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id)
        .bind(&parsed.display)
        .bind(&parsed.canonical)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        for (key, value) in tags {
            self.set_experiment_tag_in(&mut tx, id, key, value).await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    async fn set_experiment_tag_in(
        &self,
        tx: &mut Transaction,
        id: i64,
        key: &str,
        value: &str,
    ) -> Result<(), TrackError> {
        sqlx::query(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(id)
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(())
    }

    /// Sets a tag of experiment `id`.
    pub async fn mlflow_set_experiment_tag(&self, id: i64, key: &str, value: &str) -> Result<(), TrackError> {
        crate::runs::check_key_value("tag", key, value)?;
        self.mlflow_experiment(id).await?;
        let mut tx = self.db.begin_write().await?;
        self.set_experiment_tag_in(&mut tx, id, key, value).await?;
        sqlx::query("UPDATE experiments SET last_update_time = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Experiments by lifecycle, `name` filter clauses (`name = 'x'`,
    /// `name LIKE 'x%'`, `tags.k = 'v'`), newest first, one page.
    pub async fn mlflow_search_experiments(
        &self,
        lifecycle: Lifecycle,
        filter: Option<&str>,
        max_results: usize,
        offset: usize,
    ) -> Result<Page<MlflowExperiment>, TrackError> {
        use crate::filter::{Scope, Value};
        self.ensure_default_experiment().await.ok();
        let mut sql = Sql::default();
        let mut conditions: Vec<String> = lifecycle.condition("e").into_iter().collect();
        for clause in filter.map(crate::filter::parse_filter).transpose()?.unwrap_or_default() {
            let op = clause.op.sql();
            let value = match &clause.value {
                Value::Text(text) => sql.text(text),
                Value::Number(n) => sql.text(&n.to_string()),
            };
            let condition = match (&clause.scope, clause.op) {
                (Scope::Attribute("name"), crate::filter::Op::ILike) => format!("LOWER(e.name) LIKE LOWER({value})"),
                (Scope::Attribute("name"), _) => format!("e.name {op} {value}"),
                (Scope::Tag, _) => {
                    let key = sql.text(&clause.key);
                    format!(
                        "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.id AND t.key = {key} AND t.value {op} {value})"
                    )
                }
                _ => {
                    return Err(TrackError::Invalid(format!(
                        "invalid experiment filter on {:?}: experiments filter by name and tags",
                        clause.key
                    )))
                }
            };
            conditions.push(condition);
        }
        let where_sql =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let (limit, skip) = (sql.int(max_results as i64 + 1), sql.int(offset as i64));
        sql.text =
            format!("SELECT e.id AS id FROM experiments e{where_sql} ORDER BY e.id DESC LIMIT {limit} OFFSET {skip}");
        let rows = sql.query().fetch_all(&self.db.pool).await.map_err(|e| self.db.err(e))?;
        let mut ids: Vec<i64> =
            rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>().map_err(|e| self.db.err(e))?;
        let more = ids.len() > max_results;
        ids.truncate(max_results);
        let mut experiments = Vec::with_capacity(ids.len());
        for id in ids {
            experiments.push(self.mlflow_experiment(id).await?);
        }
        Ok((experiments, more.then_some(offset + max_results)))
    }

    /// Marks experiment `id` deleted (with its runs hidden) or active again.
    pub async fn mlflow_set_experiment_lifecycle(&self, id: i64, deleted: bool) -> Result<(), TrackError> {
        if id == DEFAULT_EXPERIMENT_ID && deleted {
            return Err(TrackError::Invalid("Cannot delete the default experiment '0'".to_string()));
        }
        self.mlflow_experiment(id).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE experiments SET lifecycle_stage = $1, last_update_time = $2 WHERE id = $3")
            .bind(if deleted { "deleted" } else { "active" })
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// A RUNNING run owned by a client (no host, no pid).
    pub async fn mlflow_create_run(&self, new: &MlflowNewRun) -> Result<MlflowRun, TrackError> {
        let experiment = self.mlflow_experiment(new.experiment_id).await?;
        if experiment.lifecycle_stage != "active" {
            return Err(TrackError::Invalid(format!(
                "The experiment {} must be in the 'active' state. Current state is {}.",
                experiment.id, experiment.lifecycle_stage
            )));
        }
        let mut tags = new.tags.clone();
        for (key, value) in &tags {
            crate::runs::check_key_value("tag", key, value)?;
        }
        let tagged_name = tags.iter().find(|(k, _)| k == "mlflow.runName").map(|(_, v)| v.clone());
        let id = crate::runs::new_run_id()?;
        let name = new
            .run_name
            .clone()
            .filter(|n| !n.is_empty())
            .or(tagged_name)
            .unwrap_or_else(|| format!("run-{}", &id[..8]));
        crate::runs::check_run_name(&name)?;
        if !tags.iter().any(|(k, _)| k == "mlflow.runName") {
            tags.push(("mlflow.runName".to_string(), name.clone()));
        }
        tags.sort();
        tags.dedup_by(|a, b| a.0 == b.0);
        let start = new.start_time.unwrap_or_else(now_ms);
        let user =
            if new.user_id.is_empty() { "mlflow".to_string() } else { new.user_id.replace(char::is_control, "?") };
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO runs (id, experiment_id, name, status, start_time, heartbeat, host, pid, process_start, user_name, tags_summary) \
             VALUES ($1, $2, $3, 'RUNNING', $4, $4, '', 0, '', $5, $6)",
        )
        .bind(&id)
        .bind(experiment.id)
        .bind(&name)
        .bind(start)
        .bind(&user)
        .bind(fold(tags.iter().map(|(k, v)| (k.as_str(), v.clone()))))
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        for (key, value) in &tags {
            sqlx::query("INSERT INTO tags (run_id, key, value) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.mlflow_run(&id).await
    }

    /// A run by its full id.
    pub async fn mlflow_run(&self, run_id: &str) -> Result<MlflowRun, TrackError> {
        let info = self.mlflow_run_info(run_id).await?;
        let metrics = self.latest_metric_points(std::slice::from_ref(&info.run_id)).await?.remove(&info.run_id);
        let params: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM params WHERE run_id = $1 ORDER BY key")
                .bind(run_id)
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        let tags: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM tags WHERE run_id = $1 ORDER BY key")
            .bind(run_id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
        Ok(MlflowRun { info, metrics: metrics.unwrap_or_default(), params, tags })
    }

    async fn mlflow_run_info(&self, run_id: &str) -> Result<MlflowRunInfo, TrackError> {
        let row = sqlx::query(
            "SELECT id, name, experiment_id, user_name, status, failure, start_time, end_time, lifecycle_stage \
             FROM runs WHERE id = $1",
        )
        .bind(run_id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?
        .ok_or_else(|| TrackError::NotFound(format!("Run '{run_id}' not found")))?;
        let read = || -> Result<MlflowRunInfo, sqlx::Error> {
            let status: String = row.try_get("status")?;
            let failure: Option<String> = row.try_get("failure")?;
            Ok(MlflowRunInfo {
                run_id: row.try_get("id")?,
                run_name: row.try_get("name")?,
                experiment_id: row.try_get("experiment_id")?,
                user_id: row.try_get("user_name")?,
                status: shown_status(&status, failure.as_deref()),
                start_time: row.try_get("start_time")?,
                end_time: row.try_get("end_time")?,
                lifecycle_stage: row.try_get("lifecycle_stage")?,
            })
        };
        read().map_err(|e| self.db.err(e))
    }

    /// The latest point of every metric of these runs, with the client's timestamp.
    async fn latest_metric_points(
        &self,
        run_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<MlflowMetric>>, TrackError> {
        let mut out: BTreeMap<String, Vec<MlflowMetric>> = BTreeMap::new();
        for chunk in run_ids.chunks(500) {
            let mut sql = Sql::default();
            let ids: Vec<String> = chunk.iter().map(|id| sql.text(id)).collect();
            sql.text = format!(
                "SELECT l.run_id AS run_id, l.key AS key, l.value AS value, l.step AS step, m.logged_at AS logged_at \
                 FROM latest_metrics l LEFT JOIN metrics m ON m.run_id = l.run_id AND m.key = l.key AND m.step = l.step \
                 WHERE l.run_id IN ({}) ORDER BY l.run_id, l.key",
                ids.join(", ")
            );
            let rows = sql.query().fetch_all(&self.db.pool).await.map_err(|e| self.db.err(e))?;
            for row in rows {
                let read = || -> Result<(String, MlflowMetric), sqlx::Error> {
                    Ok((
                        row.try_get("run_id")?,
                        MlflowMetric {
                            key: row.try_get("key")?,
                            value: row.try_get("value")?,
                            step: row.try_get("step")?,
                            timestamp: row.try_get::<Option<i64>, _>("logged_at")?.unwrap_or(0),
                        },
                    ))
                };
                let (run, metric) = read().map_err(|e| self.db.err(e))?;
                out.entry(run).or_default().push(metric);
            }
        }
        Ok(out)
    }

    async fn require_active_run(&self, tx: &mut Transaction, run_id: &str) -> Result<(), TrackError> {
        let stage: Option<String> = sqlx::query_scalar("SELECT lifecycle_stage FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
        match stage.as_deref() {
            Some("active") => Ok(()),
            Some(other) => Err(TrackError::Invalid(format!(
                "The run {run_id} must be in the 'active' state. Current state is {other}."
            ))),
            None => Err(TrackError::NotFound(format!("Run '{run_id}' not found"))),
        }
    }

    /// Status, end time and name (each when given) of a run.
    pub async fn mlflow_update_run(
        &self,
        run_id: &str,
        status: Option<&str>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<MlflowRunInfo, TrackError> {
        let status = status.map(stored_status).transpose()?;
        if let Some(name) = run_name {
            crate::runs::check_run_name(name)?;
        }
        let mut tx = self.db.begin_write().await?;
        self.require_active_run(&mut tx, run_id).await?;
        if let Some((status, failure)) = status {
            let end = if status == "RUNNING" { None } else { Some(end_time.unwrap_or_else(now_ms)) };
            sqlx::query("UPDATE runs SET status = $1, failure = $2, end_time = $3 WHERE id = $4")
                .bind(status)
                .bind(failure)
                .bind(end)
                .bind(run_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        } else if let Some(end) = end_time {
            sqlx::query("UPDATE runs SET end_time = $1 WHERE id = $2")
                .bind(end)
                .bind(run_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        }
        if let Some(name) = run_name.filter(|n| !n.is_empty()) {
            self.set_tags_in(&mut tx, run_id, &[("mlflow.runName".to_string(), name.to_string())]).await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.mlflow_run_info(run_id).await
    }

    /// Upserts tags (and follows `mlflow.runName` with the run's name), rewriting the tag summary.
    async fn set_tags_in(
        &self,
        tx: &mut Transaction,
        run_id: &str,
        tags: &[(String, String)],
    ) -> Result<(), TrackError> {
        for (key, value) in tags {
            sqlx::query(
                "INSERT INTO tags (run_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            )
            .bind(run_id)
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
            if key == "mlflow.runName" && !value.is_empty() {
                sqlx::query("UPDATE runs SET name = $1 WHERE id = $2")
                    .bind(value)
                    .bind(run_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| self.db.err(e))?;
            }
        }
        self.refold(tx, run_id, "tags", "tags_summary").await
    }

    async fn refold(&self, tx: &mut Transaction, run_id: &str, table: &str, column: &str) -> Result<(), TrackError> {
        let pairs: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT key, value FROM {table} WHERE run_id = $1 ORDER BY key"
        )))
        .bind(run_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| self.db.err(e))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE runs SET {column} = $1 WHERE id = $2")))
            .bind(fold(pairs.iter().map(|(k, v)| (k.as_str(), v.clone()))))
            .bind(run_id)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
        Ok(())
    }

    /// MLflow's `log-batch` (and its single-value calls): params (a key
    /// logged again must keep its value), tags, metric points with the
    /// client's timestamps, all in one transaction, limits as MLflow's.
    pub async fn mlflow_log_batch(
        &self,
        run_id: &str,
        metrics: &[MlflowMetric],
        params: &[(String, String)],
        tags: &[(String, String)],
    ) -> Result<(), TrackError> {
        if metrics.len() > MAX_BATCH_METRICS
            || params.len() > MAX_BATCH_PARAMS
            || tags.len() > MAX_BATCH_TAGS
            || metrics.len() + params.len() + tags.len() > MAX_BATCH_ENTITIES
        {
            return Err(TrackError::Invalid(format!(
                "A batch logging request can contain at most {MAX_BATCH_METRICS} metrics, {MAX_BATCH_PARAMS} params and {MAX_BATCH_TAGS} tags ({MAX_BATCH_ENTITIES} in all); got {} metrics, {} params, {} tags",
                metrics.len(),
                params.len(),
                tags.len()
            )));
        }
        for (key, value) in params {
            crate::runs::check_key_value("param", key, value)?;
        }
        for (key, value) in tags {
            crate::runs::check_key_value("tag", key, value)?;
        }
        let points: Vec<(MetricPoint, i64)> = metrics
            .iter()
            .map(|m| (MetricPoint { key: m.key.clone(), step: m.step, value: m.value }, m.timestamp))
            .collect();
        crate::runs::check_metric_points(points.iter().map(|(p, _)| p))?;
        let mut distinct: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, value) in params {
            if let Some(first) = distinct.insert(key, value) {
                if first != value {
                    return Err(TrackError::Invalid(format!(
                        "Duplicate parameter keys have been submitted: param {key:?} is given twice with different values"
                    )));
                }
            }
        }
        let mut tx = self.db.begin_write().await?;
        self.require_active_run(&mut tx, run_id).await?;
        if !distinct.is_empty() {
            let existing: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM params WHERE run_id = $1")
                .bind(run_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
            let existing: BTreeMap<String, String> = existing.into_iter().collect();
            for (key, value) in &distinct {
                match existing.get(*key) {
                    Some(old) if old != value => {
                        return Err(TrackError::Invalid(format!(
                            "Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run_id}'. Attempted logging new value '{value}'."
                        )))
                    }
                    Some(_) => {}
                    None => {
                        sqlx::query("INSERT INTO params (run_id, key, value) VALUES ($1, $2, $3)")
                            .bind(run_id)
                            .bind(*key)
                            .bind(*value)
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| self.db.err(e))?;
                    }
                }
            }
            self.refold(&mut tx, run_id, "params", "params_summary").await?;
        }
        if !tags.is_empty() {
            self.set_tags_in(&mut tx, run_id, tags).await?;
        }
        if !points.is_empty() {
            self.insert_metric_points(&mut tx, run_id, &points).await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Deletes a tag of a run.
    pub async fn mlflow_delete_tag(&self, run_id: &str, key: &str) -> Result<(), TrackError> {
        let mut tx = self.db.begin_write().await?;
        self.require_active_run(&mut tx, run_id).await?;
        let done = sqlx::query("DELETE FROM tags WHERE run_id = $1 AND key = $2")
            .bind(run_id)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        if done.rows_affected() == 0 {
            return Err(TrackError::NotFound(format!("No tag with name: {key} in run with id {run_id}")));
        }
        self.refold(&mut tx, run_id, "tags", "tags_summary").await?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Marks a run deleted (hidden from lists) or active again.
    pub async fn mlflow_set_run_lifecycle(&self, run_id: &str, deleted: bool) -> Result<(), TrackError> {
        self.mlflow_run_info(run_id).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE id = $3")
            .bind(if deleted { "deleted" } else { "active" })
            .bind(deleted.then(now_ms))
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Every point of one metric of a run, in step order.
    pub async fn mlflow_metric_history(&self, run_id: &str, key: &str) -> Result<Vec<MlflowMetric>, TrackError> {
        self.mlflow_run_info(run_id).await?;
        let rows =
            sqlx::query("SELECT key, value, step, logged_at FROM metrics WHERE run_id = $1 AND key = $2 ORDER BY step")
                .bind(run_id)
                .bind(key)
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|row| {
                Ok(MlflowMetric {
                    key: row.try_get("key")?,
                    value: row.try_get("value")?,
                    step: row.try_get("step")?,
                    timestamp: row.try_get("logged_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| self.db.err(e))
    }

    /// `runs/search`: the list's filter and sort (MLflow's syntax), one page.
    pub async fn mlflow_search_runs(
        &self,
        query: &RunQuery,
        max_results: usize,
    ) -> Result<Page<MlflowRun>, TrackError> {
        let mut paged = query.clone();
        paged.limit = Some(max_results + 1);
        let mut rows = self.list_runs(&paged).await?;
        let more = rows.len() > max_results;
        rows.truncate(max_results);
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut metrics = self.latest_metric_points(&ids).await?;
        let mut extra: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::default();
            let args: Vec<String> = chunk.iter().map(|id| sql.text(id)).collect();
            sql.text = format!("SELECT id, lifecycle_stage, failure FROM runs WHERE id IN ({})", args.join(", "));
            for row in sql.query().fetch_all(&self.db.pool).await.map_err(|e| self.db.err(e))? {
                let read = || -> Result<(String, String, Option<String>), sqlx::Error> {
                    Ok((row.try_get("id")?, row.try_get("lifecycle_stage")?, row.try_get("failure")?))
                };
                let (id, stage, failure) = read().map_err(|e| self.db.err(e))?;
                extra.insert(id, (stage, failure));
            }
        }
        let runs = rows
            .into_iter()
            .map(|row| {
                let (stage, failure) = extra.remove(&row.id).unwrap_or_else(|| ("active".to_string(), None));
                MlflowRun {
                    info: MlflowRunInfo {
                        run_id: row.id.clone(),
                        run_name: row.name.clone(),
                        experiment_id: row.experiment_id,
                        user_id: row.user.clone(),
                        status: shown_status(row.status.as_str(), failure.as_deref()),
                        start_time: row.start_time,
                        end_time: row.end_time,
                        lifecycle_stage: stage,
                    },
                    metrics: metrics.remove(&row.id).unwrap_or_default(),
                    params: row.params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    tags: row.tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                }
            })
            .collect();
        Ok((runs, more.then_some(query.offset + max_results)))
    }

    /// A registered model with no versions; an existing name is `AlreadyExists`.
    pub async fn mlflow_create_registered_model(&self, name: &str, by: &str) -> Result<(), TrackError> {
        let parsed = names::parse_name("model", name)?;
        let mut tx = self.db.begin_write().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT name FROM registered_models WHERE canonical_name = $1")
                .bind(&parsed.canonical)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        if let Some(existing) = existing {
            return Err(TrackError::AlreadyExists(format!("Registered Model (name={existing}) already exists.")));
        }
        let (tx, _) = self.find_or_create_model(tx, &parsed, by).await?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }
}

/// One entry of an artifact listing, relative to the run's artifact root.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactEntry {
    /// Its path inside the run (`plots/residuals.svg`, `plots`).
    pub path: String,
    /// A folder (its files are listed by asking for it).
    pub is_dir: bool,
    /// A file's size in bytes.
    pub file_size: Option<i64>,
}

/// Where the artifact `path` of run `run_id` is kept, relative to the artifact folder.
pub fn artifact_relative(run_id: &str, path: &str) -> Result<String, TrackError> {
    let path = path.trim_matches('/');
    crate::paths::check_relative(path)?;
    Ok(format!("runs/{run_id}/{path}"))
}

impl Store {
    /// The run an artifact request names, checked: it exists, it is in
    /// experiment `experiment_id` (when the path names one) and, for a write, it is active.
    pub async fn mlflow_artifact_run(
        &self,
        experiment_id: Option<i64>,
        run_id: &str,
        write: bool,
    ) -> Result<MlflowRunInfo, TrackError> {
        if run_id.len() != 32 || !run_id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TrackError::Invalid(format!("{run_id:?} is not a run id (32 hex digits)")));
        }
        let info = self.mlflow_run_info(run_id).await?;
        if experiment_id.is_some_and(|id| id != info.experiment_id) {
            return Err(TrackError::NotFound(format!(
                "Run '{run_id}' is not in experiment {}",
                experiment_id.unwrap_or(-1)
            )));
        }
        if write && info.lifecycle_stage != "active" {
            return Err(TrackError::Invalid(format!(
                "The run {run_id} must be in the 'active' state. Current state is {}.",
                info.lifecycle_stage
            )));
        }
        Ok(info)
    }

    /// Records an uploaded file (already written and fsynced at `relative`).
    /// The same bytes uploaded again are accepted; other bytes at a path that
    /// exists are refused: stored files are never replaced.
    pub async fn mlflow_record_artifact(
        &self,
        run_id: &str,
        relative: &str,
        sha256: &str,
        size: i64,
    ) -> Result<(), TrackError> {
        let mut tx = self.db.begin_write().await?;
        self.require_active_run(&mut tx, run_id).await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM run_files WHERE run_id = $1 AND path = $2")
                .bind(run_id)
                .bind(relative)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        match existing {
            Some(sha) if sha == sha256 => return Ok(()),
            Some(_) => {
                return Err(TrackError::AlreadyExists(format!(
                    "artifact {relative:?} already exists with other content; stored artifacts are never replaced (log it under another path)"
                )))
            }
            None => {}
        }
        sqlx::query("INSERT INTO run_files (run_id, path, kind, sha256, size) VALUES ($1, $2, 'artifact', $3, $4)")
            .bind(run_id)
            .bind(relative)
            .bind(sha256)
            .bind(size)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// The recorded sha256 of a run's file, if it has one at `relative`.
    pub async fn mlflow_artifact_sha(&self, run_id: &str, relative: &str) -> Result<Option<(String, i64)>, TrackError> {
        sqlx::query_as("SELECT sha256, size FROM run_files WHERE run_id = $1 AND path = $2")
            .bind(run_id)
            .bind(relative)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))
    }

    /// The files and folders directly inside `dir` of a run's artifacts.
    pub async fn mlflow_list_artifacts(&self, run_id: &str, dir: &str) -> Result<Vec<ArtifactEntry>, TrackError> {
        let dir = dir.trim_matches('/');
        let prefix =
            if dir.is_empty() { format!("runs/{run_id}/") } else { format!("{}/", artifact_relative(run_id, dir)?) };
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT path, size FROM run_files WHERE run_id = $1 AND path >= $2 AND path < $3 ORDER BY path",
        )
        .bind(run_id)
        .bind(&prefix)
        .bind(format!("{}0", &prefix[..prefix.len() - 1]))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let shown = |name: &str| if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
        let mut entries: Vec<ArtifactEntry> = Vec::new();
        for (path, size) in rows {
            let rest = &path[prefix.len()..];
            match rest.split_once('/') {
                Some((folder, _)) => {
                    if entries.last().is_none_or(|e| !(e.is_dir && e.path == shown(folder))) {
                        entries.push(ArtifactEntry { path: shown(folder), is_dir: true, file_size: None });
                    }
                }
                None => entries.push(ArtifactEntry { path: shown(rest), is_dir: false, file_size: Some(size) }),
            }
        }
        Ok(entries)
    }
}
