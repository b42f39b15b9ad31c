//! Opening a store: where it is (`--store`, `MLSHIP_STORE`, or `.mlship/`),
//! connecting, migrating, and marking runs whose process died as FAILED.

use crate::db::{from_row_by_name, Backend, Db};
use crate::paths::ArtifactRoot;
use crate::{process, TrackError};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use std::path::{Path, PathBuf};

/// The default store, relative to the working directory.
pub const DEFAULT_STORE: &str = ".mlship";
const DB_FILE: &str = "mlship.db";
/// A RUNNING run on another machine whose heartbeat is this old is declared dead.
pub const STALE_HEARTBEAT_MS: i64 = 15 * 60 * 1000;

/// Where a store lives: its database and its artifact folder.
#[derive(Debug, Clone)]
pub struct StoreLocation {
    /// Which database it is.
    pub backend: Backend,
    /// What sqlx connects to.
    pub url: String,
    /// For messages: the path, or the URL with its password hidden.
    pub shown: String,
    /// The folder model files and plots are written to.
    pub artifacts: PathBuf,
}

impl StoreLocation {
    /// `spec` is a folder (holding `mlship.db` and `artifacts/`), a `.db` file,
    /// `sqlite://PATH`, or `postgres://…`. PostgreSQL keeps its artifacts in
    /// `artifacts` (default `.mlship/artifacts`, a folder the team shares).
    pub fn parse(spec: &str, artifacts: Option<&Path>) -> Result<Self, TrackError> {
        let invalid = |reason: &str| TrackError::InvalidStore { url: hide_password(spec), reason: reason.to_string() };
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Ok(StoreLocation {
                backend: Backend::Postgres,
                url: loopback_without_tls(spec),
                shown: hide_password(spec),
                artifacts: artifacts.map_or_else(|| Path::new(DEFAULT_STORE).join("artifacts"), Path::to_path_buf),
            });
        }
        let (path, is_file) =
            if let Some(rest) = spec.strip_prefix("sqlite://").or_else(|| spec.strip_prefix("sqlite:")) {
                (PathBuf::from(rest), true)
            } else if spec.contains("://") {
                return Err(invalid("a store is a folder, a .db file, sqlite://PATH or postgres://USER@HOST/DB"));
            } else {
                let path = PathBuf::from(spec);
                let is_file = path.extension().is_some_and(|e| e == "db" || e == "sqlite" || e == "sqlite3");
                (path, is_file)
            };
        if path.as_os_str().is_empty() {
            return Err(invalid("the path is empty"));
        }
        let (dir, db_file) = if is_file {
            (path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf), path.clone())
        } else {
            (path.clone(), path.join(DB_FILE))
        };
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        if is_file && db_file.is_dir() {
            return Err(invalid("this is a folder; give the folder without sqlite:// or a .db file inside it"));
        }
        std::fs::create_dir_all(&dir).map_err(|e| TrackError::StoreFolder {
            url: hide_password(spec),
            dir: dir.display().to_string(),
            source: e,
        })?;
        let absolute =
            std::path::absolute(&db_file).map_err(|e| TrackError::StorePath { url: hide_password(spec), source: e })?;
        Ok(StoreLocation {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}?mode=rwc", encode_path(&absolute.to_string_lossy())),
            shown: db_file.display().to_string(),
            artifacts: artifacts.map_or_else(|| dir.join("artifacts"), Path::to_path_buf),
        })
    }
}

/// What a path inside a `sqlite://` URL cannot hold as itself: sqlx cuts the
/// URL at `?` and `#` and decodes `%`; the rest are not URL characters.
/// Non-ASCII bytes are always encoded, and sqlx decodes them as UTF-8.
const SQLITE_PATH: &AsciiSet =
    &CONTROLS.add(b'%').add(b'?').add(b'#').add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'{').add(b'}');

fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, SQLITE_PATH).to_string()
}

/// A server on this machine's loopback is reached without TLS unless the URL
/// asks (`sslmode=…`): the bytes never leave the machine, and the TLS setup
/// (sqlx's default is `prefer`) costs about 200 ms per command.
fn loopback_without_tls(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| h.trim_start_matches('['))
    } else {
        host_port.split(':').next()
    }
    .unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
    if !loopback || url.contains("sslmode=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn hide_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:***{}", &url[..scheme_end + 3], &authority[..colon], &rest[at..])
        }
        _ => url.to_string(),
    }
}

/// What `fail_dead_runs` needs of a RUNNING run to tell whether its process lives.
struct RunningRun {
    id: String,
    host: String,
    pid: i64,
    process_start: String,
    heartbeat: i64,
}

from_row_by_name!(RunningRun { id, host, pid, process_start, heartbeat });

/// The tracking store: the database and the artifact folder, used by every command and the UI.
pub struct Store {
    pub(crate) db: Db,
    pub(crate) root: ArtifactRoot,
    /// Where it lives.
    pub location: StoreLocation,
}

