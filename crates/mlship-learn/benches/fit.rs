//! Criterion benchmarks of the seed pipeline on the bundled insurance data:
//! one fit, the whole 10-fold evaluation, and scoring. `cargo bench -p mlship-learn`.

use criterion::{criterion_group, criterion_main, Criterion};
use mlship_data::{datasets, infer_kinds, Column, KindOverrides};
use mlship_learn::{evaluate, EvaluationInput, ModelSpec, PipelineSpec, SetupOptions, Task};
use std::hint::black_box;

fn seed_spec() -> PipelineSpec {
    let options = SetupOptions {
        session_id: Some(123),
        normalize: true,
        polynomial_features: true,
        bin_numeric_features: vec!["age".into(), "bmi".into()],
        ..SetupOptions::default()
    };
    PipelineSpec { options, model: ModelSpec::with_defaults(Task::Regression, "lr", 123).expect("lr is a model") }
}

fn benchmarks(c: &mut Criterion) {
    let mut loaded = datasets::load("insurance").expect("bundled data");
    let Some(Column::Numeric(y)) = loaded.table.remove("charges") else { panic!("charges is numeric") };
    let kinds = infer_kinds(&mut loaded.table, &KindOverrides::default()).expect("kinds");
    let spec = seed_spec();
    let table = &loaded.table;
    c.bench_function("seed pipeline: one fit on 1,338 rows", |b| {
        b.iter(|| spec.fit(black_box(table), &kinds, "charges", &y).expect("fit"))
    });
    c.bench_function("seed pipeline: 10-fold CV + hold-out", |b| {
        b.iter(|| {
            let input = EvaluationInput {
                spec: &spec,
                table,
                kinds: &kinds,
                target: "charges",
                y: &y,
                seed: 123,
                finalize: false,
            };
            evaluate(black_box(&input)).expect("evaluate")
        })
    });
    let fitted = spec.fit(table, &kinds, "charges", &y).expect("fit").pipeline;
    c.bench_function("seed pipeline: predict 1,338 rows", |b| {
        b.iter(|| fitted.predict(black_box(table)).expect("predict"))
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
