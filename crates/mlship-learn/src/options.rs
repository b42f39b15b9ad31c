//! The setup options, with PyCaret's names and defaults. They are plain data
//! (hyperparameters), kept apart from fitted state: fitting never mutates them,
//! and the artifact records them as given.

use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// `numeric_imputation`: a strategy or a constant to fill in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumericImputation {
    /// Fill with a statistic of the training column.
    Strategy(NumericStrategy),
    /// Fill with this number.
    Constant(f64),
}

/// The statistic a numeric column's missing cells are filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericStrategy {
    /// The mean.
    Mean,
    /// The median.
    Median,
    /// The most frequent value.
    Mode,
    /// Zero.
    Zero,
}

/// `mode`, or any other string as the constant to fill in (PyCaret's rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum CategoricalImputation {
    /// Fill with the most frequent level.
    Mode,
    /// Fill with this level.
    Constant(String),
}

impl From<String> for CategoricalImputation {
    fn from(value: String) -> Self {
        if value == "mode" {
            CategoricalImputation::Mode
        } else {
            CategoricalImputation::Constant(value)
        }
    }
}

impl From<CategoricalImputation> for String {
    fn from(value: CategoricalImputation) -> Self {
        match value {
            CategoricalImputation::Mode => "mode".to_string(),
            CategoricalImputation::Constant(text) => text,
        }
    }
}

/// `normalize_method`: how numeric features are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalizeMethod {
    /// Subtract the mean, divide by the standard deviation.
    Zscore,
    /// Map the training range onto [0, 1].
    Minmax,
    /// Divide by the largest absolute value.
    Maxabs,
    /// Subtract the median, divide by the interquartile range.
    Robust,
}

/// `pca_components`: an absolute count (int) or a variance fraction (float in (0, 1)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PcaComponents {
    /// Keep this many components.
    Count(usize),
    /// Keep the fewest components explaining this fraction of the variance.
    VarianceFraction(f64),
}

/// PyCaret's `setup()` options that mlship supports, with PyCaret's names and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SetupOptions {
    /// The seed for the split, folds and models; random when not given.
    pub session_id: Option<u32>,
    /// The fraction of rows trained on; the rest are held out.
    pub train_size: f64,
    /// Cross-validation folds.
    pub fold: usize,
    /// Columns to read as numeric, whatever inference says.
    pub numeric_features: Vec<String>,
    /// Columns to read as categorical.
    pub categorical_features: Vec<String>,
    /// Columns to read as dates.
    pub date_features: Vec<String>,
    /// Columns to leave out.
    pub ignore_features: Vec<String>,
    /// How numeric missing cells are filled.
    pub numeric_imputation: NumericImputation,
    /// How categorical missing cells are filled.
    pub categorical_imputation: CategoricalImputation,
    /// Categorical columns with more levels than this are target encoded instead of one-hot.
    pub max_encoding_ohe: usize,
    /// Add sines and cosines of the numeric features.
    pub trigonometry_features: bool,
    /// Add products of pairs of numeric features.
    pub feature_interaction: bool,
    /// Add ratios of pairs of numeric features.
    pub feature_ratio: bool,
    /// Add polynomial terms of the features.
    pub polynomial_features: bool,
    /// Their highest total power.
    pub polynomial_degree: u32,
    /// Numeric columns to replace by their k-means bin index.
    pub bin_numeric_features: Vec<String>,
    /// Drop features too correlated with another one.
    pub remove_multicollinearity: bool,
    /// The correlation at or above which features count as multicollinear.
    pub multicollinearity_threshold: f64,
    /// Scale the features.
    pub normalize: bool,
    /// How they are scaled.
    pub normalize_method: NormalizeMethod,
    /// Replace the features by their principal components.
    pub pca: bool,
    /// How many components to keep; all by default.
    pub pca_components: Option<PcaComponents>,
    /// Fit on a Yeo-Johnson transform of the target, and invert it on predictions.
    pub transform_target: bool,
    /// Classification: oversample the minority classes of every training
    /// fold with SMOTE (imbalanced-learn's defaults) before the model.
    pub fix_imbalance: bool,
    /// Classification, two classes: predict class 1 when its probability is
    /// at least this (PyCaret's `probability_threshold`); the model's own
    /// `predict` when absent.
    pub probability_threshold: Option<f64>,
}