impl Store {
    /// Connects, applies pending migrations, and fails runs whose process died.
    pub async fn open(location: StoreLocation) -> Result<Store, TrackError> {
        let db = Db::connect(&location.url, location.backend, location.shown.clone()).await?;
        crate::migrate::migrate(&db).await?;
        let root = ArtifactRoot::open(&location.artifacts)?;
        let store = Store { db, root, location };
        store.fail_dead_runs().await?;
        Ok(store)
    }

    /// Its artifact folder.
    pub fn artifacts(&self) -> &ArtifactRoot {
        &self.root
    }

    /// The store for messages: its path, or its URL with the password hidden.
    pub fn shown(&self) -> &str {
        &self.location.shown
    }

    /// SQLite's `PRAGMA integrity_check` ("ok"), or PostgreSQL's answer to a
    /// trivial query; then every foreign key of the registry is checked.
    pub async fn integrity_check(&self) -> Result<String, TrackError> {
        let answer = match self.db.backend {
            Backend::Sqlite => sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
                .fetch_one(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?,
            Backend::Postgres => {
                sqlx::query_scalar::<_, i64>("SELECT 1::BIGINT")
                    .fetch_one(&self.db.pool)
                    .await
                    .map_err(|e| self.db.err(e))?;
                "ok".to_string()
            }
        };
        let dangling: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM model_versions v WHERE v.run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = v.run_id)",
        )
        .fetch_one(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        if dangling > 0 {
            return Ok(format!("{dangling} model versions point at missing runs"));
        }
        Ok(answer)
    }

    /// A RUNNING run is failed when its process is gone from this machine, or
    /// when it ran elsewhere and its heartbeat is older than 15 minutes.
    pub async fn fail_dead_runs(&self) -> Result<usize, TrackError> {
        let rows: Vec<RunningRun> = sqlx::query_as(
            "SELECT id, host, pid, process_start, heartbeat FROM runs WHERE status = 'RUNNING' AND host <> ''",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let here = process::host_name();
        let now = crate::now_ms();
        let mut failed = 0;
        for RunningRun { id, host, pid, process_start: start, heartbeat } in rows {
            let reason = if host == here {
                (!process::is_alive(pid, &start))
                    .then(|| format!("process {pid} on {host} ended without finishing the run"))
            } else {
                (now - heartbeat > STALE_HEARTBEAT_MS)
                    .then(|| format!("no heartbeat from process {pid} on {host} for over 15 minutes"))
            };
            if let Some(reason) = reason {
                let mut tx = self.db.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE runs SET status = 'FAILED', end_time = $1, failure = $2 WHERE id = $3 AND status = 'RUNNING'",
                )
                .bind(now)
                .bind(reason)
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
                tx.commit().await.map_err(|e| self.db.err(e))?;
                failed += done.rows_affected() as usize;
            }
        }
        Ok(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(hide_password("postgres://me:s3cret@db:5432/x"), "postgres://me:***@db:5432/x");
        assert_eq!(hide_password("postgres://me@db/x"), "postgres://me@db/x");
    }

    #[test]
    fn loopback_postgres_skips_tls_unless_asked() {
        assert_eq!(
            loopback_without_tls("postgres://u:p@127.0.0.1:5432/db"),
            "postgres://u:p@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(loopback_without_tls("postgres://localhost/db?x=1"), "postgres://localhost/db?x=1&sslmode=disable");
        assert_eq!(loopback_without_tls("postgres://u@[::1]:5432/db"), "postgres://u@[::1]:5432/db?sslmode=disable");
        assert_eq!(loopback_without_tls("postgres://db.example.com/db"), "postgres://db.example.com/db");
        assert_eq!(
            loopback_without_tls("postgres://localhost/db?sslmode=require"),
            "postgres://localhost/db?sslmode=require"
        );
    }

    #[test]
    fn folders_files_and_urls() {
        let dir = tempfile::tempdir().unwrap();
        let folder = StoreLocation::parse(dir.path().join("s").to_str().unwrap(), None).unwrap();
        assert!(folder.shown.ends_with("s/mlship.db"));
        assert!(folder.artifacts.ends_with("s/artifacts"));
        let file = StoreLocation::parse(&format!("sqlite://{}/a b#?.db", dir.path().display()), None).unwrap();
        assert!(file.url.contains("a%20b%23%3F.db?mode=rwc"), "{}", file.url);
        assert_eq!(encode_path("/x/{a}<b>`\"%\u{7f}\t/é"), "/x/%7Ba%7D%3Cb%3E%60%22%25%7F%09/%C3%A9");
        assert!(StoreLocation::parse("mysql://x", None).unwrap_err().to_string().contains("postgres://"));
        assert_eq!(StoreLocation::parse("postgres://u:p@h/d", None).unwrap().backend, Backend::Postgres);
    }

    /// Bytes outside ASCII used to reach the URL one by one as Latin-1
    /// characters, so `café` opened a file named `cafÃ©`.
    #[tokio::test]
    async fn a_path_outside_ascii_opens_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let spec = format!("sqlite://{}/prix café #1.db", dir.path().display());
        Store::open(StoreLocation::parse(&spec, None).unwrap()).await.unwrap();
        assert!(dir.path().join("prix café #1.db").is_file());
    }
}
