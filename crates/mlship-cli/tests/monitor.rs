//! `mlship monitor` as an engineer on call runs it: the model's own profile
//! against unshifted and shifted data, its JSON shape (Evidently's names),
//! `--fail-on-drift`, per-column tests and thresholds, performance from
//! actuals, the report recorded against the registered version, and every
//! bad input answered with one clear line.

#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{failure, json, ok, stderr};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

fn insurance_rows() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap();
    text.lines().map(|line| line.split(',').map(str::to_string).collect()).collect()
}

/// The insurance data with `change` applied to every row but the header, written as `name`.
fn write_insurance(dir: &Path, name: &str, rows: usize, change: impl Fn(usize, &mut Vec<String>)) {
    let mut lines = insurance_rows();
    lines.truncate(rows + 1);
    for (i, row) in lines.iter_mut().enumerate().skip(1) {
        change(i, row);
    }
    let text: String = lines.iter().map(|row| row.join(",") + "\n").collect();
    std::fs::write(dir.join(name), text).unwrap();
}

fn train_insurance(dir: &Path) {
    ok(&mlship(
        dir,
        &[
            "train",
            "--data",
            "insurance",
            "--target",
            "charges",
            "--session-id",
            "123",
            "--model",
            "lr",
            "--save",
            "ins",
            "--no-track",
        ],
    ));
}

fn column<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["data_drift"]["drift_by_columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column_name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {report}"))
}

#[test]
fn the_training_data_does_not_drift_and_shifted_data_does() {
    let dir = tempfile::tempdir().unwrap();
    train_insurance(dir.path());
    write_insurance(dir.path(), "same.csv", 1338, |_, _| {});
    let report =
        json(&mlship(dir.path(), &["monitor", "--model", "ins.mlship", "--data", "same.csv", "--json", "--no-track"]));
    assert_eq!(report["data_drift"]["dataset_drift"], false, "{report}");
    assert_eq!(report["data_drift"]["number_of_columns"], 6);
    assert_eq!(report["data_drift"]["drift_share"], 0.5);
    assert_eq!(report["reference"]["number_of_rows"], 936, "the training split is the reference");
    assert_eq!(report["current"]["number_of_rows"], 1338);
    // Evidently's defaults on a reference of at most 1,000 rows: KS for numbers, z for two levels, chi-square for more.
    assert_eq!(column(&report, "age")["stattest"], "ks");
    assert_eq!(column(&report, "age")["stattest_name"], "K-S p_value");
    assert_eq!(column(&report, "sex")["stattest"], "z");
    assert_eq!(column(&report, "region")["stattest"], "chisquare");
    assert!(column(&report, "bmi")["psi"].as_f64().unwrap() < 0.1, "PSI alongside");
    assert_eq!(report["prediction_drift"]["column_name"], "prediction_label");
    let performance = &report["performance"];
    assert_eq!(performance["current"]["number_of_rows"], 1338);
    let r2 = performance["current"]["metrics"].as_array().unwrap().iter().find(|m| m[0] == "R2").unwrap()[1].as_f64();
    assert!(r2.unwrap() > 0.7, "{performance}");
    assert!(dir.path().join("monitor_report.html").exists());

    write_insurance(dir.path(), "shifted.csv", 400, |i, row| {
        row[0] = (row[0].parse::<f64>().unwrap() + 15.0).to_string();
        row[2] = (row[2].parse::<f64>().unwrap() * 1.3).to_string();
        row[4] = if i % 3 == 0 { "no" } else { "yes" }.to_string();
        row[5] = if i % 2 == 0 { "mars" } else { "northeast" }.to_string();
    });
    let shifted = mlship(
        dir.path(),
        &[
            "monitor",
            "--model",
            "ins.mlship",
            "--data",
            "shifted.csv",
            "--fail-on-drift",
            "--json",
            "--no-track",
            "--report",
            "shifted.html",
        ],
    );
    assert_eq!(shifted.status.code(), Some(3), "{}", stderr(&shifted));
    let report: Value = serde_json::from_slice(&shifted.stdout).unwrap();
    assert_eq!(report["data_drift"]["dataset_drift"], true);
    for drifted in ["age", "bmi", "smoker", "region"] {
        assert_eq!(column(&report, drifted)["drift_detected"], true, "{drifted}");
    }
    assert_eq!(column(&report, "sex")["drift_detected"], false);
    assert_eq!(column(&report, "region")["new_categories"], serde_json::json!(["mars"]));
    assert_eq!(report["prediction_drift"]["drift_detected"], true);
    let html = std::fs::read_to_string(dir.path().join("shifted.html")).unwrap();
    assert!(html.contains("Dataset drift detected") && html.contains("<svg"), "the report");

    // Without --fail-on-drift, drift is a finding, not a failure.
    let text = ok(&mlship(dir.path(), &["monitor", "--model", "ins.mlship", "--data", "shifted.csv", "--no-track"]));
    assert!(text.starts_with("DATASET DRIFT: 4 of 6 columns drifted"), "{text}");
}

