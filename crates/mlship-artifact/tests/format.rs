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
