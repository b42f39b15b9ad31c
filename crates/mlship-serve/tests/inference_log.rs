//! Inference logging and feedback with the real server on port 0: every
//! prediction route logs its rows (read back with `mlship_monitor::logs`, the
//! reader `monitor` uses), request ids travel both ways, files rotate under a
//! disk budget, a broken folder or a full queue only drops (counted) rows,
//! and `POST /feedback` answers each mistake with its own status.

// Tests fail by panicking with the value; clippy.toml's test allowances do
// not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_artifact::{Artifact, CvMetrics, DataFingerprint, Metrics};
use mlship_data::{infer_kinds, CsvOptions, KindOverrides};
use mlship_learn::{evaluate, EvaluationInput, LabelEncoding, ModelSpec, PipelineSpec, SetupOptions, Task};
use mlship_monitor::logs::{read_feedback, read_inferences, InferenceRecord};
use mlship_serve::{Application, InferenceLogConfig, ServeConfig};
use mlship_testkit::golden_artifact as golden;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::oneshot;

const SEED_ROW: &str =
    r#"{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}"#;

struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(model: &Path, log: Option<InferenceLogConfig>) -> Server {
        let config = ServeConfig { port: 0, inference_log: log, ..ServeConfig::default() };
        let app = Application::build(model, config).await.expect("server starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Server { base, stop: Some(stop), handle }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops as SIGTERM does: the log's queue is drained and its files finished when this returns.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.handle.await.unwrap().unwrap();
    }

    async fn metric(&self, line_start: &str) -> f64 {
        let text = reqwest::get(self.url("/metrics")).await.unwrap().text().await.unwrap();
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .map_or(0.0, |v| v.parse().unwrap())
    }

    /// Waits (up to 30 s) until the metric reaches `at_least`: the writer works off the request path.
    async fn metric_reaches(&self, line_start: &str, at_least: f64) -> f64 {
        for _ in 0..300 {
            let value = self.metric(line_start).await;
            if value >= at_least {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.metric(line_start).await
    }
}

async fn post(url: &str, content_type: &str, body: &str, request_id: Option<&str>) -> (u16, String, Value) {
    let mut request = reqwest::Client::new().post(url).header("content-type", content_type).body(body.to_string());
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let id =
        response.headers().get("x-request-id").expect("every answer has x-request-id").to_str().unwrap().to_string();
    let text = response.text().await.unwrap();
    (status, id, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn model_copy(dir: &Path) -> PathBuf {
    let model = dir.join("deployment_28042020.mlship");
    std::fs::copy(golden(), &model).unwrap();
    model
}

fn log_config(dir: &Path) -> InferenceLogConfig {
    InferenceLogConfig::new(dir.join("logs"))
}

fn rows_of<'a>(records: &'a [InferenceRecord], request_id: &str) -> Vec<&'a InferenceRecord> {
    records.iter().filter(|r| r.request_id == request_id).collect()
}

#[tokio::test]
async fn every_prediction_route_logs_its_rows_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&model_copy(dir.path()), Some(log_config(dir.path()))).await;

    let (status, id, value) = post(&server.url("/predict_api"), "application/json", SEED_ROW, Some("seed-1")).await;
    assert_eq!((status, id.as_str()), (200, "seed-1"), "a sane incoming id is kept");
    assert_eq!(value, json!(23624.0786));

    let records = json!({ "dataframe_records": [
        { "age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest" },
        { "age": 40, "sex": "male", "bmi": null, "children": 2, "smoker": "no", "region": "northeast" },
        { "age": 61, "sex": "female", "bmi": 30.1, "children": 1, "smoker": "no", "region": "atlantis" }
    ]});
    let (status, batch_id, body) =
        post(&server.url("/invocations"), "application/json", &records.to_string(), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(batch_id.len(), 32, "a new id: 128 bits in hex");
    assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["predictions", "warnings"], "MLflow's shape");
    let predictions = body["predictions"].as_array().unwrap().clone();

    let v2 = json!({ "id": "client-id", "inputs": [
        {"name": "age", "shape": [1], "datatype": "FP64", "data": [33]},
        {"name": "sex", "shape": [1], "datatype": "BYTES", "data": ["male"]},
        {"name": "bmi", "shape": [1], "datatype": "FP64", "data": [22.5]},
        {"name": "children", "shape": [1], "datatype": "FP64", "data": [3]},
        {"name": "smoker", "shape": [1], "datatype": "BYTES", "data": ["no"]},
        {"name": "region", "shape": [1], "datatype": "BYTES", "data": ["northwest"]}
    ]});
    let infer = server.url("/v2/models/deployment_28042020/infer");
    let (status, v2_id, body) = post(&infer, "application/json", &v2.to_string(), Some("header-id")).await;
    assert_eq!((status, v2_id.as_str(), body["id"].as_str()), (200, "header-id", Some("client-id")), "{body}");
    let v2_prediction = body["outputs"][0]["data"][0].clone();
    let mut no_id = v2.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let (_, generated, body) = post(&infer, "application/json", &no_id.to_string(), None).await;
    assert_eq!(body["id"].as_str(), Some(generated.as_str()), "without an id, V2's id is the request id");

    let form = "age=19&sex=female&bmi=27.9&children=0&smoker=yes&region=southwest";
    let (status, form_id, _) = post(&server.url("/predict"), "application/x-www-form-urlencoded", form, None).await;
    assert_eq!(status, 200);
    // A refused request scores nothing and logs nothing.
    let (status, refused_id, _) = post(&server.url("/predict_api"), "application/json", "{", None).await;
    assert_eq!(status, 400);
    server.stop().await;

    let read = read_inferences(&dir.path().join("logs"), None, None).unwrap();
    assert_eq!((read.unreadable_lines, read.truncated_files.len()), (0, 0), "closed files are whole");
    assert_eq!(read.records.len(), 1 + 3 + 1 + 1 + 1);
    let seed = rows_of(&read.records, "seed-1");
    assert_eq!(seed.len(), 1);
    let seed = seed[0];
    assert_eq!(seed.row, 0);
    assert_eq!(seed.model_name, "deployment_28042020");
    assert_eq!(seed.model_digest.len(), 64);
    assert_eq!(seed.model_version, seed.model_digest[..12]);
    assert_eq!(Value::Object(seed.inputs.clone()), serde_json::from_str::<Value>(SEED_ROW).unwrap());
    // The log keeps the full number; /predict_api rounds to 4 decimals as the seed did.
    assert!((seed.prediction.as_f64().unwrap() - 23624.0786).abs() < 5e-5, "{}", seed.prediction);
    assert!(seed.time.ends_with('Z') && seed.time.len() == "2026-12-01T04:25:08.123Z".len(), "{}", seed.time);
    assert_eq!(seed.prediction_score, None, "a regressor has no score");

    let batch = rows_of(&read.records, &batch_id);
    assert_eq!(batch.iter().map(|r| r.row).collect::<Vec<_>>(), [0, 1, 2]);
    for (record, (sent, predicted)) in
        batch.iter().zip(records["dataframe_records"].as_array().unwrap().iter().zip(&predictions))
    {
        assert_eq!(&Value::Object(record.inputs.clone()), sent, "the row as received, missing as null");
        assert_eq!(&record.prediction, predicted, "the same number the client got");
    }
    let v2_row = rows_of(&read.records, "header-id");
    assert_eq!(v2_row.len(), 1, "logged under the x-request-id");
    assert_eq!(v2_row[0].prediction, v2_prediction);
    assert_eq!(v2_row[0].inputs["region"], json!("northwest"));
    assert_eq!(rows_of(&read.records, &generated).len(), 1);
    assert_eq!(rows_of(&read.records, &form_id).len(), 1);
    assert!(rows_of(&read.records, &refused_id).is_empty());
}

