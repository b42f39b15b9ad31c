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

/// Which database the store lives in; SQL that differs between them is chosen by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: the default, local and zero-setup.
    Sqlite,
    /// A PostgreSQL server, for a store shared by a team.
    Postgres,
}

/// How long a SQLite writer waits for another one before giving up.
const BUSY_TIMEOUT_MS: u64 = 60_000;
/// The advisory-lock key every PostgreSQL writer takes ("mlship" in ASCII).
const WRITE_LOCK_KEY: i64 = 0x6d6c_7368_6970;

/// A connection pool to the store's database.
pub struct Db {
    /// The pool every query goes through.
    pub pool: AnyPool,
    /// Which database it is.
    pub backend: Backend,
    /// The URL without its password, for messages.
    pub shown: String,
}

/// A transaction on the store's database.
pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

/// `sqlx::FromRow` for a struct whose fields are named after the columns it is
/// read from (the query aliases them with `AS` where they differ), so a row is
/// read by name, never by position. What sqlx's derive does; the derive is not
/// used because it builds sqlx's drivers (bundled SQLite, TLS) a second time
/// into its proc-macro. Fields after `;` are not columns and get the value given.
macro_rules! from_row_by_name {
    ($type:ident { $($field:ident),* $(,)? $(; $($extra:ident: $value:expr),* $(,)?)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for $type {
            fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok($type { $($field: row.try_get(stringify!($field))?,)* $($($extra: $value,)*)? })
            }
        }
    };
}
pub(crate) use from_row_by_name;

/// The store's error for a failed query on the store shown as `shown`.
pub fn db_error(shown: &str, error: sqlx::Error) -> TrackError {
    TrackError::Database { store: shown.to_string(), source: error }
}

/// SQLITE_BUSY and SQLITE_LOCKED: the primary result codes (the low byte of
/// SQLite's extended code, which sqlx reports) of "another connection holds
/// the lock". Recognised by code, since messages vary between SQLite versions.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(database) = error else { return false };
    database.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && database
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

impl Db {
    /// Connects to `url`, shown as `shown` in messages, with the backend's settings (SQLite's busy timeout and WAL).
    pub async fn connect(url: &str, backend: Backend, shown: String) -> Result<Db, TrackError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| TrackError::StoreUrl { url: shown.clone(), source: e })?
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
                    return Err(TrackError::Inconsistent {
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

    /// The store's error for a failed query, naming the store.
    pub fn err(&self, error: sqlx::Error) -> TrackError {
        db_error(&self.shown, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// Busy used to be recognised by matching the message text; now by SQLite's code.
    #[tokio::test]
    async fn a_held_write_lock_is_busy_by_its_code() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/busy.db?mode=rwc", dir.path().display());
        let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();
        let mut waiter = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("PRAGMA busy_timeout = 0").execute(&mut waiter).await.unwrap();
        let busy = sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut waiter).await.unwrap_err();
        assert!(is_busy(&busy), "{busy}");
        let other = sqlx::raw_sql("SELECT * FROM missing").execute(&mut holder).await.unwrap_err();
        assert!(!is_busy(&other), "{other}");
        assert!(!is_busy(&sqlx::Error::PoolTimedOut));
    }
}
