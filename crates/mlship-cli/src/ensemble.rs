//! `mlship blend`, `mlship stack` and `mlship calibrate`: PyCaret's
//! `blend_models`, `stack_models` and `calibrate_model` (one classifier,
//! `--model` as `train` takes it). The members come from `--include` (ids with their
//! defaults, as `compare` runs them) or from `--from-run`, the top
//! `--n-select` models of a recorded `compare` (its leaderboard.json), so
//! `compare` then `blend` reads naturally. The ensemble is then trained
//! exactly as `train` trains a model (same data and option flags, PyCaret's
//! CV table, hold-out, `--save`, tracking): it is one model spec with members.

use crate::options::{ModelFlags, OptionFlags};
use crate::train::{DataFlags, TrackingFlags, TrainArgs};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use mlship_learn::params::parse_param_text;
use mlship_learn::{ModelSpec, ParamValue};

/// Where the members come from (shared by blend and stack).
#[derive(Args, Debug)]
pub struct MemberFlags {
    /// The members' model ids, comma-separated (e.g. lr,ridge,knn), each with its defaults
    #[arg(long, value_name = "IDS", conflicts_with = "from_run")]
    pub include: Option<String>,
    /// The top --n-select models of a recorded `compare` run (its id or a unique prefix)
    #[arg(long, value_name = "RUN_ID")]
    pub from_run: Option<String>,
    /// How many of the compare run's best models --from-run takes
    #[arg(long, default_value_t = 3, requires = "from_run")]
    pub n_select: usize,
    /// A hyperparameter of one --include member, ID.NAME=VALUE (repeatable), e.g. --param knn.n_neighbors=7
    #[arg(long = "param", value_name = "ID.NAME=VALUE", value_parser = crate::compare::parse_model_param)]
    pub params: Vec<(String, String, ParamValue)>,
}

/// A member's id and the parameters it is given (the rest take their defaults).
type Member = (String, Vec<(String, ParamValue)>);

#[derive(Args, Debug)]
pub struct BlendArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    #[command(flatten)]
    pub members: MemberFlags,
    /// One weight per member, comma-separated (e.g. 1,2,1); uniform by default
    #[arg(long, value_name = "W1,W2,…")]
    pub weights: Option<String>,
    /// Classification: soft (mean probabilities), hard (majority vote) or auto (soft when every member has
    /// probabilities)
    #[arg(long, value_enum)]
    pub method: Option<BlendMethod>,
    #[command(flatten)]
    pub output: OutputFlags,
}

#[derive(Args, Debug)]
pub struct StackArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    #[command(flatten)]
    pub members: MemberFlags,
    /// The final estimator's model id (default lr)
    #[arg(long, value_name = "ID")]
    pub meta_model: Option<String>,
    /// Folds of the out-of-fold predictions the final estimator learns from
    #[arg(long, value_name = "N")]
    pub meta_model_fold: Option<i64>,
    /// Also give the final estimator the input features
    #[arg(long)]
    pub restack: bool,
    /// Classification: what each member gives the final estimator
    #[arg(long, value_enum)]
    pub method: Option<StackMethod>,
    #[command(flatten)]
    pub output: OutputFlags,
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub input: DataFlags,
    #[command(flatten)]
    pub options: OptionFlags,
    /// The classifier to calibrate (--model ID, --param NAME=VALUE, or the config's [model] table)
    #[command(flatten)]
    pub model: ModelFlags,
    /// sigmoid (Platt) or isotonic
    #[arg(long, value_enum)]
    pub method: Option<CalibrateMethod>,
    /// Folds: each fits the model on its training rows and a calibrator on the rest
    #[arg(long, value_name = "N")]
    pub calibrate_fold: Option<i64>,
    #[command(flatten)]
    pub output: OutputFlags,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum CalibrateMethod {
    Sigmoid,
    Isotonic,
}

