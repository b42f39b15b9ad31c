//! The alert rules against the real tools: `promtool check rules` on what
//! `deploy prometheus-rules` and `deploy kubernetes --alerts` print, and a
//! real Prometheus server (Debian's `prometheus`, started here with its own
//! config in a temporary folder) scraping a real `mlship serve`: the drift
//! alert stays quiet on traffic like the training data and fires on shifted
//! traffic.

// Tests fail by panicking with the value; clippy.toml's test allowances do not reach helper functions.
#![allow(clippy::unwrap_used)]

use mlship_testkit::cli::{stderr, stdout};
use mlship_testkit::seed;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn mlship(dir: &Path, args: &[&str]) -> Output {
    mlship_testkit::cli::run(env!("CARGO_BIN_EXE_mlship"), dir, args)
}

/// A child process killed when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(address: &str, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn json_body(response: &str) -> serde_json::Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

fn promtool_check(dir: &Path, file: &str) {
    let output = Command::new("promtool").current_dir(dir).args(["check", "rules", file]).output().unwrap();
    assert!(output.status.success(), "promtool check rules {file}: {}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("SUCCESS: 4 rules found"), "{}", stdout(&output));
}

#[test]
fn promtool_accepts_the_generated_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules = mlship(d, &["deploy", "prometheus-rules", "--job", "insurance", "--latency-p99", "0.25"]);
    assert!(rules.status.success(), "{}", stderr(&rules));
    std::fs::write(d.join("rules.yaml"), &rules.stdout).unwrap();
    promtool_check(d, "rules.yaml");

    // The operator's PrometheusRule holds the same group under spec: the lines after `spec:`, unindented.
    let k8s = mlship(d, &["deploy", "kubernetes", "--image", "x/insurance:1", "--alerts", "--drift-for", "10m"]);
    assert!(k8s.status.success(), "{}", stderr(&k8s));
    let text = stdout(&k8s);
    assert!(text.contains("kind: \"ServiceMonitor\""), "{text}");
    let rule = text.split("---\n").find(|doc| doc.contains("kind: \"PrometheusRule\"")).expect("a PrometheusRule");
    let spec = rule.split("spec:\n").nth(1).unwrap();
    let unindented: String = spec.lines().map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l))).collect();
    assert!(unindented.contains("for: \"10m\""), "{unindented}");
    std::fs::write(d.join("operator.yaml"), unindented).unwrap();
    promtool_check(d, "operator.yaml");

    let bad = mlship(d, &["deploy", "prometheus-rules", "--job", "x", "--error-rate", "2"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--error-rate must be between 0 and 1"), "{}", stderr(&bad));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The insurance rows, shifted (older, heavier, all smokers in one region) or not.
fn traffic(rows: &[Vec<String>], shifted: bool) -> String {
    let data: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let age: f64 = r[0].parse().unwrap();
            let bmi: f64 = r[2].parse().unwrap();
            let children: f64 = r[3].parse().unwrap();
            if shifted {
                serde_json::json!([age + 25.0, r[1], bmi + 12.0, children, "yes", "northeast"])
            } else {
                serde_json::json!([age, r[1], bmi, children, r[4], r[5]])
            }
        })
        .collect();
    let columns = ["age", "sex", "bmi", "children", "smoker", "region"];
    serde_json::json!({ "dataframe_split": { "columns": columns, "data": data } }).to_string()
}

/// Alerts by name and state, from Prometheus's API.
fn alerts(prometheus: &str) -> Vec<(String, String)> {
    let body = json_body(&http(prometheus, "GET", "/api/v1/alerts", ""));
    body["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["labels"]["alertname"].as_str().unwrap().to_string(), a["state"].as_str().unwrap().to_string()))
        .collect()
}

fn query(prometheus: &str, expr: &str) -> Option<f64> {
    let body = json_body(&http(prometheus, "GET", &format!("/api/v1/query?query={expr}"), ""));
    body["data"]["result"].as_array()?.first()?["value"][1].as_str()?.parse().ok()
}

/// Polls `check` every 250 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

#[test]
fn prometheus_fires_the_drift_alert_on_shifted_traffic_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = [&["train"], seed::TRAIN_FLAGS, &["--target", "charges", "--model", "lr", "--save", "model"]].concat();
    let trained = mlship(d, &train);
    assert!(trained.status.success(), "{}", stderr(&trained));

    let window = "300";
    let mut serve = Running(
        Command::new(env!("CARGO_BIN_EXE_mlship"))
            .current_dir(d)
            .args(["serve", "--model", "model.mlship", "--port", "0", "--drift-window", window])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(serve.0.stdout.take().unwrap()).lines();
    let serving = lines.by_ref().map(|l| l.unwrap()).find(|l| l.starts_with("Serving")).expect("a Serving line");
    let model = serving.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();

    // The drift rule waits 2 s (not 5 m) so the test stays short.
    let rules = mlship(d, &["deploy", "prometheus-rules", "--job", "model", "--drift-for", "2s"]);
    assert!(rules.status.success(), "{}", stderr(&rules));
    std::fs::write(d.join("rules.yaml"), &rules.stdout).unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules.yaml\nscrape_configs:\n  - job_name: model\n    static_configs:\n      - targets: [\"{model}\"]\n"
    );
    std::fs::write(d.join("prometheus.yml"), config).unwrap();
    let prometheus = format!("127.0.0.1:{}", free_port());
    let _prometheus = Running(
        Command::new("prometheus")
            .current_dir(d)
            .args([
                "--config.file=prometheus.yml",
                "--storage.tsdb.path=tsdb",
                &format!("--web.listen-address={prometheus}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Debian's prometheus package (scripts/test.sh installs it)"),
    );
    assert!(
        wait_for(Duration::from_secs(20), || TcpStream::connect(&prometheus).is_ok()
            && http(&prometheus, "GET", "/-/ready", "").starts_with("HTTP/1.1 200")),
        "prometheus became ready"
    );

    let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap();
    let rows: Vec<Vec<String>> =
        csv.lines().skip(1).take(300).map(|l| l.split(',').map(str::to_string).collect()).collect();
    for chunk in rows.chunks(50) {
        let answer = http(&model, "POST", "/invocations", &traffic(chunk, false));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // Prometheus has scraped the full window, and several rule evaluations later the alert is not even pending.
    assert!(
        wait_for(Duration::from_secs(15), || query(&prometheus, "mlship_drift_window_rows") == Some(300.0)),
        "prometheus scraped the window"
    );
    assert_eq!(query(&prometheus, "mlship_dataset_drift"), Some(0.0));
    std::thread::sleep(Duration::from_secs(4));
    let quiet = alerts(&prometheus);
    assert!(!quiet.iter().any(|(name, _)| name == "MlshipDataDrift"), "{quiet:?}");

    let shifted_at = Instant::now();
    for chunk in rows.chunks(50) {
        let answer = http(&model, "POST", "/invocations", &traffic(chunk, true));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let fired = wait_for(Duration::from_secs(20), || {
        alerts(&prometheus).iter().any(|(name, state)| name == "MlshipDataDrift" && state == "firing")
    });
    assert!(fired, "the drift alert fired: {:?}", alerts(&prometheus));
    assert!(shifted_at.elapsed() >= Duration::from_secs(2), "the alert waited its `for`");
    assert_eq!(query(&prometheus, "mlship_dataset_drift"), Some(1.0));
}
