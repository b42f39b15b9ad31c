//! Experiments and runs: start a run with its params and tags, log metric
//! points, attach files, finish or fail it; show one run with its metric
//! history and files. Lists and comparisons are in `search`.

use crate::db::from_row_by_name;
use crate::sql::Sql;
use crate::store::Store;
use crate::summary::{fold, MetricValues, Pairs, RUN_COLUMNS};
use crate::{names, now_ms, process, TrackError};
use serde::Serialize;
use sqlx::{FromRow, Row};
use std::collections::BTreeMap;

/// Where a run is in its life; spelt in capitals as in MLflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunStatus {
    /// Started and not yet ended (or its process died unnoticed so far).
    Running,
    /// Ended normally.
    Finished,
    /// Ended with an error, or its process died.
    Failed,
}

impl RunStatus {
    /// The status as stored and shown: `RUNNING`, `FINISHED` or `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
        }
    }

    pub(crate) fn parse(text: &str) -> RunStatus {
        match text {
            "FINISHED" => RunStatus::Finished,
            "FAILED" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

/// An experiment: a named group of runs.
#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    /// Its id in the store.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// How many runs it holds.
    pub n_runs: i64,
    /// When its latest run started, if it has any.
    pub last_run_at: Option<i64>,
}

/// What a run starts with.
#[derive(Debug, Clone, Default)]
pub struct NewRun {
    /// The experiment it goes in, created if new.
    pub experiment: String,
    /// The run's name.
    pub name: String,
    /// Its parameters, as key and value pairs.
    pub params: Vec<(String, String)>,
    /// Its tags, as key and value pairs.
    pub tags: Vec<(String, String)>,
    /// The git commit the code was at, if known.
    pub git_commit: Option<String>,
    /// SHA-256 of the training data, if known.
    pub data_sha256: Option<String>,
}

/// One value of a metric at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricPoint {
    /// The metric's name.
    pub key: String,
    /// The step (a fold, an epoch); 0 for a single value.
    pub step: i64,
    /// The value.
    pub value: f64,
}

/// A file saved with a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunFile {
    /// Its path, relative to the artifact folder.
    pub path: String,
    /// What it is: `model`, `plot` or `leaderboard`.
    pub kind: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: i64,
}

from_row_by_name!(Experiment { id, name, created_at, n_runs, last_run_at });
from_row_by_name!(MetricPoint { key, step, value });
from_row_by_name!(RunFile { path, kind, sha256, size });

/// A run as listed: its attributes and latest metric values, params and tags.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// Its id, 32 lower-case hex digits.
    pub id: String,
    /// Its experiment's id.
    pub experiment_id: i64,
    /// Its experiment's name.
    pub experiment: String,
    /// Its name.
    pub name: String,
    /// Where it is in its life.
    pub status: RunStatus,
    /// When it started, in milliseconds since the Unix epoch.
    pub start_time: i64,
    /// When it ended, if it has.
    pub end_time: Option<i64>,
    /// Who started it.
    pub user: String,
    /// The latest value of each metric.
    pub metrics: MetricValues,
    /// Its parameters.
    pub params: Pairs,
    /// Its tags.
    pub tags: Pairs,
}

/// Everything about one run, for `runs show` and its page.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetail {
    /// What the run list shows.
    #[serde(flatten)]
    pub run: RunRow,
    /// The host the run's process ran on.
    pub host: String,
    /// That process's id, to tell a dead run from a live one.
    pub pid: i64,
    /// The git commit the code was at, if recorded.
    pub git_commit: Option<String>,
    /// SHA-256 of the training data, if recorded.
    pub data_sha256: Option<String>,
    /// Its saved model, relative to the artifact folder, once it finished with one.
    pub artifact_path: Option<String>,
    /// SHA-256 of that model file.
    pub artifact_sha256: Option<String>,
    /// Why it failed, for a FAILED run.
    pub failure: Option<String>,
    /// Every point of every metric, by key, in step order.
    pub history: BTreeMap<String, Vec<(i64, f64)>>,
    /// The files saved with it (model, plots, leaderboard).
    pub files: Vec<RunFile>,
}

/// 128 random bits from the operating system as 32 lower-case hex digits,
/// like MLflow's run ids.
pub(crate) fn new_run_id() -> Result<String, TrackError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(TrackError::RunId)?;
    Ok(hex::encode(bytes))
}

/// Params and tags are capped like MLflow's (keys 250, values 6,000 characters).
/// Params and tags in key order, as their summary keeps them.
fn sorted(pairs: &[(String, String)]) -> Vec<(&str, String)> {
    let mut pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    pairs.sort();
    pairs
}