#[tokio::test]
async fn request_ids_that_are_not_sane_are_replaced_and_every_answer_has_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&model_copy(dir.path()), None).await;
    let url = server.url("/predict_api");
    for bad in ["x".repeat(129), "has space".to_string(), String::new()] {
        let (status, id, _) = post(&url, "application/json", SEED_ROW, Some(&bad)).await;
        assert_eq!(status, 200);
        assert_eq!(id.len(), 32, "{bad:?} is replaced by a new id");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let longest = "a".repeat(128);
    assert_eq!(post(&url, "application/json", SEED_ROW, Some(&longest)).await.1, longest);
    // Errors and other routes carry one too.
    let (status, id, _) = post(&url, "application/json", "[]", Some("err-1")).await;
    assert_eq!((status, id.as_str()), (422, "err-1"));
    let health = reqwest::get(server.url("/healthz")).await.unwrap();
    assert!(health.headers().contains_key("x-request-id"));
    let (_, a, _) = post(&url, "application/json", SEED_ROW, None).await;
    let (_, b, _) = post(&url, "application/json", SEED_ROW, None).await;
    assert_ne!(a, b);
    server.stop().await;
}

/// `lr` trained on the churn table of the classification fixtures, saved as an artifact.
fn churn_artifact(dir: &Path) -> PathBuf {
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-learn/tests/fixtures/classification/churn.csv");
    let mut loaded = mlship_data::read_path(Path::new(csv), &CsvOptions::default()).unwrap();
    let column = loaded.table.remove("churn").unwrap();
    let encoded = LabelEncoding::fit("churn", &column).unwrap();
    let kinds = infer_kinds(&mut loaded.table, &KindOverrides::default()).unwrap();
    let y: Vec<f64> = encoded.codes.iter().map(|&c| c as f64).collect();
    let options = SetupOptions { session_id: Some(123), fold: 3, ..SetupOptions::default() };
    let spec = PipelineSpec { options, model: ModelSpec::with_defaults(Task::Classification, "lr", 123).unwrap() };
    let evaluation = evaluate(&EvaluationInput {
        spec: &spec,
        table: &loaded.table,
        kinds: &kinds,
        target: "churn",
        y: &y,
        labels: Some(&encoded.encoding),
        seed: 123,
        finalize: false,
    })
    .unwrap();
    let artifact = Artifact {
        name: "churn_lr".into(),
        created_at: mlship_artifact::utc_now_rfc3339(),
        mlship_version: env!("CARGO_PKG_VERSION").into(),
        task: "classification".into(),
        model_name: spec.model.display_name().into(),
        session_id: 123,
        finalized: false,
        spec: spec.clone(),
        pipeline: evaluation.pipeline,
        metrics: Metrics {
            cv: CvMetrics { folds: evaluation.folds, mean: evaluation.mean, std: evaluation.std },
            holdout: evaluation.holdout,
        },
        data: DataFingerprint { source: csv.into(), sha256: "0".repeat(64), n_bytes: 0, n_rows: 700, n_cols: 6 },
        profile: None,
    };
    let path = dir.join("churn_lr.mlship");
    artifact.save(&path).unwrap();
    path
}

