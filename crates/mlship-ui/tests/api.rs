//! The REST API over real HTTP: reads, writes, errors, the auth token, and
//! the path-escape corpus sent as URLs.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

mod common;

use mlship_track::{Store, StoreLocation};
use mlship_ui::{StartError, UiApp, UiConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

async fn get(url: &str) -> (StatusCode, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_sort_filter_and_compare() {
    let ui = common::start(None).await;
    let (status, experiments) = get(&format!("{}/api/experiments", ui.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(experiments[0]["name"], "insurance-charges");
    assert_eq!(experiments[0]["n_runs"], 3);

    let (_, runs) = get(&format!("{}/api/runs?experiment=Insurance-Charges&sort=holdout_r2", ui.base)).await;
    let order: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["params"]["model"].as_str().unwrap()).collect();
    assert_eq!(order, ["lr", "lasso", "ridge"]);
    let (_, filtered) =
        get(&format!("{}/api/runs?filter=metrics.cv_mae%20%3C%203120%20and%20params.model%20!%3D%20'lr'", ui.base))
            .await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["params"]["model"], "lasso");
    let (status, error) = get(&format!("{}/api/runs?filter=metrics.cv_mae%20%3E%3E%201", ui.base)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"].as_str().unwrap().contains("at character"), "{error}");
    let (status, _) = get(&format!("{}/api/runs?limit=x", ui.base)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, run) = get(&format!("{}/api/runs/{}", ui.base, &ui.runs[1][..6])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(run["history"]["fold_r2"].as_array().unwrap().len(), 3);
    assert_eq!(get(&format!("{}/api/runs/0000000000", ui.base)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&format!("{}/api/runs/not-hex", ui.base)).await.0, StatusCode::BAD_REQUEST);

    let (status, _) = get(&format!("{}/api/compare?runs={}", ui.base, ui.runs[0])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, comparison) = get(&format!("{}/api/compare?runs={}&runs={}", ui.base, ui.runs[0], ui.runs[1])).await;
    let rows = comparison["rows"].as_array().unwrap();
    let row = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap().clone();
    assert_eq!(row("params.model")["differs"], true);
    assert_eq!(row("params.fold")["differs"], false);
    assert!(rows.iter().all(|r| !r["key"].as_str().unwrap().contains("fold_")), "per-fold metrics are not compared");

    let (_, model) = get(&format!("{}/api/models/INSURANCE", ui.base)).await;
    assert_eq!(model["versions"].as_array().unwrap().len(), 2);
    assert_eq!(model["history"].as_array().unwrap().len(), 2);
    assert_eq!(get(&format!("{}/api/models/insur%2561nce", ui.base)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(get(&format!("{}/api/models/nobody", ui.base)).await.0, StatusCode::NOT_FOUND);

    let svg = reqwest::get(format!("{}/api/runs/{}/files/plots/residuals.svg", ui.base, ui.runs[0])).await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(svg.text().await.unwrap().starts_with("<svg"));
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_change_the_registry_and_need_the_token_when_one_is_set() {
    let token = "a-test-token-of-32-characters-xx";
    let ui = common::start(Some(token)).await;
    let client = reqwest::Client::new();
    let alias_url = format!("{}/api/models/insurance/aliases/staging", ui.base);
    for auth in [None, Some("Bearer wrong-token-of-32-characters-xxx"), Some("Basic abc")] {
        let mut request = client.put(&alias_url).json(&json!({"version": 1}));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    // Reads stay open.
    assert_eq!(get(&format!("{}/api/models", ui.base)).await.0, StatusCode::OK);
    let bearer = format!("Bearer {token}");
    let moved =
        client.put(&alias_url).header("authorization", &bearer).json(&json!({"version": 1})).send().await.unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    let bad =
        client.put(&alias_url).header("authorization", &bearer).json(&json!({"version": "one"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let missing =
        client.put(&alias_url).header("authorization", &bearer).json(&json!({"version": 9})).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let registered = client
        .post(format!("{}/api/models/Pricing/versions", ui.base))
        .header("authorization", &bearer)
        .json(&json!({"run_id": ui.runs[1], "alias": "candidate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    assert_eq!(registered.json::<Value>().await.unwrap()["version"], 1);
    let deleted = client.delete(&alias_url).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (_, model) = get(&format!("{}/api/models/insurance", ui.base)).await;
    let last = model["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["alias"].as_str(), last["from_version"].as_i64(), last["to_version"].as_i64()),
        (Some("staging"), Some(1), None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binding_beyond_loopback_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(dir.path().join("s").to_str().unwrap(), None).unwrap();
    let any = |tokens: &[&str]| UiConfig {
        host: "0.0.0.0".into(),
        port: 0,
        tokens: tokens.iter().map(|t| t.to_string()).collect(),
        ..UiConfig::default()
    };
    let refused = UiApp::build(Store::open(location.clone()).await.unwrap(), any(&[])).await;
    assert!(matches!(refused, Err(StartError::TokenRequired(_))));
    // Short, blank, repeated or sequential secrets: refused at startup, saying why.
    for (weak, reason) in [
        ("short", "at least 16"),
        ("                ", "not allowed"),
        ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "too predictable"),
        ("ops:abcdefghijklmnopqrstuvwxyz", "too predictable"),
    ] {
        match UiApp::build(Store::open(location.clone()).await.unwrap(), any(&[weak])).await {
            Err(error @ StartError::WeakToken(_)) => assert!(error.to_string().contains(reason), "{weak:?}: {error}"),
            Err(other) => panic!("{weak:?}: {other}"),
            Ok(_) => panic!("{weak:?} was accepted"),
        }
    }
    let read_needs_a_token = UiConfig { auth_read: true, ..common::config() };
    assert!(matches!(read_needs_a_token.check(), Err(StartError::AuthReadWithoutToken)));
    let bad_host = UiConfig { allowed_hosts: vec!["evil/host".into()], ..common::config() };
    assert!(matches!(bad_host.check(), Err(StartError::AllowedHost(_))));
    let ok = any(&["long-enough-token-123"]);
    assert!(UiApp::build(Store::open(location).await.unwrap(), ok).await.is_ok());
}

/// Encoded and double-encoded escapes in the URL, and a stored row that
/// points through a symlink: none reads anything outside the artifact folder.
#[tokio::test(flavor = "multi_thread")]
async fn file_urls_cannot_leave_the_artifact_folder() {
    let ui = common::start(None).await;
    let secret = ui.artifacts.parent().unwrap().join("mlship.db");
    assert!(secret.exists());
    let run = &ui.runs[0];
    let attempts = [
        "../../../mlship.db",
        "..%2f..%2f..%2fmlship.db",
        "%2e%2e/%2e%2e/%2e%2e/mlship.db",
        "%252e%252e%252f%252e%252e%252fmlship.db",
        "..%5c..%5c..%5cmlship.db",
        "..\\..\\..\\mlship.db",
        "%2fetc%2fpasswd",
        "/etc/passwd",
        "C:%5cWindows%5cwin.ini",
        "plots/%2e%2e/%2e%2e/%2e%2e/mlship.db",
        "evil/outside.mlship",
    ];
    // A folder inside the run that is a symlink to outside the store, with a row for a file in it.
    std::os::unix::fs::symlink(ui.artifacts.parent().unwrap(), ui.artifacts.join(format!("runs/{run}/evil"))).unwrap();
    let outside = ui.artifacts.parent().unwrap().join("outside.mlship");
    std::fs::write(&outside, common::golden()).unwrap();
    let sha = mlship_track::paths::sha256_hex(&common::golden());
    let mut connection = sqlx::AnyConnection::connect(&ui.url).await.unwrap();
    sqlx::query("INSERT INTO run_files (run_id, path, kind, sha256, size) VALUES ($1, $2, 'model', $3, 1)")
        .bind(run)
        .bind(format!("runs/{run}/evil/outside.mlship"))
        .bind(&sha)
        .execute(&mut connection)
        .await
        .unwrap();
    for attempt in attempts {
        for prefix in ["/api/runs", "/runs"] {
            let url = format!("{}{prefix}/{run}/files/{attempt}", ui.base);
            let response = reqwest::get(&url).await.unwrap();
            let status = response.status();
            let body = response.bytes().await.unwrap();
            assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND, "{url}: {status}");
            assert!(!body.starts_with(b"SQLite format") && !body.starts_with(b"root:"), "{url} leaked a file");
        }
    }
}
