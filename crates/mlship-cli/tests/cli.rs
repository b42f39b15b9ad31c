//! The `mlship` binary as a user runs it: the seed workflow end to end, options
//! from flags and from TOML, and every bad input exiting non-zero with one
//! specific line and no artifact written.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{json, stderr, stdout};
use mlship_testkit::{golden_artifact, seed};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

/// `mlship train` with the seed's flags as the README writes them (target and
/// model spelled out), then `extra`.
fn seed_train<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    [&["train"], seed::TRAIN_FLAGS, &["--target", "charges", "--model", "lr"], extra].concat()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn insurance_csv() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap()
}

#[test]
fn seed_workflow_train_inspect_predict() {
    let dir = tempfile::tempdir().unwrap();
    let report = json(&mlship(dir.path(), &seed_train(&["--save", "deployment_28042020", "--json"])));
    assert!((report["cv"]["mean"]["R2"].as_f64().unwrap() - 0.8186).abs() < 1e-3);
    assert!((report["holdout"]["R2"].as_f64().unwrap() - 0.8556).abs() < 5e-5);
    assert_eq!(report["cv"]["folds"].as_array().unwrap().len(), 10);
    assert_eq!(report["rows"]["train"], 936);
    assert_eq!(report["artifact"], "deployment_28042020.mlship");

    let inspected = json(&mlship(dir.path(), &["inspect", "deployment_28042020.mlship", "--json"]));
    assert_eq!(inspected["target"], "charges");
    assert_eq!(inspected["data"]["n_rows"], 1338);
    assert_eq!(inspected["schema"][1]["levels"], serde_json::json!(["female", "male"]));
    let text = stdout(&mlship(dir.path(), &["inspect", "deployment_28042020.mlship"]));
    assert!(text.contains("bin_numeric_features = [\"age\",\"bmi\"]"), "{text}");

    write(
        dir.path(),
        "new.csv",
        b"id,age,sex,bmi,children,smoker,region\n7,19,female,27.9,0,yes,southwest\n8,40,male,30,2,no,atlantis\n",
    );
    let scored = mlship(
        dir.path(),
        &["predict", "--model", "deployment_28042020.mlship", "--data", "new.csv", "--out", "scored.csv"],
    );
    assert!(scored.status.success(), "{}", stderr(&scored));
    let text = std::fs::read_to_string(dir.path().join("scored.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,age,sex,bmi,children,smoker,region,prediction_label");
    let first: f64 = lines[1].rsplit(',').next().unwrap().parse().unwrap();
    assert!((first - 23624.08).abs() < 0.005, "{first}");
    assert!(lines[2].starts_with("8,40,male,30,2,no,atlantis,"), "an unseen region still scores");
}

#[test]
fn config_file_gives_the_same_run_as_flags() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "setup.toml",
        b"target = \"charges\"\nmodel = \"lr\"\nsession_id = 123\nnormalize = true\npolynomial_features = true\nbin_numeric_features = [\"age\", \"bmi\"]\n",
    );
    let from_file = json(&mlship(dir.path(), &["train", "--data", "insurance", "--config", "setup.toml", "--json"]));
    let from_flags = json(&mlship(dir.path(), &seed_train(&["--json"])));
    assert_eq!(from_file["cv"], from_flags["cv"]);
    assert_eq!(from_file["holdout"], from_flags["holdout"]);
}

#[test]
fn options_change_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let runs: &[&[&str]] = &[
        &["--model", "ridge", "--alpha", "0.5"],
        &["--model", "lasso"],
        &["--model", "en", "--l1-ratio", "0.3"],
        &["--model", "dummy"],
        &["--normalize", "--normalize-method", "robust", "--pca", "--pca-components", "0.9"],
        &["--trigonometry-features", "--feature-interaction", "--feature-ratio", "--remove-multicollinearity"],
        &["--transform-target", "--polynomial-features", "--polynomial-degree", "3"],
        &[
            "--numeric-imputation",
            "median",
            "--categorical-imputation",
            "unknown",
            "--fold",
            "5",
            "--train-size",
            "0.8",
        ],
    ];
    let mut seen = Vec::new();
    for extra in runs {
        let args = [&["train", "--data", "insurance", "--session-id", "7", "--json"], *extra].concat();
        let report = json(&mlship(dir.path(), &args));
        let r2 = report["holdout"]["R2"].as_f64().unwrap();
        assert!(r2.is_finite() && r2 <= 1.0, "{extra:?}: {r2}");
        seen.push(report["holdout"]["MAE"].as_f64().unwrap());
    }
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen.len(), runs.len(), "every option set gives a different model");
    let dummy =
        json(&mlship(dir.path(), &["train", "--data", "insurance", "--session-id", "7", "--model", "dummy", "--json"]));
    assert!(dummy["holdout"]["R2"].as_f64().unwrap() < 0.01);
}

