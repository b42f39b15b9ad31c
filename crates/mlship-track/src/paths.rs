//! The artifact folder. Every path into it is a relative path the store made
//! itself (`runs/<id>/model.mlship`, `models/<id>/<version>/model.mlship`),
//! but it is checked again wherever it comes from — a name, a request, a
//! stored row — because a row can be edited and a folder can gain symlinks.
//! A path is accepted only when every component is a plain file name from a
//! small alphabet, and no component on disk is a symlink.

use crate::TrackError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file being written under the artifact folder: a temporary file beside
/// its final path, hashed as it grows; dropped unfinished, it disappears.
pub struct NewFile {
    file: tempfile::NamedTempFile,
    path: PathBuf,
    parent: PathBuf,
    hasher: Sha256,
    size: u64,
}

impl NewFile {
    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), TrackError> {
        self.file.write_all(bytes).map_err(|e| io_error(&self.path, e))?;
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fsyncs and moves the file into place, never over an existing one
    /// (then the written bytes are dropped and their sha256 returned, so the
    /// caller can tell a repeated upload from a clash).
    pub fn persist(self) -> Result<Persisted, TrackError> {
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let path = self.path.clone();
        self.file.as_file().sync_all().map_err(|e| io_error(&path, e))?;
        mlship_artifact::make_readable(self.file.as_file()).map_err(|e| io_error(&path, e))?;
        match self.file.persist_noclobber(&path) {
            Ok(_) => {}
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Persisted::Exists { sha256 }),
            Err(e) => return Err(io_error(&path, e.error)),
        }
        if let Ok(dir) = std::fs::File::open(&self.parent) {
            let _ = dir.sync_all();
        }
        Ok(Persisted::New { sha256, size: self.size })
    }
}

/// How `NewFile::persist` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Persisted {
    /// The file is in place.
    New {
        /// Its sha256.
        sha256: String,
        /// Its size in bytes.
        size: u64,
    },
    /// A file was already there; it is untouched and the new bytes are gone.
    Exists {
        /// The sha256 of the bytes that were not stored.
        sha256: String,
    },
}

/// The artifact folder: every path under it is checked so no name can escape it.
#[derive(Debug, Clone)]
pub struct ArtifactRoot {
    root: PathBuf,
}

fn unsafe_path(path: &str, reason: &str) -> TrackError {
    TrackError::UnsafePath { path: path.to_string(), reason: reason.to_string() }
}

fn io_error(path: &Path, error: std::io::Error) -> TrackError {
    TrackError::Io { path: path.display().to_string(), source: error }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks the shape of a relative artifact path without touching the disk.
pub fn check_relative(path: &str) -> Result<Vec<&str>, TrackError> {
    if path.is_empty() {
        return Err(unsafe_path(path, "it is empty"));
    }
    if path.len() > 512 {
        return Err(unsafe_path(path, "it is longer than 512 bytes"));
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Err(unsafe_path(path, "it is absolute"));
    }
    let components: Vec<&str> = path.split('/').collect();
    for component in &components {
        if component.is_empty() || *component == "." || *component == ".." {
            return Err(unsafe_path(path, "it has an empty, \".\" or \"..\" component"));
        }
        if component.starts_with('.') {
            return Err(unsafe_path(path, "a component starts with \".\""));
        }
        if let Some(bad) = component.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(unsafe_path(path, &format!("{bad:?} is not allowed in an artifact path")));
        }
    }
    Ok(components)
}

impl ArtifactRoot {
    /// Creates the folder if needed. The root itself may be reached through a
    /// symlink (a user's choice); below it, none is followed.
    pub fn open(dir: &Path) -> Result<Self, TrackError> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let root = dir.canonicalize().map_err(|e| io_error(dir, e))?;
        Ok(ArtifactRoot { root })
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `relative`, refusing anything that could leave the root.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, TrackError> {
        let components = check_relative(relative)?;
        let mut path = self.root.clone();
        for component in components {
            path.push(component);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(unsafe_path(relative, "a component is a symbolic link"))
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&path, e)),
            }
        }
        if !path.starts_with(&self.root) {
            return Err(unsafe_path(relative, "it leaves the artifact folder"));
        }
        Ok(path)
    }

    /// Writes `bytes` at `relative` atomically (temporary file, fsync, rename)
    /// and returns their sha256. An existing file is never replaced: stored
    /// artifacts are immutable.
    pub fn write_new(&self, relative: &str, bytes: &[u8]) -> Result<String, TrackError> {
        let path = self.resolve(relative)?;
        let parent = path.parent().ok_or_else(|| unsafe_path(relative, "it has no parent folder"))?;
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        // The folders just created must not have been swapped for links meanwhile.
        self.resolve(relative)?;
        let mut file = tempfile::NamedTempFile::new_in(parent).map_err(|e| io_error(parent, e))?;
        file.write_all(bytes).map_err(|e| io_error(&path, e))?;
        file.as_file().sync_all().map_err(|e| io_error(&path, e))?;
        mlship_artifact::make_readable(file.as_file()).map_err(|e| io_error(&path, e))?;
        file.persist_noclobber(&path).map_err(|e| io_error(&path, e.error))?;
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(sha256_hex(bytes))
    }

    /// Reads `relative` and checks it against the sha256 recorded for it.
    pub fn read_verified(&self, relative: &str, sha256: &str) -> Result<Vec<u8>, TrackError> {
        let path = self.resolve(relative)?;
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(TrackError::Integrity {
                path: path.display().to_string(),
                expected: sha256.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Starts writing a new file at `relative` in pieces (an upload streamed
    /// through the server, never held whole); `NewFile::persist` finishes it
    /// as `write_new` does.
    pub fn create_new(&self, relative: &str) -> Result<NewFile, TrackError> {
        let path = self.resolve(relative)?;
        let parent = path.parent().ok_or_else(|| unsafe_path(relative, "it has no parent folder"))?.to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
        self.resolve(relative)?;
        let file = tempfile::NamedTempFile::new_in(&parent).map_err(|e| io_error(&parent, e))?;
        Ok(NewFile { file, path, parent, hasher: Sha256::new(), size: 0 })
    }

    /// Opens `relative` for streaming after checking its whole content
    /// against `sha256` in one bounded-memory pass.
    pub fn open_verified(&self, relative: &str, sha256: &str) -> Result<std::fs::File, TrackError> {
        use std::io::{Read, Seek};
        let path = self.resolve(relative)?;
        let mut file = std::fs::File::open(&path).map_err(|e| io_error(&path, e))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buffer).map_err(|e| io_error(&path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        if actual != sha256 {
            return Err(TrackError::Integrity {
                path: path.display().to_string(),
                expected: sha256.to_string(),
                actual,
            });
        }
        file.rewind().map_err(|e| io_error(&path, e))?;
        Ok(file)
    }

    /// Deletes the file at `relative` if it is there; used to undo a write whose row did not commit.
    pub fn remove(&self, relative: &str) {
        if let Ok(path) = self.resolve(relative) {
            let _ = std::fs::remove_file(path);
        }
    }
}
