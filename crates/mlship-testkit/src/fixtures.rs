//! Files the tests read: the golden format-1 artifact every crate's tests
//! load, and fixtures stored gzipped (the parity matrices run to megabytes as
//! JSON text; `fixtures/generate.py` writes them as `.json.gz`).

use std::io::Read;
use std::path::{Path, PathBuf};

/// `mlship-artifact/tests/golden/insurance_v1.mlship`: the seed model saved by
/// format version 1, which every later mlship must keep loading.
pub fn golden_artifact() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mlship-artifact/tests/golden/insurance_v1.mlship")
}

/// A gzipped JSON file, decompressed and parsed; panics naming the file.
pub fn json_gz(path: &Path) -> serde_json::Value {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: not gzipped UTF-8: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}
