//! The real server on port 0, called over HTTP: every protocol, every error
//! shape, the form, OpenAPI, metrics, readiness and graceful shutdown.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_serve::{Application, ServeConfig};
use mlship_testkit::golden_artifact as golden;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

const SEED_ROW: &str =
    r#"{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}"#;

struct Server {
    _dir: tempfile::TempDir,
    base: String,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
    state: std::sync::Arc<dyn Fn() -> bool + Send + Sync>,
}

impl Server {
    /// Serves the golden model saved as `deployment_28042020.mlship`, as the seed names it.
    async fn start(config: ServeConfig) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("deployment_28042020.mlship");
        std::fs::copy(golden(), &model).unwrap();
        let app = Application::build(&model, ServeConfig { port: 0, ..config }).await.expect("server starts");
        let address = app.local_addr();
        let state = app.state();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Server {
            _dir: dir,
            base: format!("http://{address}"),
            address,
            stop: Some(stop),
            handle,
            state: std::sync::Arc::new(move || state.is_ready()),
        }
    }

    async fn default() -> Server {
        Self::start(ServeConfig { label: Some("Bill".into()), ..ServeConfig::default() }).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn post(url: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new().post(url).header("content-type", content_type).body(body).send().await.expect("request")
}

async fn post_json(url: &str, body: &str) -> (u16, Value) {
    let response = post(url, "application/json", body.to_string()).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn assert_error(status: u16, body: &Value, expected_status: u16, field: Option<&str>, fragment: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["status"], expected_status);
    assert_eq!(body["error"], body["message"], "one message under both protocols' keys");
    assert!(body["error_code"].is_string());
    assert_eq!(body["field"].as_str(), field, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
}

#[tokio::test]
async fn predict_api_keeps_the_seed_contract() {
    let server = Server::default().await;
    let (status, body) = post_json(&server.url("/predict_api"), SEED_ROW).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_f64().unwrap(), 23624.0786);
    // Flask's get_json(force=True): no content type is read as JSON.
    let response = reqwest::Client::new().post(server.url("/predict_api")).body(SEED_ROW).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let unseen = SEED_ROW.replace("southwest", "atlantis");
    let response = post(&server.url("/predict_api"), "application/json", unseen).await;
    assert_eq!(response.status(), 200);
    let warning = response.headers()["x-mlship-warnings"].to_str().unwrap().to_string();
    assert!(warning.contains("region") && warning.contains("unknown level"), "{warning}");
}

#[tokio::test]
async fn invocations_speaks_every_mlflow_format() {
    let server = Server::default().await;
    let url = server.url("/invocations");
    let record: Value = serde_json::from_str(SEED_ROW).unwrap();
    let other = json!({"age": 40, "sex": "male", "bmi": 30.0, "children": 2, "smoker": "no", "region": "northeast"});
    let bodies = [
        json!({"dataframe_records": [record, other]}),
        json!({"dataframe_split": {"columns": ["region", "age", "sex", "bmi", "children", "smoker"], "index": [5, 6],
            "data": [["southwest", 19, "female", 27.9, 0, "yes"], ["northeast", 40, "male", 30.0, 2, "no"]]}}),
        json!({"instances": [record, other]}),
        json!({"inputs": {"age": [19, 40], "sex": ["female", "male"], "bmi": [27.9, 30.0], "children": [0, 2],
            "smoker": ["yes", "no"], "region": ["southwest", "northeast"]}}),
    ];
    let mut answers = Vec::new();
    for body in &bodies {
        let (status, answer) = post_json(&url, &body.to_string()).await;
        assert_eq!(status, 200, "{body}: {answer}");
        answers.push(answer["predictions"].clone());
    }
    let csv = "age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n40,male,30,2,no,northeast\n";
    let response = post(&url, "text/csv", csv).await;
    assert_eq!(response.status(), 200);
    answers.push(response.json::<Value>().await.unwrap()["predictions"].clone());
    for answer in &answers {
        assert_eq!(answer, &answers[0]);
    }
    assert!((answers[0][0].as_f64().unwrap() - 23624.08).abs() < 0.005);
    // Unknown levels are scored and flagged.
    let (status, answer) =
        post_json(&url, &json!({"dataframe_records": [{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "mars"}]}).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["warnings"][0]["field"], "region");
    let ping = reqwest::get(server.url("/ping")).await.unwrap();
    assert_eq!(ping.status(), 200);
    let version = reqwest::get(server.url("/version")).await.unwrap().text().await.unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}

fn tensors(n: usize) -> Value {
    let repeat = |v: Value| Value::Array(vec![v; n]);
    json!({"id": "request-1", "inputs": [
        {"name": "age", "shape": [n, 1], "datatype": "INT64", "data": (0..n).map(|_| json!([19])).collect::<Vec<_>>()},
        {"name": "sex", "shape": [n], "datatype": "BYTES", "data": repeat(json!("female"))},
        {"name": "bmi", "shape": [n], "datatype": "FP64", "data": repeat(json!(27.9))},
        {"name": "children", "shape": [n], "datatype": "INT32", "data": repeat(json!(0))},
        {"name": "smoker", "shape": [n], "datatype": "BYTES", "data": repeat(json!("yes"))},
        {"name": "region", "shape": [n], "datatype": "BYTES", "data": repeat(json!("southwest"))}
    ]})
}

#[tokio::test]
async fn kserve_v2_protocol() {
    let server = Server::default().await;
    for path in ["/v2/health/live", "/v2/health/ready", "/v2/models/deployment_28042020/ready"] {
        assert_eq!(reqwest::get(server.url(path)).await.unwrap().status(), 200, "{path}");
    }
    let metadata: Value =
        reqwest::get(server.url("/v2/models/deployment_28042020")).await.unwrap().json().await.unwrap();
    assert_eq!(metadata["inputs"][1], json!({"name": "sex", "datatype": "BYTES", "shape": [-1]}));
    assert_eq!(metadata["inputs"][0]["datatype"], "FP64");
    let (status, answer) =
        post_json(&server.url("/v2/models/deployment_28042020/infer"), &tensors(3).to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["id"], "request-1");
    assert_eq!(answer["outputs"][0]["shape"], json!([3]));
    assert!((answer["outputs"][0]["data"][2].as_f64().unwrap() - 23624.08).abs() < 0.005);
    assert_eq!(answer["model_version"], metadata["versions"][0]);

    let (status, body) = post_json(&server.url("/v2/models/other/infer"), &tensors(1).to_string()).await;
    assert_error(status, &body, 404, None, "model \"other\" is not served here");
    let mut missing = tensors(1);
    missing["inputs"].as_array_mut().unwrap().remove(2);
    let (status, body) = post_json(&server.url("/v2/models/deployment_28042020/infer"), &missing.to_string()).await;
    assert_error(status, &body, 422, Some("bmi"), "missing input tensor \"bmi\"");
    let mut wrong_type = tensors(1);
    wrong_type["inputs"][1]["datatype"] = json!("FP64");
    let (status, body) = post_json(&server.url("/v2/models/deployment_28042020/infer"), &wrong_type.to_string()).await;
    assert_error(status, &body, 422, Some("sex"), "this column needs BYTES");
    let mut bad_shape = tensors(2);
    bad_shape["inputs"][2]["shape"] = json!([3]);
    let (status, body) = post_json(&server.url("/v2/models/deployment_28042020/infer"), &bad_shape.to_string()).await;
    assert_error(status, &body, 422, Some("bmi"), "shape [3] does not describe 2 values");
}

#[tokio::test]
async fn client_mistakes_are_specific_4xx_errors() {
    let server = Server::start(ServeConfig { body_limit: 4096, ..ServeConfig::default() }).await;
    let api = server.url("/predict_api");
    let cases: Vec<(String, u16, Option<&str>, &str)> = vec![
        (SEED_ROW.replace(r#""bmi": 27.9, "#, ""), 422, Some("bmi"), "missing field \"bmi\""),
        (SEED_ROW.replace("19", "\"nineteen\""), 422, Some("age"), "expected a number, got a string"),
        (SEED_ROW.replace("\"female\"", "3.5e400"), 400, None, "invalid JSON"),
        (SEED_ROW.replace("27.9", "1e300"), 422, Some("bmi"), "outside any sane range"),
        (SEED_ROW.replace("27.9", "NaN"), 400, None, "NaN and Infinity are not JSON numbers"),
        (SEED_ROW.replace("\"yes\"", "true"), 422, Some("smoker"), "expected a string, got a boolean"),
        ("{\"age\": 19,".to_string(), 400, None, "invalid JSON"),
        ("[1, 2]".to_string(), 422, None, "expected a JSON object with a field per input column, got an array"),
        (SEED_ROW.replace("{", r#"{"age": 20, "#), 422, Some("age"), "field \"age\" appears twice"),
    ];
    for (body, status, field, fragment) in cases {
        let (got, answer) = post_json(&api, &body).await;
        assert_error(got, &answer, status, field, fragment);
    }
    let (status, body) = post_json(&server.url("/invocations"), r#"{"dataframe_records": []}"#).await;
    assert_error(status, &body, 422, None, "empty batch");
    let (status, body) = post_json(&server.url("/invocations"), r#"{"rows": []}"#).await;
    assert_error(status, &body, 422, None, "unexpected key \"rows\"");
    let (status, body) = post_json(&server.url("/invocations"), r#"{"instances": [], "inputs": []}"#).await;
    assert_error(
        status,
        &body,
        422,
        None,
        "expected exactly one of dataframe_split, dataframe_records, instances, inputs; got instances, inputs",
    );
    let (status, body) = post_json(&server.url("/invocations"), r#"{"inputs": {"age": [1], "sex": ["male"]}}"#).await;
    assert_error(status, &body, 422, Some("bmi"), "missing field \"bmi\"");
    let columns = r#"{"inputs": {"age": [1, 2], "sex": ["male"], "bmi": [1], "children": [1], "smoker": ["no"], "region": ["x"]}}"#;
    let (status, body) = post_json(&server.url("/invocations"), columns).await;
    assert_error(status, &body, 422, Some("sex"), "has 1 values but the other columns have 2");
    let (status, body) = post_json(&server.url("/invocations"), r#"{"dataframe_records": {"age": [1]}}"#).await;
    assert_error(status, &body, 422, None, "dataframe_records must be an array of records");
    let (status, body) = post_json(&server.url("/invocations"), r#"{"params": {}}"#).await;
    assert_error(status, &body, 422, None, "got none");
    let response = post(&server.url("/invocations"), "application/xml", "<rows/>").await;
    let status = response.status().as_u16();
    assert_error(
        status,
        &response.json().await.unwrap(),
        415,
        None,
        "content type \"application/xml\" is not supported",
    );
    let big = format!("{{\"dataframe_records\": [{}]}}", vec![SEED_ROW; 100].join(","));
    let response = post(&server.url("/invocations"), "application/json", big.clone()).await;
    let status = response.status().as_u16();
    assert_error(status, &response.json().await.unwrap(), 413, None, "over the limit of 4096 bytes");
    let (status, body) = raw_request(server.address, &format!(
        "POST /invocations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    )).await;
    assert_eq!(status, 413, "a chunked body over the limit: {body}");
    let missing = reqwest::get(server.url("/nowhere")).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

/// Sends raw bytes and returns the status and the body text.
async fn raw_request(address: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn the_form_predicts_keeps_inputs_and_escapes() {
    let server = Server::default().await;
    let page = reqwest::get(server.url("/")).await.unwrap().text().await.unwrap();
    assert!(page.contains("<select id=\"f-region\" name=\"region\" required"), "a select per categorical");
    assert!(page.contains("<option value=\"southwest\">southwest</option>"));
    assert!(page.contains("type=\"number\"") && page.contains("training range 18 – 64"));
    assert!(page.contains("hold-out R2 0.8556") && page.contains("deployment_28042020"));
    assert!(page.contains("name=\"viewport\""));

    let form = "age=19&sex=female&bmi=27.9&children=0&smoker=yes&region=southwest";
    let response = post(&server.url("/predict"), "application/x-www-form-urlencoded", form).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Expected Bill will be 23624<"), "{page}");
    assert!(
        page.contains("value=\"27.9\"") && page.contains("<option value=\"southwest\" selected>"),
        "inputs are kept"
    );

    let form = "age=abc&sex=female&bmi=&children=0&smoker=yes&region=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let response = post(&server.url("/predict"), "application/x-www-form-urlencoded", form).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"f-age-error\" role=\"alert\">row 0: &#34;abc&#34; is not a number</p>"), "{page}");
    assert!(page.contains("id=\"f-bmi-error\" role=\"alert\">required</p>"));
    assert!(page.contains("value=\"abc\""), "invalid inputs are kept for correction");
    assert!(!page.contains("<script>"), "echoed values are escaped");
}

#[tokio::test]
async fn openapi_docs_metrics_and_health() {
    let server = Server::default().await;
    let spec: Value = reqwest::get(server.url("/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths: Vec<&str> = spec["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for route in [
        "/",
        "/predict",
        "/predict_api",
        "/invocations",
        "/ping",
        "/version",
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/infer",
        "/openapi.json",
        "/docs",
        "/metrics",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains(&route), "{route} is documented");
    }
    let record = &spec["components"]["schemas"]["Record"];
    assert_eq!(record["properties"]["region"]["examples"], json!(["northeast", "northwest", "southeast", "southwest"]));
    assert_eq!(record["required"].as_array().unwrap().len(), 6);

    let docs = reqwest::get(server.url("/docs")).await.unwrap().text().await.unwrap();
    assert!(docs.contains("POST /invocations") && docs.contains("/v2/models/{name}/infer"));
    assert!(!docs.contains("<script") && !docs.contains("src=\"http"), "the docs page needs no network");

    post_json(&server.url("/predict_api"), SEED_ROW).await;
    post_json(&server.url("/predict_api"), "{}").await;
    let metrics = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("mlship_http_requests_total{route=\"/predict_api\",method=\"POST\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("status=\"422\"} 1"));
    assert!(metrics.contains("mlship_rows_scored_total 1"));
    assert!(metrics.contains("mlship_model_info{name=\"deployment_28042020\",version=\""));
    assert!(metrics.contains("mlship_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("mlship_prediction_value_count 1"));

    assert_eq!(reqwest::get(server.url("/healthz")).await.unwrap().status(), 200);
    let ready: Value = reqwest::get(server.url("/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["ready"], true);
}

#[tokio::test]
async fn shutdown_turns_readiness_off_and_lets_in_flight_requests_finish() {
    let mut server =
        Server::start(ServeConfig { grace_period: Duration::from_secs(5), ..ServeConfig::default() }).await;
    let body = format!("{{\"dataframe_records\": [{SEED_ROW}]}}");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    // A first, complete request on the same keep-alive connection proves the
    // server has accepted it before shutdown starts, however loaded the machine.
    stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("{\"status\":\"ok\"}") {
        let mut buffer = [0u8; 512];
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the connection closed early");
        seen.extend_from_slice(&buffer[..n]);
    }
    let head = format!(
        "POST /invocations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first_half.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!(server.state)(), "readiness is false as soon as shutdown starts");
    stream.write_all(second_half.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the in-flight request finished: {response}");
    let result =
        tokio::time::timeout(Duration::from_secs(5), server.handle).await.expect("stops within the grace period");
    assert!(result.unwrap().is_ok());
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let server =
        Server::start(ServeConfig { request_timeout: Duration::from_millis(200), ..ServeConfig::default() }).await;
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"POST /predict_api HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{")
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response)).await.unwrap().unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("request timed out after 0.2 s"));
}

#[tokio::test]
async fn the_model_name_is_the_file_stem_unless_named() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("charges-v2.mlship");
    std::fs::copy(golden(), &renamed).unwrap();
    let app = Application::build(&renamed, ServeConfig { port: 0, ..ServeConfig::default() }).await.unwrap();
    assert_eq!(app.state().model().name, "charges-v2");
    let app =
        Application::build(&renamed, ServeConfig { port: 0, name: Some("insurance".into()), ..ServeConfig::default() })
            .await
            .unwrap();
    assert_eq!(app.state().model().name, "insurance");
}

#[tokio::test]
async fn a_missing_or_broken_model_refuses_to_start() {
    let error =
        Application::build(std::path::Path::new("/no/such.mlship"), ServeConfig { port: 0, ..ServeConfig::default() })
            .await
            .err()
            .unwrap();
    assert_eq!(error.to_string(), "/no/such.mlship: no such model file");
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.mlship");
    std::fs::write(&broken, &std::fs::read(golden()).unwrap()[..500]).unwrap();
    let error = Application::build(&broken, ServeConfig { port: 0, ..ServeConfig::default() }).await.err().unwrap();
    assert!(error.to_string().contains("truncated model file"), "{error}");
}

/// Reads until the server closes the connection (or resets it), at most `limit`;
/// returns how long that took and what was read.
async fn wait_for_close(stream: &mut tokio::net::TcpStream, limit: Duration) -> (Duration, String) {
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "still open after {limit:?}; read so far: {:?}", String::from_utf8_lossy(&seen));
    (started.elapsed(), String::from_utf8_lossy(&seen).into_owned())
}

#[tokio::test]
async fn slow_silent_and_idle_clients_are_dropped() {
    let timeouts = ServeConfig {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_secs(30),
        ..ServeConfig::default()
    };
    let server = Server::start(timeouts).await;
    // Slowloris: a request line that never ends.
    let mut partial = tokio::net::TcpStream::connect(server.address).await.unwrap();
    partial.write_all(b"GET /heal").await.unwrap();
    // A connection that never says anything.
    let mut silent = tokio::net::TcpStream::connect(server.address).await.unwrap();
    let (elapsed, _) = wait_for_close(&mut partial, Duration::from_secs(5)).await;
    assert!(elapsed >= Duration::from_millis(200), "closed after the header timeout, not at once: {elapsed:?}");
    wait_for_close(&mut silent, Duration::from_secs(5)).await;
    // A keep-alive connection that stays idle after its answer.
    let mut idle = tokio::net::TcpStream::connect(server.address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (_, answer) = wait_for_close(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("{\"status\":\"ok\"}"), "{answer}");
    // Headers sent, then a body that stalls: no byte moves for the idle timeout.
    let mut stalled = tokio::net::TcpStream::connect(server.address).await.unwrap();
    stalled
        .write_all(
            b"POST /predict_api HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let (elapsed, _) = wait_for_close(&mut stalled, Duration::from_secs(5)).await;
    assert!(elapsed >= Duration::from_millis(400), "closed after the idle timeout: {elapsed:?}");
}

#[tokio::test]
async fn idle_clients_at_the_connection_limit_do_not_lock_others_out() {
    let limited =
        ServeConfig { max_connections: 4, header_timeout: Duration::from_millis(500), ..ServeConfig::default() };
    let server = Server::start(limited).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(server.address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The fifth waits in the backlog until the idle ones time out, then is served.
    let started = std::time::Instant::now();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let response = client.get(server.url("/healthz")).send().await.expect("served once the idle clients are dropped");
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200), "it had to wait: {:?}", started.elapsed());
    for mut stream in idle {
        wait_for_close(&mut stream, Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn readiness_is_503_for_the_drain_period_then_the_listener_closes() {
    let mut server = Server::start(ServeConfig {
        drain_period: Duration::from_millis(1500),
        grace_period: Duration::from_secs(5),
        ..ServeConfig::default()
    })
    .await;
    assert_eq!(reqwest::get(server.url("/readyz")).await.unwrap().status(), 200);
    let stopped = std::time::Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let ready = client.get(server.url("/readyz")).send().await.expect("still accepting while draining");
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<Value>().await.unwrap()["ready"], false);
    let (status, _) = post_json(&server.url("/predict_api"), SEED_ROW).await;
    assert_eq!(status, 200, "everything else is still served while draining");
    let result = tokio::time::timeout(Duration::from_secs(10), server.handle).await.expect("stops after the drain");
    assert!(result.unwrap().is_ok());
    assert!(stopped.elapsed() >= Duration::from_millis(1400), "not before the drain is over: {:?}", stopped.elapsed());
    assert!(tokio::net::TcpStream::connect(server.address).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn warnings_are_aggregated_per_column_and_the_header_is_bounded() {
    let server = Server::start(ServeConfig { body_limit: 8 * 1024 * 1024, ..ServeConfig::default() }).await;
    let mut csv = String::from("age,sex,bmi,children,smoker,region\n");
    for row in 0..80_000 {
        csv.push_str(&format!("19,female,27.9,0,yes,planet{row}\n"));
    }
    let response = post(&server.url("/invocations"), "text/csv", csv).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["predictions"].as_array().unwrap().len(), 80_000);
    let warnings = answer["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "one entry per column: {warnings:?}");
    assert_eq!(warnings[0]["field"], "region");
    assert_eq!(warnings[0]["count"], 80_000);
    assert_eq!(
        warnings[0]["examples"],
        json!([{"row": 0, "value": "planet0"}, {"row": 1, "value": "planet1"}, {"row": 2, "value": "planet2"}])
    );
    let predictions_text = answer["predictions"].to_string().len();
    assert!(
        body.len() < predictions_text + 1024,
        "the warnings take a few hundred bytes, not megabytes: {}",
        body.len()
    );

    let huge = SEED_ROW.replace("southwest", &"x".repeat(500_000));
    let response = post(&server.url("/predict_api"), "application/json", huge).await;
    assert_eq!(response.status(), 200);
    let header = response.headers()["x-mlship-warnings"].to_str().unwrap().to_string();
    assert!(header.len() <= 4096, "a bounded header: {} bytes", header.len());
    assert!(
        header.contains("region: unknown level") && header.contains(&format!("\"{}...\"", "x".repeat(40))),
        "{header}"
    );
}

/// The JSON body after a raw response's head.
fn raw_json(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: not JSON after the head: {response:?}"))
}

/// Issue 10 item 7: the answers hyper or the router give before any handler
/// runs (405, 414, 431, a malformed request's 400) have the documented JSON
/// shape and the security headers, like every other error.
#[tokio::test]
async fn protocol_errors_have_the_documented_json_shape() {
    let server = Server::default().await;
    let response = reqwest::get(server.url("/predict_api")).await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_error(status, &response.json().await.unwrap(), 405, None, "method GET is not allowed on /predict_api");
    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let many_headers: String = (0..150).map(|i| format!("x-header-{i}: v\r\n")).collect();
    let cases = [
        ("BREW /pot HTTP/9.9\r\nhost: x\r\n\r\n".to_string(), 400, "malformed HTTP request"),
        ("GET / HTTP/1.1\r\nbad header line\r\n\r\n".to_string(), 400, "malformed HTTP request"),
        (long_uri, 414, "URL is too long"),
        (format!("GET / HTTP/1.1\r\nhost: x\r\n{many_headers}\r\n"), 431, "headers are too large"),
    ];
    for (request, expected, fragment) in cases {
        let (status, response) = raw_request(server.address, &request).await;
        assert_error(status, &raw_json(&response), expected, None, fragment);
        let head = response.to_ascii_lowercase();
        assert!(head.contains("content-type: application/json"), "{response}");
        assert!(head.contains("x-content-type-options: nosniff"), "{response}");
    }
    // The server still answers everyone else.
    let (status, _) = post_json(&server.url("/predict_api"), SEED_ROW).await;
    assert_eq!(status, 200);
}

/// Every answer, a page, an API result or an error, carries the UI's security headers.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = Server::default().await;
    for path in ["/", "/docs", "/healthz", "/nowhere"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        for (name, value) in mlship_serve::SECURITY_HEADERS {
            assert_eq!(response.headers()[name], value, "{path}: {name}");
        }
    }
    let csp = mlship_serve::SECURITY_HEADERS.iter().find(|(n, _)| *n == "content-security-policy").unwrap().1;
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
}

/// Issue 10 item 7: a column given twice is refused by every protocol
/// (which value to score would be a guess), as `/predict_api` refuses it.
#[tokio::test]
async fn duplicate_columns_are_refused_by_every_protocol() {
    let server = Server::default().await;
    let invocations = server.url("/invocations");
    let split = r#"{"dataframe_split": {"columns": ["age", "sex", "bmi", "children", "smoker", "region", "age"],
        "data": [[19, "female", 27.9, 0, "yes", "southwest", 20]]}}"#;
    let (status, body) = post_json(&invocations, split).await;
    assert_error(status, &body, 422, Some("age"), "column \"age\" appears twice in dataframe_split.columns");
    let csv = "age,sex,bmi,children,smoker,region,bmi\n19,female,27.9,0,yes,southwest,30\n";
    let response = post(&invocations, "text/csv", csv).await;
    let status = response.status().as_u16();
    assert_error(
        status,
        &response.json().await.unwrap(),
        422,
        Some("bmi"),
        "column \"bmi\" appears twice in the CSV header",
    );
    let mut v2 = tensors(1);
    let extra = v2["inputs"][0].clone();
    v2["inputs"].as_array_mut().unwrap().push(extra);
    let (status, body) = post_json(&server.url("/v2/models/deployment_28042020/infer"), &v2.to_string()).await;
    assert_error(status, &body, 422, Some("age"), "column \"age\" appears twice in the input tensors");
    let form = "age=19&sex=female&bmi=27.9&children=0&smoker=yes&region=southwest&smoker=no";
    let response = post(&server.url("/predict"), "application/x-www-form-urlencoded", form).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("smoker") && page.contains("is given twice"), "{page}");
}

/// Issue 10 items 3 and 6 in serving: a CSV field over 1 MiB is refused
/// naming its row and column; `inf` is refused as in `train` and `predict`.
#[tokio::test]
async fn csv_bodies_bound_fields_and_refuse_infinities() {
    let server = Server::start(ServeConfig { body_limit: 4 << 20, ..ServeConfig::default() }).await;
    let invocations = server.url("/invocations");
    let huge = "x".repeat((1 << 20) + 1);
    let csv = format!("age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n20,male,30,1,no,{huge}\n");
    let response = post(&invocations, "text/csv", csv).await;
    let status = response.status().as_u16();
    assert_error(
        status,
        &response.json().await.unwrap(),
        422,
        Some("region"),
        "row 1: a field of 1048577 bytes is over the limit",
    );
    for (cell, column) in [("inf", "bmi"), ("-Infinity", "age"), ("1e400", "children")] {
        let row = match column {
            "bmi" => format!("19,female,{cell},0,yes,southwest"),
            "age" => format!("{cell},female,27.9,0,yes,southwest"),
            _ => format!("19,female,27.9,{cell},yes,southwest"),
        };
        let response = post(&invocations, "text/csv", format!("age,sex,bmi,children,smoker,region\n{row}\n")).await;
        let status = response.status().as_u16();
        assert_error(status, &response.json().await.unwrap(), 422, Some(column), "is not a finite number");
    }
    let response =
        post(&invocations, "text/csv", "age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,inf\n").await;
    let status = response.status().as_u16();
    assert_error(status, &response.json().await.unwrap(), 422, Some("region"), "\"inf\" is not a finite number");
}
