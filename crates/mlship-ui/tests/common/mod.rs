//! A store with an experiment of three finished runs (metrics per fold,
//! plots, the golden artifact) and a registered model whose alias moved.

use mlship_track::{plots, MetricPoint, ModelSource, NewRun, Store, StoreLocation};
use mlship_ui::{UiApp, UiConfig};
use std::path::PathBuf;

// Each test binary uses a different part of the fixture.
#[allow(dead_code)]
pub struct Populated {
    pub base: String,
    pub runs: Vec<String>,
    pub artifacts: PathBuf,
    pub url: String,
    pub _dir: tempfile::TempDir,
}

pub fn golden() -> Vec<u8> {
    std::fs::read(mlship_testkit::golden_artifact()).unwrap()
}

/// (model param, holdout_r2, cv_mae) per run, oldest first.
pub const RUNS: [(&str, f64, f64); 3] =
    [("lr", 0.8556, 3147.96), ("ridge", 0.7394, 4062.52), ("lasso", 0.8550, 3100.0)];

pub async fn populate(store: &Store) -> Vec<String> {
    let mut ids = Vec::new();
    for (model, r2, mae) in RUNS {
        let new = NewRun {
            experiment: "insurance-charges".into(),
            name: format!("{model}-123"),
            params: vec![("model".into(), model.into()), ("fold".into(), "10".into())],
            tags: vec![("team".into(), "pricing".into())],
            git_commit: None,
            data_sha256: Some("ab".repeat(32)),
        };
        let id = store.start_run(&new).await.unwrap();
        let mut points = vec![
            MetricPoint { key: "holdout_r2".into(), step: 0, value: r2 },
            MetricPoint { key: "cv_mae".into(), step: 0, value: mae },
        ];
        points.extend((1..=3).map(|f| MetricPoint { key: "fold_r2".into(), step: f, value: r2 - 0.01 * f as f64 }));
        store.log_metrics(&id, &points).await.unwrap();
        let svg = plots::scatter("Residuals", "Predicted", "Residual", &[(1.0, 2.0), (2.0, -1.0)], false, true);
        store.save_run_file(&id, "plots/residuals.svg", "plot", svg.as_bytes()).await.unwrap();
        let artifact = store.save_run_file(&id, "model.mlship", "model", &golden()).await.unwrap();
        store.finish_run(&id, Some(&artifact)).await.unwrap();
        ids.push(id);
        // Distinct start times, so "newest first" is well defined.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    store.register("Insurance", &ModelSource::Run(ids[0].clone()), Some("production")).await.unwrap();
    store.register("insurance", &ModelSource::Run(ids[2].clone()), None).await.unwrap();
    store.set_alias("insurance", "production", 2).await.unwrap();
    ids
}

pub async fn start(token: Option<&str>) -> Populated {
    start_with(UiConfig { tokens: token.into_iter().map(str::to_string).collect(), ..config() }).await
}

/// Loopback, any free port, no token.
#[allow(dead_code)]
pub fn config() -> UiConfig {
    UiConfig { host: "127.0.0.1".into(), port: 0, ..UiConfig::default() }
}

#[allow(dead_code)]
pub async fn start_with(config: UiConfig) -> Populated {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(dir.path().join("store").to_str().unwrap(), None).unwrap();
    let url = location.url.clone();
    let store = Store::open(location).await.unwrap();
    let runs = populate(&store).await;
    let artifacts = store.artifacts().dir().to_path_buf();
    let app = UiApp::build(store, config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Populated { base, runs, artifacts, url, _dir: dir }
}
