//! Prometheus metrics (`GET /metrics`, text format): requests by route and
//! status, latency by route, prediction values (regression) or rows per
//! predicted class (classification), rows scored, and the model
//! being served (name, version) as an info gauge.

use crate::inference_log::LogCounters;
use crate::state::ServedModel;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabels {
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabels {
    pub name: String,
    pub version: String,
    pub model: String,
    pub mlship_version: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    predictions: Histogram,
    classes: Family<ClassLabels, Counter>,
    rows: Counter,
    info: Family<ModelLabels, Gauge>,
    panics: Counter,
    /// The inference log's counters (zero without `--log-inferences`).
    pub log: LogCounters,
}

fn model_labels(model: &ServedModel) -> ModelLabels {
    ModelLabels {
        name: model.name.clone(),
        version: model.version.clone(),
        model: model.artifact.spec.model.id().to_string(),
        mlship_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

impl Metrics {
    pub fn new(model: &ServedModel) -> Self {
        let mut registry = Registry::with_prefix("mlship");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        // 50 µs to ~3 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.00005, 2.0, 16))
        });
        registry.register("http_request_duration_seconds", "Request latency by route", latency.clone());
        let predictions = Histogram::new(exponential_buckets(1.0, 2.0, 24));
        registry.register("prediction_value", "Values predicted (absolute value)", predictions.clone());
        let classes = Family::<ClassLabels, Counter>::default();
        registry.register("predicted_class", "Rows a classifier predicted, by class", classes.clone());
        let rows = Counter::default();
        registry.register("rows_scored", "Rows scored by every API", rows.clone());
        let info = Family::<ModelLabels, Gauge>::default();
        info.get_or_create(&model_labels(model)).set(1);
        registry.register("model_info", "The model being served", info.clone());
        let panics = Counter::default();
        registry.register("panics", "Requests whose handler panicked (answered 500)", panics.clone());
        let log = LogCounters::default();
        registry.register(
            "inference_log_records",
            "Scored rows written to the inference log (counted when their gzip member is finished)",
            log.records.clone(),
        );
        registry.register(
            "inference_log_dropped",
            "Scored or feedback rows the inference log dropped, by reason (queue_full, disk_full, unwritable, shutdown)",
            log.dropped.clone(),
        );
        registry.register(
            "feedback_records",
            "Actual values from POST /feedback written to the log",
            log.feedback.clone(),
        );
        Metrics { registry, requests, latency, predictions, classes, rows, info, panics, log }
    }

    /// Only the model now served is reported, so dashboards see the switch.
    pub fn set_model(&self, model: &ServedModel) {
        self.info.clear();
        self.info.get_or_create(&model_labels(model)).set(1);
    }

    pub fn record_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { route: route.to_string(), method: method.to_string(), status };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&RouteLabels { route: route.to_string() }).observe(seconds);
    }

    pub fn record_panic(&self) {
        self.panics.inc();
    }

    /// A regressor's values go to a histogram; a classifier's rows are
    /// counted per predicted class (as many series as training had classes).
    pub fn record_predictions(
        &self,
        predictions: &mlship_learn::Predictions,
        labels: Option<&mlship_learn::LabelEncoding>,
    ) {
        self.rows.inc_by(predictions.len() as u64);
        match (predictions, labels) {
            (mlship_learn::Predictions::Regression(values), _) => {
                for value in values {
                    self.predictions.observe(value.abs());
                }
            }
            (mlship_learn::Predictions::Classification(classes), Some(labels)) => {
                let mut counts = vec![0u64; labels.n_classes()];
                classes.codes.iter().for_each(|&code| counts[code] += 1);
                for (code, count) in counts.iter().enumerate().filter(|(_, count)| **count > 0) {
                    let class = labels.label(code).map_or_else(String::new, ToString::to_string);
                    self.classes.get_or_create(&ClassLabels { class }).inc_by(*count);
                }
            }
            (mlship_learn::Predictions::Classification(_), None) => {}
        }
    }

    /// Live drift gauges computed on scrape (`live.rs`).
    pub fn register_collector(&mut self, collector: Box<dyn prometheus_client::collector::Collector>) {
        self.registry.register_collector(collector);
    }

    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}
