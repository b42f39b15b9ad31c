//! Learning for mlship: transformers, models, the pipeline, the split,
//! cross-validation and metrics, with scikit-learn's and PyCaret's semantics.
//! Pure: no IO, no async, no global state; with a fixed seed every result is
//! deterministic. Configuration types (`PipelineSpec`, `SetupOptions`,
//! `ModelSpec`) `fit` into separate fitted types that record their schema.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

pub mod binning;
pub mod class_metrics;
pub mod compare;
pub mod encode;
mod error;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod labels;
pub mod matrix;
pub mod metrics;
pub mod models;
pub(crate) mod numpy;
pub mod options;
pub mod params;
pub mod pca;
pub mod pipeline;
pub mod predictions;
pub mod rng;
pub mod scale;
pub mod scores;
pub mod search;
pub mod select;
pub mod smote;
pub mod split;
pub mod target;
pub mod task;

pub use class_metrics::{AucScores, ClassificationMetrics, CLASSIFICATION_METRIC_NAMES};
pub use compare::{compare, rank, CompareInput, Comparison, ModelScore, Subsample};
pub use encode::InputColumn;
pub use error::LearnError;
pub use evaluate::{evaluate, evaluate_holdout, Evaluation, EvaluationInput};
pub use labels::{ClassLabel, LabelEncoding};
pub use matrix::Matrix;
pub use metrics::{RegressionMetrics, METRIC_NAMES};
pub use models::{all_models, find_model, linear, models_for, Fitted, FittedModel, ModelEntry, ModelSpec};
pub use options::SetupOptions;
pub use params::{ParamValue, Params};
pub use pipeline::{FittedPipeline, PipelineFit, PipelineSpec};
pub use predictions::{ClassPredictions, Predictions};
pub use scores::Scores;
pub use task::{MetricInfo, Task};
