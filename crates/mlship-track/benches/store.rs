//! The store's speed on both backends (issue: tracking and registry, item 8):
//!
//! - `log_run`: start a run with 100 params, log 1,000 metric points, finish it;
//! - `list_10k_sorted`: list all 10,000 runs of an experiment sorted by a
//!   metric, with every run's latest metrics, params and tags.
//!
//! SQLite always (a store under target/, filled once and reused); PostgreSQL
//! when `MLSHIP_BENCH_POSTGRES` names an admin URL (a database
//! `mlship_bench_10k` is created and filled once). Each of the 10,000 runs
//! looks like one `mlship train` records: 30 params, 28 metric keys.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions, and criterion_group! makes an
// undocumented public function.
#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use mlship_track::{MetricPoint, NewRun, RunQuery, Store, StoreLocation};
use sqlx::Connection;
use std::path::PathBuf;
use std::time::Duration;

const RUNS: usize = 10_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn new_run(experiment: &str, i: usize, n_params: usize) -> NewRun {
    NewRun {
        experiment: experiment.to_string(),
        name: format!("run-{i}"),
        params: (0..n_params).map(|p| (format!("param_{p:03}"), format!("value-{}", (i + p) % 7))).collect(),
        tags: vec![("worker".into(), (i % 8).to_string())],
        git_commit: Some("0123456789abcdef".into()),
        data_sha256: Some("ab".repeat(32)),
    }
}

/// 6 metrics × (mean, std, hold-out) + 10 folds of R2 = 28 keys, 37 points.
fn train_like_metrics(i: usize) -> Vec<MetricPoint> {
    let x = (i as f64 * 0.618_033_988_7).fract();
    let mut points = Vec::new();
    for (m, name) in ["mae", "mse", "rmse", "r2", "rmsle", "mape"].iter().enumerate() {
        for (prefix, suffix) in [("cv_", ""), ("cv_", "_std"), ("holdout_", "")] {
            points.push(MetricPoint { key: format!("{prefix}{name}{suffix}"), step: 0, value: x * (m + 1) as f64 });
        }
    }
    for fold in 1..=10 {
        points.push(MetricPoint { key: "fold_r2".into(), step: fold, value: x - fold as f64 * 0.001 });
    }
    points
}

async fn fill(store: &Store, experiment: &str) {
    let existing = store
        .list_runs(&RunQuery { experiment: Some(experiment.into()), limit: Some(RUNS), ..Default::default() })
        .await
        .map(|r| r.len())
        .unwrap_or(0);
    for i in existing..RUNS {
        let id = store.start_run(&new_run(experiment, i, 30)).await.unwrap();
        store.log_metrics(&id, &train_like_metrics(i)).await.unwrap();
        store.finish_run(&id, None).await.unwrap();
    }
}

fn bench_backend(c: &mut Criterion, label: &str, location: StoreLocation) {
    let runtime = runtime();
    let store = runtime.block_on(Store::open(location)).unwrap();
    runtime.block_on(fill(&store, "ten-thousand"));
    let mut group = c.benchmark_group(label);
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    let mut i = 0;
    group.bench_function("log_run_100_params_1000_points", |b| {
        b.iter(|| {
            i += 1;
            runtime.block_on(async {
                let id = store.start_run(&new_run("logging", i, 100)).await.unwrap();
                let points: Vec<MetricPoint> = (0..1000)
                    .map(|step| MetricPoint { key: format!("loss_{}", step % 4), step: step / 4, value: step as f64 })
                    .collect();
                store.log_metrics(&id, &points).await.unwrap();
                store.finish_run(&id, None).await.unwrap();
            })
        })
    });
    let query = RunQuery {
        experiment: Some("ten-thousand".into()),
        sort: Some("holdout_r2".into()),
        filter: None,
        limit: None,
        ..RunQuery::default()
    };
    group.bench_function("list_10k_runs_sorted_by_metric", |b| {
        b.iter(|| {
            let runs = runtime.block_on(store.list_runs(&query)).unwrap();
            assert_eq!(runs.len(), RUNS);
        })
    });
    group.finish();
}

fn sqlite(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-store-10k");
    let location = StoreLocation::parse(dir.to_str().unwrap(), None).unwrap();
    bench_backend(c, "sqlite", location);
}

fn postgres(c: &mut Criterion) {
    let Ok(admin) = std::env::var("MLSHIP_BENCH_POSTGRES") else {
        eprintln!("MLSHIP_BENCH_POSTGRES is not set: PostgreSQL not measured");
        return;
    };
    let runtime = runtime();
    runtime.block_on(async {
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = 'mlship_bench_10k'")
            .fetch_optional(&mut connection)
            .await
            .unwrap();
        if exists.is_none() {
            sqlx::raw_sql("CREATE DATABASE mlship_bench_10k").execute(&mut connection).await.unwrap();
        }
    });
    let url = format!("{}/mlship_bench_10k", admin.rsplit_once('/').unwrap().0);
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-store-pg-artifacts");
    bench_backend(c, "postgres", StoreLocation::parse(&url, Some(&artifacts)).unwrap());
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
