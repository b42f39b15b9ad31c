//! Monitoring reports kept against the model version they watched, so the
//! UI can draw drift over time per registered model.

use crate::db::from_row_by_name;
use crate::{now_ms, Store, TrackError};
use serde::Serialize;

/// A report to record: its verdict in columns, and the whole report as JSON.
#[derive(Debug, Clone)]
pub struct NewDriftReport {
    /// The model's registered name (or the artifact's name for an unregistered file).
    pub model_name: String,
    /// The registry's version number, or a digest prefix for an unregistered file.
    pub model_version: String,
    /// The artifact's payload sha256.
    pub model_digest: String,
    /// What the current data was (a file, a log folder and window).
    pub current_source: String,
    /// Rows of current data.
    pub number_of_rows: i64,
    /// Columns tested.
    pub number_of_columns: i64,
    /// Columns that drifted.
    pub number_of_drifted_columns: i64,
    /// Their share.
    pub share_of_drifted_columns: f64,
    /// The data set's verdict.
    pub dataset_drift: bool,
    /// The predictions' drift score, when computed.
    pub prediction_drift_score: Option<f64>,
    /// The report as `mlship monitor --json` prints it.
    pub report_json: String,
}

/// One recorded report, without its JSON (a point of the drift-over-time chart).
#[derive(Debug, Clone, Serialize)]
pub struct DriftSummary {
    /// Its id.
    pub id: i64,
    /// The model's name.
    pub model_name: String,
    /// The model version watched.
    pub model_version: String,
    /// When it was recorded, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// What the current data was.
    pub current_source: String,
    /// Rows of current data.
    pub number_of_rows: i64,
    /// Columns tested.
    pub number_of_columns: i64,
    /// Columns that drifted.
    pub number_of_drifted_columns: i64,
    /// Their share.
    pub share_of_drifted_columns: f64,
    /// 1 when the data set drifted.
    pub dataset_drift: i64,
    /// The predictions' drift score, when computed.
    pub prediction_drift_score: Option<f64>,
}

from_row_by_name!(DriftSummary {
    id,
    model_name,
    model_version,
    created_at,
    current_source,
    number_of_rows,
    number_of_columns,
    number_of_drifted_columns,
    share_of_drifted_columns,
    dataset_drift,
    prediction_drift_score
});

const SUMMARY_COLUMNS: &str = "id, model_name, model_version, created_at, current_source, number_of_rows, \
     number_of_columns, number_of_drifted_columns, share_of_drifted_columns, dataset_drift, prediction_drift_score";

impl Store {
    /// Records a report; returns its id.
    pub async fn record_drift(&self, report: &NewDriftReport) -> Result<i64, TrackError> {
        let mut tx = self.db.begin_write().await?;
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM drift_reports")
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        sqlx::query(
            "INSERT INTO drift_reports (id, model_name, model_version, model_digest, created_at, current_source, \
             number_of_rows, number_of_columns, number_of_drifted_columns, share_of_drifted_columns, dataset_drift, \
             prediction_drift_score, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(&report.model_name)
        .bind(&report.model_version)
        .bind(&report.model_digest)
        .bind(now_ms())
        .bind(&report.current_source)
        .bind(report.number_of_rows)
        .bind(report.number_of_columns)
        .bind(report.number_of_drifted_columns)
        .bind(report.share_of_drifted_columns)
        .bind(i64::from(report.dataset_drift))
        .bind(report.prediction_drift_score)
        .bind(&report.report_json)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    /// The reports recorded for the model called `model_name`, oldest first.
    pub async fn drift_history(&self, model_name: &str) -> Result<Vec<DriftSummary>, TrackError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM drift_reports WHERE model_name = $1 ORDER BY created_at, id"
        )))
        .bind(model_name)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))
    }

    /// The JSON of report `id` of the model called `model_name`.
    pub async fn drift_report(&self, model_name: &str, id: i64) -> Result<String, TrackError> {
        sqlx::query_scalar("SELECT report FROM drift_reports WHERE model_name = $1 AND id = $2")
            .bind(model_name)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?
            .ok_or_else(|| TrackError::NotFound(format!("model {model_name:?} has no drift report {id}")))
    }

    /// The registered version whose file has this sha256, if any: a model
    /// monitored from a file is recorded against its registry version.
    pub async fn version_by_file_sha256(&self, sha256: &str) -> Result<Option<(String, i64)>, TrackError> {
        sqlx::query_as(
            "SELECT m.name AS name, v.version AS version FROM model_versions v JOIN registered_models m ON m.id = v.model_id \
             WHERE v.artifact_sha256 = $1 ORDER BY v.created_at DESC LIMIT 1",
        )
        .bind(sha256)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))
    }
}