#[tokio::test]
async fn a_classifier_logs_labels_and_scores_and_takes_class_feedback() {
    let dir = tempfile::tempdir().unwrap();
    let model = churn_artifact(dir.path());
    let server = Server::start(&model, Some(log_config(dir.path()))).await;
    let rows = json!({ "dataframe_records": [
        {"tenure": 2, "monthly_charges": 110, "contract": "month-to-month", "partner": "no", "support_calls": 5},
        {"tenure": 70, "monthly_charges": 20, "contract": "two year", "partner": "yes", "support_calls": 0}
    ]});
    let (status, id, body) =
        post(&server.url("/invocations?probabilities=true"), "application/json", &rows.to_string(), None).await;
    assert_eq!(status, 200, "{body}");
    let classes = body["classes"].as_array().unwrap().clone();
    let feedback = server.url("/feedback");
    let label = body["predictions"][1].clone();
    let item = json!({ "request_id": id, "row": 1, "actual": label });
    let (status, _, answer) = post(&feedback, "application/json", &item.to_string(), None).await;
    assert_eq!((status, answer), (200, json!({ "accepted": 1 })));
    let unknown_class = json!({ "request_id": id, "actual": "maybe" });
    let (status, _, error) = post(&feedback, "application/json", &unknown_class.to_string(), None).await;
    assert_eq!(status, 422, "{error}");
    assert!(error["message"].as_str().unwrap().contains("is not a class of this model (classes: "), "{error}");
    server.stop().await;

    let read = read_inferences(&dir.path().join("logs"), None, None).unwrap();
    assert_eq!(read.records.len(), 2);
    for (row, record) in read.records.iter().enumerate() {
        assert_eq!(record.row as usize, row);
        assert_eq!(record.prediction, body["predictions"][row], "the label the client got");
        let column = classes.iter().position(|c| *c == record.prediction).unwrap();
        let probability = body["probabilities"][row][column].as_f64().unwrap();
        assert_eq!(record.prediction_score, Some(probability), "the predicted class's probability");
        assert_eq!(Value::Object(record.inputs.clone())["contract"], rows["dataframe_records"][row]["contract"]);
    }
    let feedback = read_feedback(&dir.path().join("logs")).unwrap();
    assert_eq!(feedback.records.len(), 1);
    assert_eq!((feedback.records[0].row, &feedback.records[0].actual), (1, &label));
}