pub(crate) fn check_key_value(kind: &str, key: &str, value: &str) -> Result<(), TrackError> {
    if key.is_empty() || key.chars().count() > 250 || key.chars().any(char::is_control) {
        return Err(TrackError::Invalid(format!(
            "invalid {kind} key {key:?}: 1 to 250 characters, no control characters"
        )));
    }
    if value.chars().count() > 6000 {
        return Err(TrackError::Invalid(format!("{kind} {key:?}: the value is longer than 6,000 characters")));
    }
    // Tab and line breaks are text; other control characters (NUL, the
    // separators lists fold values with) are not.
    if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(TrackError::Invalid(format!("{kind} {key:?}: the value holds the control character {c:?}")));
    }
    Ok(())
}

/// A run's name: 1 to 250 characters, no control characters.
pub(crate) fn check_run_name(name: &str) -> Result<(), TrackError> {
    if name.is_empty() || name.chars().count() > 250 || name.chars().any(char::is_control) {
        return Err(TrackError::Invalid(format!(
            "invalid run name {name:?}: 1 to 250 characters, no control characters"
        )));
    }
    Ok(())
}

/// Metric keys as params' keys, values finite.
pub(crate) fn check_metric_points<'a>(points: impl IntoIterator<Item = &'a MetricPoint>) -> Result<(), TrackError> {
    for point in points {
        check_key_value("metric", &point.key, "")?;
        if !point.value.is_finite() {
            return Err(TrackError::Invalid(format!(
                "metric {:?} step {}: {} is not a finite number",
                point.key, point.step, point.value
            )));
        }
    }
    Ok(())
}

impl Store {
    /// The experiment named `name` (any case or Unicode form), created if new.
    pub async fn experiment_id(&self, name: &str) -> Result<i64, TrackError> {
        let name = names::parse_name("experiment", name)?;
        if let Some(id) = self.find_experiment_id(&name.canonical).await? {
            return Ok(id);
        }
        let mut tx = self.db.begin_write().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM experiments WHERE canonical_name = $1")
            .bind(&name.canonical)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM experiments")
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        sqlx::query("INSERT INTO experiments (id, name, canonical_name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&name.display)
            .bind(&name.canonical)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    pub(crate) async fn find_experiment_id(&self, canonical: &str) -> Result<Option<i64>, TrackError> {
        sqlx::query_scalar("SELECT id FROM experiments WHERE canonical_name = $1")
            .bind(canonical)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))
    }

