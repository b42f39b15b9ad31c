//! Shipping: OCI images built without a Docker daemon and without a base image
//! (mlship with the loader and shared libraries its ELF headers name, the
//! artifact, non-root, no shell, reproducible to the byte), a Dockerfile
//! equivalent for Docker users, Kubernetes and compose manifests, and the push
//! to an OCI registry (the only network code here).

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod dockerfile;
pub mod elf;
pub mod image;
mod ld_conf;
pub mod manifests;
pub mod registry;
pub mod yaml;

use thiserror::Error;

/// A variant that wraps another error keeps it as its `source` and shows it
/// in its message.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum ShipError {
    #[error("invalid option: {0}")]
    Invalid(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("{path}: not valid JSON: {source}")]
    Json { path: String, source: serde_json::Error },
    #[error("cannot encode the image's JSON: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("{path}: {message}")]
    Binary { path: String, message: String },
    #[error("{binary}: {library} (needed by {needed_by}) is in none of {searched}")]
    LibraryNotFound { binary: String, library: String, needed_by: String, searched: String },
    #[error(transparent)]
    Model(#[from] mlship_artifact::ArtifactError),
    #[error("{0}")]
    Registry(String),
    #[error("cannot reach registry {registry}: {source}")]
    Unreachable { registry: String, source: reqwest::Error },
    #[error("cannot start an HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}