/// Saving, output and tracking, as `train` has them.
#[derive(Args, Debug)]
pub struct OutputFlags {
    /// Save the fitted ensemble as NAME.mlship
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Refit the saved ensemble on every row, as PyCaret's finalize_model
    #[arg(long)]
    pub finalize: bool,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tracking: TrackingFlags,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum BlendMethod {
    Auto,
    Soft,
    Hard,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
#[value(rename_all = "snake_case")]
pub enum StackMethod {
    Auto,
    PredictProba,
    DecisionFunction,
    Predict,
}

pub fn blend(args: BlendArgs) -> Result<()> {
    let mut given = Vec::new();
    if let Some(text) = &args.weights {
        given.push(("weights".to_string(), weights(text)?));
    }
    if let Some(method) = args.method {
        let word = format!("{method:?}").to_lowercase();
        given.push(("method".to_string(), ParamValue::Str(word)));
    }
    run("blend", args.input, args.options, &args.members, given, args.output)
}

pub fn stack(args: StackArgs) -> Result<()> {
    let mut given = Vec::new();
    if let Some(id) = &args.meta_model {
        given.push(("meta_model".to_string(), ParamValue::Str(id.clone())));
    }
    if let Some(folds) = args.meta_model_fold {
        given.push(("meta_model_fold".to_string(), ParamValue::Int(folds)));
    }
    if args.restack {
        given.push(("restack".to_string(), ParamValue::Bool(true)));
    }
    if let Some(method) = args.method {
        let word = match method {
            StackMethod::Auto => "auto",
            StackMethod::PredictProba => "predict_proba",
            StackMethod::DecisionFunction => "decision_function",
            StackMethod::Predict => "predict",
        };
        given.push(("method".to_string(), ParamValue::Str(word.to_string())));
    }
    run("stack", args.input, args.options, &args.members, given, args.output)
}

pub fn calibrate(args: CalibrateArgs) -> Result<()> {
    let mut given = Vec::new();
    if let Some(method) = args.method {
        given.push(("method".to_string(), ParamValue::Str(format!("{method:?}").to_lowercase())));
    }
    if let Some(folds) = args.calibrate_fold {
        given.push(("calibrate_fold".to_string(), ParamValue::Int(folds)));
    }
    let output = args.output;
    let json = output.json;
    let model = args.model;
    let train_args = TrainArgs {
        input: args.input,
        options: args.options,
        model: ModelFlags { model: None, params: Vec::new(), alpha: None, l1_ratio: None },
        save: output.save,
        finalize: output.finalize,
        json,
        tracking: output.tracking,
    };
    let outcome = crate::train::train_with(&train_args, |extras, seed, task| {
        let member = model.resolve(extras, seed, task)?;
        Ok(ModelSpec::ensemble(task, "calibrate", &given, seed, vec![member])?)
    })?;
    crate::report::print_train(&outcome.report, json)
}

/// `--weights 1,2,0.5`: numbers, one per member (checked against the members later).
fn weights(text: &str) -> Result<ParamValue> {
    let numbers: Result<Vec<f64>, _> = text.split(',').map(|part| part.trim().parse::<f64>()).collect();
    match numbers {
        Ok(numbers) if !numbers.is_empty() => Ok(ParamValue::FloatList(numbers)),
        _ => bail!("invalid option: --weights must be numbers separated by commas (e.g. 1,2,1), got \"{text}\""),
    }
}

fn run(
    id: &str,
    input: DataFlags,
    options: OptionFlags,
    members: &MemberFlags,
    given: Vec<(String, ParamValue)>,
    output: OutputFlags,
) -> Result<()> {
    let member_ids = member_ids(members, &output.tracking)?;
    let json = output.json;
    let train_args = TrainArgs {
        input,
        options,
        model: ModelFlags { model: None, params: Vec::new(), alpha: None, l1_ratio: None },
        save: output.save,
        finalize: output.finalize,
        json,
        tracking: output.tracking,
    };
    let outcome = crate::train::train_with(&train_args, |_extras, seed, task| {
        let estimators = member_ids
            .iter()
            .map(|(member, given)| ModelSpec::new(task, member, given, seed).map_err(|e| anyhow!("--include: {e}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(ModelSpec::ensemble(task, id, &given, seed, estimators)?)
    })?;
    crate::report::print_train(&outcome.report, json)
}

/// The members: `--include` with `--param`, or the best of a compare run
/// with the parameters that run recorded for each.
fn member_ids(members: &MemberFlags, tracking: &TrackingFlags) -> Result<Vec<Member>> {
    match (&members.include, &members.from_run) {
        (Some(text), _) => {
            let ids: Vec<String> =
                text.split(',').map(|id| id.trim().to_string()).filter(|id| !id.is_empty()).collect();
            if ids.is_empty() {
                bail!("invalid option: --include names no model");
            }
            if let Some((id, name, _)) = members.params.iter().find(|(id, _, _)| !ids.contains(id)) {
                bail!("invalid option: --param {id}.{name}: \"{id}\" is not in --include");
            }
            Ok(ids
                .into_iter()
                .map(|id| {
                    let given =
                        members.params.iter().filter(|(m, _, _)| *m == id).map(|(_, n, v)| (n.clone(), v.clone()));
                    let given = given.collect();
                    (id, given)
                })
                .collect())
        }
        (None, Some(_)) if !members.params.is_empty() => {
            bail!("invalid option: --param sets --include members; --from-run takes the compare run's parameters")
        }
        (None, Some(run)) => compare_run_members(run, members.n_select, tracking),
        (None, None) => bail!("name the members: --include lr,ridge,knn, or --from-run RUN_ID of a compare run"),
    }
}

/// The `n_select` best models of a recorded compare run, from its
/// leaderboard.json (already best first; failed models skipped), each with
/// the parameters its child run recorded (`model.NAME`).
fn compare_run_members(run: &str, n_select: usize, tracking: &TrackingFlags) -> Result<Vec<Member>> {
    if n_select == 0 {
        bail!("invalid option: --n-select must be at least 1");
    }
    let runtime = crate::track::runtime()?;
    let store = tracking.store.open(&runtime)?;
    let bytes = runtime.block_on(async {
        let detail = store.run(run).await?;
        let path = format!("runs/{}/leaderboard.json", detail.run.id);
        store.run_file(&detail.run.id, &path).await.map(|(_, bytes)| bytes)
    });
    let bytes = bytes.with_context(|| format!("--from-run {run}: not a compare run (no leaderboard.json)"))?;
    let board: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("--from-run {run}: leaderboard.json"))?;
    let chosen: Vec<(String, Option<String>)> = board["models"]
        .as_array()
        .map(|models| {
            models
                .iter()
                .filter(|model| !model["mean"].is_null())
                .filter_map(|model| {
                    let id = model["id"].as_str()?.to_string();
                    Some((id, model["run_id"].as_str().map(str::to_string)))
                })
                .take(n_select)
                .collect()
        })
        .unwrap_or_default();
    if chosen.is_empty() {
        bail!("--from-run {run}: the compare run has no scored model");
    }
    chosen
        .into_iter()
        .map(|(id, child)| {
            let Some(child) = child else { return Ok((id, Vec::new())) };
            let detail =
                runtime.block_on(store.run(&child)).with_context(|| format!("--from-run {run}: model {id}"))?;
            let given = detail
                .run
                .params
                .iter()
                .filter_map(|(key, value)| {
                    key.strip_prefix("model.").map(|name| (name.to_string(), parse_param_text(value)))
                })
                .collect();
            Ok((id, given))
        })
        .collect()
}
