//! Tracking and the registry as a user drives them: `train` records runs,
//! the `runs`, `experiments` and `models` commands, eight trains writing one
//! SQLite store at once, `kill -9` in the middle of a run, and a server that
//! follows an alias to a new version without failing a request.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{failure, json, ok};
use mlship_testkit::seed::TRAIN_FLAGS as SEED;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

fn train(dir: &Path, extra: &[&str]) -> Value {
    json(&mlship(dir, &[&["train"], SEED, extra, &["--json"]].concat()))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn open_store(dir: &Path) -> (tokio::runtime::Runtime, mlship_track::Store) {
    let runtime = runtime();
    let location = mlship_track::StoreLocation::parse(dir.join(".mlship").to_str().unwrap(), None).unwrap();
    let store = runtime.block_on(mlship_track::Store::open(location)).unwrap();
    (runtime, store)
}

#[test]
fn train_records_a_run_with_params_metrics_plots_and_the_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let report = train(dir.path(), &["--tag", "team=pricing", "--tag", "ticket=ML-7", "--save", "seed"]);
    let run_id = report["run"]["id"].as_str().unwrap().to_string();
    assert_eq!(report["run"]["experiment"], "insurance-charges");

    let runs = json(&mlship(dir.path(), &["runs", "list", "--json"]));
    assert_eq!(runs.as_array().unwrap().len(), 1);
    let run = &runs[0];
    assert_eq!(run["status"], "FINISHED");
    assert_eq!(run["name"], "lr-123");
    assert!((run["metrics"]["cv_r2"].as_f64().unwrap() - report["cv"]["mean"]["R2"].as_f64().unwrap()).abs() < 1e-12);
    assert!((run["metrics"]["holdout_mae"].as_f64().unwrap() - 2841.9174).abs() < 1e-3);
    assert_eq!(run["params"]["normalize"], "true");
    assert_eq!(run["params"]["bin_numeric_features"], "age,bmi");
    assert_eq!(run["params"]["session_id"], "123");
    assert_eq!(run["params"]["model"], "lr");
    assert_eq!(run["tags"]["ticket"], "ML-7");

    let detail = json(&mlship(dir.path(), &["runs", "show", &run_id[..6], "--json"]));
    let folds: Vec<i64> =
        detail["history"]["fold_r2"].as_array().unwrap().iter().map(|p| p[0].as_i64().unwrap()).collect();
    assert_eq!(folds, (1..=10).collect::<Vec<_>>(), "one point per fold, numbered by fold");
    assert_eq!(detail["data_sha256"].as_str().unwrap().len(), 64);
    let files: Vec<&str> = detail["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for plot in ["coefficients", "cv_folds", "prediction_error", "residuals"] {
        let path = format!("runs/{run_id}/plots/{plot}.svg");
        assert!(files.contains(&path.as_str()), "{plot} missing from {files:?}");
        let svg = std::fs::read_to_string(dir.path().join(".mlship/artifacts").join(&path)).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{plot}");
    }
    // The run's artifact is the model `--save` wrote, byte for byte.
    let stored =
        std::fs::read(dir.path().join(".mlship/artifacts").join(detail["artifact_path"].as_str().unwrap())).unwrap();
    assert_eq!(stored, std::fs::read(dir.path().join("seed.mlship")).unwrap());

    let text = ok(&mlship(dir.path(), &["runs", "show", &run_id]));
    assert!(text.contains("status      FINISHED") && text.contains("fold_r2") && text.contains("steps 10"), "{text}");
    let listed = ok(&mlship(dir.path(), &["experiments", "list"]));
    assert!(listed.contains("insurance-charges") && listed.contains("     1  "), "{listed}");

    // --no-track records nothing; a bad experiment name is refused before training.
    train(dir.path(), &["--no-track"]);
    let line = failure(&mlship(dir.path(), &[&["train"], SEED, &["--experiment", "a/b"]].concat()));
    assert!(line.contains("invalid experiment name \"a/b\""), "{line}");
    assert_eq!(json(&mlship(dir.path(), &["runs", "list", "--json"])).as_array().unwrap().len(), 1);
    let line = failure(&mlship(dir.path(), &[&["train"], SEED, &["--tag", "novalue"]].concat()));
    assert!(line.contains("a tag is KEY=VALUE"), "{line}");
}

