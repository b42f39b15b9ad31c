//! The dataset fingerprint recorded with every model: sha256 of the bytes read
//! and the number of data rows, so a run can be tied to exactly its data.

use crate::DataError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// What identifies a dataset's bytes: recorded with a run so a model can be traced to its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// The file's size in bytes.
    pub n_bytes: u64,
}

impl Fingerprint {
    /// The fingerprint of bytes already in memory (a bundled dataset).
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Fingerprint { sha256: hex::encode(Sha256::digest(bytes)), n_bytes: bytes.len() as u64 }
    }

    /// Streams the file through sha256 (bounded memory whatever its size).
    pub fn of_file(path: &Path) -> Result<Self, DataError> {
        let io_error = |e| DataError::Io { path: path.display().to_string(), source: e };
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut n_bytes = 0u64;
        loop {
            let n_read = file.read(&mut buffer).map_err(io_error)?;
            if n_read == 0 {
                break;
            }
            n_bytes += n_read as u64;
            hasher.update(&buffer[..n_read]);
        }
        Ok(Fingerprint { sha256: hex::encode(hasher.finalize()), n_bytes })
    }
}