#[test]
fn finalize_refits_on_every_row() {
    let dir = tempfile::tempdir().unwrap();
    json(&mlship(dir.path(), &seed_train(&["--finalize", "--save", "final", "--json"])));
    let inspected = json(&mlship(dir.path(), &["inspect", "final.mlship", "--json"]));
    assert_eq!(inspected["finalized"], true);
}

#[test]
fn dates_missing_targets_and_degenerate_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("visit,empty,constant,x,y\n");
    for i in 0..60 {
        let y = if i == 5 || i == 9 { String::new() } else { format!("{}", i * 2 + i % 3) };
        csv.push_str(&format!("2020-{:02}-{:02},,same,{i},{y}\n", 1 + i % 12, 1 + i % 28));
    }
    write(dir.path(), "d.csv", csv.as_bytes());
    let output = mlship(
        dir.path(),
        &["train", "--data", "d.csv", "--target", "y", "--fold", "3", "--session-id", "1", "--save", "d"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let notes = stderr(&output);
    assert!(notes.contains("dropped 2 rows whose target \"y\" is missing"), "{notes}");
    assert!(notes.contains("column \"empty\" has only missing values; it is dropped"), "{notes}");
    assert!(notes.contains("column \"constant\" is constant"), "{notes}");
    let inspected = json(&mlship(dir.path(), &["inspect", "d.mlship", "--json"]));
    let features: Vec<&str> = inspected["features"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(
        features.contains(&"visit_day") && features.contains(&"visit_month") && features.contains(&"visit_year"),
        "{features:?}"
    );
}

/// Runs a failing command and returns its one stderr line; checks that no
/// artifact was written.
fn failure(dir: &Path, args: &[&str]) -> String {
    let output = mlship(dir, args);
    assert!(!output.status.success(), "{args:?} should fail");
    let text = stderr(&output);
    assert!(!text.contains("panicked"), "{args:?} panicked: {text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("notice:")).collect();
    assert!(!lines.is_empty(), "{args:?}: no error message");
    let artifacts = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "mlship"))
        .count();
    assert_eq!(artifacts, 0, "{args:?} left an artifact behind");
    lines[0].to_string()
}

#[test]
fn bad_training_input_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "empty.csv", b"");
    write(d, "header.csv", b"age,charges\n");
    write(d, "ragged.csv", b"age,charges\n1,2\n3\n");
    write(d, "utf8.csv", b"age,charges\n1,2\n\xff,3\n");
    write(d, "dupes.csv", b"age,age,charges\n1,2,3\n");
    write(d, "text_target.csv", b"age,charges\n1,2\n3,lots\n");
    write(d, "tiny.csv", b"age,charges\n1,2\n2,3\n3,5\n4,4\n");
    write(d, "bad.toml", b"normalise = true\n");
    write(d, "bad_value.toml", b"normalize_method = \"l2\"\n");
    let cases: &[(&[&str], &str)] = &[
        (&["train", "--data", "empty.csv", "--target", "charges", "--save", "m"], "empty.csv: the file is empty"),
        (
            &["train", "--data", "header.csv", "--target", "charges", "--save", "m"],
            "header.csv: the file has a header but no data rows",
        ),
        (
            &["train", "--data", "ragged.csv", "--target", "charges", "--save", "m"],
            "ragged.csv: line 3: expected 2 fields like the header, found 1",
        ),
        (
            &["train", "--data", "utf8.csv", "--target", "charges", "--save", "m"],
            "utf8.csv: line 3, column age: invalid UTF-8",
        ),
        (
            &["train", "--data", "dupes.csv", "--target", "charges", "--save", "m"],
            "dupes.csv: duplicate column name \"age\"",
        ),
        (&["train", "--data", "insurance", "--target", "cost", "--save", "m"], "no target column \"cost\""),
        (
            &["train", "--data", "text_target.csv", "--target", "charges", "--task", "regression", "--save", "m"],
            "target \"charges\" is not numeric (data row 2, line 3, holds \"lots\")",
        ),
        (
            &["train", "--data", "tiny.csv", "--target", "charges", "--task", "regression", "--save", "m"],
            "too few rows",
        ),
        (
            &["train", "--data", "insurance", "--normalize-method", "l2", "--save", "m"],
            "normalize_method must be zscore, minmax, maxabs or robust, got \"l2\"",
        ),
        (
            &["train", "--data", "insurance", "--model", "quantum_forest", "--save", "m"],
            "unknown model \"quantum_forest\"",
        ),
        (&["train", "--data", "insurance", "--train-size", "1.5", "--save", "m"], "train_size must be between 0 and 1"),
        (
            &["train", "--data", "insurance", "--bin-numeric-features", "sex", "--save", "m"],
            "\"sex\" is not a numeric feature column",
        ),
        (
            &["train", "--data", "insurance", "--ignore-features", "weight", "--save", "m"],
            "column \"weight\": named in an option but not in the data",
        ),
        (&["train", "--data", "insurance", "--config", "bad.toml", "--save", "m"], "unknown field `normalise`"),
        (
            &["train", "--data", "insurance", "--config", "bad_value.toml", "--save", "m"],
            "bad_value.toml: invalid option",
        ),
        (&["train", "--data", "nowhere.csv", "--target", "y", "--save", "m"], "nowhere.csv: no such file"),
        (
            &["train", "--data", "titanic", "--save", "m"],
            "titanic: no such file, and no bundled dataset of that name (bundled: insurance, iris, breast_cancer, wine)",
        ),
        (&["train", "--data", "insurance", "--bogus"], "unexpected argument '--bogus'"),
    ];
    for (args, expected) in cases {
        let line = failure(d, args);
        assert!(line.contains(expected), "{args:?}: {line:?} should contain {expected:?}");
    }
}

