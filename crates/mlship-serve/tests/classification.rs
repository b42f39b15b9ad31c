//! A classifier served for real: every protocol answers the original labels,
//! probabilities where the protocol has room for them, the OpenAPI document
//! says so, and the form shows the class and its probability.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_artifact::{Artifact, CvMetrics, DataFingerprint, Metrics};
use mlship_data::{infer_kinds, CsvOptions, KindOverrides};
use mlship_learn::{evaluate, EvaluationInput, LabelEncoding, ModelSpec, PipelineSpec, SetupOptions, Task};
use mlship_serve::{Application, ServeConfig};
use serde_json::{json, Value};
use std::path::Path;

const CHURNER: &str =
    r#"{"tenure": 2, "monthly_charges": 110, "contract": "month-to-month", "partner": "no", "support_calls": 5}"#;
const LOYAL: &str =
    r#"{"tenure": 70, "monthly_charges": 20, "contract": "two year", "partner": "yes", "support_calls": 0}"#;

/// `lr` (or `model`) trained on the churn table PyCaret's fixture uses, saved as an artifact.
fn churn_artifact(dir: &Path, model: &str) -> std::path::PathBuf {
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../mlship-learn/tests/fixtures/classification/churn.csv");
    let mut loaded = mlship_data::read_path(Path::new(csv), &CsvOptions::default()).unwrap();
    let column = loaded.table.remove("churn").unwrap();
    let encoded = LabelEncoding::fit("churn", &column).unwrap();
    let kinds = infer_kinds(&mut loaded.table, &KindOverrides::default()).unwrap();
    let y: Vec<f64> = encoded.codes.iter().map(|&c| c as f64).collect();
    let options = SetupOptions { session_id: Some(123), fold: 3, ..SetupOptions::default() };
    let spec = PipelineSpec { options, model: ModelSpec::with_defaults(Task::Classification, model, 123).unwrap() };
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
        name: format!("churn_{model}"),
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
    let path = dir.join(format!("churn_{model}.mlship"));
    artifact.save(&path).unwrap();
    path
}

async fn serve(path: &Path) -> String {
    let app = Application::build(path, ServeConfig { port: 0, ..ServeConfig::default() }).await.unwrap();
    let address = app.local_addr();
    tokio::spawn(app.run_until_stopped(std::future::pending::<()>()));
    format!("http://{address}")
}

async fn post(url: String, content_type: &str, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_classifier_answers_labels_and_probabilities_on_every_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let base = serve(&churn_artifact(dir.path(), "lr")).await;

    let (status, label) = post(format!("{base}/predict_api"), "application/json", CHURNER).await;
    assert_eq!((status, label), (200, json!("yes")));

    let records = format!(r#"{{"dataframe_records": [{CHURNER}, {LOYAL}]}}"#);
    let (status, body) = post(format!("{base}/invocations"), "application/json", &records).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["predictions"], json!(["yes", "no"]));
    assert!(body.get("probabilities").is_none());
    let (_, body) = post(format!("{base}/invocations?probabilities=true"), "application/json", &records).await;
    assert_eq!(body["classes"], json!(["no", "yes"]));
    let rows = body["probabilities"].as_array().unwrap();
    let first: Vec<f64> = rows[0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(first[1] > 0.5 && (first[0] + first[1] - 1.0).abs() < 1e-12, "{first:?}");
    let (status, body) = post(format!("{base}/invocations?probabilities=maybe"), "application/json", &records).await;
    assert_eq!(status, 400, "{body}");

    let tensors = json!({"inputs": [
        {"name": "tenure", "shape": [2], "datatype": "FP64", "data": [2, 70]},
        {"name": "monthly_charges", "shape": [2], "datatype": "FP64", "data": [110, 20]},
        {"name": "contract", "shape": [2], "datatype": "BYTES", "data": ["month-to-month", "two year"]},
        {"name": "partner", "shape": [2], "datatype": "BYTES", "data": ["no", "yes"]},
        {"name": "support_calls", "shape": [2], "datatype": "FP64", "data": [5, 0]},
    ]});
    let infer = format!("{base}/v2/models/churn_lr/infer");
    let (status, body) = post(infer.clone(), "application/json", &tensors.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let outputs = body["outputs"].as_array().unwrap();
    assert_eq!(outputs[0]["name"], "predict");
    assert_eq!(outputs[0]["datatype"], "BYTES");
    assert_eq!(outputs[0]["data"], json!(["yes", "no"]));
    assert_eq!(outputs[1]["name"], "predict_proba");
    assert_eq!(outputs[1]["shape"], json!([2, 2]));
    assert_eq!(outputs[1]["data"].as_array().unwrap().len(), 4);
    let mut only_labels = tensors.clone();
    only_labels["outputs"] = json!([{"name": "predict"}]);
    let (_, body) = post(infer.clone(), "application/json", &only_labels.to_string()).await;
    assert_eq!(body["outputs"].as_array().unwrap().len(), 1);
    let mut unknown = tensors.clone();
    unknown["outputs"] = json!([{"name": "logits"}]);
    let (status, body) = post(infer, "application/json", &unknown.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("predict, predict_proba"), "{body}");

    let metadata: Value = reqwest::get(format!("{base}/v2/models/churn_lr")).await.unwrap().json().await.unwrap();
    assert_eq!(metadata["outputs"][1]["shape"], json!([-1, 2]));
    let openapi: Value = reqwest::get(format!("{base}/openapi.json")).await.unwrap().json().await.unwrap();
    let answer = &openapi["paths"]["/predict_api"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(answer["enum"], json!(["no", "yes"]), "{answer}");

    let form = reqwest::Client::new()
        .post(format!("{base}/predict"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("tenure=2&monthly_charges=110&contract=month-to-month&partner=no&support_calls=5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Predicted churn: yes (probability 0."), "{form}");
    assert!(form.contains("hold-out Accuracy 0."), "the footer shows the task's metrics");
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mlship_predicted_class_total{class=\"yes\"}"), "{metrics}");
}

#[tokio::test]
async fn a_classifier_without_probabilities_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let base = serve(&churn_artifact(dir.path(), "ridge")).await;
    let records = format!(r#"{{"dataframe_records": [{CHURNER}]}}"#);
    let (status, body) = post(format!("{base}/invocations?probabilities=true"), "application/json", &records).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("gives no probabilities"), "{body}");
    let metadata: Value = reqwest::get(format!("{base}/v2/models/churn_ridge")).await.unwrap().json().await.unwrap();
    assert_eq!(metadata["outputs"].as_array().unwrap().len(), 1, "{metadata}");
}
