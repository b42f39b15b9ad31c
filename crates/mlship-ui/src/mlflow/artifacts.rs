//! MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/...`): the
//! client uploads, lists and downloads a run's files through this server, so
//! it needs no access to where they are kept. Paths are
//! `EXPERIMENT_ID/RUN_ID/artifacts/PATH` (the run's `artifact_uri` is
//! `mlflow-artifacts:/EXPERIMENT_ID/RUN_ID/artifacts`); each part is checked
//! (the run exists, is in that experiment, PATH is a plain relative path) and
//! the file is reached only through the store's `ArtifactRoot`, which refuses
//! `..`, absolute paths and symbolic links.
//!
//! Uploads and downloads stream in 256 KB pieces: a file is never held whole
//! in memory. A download's sha256 is checked against the store's record in a
//! first pass over the file before the first byte is sent.

use super::{run_id, Answer, Fields, MlflowError};
use crate::SharedUi;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use mlship_track::mlflow::artifact_relative;
use mlship_track::paths::Persisted;
use serde_json::{json, Value};

/// The largest upload through the proxy (S3's limit for one PUT).
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024;
const PIECE: usize = 256 * 1024;

/// The proxy's routes (no body limit: uploads stream, bounded by `MAX_UPLOAD_BYTES`).
pub fn routes() -> Router<SharedUi> {
    Router::new()
        .route("/api/2.0/mlflow-artifacts/artifacts", get(list_proxied))
        .route("/api/2.0/mlflow-artifacts/artifacts/", get(list_proxied))
        .route("/api/2.0/mlflow-artifacts/artifacts/{*path}", get(download).put(upload))
}

/// `EXPERIMENT_ID/RUN_ID/artifacts[/PATH]` split and checked.
struct ProxiedPath {
    experiment_id: i64,
    run_id: String,
    path: String,
}

fn parse_proxied(text: &str) -> Result<ProxiedPath, MlflowError> {
    let text = text.trim_start_matches('/');
    let mut parts = text.splitn(4, '/');
    let (experiment, run, artifacts, path) = (parts.next(), parts.next(), parts.next(), parts.next().unwrap_or(""));
    match (experiment, run, artifacts) {
        (Some(experiment), Some(run), Some("artifacts")) => Ok(ProxiedPath {
            experiment_id: super::experiment_id(experiment)?,
            run_id: run_id(run)?,
            path: path.trim_end_matches('/').to_string(),
        }),
        _ => Err(MlflowError::invalid(format!(
            "Invalid artifact path {text:?}: EXPERIMENT_ID/RUN_ID/artifacts/PATH, as a run's artifact_uri gives"
        ))),
    }
}

fn checked_relative(run: &str, path: &str) -> Result<String, MlflowError> {
    if path.is_empty() {
        return Err(MlflowError::invalid("Invalid artifact path: a file name is needed"));
    }
    artifact_relative(run, path).map_err(MlflowError::from)
}

pub async fn upload(State(ui): State<SharedUi>, Path(path): Path<String>, body: Body) -> Response {
    match upload_inner(&ui, &path, body).await {
        Ok(()) => (StatusCode::OK, Json(json!({}))).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn upload_inner(ui: &SharedUi, path: &str, body: Body) -> Result<(), MlflowError> {
    let target = parse_proxied(path)?;
    ui.store.mlflow_artifact_run(Some(target.experiment_id), &target.run_id, true).await?;
    let relative = checked_relative(&target.run_id, &target.path)?;
    let mut file = ui.store.artifacts().create_new(&relative)?;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| MlflowError::invalid(format!("the upload was cut off: {e}")))?;
        if file.size() + piece.len() as u64 > MAX_UPLOAD_BYTES {
            return Err(MlflowError::invalid(format!(
                "the upload is larger than {MAX_UPLOAD_BYTES} bytes, the most one artifact may be"
            )));
        }
        file = tokio::task::spawn_blocking(move || file.write(&piece).map(|()| file))
            .await
            .map_err(MlflowError::internal)??;
    }
    let persisted = tokio::task::spawn_blocking(move || file.persist()).await.map_err(MlflowError::internal)?;
    let (sha, size) = match persisted? {
        Persisted::New { sha256, size } => (sha256, size),
        // A file already there: the same bytes again are a repeat (recorded if
        // its row was lost); other bytes would replace a stored file.
        Persisted::Exists { sha256: sha } => {
            let size = match ui.store.mlflow_artifact_sha(&target.run_id, &relative).await? {
                Some((recorded, size)) if recorded == sha => size,
                Some(_) => {
                    return Err(MlflowError::from(mlship_track::TrackError::AlreadyExists(format!(
                        "artifact {:?} already exists with other content; stored artifacts are never replaced (log it under another path)",
                        target.path
                    ))))
                }
                None => {
                    let root = ui.store.artifacts().clone();
                    let (rel, expected) = (relative.clone(), sha.clone());
                    let on_disk = tokio::task::spawn_blocking(move || {
                        root.open_verified(&rel, &expected).and_then(|f| {
                            f.metadata().map(|m| m.len() as i64).map_err(|e| mlship_track::TrackError::Io {
                                path: rel.clone(),
                                source: e,
                            })
                        })
                    })
                    .await
                    .map_err(MlflowError::internal)?;
                    on_disk.map_err(|_| {
                        MlflowError::from(mlship_track::TrackError::AlreadyExists(format!(
                            "artifact {:?} already exists with other content",
                            target.path
                        )))
                    })?
                }
            };
            ui.store.mlflow_record_artifact(&target.run_id, &relative, &sha, size).await?;
            return Ok(());
        }
    };
    if let Err(error) = ui.store.mlflow_record_artifact(&target.run_id, &relative, &sha, size as i64).await {
        // The row did not commit: the file it would have named goes too.
        ui.store.artifacts().remove(&relative);
        return Err(error.into());
    }
    Ok(())
}

