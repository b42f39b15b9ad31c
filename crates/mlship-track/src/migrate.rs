//! Versioned schema migrations, the same files for both backends, applied
//! exactly once even when several processes open a new store together.
//!
//! Our own rather than `sqlx::migrate`: sqlx's SQLite migrator takes no lock,
//! so two processes starting on a fresh store both try migration 1. Here the
//! check-and-apply runs inside the store's write transaction (SQLite's
//! `BEGIN IMMEDIATE`, PostgreSQL's advisory lock), so the second process waits,
//! then sees the migration applied. Each migration's sha256 is recorded and
//! checked, and a store migrated by a newer mlship is refused, not altered.

use crate::db::Db;
use crate::paths::sha256_hex;
use crate::TrackError;
use sqlx::Row;

/// One schema change, applied once, in version order.
pub struct Migration {
    /// Its number; the store records the highest one applied.
    pub version: i64,
    /// One line saying what it changes.
    pub description: &'static str,
    /// The SQL it runs.
    pub sql: &'static str,
}

/// Every schema change, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, description: "initial schema", sql: include_str!("../migrations/0001_initial.sql") },
    Migration {
        version: 2,
        description: "model name skeletons",
        sql: include_str!("../migrations/0002_model_name_skeletons.sql"),
    },
    Migration { version: 3, description: "drift reports", sql: include_str!("../migrations/0003_drift_reports.sql") },
    Migration {
        version: 4,
        description: "MLflow protocol: lifecycle stages, experiment tags",
        sql: include_str!("../migrations/0004_mlflow.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Returns how many migrations this call applied.
pub async fn migrate(db: &Db) -> Result<usize, TrackError> {
    // Fast path, no write lock: every migration is already there.
    if let Ok(applied) = applied(db, None).await {
        if applied.len() == MIGRATIONS.len() && check(db, &applied).is_ok() {
            return Ok(0);
        }
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(CREATE_TABLE).execute(&mut *tx).await.map_err(|e| db.err(e))?;
    let done = applied(db, Some(&mut tx)).await?;
    check(db, &done)?;
    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| !done.iter().any(|(v, _)| *v == m.version)) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql)).execute(&mut *tx).await.map_err(|e| {
            TrackError::Migration {
                store: db.shown.clone(),
                version: migration.version,
                description: migration.description.to_string(),
                source: e,
            }
        })?;
        sqlx::query("INSERT INTO schema_migrations (version, description, sha256, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(migration.version)
            .bind(migration.description)
            .bind(sha256_hex(migration.sql.as_bytes()))
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| db.err(e))?;
        count += 1;
    }
    tx.commit().await.map_err(|e| db.err(e))?;
    Ok(count)
}

async fn applied(db: &Db, tx: Option<&mut crate::db::Transaction>) -> Result<Vec<(i64, String)>, TrackError> {
    let query = sqlx::query("SELECT version, sha256 FROM schema_migrations ORDER BY version");
    let rows = match tx {
        Some(tx) => query.fetch_all(&mut **tx).await,
        None => query.fetch_all(&db.pool).await,
    }
    .map_err(|e| db.err(e))?;
    rows.iter()
        .map(|row| Ok((row.try_get("version")?, row.try_get("sha256")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(|e| db.err(e))
}

fn check(db: &Db, applied: &[(i64, String)]) -> Result<(), TrackError> {
    for (version, sha) in applied {
        match MIGRATIONS.iter().find(|m| m.version == *version) {
            None => {
                return Err(TrackError::Inconsistent {
                    store: db.shown.clone(),
                    message: format!(
                        "the store has schema version {version}, newer than this mlship knows ({}); upgrade mlship",
                        MIGRATIONS.len()
                    ),
                })
            }
            Some(m) if sha256_hex(m.sql.as_bytes()) != *sha => {
                return Err(TrackError::Inconsistent {
                    store: db.shown.clone(),
                    message: format!("migration {version} was applied from different SQL than this mlship's"),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}
