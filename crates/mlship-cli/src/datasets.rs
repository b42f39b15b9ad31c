//! `mlship datasets`: the tables bundled in the binary, usable as `--data NAME`.

use anyhow::Result;
use clap::Args;
use mlship_data::datasets;

#[derive(Args, Debug)]
pub struct DatasetsArgs {
    /// Print the list as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DatasetsArgs) -> Result<()> {
    if args.json {
        let list: Vec<serde_json::Value> = datasets::BUNDLED
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name,
                    "target": d.default_target,
                    "task": d.task,
                    "description": d.description,
                    "source": d.source,
                    "license": d.license,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for dataset in datasets::BUNDLED {
        println!(
            "{:<14} {:<14} target {:<8} {}",
            dataset.name, dataset.task, dataset.default_target, dataset.description
        );
    }
    Ok(())
}