#[test]
fn tests_and_thresholds_are_chosen_per_column_or_for_all() {
    let dir = tempfile::tempdir().unwrap();
    train_insurance(dir.path());
    write_insurance(dir.path(), "same.csv", 500, |_, _| {});
    let args = ["monitor", "--model", "ins.mlship", "--data", "same.csv", "--json", "--no-track"];
    let report = json(&mlship(
        dir.path(),
        &[&args[..], &["--stattest", "age=wasserstein", "--threshold", "age=0.5", "--stattest", "psi"]].concat(),
    ));
    assert_eq!(column(&report, "age")["stattest"], "wasserstein");
    assert_eq!(column(&report, "age")["stattest_threshold"], 0.5);
    assert_eq!(column(&report, "bmi")["stattest"], "psi");
    assert_eq!(column(&report, "region")["stattest"], "psi");

    let unknown = failure(&mlship(dir.path(), &[&args[..], &["--stattest", "anderson"]].concat()));
    assert!(unknown.contains("anderson") && unknown.contains("wasserstein"), "{unknown}");
    let no_column = failure(&mlship(dir.path(), &[&args[..], &["--threshold", "salary=0.1"]].concat()));
    assert!(no_column.contains("no input column \"salary\"") && no_column.contains("bmi"), "{no_column}");
    let bad_share = failure(&mlship(dir.path(), &[&args[..], &["--drift-share", "1.5"]].concat()));
    assert!(bad_share.contains("--drift-share 1.5"), "{bad_share}");
    let ks_on_labels = failure(&mlship(dir.path(), &[&args[..], &["--stattest", "region=ks"]].concat()));
    assert!(ks_on_labels.contains("region"), "{ks_on_labels}");
}

#[test]
fn bad_current_data_is_answered_clearly() {
    let dir = tempfile::tempdir().unwrap();
    train_insurance(dir.path());
    let run = |file: &str| {
        mlship(
            dir.path(),
            &["monitor", "--model", "ins.mlship", "--data", file, "--json", "--no-track", "--report", "r.html"],
        )
    };

    std::fs::write(dir.path().join("missing.csv"), "age,sex,bmi,children\n19,female,27.9,0\n").unwrap();
    let missing = failure(&run("missing.csv"));
    assert!(missing.contains("missing columns \"smoker\", \"region\""), "{missing}");
    assert!(!dir.path().join("r.html").exists(), "no report for a failed run");

    std::fs::write(dir.path().join("empty.csv"), "age,sex,bmi,children,smoker,region\n").unwrap();
    let empty = failure(&run("empty.csv"));
    assert!(empty.contains("empty.csv") && empty.contains("no data rows"), "{empty}");

    // A numeric column that now holds text drifts (it is not a crash), and predictions are skipped, said so.
    write_insurance(dir.path(), "typed.csv", 300, |i, row| {
        if i % 2 == 0 {
            row[0] = "old".to_string();
        }
        row.push("extra".to_string());
    });
    let mut text = std::fs::read_to_string(dir.path().join("typed.csv")).unwrap();
    text = text.replacen("charges\n", "charges,note\n", 1);
    std::fs::write(dir.path().join("typed.csv"), text).unwrap();
    let report = json(&run("typed.csv"));
    let age = column(&report, "age");
    assert_eq!(age["drift_detected"], true);
    assert!(age["problem"].as_str().unwrap().contains("type changed"), "{age}");
    assert!(report["prediction_drift"].is_null());
    assert!(report["notices"][0].as_str().unwrap().contains("age"), "{report}");
    assert_eq!(report["extra_columns"], serde_json::json!(["note"]));

    // Every value of a column missing: drifted, with the missing share.
    write_insurance(dir.path(), "blank.csv", 300, |_, row| row[2] = String::new());
    let report = json(&run("blank.csv"));
    let bmi = column(&report, "bmi");
    assert_eq!(
        (bmi["drift_detected"].clone(), bmi["current"]["share_of_missing_values"].clone()),
        (Value::Bool(true), 1.0.into())
    );
}

