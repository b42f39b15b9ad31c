//! Shipping: OCI images built without a Docker daemon and without a base image
//! (mlship with the loader and shared libraries its ELF headers name, the
//! artifact, non-root, no shell, reproducible to the byte), a Dockerfile
//! equivalent for Docker users, Kubernetes and compose manifests, and the push
//! to an OCI registry (the only network code here).

pub mod dockerfile;
pub mod elf;
pub mod image;
mod ld_conf;
pub mod manifests;
pub mod registry;
pub mod yaml;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ShipError {
    #[error("invalid option: {0}")]
    Invalid(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {message}")]
    Binary { path: String, message: String },
    #[error("{binary}: {library} (needed by {needed_by}) is in none of {searched}")]
    LibraryNotFound { binary: String, library: String, needed_by: String, searched: String },
    #[error(transparent)]
    Model(#[from] mlship_artifact::ArtifactError),
    #[error("{0}")]
    Registry(String),
}