#[tokio::test]
async fn feedback_is_all_or_nothing_and_every_mistake_has_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    // Without logging: a clear 409 saying how to turn it on.
    let plain = Server::start(&model, None).await;
    let item = json!({ "request_id": "abc", "actual": 1.0 }).to_string();
    let (status, _, error) = post(&plain.url("/feedback"), "application/json", &item, None).await;
    assert_eq!(status, 409, "{error}");
    assert!(error["message"].as_str().unwrap().contains("--log-inferences DIR"), "{error}");
    plain.stop().await;

    let server = Server::start(&model, Some(log_config(dir.path()))).await;
    let feedback = server.url("/feedback");
    let batch = json!({ "dataframe_records": vec![serde_json::from_str::<Value>(SEED_ROW).unwrap(); 3] }).to_string();
    let (_, first, _) = post(&server.url("/invocations"), "application/json", &batch, None).await;
    let (_, second, _) = post(&server.url("/predict_api"), "application/json", SEED_ROW, Some("second")).await;

    // One item, a list, and {"feedback": [...]}.
    let one = json!({ "request_id": second, "actual": 20000.5 });
    assert_eq!(post(&feedback, "application/json", &one.to_string(), None).await.2, json!({ "accepted": 1 }));
    let list =
        json!([{ "request_id": first, "row": 0, "actual": 1 }, { "request_id": first, "row": 2, "actual": 3.5 }]);
    assert_eq!(post(&feedback, "application/json", &list.to_string(), None).await.2, json!({ "accepted": 2 }));
    let wrapped = json!({ "feedback": [{ "request_id": first, "row": 1, "actual": 2 }] });
    assert_eq!(post(&feedback, "application/json", &wrapped.to_string(), None).await.2, json!({ "accepted": 1 }));

    // Unknown ids: 404 naming each, and the good item beside them is not recorded.
    let mixed = json!([{ "request_id": first, "actual": 9 }, { "request_id": "nope-1", "actual": 1 }, { "request_id": "nope-2", "actual": 1 }]);
    let (status, _, error) = post(&feedback, "application/json", &mixed.to_string(), None).await;
    assert_eq!(status, 404, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("\"nope-1\", \"nope-2\"") && message.contains("no feedback was recorded"), "{message}");
    // The wrong type for a regressor, a row out of range, a broken shape: 422.
    for (body, fragment) in [
        (json!({ "request_id": first, "actual": "high" }), "must be a number for this regression model"),
        (json!({ "request_id": first, "row": 3, "actual": 1 }), "row 3 is out of range: request"),
        (json!({ "request_id": first, "row": -1, "actual": 1 }), "must be a row number from 0"),
        (json!({ "request_id": first }), "has no \"actual\""),
        (json!({ "actual": 1 }), "has no \"request_id\""),
        (json!([]), "the list is empty"),
        (json!({ "feedback": 3 }), "\"feedback\" must be a list"),
        (json!(7), "the body must be"),
    ] {
        let (status, _, error) = post(&feedback, "application/json", &body.to_string(), None).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert!(error["message"].as_str().unwrap().contains(fragment), "{body}: {error}");
    }
    let (status, _, _) = post(&feedback, "application/json", "{not json", None).await;
    assert_eq!(status, 400);
    let (status, _, _) = post(&feedback, "text/plain", &one.to_string(), None).await;
    assert_eq!(status, 415);
    server.stop().await;

    // Expired: a window of a millisecond.
    let mut short = log_config(dir.path());
    short.feedback_max_age = Duration::from_millis(1);
    let server = Server::start(&model, Some(short)).await;
    let (_, old, _) = post(&server.url("/predict_api"), "application/json", SEED_ROW, None).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let late = json!({ "request_id": old, "actual": 1 });
    let (status, _, error) = post(&server.url("/feedback"), "application/json", &late.to_string(), None).await;
    assert_eq!(status, 410, "{error}");
    assert!(error["message"].as_str().unwrap().contains(&old));
    server.stop().await;

    let read = read_feedback(&dir.path().join("logs")).unwrap();
    let mut got: Vec<(String, u32, Value)> =
        read.records.iter().map(|r| (r.request_id.clone(), r.row, r.actual.clone())).collect();
    got.sort_by_key(|a| (a.0.clone(), a.1));
    let mut expected = vec![
        (first.clone(), 0, json!(1)),
        (first.clone(), 1, json!(2)),
        (first.clone(), 2, json!(3.5)),
        ("second".to_string(), 0, json!(20000.5)),
    ];
    expected.sort_by_key(|a| (a.0.clone(), a.1));
    assert_eq!(got, expected, "only accepted batches are written");
}

