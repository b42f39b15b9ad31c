//! Setup options from the command line and from a TOML file (`--config`), both
//! with PyCaret's names. The file is read first; flags given on the command
//! line override it. Unknown keys and bad values are errors that name them.

use anyhow::{bail, Context, Result};
use clap::Args;
use mlship_learn::options::{
    CategoricalImputation, NormalizeMethod, NumericImputation, NumericStrategy, PcaComponents,
};
use mlship_learn::SetupOptions;
use std::path::PathBuf;

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
    /// Yeo-Johnson transform of the target, inverted at prediction time
    #[arg(long)]
    pub transform_target: bool,
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
    pub model: Option<String>,
    pub alpha: Option<f64>,
    pub l1_ratio: Option<f64>,
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
    let take_float = |table: &mut toml::Table, key: &str| -> Result<Option<f64>> {
        match table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Float(value)) => Ok(Some(value)),
            Some(toml::Value::Integer(value)) => Ok(Some(value as f64)),
            Some(other) => bail!("{}: \"{key}\" must be a number, got {other}", path.display()),
        }
    };
    let extras = ConfigExtras {
        target: take_string(&mut table, "target")?,
        model: take_string(&mut table, "model")?,
        alpha: take_float(&mut table, "alpha")?,
        l1_ratio: take_float(&mut table, "l1_ratio")?,
    };
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
