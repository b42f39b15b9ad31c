//! What every handler shares: the model being served, readiness, metrics and
//! the serving configuration.

use crate::metrics::Metrics;
use mlship_artifact::Artifact;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A loaded artifact and how it is presented: its name in URLs and pages, the
/// version string (the first 12 hex digits of the artifact's payload sha256,
/// which identifies exactly this model), and the label of the prediction.
pub struct ServedModel {
    pub artifact: Artifact,
    pub name: String,
    pub version: String,
    pub label: String,
}

impl ServedModel {
    pub fn new(artifact: Artifact, digest: &str, name: Option<String>, label: Option<String>) -> Self {
        let name = name.unwrap_or_else(|| artifact.name.clone());
        let label = label.unwrap_or_else(|| artifact.pipeline.target.clone());
        ServedModel { version: digest.chars().take(12).collect(), artifact, name, label }
    }
}

pub struct AppState {
    pub model: ServedModel,
    pub metrics: Metrics,
    /// The OpenAPI document and the docs page, rendered once at start.
    pub openapi_json: String,
    pub docs_html: String,
    ready: AtomicBool,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(model: ServedModel, body_limit: usize) -> Self {
        let metrics = Metrics::new(&model);
        let document = crate::openapi::document(&model, body_limit);
        let docs_html = crate::html::docs_page(&document);
        let openapi_json = serde_json::to_string_pretty(&document).unwrap_or_default();
        AppState { model, metrics, openapi_json, docs_html, ready: AtomicBool::new(true) }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Readiness turns false the moment shutdown starts, so load balancers stop sending.
    pub fn set_not_ready(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }
}