impl Default for SetupOptions {
    fn default() -> Self {
        SetupOptions {
            session_id: None,
            train_size: 0.7,
            fold: 10,
            numeric_features: Vec::new(),
            categorical_features: Vec::new(),
            date_features: Vec::new(),
            ignore_features: Vec::new(),
            numeric_imputation: NumericImputation::Strategy(NumericStrategy::Mean),
            categorical_imputation: CategoricalImputation::Mode,
            max_encoding_ohe: 25,
            trigonometry_features: false,
            feature_interaction: false,
            feature_ratio: false,
            polynomial_features: false,
            polynomial_degree: 2,
            bin_numeric_features: Vec::new(),
            remove_multicollinearity: false,
            multicollinearity_threshold: 0.9,
            normalize: false,
            normalize_method: NormalizeMethod::Zscore,
            pca: false,
            pca_components: None,
            transform_target: false,
            fix_imbalance: false,
            probability_threshold: None,
        }
    }
}

impl SetupOptions {
    /// `validate`, then the options that belong to one task only:
    /// `transform_target` to regression, `fix_imbalance` and
    /// `probability_threshold` to classification.
    pub fn validate_for(&self, task: Task) -> Result<(), LearnError> {
        self.validate()?;
        let only = |option: &str, owner: Task| {
            Err(LearnError::InvalidOption(format!(
                "{option} applies to {} only, and this target is a {} target",
                owner.as_str(),
                task.as_str()
            )))
        };
        match task {
            Task::Regression if self.fix_imbalance => only("fix_imbalance", Task::Classification),
            Task::Regression if self.probability_threshold.is_some() => {
                only("probability_threshold", Task::Classification)
            }
            Task::Classification if self.transform_target => only("transform_target", Task::Regression),
            _ => Ok(()),
        }
    }

    /// Checks value ranges that serde's types cannot express, naming the option.
    pub fn validate(&self) -> Result<(), LearnError> {
        let invalid = |message: String| Err(LearnError::InvalidOption(message));
        if !(self.train_size > 0.0 && self.train_size < 1.0) {
            return invalid(format!("train_size must be between 0 and 1 (exclusive), got {}", self.train_size));
        }
        if self.fold < 2 {
            return invalid(format!("fold must be at least 2, got {}", self.fold));
        }
        if self.polynomial_degree < 1 || self.polynomial_degree > 5 {
            return invalid(format!("polynomial_degree must be between 1 and 5, got {}", self.polynomial_degree));
        }
        if !(self.multicollinearity_threshold > 0.0 && self.multicollinearity_threshold <= 1.0) {
            return invalid(format!(
                "multicollinearity_threshold must be in (0, 1], got {}",
                self.multicollinearity_threshold
            ));
        }
        match self.pca_components {
            Some(PcaComponents::Count(0)) => return invalid("pca_components must be at least 1".to_string()),
            Some(PcaComponents::VarianceFraction(f)) if !(f > 0.0 && f < 1.0) => {
                return invalid(format!("pca_components as a fraction must be in (0, 1), got {f}"))
            }
            _ => {}
        }
        if let Some(threshold) = self.probability_threshold {
            if !(threshold > 0.0 && threshold < 1.0) {
                return invalid(format!("probability_threshold must be between 0 and 1 (exclusive), got {threshold}"));
            }
        }
        if let NumericImputation::Constant(value) = self.numeric_imputation {
            if !value.is_finite() {
                return invalid(format!("numeric_imputation constant must be finite, got {value}"));
            }
        }
        Ok(())
    }
}
