//! Setup options from the command line and from a TOML file (`--config`), both
//! with PyCaret's names. The file is read first; flags given on the command
//! line override it. Unknown keys and bad values are errors that name them.

use anyhow::{bail, Context, Result};
use clap::Args;
use mlship_learn::options::{
    CategoricalImputation, NormalizeMethod, NumericImputation, NumericStrategy, PcaComponents,
};
use mlship_learn::params::parse_param_text;
use mlship_learn::{ModelSpec, ParamValue, SetupOptions, Task};
use std::path::PathBuf;

/// Which model `train` fits and its hyperparameters (scikit-learn's names).
#[derive(Args, Debug, Default, Clone)]
pub struct ModelFlags {
    /// Model id (default lr); `mlship algorithms` lists them with their parameters
    #[arg(long)]
    pub model: Option<String>,
    /// A hyperparameter with scikit-learn's name, NAME=VALUE (repeatable), e.g. --param n_neighbors=7
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, ParamValue)>,
    /// Same as --param alpha=VALUE (regularisation strength of ridge, lasso, en, …)
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Same as --param l1_ratio=VALUE (the L1 share of en's penalty)
    #[arg(long)]
    pub l1_ratio: Option<f64>,
}

/// `NAME=VALUE` → the name and the most specific value the text can be.
pub fn parse_param(text: &str) -> std::result::Result<(String, ParamValue), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), parse_param_text(value))),
        _ => Err(format!("expected NAME=VALUE (e.g. n_neighbors=7), got \"{text}\"")),
    }
}

impl ModelFlags {
    /// The model spec: the config file's `[model]` table, then `--param`
    /// (and the `--alpha`/`--l1-ratio` aliases) on top; `seed` is the
    /// default `random_state`.
    pub fn resolve(&self, extras: &ConfigExtras, seed: u32, task: Task) -> Result<ModelSpec> {
        let id = self.model.clone().or_else(|| extras.model.clone()).unwrap_or_else(|| "lr".to_string());
        let mut given: Vec<(String, ParamValue)> = Vec::new();
        // A config's parameters belong to the config's model; another --model starts from its defaults.
        if extras.model.as_deref().is_none_or(|config_model| config_model == id) {
            given.extend(extras.model_params.iter().cloned());
        }
        given.extend(self.params.iter().cloned());
        given.extend(self.alpha.map(|value| ("alpha".to_string(), ParamValue::Float(value))));
        given.extend(self.l1_ratio.map(|value| ("l1_ratio".to_string(), ParamValue::Float(value))));
        Ok(ModelSpec::new(task, &id, &given, seed)?)
    }
}

#[derive(Args, Debug, Default)]
pub struct OptionFlags {
    /// TOML file of setup options with PyCaret's names (flags override it)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed for the split, folds and models (random when absent, and printed)
    #[arg(long)]
    pub session_id: Option<u32>,
    /// Fraction of rows in the training split (default 0.7)
    #[arg(long)]
    pub train_size: Option<f64>,
    /// Number of cross-validation folds (default 10)
    #[arg(long)]
    pub fold: Option<usize>,
    /// Columns to treat as numeric (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub numeric_features: Option<Vec<String>>,
    /// Columns to treat as categorical (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub categorical_features: Option<Vec<String>>,
    /// Columns to parse as dates (comma-separated; detected automatically otherwise)
    #[arg(long, value_delimiter = ',')]
    pub date_features: Option<Vec<String>>,
    /// Columns to leave out (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub ignore_features: Option<Vec<String>>,
    /// mean, median, mode, zero, or a number (default mean)
    #[arg(long)]
    pub numeric_imputation: Option<String>,
    /// mode, or a constant string (default mode)
    #[arg(long)]
    pub categorical_imputation: Option<String>,
    /// Categoricals with up to this many levels are one-hot encoded (default 25)
    #[arg(long)]
    pub max_encoding_ohe: Option<usize>,
    /// Add sin, cos and tan of every numeric column
    #[arg(long)]
    pub trigonometry_features: bool,
    /// Add a·b for every pair of numeric columns
    #[arg(long)]
    pub feature_interaction: bool,
    /// Add a÷b for every pair of numeric columns
    #[arg(long)]
    pub feature_ratio: bool,
    /// Add polynomial features of every column
    #[arg(long)]
    pub polynomial_features: bool,
    /// Degree of the polynomial features (default 2)
    #[arg(long)]
    pub polynomial_degree: Option<u32>,
    /// Numeric columns to replace by their k-means bin (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub bin_numeric_features: Option<Vec<String>>,
    /// Drop one of each pair of features correlated above the threshold
    #[arg(long)]
    pub remove_multicollinearity: bool,
    /// Correlation threshold for --remove-multicollinearity (default 0.9)
    #[arg(long)]
    pub multicollinearity_threshold: Option<f64>,
    /// Scale every feature
    #[arg(long)]
    pub normalize: bool,
    /// zscore, minmax, maxabs or robust (default zscore)
    #[arg(long)]
    pub normalize_method: Option<String>,
    /// Project onto principal components
    #[arg(long)]
    pub pca: bool,
    /// Number of components (integer) or variance fraction (0 < f < 1)
    #[arg(long)]
    pub pca_components: Option<String>,
    /// Yeo-Johnson transform of the target, inverted at prediction time (regression)
    #[arg(long)]
    pub transform_target: bool,
    /// Oversample minority classes with SMOTE inside each training fold (classification)
    #[arg(long)]
    pub fix_imbalance: bool,
    /// Binary classification: predict the positive class when its probability is at least this
    #[arg(long, value_name = "P")]
    pub probability_threshold: Option<f64>,
}