#[test]
fn runs_sort_filter_and_compare_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let lr = train(dir.path(), &[])["run"]["id"].as_str().unwrap().to_string();
    // The dummy model (the mean) scores worse on every metric.
    let dummy = train(dir.path(), &["--model", "dummy"])["run"]["id"].as_str().unwrap().to_string();
    let ids = |value: Value| -> Vec<String> {
        value.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        ids(json(&mlship(dir.path(), &["runs", "list", "--sort", "holdout_r2", "--json"]))),
        [lr.clone(), dummy.clone()]
    );
    assert_eq!(
        ids(json(&mlship(dir.path(), &["runs", "list", "--sort", "cv_mae DESC", "--json"]))),
        [dummy.clone(), lr.clone()]
    );
    let filtered = json(&mlship(dir.path(), &["runs", "list", "--filter", "params.model = 'dummy'", "--json"]));
    assert_eq!(ids(filtered), vec![dummy.clone()]);
    let table = ok(&mlship(dir.path(), &["runs", "list", "--experiment", "INSURANCE-charges", "--sort", "cv_rmse"]));
    assert!(table.lines().next().unwrap().contains("cv_rmse"), "the sort key becomes a column: {table}");
    let line = failure(&mlship(dir.path(), &["runs", "list", "--filter", "metrics.cv_r2 > 'x'"]));
    assert!(line.contains("invalid filter") && line.contains("at character"), "{line}");
    let line = failure(&mlship(dir.path(), &["runs", "list", "--experiment", "nope"]));
    assert!(line.contains("no experiment named \"nope\""), "{line}");
    // A filter 1,000 conditions deep is a clear error (exit non-zero), not the store's; so is an unknown sort key.
    let deep = vec!["metrics.cv_mae > 1"; 1000].join(" and ");
    let line = failure(&mlship(dir.path(), &["runs", "list", "--filter", &deep]));
    assert!(line.contains("at most 50 conditions") && !line.contains("mlship.db"), "{line}");
    let line = failure(&mlship(dir.path(), &["runs", "list", "--sort", "holdout_r3"]));
    assert!(line.contains("unknown sort key") && line.contains("metrics.holdout_r2"), "{line}");

    let compared = ok(&mlship(dir.path(), &["runs", "compare", &lr[..8], &dummy[..8]]));
    let model_row = compared.lines().find(|l| l.contains("params.model")).unwrap();
    assert!(model_row.starts_with('*'), "differing rows are marked: {compared}");
    let fold_row = compared.lines().find(|l| l.contains("params.fold ")).unwrap();
    assert!(fold_row.starts_with(' '), "{compared}");
    let line = failure(&mlship(dir.path(), &["runs", "compare", &lr]));
    assert!(line.contains("2"), "{line}");
}