#[test]
fn bad_models_and_scoring_files_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let golden = std::fs::read(golden_artifact()).unwrap();
    let scoring_dir = tempfile::tempdir().unwrap();
    let s = scoring_dir.path();
    write(s, "good.mlship", &golden);
    write(s, "truncated.mlship", &golden[..golden.len() / 2]);
    let mut corrupt = golden.clone();
    let last = corrupt.len() - 5;
    corrupt[last] ^= 0x20;
    write(s, "corrupt.mlship", &corrupt);
    let newer = String::from_utf8(golden.clone()).unwrap().replacen("\"format_version\":1", "\"format_version\":2", 1);
    write(s, "newer.mlship", newer.as_bytes());
    write(s, "new.csv", insurance_csv().as_bytes());
    write(s, "no_bmi.csv", b"age,sex,children,smoker,region\n19,female,0,yes,southwest\n");
    write(
        s,
        "text_age.csv",
        b"age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\nold,male,30,1,no,northeast\n",
    );
    let at = |name: &str| s.join(name).display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["inspect".into(), at("truncated.mlship")], "truncated model file".into()),
        (vec!["inspect".into(), at("corrupt.mlship")], "corrupt model file (checksum mismatch)".into()),
        (vec!["inspect".into(), at("newer.mlship")], "made by a newer mlship (format version 2".into()),
        (vec!["inspect".into(), at("new.csv")], "not an mlship model file".into()),
        (vec!["inspect".into(), at("missing.mlship")], "missing.mlship: no such model file".into()),
        (
            vec!["predict".into(), "--model".into(), at("truncated.mlship"), "--data".into(), at("new.csv")],
            "truncated model file".into(),
        ),
        (
            vec!["predict".into(), "--model".into(), at("good.mlship"), "--data".into(), at("no_bmi.csv")],
            "no_bmi.csv: missing column \"bmi\"".into(),
        ),
        (
            vec![
                "predict".into(),
                "--model".into(),
                at("good.mlship"),
                "--data".into(),
                at("text_age.csv"),
                "--out".into(),
                at("out.csv"),
            ],
            "text_age.csv: line 3, column \"age\": \"old\" is not a number".into(),
        ),
        (
            vec!["predict".into(), "--model".into(), at("good.mlship"), "--data".into(), at("absent.csv")],
            "absent.csv: no such file".into(),
        ),
    ];
    for (args, expected) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = failure(d, &refs);
        assert!(line.contains(&expected), "{args:?}: {line:?} should contain {expected:?}");
    }
    assert!(!s.join("out.csv").exists(), "a failed predict leaves no half-written output");
}

/// Issue 10 item 1: an artifact whose checksum is right but whose pipeline
/// was edited (polynomial degree 40: gigabytes per request) is refused by
/// every command that reads models, with the same error naming step and field.
#[test]
fn every_command_refuses_a_hostile_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scoring_dir = tempfile::tempdir().unwrap();
    let s = scoring_dir.path();
    let mut artifact = mlship_artifact::Artifact::load(&golden_artifact()).unwrap();
    let mlship_learn::pipeline::FittedStep::Polynomial(step) = &mut artifact.pipeline.steps[0] else {
        panic!("the golden pipeline starts with its polynomial step")
    };
    step.degree = 40;
    // `to_bytes` writes a correct header: length and sha256 of the edited payload.
    write(s, "hostile.mlship", &artifact.to_bytes().unwrap());
    write(s, "new.csv", insurance_csv().as_bytes());
    let model = s.join("hostile.mlship").display().to_string();
    let data = s.join("new.csv").display().to_string();
    let expected = "invalid model file: step 1 (polynomial): degree is 40, expected 1 to 5";
    let commands: [&[&str]; 5] = [
        &["inspect", &model],
        &["predict", "--model", &model, "--data", &data],
        &["serve", "--model", &model, "--port", "0"],
        &["models", "register", "hostile", &model],
        &["image", "build", "--model", &model, "--tag", "x/y:1", "--docker-archive", "image.tar"],
    ];
    for args in commands {
        let line = failure(d, args);
        assert!(line.contains(expected), "{args:?}: {line:?} should contain {expected:?}");
    }
}

