//! The cost of live drift: what one scored request adds on the request path
//! (`LiveMonitor::observe`, ring-buffer appends), and what a scrape computes
//! (`LiveMonitor::compute` on a full 1,000-row window of the insurance
//! columns against their reference). `cargo bench -p mlship-monitor`.

// criterion_group! makes an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use mlship_data::{Column, Table};
use mlship_learn::Predictions;
use mlship_monitor::live::LiveMonitor;
use mlship_monitor::profile::{numeric_profile, profile_table, ColumnRole, ReferenceProfile, SAMPLE_CAP};
use mlship_testkit::seed;
use std::hint::black_box;

fn benchmarks(c: &mut Criterion) {
    let seed::Insurance { table, y, .. } = seed::insurance();
    let roles: Vec<(String, ColumnRole)> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, column)| {
            let role = match column {
                Column::Numeric(_) => ColumnRole::Numeric,
                Column::Categorical(_) => ColumnRole::Categorical,
            };
            (name.clone(), role)
        })
        .collect();
    let reference = ReferenceProfile {
        source: "insurance".to_string(),
        n_rows: table.n_rows(),
        columns: profile_table(&table, &roles, None, SAMPLE_CAP).expect("profile"),
        prediction: Some(numeric_profile("prediction_label", y.len(), y.clone(), SAMPLE_CAP)),
        target: None,
    };
    let monitor = LiveMonitor::new(reference, None, 1_000).expect("window on");
    let one_row =
        Table { names: table.names.clone(), columns: table.columns.iter().map(|column| column.take(&[7])).collect() };
    let one_prediction = Predictions::Regression(vec![y[7]]);
    c.bench_function("live drift: observe one scored row (6 columns + prediction)", |b| {
        b.iter(|| monitor.observe(black_box(&one_row), black_box(&one_prediction)))
    });
    let all: Vec<usize> = (0..table.n_rows()).collect();
    let batch = Table { names: table.names.clone(), columns: table.columns.iter().map(|c| c.take(&all)).collect() };
    monitor.observe(&batch, &Predictions::Regression(y.clone()));
    c.bench_function("live drift: snapshot of a full 1,000-row window (scrape)", |b| {
        b.iter(|| black_box(monitor.compute()))
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
