//! `mlship inspect`: what a saved model is (its schema, the options it was
//! trained with, its metrics and the data it came from), for people or as JSON.

use crate::report::{metrics_header, metrics_row};
use anyhow::Result;
use clap::Args;
use mlship_artifact::Artifact;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The saved model (NAME.mlship), or a registry reference (NAME@ALIAS, NAME/VERSION)
    #[arg(value_name = "FILE|REF")]
    pub model: String,
    /// Print the whole artifact description as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let resolved = crate::track::resolve_model_arg(&args.model, &args.store)?;
    let artifact = Artifact::load(resolved.path())?;
    if args.json {
        let document = serde_json::json!({
            "name": artifact.name,
            "created_at": artifact.created_at,
            "mlship_version": artifact.mlship_version,
            "format_version": mlship_artifact::FORMAT_VERSION,
            "task": artifact.task,
            "model": {
                "id": artifact.spec.model.id(),
                "name": artifact.model_name,
                "class": artifact.spec.model.entry().map(|e| e.class).ok(),
                "family": artifact.spec.model.entry().map(|e| e.family).ok(),
                "params": artifact.spec.model.resolved_params().ok(),
                "spec": artifact.spec.model,
            },
            "target": artifact.pipeline.target,
            "classes": artifact.pipeline.labels.as_ref().map(|l| &l.classes),
            "probability_threshold": artifact.pipeline.probability_threshold,
            "session_id": artifact.session_id,
            "finalized": artifact.finalized,
            "options": artifact.spec.options,
            "schema": artifact.pipeline.schema,
            "features": artifact.pipeline.feature_names,
            "feature_importances": artifact.pipeline.model.feature_importances().map(|values| {
                artifact.pipeline.feature_names.iter().cloned().zip(values).collect::<std::collections::BTreeMap<_, _>>()
            }),
            "metrics": artifact.metrics,
            "data": artifact.data,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    println!(
        "{} · {} ({}) predicting \"{}\"",
        artifact.name,
        artifact.model_name,
        artifact.spec.model.id(),
        artifact.pipeline.target
    );
    println!(
        "created {} by mlship {} · session_id {}{}",
        artifact.created_at,
        artifact.mlship_version,
        artifact.session_id,
        if artifact.finalized { " · finalized on all rows" } else { " · fitted on the training split" }
    );
    println!(
        "data    {} · {} rows × {} columns · sha256 {}",
        artifact.data.source, artifact.data.n_rows, artifact.data.n_cols, artifact.data.sha256
    );
    if let Some(labels) = &artifact.pipeline.labels {
        let classes: Vec<String> = labels.classes.iter().map(ToString::to_string).collect();
        println!("classes {} ({})", classes.join(", "), classes.len());
    }
    println!("\ninput schema");
    for column in &artifact.pipeline.schema {
        let detail = match (&column.min, &column.max) {
            (Some(min), Some(max)) => format!("numeric, range {min} to {max}"),
            _ if matches!(column.kind, mlship_data::ColumnKind::Date { .. }) => {
                format!("date, {} distinct values", column.levels.len())
            }
            _ => format!("categorical: {}", column.levels.join(", ")),
        };
        println!(
            "  {:<20} {detail}{}",
            column.name,
            if column.n_missing > 0 { format!(" ({} missing in training)", column.n_missing) } else { String::new() }
        );
    }
    if let Ok(entry) = artifact.spec.model.entry() {
        println!("\nmodel   {} · {} ({})", entry.class, entry.family, entry.task.as_str());
    }
    if let Ok(params) = artifact.spec.model.resolved_params() {
        for (name, value) in &params {
            println!("  {name} = {value}");
        }
    }
    if !artifact.spec.model.estimators.is_empty() {
        let members: Vec<String> =
            artifact.spec.model.estimators.iter().map(|m| format!("{} ({})", m.display_name(), m.id())).collect();
        println!("  estimators = {}", members.join(", "));
    }
    println!("\noptions (non-default)");
    let defaults = serde_json::to_value(mlship_learn::SetupOptions::default())?;
    let options = serde_json::to_value(&artifact.spec.options)?;
    if let (Some(defaults), Some(options)) = (defaults.as_object(), options.as_object()) {
        for (key, value) in options {
            if defaults.get(key) != Some(value) {
                println!("  {key} = {value}");
            }
        }
    }
    println!("\n{} features into the model", artifact.pipeline.feature_names.len());
    if let Some(importances) = artifact.pipeline.model.feature_importances() {
        let mut ranked: Vec<(&String, f64)> = artifact.pipeline.feature_names.iter().zip(importances).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let kind = artifact.pipeline.model.importance_kind().unwrap_or("impurity-based");
        println!("feature importances ({kind}, largest first)");
        for (name, value) in ranked.iter().take(20) {
            println!("  {name:<30} {value:.4}");
        }
    }
    println!("\n{}", metrics_header("Metrics", artifact.metrics.holdout.task()));
    println!("{}", metrics_row("CV mean", &artifact.metrics.cv.mean));
    println!("{}", metrics_row("CV std", &artifact.metrics.cv.std));
    println!("{}", metrics_row("Hold-out", &artifact.metrics.holdout));
    Ok(())
}