#[test]
fn datasets_and_help_list_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let listed = json(&mlship(dir.path(), &["datasets", "--json"]));
    assert_eq!(listed[0]["name"], "insurance");
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["insurance", "iris", "breast_cancer", "wine"]);
    assert_eq!((listed[1]["target"].as_str(), listed[1]["task"].as_str()), (Some("species"), Some("classification")));
    assert!(listed[2]["license"].as_str().unwrap().contains("BSD-3-Clause"), "{}", listed[2]);
    let text = stdout(&mlship(dir.path(), &["datasets"]));
    assert!(text.lines().any(|l| l.starts_with("wine") && l.contains("classification")), "{text}");
    let commands: &[&[&str]] = &[
        &["train"],
        &["predict"],
        &["inspect"],
        &["datasets"],
        &["quickstart"],
        &["serve"],
        &["image", "build"],
        &["image", "dockerfile"],
        &["deploy", "kubernetes"],
        &["deploy", "compose"],
        &["healthcheck"],
    ];
    for command in commands {
        let help = stdout(&mlship(dir.path(), &[*command, &["--help"][..]].concat()));
        assert!(help.contains("Example"), "{command:?} --help has an example");
    }
}

#[test]
fn parquet_files_train_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-data/tests/fixtures/sample.parquet");
    let golden = golden_artifact();
    let golden = golden.to_str().unwrap();
    // The sample lacks `children` and `region`: a clear error first.
    let line = failure(dir.path(), &["predict", "--model", golden, "--data", sample]);
    assert!(line.contains("sample.parquet: missing column \"children\""), "{line}");
    // The whole insurance table as Parquet trains to the same numbers as the CSV.
    let parquet = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/insurance.parquet");
    let parquet_args: Vec<&str> =
        seed_train(&["--json"]).into_iter().map(|a| if a == "insurance" { parquet } else { a }).collect();
    let from_parquet = json(&mlship(dir.path(), &parquet_args));
    let from_csv = json(&mlship(dir.path(), &seed_train(&["--json"])));
    assert_eq!(from_parquet["cv"], from_csv["cv"]);
    assert_eq!(from_parquet["holdout"], from_csv["holdout"]);
    let scored = mlship(dir.path(), &["predict", "--model", golden, "--data", parquet]);
    assert!(scored.status.success(), "{}", stderr(&scored));
    let text = stdout(&scored);
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("19,female,27.9,0,yes,southwest,16884.924,23624.07"), "{first}");
}

