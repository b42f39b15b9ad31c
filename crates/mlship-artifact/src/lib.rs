//! The `.mlship` file: the one place that knows the on-disk model format.
//!
//! Layout: a one-line JSON header, a newline, then the JSON payload.
//!
//! ```text
//! {"format":"mlship-artifact","format_version":1,"mlship_version":"0.1.0","payload_bytes":N,"payload_sha256":"…"}
//! {"name":…,"pipeline":…,"metrics":…,…}
//! ```
//!
//! Loading parses data only; it never runs code (unlike a pickle). The header
//! lets us tell a truncated file (fewer bytes than announced), a corrupt one
//! (checksum mismatch) and one from a newer mlship (format version above ours)
//! apart before touching the payload. Floats are written with serde_json's
//! round-trip formatting, so a loaded pipeline predicts bit for bit what the
//! saved one did. Files are written to a temporary file beside the target and
//! renamed into place, so a crash never leaves half an artifact.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

mod time;

use mlship_learn::{FittedPipeline, PipelineSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use mlship_learn::Scores;
pub use mlship_monitor::profile::ReferenceProfile;
pub use time::utc_now_rfc3339;

/// The header's `format` field: what tells a model file from any other JSON.
pub const FORMAT_NAME: &str = "mlship-artifact";
/// Bump when the payload changes incompatibly; readers refuse newer versions.
pub const FORMAT_VERSION: u32 = 1;
/// The file extension of model files, without the dot.
pub const EXTENSION: &str = "mlship";

/// Why a model file could not be written or read.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum ArtifactError {
    #[error("{path}: no such model file")]
    NotFound { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not an mlship model file")]
    NotAnArtifact { path: String },
    #[error("{path}: truncated model file ({found} of {expected} payload bytes)")]
    Truncated { path: String, found: usize, expected: usize },
    #[error("{path}: corrupt model file (checksum mismatch)")]
    Corrupt { path: String },
    #[error(
        "{path}: made by a newer mlship (format version {found}, this mlship reads up to {supported}); upgrade mlship"
    )]
    NewerFormat { path: String, found: String, supported: u32 },
    #[error("{path}: invalid model file: format version 0 does not exist (the first is 1)")]
    FormatZero { path: String },
    #[error("{path}: invalid model file: {source}")]
    Invalid { path: String, source: serde_json::Error },
    #[error("{path}: made by a newer mlship ({what} is not known to mlship {version}); upgrade mlship")]
    NewerModel { path: String, what: String, version: &'static str },
    #[error("{path}: invalid model file: {source}")]
    InvalidModel { path: String, source: mlship_learn::LearnError },
}

/// A payload that does not parse may name a model this binary does not
/// know (a family or an id added by a later mlship): say so, rather than
/// "invalid". Only read on the error path, so loading stays one parse.
fn unknown_model(payload: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    if let Some(kind) = value.pointer("/pipeline/model/kind").and_then(|k| k.as_str()) {
        if !mlship_learn::models::FITTED_KINDS.contains(&kind) {
            return Some(format!("model family \"{kind}\""));
        }
    }
    let id = value.pointer("/spec/model/id").and_then(|k| k.as_str())?;
    let task = value.pointer("/spec/model/task").and_then(|t| serde_json::from_value(t.clone()).ok());
    let task = task.unwrap_or(mlship_learn::Task::Regression);
    let known =
        mlship_learn::find_model(task, id).is_ok() || mlship_learn::models::ensemble::find_meta(task, id).is_ok();
    (!known).then(|| format!("model \"{id}\""))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    /// Any JSON number, so a version however large parses and is told apart
    /// as newer (a `u32` field would call it "not an mlship model file").
    format_version: serde_json::Number,
    mlship_version: String,
    payload_bytes: usize,
    payload_sha256: String,
}

/// Cross-validation scores on the training split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvMetrics {
    /// One set of scores per fold, in fold order.
    pub folds: Vec<Scores>,
    /// The mean over the folds.
    pub mean: Scores,
    /// The standard deviation over the folds.
    pub std: Scores,
}

/// The scores recorded with a model, as PyCaret reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Cross-validation on the training split.
    pub cv: CvMetrics,
    /// The held-out test split.
    pub holdout: Scores,
}

/// Where the training data came from and exactly which bytes it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// The file or bundled dataset the data was read from, as the user named it.
    pub source: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub n_bytes: u64,
    /// Rows read.
    pub n_rows: usize,
    /// Columns read, the target included.
    pub n_cols: usize,
}

/// A trained model and everything needed to trust and rerun it: what a `.mlship` file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// The model's name, by default the file name it is saved under.
    pub name: String,
    /// When it was trained, RFC 3339 in UTC.
    pub created_at: String,
    /// The mlship version that trained it.
    pub mlship_version: String,
    /// The learning task, e.g. `regression`.
    pub task: String,
    /// The model's display name, e.g. `Linear Regression`.
    pub model_name: String,
    /// The seed behind splits and randomised models (PyCaret's `session_id`), to reproduce the run.
    pub session_id: u32,
    /// True when refitted on every row (`--finalize`), false when fitted on the training split.
    pub finalized: bool,
    /// How the pipeline was configured: options and model, enough to train it again.
    pub spec: PipelineSpec,
    /// The fitted transformers and model that predictions run through.
    pub pipeline: FittedPipeline,
    /// The scores measured when it was trained.
    pub metrics: Metrics,
    /// The training data it was fitted on.
    pub data: DataFingerprint,
    /// What the training data and the predictions looked like, for `monitor`
    /// (absent in models trained before monitoring existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ReferenceProfile>,
}

