//! The model registry's MLflow calls on mlship's registry: registered models,
//! versions (from a run's logged files), aliases.
//!
//! A version's `source` must name files of a run in this store
//! (`runs:/RUN_ID/PATH` or this server's `mlflow-artifacts:/EXP/RUN_ID/artifacts/PATH`);
//! a local path, `file://`, `http://` or any other scheme is refused, so a
//! version can never point outside the artifact root (MLflow's CVEs with
//! absolute and `file://` sources). A version whose source is an mlship model
//! file serves with `mlship serve NAME@ALIAS`; others are listed for MLflow's
//! clients only.

use super::{experiment_id, max_results, page_offset, page_token, run_id, Answer, Fields, MlflowError};
use crate::guard::Caller;
use crate::SharedUi;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use mlship_track::filter::{Op, Scope, Value as FilterValue};
use mlship_track::{ModelDetail, ModelRef, ModelSource, ModelVersion};
use serde_json::{json, Value};

fn version_json(version: &ModelVersion) -> Value {
    json!({
        "name": version.model,
        "version": version.version.to_string(),
        "creation_timestamp": version.created_at,
        "last_updated_timestamp": version.created_at,
        "user_id": version.created_by,
        "current_stage": "None",
        "description": "",
        "source": version.source,
        "run_id": version.run_id.clone().unwrap_or_default(),
        "status": "READY",
        "tags": [],
        "aliases": version.aliases,
    })
}

fn model_json(model: &ModelDetail) -> Value {
    let aliases: Vec<Value> = model
        .versions
        .iter()
        .flat_map(|v| v.aliases.iter().map(move |a| json!({ "alias": a, "version": v.version.to_string() })))
        .collect();
    let updated = model.versions.iter().map(|v| v.created_at).max().unwrap_or(model.created_at);
    json!({
        "name": model.name,
        "creation_timestamp": model.created_at,
        "last_updated_timestamp": updated,
        "user_id": model.created_by,
        "description": "",
        "latest_versions": model.versions.last().map(version_json).into_iter().collect::<Vec<_>>(),
        "aliases": aliases,
        "tags": [],
    })
}

