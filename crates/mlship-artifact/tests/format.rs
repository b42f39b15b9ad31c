//! The artifact format: a golden file from format version 1 keeps loading and
//! predicting; round trips are bit-identical; truncated, corrupt, foreign and
//! newer-format files are told apart with clear errors; saving is atomic.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_artifact::{Artifact, ArtifactError, FORMAT_VERSION};
use mlship_data::{CategoricalColumn, Column, Table};
use mlship_testkit::golden_artifact as golden_path;

fn seed_row() -> Table {
    let mut row = Table::default();
    row.push("age", Column::Numeric(vec![19.0, 60.0]));
    row.push("sex", Column::Categorical(CategoricalColumn::from_values([Some("female"), Some("male")])));
    row.push("bmi", Column::Numeric(vec![27.9, 31.0]));
    row.push("children", Column::Numeric(vec![0.0, 2.0]));
    row.push("smoker", Column::Categorical(CategoricalColumn::from_values([Some("yes"), Some("no")])));
    row.push("region", Column::Categorical(CategoricalColumn::from_values([Some("southwest"), Some("elsewhere")])));
    row
}

#[test]
fn golden_v1_artifact_still_loads_and_predicts() {
    let artifact = Artifact::load(&golden_path()).unwrap();
    assert_eq!(artifact.name, "deployment_28042020");
    assert_eq!(artifact.pipeline.target, "charges");
    let names: Vec<&str> = artifact.pipeline.schema.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["age", "sex", "bmi", "children", "smoker", "region"]);
    assert_eq!(artifact.data.n_rows, 1338);
    assert!((artifact.metrics.holdout.r2 - 0.8556).abs() < 5e-5);
    let predictions = artifact.pipeline.predict(&seed_row()).unwrap();
    assert!((predictions[0] - 23624.08).abs() < 0.005, "{}", predictions[0]);
    // An unseen region encodes as all zeros and still predicts.
    assert!(predictions[1].is_finite());
}

#[test]
fn round_trip_is_bit_identical() {
    let artifact = Artifact::load(&golden_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.mlship");
    artifact.save(&path).unwrap();
    let loaded = Artifact::load(&path).unwrap();
    assert_eq!(loaded, artifact);
    let before = artifact.pipeline.predict(&seed_row()).unwrap();
    let after = loaded.pipeline.predict(&seed_row()).unwrap();
    assert_eq!(
        before.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        after.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    // Nothing but the artifact is left in the folder: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn load_bytes(bytes: &[u8]) -> ArtifactError {
    Artifact::from_bytes(bytes, "model.mlship").unwrap_err()
}

#[test]
fn damaged_files_are_told_apart() {
    let bytes = std::fs::read(golden_path()).unwrap();
    let truncated = load_bytes(&bytes[..bytes.len() - 100]);
    assert!(matches!(truncated, ArtifactError::Truncated { .. }), "{truncated}");
    assert!(truncated.to_string().starts_with("model.mlship: truncated model file"));

    let mut corrupt = bytes.clone();
    let last = corrupt.len() - 10;
    corrupt[last] ^= 0x01;
    assert!(matches!(load_bytes(&corrupt), ArtifactError::Corrupt { .. }));

    assert!(matches!(load_bytes(b"PK\x03\x04 a zip file"), ArtifactError::NotAnArtifact { .. }));
    assert!(matches!(load_bytes(b""), ArtifactError::NotAnArtifact { .. }));

    let text = String::from_utf8(bytes).unwrap();
    let newer = text.replacen(&format!("\"format_version\":{FORMAT_VERSION}"), "\"format_version\":99", 1);
    let error = load_bytes(newer.as_bytes());
    assert!(matches!(error, ArtifactError::NewerFormat { found: 99, .. }), "{error}");
    assert!(error.to_string().contains("upgrade mlship"));

    let missing = Artifact::load(std::path::Path::new("/no/such/model.mlship")).unwrap_err();
    assert_eq!(missing.to_string(), "/no/such/model.mlship: no such model file");
}

/// One golden artifact per fitted family (neighbours, kernel ridge, SVR,
/// MLP; the linear family is `insurance_v1`): each keeps loading and predicts
/// exactly what it predicted when it was written.
#[test]
fn golden_artifacts_of_every_family_still_load_and_predict_bit_for_bit() {
    let folder = golden_path().parent().unwrap().to_path_buf();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("families.json")).unwrap()).unwrap();
    let families = expected["families"].as_object().unwrap();
    assert!(families.len() >= 4);
    for (id, family) in families {
        let artifact = Artifact::load(&folder.join(family["file"].as_str().unwrap())).unwrap();
        assert_eq!(artifact.spec.model.id, *id);
        let predictions = artifact.pipeline.predict(&seed_row()).unwrap();
        let want: Vec<f64> = family["predictions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(predictions, want, "{id}");
    }
}

/// A family or a model id this binary does not know is "made by a newer
/// mlship", not "invalid"; a parameter out of its range is refused on load.
#[test]
fn unknown_families_and_models_say_newer_mlship() {
    let bytes = std::fs::read(golden_path()).unwrap();
    let artifact = Artifact::from_bytes(&bytes, "golden").unwrap();
    let mut payload = serde_json::to_value(&artifact).unwrap();
    let reload = rewrap;
    payload["pipeline"]["model"]["kind"] = "quantum_forest".into();
    let error = reload(&payload);
    assert!(error.contains("made by a newer mlship") && error.contains("model family \"quantum_forest\""), "{error}");
    payload = serde_json::to_value(&artifact).unwrap();
    payload["spec"]["model"]["id"] = "hyperboost".into();
    let error = reload(&payload);
    assert!(error.contains("made by a newer mlship") && error.contains("model \"hyperboost\""), "{error}");
    payload = serde_json::to_value(&artifact).unwrap();
    payload["spec"]["model"]["id"] = "ridge".into();
    payload["spec"]["model"]["alpha"] = (-1.0).into();
    let error = reload(&payload);
    assert!(error.contains("invalid model file") && error.contains("\"alpha\""), "{error}");
}

/// Header + payload, as `Artifact::to_bytes` writes them, for a payload that
/// no longer deserialises into an `Artifact`.
fn rewrap(payload: &serde_json::Value) -> String {
    use sha2::Digest;
    let body = serde_json::to_vec(payload).unwrap();
    let header = serde_json::json!({
        "format": "mlship-artifact", "format_version": FORMAT_VERSION, "mlship_version": "9.9.9",
        "payload_bytes": body.len(), "payload_sha256": hex::encode(sha2::Sha256::digest(&body)),
    });
    let mut bytes = serde_json::to_vec(&header).unwrap();
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    Artifact::from_bytes(&bytes, "x.mlship").err().map(|e| e.to_string()).unwrap_or_default()
}