pub async fn download(State(ui): State<SharedUi>, Path(path): Path<String>) -> Response {
    match download_inner(&ui, &path).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn download_inner(ui: &SharedUi, path: &str) -> Result<Response, MlflowError> {
    let target = parse_proxied(path)?;
    ui.store.mlflow_artifact_run(Some(target.experiment_id), &target.run_id, false).await?;
    let relative = checked_relative(&target.run_id, &target.path)?;
    let (sha, size) =
        ui.store.mlflow_artifact_sha(&target.run_id, &relative).await?.ok_or_else(|| {
            MlflowError::not_found(format!("Run '{}' has no artifact {:?}", target.run_id, target.path))
        })?;
    let root = ui.store.artifacts().clone();
    let file = tokio::task::spawn_blocking(move || root.open_verified(&relative, &sha))
        .await
        .map_err(MlflowError::internal)??;
    let stream = futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let read = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut buffer = vec![0u8; PIECE];
            let n = file.read(&mut buffer)?;
            buffer.truncate(n);
            Ok::<_, std::io::Error>((file, buffer))
        })
        .await;
        match read {
            Ok(Ok((_, buffer))) if buffer.is_empty() => None,
            Ok(Ok((file, buffer))) => Some((Ok(Bytes::from(buffer)), Some(file))),
            Ok(Err(error)) => Some((Err(error), None)),
            Err(join) => Some((Err(std::io::Error::other(join.to_string())), None)),
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(size.max(0) as u64));
    Ok(response)
}

fn entries_json(entries: &[mlship_track::mlflow::ArtifactEntry], basename: bool) -> Vec<Value> {
    entries
        .iter()
        .map(|entry| {
            let path = if basename { entry.path.rsplit('/').next().unwrap_or(&entry.path) } else { &entry.path };
            let mut value = json!({ "path": path, "is_dir": entry.is_dir });
            if let Some(size) = entry.file_size {
                value["file_size"] = json!(size);
            }
            value
        })
        .collect()
}

/// `GET /api/2.0/mlflow-artifacts/artifacts?path=EXP/RUN/artifacts[/DIR]`: base names, as MLflow's proxy answers.
pub async fn list_proxied(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let Some(path) = fields.text("path")?.filter(|p| !p.is_empty()) else {
        // The root of every experiment: nothing a client lists.
        return Ok(Json(json!({})));
    };
    let target = parse_proxied(path)?;
    ui.store.mlflow_artifact_run(Some(target.experiment_id), &target.run_id, false).await?;
    let entries = ui.store.mlflow_list_artifacts(&target.run_id, &target.path).await?;
    if entries.is_empty() {
        return Ok(Json(json!({})));
    }
    Ok(Json(json!({ "files": entries_json(&entries, true) })))
}

/// `GET /api/2.0/mlflow/artifacts/list?run_id=&path=`: paths relative to the run's root.
pub async fn list_run_artifacts(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let id = match fields.text("run_id")?.filter(|t| !t.is_empty()) {
        Some(text) => run_id(text)?,
        None => run_id(fields.required("run_uuid")?)?,
    };
    let info = ui.store.mlflow_artifact_run(None, &id, false).await?;
    let dir = fields.text("path")?.unwrap_or("");
    let entries = ui.store.mlflow_list_artifacts(&id, dir).await?;
    Ok(Json(json!({
        "root_uri": super::run_artifact_uri(info.experiment_id, &id),
        "files": entries_json(&entries, false),
    })))
}
