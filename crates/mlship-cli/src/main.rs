//! The `mlship` binary: parses arguments, runs one command, prints one clear
//! line on failure and sets the exit code (0 ok, 1 failure, 2 usage, 3 drift
//! under `monitor --fail-on-drift`). The only crate that reads argv or exits.

// Printing is this crate's job; the libraries return values instead.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod algorithms;
mod class_plots;
mod compare;
mod datasets;
mod diagnostics;
mod ensemble;
mod explain;
mod explain_plots;
mod inspect;
mod monitor;
mod options;
mod predict;
mod quickstart;
mod report;
mod serve;
mod ship;
mod track;
mod train;
mod tune;
mod ui;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "mlship", version, about = "From a table to a tracked, served prediction service, in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a pipeline: cross-validate, score the hold-out, save the artifact
    #[command(
        after_help = "Example:\n  mlship train --data insurance --target charges --session-id 123 \\\n      --normalize --polynomial-features --bin-numeric-features age,bmi \\\n      --model lr --save deployment_28042020"
    )]
    Train(Box<train::TrainArgs>),
    /// The models mlship can fit (PyCaret's models()), and one model's hyperparameters
    #[command(after_help = "Examples:\n  mlship algorithms\n  mlship algorithms knn --json")]
    Algorithms(algorithms::AlgorithmsArgs),
    /// Compare every model on the same folds, ranked in one leaderboard (PyCaret's compare_models)
    #[command(
        after_help = "Examples:\n  mlship compare --data insurance --target charges --session-id 123\n  mlship compare --data insurance --include lr,ridge,knn --sort MAE --n-select 2 --save best --json"
    )]
    Compare(Box<compare::CompareArgs>),
    /// Tune a model's hyperparameters on CV: PyCaret's search space, random or grid (PyCaret's tune_model)
    #[command(
        after_help = "Examples:\n  mlship tune --data insurance --target charges --session-id 123 --model rf\n  mlship tune --data iris --model knn --custom-grid grid.toml --search grid --optimize F1 --choose-better --save knn_tuned --json"
    )]
    Tune(Box<tune::TuneArgs>),
    /// Blend models into one: the mean of their predictions, or a soft/hard vote (PyCaret's blend_models)
    #[command(
        after_help = "Examples:\n  mlship blend --data insurance --target charges --include lr,ridge,knn --weights 1,2,1 --save blended\n  mlship blend --data iris --from-run 3f9c --n-select 3 --method soft"
    )]
    Blend(Box<ensemble::BlendArgs>),
    /// Stack models: a meta-model learns from their out-of-fold predictions (PyCaret's stack_models)
    #[command(
        after_help = "Example:\n  mlship stack --data iris --include lr,knn,dt --meta-model lr --restack --save stacked"
    )]
    Stack(Box<ensemble::StackArgs>),
    /// Calibrate a classifier's probabilities, sigmoid or isotonic (PyCaret's calibrate_model)
    #[command(
        after_help = "Example:\n  mlship calibrate --data breast_cancer --model nb --method isotonic --save calibrated"
    )]
    Calibrate(Box<ensemble::CalibrateArgs>),
    /// Score a CSV file with a saved model, streaming, and append `prediction_label`
    #[command(
        after_help = "Example:\n  mlship predict --model deployment_28042020.mlship --data new.csv --out scored.csv"
    )]
    Predict(predict::PredictArgs),
    /// Explain a model's predictions: SHAP values per input column, permutation importance, plots
    #[command(
        after_help = "Examples:\n  mlship explain insurance.mlship --data insurance.csv --rows 500 --plots plots\n  mlship explain insurance.mlship --data new.csv --method permutation --json"
    )]
    Explain(explain::ExplainArgs),
    /// Show a saved model: schema, options, metrics, data fingerprint
    #[command(after_help = "Example:\n  mlship inspect deployment_28042020.mlship")]
    Inspect(inspect::InspectArgs),
    /// List the bundled datasets (usable as `--data NAME`)
    #[command(after_help = "Example:\n  mlship datasets")]
    Datasets(datasets::DatasetsArgs),
    /// Serve a model: web form, /predict_api, MLflow /invocations, KServe V2, OpenAPI, metrics
    #[command(after_help = "Example:\n  mlship serve --model deployment_28042020.mlship --port 5000")]
    Serve(serve::ServeArgs),
    /// Build container images of a model
    #[command(subcommand)]
    Image(ship::ImageCommand),
    /// Print deployment manifests (Kubernetes, compose)
    #[command(subcommand)]
    Deploy(ship::DeployCommand),
    /// Exit 0 when the server answers its health check (the image's probe)
    #[command(after_help = "Example:\n  mlship healthcheck --url http://127.0.0.1:5000/healthz")]
    Healthcheck(ship::HealthcheckArgs),
    /// Experiments in the tracking store
    #[command(subcommand)]
    Experiments(track::ExperimentsCommand),
    /// Runs recorded by `train`: list, show, compare
    #[command(subcommand)]
    Runs(track::RunsCommand),
    /// The model registry: register versions, move aliases
    #[command(subcommand)]
    Models(track::ModelsCommand),
    /// Compare current data with what the model was trained on: drift per column, predictions, performance
    #[command(
        after_help = "Examples:\n  mlship monitor --model insurance.mlship --data this_week.csv\n  mlship monitor --model insurance@production --data batch.parquet --stattest age=wasserstein --fail-on-drift --json"
    )]
    Monitor(Box<monitor::MonitorArgs>),
    /// The tracking UI and its JSON API (experiments, runs, compare, registry)
    #[command(after_help = "Example:\n  mlship ui --port 5001")]
    Ui(ui::UiArgs),
    /// Train the seed pipeline on the bundled insurance data, save it and serve it
    #[command(after_help = "Example:\n  mlship quickstart")]
    Quickstart(quickstart::QuickstartArgs),
}

