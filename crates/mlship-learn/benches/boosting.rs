//! Criterion benchmarks of the histogram engine: `lightgbm` and `xgboost`
//! with their defaults (100 rounds) on a generated 100,000-row,
//! 20-feature regression set, and batched prediction.
//! `cargo bench -p mlship-learn --bench boosting` (the 1M-row comparison
//! against the libraries belongs in BENCHMARKS.md, not here).

#![allow(missing_docs)]
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use mlship_learn::{Matrix, ModelSpec, Task};
use std::hint::black_box;

/// Uniform features in [-1, 1) from a fixed LCG and a nonlinear target.
fn data(n_rows: usize, n_cols: usize) -> (Matrix, Vec<f64>) {
    let mut state = 7u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 52) as f64) - 1.0
    };
    let columns: Vec<Vec<f64>> = (0..n_cols).map(|_| (0..n_rows).map(|_| next()).collect()).collect();
    let y = (0..n_rows)
        .map(|i| 3.0 * columns[0][i] + (2.0 * columns[1][i]).sin() + columns[2][i] * columns[3][i] + 0.1 * next())
        .collect();
    (Matrix { n_rows, columns }, y)
}

fn benchmarks(c: &mut Criterion) {
    let (x, y) = data(100_000, 20);
    let mut group = c.benchmark_group("boosting 100k x 20");
    group.sample_size(10);
    for id in ["lightgbm", "xgboost"] {
        let spec = ModelSpec::with_defaults(Task::Regression, id, 0).unwrap();
        group.bench_function(format!("{id}: fit"), |b| b.iter(|| spec.fit(black_box(&x), &y).unwrap()));
        let fitted = spec.fit(&x, &y).unwrap();
        group.bench_function(format!("{id}: predict"), |b| b.iter(|| fitted.predict(black_box(&x)).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