pub async fn create_registered_model(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Answer {
    let fields = Fields::from_body(&body)?;
    let name = fields.required("name")?;
    ui.store.mlflow_create_registered_model(name, &caller.0).await?;
    let model = ui.store.model(name).await?;
    Ok(Json(json!({ "registered_model": model_json(&model) })))
}

pub async fn get_registered_model(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let model = ui.store.model(fields.required("name")?).await?;
    Ok(Json(json!({ "registered_model": model_json(&model) })))
}

/// A version's source as a run and a path inside its artifacts.
fn source_in_store(source: &str) -> Result<(String, String), MlflowError> {
    let refused = || {
        MlflowError::invalid(format!(
            "Invalid model version source {source:?}: give runs:/RUN_ID/PATH or this server's mlflow-artifacts:/EXPERIMENT_ID/RUN_ID/artifacts/PATH; local paths, file://, http:// and other locations are refused"
        ))
    };
    if let Some(rest) = source.strip_prefix("runs:/") {
        let rest = rest.trim_start_matches('/');
        let (run, path) = rest.split_once('/').unwrap_or((rest, ""));
        return Ok((run_id(run)?, path.to_string()));
    }
    if let Some(rest) = source.strip_prefix("mlflow-artifacts:") {
        // `mlflow-artifacts://host/...` names another server.
        if rest.starts_with("//") {
            return Err(refused());
        }
        let rest = rest.trim_start_matches('/');
        let mut parts = rest.splitn(4, '/');
        if let (Some(experiment), Some(run), Some("artifacts")) = (parts.next(), parts.next(), parts.next()) {
            experiment_id(experiment)?;
            return Ok((run_id(run)?, parts.next().unwrap_or("").to_string()));
        }
    }
    Err(refused())
}

pub async fn create_model_version(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Answer {
    let fields = Fields::from_body(&body)?;
    let name = fields.required("name")?;
    let source = fields.required("source")?;
    let (run, path) = source_in_store(source)?;
    if let Some(given) = fields.text("run_id")?.filter(|r| !r.is_empty()) {
        if run_id(given)? != run {
            return Err(MlflowError::invalid(format!(
                "Invalid value {given:?} for parameter 'run_id': the source {source:?} is a file of run {run}"
            )));
        }
    }
    ui.store.model(name).await?;
    let source = ModelSource::RunPath { run, path, source: source.to_string() };
    let version = ui.store.register_by(name, &source, None, &caller.0).await?;
    Ok(Json(json!({ "model_version": version_json(&version) })))
}

fn version_number(fields: &Fields) -> Result<i64, MlflowError> {
    let text = fields.required("version")?;
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| MlflowError::invalid(format!("Invalid value {text:?} for parameter 'version': 1, 2, 3 …")))
}

pub async fn get_model_version(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let reference = ModelRef::Version { name: fields.required("name")?.to_string(), version: version_number(&fields)? };
    let version = ui.store.resolve(&reference).await?;
    Ok(Json(json!({ "model_version": version_json(&version) })))
}

pub async fn get_download_uri(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let reference = ModelRef::Version { name: fields.required("name")?.to_string(), version: version_number(&fields)? };
    let version = ui.store.resolve(&reference).await?;
    Ok(Json(json!({ "artifact_uri": version.source })))
}

pub async fn set_alias(State(ui): State<SharedUi>, Extension(caller): Extension<Caller>, body: Bytes) -> Answer {
    let fields = Fields::from_body(&body)?;
    let (name, alias) = (fields.required("name")?, fields.required("alias")?);
    ui.store.set_alias_by(name, alias, version_number(&fields)?, &caller.0).await?;
    super::empty()
}

pub async fn get_by_alias(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let alias = mlship_track::parse_alias(fields.required("alias")?)?;
    let reference = ModelRef::Alias { name: fields.required("name")?.to_string(), alias };
    let version = ui.store.resolve(&reference).await?;
    Ok(Json(json!({ "model_version": version_json(&version) })))
}

pub async fn delete_alias(
    State(ui): State<SharedUi>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Answer {
    let fields = match Fields::from_body(&body)? {
        fields if fields.0.is_empty() => Fields::from_query(raw.as_deref())?,
        fields => fields,
    };
    ui.store.delete_alias_by(fields.required("name")?, fields.required("alias")?, &caller.0).await?;
    super::empty()
}

/// `name = 'x'`, `name LIKE 'x%'`, `run_id = '…'` (and `!=`, `ILIKE`), joined by `and`.
fn version_matches(version: &ModelVersion, clauses: &[mlship_track::filter::Clause]) -> Result<bool, MlflowError> {
    for clause in clauses {
        let actual = match &clause.scope {
            Scope::Attribute("name") => version.model.clone(),
            Scope::Attribute("id") => version.run_id.clone().unwrap_or_default(),
            _ => {
                return Err(MlflowError::invalid(format!(
                    "Invalid model version filter on {:?}: filter by name or run_id",
                    clause.key
                )))
            }
        };
        let FilterValue::Text(wanted) = &clause.value else {
            return Err(MlflowError::invalid(format!("Invalid filter value for {:?}: a quoted string", clause.key)));
        };
        let ok = match clause.op {
            Op::Eq => &actual == wanted,
            Op::Ne => &actual != wanted,
            Op::Like => like(&actual, wanted),
            Op::ILike => like(&actual.to_lowercase(), &wanted.to_lowercase()),
            _ => return Err(MlflowError::invalid("model versions filter with =, !=, LIKE or ILIKE")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// SQL's LIKE: `%` any run of characters, `_` one character.
fn like(text: &str, pattern: &str) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    let mut reach = vec![false; t.len() + 1];
    reach[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        for i in 0..=t.len() {
            if !reach[i] {
                continue;
            }
            match pc {
                '%' => {
                    for slot in next.iter_mut().skip(i) {
                        *slot = true;
                    }
                }
                '_' if i < t.len() => next[i + 1] = true,
                c if i < t.len() && t[i] == c => next[i + 1] = true,
                _ => {}
            }
        }
        reach = next;
    }
    reach[t.len()]
}

pub async fn search_model_versions(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Answer {
    let fields = Fields::from_query(raw.as_deref())?;
    let max = max_results(&fields, 10_000, 200_000)?;
    let offset = page_offset(fields.text("page_token")?)?;
    let clauses = match fields.text("filter")?.filter(|f| !f.trim().is_empty()) {
        Some(filter) => mlship_track::filter::parse_filter(filter)?,
        None => Vec::new(),
    };
    // One model when the filter names it exactly; every model otherwise.
    let names: Vec<String> = match clauses.iter().find(|c| c.scope == Scope::Attribute("name") && c.op == Op::Eq) {
        Some(mlship_track::filter::Clause { value: FilterValue::Text(name), .. }) => vec![name.clone()],
        _ => ui.store.models().await?.into_iter().map(|m| m.name).collect(),
    };
    let mut versions = Vec::new();
    for name in names {
        let model = match ui.store.model(&name).await {
            Ok(model) => model,
            Err(mlship_track::TrackError::NotFound(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        for version in model.versions {
            if version_matches(&version, &clauses)? {
                versions.push(version);
            }
        }
    }
    // Newest first within a model, as MLflow orders by default.
    versions.sort_by(|a, b| a.model.cmp(&b.model).then(b.version.cmp(&a.version)));
    let page: Vec<Value> = versions.iter().skip(offset).take(max).map(version_json).collect();
    let mut answer = json!({ "model_versions": page });
    if versions.len() > offset + max {
        answer["next_page_token"] = json!(page_token(Some(offset + max)));
    }
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("insurance", "ins%") && like("insurance", "%ance") && like("abc", "a_c") && like("", "%"));
        assert!(!like("insurance", "ins") && !like("abc", "a_") && !like("abc", "%d%"));
    }

    #[test]
    fn sources_must_be_files_of_a_run_here() {
        let run = "0123456789abcdef0123456789abcdef";
        assert_eq!(source_in_store(&format!("runs:/{run}/model")).unwrap(), (run.to_string(), "model".to_string()));
        assert_eq!(
            source_in_store(&format!("mlflow-artifacts:/3/{run}/artifacts/model/model.mlship")).unwrap(),
            (run.to_string(), "model/model.mlship".to_string())
        );
        for bad in [
            "/etc/passwd".to_string(),
            "file:///etc/passwd".to_string(),
            "http://evil.example/model".to_string(),
            format!("mlflow-artifacts://other-host/1/{run}/artifacts/m"),
            "models:/m-123".to_string(),
            "runs:/../../etc/model".to_string(),
            "s3://bucket/model".to_string(),
        ] {
            assert!(source_in_store(&bad).is_err(), "{bad}");
        }
    }
}