#[tokio::test]
async fn files_rotate_and_the_oldest_go_past_the_disk_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = log_config(dir.path());
    config.rotate_bytes = 1500;
    config.max_bytes = 5000;
    let logs = config.dir.clone();
    let server = Server::start(&model_copy(dir.path()), Some(config)).await;
    let batch = json!({ "dataframe_records": (0..10).map(|age| json!({
        "age": 20 + age, "sex": "female", "bmi": 20.0 + age as f64 / 7.0, "children": age % 4, "smoker": "no", "region": "southeast"
    })).collect::<Vec<_>>() })
    .to_string();
    let mut ids = Vec::new();
    for _ in 0..60 {
        let (status, id, _) = post(&server.url("/invocations"), "application/json", &batch, None).await;
        assert_eq!(status, 200);
        ids.push(id);
    }
    server.stop().await;
    let files: Vec<(String, u64)> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().into_string().unwrap(), e.metadata().unwrap().len()))
        .collect();
    assert!(files.len() >= 2, "rotated: {files:?}");
    assert!(files.iter().all(|(name, _)| name.starts_with("inferences-") && name.ends_with(".jsonl.gz")), "{files:?}");
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    assert!(total <= 5000, "within the budget: {total} bytes in {files:?}");
    let read = read_inferences(&logs, None, None).unwrap();
    assert_eq!((read.unreadable_lines, read.truncated_files.len()), (0, 0));
    // What is left is the newest requests, whole and in order.
    let kept: Vec<&String> = {
        let mut seen = Vec::new();
        for record in &read.records {
            if seen.last() != Some(&&record.request_id) {
                seen.push(&record.request_id);
            }
        }
        seen
    };
    assert!(kept.len() < ids.len(), "the oldest went");
    assert_eq!(kept.last().copied(), ids.last(), "the newest stayed");
    let start = ids.iter().position(|id| id == kept[0]).unwrap();
    assert_eq!(kept, ids[start..].iter().collect::<Vec<_>>(), "a suffix of the requests, in order");
}