/// A minimal HTTP/1.1 request over std's TcpStream; returns the response text.
fn http(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn quickstart_serves_the_seed_model_until_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .args(["quickstart", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let serving = lines.by_ref().map(|l| l.unwrap()).find(|l| l.starts_with("Serving")).expect("a Serving line");
    let address = serving.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    let body = r#"{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}"#;
    let response = http(
        &address,
        &format!("POST /predict_api HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()),
    );
    assert!(response.starts_with("HTTP/1.1 200") && response.ends_with("23624.0786"), "{response}");
    let page = http(&address, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert!(page.contains("Predict Bill"), "quickstart keeps the seed's wording");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit 0 after SIGTERM: {status:?}");
    assert!(lines.any(|l| l.unwrap() == "Stopped."));
    assert!(dir.path().join("deployment_28042020.mlship").exists());
}

/// SIGTERM while logging: every request answered before it is in the files
/// when the process has exited, and the files end cleanly.
#[test]
fn serve_logs_inferences_and_loses_nothing_acknowledged_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .args(["serve", "--model", golden_artifact().to_str().unwrap(), "--port", "0", "--drain-seconds", "0"])
        .arg("--log-inferences")
        .arg(&logs)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let serving = lines.by_ref().map(|l| l.unwrap()).find(|l| l.starts_with("Serving")).expect("a Serving line");
    let address = serving.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    let logging = lines.next().unwrap().unwrap();
    assert!(logging.starts_with("Logging every scored row to "), "{logging}");
    let body = r#"{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}"#;
    let mut answered = Vec::new();
    for idx in 0..50 {
        let id = format!("sigterm-{idx}");
        let response = http(
            &address,
            &format!("POST /predict_api HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-request-id: {id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()),
        );
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains(&format!("x-request-id: {id}\r\n")), "{response}");
        answered.push(id);
    }
    // At once, well inside the writer's one-second flush: only the shutdown drain can save these rows.
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit 0 after SIGTERM: {status:?}");
    let read = mlship_monitor::logs::read_inferences(&logs, None, None).unwrap();
    assert_eq!((read.unreadable_lines, read.truncated_files.len()), (0, 0), "finished gzip streams");
    let logged: Vec<&str> = read.records.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(logged, answered, "every answered request, once, in order");
    assert!(read.records.iter().all(|r| r.prediction.as_f64().is_some_and(|p| (p - 23624.0786).abs() < 5e-5)));
}

#[test]
fn serve_refuses_to_start_without_a_valid_model() {
    let dir = tempfile::tempdir().unwrap();
    let line = failure(dir.path(), &["serve", "--model", "missing.mlship", "--port", "0"]);
    assert_eq!(line, "error: missing.mlship: no such model file");
    write(dir.path(), "junk.bin", b"not a model");
    let line = failure(dir.path(), &["serve", "--model", "junk.bin", "--port", "0"]);
    assert_eq!(line, "error: junk.bin: not an mlship model file");
    let line = failure(dir.path(), &["serve", "--model", "junk.bin", "--grace-period", "0"]);
    assert!(line.contains("--grace-period must be a positive number of seconds"), "{line}");
    // Logging was asked for: a folder that cannot be written is a clear start-up error.
    let golden = golden_artifact();
    write(dir.path(), "taken", b"a file, not a folder");
    let line = failure(
        dir.path(),
        &["serve", "--model", golden.to_str().unwrap(), "--port", "0", "--log-inferences", "taken"],
    );
    assert_eq!(line, "error: --log-inferences taken: cannot create or write the folder: File exists (os error 17)");
}

#[test]
fn ship_commands_explain_their_mistakes_and_write_dockerfiles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-artifact/tests/golden/insurance_v1.mlship");
    let line = failure(d, &["image", "build", "--model", golden, "--tag", "insurance:1"]);
    assert!(line.contains("say where the image goes"), "{line}");
    // A dynamically linked binary (this test's own, a tenth of the debug
    // mlship) goes in with its loader and libc, listed in --json.
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let build = ["image", "build", "--model", golden, "--tag", "insurance:1", "--docker-archive", "x.tar", "--json"];
    let report = json(&mlship(d, &[&build[..], &["--binary", exe]].concat()));
    let libraries: Vec<&str> =
        report["libraries"].as_array().unwrap().iter().filter_map(serde_json::Value::as_str).collect();
    assert!(libraries.iter().any(|path| path.ends_with("/libc.so.6")), "{report}");
    assert!(d.join("x.tar").exists());
    let line = failure(d, &["image", "build", "--model", golden, "--tag", "Not Valid", "--docker-archive", "x.tar"]);
    assert!(line.contains("image reference \"Not Valid\" is not valid"), "{line}");
    let line = failure(d, &["deploy", "kubernetes", "--image", "x/insurance:1", "--min", "5", "--max", "2"]);
    assert!(line.contains("--min must be at least 1 and at most --max"), "{line}");
    let line = failure(d, &["healthcheck", "--url", "http://127.0.0.1:1/healthz"]);
    assert!(line.contains("cannot connect"), "{line}");

    let output = mlship(d, &["image", "dockerfile", "--model", golden, "--out", "docker", "--port", "8080"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dockerfile = std::fs::read_to_string(d.join("docker/Dockerfile")).unwrap();
    for needle in [
        "FROM rust:1-bookworm AS build",
        "FROM scratch",
        "COPY docker/model.mlship /model.mlship",
        "USER 65532:65532",
        "EXPOSE 8080",
        "ENTRYPOINT [\"/mlship\"]",
        "LABEL io.mlship.model.name=\"deployment_28042020\"",
    ] {
        assert!(dockerfile.contains(needle), "missing {needle:?} in\n{dockerfile}");
    }
    assert!(d.join("docker/model.mlship").exists() && d.join("docker/Dockerfile.dockerignore").exists());
    // The Dockerfile copies every library this mlship names in DT_NEEDED.
    let binary = std::fs::read(env!("CARGO_BIN_EXE_mlship")).unwrap();
    let elf = object::read::elf::ElfFile64::<object::Endianness>::parse(binary.as_slice()).unwrap();
    let dynamic = elf.elf_dynamic_table().unwrap();
    let needed: Vec<_> = dynamic.iter().filter(|entry| entry.tag == object::elf::DT_NEEDED).collect();
    assert!(!needed.is_empty(), "the test build of mlship is dynamic");
    for entry in needed {
        let name = String::from_utf8_lossy(dynamic.string(entry).unwrap()).into_owned();
        assert!(dockerfile.contains(&format!("/{name} ")), "{name} missing in\n{dockerfile}");
    }
}

#[test]
fn batch_size_and_format_do_not_change_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let golden = golden_artifact();
    let golden = golden.to_str().unwrap();
    let parquet = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/insurance.parquet");
    // An input that already has a prediction_label column gets it replaced, not repeated.
    let csv = insurance_csv().replacen("charges", "prediction_label", 1);
    write(d, "in.csv", csv.as_bytes());
    let run = |data: &str, out: &str, batch: &str| {
        let output = mlship(d, &["predict", "--model", golden, "--data", data, "--out", out, "--batch-rows", batch]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = std::fs::read_to_string(d.join(out)).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines
    };
    let whole = run("in.csv", "a.csv", "100000");
    let small = run("in.csv", "b.csv", "100");
    assert_eq!(whole, small);
    assert_eq!(whole.len(), 1339);
    assert_eq!(whole[0], "age,sex,bmi,children,smoker,region,prediction_label");
    let from_parquet = run(parquet, "c.csv", "97");
    assert_eq!(from_parquet.len(), 1339);
    assert_eq!(from_parquet[0], "age,sex,bmi,children,smoker,region,charges,prediction_label");
    let last = |line: &String| line.rsplit(',').next().unwrap().to_string();
    assert_eq!(whole.iter().map(last).collect::<Vec<_>>(), from_parquet.iter().map(last).collect::<Vec<_>>());
    let line = failure(d, &["predict", "--model", golden, "--data", "in.csv", "--batch-rows", "0"]);
    assert!(line.contains("--batch-rows"), "{line}");
}

#[test]
fn models_take_scikit_learn_parameters_from_flags_and_toml_and_explain_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = ["train", "--data", "insurance", "--session-id", "7", "--fold", "3", "--no-track", "--json"];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [base, extra].concat()
    }
    let error = failure(d, &with(&base, &["--model", "knn", "--param", "n_neighbors=0"]));
    assert!(error.contains("model \"knn\" parameter \"n_neighbors\"") && error.contains("an integer >= 1"), "{error}");
    let error = failure(d, &with(&base, &["--model", "knn", "--param", "neighbours=3"]));
    assert!(error.contains("has no parameter \"neighbours\"") && error.contains("n_neighbors"), "{error}");
    let error = failure(d, &with(&base, &["--model", "svm", "--param", "gamma=fast"]));
    assert!(error.contains("one of \"scale\", \"auto\""), "{error}");
    let error = failure(d, &with(&base, &["--model", "forest"]));
    assert!(error.contains("unknown model \"forest\"") && error.contains("knn"), "{error}");
    let error = failure(d, &with(&base, &["--model", "knn", "--param", "n_neighbors"]));
    assert!(error.contains("NAME=VALUE"), "{error}");

    write(d, "knn.toml", b"normalize = true\n[model]\nid = \"knn\"\nn_neighbors = 9\nweights = \"distance\"\n");
    json(&mlship(d, &with(&base, &["--config", "knn.toml", "--save", "knn"])));
    let inspected = json(&mlship(d, &["inspect", "knn.mlship", "--json"]));
    assert_eq!(inspected["model"]["id"], "knn");
    assert_eq!(inspected["model"]["params"]["n_neighbors"], 9);
    assert_eq!(inspected["model"]["params"]["weights"], "distance");
    assert_eq!(inspected["model"]["class"], "sklearn.neighbors.KNeighborsRegressor");
    // The flag overrides the file; --alpha stays an alias of --param alpha.
    json(&mlship(d, &with(&base, &["--config", "knn.toml", "--param", "n_neighbors=4", "--save", "knn4"])));
    assert_eq!(json(&mlship(d, &["inspect", "knn4.mlship", "--json"]))["model"]["params"]["n_neighbors"], 4);
    json(&mlship(d, &with(&base, &["--model", "ridge", "--alpha", "30", "--save", "ridge"])));
    assert_eq!(json(&mlship(d, &["inspect", "ridge.mlship", "--json"]))["model"]["params"]["alpha"], 30.0);

    // Tree models carry impurity importances (scikit-learn's definition: they sum to 1).
    json(&mlship(d, &with(&base, &["--model", "dt", "--param", "max_depth=4", "--save", "dt"])));
    let importances = json(&mlship(d, &["inspect", "dt.mlship", "--json"]))["feature_importances"].clone();
    let values: Vec<(String, f64)> =
        importances.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap())).collect();
    assert!((values.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-9, "{importances}");
    let top = values.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(top.0, "smoker", "{importances}");
    assert!(json(&mlship(d, &["inspect", "ridge.mlship", "--json"]))["feature_importances"].is_null());
    // Boosting models carry gain importances, and inspect says so.
    json(&mlship(d, &with(&base, &["--model", "lightgbm", "--param", "num_leaves=7", "--save", "lgbm"])));
    let importances = json(&mlship(d, &["inspect", "lgbm.mlship", "--json"]))["feature_importances"].clone();
    let total: f64 = importances.as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{importances}");
    let text = String::from_utf8_lossy(&mlship(d, &["inspect", "lgbm.mlship"]).stdout).to_string();
    assert!(text.contains("feature importances (gain, largest first)"), "{text}");

    let catalogue = json(&mlship(d, &["algorithms", "--json"]));
    let ids: Vec<&str> = catalogue.as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.first(), Some(&"lr"));
    assert_eq!(ids.last(), Some(&"dummy"));
    for id in ["lasso", "lar", "llar", "omp", "br", "ard", "par", "ransac", "tr", "huber", "kr", "svm", "knn", "mlp"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let knn = &json(&mlship(d, &["algorithms", "knn", "--json"]))[0];
    let n_neighbors = knn["params"].as_array().unwrap().iter().find(|p| p["name"] == "n_neighbors").unwrap();
    assert_eq!(n_neighbors["default"], "5");
}

/// Issue 10 item 6: a target of 1e308 overflows every score; training fails
/// (exit ≠ 0) naming the metric, the run is FAILED, and no artifact is
/// written. `inf` in a feature is refused by train and predict alike, naming
/// its line and column; a bad `--experiment` is refused before training.
#[test]
fn non_finite_training_fails_and_infinities_are_refused_alike() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = tempfile::tempdir().unwrap();
    let csv = insurance_csv();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    // The target is the last column: line 3 gets a target of 1e308.
    let cut = lines[2].rfind(',').unwrap();
    lines[2] = format!("{},1e308", &lines[2][..cut]);
    let huge = write(data.path(), "huge.csv", (lines.join("\n") + "\n").as_bytes()).display().to_string();
    // The dummy's coefficients stay finite (the mean); its scores overflow.
    let line = failure(d, &["train", "--data", &huge, "--target", "charges", "--model", "dummy", "--save", "m"]);
    assert!(
        line.contains("numerical failure in evaluation: the MSE on ") && line.contains("not a finite number"),
        "{line}"
    );
    // Linear regression's coefficients overflow too when the row is in the training split.
    let line = failure(d, &["train", "--data", &huge, "--target", "charges", "--save", "m"]);
    assert!(line.contains("numerical failure in ") && line.contains("is the target or a feature too large?"), "{line}");
    let runs = json(&mlship(d, &["runs", "list", "--json"]));
    assert_eq!(runs.as_array().unwrap().len(), 2, "{runs}");
    assert!(runs.as_array().unwrap().iter().all(|run| run["status"] == "FAILED"), "{runs}");

    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let first_comma = lines[3].find(',').unwrap();
    lines[3] = format!("inf{}", &lines[3][first_comma..]);
    let with_inf = write(data.path(), "inf.csv", (lines.join("\n") + "\n").as_bytes()).display().to_string();
    let expected = "line 4, column \"age\": \"inf\" is not a finite number";
    let line = failure(d, &["train", "--data", &with_inf, "--target", "charges", "--save", "m", "--no-track"]);
    assert!(line.contains(expected), "train: {line}");
    let model = write(data.path(), "good.mlship", &std::fs::read(golden_artifact()).unwrap()).display().to_string();
    let line = failure(d, &["predict", "--model", &model, "--data", &with_inf]);
    assert!(line.contains(expected), "predict: {line}");

    let line = failure(d, &["train", "--data", "insurance", "--experiment", "bad/name", "--save", "m"]);
    assert!(line.contains("experiment") && line.contains("not allowed"), "{line}");
    let line = failure(d, &["compare", "--data", "insurance", "--experiment", " ", "--include", "lr"]);
    assert!(line.contains("experiment") && line.contains("empty"), "{line}");
}