#[test]
fn a_model_without_a_profile_is_monitored_against_a_reference_file() {
    let dir = tempfile::tempdir().unwrap();
    let golden = mlship_testkit::golden_artifact();
    let golden = golden.to_str().unwrap();
    write_insurance(dir.path(), "current.csv", 400, |_, _| {});
    let without = failure(&mlship(dir.path(), &["monitor", "--model", golden, "--data", "current.csv", "--no-track"]));
    assert!(without.contains("--reference FILE"), "{without}");
    write_insurance(dir.path(), "reference.csv", 1338, |_, _| {});
    let report = json(&mlship(
        dir.path(),
        &[
            "monitor",
            "--model",
            golden,
            "--data",
            "current.csv",
            "--reference",
            "reference.csv",
            "--json",
            "--no-track",
        ],
    ));
    assert_eq!(report["reference"]["number_of_rows"], 1338);
    // A reference over 1,000 rows: Evidently's large-reference tests.
    assert_eq!(column(&report, "age")["stattest"], "wasserstein");
    assert_eq!(column(&report, "region")["stattest"], "jensenshannon");
    assert_eq!(report["data_drift"]["dataset_drift"], false);
}

#[test]
fn a_classifier_is_monitored_with_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    ok(&mlship(
        dir.path(),
        &["train", "--data", "iris", "--session-id", "1", "--model", "lr", "--save", "iris", "--no-track"],
    ));
    let report =
        json(&mlship(dir.path(), &["monitor", "--model", "iris.mlship", "--data", "iris", "--json", "--no-track"]));
    assert_eq!(report["model"]["task"], "classification");
    assert_eq!(report["prediction_drift"]["column_type"], "cat");
    assert_eq!(report["target_drift"]["column_type"], "cat");
    let metrics = report["performance"]["current"]["metrics"].as_array().unwrap();
    assert_eq!(metrics[0][0], "Accuracy");
    assert!(metrics[0][1].as_f64().unwrap() > 0.9, "{metrics:?}");
}

#[test]
fn each_report_is_recorded_against_the_registered_version() {
    let dir = tempfile::tempdir().unwrap();
    train_insurance(dir.path());
    write_insurance(dir.path(), "same.csv", 600, |_, _| {});
    ok(&mlship(
        dir.path(),
        &["models", "register", "insurance", "ins.mlship", "--alias", "production", "--store", "store"],
    ));
    let by_alias =
        mlship(dir.path(), &["monitor", "--model", "insurance@production", "--data", "same.csv", "--store", "store"]);
    assert!(stderr(&by_alias).contains("recorded as drift report 1"), "{}", stderr(&by_alias));
    let by_file = mlship(dir.path(), &["monitor", "--model", "ins.mlship", "--data", "same.csv", "--store", "store"]);
    assert!(stderr(&by_file).contains("recorded as drift report 2"), "{}", stderr(&by_file));
    let shown = json(&mlship(dir.path(), &["models", "show", "insurance", "--store", "store", "--json"]));
    assert_eq!(shown["drift"].as_array().map(Vec::len), Some(2), "{shown}");
    assert_eq!(shown["drift"][1]["model_version"], "1", "a registered file is recorded as its version");
}

