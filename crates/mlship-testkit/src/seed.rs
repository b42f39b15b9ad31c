//! The seed pipeline (PyCaret's insurance example: session 123, z-score,
//! degree-2 polynomial features, k-means bins for age and bmi, linear
//! regression) as the parity tests, the benchmarks and the CLI tests run it.

use mlship_data::{datasets, infer_kinds, Column, ColumnKind, KindOverrides, Table};
use mlship_learn::{ModelSpec, PipelineSpec, SetupOptions, Task};

/// The seed's options as `mlship train` flags; the target (`charges`) and the
/// model (`lr`) are the defaults for the bundled data.
pub const TRAIN_FLAGS: &[&str] = &[
    "--data",
    "insurance",
    "--session-id",
    "123",
    "--normalize",
    "--polynomial-features",
    "--bin-numeric-features",
    "age,bmi",
];

/// The seed pipeline's spec.
pub fn spec() -> PipelineSpec {
    let options = SetupOptions {
        session_id: Some(123),
        normalize: true,
        polynomial_features: true,
        bin_numeric_features: vec!["age".into(), "bmi".into()],
        ..SetupOptions::default()
    };
    PipelineSpec { options, model: ModelSpec::with_defaults(Task::Regression, "lr", 123).expect("lr is a model") }
}

/// The bundled insurance data split into features and the `charges` target,
/// with the column kinds inferred as `mlship train` infers them.
pub struct Insurance {
    /// The feature columns (every column but `charges`).
    pub table: Table,
    /// The `charges` target, one value per row.
    pub y: Vec<f64>,
    /// The inferred kind of each feature column, in column order.
    pub kinds: Vec<ColumnKind>,
}

/// Loads the bundled insurance data as the seed pipeline trains on it.
pub fn insurance() -> Insurance {
    let mut loaded = datasets::load("insurance").expect("the bundled insurance data loads");
    let Some(Column::Numeric(y)) = loaded.table.remove("charges") else { panic!("charges is numeric") };
    let kinds = infer_kinds(&mut loaded.table, &KindOverrides::default()).expect("insurance's kinds");
    Insurance { table: loaded.table, y, kinds }
}