/// Issue 10 item 3: a field over `--max-field-bytes` is an error naming its
/// line and column, before it is parsed or scored.
#[test]
fn predict_refuses_fields_over_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let models = tempfile::tempdir().unwrap();
    let model = write(models.path(), "good.mlship", &std::fs::read(golden_artifact()).unwrap()).display().to_string();
    let field = "x".repeat(3000);
    let body = format!("age,sex,bmi,children,smoker,region,note\n19,female,27.9,0,yes,southwest,ok\n20,male,30,1,no,northeast,{field}\n");
    let data = write(d, "big.csv", body.as_bytes()).display().to_string();
    let line = failure(d, &["predict", "--model", &model, "--data", &data, "--max-field-bytes", "1000"]);
    assert!(line.contains("line 3, column \"note\": a field of 3000 bytes is over the limit of 1000 bytes"), "{line}");
    // A record far longer than every field allowed is refused while it is read.
    let body = format!("age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,{}\n", "y".repeat(2 << 20));
    let data = write(d, "huge.csv", body.as_bytes()).display().to_string();
    let line = failure(d, &["predict", "--model", &model, "--data", &data, "--max-field-bytes", "1000"]);
    assert!(line.contains("line 2") && line.contains("over the limit of 1000 bytes"), "{line}");
    // Byte-bounded batches score the same as row-bounded ones.
    let data = write(d, "new.csv", insurance_csv().as_bytes()).display().to_string();
    let small = stdout(&mlship(d, &["predict", "--model", &model, "--data", &data, "--batch-bytes", "100"]));
    let large = stdout(&mlship(d, &["predict", "--model", &model, "--data", &data]));
    assert_eq!(small, large);
    assert_eq!(small.lines().count(), 1339);
}