fn parse_numeric_imputation(text: &str) -> Result<NumericImputation> {
    Ok(match text {
        "mean" => NumericImputation::Strategy(NumericStrategy::Mean),
        "median" => NumericImputation::Strategy(NumericStrategy::Median),
        "mode" => NumericImputation::Strategy(NumericStrategy::Mode),
        "zero" => NumericImputation::Strategy(NumericStrategy::Zero),
        other => match other.parse::<f64>() {
            Ok(value) if value.is_finite() => NumericImputation::Constant(value),
            _ => bail!(
                "invalid option: numeric_imputation must be mean, median, mode, zero or a number, got \"{other}\""
            ),
        },
    })
}

fn parse_normalize_method(text: &str) -> Result<NormalizeMethod> {
    Ok(match text {
        "zscore" => NormalizeMethod::Zscore,
        "minmax" => NormalizeMethod::Minmax,
        "maxabs" => NormalizeMethod::Maxabs,
        "robust" => NormalizeMethod::Robust,
        other => bail!("invalid option: normalize_method must be zscore, minmax, maxabs or robust, got \"{other}\""),
    })
}

fn parse_pca_components(text: &str) -> Result<PcaComponents> {
    if let Ok(count) = text.parse::<usize>() {
        return Ok(PcaComponents::Count(count));
    }
    match text.parse::<f64>() {
        Ok(fraction) => Ok(PcaComponents::VarianceFraction(fraction)),
        Err(_) => bail!("invalid option: pca_components must be an integer or a fraction, got \"{text}\""),
    }
}

/// Keys of the TOML file that are not setup options.
#[derive(Debug, Default)]
pub struct ConfigExtras {
    pub target: Option<String>,
    /// `model = "knn"`, or `id` in a `[model]` table.
    pub model: Option<String>,
    /// The other keys of the `[model]` table (and the older top-level `alpha`, `l1_ratio`).
    pub model_params: Vec<(String, ParamValue)>,
}

/// A TOML value as a model parameter value.
fn toml_param(key: &str, value: toml::Value) -> Result<ParamValue> {
    Ok(match value {
        toml::Value::Integer(v) => ParamValue::Int(v),
        toml::Value::Float(v) => ParamValue::Float(v),
        toml::Value::Boolean(v) => ParamValue::Bool(v),
        toml::Value::String(v) => parse_param_text(&v),
        toml::Value::Array(items) => {
            let numbers: Option<Vec<i64>> = items.iter().map(toml::Value::as_integer).collect();
            match numbers {
                Some(numbers) => ParamValue::IntList(numbers),
                None => bail!("[model] {key}: a list must hold integers"),
            }
        }
        other => bail!("[model] {key}: unsupported value {other}"),
    })
}

