//! `mlship quickstart`: the seed example in one command. Trains the seed
//! pipeline on the bundled insurance data (as `mlship train` with the README's
//! flags), saves it, and serves it with the seed app's wording.

use crate::options::{ModelFlags, OptionFlags};
use crate::report;
use crate::train::{train, DataFlags, TrackingFlags, TrainArgs};
use anyhow::{anyhow, Result};
use clap::Args;
use std::path::Path;

#[derive(Args, Debug)]
pub struct QuickstartArgs {
    /// Name of the artifact to save
    #[arg(long, default_value = "deployment_28042020")]
    pub save: String,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
    /// Train and save only; do not serve
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub server: crate::serve::ServerFlags,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

pub fn run(args: QuickstartArgs) -> Result<()> {
    let train_args = TrainArgs {
        input: DataFlags {
            data: "insurance".to_string(),
            target: Some("charges".to_string()),
            delimiter: ",".to_string(),
            task: None,
        },
        options: OptionFlags {
            session_id: Some(123),
            normalize: true,
            polynomial_features: true,
            bin_numeric_features: Some(vec!["age".to_string(), "bmi".to_string()]),
            ..OptionFlags::default()
        },
        model: ModelFlags { model: Some("lr".to_string()), ..ModelFlags::default() },
        save: Some(args.save.clone()),
        finalize: false,
        json: args.json,
        tracking: TrackingFlags { store: args.store.clone(), ..TrackingFlags::default_store() },
    };
    let outcome = train(&train_args)?;
    report::print_train(&outcome.report, args.json)?;
    let path = outcome.artifact.ok_or_else(|| anyhow!("quickstart saves its model"))?;
    if args.no_serve {
        if !args.json {
            println!();
            println!("Next: mlship serve --model {path}");
        }
        return Ok(());
    }
    println!();
    // The seed app's wording: "Expected Bill will be …".
    let mut server = args.server;
    server.label.get_or_insert_with(|| "Bill".to_string());
    crate::serve::serve_file(Path::new(&path), &server)
}