fn churn_csv() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-learn/tests/fixtures/classification/churn.csv");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn classification_trains_predicts_labels_and_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "churn.csv", churn_csv().as_bytes());
    let args = ["train", "--data", "churn.csv", "--target", "churn", "--session-id", "123", "--no-track"];
    let report = json(&mlship(d, &[&args[..], &["--save", "churn", "--json"]].concat()));
    assert_eq!(report["task"], "classification");
    assert_eq!(report["classes"], serde_json::json!(["no", "yes"]));
    assert_eq!(report["model"]["id"], "lr");
    let metrics: Vec<&String> = report["holdout"].as_object().unwrap().keys().collect();
    assert_eq!(metrics.len(), 7, "{metrics:?}");
    // PyCaret 3.3.2's CV mean for lr on this table (fixtures/pycaret_compare_classification.py); its
    // float32 copy of the features swaps one pair of scores in one fold (AUC 0.0002).
    assert!((report["cv"]["mean"]["Accuracy"].as_f64().unwrap() - 0.7404).abs() < 1e-4, "{report}");
    assert!((report["cv"]["mean"]["AUC"].as_f64().unwrap() - 0.7771).abs() < 5e-4, "{report}");
    assert_eq!(report["rows"]["train"], 489);
    let text = stdout(&mlship(d, &args));
    assert!(text.contains("Accuracy") && text.contains("Prec.") && !text.contains("RMSLE"), "{text}");

    let inspected = json(&mlship(d, &["inspect", "churn.mlship", "--json"]));
    assert_eq!(inspected["task"], "classification");
    assert_eq!(inspected["classes"], serde_json::json!(["no", "yes"]));

    write(
        d,
        "new.csv",
        b"tenure,monthly_charges,contract,partner,support_calls,churn\n\
          2,110,month-to-month,no,5,yes\n70,20,two year,yes,0,no\n12,50,one year,no,1,maybe\n",
    );
    let scored = mlship(d, &["predict", "--model", "churn.mlship", "--data", "new.csv"]);
    assert!(scored.status.success(), "{}", stderr(&scored));
    let text = stdout(&scored);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "tenure,monthly_charges,contract,partner,support_calls,churn,prediction_label,prediction_score"
    );
    assert!(lines[1].contains(",yes,yes,0."), "a likely churner: {}", lines[1]);
    assert!(lines[2].contains(",no,no,0."), "a loyal customer: {}", lines[2]);
    let score: f64 = lines[1].rsplit(',').next().unwrap().parse().unwrap();
    assert!(score > 0.5 && score <= 1.0, "{score}");
    let warning = stderr(&scored);
    assert!(warning.contains("\"maybe\" (1 rows)") && warning.contains("classes: no, yes"), "{warning}");

    let raw = stdout(&mlship(d, &["predict", "--model", "churn.mlship", "--data", "new.csv", "--raw-score"]));
    let lines: Vec<&str> = raw.lines().collect();
    assert!(lines[0].ends_with(",prediction_label,prediction_score_no,prediction_score_yes"), "{}", lines[0]);
    let fields: Vec<f64> = lines[1].rsplit(',').take(2).map(|v| v.parse().unwrap()).collect();
    assert!((fields[0] + fields[1] - 1.0).abs() < 1e-12, "{fields:?}");

    // A threshold moves predictions: at 0.99 nobody churns.
    let high =
        json(&mlship(d, &[&args[..], &["--probability-threshold", "0.99", "--save", "strict", "--json"]].concat()));
    assert!(high["holdout"]["Accuracy"].as_f64().unwrap() < report["holdout"]["Accuracy"].as_f64().unwrap());
    let strict = stdout(&mlship(d, &["predict", "--model", "strict.mlship", "--data", "new.csv"]));
    assert!(strict.lines().skip(1).all(|line| line.contains(",no,0.") || line.ends_with(",no")), "{strict}");
}

