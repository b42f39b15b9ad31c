//! Criterion benchmarks of the seed pipeline on the bundled insurance data:
//! one fit, the whole 10-fold evaluation, and scoring. `cargo bench -p mlship-learn`.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions, and criterion_group! makes an
// undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use mlship_learn::{evaluate, EvaluationInput};
use mlship_testkit::seed;
use std::hint::black_box;

fn benchmarks(c: &mut Criterion) {
    let seed::Insurance { table, y, kinds } = seed::insurance();
    let spec = seed::spec();
    let table = &table;
    c.bench_function("seed pipeline: one fit on 1,338 rows", |b| {
        b.iter(|| spec.fit(black_box(table), &kinds, "charges", &y, None).expect("fit"))
    });
    c.bench_function("seed pipeline: 10-fold CV + hold-out", |b| {
        b.iter(|| {
            let input = EvaluationInput {
                spec: &spec,
                table,
                kinds: &kinds,
                target: "charges",
                y: &y,
                labels: None,
                seed: 123,
                finalize: false,
            };
            evaluate(black_box(&input)).expect("evaluate")
        })
    });
    let fitted = spec.fit(table, &kinds, "charges", &y, None).expect("fit").pipeline;
    c.bench_function("seed pipeline: predict 1,338 rows", |b| {
        b.iter(|| fitted.predict(black_box(table)).expect("predict"))
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
