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

use mlship_learn::{FittedPipeline, PipelineSpec, RegressionMetrics};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use time::utc_now_rfc3339;

pub const FORMAT_NAME: &str = "mlship-artifact";
/// Bump when the payload changes incompatibly; readers refuse newer versions.
pub const FORMAT_VERSION: u32 = 1;
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
    #[error("{path}: written by a newer mlship (format version {found}, this mlship reads up to {supported}); upgrade mlship")]
    NewerFormat { path: String, found: u32, supported: u32 },
    #[error("{path}: invalid model file: {source}")]
    Invalid { path: String, source: serde_json::Error },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    mlship_version: String,
    payload_bytes: usize,
    payload_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvMetrics {
    pub folds: Vec<RegressionMetrics>,
    pub mean: RegressionMetrics,
    pub std: RegressionMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub cv: CvMetrics,
    pub holdout: RegressionMetrics,
}

/// Where the training data came from and exactly which bytes it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub source: String,
    pub sha256: String,
    pub n_bytes: u64,
    pub n_rows: usize,
    pub n_cols: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub created_at: String,
    pub mlship_version: String,
    pub task: String,
    pub model_name: String,
    pub session_id: u32,
    /// True when refitted on every row (`--finalize`), false when fitted on the training split.
    pub finalized: bool,
    pub spec: PipelineSpec,
    pub pipeline: FittedPipeline,
    pub metrics: Metrics,
    pub data: DataFingerprint,
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
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let payload = serde_json::to_vec(self)?;
        let header = Header {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
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

    pub fn from_bytes(bytes: &[u8], shown: &str) -> Result<Self, ArtifactError> {
        Self::from_bytes_with_digest(bytes, shown).map(|(artifact, _)| artifact)
    }

    fn from_bytes_with_digest(bytes: &[u8], shown: &str) -> Result<(Self, String), ArtifactError> {
        let path = shown.to_string();
        let newline =
            bytes.iter().position(|&b| b == b'\n').ok_or(ArtifactError::NotAnArtifact { path: path.clone() })?;
        let header: Header = serde_json::from_slice(&bytes[..newline])
            .map_err(|_| ArtifactError::NotAnArtifact { path: path.clone() })?;
        if header.format != FORMAT_NAME {
            return Err(ArtifactError::NotAnArtifact { path });
        }
        if header.format_version > FORMAT_VERSION {
            return Err(ArtifactError::NewerFormat { path, found: header.format_version, supported: FORMAT_VERSION });
        }
        let payload = &bytes[newline + 1..];
        if payload.len() < header.payload_bytes {
            return Err(ArtifactError::Truncated { path, found: payload.len(), expected: header.payload_bytes });
        }
        if payload.len() > header.payload_bytes || hex::encode(Sha256::digest(payload)) != header.payload_sha256 {
            return Err(ArtifactError::Corrupt { path });
        }
        let artifact = serde_json::from_slice(payload).map_err(|e| ArtifactError::Invalid { path, source: e })?;
        Ok((artifact, header.payload_sha256))
    }
}