#[test]
fn classification_mistakes_fail_or_warn_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "churn.csv", churn_csv().as_bytes());
    write(d, "one_class.csv", b"x,y\n1,a\n2,a\n3,a\n4,a\n");
    let mut rare = String::from("x,y\n");
    for i in 0..40 {
        rare.push_str(&format!("{i},{}\n", if i < 1 { "rare" } else { "common" }));
    }
    write(d, "rare.csv", rare.as_bytes());
    fn train<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["train", "--data", "churn.csv", "--target", "churn", "--no-track"], extra].concat()
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["train", "--data", "one_class.csv", "--target", "y", "--no-track"], "single class (a)"),
        (vec!["train", "--data", "rare.csv", "--target", "y", "--no-track"], "at least 2"),
        (train(&["--probability-threshold", "1.5"]), "probability_threshold must be between 0 and 1"),
        (train(&["--transform-target"]), "transform_target applies to regression only"),
        (train(&["--task", "regression"]), "target \"churn\" is not numeric"),
        (train(&["--model", "lasso"]), "unknown model \"lasso\""),
        (train(&["--task", "cluster"]), "the task is classification or regression"),
        (
            vec!["train", "--data", "insurance", "--fix-imbalance", "--no-track"],
            "fix_imbalance applies to classification only",
        ),
    ];
    for (args, expected) in &cases {
        let line = failure(d, args);
        assert!(line.contains(expected), "{args:?}: {line:?} should contain {expected:?}");
    }
    // Labels that differ only in case stay two classes, with a warning.
    let mut cased = String::from("x,y\n");
    for i in 0..60 {
        cased.push_str(&format!("{i},{}\n", ["Yes", "yes", "no"][i % 3]));
    }
    write(d, "cased.csv", cased.as_bytes());
    let output = mlship(d, &["train", "--data", "cased.csv", "--target", "y", "--no-track", "--fold", "3", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["classes"], serde_json::json!(["Yes", "no", "yes"]));
    assert!(stderr(&output).contains("differ only in case or whitespace"), "{}", stderr(&output));
}
