//! SMOTE against imbalanced-learn 0.14.2 (fixtures/smote.py): the synthetic
//! rows, in imblearn's order, to 1e-12, for 2 and 3 classes, several seeds,
//! balances and k_neighbors, and imblearn's error for a class too small.

use mlship_learn::smote::smote;
use mlship_learn::Matrix;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smote.json.gz");
    mlship_testkit::fixtures::json_gz(std::path::Path::new(path))
}

fn indices(value: &Value) -> Vec<usize> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

#[test]
fn smote_matches_imbalanced_learn_row_for_row() {
    let fixture = fixture();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 16);
    let (mut checked, mut errors, mut largest_gap) = (0, 0, 0.0f64);
    for case in cases {
        let x = super::matrix(&case["x"]);
        let codes = indices(&case["codes"]);
        let n_classes = case["n_classes"].as_u64().unwrap() as usize;
        let k = case["k_neighbors"].as_u64().unwrap() as usize;
        let seed = case["seed"].as_u64().unwrap() as u32;
        let what = format!("{} rows, {} features, {n_classes} classes, k {k}, seed {seed}", x.n_rows, x.n_cols());
        let result = smote(&x, &codes, n_classes, k, seed);
        if let Some(expected) = case["error"].as_str() {
            let error = result.unwrap_err().to_string();
            assert!(error.contains(expected), "{what}: {error} does not carry imblearn's {expected}");
            errors += 1;
            continue;
        }
        let (resampled, resampled_codes) = result.unwrap();
        let expected: Matrix = super::matrix(&case["x_new"]);
        let expected_codes = indices(&case["codes_new"]);
        assert_eq!(resampled.n_rows, x.n_rows + expected_codes.len(), "{what}: rows");
        assert_eq!(&resampled_codes[..x.n_rows], &codes[..], "{what}: original codes");
        assert_eq!(&resampled_codes[x.n_rows..], &expected_codes[..], "{what}: synthetic codes");
        for (feature, (column, expected_column)) in resampled.columns.iter().zip(&expected.columns).enumerate() {
            assert_eq!(&column[..x.n_rows], &x.columns[feature][..], "{what}: original rows, feature {feature}");
            for (row, (actual, wanted)) in column[x.n_rows..].iter().zip(expected_column).enumerate() {
                let gap = (actual - wanted).abs() / wanted.abs().max(1.0);
                largest_gap = largest_gap.max(gap);
                assert!(gap <= 1e-12, "{what}: synthetic row {row}, feature {feature}: {actual} vs {wanted}");
            }
        }
        checked += 1;
    }
    assert_eq!((checked, errors), (cases.len() - 1, 1));
    eprintln!("smote: {checked} cases, largest relative gap {largest_gap:e}");
}