/// `model = "id"` or a `[model]` table with `id` and the parameters.
fn take_model(table: &mut toml::Table, extras: &mut ConfigExtras) -> Result<()> {
    match table.remove("model") {
        None => {}
        Some(toml::Value::String(id)) => extras.model = Some(id),
        Some(toml::Value::Table(model)) => {
            for (key, value) in model {
                match (key.as_str(), value) {
                    ("id", toml::Value::String(id)) => extras.model = Some(id),
                    ("id", other) => bail!("[model] id must be a string, got {other}"),
                    (_, value) => extras.model_params.push((key.clone(), toml_param(&key, value)?)),
                }
            }
        }
        Some(other) => bail!("\"model\" must be a model id or a [model] table, got {other}"),
    }
    for key in ["alpha", "l1_ratio"] {
        if let Some(value) = table.remove(key) {
            extras.model_params.push((key.to_string(), toml_param(key, value)?));
        }
    }
    Ok(())
}

fn read_config(path: &PathBuf) -> Result<(SetupOptions, ConfigExtras)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read config", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    let take_string = |table: &mut toml::Table, key: &str| -> Result<Option<String>> {
        match table.remove(key) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text)),
            Some(other) => bail!("{}: \"{key}\" must be a string, got {other}", path.display()),
        }
    };
    let mut extras = ConfigExtras { target: take_string(&mut table, "target")?, ..ConfigExtras::default() };
    take_model(&mut table, &mut extras).with_context(|| path.display().to_string())?;
    let options = options_from_table(table).map_err(|e| anyhow::anyhow!("{}: invalid option: {e}", path.display()))?;
    Ok((options, extras))
}

/// Deserialises the options; on failure, names the key at fault by trying
/// each key alone (toml's own message does not say which key a bad value is for).
fn options_from_table(table: toml::Table) -> std::result::Result<SetupOptions, String> {
    let all = toml::Value::Table(table.clone()).try_into::<SetupOptions>();
    let Err(error) = all else { return all.map_err(|e| e.message().to_string()) };
    for (key, value) in table {
        let single = toml::Table::from_iter([(key.clone(), value)]);
        if let Err(key_error) = toml::Value::Table(single).try_into::<SetupOptions>() {
            return Err(format!("{key}: {}", key_error.message()));
        }
    }
    Err(error.message().to_string())
}

impl OptionFlags {
    /// The config file's options (or PyCaret's defaults) with the flags applied on top.
    pub fn resolve(&self) -> Result<(SetupOptions, ConfigExtras)> {
        let (mut options, extras) = match &self.config {
            Some(path) => read_config(path)?,
            None => (SetupOptions::default(), ConfigExtras::default()),
        };
        macro_rules! set {
            ($field:ident) => {
                if let Some(value) = &self.$field {
                    options.$field = value.clone();
                }
            };
        }
        macro_rules! enable {
            ($field:ident) => {
                if self.$field {
                    options.$field = true;
                }
            };
        }
        if self.session_id.is_some() {
            options.session_id = self.session_id;
        }
        set!(train_size);
        set!(fold);
        set!(numeric_features);
        set!(categorical_features);
        set!(date_features);
        set!(ignore_features);
        set!(max_encoding_ohe);
        set!(polynomial_degree);
        set!(bin_numeric_features);
        set!(multicollinearity_threshold);
        enable!(trigonometry_features);
        enable!(feature_interaction);
        enable!(feature_ratio);
        enable!(polynomial_features);
        enable!(remove_multicollinearity);
        enable!(normalize);
        enable!(pca);
        enable!(transform_target);
        enable!(fix_imbalance);
        if self.probability_threshold.is_some() {
            options.probability_threshold = self.probability_threshold;
        }
        if let Some(text) = &self.numeric_imputation {
            options.numeric_imputation = parse_numeric_imputation(text)?;
        }
        if let Some(text) = &self.categorical_imputation {
            options.categorical_imputation = CategoricalImputation::from(text.clone());
        }
        if let Some(text) = &self.normalize_method {
            options.normalize_method = parse_normalize_method(text)?;
        }
        if let Some(text) = &self.pca_components {
            options.pca_components = Some(parse_pca_components(text)?);
        }
        options.validate()?;
        Ok((options, extras))
    }
}
