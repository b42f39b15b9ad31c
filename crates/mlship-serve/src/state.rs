//! What every handler shares: the model being served (swappable while the
//! server runs, for registry aliases that move), readiness, metrics and the
//! serving configuration.

use crate::inference_log::{InferenceLog, InferenceLogConfig, InferenceLogError};
use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use mlship_artifact::Artifact;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A loaded artifact and how it is presented: its name in URLs and pages, the
/// version string, and the label of the prediction. A model served from a
/// file is versioned by the first 12 hex digits of its payload sha256 (which
/// identifies exactly this model); one from the registry by its version number.
pub struct ServedModel {
    /// The loaded model.
    pub artifact: Artifact,
    /// Its name in URLs and pages.
    pub name: String,
    /// Its payload sha256: which exact model scores.
    pub digest: String,
    /// Its version: a digest prefix for a file, the version number for the registry.
    pub version: String,
    /// What the form calls the prediction.
    pub label: String,
    /// The registry reference this model was resolved from (`insurance@production`).
    pub reference: Option<String>,
    /// The OpenAPI document and the docs page, rendered once per model.
    pub openapi_json: String,
    /// The docs page rendered from that document.
    pub docs_html: String,
}

impl ServedModel {
    /// Presents `artifact`; `digest` is its payload sha256, and the name and label default to the artifact's name and
    /// target.
    pub fn new(artifact: Artifact, digest: &str, name: Option<String>, label: Option<String>) -> Self {
        let name = name.unwrap_or_else(|| artifact.name.clone());
        let label = label.unwrap_or_else(|| artifact.pipeline.target.clone());
        ServedModel {
            version: digest.chars().take(12).collect(),
            digest: digest.to_string(),
            artifact,
            name,
            label,
            reference: None,
            openapi_json: String::new(),
            docs_html: String::new(),
        }
    }

    /// A registry version: `version` is its number, `reference` what was asked for.
    pub fn from_registry(mut self, version: i64, reference: String) -> Self {
        self.version = version.to_string();
        self.reference = Some(reference);
        self
    }

    fn render_documents(&mut self, body_limit: usize, logging: bool) {
        let document = crate::openapi::document(self, body_limit, logging);
        self.docs_html = crate::html::docs_page(&document);
        self.openapi_json = serde_json::to_string_pretty(&document).unwrap_or_default();
    }
}

pub struct AppState {
    model: ArcSwap<ServedModel>,
    pub metrics: Metrics,
    /// Live drift and performance (issue 14): fed by `api::score`, read on scrape.
    pub live: Arc<crate::live::LiveSignals>,
    body_limit: usize,
    ready: AtomicBool,
    inference_log: Option<InferenceLog>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// The state for `model`; with `log`, inference logging starts (a folder
    /// that cannot be written is an error: the user asked for the logs).
    pub fn new(
        mut model: ServedModel,
        body_limit: usize,
        log: Option<InferenceLogConfig>,
    ) -> Result<Self, InferenceLogError> {
        model.render_documents(body_limit, log.is_some());
        let mut metrics = Metrics::new(&model);
        let live = Arc::new(crate::live::LiveSignals::new(&model));
        metrics.register_collector(live.collector());
        let inference_log = log.map(|config| InferenceLog::start(config, metrics.log.clone())).transpose()?;
        Ok(AppState {
            model: ArcSwap::from_pointee(model),
            metrics,
            live,
            body_limit,
            ready: AtomicBool::new(true),
            inference_log,
        })
    }

    /// The inference log, when the server was started with one.
    pub fn inference_log(&self) -> Option<&InferenceLog> {
        self.inference_log.as_ref()
    }

    /// Drains the inference log's queue and finishes its files (blocking: call off the runtime).
    pub fn close_inference_log(&self) {
        if let Some(log) = &self.inference_log {
            log.close();
        }
    }

    /// The model now; a request takes it once, so it parses and scores with one model
    /// even when a new version arrives meanwhile.
    pub fn model(&self) -> Arc<ServedModel> {
        self.model.load_full()
    }

    /// Serves `model` from the next request on; requests in flight finish with the old one.
    pub fn replace_model(&self, mut model: ServedModel) {
        model.render_documents(self.body_limit, self.inference_log.is_some());
        self.metrics.set_model(&model);
        self.live.set_model(&model);
        self.model.store(Arc::new(model));
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Readiness turns false the moment shutdown starts, so load balancers stop sending.
    pub fn set_not_ready(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }
}
