//! The setup options, with PyCaret's names and defaults. They are plain data
//! (hyperparameters), kept apart from fitted state: fitting never mutates them,
//! and the artifact records them as given.

use crate::LearnError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumericImputation {
    Strategy(NumericStrategy),
    Constant(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericStrategy {
    Mean,
    Median,
    Mode,
    Zero,
}

/// `mode`, or any other string as the constant to fill in (PyCaret's rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum CategoricalImputation {
    Mode,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalizeMethod {
    Zscore,
    Minmax,
    Maxabs,
    Robust,
}

/// `pca_components`: an absolute count (int) or a variance fraction (float in (0, 1)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PcaComponents {
    Count(usize),
    VarianceFraction(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SetupOptions {
    pub session_id: Option<u32>,
    pub train_size: f64,
    pub fold: usize,
    pub numeric_features: Vec<String>,
    pub categorical_features: Vec<String>,
    pub date_features: Vec<String>,
    pub ignore_features: Vec<String>,
    pub numeric_imputation: NumericImputation,
    pub categorical_imputation: CategoricalImputation,
    pub max_encoding_ohe: usize,
    pub trigonometry_features: bool,
    pub feature_interaction: bool,
    pub feature_ratio: bool,
    pub polynomial_features: bool,
    pub polynomial_degree: u32,
    pub bin_numeric_features: Vec<String>,
    pub remove_multicollinearity: bool,
    pub multicollinearity_threshold: f64,
    pub normalize: bool,
    pub normalize_method: NormalizeMethod,
    pub pca: bool,
    pub pca_components: Option<PcaComponents>,
    pub transform_target: bool,
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
        }
    }
}

impl SetupOptions {
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
        if let NumericImputation::Constant(value) = self.numeric_imputation {
            if !value.is_finite() {
                return invalid(format!("numeric_imputation constant must be finite, got {value}"));
            }
        }
        Ok(())
    }
}