fn io_error(path: &Path, error: std::io::Error) -> ArtifactError {
    ArtifactError::Io { path: path.display().to_string(), source: error }
}

/// Writes the bytes of an artifact (`Artifact::to_bytes`) atomically: a
/// temporary file in the same folder, synced, then renamed.
pub fn save_bytes(path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(path, e))?;
    temporary.write_all(bytes).map_err(|e| io_error(path, e))?;
    temporary.as_file().sync_all().map_err(|e| io_error(path, e))?;
    make_readable(temporary.as_file()).map_err(|e| io_error(path, e))?;
    temporary.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}

/// `NAME` → `NAME.mlship`; a name that already ends in `.mlship` is kept.
pub fn artifact_path(name: &str) -> PathBuf {
    let path = PathBuf::from(name);
    if path.extension().and_then(|e| e.to_str()) == Some(EXTENSION) {
        path
    } else {
        PathBuf::from(format!("{name}.{EXTENSION}"))
    }
}

/// Temporary files are created owner-only; a saved model or scored file is an
/// ordinary file that others on the machine may read (0644).
pub fn make_readable(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

impl Artifact {
    /// The file's bytes: a JSON header line (format, version, payload size and sha256), then the JSON payload.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let payload = serde_json::to_vec(self)?;
        let header = Header {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION.into(),
            mlship_version: self.mlship_version.clone(),
            payload_bytes: payload.len(),
            payload_sha256: hex::encode(Sha256::digest(&payload)),
        };
        let mut bytes = serde_json::to_vec(&header)?;
        bytes.push(b'\n');
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    /// Writes atomically: a temporary file in the same folder, synced, then renamed.
    pub fn save(&self, path: &Path) -> Result<(), ArtifactError> {
        let bytes =
            self.to_bytes().map_err(|e| ArtifactError::Invalid { path: path.display().to_string(), source: e })?;
        save_bytes(path, &bytes)
    }

    /// Reads and verifies the model file at `path`.
    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        Self::load_with_digest(path).map(|(artifact, _)| artifact)
    }

    /// The artifact and its payload's sha256, which identifies this exact model.
    pub fn load_with_digest(path: &Path) -> Result<(Self, String), ArtifactError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(ArtifactError::NotFound { path: shown });
        }
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        Self::from_bytes_with_digest(&bytes, &shown)
    }

    /// Reads and verifies a model file already in memory; `shown` names it in errors.
    pub fn from_bytes(bytes: &[u8], shown: &str) -> Result<Self, ArtifactError> {
        Self::from_bytes_with_digest(bytes, shown).map(|(artifact, _)| artifact)
    }

    /// Reads and verifies a model file in memory, with its payload's sha256 (what identifies the model,
    /// whatever file or registry version holds it).
    pub fn from_bytes_with_digest(bytes: &[u8], shown: &str) -> Result<(Self, String), ArtifactError> {
        let path = shown.to_string();
        let newline =
            bytes.iter().position(|&b| b == b'\n').ok_or(ArtifactError::NotAnArtifact { path: path.clone() })?;
        let header: Header = serde_json::from_slice(&bytes[..newline])
            .map_err(|_| ArtifactError::NotAnArtifact { path: path.clone() })?;
        if header.format != FORMAT_NAME {
            return Err(ArtifactError::NotAnArtifact { path });
        }
        let version = header.format_version.as_f64().unwrap_or(f64::NAN);
        if version == 0.0 {
            return Err(ArtifactError::FormatZero { path });
        }
        if version > f64::from(FORMAT_VERSION) {
            let found = header.format_version.to_string();
            return Err(ArtifactError::NewerFormat { path, found, supported: FORMAT_VERSION });
        }
        if version != f64::from(FORMAT_VERSION) {
            return Err(ArtifactError::NotAnArtifact { path });
        }
        let payload = &bytes[newline + 1..];
        if payload.len() < header.payload_bytes {
            return Err(ArtifactError::Truncated { path, found: payload.len(), expected: header.payload_bytes });
        }
        if payload.len() > header.payload_bytes || hex::encode(Sha256::digest(payload)) != header.payload_sha256 {
            return Err(ArtifactError::Corrupt { path });
        }
        let artifact: Artifact = serde_json::from_slice(payload).map_err(|source| match unknown_model(payload) {
            Some(what) => ArtifactError::NewerModel { path: path.clone(), what, version: env!("CARGO_PKG_VERSION") },
            None => ArtifactError::Invalid { path: path.clone(), source },
        })?;
        // A model id of a known family may still be one this binary cannot refit or
        // describe. Read from the parsed spec: the payload is parsed once on success.
        if artifact.spec.model.entry().is_err() {
            let what = format!("model \"{}\"", artifact.spec.model.id);
            return Err(ArtifactError::NewerModel { path, what, version: env!("CARGO_PKG_VERSION") });
        }
        artifact
            .spec
            .model
            .resolved_params()
            .map_err(|source| ArtifactError::InvalidModel { path: path.clone(), source })?;
        // The checksum only proves the file is what was written, not that it
        // was written by mlship: every index, length and width is checked
        // before any command uses the pipeline.
        artifact.pipeline.validate().map_err(|source| ArtifactError::InvalidModel { path: path.clone(), source })?;
        // The model's task, the pipeline's label encoding and the task-only options agree.
        artifact
            .spec
            .check_target(artifact.pipeline.labels.as_ref())
            .map_err(|source| ArtifactError::InvalidModel { path, source })?;
        Ok((artifact, header.payload_sha256))
    }
}
