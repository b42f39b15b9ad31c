//! The SQL layer: one connection pool (sqlx's `Any` driver) over SQLite or
//! PostgreSQL, the same SQL for both, and the two things that differ:
//! how a writer serialises itself and how a connection is prepared.
//!
//! Writers are serialised on both backends. SQLite has one writer anyway;
//! `BEGIN IMMEDIATE` takes its write lock up front, so the busy timeout
//! applies (a deferred transaction that upgrades later can fail at once with
//! "database is locked"). PostgreSQL writers take one transaction-scoped
//! advisory lock, which makes "next id = max + 1" and "next version = max + 1"
//! safe without sequences that differ between the two dialects.

use crate::TrackError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a SQLite writer waits for another one before giving up.
const BUSY_TIMEOUT_MS: u64 = 60_000;
/// The advisory-lock key every PostgreSQL writer takes ("mlship" in ASCII).
const WRITE_LOCK_KEY: i64 = 0x6d6c_7368_6970;

pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The URL without its password, for messages.
    pub shown: String,
}

pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

pub fn db_error(shown: &str, error: sqlx::Error) -> TrackError {
    TrackError::Database { store: shown.to_string(), message: error.to_string() }
}

fn is_busy(error: &sqlx::Error) -> bool {
    let text = error.to_string();
    text.contains("database is locked") || text.contains("database is busy") || text.contains("(code: 5)")
}

impl Db {
    pub async fn connect(url: &str, backend: Backend, shown: String) -> Result<Db, TrackError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| TrackError::InvalidStore { url: shown.clone(), reason: e.to_string() })?
            .log_statements(log::LevelFilter::Off);
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Per connection: wait for writers instead of failing;
                        // enforce the schema's foreign keys; WAL's usual
                        // durability (a commit survives a crash of the process,
                        // the last ones may not survive a power cut); and
                        // enough page cache (32 MB, used as needed) that
                        // sorting 10,000 runs stays in memory.
                        connection
                            .execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; \
                                 PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY"
                            )))
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| db_error(&shown, e))?;
        let db = Db { pool, backend, shown };
        if backend == Backend::Sqlite {
            db.enable_wal().await?;
        }
        Ok(db)
    }

    /// WAL lets readers (the UI, `runs list`) run while a train writes. The
    /// mode is stored in the file, but switching needs an exclusive lock that
    /// the busy timeout does not cover, so a process starting alongside
    /// others retries.
    async fn enable_wal(&self) -> Result<(), TrackError> {
        let mut last = None;
        for attempt in 0..200u64 {
            match sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL").fetch_one(&self.pool).await {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => {
                    return Err(TrackError::Database {
                        store: self.shown.clone(),
                        message: format!("cannot switch to WAL journaling (journal mode is {mode})"),
                    })
                }
                Err(e) if is_busy(&e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(10 + attempt * 5)).await;
                }
                Err(e) => return Err(db_error(&self.shown, e)),
            }
        }
        Err(db_error(&self.shown, last.unwrap_or(sqlx::Error::PoolTimedOut)))
    }

    /// A write transaction that holds the store's single writer slot.
    pub async fn begin_write(&self) -> Result<Transaction, TrackError> {
        match self.backend {
            Backend::Sqlite => {
                let mut attempt = 0u64;
                loop {
                    match self.pool.begin_with("BEGIN IMMEDIATE").await {
                        Ok(tx) => return Ok(tx),
                        // The busy timeout already waited; a few more tries cover
                        // the rare SQLITE_BUSY that SQLite returns without waiting.
                        Err(e) if is_busy(&e) && attempt < 20 => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                        }
                        Err(e) => return Err(db_error(&self.shown, e)),
                    }
                }
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await.map_err(|e| db_error(&self.shown, e))?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| db_error(&self.shown, e))?;
                Ok(tx)
            }
        }
    }

    pub fn err(&self, error: sqlx::Error) -> TrackError {
        db_error(&self.shown, error)
    }
}