/// Listing commands end quietly when their reader goes away (`mlship runs list | head`)
/// instead of panicking on a broken pipe; the servers keep Rust's default (ignored
/// SIGPIPE, so a closed socket is an error to handle, not a reason to die).
#[allow(unsafe_code, reason = "libc::signal has no safe wrapper; the workspace's only unsafe")]
fn exit_quietly_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The error and its causes on one line. Library errors show their cause in
/// their own message and also keep it as `source()`, so a cause whose text
/// is already on the line is not printed again.
pub(crate) fn error_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Experiments(_)
            | Command::Runs(_)
            | Command::Models(_)
            | Command::Datasets(_)
            | Command::Inspect(_)
            | Command::Explain(_)
    ) {
        exit_quietly_on_broken_pipe();
    }
    let result = match cli.command {
        Command::Train(args) => train::run(*args),
        Command::Algorithms(args) => algorithms::run(args),
        Command::Compare(args) => compare::run(*args),
        Command::Tune(args) => tune::run(*args),
        Command::Blend(args) => ensemble::blend(*args),
        Command::Stack(args) => ensemble::stack(*args),
        Command::Calibrate(args) => ensemble::calibrate(*args),
        Command::Predict(args) => predict::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Datasets(args) => datasets::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Image(command) => ship::image(command),
        Command::Deploy(command) => ship::deploy(command),
        Command::Healthcheck(args) => ship::healthcheck(args),
        Command::Quickstart(args) => quickstart::run(args),
        Command::Experiments(command) => track::experiments(command),
        Command::Runs(command) => track::runs(command),
        Command::Models(command) => track::models(command),
        Command::Ui(args) => ui::run(args),
        Command::Monitor(args) => match monitor::run(*args) {
            // The report is written and printed; the status says the data set drifted.
            Ok(true) => return ExitCode::from(monitor::DRIFT_EXIT_CODE),
            Ok(false) => Ok(()),
            Err(error) => Err(error),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_line(&error));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::error_line;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let data = mlship_data::DataError::Io { path: "x.csv".into(), source: io };
        let error = anyhow::Error::new(data).context("loading the data");
        assert_eq!(error_line(&error), "loading the data: x.csv: permission denied");
        let plain = anyhow::anyhow!("outer").context("context");
        assert_eq!(error_line(&plain), "context: outer");
    }
}