#[test]
fn the_registry_numbers_versions_and_records_every_alias_move() {
    let dir = tempfile::tempdir().unwrap();
    let first = train(dir.path(), &["--save", "first"])["run"]["id"].as_str().unwrap().to_string();
    let text = ok(&mlship(dir.path(), &["models", "register", "Insurance", &first[..8], "--alias", "Production"]));
    assert_eq!(text.trim(), format!("Registered Insurance version 1 from run {first}; alias production → 1"));
    let v2 = json(&mlship(dir.path(), &["models", "register", "insurance", "first.mlship", "--json"]));
    assert_eq!(v2["version"], 2);
    assert_eq!(
        ok(&mlship(dir.path(), &["models", "alias", "INSURANCE", "production", "2"])).trim(),
        "INSURANCE@production → version 2"
    );
    ok(&mlship(dir.path(), &["models", "alias", "insurance", "staging", "1"]));
    ok(&mlship(dir.path(), &["models", "alias", "--delete", "insurance", "staging"]));

    let model = json(&mlship(dir.path(), &["models", "show", "insurance", "--json"]));
    let moves: Vec<(String, Value, Value)> = model["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["alias"].as_str().unwrap().to_string(), e["from_version"].clone(), e["to_version"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            ("production".to_string(), Value::Null, Value::from(1)),
            ("production".to_string(), Value::from(1), Value::from(2)),
            ("staging".to_string(), Value::Null, Value::from(1)),
            ("staging".to_string(), Value::from(1), Value::Null),
        ]
    );
    let shown = ok(&mlship(dir.path(), &["models", "show", "insurance"]));
    assert!(shown.contains("Alias history") && shown.contains("1 → 2"), "{shown}");
    let listed = ok(&mlship(dir.path(), &["models", "list"]));
    assert!(listed.contains("Insurance") && listed.contains("production→2"), "{listed}");

    for (args, needle) in [
        (vec!["models", "alias", "insurance", "production", "7"], "has no version 7"),
        (vec!["models", "alias", "insurance", "production"], "give the version"),
        (vec!["models", "alias", "--delete", "insurance", "production", "1"], "--delete takes NAME ALIAS"),
        (vec!["models", "alias", "--delete", "insurance", "staging"], "has no alias \"staging\""),
        (vec!["models", "alias", "insurance", "2x", "1"], "invalid alias name"),
        (vec!["models", "show", "nobody"], "no registered model named \"nobody\""),
        (vec!["models", "register", "x", "missing.mlship"], "missing.mlship: no such file"),
        (vec!["models", "register", "x", "abcdef12"], "no run abcdef12"),
        (vec!["models", "register", "../x", &first], "invalid model name"),
    ] {
        let line = failure(&mlship(dir.path(), &args));
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

#[test]
fn eight_trains_at_once_on_one_sqlite_store_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_mlship"))
                .current_dir(dir.path())
                .env_remove("MLSHIP_STORE")
                .args([&["train"], SEED, &["--tag", &format!("worker={i}"), "--json"]].concat())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "a train failed: {stderr}");
        assert!(!stderr.contains("locked") && !stderr.contains("busy"), "{stderr}");
    }
    let runs = json(&mlship(dir.path(), &["runs", "list", "--json"]));
    assert_eq!(runs.as_array().unwrap().len(), 8);
    assert!(runs.as_array().unwrap().iter().all(|r| r["status"] == "FINISHED" && r["metrics"]["holdout_r2"].is_f64()));
    let (runtime, store) = open_store(dir.path());
    assert_eq!(runtime.block_on(store.integrity_check()).unwrap(), "ok");
    assert_eq!(runtime.block_on(store.experiments()).unwrap().len(), 1, "eight processes, one experiment");
}

