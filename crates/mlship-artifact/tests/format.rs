//! The artifact format: a golden file from format version 1 keeps loading and
//! predicting; round trips are bit-identical; truncated, corrupt, foreign and
//! newer-format files are told apart with clear errors; saving is atomic.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_artifact::{Artifact, ArtifactError, FORMAT_VERSION};
use mlship_data::{CategoricalColumn, Column, Table};
use mlship_testkit::golden_artifact as golden_path;

#[path = "format/fuzz.rs"]
mod fuzz;

#[global_allocator]
static COUNTING: mlship_testkit::alloc::Counting = mlship_testkit::alloc::Counting;

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
    assert!((artifact.metrics.holdout.get("R2").unwrap() - 0.8556).abs() < 5e-5);
    let predictions = artifact.pipeline.predict(&seed_row()).unwrap().numbers();
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
    let before = artifact.pipeline.predict(&seed_row()).unwrap().numbers();
    let after = loaded.pipeline.predict(&seed_row()).unwrap().numbers();
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
    assert!(matches!(&error, ArtifactError::NewerFormat { found, .. } if found == "99"), "{error}");
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
        let predictions = artifact.pipeline.predict(&seed_row()).unwrap().numbers();
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

/// The golden payload with `edit` applied, re-wrapped with a correct header
/// (length and sha256 fixed up, as an attacker would): the load error.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let bytes = std::fs::read(golden_path()).unwrap();
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let mut payload: serde_json::Value = serde_json::from_slice(&bytes[newline + 1..]).unwrap();
    edit(&mut payload);
    rewrap(&payload)
}

/// Issue 10, item 1: a pipeline edited so that it would take all the memory,
/// index out of bounds or score silently wrong is refused on load, with an
/// error naming the step and the field, whatever the checksum says.
#[test]
fn hostile_pipelines_are_refused_on_load_naming_step_and_field() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "polynomial degree 40",
            Box::new(|p| p["pipeline"]["steps"][0]["degree"] = 40.into()),
            "step 1 (polynomial): degree is 40",
        ),
        (
            "binning column 999",
            Box::new(|p| p["pipeline"]["steps"][1]["columns"][0][0] = 999.into()),
            "step 2 (binning): columns[0] is column 999, the input has 54 columns",
        ),
        (
            "multicollinearity keep 5000",
            Box::new(|p| {
                let mut keep: Vec<serde_json::Value> = (0..53).map(Into::into).collect();
                keep.push(5000.into());
                let step = serde_json::json!({"step": "multicollinearity", "n_inputs": 54, "keep": keep});
                p["pipeline"]["steps"].as_array_mut().unwrap().insert(2, step);
            }),
            "step 3 (multicollinearity): keep[53] is 5000",
        ),
        (
            "short coefficient vector",
            Box::new(|p| {
                p["pipeline"]["model"]["coef"].as_array_mut().unwrap().pop();
            }),
            "model (linear): n_features is 53 but the last step gives 54 features",
        ),
        (
            "missing encoder column",
            Box::new(|p| {
                p["pipeline"]["encoder"]["columns"].as_array_mut().unwrap().remove(5);
            }),
            "encoder: columns: 5 encoded columns for 6 schema columns",
        ),
        (
            "short normalisation vector",
            Box::new(|p| {
                p["pipeline"]["steps"][2]["offset"].as_array_mut().unwrap().pop();
            }),
            "step 3 (normalize): offset has 53 values but the previous step gives 54 columns",
        ),
        (
            "a step's output no longer fits the next one",
            Box::new(|p| {
                p["pipeline"]["steps"][0]["degree"] = 5.into();
            }),
            "step 2 (binning): n_inputs is 54 but the previous step gives 2001 columns",
        ),
        (
            "encoder column of another kind",
            Box::new(|p| {
                p["pipeline"]["encoder"]["columns"][0][1] =
                    serde_json::json!({"encoding": "one_hot", "levels": ["a"], "fill": "a"})
            }),
            "encoder: column \"age\": its encoding does not fit",
        ),
        (
            "zero scale",
            Box::new(|p| p["pipeline"]["steps"][2]["scale"][3] = serde_json::json!(0.0)),
            "step 3 (normalize): scale[3] is 0",
        ),
    ];
    for (what, edit, expected) in cases {
        let error = edited(edit);
        assert!(
            error.contains("invalid model file") && error.contains(expected),
            "{what}: {error:?} lacks {expected:?}"
        );
    }
}

/// Each golden family, damaged in the field its `predict` indexes by: refused on load.
#[test]
fn damaged_models_of_every_family_are_refused_on_load() {
    let folder = golden_path().parent().unwrap().to_path_buf();
    let cases = [
        ("knn_v1.mlship", "/pipeline/model/rows", "model (neighbors)"),
        ("kr_v1.mlship", "/pipeline/model/x_fit", "model (kernel_ridge): x_fit has"),
        ("svm_v1.mlship", "/pipeline/model/support_vectors", "model (svm): support_vectors has"),
        ("mlp_v1.mlship", "/pipeline/model/layers/0/weights", "model (mlp): layers[0].weights has"),
    ];
    for (file, field, expected) in cases {
        let bytes = std::fs::read(folder.join(file)).unwrap();
        let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
        let mut payload: serde_json::Value = serde_json::from_slice(&bytes[newline + 1..]).unwrap();
        payload.pointer_mut(field).unwrap().as_array_mut().unwrap().pop();
        let error = rewrap(&payload);
        assert!(error.contains(expected), "{file}: {error:?} lacks {expected:?}");
    }
}

/// A format version of 0 never existed; one too large for any integer type is
/// still "made by a newer mlship", not "not a model file".
#[test]
fn format_versions_zero_and_huge_are_told_apart() {
    let text = String::from_utf8(std::fs::read(golden_path()).unwrap()).unwrap();
    let zero = text.replacen("\"format_version\":1", "\"format_version\":0", 1);
    let error = load_bytes(zero.as_bytes()).to_string();
    assert!(error.contains("format version 0 does not exist"), "{error}");
    let huge = text.replacen("\"format_version\":1", "\"format_version\":99999999999999999999999999", 1);
    let error = load_bytes(huge.as_bytes()).to_string();
    assert!(error.contains("made by a newer mlship") && error.contains("upgrade mlship"), "{error}");
    let negative = text.replacen("\"format_version\":1", "\"format_version\":-3", 1);
    assert!(matches!(load_bytes(negative.as_bytes()), ArtifactError::NotAnArtifact { .. }));
}