fn http(address: &str, method_path: &str, id: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let request = format!(
        "{method_path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-request-id: {id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The loop on call: serve with logging, shifted traffic, actuals through
/// POST /feedback, SIGTERM; then `monitor --logs` finds the drift, joins the
/// actuals and scores the live performance; another version's logs are told apart.
#[test]
fn inference_logs_and_feedback_are_monitored() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    train_insurance(dir.path());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mlship"))
        .current_dir(dir.path())
        .args(["serve", "--model", "ins.mlship", "--port", "0", "--drain-seconds", "0", "--log-inferences", "logs"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let serving = lines.by_ref().map(|l| l.unwrap()).find(|l| l.starts_with("Serving")).unwrap();
    let address = serving.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();
    let rows = insurance_rows();
    let header = &rows[0];
    let mut feedback = Vec::new();
    for request in 0..60 {
        let id = format!("req-{request}");
        let records: Vec<String> = (0..5)
            .map(|r| {
                let row = &rows[1 + request * 5 + r];
                // Everyone is 20 years older, heavier and a smoker now: 3 of 6 columns.
                let age = row[0].parse::<f64>().unwrap() + 20.0;
                let bmi = row[2].parse::<f64>().unwrap() * 1.3;
                format!(
                    r#"{{"{}": {age}, "{}": "{}", "{}": {}, "{}": {}, "{}": "yes", "{}": "{}"}}"#,
                    header[0], header[1], row[1], header[2], bmi, header[3], row[3], header[4], header[5], row[5]
                )
            })
            .collect();
        let body = format!(r#"{{"dataframe_records": [{}]}}"#, records.join(","));
        let response = http(&address, "POST /invocations", &id, &body);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        if request % 2 == 0 {
            for r in 0..5 {
                let actual = &rows[1 + request * 5 + r][6];
                feedback.push(format!(r#"{{"request_id": "{id}", "row": {r}, "actual": {actual}}}"#));
            }
        }
    }
    let response = http(&address, "POST /feedback", "fb-1", &format!("[{}]", feedback.join(",")));
    assert!(response.starts_with("HTTP/1.1 2"), "{response}");
    let unknown = http(&address, "POST /feedback", "fb-2", r#"{"request_id": "never-seen", "actual": 1.0}"#);
    assert!(unknown.starts_with("HTTP/1.1 404") && unknown.contains("never-seen"), "{unknown}");
    // The feedback also feeds the live gauges, next to the hold-out ones, and the live drift sees the shift.
    let metrics = http(&address, "GET /metrics", "m-1", "");
    assert!(metrics.contains("mlship_feedback_window_rows 150"), "{metrics}");
    assert!(metrics.contains("mlship_live_metric{metric=\"r2\"}"), "{metrics}");
    assert!(metrics.contains("mlship_holdout_metric{metric=\"r2\"}"), "{metrics}");
    assert!(metrics.contains("mlship_dataset_drift 1"), "{metrics}");
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());

    let monitored = mlship(
        dir.path(),
        &[
            "monitor",
            "--model",
            "ins.mlship",
            "--logs",
            "logs",
            "--since",
            "1d",
            "--window",
            "hour",
            "--json",
            "--no-track",
            "--fail-on-drift",
        ],
    );
    assert_eq!(monitored.status.code(), Some(3), "{}", stderr(&monitored));
    let report: Value = serde_json::from_slice(&monitored.stdout).unwrap();
    assert_eq!(report["current"]["number_of_rows"], 300);
    assert!(report["current"]["since"].as_str().unwrap() <= report["current"]["until"].as_str().unwrap());
    assert_eq!(column(&report, "age")["drift_detected"], true);
    assert_eq!(column(&report, "bmi")["drift_detected"], true);
    assert_eq!(column(&report, "smoker")["drift_detected"], true);
    assert_eq!(column(&report, "region")["drift_detected"], false);
    assert_eq!(report["data_drift"]["share_of_drifted_columns"], 0.5);
    assert_eq!(report["prediction_drift"]["drift_detected"], true, "older smokers cost more");
    let performance = &report["performance"];
    assert_eq!(performance["current"]["number_of_rows"], 150, "the rows with feedback");
    assert_eq!(performance["windows"].as_array().unwrap().len(), 1, "one hour");
    assert_eq!(report["target_drift"]["column_name"], "charges");

    // A window with nothing in it, and the logs of another model version.
    let empty = failure(&mlship(
        dir.path(),
        &["monitor", "--model", "ins.mlship", "--logs", "logs", "--until", "2001-01-01T00:00:00Z", "--no-track"],
    ));
    assert!(empty.contains("an empty window"), "{empty}");
    ok(&mlship(
        dir.path(),
        &[
            "train",
            "--data",
            "insurance",
            "--target",
            "charges",
            "--session-id",
            "7",
            "--model",
            "lr",
            "--save",
            "other",
            "--no-track",
        ],
    ));
    let other = failure(&mlship(dir.path(), &["monitor", "--model", "other.mlship", "--logs", "logs", "--no-track"]));
    assert!(other.contains("scored by this model") && other.contains("(300 rows)"), "{other}");
    let bad_time =
        failure(&mlship(dir.path(), &["monitor", "--model", "ins.mlship", "--logs", "logs", "--since", "yesterday"]));
    assert!(bad_time.contains("\"yesterday\""), "{bad_time}");
}
