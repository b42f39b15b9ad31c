//! The model layer: a spec (hyperparameters, what the user asked for) that
//! `fit`s into a fitted model (state). Regression models share one fitted
//! shape today; classifiers and tree ensembles add variants to both enums
//! (and a `Task`), without changing the pipeline around them.

use crate::linear::{self, FittedLinear};
use crate::matrix::Matrix;
use crate::LearnError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "id", rename_all = "lowercase")]
pub enum ModelSpec {
    Lr,
    Ridge { alpha: f64 },
    Lasso { alpha: f64 },
    En { alpha: f64, l1_ratio: f64 },
    Dummy,
}

/// PyCaret's model ids and names, for `--model` and its help.
pub const MODEL_IDS: &[(&str, &str)] = &[
    ("lr", "Linear Regression"),
    ("ridge", "Ridge Regression"),
    ("lasso", "Lasso Regression"),
    ("en", "Elastic Net"),
    ("dummy", "Dummy Regressor"),
];

impl ModelSpec {
    /// The model with PyCaret's default hyperparameters, overridden where given.
    pub fn from_id(id: &str, alpha: Option<f64>, l1_ratio: Option<f64>) -> Result<Self, LearnError> {
        let alpha_value = alpha.unwrap_or(1.0);
        if !(alpha_value.is_finite() && alpha_value >= 0.0) {
            return Err(LearnError::InvalidOption(format!("alpha must be a non-negative number, got {alpha_value}")));
        }
        let l1_value = l1_ratio.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&l1_value) {
            return Err(LearnError::InvalidOption(format!("l1_ratio must be between 0 and 1, got {l1_value}")));
        }
        Ok(match id {
            "lr" => ModelSpec::Lr,
            "ridge" => ModelSpec::Ridge { alpha: alpha_value },
            "lasso" => ModelSpec::Lasso { alpha: alpha_value },
            "en" => ModelSpec::En { alpha: alpha_value, l1_ratio: l1_value },
            "dummy" => ModelSpec::Dummy,
            other => {
                let known: Vec<&str> = MODEL_IDS.iter().map(|(id, _)| *id).collect();
                return Err(LearnError::InvalidOption(format!(
                    "unknown model \"{other}\" (available: {})",
                    known.join(", ")
                )));
            }
        })
    }

    pub fn id(&self) -> &'static str {
        match self {
            ModelSpec::Lr => "lr",
            ModelSpec::Ridge { .. } => "ridge",
            ModelSpec::Lasso { .. } => "lasso",
            ModelSpec::En { .. } => "en",
            ModelSpec::Dummy => "dummy",
        }
    }

    pub fn display_name(&self) -> &'static str {
        let id = self.id();
        MODEL_IDS.iter().find(|(i, _)| *i == id).map_or(id, |(_, name)| name)
    }

    pub fn fit(&self, x: &Matrix, y: &[f64]) -> Result<FittedModel, LearnError> {
        let fitted = match self {
            ModelSpec::Lr => linear::lstsq(x, y)?,
            ModelSpec::Ridge { alpha } => linear::ridge(x, y, *alpha)?,
            ModelSpec::Lasso { alpha } => linear::elastic_net(x, y, *alpha, 1.0)?,
            ModelSpec::En { alpha, l1_ratio } => linear::elastic_net(x, y, *alpha, *l1_ratio)?,
            ModelSpec::Dummy => linear::dummy(x, y),
        };
        Ok(FittedModel::Linear(fitted))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedModel {
    Linear(FittedLinear),
}

impl FittedModel {
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        match self {
            FittedModel::Linear(linear) => linear.predict(x),
        }
    }
}
