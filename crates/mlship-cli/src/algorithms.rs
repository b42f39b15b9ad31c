//! `mlship algorithms`: PyCaret's `models()` — every model id mlship can fit,
//! the library class whose algorithm and defaults it reproduces, whether
//! `compare` runs it by default, and (for one id) its hyperparameters with
//! scikit-learn's names, defaults and allowed values. Read from the model
//! table, so the list is never out of date.

use anyhow::Result;
use clap::Args;
use mlship_learn::{find_model, models_for, ModelEntry, Task};

#[derive(Args, Debug)]
pub struct AlgorithmsArgs {
    /// Show one model's hyperparameters
    pub id: Option<String>,
    /// regression or classification (PyCaret's module); default regression
    #[arg(long, default_value = "regression", value_parser = crate::train::parse_task)]
    pub task: Task,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

fn entry_json(entry: &ModelEntry) -> serde_json::Value {
    let params: Vec<serde_json::Value> = entry
        .params
        .iter()
        .map(|p| serde_json::json!({"name": p.name, "default": p.default_text(), "allowed": p.allowed(), "help": p.help}))
        .collect();
    serde_json::json!({
        "id": entry.id, "Name": entry.name, "Reference": entry.class, "family": entry.family,
        "task": entry.task.as_str(), "Turbo": entry.turbo, "randomised": entry.randomised, "params": params,
    })
}

pub fn run(args: AlgorithmsArgs) -> Result<()> {
    let task = args.task;
    let entries: Vec<&ModelEntry> = match &args.id {
        Some(id) => vec![find_model(task, id)?],
        None => models_for(task).collect(),
    };
    if args.json {
        let list: Vec<serde_json::Value> = entries.iter().map(|e| entry_json(e)).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if let [entry] = entries.as_slice() {
        if args.id.is_some() {
            println!(
                "{} ({}) · {} · {}",
                entry.name,
                entry.id,
                entry.class,
                if entry.turbo { "turbo" } else { "not turbo" }
            );
            for param in entry.params {
                println!(
                    "  {:<22} default {:<12} {} ({})",
                    param.name,
                    param.default_text(),
                    param.help,
                    param.allowed()
                );
            }
            if entry.params.is_empty() {
                println!("  no hyperparameters");
            }
            return Ok(());
        }
    }
    println!("{:<10}{:<34}{:<48}Turbo", "ID", "Name", "Reference");
    for entry in entries {
        println!("{:<10}{:<34}{:<48}{}", entry.id, entry.name, entry.class, entry.turbo);
    }
    Ok(())
}
