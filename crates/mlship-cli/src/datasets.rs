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
            .map(|d| serde_json::json!({"name": d.name, "target": d.default_target, "description": d.description}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for dataset in datasets::BUNDLED {
        println!("{:<12} target {:<10} {}", dataset.name, dataset.default_target, dataset.description);
    }
    Ok(())
}
