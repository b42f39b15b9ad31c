//! The model registry: named models, immutable versions numbered 1, 2, 3…,
//! aliases (`production`, `staging`) that move between versions, and the
//! history of every move (when, from, to, who).
//!
//! A version's artifact is written and fsynced before the version's row
//! commits, and its bytes are checked against the sha256 first, so a version
//! can never point at a missing or different file.

use crate::db::from_row_by_name;
use crate::store::Store;
use crate::{names, now_ms, TrackError};
use serde::Serialize;
use sqlx::Row;
use std::path::Path;

/// Where a new model version comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The saved model of a run, by id or unique id prefix.
    Run(String),
    /// A `.mlship` file, copied into the store.
    File(std::path::PathBuf),
    /// A file or folder logged with a run (MLflow's `runs:/ID/PATH`): servable by
    /// mlship when it is a `.mlship` file, otherwise recorded for MLflow's clients only.
    RunPath {
        /// The run, by id.
        run: String,
        /// The path inside the run's artifacts.
        path: String,
        /// The source as the client gave it, kept as the version's `source`.
        source: String,
    },
}

/// `NAME@ALIAS`, `NAME/VERSION`, or `NAME/latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// `NAME@ALIAS`: the version an alias points to now.
    Alias {
        /// The model's name.
        name: String,
        /// The alias, e.g. `production`.
        alias: String,
    },
    /// `NAME/VERSION`: one version.
    Version {
        /// The model's name.
        name: String,
        /// The version number, from 1.
        version: i64,
    },
    /// `NAME/latest`: the highest version.
    Latest {
        /// The model's name.
        name: String,
    },
}

impl ModelRef {
    /// Parses `NAME@ALIAS`, `NAME/VERSION` or `NAME/latest`; anything else is an error showing the forms.
    pub fn parse(text: &str) -> Result<ModelRef, TrackError> {
        let invalid = || {
            TrackError::Invalid(format!(
                "{text:?} is not a model reference: write NAME@ALIAS, NAME/VERSION or NAME/latest"
            ))
        };
        if let Some((name, alias)) = text.rsplit_once('@') {
            names::parse_name("model", name)?;
            return Ok(ModelRef::Alias { name: name.to_string(), alias: names::parse_alias(alias)? });
        }
        if let Some((name, version)) = text.rsplit_once('/') {
            names::parse_name("model", name)?;
            if version.eq_ignore_ascii_case("latest") {
                return Ok(ModelRef::Latest { name: name.to_string() });
            }
            let version: i64 = version.parse().ok().filter(|v| *v >= 1).ok_or_else(invalid)?;
            return Ok(ModelRef::Version { name: name.to_string(), version });
        }
        Err(invalid())
    }

    /// The model's name, whatever the form.
    pub fn name(&self) -> &str {
        match self {
            ModelRef::Alias { name, .. } | ModelRef::Version { name, .. } | ModelRef::Latest { name } => name,
        }
    }
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelRef::Alias { name, alias } => write!(f, "{name}@{alias}"),
            ModelRef::Version { name, version } => write!(f, "{name}/{version}"),
            ModelRef::Latest { name } => write!(f, "{name}/latest"),
        }
    }
}

/// One registered version of a model.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelVersion {
    /// The model's name.
    pub model: String,
    /// Its number, from 1.
    pub version: i64,
    /// The run it was registered from, if any.
    pub run_id: Option<String>,
    /// Where it came from, for people: `run ID` or the file's path.
    pub source: String,
    /// Its `.mlship` file, relative to the artifact folder.
    pub artifact_path: String,
    /// SHA-256 of that file, lower-case hex.
    pub artifact_sha256: String,
    /// When it was registered, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// The aliases pointing at it.
    pub aliases: Vec<String>,
}

/// One line of the model list.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// The model's name.
    pub name: String,
    /// When it was registered, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Its highest version, if it has any.
    pub latest_version: Option<i64>,
    /// Each alias and the version it points to.
    pub aliases: Vec<(String, i64)>,
}

/// One move of an alias, kept so a rollback can be traced.
#[derive(Debug, Clone, Serialize)]
pub struct AliasEvent {
    /// The alias that moved.
    pub alias: String,
    /// The version it pointed to before; `None` when it was created.
    pub from_version: Option<i64>,
    /// The version it points to after; `None` when it was deleted.
    pub to_version: Option<i64>,
    /// When, in milliseconds since the Unix epoch.
    pub changed_at: i64,
    /// Who moved it.
    pub changed_by: String,
}