#[test]
fn kill_9_in_the_middle_of_a_run_leaves_a_consistent_store_and_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    // Big enough that fitting takes a few seconds, so the kill lands mid-run.
    let insurance = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap();
    let (header, rows) = insurance.split_once('\n').unwrap();
    let big = format!("{header}\n{}", rows.repeat(150));
    std::fs::write(dir.path().join("big.csv"), big).unwrap();
    train(dir.path(), &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .env_remove("MLSHIP_STORE")
        .args([
            "train",
            "--data",
            "big.csv",
            "--target",
            "charges",
            "--polynomial-features",
            "--normalize",
            "--session-id",
            "9",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (runtime, store) = open_store(dir.path());
    let running = |store: &mlship_track::Store| {
        let query = mlship_track::RunQuery { filter: Some("status = 'RUNNING'".into()), ..Default::default() };
        runtime.block_on(store.list_runs(&query)).unwrap()
    };
    let started = Instant::now();
    let run = loop {
        if let Some(run) = running(&store).into_iter().next() {
            break run;
        }
        assert!(child.try_wait().unwrap().is_none(), "the train finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(60), "the run never appeared");
        std::thread::sleep(Duration::from_millis(20));
    };
    Command::new("kill").args(["-9", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
    // Still RUNNING until a process next opens the store; then FAILED, saying why.
    assert_eq!(running(&store).len(), 1);
    drop(store);
    let listed = ok(&mlship(dir.path(), &["runs", "list"]));
    assert!(listed.contains("FAILED"), "{listed}");
    let detail = json(&mlship(dir.path(), &["runs", "show", &run.id, "--json"]));
    assert_eq!(detail["status"], "FAILED");
    assert!(detail["failure"].as_str().unwrap().contains("ended without finishing the run"), "{detail}");
    assert!(detail["end_time"].is_i64());
    let (runtime, store) = open_store(dir.path());
    assert_eq!(runtime.block_on(store.integrity_check()).unwrap(), "ok");
    // The store keeps working: register the earlier run, train again.
    let finished = json(&mlship(dir.path(), &["runs", "list", "--filter", "status = 'FINISHED'", "--json"]));
    ok(&mlship(dir.path(), &["models", "register", "insurance", finished[0]["id"].as_str().unwrap()]));
    train(dir.path(), &[]);
}

/// `serve --model insurance@production` under a steady stream of requests
/// while the alias moves from version 1 to 2: every request succeeds, and
/// the answers, `/metrics` and the page footer switch to version 2.
#[test]
fn serve_follows_an_alias_to_a_new_version_without_failing_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let lr = train(dir.path(), &[])["run"]["id"].as_str().unwrap().to_string();
    let ridge = train(dir.path(), &["--model", "ridge"])["run"]["id"].as_str().unwrap().to_string();
    ok(&mlship(dir.path(), &["models", "register", "insurance", &lr, "--alias", "production"]));
    ok(&mlship(dir.path(), &["models", "register", "insurance", &ridge]));
    let mut server = Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .env_remove("MLSHIP_STORE")
        .args(["serve", "--model", "insurance@production", "--port", "0", "--poll-interval", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert!(banner.starts_with("Serving insurance@production (version 1)"), "{banner}");
    let base = banner.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    let base = format!("http://{base}");

    let runtime = runtime();
    let record = serde_json::json!({"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"});
    let (answers, failures) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let predict = |client: reqwest::Client, base: String, record: Value| async move {
            let response = client.post(format!("{base}/predict_api")).json(&record).send().await?;
            let status = response.status();
            let value: f64 = response.json().await?;
            Ok::<(reqwest::StatusCode, f64), reqwest::Error>((status, value))
        };
        let mut answers = Vec::new();
        let mut failures = 0;
        let started = Instant::now();
        let mut moved = false;
        while started.elapsed() < Duration::from_secs(4) {
            if !moved && started.elapsed() > Duration::from_millis(800) {
                let dir = dir.path().to_path_buf();
                tokio::task::spawn_blocking(move || {
                    ok(&mlship(&dir, &["models", "alias", "insurance", "production", "2"]))
                });
                moved = true;
            }
            match predict(client.clone(), base.clone(), record.clone()).await {
                Ok((status, value)) if status.is_success() => answers.push(value),
                _ => failures += 1,
            }
        }
        (answers, failures)
    });
    assert_eq!(failures, 0, "requests failed during the switch");
    let first = answers[0];
    let last = *answers.last().unwrap();
    assert!((first - 23624.0786).abs() < 1e-3, "version 1 is the seed model: {first}");
    assert_ne!(first, last, "the answers switched to version 2");
    let switch = answers.iter().position(|a| *a != first).unwrap();
    assert!(answers[switch..].iter().all(|a| *a == last), "no request went back to version 1 after the switch");
    let metrics =
        runtime.block_on(async { reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap() });
    assert!(metrics.contains("mlship_model_info{name=\"insurance\",version=\"2\",model=\"ridge\""), "{metrics}");
    assert!(!metrics.contains("version=\"1\""), "only the version being served is reported");
    let page = runtime.block_on(async { reqwest::get(format!("{base}/")).await.unwrap().text().await.unwrap() });
    assert!(page.contains("<code id=\"model-version\">2</code> (<code>insurance@production</code>)"), "footer");
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(server.wait().unwrap().success());
}

#[test]
fn compare_ranks_records_parent_and_child_runs_saves_the_best_and_shows_a_leaderboard() {
    let dir = tempfile::tempdir().unwrap();
    let board = json(&mlship(
        dir.path(),
        &[
            "compare",
            "--data",
            "insurance",
            "--session-id",
            "123",
            "--fold",
            "5",
            "--include",
            "dummy,lr,ridge,lasso",
            "--param",
            "dummy.strategy=quantile",
            "--param",
            "ridge.alpha=30",
            "--sort",
            "MAE",
            "--n-select",
            "2",
            "--save",
            "best",
            "--json",
        ],
    ));
    assert_eq!(board["sort"], "MAE");
    let models = board["models"].as_array().unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[3], "dummy", "the failed model is the last row");
    assert!(models[3]["error"].as_str().unwrap().contains("quantile"), "{}", models[3]);
    assert!(models[3]["MAE"].is_null());
    let maes: Vec<f64> = models[..3].iter().map(|m| m["MAE"].as_f64().unwrap()).collect();
    assert!(maes.windows(2).all(|w| w[0] <= w[1]), "smaller MAE first: {maes:?}");
    assert_eq!(models.iter().find(|m| m["id"] == "ridge").unwrap()["params"]["alpha"], 30.0);
    assert_eq!(models[0]["folds"].as_array().unwrap().len(), 5);

    let saved = board["saved"].as_array().unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0]["path"], "best_1.mlship");
    let inspected = json(&mlship(dir.path(), &["inspect", "best_1.mlship", "--json"]));
    assert_eq!(inspected["model"]["id"], ids[0], "the best model was saved first");

    let parent = board["run"]["id"].as_str().unwrap().to_string();
    let (runtime, store) = open_store(dir.path());
    let children = board["run"]["children"].as_array().unwrap();
    assert_eq!(children.len(), 4);
    for child in children {
        let detail = runtime.block_on(store.run(child[1].as_str().unwrap())).unwrap();
        assert_eq!(detail.run.tags.get("mlflow.parentRunId"), Some(parent.as_str()));
        let expected = if child[0] == "dummy" { "FAILED" } else { "FINISHED" };
        assert_eq!(detail.run.status.as_str(), expected, "{}", child[0]);
    }

    let mut ui = Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .env_remove("MLSHIP_STORE")
        .args(["ui", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let banner = BufReader::new(ui.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let base = banner.split("http://").nth(1).unwrap().split(['/', ' ']).next().unwrap().to_string();
    let page = runtime.block_on(async {
        let url = format!("http://{base}/runs/{parent}/leaderboard?sort=R2");
        reqwest::get(url).await.unwrap().text().await.unwrap()
    });
    let _ = ui.kill();
    let _ = ui.wait();
    let rows: Vec<&str> = page.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 4, "{page}");
    assert!(rows[3].contains("<code>dummy</code>") && rows[3].contains("class=\"error\""), "{}", rows[3]);
    assert!(page.contains("sorted by R2"), "{page}");
}

#[test]
fn a_classification_run_records_its_metrics_plots_and_sorts_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let churn = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-learn/tests/fixtures/classification/churn.csv");
    std::fs::copy(churn, dir.path().join("churn.csv")).unwrap();
    let train = |model: &str| {
        let args = ["train", "--data", "churn.csv", "--target", "churn", "--session-id", "123", "--model", model];
        json(&mlship(dir.path(), &[&args[..], &["--fold", "3", "--json"]].concat()))
    };
    let (lr, dummy) = (train("lr"), train("dummy"));
    let run_id = lr["run"]["id"].as_str().unwrap().to_string();
    let detail = json(&mlship(dir.path(), &["runs", "show", &run_id, "--json"]));
    let metrics = detail["metrics"].as_object().unwrap();
    for key in ["cv_accuracy", "cv_auc", "cv_prec", "holdout_mcc", "cv_kappa_std"] {
        assert!(metrics.contains_key(key), "{key} missing from {metrics:?}");
    }
    let files: Vec<&str> = detail["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for plot in ["confusion_matrix", "class_report", "roc", "precision_recall", "calibration", "cv_folds"] {
        let path = format!("runs/{run_id}/plots/{plot}.svg");
        assert!(files.contains(&path.as_str()), "{plot} missing from {files:?}");
    }
    // The default columns are the task's, and accuracy sorts best first.
    let text = ok(&mlship(dir.path(), &["runs", "list", "--sort", "holdout_accuracy"]));
    let header = text.lines().next().unwrap();
    assert!(header.contains("cv_accuracy") && header.contains("holdout_auc") && !header.contains("cv_r2"), "{header}");
    let first_run = text.lines().nth(1).unwrap();
    assert!(
        first_run.starts_with(&run_id[..8]),
        "lr (accuracy {}) above dummy ({}): {text}",
        lr["holdout"]["Accuracy"],
        dummy["holdout"]["Accuracy"]
    );
}