#[tokio::test]
async fn an_unwritable_folder_stops_start_up_and_one_that_breaks_later_only_drops() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let config = ServeConfig { port: 0, inference_log: Some(InferenceLogConfig::new(&file)), ..ServeConfig::default() };
    let error = Application::build(&model, config).await.err().expect("refused").to_string();
    assert!(
        error.starts_with(&format!("--log-inferences {}: cannot create or write the folder", file.display())),
        "{error}"
    );

    // Every member closes its file (rotation at 1 byte), so every request opens a new one.
    let mut config = log_config(dir.path());
    config.rotate_bytes = 1;
    config.max_bytes = 1 << 20;
    let logs = config.dir.clone();
    let server = Server::start(&model, Some(config)).await;
    assert_eq!(post(&server.url("/predict_api"), "application/json", SEED_ROW, None).await.0, 200);
    assert_eq!(server.metric_reaches("mlship_inference_log_records_total", 1.0).await, 1.0);
    std::fs::remove_dir_all(&logs).unwrap();
    for _ in 0..3 {
        assert_eq!(post(&server.url("/predict_api"), "application/json", SEED_ROW, None).await.0, 200);
    }
    let dropped = "mlship_inference_log_dropped_total{reason=\"unwritable\"}";
    assert_eq!(server.metric_reaches(dropped, 3.0).await, 3.0);
    assert_eq!(server.metric("mlship_inference_log_records_total").await, 1.0);
    server.stop().await;
}

#[tokio::test]
async fn a_full_queue_drops_rows_and_counts_them_but_predictions_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = log_config(dir.path());
    config.queue_rows = 0;
    let server = Server::start(&model_copy(dir.path()), Some(config)).await;
    let batch = json!({ "dataframe_records": vec![serde_json::from_str::<Value>(SEED_ROW).unwrap(); 4] }).to_string();
    for _ in 0..2 {
        assert_eq!(post(&server.url("/invocations"), "application/json", &batch, None).await.0, 200);
    }
    assert_eq!(server.metric("mlship_inference_log_dropped_total{reason=\"queue_full\"}").await, 8.0);
    assert_eq!(server.metric("mlship_inference_log_dropped_total{reason=\"disk_full\"}").await, 0.0);
    assert_eq!(server.metric("mlship_inference_log_records_total").await, 0.0);
    // Feedback cannot be queued either: the client hears it and may retry.
    let (_, id, _) = post(&server.url("/predict_api"), "application/json", SEED_ROW, None).await;
    let item = json!({ "request_id": id, "actual": 1 }).to_string();
    let (status, _, error) = post(&server.url("/feedback"), "application/json", &item, None).await;
    assert_eq!(status, 503, "{error}");
    server.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_feedback_and_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&model_copy(dir.path()), Some(log_config(dir.path()))).await;
    let document: Value = reqwest::get(server.url("/openapi.json")).await.unwrap().json().await.unwrap();
    let feedback = &document["paths"]["/feedback"]["post"];
    for status in ["200", "400", "404", "409", "410", "413", "415", "422", "503"] {
        assert!(feedback["responses"][status].is_object(), "{status}");
    }
    assert!(document["components"]["schemas"]["Feedback"].is_object());
    for path in ["/predict_api", "/invocations", "/v2/models/{name}/infer"] {
        let ok = &document["paths"][path]["post"]["responses"]["200"];
        assert!(ok["headers"]["x-request-id"].is_object(), "{path}");
    }
    server.stop().await;
}
