//! Issue 10, item 8: the artifact loader fuzzed with proptest, from a
//! committed corpus (the golden artifacts of every family in `tests/golden/`).
//! Two mutators: raw bytes (flips, insertions, truncations) of a whole file,
//! and structured edits of the payload (a random path in the JSON set to a
//! hostile value: huge or negative counts, out-of-range indices, empty or
//! long arrays, wrong types) re-wrapped with a correct length and sha256, as
//! an attacker would. Every case must load with an error or load and then
//! predict the two seed rows with a result, never panic. The work a loaded
//! file can cost is bounded by the loader's validation (widths at most
//! `MAX_FEATURES`, polynomial degree at most 5), so predicting two rows of an
//! accepted mutant stays small: a counting allocator (`mlship_testkit::alloc`) asserts the
//! stated bound on every case. A fixed seed keeps CI repeatable; failures
//! proptest finds are kept in `tests/format/fuzz.proptest-regressions`.

use super::seed_row;
use mlship_artifact::{Artifact, FORMAT_VERSION};
use mlship_testkit::alloc::peak_during;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
use serde_json::Value;
use std::path::PathBuf;

fn corpus() -> Vec<Vec<u8>> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "mlship"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the corpus is the golden artifacts");
    files.iter().map(|path| std::fs::read(path).unwrap()).collect()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20261130),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    }
}

/// The stated bound: loading a file and predicting two rows never holds more
/// than 16 MiB plus 32 bytes per byte of the file (a parsed JSON payload
/// costs a few times its text; the validated pipeline bounds the rest).
fn allocation_bound(file_bytes: usize) -> usize {
    16 * 1024 * 1024 + 32 * file_bytes
}

/// Load, and if accepted, predict: any outcome but a panic is fine, within
/// the allocation bound.
fn load_and_predict(bytes: &[u8]) -> Result<(), TestCaseError> {
    let ((), peak) = peak_during(|| {
        if let Ok(artifact) = Artifact::from_bytes(bytes, "fuzz.mlship") {
            let _ = artifact.pipeline.predict(&seed_row());
        }
    });
    prop_assert!(peak <= allocation_bound(bytes.len()), "{peak} bytes held for a {}-byte file", bytes.len());
    Ok(())
}

fn wrap(payload: &Value) -> Vec<u8> {
    use sha2::Digest;
    let body = serde_json::to_vec(payload).unwrap();
    let header = serde_json::json!({
        "format": "mlship-artifact", "format_version": FORMAT_VERSION, "mlship_version": "0.1.0",
        "payload_bytes": body.len(), "payload_sha256": hex::encode(sha2::Sha256::digest(&body)),
    });
    let mut bytes = serde_json::to_vec(&header).unwrap();
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    bytes
}

/// The values an attacker would try.
fn hostile(choice: u8, number: i64) -> Value {
    match choice % 12 {
        0 => Value::from(number),
        1 => Value::from(-1),
        2 => Value::from(0),
        3 => Value::from(999_999),
        4 => Value::from(u64::MAX),
        5 => Value::from(1e308),
        6 => Value::Array(vec![]),
        7 => Value::Array(vec![Value::from(number); (number.unsigned_abs() % 64) as usize]),
        8 => Value::String("x".repeat((number.unsigned_abs() % 300) as usize)),
        9 => Value::Null,
        10 => Value::Bool(number % 2 == 0),
        _ => serde_json::json!({"kind": "linear", "coef": [], "intercept": 0.0}),
    }
}

/// Walks `path` (each step picks a child by index modulo the count) and
/// replaces the value reached with `value`.
fn set_at(node: &mut Value, path: &[u16], value: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    match node {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step as usize % map.len()).cloned().unwrap();
            set_at(map.get_mut(&key).unwrap(), rest, value);
        }
        Value::Array(items) if !items.is_empty() => {
            let len = items.len();
            set_at(&mut items[step as usize % len], rest, value);
        }
        _ => *node = value,
    }
}

#[test]
fn mutated_bytes_never_panic_the_loader() {
    let corpus = corpus();
    let mutation = (any::<prop::sample::Index>(), prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8));
    proptest!(config(400), |((file, edits) in mutation)| {
        let mut bytes = file.get(&corpus).clone();
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] ^= byte | 1,
                1 => bytes.insert(at, byte),
                _ => bytes.truncate(at.max(1)),
            }
        }
        load_and_predict(&bytes)?;
    });
}

#[test]
fn hostile_payload_edits_with_a_valid_checksum_never_panic() {
    let payloads: Vec<Value> = corpus()
        .iter()
        .map(|bytes| {
            let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
            serde_json::from_slice(&bytes[newline + 1..]).unwrap()
        })
        .collect();
    let edit = (
        any::<prop::sample::Index>(),
        prop::collection::vec((prop::collection::vec(any::<u16>(), 1..9), any::<u8>(), any::<i64>()), 1..4),
    );
    proptest!(config(600), |((file, edits) in edit)| {
        let mut payload = file.get(&payloads).clone();
        for (path, choice, number) in edits {
            set_at(&mut payload, &path, hostile(choice, number));
        }
        load_and_predict(&wrap(&payload))?;
    });
}