/// A registered model with its versions and the history of its aliases.
#[derive(Debug, Clone, Serialize)]
pub struct ModelDetail {
    /// The model's name.
    pub name: String,
    /// When it was registered, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// Every version, oldest first.
    pub versions: Vec<ModelVersion>,
    /// Every alias move, oldest first.
    pub history: Vec<AliasEvent>,
}

from_row_by_name!(AliasEvent { alias, from_version, to_version, changed_at, changed_by });

// A `model_versions` row with its model's name as `model`; the aliases that
// point at it are read separately.
from_row_by_name!(ModelVersion {
    model, version, run_id, source, artifact_path, artifact_sha256, created_at, created_by;
    aliases: Vec::new()
});

/// A `registered_models` row.
struct ModelRow {
    id: i64,
    name: String,
    created_at: i64,
    created_by: String,
}

from_row_by_name!(ModelRow { id, name, created_at, created_by });

/// A `model_aliases` row: `alias` of model `model_id` points at `version`.
struct AliasRow {
    model_id: i64,
    alias: String,
    version: i64,
}

from_row_by_name!(AliasRow { model_id, alias, version });

impl Store {
    async fn model_row(&self, name: &str) -> Result<ModelRow, TrackError> {
        let parsed = names::parse_name("model", name)?;
        sqlx::query_as("SELECT id, name, created_at, created_by FROM registered_models WHERE canonical_name = $1")
            .bind(&parsed.canonical)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?
            .ok_or_else(|| {
                TrackError::NotFound(format!("no registered model named {name:?} (see `mlship models list`)"))
            })
    }

    /// Registers a new version of `name` (created on first use) from a run's
    /// artifact or from a `.mlship` file, optionally pointing `alias` at it;
    /// recorded as made by the OS user (the CLI's caller).
    pub async fn register(
        &self,
        name: &str,
        source: &ModelSource,
        alias: Option<&str>,
    ) -> Result<ModelVersion, TrackError> {
        self.register_by(name, source, alias, &crate::os_user()).await
    }

