//! The records `serve` writes and `monitor` reads: one JSON object per line,
//! in gzip files (see ARCHITECTURE.md, "Inference logs").

use serde::{Deserialize, Serialize};

/// One scored row, as `serve --log-inferences DIR` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceRecord {
    /// When it was scored, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// The request's id (the `x-request-id` the client sent or was given).
    pub request_id: String,
    /// The row's position in its request, from 0.
    pub row: u32,
    /// The served model's name.
    pub model_name: String,
    /// The served model's version: a digest prefix for a file, the number for the registry.
    pub model_version: String,
    /// The artifact's payload sha256: which exact model scored the row.
    pub model_digest: String,
    /// The row as received: input column → number, text or null.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// The prediction: a number (regression) or the original label (classification).
    pub prediction: serde_json::Value,
    /// For a classifier, the probability of the predicted class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_score: Option<f64>,
}

/// One actual value, as `POST /feedback` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    /// When the feedback arrived, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// The request the actual belongs to.
    pub request_id: String,
    /// The row of that request, from 0.
    #[serde(default)]
    pub row: u32,
    /// The actual value: a number (regression) or a label (classification).
    pub actual: serde_json::Value,
}

/// File names: `inferences-<UTC start>-<sequence>.jsonl.gz` and `feedback-…`.
pub const INFERENCE_PREFIX: &str = "inferences-";
/// The prefix of feedback files.
pub const FEEDBACK_PREFIX: &str = "feedback-";
/// The suffix of every log file.
pub const LOG_SUFFIX: &str = ".jsonl.gz";