    /// The name of experiment `id`, if there is one.
    pub async fn experiment_name(&self, id: i64) -> Result<Option<String>, TrackError> {
        sqlx::query_scalar("SELECT name FROM experiments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))
    }

    /// Every experiment with its run count and latest run.
    pub async fn experiments(&self) -> Result<Vec<Experiment>, TrackError> {
        sqlx::query_as(
            "SELECT e.id AS id, e.name AS name, e.created_at AS created_at, COUNT(r.id) AS n_runs, \
             MAX(r.start_time) AS last_run_at FROM experiments e \
             LEFT JOIN runs r ON r.experiment_id = e.id GROUP BY e.id, e.name, e.created_at ORDER BY e.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))
    }

    /// Records a RUNNING run owned by this process, with its params and tags.
    pub async fn start_run(&self, new: &NewRun) -> Result<String, TrackError> {
        for (key, value) in &new.params {
            check_key_value("param", key, value)?;
        }
        for (key, value) in &new.tags {
            check_key_value("tag", key, value)?;
        }
        check_run_name(&new.name)?;
        for (kind, pairs) in [("param", &new.params), ("tag", &new.tags)] {
            let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            if let Some(twice) = keys.windows(2).find(|w| w[0] == w[1]) {
                return Err(TrackError::Invalid(format!("{kind} {:?} is given twice", twice[0])));
            }
        }
        let experiment_id = self.experiment_id(&new.experiment).await?;
        let id = new_run_id()?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO runs (id, experiment_id, name, status, start_time, heartbeat, host, pid, process_start, user_name, \
             git_commit, data_sha256, params_summary, tags_summary) \
             VALUES ($1, $2, $3, 'RUNNING', $4, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(experiment_id)
        .bind(&new.name)
        .bind(now)
        .bind(process::host_name())
        .bind(i64::from(std::process::id()))
        .bind(process::own_start_time())
        .bind(crate::os_user().replace(char::is_control, "?"))
        .bind(new.git_commit.clone())
        .bind(new.data_sha256.clone())
        .bind(fold(sorted(&new.params)))
        .bind(fold(sorted(&new.tags)))
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        for (table, pairs) in [("params", &new.params), ("tags", &new.tags)] {
            for chunk in pairs.chunks(300) {
                let mut sql = Sql::new(format!("INSERT INTO {table} (run_id, key, value) VALUES "));
                for (i, (key, value)) in chunk.iter().enumerate() {
                    let (a, b, c) = (sql.text(&id), sql.text(key), sql.text(value));
                    sql.text.push_str(&format!("{}({a}, {b}, {c})", if i > 0 { ", " } else { "" }));
                }
                sql.query().execute(&mut *tx).await.map_err(|e| self.db.err(e))?;
            }
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    /// Logs metric points in one transaction; the newest step of each key
    /// becomes the value lists sort and filter on.
    pub async fn log_metrics(&self, run_id: &str, points: &[MetricPoint]) -> Result<(), TrackError> {
        check_metric_points(points)?;
        let now = now_ms();
        let points: Vec<(MetricPoint, i64)> = points.iter().map(|p| (p.clone(), now)).collect();
        let mut tx = self.db.begin_write().await?;
        self.require_running(&mut tx, run_id).await?;
        self.insert_metric_points(&mut tx, run_id, &points).await?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Inserts metric points (each with when it was logged) inside `tx`, moves
    /// each key's latest value and rewrites the run's metric summary.
    pub(crate) async fn insert_metric_points(
        &self,
        tx: &mut crate::db::Transaction,
        run_id: &str,
        points: &[(MetricPoint, i64)],
    ) -> Result<(), TrackError> {
        let mut latest: BTreeMap<&str, &MetricPoint> = BTreeMap::new();
        for (point, _) in points {
            let keep = latest.get(point.key.as_str()).is_none_or(|p| point.step >= p.step);
            if keep {
                latest.insert(&point.key, point);
            }
        }
        for chunk in points.chunks(500) {
            let mut sql = Sql::new("INSERT INTO metrics (run_id, key, step, value, logged_at) VALUES ".to_string());
            for (i, (p, logged_at)) in chunk.iter().enumerate() {
                let row = format!(
                    "({}, {}, {}, {}, {})",
                    sql.text(run_id),
                    sql.text(&p.key),
                    sql.int(p.step),
                    sql.float(p.value),
                    sql.int(*logged_at)
                );
                sql.text.push_str(if i > 0 { ", " } else { "" });
                sql.text.push_str(&row);
            }
            sql.text.push_str(
                " ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, logged_at = excluded.logged_at",
            );
            sql.query().execute(&mut **tx).await.map_err(|e| self.db.err(e))?;
        }
        let latest: Vec<&MetricPoint> = latest.into_values().collect();
        for chunk in latest.chunks(500) {
            let mut sql = Sql::new("INSERT INTO latest_metrics (run_id, key, step, value) VALUES ".to_string());
            for (i, p) in chunk.iter().enumerate() {
                let row = format!(
                    "({}, {}, {}, {})",
                    sql.text(run_id),
                    sql.text(&p.key),
                    sql.int(p.step),
                    sql.float(p.value)
                );
                sql.text.push_str(if i > 0 { ", " } else { "" });
                sql.text.push_str(&row);
            }
            sql.text.push_str(
                " ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = excluded.value \
                 WHERE excluded.step >= latest_metrics.step",
            );
            sql.query().execute(&mut **tx).await.map_err(|e| self.db.err(e))?;
        }
        let latest: Vec<MetricPoint> =
            sqlx::query_as("SELECT key, step, value FROM latest_metrics WHERE run_id = $1 ORDER BY key")
                .bind(run_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
        sqlx::query("UPDATE runs SET metrics_summary = $1 WHERE id = $2")
            .bind(fold(latest.iter().map(|p| (p.key.as_str(), p.value.to_string()))))
            .bind(run_id)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
        Ok(())
    }

    async fn require_running(&self, tx: &mut crate::db::Transaction, run_id: &str) -> Result<(), TrackError> {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
        match status.as_deref() {
            Some("RUNNING") => Ok(()),
            Some(other) => {
                Err(TrackError::Invalid(format!("run {run_id} is {other}; only a RUNNING run can be changed")))
            }
            None => Err(TrackError::NotFound(format!("no run {run_id}"))),
        }
    }

    /// Tells other machines this run's process is alive (see `fail_dead_runs`).
    pub async fn heartbeat(&self, run_id: &str) -> Result<(), TrackError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE runs SET heartbeat = $1 WHERE id = $2 AND status = 'RUNNING'")
            .bind(now_ms())
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Writes `bytes` as `runs/<id>/<name>` (fsynced before its row commits).
    pub async fn save_run_file(
        &self,
        run_id: &str,
        name: &str,
        kind: &str,
        bytes: &[u8],
    ) -> Result<RunFile, TrackError> {
        let path = format!("runs/{run_id}/{name}");
        let sha256 = self.root.write_new(&path, bytes)?;
        let file = RunFile { path, kind: kind.to_string(), sha256, size: bytes.len() as i64 };
        let mut tx = self.db.begin_write().await?;
        let result = async {
            self.require_running(&mut tx, run_id).await?;
            sqlx::query("INSERT INTO run_files (run_id, path, kind, sha256, size) VALUES ($1, $2, $3, $4, $5)")
                .bind(run_id)
                .bind(&file.path)
                .bind(&file.kind)
                .bind(&file.sha256)
                .bind(file.size)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
            Ok::<(), TrackError>(())
        }
        .await;
        match result {
            Ok(()) => tx.commit().await.map_err(|e| self.db.err(e))?,
            Err(error) => {
                drop(tx);
                self.root.remove(&file.path);
                return Err(error);
            }
        }
        Ok(file)
    }

    /// FINISHED, with the model artifact (a file saved with `save_run_file`).
    pub async fn finish_run(&self, run_id: &str, artifact: Option<&RunFile>) -> Result<(), TrackError> {
        let mut tx = self.db.begin_write().await?;
        self.require_running(&mut tx, run_id).await?;
        sqlx::query("UPDATE runs SET status = 'FINISHED', end_time = $1, artifact_path = $2, artifact_sha256 = $3 WHERE id = $4")
            .bind(now_ms())
            .bind(artifact.map(|f| f.path.clone()))
            .bind(artifact.map(|f| f.sha256.clone()))
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Marks a run FAILED with `failure` as the reason.
    pub async fn fail_run(&self, run_id: &str, failure: &str) -> Result<(), TrackError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE runs SET status = 'FAILED', end_time = $1, failure = $2 WHERE id = $3 AND status = 'RUNNING'",
        )
        .bind(now_ms())
        .bind(failure)
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// A full run id, or a unique prefix of one (at least 4 hex digits).
    pub async fn resolve_run_id(&self, id_or_prefix: &str) -> Result<String, TrackError> {
        let text = id_or_prefix.trim().to_ascii_lowercase();
        if text.len() < 4 || text.len() > 32 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TrackError::Invalid(format!(
                "{id_or_prefix:?} is not a run id (32 hex digits, or a unique prefix of at least 4)"
            )));
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 2")
            .bind(&text)
            .bind(format!("{text}g"))
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(TrackError::NotFound(format!("no run {id_or_prefix}"))),
            _ => Err(TrackError::Invalid(format!("run id prefix {id_or_prefix} is ambiguous; give more digits"))),
        }
    }

    /// A run by id or unique id prefix, with its full metric history and files.
    pub async fn run(&self, id_or_prefix: &str) -> Result<RunDetail, TrackError> {
        let id = self.resolve_run_id(id_or_prefix).await?;
        let mut sql = Sql::default();
        let arg = sql.text(&id);
        sql.text = format!(
            "SELECT {RUN_COLUMNS}, r.host AS host, r.pid AS pid, r.git_commit AS git_commit, \
             r.data_sha256 AS data_sha256, r.artifact_path AS artifact_path, r.artifact_sha256 AS artifact_sha256, \
             r.failure AS failure FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = {arg}"
        );
        let row = sql.query().fetch_one(&self.db.pool).await.map_err(|e| self.db.err(e))?;
        let points: Vec<MetricPoint> =
            sqlx::query_as("SELECT key, step, value FROM metrics WHERE run_id = $1 ORDER BY key, step")
                .bind(&id)
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        let mut history: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        for point in points {
            history.entry(point.key).or_default().push((point.step, point.value));
        }
        let files = sqlx::query_as("SELECT path, kind, sha256, size FROM run_files WHERE run_id = $1 ORDER BY path")
            .bind(&id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
        let detail = || -> Result<RunDetail, sqlx::Error> {
            Ok(RunDetail {
                run: RunRow::from_row(&row)?,
                host: row.try_get("host")?,
                pid: row.try_get("pid")?,
                git_commit: row.try_get("git_commit")?,
                data_sha256: row.try_get("data_sha256")?,
                artifact_path: row.try_get("artifact_path")?,
                artifact_sha256: row.try_get("artifact_sha256")?,
                failure: row.try_get("failure")?,
                history,
                files,
            })
        };
        detail().map_err(|e| self.db.err(e))
    }

    /// A file of a run, checked against its recorded sha256.
    pub async fn run_file(&self, run_id: &str, path: &str) -> Result<(RunFile, Vec<u8>), TrackError> {
        crate::paths::check_relative(path)?;
        let file: Option<RunFile> =
            sqlx::query_as("SELECT path, kind, sha256, size FROM run_files WHERE run_id = $1 AND path = $2")
                .bind(run_id)
                .bind(path)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        let file = file.ok_or_else(|| TrackError::NotFound(format!("run {run_id} has no file {path}")))?;
        let bytes = self.root.read_verified(&file.path, &file.sha256)?;
        Ok((file, bytes))
    }
}