    /// [`Store::register`], recorded as made by `by` (the UI passes its
    /// caller's token identity, never the server's OS user). A new model whose
    /// name reads like an existing one (same [`names::skeleton`]) is refused.
    pub async fn register_by(
        &self,
        name: &str,
        source: &ModelSource,
        alias: Option<&str>,
        by: &str,
    ) -> Result<ModelVersion, TrackError> {
        let parsed = names::parse_name("model", name)?;
        let alias = alias.map(names::parse_alias).transpose()?;
        let (run_id, source_text, artifact_path, sha256) = match source {
            ModelSource::Run(run) => {
                let id = self.resolve_run_id(run).await?;
                let row = sqlx::query("SELECT status, artifact_path, artifact_sha256 FROM runs WHERE id = $1")
                    .bind(&id)
                    .fetch_one(&self.db.pool)
                    .await
                    .map_err(|e| self.db.err(e))?;
                let columns = || -> Result<(String, Option<String>, Option<String>), sqlx::Error> {
                    Ok((row.try_get("status")?, row.try_get("artifact_path")?, row.try_get("artifact_sha256")?))
                };
                let (status, path, sha) = columns().map_err(|e| self.db.err(e))?;
                let (Some(path), Some(sha)) = (path, sha) else {
                    return Err(TrackError::Invalid(format!(
                        "run {id} has no saved model ({status}); only a FINISHED run with an artifact can be registered"
                    )));
                };
                // The artifact must be there, whole, before a version points at it.
                let bytes = self.root.read_verified(&path, &sha)?;
                mlship_artifact::Artifact::from_bytes(&bytes, &path)?;
                (Some(id.clone()), format!("run {id}"), path, sha)
            }
            ModelSource::File(file) => {
                let bytes = read_model_file(file)?;
                let sha = crate::paths::sha256_hex(&bytes);
                // Content-addressed: the same file registered twice is stored once.
                let path = format!("objects/{}/{sha}.mlship", &sha[..2]);
                match self.root.resolve(&path)?.exists() {
                    true => {
                        self.root.read_verified(&path, &sha)?;
                    }
                    false => {
                        self.root.write_new(&path, &bytes).or_else(|e| match self.root.read_verified(&path, &sha) {
                            Ok(_) => Ok(sha.clone()),
                            Err(_) => Err(e),
                        })?;
                    }
                }
                (None, format!("file {}", file.display()), path, sha)
            }
            ModelSource::RunPath { run, path, source } => {
                let (id, artifact_path, sha) = self.run_path_source(run, path).await?;
                (Some(id), source.clone(), artifact_path, sha)
            }
        };
        let user = by.to_string();
        let now = now_ms();
        let tx = self.db.begin_write().await?;
        let (mut tx, model_id) = self.find_or_create_model(tx, &parsed, &user).await?;
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = $1")
                .bind(model_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        sqlx::query(
            "INSERT INTO model_versions (model_id, version, run_id, source, artifact_path, artifact_sha256, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(model_id)
        .bind(version)
        .bind(run_id.clone())
        .bind(&source_text)
        .bind(&artifact_path)
        .bind(&sha256)
        .bind(now)
        .bind(&user)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        if let Some(alias) = &alias {
            self.move_alias(&mut tx, model_id, alias, Some(version), &user).await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        let display: String = sqlx::query_scalar("SELECT name FROM registered_models WHERE id = $1")
            .bind(model_id)
            .fetch_one(&self.db.pool)
            .await
            .map_err(|e| self.db.err(e))?;
        Ok(ModelVersion {
            model: display,
            version,
            run_id,
            source: source_text,
            artifact_path,
            artifact_sha256: sha256,
            created_at: now,
            created_by: user,
            aliases: alias.into_iter().collect(),
        })
    }

    /// The id of model `parsed`, created (inside `tx`) if new. A new name that
    /// reads like an existing model's is refused; the skeletons filled in on
    /// the way are committed even then.
    pub(crate) async fn find_or_create_model(
        &self,
        mut tx: crate::db::Transaction,
        parsed: &names::Name,
        user: &str,
    ) -> Result<(crate::db::Transaction, i64), TrackError> {
        let now = now_ms();
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM registered_models WHERE canonical_name = $1")
            .bind(&parsed.canonical)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        if let Some(id) = existing {
            return Ok((tx, id));
        }
        let skeleton = names::skeleton(&parsed.canonical);
        self.fill_skeletons(&mut tx).await?;
        let lookalike: Option<String> =
            sqlx::query_scalar("SELECT name FROM registered_models WHERE skeleton = $1 ORDER BY id LIMIT 1")
                .bind(&skeleton)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        if let Some(existing) = lookalike {
            // Nothing but the filled-in skeletons was written: keep them.
            tx.commit().await.map_err(|e| self.db.err(e))?;
            return Err(TrackError::ConfusableName { name: parsed.display.clone(), existing });
        }
        let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM registered_models")
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        sqlx::query("INSERT INTO registered_models (id, name, canonical_name, created_at, created_by, skeleton) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(&parsed.display)
            .bind(&parsed.canonical)
            .bind(now)
            .bind(user)
            .bind(&skeleton)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        Ok((tx, id))
    }

    /// Computes the skeleton of models registered before migration 2 (once:
    /// afterwards no row lacks one and this reads nothing).
    async fn fill_skeletons(&self, tx: &mut crate::db::Transaction) -> Result<(), TrackError> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, canonical_name FROM registered_models WHERE skeleton IS NULL")
                .fetch_all(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
        for (id, canonical) in rows {
            sqlx::query("UPDATE registered_models SET skeleton = $1 WHERE id = $2")
                .bind(names::skeleton(&canonical))
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
        }
        Ok(())
    }

    /// Points `alias` at `to` (None deletes it) and records the move.
    async fn move_alias(
        &self,
        tx: &mut crate::db::Transaction,
        model_id: i64,
        alias: &str,
        to: Option<i64>,
        user: &str,
    ) -> Result<bool, TrackError> {
        let from: Option<i64> =
            sqlx::query_scalar("SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2")
                .bind(model_id)
                .bind(alias)
                .fetch_optional(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
        if from == to {
            return Ok(false);
        }
        let now = now_ms();
        match to {
            Some(version) => {
                sqlx::query(
                    "INSERT INTO model_aliases (model_id, alias, version, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
                )
                .bind(model_id)
                .bind(alias)
                .bind(version)
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
            }
            None => {
                sqlx::query("DELETE FROM model_aliases WHERE model_id = $1 AND alias = $2")
                    .bind(model_id)
                    .bind(alias)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| self.db.err(e))?;
            }
        }
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM alias_history WHERE model_id = $1")
            .bind(model_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
        sqlx::query(
            "INSERT INTO alias_history (model_id, seq, alias, from_version, to_version, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(model_id)
        .bind(seq)
        .bind(alias)
        .bind(from)
        .bind(to)
        .bind(now)
        .bind(user)
        .execute(&mut **tx)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(true)
    }

    /// `mlship models alias NAME ALIAS VERSION`; returns false when the alias
    /// already pointed there (nothing recorded). Recorded as moved by the OS user.
    pub async fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<bool, TrackError> {
        self.set_alias_by(name, alias, version, &crate::os_user()).await
    }

    /// [`Store::set_alias`], recorded in the alias history as moved by `by`.
    pub async fn set_alias_by(&self, name: &str, alias: &str, version: i64, by: &str) -> Result<bool, TrackError> {
        let alias = names::parse_alias(alias)?;
        let ModelRow { id: model_id, name: display, .. } = self.model_row(name).await?;
        let mut tx = self.db.begin_write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT version FROM model_versions WHERE model_id = $1 AND version = $2")
                .bind(model_id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
        if exists.is_none() {
            return Err(TrackError::NotFound(format!("model {display:?} has no version {version}")));
        }
        let moved = self.move_alias(&mut tx, model_id, &alias, Some(version), by).await?;
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(moved)
    }

    /// Removes `alias` from model `name`, recording the move in its history as made by the OS user.
    pub async fn delete_alias(&self, name: &str, alias: &str) -> Result<(), TrackError> {
        self.delete_alias_by(name, alias, &crate::os_user()).await
    }

    /// [`Store::delete_alias`], recorded in the alias history as made by `by`.
    pub async fn delete_alias_by(&self, name: &str, alias: &str, by: &str) -> Result<(), TrackError> {
        let alias = names::parse_alias(alias)?;
        let ModelRow { id: model_id, name: display, .. } = self.model_row(name).await?;
        let mut tx = self.db.begin_write().await?;
        if !self.move_alias(&mut tx, model_id, &alias, None, by).await? {
            return Err(TrackError::NotFound(format!("model {display:?} has no alias {alias:?}")));
        }
        tx.commit().await.map_err(|e| self.db.err(e))
    }

    /// Every registered model, with its latest version and aliases.
    pub async fn models(&self) -> Result<Vec<ModelSummary>, TrackError> {
        let rows = sqlx::query(
            "SELECT m.id AS id, m.name AS name, m.created_at AS created_at, \
             (SELECT MAX(version) FROM model_versions v WHERE v.model_id = m.id) AS latest_version \
             FROM registered_models m ORDER BY m.canonical_name",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let aliases: Vec<AliasRow> =
            sqlx::query_as("SELECT model_id, alias, version FROM model_aliases ORDER BY alias")
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                Ok(ModelSummary {
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    latest_version: row.try_get("latest_version")?,
                    aliases: aliases
                        .iter()
                        .filter(|a| a.model_id == id)
                        .map(|a| (a.alias.clone(), a.version))
                        .collect(),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| self.db.err(e))
    }

    /// The model called `name`, with every version and its alias history.
    pub async fn model(&self, name: &str) -> Result<ModelDetail, TrackError> {
        let model = self.model_row(name).await?;
        let aliases: Vec<AliasRow> =
            sqlx::query_as("SELECT model_id, alias, version FROM model_aliases WHERE model_id = $1 ORDER BY alias")
                .bind(model.id)
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        let mut versions: Vec<ModelVersion> = sqlx::query_as(
            "SELECT m.name AS model, v.version AS version, v.run_id AS run_id, v.source AS source, \
             v.artifact_path AS artifact_path, v.artifact_sha256 AS artifact_sha256, v.created_at AS created_at, \
             v.created_by AS created_by FROM model_versions v JOIN registered_models m ON m.id = v.model_id \
             WHERE v.model_id = $1 ORDER BY v.version",
        )
        .bind(model.id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        for version in &mut versions {
            version.aliases =
                aliases.iter().filter(|a| a.version == version.version).map(|a| a.alias.clone()).collect();
        }
        let history = sqlx::query_as(
            "SELECT alias, from_version, to_version, changed_at, changed_by FROM alias_history WHERE model_id = $1 ORDER BY seq",
        )
        .bind(model.id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(ModelDetail {
            name: model.name,
            created_at: model.created_at,
            created_by: model.created_by,
            versions,
            history,
        })
    }

    /// The version a reference names right now.
    pub async fn resolve(&self, reference: &ModelRef) -> Result<ModelVersion, TrackError> {
        let detail = self.model(reference.name()).await?;
        let wanted =
            match reference {
                ModelRef::Version { version, .. } => Some(*version),
                ModelRef::Latest { .. } => detail.versions.last().map(|v| v.version),
                ModelRef::Alias { alias, .. } => {
                    Some(detail.versions.iter().find(|v| v.aliases.contains(alias)).map(|v| v.version).ok_or_else(
                        || TrackError::NotFound(format!("model {:?} has no alias {alias:?}", detail.name)),
                    )?)
                }
            };
        detail
            .versions
            .into_iter()
            .find(|v| Some(v.version) == wanted)
            .ok_or_else(|| TrackError::NotFound(format!("{reference}: no such version")))
    }

    /// The artifact of a version, checked against its recorded sha256.
    pub fn version_bytes(&self, version: &ModelVersion) -> Result<Vec<u8>, TrackError> {
        if version.artifact_sha256.is_empty() {
            return Err(TrackError::Invalid(format!(
                "model {:?} version {} was registered by an MLflow client from {}, which is not an mlship model file; mlship can list it but not load it",
                version.model, version.version, version.source
            )));
        }
        self.root.read_verified(&version.artifact_path, &version.artifact_sha256)
    }

    /// Where `path` of run `run` is: a `.mlship` file of the run (its path and
    /// sha256, so the version serves), or a folder of its files (sha256 empty:
    /// an MLflow model, for MLflow's clients only). Nothing there is an error.
    async fn run_path_source(&self, run: &str, path: &str) -> Result<(String, String, String), TrackError> {
        let id = self.resolve_run_id(run).await?;
        let path = path.trim_matches('/');
        if !path.is_empty() {
            crate::paths::check_relative(path)?;
        }
        let full = if path.is_empty() { format!("runs/{id}") } else { format!("runs/{id}/{path}") };
        let file: Option<(String, String)> =
            sqlx::query_as("SELECT path, sha256 FROM run_files WHERE run_id = $1 AND path = $2")
                .bind(&id)
                .bind(&full)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        if let Some((file, sha)) = file {
            let bytes = self.root.read_verified(&file, &sha)?;
            return match mlship_artifact::Artifact::from_bytes(&bytes, &file) {
                Ok(_) => Ok((id, file, sha)),
                Err(_) => Ok((id, file, String::new())),
            };
        }
        let inside: Option<String> =
            sqlx::query_scalar("SELECT path FROM run_files WHERE run_id = $1 AND path >= $2 AND path < $3 LIMIT 1")
                .bind(&id)
                .bind(format!("{full}/"))
                .bind(format!("{full}0"))
                .fetch_optional(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        match inside {
            Some(_) => Ok((id, full, String::new())),
            None => Err(TrackError::NotFound(format!("run {id} has no artifact {path:?}"))),
        }
    }
}

fn read_model_file(file: &Path) -> Result<Vec<u8>, TrackError> {
    let bytes = std::fs::read(file).map_err(|e| TrackError::Io { path: file.display().to_string(), source: e })?;
    mlship_artifact::Artifact::from_bytes(&bytes, &file.display().to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(
            ModelRef::parse("insurance@Production").unwrap(),
            ModelRef::Alias { name: "insurance".into(), alias: "production".into() }
        );
        assert_eq!(ModelRef::parse("insurance/3").unwrap(), ModelRef::Version { name: "insurance".into(), version: 3 });
        assert_eq!(ModelRef::parse("insurance/latest").unwrap(), ModelRef::Latest { name: "insurance".into() });
        for bad in ["insurance", "insurance/0", "insurance/x", "../x@prod", "a@1", "@prod"] {
            assert!(ModelRef::parse(bad).is_err(), "{bad}");
        }
    }
}
